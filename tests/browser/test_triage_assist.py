"""A dispatcher of the demo city accepts the triage suggestion with one click (采纳): the appeal is
classified down to the second level and dispatched to the department the 派单目录 names; and
finds a department in the grouped picker by typing, in a real browser."""

import pytest

from zhengwu.accounts.demo import DEMO_PASSWORD
from zhengwu.accounts.models import User
from zhengwu.appeals import services
from zhengwu.appeals.models import Appeal, Category
from zhengwu.appeals.workflow import AppealState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def register(title: str, body: str) -> Appeal:
    appeal, _ = services.register_appeal(
        channel="hotline",
        appeal_type="complaint",
        title=title,
        body=body,
        contact_name="王先生",
        contact_phone="13900000999",
        address="东城区城关街道",
        by=User.objects.get(username="operator"),
    )
    return appeal


def login(page, console, url: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", "dispatcher")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=工作台")


def test_accept_applies_category_and_department_in_one_click(
    live_server, page, console, screenshot, demo_city
):
    appeal = register("小区电梯经常故障", "我住的小区电梯经常故障停运，上周还困过人，物业一直不修。")
    login(page, console, live_server.url)

    page.goto(f"{live_server.url}/appeals/{appeal.pk}/")
    box = page.locator("#triage-suggestion")
    first = box.locator("tbody tr").first
    assert "城乡建设" in first.inner_text() and "示范市住房和城乡建设局" in first.inner_text()
    assert "规则匹配：关键词" in first.inner_text()
    screenshot(page, "assist-01-suggestion")

    box.locator("form[data-action=accept] button", has_text="采纳").click()
    page.wait_for_selector("#appeal-detail >> text=已采纳建议")
    appeal.refresh_from_db()
    assert appeal.state == AppealState.DISPATCHED
    assert appeal.category is not None and appeal.category.parent.name == "城乡建设"
    lead = appeal.assignments.get(role="lead")
    assert lead.department.name == "示范市住房和城乡建设局"
    body = page.inner_text("#appeal-detail")
    assert f"城乡建设 / {appeal.category.name}" in body and "示范市住房和城乡建设局" in body
    screenshot(page, "assist-02-accepted")


def test_the_department_picker_filters_by_typing(live_server, page, console, screenshot, demo_city):
    appeal = register("咨询学校招生", "孩子明年上小学，想咨询学区划分和招生报名时间。")
    services.triage(
        appeal=appeal,
        category=Category.objects.get(parent__name="教育文体", name="考试招生"),
        handling_mode="dispatch",
        by=User.objects.get(username="dispatcher"),
    )
    login(page, console, live_server.url)
    page.goto(f"{live_server.url}/appeals/{appeal.pk}/")

    form = page.locator("form[data-action=dispatch]")
    lead = form.locator("select[name=lead]")
    assert lead.input_value() == str(Category.objects.get(name="教育文体", parent=None).department_id)
    assert lead.locator("optgroup").count() >= 2
    box = form.locator("input.picker-filter").first
    box.fill("市场监督")
    visible = [t.strip() for t in lead.locator("option:not([hidden])").all_inner_texts()]
    assert visible and all("市场监督" in t or t == "示范市教育局" for t in visible if t != "请选择单位")
    assert any("东城区" in t for t in visible)  # county bodies are found too
    screenshot(page, "assist-03-picker")
    lead.select_option(label="示范市东城区市场监督管理局")
    page.once("dialog", lambda dialog: dialog.accept())
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#appeal-detail >> text=已派单")
    assert appeal.assignments.get(role="lead").department.name == "示范市东城区市场监督管理局"
