"""好差评 — one rating record for every rated thing (GB/T 39046 表9), and the 差评 loop: the
rectification case a 不满意 or 非常不满意 opens, and the department's 申诉复核 of a rating.

A rating is about one finished matter — an application, a 一件事办件, an appeal, or a window
service visit (a queue number served, an intake, a 出件) — and through it about the department that handled it (谁办理
谁负责), the window, the staff member, the item and the region. It is never edited or deleted: a
补充评价/追评 is a new round; an upheld 申诉 excludes it from the figures and keeps it on record.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from zhengwu.core.models import TimeStampedModel


class Level(models.IntegerChoices):
    """满意度 (GB/T 39046 表9 and A.8): the code, 1 is best."""

    VERY_SATISFIED = 1, "非常满意"
    SATISFIED = 2, "满意"
    BASICALLY = 3, "基本满意"
    DISSATISFIED = 4, "不满意"
    VERY_DISSATISFIED = 5, "非常不满意"


# Five stars (or faces) on a screen, left to right 1 … 5, and the code each stands for: the
# display counts up, the standard's code counts down.
STARS_TO_LEVEL = {
    5: Level.VERY_SATISFIED,
    4: Level.SATISFIED,
    3: Level.BASICALLY,
    2: Level.DISSATISFIED,
    1: Level.VERY_DISSATISFIED,
}
GOOD_LEVELS = (Level.VERY_SATISFIED, Level.SATISFIED, Level.BASICALLY)  # 好评
BAD_LEVELS = (Level.DISSATISFIED, Level.VERY_DISSATISFIED)  # 差评


class RatingChannel(models.TextChoices):
    """评价渠道 (GB/T 39046 表9)."""

    PC = "pc", "PC端"
    MOBILE = "mobile", "移动服务端"
    QR = "qr", "二维码"
    PAD = "pad", "政务大厅平板电脑"
    HALL_OTHER = "hall_other", "政务大厅其他终端"
    PHONE = "phone", "电话"
    SMS = "sms", "短信"


# The GB/T 39046 code of each channel, for the standard's exchange format.
CHANNEL_CODES = {
    RatingChannel.PC: "1",
    RatingChannel.MOBILE: "2",
    RatingChannel.QR: "3",
    RatingChannel.PAD: "4",
    RatingChannel.HALL_OTHER: "5",
    RatingChannel.PHONE: "6",
    RatingChannel.SMS: "7",
}


class MatterKind(models.TextChoices):
    APPLICATION = "application", "办件"
    BUNDLE = "bundle", "一件事"
    APPEAL = "appeal", "诉求"
    VISIT = "visit", "窗口服务"


class RatingSource(models.TextChoices):
    """How the rating reached us."""

    RATER = "rater", "评价人自评"
    CALLBACK = "callback", "回访员电话记录"


# The dimensions of a rating (GB/T 39734/39735): online services, and services on site.
ONLINE_DIMENSIONS = {
    "efficiency": "办事效率",
    "guide_accuracy": "办事指南精确度",
    "convenience": "办事便捷度",
    "operability": "平台操作性",
}
ONSITE_DIMENSIONS = {"service_efficiency": "服务效率", "service_level": "服务水平", "attitude": "服务态度"}


class VisitKind(models.TextChoices):
    """What the clerk finished at the window (现场服务“一次一评”)."""

    QUEUE = "queue", "叫号服务"
    INTAKE = "intake", "收件受理"
    DELIVERY = "delivery", "出件"
    OTHER = "other", "其他窗口服务"


class WindowVisit(models.Model):
    """窗口服务 — one service a clerk finished for a person at a window: a queue ticket served, an
    intake, a 出件. The window's rating pad shows the latest one and the rating attaches to it."""

    window = models.ForeignKey(
        "org.Window", verbose_name="窗口", on_delete=models.PROTECT, related_name="visits"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="工作人员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="window_visits",
    )
    department = models.ForeignKey(
        "org.Department", verbose_name="办理部门", on_delete=models.PROTECT, related_name="window_visits"
    )
    kind = models.CharField("服务类型", max_length=20, choices=VisitKind.choices)
    service = models.CharField("服务内容", max_length=200, help_text="评价器上显示，如事项名称")
    application = models.ForeignKey(
        "applications.Application",
        verbose_name="办件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="window_visits",
    )
    ticket = models.ForeignKey(
        "hall.QueueTicket",
        verbose_name="排队号",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="window_visits",
    )
    item = models.ForeignKey(
        "catalog.ServiceItem",
        verbose_name="事项",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="window_visits",
    )
    finished_at = models.DateTimeField("服务结束时间", db_index=True)

    class Meta:
        verbose_name = "窗口服务"
        verbose_name_plural = "窗口服务"
        ordering = ["-finished_at", "-id"]
        indexes = [models.Index(fields=["window", "finished_at"], name="visit_window_time")]

    def __str__(self) -> str:
        return f"{self.window} {self.service}"

    @property
    def number(self) -> str:
        """办件编号 of the visit: the application's, else the queue number's, else its own."""
        if self.application is not None:
            return self.application.number
        if self.ticket is not None:
            return f"{self.ticket.day:%Y%m%d}-{self.ticket.number}"
        return f"FW{self.finished_at:%Y%m%d}{self.pk:06d}"


