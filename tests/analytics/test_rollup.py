"""The roll-up (日汇总) is exact: the rows the incremental runs leave are the rows a full rebuild
writes, whatever happened in between and whenever the runs came; rolling a range twice writes the
same rows; a record whose event moves to another day moves its count with it.

Written over whatever measures are registered (MEASURES): the families add theirs and these tests
hold for them too. Records are made and changed through the parts' own services, on days set with
time-machine; the days are the city's (Asia/Shanghai), so an event at 00:30 counts on that day and
not on the UTC day before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.appeals.conftest import Desk
from tests.applications.conftest import Office, make_office, walk_in
from tests.factories import DepartmentFactory, UserFactory
from zhengwu.analytics import rollup
from zhengwu.analytics.measures import MEASURES, SOURCES, Measure, Source
from zhengwu.analytics.models import DailyFigure, RollupState
from zhengwu.appeals import services as appeals
from zhengwu.appeals.models import Appeal, Category, HandlingMode
from zhengwu.applications import services as applications
from zhengwu.applications.models import Application
from zhengwu.ratings import services as ratings

pytestmark = pytest.mark.django_db

CITY = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 6, 10, 11, 0, tzinfo=CITY)  # after the suite's clock starts: seeds exist

Row = tuple[date, str, int, str, str, int]


def rows() -> set[Row]:
    return set(DailyFigure.objects.values_list("day", "measure", "department_id", "dim", "key", "value"))


def at(moment: datetime) -> Any:
    return time_machine.travel(moment, tick=False)


# The 答复 of an appeal, as a measure of these tests' own: a reopened appeal is answered again on a
# later day, so its count must leave the first day (found through the appeal's history) for the
# new one. Registered only while a test runs, beside whatever the families define.
REPLIES = Source(
    key="test_appeal_reply",
    label="诉求答复（测试）",
    queryset=lambda: Appeal.objects.all(),
    department="category__department_id",
    dims={"channel": "channel", "type": "appeal_type", "category": "category_id"},
    changed=("updated_at",),
    history="events__at",
)
REPLIED = Measure("test_replied", "答复件数（测试）", REPLIES, at="replied_at")


@pytest.fixture
def replies(monkeypatch):
    monkeypatch.setitem(MEASURES, REPLIED.key, REPLIED)
    monkeypatch.setitem(SOURCES, REPLIES.key, REPLIES)
    return REPLIED


@dataclass
class World:
    office: Office
    desk: Desk
    accepted: list[int] = field(default_factory=list)
    completed: list[int] = field(default_factory=list)
    registered: list[int] = field(default_factory=list)
    handling: list[int] = field(default_factory=list)
    replied: list[int] = field(default_factory=list)
    serial: int = 0


def make_world() -> World:
    office = make_office()
    lead, co, other = (DepartmentFactory(name=n) for n in ("示范市住建局", "示范市城管局", "示范市水利局"))
    category = Category.objects.get(name="城乡建设", parent=None).children.get(name="城市建设和市政管理")
    desk = Desk(
        operator=UserFactory(roles=["operator"], name="孙受理"),
        dispatcher=UserFactory(roles=["dispatcher"], name="周派单"),
        lead_dept=lead,
        co_dept=co,
        other_dept=other,
        lead_handler=UserFactory(roles=["handler"], department=lead, name="住建承办"),
        co_handler=UserFactory(roles=["handler"], department=co, name="城管承办"),
        other_handler=UserFactory(roles=["handler"], department=other, name="水利承办"),
        callback=UserFactory(roles=["callback"], name="冯回访"),
        supervisor=UserFactory(roles=["supervisor"], name="郑督办"),
        category=category,
    )
    return World(office, desk)


@pytest.fixture
def world(db) -> World:
    return make_world()


def _take(pool: list[int], pick: int) -> int | None:
    return pool.pop(pick % len(pool)) if pool else None


# One step of the event stream: a lifecycle step of a record, each through the part's service.
def intake(w: World, pick: int) -> None:
    w.accepted.append(walk_in(w.office).application.pk)


def complete(w: World, pick: int) -> None:
    pk = _take(w.accepted, pick)
    if pk is None:
        return
    app = Application.objects.get(pk=pk)
    by = w.office.approver
    applications.review(application=app, by=by)
    applications.decide(application=app, by=by, approved=pick % 4 != 0, opinion="符合条件")
    applications.complete(application=app, by=by)
    w.completed.append(pk)


def rate(w: World, pick: int) -> None:
    pk = _take(w.completed, pick)
    if pk is None:
        return
    w.serial += 1
    ratings.rate(
        matter=Application.objects.get(pk=pk),
        rater_key=f"test:{w.serial}",
        channel="pad",
        level=1 + pick % 5,
    )


def register(w: World, pick: int) -> None:
    channel = ("hotline", "web", "mobile")[pick % 3]
    w.registered.append(w.desk.register(channel=channel).pk)


def dispatch(w: World, pick: int) -> None:
    pk = _take(w.registered, pick)
    if pk is None:
        return
    d = w.desk
    appeal = Appeal.objects.get(pk=pk)
    appeals.triage(appeal=appeal, category=d.category, handling_mode=HandlingMode.DISPATCH, by=d.dispatcher)
    lead = (d.lead_dept, d.co_dept)[pick % 2]
    appeals.dispatch(appeal=appeal, lead=lead, co_handlers=[], by=d.dispatcher)
    handler = d.lead_handler if lead == d.lead_dept else d.co_handler
    appeals.sign(assignment=d.lead(appeal), by=handler)
    w.handling.append(pk)


def reply(w: World, pick: int) -> None:
    pk = _take(w.handling, pick)
    if pk is None:
        return
    d = w.desk
    appeal = Appeal.objects.get(pk=pk)
    handler = d.lead_handler if d.lead(appeal).department_id == d.lead_dept.pk else d.co_handler
    appeals.submit_reply(appeal=appeal, text="已安排处理，三日内完成。", by=handler)
    appeals.approve_reply(appeal=Appeal.objects.get(pk=pk), by=d.dispatcher)
    w.replied.append(pk)


def callback(w: World, pick: int) -> None:
    """回访: satisfied closes the appeal; not satisfied reopens it (重办) to be answered again."""
    pk = _take(w.replied, pick)
    if pk is None:
        return
    appeal = Appeal.objects.get(pk=pk)
    happy = pick % 3 != 0 or appeal.reopen_count >= 2
    appeals.record_callback(
        appeal=appeal,
        reached=True,
        solved="solved" if happy else "not_solved",
        satisfaction=1 if happy else 4,
        by=w.desk.callback,
    )
    if not happy:
        w.handling.append(pk)


STEPS = {
    "intake": intake,
    "complete": complete,
    "rate": rate,
    "register": register,
    "dispatch": dispatch,
    "reply": reply,
    "callback": callback,
}

stream = st.lists(
    st.tuples(
        st.sampled_from(sorted(STEPS)),
        st.integers(min_value=0, max_value=50 * 60),  # minutes since the step before: days are crossed
        st.integers(min_value=0, max_value=999),  # which record the step takes
        st.booleans(),  # whether the incremental run comes after it
    ),
    min_size=1,
    max_size=10,
)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=stream)
def test_incremental_runs_equal_a_rebuild(world, replies, steps):
    # Each example keeps its records to itself: everything it writes is rolled back at its end.
    with transaction.atomic():
        w = World(world.office, world.desk)
        moment = START
        with at(moment):
            rollup.rebuild()
        for name, minutes, pick, run in steps:
            moment += timedelta(minutes=minutes)
            with at(moment):
                STEPS[name](w, pick)
            if run:
                moment += timedelta(minutes=1)
                with at(moment):
                    rollup.update()
        moment += timedelta(minutes=1)
        with at(moment):
            rollup.update()
        incremental = rows()
        with at(moment):
            rollup.rebuild()
        rebuilt = rows()
        assert incremental == rebuilt
        transaction.set_rollback(True)


def test_the_stream_reaches_every_measure_family_it_can(world, replies):
    """The event stream above is worth something only if its records count: a day of every step
    gives rows for the test measure and the application measures, and their sums are the
    records'."""
    w = world
    moment = START
    for name in ("intake", "intake", "complete", "rate", "register", "dispatch", "reply", "callback"):
        moment += timedelta(hours=3)
        with at(moment):
            STEPS[name](w, 0)
    with at(moment + timedelta(minutes=1)):
        rollup.rebuild()
    figures = {(m, d): v for _, m, _, d, _, v in rows() if d == ""}
    assert figures[("test_replied", "")] == 1
    if "app_accepted" in MEASURES:
        assert figures[("app_accepted", "")] == 2
    if "app_completed" in MEASURES:
        assert figures[("app_completed", "")] == 1
    measures_with_rows = {m for m, _ in figures}
    assert measures_with_rows <= set(MEASURES)


