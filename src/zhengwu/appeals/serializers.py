"""Shapes of the appeals REST API (api.py). Input serializers check types only; every rule (what
may be filed, which transition is allowed, who may act) is the services'. Output serializers read
what the view decided the user may see from the context: ``hide_reporter`` (a confidential
appeal read by a handling department) and ``public_only`` (a citizen: the public timeline only,
no staff names)."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from zhengwu.accounts.models import Citizen, Enterprise, User
from zhengwu.catalog.api import NamedRefSerializer
from zhengwu.org.models import Department

from . import privacy
from .models import (
    Appeal,
    AppealEvent,
    AppealType,
    Assignment,
    Callback,
    Category,
    Channel,
    Extension,
    HandlingMode,
    Satisfaction,
    Solved,
    Urgency,
)
from .selectors import light
from .timeline import EVENT_KINDS
from .workflow import ACTIONS, OPEN_STATES, AppealState

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

# Replies are shown to citizens (and Open311) only once the dispatcher approved them.
REPLIED_STATES = frozenset({AppealState.REPLIED, AppealState.CLOSED, AppealState.ARCHIVED})
HOTLINE = "12345热线"
EVENT_LABELS = EVENT_KINDS  # one table of event names, shared with the appeal page's timeline
DEPARTMENT_ACTIONS = frozenset(code for code, spec in ACTIONS.items() if spec.department_action)


def public_actor(event: AppealEvent) -> str:
    """Who did it, as a citizen may read it: the handling department, otherwise the hotline."""
    if event.action in DEPARTMENT_ACTIONS and event.actor is not None and event.actor.department:
        return event.actor.department.name
    return HOTLINE


def reply_is_public(appeal: Appeal) -> bool:
    return appeal.state in REPLIED_STATES and bool(appeal.reply)


def _missing(label: str) -> dict[str, str | _StrPromise]:
    return {
        "does_not_exist": f"没有编号为 {{pk_value}} 的{label}",
        "incorrect_type": f"{label}编号须为整数",
        "null": f"请选择{label}",
        "required": f"请选择{label}",
    }


# ---------------------------------------------------------------------------------------------
# Output


class EventSerializer(serializers.ModelSerializer[AppealEvent]):
    """One entry of the timeline as staff read it."""

    action_name = serializers.SerializerMethodField()
    actor = serializers.CharField(source="actor_label", read_only=True)

    class Meta:
        model = AppealEvent
        fields = [
            "seq",
            "at",
            "action",
            "action_name",
            "actor",
            "from_state",
            "to_state",
            "public",
            "note",
            "data",
        ]
        read_only_fields = fields

    def get_action_name(self, event: AppealEvent) -> str:
        return EVENT_LABELS.get(event.action, "其他操作")


class PublicEventSerializer(serializers.ModelSerializer[AppealEvent]):
    """One entry of the public timeline: no staff names, no internal notes (those are filtered out
    by the view), the department or the hotline as the actor."""

    action_name = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField()

    class Meta:
        model = AppealEvent
        fields = ["at", "action", "action_name", "actor", "note"]
        read_only_fields = fields

    def get_action_name(self, event: AppealEvent) -> str:
        return EVENT_LABELS.get(event.action, "其他操作")

    def get_actor(self, event: AppealEvent) -> str:
        return public_actor(event)


class ExtensionSerializer(serializers.ModelSerializer[Extension]):
    state = serializers.CharField(
        read_only=True, help_text="pending 待审核 / approved 已同意 / refused 未同意"
    )
    state_name = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = Extension
        fields = [
            "id",
            "state",
            "state_name",
            "reason",
            "previous_due_at",
            "requested_due_at",
            "decided_at",
            "decision_note",
            "created_at",
        ]
        read_only_fields = fields


class AssignmentSerializer(serializers.ModelSerializer[Assignment]):
    department = NamedRefSerializer(read_only=True)
    role_name = serializers.CharField(source="get_role_display", read_only=True)
    state = serializers.CharField(
        read_only=True,
        help_text="pending 待签收 / signed 办理中 / returned 已退单 / submitted 已提交协办意见 / "
        "done 已完成 / cancelled 已改派",
    )
    state_name = serializers.CharField(source="get_state_display", read_only=True)
    sign_light = serializers.SerializerMethodField(help_text="签收时限灯：green / yellow / red")
    handle_light = serializers.SerializerMethodField(help_text="办理时限灯：green / yellow / red")
    extensions = ExtensionSerializer(many=True, read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "department",
            "role",
            "role_name",
            "state",
            "state_name",
            "sign_due_at",
            "handle_due_at",
            "signed_at",
            "finished_at",
            "return_reason",
            "contribution",
            "sign_light",
            "handle_light",
            "extensions",
        ]
        read_only_fields = fields

    def get_sign_light(self, a: Assignment) -> str:
        done = a.signed_at or (a.finished_at if not a.is_open else None)
        return light(a.sign_started_at or a.created_at, a.sign_due_at, timezone.now(), done_at=done)

    def get_handle_light(self, a: Assignment) -> str:
        start = a.handle_started_at or a.created_at
        return light(start, a.handle_due_at, timezone.now(), done_at=a.finished_at)


class CallbackSerializer(serializers.ModelSerializer[Callback]):
    solved_name = serializers.CharField(source="get_solved_display", read_only=True)
    satisfaction_name = serializers.CharField(source="get_satisfaction_display", read_only=True)

    class Meta:
        model = Callback
        fields = ["at", "reached", "solved", "solved_name", "satisfaction", "satisfaction_name", "note"]
        read_only_fields = fields


class AppealListSerializer(serializers.ModelSerializer[Appeal]):
    channel_name = serializers.CharField(source="get_channel_display", read_only=True)
    appeal_type_name = serializers.CharField(source="get_appeal_type_display", read_only=True)
    urgency_name = serializers.CharField(source="get_urgency_display", read_only=True)
    state_name = serializers.CharField(source="get_state_display", read_only=True)
    category = NamedRefSerializer(read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField(help_text="未办结且已过办结期限")

    class Meta:
        model = Appeal
        fields = [
            "id",
            "number",
            "title",
            "channel",
            "channel_name",
            "appeal_type",
            "appeal_type_name",
            "urgency",
            "urgency_name",
            "state",
            "state_name",
            "category",
            "handling_mode",
            "due_at",
            "overdue",
            "red_listed",
            "reopen_count",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_overdue(self, appeal: Appeal) -> bool:
        return appeal.state in OPEN_STATES and appeal.due_at is not None and appeal.due_at < timezone.now()


class AppealDetailSerializer(AppealListSerializer):
    """Everything about one appeal the user may see. For a handling department reading a
    confidential appeal, the reporter (contact_name, contact_phone, citizen, enterprise) is null.
    For a citizen reading their own, the timeline is the public one (at, action, action_name,
    actor as the department or the hotline, note), the reply appears once it was sent, and the
    internal records (assignments, callbacks) are empty lists."""

    contact_name = serializers.SerializerMethodField()
    contact_phone = serializers.SerializerMethodField()
    citizen = serializers.SerializerMethodField()
    enterprise = serializers.SerializerMethodField()
    specialist = serializers.SerializerMethodField()
    merged_into = serializers.SerializerMethodField(help_text="并入的原工单号")
    reply = serializers.SerializerMethodField()
    light = serializers.SerializerMethodField(help_text="办结时限灯：green / yellow / red")
    assignments = AssignmentSerializer(many=True, read_only=True)
    callbacks = CallbackSerializer(many=True, read_only=True)
    timeline = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField(help_text="当前状态下本人的角色可做的动作代码")

    class Meta(AppealListSerializer.Meta):
        fields = [
            *AppealListSerializer.Meta.fields,
            "body",
            "address",
            "anonymous",
            "confidential",
            "contact_name",
            "contact_phone",
            "citizen",
            "enterprise",
            "specialist",
            "merged_into",
            "reply",
            "replied_at",
            "closed_at",
            "light",
            "assignments",
            "callbacks",
            "timeline",
            "allowed_actions",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Appeal) -> Any:
        data = super().to_representation(instance)
        if self._public():  # a citizen: no internal handling records (returns, co-handlers' notes)
            data.update(assignments=[], callbacks=[], red_listed=False)
        return data

    def _hidden(self) -> bool:
        return bool(self.context.get("hide_reporter"))

    def _public(self) -> bool:
        return bool(self.context.get("public_only"))

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_contact_name(self, appeal: Appeal) -> str | None:
        return None if self._hidden() else appeal.contact_name

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_contact_phone(self, appeal: Appeal) -> str | None:
        """Masked (privacy.py); the whole number only through POST …/reveal-phone."""
        return None if self._hidden() else privacy.masked_phone(appeal)

    @extend_schema_field(NamedRefSerializer(allow_null=True))
    def get_citizen(self, appeal: Appeal) -> Any:
        person: Citizen | None = appeal.citizen
        return None if self._hidden() or person is None else {"id": person.pk, "name": person.name}

    @extend_schema_field(NamedRefSerializer(allow_null=True))
    def get_enterprise(self, appeal: Appeal) -> Any:
        firm: Enterprise | None = appeal.enterprise
        return None if self._hidden() or firm is None else {"id": firm.pk, "name": firm.name}

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_specialist(self, appeal: Appeal) -> str | None:
        person: User | None = appeal.specialist
        return None if person is None or self._public() else person.display_name

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_merged_into(self, appeal: Appeal) -> str | None:
        return appeal.merged_into.number if appeal.merged_into else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_reply(self, appeal: Appeal) -> str | None:
        if self._public():
            return appeal.reply if reply_is_public(appeal) else None
        return appeal.reply or None

    def get_light(self, appeal: Appeal) -> str:
        return light(appeal.created_at, appeal.due_at, timezone.now(), done_at=appeal.closed_at)

    @extend_schema_field(EventSerializer(many=True))
    def get_timeline(self, appeal: Appeal) -> Any:
        events = list(appeal.events.all())
        if self._public():
            return PublicEventSerializer([e for e in events if e.public], many=True).data
        return EventSerializer(events, many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, appeal: Appeal) -> list[str]:
        from .services import available_actions  # the services import this module's helpers

        return available_actions(appeal, self.context.get("user"))


class AppealCreatedSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    number = serializers.CharField(help_text="工单号")
    query_code = serializers.CharField(
        allow_null=True, help_text="查询码，只在首次登记时返回一次；同一幂等键重试时为 null"
    )
    state = serializers.CharField()
    version = serializers.IntegerField()
    created = serializers.BooleanField(help_text="true：本次新建；false：此前已用同一幂等键登记")


class TrackResultSerializer(serializers.Serializer[Any]):
    """What a citizen with the number and the query code may read."""

    number = serializers.CharField()
    title = serializers.CharField()
    appeal_type = serializers.CharField()
    appeal_type_name = serializers.CharField()
    state = serializers.CharField()
    state_name = serializers.CharField()
    created_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True)
    replied_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    reply = serializers.CharField(allow_null=True, help_text="答复内容，答复后可见")
    timeline = PublicEventSerializer(many=True)


def track_result(appeal: Appeal) -> dict[str, Any]:
    public = reply_is_public(appeal)
    return {
        "number": appeal.number,
        "title": appeal.title,
        "appeal_type": appeal.appeal_type,
        "appeal_type_name": appeal.get_appeal_type_display(),
        "state": appeal.state,
        "state_name": appeal.get_state_display(),
        "created_at": appeal.created_at,
        "due_at": appeal.due_at,
        "replied_at": appeal.replied_at if public else None,
        "closed_at": appeal.closed_at,
        "reply": appeal.reply if public else None,
        "timeline": [e for e in appeal.events.all() if e.public],
    }


# ---------------------------------------------------------------------------------------------
# Input (types only; the services say what is allowed)


class AppealCreateSerializer(serializers.Serializer[Any]):
    """诉求登记. ``channel`` is the client's own for an API client, web or mobile for a citizen,
    and required for an operator. Length and phone rules are the service's (400 naming the field)."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # DRF deep-copies every declared field for every request, re-running each field's
        # __init__ and copying the related fields' querysets: a tenth of an intake's CPU. A
        # shallow copy is enough: binding sets the copy's own attributes and validating a value
        # changes nothing shared.
        return {name: copy.copy(field) for name, field in self._declared_fields.items()}

    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    appeal_type = serializers.ChoiceField(choices=AppealType.choices)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, default=Urgency.ORDINARY)
    title = serializers.CharField(
        allow_blank=True, trim_whitespace=False, help_text="最多100字；不可见的控制字符会被自动去除"
    )
    body = serializers.CharField(
        allow_blank=True, trim_whitespace=False, help_text="最多5000字；不可见的控制字符会被自动去除"
    )
    contact_name = serializers.CharField(required=False, allow_blank=True, default="", help_text="最多50字")
    contact_phone = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="11位手机号或带区号的固定电话；匿名举报可空"
    )
    address = serializers.CharField(required=False, allow_blank=True, default="", help_text="最多200字")
    anonymous = serializers.BooleanField(required=False, default=False, help_text="仅举报可匿名")
    confidential = serializers.BooleanField(required=False, default=False, help_text="对承办部门隐藏诉求人")
    citizen = serializers.PrimaryKeyRelatedField(
        queryset=Citizen.objects.all(),
        required=False,
        allow_null=True,
        error_messages=_missing("自然人"),
        help_text="诉求人（自然人）编号，仅受理员可填",
    )
    enterprise = serializers.PrimaryKeyRelatedField(
        queryset=Enterprise.objects.all(),
        required=False,
        allow_null=True,
        error_messages=_missing("企业"),
        help_text="诉求企业编号，仅受理员可填",
    )
    external_id = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=80,
        help_text="渠道自己的单号；与 Idempotency-Key 请求头作用相同，重试不会重复登记",
    )


