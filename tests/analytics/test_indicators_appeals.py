"""The 12345 indicators on a small desk worked through the real services over two weeks of June
2026, against figures computed by hand; each count measure's drill-down lists exactly the records
its figure counts (in total, by department and by every dimension); the incremental roll-up run
after each day gives the same rows as a rebuild."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.appeals import conftest as appeals_conftest
from tests.appeals.conftest import Desk, refresh
from zhengwu.analytics import figures, rollup
from zhengwu.analytics.indicators import INDICATORS, of_family
from zhengwu.analytics.measures import MEASURES, records
from zhengwu.analytics.models import DailyFigure
from zhengwu.analytics.periods import parse_period
from zhengwu.appeals import services
from zhengwu.appeals.models import Appeal, HandlingMode
from zhengwu.triage import services as triage
from zhengwu.triage.models import HotIssue

desk = appeals_conftest.desk  # the appeals tests' fixture: a desk of staff and departments
TZ = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 6, 10, 11, 0, tzinfo=TZ)  # Wednesday: registered, dispatched
T1 = dt.datetime(2026, 6, 11, 9, 0, tzinfo=TZ)  # callbacks on A1, its reopening and closure
T2 = dt.datetime(2026, 6, 12, 15, 0, tzinfo=TZ)  # Friday: A2's second department signs late
T3 = dt.datetime(2026, 6, 22, 10, 0, tzinfo=TZ)  # A5 replied after its 5-working-day limit
JUNE = parse_period("2026-06")
SOURCES = ("appeal", "appeal_assignment", "appeal_callback", "appeal_urge", "hot_issue")


def _rows() -> set[tuple]:
    return set(DailyFigure.objects.values_list("day", "measure", "department_id", "dim", "key", "value"))


def _triage_dispatch(desk: Desk, appeal: Appeal, lead, co=()) -> None:
    services.triage(
        appeal=appeal, category=desk.category, handling_mode=HandlingMode.DISPATCH, by=desk.dispatcher
    )
    services.dispatch(appeal=refresh(appeal), lead=lead, co_handlers=list(co), by=desk.dispatcher)


def _reply(desk: Desk, appeal: Appeal) -> None:
    services.submit_reply(appeal=refresh(appeal), text="已处理完毕，答复如下。", by=desk.lead_handler)
    services.approve_reply(appeal=refresh(appeal), by=desk.dispatcher)


@pytest.fixture
def scene(desk: Desk):
    """Five appeals, all registered on 06-10:

    A1 hotline complaint → 住建局 主办 + 城管局 协办, both sign at once; 城管局 is urged (yellow by
       hand) first; replied; callback 06-11 solved but 不满意 → 重办; replied again; callback 06-11
       solved and 满意 → 办结 06-11 on time.
    A2 web help → 住建局, who return it (退单); 改派 to 水利局, urged sign-yellow on 06-10, signs
       06-12 after its 1-working-day sign limit, asks for an extension, approved.
    A3 web complaint, registered only (counts for the operator's department).
    A4 hotline consultation answered on the spot (咨询导办) → 办结 06-10, no limit: on time.
    A5 hotline suggestion → 住建局, signs at once; urged handle-red 06-22; replied 06-22, after
       its limit (06-17); callback solved 基本满意 → 办结 06-22 late.
    """
    with time_machine.travel(T0, tick=False):
        a1 = desk.register()
        _triage_dispatch(desk, a1, desk.lead_dept, [desk.co_dept])
        services.sign(assignment=desk.lead(a1), by=desk.lead_handler)
        services.sign(assignment=desk.co(a1), by=desk.co_handler)
        services.urge(assignment=desk.lead(a1), threshold="yellow", by=desk.supervisor)
        services.submit_contribution(assignment=desk.co(a1), text="协办意见", by=desk.co_handler)
        _reply(desk, a1)

        a2 = desk.register(channel="web", appeal_type="help", title="求助", contact_phone="13800000002")
        _triage_dispatch(desk, a2, desk.lead_dept)
        services.return_assignment(assignment=desk.lead(a2), reason="不属于本部门职责", by=desk.lead_handler)
        services.redispatch(assignment=desk.lead(refresh(a2)), to=desk.other_dept, by=desk.dispatcher)
        services.urge(assignment=desk.lead(a2), threshold="sign-yellow", by=desk.supervisor)

        a3 = desk.register(channel="web", contact_phone="13800000003")

        a4 = desk.register(appeal_type="consultation", contact_phone="13800000004")
        services.answer_directly(appeal=a4, answer="按知识库答复。", by=desk.dispatcher)

        a5 = desk.register(appeal_type="suggestion", contact_phone="13800000005")
        _triage_dispatch(desk, a5, desk.lead_dept)
        services.sign(assignment=desk.lead(a5), by=desk.lead_handler)
    with time_machine.travel(T0 + dt.timedelta(hours=2), tick=False):  # the day's run, later on
        rollup.rebuild()

    with time_machine.travel(T1, tick=False):
        services.record_callback(
            appeal=refresh(a1), reached=True, solved="solved", satisfaction=4, by=desk.callback
        )
        _reply(desk, a1)
        services.record_callback(
            appeal=refresh(a1), reached=True, solved="solved", satisfaction=2, by=desk.callback
        )
        rollup.update()

    with time_machine.travel(T2, tick=False):
        assignment = desk.lead(a2)
        assert assignment.sign_due_at < T2
        services.sign(assignment=assignment, by=desk.other_handler)
        extension = services.request_extension(
            assignment=assignment,
            reason="需协调多方",
            until=assignment.handle_due_at + dt.timedelta(days=7),
            by=desk.other_handler,
        )
        services.decide_extension(extension=extension, approve=True, by=desk.dispatcher)
        rollup.update()

    with time_machine.travel(T3, tick=False):
        assert desk.lead(a5).handle_due_at < T3
        services.urge(assignment=desk.lead(a5), threshold="handle-red", by=desk.supervisor)
        _reply(desk, a5)
        services.record_callback(
            appeal=refresh(a5), reached=True, solved="solved", satisfaction=3, by=desk.callback
        )
        rollup.update()
        incremental = _rows()
        rollup.rebuild()
    assert _rows() == incremental, "the incremental roll-up differs from a rebuild"
    return {"a1": a1, "a2": a2, "a3": a3, "a4": a4, "a5": a5}


def _values(**kwargs) -> dict[str, Decimal | None]:
    inds = of_family("12345")
    return figures.values(inds, figures.sums(figures.measures_for(inds), JUNE.start, JUNE.end, **kwargs))


def test_city_figures_for_june(desk, scene):
    v = _values()
    assert v["appeal_received"] == 5  # A1–A5
    assert v["appeal_closed"] == 3  # A4 06-10, A1 06-11, A5 06-22
    # on time: A4 (no limit) and A1 (replied 06-11, limit 5 working days from the reopening);
    # A5 replied 06-22 after its 06-17 limit: 2 ÷ 3
    assert v["appeal_on_time_rate"] == Decimal("66.7")
    assert v["appeal_reopen_rate"] == Decimal("33.3")  # A1 reopened once: 1 ÷ 3
    # assignments: A1 lead, A1 co, A2 住建局 (returned), A2 水利局 (late, extended), A5 lead = 5
    assert v["appeal_sign_rate"] == Decimal("60.0")  # A1 lead, A1 co, A5 on time: 3 ÷ 5
    assert v["appeal_return_rate"] == Decimal("20.0")  # 1 ÷ 5
    assert v["appeal_extension_rate"] == Decimal("20.0")  # 1 ÷ 5
    assert v["appeal_response_rate"] == Decimal("50.0")  # lead shares 4, on time A1 and A5: 2 ÷ 4
    # callbacks reached: A1 (solved, 不满意), A1 (solved, 满意), A5 (solved, 基本满意)
    assert v["appeal_solved_rate"] == Decimal("100.0")  # 3 ÷ 3
    assert v["appeal_satisfied_rate"] == Decimal("66.7")  # 2 ÷ 3
    assert v["appeal_cleared_rate"] == Decimal("60.0")  # A1, A4, A5 closed of 5 received
    assert v["appeal_yellow"] == 2  # A1 lead by hand, A2 水利局 sign-yellow
    assert v["appeal_red"] == 1  # A5 handle-red
    assert v["appeal_hot_tasked"] == 0


def test_compare_days_and_a_rate_with_nothing_to_divide_by(desk, scene):
    closed = INDICATORS["appeal_closed"]
    day = figures.compare([closed, INDICATORS["appeal_satisfied_rate"]], parse_period("2026-06-11"))
    # 06-11: A1 closed; its two callbacks, one satisfied: 1 ÷ 2
    assert (day[0].current, day[1].current) == (1, Decimal("50.0"))
    # the day before (06-10): A4 closed, no callback: a rate of nothing is None, not 0
    assert (day[0].previous, day[1].previous) == (1, None)
    assert day[0].last_year is None  # before the data: no value
    month = figures.compare([closed], JUNE)
    assert (month[0].current, month[0].previous) == (3, None)
    # a department without closed appeals has no 按时办结率
    assert _values(department_ids=[desk.co_dept.pk])["appeal_on_time_rate"] is None


def test_departments(desk, scene):
    by_dept = {k: v for k, _, v, _ in figures.table(of_family("12345"), JUNE, "department")}
    lead, co, other = (str(d.pk) for d in (desk.lead_dept, desk.co_dept, desk.other_dept))
    registrar = str(desk.operator.department_id)
    # appeals count for their latest lead's department, else the registrar's: A1 and A5 住建局,
    # A2 水利局 (redispatched), A3 and A4 the operator's
    assert (by_dept[lead]["appeal_received"], by_dept[other]["appeal_received"]) == (2, 1)
    assert by_dept[registrar]["appeal_received"] == 2
    assert by_dept[registrar]["appeal_on_time_rate"] == Decimal("100.0")  # A4
    assert by_dept[lead]["appeal_on_time_rate"] == Decimal("50.0")  # A1 on time, A5 late
    # assignments count for their own department: 住建局 A1 lead, A2 (returned), A5 lead
    assert by_dept[lead]["appeal_sign_rate"] == Decimal("66.7")  # 2 ÷ 3
    assert by_dept[lead]["appeal_return_rate"] == Decimal("33.3")  # 1 ÷ 3
    assert by_dept[co]["appeal_sign_rate"] == Decimal("100.0")
    assert by_dept[co]["appeal_response_rate"] is None  # no lead share
    assert by_dept[other]["appeal_sign_rate"] == Decimal("0.0")
    assert by_dept[other]["appeal_extension_rate"] == Decimal("100.0")
    assert by_dept[lead]["appeal_satisfied_rate"] == Decimal("66.7")  # A1's and A5's callbacks


def test_received_by_channel_type_and_category(desk, scene):
    received = [INDICATORS["appeal_received"]]
    by_channel = {k: v["appeal_received"] for k, _, v, _ in figures.table(received, JUNE, "channel")}
    assert by_channel == {"hotline": 3, "web": 2}
    by_type = {k: v["appeal_received"] for k, _, v, _ in figures.table(received, JUNE, "type")}
    assert by_type == {"complaint": 2, "help": 1, "consultation": 1, "suggestion": 1}
    rows = figures.table(received, JUNE, "category")
    # triaged: A1, A2, A5 (A3 not triaged, A4 answered without a category)
    assert [(k, label, v["appeal_received"]) for k, label, v, _ in rows] == [
        (str(desk.category.pk), desk.category.name, 3)
    ]


def _check_drill_down(measure_keys: list[str]) -> int:
    checked = 0
    for key in measure_keys:
        m = MEASURES[key]
        total = figures.sums([key], JUNE.start, JUNE.end).get(key, 0)
        assert records(m, JUNE.start, JUNE.end).count() == total, key
        for dept, s in figures.breakdown([key], JUNE.start, JUNE.end, "department").items():
            assert records(m, JUNE.start, JUNE.end, department_ids=[int(dept)]).count() == s[key], (key, dept)
            checked += 1
        for dim in m.dim_paths:
            for k, s in figures.breakdown([key], JUNE.start, JUNE.end, dim).items():
                assert records(m, JUNE.start, JUNE.end, dim=dim, key=k).count() == s[key], (key, dim, k)
                checked += 1
    return checked


def test_drill_down_counts_equal_the_figures(desk, scene):
    keys = [k for k, m in MEASURES.items() if m.source.key in SOURCES]
    assert _check_drill_down(keys) > 40
    # and one by hand: 住建局's returned assignment is A2's first
    returned = records(
        MEASURES["assignment_returned"], JUNE.start, JUNE.end, department_ids=[desk.lead_dept.pk]
    )
    assert [a.appeal_id for a in returned] == [scene["a2"].pk]


def test_hot_issues_made_into_tasks(desk):
    with time_machine.travel(T0, tick=False):
        issue = HotIssue.objects.create(
            period_start=dt.date(2026, 5, 12),
            period_end=dt.date(2026, 6, 10),
            rank=1,
            heat=80.0,
            appeal_count=12,
            people=10,
            concentration=0.8,
            description="幸福小区门口道路破损",
            computed_at=T0,
        )
        HotIssue.objects.create(  # still pending: not counted
            period_start=dt.date(2026, 5, 12),
            period_end=dt.date(2026, 6, 10),
            rank=2,
            heat=40.0,
            appeal_count=5,
            people=5,
            concentration=0.5,
            description="路灯不亮",
            computed_at=T0,
        )
        triage.create_proactive_task(
            issue=issue, department=desk.other_dept, category=desk.category, by=desk.dispatcher
        )
        rollup.rebuild()
    v = _values()
    assert v["appeal_hot_tasked"] == 1
    assert v["appeal_received"] == 1  # the proactive task itself (未诉先办)
    by_dept = figures.breakdown(["hot_tasked"], JUNE.start, JUNE.end, "department")
    assert by_dept == {str(desk.other_dept.pk): {"hot_tasked": 1}}  # the task's lead department
    assert _check_drill_down(["hot_tasked", "appeal_received"]) >= 2


def test_indicators_are_defined_in_chinese_with_units(db):
    for i in of_family("12345"):
        assert i.name and i.definition and i.unit in ("件", "%", "次", "个"), i.key
        assert i.formula in (i.__doc__ or "")
    assert INDICATORS["appeal_satisfied_rate"].formula == "满意率 = 回访满意次数 ÷ 回访联系上次数 × 100%"