def test_roll_twice_writes_the_same_rows(world, replies):
    moment = START
    for name in ("intake", "intake", "complete", "register", "dispatch", "reply"):
        moment += timedelta(hours=9)
        with at(moment):
            STEPS[name](world, 1)
    first_day, last_day = START.date(), moment.date() + timedelta(days=1)
    with at(moment):
        written = rollup.roll(first_day, last_day)
        once = rows()
        again = rollup.roll(first_day, last_day)
    assert once and written == again == len(once)
    assert rows() == once
    # Rolling a part of the range replaces only that part, with the same rows.
    with at(moment):
        rollup.roll(first_day + timedelta(days=1), first_day + timedelta(days=2))
    assert rows() == once


def test_a_reopened_appeal_answered_again_moves_its_count_to_the_new_day(world, replies):
    # Registered the day before it is first answered: the first answer's day is found only in
    # the appeal's history once the answer has moved.
    with at(datetime(2026, 6, 10, 15, 0, tzinfo=CITY)):
        register(world, 0)
        dispatch(world, 0)
    day1 = datetime(2026, 6, 11, 9, 0, tzinfo=CITY)
    with at(day1):
        reply(world, 0)
        rollup.rebuild()
    pk = world.replied[0]

    def count_on(day: date) -> int | None:
        found = DailyFigure.objects.filter(day=day, measure=REPLIED.key, dim="", key="")
        return sum(found.values_list("value", flat=True)) or None

    assert count_on(day1.date()) == 1
    # 回访 not satisfied on the next day: reopened; answered again two days later.
    with at(day1 + timedelta(days=1)):
        callback(world, 0)  # pick 0: not satisfied
        rollup.update()
    assert Appeal.objects.get(pk=pk).reopen_count == 1
    assert count_on(day1.date()) == 1  # still answered then: the new answer has not come yet
    day3 = day1 + timedelta(days=2, hours=5)
    with at(day3):
        reply(world, 0)
    with at(day3 + timedelta(minutes=1)):
        rollup.update()
    assert count_on(day1.date()) is None
    assert count_on(day3.date()) == 1
    after_update = rows()
    with at(day3 + timedelta(minutes=1)):
        rollup.rebuild()
    assert rows() == after_update


