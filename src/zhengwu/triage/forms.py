"""Forms of the 热点问题 pages. They read input; the services decide (and name the field at fault)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, cast

from django import forms

from zhengwu.appeals.forms import category_choices
from zhengwu.org.models import Department

from .selectors import DEFAULT_PRESET, PRESETS, preset_period

# Picking a date selects 自定义 (web/static/web/site.js: data-set="field=value" on change).
CHOOSE_CUSTOM = {"data-set": "period=custom"}
PERIOD_CHOICES = [("7", "近7天"), ("30", "近30天"), ("90", "近90天"), ("custom", "自定义")]


class PeriodForm(forms.Form):
    """近7天 / 近30天 / 近90天, or from–to dates (自定义, also chosen by giving both dates)."""

    period = forms.ChoiceField(label="统计时段", choices=PERIOD_CHOICES, required=False)
    # A date input wants ISO dates whatever the locale's display format.
    start = forms.DateField(
        label="起始日期",
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", **CHOOSE_CUSTOM}),
    )
    end = forms.DateField(
        label="截止日期",
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", **CHOOSE_CUSTOM}),
    )

    def chosen(self) -> tuple[date, date, bool]:
        """(start, end, is_preset); an invalid or incomplete choice falls back to 近30天."""
        data = self.cleaned_data if self.is_valid() else {}
        period = data.get("period") or ""
        start, end = data.get("start"), data.get("end")
        if period in PRESETS:
            return (*preset_period(PRESETS[period]), True)
        if start and end and (period == "custom" or not period):
            return start, end, False
        return (*preset_period(PRESETS[DEFAULT_PRESET]), True)


class RefreshForm(forms.Form):
    start = forms.DateField(label="起始日期")
    end = forms.DateField(label="截止日期")


class ProactiveTaskForm(forms.Form):
    department = forms.ChoiceField(label="承办部门（主办）")
    category = forms.ChoiceField(label="诉求分类")
    note = forms.CharField(
        label="处置要求",
        required=False,
        max_length=500,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "例如：请于5个工作日内组织排查，从源头解决并公开处置情况"}
        ),
    )

    def __init__(self, *args: Any, prefer: Sequence[str] = (), **kwargs: Any) -> None:
        """``prefer``: first-level categories to list first (the suggestion for the issue)."""
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["department"]).choices = [
            ("", "请选择承办部门"),
            *((str(d.pk), d.name) for d in Department.objects.filter(is_active=True).order_by("name")),
        ]
        cast(forms.ChoiceField, self.fields["category"]).choices = category_choices(prefer)[0]


class DismissForm(forms.Form):
    reason = forms.CharField(
        label="忽略理由",
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "例如：已在办理中、并非同一问题"}),
    )
