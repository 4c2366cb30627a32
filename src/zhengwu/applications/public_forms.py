"""Forms of the applicant's pages. They check shape — filled in, not too long, a choice from the
list — and each material's files before anything is written, so a refusal names the material. The
rules themselves (who may apply, what the item requires, the delivery address) are the services'
and come back as DomainError, placed on the field they name (``place_error``)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django import forms

from zhengwu.accounts.models import Citizen, Enterprise
from zhengwu.casework.attachments import ACCEPT, check_files
from zhengwu.casework.forms import MultipleFileField, MultipleFileInput, track_form
from zhengwu.catalog.models import ServiceItem
from zhengwu.core.errors import DomainError

from .models import ApplicationMaterial, DeliveryMethod
from .services import UPLOAD_LIMITS

KEY = re.compile(r"^[0-9a-f]{32}$")
FILES_HELP = (
    f"最多{UPLOAD_LIMITS.max_files}个文件，每个不超过{UPLOAD_LIMITS.size_label}；"
    "只接受图片（JPG、PNG、GIF、WebP）和PDF文件"
)


def material_field(name: str, *, required: bool, note: str = "") -> MultipleFileField:
    help_text = f"{note}。{FILES_HELP}" if note else FILES_HELP
    field = MultipleFileField(
        label=name if required else f"{name}（非必要）",
        required=False,  # the service names a missing required material; the form keeps the rest
        help_text=help_text,
        widget=MultipleFileInput(attrs={"accept": ACCEPT}),
    )
    field.material_required = required  # type: ignore[attr-defined]
    field.material_name = name  # type: ignore[attr-defined]
    return field


def _checked(files: Sequence[Any], name: str) -> list[Any]:
    """The files of one material, refused as a whole when one is not what it claims, too large,
    or too many — with the material named, since several materials share the file names."""
    try:
        check_files(files, UPLOAD_LIMITS)
    except DomainError as exc:
        raise forms.ValidationError(f"“{name}”：{exc.message}") from exc
    return list(files)


def place_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal next to the field it names (``materials.7`` is the material's file
    field, ``form_data.scope`` the form's field), or at the top of the form."""
    name = exc.field or ""
    if name.startswith("materials."):
        name = "material_" + name.split(".", 1)[1]
    elif name.startswith("form_data."):
        name = "form_" + name.split(".", 1)[1]
    elif name == "applicant_kind":
        name = "applicant"
    elif name == "version":  # a hidden field: the stale-form message goes on top
        name = ""
    form.add_error(name if name in form.fields else None, exc.message)


def _text(label: str, max_length: int, *, required: bool = True, **attrs: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        widget=forms.TextInput(attrs=attrs),
        error_messages={"required": f"请填写{label}", "max_length": f"{label}不能超过{max_length}个字"},
    )


def applicant_choices(user: Any) -> list[tuple[str, str, Citizen | Enterprise]]:
    """Whom this account may apply for: the person it belongs to, and each enterprise it is an
    经办人 of (``person:<id>``, ``enterprise:<id>``)."""
    out: list[tuple[str, str, Citizen | Enterprise]] = []
    citizen = Citizen.objects.filter(user=user).first()
    if citizen is not None:
        out.append((f"person:{citizen.pk}", f"本人：{citizen.name}", citizen))
    for company in Enterprise.objects.filter(users=user).order_by("name"):
        out.append((f"enterprise:{company.pk}", f"单位：{company.name}", company))
    return out


