"""The demo's appointment plan and bookings (idempotent), the periodic tasks, and no slots in a
year the calendar does not hold yet."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from django.urls import reverse

from tests.catalog.factories import ServiceItemFactory
from tests.factories import CitizenFactory, RegionFactory, UserFactory
from zhengwu.accounts.models import User
from zhengwu.casework.actors import Actor
from zhengwu.hall import queue, services, tasks
from zhengwu.hall.demo import DEMO_HALL, load_demo_appointments, load_demo_queue
from zhengwu.hall.models import Appointment, AppointmentPlan, QueueTicket, Slot, TicketSource, TicketState
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


# ---------------------------------------------------------------------------------------------
# The demo hall's queue history, made once for the module
# ---------------------------------------------------------------------------------------------

QUEUE_DAYS = 6


@pytest.fixture(scope="module")
def queue_demo(django_db_setup, django_db_blocker):
    """The demo city's hall, staff, applicants, catalogue and appointments, then the queue history
    — loaded twice — inside one transaction rolled back when the module's tests are done."""
    from django.db import transaction
    from django.test import override_settings

    from zhengwu.accounts import demo as accounts_demo
    from zhengwu.accounts.models import Citizen, User
    from zhengwu.catalog import demo as catalog_demo
    from zhengwu.org import demo as org_demo

    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=fast):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            regions = org_demo.load_demo_regions()
            departments = org_demo.load_demo_departments(regions["city"], catalog_demo.DEPARTMENTS)
            hall = org_demo.load_demo_hall(regions["city"], departments)
            accounts_demo.load_demo_users(departments, hall)
            accounts_demo.load_demo_applicants()
            catalog_demo.load_demo_catalog(departments=departments)
            for n, citizen in enumerate(Citizen.objects.order_by("pk")[:4]):  # who may take numbers online
                citizen.user = User.objects.create(username=f"queue-online-{n}", name=citizen.name)
                citizen.save(update_fields=["user"])
            load_demo_appointments()
            issued = load_demo_queue(days=QUEUE_DAYS)
            again = load_demo_queue(days=QUEUE_DAYS)
            yield SimpleNamespace(hall=hall, issued=issued, again=again)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _past_days():
    from django.utils import timezone

    return sorted(set(QueueTicket.objects.filter(day__lt=timezone.localdate()).values_list("day", flat=True)))


def test_queue_history_once_over_past_working_days(queue_demo):
    from zhengwu.calendar.selectors import get_calendar

    assert queue_demo.issued > 0 and queue_demo.again == 0
    days = _past_days()
    assert len(days) == QUEUE_DAYS
    assert all(get_calendar().is_working_day(d) for d in days)


def test_figures_for_a_past_day_are_sane(queue_demo, client):
    day = _past_days()[-2]
    rows = queue.figures(queue_demo.hall, day)
    assert len({r.window for r in rows}) >= 4  # several windows called that day
    assert len({r.item for r in rows}) >= 4  # for several items and kinds of business
    for r in rows:
        assert r.served > 0 and r.window
        assert r.wait_minutes is not None and 0 <= r.wait_minutes <= 60
        assert r.service_minutes is None or 0 < r.service_minutes <= 20
    called = QueueTicket.objects.filter(day=day, called_at__isnull=False)
    assert not called.filter(window__isnull=True).exists()  # every number called has its window
    waits = sorted(t.wait_seconds / 60 for t in called)
    assert waits[0] >= 0 and 5 <= waits[len(waits) // 2] <= 40
    clerk = User.objects.get(username="clerk")
    client.force_login(clerk)
    page = client.get(reverse("hall:queue_figures"), {"day": day.isoformat()})
    assert page.status_code == 200
    assert len(page.context["rows"]) == len(rows)
    assert "A01" in page.content.decode()


def test_no_number_issued_twice(queue_demo):
    for day in QueueTicket.objects.values_list("day", flat=True).distinct():
        live = list(
            QueueTicket.objects.filter(day=day)
            .exclude(state=TicketState.TRANSFERRED)
            .values_list("number", flat=True)
        )
        assert len(live) == len(set(live))
    for moved in QueueTicket.objects.filter(state=TicketState.TRANSFERRED):
        after = QueueTicket.objects.get(transferred_from=moved)
        assert after.number == moved.number and after.day == moved.day


def test_history_has_every_way_through_the_queue(queue_demo):
    past = QueueTicket.objects.filter(day__in=_past_days())
    states = set(past.values_list("state", flat=True))
    assert {TicketState.DONE, TicketState.MISSED, TicketState.TRANSFERRED, TicketState.LAPSED} <= states
    assert not past.filter(state__in=(TicketState.WAITING, TicketState.CALLED, TicketState.SERVING)).exists()
    sources = set(past.values_list("source", flat=True))
    assert sources == {TicketSource.KIOSK, TicketSource.ONLINE, TicketSource.APPOINTMENT}
    assert past.filter(priority=True).exists()
    lapsed = past.filter(state=TicketState.LAPSED)
    assert all(t.source == TicketSource.ONLINE and t.checked_in_at is None for t in lapsed)
    checked_in = Appointment.objects.filter(state="checked_in")
    assert checked_in.exists() and all(a.ticket.day == a.slot.day for a in checked_in)
    done = past.filter(state=TicketState.DONE)
    assert all(t.called_at <= t.served_at <= t.finished_at for t in done)


def test_today_has_numbers_waiting_for_the_hall_screen(queue_demo, client):
    page = client.get(reverse("hall:display", args=[queue_demo.hall.pk]))
    assert page.status_code == 200
    assert page.context["waiting"] >= 3
    assert page.context["called"]
