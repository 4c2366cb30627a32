"""Imports of the city's 证照目录 (licence types) and of 存量证照 (licences issued before the
platform), from .xlsx (first sheet) or .csv (UTF-8 or GB18030), first row the headers.

Whole file or nothing: every row is checked (and, for licences, built and signed) inside one
transaction; if any row is wrong the transaction is rolled back and ``ImportFailed`` lists each
problem as 「第N行「列」：原因」 — N is the row number as a spreadsheet shows it (the headers are
row 1). Imported licences are signed by the issuer's current seal through
``services.build_licence(imported=True)`` and linked to a registered Citizen or Enterprise when
one has the holder's code."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from zhengwu.accounts.models import Citizen, Enterprise
from zhengwu.core.errors import DomainError, InvalidInput
from zhengwu.core.excel import Column, ExcelWriter
from zhengwu.core.models import AuditEvent
from zhengwu.core.validators import validate_id_number, validate_uscc
from zhengwu.org.models import Department

from . import services
from .models import HolderKind, Licence, LicenceType, PrintTemplate

MAX_ROWS = 100_000
MAX_PROBLEMS = 50

TYPE_COLUMNS = (
    "证照名称",
    "证照类型代码",
    "定义机构（统一社会信用代码）",
    "颁发机构（统一社会信用代码，多个以、分隔）",
    "持证主体类别（自然人/法人）",
    "有效期（年）",
    "照面信息项（名称:标签；…）",
    "打印模板",
)
TYPE_REQUIRED = (*TYPE_COLUMNS[:3], TYPE_COLUMNS[4])  # no 颁发机构: the defining department issues
LICENCE_COLUMNS = (
    "证照类型代码",
    "证照编号",
    "颁发机构代码",
    "颁发日期",
    "有效期起始",
    "有效期截止",
    "持证主体",
    "持证主体代码",
)
LICENCE_REQUIRED = ("证照类型代码", "证照编号", "颁发机构代码", "颁发日期", "持证主体", "持证主体代码")
HOLDER_KINDS = {label: value for value, label in HolderKind.choices}
TEMPLATES = {
    **{label: value for value, label in PrintTemplate.choices},
    **{v: v for v in PrintTemplate.values},
}
TEMPLATES.update({"证书": PrintTemplate.CERTIFICATE, "卡证": PrintTemplate.CARD})


class ImportFailed(InvalidInput):
    """The file was refused; ``problems`` says where and why. Nothing was saved."""

    def __init__(self, problems: list[str]):
        shown = problems[:MAX_PROBLEMS]
        more = f"（另有{len(problems) - len(shown)}处问题未列出）" if len(problems) > len(shown) else ""
        super().__init__("导入失败，未导入任何数据：" + "；".join(shown) + more, field="file")
        self.problems = problems


@dataclass
class Row:
    number: int
    values: dict[str, Any]

    def text(self, column: str) -> str:
        value = self.values.get(column)
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value).strip()


@dataclass
class Problems:
    items: list[str] = field(default_factory=list)

    def add(self, row: int, column: str | None, message: str) -> None:
        where = f"第{row}行" + (f"「{column}」" if column else "")
        self.items.append(f"{where}：{message}")


# ---------------------------------------------------------------------------------------------
# Reading


def read_table(file: IO[bytes], filename: str) -> tuple[list[str], list[Row]]:
    """Headers and rows of an .xlsx (first sheet) or .csv; empty rows are skipped."""
    name = (filename or "").lower()
    if name.endswith(".csv"):
        raw = file.read()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise InvalidInput("CSV 文件的编码无法识别，请另存为 UTF-8", field="file")
        table: Iterable[Iterable[Any]] = list(csv.reader(io.StringIO(text)))
    elif name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(file, read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds of error on a file that is not an .xlsx
            raise InvalidInput("文件不是有效的 Excel（.xlsx）文件，无法读取", field="file") from None
        try:
            table = [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
        finally:
            workbook.close()
    else:
        raise InvalidInput("请上传 .xlsx 或 .csv 文件", field="file")
    lines = list(table)
    if not lines:
        raise InvalidInput("文件是空的，第1行应为列名", field="file")
    headers = [str(h or "").strip() for h in lines[0]]
    rows = []
    for n, values in enumerate(lines[1:], start=2):
        values = list(values)
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        rows.append(Row(n, {h: (values[i] if i < len(values) else None) for i, h in enumerate(headers) if h}))
    if len(rows) > MAX_ROWS:
        raise InvalidInput(f"一次最多导入{MAX_ROWS}行，请分批导入", field="file")
    if not rows:
        raise InvalidInput("文件中没有数据行", field="file")
    return headers, rows


def _missing(headers: list[str], required: Iterable[str]) -> None:
    missing = [c for c in required if c not in headers]
    if missing:
        raise ImportFailed([f"第1行：缺少列「{c}」" for c in missing])


def _date(row: Row, column: str, problems: Problems, *, required: bool) -> date | None:
    value = row.values.get(column)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = row.text(column)
    if not text or text == "长期":
        if required:
            problems.add(row.number, column, "不能为空")
        return None
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    problems.add(row.number, column, f"“{text}”不是日期，应如 2026-06-10")
    return None


def _department(
    row: Row, column: str, code: str, problems: Problems, cache: dict[str, Department | None]
) -> Department | None:
    code = code.strip().upper()
    if code not in cache:
        cache[code] = Department.objects.filter(uscc=code).first()
    found = cache[code]
    if found is None:
        problems.add(row.number, column, f"没有统一社会信用代码为{code}的部门")
    return found


def _audit(by: Any, action: str, model: type[Any], summary: str) -> None:
    """One audit event for a whole import (no single row is its object)."""
    AuditEvent.objects.create(
        actor=by if getattr(by, "is_authenticated", False) else None,
        action=action,
        object_type=model._meta.label,
        object_id="import",
        summary=summary[:500],
    )


# ---------------------------------------------------------------------------------------------
# 证照目录


def _surface_fields(text: str) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for part in text.replace(";", "；").split("；"):
        part = part.strip()
        if not part:
            continue
        name, sep, label = part.replace("：", ":").partition(":")
        name, label = name.strip(), label.strip()
        if not sep or not name or not label:
            raise ValueError(f"“{part}”应写作 名称:标签")
        if not name.replace("_", "").isascii() or not name.replace("_", "").isalnum():
            raise ValueError(f"照面项名称“{name}”只能用英文字母、数字和下划线")
        if name in {f["name"] for f in out}:
            raise ValueError(f"照面项名称“{name}”重复")
        out.append({"name": name, "label": label})
    return out


@dataclass
class TypeImportResult:
    created: int = 0
    updated: int = 0


def import_types(file: IO[bytes], filename: str, *, by: Any) -> TypeImportResult:
    """The city's catalogue of licence types; a type whose 证照类型代码 exists is updated."""
    headers, rows = read_table(file, filename)
    _missing(headers, TYPE_REQUIRED)
    problems = Problems()
    departments: dict[str, Department | None] = {}
    parsed: list[tuple[str, dict[str, Any], list[Department]]] = []
    seen_codes: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for row in rows:
        for column in TYPE_REQUIRED:
            if not row.text(column):
                problems.add(row.number, column, "不能为空")
        name, code = row.text("证照名称"), row.text("证照类型代码").upper()
        if len(name) > 100:
            problems.add(row.number, "证照名称", "不能超过100个字")
        if name in seen_names:
            problems.add(row.number, "证照名称", f"与第{seen_names[name]}行重复")
        seen_names.setdefault(name, row.number)
        definer_code = row.text(TYPE_COLUMNS[2]).upper()
        definer = (
            _department(row, TYPE_COLUMNS[2], definer_code, problems, departments) if definer_code else None
        )
        if code:
            if len(code) != 21 or not code[18:].isdigit():
                problems.add(
                    row.number, "证照类型代码", "应为定义机构的统一社会信用代码（18位）加3位数字，共21位"
                )
            elif definer_code and code[:18] != definer_code:
                problems.add(row.number, "证照类型代码", "前18位应为定义机构的统一社会信用代码")
            if code in seen_codes:
                problems.add(row.number, "证照类型代码", f"与第{seen_codes[code]}行重复")
            seen_codes.setdefault(code, row.number)
        issuers = []
        for part in row.text(TYPE_COLUMNS[3]).replace(",", "、").replace("，", "、").split("、"):
            if part.strip():
                dep = _department(row, TYPE_COLUMNS[3], part, problems, departments)
                if dep is not None:
                    issuers.append(dep)
        kind_text = row.text(TYPE_COLUMNS[4])
        kind = HOLDER_KINDS.get(kind_text)
        if kind_text and kind is None:
            problems.add(row.number, TYPE_COLUMNS[4], "应为“自然人”或“法人”")
        years_text = row.text("有效期（年）")
        years = None
        if years_text and years_text != "长期":
            if not years_text.isdigit() or not 1 <= int(years_text) <= 100:
                problems.add(row.number, "有效期（年）", "应为1至100的整数，长期有效不填")
            else:
                years = int(years_text)
        try:
            fields = _surface_fields(row.text(TYPE_COLUMNS[6]))
        except ValueError as e:
            problems.add(row.number, TYPE_COLUMNS[6], str(e))
            fields = []
        template_text = row.text("打印模板")
        template = TEMPLATES.get(template_text, PrintTemplate.CERTIFICATE if not template_text else None)
        if template is None:
            problems.add(row.number, "打印模板", "应为“证书”或“卡证”")
        other = LicenceType.objects.filter(name=name).exclude(code=code).first() if name else None
        if other is not None:
            problems.add(row.number, "证照名称", f"已有同名的证照类型（代码{other.code}）")
        values = {
            "name": name,
            "defining_department": definer,
            "holder_kind": kind,
            "validity_years": years,
            "surface_fields": fields,
            "template": template,
        }
        parsed.append((code, values, issuers))
    if problems.items:
        raise ImportFailed(problems.items)
    result = TypeImportResult()
    with transaction.atomic():
        for code, values, issuers in parsed:
            licence_type, created = LicenceType.objects.update_or_create(code=code, defaults=values)
            licence_type.issuing_departments.set(issuers or [licence_type.defining_department])
            if created:
                result.created += 1
            else:
                result.updated += 1
        _audit(
            by,
            "licences.types_imported",
            LicenceType,
            f"导入证照目录：新增{result.created}类，更新{result.updated}类",
        )
    return result