class ApplyForm(forms.Form):
    """在线办理: the applicant, the item's own form, contact, delivery and one file field per
    material of the item, in the catalogue's order."""

    applicant = forms.ChoiceField(
        label="申请人",
        widget=forms.RadioSelect,
        error_messages={"required": "请选择申请人", "invalid_choice": "请选择申请人"},
    )
    contact_name = _text("联系人", 50, autocomplete="name")
    contact_phone = _text("联系电话", 20, autocomplete="tel", inputmode="tel")
    delivery_method = forms.ChoiceField(
        label="结果送达方式",
        choices=DeliveryMethod.choices,
        initial=DeliveryMethod.PICKUP,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择结果送达方式", "invalid_choice": "请选择结果送达方式"},
    )
    postal_recipient = _text("收件人", 50, required=False, autocomplete="name")
    postal_phone = _text("收件人电话", 20, required=False, autocomplete="tel", inputmode="tel")
    postal_address = _text("邮寄地址", 200, required=False, autocomplete="street-address")
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, item: ServiceItem, user: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.item = item
        self.choices = applicant_choices(user)
        applicant = self.fields["applicant"]
        assert isinstance(applicant, forms.ChoiceField)
        applicant.choices = [(value, label) for value, label, _ in self.choices]
        if len(self.choices) == 1:
            self.fields["applicant"].initial = self.choices[0][0]
        self.form_names: list[str] = []
        for spec in item.form_fields or []:
            name = f"form_{spec['name']}"
            self.fields[name] = _text(
                spec.get("label") or spec["name"], 500, required=spec.get("required", True)
            )
            self.form_names.append(name)
        self.uses = list(item.item_materials.select_related("material").order_by("order", "id"))
        for use in self.uses:
            self.fields[f"material_{use.pk}"] = material_field(
                use.material.name, required=use.required, note=use.note
            )
        self._offer_licences()

    def _offer_licences(self) -> None:
        """免提交: say under each material which of the user's applicants holds an e-licence that
        stands in for it (the service attaches it when the application is filed)."""
        from zhengwu.licences.reuse import coverage

        covered: dict[int, list[str]] = {}
        for _, label, record in self.choices:
            for use_pk, licence in coverage(record, self.uses).items():
                who = label.split("：", 1)[-1]
                covered.setdefault(use_pk, []).append(
                    f"{who}的电子证照“{licence.licence_type.name}”（编号{licence.number}）"
                )
        for use_pk, notes in covered.items():
            field = self.fields[f"material_{use_pk}"]
            text = "免提交：已关联" + "、".join(notes) + "，以该申请人申请时无须上传。"
            field.help_text = f"{text}{field.help_text}" if field.help_text else text
            field.licence_covered = True  # type: ignore[attr-defined]
            if len(notes) == len(self.choices):
                field.material_required = False  # type: ignore[attr-defined]

    # -- what the template walks ------------------------------------------------------------------

    def form_part(self) -> Iterable[forms.BoundField]:
        return (self[name] for name in self.form_names)

    def material_part(self) -> Iterable[forms.BoundField]:
        return (self[f"material_{use.pk}"] for use in self.uses)

    # -- cleaning --------------------------------------------------------------------------------

    def clean_idempotency_key(self) -> str:
        key = str(self.cleaned_data.get("idempotency_key") or "").strip().lower()
        return key if KEY.match(key) else uuid.uuid4().hex

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for use in self.uses:
            name = f"material_{use.pk}"
            if name in data:
                try:
                    data[name] = _checked(data[name], use.material.name)
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
        return data

    def applicant_record(self) -> Citizen | Enterprise | None:
        chosen = self.cleaned_data.get("applicant")
        return next((record for value, _, record in self.choices if value == chosen), None)

    def form_data(self) -> dict[str, str]:
        return {name.removeprefix("form_"): self.cleaned_data.get(name, "") for name in self.form_names}

    def uploads(self) -> dict[int, list[Any]]:
        return {
            use.pk: self.cleaned_data[f"material_{use.pk}"]
            for use in self.uses
            if self.cleaned_data.get(f"material_{use.pk}")
        }


class SupplyForm(forms.Form):
    """补正: one file field per material the open 补正 notice named, with the reason it gave."""

    note = forms.CharField(
        label="补正说明（可不填）",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": "补正说明不能超过1000个字"},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        items: Sequence[dict[str, Any]],
        materials: dict[int, ApplicationMaterial],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.items = [i for i in items if int(i.get("material_id", 0)) in materials]
        for entry in self.items:
            pk = int(entry["material_id"])
            field = material_field(
                materials[pk].name, required=True, note=f"补正原因：{entry.get('reason', '')}"
            )
            self.fields[f"material_{pk}"] = field

    def material_part(self) -> Iterable[forms.BoundField]:
        return (self[f"material_{int(i['material_id'])}"] for i in self.items)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for entry in self.items:
            name = f"material_{int(entry['material_id'])}"
            if name in data:
                try:
                    data[name] = _checked(data[name], str(entry.get("name", "")))
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
        return data

    def uploads(self) -> dict[int, list[Any]]:
        return {
            int(i["material_id"]): self.cleaned_data[f"material_{int(i['material_id'])}"]
            for i in self.items
            if self.cleaned_data.get(f"material_{int(i['material_id'])}")
        }


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="撤回理由",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "请填写撤回理由", "max_length": "撤回理由不能超过500个字"},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


TrackForm = track_form(noun="办件编号", example="BJ-20260610-000123", max_length=50)


class CodeForm(forms.Form):
    """The status page opened from a notice's QR code: the number is in the address."""

    code = TrackForm.base_fields["code"]
    clean_code = TrackForm.clean_code
