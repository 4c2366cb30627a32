"""预约 in Chromium on a 390 px phone: a citizen picks a hall, an item and a slot, books and sees
the code; the clerk's day list for that day shows the booking."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.hall.conftest import TOMORROW, desk  # noqa: F401  (the fixture)
from zhengwu.hall.models import Appointment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, base: str, user) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_citizen_books_on_a_phone_and_the_clerk_sees_it(live_server, browser, console, screenshot, desk):  # noqa: F811
    base = live_server.url
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    context.on("page", console.watch)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        login(page, base, desk.citizen_user)
        page.goto(f"{base}/appointments/new/")
        page.select_option("#id_hall", str(desk.hall.pk))
        page.click("#choose-form button[type=submit]")
        page.select_option("#id_item", str(desk.item.pk))
        page.fill("#id_day", TOMORROW.isoformat())
        page.click("#choose-form button[type=submit]")
        slot = desk.slot(hour=9)
        page.check(f"#book-form input[name=slot][value='{slot.pk}']")
        screenshot(page, "appointment-choose-390")
        page.click("#book-form button[type=submit]")
        page.wait_for_selector("#appointment-code")
        code = page.inner_text("#appointment-code")
        appointment = Appointment.objects.get(citizen=desk.citizen)
        assert code == appointment.code
        assert page.inner_text("#appointment-state") == "已预约"
        assert page.inner_text("#appointment-slot") == slot.label
        # nothing on the page is wider than the phone
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, "appointment-code-390")

        context.clear_cookies()
        login(page, base, desk.clerk)
        page.goto(f"{base}/hall/?day={TOMORROW.isoformat()}")
        row = page.locator("#day-list tr", has_text=code)
        assert row.count() == 1
        assert "09:00-09:30" in row.inner_text() and "已预约" in row.inner_text()
        screenshot(page, "appointment-day-list-390")
    finally:
        context.close()
    assert not console.errors, "\n".join(console.errors)
