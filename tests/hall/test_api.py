"""Appointments (预约) and the hall queue (取号/叫号) through the REST API: each endpoint's happy path,
and what must be refused with the service's status and a Chinese message naming the field,
nothing saved — another citizen's appointment (404), a full slot (409), a holiday (400), a double
check-in (409), a window calling a number it does not handle (403), anonymous callers and forged
credentials (401/403), the kiosk's per-address limit (429). The suite's clock is Wednesday
2026-06-10 10:00, ticking."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.catalog.factories import ServiceItemFactory
from tests.factories import DepartmentFactory, UserFactory
from zhengwu.appeals.models import ApiClient
from zhengwu.appeals.services import hash_api_key
from zhengwu.hall.models import Appointment, AppointmentState, QueueTicket, Slot
from zhengwu.org.models import Window, WindowKind

from .conftest import HOLIDAY, TOMORROW, at, make_citizen
from .test_queue import TODAY

pytestmark = pytest.mark.django_db
COMPREHENSIVE = WindowKind.COMPREHENSIVE.value


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()  # the kiosk limit and the booking throttle count in the shared cache
    yield
    cache.clear()


def as_user(user: Any) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def body(response: Any, code: int = 200) -> Any:
    assert response.status_code == code, response.content.decode()[:800]
    return response.json()


def book(api: APIClient, slot: Slot, item: Any, **extra: Any) -> Any:
    return api.post("/api/appointments/", {"slot": slot.pk, "item": item.pk, **extra}, format="json")


# ---------------------------------------------------------------------------------------------
# Appointments


def test_open_slots_are_public_and_filtered_by_hall_item_and_day(desk):
    anonymous = APIClient()
    rows = body(
        anonymous.get("/api/hall/slots/", {"hall": desk.hall.pk, "item": desk.item.pk, "day": "2026-06-11"})
    )
    labels = [r["label"] for r in rows]
    # the plan's 08:00 and 17:30 starts lie outside the hall's hours and were never opened
    assert labels[0] == "2026-06-11 09:00-09:30" and labels[-1] == "2026-06-11 17:00-17:30"
    assert all(label.startswith("2026-06-11") for label in labels)
    assert rows[0]["free"] == 2 and rows[0]["priority_free"] == 1 and rows[0]["hall"]["name"] == "市民之家"
    assert body(anonymous.get("/api/hall/slots/", {"hall": desk.hall.pk, "day": HOLIDAY.isoformat()})) == []
    missing = body(anonymous.get("/api/hall/slots/"), 400)
    assert "hall" in missing["errors"]
    unknown = body(anonymous.get("/api/hall/slots/", {"hall": 999999}), 400)
    assert unknown["detail"] == "没有编号为 999999 的大厅" and "hall" in unknown["errors"]


def test_citizen_books_lists_rebooks_and_cancels(desk):
    api = as_user(desk.citizen_user)
    nine, ten = desk.slot(hour=9), desk.slot(hour=10)
    made = body(book(api, nine, desk.item), 201)
    assert made["state"] == "booked" and made["channel"] == "online"
    assert made["contact_phone"] == desk.citizen.phone and made["slot"]["id"] == nine.pk
    assert made["item"]["name"] == "居民身份证换领" and made["ticket"] is None
    code = made["code"]
    assert [a["code"] for a in body(api.get("/api/appointments/"))] == [code]
    assert body(api.get(f"/api/appointments/{code}/"))["state_name"] == "已预约"

    moved = body(api.post(f"/api/appointments/{code}/rebook/", {"slot": ten.pk}, format="json"))
    assert moved["code"] == code and moved["slot"]["id"] == ten.pk
    nine.refresh_from_db()
    ten.refresh_from_db()
    assert (nine.booked, ten.booked) == (0, 1)

    cancelled = body(api.post(f"/api/appointments/{code}/cancel/"))
    assert cancelled["state"] == "cancelled" and cancelled["state_name"] == "已取消"
    ten.refresh_from_db()
    assert ten.booked == 0
    again = body(api.post(f"/api/appointments/{code}/cancel/"), 409)
    assert again["detail"] == "该预约已取消，不能取消" and "state" in again["errors"]


def test_another_citizens_appointment_is_404_and_untouched(desk):
    made = body(book(as_user(desk.citizen_user), desk.slot(hour=9), desk.item), 201)
    code = made["code"]
    other_user, _ = make_citizen(7)
    other = as_user(other_user)
    assert body(other.get(f"/api/appointments/{code}/"), 404)["detail"] == "没有找到该预约"
    assert other.post(f"/api/appointments/{code}/cancel/").status_code == 404
    rebook = other.post(f"/api/appointments/{code}/rebook/", {"slot": desk.slot(hour=10).pk}, format="json")
    assert rebook.status_code == 404
    assert body(other.get("/api/appointments/")) == []
    assert other.get("/api/appointments/not-a-code%00/").status_code == 404
    kept = Appointment.objects.get(code=code)
    assert kept.state == AppointmentState.BOOKED and kept.slot == desk.slot(hour=9)


def test_a_full_slot_is_409_and_nothing_is_saved(desk):
    slot = desk.slot(hour=9)
    Slot.objects.filter(pk=slot.pk).update(booked=slot.capacity)
    refused = body(book(as_user(desk.citizen_user), slot, desk.item), 409)
    assert refused["detail"] == "该时段已约满，请选择其他时段" and refused["errors"] == {
        "slot": ["该时段已约满，请选择其他时段"]
    }
    assert not Appointment.objects.exists()


def test_a_holiday_slot_is_400_naming_the_slot(desk):
    holiday = Slot.objects.create(
        plan=desk.plan, hall=desk.hall, starts_at=at(HOLIDAY, 9), ends_at=at(HOLIDAY, 9, 30), capacity=2
    )
    refused = body(book(as_user(desk.citizen_user), holiday, desk.item), 400)
    assert "不是工作日" in refused["detail"] and "slot" in refused["errors"]
    unknown = body(
        as_user(desk.citizen_user).post("/api/appointments/", {"slot": 999999, "item": desk.item.pk}), 400
    )
    assert "slot" in unknown["errors"]
    assert not Appointment.objects.exists()


def test_anonymous_and_forged_credentials_cannot_book(desk):
    slot = desk.slot(hour=9)
    anonymous = book(APIClient(), slot, desk.item)
    assert anonymous.status_code == 401 and anonymous.json()["detail"]
    forged_key = APIClient(HTTP_AUTHORIZATION="ApiKey forged-key-0000")
    assert book(forged_key, slot, desk.item).status_code == 401
    forged_session = APIClient()
    forged_session.cookies["sessionid"] = "forgedsessionforgedsession000000"
    assert book(forged_session, slot, desk.item).status_code == 401
    assert forged_session.get("/api/appointments/").status_code == 401
    ApiClient.objects.create(
        name="掌上办App", key_hash=hash_api_key("real-channel-key-0001"), channel="mobile"
    )
    channel = APIClient(HTTP_AUTHORIZATION="ApiKey real-channel-key-0001")
    refused = body(book(channel, slot, desk.item), 403)
    assert refused["detail"] == "接口客户端不能预约或叫号"
    assert channel.post("/api/queue/window/call/").status_code == 403
    assert not Appointment.objects.exists()


def test_staff_books_by_phone_sees_the_day_list_and_checks_in_once(desk):
    clerk = as_user(desk.clerk)
    made = body(
        book(clerk, desk.slot(TODAY, 13, 30), desk.item, contact_name="赵六", contact_phone="13700001234"),
        201,
    )
    assert made["channel"] == "phone" and made["contact_name"] == "赵六"
    rows = body(clerk.get("/api/hall/appointments/", {"day": "2026-06-10"}))
    assert [r["code"] for r in rows] == [made["code"]]
    assert rows[0]["contact_phone"] == "137****1234"  # masked in the list

    ticket = body(clerk.post(f"/api/appointments/{made['code']}/check-in/"), 201)
    assert ticket["number"] == "Y001" and ticket["source"] == "appointment" and ticket["state"] == "waiting"
    assert ticket["item"]["name"] == "居民身份证换领"
    twice = body(clerk.post(f"/api/appointments/{made['code']}/check-in/"), 409)
    assert twice["detail"] == "该预约已签到，不能重复签到"
    assert QueueTicket.objects.count() == 1
    assert body(clerk.get(f"/api/appointments/{made['code']}/"))["ticket"] == "Y001"


def test_citizens_cannot_use_the_staff_endpoints(desk):
    made = body(book(as_user(desk.citizen_user), desk.slot(TODAY, 13, 30), desk.item), 201)
    citizen = as_user(desk.citizen_user)
    assert citizen.post(f"/api/appointments/{made['code']}/check-in/").status_code == 403
    assert citizen.get("/api/hall/appointments/").status_code == 403
    assert citizen.post("/api/queue/window/call/").status_code == 403
    assert citizen.get("/api/queue/figures/").status_code == 403
    assert APIClient().get("/api/hall/appointments/").status_code == 401
    assert not QueueTicket.objects.exists()


def test_a_clerk_sees_only_their_halls_appointments(desk):
    made = body(book(as_user(desk.citizen_user), desk.slot(TODAY, 13, 30), desk.item), 201)
    other_hall = type(desk.hall).objects.create(name="分中心", region=desk.hall.region)
    window = Window.objects.create(hall=other_hall, number="1", name="综合", kind=WindowKind.COMPREHENSIVE)
    stranger = as_user(UserFactory(roles=["clerk"], window=window, name="分中心窗口"))
    assert stranger.post(f"/api/appointments/{made['code']}/check-in/").status_code == 404
    assert body(stranger.get("/api/hall/appointments/", {"day": "2026-06-10"})) == []
    assert Appointment.objects.get(code=made["code"]).state == AppointmentState.BOOKED


# ---------------------------------------------------------------------------------------------
# The queue


def test_online_number_kiosk_check_in_and_the_window_serves_it(desk):
    citizen = as_user(desk.citizen_user)
    online = body(
        citizen.post("/api/queue/online/", {"hall": desk.hall.pk, "window_kind": COMPREHENSIVE}), 201
    )
    assert online["number"] == "W001" and online["checked_in_at"] is None and online["estimated_call_at"]
    assert online["ahead"] == 0
    twice = body(
        citizen.post("/api/queue/online/", {"hall": desk.hall.pk, "window_kind": COMPREHENSIVE}), 409
    )
    assert twice["detail"] == "您今天在该大厅已有在线取号，不能重复取号"
    assert [t["number"] for t in body(citizen.get("/api/queue/online/"))] == ["W001"]

    kiosk = APIClient()  # the kiosk needs no login
    walk_in = body(kiosk.post(f"/api/queue/kiosk/{desk.hall.pk}/take/", {"window_kind": COMPREHENSIVE}), 201)
    assert walk_in["number"] == "A001" and walk_in["ahead"] == 0
    checked = body(kiosk.post(f"/api/queue/kiosk/{desk.hall.pk}/check-in-online/", {"number": "w001"}), 201)
    assert checked["number"] == "W001" and checked["checked_in_at"] is not None
    again = body(kiosk.post(f"/api/queue/kiosk/{desk.hall.pk}/check-in-online/", {"number": "W001"}), 409)
    assert again["detail"] == "W001 已签到，不能重复签到"

    clerk = as_user(desk.clerk)
    state = body(clerk.get("/api/queue/window/"))
    assert state["window"]["number"] == "A01" and state["current"] is None and state["waiting"] == 2
    called = body(clerk.post("/api/queue/window/call/"))["current"]
    assert called["number"] == "W001"  # taken online before the walk-in came
    busy = body(clerk.post("/api/queue/window/call/"), 409)
    assert busy["detail"] == "请先办结或过号当前号码 W001"

    screen = body(APIClient().get(f"/api/queue/display/{desk.hall.pk}/"))
    assert screen["calls"] == [
        {
            "number": "W001",
            "state": "called",
            "window_number": "A01",
            "window_name": "综合受理",
            "called_at": called["called_at"],
        }
    ]
    assert screen["waiting"] == 1

    started = body(clerk.post(f"/api/queue/tickets/{called['id']}/start/"))
    assert started["state"] == "serving"
    finished = body(clerk.post(f"/api/queue/tickets/{called['id']}/finish/"))
    assert finished["state"] == "done"
    assert body(APIClient().get(f"/api/queue/display/{desk.hall.pk}/"))["calls"] == []

    figures = body(clerk.get("/api/queue/figures/", {"day": "2026-06-10"}))
    assert figures["hall"]["name"] == "市民之家" and [r["served"] for r in figures["rows"]] == [1]


def test_kiosk_appointment_check_in_is_once(desk):
    made = body(book(as_user(desk.citizen_user), desk.slot(TODAY, 13, 30), desk.item), 201)
    kiosk = APIClient()
    ticket = body(
        kiosk.post(f"/api/queue/kiosk/{desk.hall.pk}/check-in-appointment/", {"code": made["code"]}), 201
    )
    assert ticket["number"] == "Y001"
    twice = body(
        kiosk.post(f"/api/queue/kiosk/{desk.hall.pk}/check-in-appointment/", {"code": made["code"]}), 409
    )
    assert twice["detail"] == "该预约已签到，不能重复签到" and "code" in twice["errors"]
    tomorrow = body(book(as_user(desk.citizen_user), desk.slot(TOMORROW, 9), desk.item), 201)
    early = body(
        kiosk.post(f"/api/queue/kiosk/{desk.hall.pk}/check-in-appointment/", {"code": tomorrow["code"]}), 409
    )
    assert early["detail"] == "只能在预约当天（2026-06-11）签到"
    assert QueueTicket.objects.count() == 1
    assert kiosk.post("/api/queue/kiosk/999999/take/", {"window_kind": COMPREHENSIVE}).status_code == 404


def test_kiosk_refuses_a_business_the_hall_does_not_serve_and_is_limited_per_address(desk, settings):
    kiosk = APIClient()
    refused = body(kiosk.post(f"/api/queue/kiosk/{desk.hall.pk}/take/", {"window_kind": "nonsense"}), 400)
    assert refused["detail"] == "请选择要办理的业务" and "window_kind" in refused["errors"]
    Window.objects.filter(hall=desk.hall).update(kind=WindowKind.DELIVERY)
    missing = body(kiosk.post(f"/api/queue/kiosk/{desk.hall.pk}/take/", {"window_kind": "appeals"}), 400)
    assert "没有开放" in missing["detail"]
    assert not QueueTicket.objects.exists()

    settings.QUEUE_KIOSK_LIMIT = 2
    for _ in range(2):
        body(kiosk.post(f"/api/queue/kiosk/{desk.hall.pk}/take/", {"window_kind": "delivery"}), 201)
    limited = body(kiosk.post(f"/api/queue/kiosk/{desk.hall.pk}/take/", {"window_kind": "delivery"}), 429)
    assert limited["detail"] == "取号过于频繁，请稍后再试或咨询导办人员"
    assert QueueTicket.objects.count() == 2


def test_a_window_cannot_call_a_number_whose_business_it_does_not_handle(desk):
    police = desk.item.department
    special = Window.objects.create(
        hall=desk.hall, number="B02", name="公安窗口", kind=WindowKind.SPECIAL, department=police
    )
    officer = as_user(UserFactory(roles=["clerk"], window=special, name="公安窗口人员"))
    other_item = ServiceItemFactory(name="营业执照", department=DepartmentFactory(name="市场监管局"))
    kiosk = APIClient()
    business = body(
        kiosk.post(
            f"/api/queue/kiosk/{desk.hall.pk}/take/",
            {"window_kind": COMPREHENSIVE, "item": other_item.pk},
            format="json",
        ),
        201,
    )
    refused = body(officer.post("/api/queue/window/call/", {"number": business["number"]}), 403)
    assert refused["detail"] == f"B02窗口不办理“营业执照”，不能叫 {business['number']}"
    assert "number" in refused["errors"]
    assert body(officer.post("/api/queue/window/call/"))["current"] is None  # nothing of its own
    assert QueueTicket.objects.get(pk=business["id"]).state == "waiting"
    # the 综合受理 window calls it by number
    called = body(as_user(desk.clerk).post("/api/queue/window/call/", {"number": business["number"]}))
    assert called["current"]["number"] == business["number"]


def test_recall_skip_transfer_and_another_windows_number(desk):
    kiosk = APIClient()
    first = body(kiosk.post(f"/api/queue/kiosk/{desk.hall.pk}/take/", {"window_kind": COMPREHENSIVE}), 201)
    Window.objects.create(hall=desk.hall, number="C01", name="出件", kind=WindowKind.DELIVERY)
    clerk = as_user(desk.clerk)
    called = body(clerk.post("/api/queue/window/call/"))["current"]
    assert called["id"] == first["id"]
    other_window = Window.objects.create(
        hall=desk.hall, number="A02", name="综合受理二", kind=WindowKind.COMPREHENSIVE
    )
    neighbour = as_user(UserFactory(roles=["clerk"], window=other_window, name="窗口乙"))
    refused = body(neighbour.post(f"/api/queue/tickets/{first['id']}/finish/"), 403)
    assert refused["detail"] == "A001 不是本窗口叫的号，不能办结"

    recalled = body(clerk.post(f"/api/queue/tickets/{first['id']}/recall/"))
    assert recalled["call_count"] == 2
    skipped = body(clerk.post(f"/api/queue/tickets/{first['id']}/skip/"))
    assert skipped["state"] == "missed"
    assert (
        body(clerk.post(f"/api/queue/tickets/{first['id']}/start/"), 409)["detail"]
        == "A001 过号，不能开始办理"
    )
    body(clerk.post(f"/api/queue/tickets/{first['id']}/recall/"))
    moved = body(clerk.post(f"/api/queue/tickets/{first['id']}/transfer/", {"window_kind": "delivery"}))
    assert moved["number"] == "A001" and moved["window_kind"] == "delivery" and moved["id"] != first["id"]
    assert QueueTicket.objects.get(pk=first["id"]).state == "transferred"
    assert clerk.post("/api/queue/tickets/999999/skip/").status_code == 404


def test_list_queries_do_not_grow_with_rows(desk):
    clerk = as_user(desk.clerk)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            body(clerk.get("/api/hall/appointments/", {"day": "2026-06-10"}))
        return len(queries)

    body(
        book(clerk, desk.slot(TODAY, 13, 30), desk.item, contact_name="甲", contact_phone="13700000001"), 201
    )
    one = count()
    for n, hour in enumerate((14, 14, 15, 15), start=2):
        phone = f"1370000000{n}"
        body(book(clerk, desk.slot(TODAY, hour), desk.item, contact_name="乙", contact_phone=phone), 201)
    assert count() == one
