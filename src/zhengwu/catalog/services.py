"""Writes to the catalogue (事项清单 and 一件事). Every change to an item or a bundle goes through
these functions — the API, the Excel import, the pages and the admin actions call them — so the
rules are the same everywhere.

Conventions:

* keyword-only, atomic, the acting user is ``by``; every write leaves an audit record;
* malformed input (a wrong type, a missing field, an unknown key) raises ``InvalidInput`` (400);
* a rule violation raises ``DomainError`` (422) — all the rule violations found, not just the
  first, in ``errors`` keyed by field name (materials as ``materials[0].critical``), each message
  in Chinese and naming the field; state conflicts (editing a published version) raise
  ``Conflict`` (409). Nothing is written when any of them is raised.

Versioning: an item is identified by its 实施编码; each row is one version. Only a draft is
edited. ``new_version`` copies a version as the next draft; ``publish_item`` publishes the draft
from today and retires the version it replaces (valid_until = today), and moves the bundles that
contained the old version onto the new one. Cases keep pointing at the version they were
accepted under.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any, TypeAlias

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from zhengwu.core import audit
from zhengwu.core.errors import Conflict, DomainError, InvalidInput
from zhengwu.licences.models import LicenceType
from zhengwu.org.models import Department, Level

from . import selectors
from .models import (
    Bundle,
    BundleItem,
    CaseType,
    ItemMaterial,
    ItemType,
    LifeEvent,
    Material,
    MaterialKind,
    OnlineDepth,
    OnRefusal,
    ServiceItem,
    ServiceObject,
    VersionStatus,
)

Actor: TypeAlias = AbstractBaseUser | AnonymousUser | None
Errors: TypeAlias = dict[str, list[str]]

CODE_LENGTH = 31
USCC_LENGTH = 18
BASIC_CODE_RE = re.compile(r"[0-9A-Z]{12}")
MAX_LIMIT_DAYS = Decimal("9999.99")

# Short Chinese names of the fields, as the Excel headers and the messages use them.
ITEM_LABELS: dict[str, str] = {
    "name": "事项名称",
    "basic_code": "基本编码",
    "implementation_code": "实施编码",
    "item_type": "事项类型",
    "department": "实施主体",
    "level": "行使层级",
    "service_objects": "服务对象",
    "legal_limit_days": "法定办结时限",
    "promised_limit_days": "承诺办结时限",
    "case_type": "办件类型",
    "trips": "到办事现场次数",
    "online_depth": "网办深度",
    "charges_fee": "是否收费",
    "fee_description": "收费标准",
    "legal_basis": "设定依据",
    "conditions": "受理条件",
    "process_steps": "办理流程",
    "form_fields": "申请表字段",
    "result_name": "审批结果名称",
    "result_licence_type": "结果证照类型",
    "consultation_phone": "咨询电话",
    "life_events": "人生事件",
}
MATERIAL_LABELS: dict[str, str] = {
    "material": "材料",
    "name": "材料名称",
    "issuing_body": "出具单位",
    "kind": "类别",
    "licence_type": "可替代电子证照类型",
    "originals": "原件份数",
    "copies": "复印件份数",
    "required": "必要",
    "critical": "关键材料",
    "note": "填报须知",
}
REQUIRED_ITEM_FIELDS = (
    "name",
    "implementation_code",
    "item_type",
    "department",
    "service_objects",
    "legal_limit_days",
    "promised_limit_days",
    "case_type",
)
ITEM_DEFAULTS: dict[str, Any] = {
    "basic_code": "",
    "level": None,
    "trips": 0,
    "online_depth": OnlineDepth.OFFLINE.value,
    "charges_fee": False,
    "fee_description": "",
    "legal_basis": "",
    "conditions": "",
    "process_steps": [],
    "form_fields": [],
    "result_name": "",
    "result_licence_type": None,
    "consultation_phone": "",
    "life_events": [],
}
_TEXT_FIELDS = {
    "name": 200,
    "basic_code": 12,
    "implementation_code": 31,
    "item_type": 2,
    "fee_description": 500,
    "legal_basis": None,
    "conditions": None,
    "result_name": 200,
    "consultation_phone": 50,
}
_CODE_FIELDS = ("implementation_code", "basic_code", "item_type")  # their own messages say what is wrong
_INT_FIELDS = ("level", "trips", "case_type", "online_depth")
_DECIMAL_FIELDS = ("legal_limit_days", "promised_limit_days")
# Fields stored on the ServiceItem row (life_events is a many-to-many, written separately).
_ROW_FIELDS = tuple(f for f in (*REQUIRED_ITEM_FIELDS, *ITEM_DEFAULTS) if f != "life_events")


# ---------------------------------------------------------------------------------------------
# Input cleaning (types: InvalidInput, 400)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def to_decimal(value: object, label: str) -> Decimal:
    """A number as Decimal; floats go through their shortest repr so 77.5 stays 77.5."""
    if isinstance(value, bool):
        raise InvalidInput(f"{label}应为数字")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise InvalidInput(f"{label}应为数字，实际为「{value}」") from None
    else:
        raise InvalidInput(f"{label}应为数字")
    if not result.is_finite():
        raise InvalidInput(f"{label}应为数字，实际为「{value}」")
    return result


def licence_type_by_name(value: Any, label: str, *, field: str) -> LicenceType | None:
    """A licence type given as a LicenceType, its name (证照名称) or blank (None); an unknown
    name raises ``InvalidInput`` naming the field."""
    if value is None or isinstance(value, LicenceType):
        return value
    if not isinstance(value, str):
        raise InvalidInput(f"{label}应为证照目录中的证照名称", field=field)
    name = value.strip()
    if not name:
        return None
    found = LicenceType.objects.filter(name=name).first()
    if found is None:
        raise InvalidInput(f"{label}「{name}」未在证照目录中登记，请先在证照目录中添加", field=field)
    return found


def _clean_value(field: str, value: Any) -> Any:
    label = ITEM_LABELS[field]
    if field in _TEXT_FIELDS:
        if not isinstance(value, str):
            raise InvalidInput(f"{label}应为文本", field=field)
        value = value.strip()
        return value.upper() if field in ("implementation_code", "basic_code") else value
    if field in _INT_FIELDS:
        if value is None and field == "level":
            return None
        if not _is_int(value):
            raise InvalidInput(f"{label}应为整数", field=field)
        return value
    if field in _DECIMAL_FIELDS:
        try:
            return to_decimal(value, label)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field=field) from None
    if field == "result_licence_type":
        return licence_type_by_name(value, label, field=field)
    if field == "charges_fee":
        if not isinstance(value, bool):
            raise InvalidInput(f"{label}应为是或否（true/false）", field=field)
        return value
    if field == "department":
        if isinstance(value, Department):
            return value
        if _is_int(value):
            dept = Department.objects.select_related("region").filter(pk=value).first()
            if dept is None:
                raise InvalidInput(f"实施主体（编号{value}）不存在", field=field)
            return dept
        raise InvalidInput("实施主体应为部门", field=field)
    if field in ("service_objects", "process_steps"):
        if not isinstance(value, list | tuple) or not all(isinstance(v, str | int) for v in value):
            raise InvalidInput(f"{label}应为文本列表", field=field)
        return [str(v).strip() for v in value]
    if field == "form_fields":
        if not isinstance(value, list | tuple) or not all(isinstance(v, dict) for v in value):
            raise InvalidInput(f"{label}应为列表，每项含 name 和 label", field=field)
        return [dict(v) for v in value]
    if field == "life_events":
        if not isinstance(value, list | tuple | set):
            raise InvalidInput(f"{label}应为列表", field=field)
        events = [v for v in value if isinstance(v, LifeEvent)]
        ids = [v for v in value if _is_int(v)]
        if len(events) + len(ids) != len(value):
            raise InvalidInput(f"{label}应为人生事件列表", field=field)
        found = list(LifeEvent.objects.filter(pk__in=ids))
        if len(found) != len(set(ids)):
            missing = sorted(set(ids) - {e.pk for e in found})
            raise InvalidInput(f"人生事件（编号{'、'.join(map(str, missing))}）不存在", field=field)
        return [*events, *found]
    raise InvalidInput(f"未知字段：{field}", field=field)  # pragma: no cover - guarded by callers


def clean_item_data(data: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Check the types of ``data`` and fill the defaults; raises ``InvalidInput`` (400).

    ``data`` uses the model's field names; ``department`` is a Department (or its id),
    ``life_events`` LifeEvents (or ids). With ``partial`` only the given keys are returned."""
    unknown = sorted(set(data) - set(ITEM_LABELS))
    if unknown:
        raise InvalidInput(f"未知字段：{'、'.join(unknown)}", field=unknown[0])
    if not partial:
        missing = [f for f in REQUIRED_ITEM_FIELDS if data.get(f) is None]
        if missing:
            labels = "、".join(ITEM_LABELS[f] for f in missing)
            raise InvalidInput(
                f"缺少必填项：{labels}",
                field=missing[0],
                errors={f: [f"请填写{ITEM_LABELS[f]}"] for f in missing},
            )
    values = {} if partial else dict(ITEM_DEFAULTS)
    for field, value in data.items():
        values[field] = _clean_value(field, value)
    code = values.get("implementation_code")
    if not partial and not values.get("basic_code") and isinstance(code, str) and len(code) == CODE_LENGTH:
        values["basic_code"] = code[USCC_LENGTH + 1 :]
    return values


