"""Forms of the catalogue: the Excel upload and the admin's item and bundle forms. They check
input and show the services' rule messages next to the field; they decide nothing themselves."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from zhengwu.core.errors import DomainError

from . import excel, selectors, services
from .models import Bundle, BundleItem, ServiceItem


class ExcelImportForm(forms.Form):
    file = forms.FileField(
        label="Excel 文件",
        help_text="与导出格式相同的 .xlsx 文件，不超过 5 MB",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )
    publish = forms.BooleanField(
        label="导入后立即发布",
        required=False,
        help_text="不勾选时导入为草稿，在管理后台核对后发布",
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        try:
            excel.check_upload(upload.name or "", upload.size)
        except DomainError as exc:
            raise ValidationError(exc.message) from None
        return upload


def _errors_to_form(form: forms.ModelForm[Any], errors: services.Errors) -> None:
    for key, messages in errors.items():
        target = key if key in form.fields else None
        for message in messages:
            form.add_error(target, message if target else f"{services.ITEM_LABELS.get(key, key)}：{message}")


class ServiceItemAdminForm(forms.ModelForm[ServiceItem]):
    """Checks the same rules as ``services.create_item`` (materials are checked by the inline,
    and again when the draft is published)."""

    class Meta:
        model = ServiceItem
        fields = [
            "name",
            "implementation_code",
            "basic_code",
            "item_type",
            "department",
            "service_objects",
            "life_events",
            "legal_limit_days",
            "promised_limit_days",
            "case_type",
            "trips",
            "online_depth",
            "charges_fee",
            "fee_description",
            "legal_basis",
            "conditions",
            "process_steps",
            "form_fields",
            "result_name",
            "result_licence_type",
            "consultation_phone",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("process_steps", "form_fields"):  # an empty list is a valid value
            if name in self.fields:
                self.fields[name].required = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors or cleaned.get("department") is None:
            return cleaned
        values: dict[str, Any] = {
            f: cleaned.get(f, services.ITEM_DEFAULTS.get(f)) for f in services.ITEM_LABELS
        }
        for key in ("service_objects", "process_steps", "form_fields"):
            values[key] = list(values.get(key) or [])
        values["service_objects"] = [str(v) for v in values["service_objects"]]
        values["process_steps"] = [str(v).strip() for v in values["process_steps"]]
        values["form_fields"] = [v if isinstance(v, dict) else {} for v in values["form_fields"]]
        for key in ("implementation_code", "basic_code"):
            values[key] = (values.get(key) or "").strip().upper()
            cleaned[key] = values[key]
        for key, default in services.ITEM_DEFAULTS.items():
            if values.get(key) is None and key != "level":
                values[key] = default
        errors = services.item_rule_errors(values)
        if self.instance.pk is None or self.instance.implementation_code != values["implementation_code"]:
            others = ServiceItem.objects.filter(implementation_code=values["implementation_code"])
            if self.instance.pk:
                others = others.exclude(pk=self.instance.pk)
            if others.exists():
                errors.setdefault("implementation_code", []).append(
                    f"实施编码 {values['implementation_code']} 已存在，请在现有事项上创建新版本"
                )
        _errors_to_form(self, errors)
        return cleaned


class BundleAdminForm(forms.ModelForm[Bundle]):
    class Meta:
        model = Bundle
        fields = [
            "name",
            "life_event",
            "lead_department",
            "description",
            "promised_limit_days",
            "trips",
            "process_steps",
        ]

    def clean_promised_limit_days(self) -> Decimal:
        value: Decimal = self.cleaned_data["promised_limit_days"]
        problems = services.limit_errors(value, "承诺办结时限")
        if problems:
            raise ValidationError(problems)
        return value


class BundleItemFormSet(forms.BaseInlineFormSet):
    """The bundle's item rules, with the services' messages: at least two distinct items, none
    retired, and a promised limit within the items' legal limits together."""

    def clean(self) -> None:
        super().clean()
        items = []
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            if item := form.cleaned_data.get("item"):
                items.append(item)
        problems = services.bundle_items_errors(items)
        links = [
            BundleItem(
                item=form.cleaned_data["item"],
                after=form.cleaned_data.get("after"),
                order=form.cleaned_data.get("order") or 0,
            )
            for form in self.forms
            if getattr(form, "cleaned_data", None)
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("item")
        ]
        problems += selectors.bundle_order_errors(links)
        limit = getattr(self.instance, "promised_limit_days", None)
        if isinstance(limit, Decimal):
            problems += services.bundle_limit_errors(limit, items)
        if problems:
            raise ValidationError(problems)
