"""Shapes of the 一件事办件 REST API (bundle_api.py). Input serializers check types only; every rule
(what may be filed, which step is allowed, who may act) is ``bundles``'. Output serializers read
from the context what the view decided the user may see: ``sees_contact`` (the applicant's ID
number, phone and address in full) and ``public_only`` (an applicant: public steps, no staff
names)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from zhengwu.api.fields import IdField
from zhengwu.casework.deadlines import LIGHT_LABELS, Lights
from zhengwu.catalog.api import NamedRefSerializer
from zhengwu.catalog.selectors import BundleSavings, Saving
from zhengwu.core.validators import mask_id_number, mask_phone

from . import bundles, services
from .models import ApplicantKind, Application, BundleApplication, BundleEvent, BundleState, Channel, Notice
from .serializers import (
    ApplicantInput,
    ApplicationNoteInput,
    ApplicationNoticeSerializer,
    ShallowFields,
    application_light,
)
from .workflow import ApplicationState

STATE_HELP = " / ".join(f"{value} {label}" for value, label in BundleState.choices)
CHILD_STATE_HELP = " / ".join(f"{value} {label}" for value, label in ApplicationState.choices)
LIGHT_HELP = "时限灯：green 正常 / yellow 临期 / red 超期 / paused 暂停计时（等待前置事项等）；未受理为空"
WINDOW = "综合受理窗口"
# The bundle application's own steps: what its history calls them.
STEP_LABELS = bundles.STEP_LABELS
# What happened, not what the catalogue promises: hence not catalog.SAVING_LABELS' 办理时限.
REALISED_LABELS = {
    "time": "办理用时（工作日）",
    "materials": "提交材料（份）",
    "trips": "跑动次数（次）",
    "steps": "办理环节（个）",
}


def _lights(context: dict[str, Any]) -> Lights:
    found = context.get("lights")
    if found is None:
        found = context["lights"] = Lights()
    return found


def bundle_light(parent: BundleApplication, lights: Lights) -> str:
    """green / yellow / red of the bundle's 承诺办结时间 while its items are handled; once done,
    whether it was done in time; "" before acceptance (and when it was not accepted)."""
    if parent.accepted_at is None or parent.due_at is None:
        return ""
    if parent.state == BundleState.IN_PROGRESS:
        return lights(parent.accepted_at, parent.due_at)
    return lights(parent.accepted_at, parent.due_at, done_at=parent.completed_at or lights.now)


# ---------------------------------------------------------------------------------------------
# Output


class BundleActionSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(
        help_text="动作代码：accept / refuse / withdraw / hand_over / post / confirm_receipt"
    )
    label = serializers.CharField(help_text="动作名称")  # type: ignore[assignment]  # Field.label: a field named label
    path = serializers.CharField(help_text="POST 的地址")


class BundleChildSerializer(serializers.ModelSerializer[Application]):
    """One item of the bundle, handled as its own application by its own department."""

    item = NamedRefSerializer(read_only=True)
    department = NamedRefSerializer(read_only=True)
    state = serializers.CharField(read_only=True, help_text=CHILD_STATE_HELP)
    state_name = serializers.CharField(source="get_state_display", read_only=True)
    decision = serializers.CharField(
        read_only=True, help_text="approved 准予许可 / denied 不予许可；未决定为空"
    )
    decision_name = serializers.CharField(source="get_decision_display", read_only=True)
    due_at = serializers.SerializerMethodField(help_text="承诺办结时间；等待前置事项时为空（时限暂停计算）")
    light = serializers.SerializerMethodField(help_text=LIGHT_HELP)
    light_name = serializers.SerializerMethodField()
    waits_for = serializers.SerializerMethodField(help_text="前置事项名称；没有前置事项为空")
    waits_for_number = serializers.SerializerMethodField(help_text="前置事项的办件编号")
    waiting = serializers.SerializerMethodField(help_text="true：正在等待前置事项办结，尚未开始办理")

    class Meta:
        model = Application
        fields = [
            "number",
            "item",
            "department",
            "state",
            "state_name",
            "decision",
            "decision_name",
            "accepted_at",
            "due_at",
            "light",
            "light_name",
            "waits_for",
            "waits_for_number",
            "waiting",
            "completed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_due_at(self, child: Application) -> Any:
        if services.waiting(child) or child.due_at is None:
            return None
        return serializers.DateTimeField().to_representation(child.due_at)

    def get_light(self, child: Application) -> str:
        return "paused" if services.waiting(child) else application_light(child, _lights(self.context))

    def get_light_name(self, child: Application) -> str:
        return LIGHT_LABELS.get(self.get_light(child), "")

    def get_waits_for(self, child: Application) -> str:
        return child.waits_for.item.name if child.waits_for is not None else ""

    def get_waits_for_number(self, child: Application) -> str:
        return child.waits_for.number if child.waits_for is not None else ""

    def get_waiting(self, child: Application) -> bool:
        return services.waiting(child)


class BundleStepSerializer(serializers.ModelSerializer[BundleEvent]):
    action_name = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField(help_text="经办人；申请人看到的是窗口、申请人或系统")

    class Meta:
        model = BundleEvent
        fields = ["seq", "at", "action", "action_name", "actor", "from_state", "to_state", "public", "note"]
        read_only_fields = fields

    def get_action_name(self, event: BundleEvent) -> str:
        return STEP_LABELS.get(event.action, "其他操作")

    def get_actor(self, event: BundleEvent) -> str:
        if not self.context.get("public_only"):
            return event.actor_label
        if event.action == "submit" and (event.data or {}).get("channel") != Channel.WINDOW:
            return "申请人"
        if event.actor_id is None:
            return "系统"
        return WINDOW


class BundleNoticeSerializer(ApplicationNoticeSerializer):
    kind = serializers.CharField(
        read_only=True,
        help_text="acceptance 受理通知书（列出每个事项、部门和承诺办结日期）/ refusal 不予受理通知书 / "
        "service 送达回证",
    )

    def get_pdf_url(self, notice: Notice) -> str:
        return reverse("bundle-application-notice-pdf", args=[self.context["parent"].number, notice.number])


class BundleApplicationListSerializer(serializers.ModelSerializer[BundleApplication]):
    bundle = NamedRefSerializer(read_only=True)
    channel = serializers.CharField(
        read_only=True, help_text="window 窗口 / web 网上 / mobile 移动端 / kiosk 自助终端 / post 邮寄申请"
    )
    channel_name = serializers.CharField(source="get_channel_display", read_only=True)
    applicant_kind = serializers.CharField(read_only=True, help_text="person 自然人 / organisation 法人")
    applicant_kind_name = serializers.CharField(source="get_applicant_kind_display", read_only=True)
    applicant_code = serializers.SerializerMethodField(
        help_text="公民身份号码或统一社会信用代码（列表中脱敏）"
    )
    state = serializers.CharField(read_only=True, help_text=STATE_HELP)
    state_name = serializers.CharField(source="get_state_display", read_only=True)
    light = serializers.SerializerMethodField(help_text=LIGHT_HELP)
    light_name = serializers.SerializerMethodField()

    class Meta:
        model = BundleApplication
        fields = [
            "number",
            "bundle",
            "channel",
            "channel_name",
            "applicant_kind",
            "applicant_kind_name",
            "applicant_name",
            "applicant_code",
            "state",
            "state_name",
            "submitted_at",
            "accepted_at",
            "due_at",
            "light",
            "light_name",
            "completed_at",
            "delivered_at",
            "version",
        ]
        read_only_fields = fields

    def get_applicant_code(self, parent: BundleApplication) -> str:
        return mask_id_number(parent.applicant_code)

    def get_light(self, parent: BundleApplication) -> str:
        return bundle_light(parent, _lights(self.context))

    def get_light_name(self, parent: BundleApplication) -> str:
        return LIGHT_LABELS.get(self.get_light(parent), "")


class BundleApplicationDetailSerializer(BundleApplicationListSerializer):
    """Everything about one bundle application the user may see: each item's own application
    (state, light, what it waits for), the bundle's steps and its notices."""

    applicant_code = serializers.SerializerMethodField(help_text="公民身份号码或统一社会信用代码")
    contact_phone = serializers.SerializerMethodField()
    postal_phone = serializers.SerializerMethodField()
    postal_address = serializers.SerializerMethodField()
    delivery_method = serializers.CharField(read_only=True, help_text="pickup 窗口自取 / post 邮寄送达")
    delivery_method_name = serializers.CharField(source="get_delivery_method_display", read_only=True)
    limit_days = serializers.SerializerMethodField(help_text="一件事承诺办结时限（工作日）")
    form_data = serializers.DictField(
        child=serializers.CharField(), read_only=True, help_text="联办申请表内容（每项只填一次）"
    )
    children = serializers.SerializerMethodField(help_text="各事项的办件，由各部门并联办理")
    steps = serializers.SerializerMethodField(help_text="一件事办件的办理轨迹；申请人只看到公开的环节")
    notices = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField(help_text="本人现在可做的动作")

    class Meta(BundleApplicationListSerializer.Meta):
        fields = [
            *BundleApplicationListSerializer.Meta.fields,
            "contact_name",
            "contact_phone",
            "delivery_method",
            "delivery_method_name",
            "postal_recipient",
            "postal_phone",
            "postal_address",
            "tracking_number",
            "form_data",
            "limit_days",
            "closed_at",
            "children",
            "steps",
            "notices",
            "available_actions",
        ]
        read_only_fields = fields

    def _whole(self) -> bool:
        return bool(self.context.get("sees_contact"))

    def get_applicant_code(self, parent: BundleApplication) -> str:
        return parent.applicant_code if self._whole() else mask_id_number(parent.applicant_code)

    def get_contact_phone(self, parent: BundleApplication) -> str:
        return parent.contact_phone if self._whole() else mask_phone(parent.contact_phone)

    def get_postal_phone(self, parent: BundleApplication) -> str:
        return parent.postal_phone if self._whole() else mask_phone(parent.postal_phone)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_postal_address(self, parent: BundleApplication) -> str | None:
        return parent.postal_address if self._whole() else None

    def get_limit_days(self, parent: BundleApplication) -> str:
        return format(parent.limit_days.normalize(), "f")

    @extend_schema_field(BundleChildSerializer(many=True))
    def get_children(self, parent: BundleApplication) -> Any:
        return BundleChildSerializer(parent.children.all(), many=True, context=self.context).data

    @extend_schema_field(BundleStepSerializer(many=True))
    def get_steps(self, parent: BundleApplication) -> Any:
        events = list(parent.events.all())
        if self.context.get("public_only"):
            events = [e for e in events if e.public]
        return BundleStepSerializer(events, many=True, context=self.context).data

    @extend_schema_field(BundleNoticeSerializer(many=True))
    def get_notices(self, parent: BundleApplication) -> Any:
        context = {**self.context, "parent": parent}
        return BundleNoticeSerializer(parent.notices.all(), many=True, context=context).data

    @extend_schema_field(BundleActionSerializer(many=True))
    def get_available_actions(self, parent: BundleApplication) -> list[dict[str, str]]:
        return list(self.context.get("actions") or [])


