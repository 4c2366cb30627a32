"""The 好差评 indicators on ratings made through the ratings services, against figures computed
by hand and against the ratings part's own figures (评价公示 and the phone page's 主动评价率), which
they must never contradict; an upheld 申诉 and a rating that arrives days after its matter
finished reach the figures through the incremental roll-up as through a rebuild; each count
measure's drill-down lists exactly the records it counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.appeals import conftest as appeals_conftest
from tests.appeals.conftest import Desk
from tests.factories import DepartmentFactory
from zhengwu.analytics import figures, rollup
from zhengwu.analytics.indicators import INDICATORS, of_family
from zhengwu.analytics.measures import MEASURES, records
from zhengwu.analytics.models import DailyFigure
from zhengwu.analytics.periods import parse_period
from zhengwu.appeals import services as appeals
from zhengwu.org.models import Hall, Window, WindowKind
from zhengwu.ratings import figures as rating_figures
from zhengwu.ratings import services
from zhengwu.ratings.invitations import response_rates
from zhengwu.ratings.models import Rating, RatingInvitation, VisitKind, WindowVisit

desk = appeals_conftest.desk  # the appeals tests' fixture: a desk of staff and departments
TZ = ZoneInfo("Asia/Shanghai")
R1 = dt.datetime(2026, 6, 10, 11, 0, tzinfo=TZ)
R2 = dt.datetime(2026, 6, 11, 11, 0, tzinfo=TZ)
R3 = dt.datetime(2026, 6, 12, 11, 0, tzinfo=TZ)
JUNE = parse_period("2026-06")
SOURCES = ("rating", "rating_matter", "rating_finished_application", "rating_finished_bundle")


def _rows() -> set[tuple]:
    return set(DailyFigure.objects.values_list("day", "measure", "department_id", "dim", "key", "value"))


def _values(**kwargs) -> dict[str, Decimal | None]:
    inds = of_family("好差评")
    return figures.values(inds, figures.sums(figures.measures_for(inds), JUNE.start, JUNE.end, **kwargs))


class Hallway:
    """Two departments' windows in one hall, and the ratings of their visits."""

    def __init__(self, make_user) -> None:
        self.market = DepartmentFactory(name="市场监督管理局")
        self.social = DepartmentFactory(name="人力资源和社会保障局")
        hall = Hall.objects.create(name="市民中心", region=self.market.region)
        self.market_window = Window.objects.create(
            hall=hall, number="A01", name="市场准入", kind=WindowKind.SPECIAL, department=self.market
        )
        self.social_window = Window.objects.create(
            hall=hall, number="B02", name="社保服务", kind=WindowKind.SPECIAL, department=self.social
        )
        self.market_clerk = make_user("handler", department=self.market, name="市场窗口")
        self.social_clerk = make_user("handler", department=self.social, name="社保窗口")
        self.supervisor = make_user("supervisor", name="郑督办")
        self.serial = 0

    def rate(self, window: Window, level: int, channel: str = "pad", **kwargs) -> Rating:
        self.serial += 1
        visit = WindowVisit.objects.create(
            window=window,
            department=window.department,
            kind=VisitKind.OTHER,
            service="窗口服务",
            finished_at=dt.datetime.now(tz=TZ),
        )
        return services.rate(
            matter=visit, rater_key=f"anon:{self.serial}", channel=channel, level=level, **kwargs
        )


