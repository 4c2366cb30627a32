"""好差评 foundations: one rating per matter, rater and round (held by the database); 追评 as a new
round within its period; a 差评 opens the rectification case with working-day limits and closes
only with evidence; an upheld 申诉 takes a rating out of the figures and keeps it; the appeals'
ratings move into the one record."""

from __future__ import annotations

import datetime as dt
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from tests.appeals.conftest import desk  # noqa: F401 — the appeals desk fixture
from tests.applications.conftest import make_office, walk_in
from zhengwu.appeals.models import AppealState, Callback
from zhengwu.appeals.public_services import rate_appeal
from zhengwu.applications import services as app_services
from zhengwu.core.errors import Conflict, InvalidInput, NotAllowed
from zhengwu.ratings import services
from zhengwu.ratings.models import (
    ContestState,
    Level,
    Rating,
    RatingChannel,
    Rectification,
    RectificationState,
)

CN = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def office(db):
    return make_office()


@pytest.fixture
def finished(office):
    """An application granted and 办结 (its item produces a licence: 制证 follows, but it is 办结)."""
    app = walk_in(office).application
    app_services.review(application=app, by=office.approver)
    app_services.decide(application=app, by=office.approver, approved=True, opinion="准予许可")
    app_services.complete(application=app, by=office.approver)
    app.refresh_from_db()
    return app


def rate(app, level, **kwargs):
    values = {"rater_key": f"citizen:{app.citizen_id}", "channel": RatingChannel.PC, "real_name": True}
    values.update(kwargs)
    return services.rate(matter=app, level=level, **values)


def test_a_finished_application_is_rated_once_per_round(finished, office):
    first = rate(finished, Level.SATISFIED, scores={"efficiency": 1, "attitude": 2})
    assert (first.round, first.department, first.item, first.matter_number) == (
        1,
        office.department,
        office.item,
        finished.number,
    )
    with pytest.raises(Conflict):
        rate(finished, Level.VERY_SATISFIED)
    follow = rate(finished, Level.VERY_SATISFIED, follow_up=True, text="补充：服务很好")
    assert follow.round == 2 and Rating.objects.filter(application=finished).count() == 2
    other_rater = rate(finished, Level.BASICALLY, rater_key="phone:abc", real_name=False)
    assert other_rater.round == 1


def test_a_follow_up_after_its_period_is_refused(finished, time_machine, settings):
    settings.RATING_FOLLOW_UP_DAYS = 15
    rate(finished, Level.SATISFIED)
    time_machine.move_to(timezone.now() + dt.timedelta(days=16))
    with pytest.raises(Conflict, match="追评期限"):
        rate(finished, Level.SATISFIED, follow_up=True)


def test_bad_input_and_unfinished_matters_are_refused(office, finished):
    with pytest.raises(InvalidInput) as bad:
        rate(finished, 6)
    assert bad.value.field == "level"
    with pytest.raises(InvalidInput):
        rate(finished, "五星")
    with pytest.raises(InvalidInput) as bad_score:
        rate(finished, 1, scores={"attitude": 9})
    assert bad_score.value.field == "scores.attitude"
    with pytest.raises(InvalidInput):
        rate(finished, 1, channel="fax")
    fresh = walk_in(office).application
    with pytest.raises(Conflict, match="办结后才能评价"):
        rate(fresh, Level.SATISFIED)
    assert not Rating.objects.exists()


def test_a_bad_rating_opens_a_case_due_the_next_working_day(finished, office):
    rating = rate(
        finished, Level.VERY_DISSATISFIED, at=dt.datetime(2026, 6, 12, 16, 0, tzinfo=CN)
    )  # a Friday
    case = rating.rectification
    assert case.department == office.department and case.state == RectificationState.VERIFYING
    assert timezone.localtime(case.verify_due_at).date() == dt.date(2026, 6, 15)  # the Monday
    good = rate(finished, Level.SATISFIED, rater_key="phone:x")
    assert not Rectification.objects.filter(rating=good).exists()


