"""Forms of the staff pages of applications. They check the shape of the input and carry the
application's version; the rules (who may do what, in which state, with which values) are the
services', whose refusals ``show_error`` puts next to the field they name. Field names are the
services' own, so a refusal naming ``reason`` lands next to the 理由 box.

``MaterialMarksForm`` (the clerk marks each material 已收 / 容缺 / 免提交 / 不适用) is the one form
for marking a checklist: 受理 of an online submission here, and the intake screen may use it too."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import QuerySet

from zhengwu.appeals.forms import show_error as show_error
from zhengwu.catalog.models import ServiceItem
from zhengwu.core.errors import DomainError
from zhengwu.org.models import Department

from . import services
from .models import ApplicationMaterial, MaterialStatus, SpecialKind
from .workflow import ApplicationState
from .worklists import LIGHT_CHOICES, SORTS

TEXTAREA = forms.Textarea(attrs={"rows": 3})
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class VersionForm(forms.Form):
    """Every state-changing form carries the version the user saw; a stale one is refused (409)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


# ---------------------------------------------------------------------------------------------
# The list's filters
# ---------------------------------------------------------------------------------------------


def _blank(choices: Any, label: str) -> list[tuple[str, str]]:
    return [("", label), *[(str(v), str(lbl)) for v, lbl in choices]]


class ApplicationFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="搜索")
    item = forms.ModelChoiceField(
        queryset=ServiceItem.objects.none(), required=False, empty_label="全部事项", label="事项"
    )
    department = forms.ModelChoiceField(
        queryset=Department.objects.none(), required=False, empty_label="全部部门", label="受理部门"
    )
    state = forms.ChoiceField(
        required=False, choices=_blank(ApplicationState.choices, "全部状态"), label="状态"
    )
    light = forms.ChoiceField(required=False, choices=_blank(LIGHT_CHOICES, "全部时限"), label="时限")
    submitted_from = forms.DateField(required=False, widget=DATE, label="申请日期自")
    submitted_to = forms.DateField(required=False, widget=DATE, label="申请日期至")
    sort = forms.ChoiceField(
        required=False, choices=[(k, s.label) for k, s in SORTS.items()], label="排序", initial="new"
    )

    def __init__(
        self,
        *args: Any,
        departments: QuerySet[Department] | None = None,
        items: QuerySet[ServiceItem] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        item_field = self.fields["item"]
        assert isinstance(item_field, forms.ModelChoiceField)
        item_field.queryset = items if items is not None else ServiceItem.objects.order_by("name", "id")
        department_field = self.fields["department"]
        assert isinstance(department_field, forms.ModelChoiceField)
        department_field.queryset = (
            departments if departments is not None else Department.objects.order_by("name")
        )
        for name in ("item", "department", "state", "light", "sort"):
            self.fields[name].widget.attrs["aria-label"] = str(self.fields[name].label)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("submitted_from"), data.get("submitted_to")
        if start and end and start > end:
            self.add_error("submitted_to", "申请日期的截止日期不能早于开始日期")
        return data

    def params(self) -> dict[str, Any]:
        """The valid filters (a bad one is dropped, not fatal; ``refusals`` says which)."""
        if self.is_bound:
            self.is_valid()
        data = getattr(self, "cleaned_data", {}) or {}
        return {k: v for k, v in data.items() if k not in self.errors}

    def refusals(self) -> list[str]:
        """Filters that would list the wrong applications if dropped: the page says so (400)."""
        if not self.is_bound or self.is_valid():
            return []
        return [str(m) for field in ("submitted_from", "submitted_to") for m in self.errors.get(field, [])]


# ---------------------------------------------------------------------------------------------
# The checklist: 受理 (and the intake screen)
# ---------------------------------------------------------------------------------------------

MARK_CHOICES = [
    (MaterialStatus.RECEIVED, "已收"),
    (MaterialStatus.DEFERRED, "容缺"),
    (MaterialStatus.EXEMPT, "免提交"),
    (MaterialStatus.NOT_APPLICABLE, "不适用"),
]


@dataclass
class MaterialRow:
    """One material of the checklist with its fields, as the template lays them out."""

    material: Any  # ApplicationMaterial (受理) or ItemMaterial (intake)
    name: str
    critical: bool
    required: bool
    uploaded: bool
    status: forms.BoundField
    originals: forms.BoundField
    copies: forms.BoundField
    commitment: forms.BoundField
    defer_days: forms.BoundField


class MaterialMarksForm(VersionForm):
    """The clerk marks each material of an item's checklist; fields are named after the service's
    own (``materials.<ItemMaterial id>``), so its refusal lands on the right line. ``materials``
    are the application's checklist rows (or, at intake, the item's ItemMaterials)."""

    note = forms.CharField(label="受理意见", max_length=1000, required=False, widget=TEXTAREA)

    def __init__(self, *args: Any, materials: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.materials = list(materials)
        for m in self.materials:
            key = self.key(m)
            uploaded = getattr(m, "status", "") == MaterialStatus.RECEIVED
            self.fields[key] = forms.ChoiceField(
                label=self.name(m), choices=MARK_CHOICES, initial=MaterialStatus.RECEIVED
            )
            self.fields[f"{key}.originals"] = forms.IntegerField(
                label="原件", min_value=0, max_value=99, required=False, initial=0 if uploaded else 1
            )
            self.fields[f"{key}.copies"] = forms.IntegerField(
                label="复印件", min_value=0, max_value=99, required=False, initial=0
            )
            self.fields[f"{key}.commitment"] = forms.CharField(
                label="容缺承诺", max_length=500, required=False
            )
            self.fields[f"{key}.defer_days"] = forms.IntegerField(
                label="补交期限（工作日）", min_value=1, max_value=services.MAX_DEFER_DAYS, required=False
            )

    @staticmethod
    def key(material: Any) -> str:
        item_material_id = getattr(material, "item_material_id", None) or material.pk
        return f"materials.{item_material_id}"

    @staticmethod
    def name(material: Any) -> str:
        return getattr(material, "name", "") or str(getattr(material, "material", material))

    def rows(self) -> list[MaterialRow]:
        out = []
        for m in self.materials:
            key = self.key(m)
            out.append(
                MaterialRow(
                    material=m,
                    name=self.name(m),
                    critical=bool(getattr(m, "critical", False)),
                    required=bool(getattr(m, "required", True)),
                    uploaded=getattr(m, "status", "") == MaterialStatus.RECEIVED,
                    status=self[key],
                    originals=self[f"{key}.originals"],
                    copies=self[f"{key}.copies"],
                    commitment=self[f"{key}.commitment"],
                    defer_days=self[f"{key}.defer_days"],
                )
            )
        return out

    def inputs(self) -> list[services.MaterialInput]:
        """The marks as the services take them. A material uploaded online and marked 已收 with no
        paper counted is left as it is (the service keeps the upload)."""
        d = self.cleaned_data
        out = []
        for m in self.materials:
            key = self.key(m)
            status = str(d.get(key) or "")
            originals, copies = d.get(f"{key}.originals") or 0, d.get(f"{key}.copies") or 0
            uploaded = getattr(m, "status", "") == MaterialStatus.RECEIVED
            if status == MaterialStatus.RECEIVED and uploaded and originals + copies == 0:
                continue
            out.append(
                services.MaterialInput(
                    item_material_id=int(key.split(".", 1)[1]),
                    status=status,
                    originals=originals,
                    copies=copies,
                    commitment=d.get(f"{key}.commitment") or "",
                    defer_days=d.get(f"{key}.defer_days"),
                )
            )
        return out


# ---------------------------------------------------------------------------------------------
# 一次性告知 (补正): every material that is missing or wrong, each with its reason
# ---------------------------------------------------------------------------------------------


class SupplementForm(VersionForm):
    """Tick each material to be supplied and say why; a reason typed counts as ticked."""

    def __init__(self, *args: Any, materials: Sequence[ApplicationMaterial] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.materials = list(materials)
        for m in self.materials:
            self.fields[f"supplement.{m.pk}"] = forms.BooleanField(label=m.name, required=False)
            self.fields[f"supplement.{m.pk}.reason"] = forms.CharField(
                label=f"“{m.name}”补正原因", max_length=500, required=False
            )

    def rows(self) -> list[tuple[ApplicationMaterial, forms.BoundField, forms.BoundField]]:
        return [(m, self[f"supplement.{m.pk}"], self[f"supplement.{m.pk}.reason"]) for m in self.materials]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = 0
        for m in self.materials:
            ticked, reason = (
                data.get(f"supplement.{m.pk}"),
                (data.get(f"supplement.{m.pk}.reason") or "").strip(),
            )
            if ticked and not reason:
                self.add_error(f"supplement.{m.pk}.reason", f"请填写“{m.name}”的补正原因")
            if ticked or reason:
                chosen += 1
        if not chosen:
            raise forms.ValidationError("请勾选需要补正的材料并写明原因（一次性告知）")
        return data

    def items(self) -> list[dict[str, Any]]:
        d = self.cleaned_data
        return [
            {"material_id": m.pk, "reason": (d.get(f"supplement.{m.pk}.reason") or "").strip()}
            for m in self.materials
            if d.get(f"supplement.{m.pk}") or (d.get(f"supplement.{m.pk}.reason") or "").strip()
        ]

    def field_for(self, service_field: str | None) -> str | None:
        """``items.<n>.reason`` of the service → this form's field of the n-th material listed."""
        if not service_field or not service_field.startswith("items."):
            return service_field
        parts = service_field.split(".")
        try:
            entry = self.items()[int(parts[1])]
        except (IndexError, ValueError):
            return None
        return f"supplement.{entry['material_id']}.reason"


def show_service_error(form: forms.Form, exc: DomainError) -> None:
    """``show_error``, with a 补正 refusal's item number turned into the material's line."""
    if isinstance(form, SupplementForm) and exc.field:
        exc = type(exc)(exc.message, field=form.field_for(exc.field))
    show_error(form, exc)


# ---------------------------------------------------------------------------------------------
# The other actions (one form each; the view passes the cleaned values to the service)
# ---------------------------------------------------------------------------------------------


class RefuseForm(VersionForm):
    reason = forms.CharField(label="不予受理理由", max_length=1000, widget=TEXTAREA)
    remedy = forms.CharField(
        label="救济途径",
        max_length=500,
        required=False,
        widget=TEXTAREA,
        help_text="不填则写明：六十日内申请行政复议，或六个月内提起行政诉讼",
    )


class NoteForm(VersionForm):
    note = forms.CharField(label="审查意见", max_length=1000, required=False, widget=TEXTAREA)


class ForwardForm(VersionForm):
    note = forms.CharField(label="说明", max_length=1000, widget=TEXTAREA)


class ReasonForm(VersionForm):
    reason = forms.CharField(label="理由", max_length=1000, widget=TEXTAREA)


class WithdrawForm(VersionForm):
    reason = forms.CharField(
        label="撤回理由", max_length=500, widget=TEXTAREA, help_text="申请人提出撤回的理由"
    )


class SpecialForm(VersionForm):
    kind = forms.ChoiceField(
        label="特别程序种类", choices=[c for c in SpecialKind.choices if c[0] != SpecialKind.EXTENSION]
    )
    reason = forms.CharField(label="启动理由", max_length=500, widget=TEXTAREA)


class EndSpecialForm(VersionForm):
    result = forms.CharField(label="特别程序结果", max_length=500, widget=TEXTAREA)


class ExtensionForm(VersionForm):
    days = forms.DecimalField(label="延长时限（工作日）", min_value=0, max_digits=6, decimal_places=2)
    reason = forms.CharField(label="延长理由", max_length=500, widget=TEXTAREA)


class ExtensionDecisionForm(VersionForm):
    approve = forms.TypedChoiceField(
        label="审批",
        choices=[("yes", "批准延长"), ("no", "不批准")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label="审批意见", max_length=500, required=False, widget=TEXTAREA)


DECISIONS = [("yes", "准予许可"), ("no", "不予许可")]


class DecideForm(VersionForm):
    approved = forms.TypedChoiceField(
        label="决定", choices=DECISIONS, coerce=lambda v: v == "yes", widget=forms.RadioSelect
    )
    opinion = forms.CharField(label="决定意见", max_length=1000, widget=TEXTAREA)


class DecideAtWindowForm(DecideForm):
    result_number = forms.CharField(label="结果文号", max_length=100, required=False)


class CompleteForm(VersionForm):
    result_number = forms.CharField(
        label="结果文号/证照编号", max_length=100, required=False, help_text="批文、决定书的文号"
    )


class CertifyForm(VersionForm):
    licence_number = forms.CharField(
        label="证照编号", max_length=100, required=False, help_text="不填则以证照流水号为编号"
    )


class HandOverForm(VersionForm):
    recipient_name = forms.CharField(label="领取人姓名", max_length=50)
    recipient_id_number = forms.CharField(
        label="领取人公民身份号码",
        max_length=18,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    by_proxy = forms.BooleanField(label="代领（收取申请人签署的委托书）", required=False)
    proxy_authorisation = forms.CharField(
        label="委托书", max_length=200, required=False, help_text="代领时写明委托书情况"
    )


class PostForm(VersionForm):
    tracking_number = forms.CharField(
        label="EMS邮件号",
        max_length=13,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "EA123456785CN"}),
    )


class HandInForm(VersionForm):
    material_id = forms.TypedChoiceField(label="容缺材料", coerce=int, choices=[])
    originals = forms.IntegerField(label="原件份数", min_value=0, max_value=99, initial=1)
    copies = forms.IntegerField(label="复印件份数", min_value=0, max_value=99, initial=0)

    def __init__(self, *args: Any, materials: Sequence[ApplicationMaterial] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["material_id"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [
            (m.pk, f"{m.name}（{m.deferred_until:%Y-%m-%d}前）" if m.deferred_until else m.name)
            for m in materials
        ]
