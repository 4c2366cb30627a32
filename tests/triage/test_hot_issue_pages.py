"""The 热点问题 pages and /api/hot-issues/: who may see and act, the list, the drill-down, the task
form, and refusals in Chinese with their status."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from zhengwu.appeals.models import Appeal, Channel
from zhengwu.triage import services
from zhengwu.triage.models import DispatchRule, HotIssue, HotIssueStatus

from ..factories import DepartmentFactory

pytestmark = pytest.mark.django_db
LIST = reverse("triage:hotspots")


@pytest.fixture
def issues(planted):
    today = timezone.localdate()
    return services.refresh_hot_issues(start=today - timedelta(days=29), end=today)


@pytest.fixture
def dispatcher(client, make_user):
    user = make_user("dispatcher")
    client.force_login(user)
    return user


def planted_sewer(issue) -> bool:
    return "下水道" in issue.description or any("下水道" in a.body for a in issue.members.all())


def task_url(issue):
    return f"/api/hot-issues/{issue.pk}/task"


# -- pages ---------------------------------------------------------------------------------------


def test_the_list_ranks_the_period_issues(client, dispatcher, issues, django_assert_max_num_queries):
    with django_assert_max_num_queries(15):
        response = client.get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert "热点问题" in page and "重新计算" in page and "导出Excel" in page
    for issue in issues:
        assert reverse("triage:hotspot_detail", args=[issue.pk]) in page
        assert issue.description in page
    assert page.index(issues[0].description) < page.index(issues[1].description)
    assert "待处置 3" in page and 'id="heat-chart"' in page


def test_the_list_page_is_found_from_the_home_page(client, dispatcher):
    assert LIST in client.get(reverse("home")).content.decode()


def test_the_list_under_htmx_is_the_results_partial(client, dispatcher, issues):
    page = client.get(LIST, {"period": "30"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in page and issues[0].description in page


def test_a_period_not_computed_offers_the_button(client, dispatcher, issues):
    page = client.get(LIST, {"period": "custom", "start": "2026-01-01", "end": "2026-01-31"}).content.decode()
    assert "2026-01-01 至 2026-01-31 尚未计算热点问题" in page and "重新计算" in page
    assert issues[0].description not in page


def test_the_seven_day_choice_shows_the_latest_snapshot_of_that_length(client, dispatcher, planted):
    today = timezone.localdate()
    services.refresh_hot_issues(start=today - timedelta(days=7), end=today - timedelta(days=1))
    page = client.get(LIST, {"period": "7"}).content.decode()
    assert "显示的是最近一次同长度时段的结果" in page


def test_recompute_runs_for_the_chosen_period(client, dispatcher, planted):
    today = timezone.localdate()
    response = client.post(
        reverse("triage:hotspots_refresh"),
        {"start": (today - timedelta(days=6)).isoformat(), "end": today.isoformat(), "query": "period=7"},
    )
    assert response.status_code == 302 and response["Location"].endswith("?period=7")
    assert HotIssue.objects.filter(period_start=today - timedelta(days=6)).count() == 3
    page = client.get(response["Location"]).content.decode()
    assert "已重新计算" in page and "共3个" in page


def test_the_export_lists_issues_with_their_appeal_numbers(client, dispatcher, issues):
    response = client.get(reverse("triage:hotspots_export"), {"period": "30"})
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.values)
    assert rows[1][:3] == ("排名", "热度指数", "问题概述")
    assert rows[2][2] == issues[0].description
    assert all(m.number in rows[2][-1] for m in issues[0].members.all())


def test_the_drill_down_explains_the_heat_and_lists_the_members(client, dispatcher, issues):
    issue = issues[0]
    page = client.get(reverse("triage:hotspot_detail", args=[issue.pk])).content.decode()
    assert "热度指数" in page and "时间集中度" in page and "位群众反映" in page
    for appeal in issue.members.all():
        assert appeal.number in page
        assert reverse("appeals:detail", args=[appeal.pk]) in page
    assert "生成主动治理任务" in page and 'data-confirm="确定为该热点问题生成主动治理任务' in page
    assert 'name="department"' in page and 'name="category"' in page


def _selected_department(page: str) -> str:
    import re

    select = re.search(r'<select name="department".*?</select>', page, re.S)
    assert select is not None
    chosen = re.search(r'<option value="(\d+)" selected>', select.group(0))
    return chosen.group(1) if chosen else ""


def test_the_task_form_preselects_where_the_appeals_were_dispatched(client, dispatcher, issues, hot_category):
    from zhengwu.appeals import services as desk

    issue = next(i for i in issues if planted_sewer(i))
    department = DepartmentFactory(name="示范市排水事务中心")
    for appeal in issue.members.all()[:2]:
        appeal = desk.triage(appeal=appeal, category=hot_category, handling_mode="dispatch", by=dispatcher)
        desk.dispatch(appeal=appeal, lead=department, by=dispatcher)
    page = client.get(reverse("triage:hotspot_detail", args=[issue.pk])).content.decode()
    assert _selected_department(page) == str(department.pk)
    assert "按相关诉求的派单结果预选" in page


def test_with_nothing_dispatched_the_form_preselects_the_rules_suggestion(client, dispatcher, issues):
    issue = next(i for i in issues if planted_sewer(i))
    department = DepartmentFactory(name="示范市城市管理局")
    DispatchRule.objects.create(category="城乡建设", keywords="下水道、污水", department=department)
    page = client.get(reverse("triage:hotspot_detail", args=[issue.pk])).content.decode()
    assert _selected_department(page) == str(department.pk)
    assert "承办部门按派单目录规则的建议预选（城乡建设），请核对" in page
    assert page.index('label="城乡建设（建议）"') < page.index('label="环境保护"')


def test_with_no_suggestion_the_department_is_left_to_the_person(client, dispatcher, issues):
    page = client.get(reverse("triage:hotspot_detail", args=[issues[0].pk])).content.decode()
    assert _selected_department(page) == ""
    assert 'id="task-basis"' not in page


def test_creating_a_task_from_the_page_links_the_new_appeal(client, dispatcher, issues, hot_category):
    issue = issues[0]
    department = DepartmentFactory(name="示范市城市管理局")
    response = client.post(
        reverse("triage:hotspot_task", args=[issue.pk]),
        {"department": department.pk, "category": hot_category.pk, "note": "尽快疏通"},
        follow=True,
    )
    assert response.status_code == 200
    task = Appeal.objects.get(channel=Channel.PROACTIVE)
    page = response.content.decode()
    assert f"已生成主动治理任务 {task.number}" in page and "示范市城市管理局" in page
    assert reverse("appeals:detail", args=[task.pk]) in page
    assert 'id="task-form"' not in page, "no second task from the page"

    again = client.post(
        reverse("triage:hotspot_task", args=[issue.pk]),
        {"department": department.pk, "category": hot_category.pk},
    )
    assert again.status_code == 409 and "不能重复生成" in again.content.decode()


def test_an_unknown_department_on_the_page_is_refused_in_chinese(client, dispatcher, issues, hot_category):
    response = client.post(
        reverse("triage:hotspot_task", args=[issues[0].pk]),
        {"department": 999_999, "category": hot_category.pk},
    )
    assert response.status_code == 400
    assert not Appeal.objects.filter(channel=Channel.PROACTIVE).exists()


def test_dismissing_from_the_page(client, dispatcher, issues):
    response = client.post(reverse("triage:hotspot_dismiss", args=[issues[1].pk]), {"reason": ""})
    assert response.status_code == 400 and "该字段是必填项" in response.content.decode()
    response = client.post(reverse("triage:hotspot_dismiss", args=[issues[1].pk]), {"reason": "并非同一问题"})
    assert response.status_code == 302
    assert HotIssue.objects.get(pk=issues[1].pk).status == HotIssueStatus.DISMISSED


def test_a_leader_sees_but_cannot_act(client, make_user, issues, hot_category):
    client.force_login(make_user("leader"))
    page = client.get(reverse("triage:hotspot_detail", args=[issues[0].pk])).content.decode()
    assert issues[0].description in page and 'id="task-form"' not in page
    response = client.post(
        reverse("triage:hotspot_task", args=[issues[0].pk]),
        {"department": DepartmentFactory().pk, "category": hot_category.pk},
    )
    assert response.status_code == 403


def test_a_handler_gets_403_on_the_pages(client, make_user, issues):
    client.force_login(make_user("handler"))
    assert client.get(LIST).status_code == 403
    assert client.get(reverse("triage:hotspot_detail", args=[issues[0].pk])).status_code == 403
    assert client.post(reverse("triage:hotspots_refresh"), {}).status_code == 403
    assert LIST not in client.get(reverse("home")).content.decode()


def test_an_issue_that_was_recomputed_is_a_404(client, dispatcher, issues):
    services.refresh_hot_issues(start=issues[0].period_start, end=issues[0].period_end)
    assert client.get(reverse("triage:hotspot_detail", args=[issues[0].pk])).status_code == 404


# -- API -----------------------------------------------------------------------------------------


def test_api_lists_and_shows_issues(client, dispatcher, issues):
    data = client.get("/api/hot-issues/", {"period": "30"}).json()
    assert data["count"] == 3
    first = data["results"][0]
    assert first["id"] == issues[0].pk and first["rank"] == 1 and first["status"] == "pending"
    assert first["status_label"] == "待处置" and first["task"] is None
    detail = client.get(f"/api/hot-issues/{issues[0].pk}/").json()
    assert sorted(m["id"] for m in detail["members"]) == sorted(
        issues[0].members.values_list("pk", flat=True)
    )
    assert detail["hidden_members"] == 0


def test_api_period_must_make_sense(client, dispatcher):
    response = client.get("/api/hot-issues/", {"start": "2026-06-10", "end": "2026-06-01"})
    assert response.status_code == 400
    assert response.json()["detail"] == "起始日期不能晚于截止日期"
    assert response.json()["errors"] == {"start": ["起始日期不能晚于截止日期"]}


def test_api_creates_a_task_once(client, dispatcher, issues, hot_category):
    department = DepartmentFactory()
    payload = {"department": department.pk, "category": hot_category.pk, "note": "请排查"}
    response = client.post(task_url(issues[0]), payload, content_type="application/json")
    assert response.status_code == 201, response.content
    task = Appeal.objects.get(channel=Channel.PROACTIVE)
    assert response.json() == {
        "id": issues[0].pk,
        "status": "tasked",
        "task": {"id": task.pk, "number": task.number, "state": "dispatched"},
    }
    again = client.post(task_url(issues[0]), payload, content_type="application/json")
    assert again.status_code == 409 and "不能重复生成" in again.json()["detail"]
    assert client.get(f"/api/hot-issues/{issues[0].pk}/").json()["task"]["number"] == task.number


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"department": 999_999}, "department", "承办部门不存在或已停用"),
        ({"category": 999_999}, "category", "诉求分类不存在或已停用"),
    ],
)
def test_api_bad_department_or_category_is_a_400_naming_the_field(
    client, dispatcher, issues, hot_category, change, field, message
):
    payload = {"department": DepartmentFactory().pk, "category": hot_category.pk} | change
    response = client.post(task_url(issues[0]), payload, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": message, "errors": {field: [message]}}


def test_api_refuses_a_handler_and_unknown_issues(client, make_user, issues, hot_category):
    client.force_login(make_user("handler"))
    response = client.get("/api/hot-issues/")
    assert response.status_code == 403 and response.json()["detail"] == "您没有查看热点问题的权限"
    response = client.post(
        task_url(issues[0]), {"department": 1, "category": hot_category.pk}, content_type="application/json"
    )
    assert response.status_code == 403
    client.force_login(make_user("leader"))
    response = client.post(
        task_url(issues[0]), {"department": 1, "category": hot_category.pk}, content_type="application/json"
    )
    assert response.status_code == 403 and response.json()["detail"] == "您没有生成主动治理任务的权限"
    client.force_login(make_user("dispatcher"))
    assert client.get("/api/hot-issues/999999/").status_code == 404
    assert "热点问题" in client.get("/api/hot-issues/999999/").json()["detail"]


def test_api_in_the_openapi_schema(client):
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    assert {"/api/hot-issues/", "/api/hot-issues/{id}/", "/api/hot-issues/{id}/task"} <= set(paths)
    assert {"201", "400", "403", "404", "409"} <= set(paths["/api/hot-issues/{id}/task"]["post"]["responses"])