def clean_material_data(data: Mapping[str, Any], *, index: int | None = None) -> dict[str, Any]:
    """A material line: either ``material`` (a Material) or ``name`` (+ ``issuing_body``) naming
    one, with ``kind``/``licence_type`` (blank: as already registered; the licence type a
    LicenceType or its name), ``originals``, ``copies``, ``required``, ``critical``, ``note``.
    ``index`` (from 0) places an unknown licence type name as ``materials[i].licence_type``."""
    unknown = sorted(set(data) - set(MATERIAL_LABELS))
    if unknown:
        raise InvalidInput(f"材料含未知字段：{'、'.join(unknown)}", field="materials")
    out: dict[str, Any] = {
        "material": None,
        "name": "",
        "issuing_body": "",
        "kind": "",
        "licence_type": None,
        "originals": 1,
        "copies": 0,
        "required": True,
        "critical": False,
        "note": "",
    }
    for key, value in data.items():
        label = MATERIAL_LABELS[key]
        if key == "material":
            if value is not None and not isinstance(value, Material):
                raise InvalidInput("材料应为已登记的材料", field="materials")
        elif key in ("originals", "copies"):
            if not _is_int(value):
                raise InvalidInput(f"{label}应为整数", field="materials")
        elif key in ("required", "critical"):
            if not isinstance(value, bool):
                raise InvalidInput(f"{label}应为是或否（true/false）", field="materials")
        elif key == "licence_type" and (value is None or isinstance(value, LicenceType)):
            pass
        elif not isinstance(value, str):
            raise InvalidInput(f"{label}应为文本", field="materials")
        else:
            value = value.strip()
        out[key] = value
    where = "" if index is None else f"第{index + 1}项材料："
    field = "materials" if index is None else f"materials[{index}].licence_type"
    out["licence_type"] = licence_type_by_name(out["licence_type"], f"{where}可替代电子证照类型", field=field)
    if out["material"] is not None:
        material: Material = out["material"]
        out.update(name=material.name, issuing_body=material.issuing_body)
        out["kind"] = out["kind"] or material.kind
        out["licence_type"] = out["licence_type"] or material.licence_type
    return out


