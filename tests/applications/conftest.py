"""Shared setting for the application tests: one department with its approvers, a window clerk and
a delivery clerk of the hall, a citizen with an online account, and a licensing item with four
materials (one critical) and a two-field form."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.catalog.factories import ItemMaterialFactory, MaterialFactory, ServiceItemFactory
from tests.factories import (
    CitizenFactory,
    DepartmentFactory,
    EnterpriseFactory,
    LicenceTypeFactory,
    UserFactory,
)
from zhengwu.applications import services
from zhengwu.applications.models import MaterialStatus
from zhengwu.catalog.models import CaseType, OnlineDepth

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def pdf(name: str = "材料.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@dataclass
class Office:
    department: Any
    other_department: Any
    item: Any  # 承诺件, 4 materials: ID (critical), form, photo, optional proof; produces a licence
    immediate_item: Any  # 即办件 of the same department, 1 material, no licence
    uses: list[Any]  # the item's ItemMaterials in order
    clerk: Any
    approver: Any
    second_approver: Any
    other_approver: Any  # another department's approver
    delivery: Any
    leader: Any
    citizen: Any
    citizen_user: Any
    stranger_user: Any  # another citizen's account
    enterprise: Any


@pytest.fixture
def office(db) -> Office:
    return make_office()


def make_office(username_prefix: str = "") -> Office:
    """The office's setting; a module that builds it once (outside the per-test fixture) passes a
    prefix so its applicant logins cannot clash with a test's own."""
    department = DepartmentFactory(name="市场监督管理局")
    other = DepartmentFactory(name="人力资源和社会保障局")
    item = ServiceItemFactory(
        name="食品经营许可",
        department=department,
        promised_limit_days=Decimal(10),
        legal_limit_days=Decimal(20),
        online_depth=OnlineDepth.FULLY_ONLINE,
        result_name="食品经营许可证",
        result_licence_type=LicenceTypeFactory(name="食品经营许可证", defining_department=department),
        form_fields=[
            {"name": "business_address", "label": "经营场所"},
            {"name": "scope", "label": "经营项目"},
        ],
    )
    uses = [
        ItemMaterialFactory(item=item, material=MaterialFactory(name="身份证明"), critical=True, order=1),
        ItemMaterialFactory(item=item, material=MaterialFactory(name="食品经营许可申请书"), order=2),
        ItemMaterialFactory(item=item, material=MaterialFactory(name="经营场所平面图"), order=3),
        ItemMaterialFactory(item=item, material=MaterialFactory(name="健康证明"), required=False, order=4),
    ]
    immediate = ServiceItemFactory(
        name="个体工商户名称变更登记",
        department=department,
        case_type=CaseType.IMMEDIATE,
        promised_limit_days=Decimal(0),
        legal_limit_days=Decimal(1),
        online_depth=OnlineDepth.PREVIEW,
        result_name="营业执照（变更）",
        result_licence_type=None,
    )
    ItemMaterialFactory(item=immediate, material=MaterialFactory(name="变更申请书"), order=1)
    citizen_user = UserFactory(
        username=f"{username_prefix}applicant", name="王小明", is_staff=False, department=None
    )
    citizen = CitizenFactory(name="王小明", user=citizen_user, phone="13900001111")
    stranger = UserFactory(
        username=f"{username_prefix}stranger", name="李四", is_staff=False, department=None
    )
    CitizenFactory(name="李四", user=stranger)
    hall_department = DepartmentFactory(name="政务服务中心")
    return Office(
        department=department,
        other_department=other,
        item=item,
        immediate_item=immediate,
        uses=uses,
        clerk=UserFactory(roles=["clerk"], department=hall_department, name="窗口甲"),
        approver=UserFactory(roles=["approver"], department=department, name="审批乙"),
        second_approver=UserFactory(roles=["approver"], department=department, name="审批丙"),
        other_approver=UserFactory(roles=["approver"], department=other, name="他局审批"),
        delivery=UserFactory(roles=["delivery_clerk"], department=hall_department, name="出件丁"),
        leader=UserFactory(roles=["leader"], department=hall_department, name="领导戊"),
        citizen=citizen,
        citizen_user=citizen_user,
        stranger_user=stranger,
        enterprise=EnterpriseFactory(),
    )


def all_received(office: Office) -> list[services.MaterialInput]:
    return [services.MaterialInput(u.pk, MaterialStatus.RECEIVED, originals=1) for u in office.uses[:3]]


FORM = {"business_address": "示范市中原路1号", "scope": "预包装食品销售"}


def walk_in(office: Office, *, outcome: str = "accept", materials=None, **kwargs: Any) -> services.Intake:
    """A window intake of ``office.item`` for ``office.citizen``."""
    return services.window_intake(
        item=office.item,
        by=office.clerk,
        applicant=office.citizen,
        contact_name=office.citizen.name,
        contact_phone=office.citizen.phone,
        form_data=FORM,
        materials=all_received(office) if materials is None else materials,
        outcome=outcome,
        **kwargs,
    )


def online(office: Office, **kwargs: Any) -> services.Intake:
    """An online application of ``office.item`` by the citizen's own account, a PDF per material."""
    return services.apply_online(
        item=office.item,
        by=office.citizen_user,
        applicant=office.citizen,
        contact_name=office.citizen.name,
        contact_phone=office.citizen.phone,
        form_data=FORM,
        uploads={u.pk: [pdf(f"{u.material.name}.pdf")] for u in office.uses[:3]},
        **kwargs,
    )
