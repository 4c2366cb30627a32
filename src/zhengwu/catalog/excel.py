"""事项清单 in Excel (.xlsx): export and import in one format, so an exported file can be edited
and imported back.

Format: two sheets. "事项" has one row per item version (columns ``ITEM_COLUMNS``); "材料" one row
per material of an item, joined by 实施编码 (``MATERIAL_COLUMNS``). Row 1 holds the headers. Codes
are text cells (事项类型 "01" keeps its zero); 服务对象 are codes joined by 、 (or commas);
办理流程 steps are joined by →; 办件类型, 网办深度 and 类别 take the label or the code; yes/no
columns take 是/否. 版本号 and 状态 are written on export and ignored on import.

Import rules (decided here, shown on the import page):

* all or nothing: every row is checked — headers, cell types, the catalogue's rules (through the
  services, so the rules are the ones the API applies), departments known by their USCC, each
  实施编码 once in the file — and every problem is reported with sheet, row, column and reason.
  If there is any problem, nothing is saved (one transaction, rolled back).
* an unknown 实施编码 becomes a new item (version 1, draft); a known one whose latest version is
  a draft updates that draft; otherwise it becomes a new draft version (the published version is
  never edited). A row identical to the latest version is left alone ("unchanged"). Fields the
  file does not carry (人生事件, 申请表字段, 设定依据, 咨询电话, material notes) are kept from the
  previous version.
* with ``publish=True`` every draft the file touched is published at once (retiring the version
  it replaces).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from django.db import transaction
from django.db.models import IntegerChoices, QuerySet
from openpyxl import load_workbook

from zhengwu.core import excel
from zhengwu.core.errors import DomainError, InvalidInput
from zhengwu.licences.models import LicenceType
from zhengwu.org.models import Department

from . import services
from .models import (
    CaseType,
    ItemMaterial,
    MaterialKind,
    OnlineDepth,
    ServiceItem,
    ServiceObject,
    VersionStatus,
)
from .selectors import latest_versions, with_materials

SHEET_ITEMS = "事项"
SHEET_MATERIALS = "材料"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
XLSX_CONTENT_TYPE = excel.XLSX_CONTENT_TYPE
YES, NO = "是", "否"
STEP_SEPARATOR = "→"


@dataclass(frozen=True)
class Column:
    header: str
    width: int
    field: str | None  # the service field it carries, to place the services' messages
    text: bool = False  # a text cell, so codes keep their leading zeros
    required: bool = True  # must be present on import


ITEM_COLUMNS: tuple[Column, ...] = (
    Column("实施编码", 36, "implementation_code", text=True),
    Column("事项名称", 32, "name"),
    Column("基本编码", 16, "basic_code", text=True),
    Column("事项类型", 10, "item_type", text=True),
    Column("实施主体统一社会信用代码", 26, "department", text=True),
    Column("行使层级", 10, "level"),
    Column("服务对象", 12, "service_objects", text=True),
    Column("法定办结时限", 14, "legal_limit_days"),
    Column("承诺办结时限", 14, "promised_limit_days"),
    Column("办件类型", 10, "case_type"),
    Column("到办事现场次数", 15, "trips"),
    Column("网办深度", 12, "online_depth"),
    Column("是否收费", 10, "charges_fee"),
    Column("收费标准", 24, "fee_description"),
    Column("受理条件", 40, "conditions"),
    Column("办理流程", 36, "process_steps"),
    Column("审批结果名称", 24, "result_name"),
    Column("结果证照类型", 20, "result_licence_type"),
    Column("版本号", 8, None, required=False),
    Column("状态", 10, None, required=False),
)
MATERIAL_COLUMNS: tuple[Column, ...] = (
    Column("实施编码", 36, None, text=True),
    Column("材料名称", 30, "name"),
    Column("出具单位", 24, "issuing_body"),
    Column("类别", 10, "kind"),
    Column("原件份数", 10, "originals"),
    Column("复印件份数", 11, "copies"),
    Column("必要", 8, "required"),
    Column("关键材料", 10, "critical"),
    Column("可替代电子证照类型", 22, "licence_type"),
)
SHEETS: dict[str, tuple[Column, ...]] = {SHEET_ITEMS: ITEM_COLUMNS, SHEET_MATERIALS: MATERIAL_COLUMNS}
_ITEM_HEADER = {c.field: c.header for c in ITEM_COLUMNS if c.field}
_MATERIAL_HEADER = {c.field: c.header for c in MATERIAL_COLUMNS if c.field}


# ---------------------------------------------------------------------------------------------
# Export


def _yes_no(value: bool) -> str:
    return YES if value else NO


def item_row(item: ServiceItem) -> list[Any]:
    """The "事项" row of an item, in ``ITEM_COLUMNS`` order."""
    return [
        item.implementation_code,
        item.name,
        item.basic_code,
        item.item_type,
        item.department.uscc,
        item.level,
        "、".join(item.service_objects),
        item.legal_limit_days.normalize() if item.legal_limit_days % 1 else int(item.legal_limit_days),
        item.promised_limit_days.normalize()
        if item.promised_limit_days % 1
        else int(item.promised_limit_days),
        CaseType(item.case_type).label,
        item.trips,
        OnlineDepth(item.online_depth).label,
        _yes_no(item.charges_fee),
        item.fee_description,
        item.conditions,
        STEP_SEPARATOR.join(item.process_steps),
        item.result_name,
        item.result_licence_type.name if item.result_licence_type else "",
        item.version,
        item.get_status_display(),
    ]


def material_row(item: ServiceItem, use: ItemMaterial) -> list[Any]:
    """A "材料" row, in ``MATERIAL_COLUMNS`` order."""
    material = use.material
    return [
        item.implementation_code,
        material.name,
        material.issuing_body,
        material.get_kind_display(),
        use.originals,
        use.copies,
        _yes_no(use.required),
        _yes_no(use.critical),
        material.licence_type.name if material.licence_type else "",
    ]


def _sheet_columns(columns: Sequence[Column]) -> list[excel.Column]:
    return [excel.Column(c.header, c.width, text=c.text) for c in columns]


def export_items(items: Iterable[ServiceItem]) -> bytes:
    """The workbook of ``items`` (pass them through ``selectors.with_materials``). Written by the
    shared writer: a name typed as "=…" stays text, codes stay text cells."""
    writer = excel.ExcelWriter()
    ws_items = writer.sheet(SHEET_ITEMS, _sheet_columns(ITEM_COLUMNS), auto_filter=True)
    ws_materials = writer.sheet(SHEET_MATERIALS, _sheet_columns(MATERIAL_COLUMNS), auto_filter=True)
    for item in items:
        ws_items.append(item_row(item))
        for use in item.item_materials.all():
            ws_materials.append(material_row(item, use))
    return writer.to_bytes()


EXPORT_SCOPES = {"published": "现行（已发布）事项", "draft": "草稿", "all": "全部版本"}


def export_queryset(scope: str = "published") -> QuerySet[ServiceItem]:
    """Items to export: "published" (default), "draft" or "all" versions; unknown → published."""
    qs = ServiceItem.objects.select_related("department__region", "result_licence_type")
    if scope == "draft":
        qs = qs.filter(status=VersionStatus.DRAFT)
    elif scope != "all":
        qs = qs.filter(status=VersionStatus.PUBLISHED)
    return with_materials(qs.order_by("implementation_code", "version"))


def export_filename(scope: str = "published") -> str:
    return f"事项清单-{EXPORT_SCOPES.get(scope, EXPORT_SCOPES['published'])}-{date.today():%Y%m%d}.xlsx"


# ---------------------------------------------------------------------------------------------
# Import


@dataclass(frozen=True)
class Problem:
    """One reason the file was refused: sheet, row (1 = headers), column and reason."""

    sheet: str
    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return f"{self.sheet}：{self.message}" if self.sheet else self.message
        where = f"「{self.column}」" if self.column else ""
        return f"{self.sheet} 第{self.row}行{where}：{self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportResult:
    created: int = 0
    new_versions: int = 0
    updated: int = 0
    unchanged: int = 0
    published: int = 0
    materials: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def items(self) -> int:
        return self.created + self.new_versions + self.updated + self.unchanged

    def counts(self) -> dict[str, int]:
        return {
            "items": self.items,
            "created": self.created,
            "new_versions": self.new_versions,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "published": self.published,
            "materials": self.materials,
        }

    def summary(self) -> str:
        text = (
            f"导入成功：共{self.items}个事项（新建{self.created}个，新增版本{self.new_versions}个，"
            f"更新草稿{self.updated}个，未变化{self.unchanged}个），材料{self.materials}行"
        )
        return text + (f"；已发布{self.published}个" if self.published else "；新版本为草稿，发布后生效")


def check_upload(name: str, size: int | None) -> None:
    """Only .xlsx files up to 5 MB; raises InvalidInput (400) naming the problem."""
    if not name.lower().endswith(".xlsx"):
        raise InvalidInput(
            f"只能导入 Excel 文件（.xlsx），「{name}」不是；.xls 或 .csv 请先在 Excel 中另存为 .xlsx",
            field="file",
        )
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise InvalidInput(
            f"文件大小 {size / 1024 / 1024:.1f} MB 超过上限 {MAX_UPLOAD_BYTES // 1024 // 1024} MB",
            field="file",
        )
    if size == 0:
        raise InvalidInput("文件是空的", field="file")


class _Bad(Exception):
    """A cell that cannot be read; the message says why."""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _required(value: Any, label: str) -> str:
    text = _text(value)
    if not text:
        raise _Bad(f"请填写{label}")
    return text


def _int(value: Any, label: str, *, default: int | None = None) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is not None:
            return default
        raise _Bad(f"请填写{label}")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value.strip())
    raise _Bad(f"{label}应为整数，实际为「{_text(value)}」")


def _decimal(value: Any, label: str) -> Decimal:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _Bad(f"请填写{label}")
    try:
        return services.to_decimal(value, label)
    except InvalidInput as exc:
        raise _Bad(exc.message) from None


def _bool(value: Any, label: str, *, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = _text(value).upper()
    if text == "":
        return default
    if text in {YES, "Y", "YES", "TRUE", "1", "√"}:
        return True
    if text in {NO, "N", "NO", "FALSE", "0", "×"}:
        return False
    raise _Bad(f"{label}应填写「是」或「否」，实际为「{_text(value)}」")


def _choice(value: Any, label: str, choices: type[IntegerChoices]) -> int:
    text = _text(value)
    if not text:
        raise _Bad(f"请填写{label}")
    for choice in choices:
        if text in (str(choice.value), choice.label):
            return int(choice.value)
    options = "、".join(f"{c.label}（{c.value}）" for c in choices)
    raise _Bad(f"{label}应为{options}之一，实际为「{text}」")


def _item_type(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
        return f"{int(value):02d}"
    text = _required(value, "事项类型")
    return text.zfill(2) if text.isdigit() and len(text) == 1 else text


_OBJECT_BY_LABEL = {c.label: str(c.value) for c in ServiceObject}


def _service_objects(value: Any) -> list[str]:
    text = _text(value)
    tokens = [t for t in re.split(r"[、,，;；\s]+", text) if t]
    return [_OBJECT_BY_LABEL.get(t, t) for t in tokens]


def _steps(value: Any) -> list[str]:
    text = _text(value)
    return [s.strip() for s in re.split(r"→|->", text)] if text else []


def _kind(value: Any) -> str:
    text = _text(value)
    if not text:
        return ""
    for kind in MaterialKind:
        if text in (kind.value, kind.label):
            return str(kind.value)
    raise _Bad(f"类别应为「{MaterialKind.DOCUMENT.label}」或「{MaterialKind.FORM.label}」，实际为「{text}」")


def _licence_types(sheets: Iterable[tuple[_Sheet, str]]) -> dict[str, LicenceType]:
    """The licence types the file names (in the given sheet/column pairs), by name."""
    names = {_text(values.get(header)) for sheet, header in sheets for _, values in sheet.rows}
    names.discard("")
    return {t.name: t for t in LicenceType.objects.filter(name__in=names)}


def _licence_type(types: dict[str, LicenceType], label: str) -> Any:
    """A cell reader: a licence type named as in 证照目录, or None for a blank cell."""

    def read(value: Any) -> LicenceType | None:
        name = _text(value)
        if not name:
            return None
        if name not in types:
            raise _Bad(f"「{label}」「{name}」未在证照目录中登记，请先在证照目录中添加该证照类型或改正名称")
        return types[name]

    return read


@dataclass
class _Sheet:
    name: str
    rows: list[tuple[int, dict[str, Any]]]  # (row number, {header: value})


def _read_sheet(ws: Any, name: str, columns: Sequence[Column], problems: list[Problem]) -> _Sheet | None:
    rows_iter = ws.iter_rows(values_only=True)
    header_row = next(rows_iter, None)
    known = {c.header for c in columns}
    headers: list[str | None] = [(_text(h) or None) for h in (header_row or ())]
    before = len(problems)
    seen: set[str] = set()
    for header in headers:
        if header is None:
            continue
        if header not in known:
            expected = "、".join(c.header for c in columns)
            problems.append(
                Problem(name, 1, header, f"未知的列「{header}」；「{name}」表的列应为：{expected}")
            )
        elif header in seen:
            problems.append(Problem(name, 1, header, f"列「{header}」重复"))
        seen.add(header)
    for column in columns:
        if column.required and column.header not in seen:
            problems.append(Problem(name, 1, column.header, f"缺少列「{column.header}」"))
    if len(problems) > before:
        return None
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, values in enumerate(rows_iter, start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            problems.append(Problem(name, None, "", f"行数超过上限 {MAX_ROWS} 行，请分批导入"))
            return None
        rows.append((number, {h: v for h, v in zip(headers, values, strict=False) if h is not None}))
    return _Sheet(name, rows)


@dataclass
class _ParsedItem:
    row: int
    code: str
    data: dict[str, Any]
    ok: bool
    materials: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    materials_ok: bool = True


def _parse_items(
    sheet: _Sheet, problems: list[Problem], licence_types: dict[str, LicenceType]
) -> dict[str, _ParsedItem]:
    usccs = {_text(values.get("实施主体统一社会信用代码")).upper() for _, values in sheet.rows}
    departments = {d.uscc: d for d in Department.objects.select_related("region").filter(uscc__in=usccs)}
    parsed: dict[str, _ParsedItem] = {}
    for number, values in sheet.rows:
        before = len(problems)
        data: dict[str, Any] = {}

        def cell(header: str, read: Any, number: int = number, values: dict[str, Any] = values) -> Any:
            try:
                return read(values.get(header))
            except _Bad as exc:
                problems.append(Problem(SHEET_ITEMS, number, header, str(exc)))
                return None

        code = cell("实施编码", lambda v: _required(v, "实施编码").upper())
        if code and code in parsed:
            problems.append(
                Problem(
                    SHEET_ITEMS,
                    number,
                    "实施编码",
                    f"实施编码 {code} 与第{parsed[code].row}行重复，每个事项只能出现一次",
                )
            )
            continue
        data["implementation_code"] = code
        data["name"] = cell("事项名称", lambda v: _required(v, "事项名称"))
        data["basic_code"] = cell("基本编码", lambda v: _text(v).upper())
        data["item_type"] = cell("事项类型", _item_type)
        uscc = cell("实施主体统一社会信用代码", lambda v: _required(v, "实施主体统一社会信用代码").upper())
        if uscc:
            if uscc in departments:
                data["department"] = departments[uscc]
            else:
                problems.append(
                    Problem(
                        SHEET_ITEMS,
                        number,
                        "实施主体统一社会信用代码",
                        f"未找到统一社会信用代码为 {uscc} 的部门，请先在部门管理中登记",
                    )
                )
        data["level"] = cell("行使层级", lambda v: None if _text(v) == "" else _int(v, "行使层级"))
        data["service_objects"] = cell("服务对象", _service_objects)
        data["legal_limit_days"] = cell("法定办结时限", lambda v: _decimal(v, "法定办结时限"))
        data["promised_limit_days"] = cell("承诺办结时限", lambda v: _decimal(v, "承诺办结时限"))
        data["case_type"] = cell("办件类型", lambda v: _choice(v, "办件类型", CaseType))
        data["trips"] = cell("到办事现场次数", lambda v: _int(v, "到办事现场次数", default=0))
        data["online_depth"] = cell("网办深度", lambda v: _choice(v, "网办深度", OnlineDepth))
        data["charges_fee"] = cell("是否收费", lambda v: _bool(v, "是否收费", default=False))
        data["fee_description"] = cell("收费标准", _text)
        data["conditions"] = cell("受理条件", _text)
        data["process_steps"] = cell("办理流程", _steps)
        data["result_name"] = cell("审批结果名称", _text)
        data["result_licence_type"] = cell("结果证照类型", _licence_type(licence_types, "结果证照类型"))
        if not data["basic_code"]:
            del data["basic_code"]  # derived from the 实施编码
        ok = len(problems) == before
        if code:
            parsed[code] = _ParsedItem(number, code, data, ok)
    return parsed


def _parse_materials(
    sheet: _Sheet,
    items: dict[str, _ParsedItem],
    problems: list[Problem],
    licence_types: dict[str, LicenceType],
) -> int:
    count = 0
    for number, values in sheet.rows:
        before = len(problems)

        def cell(header: str, read: Any, number: int = number, values: dict[str, Any] = values) -> Any:
            try:
                return read(values.get(header))
            except _Bad as exc:
                problems.append(Problem(SHEET_MATERIALS, number, header, str(exc)))
                return None

        code = cell("实施编码", lambda v: _required(v, "实施编码").upper())
        line = {
            "name": cell("材料名称", lambda v: _required(v, "材料名称")),
            "issuing_body": cell("出具单位", _text),
            "kind": cell("类别", _kind),
            "originals": cell("原件份数", lambda v: _int(v, "原件份数", default=0)),
            "copies": cell("复印件份数", lambda v: _int(v, "复印件份数", default=0)),
            "required": cell("必要", lambda v: _bool(v, "必要", default=True)),
            "critical": cell("关键材料", lambda v: _bool(v, "关键材料", default=False)),
            "licence_type": cell("可替代电子证照类型", _licence_type(licence_types, "可替代电子证照类型")),
        }
        count += 1
        if code and code not in items:
            problems.append(
                Problem(
                    SHEET_MATERIALS, number, "实施编码", f"「{SHEET_ITEMS}」表中没有实施编码为 {code} 的事项"
                )
            )
            continue
        if code:
            items[code].materials.append((number, line))
            if len(problems) > before:
                items[code].materials_ok = False
    return count


def _same(item: ServiceItem, data: dict[str, Any], lines: list[dict[str, Any]]) -> bool:
    """Is the file's row what the latest version already says?"""
    for key, value in data.items():
        current = item.department if key == "department" else getattr(item, key)
        if key == "level" and value is None:
            continue
        if key == "department":
            if current.pk != value.pk:
                return False
        elif current != value:
            return False
    uses = list(item.item_materials.all())
    if len(uses) != len(lines):
        return False
    for use, line in zip(uses, lines, strict=True):
        material = use.material
        if (material.name, material.issuing_body, use.originals, use.copies, use.required, use.critical) != (
            line["name"],
            line["issuing_body"],
            line["originals"],
            line["copies"],
            line["required"],
            line["critical"],
        ):
            return False
        if (line["kind"] and line["kind"] != material.kind) or (
            line["licence_type"] is not None and line["licence_type"].pk != material.licence_type_id
        ):
            return False
    return True