# ---------------------------------------------------------------------------------------------
# Rules (DomainError, 422)


def fmt_days(value: Decimal) -> str:
    """748.00 → "748", 77.50 → "77.5"."""
    text = f"{value.normalize():f}"
    return text


def limit_errors(value: Decimal, label: str) -> list[str]:
    """A time limit in working days: not negative, at most two decimals, at most 9999.99."""
    problems = []
    if value < 0:
        problems.append(f"{label}不能为负数（实际为{fmt_days(value)}）")
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        problems.append(f"{label}最多保留两位小数（实际为{fmt_days(value)}）")
    if value > MAX_LIMIT_DAYS:
        problems.append(f"{label}不能超过{MAX_LIMIT_DAYS}个工作日")
    return problems


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _merge(errors: Errors, more: Errors, prefix: str = "") -> None:
    for key, messages in more.items():
        errors.setdefault(f"{prefix}{key}", []).extend(messages)


def implementation_code_errors(code: str, *, department: Department, level: int) -> list[str]:
    """实施编码 = 实施主体统一社会信用代码 (18) + 行使层级 (1) + 基本编码 (12): say which part is wrong."""
    if len(code) != CODE_LENGTH:
        return [
            f"实施编码应为31位（实施主体统一社会信用代码18位 + 行使层级1位 + 基本编码12位），实际为{len(code)}位"
        ]
    problems = []
    uscc_part, level_part, basic_part = code[:USCC_LENGTH], code[USCC_LENGTH], code[USCC_LENGTH + 1 :]
    if uscc_part != department.uscc:
        problems.append(
            f"实施编码第1–18位应为实施主体「{department.name}」的统一社会信用代码 {department.uscc}，实际为 {uscc_part}"
        )
    if level_part != str(level):
        problems.append(
            f"实施编码第19位（行使层级）应为 {level}（{Level(level).label}，与实施主体所在区划一致），实际为 {level_part}"
        )
    if not BASIC_CODE_RE.fullmatch(basic_part):
        problems.append(f"实施编码第20–31位（基本编码）应为12位数字或大写字母，实际为 {basic_part}")
    return problems


