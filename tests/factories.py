"""Factories for the rows most tests need. Identity numbers are synthetic but valid: the check
characters are computed, never hard-coded."""

from __future__ import annotations

import factory
from django.contrib.auth.models import Group
from stdnum.cn import ric, uscc

from zhengwu.accounts.models import Citizen, Enterprise, User
from zhengwu.accounts.roles import ROLE_BY_CODE
from zhengwu.org.models import Department, Level, Region


def make_uscc(serial: int, prefix: str = "11110000") -> str:
    """A valid 统一社会信用代码: registration body + region + 9-character organisation code + check.
    The default region (110000) keeps these apart from the demo city's own codes (410200)."""
    body = f"{prefix}{serial:09d}"[:17]
    return body + uscc.calc_check_digit(body)


def make_id_number(serial: int, birth: str = "19900307", area: str = "410202") -> str:
    body = f"{area}{birth}{serial % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # the function ignores the last character


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "410200"
    name = "示范市"
    level = Level.CITY


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"测试局{n}")
    uscc = factory.Sequence(lambda n: make_uscc(n + 1))
    region = factory.SubFactory(RegionFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Sequence(lambda n: f"工作人员{n}")
    department = factory.SubFactory(DepartmentFactory)
    is_staff = True
    password = factory.django.Password("Zhengwu-test-2026")

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        for code in extracted or []:
            self.groups.add(Group.objects.get(name=ROLE_BY_CODE[code].name))


class CitizenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Citizen

    name = factory.Sequence(lambda n: f"市民{n}")
    id_number = factory.Sequence(lambda n: make_id_number(n))
    phone = factory.Sequence(lambda n: f"139{n:08d}")


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"示范科技有限公司{n}")
    uscc = factory.Sequence(lambda n: make_uscc(n + 1, prefix="91410200"))
    legal_representative = "张三"


class LicenceTypeFactory(factory.django.DjangoModelFactory):
    """A licence type defined and issued by one department (give ``defining_department``)."""

    class Meta:
        model = "licences.LicenceType"
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"测试证照{n}")
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.defining_department.uscc}{n % 1000:03d}")
    defining_department = factory.SubFactory(DepartmentFactory)
    holder_kind = "person"
    validity_years = 5
    surface_fields = [{"name": "address", "label": "住址"}]

    @factory.post_generation
    def issuers(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        self.issuing_departments.add(*(extracted or [self.defining_department]))
