"""Demo logins (one per role) and a few applicants with valid synthetic identity numbers."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group
from stdnum.cn import ric, uscc

from zhengwu.org.models import Department, Hall

from .models import Citizen, Enterprise, User
from .roles import ROLE_BY_CODE

DEMO_PASSWORD = "Zhengwu@2026"  # noqa: S105 — the published demo password, printed by `make run`


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    role: str
    department: str
    window: str | None = None


DEMO_USERS = [
    DemoUser("clerk", "王窗口", "clerk", "admin_approval", "A01"),
    DemoUser("proxy", "李帮办", "proxy_agent", "admin_approval", "C02"),
    DemoUser("approver", "赵审批", "approver", "market"),
    DemoUser("delivery", "钱出件", "delivery_clerk", "admin_approval", "B01"),
    DemoUser("operator", "孙受理", "operator", "hotline", None),
    DemoUser("dispatcher", "周派单", "dispatcher", "hotline"),
    DemoUser("handler", "吴承办", "handler", "housing"),
    DemoUser("supervisor", "郑督办", "supervisor", "discipline", "C04"),
    DemoUser("callback", "冯回访", "callback", "hotline"),
    DemoUser("admin", "陈管理", "admin", "admin_approval"),
    DemoUser("leader", "褚领导", "leader", "admin_approval"),
    DemoUser("head", "卫科长", "dept_head", "market"),
]

# (name, birth date, sequence, phone); area 410202 is a real division code, so numbers validate.
DEMO_CITIZENS = [
    ("张伟", "19850312", 11, "13800000001"),
    ("王芳", "19900708", 22, "13800000002"),
    ("李娜", "19671125", 32, "13800000003"),
    ("刘洋", "19951230", 41, "13800000004"),
    ("陈静", "19580101", 52, "13800000005"),
]
DEMO_ENTERPRISES = [
    ("示范市惠民餐饮有限公司", "张伟", "0371-26660001"),
    ("示范市新城科技有限公司", "刘洋", "0371-26660002"),
    ("示范市百姓大药房连锁有限公司", "王芳", "0371-26660003"),
]


def demo_id_number(birth: str, sequence: int) -> str:
    body = f"410202{birth}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def demo_enterprise_uscc(serial: int) -> str:
    body = f"91410200MA{serial:07d}"
    return body + uscc.calc_check_digit(body)


def load_demo_users(departments: dict[str, Department], hall: Hall) -> list[DemoUser]:
    for demo in DEMO_USERS:
        user, created = User.objects.update_or_create(
            username=demo.username,
            defaults={
                "name": demo.name,
                "department": departments[demo.department],
                "window": hall.windows.get(number=demo.window) if demo.window else None,
                "is_staff": True,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.set([Group.objects.get(name=ROLE_BY_CODE[demo.role].name)])
    return DEMO_USERS


def load_demo_applicants() -> None:
    for name, birth, sequence, phone in DEMO_CITIZENS:
        Citizen.objects.update_or_create(
            id_number=demo_id_number(birth, sequence),
            defaults={"name": name, "phone": phone, "address": "示范市东城区城关街道"},
        )
    for serial, (name, legal_rep, phone) in enumerate(DEMO_ENTERPRISES, start=1):
        Enterprise.objects.update_or_create(
            uscc=demo_enterprise_uscc(serial),
            defaults={
                "name": name,
                "legal_representative": legal_rep,
                "phone": phone,
                "address": "示范市西湖区",
            },
        )
