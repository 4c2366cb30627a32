"""电子证照 — licence types (证照目录), the departments' seals (电子印章), the licences, the
holder's share links (授权用证) and every use (用证).

A licence row is never deleted or edited after issue except for its state: a 变更 makes a new row
(the next 版本号) that supersedes the old one; 注销/吊销 set the state with a reason and a date.
Whether a licence is 已过期 is not stored: it follows from ``valid_until`` and today.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q

from zhengwu.core.models import TimeStampedModel


class HolderKind(models.TextChoices):
    PERSON = "person", "自然人"
    ORGANISATION = "organisation", "法人"


class HolderCodeType(models.TextChoices):
    """持证主体代码类型 (GB/T 36902 code list, the two we use)."""

    ID_CARD = "111", "居民身份证"
    USCC = "001", "统一社会信用代码"


class PrintTemplate(models.TextChoices):
    CERTIFICATE = "certificate", "证书（A4横版）"
    CARD = "card", "卡证（A4竖版，卡面居中）"


class LicenceType(TimeStampedModel):
    """证照类型 — one entry of the city's catalogue of licence types (GB/T 36903)."""

    name = models.CharField("证照名称", max_length=100, unique=True)
    code = models.CharField(
        "证照类型代码",
        max_length=21,
        unique=True,
        help_text="定义机构的统一社会信用代码（18位）加3位顺序号",
    )
    defining_department = models.ForeignKey(
        "org.Department",
        verbose_name="定义机构",
        on_delete=models.PROTECT,
        related_name="defined_licence_types",
    )
    issuing_departments = models.ManyToManyField(
        "org.Department", verbose_name="颁发机构", blank=True, related_name="issued_licence_types"
    )
    holder_kind = models.CharField("持证主体类别", max_length=20, choices=HolderKind.choices)
    validity_years = models.PositiveSmallIntegerField(
        "有效期（年）", null=True, blank=True, help_text="不填为长期有效"
    )
    surface_fields = models.JSONField(
        "照面信息项",
        default=list,
        blank=True,
        help_text='[{"name": "address", "label": "住所"}, …]；持证主体、颁发机构、日期等元数据不必列出',
    )
    template = models.CharField(
        "打印模板", max_length=20, choices=PrintTemplate.choices, default=PrintTemplate.CERTIFICATE
    )
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "证照类型"
        verbose_name_plural = "证照类型"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def holder_code_type(self) -> str:
        return HolderCodeType.ID_CARD if self.holder_kind == HolderKind.PERSON else HolderCodeType.USCC


class Seal(TimeStampedModel):
    """电子印章 — a department's SM2 key pair. Rotation adds a new seal and retires the old one;
    a retired seal keeps its public key so that what it signed stays verifiable."""

    department = models.ForeignKey(
        "org.Department", verbose_name="所属部门", on_delete=models.PROTECT, related_name="seals"
    )
    key_id = models.CharField(
        "印章编码",
        max_length=40,
        unique=True,
        help_text="部门统一社会信用代码-顺序号，如 11440300MB2C00001X-1",
    )
    name = models.CharField("印章名称", max_length=100, help_text="印章上的文字，一般为部门全称")
    public_key = models.TextField("SM2公钥（PEM）")
    sealed_private_key = models.BinaryField("SM2私钥（加密存储）", editable=False)
    retired_at = models.DateTimeField("停用时间", null=True, blank=True)

    class Meta:
        verbose_name = "电子印章"
        verbose_name_plural = "电子印章"
        ordering = ["department__name", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["department"],
                condition=Q(retired_at__isnull=True),
                name="seal_one_current_per_department",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.key_id}）"


class LicenceState(models.TextChoices):
    VALID = "valid", "有效"
    SUPERSEDED = "superseded", "已变更"
    CANCELLED = "cancelled", "已注销"
    REVOKED = "revoked", "已吊销"


