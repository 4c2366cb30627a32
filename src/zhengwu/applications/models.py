"""办件 and what hangs on it: its materials and their files, the 补正 notices, the clock's pauses,
special procedures, the documents issued (文书), the delivery, and the chained history. GB/T 39046
names in ``verbose_name``; the state machine is workflow.py, every change goes through services.py."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from zhengwu.casework.models import ChainedEvent
from zhengwu.core.models import TimeStampedModel

from .workflow import ApplicationState


class Channel(models.TextChoices):
    """GB/T 39046 A.5 申请方式."""

    WINDOW = "window", "窗口办理"
    WEB = "web", "网上办理"
    MOBILE = "mobile", "移动端办理"
    KIOSK = "kiosk", "自助终端"
    POST = "post", "邮寄申请"


class ApplicantKind(models.TextChoices):
    PERSON = "person", "自然人"
    ORGANISATION = "organisation", "法人"


class DeliveryMethod(models.TextChoices):
    PICKUP = "pickup", "窗口自取"
    POST = "post", "邮寄送达"


class Decision(models.TextChoices):
    APPROVED = "approved", "准予许可"
    DENIED = "denied", "不予许可"


class Application(TimeStampedModel):
    """办件 — one application for one service item, by one applicant (自然人 or 法人)."""

    number = models.CharField("办件编号", max_length=50, unique=True)
    query_code_hash = models.CharField("查询码摘要", max_length=128)
    item = models.ForeignKey(
        "catalog.ServiceItem", verbose_name="事项", on_delete=models.PROTECT, related_name="applications"
    )
    item_version = models.PositiveIntegerField("事项版本号")
    department = models.ForeignKey(
        "org.Department", verbose_name="受理部门", on_delete=models.PROTECT, related_name="applications"
    )
    channel = models.CharField("申请方式", max_length=10, choices=Channel.choices)
    applicant_kind = models.CharField("申请人类型", max_length=12, choices=ApplicantKind.choices)
    citizen = models.ForeignKey(
        "accounts.Citizen",
        verbose_name="申请人（自然人）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    enterprise = models.ForeignKey(
        "accounts.Enterprise",
        verbose_name="申请人（法人）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    applicant_name = models.CharField("申请人名称", max_length=200)
    applicant_code = models.CharField(
        "申请人证件号码", max_length=18, help_text="公民身份号码或统一社会信用代码"
    )
    contact_name = models.CharField("联系人", max_length=50)
    contact_phone = models.CharField("联系电话", max_length=20)
    form_data = models.JSONField("申请表内容", default=dict, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提交账号",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications_submitted",
        help_text="网上申请的申请人账号，或窗口受理的窗口人员",
    )
    window = models.ForeignKey(
        "org.Window",
        verbose_name="受理窗口",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    delivery_method = models.CharField(
        "结果送达方式", max_length=10, choices=DeliveryMethod.choices, default=DeliveryMethod.PICKUP
    )
    postal_recipient = models.CharField("收件人", max_length=50, blank=True)
    postal_phone = models.CharField("收件人电话", max_length=20, blank=True)
    postal_address = models.CharField("邮寄地址", max_length=200, blank=True)

    state = models.CharField(
        "状态",
        max_length=20,
        choices=ApplicationState.choices,
        default=ApplicationState.SUBMITTED,
        db_index=True,
    )
    version = models.PositiveIntegerField("版本", default=1)
    submitted_at = models.DateTimeField("申请时间")
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True, db_index=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="受理人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    limit_days = models.DecimalField(
        "承诺办结时限（工作日）",
        max_digits=6,
        decimal_places=2,
        default=Decimal(0),
        help_text="事项的承诺时限，加上批准的延长审批",
    )
    due_at = models.DateTimeField("承诺办结时间", null=True, blank=True, db_index=True)
    paused_since = models.DateTimeField("暂停计时起点", null=True, blank=True)
    on_the_spot = models.BooleanField("即办件当场办结", default=False)
    supplement_rounds = models.PositiveSmallIntegerField("补正次数", default=0)
    deferred_overdue = models.BooleanField("容缺材料逾期未补交", default=False, db_index=True)
    decision = models.CharField("决定", max_length=10, choices=Decision.choices, blank=True)
    decision_opinion = models.TextField("决定意见", blank=True)
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="决定人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    result_name = models.CharField("办理结果名称", max_length=200, blank=True)
    result_number = models.CharField("结果文号/证照编号", max_length=100, blank=True)
    completed_at = models.DateTimeField("办结时间", null=True, blank=True, db_index=True)
    handling_days = models.DecimalField(
        "办理用时（工作日）",
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="办结时记下：受理到办结的工作日数（按工作日历，含调休），不计补正、特别程序和等待前置事项的暂停期间",
    )
    certified_at = models.DateTimeField("制证时间", null=True, blank=True)
    delivered_at = models.DateTimeField("出件时间", null=True, blank=True)
    closed_at = models.DateTimeField(
        "结束时间", null=True, blank=True, help_text="不予受理、撤回、出件或归档的时间"
    )
    yellow_alerted_at = models.DateTimeField("临期提醒时间", null=True, blank=True)
    red_alerted_at = models.DateTimeField("超期提醒时间", null=True, blank=True)
    idempotency_key = models.CharField("幂等键", max_length=100, null=True, blank=True, unique=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="代办人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications_as_agent",
        help_text="帮办代办时代申请人办理的帮办代办员",
    )
    proxy_request = models.ForeignKey(
        "applications.ProxyRequest",
        verbose_name="帮办代办申请",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )

    bundle_application = models.ForeignKey(
        "applications.BundleApplication",
        verbose_name="所属一件事办件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    waits_for = models.ForeignKey(
        "self",
        verbose_name="前置办件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dependants",
        help_text="一件事中须待其办结后才开始办理的办件；等待期间办理时限暂停",
    )

    chain_length = models.PositiveIntegerField("轨迹条数", default=0, editable=False)
    chain_head = models.CharField("轨迹链头", max_length=64, blank=True, editable=False)
    chain_seal = models.CharField("轨迹封印", max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = "办件"
        verbose_name_plural = "办件"
        ordering = ["-submitted_at", "-id"]
        permissions = [
            ("accept_application", "可窗口受理办件（受理、补正、不予受理、容缺补交）"),
            ("review_application", "可审查、决定、办结本部门办件"),
            ("deliver_application", "可出件（自取、邮寄）和归档"),
            ("view_all_applications", "可查看所有部门的办件"),
            ("act_as_proxy", "可帮办代办（登记代办申请、委托书，代申请人提交和跟踪办件）"),
        ]
        indexes = [
            models.Index(fields=["department", "state", "due_at"], name="app_dept_state_due"),
            models.Index(fields=["submitted_by", "submitted_at"], name="app_submitter_time"),
            models.Index(fields=["citizen", "submitted_at"], name="app_citizen_time"),
            models.Index(fields=["enterprise", "submitted_at"], name="app_enterprise_time"),
            models.Index(fields=["state", "submitted_at"], name="app_state_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(applicant_kind="person", citizen__isnull=False, enterprise__isnull=True))
                | Q(applicant_kind="organisation", enterprise__isnull=False, citizen__isnull=True),
                name="application_one_applicant",
            ),
            models.CheckConstraint(
                condition=~Q(delivery_method="post") | ~Q(postal_address=""),
                name="application_post_needs_address",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.applicant_name}"

    @property
    def produces_licence(self) -> bool:
        return bool(self.item.result_licence_type)

    @property
    def applicant_user_ids(self) -> tuple[int | None, ...]:
        """The logins that may act as the applicant: the filing account, the citizen's own account
        and an enterprise's 经办人 accounts."""
        ids: list[int | None] = [self.submitted_by_id] if self.channel != Channel.WINDOW else []
        if self.citizen is not None and self.citizen.user_id:
            ids.append(self.citizen.user_id)
        if self.enterprise is not None:
            ids.extend(self.enterprise.users.values_list("id", flat=True))
        return tuple(ids)


