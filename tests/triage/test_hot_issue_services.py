"""热点问题 on appeals in the database: the snapshot, refreshing it, and turning an issue into a
主动治理任务 through the appeals services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from zhengwu.appeals import services as appeals
from zhengwu.appeals.models import Appeal, Channel
from zhengwu.appeals.workflow import AppealState
from zhengwu.core.errors import Conflict, InvalidInput, NotAllowed
from zhengwu.core.management.commands.run_scheduler import build_scheduler, periodic_jobs
from zhengwu.core.models import AuditEvent
from zhengwu.triage import services, tasks
from zhengwu.triage.models import HotIssue, HotIssueSnapshot, HotIssueStatus, TrainingExample

from ..factories import DepartmentFactory

pytestmark = pytest.mark.django_db


def last_30_days():
    today = timezone.localdate()
    return {"start": today - timedelta(days=29), "end": today}


def member_sets(issues):
    return sorted(sorted(i.members.values_list("pk", flat=True)) for i in issues)


def test_finds_exactly_the_three_planted_issues(planted, make_user):
    operator = make_user("operator")
    # A repeat merged into the first sewer appeal supports it; a proactive task about the same
    # sewer is the centre's own work. Neither is a member.
    repeat, _ = appeals.register_appeal(
        channel="hotline",
        appeal_type="complaint",
        title="A3区青松苑小区下水道又堵了",
        body="A3区青松苑小区门口下水道堵塞，污水漫到路面。",
        contact_phone="13800009999",
        by=operator,
    )
    appeals.merge(appeal=repeat, into=planted.by_key["s1"], by=operator)
    appeals.register_proactive_task(
        title="【主动治理】A3区青松苑小区下水道堵塞",
        body="A3区青松苑小区门口下水道堵塞，污水漫到路面，请排查疏通。",
        address="A3区青松苑小区",
        by=make_user("dispatcher"),
    )

    issues = services.refresh_hot_issues(**last_30_days())

    assert member_sets(issues) == sorted([planted.sewer, planted.noise, planted.pension])
    assert [i.rank for i in issues] == [1, 2, 3]
    sewer = issues[0]
    assert sorted(sewer.members.values_list("pk", flat=True)) == planted.sewer
    assert (sewer.appeal_count, sewer.people, sewer.support) == (4, 4, 1)
    assert "青松苑" in sewer.description and "A3区" in sewer.place
    assert sewer.status == HotIssueStatus.PENDING and sewer.task is None
    assert sewer.period_end == timezone.localdate() and sewer.concentration == 1.0
    assert set(sewer.components) == {"people", "count", "support", "concentration"}
    assert issues[0].heat >= issues[1].heat >= issues[2].heat


def test_appeals_outside_the_period_are_left_out(planted):
    yesterday = timezone.localdate() - timedelta(days=1)
    assert services.refresh_hot_issues(start=yesterday - timedelta(days=6), end=yesterday) == []


def test_refreshing_twice_replaces_pending_issues_and_keeps_tasked_ones(planted, make_user, hot_category):
    first = services.refresh_hot_issues(**last_30_days())
    found = member_sets(first)
    again = services.refresh_hot_issues(**last_30_days())
    assert HotIssue.objects.count() == 3
    assert member_sets(again) == found
    assert not HotIssue.objects.filter(pk__in=[i.pk for i in first]).exists(), "pending rows are replaced"

    department = DepartmentFactory()
    tasked = services.create_proactive_task(
        issue=again[1], department=department, category=hot_category, by=make_user("dispatcher")
    )
    services.dismiss_hot_issue(issue=again[2], reason="已在办理中", by=make_user("supervisor"))
    third = services.refresh_hot_issues(**last_30_days())

    assert HotIssue.objects.count() == 3, "an issue acted on is not found again"
    assert member_sets(third) == found
    kept = HotIssue.objects.get(pk=tasked.pk)
    assert kept.status == HotIssueStatus.TASKED and kept.task == tasked.task
    assert HotIssue.objects.get(pk=again[2].pk).status == HotIssueStatus.DISMISSED
    assert sorted(HotIssue.objects.values_list("rank", flat=True)) == [1, 2, 3]
    assert Appeal.objects.filter(channel=Channel.PROACTIVE).count() == 1


def test_creating_a_task_registers_triages_and_dispatches_an_appeal(planted, make_user, hot_category):
    issue = services.refresh_hot_issues(**last_30_days())[0]
    department = DepartmentFactory(name="示范市城市管理局")
    dispatcher = make_user("dispatcher")

    issue = services.create_proactive_task(
        issue=issue, department=department, category=hot_category, note="请5个工作日内疏通", by=dispatcher
    )

    task = issue.task
    assert task is not None and issue.status == HotIssueStatus.TASKED
    assert issue.tasked_by == dispatcher and issue.tasked_at is not None
    assert task.state == AppealState.DISPATCHED and task.channel == Channel.PROACTIVE
    assert task.number.startswith("ZD-") and task.contact_phone == ""
    assert task.title.startswith("【主动治理】") and "青松苑" in task.title
    assert task.category == hot_category and task.handling_mode == "dispatch"
    lead = task.lead_assignment
    assert lead is not None and lead.department == department and lead.state == "pending"
    assert lead.dispatched_by == dispatcher
    for member in issue.members.all():
        assert member.number in task.body
    assert "热度指数" in task.body and "请5个工作日内疏通" in task.body
    assert AuditEvent.objects.filter(action="triage.proactive_task", object_id=str(issue.pk)).exists()
    assert [e.action for e in task.events.order_by("seq")] == ["register", "triage", "dispatch"]
    assert not TrainingExample.objects.exists(), "a text the system wrote is no training example"


def test_a_second_task_for_the_same_issue_is_a_conflict(planted, make_user, hot_category):
    issue = services.refresh_hot_issues(**last_30_days())[0]
    department = DepartmentFactory()
    dispatcher = make_user("dispatcher")
    first = services.create_proactive_task(
        issue=issue, department=department, category=hot_category, by=dispatcher
    )
    with pytest.raises(Conflict, match="不能重复生成") as exc:
        services.create_proactive_task(
            issue=issue, department=department, category=hot_category, by=dispatcher
        )
    assert exc.value.status == 409 and first.task.number in exc.value.message
    assert Appeal.objects.filter(channel=Channel.PROACTIVE).count() == 1


def test_a_supervisor_may_create_a_task_too(planted, make_user, hot_category):
    issue = services.refresh_hot_issues(**last_30_days())[0]
    supervisor = make_user("supervisor")
    issue = services.create_proactive_task(
        issue=issue, department=DepartmentFactory(), category=hot_category, by=supervisor
    )
    assert issue.task.state == AppealState.DISPATCHED and issue.tasked_by == supervisor
    assert issue.task.events.get(action="register").actor == supervisor


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"department": 999_999}, "department", "承办部门不存在或已停用"),
        ({"department": None}, "department", "请选择承办部门"),
        ({"category": 999_999}, "category", "诉求分类不存在或已停用"),
        ({"note": "要" * 501}, "note", "处置要求不能超过500字"),
    ],
)
def test_bad_input_names_the_field(planted, make_user, hot_category, change, field, message):
    issue = services.refresh_hot_issues(**last_30_days())[0]
    values = {"department": DepartmentFactory().pk, "category": hot_category.pk, "note": ""} | change
    with pytest.raises(InvalidInput) as exc:
        services.create_proactive_task(issue=issue, by=make_user("dispatcher"), **values)
    assert exc.value.field == field and exc.value.message == message and exc.value.status == 400
    assert not Appeal.objects.filter(channel=Channel.PROACTIVE).exists()


def test_inactive_department_and_category_are_refused(planted, make_user, hot_category):
    issue = services.refresh_hot_issues(**last_30_days())[0]
    hot_category.is_active = False
    hot_category.save()
    with pytest.raises(InvalidInput, match="诉求分类不存在或已停用"):
        services.create_proactive_task(
            issue=issue, department=DepartmentFactory(), category=hot_category, by=make_user("dispatcher")
        )
    with pytest.raises(InvalidInput, match="承办部门不存在或已停用"):
        services.create_proactive_task(
            issue=issue,
            department=DepartmentFactory(is_active=False),
            category=hot_category.pk,
            by=make_user("dispatcher"),
        )


def test_only_the_roles_that_may_act_create_tasks_or_dismiss(planted, make_user, hot_category):
    issue = services.refresh_hot_issues(**last_30_days())[0]
    for role in ("handler", "leader", "operator"):
        with pytest.raises(NotAllowed):
            services.create_proactive_task(
                issue=issue, department=DepartmentFactory(), category=hot_category, by=make_user(role)
            )
        with pytest.raises(NotAllowed):
            services.dismiss_hot_issue(issue=issue, reason="不是热点", by=make_user(role))


def test_dismiss_needs_a_reason_and_ends_the_issue(planted, make_user, hot_category):
    issue = services.refresh_hot_issues(**last_30_days())[0]
    supervisor = make_user("supervisor")
    with pytest.raises(InvalidInput, match="请填写忽略理由"):
        services.dismiss_hot_issue(issue=issue, reason="  ", by=supervisor)
    issue = services.dismiss_hot_issue(issue=issue, reason="已由城管局处理", by=supervisor)
    assert issue.status == HotIssueStatus.DISMISSED and issue.dismiss_reason == "已由城管局处理"
    with pytest.raises(Conflict, match="已忽略"):
        services.create_proactive_task(
            issue=issue, department=DepartmentFactory(), category=hot_category, by=supervisor
        )


def test_a_bad_period_is_refused():
    today = timezone.localdate()
    with pytest.raises(InvalidInput, match="起始日期不能晚于截止日期"):
        services.refresh_hot_issues(start=today, end=today - timedelta(days=1))
    with pytest.raises(InvalidInput, match="不能超过366天"):
        services.refresh_hot_issues(start=today - timedelta(days=400), end=today)


def test_the_daily_job_refreshes_the_last_30_days_and_prunes_stale_snapshots(planted):
    old = services.refresh_hot_issues(
        start=timezone.localdate() - timedelta(days=6), end=timezone.localdate()
    )
    HotIssue.objects.filter(pk__in=[i.pk for i in old]).update(
        computed_at=timezone.now() - timedelta(days=15)
    )

    assert tasks.refresh_hot_issues.enqueue().return_value == 3  # the tests' immediate backend
    assert HotIssue.objects.count() == 3
    assert set(HotIssue.objects.values_list("period_start", flat=True)) == {last_30_days()["start"]}
    tasks.refresh_hot_issues.enqueue()
    assert HotIssue.objects.count() == 3, "idempotent"


def test_the_scheduler_enqueues_the_daily_job(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    assert "热点问题计算（近30天）" in [name for name, _, _ in periodic_jobs()]
    job = build_scheduler().get_job("热点问题计算（近30天）")
    job.func()
    assert DBTaskResult.objects.get().task_path.endswith("refresh_hot_issues")


def test_the_demo_city_has_hot_issues_and_loads_again_without_duplicates(demo_city):
    from django.core.management import call_command

    first = sorted(HotIssue.objects.values_list("description", flat=True))
    assert len(first) == 3 and any("幸福小区" in d for d in first)
    appeals_count = Appeal.objects.count()
    computed = list(HotIssueSnapshot.objects.values_list("pk", "computed_at"))
    call_command("load_demo_city", "--quiet-logins")
    assert sorted(HotIssue.objects.values_list("description", flat=True)) == first
    assert Appeal.objects.count() == appeals_count
    # Loaded again, the demo leaves the snapshot to the daily job.
    assert list(HotIssueSnapshot.objects.values_list("pk", "computed_at")) == computed
