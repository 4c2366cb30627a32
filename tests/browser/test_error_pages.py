"""Error pages in Chromium: a first visit loads the favicon (no 404), a missing page is a Chinese
page of the site with a way back, and a clerk who opens another role's page is told to log in
with that role — with no console error beyond the status the test provokes."""

from __future__ import annotations

import pytest

from ..conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_error_pages_show_what_happened_and_the_way_back(live_server, page, console, screenshot, make_user):
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    page.goto(f"{live_server.url}/")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon and icon.endswith("favicon.svg")
    assert page.request.get(f"{live_server.url}{icon}").status == 200
    assert not [f for f in failed if "favicon" in f]

    console.expect_status(404, "/no-such-page/")
    page.goto(f"{live_server.url}/no-such-page/")
    assert page.locator("main h1").inner_text() == "页面不存在（404）"
    assert "12345" in page.inner_text("main")
    assert page.locator("header .brand").is_visible()
    screenshot(page, "error-404")
    page.click("main >> text=首页")
    page.wait_for_url(f"{live_server.url}/")

    clerk = make_user("clerk", name="钱窗口")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", clerk.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector("h1:has-text('工作台')")
    console.expect_status(403, "/appeals/inbox/export.xlsx")
    page.goto(f"{live_server.url}/appeals/inbox/export.xlsx")
    assert page.locator("main h1").inner_text() == "没有权限（403）"
    assert "退出后以该岗位的账号登录" in page.inner_text("main")
    screenshot(page, "error-403")
    assert [f for f in failed if "favicon" in f] == []
