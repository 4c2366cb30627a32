"""Forms of the holder's and the issuing department's licence pages; they only read input, the
services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from .models import LicenceState, LicenceType
from .services import SHARE_MAX_DAYS


class ShareForm(forms.Form):
    """授权用证."""

    organisation = forms.CharField(label="被授权单位", max_length=200)
    purpose = forms.CharField(label="用证事由", max_length=200)
    days = forms.IntegerField(
        label="授权天数",
        min_value=1,
        max_value=SHARE_MAX_DAYS,
        initial=7,
        error_messages={
            "min_value": f"授权天数应在1至{SHARE_MAX_DAYS}天之间",
            "max_value": f"授权天数应在1至{SHARE_MAX_DAYS}天之间",
            "invalid": "授权天数应为整数",
        },
    )


class StaffFilterForm(forms.Form):
    q = forms.CharField(label="标识、编号或持证主体", required=False, max_length=100)
    licence_type = forms.ModelChoiceField(
        label="证照类型",
        queryset=LicenceType.objects.all(),
        required=False,
        empty_label="全部证照类型",
        widget=forms.Select(attrs={"aria-label": "证照类型"}),
    )
    state = forms.ChoiceField(
        label="状态",
        choices=[("", "全部状态"), *LicenceState.choices],
        required=False,
        widget=forms.Select(attrs={"aria-label": "状态"}),
    )


def unchanged(licence: Any, surface: dict[str, Any], holder_name: str = "") -> bool:
    """A 变更 that changes nothing (the service compares digests, which the new signing time and
    issue date always change)."""
    labels = {s["name"]: s.get("label", s["name"]) for s in licence.licence_type.surface_fields}
    same_surface = all(
        str(value).strip() == str(licence.surface.get(labels.get(name, name), "")).strip()
        for name, value in surface.items()
    )
    return same_surface and (not holder_name.strip() or holder_name.strip() == licence.holder_name)


class ChangeForm(forms.Form):
    """变更: one field per surface item of the licence's type, the holder's name and the reason."""

    holder_name = forms.CharField(label="持证主体", max_length=200)
    reason = forms.CharField(label="变更原因", max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, licence: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.licence = licence
        self.specs = list(licence.licence_type.surface_fields)
        self.fields["holder_name"].initial = licence.holder_name
        for spec in self.specs:
            label = spec.get("label", spec["name"])
            self.fields[f"surface_{spec['name']}"] = forms.CharField(
                label=label, max_length=500, required=False, initial=licence.surface.get(label, "")
            )
        self.order_fields(["holder_name", *(f"surface_{s['name']}" for s in self.specs), "reason"])

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        if not self.errors and unchanged(
            self.licence, self.surface(), self.cleaned_data.get("holder_name", "")
        ):
            raise forms.ValidationError("照面信息没有变化")
        return data

    def surface(self) -> dict[str, str]:
        return {s["name"]: self.cleaned_data.get(f"surface_{s['name']}", "") for s in self.specs}


class EndForm(forms.Form):
    """注销 or 吊销: the reason and the date (today by default)."""

    reason = forms.CharField(label="原因", max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    on = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()

    def clean_on(self) -> Any:
        on = self.cleaned_data["on"]
        if on > timezone.localdate():
            raise forms.ValidationError("日期不能晚于今天")
        return on


class ImportForm(forms.Form):
    file = forms.FileField(label="文件（.xlsx 或 .csv）")