class MaterialStatus(models.TextChoices):
    PENDING = "pending", "未提交"
    RECEIVED = "received", "已收"
    DEFERRED = "deferred", "容缺"
    EXEMPT = "exempt", "免提交"
    NOT_APPLICABLE = "not_applicable", "不适用"


class ApplicationMaterial(models.Model):
    """One material of the item version in force, as handed in for this application."""

    application = models.ForeignKey(
        Application, verbose_name="办件", on_delete=models.CASCADE, related_name="materials"
    )
    item_material = models.ForeignKey(
        "catalog.ItemMaterial", verbose_name="事项材料", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField("材料名称", max_length=200)
    required = models.BooleanField("必要", default=True)
    critical = models.BooleanField("关键材料", default=False)
    status = models.CharField(
        "收取情况", max_length=20, choices=MaterialStatus.choices, default=MaterialStatus.PENDING
    )
    originals = models.PositiveSmallIntegerField("原件份数", default=0)
    copies = models.PositiveSmallIntegerField("复印件份数", default=0)
    commitment = models.CharField(
        "容缺承诺", max_length=500, blank=True, help_text="申请人签字的书面承诺内容"
    )
    deferred_until = models.DateField("容缺补交期限", null=True, blank=True)
    handed_in_at = models.DateTimeField("补交时间", null=True, blank=True)
    note = models.CharField("备注", max_length=500, blank=True)
    licence = models.ForeignKey(
        "licences.Licence",
        verbose_name="免提交所用电子证照",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "办件材料"
        verbose_name_plural = "办件材料"
        ordering = ["application", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "item_material"], name="application_material_once"
            ),
            models.CheckConstraint(
                condition=~Q(status="deferred") | (Q(critical=False) & Q(deferred_until__isnull=False)),
                name="deferred_material_not_critical",
            ),
        ]
        indexes = [models.Index(fields=["status", "deferred_until"], name="material_deferred_due")]

    def __str__(self) -> str:
        return f"{self.application_id} {self.name}（{self.get_status_display()}）"


