"""诉求 / 工单: appeals from every channel, their assignments to departments, extensions,
callbacks, supervision, and the append-only, hash-chained event history.

State changes happen only in services.py through the table in workflow.py; deadlines are computed
once by the calendar and stored, so "overdue" is an indexed filter."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from zhengwu.casework.models import ChainedEvent
from zhengwu.core.models import TimeStampedModel

from .workflow import OPEN_STATES, AppealState, AssignmentState


class Channel(models.TextChoices):
    HOTLINE = "hotline", "12345热线"
    WEB = "web", "网站"
    MOBILE = "mobile", "移动端"
    WINDOW = "window", "窗口（有诉即办专区）"
    ENTERPRISE_CENTRE = "enterprise", "企业投诉中心"
    QINQING = "qinqing", "亲清连线"
    LETTER = "letter", "信件"
    PROACTIVE = "proactive", "主动治理（未诉先办）"


class AppealType(models.TextChoices):
    CONSULTATION = "consultation", "咨询"
    HELP = "help", "求助"
    COMPLAINT = "complaint", "投诉"
    REPORT = "report", "举报"
    SUGGESTION = "suggestion", "建议"
    PRAISE = "praise", "表扬"


class Urgency(models.TextChoices):
    EMERGENCY = "emergency", "紧急"
    UTILITIES = "utilities", "水电气暖"
    ORDINARY = "ordinary", "一般"
    COMPLEX = "complex", "复杂"


class HandlingMode(models.TextChoices):
    """The seeds' 五办."""

    GUIDE = "guide", "咨询导办"
    ASSIST = "assist", "帮办代办"
    ONE_ON_ONE = "one_on_one", "一对一办"
    DISCIPLINE = "discipline", "纪委督办"
    DISPATCH = "dispatch", "分办转办"


class LimitUnit(models.TextChoices):
    WORKING_DAYS = "working_days", "工作日"
    CLOCK_HOURS = "clock_hours", "小时"


