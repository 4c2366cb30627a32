"""The year-entry form. Parsing and the rules live in :mod:`.entry`; the form only attaches their
line-numbered messages to its fields."""

from __future__ import annotations

from typing import Any

from django import forms

from .entry import DayEntry, check_entries, parse_holidays, parse_makeup_days
from .services import MAX_YEAR, MIN_YEAR


class YearEntryForm(forms.Form):
    year = forms.IntegerField(
        label="年度",
        min_value=MIN_YEAR,
        max_value=MAX_YEAR,
        error_messages={"required": "请填写年度", "invalid": "年度应为四位数字，如 2027"},
    )
    notice_title = forms.CharField(
        label="通知标题",
        max_length=200,
        error_messages={"required": "请填写通知标题"},
        widget=forms.TextInput(
            attrs={"size": 60, "placeholder": "国务院办公厅关于2027年部分节假日安排的通知"}
        ),
    )
    notice_number = forms.CharField(
        label="文号（可选）",
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "国办发明电〔2026〕7号"}),
    )
    holidays = forms.CharField(
        label="放假安排（每行一项：节日 开始日期 结束日期，或 节日 日期）",
        error_messages={"required": "请填写放假安排"},
        widget=forms.Textarea(
            attrs={
                "rows": 9,
                "placeholder": "元旦 2027-01-01\n春节 2027-02-06 2027-02-13\n国庆节 2027-10-01 2027-10-07",
            }
        ),
    )
    makeup_days = forms.CharField(
        label="调休上班日（每行一项：日期 节日）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "2027-02-14 春节\n2027-09-26 国庆节"}),
    )
    version = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_holidays(self) -> list[DayEntry]:
        entries, errors = parse_holidays(self.cleaned_data["holidays"])
        if errors:
            raise forms.ValidationError(errors)
        return entries

    def clean_makeup_days(self) -> list[DayEntry]:
        entries, errors = parse_makeup_days(self.cleaned_data.get("makeup_days", ""))
        if errors:
            raise forms.ValidationError(errors)
        return entries

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if {"year", "holidays", "makeup_days"} <= data.keys():
            for field, messages in check_entries(data["year"], data["holidays"], data["makeup_days"]).items():
                for message in messages:
                    self.add_error(field, message)
        return data
