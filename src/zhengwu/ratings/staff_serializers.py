"""What the staff API of the 差评 loop and 申诉复核 reads and writes (staff_api.py); the services
decide."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from .models import Rating, RatingContest, Rectification


class StaffRatingSerializer(serializers.ModelSerializer[Rating]):
    matter_kind = serializers.CharField(
        read_only=True, help_text="application 办件、bundle 一件事、appeal 诉求、visit 窗口服务"
    )
    channel = serializers.CharField(
        read_only=True,
        help_text="评价渠道：pc PC端、mobile 移动服务端、qr 二维码、pad 政务大厅平板电脑、"
        "hall_other 政务大厅其他终端、phone 电话、sms 短信",
    )
    level = serializers.IntegerField(
        read_only=True, help_text="满意度代码：1 非常满意、2 满意、3 基本满意、4 不满意、5 非常不满意"
    )
    level_name = serializers.CharField(source="get_level_display", read_only=True)
    channel_name = serializers.CharField(source="get_channel_display", read_only=True)
    department_name = serializers.CharField(source="department.name", read_only=True)

    class Meta:
        model = Rating
        fields = [
            "id",
            "matter_kind",
            "matter_number",
            "department",
            "department_name",
            "channel",
            "channel_name",
            "round",
            "level",
            "level_name",
            "text",
            "real_name",
            "rated_at",
            "excluded",
            "excluded_reason",
        ]
        read_only_fields = fields


class RectificationSerializer(serializers.ModelSerializer[Rectification]):
    rating = StaffRatingSerializer(read_only=True)
    state = serializers.CharField(
        read_only=True, help_text="verifying 待回访核实、rectifying 整改中、feedback 待反馈、closed 已办结"
    )
    outcome = serializers.CharField(
        read_only=True, help_text="immediate 立行立改、deadline 限期整改、explained 解释说明；未定为空"
    )
    state_name = serializers.CharField(source="get_state_display", read_only=True)
    outcome_name = serializers.CharField(source="get_outcome_display", read_only=True)
    light = serializers.SerializerMethodField(help_text="green 正常、yellow 临期、red 超期")
    urges = serializers.SerializerMethodField(help_text="催办记录：时间、类型、说明、催办人（定时催办为空）")
    next_step = serializers.SerializerMethodField(
        help_text="下一步：verify 回访核实、resolve 处理方式、rectified 整改完成、close 反馈并办结；已办结为空"
    )

    class Meta:
        model = Rectification
        fields = [
            "id",
            "rating",
            "department",
            "state",
            "state_name",
            "light",
            "next_step",
            "verify_due_at",
            "verified_at",
            "reached",
            "facts",
            "outcome",
            "outcome_name",
            "plan",
            "fix_due_at",
            "evidence",
            "rectified_at",
            "feedback",
            "fed_back_at",
            "closed_at",
            "urges",
        ]
        read_only_fields = fields

    def get_urges(self, obj: Rectification) -> list[dict[str, Any]]:
        return [
            {
                "at": u.created_at.isoformat(),
                "kind": u.label,
                "note": u.note,
                "by": u.by.display_name if u.by else "",
            }
            for u in obj.urges.select_related("by")
        ]

    def get_light(self, obj: Rectification) -> str:
        from .views import Lights, light_of

        lights = self.context.get("lights") or Lights()
        return light_of(obj, lights)

    def get_next_step(self, obj: Rectification) -> str:
        from .views import step_of

        return step_of(obj)


class ContestSerializer(serializers.ModelSerializer[RatingContest]):
    rating = StaffRatingSerializer(read_only=True)
    department_name = serializers.CharField(source="department.name", read_only=True)
    state = serializers.CharField(
        read_only=True, help_text="pending 待复核、upheld 申诉成立、rejected 申诉不成立"
    )
    state_name = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = RatingContest
        fields = [
            "id",
            "rating",
            "department",
            "department_name",
            "reason",
            "evidence",
            "state",
            "state_name",
            "created_at",
            "decided_at",
            "decision",
        ]
        read_only_fields = fields


def _text(label: str) -> serializers.CharField:
    return serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="", help_text=label
    )


class RectificationVerifyInput(serializers.Serializer[Any]):
    reached = serializers.BooleanField(help_text="是否联系上评价人")
    facts = _text("核实情况（必填）")


class RectificationResolveInput(serializers.Serializer[Any]):
    outcome = serializers.CharField(
        max_length=20, help_text="处理方式：immediate 立行立改、deadline 限期整改、explained 解释说明"
    )
    plan = _text("整改措施（限期整改必填）")
    evidence = _text("整改佐证或解释说明（立行立改、解释说明必填）")


class RectificationDoneInput(serializers.Serializer[Any]):
    evidence = _text("整改佐证（必填）")


class RectificationCloseInput(serializers.Serializer[Any]):
    feedback = _text("反馈评价人的内容（必填）")


class RectificationUrgeInput(serializers.Serializer[Any]):
    note = _text("催办说明（必填）")


class RatingContestInput(serializers.Serializer[Any]):
    reason = _text("申诉理由（必填）")
    evidence = _text("证据说明（必填）")


class RatingContestDecideInput(serializers.Serializer[Any]):
    upheld = serializers.BooleanField(help_text="true 申诉成立（该评价不计入统计），false 申诉不成立")
    decision = _text("复核意见（必填）")
