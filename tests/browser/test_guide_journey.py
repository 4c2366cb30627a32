"""A clerk logs in, finds the 企业开办 bundle and opens its guide, in a real browser."""

import pytest

from zhengwu.accounts.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_logs_in_and_opens_a_bundle_guide(live_server, page, screenshot, demo_city):

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "clerk")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=工作台")
    assert page.locator("text=综合受理窗口人员").first.is_visible()
    screenshot(page, "01-clerk-home")

    page.click("header >> text=一件事一次办")
    page.click("text=企业开办")
    page.wait_for_selector("h1:has-text('企业开办')")
    body = page.inner_text("main")
    assert "压缩" in body  # the savings table, computed from the items
    assert "营业执照" in body
    path = screenshot(page, "02-bundle-guide-enterprise")
    assert path.stat().st_size > 10_000
