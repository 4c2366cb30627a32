"""The queue's pages through the test client: the kiosk (no login, throttled per address), the
window's call panel and its intake link, the hall screen and its htmx part (a fixed number of
queries), 在线取号 and the figures with their Excel export."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from tests.factories import UserFactory
from zhengwu.hall import queue, services
from zhengwu.hall.models import QueueTicket
from zhengwu.hall.queue_views import THROTTLED
from zhengwu.org.models import Window, WindowKind

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 10)


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def fresh_counts():
    cache.clear()
    yield
    cache.clear()


def test_kiosk_takes_a_number_without_login(desk):
    client = Client()
    page = client.get(f"/hall/kiosk/{desk.hall.pk}/")
    assert page.status_code == 200 and "综合受理" in page.content.decode()
    response = client.post(f"/hall/kiosk/{desk.hall.pk}/", {"action": "take", "window_kind": "comprehensive"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="ticket-number">A001<' in html and "前面还有" in html
    assert QueueTicket.objects.get().number == "A001"


def test_kiosk_slip_costs_the_same_queries_however_busy_the_day(desk):
    """The slip shows the number and how many wait ahead, not the buttons: its queries do not
    grow with the numbers already issued, called or finished that day."""
    client = Client()
    url = f"/hall/kiosk/{desk.hall.pk}/"
    take = {"action": "take", "window_kind": "comprehensive"}
    queue.take_number(
        hall=desk.hall, window_kind=WindowKind.COMPREHENSIVE, by=desk.clerk
    )  # the day's counter
    with CaptureQueriesContext(connection) as first:
        assert client.post(url, take).status_code == 200
    for _ in range(30):
        queue.take_number(hall=desk.hall, window_kind=WindowKind.COMPREHENSIVE, by=desk.clerk)
    for _ in range(10):
        ticket = queue.call_next(by=desk.clerk)
        assert ticket is not None
        queue.finish_service(ticket=ticket, by=desk.clerk)
    with CaptureQueriesContext(connection) as later:
        slip = client.post(url, take)
    html = slip.content.decode()
    assert 'id="ticket-number">A033<' in html and 'id="ticket-ahead">22<' in html
    assert 'name="window_kind"' not in html  # the slip, not the buttons
    assert len(later) == len(first), [q["sql"] for q in later.captured_queries]


def test_kiosk_refuses_unknown_business_and_is_throttled(desk, settings):
    settings.QUEUE_KIOSK_LIMIT = 5
    Window.objects.create(hall=desk.hall, number="C01", name="出件", kind=WindowKind.DELIVERY)
    Window.objects.filter(number="A01").update(is_open=False)  # no 综合受理 window to take anything
    client = Client()
    bad = client.post(f"/hall/kiosk/{desk.hall.pk}/", {"action": "take", "window_kind": "appeals"})
    assert bad.status_code == 400
    assert (
        "没有开放“有诉即办”窗口" in bad.content.decode()
        and 'data-field="window_kind"' in bad.content.decode()
    )
    assert not QueueTicket.objects.exists()
    for _ in range(settings.QUEUE_KIOSK_LIMIT):
        assert client.post(f"/hall/kiosk/{desk.hall.pk}/", {"window_kind": "delivery"}).status_code == 200
    blocked = client.post(f"/hall/kiosk/{desk.hall.pk}/", {"window_kind": "delivery"})
    assert blocked.status_code == 429 and THROTTLED in blocked.content.decode()
    assert QueueTicket.objects.count() == settings.QUEUE_KIOSK_LIMIT


def test_kiosk_appointment_check_in_twice_is_a_409(desk):
    appointment = services.book(slot=desk.slot(TODAY, 13, 30), item=desk.item, by=desk.citizen_user)
    client = Client()
    first = client.post(f"/hall/kiosk/{desk.hall.pk}/", {"action": "appointment", "code": appointment.code})
    assert first.status_code == 200 and 'id="ticket-number">Y001<' in first.content.decode()
    again = client.post(f"/hall/kiosk/{desk.hall.pk}/", {"action": "appointment", "code": appointment.code})
    assert again.status_code == 409 and "该预约已签到，不能重复签到" in again.content.decode()
    assert QueueTicket.objects.count() == 1


def test_window_calls_and_opens_intake_with_the_item(desk):
    appointment = services.book(slot=desk.slot(TODAY, 13, 30), item=desk.item, by=desk.citizen_user)
    ticket = queue.check_in_appointment(hall=desk.hall, code=appointment.code, by=desk.clerk)
    client = login(desk.clerk)
    assert "叫下一位" in client.get("/hall/window/").content.decode()
    assert client.post("/hall/window/call/").status_code == 302
    page = client.get("/hall/window/").content.decode()
    assert 'id="current-number">Y001<' in page
    ticket.refresh_from_db()
    assert ticket.state == "called" and ticket.window == desk.clerk.window
    link = page.split('id="intake-link" href="')[1].split('"')[0].replace("&amp;", "&")
    url = urlparse(link)
    assert url.path == "/applications/intake/"
    assert parse_qs(url.query) == {"item": [str(desk.item.pk)], "code": [desk.citizen.id_number]}
    intake = client.get(link)
    assert intake.status_code == 200 and desk.item.name in intake.content.decode()
    assert client.post(f"/hall/window/{ticket.pk}/skip/").status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == "missed"


def test_window_panel_needs_the_permission(desk):
    approver = UserFactory(roles=["approver"], window=desk.clerk.window)
    assert login(approver).get("/hall/window/").status_code == 403
    assert login(approver).post("/hall/window/call/").status_code == 403


def test_display_shows_called_numbers_and_its_part_in_few_queries(desk):
    for n in range(5):
        window = Window.objects.create(
            hall=desk.hall, number=f"Z{n}", name=f"综合{n}", kind=WindowKind.COMPREHENSIVE
        )
        clerk = UserFactory(roles=["clerk"], window=window)
        queue.take_number(hall=desk.hall, window_kind=WindowKind.COMPREHENSIVE, by=clerk)
        queue.call_next(by=clerk)
    queue.take_number(hall=desk.hall, window_kind=WindowKind.COMPREHENSIVE, by=desk.clerk)
    client = Client()
    page = client.get(f"/hall/display/{desk.hall.pk}/").content.decode()
    assert 'hx-trigger="every 3s"' in page and 'data-number="A005"' in page and "Z4 综合4" in page
    with CaptureQueriesContext(connection) as queries:
        part = client.get(f"/hall/display/{desk.hall.pk}/", HTTP_HX_REQUEST="true")
    html = part.content.decode()
    assert "<html" not in html and 'id="queue-board"' in html
    assert 'id="queue-waiting">1<' in html
    assert len(queries) <= 3, [q["sql"] for q in queries.captured_queries]


def test_citizen_takes_a_number_online(desk):
    client = login(desk.citizen_user)
    response = client.post("/hall/queue/online/", {"hall": desk.hall.pk, "window_kind": "comprehensive"})
    assert response.status_code == 302
    page = client.get("/hall/queue/online/").content.decode()
    assert "W001" in page and "待签到" in page
    again = client.post("/hall/queue/online/", {"hall": desk.hall.pk, "window_kind": "comprehensive"})
    assert again.status_code == 409 and "不能重复取号" in again.content.decode()
    assert QueueTicket.objects.count() == 1
    assert Client().get("/hall/queue/online/").status_code == 302  # login first


def test_figures_page_and_excel(desk):
    queue.take_number(hall=desk.hall, window_kind=WindowKind.COMPREHENSIVE, by=desk.clerk)
    ticket = queue.call_next(by=desk.clerk)
    queue.finish_service(ticket=ticket, by=desk.clerk)
    client = login(desk.clerk)
    page = client.get("/hall/queue/figures/", {"day": "2026-06-10"}).content.decode()
    assert 'id="queue-figures"' in page and "A01 综合受理" in page
    export = client.get("/hall/queue/figures/", {"day": "2026-06-10", "format": "xlsx"})
    assert export.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(export.streaming_content))).active
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "A01 综合受理" in values and 1 in values


def test_calling_a_number_the_window_does_not_handle_is_a_403_with_the_message(desk):
    delivery = Window.objects.create(hall=desk.hall, number="C01", name="出件", kind=WindowKind.DELIVERY)
    courier = UserFactory(roles=["delivery_clerk"], window=delivery, name="出件人员")
    appointment = services.book(slot=desk.slot(TODAY, 13, 30), item=desk.item, by=desk.citizen_user)
    queue.check_in_appointment(hall=desk.hall, code=appointment.code, by=desk.clerk)
    response = login(courier).post("/hall/window/call-number/", {"number": "Y001"})
    assert response.status_code == 403
    assert "C01窗口不办理“居民身份证换领”，不能叫 Y001" in response.content.decode()
    assert QueueTicket.objects.get(number="Y001").state == "waiting"


def test_transfer_from_the_panel(desk):
    Window.objects.create(hall=desk.hall, number="C01", name="出件", kind=WindowKind.DELIVERY)
    queue.take_number(hall=desk.hall, window_kind=WindowKind.COMPREHENSIVE, by=desk.clerk)
    client = login(desk.clerk)
    client.post("/hall/window/call/")
    ticket = QueueTicket.objects.get()
    response = client.post(f"/hall/window/{ticket.pk}/transfer/", {"window_kind": "delivery"}, follow=True)
    assert "A001 已转移到出件窗口" in response.content.decode()
    assert list(QueueTicket.objects.order_by("pk").values_list("state", "window_kind")) == [
        ("transferred", "comprehensive"),
        ("waiting", "delivery"),
    ]
