"""Shapes of the applications (办件) REST API (api.py). Input serializers check types only; every
rule (what may be filed, which step is allowed, who may act) is the services'. Output serializers
read from the context what the view decided the user may see: ``sees_contact`` (the applicant's ID
number, phone and address in full), ``sees_opinions`` (the back office's internal steps) and
``public_only`` (an applicant: no staff names)."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from zhengwu.api.fields import IdField
from zhengwu.casework.deadlines import LIGHT_LABELS, Lights
from zhengwu.catalog.api import NamedRefSerializer
from zhengwu.core.validators import mask_id_number, mask_phone

from .models import (
    ApplicantKind,
    Application,
    ApplicationEvent,
    ApplicationMaterial,
    DeliveryMethod,
    MaterialFile,
    Notice,
    SpecialKind,
    SpecialProcedure,
    SupplementRequest,
)
from .workflow import PAUSED_STATES, RUNNING_STATES, TABLE, ApplicationState

# Steps that are not actions of the table: what the history calls them.
OTHER_STEPS = {"submit": "提交申请", "deferred_overdue": "容缺材料逾期未补交"}
WINDOW = "综合受理窗口"
LIGHTS = ("green", "yellow", "red", "paused")
STATE_HELP = " / ".join(f"{value} {label}" for value, label in ApplicationState.choices)


def step_label(code: str) -> str:
    spec = TABLE.actions.get(code)
    return spec.label if spec is not None else OTHER_STEPS.get(code, "其他操作")


def application_light(application: Application, lights: Lights) -> str:
    """green / yellow / red of the 承诺办结时间 while the clock runs; "paused" during 补正 and
    特别程序; once decided (or closed), whether it was decided in time; "" before acceptance."""
    if application.state in PAUSED_STATES:
        return "paused"
    if application.accepted_at is None or application.due_at is None:
        return ""
    if application.state in RUNNING_STATES:
        return lights(application.accepted_at, application.due_at)
    done = application.decided_at or application.closed_at or lights.now
    return lights(application.accepted_at, application.due_at, done_at=done)


def _lights(context: dict[str, Any]) -> Lights:
    found = context.get("lights")
    if found is None:
        found = context["lights"] = Lights()
    return found


def notice_url(notice: Notice, application: Application, *, staff: bool) -> str:
    """Where the notice's PDF is: the staff page's download when that page exists and the reader
    is staff, otherwise this API's own download (which answers whoever may see the application)."""
    if staff:
        try:
            return reverse("applications:notice", args=[application.number, notice.number])
        except NoReverseMatch:
            pass
    return reverse("application-notice-pdf", args=[application.number, notice.number])


# ---------------------------------------------------------------------------------------------
# Output


class ApplicationActionSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="动作代码，即 POST …/actions/{code}/ 中的 code")
    label = serializers.CharField(help_text="动作名称")  # type: ignore[assignment]  # Field.label: a field named label


class ApplicationMaterialFileSerializer(serializers.ModelSerializer[MaterialFile]):
    class Meta:
        model = MaterialFile
        fields = ["id", "name", "content_type", "size", "sha256", "uploaded_at"]
        read_only_fields = fields


class ApplicationMaterialSerializer(serializers.ModelSerializer[ApplicationMaterial]):
    status = serializers.CharField(
        read_only=True,
        help_text="pending 未提交 / received 已收 / deferred 容缺 / exempt 免提交 / not_applicable 不适用",
    )
    status_name = serializers.CharField(source="get_status_display", read_only=True)
    files = ApplicationMaterialFileSerializer(many=True, read_only=True)

    class Meta:
        model = ApplicationMaterial
        fields = [
            "id",
            "item_material_id",
            "name",
            "required",
            "critical",
            "status",
            "status_name",
            "originals",
            "copies",
            "commitment",
            "deferred_until",
            "handed_in_at",
            "note",
            "files",
        ]
        read_only_fields = fields