def item_rule_errors(values: Mapping[str, Any]) -> Errors:
    """Every rule an item breaks, keyed by field. ``values`` is what ``clean_item_data`` returns
    (all fields). Reads nothing but the department already given."""
    errors: Errors = {}
    for field, max_length in _TEXT_FIELDS.items():
        text = values.get(field) or ""
        if max_length is not None and len(text) > max_length and field not in _CODE_FIELDS:
            _add(errors, field, f"{ITEM_LABELS[field]}不能超过{max_length}个字")
    if not values.get("name"):
        _add(errors, "name", "事项名称不能为空")

    department: Department = values["department"]
    if not department.is_active:
        _add(errors, "department", f"实施主体「{department.name}」已停用")
    dept_level = department.level
    level = values.get("level")
    if level is not None and level != dept_level:
        _add(
            errors,
            "level",
            f"行使层级（{level}）应与实施主体「{department.name}」所在区划的层级一致（{dept_level} {Level(dept_level).label}）",
        )
    code: str = values["implementation_code"]
    for message in implementation_code_errors(code, department=department, level=dept_level):
        _add(errors, "implementation_code", message)
    basic_code: str = values.get("basic_code") or ""
    if not BASIC_CODE_RE.fullmatch(basic_code):
        _add(errors, "basic_code", f"基本编码应为12位数字或大写字母，实际为「{basic_code}」")
    elif len(code) == CODE_LENGTH and code[USCC_LENGTH + 1 :] != basic_code:
        _add(
            errors,
            "basic_code",
            f"基本编码 {basic_code} 应与实施编码第20–31位 {code[USCC_LENGTH + 1 :]} 一致",
        )

    if values["item_type"] not in ItemType.values:
        options = "、".join(f"{c.value} {c.label}" for c in ItemType)
        _add(errors, "item_type", f"事项类型「{values['item_type']}」无效，应为：{options}")

    objects: list[str] = values["service_objects"]
    if not objects:
        _add(errors, "service_objects", "请至少填写一个服务对象")
    bad = [o for o in objects if o not in ServiceObject.values]
    if bad:
        options = "、".join(f"{c.value} {c.label}" for c in ServiceObject)
        _add(errors, "service_objects", f"服务对象代码「{'、'.join(bad)}」无效，可选：{options}")
    if len(set(objects)) != len(objects):
        _add(errors, "service_objects", "服务对象代码重复")

    legal: Decimal = values["legal_limit_days"]
    promised: Decimal = values["promised_limit_days"]
    for field, value in (("legal_limit_days", legal), ("promised_limit_days", promised)):
        for message in limit_errors(value, ITEM_LABELS[field]):
            _add(errors, field, message)
    if promised > legal:
        _add(
            errors,
            "promised_limit_days",
            f"承诺办结时限（{fmt_days(promised)}）不能超过法定办结时限（{fmt_days(legal)}）",
        )
    case_type = values["case_type"]
    if case_type not in CaseType.values:
        _add(errors, "case_type", f"办件类型应为 1（即办件）或 2（承诺件），实际为「{case_type}」")
    elif case_type == CaseType.IMMEDIATE and promised != 0:
        _add(
            errors, "promised_limit_days", f"即办件当场办结，承诺办结时限应为0（实际为{fmt_days(promised)}）"
        )
    elif case_type == CaseType.PROMISED and promised == 0:
        _add(errors, "promised_limit_days", "承诺件的承诺办结时限应大于0；当场办结的事项请选择即办件")

    if values["trips"] < 0:
        _add(errors, "trips", f"到办事现场次数不能为负数（实际为{values['trips']}）")
    if values["online_depth"] not in OnlineDepth.values:
        options = "、".join(f"{c.value}（{c.label}）" for c in OnlineDepth)
        _add(errors, "online_depth", f"网办深度应为{options}之一，实际为「{values['online_depth']}」")
    if values["charges_fee"] and not values["fee_description"]:
        _add(errors, "fee_description", "收费的事项请填写收费标准")

    for i, step in enumerate(values["process_steps"], start=1):
        if not step:
            _add(errors, "process_steps", f"办理流程第{i}个环节名称不能为空")
    seen: set[str] = set()
    for i, form_field in enumerate(values["form_fields"], start=1):
        name, label = form_field.get("name"), form_field.get("label")
        if not isinstance(name, str) or not name.strip() or not isinstance(label, str) or not label.strip():
            _add(errors, "form_fields", f"申请表第{i}个字段应有名称（name）和标签（label）")
        elif name in seen:
            _add(errors, "form_fields", f"申请表字段「{name}」重复")
        else:
            seen.add(name)
    return errors


def material_rule_errors(line: Mapping[str, Any]) -> Errors:
    """Rules of one material line (as ``clean_material_data`` returns it), keyed by field."""
    errors: Errors = {}
    if not line["name"]:
        _add(errors, "name", "材料名称不能为空")
    elif len(line["name"]) > 200:
        _add(errors, "name", "材料名称不能超过200个字")
    if len(line["issuing_body"]) > 200:
        _add(errors, "issuing_body", "出具单位不能超过200个字")
    if line["kind"] and line["kind"] not in MaterialKind.values:
        _add(errors, "kind", f"材料类别应为 {MaterialKind.DOCUMENT.label} 或 {MaterialKind.FORM.label}")
    for field in ("originals", "copies"):
        if line[field] < 0:
            _add(errors, field, f"{MATERIAL_LABELS[field]}不能为负数")
        elif line[field] > 99:
            _add(errors, field, f"{MATERIAL_LABELS[field]}不能超过99")
    if line["originals"] == 0 and line["copies"] == 0:
        _add(errors, "originals", "原件份数和复印件份数不能都为0")
    if line["critical"] and not line["required"]:
        _add(errors, "critical", "关键材料必须是必要材料")
    return errors


def material_conflict_errors(line: Mapping[str, Any]) -> Errors:
    """A material is shared by every item that asks for it: a line naming an existing material
    may fill in its missing e-licence type, but not contradict what is registered."""
    if line["material"] is not None:
        return {}
    existing = Material.objects.filter(name=line["name"], issuing_body=line["issuing_body"]).first()
    if existing is None:
        return {}
    errors: Errors = {}
    label = f"材料「{existing.name}」" + (f"（{existing.issuing_body}）" if existing.issuing_body else "")
    if line["kind"] and line["kind"] != existing.kind:
        _add(
            errors,
            "kind",
            f"{label}已登记为{existing.get_kind_display()}，与填写的"
            f"{MaterialKind(line['kind']).label if line['kind'] in MaterialKind.values else line['kind']}不一致",
        )
    wanted: LicenceType | None = line["licence_type"]
    if wanted is not None and existing.licence_type_id and wanted.pk != existing.licence_type_id:
        _add(
            errors,
            "licence_type",
            f"{label}已登记的可替代电子证照类型为「{existing.licence_type}」，与填写的「{line['licence_type']}」不一致；"
            "材料为多个事项共用，请在材料管理中修改",
        )
    return errors