class BundleIntakeResultSerializer(serializers.Serializer[Any]):
    number = serializers.CharField(help_text="一件事办件编号")
    query_code = serializers.CharField(
        allow_null=True, help_text="查询码，只在首次提交时返回一次；同一幂等键重试时为 null"
    )
    state = serializers.CharField(help_text=STATE_HELP)
    state_name = serializers.CharField()
    version = serializers.IntegerField()
    created = serializers.BooleanField(help_text="true：本次新建；false：此前已用同一幂等键提交")


class RealisedSavingSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(help_text="指标名称")
    items_total = serializers.DecimalField(
        max_digits=14, decimal_places=2, normalize_output=True, help_text="各事项分别办理的合计"
    )
    bundle = serializers.DecimalField(
        max_digits=14, decimal_places=2, normalize_output=True, help_text="一件事实际"
    )
    saved = serializers.DecimalField(
        max_digits=14, decimal_places=2, normalize_output=True, help_text="节省：items_total − bundle"
    )
    percent = serializers.DecimalField(
        max_digits=5, decimal_places=1, help_text="节省比例（%，一位小数）；items_total 为 0 时为 0"
    )


def saving_data(key: str, saving: Saving) -> dict[str, Any]:
    return {
        "name": REALISED_LABELS[key],
        "items_total": saving.items_total,
        "bundle": saving.bundle,
        "saved": saving.saved,
        "percent": saving.percent,
    }