class ApplicationNoticeSerializer(serializers.ModelSerializer[Notice]):
    kind = serializers.CharField(
        read_only=True,
        help_text="acceptance 受理通知书 / refusal 不予受理通知书 / supplement 补正材料通知书 / "
        "approval 准予许可决定书 / denial 不予许可决定书 / service 送达回证",
    )
    kind_name = serializers.CharField(source="get_kind_display", read_only=True)
    pdf_url = serializers.SerializerMethodField(help_text="文书 PDF 的下载地址")

    class Meta:
        model = Notice
        fields = ["number", "kind", "kind_name", "issued_at", "pdf_url"]
        read_only_fields = fields

    def get_pdf_url(self, notice: Notice) -> str:
        user = self.context.get("user")
        return notice_url(notice, self.context["application"], staff=bool(user and user.is_staff))


class ApplicationSupplementRequestSerializer(serializers.ModelSerializer[SupplementRequest]):
    items = serializers.SerializerMethodField(help_text="一次性告知的每项材料及补正原因")

    class Meta:
        model = SupplementRequest
        fields = ["round", "repeated", "issued_at", "supplied_at", "items"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_items(self, request: SupplementRequest) -> list[dict[str, Any]]:
        return [
            {"material_id": i.get("material_id"), "name": i.get("name", ""), "reason": i.get("reason", "")}
            for i in request.items or []
        ]


class ApplicationSpecialProcedureSerializer(serializers.ModelSerializer[SpecialProcedure]):
    """特别程序. The reason, result and the 延长审批 are the back office's: null for whoever does
    not see its opinions (``sees_opinions``)."""

    kind = serializers.CharField(
        read_only=True,
        help_text="extension 延长审批 / expert 专家评审 / hearing 听证 / inspection 现场勘查 / publicity 公示",
    )
    kind_name = serializers.CharField(source="get_kind_display", read_only=True)
    reason = serializers.SerializerMethodField()
    result = serializers.SerializerMethodField()
    extension_days = serializers.SerializerMethodField(help_text="延长审批申请的工作日数")
    approval = serializers.SerializerMethodField(help_text="延长审批：pending 待审批 / approved / rejected")

    class Meta:
        model = SpecialProcedure
        fields = [
            "id",
            "kind",
            "kind_name",
            "started_at",
            "ended_at",
            "reason",
            "result",
            "extension_days",
            "approval",
        ]
        read_only_fields = fields

    def _internal(self) -> bool:
        return not self.context.get("sees_opinions")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_reason(self, p: SpecialProcedure) -> str | None:
        return None if self._internal() else p.reason

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_result(self, p: SpecialProcedure) -> str | None:
        return None if self._internal() else p.result

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_extension_days(self, p: SpecialProcedure) -> str | None:
        if self._internal() or p.extension_days is None:
            return None
        return str(p.extension_days.normalize())

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_approval(self, p: SpecialProcedure) -> str | None:
        return None if self._internal() or not p.approval else p.approval


class ApplicationDeliverySerializer(serializers.Serializer[Any]):
    method = serializers.CharField(help_text="pickup 窗口自取 / post 邮寄送达")
    method_name = serializers.CharField()
    recipient_name = serializers.CharField()
    recipient_id_number = serializers.CharField(help_text="领取人证件号码（脱敏）")
    by_proxy = serializers.BooleanField()
    tracking_number = serializers.CharField(help_text="EMS 邮件号")
    sent_on = serializers.DateTimeField(allow_null=True)
    received_on = serializers.DateTimeField(allow_null=True)
    handed_over_at = serializers.DateTimeField(allow_null=True)


class ApplicationStepSerializer(serializers.ModelSerializer[ApplicationEvent]):
    """One step (GB/T 39046 表5–8): 业务动作, handler, opinion, start and end."""

    action_name = serializers.SerializerMethodField()
    business_action = serializers.SerializerMethodField(help_text="通过 / 退回 / 其他")
    actor = serializers.SerializerMethodField(help_text="经办人；申请人看到的是部门或窗口")
    started_at = serializers.SerializerMethodField(help_text="本环节开始时间（上一环节结束）")

    class Meta:
        model = ApplicationEvent
        fields = [
            "seq",
            "at",
            "started_at",
            "action",
            "action_name",
            "business_action",
            "actor",
            "from_state",
            "to_state",
            "public",
            "note",
        ]
        read_only_fields = fields

    def get_action_name(self, event: ApplicationEvent) -> str:
        return step_label(event.action)

    def get_business_action(self, event: ApplicationEvent) -> str:
        return str((event.data or {}).get("business_action") or "其他")

    def get_actor(self, event: ApplicationEvent) -> str:
        if not self.context.get("public_only"):
            return event.actor_label
        spec = TABLE.actions.get(event.action)
        if spec is not None and spec.applicant_action and event.actor_id in self.context.get("owner_ids", ()):
            return "申请人"
        if event.action == "submit" and event.data.get("channel") != "window":
            return "申请人"
        if spec is not None and spec.department_action:
            return str(self.context["application"].department.name)
        return WINDOW

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_started_at(self, event: ApplicationEvent) -> str | None:
        value = (event.data or {}).get("started_at")
        return str(value) if value else None


class ApplicationListSerializer(serializers.ModelSerializer[Application]):
    item = NamedRefSerializer(read_only=True)
    department = NamedRefSerializer(read_only=True)
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
    decision = serializers.CharField(
        read_only=True, help_text="approved 准予许可 / denied 不予许可；未决定为空"
    )
    decision_name = serializers.CharField(source="get_decision_display", read_only=True)
    light = serializers.SerializerMethodField(
        help_text="时限灯：green 正常 / yellow 临期 / red 超期 / paused 暂停计时；未受理为空"
    )
    light_name = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "number",
            "item",
            "department",
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
            "decision",
            "decision_name",
            "completed_at",
            "version",
        ]
        read_only_fields = fields

    def get_applicant_code(self, application: Application) -> str:
        return mask_id_number(application.applicant_code)

    def get_light(self, application: Application) -> str:
        return application_light(application, _lights(self.context))

    def get_light_name(self, application: Application) -> str:
        return LIGHT_LABELS.get(self.get_light(application), "")


