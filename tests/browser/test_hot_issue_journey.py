"""A dispatcher opens 热点问题 in the demo city, drills into the hottest issue and turns it into a
主动治理任务, in a real browser."""

import pytest

from zhengwu.accounts.demo import DEMO_PASSWORD
from zhengwu.appeals.models import Appeal, Channel
from zhengwu.triage.models import HotIssue, HotIssueStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dispatcher_turns_the_top_hot_issue_into_a_task(live_server, page, screenshot, demo_city):
    top = HotIssue.objects.get(rank=1)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "dispatcher")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=工作台")

    page.click("main >> text=热点问题")
    page.wait_for_selector("#hot-issues")
    page.wait_for_selector("#heat-chart canvas")
    rows = page.locator("#hot-issues tbody tr")
    assert rows.count() == 3
    assert top.description in rows.first.inner_text()
    screenshot(page, "hot-01-list")

    # Another period swaps the results in place (htmx) and says it has not been computed yet.
    page.check("input[name=period][value='7']")
    page.wait_for_selector("#results >> text=尚未计算热点问题")
    assert "period=7" in page.url
    page.check("input[name=period][value='30']")
    page.wait_for_selector("#hot-issues")
    rows = page.locator("#hot-issues tbody tr")

    rows.first.locator("a").first.click()
    page.wait_for_selector("#members")
    assert page.locator("#members tbody tr").count() == top.appeal_count
    assert "时间集中度" in page.inner_text("#heat-components")
    page.select_option("#id_department", label="示范市城市管理局")
    page.select_option("#id_category", label="城市建设和市政管理")
    page.fill("#id_note", "请5个工作日内组织疏通，并公开处置情况。")
    screenshot(page, "hot-02-detail")

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#task-form button[type=submit]")
    page.wait_for_selector("#task-outcome")
    task = Appeal.objects.get(channel=Channel.PROACTIVE)
    assert task.number in page.inner_text("#task-outcome")
    assert HotIssue.objects.get(pk=top.pk).status == HotIssueStatus.TASKED
    screenshot(page, "hot-03-task-created")

    page.click(f"#task-outcome >> text={task.number}")
    page.wait_for_selector("h1:has-text('【主动治理】')")
    body = page.inner_text("main")
    assert task.number in body and "示范市城市管理局" in body
    path = screenshot(page, "hot-04-task-appeal")
    assert path.stat().st_size > 10_000
