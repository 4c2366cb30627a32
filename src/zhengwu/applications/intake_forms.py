"""Forms of the window's 综合受理 screen (无差别受理). They check the shape of what the clerk typed
and what the screen offers (容缺 never for a 关键材料, 不适用 only for a material that is not 必要);
the rules of intake are the services', whose refusals ``place_error`` puts next to the field they
name. The applicant's details fill the item's own form where a field obviously maps (``PREFILL``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms

from zhengwu.accounts.models import Citizen, Enterprise
from zhengwu.catalog.models import ItemMaterial, ServiceItem
from zhengwu.core.errors import DomainError

from . import services
from .models import ApplicantKind, DeliveryMethod, MaterialStatus

TEXTAREA = forms.Textarea(attrs={"rows": 2})
EXEMPT_NOTE = "窗口核实免提交"
MAX_DEFER_DAYS = services.MAX_DEFER_DAYS

# ---------------------------------------------------------------------------------------------
# The item's form filled from the applicant
# ---------------------------------------------------------------------------------------------

# Which field of the item's form (ServiceItem.form_fields "name") takes which detail of the
# applicant on file. Written once, here: a name not listed is left for the clerk to type. The
# names are those the catalogue uses (catalog/demo.py FIELDS) and their obvious synonyms. An
# enterprise has no 公民身份号码 and a citizen no 统一社会信用代码 or 法定代表人: those stay empty.
PREFILL: dict[str, Mapping[str, str]] = {
    ApplicantKind.PERSON: {
        "applicant_name": "name",
        "name": "name",
        "id_number": "id_number",
        "applicant_id_number": "id_number",
        "phone": "phone",
        "applicant_phone": "phone",
        "contact_phone": "phone",
        "address": "address",
        "applicant_address": "address",
        "contact_name": "name",
    },
    ApplicantKind.ORGANISATION: {
        "applicant_name": "name",
        "name": "name",
        "enterprise_name": "name",
        "company_name": "name",
        "uscc": "uscc",
        "credit_code": "uscc",
        "legal_representative": "legal_representative",
        "phone": "phone",
        "applicant_phone": "phone",
        "contact_phone": "phone",
        "address": "address",
        "applicant_address": "address",
    },
}


def applicant_kind(applicant: Citizen | Enterprise) -> str:
    return ApplicantKind.PERSON if isinstance(applicant, Citizen) else ApplicantKind.ORGANISATION


def applicant_code(applicant: Citizen | Enterprise) -> str:
    return applicant.id_number if isinstance(applicant, Citizen) else applicant.uscc


def masked_code(applicant: Citizen | Enterprise) -> str:
    """A citizen's 公民身份号码 is personal data and shown masked; a USCC is public (营业执照)."""
    return applicant.masked_id_number if isinstance(applicant, Citizen) else applicant.uscc


def prefill(item: ServiceItem, applicant: Citizen | Enterprise) -> dict[str, str]:
    """The item's form fields that ``PREFILL`` maps, with the applicant's value (blank ones left out)."""
    mapping = PREFILL[applicant_kind(applicant)]
    out = {}
    for f in item.form_fields or []:
        attribute = mapping.get(f["name"])
        value = str(getattr(applicant, attribute, "") or "") if attribute else ""
        if value:
            out[f["name"]] = value
    return out


def contact_of(applicant: Citizen | Enterprise) -> dict[str, str]:
    """联系人 and 联系电话 to start from: the citizen, or the enterprise's 法定代表人 and phone."""
    if isinstance(applicant, Citizen):
        return {"contact_name": applicant.name, "contact_phone": applicant.phone}
    return {"contact_name": applicant.legal_representative, "contact_phone": applicant.phone}


def place_error(form: forms.Form, exc: DomainError, rename: Mapping[str, str] | None = None) -> None:
    """Put a service's refusal next to the field it names (``rename`` maps the service's field
    names to the form's), or above the form."""
    pairs = list(exc.errors.items()) if exc.errors else [(exc.field, [exc.message])]
    for field, messages in pairs:
        name = (rename or {}).get(field or "", field)
        for message in messages:
            form.add_error(name if name in form.fields else None, message)


