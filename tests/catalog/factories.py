"""Factories for the catalogue. Implementation codes are built from the department, so they are
valid unless a test breaks them on purpose."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory
import pytest
from django.utils import timezone

from zhengwu.catalog.models import (
    Audience,
    Bundle,
    BundleItem,
    CaseType,
    ItemMaterial,
    LifeEvent,
    Material,
    MaterialKind,
    ServiceItem,
    VersionStatus,
)
from zhengwu.licences.models import LicenceType
from zhengwu.org.models import Department

from ..factories import DepartmentFactory, LicenceTypeFactory


def licence_type(name: str, department: Department | None = None) -> LicenceType:
    """The licence type of that name in 证照目录, registered (by ``department``) if missing."""
    found = LicenceType.objects.filter(name=name).first()
    if found is not None:
        return found
    return LicenceTypeFactory(name=name, defining_department=department or DepartmentFactory())  # type: ignore[no-any-return]


def code_for(department: Department, basic_code: str) -> str:
    """实施编码 = USCC (18) + 行使层级 (1) + 基本编码 (12)."""
    return f"{department.uscc}{department.region.level}{basic_code}"


class LifeEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LifeEvent
        django_get_or_create = ("audience", "name")

    name = factory.Sequence(lambda n: f"人生事件{n}")
    audience = Audience.PERSON


class MaterialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Material

    name = factory.Sequence(lambda n: f"材料{n}")
    issuing_body = "申请人"
    kind = MaterialKind.DOCUMENT


class ServiceItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceItem

    name = factory.Sequence(lambda n: f"事项{n}")
    department = factory.SubFactory(DepartmentFactory)
    basic_code = factory.Sequence(lambda n: f"{n + 1:012d}")
    implementation_code = factory.LazyAttribute(lambda o: code_for(o.department, o.basic_code))
    item_type = "01"
    level = factory.LazyAttribute(lambda o: o.department.region.level)
    service_objects = factory.LazyFunction(lambda: ["1"])
    legal_limit_days = Decimal(20)
    promised_limit_days = Decimal(10)
    case_type = CaseType.PROMISED
    trips = 1
    process_steps = factory.LazyFunction(lambda: ["受理", "审查", "决定"])
    form_fields = factory.LazyFunction(list)
    status = VersionStatus.PUBLISHED
    valid_from = factory.LazyFunction(timezone.localdate)


class ItemMaterialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ItemMaterial

    item = factory.SubFactory(ServiceItemFactory)
    material = factory.SubFactory(MaterialFactory)
    originals = 1
    copies = 0
    required = True
    critical = False


class BundleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bundle

    name = factory.Sequence(lambda n: f"一件事{n}")
    life_event = factory.SubFactory(LifeEventFactory)
    lead_department = factory.SubFactory(DepartmentFactory)
    promised_limit_days = Decimal(5)
    trips = 1
    process_steps = factory.LazyFunction(lambda: ["一窗受理", "并联审批", "统一出件"])
    status = VersionStatus.PUBLISHED


def bundle_of(*items: ServiceItem, **kwargs: Any) -> Bundle:
    bundle = BundleFactory(**kwargs)
    for order, item in enumerate(items, start=1):
        BundleItem.objects.create(bundle=bundle, item=item, order=order)
    return bundle


def item_data(department: Department, **overrides: Any) -> dict[str, Any]:
    """Valid input for services.create_item."""
    basic = overrides.pop("basic_code", "410200000001")
    data: dict[str, Any] = {
        "name": "食品经营许可",
        "implementation_code": code_for(department, basic),
        "basic_code": basic,
        "item_type": "01",
        "department": department,
        "service_objects": ["1", "2"],
        "legal_limit_days": Decimal(20),
        "promised_limit_days": Decimal(7),
        "case_type": CaseType.PROMISED,
        "trips": 1,
        "process_steps": ["受理", "审查", "决定"],
        "form_fields": [{"name": "applicant", "label": "申请人"}],
    }
    data.update(overrides)
    return data


def material_line(**overrides: Any) -> dict[str, Any]:
    line: dict[str, Any] = {"name": "居民身份证", "issuing_body": "公安机关", "originals": 1, "copies": 1}
    line.update(overrides)
    return line


@pytest.fixture(autouse=False)
def fast_passwords(settings: Any) -> None:
    """Argon2 is slow on purpose; the tests make many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
