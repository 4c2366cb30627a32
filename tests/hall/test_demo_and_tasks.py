"""The demo's appointment plan and bookings (idempotent), the periodic tasks, and no slots in a
year the calendar does not hold yet."""

from __future__ import annotations

from datetime import date

import pytest

from tests.catalog.factories import ServiceItemFactory
from tests.factories import CitizenFactory, RegionFactory, UserFactory
from zhengwu.casework.actors import Actor
from zhengwu.hall import services, tasks
from zhengwu.hall.demo import DEMO_HALL, load_demo_appointments
from zhengwu.hall.models import Appointment, AppointmentPlan, Slot
from zhengwu.hall.schedule import JOBS
from zhengwu.org.models import Hall

from .conftest import TOMORROW, at

pytestmark = pytest.mark.django_db


def test_demo_plan_and_bookings_once(db):
    Hall.objects.create(name=DEMO_HALL, region=RegionFactory())
    ServiceItemFactory(name="户口迁移")
    user = UserFactory(username="citizen", is_staff=False, department=None)
    CitizenFactory(name="张伟", user=user, phone="13900000001")
    for n in range(3):
        CitizenFactory(phone=f"1390000010{n}")
    assert load_demo_appointments() == 4
    assert load_demo_appointments() == 0
    plan = AppointmentPlan.objects.get(hall__name=DEMO_HALL)
    assert Slot.objects.filter(plan=plan).exists()
    assert Appointment.objects.count() == 4
    assert Appointment.objects.filter(channel="online", citizen__user=user).count() == 1


def test_tasks_open_slots_and_mark_no_shows(desk, time_machine):
    Slot.objects.all().delete()
    assert tasks.open_appointment_slots.call() > 0
    assert tasks.open_appointment_slots.call() == 0
    services.book(slot=desk.slot(hour=9), item=desk.item, by=desk.citizen_user)
    time_machine.move_to(at(TOMORROW, 19))
    assert tasks.mark_no_shows.call() == 1
    assert tasks.mark_no_shows.call() == 0
    assert {name for name, _, _ in JOBS} == {"开放预约时段", "爽约统计", "在线取号失效"}


def test_no_slots_in_a_year_without_its_calendar(desk):
    opened = services.open_slots(plan=desk.plan, by=Actor.system("测试"), start=date(2099, 1, 5), days=5)
    assert opened == 0