def _place(exc: DomainError, parsed: _ParsedItem) -> list[Problem]:
    """The services' errors, keyed by field, as sheet/row/column problems."""
    if not exc.errors:
        return [Problem(SHEET_ITEMS, parsed.row, "", exc.message)]
    problems = []
    for key, messages in exc.errors.items():
        if match := re.fullmatch(r"materials\[(\d+)\]\.(\w+)", key):
            index, name = int(match.group(1)), match.group(2)
            row = parsed.materials[index][0] if index < len(parsed.materials) else parsed.row
            problems += [Problem(SHEET_MATERIALS, row, _MATERIAL_HEADER.get(name, ""), m) for m in messages]
        else:
            column = _ITEM_HEADER.get(key, "")
            problems += [Problem(SHEET_ITEMS, parsed.row, column, m) for m in messages]
    return problems


def _save(
    parsed: _ParsedItem,
    latest: ServiceItem | None,
    *,
    by: services.Actor,
    publish: bool,
    result: ImportResult,
) -> None:
    lines = [line for _, line in parsed.materials]
    if latest is not None:
        notes = {(u.material.name, u.material.issuing_body): u.note for u in latest.item_materials.all()}
        lines = [{**line, "note": notes.get((line["name"], line["issuing_body"]), "")} for line in lines]
    data = parsed.data
    if latest is None:
        item = services.create_item(data=data, materials=lines, by=by)
        result.created += 1
    elif latest.status != VersionStatus.RETIRED and _same(latest, data, lines):
        item = latest
        result.unchanged += 1
    elif latest.status == VersionStatus.DRAFT:
        item = services.update_item(item=latest, data=data, materials=lines, by=by)
        result.updated += 1
    else:
        draft = services.new_version(item=latest, by=by)
        item = services.update_item(item=draft, data=data, materials=lines, by=by)
        result.new_versions += 1
    if publish and item.status == VersionStatus.DRAFT:
        services.publish_item(item=item, by=by)
        result.published += 1