class ApplicationDetailSerializer(ApplicationListSerializer):
    """Everything about one application the user may see. The applicant's ID number, phone and
    postal address are whole only for the window, delivery, leaders and the applicant
    (``selectors.sees_contact``); the back office's internal steps only for the deciding
    department (``selectors.sees_opinions``)."""

    applicant_code = serializers.SerializerMethodField(help_text="公民身份号码或统一社会信用代码")
    contact_phone = serializers.SerializerMethodField()
    postal_phone = serializers.SerializerMethodField()
    postal_address = serializers.SerializerMethodField()
    delivery_method = serializers.CharField(read_only=True, help_text="pickup 窗口自取 / post 邮寄送达")
    delivery_method_name = serializers.CharField(source="get_delivery_method_display", read_only=True)
    limit_days = serializers.SerializerMethodField(help_text="承诺办结时限（工作日），含批准的延长")
    form_data = serializers.DictField(child=serializers.CharField(), read_only=True, help_text="申请表内容")
    materials = ApplicationMaterialSerializer(many=True, read_only=True)
    notices = serializers.SerializerMethodField()
    supplement_requests = ApplicationSupplementRequestSerializer(many=True, read_only=True)
    special_procedures = serializers.SerializerMethodField()
    delivery = serializers.SerializerMethodField()
    steps = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField(help_text="本人现在可做的动作（代码和名称）")

    class Meta(ApplicationListSerializer.Meta):
        fields = [
            *ApplicationListSerializer.Meta.fields,
            "item_version",
            "contact_name",
            "contact_phone",
            "delivery_method",
            "delivery_method_name",
            "postal_recipient",
            "postal_phone",
            "postal_address",
            "form_data",
            "limit_days",
            "paused_since",
            "on_the_spot",
            "supplement_rounds",
            "deferred_overdue",
            "decision_opinion",
            "decided_at",
            "result_name",
            "result_number",
            "certified_at",
            "delivered_at",
            "closed_at",
            "materials",
            "notices",
            "supplement_requests",
            "special_procedures",
            "delivery",
            "steps",
            "available_actions",
        ]
        read_only_fields = fields

    def _whole(self) -> bool:
        return bool(self.context.get("sees_contact"))

    def get_applicant_code(self, application: Application) -> str:
        code = application.applicant_code
        return code if self._whole() else mask_id_number(code)

    def get_contact_phone(self, application: Application) -> str:
        phone = application.contact_phone
        return phone if self._whole() else mask_phone(phone)

    def get_postal_phone(self, application: Application) -> str:
        phone = application.postal_phone
        return phone if self._whole() else mask_phone(phone)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_postal_address(self, application: Application) -> str | None:
        return application.postal_address if self._whole() else None

    def get_limit_days(self, application: Application) -> str:
        return str(application.limit_days.normalize())

    @extend_schema_field(ApplicationNoticeSerializer(many=True))
    def get_notices(self, application: Application) -> Any:
        context = {**self.context, "application": application}
        return ApplicationNoticeSerializer(application.notices.all(), many=True, context=context).data

    @extend_schema_field(ApplicationSpecialProcedureSerializer(many=True))
    def get_special_procedures(self, application: Application) -> Any:
        rows = list(application.special_procedures.all())
        if not self.context.get("sees_opinions"):  # 延长审批 is the department's own business
            rows = [p for p in rows if p.kind != SpecialKind.EXTENSION]
        return ApplicationSpecialProcedureSerializer(rows, many=True, context=self.context).data

    @extend_schema_field(ApplicationDeliverySerializer(allow_null=True))
    def get_delivery(self, application: Application) -> dict[str, Any] | None:
        found = getattr(application, "delivery", None)
        if found is None:
            return None
        return {
            "method": found.method,
            "method_name": found.get_method_display(),
            "recipient_name": found.recipient_name,
            "recipient_id_number": mask_id_number(found.recipient_id_number),
            "by_proxy": found.by_proxy,
            "tracking_number": found.tracking_number,
            "sent_on": found.sent_on,
            "received_on": found.received_on,
            "handed_over_at": found.handed_over_at,
        }

    @extend_schema_field(ApplicationStepSerializer(many=True))
    def get_steps(self, application: Application) -> Any:
        events = list(application.events.all())
        if not self.context.get("sees_opinions"):
            events = [e for e in events if e.public]
        context = {**self.context, "application": application}
        return ApplicationStepSerializer(events, many=True, context=context).data

    @extend_schema_field(ApplicationActionSerializer(many=True))
    def get_available_actions(self, application: Application) -> list[dict[str, str]]:
        from .services import available_actions

        user = self.context.get("user")
        return [{"code": a.code, "label": a.label} for a in available_actions(application, user)]