class MaterialFile(models.Model):
    """An uploaded copy of a material (网上申请, 补正), checked by its content."""

    material = models.ForeignKey(
        ApplicationMaterial, verbose_name="材料", on_delete=models.CASCADE, related_name="files"
    )
    file = models.FileField("文件", upload_to="applications/%Y/%m/")
    name = models.CharField("文件名", max_length=200)
    content_type = models.CharField("类型", max_length=50)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "材料文件"
        verbose_name_plural = "材料文件"
        ordering = ["material", "id"]

    def __str__(self) -> str:
        return self.name


class SupplementRequest(models.Model):
    """补正材料通知（一次性告知）— every missing or defective material, at once."""

    application = models.ForeignKey(
        Application, verbose_name="办件", on_delete=models.CASCADE, related_name="supplement_requests"
    )
    round = models.PositiveSmallIntegerField("第几次补正")
    items = models.JSONField("补正内容", help_text='[{"material_id": 1, "name": "…", "reason": "…"}]')
    repeated = models.BooleanField(
        "二次补正", default=False, help_text="同一办件第二次及以后的补正，计入统计"
    )
    issued_at = models.DateTimeField("告知时间")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="告知人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    supplied_at = models.DateTimeField("补正时间", null=True, blank=True)

    class Meta:
        verbose_name = "补正告知"
        verbose_name_plural = "补正告知"
        ordering = ["application", "round"]
        constraints = [models.UniqueConstraint(fields=["application", "round"], name="supplement_round_once")]

    def __str__(self) -> str:
        return f"{self.application_id} 第{self.round}次补正"


class PauseKind(models.TextChoices):
    SUPPLEMENT = "supplement", "补正"
    SPECIAL = "special", "特别程序"
    PREDECESSOR = "predecessor", "等待前置事项办结"