def test_update_with_nothing_changed_writes_the_same_rows(world, replies):
    moment = START
    for name in ("intake", "complete", "register", "dispatch", "reply", "intake"):
        moment += timedelta(hours=7)
        with at(moment):
            STEPS[name](world, 2)
    with at(moment + timedelta(minutes=1)):
        rollup.update()  # the first run rebuilds
    before = rows()
    state = RollupState.objects.get(pk=1)
    assert before
    with at(moment + timedelta(minutes=2)):
        rollup.update()
    with at(moment + timedelta(hours=1)):
        rollup.update()
    assert rows() == before
    assert RollupState.objects.get(pk=1).seen_until > state.seen_until


def test_update_after_a_quiet_night_keeps_yesterday(world, replies):
    """The run after midnight rolls the new day (empty) and leaves yesterday's rows as they were."""
    evening = datetime(2026, 6, 12, 23, 40, tzinfo=CITY)
    with at(evening):
        intake(world, 0)
        rollup.update()
    before = rows()
    with at(evening + timedelta(minutes=40)):
        rollup.update()
    assert rows() == before
    if "app_accepted" in MEASURES:
        assert {r[0] for r in before if r[1] == "app_accepted"} == {date(2026, 6, 12)}


def test_first_day_is_the_citys_day_of_the_earliest_event(world, replies):
    assert rollup.first_day() is None
    with at(START):
        rollup.rebuild()
    assert RollupState.objects.get(pk=1).first_day is None
    assert not DailyFigure.objects.exists()
    # 00:30 in the city is still the day before in UTC: the city's day counts.
    early = datetime(2026, 6, 13, 0, 30, tzinfo=CITY)
    with at(early):
        register(world, 0)
        dispatch(world, 0)
        reply(world, 0)
    assert rollup.first_day() == date(2026, 6, 13)
    with at(early + timedelta(hours=1)):
        rollup.update()
    assert RollupState.objects.get(pk=1).first_day == date(2026, 6, 13)
    assert DailyFigure.objects.filter(measure=REPLIED.key).values_list(
        "day", flat=True
    ).distinct().get() == date(2026, 6, 13)
    # A record of an earlier day (entered late) moves the first day back, at the next rebuild.
    with at(datetime(2026, 6, 11, 15, 0, tzinfo=CITY)):
        register(world, 0)
        dispatch(world, 0)
        reply(world, 0)
    assert rollup.first_day() == date(2026, 6, 11)
    with at(early + timedelta(hours=2)):
        rollup.rebuild()
    assert RollupState.objects.get(pk=1).first_day == date(2026, 6, 11)
    assert rollup.as_of() == early + timedelta(hours=2)


def test_sums_made_by_the_database_equal_sums_made_row_by_row(world, replies, monkeypatch):
    """On PostgreSQL the counts are summed by one GROUP BY GROUPING SETS a read; elsewhere (and
    for computed values everywhere) row by row. Both give the same sums for every measure."""
    moment = START
    for i, name in enumerate(("intake", "intake", "complete", "rate", "register", "dispatch", "reply") * 2):
        moment += timedelta(hours=5)
        with at(moment):
            STEPS[name](world, i)
    with at(moment):
        callback(world, 1)
    first, last = START.date(), moment.date() + timedelta(days=1)
    as_stored = dict(rollup.extract(MEASURES.values(), first, last))
    monkeypatch.setattr(connection, "vendor", "row-by-row")
    row_by_row = dict(rollup.extract(MEASURES.values(), first, last))
    assert as_stored == row_by_row
    assert any(k[1] == REPLIED.key and k[3] == "channel" for k in as_stored)