class VersionInput(serializers.Serializer[Any]):
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="读取时的版本号；若诉求已被他人修改则返回 409“已被他人修改，请刷新后重试”",
    )


class TriageInput(VersionInput):
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), error_messages=_missing("诉求分类")
    )
    handling_mode = serializers.ChoiceField(choices=HandlingMode.choices)
    specialist = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        default=None,
        error_messages=_missing("专员"),
        help_text="一对一办的专员（用户编号）",
    )
    red_list = serializers.BooleanField(required=False, default=False, help_text="列入纪委督办红名单")
    suggested = serializers.CharField(
        required=False,
        allow_null=True,
        default=None,
        max_length=50,
        help_text="研判建议的一级分类（POST /api/triage/suggest 的首项）；填写后本次研判作为训练样本",
    )


class AnswerInput(VersionInput):
    answer = serializers.CharField(allow_blank=True, help_text="咨询导办的答复内容")


class MergeInput(VersionInput):
    into = serializers.PrimaryKeyRelatedField(
        queryset=Appeal.objects.all(), error_messages=_missing("原工单"), help_text="并入的原工单（诉求编号）"
    )


class DispatchInput(VersionInput):
    lead = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(),
        error_messages=_missing("主办单位"),
        help_text="主办单位（部门编号）",
    )
    co_handlers = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(),
        many=True,
        required=False,
        default=list,
        error_messages=_missing("协办单位"),
        help_text="协办单位（部门编号）",
    )