class ClockPause(models.Model):
    """A span during which the application's clock did not run (补正 after acceptance, 特别程序).
    The stored 承诺办结时间 is always the limit counted from acceptance without these spans."""

    application = models.ForeignKey(
        Application, verbose_name="办件", on_delete=models.CASCADE, related_name="pauses"
    )
    kind = models.CharField("原因", max_length=20, choices=PauseKind.choices)
    started_at = models.DateTimeField("开始")
    ended_at = models.DateTimeField("结束", null=True, blank=True)

    class Meta:
        verbose_name = "暂停计时"
        verbose_name_plural = "暂停计时"
        ordering = ["application", "started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"], condition=Q(ended_at__isnull=True), name="one_open_pause"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.get_kind_display()}"


class SpecialKind(models.TextChoices):
    """GB/T 39046 表7 特别程序种类."""

    EXTENSION = "extension", "延长审批"
    EXPERT = "expert", "专家评审"
    HEARING = "hearing", "听证"
    INSPECTION = "inspection", "现场勘查"
    PUBLICITY = "publicity", "公示"


class SpecialProcedure(models.Model):
    """特别程序: start, reason, end. 延长审批 stops no clock; it asks for ``extension_days`` more,
    granted only when another approver of the department approves it."""

    class Approval(models.TextChoices):
        PENDING = "pending", "待审批"
        APPROVED = "approved", "已批准"
        REJECTED = "rejected", "未批准"

    application = models.ForeignKey(
        Application, verbose_name="办件", on_delete=models.CASCADE, related_name="special_procedures"
    )
    kind = models.CharField("特别程序种类", max_length=20, choices=SpecialKind.choices)
    reason = models.CharField("启动理由", max_length=500)
    started_at = models.DateTimeField("开始时间")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="启动人", on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    result = models.CharField("特别程序结果", max_length=500, blank=True)
    extension_days = models.DecimalField(
        "延长时限（工作日）", max_digits=6, decimal_places=2, null=True, blank=True
    )
    approval = models.CharField("审批", max_length=10, choices=Approval.choices, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审批人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "特别程序"
        verbose_name_plural = "特别程序"
        ordering = ["application", "started_at"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.get_kind_display()}"


class NoticeKind(models.TextChoices):
    ACCEPTANCE = "acceptance", "受理通知书"
    REFUSAL = "refusal", "不予受理通知书"
    SUPPLEMENT = "supplement", "补正材料通知书（一次性告知书）"
    APPROVAL = "approval", "准予许可决定书"
    DENIAL = "denial", "不予许可决定书"
    SERVICE = "service", "送达回证"


class Notice(models.Model):
    """文书 — a document issued on an application; ``data`` freezes what it says when issued, so
    the PDF drawn later prints exactly what the applicant was told."""

    application = models.ForeignKey(
        Application,
        verbose_name="办件",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notices",
    )
    bundle_application = models.ForeignKey(
        "applications.BundleApplication",
        verbose_name="一件事办件",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notices",
    )
    kind = models.CharField("文书种类", max_length=20, choices=NoticeKind.choices)
    number = models.CharField("文书编号", max_length=60, unique=True)
    issued_at = models.DateTimeField("出具时间")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="出具人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    data = models.JSONField("文书内容", default=dict)

    class Meta:
        verbose_name = "文书"
        verbose_name_plural = "文书"
        ordering = ["application", "issued_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(application__isnull=False, bundle_application__isnull=True)
                | Q(application__isnull=True, bundle_application__isnull=False),
                name="notice_one_matter",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class Delivery(models.Model):
    """出件 — the result handed over at the window (本人 or 代领 with a 委托书) or posted."""

    application = models.OneToOneField(
        Application, verbose_name="办件", on_delete=models.CASCADE, related_name="delivery"
    )
    method = models.CharField("方式", max_length=10, choices=DeliveryMethod.choices)
    recipient_name = models.CharField("领取人/收件人", max_length=50)
    recipient_id_number = models.CharField("领取人证件号码", max_length=18, blank=True)
    by_proxy = models.BooleanField("代领", default=False)
    proxy_authorisation = models.CharField(
        "委托书", max_length=200, blank=True, help_text="代领时的委托书说明"
    )
    tracking_number = models.CharField("邮件号", max_length=13, blank=True, help_text="EMS 邮件号（UPU S10）")
    sent_on = models.DateTimeField("寄出时间", null=True, blank=True)
    received_on = models.DateTimeField("签收时间", null=True, blank=True)
    handed_over_at = models.DateTimeField("领取时间", null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="经办人", null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "出件"
        verbose_name_plural = "出件"

    def __str__(self) -> str:
        return f"{self.application_id} {self.get_method_display()}"


class WindowAuthorisation(models.Model):
    """首席代表授权 — a department authorises a window clerk to decide its 即办件 at the window."""

    department = models.ForeignKey(
        "org.Department",
        verbose_name="授权部门",
        on_delete=models.CASCADE,
        related_name="window_authorisations",
    )
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="窗口人员",
        on_delete=models.CASCADE,
        related_name="window_authorisations",
    )
    valid_from = models.DateField("生效日期")
    valid_until = models.DateField("截止日期", null=True, blank=True)
    granted_by = models.CharField("授权人", max_length=50, blank=True)

    class Meta:
        verbose_name = "首席代表授权"
        verbose_name_plural = "首席代表授权"
        constraints = [
            models.UniqueConstraint(fields=["department", "clerk"], name="window_authorisation_once")
        ]

    def __str__(self) -> str:
        return f"{self.department} → {self.clerk}"


class ApplicationEvent(ChainedEvent):
    """One step of an application's history (GB/T 39046 表5–8: 业务动作 in ``data``, handler,
    opinion in ``note``, the step's end in ``at`` and its start in ``data["started_at"]``)."""

    application = models.ForeignKey(
        Application, verbose_name="办件", on_delete=models.CASCADE, related_name="events"
    )

    class Meta:
        verbose_name = "办件轨迹"
        verbose_name_plural = "办件轨迹"
        ordering = ["application", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["application", "seq"], name="application_event_unique_seq")
        ]

    def __str__(self) -> str:
        return f"{self.application_id}#{self.seq} {self.action}"


class ProxyGroup(models.TextChoices):
    """帮办代办的服务对象（特殊群体）."""

    ELDERLY = "elderly", "老年人"
    DISABLED = "disabled", "残疾人"
    PREGNANT = "pregnant", "孕产妇"
    KEY_PROJECT = "key_project", "重点项目企业"
    OTHER = "other", "其他"


class ProxyChannel(models.TextChoices):
    HALL = "hall", "大厅现场"
    PHONE = "phone", "电话"
    ONLINE = "online", "网上"


class ProxyState(models.TextChoices):
    WAITING = "waiting", "待分派"
    IN_PROGRESS = "in_progress", "办理中"
    CLOSED = "closed", "已办结"
    CANCELLED = "cancelled", "已取消"


class ProxyRequest(TimeStampedModel):
    """帮办代办申请 — someone (the 委托人: a citizen or an enterprise) asks the centre's 帮办代办员
    to handle items for them. The applications filed for it keep the principal as applicant."""

    number = models.CharField("代办编号", max_length=30, unique=True)
    applicant_kind = models.CharField("委托人类型", max_length=12, choices=ApplicantKind.choices)
    citizen = models.ForeignKey(
        "accounts.Citizen",
        verbose_name="委托人（自然人）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proxy_requests",
    )
    enterprise = models.ForeignKey(
        "accounts.Enterprise",
        verbose_name="委托人（法人）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proxy_requests",
    )
    principal_name = models.CharField("委托人名称", max_length=200)
    items = models.ManyToManyField("catalog.ServiceItem", verbose_name="代办事项", related_name="+")
    group = models.CharField("服务对象", max_length=20, choices=ProxyGroup.choices)
    channel = models.CharField("申请渠道", max_length=10, choices=ProxyChannel.choices)
    contact_name = models.CharField("联系人", max_length=50)
    contact_phone = models.CharField("联系电话", max_length=20)
    note = models.CharField("备注", max_length=500, blank=True)
    state = models.CharField(
        "状态", max_length=20, choices=ProxyState.choices, default=ProxyState.WAITING, db_index=True
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="帮办代办员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proxy_requests",
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField("分派时间", null=True, blank=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)
    outcome = models.CharField("办结情况", max_length=500, blank=True)

    class Meta:
        verbose_name = "帮办代办申请"
        verbose_name_plural = "帮办代办申请"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["agent", "state"], name="proxy_agent_state")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(applicant_kind="person", citizen__isnull=False, enterprise__isnull=True))
                | Q(applicant_kind="organisation", enterprise__isnull=False, citizen__isnull=True),
                name="proxy_request_one_principal",
            ),
            models.CheckConstraint(
                condition=Q(state="waiting") | Q(state="cancelled") | Q(agent__isnull=False),
                name="proxy_request_agent_when_taken",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.principal_name}"


