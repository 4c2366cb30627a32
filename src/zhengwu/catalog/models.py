"""事项清单: service items, their materials, and 一件事 bundles. Rules that span rows (codes that
must agree with the department, a bundle of at least two items) are enforced in services.py;
rules about one row are check constraints here, so no path can store a broken row."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from zhengwu.core.models import TimeStampedModel
from zhengwu.org.models import Level


class ItemType(models.TextChoices):
    """事项类型 (GB/T 39046 A.1)."""

    LICENSING = "01", "行政许可"
    PENALTY = "02", "行政处罚"
    COERCION = "03", "行政强制"
    LEVY = "04", "行政征收"
    PAYMENT = "05", "行政给付"
    INSPECTION = "06", "行政检查"
    CONFIRMATION = "07", "行政确认"
    REWARD = "08", "行政奖励"
    ADJUDICATION = "09", "行政裁决"
    OTHER_POWER = "10", "其他行政权力"
    PUBLIC_SERVICE = "20", "公共服务"


class CaseType(models.IntegerChoices):
    """办件类型."""

    IMMEDIATE = 1, "即办件"
    PROMISED = 2, "承诺件"


class ServiceObject(models.TextChoices):
    """服务对象."""

    PERSON = "1", "自然人"
    ENTERPRISE = "2", "企业法人"
    INSTITUTION = "3", "事业法人"
    SOCIAL_ORG = "4", "社会组织法人"
    NON_LEGAL_ENTERPRISE = "5", "非法人企业"
    AUTHORITY = "6", "行政机关"
    OTHER = "9", "其他组织"


class OnlineDepth(models.IntegerChoices):
    """网办深度."""

    OFFLINE = 1, "线下办理"
    PREVIEW = 2, "网上预审"
    FULLY_ONLINE = 3, "全程网办"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"
    RETIRED = "retired", "已废止"


class Audience(models.TextChoices):
    PERSON = "person", "个人"
    ENTERPRISE = "enterprise", "企业"


LIMIT_FIELD = {"max_digits": 6, "decimal_places": 2, "validators": [MinValueValidator(Decimal(0))]}


class LifeEvent(models.Model):
    """人生事件 / 企业生命周期 — how citizens look for services (出生, 退休, 开办 …)."""

    name = models.CharField("名称", max_length=30)
    audience = models.CharField("面向", max_length=20, choices=Audience.choices)
    order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "人生事件"
        verbose_name_plural = "人生事件"
        ordering = ["audience", "order", "name"]
        constraints = [models.UniqueConstraint(fields=["audience", "name"], name="lifeevent_unique_name")]

    def __str__(self) -> str:
        return f"{self.get_audience_display()}·{self.name}"


class ServiceItem(TimeStampedModel):
    """事项 (one version of it). Cases keep a reference to the version they were accepted under,
    so a published version is never edited: a change is a new version."""

    name = models.CharField("事项名称", max_length=200)
    basic_code = models.CharField("基本编码", max_length=12, db_index=True)
    implementation_code = models.CharField("实施编码", max_length=31, db_index=True)
    item_type = models.CharField("事项类型", max_length=2, choices=ItemType.choices)
    department = models.ForeignKey(
        "org.Department", verbose_name="实施主体", on_delete=models.PROTECT, related_name="service_items"
    )
    level = models.PositiveSmallIntegerField("行使层级", choices=Level.choices)
    service_objects = models.JSONField("服务对象", default=list, help_text='服务对象代码列表，如 ["1", "2"]')
    life_events = models.ManyToManyField(LifeEvent, verbose_name="人生事件", blank=True, related_name="items")
    legal_limit_days = models.DecimalField("法定办结时限（工作日）", **LIMIT_FIELD)  # type: ignore[arg-type]
    promised_limit_days = models.DecimalField("承诺办结时限（工作日）", **LIMIT_FIELD)  # type: ignore[arg-type]
    case_type = models.PositiveSmallIntegerField("办件类型", choices=CaseType.choices)
    trips = models.PositiveSmallIntegerField("到办事现场次数", default=0)
    online_depth = models.PositiveSmallIntegerField(
        "网办深度", choices=OnlineDepth.choices, default=OnlineDepth.OFFLINE
    )
    charges_fee = models.BooleanField("是否收费", default=False)
    fee_description = models.CharField("收费标准", max_length=500, blank=True)
    legal_basis = models.TextField("设定依据", blank=True)
    conditions = models.TextField("受理条件", blank=True)
    process_steps = models.JSONField(
        "办理流程", default=list, help_text='环节名称列表，如 ["受理", "审查", "决定"]'
    )
    form_fields = models.JSONField(
        "申请表字段", default=list, help_text='[{"name": "applicant_name", "label": "申请人姓名"}, …]'
    )
    result_name = models.CharField("审批结果名称", max_length=200, blank=True)
    result_licence_type = models.ForeignKey(
        "licences.LicenceType",
        verbose_name="结果证照类型",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="producing_items",
        help_text="办结后制发的电子证照",
    )
    consultation_phone = models.CharField("咨询电话", max_length=50, blank=True)
    version = models.PositiveIntegerField("版本号", default=1)
    status = models.CharField(
        "状态", max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    valid_from = models.DateField("生效日期", null=True, blank=True)
    valid_until = models.DateField("失效日期", null=True, blank=True)

    class Meta:
        verbose_name = "事项"
        verbose_name_plural = "事项"
        ordering = ["department__name", "name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["implementation_code", "version"], name="item_unique_code_version"
            ),
            models.CheckConstraint(
                condition=Q(promised_limit_days__lte=models.F("legal_limit_days")),
                name="item_promised_within_legal",
                violation_error_message="承诺办结时限不能超过法定办结时限",
            ),
            models.CheckConstraint(
                condition=Q(promised_limit_days__gte=0) & Q(legal_limit_days__gte=0),
                name="item_limits_not_negative",
                violation_error_message="办结时限不能为负数",
            ),
            models.CheckConstraint(
                # Equal dates: a version superseded on the day it took effect (a same-day correction).
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="item_valid_range",
                violation_error_message="失效日期不能早于生效日期",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def step_count(self) -> int:
        return len(self.process_steps)

    @property
    def material_count(self) -> int:
        return len(self.item_materials.all())


class MaterialKind(models.TextChoices):
    DOCUMENT = "document", "证件材料"
    FORM = "form", "申请表"


class Material(models.Model):
    """A material as the applicant knows it (居民身份证, 营业执照 …), shared by every item that asks
    for it, so a bundle can ask for it once."""

    name = models.CharField("材料名称", max_length=200)
    issuing_body = models.CharField("出具单位", max_length=200, blank=True)
    kind = models.CharField(
        "类别", max_length=10, choices=MaterialKind.choices, default=MaterialKind.DOCUMENT
    )
    licence_type = models.ForeignKey(
        "licences.LicenceType",
        verbose_name="可替代的电子证照类型",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="materials",
        help_text="持有该电子证照时此材料免提交",
    )

    class Meta:
        verbose_name = "材料"
        verbose_name_plural = "材料"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "issuing_body"], name="material_unique_name_issuer")
        ]

    def __str__(self) -> str:
        return self.name


class ItemMaterial(models.Model):
    """材料 as one item asks for it: how many originals and copies, required, critical."""

    item = models.ForeignKey(
        ServiceItem, verbose_name="事项", on_delete=models.CASCADE, related_name="item_materials"
    )
    material = models.ForeignKey(
        Material, verbose_name="材料", on_delete=models.PROTECT, related_name="item_uses"
    )
    originals = models.PositiveSmallIntegerField("原件份数", default=1)
    copies = models.PositiveSmallIntegerField("复印件份数", default=0)
    required = models.BooleanField("必要", default=True)
    critical = models.BooleanField("关键材料", default=False, help_text="关键材料不能容缺")
    note = models.CharField("填报须知", max_length=500, blank=True)
    order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "事项材料"
        verbose_name_plural = "事项材料"
        ordering = ["item", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "material"], name="itemmaterial_unique"),
            models.CheckConstraint(
                condition=Q(critical=False) | Q(required=True),
                name="itemmaterial_critical_is_required",
                violation_error_message="关键材料必须是必要材料",
            ),
            models.CheckConstraint(
                condition=Q(originals__gt=0) | Q(copies__gt=0),
                name="itemmaterial_some_copy",
                violation_error_message="原件和复印件份数不能都为0",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} · {self.material}"


class OnRefusal(models.TextChoices):
    """What a bundle application does when one of its items is refused (不予许可)."""

    TRIM = "trim", "其余事项继续办理（依赖被拒事项的一并终止）"
    STOP = "stop", "整件终止（未决定的事项一并终止）"


class Bundle(TimeStampedModel):
    """一件事 — several items around one life event, behind one form, one material set, one
    window and one delivery. Its savings are computed from its items, never typed."""

    name = models.CharField("名称", max_length=100, unique=True)
    life_event = models.ForeignKey(
        LifeEvent, verbose_name="人生事件", on_delete=models.PROTECT, related_name="bundles"
    )
    lead_department = models.ForeignKey(
        "org.Department", verbose_name="牵头部门", on_delete=models.PROTECT, related_name="led_bundles"
    )
    description = models.TextField("简介", blank=True)
    items: models.ManyToManyField[ServiceItem, BundleItem] = models.ManyToManyField(
        ServiceItem,
        verbose_name="包含事项",
        through="BundleItem",
        through_fields=("bundle", "item"),
        related_name="bundles",
    )
    promised_limit_days = models.DecimalField("承诺办结时限（工作日）", **LIMIT_FIELD)  # type: ignore[arg-type]
    trips = models.PositiveSmallIntegerField("到办事现场次数", default=1)
    process_steps = models.JSONField("办理流程", default=list)
    on_refusal = models.CharField(
        "事项不予许可时", max_length=10, choices=OnRefusal.choices, default=OnRefusal.TRIM
    )
    status = models.CharField(
        "状态", max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )

    class Meta:
        verbose_name = "一件事"
        verbose_name_plural = "一件事"
        ordering = ["life_event__audience", "life_event__order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(promised_limit_days__gte=0),
                name="bundle_limit_not_negative",
                violation_error_message="办结时限不能为负数",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def step_count(self) -> int:
        return len(self.process_steps)


class BundleItem(models.Model):
    bundle = models.ForeignKey(
        Bundle, verbose_name="一件事", on_delete=models.CASCADE, related_name="bundle_items"
    )
    item = models.ForeignKey(ServiceItem, verbose_name="事项", on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField("排序", default=0)
    after = models.ForeignKey(
        ServiceItem,
        verbose_name="前置事项",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="须待该事项办结后才开始办理（其办理时限暂停计算），如刻章须待营业执照",
    )

    class Meta:
        verbose_name = "一件事包含的事项"
        verbose_name_plural = "一件事包含的事项"
        ordering = ["bundle", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["bundle", "item"], name="bundleitem_unique")]

    def __str__(self) -> str:
        return f"{self.bundle} · {self.item}"