class ApplicationIntakeResultSerializer(serializers.Serializer[Any]):
    number = serializers.CharField(help_text="办件编号")
    query_code = serializers.CharField(
        allow_null=True, help_text="查询码，只在首次提交时返回一次；同一幂等键重试时为 null"
    )
    state = serializers.CharField(help_text=STATE_HELP)
    state_name = serializers.CharField()
    version = serializers.IntegerField()
    created = serializers.BooleanField(help_text="true：本次新建；false：此前已用同一幂等键提交")


# ---------------------------------------------------------------------------------------------
# Input (types only; the services say what is allowed)


class ShallowFields:
    """DRF deep-copies every declared field for every request; a shallow copy is enough (binding
    sets the copy's own attributes), as in the appeals intake."""

    _declared_fields: dict[str, Any]

    def get_fields(self) -> dict[str, Any]:
        return {name: copy.copy(field) for name, field in self._declared_fields.items()}


class FormDataField(serializers.Field):
    """The item's form: an object of field name → text, or the same as a JSON string (multipart)."""

    default_error_messages = {"invalid": "申请表内容应为“字段名: 内容”的对象（或其 JSON 文本）"}

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, str):
            if not data.strip():
                return {}
            try:
                data = json.loads(data)
            except (ValueError, RecursionError):
                self.fail("invalid")
        if not isinstance(data, dict) or not all(isinstance(v, str | int | float) for v in data.values()):
            self.fail("invalid")
        return {str(k): str(v) for k, v in data.items()}

    def to_representation(self, value: Any) -> Any:
        return value