# ---------------------------------------------------------------------------------------------
# 存量证照


FIELD_COLUMNS = {
    "holder": "持证主体代码",
    "issuer": "颁发机构代码",
    "valid_until": "有效期截止",
    "serial": "证照编号",
}


def _holder(row: Row, licence_type: LicenceType, problems: Problems) -> services.Holder | None:
    name, code = row.text("持证主体"), row.text("持证主体代码").upper()
    if not name or not code:
        return None
    if len(name) > 200:
        problems.add(row.number, "持证主体", "不能超过200个字")
        return None
    try:
        (validate_id_number if licence_type.holder_kind == HolderKind.PERSON else validate_uscc)(code)
    except ValidationError as e:
        problems.add(row.number, "持证主体代码", " ".join(e.messages))
        return None
    if licence_type.holder_kind == HolderKind.PERSON:
        citizen = Citizen.objects.filter(id_number=code).first()
        return services.Holder(HolderKind.PERSON, name, code, citizen=citizen)
    enterprise = Enterprise.objects.filter(uscc=code).first()
    return services.Holder(HolderKind.ORGANISATION, name, code, enterprise=enterprise)


def import_licences(file: IO[bytes], filename: str, *, by: Any) -> int:
    """存量证照; returns how many were imported (all of the file's rows, or none)."""
    headers, rows = read_table(file, filename)
    _missing(headers, LICENCE_REQUIRED)
    problems = Problems()
    types: dict[str, LicenceType | None] = {}
    departments: dict[str, Department | None] = {}
    seen: dict[tuple[str, str, str], int] = {}
    built: list[Licence] = []
    with transaction.atomic():
        for row in rows:
            before = len(problems.items)
            for required in LICENCE_REQUIRED:
                if not row.text(required):
                    problems.add(row.number, required, "不能为空")
            code = row.text("证照类型代码").upper()
            if code and code not in types:
                types[code] = LicenceType.objects.filter(code=code).first()
            licence_type = types.get(code)
            if code and licence_type is None:
                problems.add(row.number, "证照类型代码", f"证照目录中没有类型代码{code}")
            issuer_code = row.text("颁发机构代码")
            issuer = (
                _department(row, "颁发机构代码", issuer_code, problems, departments) if issuer_code else None
            )
            if (
                licence_type is not None
                and issuer is not None
                and not licence_type.issuing_departments.filter(pk=issuer.pk).exists()
            ):
                problems.add(
                    row.number, "颁发机构代码", f"{issuer.name}不是「{licence_type.name}」的颁发机构"
                )
            number = row.text("证照编号")
            if len(number) > 100:
                problems.add(row.number, "证照编号", "不能超过100个字符")
            if licence_type is not None and issuer is not None and number:
                key = (licence_type.code, issuer.uscc, number)
                if key in seen:
                    problems.add(row.number, "证照编号", f"与第{seen[key]}行重复")
                elif Licence.objects.filter(licence_type=licence_type, issuer=issuer, number=number).exists():
                    problems.add(row.number, "证照编号", "该证照已在证照库中（不能重复导入）")
                seen.setdefault(key, row.number)
            issued_on = _date(row, "颁发日期", problems, required=True)
            valid_from = _date(row, "有效期起始", problems, required=False)
            valid_until = _date(row, "有效期截止", problems, required=False)
            if issued_on and issued_on > timezone.localdate():
                problems.add(row.number, "颁发日期", "不能晚于今天")
            holder = _holder(row, licence_type, problems) if licence_type is not None else None
            surface: dict[str, str] = {}
            if licence_type is not None:
                for spec in licence_type.surface_fields:
                    label = spec.get("label", spec["name"])
                    if label not in headers:
                        problems.add(row.number, label, f"缺少「{licence_type.name}」的照面信息项列")
                    surface[spec["name"]] = row.text(label)
            if len(problems.items) > before or licence_type is None or issuer is None or holder is None:
                continue
            assert issued_on is not None
            try:
                licence = services.build_licence(
                    licence_type=licence_type,
                    issuer=issuer,
                    holder=holder,
                    surface=surface,
                    number=number,
                    issued_on=issued_on,
                    valid_from=valid_from,
                    valid_until=valid_until,
                    imported=True,
                )
            except DomainError as e:
                name = e.field or ""
                column = FIELD_COLUMNS.get(name)
                if name.startswith("surface."):
                    spec_name = name.split(".", 1)[1]
                    column = next(
                        (
                            s.get("label", s["name"])
                            for s in licence_type.surface_fields
                            if s["name"] == spec_name
                        ),
                        spec_name,
                    )
                problems.add(row.number, column, e.message)
                continue
            built.append(licence)
        if problems.items:
            transaction.set_rollback(True)
            raise_later = ImportFailed(problems.items)
        else:
            Licence.objects.bulk_create(built, batch_size=500)
            _audit(by, "licences.imported", Licence, f"导入存量证照{len(built)}条")
            raise_later = None
    if raise_later is not None:
        raise raise_later
    return len(built)


# ---------------------------------------------------------------------------------------------
# Templates


def types_template() -> bytes:
    wb = ExcelWriter()
    sheet = wb.sheet("证照目录", [Column(c, 28, text=True) for c in TYPE_COLUMNS])
    sheet.append(
        [
            "食品经营许可证",
            "11440300MB2C00001X001",
            "11440300MB2C00001X",
            "11440300MB2C00001X",
            "法人",
            "5",
            "address:经营场所；main_body:主体业态；scope:经营项目",
            "证书",
        ]
    )
    return wb.to_bytes()


def licences_template(licence_type: LicenceType | None = None) -> bytes:
    labels = [s.get("label", s["name"]) for s in (licence_type.surface_fields if licence_type else [])]
    columns = [Column(c, 20, text=True) for c in (*LICENCE_COLUMNS, *labels)]
    if not labels:
        columns.append(Column("（照面信息项，按证照类型逐列填写，列名为照面项标签）", 40, text=True))
    wb = ExcelWriter()
    sheet = wb.sheet("存量证照", columns)
    if licence_type is not None:
        sheet.append([licence_type.code, "", "", "2020-01-01", "", "", "", "", *["" for _ in labels]])
    return wb.to_bytes()