class ProxyAuthorisation(models.Model):
    """委托书 — the principal authorises one agent for some items over a period; the signed copy is
    kept. Without one covering the item today nobody files on the principal's behalf."""

    request = models.ForeignKey(
        ProxyRequest, verbose_name="帮办代办申请", on_delete=models.CASCADE, related_name="authorisations"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="受托人", on_delete=models.PROTECT, related_name="+"
    )
    items = models.ManyToManyField("catalog.ServiceItem", verbose_name="委托事项", related_name="+")
    valid_from = models.DateField("生效日期")
    valid_until = models.DateField("截止日期")
    file = models.FileField("委托书扫描件", upload_to="proxy/%Y/%m/")
    file_name = models.CharField("文件名", max_length=200)
    content_type = models.CharField("类型", max_length=50)
    sha256 = models.CharField("SHA-256", max_length=64)
    recorded_at = models.DateTimeField("登记时间")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "委托书"
        verbose_name_plural = "委托书"
        ordering = ["request", "-valid_until", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("valid_from")), name="proxy_authorisation_period"
            )
        ]

    def __str__(self) -> str:
        return f"委托书 {self.request.number} {self.valid_from}～{self.valid_until}"


class ProxyItem(models.Model):
    """帮办代办事项清单 — the published list of high-frequency items the centre handles for people."""

    item = models.ForeignKey(
        "catalog.ServiceItem", verbose_name="事项", on_delete=models.CASCADE, related_name="+"
    )
    order = models.PositiveSmallIntegerField("排序", default=0)
    note = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "帮办代办事项"
        verbose_name_plural = "帮办代办事项清单"
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["item"], name="proxy_item_once")]

    def __str__(self) -> str:
        return str(self.item)


