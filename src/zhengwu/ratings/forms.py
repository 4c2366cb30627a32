"""The applicant's rating form (一事一评 online): five stars, left to right 非常不满意 … 非常满意,
an optional text and the online dimensions, each optional."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import ONLINE_DIMENSIONS, STARS_TO_LEVEL

STAR_LABELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
STAR_CHOICES = [(str(n), f"{n}星 {STAR_LABELS[n]}") for n in range(1, 6)]
SCORE_PREFIX = "score_"


class RatingForm(forms.Form):
    stars = forms.TypedChoiceField(
        label="满意度",
        choices=STAR_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择满意度（1至5星）", "invalid_choice": "满意度应为1至5星"},
    )
    text = forms.CharField(
        label="评价内容",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "选填：您的意见和建议"}),
        error_messages={"max_length": "评价内容不能超过1000字"},
    )
    follow_up = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in ONLINE_DIMENSIONS.items():
            self.fields[SCORE_PREFIX + name] = forms.TypedChoiceField(
                label=label,
                required=False,
                choices=[("", "不评"), *STAR_CHOICES],
                coerce=int,
                empty_value=None,
                error_messages={"invalid_choice": f"“{label}”应为1至5星"},
            )

    def dimension_fields(self) -> list[forms.BoundField]:
        return [self[SCORE_PREFIX + name] for name in ONLINE_DIMENSIONS]

    def level(self) -> int:
        """The GB/T 39046 code of the stars chosen (5 stars → 1 非常满意)."""
        return int(STARS_TO_LEVEL[self.cleaned_data["stars"]])

    def scores(self) -> dict[str, int]:
        out = {}
        for name in ONLINE_DIMENSIONS:
            stars = self.cleaned_data.get(SCORE_PREFIX + name)
            if stars:
                out[name] = int(STARS_TO_LEVEL[stars])
        return out