def materials_errors(lines: Sequence[Mapping[str, Any]]) -> Errors:
    """Rules of an item's material list, keyed ``materials[i].field`` (i from 0)."""
    errors: Errors = {}
    seen: dict[tuple[str, str], int] = {}
    for i, line in enumerate(lines):
        prefix = f"materials[{i}]."
        _merge(errors, material_rule_errors(line), prefix)
        _merge(errors, material_conflict_errors(line), prefix)
        key = (line["name"], line["issuing_body"])
        if line["name"] and key in seen:
            _add(errors, f"{prefix}name", f"材料「{line['name']}」与第{seen[key] + 1}项材料重复")
        seen.setdefault(key, i)
    return errors


def raise_if_errors(errors: Errors) -> None:
    """Raise one DomainError carrying every problem; its message is the first one, located."""
    if not errors:
        return
    field, messages = next(iter(errors.items()))
    message = messages[0]
    if match := re.fullmatch(r"materials\[(\d+)\]\.\w+", field):
        message = f"第{int(match.group(1)) + 1}项材料：{message}"
    raise DomainError(message, field=field, errors=errors)


# ---------------------------------------------------------------------------------------------
# Items


def item_snapshot(item: ServiceItem) -> dict[str, Any]:
    """The item as JSON for the audit trail."""
    return {
        "name": item.name,
        "implementation_code": item.implementation_code,
        "basic_code": item.basic_code,
        "item_type": item.item_type,
        "department": item.department.uscc,
        "level": item.level,
        "service_objects": list(item.service_objects),
        "legal_limit_days": f"{item.legal_limit_days:.2f}",
        "promised_limit_days": f"{item.promised_limit_days:.2f}",
        "case_type": item.case_type,
        "trips": item.trips,
        "online_depth": item.online_depth,
        "charges_fee": item.charges_fee,
        "fee_description": item.fee_description,
        "conditions": item.conditions,
        "process_steps": list(item.process_steps),
        "form_fields": list(item.form_fields),
        "result_name": item.result_name,
        "result_licence_type": item.result_licence_type.name if item.result_licence_type else "",
        "version": item.version,
        "status": item.status,
        "valid_from": item.valid_from.isoformat() if item.valid_from else None,
        "valid_until": item.valid_until.isoformat() if item.valid_until else None,
        "materials": [
            [m.material.name, m.material.issuing_body, m.originals, m.copies, m.required, m.critical]
            for m in item.item_materials.select_related("material")
        ],
    }


def _resolve_material(line: Mapping[str, Any], by: Actor) -> Material:
    if line["material"] is not None:
        material: Material = line["material"]
        return material
    material, created = Material.objects.get_or_create(
        name=line["name"],
        issuing_body=line["issuing_body"],
        defaults={"kind": line["kind"] or MaterialKind.DOCUMENT, "licence_type": line["licence_type"]},
    )
    if created:
        audit.record(actor=by, action="新建材料", obj=material, summary=f"新建材料「{material.name}」")
    elif line["licence_type"] is not None and material.licence_type_id is None:
        material.licence_type = line["licence_type"]
        material.save(update_fields=["licence_type"])
        audit.record(
            actor=by,
            action="修改材料",
            obj=material,
            summary=f"材料「{material.name}」补充可替代电子证照类型「{material.licence_type}」",
            before={"licence_type": ""},
            after={"licence_type": line["licence_type"].name},
        )
    return material


def _write_materials(item: ServiceItem, lines: Sequence[Mapping[str, Any]], by: Actor) -> None:
    item.item_materials.all().delete()
    ItemMaterial.objects.bulk_create(
        ItemMaterial(
            item=item,
            material=_resolve_material(line, by),
            originals=line["originals"],
            copies=line["copies"],
            required=line["required"],
            critical=line["critical"],
            note=line["note"],
            order=order,
        )
        for order, line in enumerate(lines, start=1)
    )