def savings_data(savings: BundleSavings) -> dict[str, Any]:
    return {
        "bundle_applications": savings.bundle_count,
        **{key: saving_data(key, saving) for key, _label, saving in savings.rows()},
    }


class RealisedSavingsSerializer(serializers.Serializer[Any]):
    bundle_applications = serializers.IntegerField(help_text="计入的已办结一件事办件数")
    time = RealisedSavingSerializer(
        help_text="办理时间（工作日）：一件事从受理到办结，对比各事项从可开始办理到办结之和"
    )
    materials = RealisedSavingSerializer(help_text="提交材料（份）：一件事每份只交一次，对比各事项各自所需")
    trips = RealisedSavingSerializer(help_text="跑动次数：窗口申请和窗口领取各算一次，对比各事项的到现场次数")
    steps = RealisedSavingSerializer(help_text="申请人经历的环节（申请、受理、出件）")


class BundleRealisedSavingsSerializer(RealisedSavingsSerializer):
    bundle = NamedRefSerializer(help_text="一件事")
    start = serializers.DateField(allow_null=True, help_text="统计期间自（办结日期，含）")
    end = serializers.DateField(allow_null=True, help_text="统计期间至（办结日期，含）")
    materials_by_licence = serializers.IntegerField(help_text="其中凭电子证照免提交的材料（份）")