class Licence(models.Model):
    """One version of one licence, with its metadata (DESIGN §7), surface data and SM2 signature."""

    identifier = models.CharField("证照标识", max_length=80, unique=True)
    licence_type = models.ForeignKey(
        LicenceType, verbose_name="证照类型", on_delete=models.PROTECT, related_name="licences"
    )
    number = models.CharField("证照编号", max_length=100)
    serial = models.CharField("流水号", max_length=32)
    version = models.PositiveSmallIntegerField("版本号", default=1)
    issuer = models.ForeignKey(
        "org.Department", verbose_name="颁发机构", on_delete=models.PROTECT, related_name="issued_licences"
    )
    issued_on = models.DateField("颁发日期")
    valid_from = models.DateField("有效期起始")
    valid_until = models.DateField("有效期截止", null=True, blank=True, help_text="空为长期有效")

    holder_kind = models.CharField("持证主体类别", max_length=20, choices=HolderKind.choices)
    holder_name = models.CharField("持证主体", max_length=200)
    holder_code = models.CharField("持证主体代码", max_length=18, db_index=True)
    holder_code_type = models.CharField("持证主体代码类型", max_length=3, choices=HolderCodeType.choices)
    citizen = models.ForeignKey(
        "accounts.Citizen",
        verbose_name="自然人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="licences",
    )
    enterprise = models.ForeignKey(
        "accounts.Enterprise",
        verbose_name="法人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="licences",
    )
    surface = models.JSONField("照面信息", default=dict, blank=True)

    seal = models.ForeignKey(Seal, verbose_name="签章印章", on_delete=models.PROTECT, related_name="licences")
    signed_at = models.DateTimeField("签章时间")
    digest = models.CharField("SM3摘要", max_length=64, help_text="规范化元数据的SM3摘要（十六进制）")
    signature = models.BinaryField("SM2签名（DER）")

    state = models.CharField(
        "状态", max_length=20, choices=LicenceState.choices, default=LicenceState.VALID, db_index=True
    )
    state_reason = models.CharField("注销/吊销/变更原因", max_length=500, blank=True)
    state_changed_on = models.DateField("状态变更日期", null=True, blank=True)
    superseded_by = models.OneToOneField(
        "self",
        verbose_name="现行版本",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supersedes",
    )
    application = models.ForeignKey(
        "applications.Application",
        verbose_name="来源办件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="licences",
    )
    imported = models.BooleanField("存量导入", default=False)
    created_at = models.DateTimeField("入库时间", auto_now_add=True)

    class Meta:
        verbose_name = "电子证照"
        verbose_name_plural = "电子证照"
        ordering = ["-issued_on", "-id"]
        indexes = [
            models.Index(fields=["holder_code", "-issued_on"], name="licence_holder_issued"),
            models.Index(fields=["citizen", "-issued_on"], name="licence_citizen_issued"),
            models.Index(fields=["enterprise", "-issued_on"], name="licence_enterprise_issued"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "serial", "version"], name="licence_serial_version_once"
            ),
            models.CheckConstraint(
                condition=(Q(holder_kind="person", enterprise__isnull=True))
                | Q(holder_kind="organisation", citizen__isnull=True),
                name="licence_holder_kind_matches",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="licence_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.licence_type.name} {self.number}"

    def expired_on(self, today: date) -> bool:
        return self.valid_until is not None and self.valid_until < today


class LicenceShare(models.Model):
    """授权用证 — a time-limited link the holder gives an organisation for a stated purpose."""

    licence = models.ForeignKey(Licence, verbose_name="证照", on_delete=models.PROTECT, related_name="shares")
    token_hash = models.CharField("链接令牌摘要", max_length=64, unique=True, editable=False)
    organisation = models.CharField("被授权单位", max_length=200)
    purpose = models.CharField("用证事由", max_length=200)
    expires_at = models.DateTimeField("有效期至")
    created_at = models.DateTimeField("授权时间")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="授权人", on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)

    class Meta:
        verbose_name = "授权用证"
        verbose_name_plural = "授权用证"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.licence} → {self.organisation}"


class UseKind(models.TextChoices):
    INTAKE = "intake", "办事免提交"
    VERIFY = "verify", "核验"
    SHARE = "share", "授权查看"
    DOWNLOAD = "download", "下载"


class LicenceUse(models.Model):
    """用证记录 — who used the licence, when, and for what; shown to the holder."""

    licence = models.ForeignKey(Licence, verbose_name="证照", on_delete=models.PROTECT, related_name="uses")
    kind = models.CharField("用证方式", max_length=20, choices=UseKind.choices)
    at = models.DateTimeField("用证时间")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用证人账号",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    used_by = models.CharField("用证方", max_length=200, help_text="部门、单位或“公众核验”")
    purpose = models.CharField("用途", max_length=200)
    application = models.ForeignKey(
        "applications.Application",
        verbose_name="办件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="licence_uses",
    )
    share = models.ForeignKey(
        LicenceShare,
        verbose_name="授权",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="uses",
    )

    class Meta:
        verbose_name = "用证记录"
        verbose_name_plural = "用证记录"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["licence", "-at"], name="licence_use_time")]

    def __str__(self) -> str:
        return f"{self.licence_id} {self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class SerialCounter(models.Model):
    """The last 流水号 an issuing department used in a year (services.next_serial)."""

    department = models.ForeignKey(
        "org.Department", verbose_name="颁发机构", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    last = models.PositiveIntegerField("已用流水号", default=0)

    class Meta:
        verbose_name = "证照流水号"
        verbose_name_plural = "证照流水号"
        constraints = [models.UniqueConstraint(fields=["department", "year"], name="serial_counter_once")]

    def __str__(self) -> str:
        return f"{self.department_id}/{self.year}: {self.last}"
