"""Access in a real browser: the leader opens 问题清零 from the home page and reads it (no action on
it, no 管理后台 link); the lead department's handler reveals a citizen's phone with one audited
click that swaps only the number in (htmx)."""

from __future__ import annotations

import pytest

from zhengwu.appeals.privacy import REVEAL_ACTION
from zhengwu.appeals.workflow import AppealState as S
from zhengwu.core.models import AuditEvent

from ..appeals.conftest import Desk, desk  # noqa: F401 — the desk fixture, shared with the page tests
from ..conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, base: str, user) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector("h1:has-text('工作台')")


def test_the_leader_reads_the_board(live_server, page, screenshot, desk, make_user):  # noqa: F811
    desk.reach(S.DISPATCHED)
    leader = make_user("leader", name="褚领导")
    _login(page, live_server.url, leader)
    assert page.locator("header >> text=管理后台").count() == 0
    assert page.locator("#calendar-gap").count() == 0
    page.click("main a:has-text('问题清零')")
    page.wait_for_selector("h1:has-text('问题清零')")
    main = page.locator("main")
    assert desk.lead_dept.name in page.inner_text("#by-department")
    assert main.locator("form").count() == 0 and main.locator("button").count() == 0
    assert "发出督办单" not in main.inner_text()
    screenshot(page, "leader-board")


def test_the_lead_handler_reveals_the_phone(live_server, page, screenshot, desk):  # noqa: F811
    appeal = desk.reach(S.IN_PROGRESS)
    _login(page, live_server.url, desk.lead_handler)
    page.goto(f"{live_server.url}/appeals/{appeal.pk}/")
    page.wait_for_selector("#appeal-detail")
    assert page.inner_text("#reporter-phone").startswith("138****0001")
    page.click("#reporter-phone button:has-text('查看完整号码')")
    page.wait_for_selector("#reporter-phone b:has-text('13800000001')")
    assert "已记录本次查看" in page.inner_text("#reporter-phone")
    assert page.locator("h1").inner_text() == appeal.title  # only the number was swapped in
    assert AuditEvent.objects.filter(action=REVEAL_ACTION, actor=desk.lead_handler).count() == 1
    screenshot(page, "lead-handler-reveals-phone")