class Category(models.Model):
    """诉求分类 — a two-level tree maintained by the admin."""

    name = models.CharField("名称", max_length=50)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级分类",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    department = models.ForeignKey(
        "org.Department", verbose_name="默认承办部门", null=True, blank=True, on_delete=models.SET_NULL
    )
    order = models.PositiveSmallIntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)
    service_code = models.CharField(
        "Open311 服务代码",
        max_length=30,
        null=True,
        blank=True,
        unique=True,
        help_text="稳定的对外 service_code（预置分类已编好，如 CXJS-02），外部系统按它报送，请勿随意更改",
    )
    # Publishing stays the administrator's choice, apart from the code: a code is stable, whether
    # the city accepts that kind of request from outside systems is policy.
    open311_published = models.BooleanField(
        "在 Open311 中公布",
        default=False,
        help_text="勾选且有服务代码的启用分类，才出现在 /open311/v2/services 中并可由外部系统报送",
    )
    keywords = models.CharField(
        "Open311 关键词",
        max_length=300,
        blank=True,
        help_text="以逗号分隔，帮助外部系统找到本服务（GeoReport v2 的 keywords）",
    )

    class Meta:
        verbose_name = "诉求分类"
        verbose_name_plural = "诉求分类"
        ordering = ["parent_id", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="category_unique_name_under_parent"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(parent__isnull=True), name="category_unique_top_level_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id and self.parent else self.name


LIMIT = {"max_digits": 6, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0.01"))]}


class DeadlinePolicy(models.Model):
    """How long a department has to sign and to handle, by type and urgency. Cities differ, so this
    is data: a row with an empty type applies to every type of that urgency."""

    appeal_type = models.CharField("诉求类型", max_length=20, choices=AppealType.choices, blank=True)
    urgency = models.CharField("紧急程度", max_length=20, choices=Urgency.choices)
    sign_amount = models.DecimalField("签收时限", **LIMIT)  # type: ignore[arg-type]
    sign_unit = models.CharField("签收时限单位", max_length=20, choices=LimitUnit.choices)
    handle_amount = models.DecimalField("办理时限", **LIMIT)  # type: ignore[arg-type]
    handle_unit = models.CharField("办理时限单位", max_length=20, choices=LimitUnit.choices)

    class Meta:
        verbose_name = "办理时限规则"
        verbose_name_plural = "办理时限规则"
        ordering = ["urgency", "appeal_type"]
        constraints = [
            models.UniqueConstraint(fields=["appeal_type", "urgency"], name="policy_unique_type_urgency")
        ]

    def __str__(self) -> str:
        kind = self.get_appeal_type_display() or "所有类型"
        return f"{kind}·{self.get_urgency_display()}"


class DailySequence(models.Model):
    """The running number of appeals registered on one day (the tail of 12345-20261122-000123).
    Incremented with an UPDATE, so concurrent intakes never share a number."""

    day = models.DateField("日期", primary_key=True)
    value = models.PositiveIntegerField("当日序号", default=0)

    class Meta:
        verbose_name = "工单号序列"
        verbose_name_plural = "工单号序列"

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d}: {self.value}"


# Still in a department's hands: the board's "long overdue" list reads these (a partial index).
LONG_OVERDUE_STATES = (AppealState.DISPATCHED, AppealState.RETURNED, AppealState.IN_PROGRESS)


class Appeal(TimeStampedModel):
    """诉求 (工单)."""

    number = models.CharField("工单号", max_length=30, unique=True)
    query_code_hash = models.CharField("查询码摘要", max_length=128)
    channel = models.CharField("渠道", max_length=20, choices=Channel.choices)
    appeal_type = models.CharField("诉求类型", max_length=20, choices=AppealType.choices)
    urgency = models.CharField("紧急程度", max_length=20, choices=Urgency.choices, default=Urgency.ORDINARY)
    title = models.CharField("标题", max_length=100)
    body = models.TextField("诉求内容", max_length=5000)
    citizen = models.ForeignKey(
        "accounts.Citizen",
        verbose_name="诉求人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals",
    )
    enterprise = models.ForeignKey(
        "accounts.Enterprise",
        verbose_name="诉求企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提交账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submitted_appeals",
    )
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_phone = models.CharField("联系电话", max_length=20, blank=True, db_index=True)
    address = models.CharField("地点", max_length=200, blank=True)
    anonymous = models.BooleanField("匿名", default=False)
    confidential = models.BooleanField("为诉求人保密", default=False, help_text="承办部门看不到诉求人身份")
    category = models.ForeignKey(
        Category, verbose_name="分类", null=True, blank=True, on_delete=models.PROTECT, related_name="appeals"
    )
    handling_mode = models.CharField("办理方式", max_length=20, choices=HandlingMode.choices, blank=True)
    specialist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="专员",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="specialist_appeals",
        help_text="一对一办的专员",
    )
    state = models.CharField(
        "状态", max_length=20, choices=AppealState.choices, default=AppealState.REGISTERED
    )
    version = models.PositiveIntegerField("版本", default=1)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registered_appeals",
    )
    due_at = models.DateTimeField("办结期限", null=True, blank=True, db_index=True)
    reply = models.TextField("答复内容", blank=True)
    replied_at = models.DateTimeField("答复时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True, db_index=True)
    reopen_count = models.PositiveSmallIntegerField("重办次数", default=0)
    red_listed = models.BooleanField("纪委督办红名单", default=False, db_index=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name="并入工单",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="repeats",
    )
    idempotency_key = models.CharField("幂等键", max_length=100, null=True, blank=True, unique=True)
    # The history's head as of the last event, and a keyed seal over it and the fields above that
    # a person reads (events.py): a row changed outside the services no longer verifies.
    chain_length = models.PositiveIntegerField("轨迹条数", default=0, editable=False)
    chain_head = models.CharField("轨迹链头", max_length=64, blank=True, editable=False)
    chain_seal = models.CharField("轨迹封印", max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = "诉求"
        verbose_name_plural = "诉求"
        ordering = ["-created_at", "-id"]
        permissions = [
            ("register_appeal", "可登记诉求"),
            ("triage_appeal", "可研判分类、咨询导办、并单"),
            ("dispatch_appeal", "可派单、改派、审核退单延期和答复"),
            ("handle_appeal", "可签收、退单、办理和答复本部门诉求"),
            ("callback_appeal", "可回访和办结"),
            ("supervise_appeal", "可催办、督办"),
            ("view_all_appeals", "可查看所有部门的诉求"),
        ]
        indexes = [
            models.Index(fields=["state", "due_at"], name="appeal_state_due"),
            models.Index(fields=["-created_at", "-id"], name="appeal_newest"),
            # The board's red list and long-overdue list: a few rows among a million, read in
            # due order (worklists.red_list, worklists.long_overdue).
            models.Index(
                fields=["due_at", "id"],
                condition=Q(red_listed=True, state__in=sorted(OPEN_STATES)),
                name="appeal_red_open_due",
            ),
            models.Index(
                fields=["due_at", "id"],
                condition=Q(state__in=sorted(LONG_OVERDUE_STATES)),
                name="appeal_handling_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def lead_assignment(self) -> Assignment | None:
        for a in self.assignments.all():
            if a.role == Assignment.Role.LEAD and a.is_open:
                return a
        return None


OPEN_ASSIGNMENT_STATES = [AssignmentState.PENDING, AssignmentState.SIGNED, AssignmentState.RETURNED]


class Assignment(TimeStampedModel):
    """派单 — one department's share of an appeal: the lead (主办) or a co-handler (协办)."""

    class Role(models.TextChoices):
        LEAD = "lead", "主办"
        CO = "co", "协办"

    appeal = models.ForeignKey(
        Appeal, verbose_name="诉求", on_delete=models.CASCADE, related_name="assignments"
    )
    department = models.ForeignKey(
        "org.Department", verbose_name="承办部门", on_delete=models.PROTECT, related_name="assignments"
    )
    role = models.CharField("角色", max_length=10, choices=Role.choices)
    state = models.CharField(
        "状态", max_length=20, choices=AssignmentState.choices, default=AssignmentState.PENDING
    )
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="派单人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sign_due_at = models.DateTimeField("签收期限", db_index=True)
    handle_due_at = models.DateTimeField("办理期限", db_index=True)
    # What the deadlines were computed from, so a calendar change can recompute them in bulk.
    # A limit is null when it is in clock hours (no calendar involved) or was replaced by an
    # approved extension (an absolute date the dispatcher agreed to).
    sign_started_at = models.DateTimeField("签收计时起点", null=True, blank=True)
    sign_limit_days = models.DecimalField(
        "签收时限（工作日）", max_digits=6, decimal_places=2, null=True, blank=True
    )
    handle_started_at = models.DateTimeField("办理计时起点", null=True, blank=True)
    handle_limit_days = models.DecimalField(
        "办理时限（工作日）", max_digits=6, decimal_places=2, null=True, blank=True
    )
    signed_at = models.DateTimeField("签收时间", null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="签收人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    return_reason = models.CharField("退单理由", max_length=500, blank=True)
    contribution = models.TextField("协办意见", blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "派单"
        verbose_name_plural = "派单"
        ordering = ["appeal", "role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["appeal"],
                condition=Q(role="lead", state__in=["pending", "signed", "returned"]),
                name="assignment_one_open_lead",
                violation_error_message="一件诉求只能有一个在办的主办单位",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "state", "handle_due_at"], name="assignment_inbox"),
            models.Index(fields=["created_at"], name="assignment_created"),
            # The inbox's "to sign" tab in due order, and its tab counts from the index alone.
            models.Index(
                fields=["department", "state", "sign_due_at"],
                include=["handle_due_at"],
                name="assignment_inbox_sign",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appeal.number} {self.get_role_display()} {self.department}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_ASSIGNMENT_STATES


class Extension(TimeStampedModel):
    """延期申请: the deadline moves only when the dispatcher approves; both are kept."""

    class State(models.TextChoices):
        PENDING = "pending", "待审核"
        APPROVED = "approved", "已同意"
        REFUSED = "refused", "未同意"

    assignment = models.ForeignKey(
        Assignment, verbose_name="派单", on_delete=models.CASCADE, related_name="extensions"
    )
    reason = models.CharField("理由", max_length=500)
    previous_due_at = models.DateTimeField("原期限")
    requested_due_at = models.DateTimeField("申请延至")
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    decision_note = models.CharField("审核意见", max_length=500, blank=True)

    class Meta:
        verbose_name = "延期申请"
        verbose_name_plural = "延期申请"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment"],
                condition=Q(state="pending"),
                name="extension_one_pending_per_assignment",
                violation_error_message="已有待审核的延期申请",
            ),
        ]


class Solved(models.TextChoices):
    SOLVED = "solved", "已解决"
    PARTLY = "partly", "部分解决"
    NOT_SOLVED = "not_solved", "未解决"


class Satisfaction(models.IntegerChoices):
    """GB/T 39046 A.8 codes: 1 is best."""

    VERY_SATISFIED = 1, "非常满意"
    SATISFIED = 2, "满意"
    BASICALLY = 3, "基本满意"
    DISSATISFIED = 4, "不满意"
    VERY_DISSATISFIED = 5, "非常不满意"


class Callback(models.Model):
    """回访."""

    appeal = models.ForeignKey(
        Appeal, verbose_name="诉求", on_delete=models.CASCADE, related_name="callbacks"
    )
    reached = models.BooleanField("是否联系上")
    solved = models.CharField("解决情况", max_length=20, choices=Solved.choices, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        "满意度", choices=Satisfaction.choices, null=True, blank=True
    )
    note = models.CharField("回访记录", max_length=1000, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="回访员", on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("回访时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "回访记录"
        verbose_name_plural = "回访记录"
        ordering = ["appeal", "at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reached=False) | (~Q(solved="") & Q(satisfaction__isnull=False)),
                name="callback_reached_has_answers",
                violation_error_message="联系上诉求人时须记录解决情况和满意度",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appeal_id} 回访 {self.at:%Y-%m-%d %H:%M}"

    @property
    def unhappy(self) -> bool:
        return self.reached and (
            self.solved != Solved.SOLVED or (self.satisfaction or 0) >= Satisfaction.DISSATISFIED
        )


class SupervisionOrder(TimeStampedModel):
    """督办单 issued to a department, with its own limit."""

    appeal = models.ForeignKey(
        Appeal, verbose_name="诉求", on_delete=models.CASCADE, related_name="supervisions"
    )
    department = models.ForeignKey("org.Department", verbose_name="被督办部门", on_delete=models.PROTECT)
    note = models.CharField("督办意见", max_length=1000)
    due_at = models.DateTimeField("督办期限")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="督办人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answered_at = models.DateTimeField("反馈时间", null=True, blank=True)

    class Meta:
        verbose_name = "督办单"
        verbose_name_plural = "督办单"
        ordering = ["-created_at"]


class Urge(models.Model):
    """催办 — sent once per assignment and threshold, whoever runs the job and however often."""

    assignment = models.ForeignKey(
        Assignment, verbose_name="派单", on_delete=models.CASCADE, related_name="urges"
    )
    threshold = models.CharField("节点", max_length=20)
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "催办记录"
        verbose_name_plural = "催办记录"
        constraints = [
            models.UniqueConstraint(fields=["assignment", "threshold"], name="urge_once_per_threshold")
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id} 催办 {self.threshold}"


class AppealEvent(ChainedEvent):
    """One entry of an appeal's history (诉求轨迹): the shared chained event of every matter
    (casework/models.py). Append-only; each stores the MAC of the previous entry of the same
    appeal, so an edit or a deletion anywhere breaks the chain where it happened."""

    appeal = models.ForeignKey(Appeal, verbose_name="诉求", on_delete=models.CASCADE, related_name="events")
    # The citizen of an appeal is its 诉求人 (the shared event calls them 申请人).
    public = models.BooleanField("诉求人可见", default=True)

    class Meta:
        verbose_name = "诉求轨迹"
        verbose_name_plural = "诉求轨迹"
        ordering = ["appeal", "seq"]
        constraints = [models.UniqueConstraint(fields=["appeal", "seq"], name="event_unique_seq")]

    def __str__(self) -> str:
        return f"{self.appeal_id}#{self.seq} {self.action}"


class ChainCheckpoint(models.Model):
    """轨迹检查点 — the daily signed root of all appeal histories: the heads that moved since the
    previous checkpoint (its entries) and a MAC chaining it to that one. Publishing the root
    outside the database (e.g. in the daily report to the supervision office) lets anyone holding
    an older root tell whether the history since was rewritten."""

    at = models.DateTimeField("校验时间")
    prev_root = models.CharField("上一检查点根值", max_length=64)
    root = models.CharField("根值", max_length=64, unique=True)
    appeals = models.PositiveIntegerField("校验诉求数")
    events = models.PositiveIntegerField("校验轨迹数")
    moved = models.PositiveIntegerField("新记录链头数")
    broken = models.PositiveIntegerField("校验不符数", default=0)

    class Meta:
        verbose_name = "轨迹检查点"
        verbose_name_plural = "轨迹检查点"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.root[:16]}"


class ChainCheckpointEntry(models.Model):
    """One appeal's chain head as a checkpoint recorded it. ``appeal_id`` is a plain number, not a
    foreign key: deleting the appeal must not delete the evidence that it existed."""

    checkpoint = models.ForeignKey(
        ChainCheckpoint, verbose_name="检查点", on_delete=models.PROTECT, related_name="entries"
    )
    appeal_id = models.BigIntegerField("诉求")
    seq = models.PositiveIntegerField("轨迹条数")
    head = models.CharField("链头", max_length=64)

    class Meta:
        verbose_name = "轨迹检查点明细"
        verbose_name_plural = "轨迹检查点明细"
        indexes = [models.Index(fields=["appeal_id", "-checkpoint"], name="checkpoint_entry_appeal")]

    def __str__(self) -> str:
        return f"{self.appeal_id}#{self.seq}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"appeals/{instance.appeal_id}/{instance.sha256[:16]}-{filename[-80:]}"


class Attachment(models.Model):
    """附件 — images and PDFs only, type checked by content, size limited (see attachments.py)."""

    appeal = models.ForeignKey(
        Appeal, verbose_name="诉求", on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField("文件", upload_to=attachment_path, max_length=200)
    name = models.CharField("文件名", max_length=200)
    content_type = models.CharField("类型", max_length=50)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("摘要", max_length=64)
    purpose = models.CharField("用途", max_length=10, choices=[("intake", "诉求材料"), ("reply", "答复材料")])
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"
        ordering = ["appeal", "at"]

    def __str__(self) -> str:
        return self.name


class KnowledgeEntry(TimeStampedModel):
    """知识库 — answers operators give on the spot (咨询导办) and citizens read as self-help."""

    question = models.CharField("问题", max_length=200)
    answer = models.TextField("答复")
    keywords = models.CharField("关键词", max_length=200, blank=True, help_text="以空格或顿号分隔")
    items = models.ManyToManyField(
        "catalog.ServiceItem", verbose_name="相关事项", blank=True, related_name="+"
    )
    departments = models.ManyToManyField(
        "org.Department", verbose_name="相关部门", blank=True, related_name="+"
    )
    valid_from = models.DateField("生效日期", null=True, blank=True)
    valid_until = models.DateField("失效日期", null=True, blank=True)
    is_public = models.BooleanField("向公众公开", default=True)
    search_text = models.TextField("检索文本", blank=True, editable=False)

    class Meta:
        verbose_name = "知识库条目"
        verbose_name_plural = "知识库条目"
        ordering = ["question"]

    def __str__(self) -> str:
        return self.question


class ApiClient(TimeStampedModel):
    """An outside system allowed to file appeals (Open311 api_key, channel integrations).
    Only a hash of the key is stored; the key is shown once when created."""

    name = models.CharField("名称", max_length=100, unique=True)
    key_hash = models.CharField("密钥摘要", max_length=64, unique=True)
    channel = models.CharField("渠道", max_length=20, choices=Channel.choices, default=Channel.MOBILE)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "接口客户端"
        verbose_name_plural = "接口客户端"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------------------------------------
# 问题清零 roll-up (see board.py): what the board counted at the last refresh, and which appeals
# changed since. Derived data: a full refresh rebuilds it from the tables above.
# ---------------------------------------------------------------------------------------------


class BoardSnapshot(models.Model):
    """The roll-up's one row: up to which moment the tallies count overdue items. No row, or
    ``as_of`` empty, means there is no roll-up to trust and the board counts live."""

    as_of = models.DateTimeField("汇总时刻", null=True, blank=True)
    rebuilt_at = models.DateTimeField("最近全量重算", null=True, blank=True)

    class Meta:
        verbose_name = "问题清零汇总"
        verbose_name_plural = "问题清零汇总"

    def __str__(self) -> str:
        return f"问题清零汇总 {self.as_of}"


class BoardTally(models.Model):
    """One department's figures (the whole city when ``department_id`` is empty) at ``as_of``."""

    department_id = models.BigIntegerField("部门", null=True, blank=True)
    open = models.PositiveIntegerField("在办")
    red = models.PositiveIntegerField("纪委督办")
    overdue = models.PositiveIntegerField("超期（截至汇总时刻）")

    class Meta:
        verbose_name = "问题清零部门汇总"
        verbose_name_plural = "问题清零部门汇总"

    def __str__(self) -> str:
        return f"{self.department_id or '全市'}: {self.open}/{self.overdue}/{self.red}"


class BoardItem(models.Model):
    """One open appeal as the board counts it for one department (or the city): whether it is on
    the red list and from when it is overdue there (empty: no running limit)."""

    appeal_id = models.BigIntegerField("诉求", db_index=True)
    department_id = models.BigIntegerField("部门", null=True, blank=True)
    red = models.BooleanField("纪委督办")
    overdue_since = models.DateTimeField("超期起点", null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "问题清零汇总明细"
        verbose_name_plural = "问题清零汇总明细"

    def __str__(self) -> str:
        return f"{self.appeal_id}@{self.department_id or '全市'}"


class BoardChange(models.Model):
    """An appeal whose board figures may have changed since the last refresh. Written by database
    triggers on appeals and assignments (board.py installs them), so a bulk ``.update()`` or raw
    SQL is seen as well as the services' writes."""

    id = models.BigAutoField(primary_key=True)
    appeal_id = models.BigIntegerField("诉求")

    class Meta:
        verbose_name = "问题清零待汇总变更"
        verbose_name_plural = "问题清零待汇总变更"

    def __str__(self) -> str:
        return f"{self.appeal_id}"