@pytest.fixture
def hallway(make_user):
    """06-10, 市场监督管理局 (A01): r1 非常满意 pad, r2 满意 qr, r3 基本满意 pad, r4 不满意 real-name pad
    (its case verified, 立行立改, closed), r5 非常不满意 real-name pc (case open), r6 非常不满意 pad
    (contested; upheld 06-11), r7 the 追评 (round 2) of r1's rater, 满意 pad.
    人社局 (B02): r8 非常满意 sms, r9 不满意 anonymous pad (case verified, not closed)."""
    h = Hallway(make_user)
    with time_machine.travel(R1, tick=False):
        r1 = h.rate(h.market_window, 1)
        h.rate(h.market_window, 2, "qr")
        h.rate(h.market_window, 3)
        r4 = h.rate(h.market_window, 4, real_name=True, rater_name="王五")
        h.rate(h.market_window, 5, "pc", real_name=True, rater_name="赵六")
        r6 = h.rate(h.market_window, 5)
        services.rate(matter=r1.visit, rater_key=r1.rater_key, channel="pad", level=2, follow_up=True)
        h.rate(h.social_window, 1, "sms")
        r9 = h.rate(h.social_window, 4)
        case = r4.rectification
        services.verify(case=case, by=h.market_clerk, reached=True, facts="属实")
        services.resolve(case=case, by=h.market_clerk, outcome="immediate", evidence="已当场改正")
        services.close(case=case, by=h.market_clerk, feedback="已整改并告知")
        services.verify(case=r9.rectification, by=h.social_clerk, reached=True, facts="属实")
        contest = services.contest(rating=r6, by=h.market_clerk, reason="恶意评价", evidence="监控录像")
    with time_machine.travel(R1 + dt.timedelta(hours=2), tick=False):  # the day's run, later on
        rollup.rebuild()
    assert _values()["rating_count"] == 9  # before the 申诉 is decided r6 counts
    with time_machine.travel(R2, tick=False):
        services.decide_contest(contest=contest, by=h.supervisor, upheld=True, decision="申诉成立")
        rollup.update()
        incremental = _rows()
        rollup.rebuild()
    assert _rows() == incremental, "the incremental roll-up missed the upheld 申诉"
    return h


def test_city_figures_for_june(hallway):
    v = _values()
    assert v["rating_count"] == 8  # r1–r5, r7, r8, r9; r6 excluded by the upheld 申诉
    assert v["rating_good_rate"] == Decimal("62.5")  # r1, r2, r3, r7, r8: 5 ÷ 8
    assert v["rating_bad_rate"] == Decimal("37.5")  # r4, r5, r9: 3 ÷ 8
    assert v["rating_rectified_rate"] == Decimal("33.3")  # r4's case closed: 1 ÷ 3
    assert v["rating_verified_rate"] == Decimal("50.0")  # real-name 差评 r4 (verified), r5: 1 ÷ 2
    assert v["rating_active_rate"] is None  # window visits are no finished 办件, 一件事 or 诉求


def test_departments_windows_and_channels_agree_with_the_ratings_pages(hallway):
    rows = {k: v for k, _, v, _ in figures.table(of_family("好差评"), JUNE, "department")}
    market, social = rows[str(hallway.market.pk)], rows[str(hallway.social.pk)]
    assert (market["rating_count"], market["rating_good_rate"], market["rating_bad_rate"]) == (
        6,
        Decimal("66.7"),  # 4 ÷ 6
        Decimal("33.3"),  # 2 ÷ 6
    )
    assert (market["rating_rectified_rate"], market["rating_verified_rate"]) == (
        Decimal("50.0"),
        Decimal("50.0"),
    )
    assert (social["rating_count"], social["rating_good_rate"]) == (2, Decimal("50.0"))
    assert social["rating_rectified_rate"] == Decimal("0.0")  # r9 verified, not closed
    assert social["rating_verified_rate"] is None  # no real-name 差评
    # 评价公示's table for June, row by row
    for row in rating_figures.figures_by("department", rating_figures.parse_period("2026-06")):
        ours = rows[str(row.pk)]
        f = row.figures
        assert (ours["rating_count"], ours["rating_good_rate"], ours["rating_bad_rate"]) == (
            f.count,
            f.good_rate,
            f.bad_rate,
        )
        assert (ours["rating_rectified_rate"], ours["rating_verified_rate"]) == (
            f.rectified_rate,
            f.verified_rate,
        )
    count = [INDICATORS["rating_count"]]
    by_window = {k: v["rating_count"] for k, _, v, _ in figures.table(count, JUNE, "window")}
    assert by_window == {str(hallway.market_window.pk): 6, str(hallway.social_window.pk): 2}
    by_channel = {k: v["rating_count"] for k, _, v, _ in figures.table(count, JUNE, "channel")}
    assert by_channel == {"pad": 5, "qr": 1, "pc": 1, "sms": 1}  # r1, r3, r4, r7, r9 on the pad


def test_compare_and_nothing_to_divide_by(hallway):
    inds = [INDICATORS["rating_count"], INDICATORS["rating_good_rate"]]
    day = figures.compare(inds, parse_period("2026-06-11"))
    assert (day[0].current, day[1].current) == (0, None)  # no rating on 06-11: no 好评率
    assert (day[0].previous, day[1].previous) == (8, Decimal("62.5"))
    month = figures.compare(inds, JUNE)
    assert (month[0].current, month[0].previous, month[0].last_year) == (8, None, None)