class RatingPad(TimeStampedModel):
    """评价器 — the tablet at a window, bound to that window by a device token an administrator
    issues (only its SHA-256 is kept; the token itself is shown once). No staff login on it."""

    window = models.ForeignKey(
        "org.Window", verbose_name="窗口", on_delete=models.PROTECT, related_name="rating_pads"
    )
    label = models.CharField("设备名称", max_length=50, blank=True)
    token_hash = models.CharField("令牌摘要", max_length=64, unique=True, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="签发人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    last_seen_at = models.DateTimeField("最近在线", null=True, blank=True)

    class Meta:
        verbose_name = "评价器"
        verbose_name_plural = "评价器"
        ordering = ["window", "-created_at"]

    def __str__(self) -> str:
        return f"{self.window} {self.label or '评价器'}"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class Rating(models.Model):
    """One rating of one finished matter by one rater in one round (评价次数)."""

    matter_kind = models.CharField("评价对象", max_length=20, choices=MatterKind.choices)
    matter_key = models.CharField(
        "评价对象键", max_length=40, editable=False, help_text="类别:主键，如 application:123；唯一约束用"
    )
    matter_number = models.CharField("办件编号", max_length=40, db_index=True)
    application = models.ForeignKey(
        "applications.Application",
        verbose_name="办件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ratings",
    )
    bundle_application = models.ForeignKey(
        "applications.BundleApplication",
        verbose_name="一件事办件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ratings",
    )
    appeal = models.ForeignKey(
        "appeals.Appeal",
        verbose_name="诉求",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ratings",
    )
    ticket = models.ForeignKey(
        "hall.QueueTicket",
        verbose_name="排队号",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ratings",
    )
    visit = models.ForeignKey(
        "ratings.WindowVisit",
        verbose_name="窗口服务",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ratings",
    )

    # Who is rated, through the matter (谁办理谁负责).
    department = models.ForeignKey(
        "org.Department", verbose_name="办理部门", on_delete=models.PROTECT, related_name="ratings"
    )
    region = models.ForeignKey(
        "org.Region",
        verbose_name="行政区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    window = models.ForeignKey(
        "org.Window",
        verbose_name="窗口",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ratings",
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="工作人员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ratings_received",
    )
    item = models.ForeignKey(
        "catalog.ServiceItem",
        verbose_name="事项",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ratings",
    )

    # Who rates, how and what.
    channel = models.CharField("评价渠道", max_length=20, choices=RatingChannel.choices)
    source = models.CharField("来源", max_length=20, choices=RatingSource.choices, default=RatingSource.RATER)
    rater_key = models.CharField(
        "评价人键",
        max_length=80,
        editable=False,
        help_text="同一评价人的稳定标识（账号、自然人、手机号摘要或匿名令牌），唯一约束用",
    )
    rater_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="评价人账号",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ratings_given",
    )
    rater_name = models.CharField("评价人", max_length=50, blank=True, help_text="匿名评价为空")
    real_name = models.BooleanField("实名评价", default=False)
    round = models.PositiveSmallIntegerField("评价次数", default=1, help_text="1为首次评价，2起为追评")
    level = models.PositiveSmallIntegerField("满意度", choices=Level.choices)
    text = models.CharField("评价内容", max_length=1000, blank=True)
    scores = models.JSONField("分项评价", default=dict, blank=True, help_text="维度代码 → 满意度代码（1–5）")
    rated_at = models.DateTimeField("评价时间", db_index=True)

    # 申诉复核: an upheld contest takes the rating out of the figures, never off the record.
    excluded = models.BooleanField("不计入统计", default=False)
    excluded_reason = models.CharField("不计入原因", max_length=500, blank=True)

    class Meta:
        verbose_name = "评价"
        verbose_name_plural = "评价"
        ordering = ["-rated_at", "-id"]
        indexes = [
            models.Index(fields=["department", "rated_at"], name="rating_department_time"),
            models.Index(fields=["matter_key", "round"], name="rating_matter_round"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["matter_key", "rater_key", "round"],
                name="rating_once_per_matter_rater_round",
                violation_error_message="该评价人本轮已评价过此事项",
            ),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=5), name="rating_level_1_to_5"),
            models.CheckConstraint(condition=Q(round__gte=1), name="rating_round_from_1"),
            models.CheckConstraint(
                condition=(
                    Q(matter_kind="application", application__isnull=False)
                    | Q(matter_kind="bundle", bundle_application__isnull=False)
                    | Q(matter_kind="appeal", appeal__isnull=False)
                    | Q(matter_kind="visit", visit__isnull=False)
                ),
                name="rating_names_its_matter",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.matter_number} {self.get_level_display()}（第{self.round}次）"

    @property
    def bad(self) -> bool:
        return self.level in BAD_LEVELS


