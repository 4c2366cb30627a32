from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from zhengwu.core.models import TimeStampedModel
from zhengwu.core.validators import validate_uscc


class Level(models.IntegerChoices):
    """行使层级 (GB/T 39046)."""

    NATIONAL = 1, "国家级"
    PROVINCE = 2, "省级"
    CITY = 3, "市级"
    COUNTY = 4, "县级"
    TOWN = 5, "镇（乡、街道）级"
    VILLAGE = 6, "村（社区）级"


# Length of the administrative division code at each level: 6 digits down to county, then 9 for
# towns and 12 for villages (统计用区划代码).
CODE_LENGTH = {Level.CITY: 6, Level.COUNTY: 6, Level.TOWN: 9, Level.VILLAGE: 12}
# How much of a child's code repeats its parent's.
PARENT_PREFIX = {Level.COUNTY: 4, Level.TOWN: 6, Level.VILLAGE: 9}


class Region(TimeStampedModel):
    """行政区划 — city, county, town or village."""

    code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=100)
    level = models.PositiveSmallIntegerField("行使层级", choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__gte=3, level__lte=6), name="region_level_3_to_6"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        expected = CODE_LENGTH.get(Level(self.level)) if self.level in Level.values else None
        if expected is None:
            errors["level"] = "行使层级应为3（市）、4（县）、5（镇）或6（村）"
        elif not (self.code or "").isdigit() or len(self.code) != expected:
            errors["code"] = f"{Level(self.level).label}区划代码应为{expected}位数字"
        if self.level == Level.CITY and self.parent_id:
            errors["parent"] = "市级区划不应有上级区划"
        if self.level and self.level > Level.CITY:
            if not self.parent:
                errors["parent"] = "请选择上级区划"
            elif self.parent.level != self.level - 1:
                errors["parent"] = f"上级区划应为{Level(self.level - 1).label}"
            elif "code" not in errors:
                n = PARENT_PREFIX[Level(self.level)]
                if self.code[:n] != self.parent.code[:n]:
                    errors["code"] = f"区划代码前{n}位应与上级区划 {self.parent.code} 一致"
        if errors:
            raise ValidationError(errors)

    def ancestors(self) -> list[Region]:
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))


class Department(TimeStampedModel):
    """部门 — a government body that implements service items and handles appeals."""

    name = models.CharField("部门名称", max_length=100)
    short_name = models.CharField("简称", max_length=30, blank=True)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True, validators=[validate_uscc])
    region = models.ForeignKey(
        Region, verbose_name="所属区划", on_delete=models.PROTECT, related_name="departments"
    )
    phone = models.CharField("联系电话", max_length=30, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "部门"
        verbose_name_plural = "部门"
        ordering = ["region__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="department_unique_name_in_region")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def level(self) -> int:
        return self.region.level


class Hall(TimeStampedModel):
    """政务服务大厅."""

    name = models.CharField("大厅名称", max_length=100)
    region = models.ForeignKey(
        Region, verbose_name="所属区划", on_delete=models.PROTECT, related_name="halls"
    )
    address = models.CharField("地址", max_length=200, blank=True)
    opening_hours = models.CharField(
        "办公时间", max_length=100, blank=True, default="工作日 9:00-12:00 13:30-17:30"
    )

    class Meta:
        verbose_name = "政务服务大厅"
        verbose_name_plural = "政务服务大厅"
        ordering = ["region__code", "name"]

    def __str__(self) -> str:
        return self.name


class WindowKind(models.TextChoices):
    COMPREHENSIVE = "comprehensive", "综合受理"
    DELIVERY = "delivery", "出件"
    APPEALS = "appeals", "有诉即办"
    ASSISTED = "assisted", "帮办代办"
    ENTERPRISE = "enterprise", "万人助万企"
    SUPERVISION = "supervision", "办不成事监督"
    CONSULTATION = "consultation", "咨询导办"
    SPECIAL = "special", "专业窗口"


class Window(TimeStampedModel):
    """窗口 in a hall."""

    hall = models.ForeignKey(Hall, verbose_name="大厅", on_delete=models.CASCADE, related_name="windows")
    number = models.CharField("窗口号", max_length=10)
    name = models.CharField("窗口名称", max_length=100)
    kind = models.CharField("窗口类型", max_length=20, choices=WindowKind.choices)
    department = models.ForeignKey(
        Department,
        verbose_name="派驻部门",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="windows",
    )
    is_open = models.BooleanField("开放", default=True)

    class Meta:
        verbose_name = "窗口"
        verbose_name_plural = "窗口"
        ordering = ["hall", "number"]
        constraints = [
            models.UniqueConstraint(fields=["hall", "number"], name="window_unique_number_in_hall")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"