# ---------------------------------------------------------------------------------------------
# 一件事一次办: one application for a bundle, one child application per item
# ---------------------------------------------------------------------------------------------


class BundleState(models.TextChoices):
    SUBMITTED = "submitted", "待预审"
    NOT_ACCEPTED = "not_accepted", "不予受理"
    IN_PROGRESS = "in_progress", "办理中"
    COMPLETED = "completed", "已办结待出件"
    POSTED = "posted", "已寄出"
    DELIVERED = "delivered", "已出件"
    STOPPED = "stopped", "已终止"
    WITHDRAWN = "withdrawn", "已撤回"


class BundleApplication(TimeStampedModel):
    """一件事办件 — one form, one material set, one 受理 and one 出件 for a bundle. Its items are
    handled as child applications (``children``), each by its own department in parallel, a child
    with a 前置事项 waiting, its clock stopped, until that one is done (bundles.py)."""

    number = models.CharField("一件事办件编号", max_length=50, unique=True)
    query_code_hash = models.CharField("查询码摘要", max_length=128)
    bundle = models.ForeignKey(
        "catalog.Bundle", verbose_name="一件事", on_delete=models.PROTECT, related_name="applications"
    )
    channel = models.CharField("申请方式", max_length=10, choices=Channel.choices)
    applicant_kind = models.CharField("申请人类型", max_length=12, choices=ApplicantKind.choices)
    citizen = models.ForeignKey(
        "accounts.Citizen",
        verbose_name="申请人（自然人）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bundle_applications",
    )
    enterprise = models.ForeignKey(
        "accounts.Enterprise",
        verbose_name="申请人（法人）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bundle_applications",
    )
    applicant_name = models.CharField("申请人名称", max_length=200)
    applicant_code = models.CharField("申请人证件号码", max_length=18)
    contact_name = models.CharField("联系人", max_length=50)
    contact_phone = models.CharField("联系电话", max_length=20)
    form_data = models.JSONField("联办申请表内容", default=dict, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提交人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    window = models.ForeignKey(
        "org.Window",
        verbose_name="受理窗口",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    delivery_method = models.CharField(
        "结果送达方式", max_length=10, choices=DeliveryMethod.choices, default=DeliveryMethod.PICKUP
    )
    postal_recipient = models.CharField("收件人", max_length=50, blank=True)
    postal_phone = models.CharField("收件人电话", max_length=20, blank=True)
    postal_address = models.CharField("邮寄地址", max_length=200, blank=True)
    state = models.CharField(
        "状态", max_length=20, choices=BundleState.choices, default=BundleState.SUBMITTED, db_index=True
    )
    version = models.PositiveIntegerField("版本", default=1)
    submitted_at = models.DateTimeField("申请时间")
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="受理人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    limit_days = models.DecimalField(
        "承诺办结时限（工作日）", max_digits=6, decimal_places=2, default=Decimal(0)
    )
    due_at = models.DateTimeField("承诺办结时间", null=True, blank=True)
    completed_at = models.DateTimeField("办结时间", null=True, blank=True, db_index=True)
    delivered_at = models.DateTimeField("出件时间", null=True, blank=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)
    idempotency_key = models.CharField("幂等键", max_length=100, null=True, blank=True, unique=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="代办人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    proxy_request = models.ForeignKey(
        "applications.ProxyRequest",
        verbose_name="帮办代办申请",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    tracking_number = models.CharField("邮件号", max_length=13, blank=True)

    chain_length = models.PositiveIntegerField("轨迹条数", default=0, editable=False)
    chain_head = models.CharField("轨迹链头", max_length=64, blank=True, editable=False)
    chain_seal = models.CharField("轨迹封印", max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = "一件事办件"
        verbose_name_plural = "一件事办件"
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["bundle", "state", "completed_at"], name="bundleapp_bundle_done"),
            models.Index(fields=["citizen", "submitted_at"], name="bundleapp_citizen_time"),
            models.Index(fields=["enterprise", "submitted_at"], name="bundleapp_enterprise_time"),
            models.Index(fields=["state", "submitted_at"], name="bundleapp_state_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(applicant_kind="person", citizen__isnull=False, enterprise__isnull=True))
                | Q(applicant_kind="organisation", enterprise__isnull=False, citizen__isnull=True),
                name="bundleapp_one_applicant",
            ),
            models.CheckConstraint(
                condition=~Q(delivery_method="post") | ~Q(postal_address=""),
                name="bundleapp_post_needs_address",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.applicant_name}"

    @property
    def applicant_user_ids(self) -> tuple[int | None, ...]:
        ids: list[int | None] = [self.submitted_by_id] if self.channel != Channel.WINDOW else []
        if self.citizen is not None and self.citizen.user_id:
            ids.append(self.citizen.user_id)
        if self.enterprise is not None:
            ids.extend(self.enterprise.users.values_list("id", flat=True))
        return tuple(ids)


class BundleEvent(ChainedEvent):
    """One step of a bundle application's own history (submit, 受理, each item settled, 出件)."""

    bundle_application = models.ForeignKey(
        BundleApplication, verbose_name="一件事办件", on_delete=models.CASCADE, related_name="events"
    )

    class Meta:
        verbose_name = "一件事办件轨迹"
        verbose_name_plural = "一件事办件轨迹"
        ordering = ["bundle_application", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["bundle_application", "seq"], name="bundle_event_unique_seq")
        ]

    def __str__(self) -> str:
        return f"{self.bundle_application_id}#{self.seq} {self.action}"