@contextmanager
def _unique(message: str, field: str) -> Iterator[None]:
    """A unique constraint hit by a concurrent writer (the checks above passed) is a Conflict."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        raise Conflict(message, field=field) from exc


def _check_code_free(code: str, errors: Errors, *, exclude_pk: int | None = None) -> None:
    others = ServiceItem.objects.filter(implementation_code=code)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    latest = others.aggregate(v=Max("version"))["v"]
    if latest is not None:
        _add(
            errors,
            "implementation_code",
            f"实施编码 {code} 已存在（现有第{latest}版），请在现有事项上创建新版本",
        )


@transaction.atomic
def create_item(*, data: Mapping[str, Any], materials: Sequence[Mapping[str, Any]], by: Actor) -> ServiceItem:
    """A new item (version 1, draft) with its materials."""
    values = clean_item_data(data)
    lines = [clean_material_data(m, index=i) for i, m in enumerate(materials)]
    errors = item_rule_errors(values)
    _merge(errors, materials_errors(lines))
    _check_code_free(values["implementation_code"], errors)
    raise_if_errors(errors)

    department: Department = values["department"]
    row = {f: values[f] for f in _ROW_FIELDS}
    row["level"] = department.level
    with _unique(
        f"实施编码 {row['implementation_code']} 已存在，请在现有事项上创建新版本", "implementation_code"
    ):
        item = ServiceItem.objects.create(**row, version=1, status=VersionStatus.DRAFT)
    item.life_events.set(values["life_events"])
    _write_materials(item, lines, by)
    audit.record(
        actor=by,
        action="新建事项",
        obj=item,
        summary=f"新建事项「{item.name}」（{item.implementation_code}，第1版草稿）",
        after=item_snapshot(item),
    )
    return item


def _current_values(item: ServiceItem) -> dict[str, Any]:
    values = {f: getattr(item, f) for f in _ROW_FIELDS}
    values["life_events"] = list(item.life_events.all())
    return values


def _current_lines(item: ServiceItem) -> list[dict[str, Any]]:
    return [
        clean_material_data(
            {
                "material": m.material,
                "originals": m.originals,
                "copies": m.copies,
                "required": m.required,
                "critical": m.critical,
                "note": m.note,
            }
        )
        for m in item.item_materials.select_related("material__licence_type")
    ]


def _lock(item: ServiceItem) -> ServiceItem:
    return ServiceItem.objects.select_for_update().select_related("department__region").get(pk=item.pk)


@transaction.atomic
def update_item(
    *,
    item: ServiceItem,
    data: Mapping[str, Any],
    materials: Sequence[Mapping[str, Any]] | None = None,
    by: Actor,
) -> ServiceItem:
    """Change a draft. ``data`` holds only the fields to change; ``materials``, when given,
    replaces the whole material list. A published or retired version is never edited."""
    locked = _lock(item)
    if locked.status != VersionStatus.DRAFT:
        raise Conflict(
            f"「{locked.name}」第{locked.version}版{locked.get_status_display()}，不能修改；请先创建新版本",
            field="status",
        )
    before = item_snapshot(locked)
    changes = clean_item_data(data, partial=True)
    values = {**_current_values(locked), **changes}
    if "implementation_code" in changes and "basic_code" not in changes:
        code = changes["implementation_code"]
        values["basic_code"] = code[USCC_LENGTH + 1 :] if len(code) == CODE_LENGTH else ""
    lines = (
        [clean_material_data(m, index=i) for i, m in enumerate(materials)]
        if materials is not None
        else _current_lines(locked)
    )
    errors = item_rule_errors(values)
    if materials is not None:
        _merge(errors, materials_errors(lines))
    if values["implementation_code"] != locked.implementation_code:
        if locked.version > 1:
            _add(errors, "implementation_code", "新版本不能修改实施编码；实施编码不同的是另一个事项")
        else:
            _check_code_free(values["implementation_code"], errors, exclude_pk=locked.pk)
    raise_if_errors(errors)

    for field in _ROW_FIELDS:
        setattr(locked, field, values[field])
    locked.level = values["department"].level
    locked.save()
    if "life_events" in changes:
        locked.life_events.set(values["life_events"])
    if materials is not None:
        _write_materials(locked, lines, by)
    audit.record(
        actor=by,
        action="修改事项",
        obj=locked,
        summary=f"修改事项「{locked.name}」第{locked.version}版草稿",
        before=before,
        after=item_snapshot(locked),
    )
    return locked


@transaction.atomic
def new_version(*, item: ServiceItem, by: Actor) -> ServiceItem:
    """Copy ``item`` (usually the published version) as the next draft. One draft at a time."""
    versions = list(
        ServiceItem.objects.select_for_update()
        .filter(implementation_code=item.implementation_code)
        .order_by("version")
    )
    drafts = [v for v in versions if v.status == VersionStatus.DRAFT]
    if drafts:
        raise Conflict(
            f"「{item.name}」已有第{drafts[-1].version}版草稿，请编辑或发布该草稿，不要另建新版本",
            field="version",
        )
    source = _lock(item)
    with _unique(f"「{item.name}」的新版本已由他人创建，请刷新后编辑该草稿", "version"):
        copy = ServiceItem.objects.create(
            **{f: getattr(source, f) for f in _ROW_FIELDS},
            version=max(v.version for v in versions) + 1,
            status=VersionStatus.DRAFT,
        )
    copy.life_events.set(source.life_events.all())
    ItemMaterial.objects.bulk_create(
        ItemMaterial(
            item=copy,
            material_id=m.material_id,
            originals=m.originals,
            copies=m.copies,
            required=m.required,
            critical=m.critical,
            note=m.note,
            order=m.order,
        )
        for m in source.item_materials.all()
    )
    audit.record(
        actor=by,
        action="新建事项版本",
        obj=copy,
        summary=f"由「{source.name}」第{source.version}版创建第{copy.version}版草稿",
        after=item_snapshot(copy),
    )
    return copy


@transaction.atomic
def publish_item(*, item: ServiceItem, by: Actor) -> ServiceItem:
    """Publish a draft from today; the version it replaces is retired today, and the bundles
    that contained that version now contain this one."""
    locked = _lock(item)
    if locked.status != VersionStatus.DRAFT:
        raise Conflict(
            f"「{locked.name}」第{locked.version}版{locked.get_status_display()}，只有草稿可以发布",
            field="status",
        )
    # A draft may have been touched outside the services (the admin): check it again.
    errors = item_rule_errors(_current_values(locked))
    _merge(errors, materials_errors(_current_lines(locked)))
    raise_if_errors(errors)

    today = timezone.localdate()
    previous = list(
        ServiceItem.objects.select_for_update()
        .filter(implementation_code=locked.implementation_code, status=VersionStatus.PUBLISHED)
        .exclude(pk=locked.pk)
    )
    for old in previous:
        old.status = VersionStatus.RETIRED
        old.valid_until = max(today, old.valid_from) if old.valid_from else today
        old.save(update_fields=["status", "valid_until", "updated_at"])
        audit.record(
            actor=by,
            action="废止事项",
            obj=old,
            summary=f"「{old.name}」第{old.version}版由第{locked.version}版取代",
            before={"status": VersionStatus.PUBLISHED},
            after={"status": VersionStatus.RETIRED, "valid_until": old.valid_until.isoformat()},
        )
        for link in BundleItem.objects.filter(item=old).select_related("bundle"):
            if BundleItem.objects.filter(bundle=link.bundle, item=locked).exists():
                link.delete()
            else:
                link.item = locked
                link.save(update_fields=["item"])
        BundleItem.objects.filter(after=old).update(after=locked)  # 前置事项 follows the new version
        for link in BundleItem.objects.filter(item=locked).select_related("bundle"):
            audit.record(
                actor=by,
                action="修改一件事",
                obj=link.bundle,
                summary=f"一件事「{link.bundle.name}」所含事项「{locked.name}」更新为第{locked.version}版",
            )
    locked.status = VersionStatus.PUBLISHED
    locked.valid_from = today
    locked.valid_until = None
    locked.save(update_fields=["status", "valid_from", "valid_until", "updated_at"])
    audit.record(
        actor=by,
        action="发布事项",
        obj=locked,
        summary=f"发布「{locked.name}」第{locked.version}版，{today.isoformat()}起生效",
        before={"status": VersionStatus.DRAFT},
        after={"status": VersionStatus.PUBLISHED, "valid_from": today.isoformat()},
    )
    return locked


# ---------------------------------------------------------------------------------------------
# Bundles (一件事)


def bundle_items_errors(items: Sequence[ServiceItem]) -> list[str]:
    """At least two distinct items, none retired, one version of each item."""
    problems = []
    distinct = list({item.pk: item for item in items}.values())
    if len(distinct) < 2:
        problems.append("一件事至少包含两个事项")
    codes: set[str] = set()
    for item in distinct:
        if item.status == VersionStatus.RETIRED:
            problems.append(f"事项「{item.name}」第{item.version}版已废止，请选择现行版本")
        if item.implementation_code in codes:
            problems.append(
                f"事项「{item.name}」的两个版本不能同时列入（实施编码 {item.implementation_code}）"
            )
        codes.add(item.implementation_code)
    return problems


def bundle_limit_errors(promised_limit_days: Decimal, items: Sequence[ServiceItem]) -> list[str]:
    """A bundle promises no more than its items' legal limits together."""
    distinct = list({item.pk: item for item in items}.values())
    legal_total = sum((item.legal_limit_days for item in distinct), Decimal(0))
    if distinct and promised_limit_days > legal_total:
        return [
            f"一件事承诺办结时限（{fmt_days(promised_limit_days)}）不能超过所含事项法定办结时限之和"
            f"（{fmt_days(legal_total)}）"
        ]
    return []