extend_schema_field(
    {"type": "object", "additionalProperties": {"type": "string"}, "description": "申请表内容：字段名 → 内容"}
)(FormDataField)


class ApplicationMaterialMarkInput(ShallowFields, serializers.Serializer[Any]):
    """How the window marked one material of the item's checklist."""

    item_material_id = IdField(help_text="事项材料编号（事项的材料清单中的 id）")
    status = serializers.CharField(
        max_length=20,
        help_text="received 已收 / deferred 容缺 / exempt 免提交 / not_applicable 不适用",
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


class ApplicationSupplementEntryInput(serializers.Serializer[Any]):
    item_material_id = IdField(help_text="需补正的事项材料编号")
    reason = serializers.CharField(allow_blank=True, help_text="补正原因")


class ApplicantInput(ShallowFields, serializers.Serializer[Any]):
    contact_name = serializers.CharField(allow_blank=True, help_text="联系人（最多50字）")
    contact_phone = serializers.CharField(allow_blank=True, help_text="联系电话")
    form_data = FormDataField(required=False, default=dict)
    delivery_method = serializers.ChoiceField(
        choices=DeliveryMethod.choices, required=False, default=DeliveryMethod.PICKUP
    )
    postal_recipient = serializers.CharField(required=False, allow_blank=True, default="")
    postal_phone = serializers.CharField(required=False, allow_blank=True, default="")
    postal_address = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="邮寄送达时必填"
    )


class ApplicationWindowIntakeInput(ApplicantInput):
    """综合受理 by a window clerk (JSON): the applicant by ID number or USCC (registered here when
    new, with the name), the checklist as marked, and the outcome."""

    item = IdField(help_text="事项编号")
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
    materials = ApplicationMaterialMarkInput(many=True, required=False, default=list)
    outcome = serializers.ChoiceField(
        choices=[("accept", "受理"), ("refuse", "不予受理"), ("supplement", "一次性告知补正")]
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="不予受理理由")
    remedy = serializers.CharField(required=False, allow_blank=True, default="", help_text="救济途径")
    supplement = ApplicationSupplementEntryInput(
        many=True, required=False, default=list, help_text="补正：每项材料和原因"
    )


class ApplicationOnlineApplyInput(ApplicantInput):
    """在线办理 by the applicant's own account (multipart): the form, and for each material of the
    item's checklist its files under the key ``materials.<事项材料编号>`` (repeat the key for
    several files)."""

    item = IdField(help_text="事项编号")
    enterprise = IdField(
        required=False, allow_null=True, default=None, help_text="以本单位名义申请时的法人编号"
    )


class ApplicationVersionInput(ShallowFields, serializers.Serializer[Any]):
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="读取时的版本号；若办件已被他人修改则返回 409“已被他人修改，请刷新后重试”",
    )


class ApplicationNoteInput(ApplicationVersionInput):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ApplicationRequiredNoteInput(ApplicationVersionInput):
    note = serializers.CharField(allow_blank=True, help_text="说明")


class ApplicationReasonInput(ApplicationVersionInput):
    reason = serializers.CharField(allow_blank=True)


class ApplicationAcceptInput(ApplicationNoteInput):
    materials = ApplicationMaterialMarkInput(
        many=True, required=False, default=list, help_text="各材料的收取情况"
    )


class ApplicationRefuseInput(ApplicationReasonInput):
    remedy = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="救济途径，空则用默认"
    )


class ApplicationSupplementItemInput(serializers.Serializer[Any]):
    material_id = IdField(help_text="办件材料编号（详情中 materials[].id）")
    reason = serializers.CharField(allow_blank=True, help_text="补正原因")


class ApplicationRequestSupplementInput(ApplicationVersionInput):
    items = ApplicationSupplementItemInput(many=True, help_text="一次性告知：每项需补正的材料和原因")