def _check_drill_down(keys: list[str]) -> int:
    checked = 0
    for key in keys:
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


def test_drill_down_counts_equal_the_figures(hallway):
    keys = [k for k, m in MEASURES.items() if m.source.key == "rating"]
    assert _check_drill_down(keys) > 20
    bad = records(MEASURES["rating_bad"], JUNE.start, JUNE.end, department_ids=[hallway.market.pk])
    assert sorted(r.level for r in bad) == [4, 5]  # r4, r5 — not the excluded r6


def test_active_rating_rate_is_the_phone_pages(desk: Desk):
    """Three consultations answered on the spot (诉求办结) on 06-10: c1 rated by two people of their
    own accord (one matter), the first only on 06-12; c2 rated through its 邀评 link; c3 not rated.
    主动评价率 = 1 ÷ 3, counted on 06-10, the day the matters finished."""
    with time_machine.travel(R1, tick=False):
        c1, c2, c3 = (
            desk.register(appeal_type="consultation", contact_phone=f"1380000000{n}") for n in (1, 2, 3)
        )
        c1, c2, c3 = (
            appeals.answer_directly(appeal=c, answer="按知识库答复。", by=desk.dispatcher)
            for c in (c1, c2, c3)
        )
        invited = services.rate(matter=c2, rater_key="phone:2", channel="sms", level=1)
        RatingInvitation.objects.create(
            matter_kind="appeal",
            matter_key=f"appeal:{c2.pk}",
            matter_number=c2.number,
            department=invited.department,
            rater_key="phone:2",
            phone="13800000002",
            token_hash="0" * 64,
            state="answered",
            finished_at=R1,
            send_at=R1,
            sent_at=R1,
            rating=invited,
        )
    with time_machine.travel(R1 + dt.timedelta(hours=2), tick=False):
        rollup.rebuild()
    assert _values()["rating_active_rate"] == Decimal("0.0")  # 0 ÷ 3 before c1 is rated
    with time_machine.travel(R3, tick=False):
        services.rate(matter=c1, rater_key="phone:1", channel="pc", level=2)
        services.rate(matter=c1, rater_key="phone:9", channel="mobile", level=1)
        rollup.update()
        incremental = _rows()
        rollup.rebuild()
    assert _rows() == incremental, "the incremental roll-up missed the later rating of a finished matter"
    v = _values()
    assert v["rating_active_rate"] == Decimal("33.3")
    rates = response_rates(JUNE.bounds())
    assert (rates.active, rates.finished) == (1, 3)
    day = figures.sums(["rating_active_matters"], dt.date(2026, 6, 10), dt.date(2026, 6, 11))
    assert day == {"rating_active_matters": 1}
    assert (
        _check_drill_down(
            ["rating_active_matters", "rating_finished_applications", "rating_finished_bundles"]
        )
        >= 1
    )
    assert v["rating_count"] == 3  # c1 twice, c2
    assert INDICATORS["rating_active_rate"].formula == (
        "主动评价率 = 主动评价办结件数 ÷ （办结办件数（应评价）＋办结一件事数（应评价）＋诉求办结件数） × 100%"
    )


def test_a_rate_over_three_denominators_links_each_of_them():
    from zhengwu.analytics.dashboard_views import _parts

    sums = {"rating_active_matters": 1, "rating_finished_applications": 2, "appeal_closed": 1}
    parts = _parts(INDICATORS["rating_active_rate"], sums, lambda key: f"/records/{key}")
    assert [(p.label, p.url) for p in parts] == [
        ("分子：主动评价办结件数", "/records/rating_active_matters"),
        ("分母之1：办结办件数（应评价）", "/records/rating_finished_applications"),
        ("分母之2：办结一件事数（应评价）", "/records/rating_finished_bundles"),
        ("分母之3：诉求办结件数", "/records/appeal_closed"),
    ]
    assert INDICATORS["rating_active_rate"].value(sums) == Decimal("33.3")  # 1 ÷ (2 + 0 + 1)


def test_indicators_are_defined_in_chinese_with_units(db):
    for i in of_family("好差评"):
        assert i.name and i.definition and i.unit in ("件", "%"), i.key
        assert i.formula in (i.__doc__ or "")
    names = {i.name for i in of_family("好差评")}
    assert names == {"评价数", "主动评价率", "好评率", "差评率", "差评整改率", "回访率"}
