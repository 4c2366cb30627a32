"""Appointment pages through the test client: a citizen books and sees the code, refusals come
back as 400/409 with the Chinese message and nothing saved, the clerk's day list and its export,
phone booking."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.test import Client
from openpyxl import load_workbook

from zhengwu.hall import services
from zhengwu.hall.models import Appointment, Slot

from .conftest import HOLIDAY, TOMORROW, at, make_citizen

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_citizen_books_online_and_sees_the_code(desk):
    client = login(desk.citizen_user)
    page = client.get("/appointments/new/", {"hall": desk.hall.pk, "item": desk.item.pk, "day": "2026-06-11"})
    assert page.status_code == 200
    slot = desk.slot(hour=9)
    assert slot.label in page.content.decode()
    response = client.post(
        "/appointments/new/", {"hall": desk.hall.pk, "item": desk.item.pk, "slot": slot.pk}
    )
    assert response.status_code == 302
    a = Appointment.objects.get(citizen=desk.citizen)
    detail = client.get(response["Location"])
    html = detail.content.decode()
    assert a.code in html and "已预约" in html and slot.label in html
    assert a.code in client.get("/appointments/").content.decode()
    # another citizen cannot open it
    other_user, _ = make_citizen(7)
    assert login(other_user).get(f"/appointments/{a.code}/").status_code == 404


def test_full_slot_is_a_409_with_the_message(desk):
    slot = desk.slot(hour=9)
    Slot.objects.filter(pk=slot.pk).update(booked=slot.capacity)
    response = login(desk.citizen_user).post(
        "/appointments/new/", {"hall": desk.hall.pk, "item": desk.item.pk, "slot": slot.pk}
    )
    assert response.status_code == 409
    assert "该时段已约满，请选择其他时段" in response.content.decode()
    assert not Appointment.objects.exists()


def test_holiday_slot_is_a_400_naming_the_slot(desk):
    holiday = Slot.objects.create(
        plan=desk.plan, hall=desk.hall, starts_at=at(HOLIDAY, 9), ends_at=at(HOLIDAY, 9, 30), capacity=2
    )
    response = login(desk.citizen_user).post(
        "/appointments/new/", {"hall": desk.hall.pk, "item": desk.item.pk, "slot": holiday.pk}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "不是工作日" in html and 'data-field="slot"' in html
    assert not Appointment.objects.exists()


def test_staff_cannot_book_online_and_anonymous_is_sent_to_login(desk):
    assert login(desk.clerk).get("/appointments/new/").status_code == 403
    response = Client().get("/appointments/new/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_cancel_and_rebook_pages(desk):
    client = login(desk.citizen_user)
    a = services.book(slot=desk.slot(hour=9), item=desk.item, by=desk.citizen_user)
    new_slot = desk.slot(hour=10)
    response = client.post(f"/appointments/{a.code}/rebook/", {"slot": new_slot.pk})
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.slot == new_slot
    client.post(f"/appointments/{a.code}/cancel/")
    a.refresh_from_db()
    assert a.state == "cancelled"
    assert "已取消" in client.get(f"/appointments/{a.code}/").content.decode()


def test_clerk_day_list_by_time_with_state_and_export(desk, time_machine):
    late = services.book(slot=desk.slot(hour=15), item=desk.item, by=desk.citizen_user)
    early = services.book(slot=desk.slot(hour=9), item=desk.item, by=desk.elder_user)
    time_machine.move_to(at(TOMORROW, 8, 30))
    client = login(desk.clerk)
    page = client.get("/hall/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index(early.code) < html.index(late.code)
    assert "已预约" in html and "长者" in html
    refused = client.post(f"/hall/{early.pk}/check-in/", follow=True)  # before the hall opens
    assert "现在不在办公时间" in refused.content.decode()
    time_machine.move_to(at(TOMORROW, 9, 5))
    client = login(desk.clerk)  # a new sign-in: the idle session has run out meanwhile
    checked = client.post(f"/hall/{early.pk}/check-in/", follow=True).content.decode()
    assert "已签到，排队号 L001" in checked  # an elder's appointment goes first
    assert "已签到" in client.get("/hall/").content.decode()
    export = client.get("/hall/export.xlsx", {"day": "2026-06-11"})
    assert export.status_code == 200
    rows = list(load_workbook(BytesIO(b"".join(export.streaming_content))).active.iter_rows(values_only=True))
    codes = [r[1] for r in rows[2:]]
    assert codes == [early.code, late.code]
    assert rows[2][7] == "已签到" and rows[3][7] == "已预约"
    assert desk.citizen.phone not in str(rows)  # phone numbers masked


def test_day_list_needs_the_role(desk, make_user):
    assert login(make_user("approver")).get("/hall/").status_code == 403
    assert login(desk.citizen_user).get("/hall/").status_code == 403


def test_phone_booking_page(desk):
    client = login(desk.clerk)
    slot = desk.slot(hour=10)
    response = client.post(
        "/hall/book/",
        {"item": desk.item.pk, "slot": slot.pk, "contact_name": "赵六", "contact_phone": "13700000000"},
    )
    assert response.status_code == 302
    a = Appointment.objects.get(contact_name="赵六")
    assert a.channel == "phone" and a.booked_by == desk.clerk
    bad = client.post(
        "/hall/book/", {"item": desk.item.pk, "slot": slot.pk, "contact_name": "钱七", "contact_phone": "123"}
    )
    assert bad.status_code == 400 and "手机号应为11位数字" in bad.content.decode()
    assert not Appointment.objects.filter(contact_name="钱七").exists()


def test_day_list_queries_do_not_grow_with_bookings(desk):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(desk.clerk)
    user, _ = make_citizen(200)
    services.book(slot=desk.slot(hour=9), item=desk.item, by=user)
    client.get("/hall/?day=2026-06-11")  # the session's first write
    with CaptureQueriesContext(connection) as one:
        client.get("/hall/?day=2026-06-11")
    for n, hour in enumerate((10, 11, 14, 15, 16), start=1):
        user, _ = make_citizen(200 + n)
        services.book(slot=desk.slot(hour=hour), item=desk.item, by=user)
    with CaptureQueriesContext(connection) as six:
        page = client.get("/hall/?day=2026-06-11")
    assert page.content.decode().count('data-label="预约号"') == 6
    assert len(six) == len(one) <= 12