class ApplicationSupplyInput(ApplicationNoteInput):
    """补正材料: the applicant uploads (multipart, files under ``materials.<办件材料编号>``) or the
    window receives them (``materials``, as at intake)."""

    materials = ApplicationMaterialMarkInput(
        many=True, required=False, default=list, help_text="窗口收取时各材料的收取情况"
    )


class ApplicationDecisionInput(ApplicationVersionInput):
    approved = serializers.BooleanField(help_text="true 准予许可，false 不予许可")
    opinion = serializers.CharField(allow_blank=True, help_text="决定意见")


class ApplicationWindowDecisionInput(ApplicationDecisionInput):
    result_number = serializers.CharField(required=False, allow_blank=True, default="", help_text="结果文号")


class ApplicationHandInInput(ApplicationVersionInput):
    material_id = IdField(help_text="容缺材料的办件材料编号")
    originals = serializers.IntegerField(required=False, default=1, min_value=0, max_value=999)
    copies = serializers.IntegerField(required=False, default=0, min_value=0, max_value=999)


class ApplicationStartSpecialInput(ApplicationReasonInput):
    kind = serializers.ChoiceField(
        choices=[c for c in SpecialKind.choices if c[0] != SpecialKind.EXTENSION],
        help_text="expert 专家评审 / hearing 听证 / inspection 现场勘查 / publicity 公示",
    )


class ApplicationEndSpecialInput(ApplicationVersionInput):
    result = serializers.CharField(allow_blank=True, help_text="特别程序结果")


class ApplicationExtensionInput(ApplicationReasonInput):
    days = serializers.DecimalField(
        max_digits=6, decimal_places=2, help_text="延长的工作日数，可为半天（0.5）"
    )


class ApplicationDecideExtensionInput(ApplicationVersionInput):
    approved = serializers.BooleanField(help_text="true 批准，false 不批准")
    note = serializers.CharField(required=False, allow_blank=True, default="", help_text="审批意见")


class ApplicationCompleteInput(ApplicationVersionInput):
    result_number = serializers.CharField(required=False, allow_blank=True, default="", help_text="结果文号")


class ApplicationCertifyInput(ApplicationVersionInput):
    licence_number = serializers.CharField(
        allow_blank=True, required=False, default="", help_text="证照编号；不填则以证照流水号为编号"
    )


class ApplicationHandOverInput(ApplicationVersionInput):
    recipient_name = serializers.CharField(allow_blank=True, help_text="领取人姓名")
    recipient_id_number = serializers.CharField(allow_blank=True, help_text="领取人公民身份号码")
    by_proxy = serializers.BooleanField(required=False, default=False, help_text="代领")
    proxy_authorisation = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="代领时的委托书情况"
    )


class ApplicationPostInput(ApplicationVersionInput):
    tracking_number = serializers.CharField(
        allow_blank=True, help_text="EMS 邮件号（UPU S10，如 EA123456785CN）"
    )


class ApplicationConfirmReceiptInput(ApplicationVersionInput):
    received_on = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="签收时间，空则为现在"
    )

    def validate_received_on(self, value: datetime | None) -> datetime | None:
        if value is not None and timezone.is_naive(value):
            return timezone.make_aware(value)
        return value


class ApplicationFilters(serializers.Serializer[Any]):
    state = serializers.MultipleChoiceField(choices=ApplicationState.choices, required=False)
    item = IdField(required=False)
    department = IdField(required=False)
    submitted_from = serializers.DateField(required=False, help_text="申请日期自（含）")
    submitted_to = serializers.DateField(required=False, help_text="申请日期至（含）")
    light = serializers.ChoiceField(choices=[(x, LIGHT_LABELS[x]) for x in LIGHTS], required=False)
    q = serializers.CharField(required=False, allow_blank=True, max_length=50)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("submitted_from"), attrs.get("submitted_to")
        if start and end and start > end:
            raise serializers.ValidationError({"submitted_to": ["结束日期不能早于开始日期"]})
        return attrs
