from __future__ import annotations

from datetime import date

from django.contrib.auth.models import AbstractUser
from django.db import models

from zhengwu.core.models import TimeStampedModel
from zhengwu.core.validators import mask_id_number, mask_phone, validate_id_number, validate_uscc


class User(AbstractUser):
    """A login. Staff belong to a department (and maybe a window); their roles are groups."""

    name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("手机号", max_length=20, blank=True)
    # Here is_staff tells staff from citizens (the desk's pages and API are for staff); entering
    # the Django admin takes the 管理员 role (roles.is_administrator), whatever this says.
    is_staff = models.BooleanField(
        "工作人员",
        default=False,
        help_text="机关工作人员账号；市民账号不勾选。能否进入管理后台只看是否有“管理员”角色。",
    )
    department = models.ForeignKey(
        "org.Department",
        verbose_name="所属部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    window = models.ForeignKey(
        "org.Window",
        verbose_name="所在窗口",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff",
    )

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        verbose_name = "用户"
        verbose_name_plural = "用户"
        permissions = [
            ("view_all_departments", "可查看所有部门的人员与数据"),
            ("view_personal_data", "可查看完整的身份证号和手机号"),
            ("use_admin", "可进入管理后台（管理员角色）"),
        ]

    def __str__(self) -> str:
        return self.name or self.username

    def get_short_name(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.get_full_name() or self.username

    def role_names(self) -> list[str]:
        return sorted(g.name for g in self.groups.all())

    @property
    def sees_all_departments(self) -> bool:
        return self.is_superuser or self.has_perm("accounts.view_all_departments")


class Gender(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class Citizen(TimeStampedModel):
    """自然人 — a person who applies or appeals, identified by the 公民身份号码."""

    name = models.CharField("姓名", max_length=50)
    id_number = models.CharField("公民身份号码", max_length=18, unique=True, validators=[validate_id_number])
    phone = models.CharField("手机号", max_length=20, blank=True)
    address = models.CharField("住址", max_length=200, blank=True)
    user = models.OneToOneField(
        User,
        verbose_name="登录账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="citizen",
    )

    class Meta:
        verbose_name = "自然人"
        verbose_name_plural = "自然人"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.id_number = self.id_number.strip().upper()
        super().save(*args, **kwargs)

    @property
    def birth_date(self) -> date:
        n = self.id_number
        return date(int(n[6:10]), int(n[10:12]), int(n[12:14]))

    @property
    def gender(self) -> str:
        return Gender.MALE.label if int(self.id_number[16]) % 2 else Gender.FEMALE.label

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class Enterprise(TimeStampedModel):
    """法人 — a company or organisation, identified by the 统一社会信用代码."""

    name = models.CharField("名称", max_length=200)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True, validators=[validate_uscc])
    legal_representative = models.CharField("法定代表人", max_length=50)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    address = models.CharField("住所", max_length=200, blank=True)
    users = models.ManyToManyField(User, verbose_name="经办人账号", blank=True, related_name="enterprises")

    class Meta:
        verbose_name = "法人"
        verbose_name_plural = "法人"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.uscc = self.uscc.strip().upper()
        super().save(*args, **kwargs)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)
