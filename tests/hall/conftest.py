from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.catalog.factories import ServiceItemFactory
from tests.factories import CitizenFactory, DepartmentFactory, RegionFactory, UserFactory, make_id_number
from zhengwu.casework.actors import Actor
from zhengwu.hall import services
from zhengwu.hall.models import AppointmentPlan, Slot
from zhengwu.org.models import Hall, Window, WindowKind

TZ = ZoneInfo("Asia/Shanghai")
# The suite's clock starts on Wednesday 2026-06-10 10:00; 06-19 is 端午节.
TOMORROW = date(2026, 6, 11)
HOLIDAY = date(2026, 6, 19)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


@dataclass
class Desk:
    hall: Hall
    plan: AppointmentPlan
    item: Any
    clerk: Any
    citizen: Any
    citizen_user: Any
    elder: Any
    elder_user: Any

    def slot(self, day: date = TOMORROW, hour: int = 9, minute: int = 0) -> Slot:
        return Slot.objects.get(plan=self.plan, starts_at=at(day, hour, minute))


def make_citizen(n: int, *, birth: str = "19900307", username: str | None = None) -> tuple[Any, Any]:
    user = UserFactory(username=username or f"citizen{n}", name=f"市民{n}", is_staff=False, department=None)
    citizen = CitizenFactory(
        name=f"市民{n}", user=user, phone=f"1380000{n:04d}", id_number=make_id_number(n, birth=birth)
    )
    return user, citizen


@pytest.fixture
def desk(db) -> Desk:
    hall = Hall.objects.create(
        name="市民之家", region=RegionFactory(), opening_hours="工作日 9:00-12:00 13:30-17:30"
    )
    window = Window.objects.create(hall=hall, number="A01", name="综合受理", kind=WindowKind.COMPREHENSIVE)
    department = DepartmentFactory(name="公安局")
    item = ServiceItemFactory(name="居民身份证换领", department=department)
    plan = AppointmentPlan.objects.create(
        hall=hall,
        name="综合窗口预约",
        periods="08:00-12:00 13:30-18:00",  # wider than the hall's hours on purpose
        slot_minutes=30,
        capacity=2,
        priority_capacity=1,
        cutoff_hours=2,
        days_ahead=10,
    )
    services.open_slots(plan=plan, by=Actor.system("测试"), start=date(2026, 6, 10), days=12)
    clerk = UserFactory(roles=["clerk"], window=window, name="窗口甲")
    user, citizen = make_citizen(1, username="applicant")
    elder_user, elder = make_citizen(2, birth="19500101", username="elder")
    return Desk(hall, plan, item, clerk, citizen, user, elder, elder_user)