def import_catalog(file: IO[bytes], *, by: services.Actor, publish: bool = False) -> ImportResult:
    """Read, check and — only when every row is right — save a workbook in the export format.

    Raises InvalidInput (400) when the file is not a readable .xlsx; returns an ImportResult
    whose ``problems`` list every refusal otherwise (and then nothing was saved)."""
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of error on a file that is not an .xlsx
        raise InvalidInput("文件不是有效的 Excel（.xlsx）文件，无法读取", field="file") from None
    result = ImportResult()
    try:
        sheets: dict[str, _Sheet] = {}
        for name, columns in SHEETS.items():
            if name not in workbook.sheetnames:
                result.problems.append(Problem(name, None, "", f"缺少工作表「{name}」"))
                continue
            sheet = _read_sheet(workbook[name], name, columns, result.problems)
            if sheet is not None:
                sheets[name] = sheet
    finally:
        workbook.close()
    if result.problems:
        return result

    problems = result.problems
    licence_types = _licence_types(
        [(sheets[SHEET_ITEMS], "结果证照类型"), (sheets[SHEET_MATERIALS], "可替代电子证照类型")]
    )
    parsed = _parse_items(sheets[SHEET_ITEMS], problems, licence_types)
    material_rows = _parse_materials(sheets[SHEET_MATERIALS], parsed, problems, licence_types)
    if not parsed and not problems:
        problems.append(Problem(SHEET_ITEMS, None, "", "没有可导入的事项（第2行起每行一个事项）"))
        return result

    latest = latest_versions(parsed)
    with transaction.atomic():
        for item in parsed.values():
            if not (item.ok and item.materials_ok):
                continue  # its cells are already reported; the rules need readable cells
            try:
                with transaction.atomic():
                    _save(item, latest.get(item.code), by=by, publish=publish, result=result)
            except DomainError as exc:
                problems.extend(_place(exc, item))
        if problems:
            transaction.set_rollback(True)
    if problems:
        problems.sort(key=lambda p: (p.sheet != SHEET_ITEMS, p.row or 0))
        return ImportResult(problems=problems)
    result.materials = material_rows
    return result
