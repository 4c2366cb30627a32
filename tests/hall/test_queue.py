"""The hall queue's services: numbers per hall and day, the calling rule (priority and
appointment numbers ahead of walk-ins, only what the window handles), check-ins, recall / skip /
transfer, the online lapse and the day's figures. The suite's clock is Wednesday 2026-06-10 10:00."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from tests.catalog.factories import ServiceItemFactory
from tests.factories import DepartmentFactory, UserFactory
from zhengwu.casework.actors import Actor
from zhengwu.core.errors import Conflict, InvalidInput, NotAllowed
from zhengwu.hall import queue, services
from zhengwu.hall.models import Appointment, AppointmentState, QueueTicket
from zhengwu.org.models import Window, WindowKind

from .conftest import TOMORROW, at

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 10)
KIOSK = Actor.device("取号机")


def book_today(desk, citizen_user, hour: int = 13, minute: int = 30) -> Appointment:
    return services.book(slot=desk.slot(TODAY, hour, minute), item=desk.item, by=citizen_user)


def test_numbers_run_per_hall_day_and_prefix(desk):
    a1 = queue.take_number(hall=desk.hall, window_kind=WindowKind.COMPREHENSIVE, by=KIOSK)
    a2 = queue.take_number(hall=desk.hall, window_kind=WindowKind.COMPREHENSIVE, by=KIOSK)
    l1 = queue.take_number(hall=desk.hall, window_kind=WindowKind.COMPREHENSIVE, by=KIOSK, elder=True)
    assert [a1.number, a2.number, l1.number] == ["A001", "A002", "L001"]
    assert a1.day == TODAY and a1.state == "waiting" and a1.checked_in_at is not None
    other = type(desk.hall).objects.create(name="分中心", region=desk.hall.region)
    Window.objects.create(hall=other, number="1", name="综合", kind=WindowKind.COMPREHENSIVE)
    assert queue.take_number(hall=other, window_kind=WindowKind.COMPREHENSIVE, by=KIOSK).number == "A001"


def test_priority_and_appointment_numbers_are_called_before_walk_ins(desk):
    walk_in = queue.take_number(hall=desk.hall, window_kind=WindowKind.COMPREHENSIVE, by=KIOSK)
    appointment = book_today(desk, desk.citizen_user)
    booked = queue.check_in_appointment(hall=desk.hall, code=appointment.code, by=KIOSK)
    elder = queue.take_number(hall=desk.hall, window_kind=WindowKind.COMPREHENSIVE, by=KIOSK, elder=True)
    assert booked.number == "Y001" and booked.item == desk.item
    order = []
    for _ in range(3):
        ticket = queue.call_next(by=desk.clerk)
        assert ticket is not None
        order.append(ticket.number)
        queue.finish_service(ticket=ticket, by=desk.clerk)
    assert order == [booked.number, elder.number, walk_in.number]
    assert queue.call_next(by=desk.clerk) is None


def test_a_window_calls_only_what_it_handles(desk):
    police = desk.item.department
    special = Window.objects.create(
        hall=desk.hall, number="B02", name="公安窗口", kind=WindowKind.SPECIAL, department=police
    )
    delivery = Window.objects.create(hall=desk.hall, number="C01", name="出件", kind=WindowKind.DELIVERY)
    officer = UserFactory(roles=["clerk"], window=special, name="公安窗口人员")
    courier = UserFactory(roles=["delivery_clerk"], window=delivery, name="出件人员")
    pick_up = queue.take_number(hall=desk.hall, window_kind=WindowKind.DELIVERY, by=KIOSK)
    other_item = ServiceItemFactory(name="营业执照", department=DepartmentFactory(name="市场监管局"))
    business = queue.take_number(
        hall=desk.hall, window_kind=WindowKind.COMPREHENSIVE, item=other_item, by=KIOSK
    )
    appointment = book_today(desk, desk.citizen_user)
    id_card = queue.check_in_appointment(hall=desk.hall, code=appointment.code, by=KIOSK)

    assert not queue.handles(special, business) and not queue.handles(delivery, id_card)
    assert queue.call_next(by=officer) == id_card  # its department's item
    queue.finish_service(ticket=id_card, by=officer)
    assert queue.call_next(by=officer) is None  # the delivery number and the other item are not its
    assert queue.call_next(by=courier) == pick_up
    assert queue.call_next(by=desk.clerk) == business  # 综合受理 calls any


def test_a_window_cannot_act_on_another_windows_number(desk):
    other = Window.objects.create(hall=desk.hall, number="A02", name="综合二", kind=WindowKind.COMPREHENSIVE)
    colleague = UserFactory(roles=["clerk"], window=other, name="窗口乙")
    queue.take_number(hall=desk.hall, window_kind=WindowKind.COMPREHENSIVE, by=KIOSK)
    ticket = queue.call_next(by=desk.clerk)
    with pytest.raises(NotAllowed) as exc:
        queue.skip(ticket=ticket, by=colleague)
    assert exc.value.field == "ticket" and "不是本窗口叫的号" in exc.value.message
    ticket.refresh_from_db()
    assert ticket.state == "called"


def test_staff_without_the_permission_cannot_call(desk):
    approver = UserFactory(roles=["approver"], window=desk.clerk.window)
    with pytest.raises(NotAllowed):
        queue.call_next(by=approver)


def test_recall_skip_and_transfer(desk):
    Window.objects.create(hall=desk.hall, number="C01", name="出件", kind=WindowKind.DELIVERY)
    queue.take_number(hall=desk.hall, window_kind=WindowKind.COMPREHENSIVE, by=KIOSK)
    walk_in = queue.take_number(hall=desk.hall, window_kind=WindowKind.COMPREHENSIVE, by=KIOSK)
    first = queue.call_next(by=desk.clerk)
    with pytest.raises(Conflict):  # one number at a time
        queue.call_next(by=desk.clerk)
    first = queue.recall(ticket=first, by=desk.clerk)
    assert first.call_count == 2
    first = queue.skip(ticket=first, by=desk.clerk)
    assert first.state == "missed"
    first = queue.recall(ticket=first, by=desk.clerk)  # came back
    assert first.state == "called"
    queue.start_service(ticket=first, by=desk.clerk)
    moved = queue.transfer(ticket=first, window_kind=WindowKind.DELIVERY, by=desk.clerk)
    first.refresh_from_db()
    assert first.state == "transferred"
    assert moved.number == first.number and moved.window_kind == "delivery" and moved.rank == 0
    assert moved.transferred_from == first
    # the transferred number is now a delivery number: the 综合受理 window (which calls any)
    # takes it ahead of the walk-in who has not waited once yet
    assert queue.call_next(by=desk.clerk) == moved
    queue.finish_service(ticket=moved, by=desk.clerk)
    assert queue.call_next(by=desk.clerk) == walk_in


def test_bad_kind_and_closed_hall_save_nothing(desk):
    with pytest.raises(InvalidInput) as exc:
        queue.take_number(hall=desk.hall, window_kind="nonsense", by=KIOSK)
    assert exc.value.field == "window_kind"
    with time_machine.travel(at(TODAY, 12, 30), tick=False), pytest.raises(Conflict) as closed:
        queue.take_number(hall=desk.hall, window_kind=WindowKind.COMPREHENSIVE, by=KIOSK)
    assert closed.value.field == "hall" and "不在办公时间" in closed.value.message
    with time_machine.travel(at(date(2026, 6, 13), 10), tick=False), pytest.raises(Conflict):
        queue.take_number(hall=desk.hall, window_kind=WindowKind.COMPREHENSIVE, by=KIOSK)
    assert not QueueTicket.objects.exists()


def test_appointment_check_in_once_and_only_on_its_day(desk):
    appointment = book_today(desk, desk.citizen_user)
    queue.check_in_appointment(hall=desk.hall, code=appointment.code.lower(), by=KIOSK)
    with pytest.raises(Conflict) as twice:
        queue.check_in_appointment(hall=desk.hall, code=appointment.code, by=KIOSK)
    assert twice.value.field == "code" and "不能重复签到" in twice.value.message
    assert QueueTicket.objects.count() == 1
    tomorrow = services.book(slot=desk.slot(TOMORROW, 9), item=desk.item, by=desk.elder_user)
    with pytest.raises(Conflict) as other_day:
        queue.check_in_appointment(hall=desk.hall, code=tomorrow.code, by=KIOSK)
    assert "只能在预约当天" in other_day.value.message
    tomorrow.refresh_from_db()
    assert tomorrow.state == AppointmentState.BOOKED and QueueTicket.objects.count() == 1
    with pytest.raises(InvalidInput) as unknown:
        queue.check_in_appointment(hall=desk.hall, code="YY-NOPE", by=KIOSK)
    assert unknown.value.field == "code"


def test_elder_appointment_gets_an_l_number(desk):
    appointment = book_today(desk, desk.elder_user)
    assert appointment.priority
    ticket = queue.check_in_appointment(hall=desk.hall, code=appointment.code, by=KIOSK)
    assert ticket.number == "L001" and ticket.priority and ticket.rank == 0


def test_online_number_waits_for_check_in_then_keeps_its_place(desk):
    online = queue.take_number_online(
        hall=desk.hall, window_kind=WindowKind.COMPREHENSIVE, by=desk.citizen_user
    )
    assert online.number == "W001" and online.checked_in_at is None
    assert online.estimated_call_at is not None and online.expires_at > online.estimated_call_at
    with pytest.raises(Conflict):
        queue.take_number_online(hall=desk.hall, window_kind=WindowKind.COMPREHENSIVE, by=desk.citizen_user)
    walk_in = queue.take_number(hall=desk.hall, window_kind=WindowKind.COMPREHENSIVE, by=KIOSK)
    assert queue.call_next(by=desk.clerk) == walk_in  # the online holder has not come yet
    queue.finish_service(ticket=walk_in, by=desk.clerk)
    later = queue.take_number(hall=desk.hall, window_kind=WindowKind.COMPREHENSIVE, by=KIOSK)
    queue.check_in_online(hall=desk.hall, number="w001", by=KIOSK)
    with pytest.raises(Conflict) as twice:
        queue.check_in_online(hall=desk.hall, number="W001", by=KIOSK)
    assert twice.value.field == "number"
    assert queue.call_next(by=desk.clerk) == online  # taken before the later walk-in
    assert later.state == "waiting"


def test_only_citizens_take_numbers_online(desk):
    with pytest.raises(NotAllowed):
        queue.take_number_online(hall=desk.hall, window_kind=WindowKind.COMPREHENSIVE, by=desk.clerk)


def test_lapse_is_idempotent_and_a_lapsed_number_cannot_check_in(desk):
    online = queue.take_number_online(
        hall=desk.hall, window_kind=WindowKind.COMPREHENSIVE, by=desk.citizen_user
    )
    system = Actor.system("测试")
    assert queue.lapse_online(by=system) == 0
    later = online.expires_at + timedelta(minutes=1)
    assert queue.lapse_online(by=system, now=later) == 1
    assert queue.lapse_online(by=system, now=later) == 0
    online.refresh_from_db()
    assert online.state == "lapsed"
    with pytest.raises(Conflict) as exc:
        queue.check_in_online(hall=desk.hall, number=online.number, by=KIOSK)
    assert "请重新取号" in exc.value.message


def test_figures_per_window_and_item(desk):
    appointment = book_today(desk, desk.citizen_user)
    with time_machine.travel(at(TODAY, 10, 0), tick=False):  # the suite's clock ticks: pin it
        queue.check_in_appointment(hall=desk.hall, code=appointment.code, by=KIOSK)
    with time_machine.travel(at(TODAY, 10, 10), tick=False):
        ticket = queue.call_next(by=desk.clerk)
        queue.start_service(ticket=ticket, by=desk.clerk)
    with time_machine.travel(at(TODAY, 10, 25), tick=False):
        queue.finish_service(ticket=ticket, by=desk.clerk)
    rows = queue.figures(desk.hall, TODAY)
    assert len(rows) == 1
    row = rows[0]
    assert row.item == desk.item.name and row.window.startswith("A01") and row.served == 1
    assert row.service_minutes == 15.0
    assert row.wait_minutes == 10.0


def test_the_scheduled_task_lapses_overdue_online_numbers(desk, time_machine):
    from zhengwu.hall import tasks

    online = queue.take_number_online(
        hall=desk.hall, window_kind=WindowKind.COMPREHENSIVE, by=desk.citizen_user
    )
    time_machine.move_to(online.expires_at + timedelta(minutes=5))
    assert tasks.lapse_online_tickets.call() == 1
    assert tasks.lapse_online_tickets.call() == 0
    online.refresh_from_db()
    assert online.state == "lapsed"


def test_a_window_cannot_call_a_number_it_does_not_handle(desk):
    delivery = Window.objects.create(hall=desk.hall, number="C01", name="出件", kind=WindowKind.DELIVERY)
    courier = UserFactory(roles=["delivery_clerk"], window=delivery, name="出件人员")
    appointment = book_today(desk, desk.citizen_user)
    id_card = queue.check_in_appointment(hall=desk.hall, code=appointment.code, by=KIOSK)
    with pytest.raises(NotAllowed) as exc:
        queue.call_number(number="y001", by=courier)
    assert exc.value.field == "number" and "C01窗口不办理“居民身份证换领”" in exc.value.message
    id_card.refresh_from_db()
    assert id_card.state == "waiting" and id_card.window is None
    pick_up = queue.take_number(hall=desk.hall, window_kind=WindowKind.DELIVERY, by=KIOSK)
    assert queue.call_number(number="A001", by=courier) == pick_up
    with pytest.raises(InvalidInput):
        queue.call_number(number="A999", by=desk.clerk)
