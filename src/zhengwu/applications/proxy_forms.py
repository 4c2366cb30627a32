"""Forms of the 帮办代办 pages; they only read input — the rules are in proxy_services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from zhengwu.accounts.models import User
from zhengwu.catalog.models import ServiceItem, VersionStatus

from .models import ApplicantKind, ProxyChannel, ProxyGroup, ProxyRequest

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXTAREA = forms.Textarea(attrs={"rows": 2})


def published_items() -> QuerySet[ServiceItem]:
    return ServiceItem.objects.filter(status=VersionStatus.PUBLISHED).order_by("name", "id")


class RequestForm(forms.Form):
    principal_kind = forms.ChoiceField(label="委托人类型", choices=ApplicantKind.choices)
    principal_code = forms.CharField(label="公民身份号码或统一社会信用代码", max_length=18)
    principal_name = forms.CharField(
        label="委托人姓名或名称", max_length=200, required=False, help_text="委托人未登记时填写"
    )
    legal_representative = forms.CharField(
        label="法定代表人", max_length=50, required=False, help_text="法人未登记时填写"
    )
    group = forms.ChoiceField(label="服务对象", choices=ProxyGroup.choices)
    channel = forms.ChoiceField(label="申请渠道", choices=ProxyChannel.choices)
    items = forms.ModelMultipleChoiceField(
        label="代办事项", queryset=ServiceItem.objects.none(), widget=forms.SelectMultiple(attrs={"size": 8})
    )
    contact_name = forms.CharField(label="联系人", max_length=50)
    contact_phone = forms.CharField(label="联系电话", max_length=20)
    note = forms.CharField(label="备注", max_length=500, required=False, widget=TEXTAREA)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = published_items()  # type: ignore[attr-defined]


class AssignForm(forms.Form):
    agent = forms.ModelChoiceField(label="帮办代办员", queryset=User.objects.none(), empty_label="请选择")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(is_active=True, groups__permissions__codename="act_as_proxy")
            .order_by("username")
            .distinct()
        )


class AuthorisationForm(forms.Form):
    items = forms.ModelMultipleChoiceField(
        label="委托事项", queryset=ServiceItem.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    valid_from = forms.DateField(label="生效日期", widget=DATE)
    valid_until = forms.DateField(label="截止日期", widget=DATE)
    file = forms.FileField(label="委托书扫描件（委托人签字，PDF或图片）")

    def __init__(self, *args: Any, request: ProxyRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = request.items.order_by("name")  # type: ignore[attr-defined]


class FileForm(forms.Form):
    """代为申请: the item's own form fields, then its material checklist as 已收 ticks."""

    def __init__(self, *args: Any, item: ServiceItem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for f in item.form_fields or []:
            self.fields[f"form_{f['name']}"] = forms.CharField(
                label=f["label"], max_length=500, required=False
            )
        self.uses = list(item.item_materials.select_related("material").order_by("order", "id"))
        for use in self.uses:
            label = use.material.name + ("" if use.required else "（非必要）")
            self.fields[f"material_{use.pk}"] = forms.BooleanField(label=f"已收：{label}", required=False)

    def form_data(self) -> dict[str, str]:
        return {k[5:]: v for k, v in self.cleaned_data.items() if k.startswith("form_")}

    def received(self) -> list[int]:
        return [u.pk for u in self.uses if self.cleaned_data.get(f"material_{u.pk}")]


class CollectForm(forms.Form):
    recipient_id_number = forms.CharField(label="代办人公民身份号码", max_length=18)


class CloseForm(forms.Form):
    outcome = forms.CharField(label="办结情况", max_length=500, widget=TEXTAREA)


class CancelForm(forms.Form):
    reason = forms.CharField(label="取消原因", max_length=500, widget=TEXTAREA)