# ---------------------------------------------------------------------------------------------
# 1. The applicant
# ---------------------------------------------------------------------------------------------


class RegisterForm(forms.Form):
    """登记新申请人 at the window: 自然人 (name, 公民身份号码, phone, address) or 法人 (name, 统一社会信用代码,
    法定代表人, phone, address). The number is checked by the service."""

    kind = forms.ChoiceField(
        label="申请人类型",
        choices=ApplicantKind.choices,
        widget=forms.RadioSelect,
        initial=ApplicantKind.PERSON,
    )
    code = forms.CharField(
        label="公民身份号码或统一社会信用代码",
        max_length=18,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    name = forms.CharField(label="姓名或单位名称", max_length=200)
    legal_representative = forms.CharField(
        label="法定代表人", max_length=50, required=False, help_text="法人必填"
    )
    phone = forms.CharField(
        label="联系电话", max_length=20, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    address = forms.CharField(label="地址", max_length=200, required=False)

    RENAME = {"id_number": "code", "uscc": "code", "applicant_kind": "kind"}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if (
            data.get("kind") == ApplicantKind.ORGANISATION
            and not (data.get("legal_representative") or "").strip()
        ):
            self.add_error("legal_representative", "法人请填写法定代表人")
        return data


def guess_kind(code: str) -> str:
    """A 公民身份号码 is 17 digits and a check character; anything else is taken for a USCC."""
    text = (code or "").strip()
    return ApplicantKind.PERSON if len(text) == 18 and text[:17].isdigit() else ApplicantKind.ORGANISATION


# ---------------------------------------------------------------------------------------------
# 3. The checklist: one row per material of the item version in force
# ---------------------------------------------------------------------------------------------

NOT_MARKED = ""
STATUS_LABELS = {
    NOT_MARKED: "未收",
    MaterialStatus.RECEIVED: "已收",
    MaterialStatus.DEFERRED: "容缺",
    MaterialStatus.EXEMPT: "免提交",
    MaterialStatus.NOT_APPLICABLE: "不适用",
}


class MaterialRowForm(forms.Form):
    """How the clerk marked one material: 已收 (with the originals and copies received), 容缺 (the
    signed 承诺 and a hand-in deadline), 免提交, 不适用, or not yet (未收); and, for 一次性告知补正,
    whether it must be supplied or corrected, and why."""

    status = forms.ChoiceField(label="收取情况", choices=list(STATUS_LABELS.items()), required=False)
    originals = forms.IntegerField(label="原件", min_value=0, max_value=99, required=False)
    copies = forms.IntegerField(label="复印件", min_value=0, max_value=99, required=False)
    commitment = forms.CharField(
        label="申请人承诺（已签字）",
        max_length=500,
        required=False,
        widget=TEXTAREA,
        help_text="申请人手写签字的书面承诺内容",
    )
    defer_days = forms.IntegerField(
        label="补交期限（工作日）", min_value=1, max_value=MAX_DEFER_DAYS, required=False
    )
    supplement = forms.BooleanField(label="需补正", required=False)
    reason = forms.CharField(label="补正原因", max_length=500, required=False)
    paper_reason = forms.CharField(
        label="仍需纸质材料的原因",
        max_length=200,
        required=False,
        help_text="已有电子证照的材料原则上免提交；确需纸质材料的，写明原因",
    )

    def __init__(self, *args: Any, use: ItemMaterial, licence: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", f"m{use.pk}")
        initial: dict[str, Any] = {"originals": use.originals, "copies": use.copies}
        if licence is not None:
            initial["status"] = MaterialStatus.EXEMPT
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.use = use
        self.licence = licence  # the applicant's e-licence that stands in for this material
        self.name = use.material.name

    @property
    def options(self) -> list[tuple[str, str]]:
        """The marks offered for this material: 容缺 never for a 关键材料, 不适用 only when not 必要."""
        allowed = [NOT_MARKED, MaterialStatus.RECEIVED]
        if not self.use.critical:
            allowed.append(MaterialStatus.DEFERRED)
        allowed.append(MaterialStatus.EXEMPT)
        if not self.use.required:
            allowed.append(MaterialStatus.NOT_APPLICABLE)
        return [(s, STATUS_LABELS[s]) for s in allowed]

    @property
    def current(self) -> str:
        value = self["status"].value()
        return str(value or NOT_MARKED)

    def clean_status(self) -> str:
        status = self.cleaned_data.get("status") or NOT_MARKED
        if status == MaterialStatus.DEFERRED and self.use.critical:
            raise forms.ValidationError(f"“{self.name}”是关键材料，不能容缺受理")
        if status == MaterialStatus.NOT_APPLICABLE and self.use.required:
            raise forms.ValidationError(f"“{self.name}”是必要材料，不能标为不适用")
        return status

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            self.licence is not None
            and data.get("status") == MaterialStatus.RECEIVED
            and not data.get("paper_reason")
        ):
            self.add_error(
                "paper_reason", f"“{self.name}”已由电子证照提供、免提交；如仍需纸质材料，请填写原因"
            )
        return data

    def mark(self) -> services.MaterialInput | None:
        """The clerk's mark as the services take it; None when not marked (未收)."""
        d = self.cleaned_data
        status = d.get("status") or NOT_MARKED
        if status == NOT_MARKED:
            return None
        mark = services.MaterialInput(self.use.pk, status)
        if status == MaterialStatus.RECEIVED:
            mark.originals, mark.copies = d.get("originals") or 0, d.get("copies") or 0
            if self.licence is not None:
                mark.note = d.get("paper_reason") or ""
        elif status == MaterialStatus.DEFERRED:
            mark.commitment, mark.defer_days = d.get("commitment") or "", d.get("defer_days")
        elif status == MaterialStatus.EXEMPT:
            mark.note = EXEMPT_NOTE
        return mark


@dataclass
class Checklist:
    """The rows of the checklist, bound together; ``rows_by_use`` finds the row a service's
    ``materials.<ItemMaterial id>`` refusal names."""

    rows: list[MaterialRowForm]

    @classmethod
    def of(
        cls,
        uses: Iterable[ItemMaterial],
        data: Mapping[str, Any] | None = None,
        *,
        applicant: Citizen | Enterprise | None = None,
    ) -> Checklist:
        """The rows; with ``applicant``, each material one of their e-licences covers is offered
        as 免提交 with that licence."""
        from zhengwu.licences.reuse import coverage

        uses = list(uses)
        licences = coverage(applicant, uses) if applicant is not None else {}
        return cls([MaterialRowForm(data, use=use, licence=licences.get(use.pk)) for use in uses])

    @property
    def rows_by_use(self) -> dict[int, MaterialRowForm]:
        return {row.use.pk: row for row in self.rows}

    def is_valid(self) -> bool:
        results = [row.is_valid() for row in self.rows]  # every row, so each shows its errors
        return all(results)

    def marks(self, *, received_only: bool = False) -> list[services.MaterialInput]:
        marks = [m for row in self.rows if (m := row.mark()) is not None]
        if received_only:
            return [m for m in marks if m.status == MaterialStatus.RECEIVED]
        return marks

    def to_supplement(self) -> list[MaterialRowForm]:
        return [row for row in self.rows if row.cleaned_data.get("supplement")]

    def supplement_entries(self) -> list[dict[str, Any]]:
        """一次性告知: the ticked materials, each with its reason, as window_intake takes them."""
        return [
            {"item_material_id": row.use.pk, "reason": row.cleaned_data.get("reason", "")}
            for row in self.to_supplement()
        ]

    def place(self, exc: DomainError, supplement: Sequence[MaterialRowForm] = ()) -> bool:
        """Put a refusal naming a material (``materials.<ItemMaterial id>`` or ``items.<n>…``, the
        n-th 补正 entry) on its row; False when it names none."""
        field = exc.field or ""
        head, _, rest = field.partition(".")
        row: MaterialRowForm | None = None
        if head == "materials" and rest.isdigit():
            row = self.rows_by_use.get(int(rest))
        elif head == "items" and rest.split(".")[0].isdigit():
            n = int(rest.split(".")[0])
            row = supplement[n] if n < len(supplement) else None
            if row is not None:
                row.add_error("reason", exc.message)
                return True
        if row is None:
            return False
        row.add_error("status", exc.message)
        return True


# ---------------------------------------------------------------------------------------------
# The intake form itself
# ---------------------------------------------------------------------------------------------

OUTCOMES = {"accept": "受理", "supplement": "一次性告知补正", "refuse": "不予受理"}


def new_idempotency_key() -> str:
    return f"intake-{uuid.uuid4().hex}"


class IntakeForm(forms.Form):
    """The applicant (by number, looked up again on submit), the item, the item's own form
    (fields ``form_<name>``), the contact, how the result is delivered, and the outcome with its
    reason. The idempotency key makes a double click one application."""

    code = forms.CharField(widget=forms.HiddenInput, max_length=18)
    item = forms.IntegerField(widget=forms.HiddenInput)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)
    contact_name = forms.CharField(label="联系人", max_length=50)
    contact_phone = forms.CharField(
        label="联系电话", max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    delivery_method = forms.ChoiceField(
        label="结果送达方式",
        choices=DeliveryMethod.choices,
        initial=DeliveryMethod.PICKUP,
        widget=forms.RadioSelect,
    )
    postal_recipient = forms.CharField(
        label="收件人", max_length=50, required=False, help_text="不填则为联系人"
    )
    postal_phone = forms.CharField(
        label="收件人电话",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
        help_text="不填则为联系电话",
    )
    postal_address = forms.CharField(label="邮寄地址", max_length=200, required=False)
    outcome = forms.ChoiceField(choices=list(OUTCOMES.items()), widget=forms.HiddenInput, required=False)
    reason = forms.CharField(label="不予受理理由", max_length=1000, required=False, widget=TEXTAREA)
    remedy = forms.CharField(
        label="救济途径",
        max_length=500,
        required=False,
        widget=TEXTAREA,
        help_text="不填则写明：六十日内申请行政复议，或六个月内提起行政诉讼",
    )

    # The services' field names → this form's.
    RENAME = {"items": "outcome", "applicant": "code"}

    def __init__(self, *args: Any, item: ServiceItem, initial_form: Mapping[str, str] = {}, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.item_fields: list[str] = []
        for f in item.form_fields or []:
            name = f"form_{f['name']}"
            self.fields[name] = forms.CharField(
                label=f["label"], max_length=500, required=False, initial=initial_form.get(f["name"], "")
            )
            self.item_fields.append(name)
            self.RENAME = {**self.RENAME, f"form_data.{f['name']}": name}

    @property
    def item_form(self) -> list[forms.BoundField]:
        return [self[name] for name in self.item_fields]

    def form_data(self) -> dict[str, str]:
        return {name.removeprefix("form_"): self.cleaned_data.get(name, "") for name in self.item_fields}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if not data.get("outcome"):
            self.add_error("outcome", "请选择受理、一次性告知补正或不予受理")
        if data.get("outcome") == "refuse" and not (data.get("reason") or "").strip():
            self.add_error("reason", "请填写不予受理理由")
        if (
            data.get("delivery_method") == DeliveryMethod.POST
            and not (data.get("postal_address") or "").strip()
        ):
            self.add_error("postal_address", "邮寄送达请填写邮寄地址")
        return data


def check_supplement(form: IntakeForm, checklist: Checklist) -> None:
    """一次性告知补正 names at least one material, each with its reason."""
    ticked = checklist.to_supplement()
    if not ticked:
        form.add_error("outcome", "请在材料清单中勾选需要补正的材料并写明原因（一次性告知）")
    for row in ticked:
        if not (row.cleaned_data.get("reason") or "").strip():
            row.add_error("reason", f"请填写“{row.name}”的补正原因")


# ---------------------------------------------------------------------------------------------
# 5. 即办件: decided at the window
# ---------------------------------------------------------------------------------------------


class DecideForm(forms.Form):
    """当场办结（即办）: the decision, its opinion and the result's number, with the version seen."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    approved = forms.TypedChoiceField(
        label="决定",
        choices=[("1", "准予"), ("0", "不予")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        initial="1",
    )
    opinion = forms.CharField(
        label="决定意见", max_length=1000, widget=TEXTAREA, error_messages={"required": "请填写决定意见"}
    )
    result_number = forms.CharField(label="结果文号/证照编号", max_length=100, required=False)