def bundle_rule_errors(
    *,
    name: str,
    lead_department: Department,
    items: Sequence[ServiceItem],
    promised_limit_days: Decimal,
    trips: int,
    process_steps: Sequence[str],
    exclude_pk: int | None = None,
) -> Errors:
    """Every rule a bundle breaks, keyed by field."""
    errors: Errors = {}
    if not name:
        _add(errors, "name", "一件事名称不能为空")
    elif len(name) > 100:
        _add(errors, "name", "一件事名称不能超过100个字")
    elif Bundle.objects.filter(name=name).exclude(pk__in=[exclude_pk] if exclude_pk else []).exists():
        _add(errors, "name", f"一件事「{name}」已存在")
    if not lead_department.is_active:
        _add(errors, "lead_department", f"牵头部门「{lead_department.name}」已停用")

    for message in bundle_items_errors(items):
        _add(errors, "items", message)
    for message in limit_errors(promised_limit_days, "承诺办结时限"):
        _add(errors, "promised_limit_days", message)
    for message in bundle_limit_errors(promised_limit_days, items):
        _add(errors, "promised_limit_days", message)
    if trips < 0:
        _add(errors, "trips", f"到办事现场次数不能为负数（实际为{trips}）")
    for i, step in enumerate(process_steps, start=1):
        if not step.strip():
            _add(errors, "process_steps", f"办理流程第{i}个环节名称不能为空")
    return errors