class RealisedSavingsRowSerializer(RealisedSavingsSerializer):
    bundle = NamedRefSerializer(help_text="一件事")


class RealisedSavingsOverviewSerializer(RealisedSavingsSerializer):
    start = serializers.DateField(allow_null=True, help_text="统计期间自（办结日期，含）")
    end = serializers.DateField(allow_null=True, help_text="统计期间至（办结日期，含）")
    bundles = RealisedSavingsRowSerializer(
        many=True, help_text="各一件事分别的情况（只列期间内有已办结办件的一件事）"
    )


# ---------------------------------------------------------------------------------------------
# Input (types only; bundles.py says what is allowed)


class BundleOnlineApplyInput(ApplicantInput):
    """一件事在线办理 by the applicant's own account (multipart): the merged form's answers as a JSON
    object, and for each material of the bundle's checklist its files under
    ``materials[<材料编号>]`` (or ``materials.<材料编号>``; repeat the key for several files) — a
    material several items need is uploaded once."""

    bundle = IdField(help_text="一件事编号")
    enterprise = IdField(
        required=False, allow_null=True, default=None, help_text="以本单位名义申请时的法人编号"
    )


class BundleMaterialMarkInput(ShallowFields, serializers.Serializer[Any]):
    """How the window marked one material of the bundle's checklist (each once for the bundle)."""

    material_id = IdField(help_text="材料编号（一件事材料清单中的 material_id）")
    status = serializers.CharField(
        max_length=20, help_text="received 已收 / deferred 容缺 / exempt 免提交 / not_applicable 不适用"
    )
    originals = serializers.IntegerField(required=False, default=0, min_value=0, max_value=999)
    copies = serializers.IntegerField(required=False, default=0, min_value=0, max_value=999)
    commitment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="容缺：申请人签字的书面承诺内容"
    )
    defer_days = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=0,
        max_value=999,
        help_text="容缺：补交期限（工作日）",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class BundleWindowIntakeInput(ApplicantInput):
    """一件事 at the 综合受理窗口 (JSON): the applicant by ID number or USCC (registered here when
    new, with the name), the bundle's checklist marked once per material, and the outcome."""

    bundle = IdField(help_text="一件事编号")
    applicant_code = serializers.CharField(
        allow_blank=True, help_text="申请人的公民身份号码（18位）或统一社会信用代码（18位），校验校验码"
    )
    applicant_kind = serializers.ChoiceField(
        choices=ApplicantKind.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="新登记申请人时必填",
    )
    applicant_name = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="新登记申请人时必填：姓名或单位名称"
    )
    legal_representative = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="新登记法人时必填"
    )
    materials = BundleMaterialMarkInput(
        many=True, required=False, default=list, help_text="各材料的收取情况，按材料编号，每份材料一次"
    )
    outcome = serializers.ChoiceField(choices=[("accept", "受理"), ("refuse", "不予受理")])
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="不予受理理由")


class BundleAcceptInput(ApplicationNoteInput):
    materials = BundleMaterialMarkInput(
        many=True,
        required=False,
        default=list,
        help_text="各材料的收取情况，按材料编号（网上已上传的可不填）；容缺须有承诺和补交期限",
    )


class BundleFilters(serializers.Serializer[Any]):
    state = serializers.MultipleChoiceField(choices=BundleState.choices, required=False)
    bundle = IdField(required=False)
    q = serializers.CharField(required=False, allow_blank=True, max_length=50)


class PeriodInput(serializers.Serializer[Any]):
    start = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": "日期格式应为 YYYY-MM-DD，如 2026-06-01"},
    )
    end = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": "日期格式应为 YYYY-MM-DD，如 2026-06-30"},
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("start"), attrs.get("end")
        if start and end and start > end:
            raise serializers.ValidationError({"end": ["结束日期不能早于开始日期"]})
        return attrs
