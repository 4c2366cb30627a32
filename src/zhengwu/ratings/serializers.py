"""好差评 API shapes: the applicant's rating of a finished matter (一事一评) and the rating read back."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from .models import ONLINE_DIMENSIONS, Rating

MATTERS = ("application", "bundle")
LEVEL_HELP = "满意度代码（GB/T 39046）：1非常满意、2满意、3基本满意、4不满意、5非常不满意"


class RatingInput(serializers.Serializer[Any]):
    matter = serializers.CharField(help_text="评价对象：application 办件，bundle 一件事办件")
    number = serializers.CharField(max_length=50, help_text="办件编号")
    level = serializers.IntegerField(
        min_value=1,
        max_value=5,
        help_text=LEVEL_HELP,
        error_messages={
            "invalid": "满意度应为1（非常满意）至5（非常不满意）",
            "min_value": "满意度应为1（非常满意）至5（非常不满意）",
            "max_value": "满意度应为1（非常满意）至5（非常不满意）",
        },
    )
    text = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)
    scores = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=5),
        required=False,
        default=dict,
        help_text="分项评价，维度代码 → 满意度代码（1–5）："
        + "、".join(f"{k} {v}" for k, v in ONLINE_DIMENSIONS.items()),
    )
    follow_up = serializers.BooleanField(required=False, default=False, help_text="追评（新一轮评价）")

    def validate_matter(self, value: str) -> str:
        if value not in MATTERS:
            raise serializers.ValidationError("评价对象应为application（办件）或bundle（一件事办件）")
        return value


class RatingSerializer(serializers.ModelSerializer[Rating]):
    matter_kind = serializers.CharField(read_only=True, help_text="application 办件，bundle 一件事办件")
    level = serializers.IntegerField(read_only=True, help_text=LEVEL_HELP)
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    channel = serializers.CharField(read_only=True, help_text="评价渠道：pc PC端，mobile 移动服务端")
    channel_label = serializers.CharField(source="get_channel_display", read_only=True)
    department = serializers.CharField(source="department.name", read_only=True)

    class Meta:
        model = Rating
        fields = [
            "id",
            "matter_kind",
            "matter_number",
            "round",
            "level",
            "level_label",
            "channel",
            "channel_label",
            "text",
            "scores",
            "department",
            "rated_at",
        ]
        read_only_fields = fields
