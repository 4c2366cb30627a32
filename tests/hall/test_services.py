"""Appointment services: slots on working days within the hall's hours, capacity, cut-off,
priority places, double booking, no-shows, cancel, rebook and check-in."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from zhengwu.casework.actors import Actor
from zhengwu.core.errors import Conflict, InvalidInput, NotAllowed
from zhengwu.hall import services
from zhengwu.hall.models import Appointment, AppointmentState, Slot
from zhengwu.notifications.models import Message

from .conftest import HOLIDAY, TOMORROW, at, make_citizen

pytestmark = pytest.mark.django_db
S = AppointmentState


def test_slots_only_on_working_days_within_the_halls_hours(desk):
    days = {timezone.localtime(s.starts_at).date() for s in Slot.objects.filter(plan=desk.plan)}
    assert date(2026, 6, 13) not in days and date(2026, 6, 14) not in days  # weekend
    assert HOLIDAY not in days  # 端午节
    assert TOMORROW in days
    times = sorted(
        f"{timezone.localtime(s.starts_at):%H:%M}"
        for s in Slot.objects.filter(plan=desk.plan)
        if s.day == TOMORROW
    )
    # 08:00-09:00 and 17:30-18:00 are outside the hall's 9:00-12:00 13:30-17:30
    assert times[0] == "09:00" and times[-1] == "17:00"
    assert "08:30" not in times and "12:00" not in times and "17:30" not in times
    assert len(times) == 6 + 8
    again = services.open_slots(plan=desk.plan, by=Actor.system("测试"), start=date(2026, 6, 10), days=12)
    assert again == 0  # idempotent


def test_citizen_books_online_gets_code_and_sms(desk):
    slot = desk.slot()
    a = services.book(slot=slot, item=desk.item, by=desk.citizen_user)
    assert a.code.startswith("YY-20260610-")
    assert a.state == S.BOOKED and a.citizen == desk.citizen and a.channel == "online"
    assert not a.priority
    slot.refresh_from_db()
    assert (slot.booked, slot.priority_booked) == (1, 0)
    sms = Message.objects.get(recipient_phone=desk.citizen.phone)
    assert a.code in sms.body and "居民身份证换领" in sms.body


def test_elder_takes_a_priority_place_first(desk):
    slot = desk.slot()
    a = services.book(slot=slot, item=desk.item, by=desk.elder_user)
    assert a.priority and a.priority_reason == "长者" and a.used_priority_place
    slot.refresh_from_db()
    assert (slot.booked, slot.priority_booked) == (0, 1)
    # with the priority place gone, the next elder takes an ordinary one
    other_user, _ = make_citizen(3, birth="19550505")
    b = services.book(slot=slot, item=desk.item, by=other_user)
    assert b.priority and not b.used_priority_place


def test_full_slot_refused_for_ordinary_citizen_even_with_priority_place_left(desk):
    slot = desk.slot()
    for n in (10, 11):
        user, _ = make_citizen(n)
        services.book(slot=slot, item=desk.item, by=user)
    with pytest.raises(Conflict) as exc:
        services.book(slot=slot, item=desk.item, by=desk.citizen_user)
    assert exc.value.status == 409 and exc.value.field == "slot" and "约满" in exc.value.message
    assert not Appointment.objects.filter(citizen=desk.citizen).exists()
    # the reserved place is still there for an elder
    assert services.book(slot=slot, item=desk.item, by=desk.elder_user).used_priority_place


def test_capacity_is_a_database_invariant(desk):
    slot = desk.slot()
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=slot.pk).update(booked=slot.capacity + 1)


def test_cut_off_refuses_a_slot_too_soon(desk):
    today_slot = Slot.objects.get(plan=desk.plan, starts_at=at(date(2026, 6, 10), 11))  # now is ~10:00
    with pytest.raises(InvalidInput) as exc:
        services.book(slot=today_slot, item=desk.item, by=desk.citizen_user)
    assert exc.value.field == "slot" and "2小时前" in exc.value.message
    today_slot.refresh_from_db()
    assert today_slot.booked == 0 and not Appointment.objects.exists()


def test_holiday_and_after_hours_slots_refused(desk):
    holiday = Slot.objects.create(
        plan=desk.plan, hall=desk.hall, starts_at=at(HOLIDAY, 9), ends_at=at(HOLIDAY, 9, 30), capacity=2
    )
    with pytest.raises(InvalidInput) as exc:
        services.book(slot=holiday, item=desk.item, by=desk.citizen_user)
    assert exc.value.field == "slot" and "不是工作日" in exc.value.message
    evening = Slot.objects.create(
        plan=desk.plan, hall=desk.hall, starts_at=at(TOMORROW, 19), ends_at=at(TOMORROW, 19, 30), capacity=2
    )
    with pytest.raises(InvalidInput) as exc:
        services.book(slot=evening, item=desk.item, by=desk.citizen_user)
    assert exc.value.field == "slot" and "办公时间" in exc.value.message
    assert not Appointment.objects.exists()
    assert Slot.objects.filter(booked__gt=0).count() == 0


def test_double_booking_the_same_slot_refused(desk):
    slot = desk.slot()
    services.book(slot=slot, item=desk.item, by=desk.citizen_user)
    with pytest.raises(Conflict) as exc:
        services.book(slot=slot, item=desk.item, by=desk.citizen_user)
    assert "重复预约" in exc.value.message and exc.value.field == "slot"
    # by phone with the same number too
    with pytest.raises(Conflict):
        services.book(
            slot=slot, item=desk.item, by=desk.clerk, contact_name="王五", contact_phone=desk.citizen.phone
        )
    slot.refresh_from_db()
    assert slot.booked == 1 and Appointment.objects.count() == 1


def test_staff_phone_booking_with_special_group(desk):
    slot = desk.slot(hour=10)
    a = services.book(
        slot=slot,
        item=desk.item,
        by=desk.clerk,
        contact_name="赵六",
        contact_phone="13700000000",
        special_group="残疾人",
    )
    assert a.channel == "phone" and a.booked_by == desk.clerk and a.citizen is None
    assert a.priority_reason == "残疾人" and a.used_priority_place
    with pytest.raises(InvalidInput) as exc:
        services.book(slot=slot, item=desk.item, by=desk.clerk, contact_name="赵七", contact_phone="12345")
    assert exc.value.field == "contact_phone"


def test_citizen_without_a_citizen_record_and_staff_without_role_refused(desk, make_user):
    from tests.factories import UserFactory

    bare = UserFactory(is_staff=False, department=None)
    with pytest.raises(NotAllowed):
        services.book(slot=desk.slot(), item=desk.item, by=bare)
    with pytest.raises(NotAllowed):
        services.book(
            slot=desk.slot(),
            item=desk.item,
            by=make_user("approver"),
            contact_name="甲",
            contact_phone="13700000001",
        )


def test_no_shows_counted_idempotently_and_limit_stops_online_booking(desk, settings):
    settings.APPOINTMENT_NO_SHOW_LIMIT = 2
    for hour in (9, 10):
        services.book(slot=desk.slot(hour=hour), item=desk.item, by=desk.citizen_user)
    later = at(TOMORROW, 18)
    system = Actor.system("测试")
    assert services.mark_no_shows(by=system, now=later) == 2
    assert services.mark_no_shows(by=system, now=later) == 0
    assert Appointment.objects.filter(state=S.NO_SHOW).count() == 2
    with pytest.raises(Conflict) as exc:
        services.book(slot=desk.slot(day=date(2026, 6, 12)), item=desk.item, by=desk.citizen_user)
    assert exc.value.field == "citizen" and "爽约" in exc.value.message
    # staff can still book for them by phone
    a = services.book(
        slot=desk.slot(day=date(2026, 6, 12)),
        item=desk.item,
        by=desk.clerk,
        citizen=desk.citizen,
        contact_phone=desk.citizen.phone,
    )
    assert a.channel == "phone"


def test_cancel_frees_the_place_and_rebook_moves_it(desk):
    first, second = desk.slot(hour=9), desk.slot(hour=10)
    a = services.book(slot=first, item=desk.item, by=desk.citizen_user)
    a = services.rebook(appointment=a, slot=second, by=desk.citizen_user)
    first.refresh_from_db()
    second.refresh_from_db()
    assert a.slot == second and (first.booked, second.booked) == (0, 1)
    other_user, _ = make_citizen(5)
    with pytest.raises(Exception) as exc:
        services.cancel(appointment=a, by=other_user)
    assert "申请人本人" in str(exc.value)
    services.cancel(appointment=a, by=desk.citizen_user)
    second.refresh_from_db()
    assert second.booked == 0
    a.refresh_from_db()
    assert a.state == S.CANCELLED and a.cancelled_at is not None
    with pytest.raises(Conflict):
        services.cancel(appointment=a, by=desk.citizen_user)


def test_check_in_records_time_once_on_the_day(desk, time_machine):
    a = services.book(slot=desk.slot(hour=14), item=desk.item, by=desk.citizen_user)
    with pytest.raises(Conflict) as exc:
        services.check_in(appointment=a, by=desk.clerk)
    assert "预约当天" in exc.value.message
    time_machine.move_to(at(TOMORROW, 13, 50))
    a = services.check_in(appointment=a, by=desk.clerk)
    assert a.state == S.CHECKED_IN and a.checked_in_at is not None
    with pytest.raises(Conflict) as exc:
        services.check_in(appointment=a, by=desk.clerk)
    assert "重复签到" in exc.value.message
    assert timezone.now() - a.checked_in_at < timedelta(minutes=5)
