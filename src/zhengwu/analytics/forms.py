"""Admin forms of the statistics: a ranking scheme's weights must name indicators that exist and
sum to 100 %; anything else is refused with a message naming the field, and nothing is saved."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.forms.models import BaseInlineFormSet

from .indicators import INDICATORS
from .models import RankingWeight

HUNDRED = Decimal(100)


def indicator_choices() -> list[tuple[str, str]]:
    return [(k, f"{i.name}（{i.family} · {i.unit}）") for k, i in INDICATORS.items()]


class RankingWeightForm(forms.ModelForm):
    class Meta:
        model = RankingWeight
        fields = ["indicator", "weight"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = indicator_choices()
        current = self.initial.get("indicator") or (self.instance.indicator if self.instance.pk else "")
        if current and current not in INDICATORS:
            # A stored key whose indicator has gone stays visible, so the admin can remove it.
            choices.append((current, f"{current}（指标不存在，排名时忽略）"))
        self.fields["indicator"] = forms.ChoiceField(
            label="指标",
            choices=[("", "—— 选择指标 ——"), *choices],
            error_messages={"invalid_choice": "指标：没有“%(value)s”这个统计指标，请从列表中选择"},
        )

    def clean_indicator(self) -> str:
        key = self.cleaned_data["indicator"]
        if key not in INDICATORS and (not self.instance.pk or key != self.instance.indicator):
            raise forms.ValidationError(f"指标：没有“{key[:40]}”这个统计指标，请从列表中选择")
        return key


class RankingWeightFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        total = Decimal(0)
        seen: set[str] = set()
        for form in self.forms:
            if not getattr(form, "cleaned_data", None) or form.cleaned_data.get("DELETE"):
                continue
            key = form.cleaned_data.get("indicator")
            if key in seen:
                raise forms.ValidationError(f"指标权重：指标“{key}”出现了两次，每个指标只能设一个权重")
            seen.add(key)
            total += form.cleaned_data.get("weight") or 0
        if not seen:
            raise forms.ValidationError("指标权重：至少需要一个指标")
        if total != HUNDRED:
            raise forms.ValidationError(
                f"权重（%）：各指标权重合计应为 100%，现在合计 {total.normalize():f}%，请调整后再保存"
            )