class RectificationState(models.TextChoices):
    VERIFYING = "verifying", "待回访核实"
    RECTIFYING = "rectifying", "整改中"
    FEEDBACK = "feedback", "待反馈"
    CLOSED = "closed", "已办结"


class Outcome(models.TextChoices):
    IMMEDIATE = "immediate", "立行立改"
    DEADLINE = "deadline", "限期整改"
    EXPLAINED = "explained", "解释说明"


class Rectification(TimeStampedModel):
    """差评整改 — the case a 差评 opens for the unit that handled the matter: 回访核实 within its
    limit, then 立行立改 / 限期整改 (plan, deadline, evidence) / 解释说明, feedback to the rater,
    closed."""

    rating = models.OneToOneField(
        Rating, verbose_name="差评", on_delete=models.PROTECT, related_name="rectification"
    )
    department = models.ForeignKey(
        "org.Department", verbose_name="整改单位", on_delete=models.PROTECT, related_name="rectifications"
    )
    state = models.CharField(
        "状态",
        max_length=20,
        choices=RectificationState.choices,
        default=RectificationState.VERIFYING,
        db_index=True,
    )
    verify_due_at = models.DateTimeField("回访核实时限")
    verified_at = models.DateTimeField("回访核实时间", null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="核实人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reached = models.BooleanField("联系上评价人", null=True, blank=True)
    facts = models.TextField("核实情况", blank=True)
    outcome = models.CharField("处理方式", max_length=20, choices=Outcome.choices, blank=True)
    plan = models.TextField("整改措施", blank=True)
    fix_due_at = models.DateTimeField("整改时限", null=True, blank=True)
    evidence = models.TextField("整改佐证", blank=True)
    rectified_at = models.DateTimeField("整改完成时间", null=True, blank=True)
    feedback = models.TextField("反馈评价人的内容", blank=True)
    fed_back_at = models.DateTimeField("反馈时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)

    class Meta:
        verbose_name = "差评整改"
        verbose_name_plural = "差评整改"
        ordering = ["verify_due_at", "id"]
        indexes = [models.Index(fields=["department", "state"], name="rectification_dept_state")]

    def __str__(self) -> str:
        return f"{self.rating.matter_number} {self.get_state_display()}"


class ContestState(models.TextChoices):
    PENDING = "pending", "待复核"
    UPHELD = "upheld", "申诉成立"
    REJECTED = "rejected", "申诉不成立"


class RatingContest(TimeStampedModel):
    """申诉复核 — a department contests a malicious or mistaken rating with evidence; a supervisor
    decides. Upheld: the rating leaves the figures (``Rating.excluded``) but stays on record."""

    rating = models.ForeignKey(Rating, verbose_name="评价", on_delete=models.PROTECT, related_name="contests")
    department = models.ForeignKey(
        "org.Department", verbose_name="申诉单位", on_delete=models.PROTECT, related_name="rating_contests"
    )
    reason = models.TextField("申诉理由")
    evidence = models.TextField("证据说明")
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申诉人", on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        "状态", max_length=20, choices=ContestState.choices, default=ContestState.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="复核人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("复核时间", null=True, blank=True)
    decision = models.TextField("复核意见", blank=True)

    class Meta:
        verbose_name = "评价申诉"
        verbose_name_plural = "评价申诉"
        ordering = ["-created_at"]
        permissions = [("decide_ratingcontest", "可复核评价申诉（申诉复核）")]
        constraints = [
            models.UniqueConstraint(
                fields=["rating"],
                condition=Q(state="pending"),
                name="contest_one_pending_per_rating",
                violation_error_message="该评价已有待复核的申诉",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rating} 申诉（{self.get_state_display()}）"


class InvitationState(models.TextChoices):
    SCHEDULED = "scheduled", "待发送"
    SENT = "sent", "已邀评"
    REMINDED = "reminded", "已提醒"
    ANSWERED = "answered", "已评价"
    SKIPPED = "skipped", "不发送"


class RatingInvitation(TimeStampedModel):
    """智能邀评 — the one SMS invitation a finished matter gets (unique per matter), sent at a
    sensible hour through the task queue, with one reminder; the short link carries a token whose
    SHA-256 is kept. ``rating`` is the rating it brought (邀评 response rate)."""

    matter_kind = models.CharField("评价对象", max_length=20, choices=MatterKind.choices)
    matter_key = models.CharField("评价对象键", max_length=40, unique=True)
    matter_number = models.CharField("办件编号", max_length=40, db_index=True)
    department = models.ForeignKey(
        "org.Department", verbose_name="办理部门", on_delete=models.PROTECT, related_name="rating_invitations"
    )
    rater_key = models.CharField("评价人键", max_length=80)
    phone = models.CharField("手机号", max_length=20)
    token_hash = models.CharField("链接令牌摘要", max_length=64, unique=True, editable=False)
    state = models.CharField(
        "状态",
        max_length=20,
        choices=InvitationState.choices,
        default=InvitationState.SCHEDULED,
        db_index=True,
    )
    skipped_reason = models.CharField("不发送原因", max_length=100, blank=True)
    finished_at = models.DateTimeField("办结时间")
    send_at = models.DateTimeField("计划发送时间", db_index=True)
    sent_at = models.DateTimeField("邀评时间", null=True, blank=True)
    message = models.ForeignKey(
        "notifications.Message",
        verbose_name="邀评短信",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reminded_at = models.DateTimeField("提醒时间", null=True, blank=True)
    reminder = models.ForeignKey(
        "notifications.Message",
        verbose_name="提醒短信",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rating = models.OneToOneField(
        "ratings.Rating",
        verbose_name="带来的评价",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitation",
    )

    class Meta:
        verbose_name = "邀评"
        verbose_name_plural = "邀评"
        ordering = ["-send_at", "-id"]
        indexes = [models.Index(fields=["department", "send_at"], name="invitation_dept_time")]

    def __str__(self) -> str:
        return f"{self.matter_number} {self.get_state_display()}"


class RatingOptOut(models.Model):
    """不再邀评 — a phone (kept as its key, see services.phone_key) that asked for no invitations."""

    phone_key = models.CharField("手机号摘要", max_length=80, unique=True)
    source = models.CharField("来源", max_length=20, default="sms", help_text="sms：回复TD；web：网页退订")
    created_at = models.DateTimeField("退订时间", auto_now_add=True)

    class Meta:
        verbose_name = "退订邀评"
        verbose_name_plural = "退订邀评"

    def __str__(self) -> str:
        return self.phone_key


class PhoneSample(TimeStampedModel):
    """电话邀评 — a finished matter drawn into the week's random phone sample (a configured share,
    stratified by department); callback staff call the person and record the rating."""

    week = models.DateField("抽样周（周一）", db_index=True)
    matter_kind = models.CharField("评价对象", max_length=20, choices=MatterKind.choices)
    matter_key = models.CharField("评价对象键", max_length=40)
    matter_number = models.CharField("办件编号", max_length=40)
    department = models.ForeignKey(
        "org.Department", verbose_name="办理部门", on_delete=models.PROTECT, related_name="phone_samples"
    )
    phone = models.CharField("手机号", max_length=20)
    called_at = models.DateTimeField("回访时间", null=True, blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="回访人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reached = models.BooleanField("联系上", null=True, blank=True)
    note = models.CharField("备注", max_length=500, blank=True)
    rating = models.OneToOneField(
        "ratings.Rating",
        verbose_name="记录的评价",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="phone_sample",
    )

    class Meta:
        verbose_name = "电话邀评抽样"
        verbose_name_plural = "电话邀评抽样"
        ordering = ["-week", "department", "id"]
        constraints = [
            models.UniqueConstraint(fields=["week", "matter_key"], name="phone_sample_once_a_week")
        ]

    def __str__(self) -> str:
        return f"{self.week} {self.matter_number}"


class RectificationUrge(models.Model):
    """催办 of a 差评整改 case, as the appeals desk urges its assignments: once per threshold — the
    periodic job's ``verify-yellow``, ``verify-red``, ``fix-yellow``, ``fix-red`` by the case's
    lights, or a supervisor's own (``manual-…``) with what they ask for."""

    case = models.ForeignKey(
        Rectification, verbose_name="差评整改", on_delete=models.CASCADE, related_name="urges"
    )
    threshold = models.CharField("催办类型", max_length=40)
    note = models.CharField("催办说明", max_length=500, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="催办人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="空为定时催办",
    )
    created_at = models.DateTimeField("催办时间", auto_now_add=True)

    class Meta:
        verbose_name = "差评整改催办"
        verbose_name_plural = "差评整改催办"
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "threshold"], name="rectification_urged_once_per_threshold"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.label}"

    @property
    def label(self) -> str:
        return URGE_LABELS.get(self.threshold, "督办员催办")


URGE_LABELS = {
    "verify-yellow": "回访核实临近期限",
    "verify-red": "回访核实已超期",
    "fix-yellow": "整改临近期限",
    "fix-red": "整改已超期",
}