def _bundle_snapshot(bundle: Bundle) -> dict[str, Any]:
    return {
        "name": bundle.name,
        "life_event": bundle.life_event_id,
        "lead_department": bundle.lead_department_id,
        "promised_limit_days": f"{bundle.promised_limit_days:.2f}",
        "trips": bundle.trips,
        "process_steps": list(bundle.process_steps),
        "on_refusal": bundle.on_refusal,
        "status": bundle.status,
        "items": [
            [bi.item.implementation_code, bi.item.version]
            for bi in bundle.bundle_items.select_related("item")
        ],
    }


@transaction.atomic
def create_bundle(
    *,
    name: str,
    life_event: LifeEvent,
    lead_department: Department,
    items: Sequence[ServiceItem],
    promised_limit_days: Decimal | int | str,
    trips: int,
    process_steps: Sequence[str],
    description: str = "",
    after: Mapping[ServiceItem, ServiceItem] | None = None,
    on_refusal: str = OnRefusal.TRIM,
    by: Actor,
) -> Bundle:
    """一件事 (draft) packaging ``items`` in the given order; its savings are computed by
    ``selectors.bundle_savings``, never stored. ``after`` maps an item to the 前置事项 it waits
    for; ``on_refusal`` says what an application does when one item is refused."""
    if not isinstance(life_event, LifeEvent):
        raise InvalidInput("请选择人生事件", field="life_event")
    if not isinstance(lead_department, Department):
        raise InvalidInput("请选择牵头部门", field="lead_department")
    if not all(isinstance(i, ServiceItem) for i in items):
        raise InvalidInput("包含事项应为事项列表", field="items")
    if not _is_int(trips):
        raise InvalidInput("到办事现场次数应为整数", field="trips")
    if not all(isinstance(s, str) for s in process_steps):
        raise InvalidInput("办理流程应为文本列表", field="process_steps")
    if not isinstance(name, str) or not isinstance(description, str):
        raise InvalidInput("名称和简介应为文本", field="name")
    try:
        limit = to_decimal(promised_limit_days, "承诺办结时限")
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field="promised_limit_days") from None
    if on_refusal not in OnRefusal.values:
        raise InvalidInput("事项不予许可时的处理应为“其余事项继续办理”或“整件终止”", field="on_refusal")
    name = name.strip()
    steps = [s.strip() for s in process_steps]
    distinct = list({item.pk: item for item in items}.values())
    links = [
        BundleItem(item=item, order=order, after=(after or {}).get(item))
        for order, item in enumerate(distinct, start=1)
    ]
    order_problems = selectors.bundle_order_errors(links)
    if order_problems:
        raise InvalidInput(order_problems[0], field="after")
    raise_if_errors(
        bundle_rule_errors(
            name=name,
            lead_department=lead_department,
            items=items,
            promised_limit_days=limit,
            trips=trips,
            process_steps=steps,
        )
    )
    with _unique(f"一件事「{name}」已存在", "name"):
        bundle = Bundle.objects.create(
            name=name,
            life_event=life_event,
            lead_department=lead_department,
            description=description.strip(),
            promised_limit_days=limit,
            trips=trips,
            process_steps=steps,
            on_refusal=on_refusal,
            status=VersionStatus.DRAFT,
        )
    for link in links:
        link.bundle = bundle
    BundleItem.objects.bulk_create(links)
    audit.record(
        actor=by,
        action="新建一件事",
        obj=bundle,
        summary=f"新建一件事「{bundle.name}」，包含{len(distinct)}个事项",
        after=_bundle_snapshot(bundle),
    )
    return bundle


@transaction.atomic
def publish_bundle(*, bundle: Bundle, by: Actor) -> Bundle:
    """Publish a bundle; every item in it must be published."""
    locked = Bundle.objects.select_for_update().get(pk=bundle.pk)
    if locked.status == VersionStatus.PUBLISHED:
        raise Conflict(f"一件事「{locked.name}」已发布", field="status")
    errors: Errors = {}
    links = list(locked.bundle_items.select_related("item"))
    if len(links) < 2:
        _add(errors, "items", "一件事至少包含两个事项")
    for link in links:
        if link.item.status != VersionStatus.PUBLISHED:
            _add(
                errors,
                "items",
                f"事项「{link.item.name}」第{link.item.version}版{link.item.get_status_display()}，发布一件事前请先发布该事项",
            )
    for message in selectors.bundle_definition_errors(locked):
        _add(errors, "items", message)
    raise_if_errors(errors)
    before = locked.status
    locked.status = VersionStatus.PUBLISHED
    locked.save(update_fields=["status", "updated_at"])
    audit.record(
        actor=by,
        action="发布一件事",
        obj=locked,
        summary=f"发布一件事「{locked.name}」",
        before={"status": before},
        after={"status": locked.status},
    )
    return locked