def test_the_rectification_loop_needs_facts_a_plan_and_evidence(finished, office):
    case = rate(finished, Level.DISSATISFIED).rectification
    with pytest.raises(NotAllowed):
        services.verify(case=case, by=office.other_approver, reached=True, facts="已联系")
    with pytest.raises(InvalidInput):
        services.verify(case=case, by=office.approver, reached=True, facts="")
    case = services.verify(case=case, by=office.approver, reached=True, facts="申请人反映窗口等候时间长")
    with pytest.raises(InvalidInput):
        services.resolve(case=case, by=office.approver, outcome="deadline", plan="")
    case = services.resolve(case=case, by=office.approver, outcome="deadline", plan="增开午间窗口")
    assert case.fix_due_at is not None and case.state == RectificationState.RECTIFYING
    with pytest.raises(Conflict):
        services.close(case=case, by=office.approver, feedback="已整改")
    case = services.rectified(case=case, by=office.approver, evidence="6月起午间开放2个窗口，排班表见附件")
    case = services.close(case=case, by=office.approver, feedback="已增开午间窗口，欢迎再次评价")
    assert case.state == RectificationState.CLOSED and case.closed_at is not None
    figures = services.figures(Rating.objects.filter(department=office.department))
    assert (figures.bad, figures.bad_rectified, figures.rectified_rate, figures.verified_rate) == (
        1,
        1,
        100,
        100,
    )


def test_an_upheld_contest_leaves_the_rating_on_record_but_out_of_the_figures(finished, office, make_user):
    good = rate(finished, Level.VERY_SATISFIED, rater_key="phone:a")
    bad = rate(finished, Level.VERY_DISSATISFIED, text="乱评", rater_key="phone:b")
    before = services.figures(Rating.objects.all())
    assert (before.count, before.good_rate, before.bad_rate) == (2, 50, 50)
    with pytest.raises(NotAllowed):
        services.contest(rating=bad, by=office.other_approver, reason="恶意", evidence="录像")
    with pytest.raises(InvalidInput):
        services.contest(rating=bad, by=office.approver, reason="恶意差评", evidence="")
    contest = services.contest(
        rating=bad, by=office.approver, reason="恶意差评", evidence="监控录像显示未到窗口"
    )
    with pytest.raises(Conflict):
        services.contest(rating=bad, by=office.approver, reason="再次申诉", evidence="同上")
    with pytest.raises(NotAllowed):
        services.decide_contest(contest=contest, by=office.approver, upheld=True, decision="成立")
    supervisor = make_user("supervisor")
    contest = services.decide_contest(
        contest=contest, by=supervisor, upheld=True, decision="经核实为误评，申诉成立"
    )
    bad.refresh_from_db()
    assert contest.state == ContestState.UPHELD and bad.excluded and Rating.objects.count() == 2
    after = services.figures(Rating.objects.all())
    assert (after.count, after.good_rate, after.bad_rate) == (1, 100, 0)
    assert good.pk in Rating.objects.values_list("pk", flat=True)


def test_no_data_is_no_rate_not_zero(db):
    figures = services.figures(Rating.objects.all())
    assert figures.count == 0 and figures.good_rate is None and figures.rectified_rate is None


def test_the_appeals_ratings_move_into_the_one_record(desk):  # noqa: F811
    rated = desk.reach(AppealState.CLOSED)  # one 回访 that reached the citizen: 非常满意
    rate_appeal(appeal=rated, level=5, comment="处理太慢")
    silent = desk.reach(AppealState.REPLIED)
    Callback.objects.create(appeal=silent, reached=False, by=desk.callback)  # not reached: no rating
    Rectification.objects.all().delete()
    Rating.objects.all().delete()
    migration = import_module("zhengwu.ratings.migrations.0002_appeal_ratings")
    migration.forwards(django_apps, None)
    moved = list(Rating.objects.order_by("round"))
    assert [(r.round, r.channel, r.level, r.source) for r in moved] == [
        (1, RatingChannel.PHONE, 1, "callback"),
        (2, RatingChannel.PC, 5, "rater"),
    ]
    assert {r.appeal_id for r in moved} == {rated.pk} and moved[1].text == "处理太慢"
    assert {r.department_id for r in moved} == {desk.lead_dept.pk}
    migration.backwards(django_apps, None)
    assert not Rating.objects.exists()


def test_new_appeal_ratings_are_recorded_as_they_happen_like_the_migration_did(desk):  # noqa: F811
    appeal = desk.reach(AppealState.CLOSED)
    rate_appeal(appeal=appeal, level=4, comment="回复太慢")
    live = [(r.round, r.channel, r.level, r.source, r.rater_key) for r in Rating.objects.order_by("round")]
    assert [row[:4] for row in live] == [
        (1, RatingChannel.PHONE, 1, "callback"),
        (2, RatingChannel.PC, 4, "rater"),
    ]
    bad = Rating.objects.get(round=2)
    assert bad.rectification.department == desk.lead_dept  # 不满意: the lead department's case
    Rectification.objects.all().delete()
    Rating.objects.all().delete()
    import_module("zhengwu.ratings.migrations.0002_appeal_ratings").forwards(django_apps, None)
    migrated = [
        (r.round, r.channel, r.level, r.source, r.rater_key) for r in Rating.objects.order_by("round")
    ]
    assert migrated == live