class TextInput(VersionInput):
    text = serializers.CharField(allow_blank=True)


class NoteInput(VersionInput):
    note = serializers.CharField(allow_blank=True)


class CallbackInput(VersionInput):
    reached = serializers.BooleanField(help_text="是否联系上诉求人")
    solved = serializers.ChoiceField(choices=Solved.choices, required=False, allow_blank=True, default="")
    satisfaction = serializers.ChoiceField(
        choices=Satisfaction.choices,
        required=False,
        allow_null=True,
        default=None,
        help_text="GB/T 39046：1 最好",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class SuperviseInput(VersionInput):
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), error_messages=_missing("被督办部门")
    )
    note = serializers.CharField(allow_blank=True)
    days = serializers.DecimalField(
        max_digits=5, decimal_places=1, min_value=Decimal("0.5"), help_text="督办期限（工作日）"
    )
    red_list = serializers.BooleanField(required=False, default=False)


class ReturnInput(VersionInput):
    reason = serializers.CharField(allow_blank=True, help_text="退单理由")


class RedispatchInput(VersionInput):
    to = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), error_messages=_missing("部门"), help_text="改派至（部门编号）"
    )


class ExtensionRequestInput(VersionInput):
    reason = serializers.CharField(allow_blank=True)
    until = serializers.DateTimeField(help_text="申请延至，须晚于当前办理期限")


class UrgeInput(VersionInput):
    threshold = serializers.CharField(
        required=False, default="manual", max_length=20, help_text="催办节点；同一节点只催办一次"
    )
    note = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="催办说明，记入办理轨迹（最多500字）"
    )


class DecideExtensionInput(VersionInput):
    approve = serializers.BooleanField(help_text="true 同意，false 不同意")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class UrgeResultSerializer(AppealDetailSerializer):
    """The appeal after 催办, and whether this call sent one (false: this threshold was urged before)."""

    urged = serializers.SerializerMethodField()

    class Meta(AppealDetailSerializer.Meta):
        fields = [*AppealDetailSerializer.Meta.fields, "urged"]
        read_only_fields = fields

    def get_urged(self, appeal: Appeal) -> bool:
        return bool(self.context.get("urged"))
