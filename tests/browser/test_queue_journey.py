"""取号/叫号 in Chromium: a citizen with an appointment checks in at the kiosk page on a phone-sized
screen, the hall screen is open, the window calls the number, the screen shows it at that window
by itself (htmx polling), and the window's intake link opens 综合受理 with the appointment's item."""

from __future__ import annotations

from datetime import date

import pytest

from tests.browser.test_appointment_journey import login
from tests.hall.conftest import desk  # noqa: F401  (the fixture)
from zhengwu.hall import services
from zhengwu.hall.models import QueueTicket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TODAY = date(2026, 6, 10)


def test_appointment_check_in_call_display_and_intake(live_server, browser, console, screenshot, desk):  # noqa: F811
    base = live_server.url
    appointment = services.book(slot=desk.slot(TODAY, 13, 30), item=desk.item, by=desk.citizen_user)
    hall = desk.hall.pk
    kiosk = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    screen = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 720})
    window = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    for context in (kiosk, screen, window):
        context.on("page", console.watch)
    try:
        page = kiosk.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{base}/hall/kiosk/{hall}/")
        page.fill("#id_code", appointment.code)
        page.click("#kiosk-appointment button[type=submit]")
        page.wait_for_selector("#ticket-number")
        assert page.inner_text("#ticket-number") == "Y001"
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, "queue-kiosk-ticket-390")

        board = screen.new_page()
        board.set_default_timeout(15_000)
        board.goto(f"{base}/hall/display/{hall}/")
        assert "暂无叫号" in board.inner_text("#queue-board")

        desk_page = window.new_page()
        desk_page.set_default_timeout(15_000)
        desk_page.on("dialog", lambda dialog: dialog.accept())
        login(desk_page, base, desk.clerk)
        desk_page.goto(f"{base}/hall/window/")
        desk_page.click("#call-next button[type=submit]")
        desk_page.wait_for_selector("#current-number")
        assert desk_page.inner_text("#current-number") == "Y001"
        assert QueueTicket.objects.get(number="Y001").state == "called"
        screenshot(desk_page, "queue-window-390")

        # the screen was not reloaded: its board refreshes itself every 3 seconds
        row = board.wait_for_selector('#queue-board tr[data-number="Y001"]', timeout=10_000)
        assert "A01" in row.inner_text() and "请到窗口" in row.inner_text()
        screenshot(board, "queue-display")

        desk_page.click("#intake-link")
        desk_page.wait_for_load_state()
        assert "/applications/intake/" in desk_page.url
        body = desk_page.inner_text("main")
        assert desk.item.name in body and desk.citizen.name in body
        screenshot(desk_page, "queue-intake-390")
    finally:
        for context in (kiosk, screen, window):
            context.close()
    assert not console.errors, "\n".join(console.errors)
