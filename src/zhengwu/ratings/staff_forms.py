"""The staff forms of the 差评 loop and 申诉复核. The forms only carry the input; the services
check it (required text, state, who) and their refusal is placed next to the field it names."""

from __future__ import annotations

from django import forms

from .models import Outcome, RectificationState

YES_NO = [("yes", "是"), ("no", "否")]


def _text(label: str, *, rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": rows})
    )


class FilterForm(forms.Form):
    q = forms.CharField(label="办件编号", required=False, max_length=40)
    state = forms.ChoiceField(
        label="状态",
        choices=[("", "全部状态"), *RectificationState.choices],
        required=False,
        widget=forms.Select(attrs={"aria-label": "状态"}),
    )


class VerifyForm(forms.Form):
    reached = forms.ChoiceField(
        label="是否联系上评价人",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择是否联系上评价人"},
    )
    facts = _text("核实情况")


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label="处理方式",
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "请选择处理方式",
            "invalid_choice": "处理方式应为立行立改、限期整改或解释说明",
        },
    )
    plan = _text("整改措施（限期整改必填）")
    evidence = _text("整改佐证或解释说明（立行立改、解释说明必填）")


class RectifiedForm(forms.Form):
    evidence = _text("整改佐证")


class CloseForm(forms.Form):
    feedback = _text("反馈评价人的内容")


class ContestForm(forms.Form):
    reason = _text("申诉理由")
    evidence = _text("证据说明")


class DecideForm(forms.Form):
    upheld = forms.ChoiceField(
        label="复核结论",
        choices=[("yes", "申诉成立（该评价不计入统计）"), ("no", "申诉不成立")],
        widget=forms.RadioSelect,
        error_messages={"required": "请选择复核结论"},
    )
    decision = _text("复核意见")


class UrgeForm(forms.Form):
    note = forms.CharField(
        label="催办说明",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "要求办理单位做什么、何时完成"}),
        error_messages={"required": "请填写催办说明", "max_length": "催办说明不能超过500个字"},
    )
