"""排行榜: order, scores and movement on a hand-built roll-up with hand-computed scores; the
weights refused in the admin; who sees what; Excel as shown; bad input."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import DepartmentFactory, RegionFactory
from zhengwu.analytics import rankings
from zhengwu.analytics.models import DailyFigure, RankingScheme, RankingWeight, RollupState
from zhengwu.analytics.periods import parse_period

MAY = parse_period("2026-05")


def put(day: date, dept, **values: int) -> None:
    for measure, value in values.items():
        DailyFigure.objects.create(day=day, measure=measure, department_id=dept.pk, value=value)


def scheme(subject: str, **weights: str) -> RankingScheme:
    s, _ = RankingScheme.objects.get_or_create(subject=subject, defaults={"name": "测试方案"})
    s.weights.all().delete()
    for key, w in weights.items():
        RankingWeight.objects.create(scheme=s, indicator=key, weight=Decimal(w))
    return s


@pytest.fixture
def city(db):
    """Four departments; April and May of 受理 and 按时办结 (numerator app_on_time over app_completed).

    May:   A 100 accepted, 90/100 on time (90%); B 50, 48/50 (96%); C 20, 10/20 (50%); D 20, no 办结.
    April: C 100, 100/100; A 50, 25/50; B 20, 5/20; D nothing.
    Weights: 受理量 40 %, 按时办结率 60 %. 受理量 is min–max scaled over (20, 100):
    A 100, B 37.5, C 0, D 0. Scores in May: A 0.4×100+0.6×90 = 94.00; B 0.4×37.5+0.6×96 = 72.60;
    C 0.6×50 = 30.00; D has no rate, so its score is 受理量's points alone: 0.00.
    April: C 40+60 = 100.00; A 0.4×37.5+0.6×50 = 45.00; B 0.6×25 = 15.00."""
    RollupState.objects.update_or_create(pk=1, defaults={"first_day": date(2026, 4, 1)})
    region = RegionFactory()
    a, b, c, d = (DepartmentFactory(name=n, region=region) for n in ("甲局", "乙局", "丙局", "丁局"))
    may, april = date(2026, 5, 12), date(2026, 4, 20)
    put(may, a, app_accepted=100, app_completed=100, app_on_time=90)
    put(may, b, app_accepted=50, app_completed=50, app_on_time=48)
    put(may, c, app_accepted=20, app_completed=20, app_on_time=10)
    put(may, d, app_accepted=20)
    put(april, c, app_accepted=100, app_completed=100, app_on_time=100)
    put(april, a, app_accepted=50, app_completed=50, app_on_time=25)
    put(april, b, app_accepted=20, app_completed=20, app_on_time=5)
    scheme("department", app_accepted="40", app_on_time_rate="60")
    return {"a": a, "b": b, "c": c, "d": d}


def test_scores_order_and_movement_are_the_hand_computed_ones(city):
    r = rankings.rank("department", MAY)
    got = [(row.label, row.score, row.rank, row.movement, row.last_place) for row in r.rows]
    assert got == [
        ("甲局", Decimal("94.00"), 1, "↑1", False),
        ("乙局", Decimal("72.60"), 2, "↑1", False),
        ("丙局", Decimal("30.00"), 3, "↓2", False),
        ("丁局", Decimal("0.00"), 4, "新", True),
    ]
    assert r.formula == "综合得分 = 按时办结率得分 × 60% + 受理量得分 × 40%"
    april = rankings.rank("department", parse_period("2026-04"))
    assert [(row.label, row.score) for row in april.rows] == [
        ("丙局", Decimal("100.00")),
        ("甲局", Decimal("45.00")),
        ("乙局", Decimal("15.00")),
    ]
    assert april.previous_period is None  # March is before the data: every place is 新
    assert {row.movement for row in april.rows} == {"新"}


def test_a_weight_of_an_indicator_that_does_not_exist_is_left_out_and_said(city, client, make_user):
    # 30 : 45 over the 75 % that exist is the same 40 : 60 as above.
    scheme("department", app_accepted="30", app_on_time_rate="45", no_such_indicator="25")
    r = rankings.rank("department", MAY)
    assert [row.score for row in r.rows] == [
        Decimal("94.00"),
        Decimal("72.60"),
        Decimal("30.00"),
        Decimal("0.00"),
    ]
    assert r.ignored == [("no_such_indicator", Decimal("25.00"))]
    client.force_login(make_user("leader"))
    page = client.get(reverse("analytics:rankings"), {"period": "2026-05"}).content.decode()
    assert "no_such_indicator（25%）" in page and "未计入排名" in page
    assert "（按时办结率得分 × 45% + 受理量得分 × 30%）÷ 75%" in page


def test_scaling_rules():
    from zhengwu.analytics.indicators import INDICATORS

    rate, count = INDICATORS["app_on_time_rate"], INDICATORS["app_accepted"]
    overdue = INDICATORS["app_overdue"]  # lower is better
    assert rankings.scale(rate, Decimal("96.5"), None, None) == Decimal("96.5")
    assert rankings.scale(count, Decimal(60), Decimal(20), Decimal(100)) == Decimal(50)
    assert rankings.scale(overdue, Decimal(5), Decimal(0), Decimal(20)) == Decimal(75)
    assert rankings.scale(count, Decimal(7), Decimal(7), Decimal(7)) == Decimal(100)
    assert rankings.scale(rate, None, None, None) is None
    assert rankings.score([(Decimal(40), Decimal(50)), (Decimal(60), None)]) == Decimal("50.00")
    assert rankings.score([(Decimal(40), None)]) is None


def test_the_leader_sees_the_page_with_formula_rule_last_place_and_links(city, client, make_user):
    client.force_login(make_user("leader"))
    response = client.get(reverse("analytics:rankings"), {"period": "2026-05", "subject": "department"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "综合得分 = 按时办结率得分 × 60% + 受理量得分 × 40%" in page
    assert "最小—最大值折算" in page
    last = re.search(r'id="last-places">(.*?)</div>', page, re.S).group(1)
    assert "丁局" in last and "甲局" not in last
    a = city["a"]
    row = re.search(rf'<tr data-key="{a.pk}"[^>]*>(.*?)</tr>', page, re.S).group(1)
    assert ">94.00<" in row and "↑1" in row
    link = rankings.records_url("app_accepted", MAY, department=str(a.pk))
    assert f'href="{link.replace("&", "&amp;")}"' in row
    assert "measure=app_accepted" in link and "period=2026-05" in link and f"department={a.pk}" in link


def test_a_department_head_sees_every_score_but_drills_into_their_own_only(city, client, make_user):
    client.force_login(make_user("dept_head", department=city["b"]))
    page = client.get(reverse("analytics:rankings"), {"period": "2026-05"}).content.decode()
    for name in ("甲局", "乙局", "丙局", "丁局"):
        assert name in page
    rows = dict(re.findall(r'<tr data-key="(\d+)"[^>]*>(.*?)</tr>', page, re.S))
    assert "href=" in rows[str(city["b"].pk)]
    assert "href=" not in rows[str(city["a"].pk)]
    assert "72.60" in rows[str(city["b"].pk)]
    # The records page answers 403 for another department's link typed in by hand.
    other = rankings.records_url("app_accepted", MAY, department=str(city["a"].pk))
    assert client.get(other).status_code == 403
    own = rankings.records_url("app_accepted", MAY, department=str(city["b"].pk))
    assert client.get(own).status_code == 200


def test_who_may_not_and_bad_input(city, client, make_user):
    url = reverse("analytics:rankings")
    client.force_login(make_user("clerk"))
    assert client.get(url, {"period": "2026-05"}).status_code == 403
    client.force_login(make_user("leader"))
    outside = client.get(url, {"period": "2025-01"})
    assert outside.status_code == 422 and "早于统计数据的起始日" in outside.content.decode()
    future = client.get(url, {"period": "2027-01"})
    assert future.status_code == 422
    bad = client.get(url, {"period": "五月"})
    assert bad.status_code == 400 and "期间" in bad.content.decode()
    subject = client.get(url, {"period": "2026-05", "subject": "planet"})
    assert subject.status_code == 400 and "排名对象" in subject.content.decode()


def test_excel_is_the_ranking_as_shown(city, client, make_user):
    client.force_login(make_user("leader"))
    response = client.get(reverse("analytics:rankings"), {"period": "2026-05", "format": "xlsx"})
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws = wb.active
    header_row = 4  # three notes above the header
    assert ws.freeze_panes == f"A{header_row + 1}"
    headers = [c.value for c in ws[header_row]]
    assert headers[:4] == ["名次", "变动", "部门", "综合得分"]
    assert "按时办结率（%）" in headers
    first = [c.value for c in ws[header_row + 1]]
    assert first[:4] == [1, "↑1", "甲局", 94.0]
    assert ws.cell(row=header_row + 1, column=4).number_format == "0.00"
    last = [c.value for c in ws[header_row + 4]]
    assert last[2] == "丁局" and last[-1] == "末位"
    assert "综合得分 = " in ws["A2"].value


def test_region_ranking_ranks_counties_and_leaves_the_city_level_out(db):
    from zhengwu.org.models import Level

    RollupState.objects.update_or_create(pk=1, defaults={"first_day": date(2026, 4, 1)})
    city = RegionFactory()
    east = RegionFactory(code="410201", level=Level.COUNTY, parent=city, name="东区")
    west = RegionFactory(code="410202", level=Level.COUNTY, parent=city, name="西区")
    put(date(2026, 5, 3), DepartmentFactory(region=east), app_accepted=10)
    put(date(2026, 5, 3), DepartmentFactory(region=west), app_accepted=30)
    put(date(2026, 5, 3), DepartmentFactory(region=city), app_accepted=99)
    from zhengwu.analytics import figures

    figures.clear_caches()
    scheme("region", app_accepted="100")
    r = rankings.rank("region", MAY)
    assert [(row.label, row.score, row.rank) for row in r.rows] == [
        ("西区", Decimal("100.00"), 1),
        ("东区", Decimal("0.00"), 2),
    ]


# ---------------------------------------------------------------------------------------------
# Admin: weights
# ---------------------------------------------------------------------------------------------


def _post_scheme(client, s: RankingScheme, weights: list[tuple[str, str]]):
    existing = list(s.weights.order_by("pk"))
    data = {
        "subject": s.subject,
        "name": s.name,
        "note": "",
        "weights-TOTAL_FORMS": str(len(weights)),
        "weights-INITIAL_FORMS": str(len(existing)),
        "weights-MIN_NUM_FORMS": "0",
        "weights-MAX_NUM_FORMS": "1000",
    }
    for i, (key, w) in enumerate(weights):
        data[f"weights-{i}-indicator"] = key
        data[f"weights-{i}-weight"] = w
        data[f"weights-{i}-scheme"] = str(s.pk)
        if i < len(existing):
            data[f"weights-{i}-id"] = str(existing[i].pk)
    return client.post(reverse("admin:analytics_rankingscheme_change", args=[s.pk]), data)


def test_the_admin_refuses_weights_that_do_not_sum_to_100(db, client, make_user):
    s = scheme("department", app_accepted="40", app_on_time_rate="60")
    client.force_login(make_user("admin"))
    response = _post_scheme(client, s, [("app_accepted", "40"), ("app_on_time_rate", "50")])
    assert response.status_code == 200
    page = response.content.decode()
    assert "权重（%）：各指标权重合计应为 100%，现在合计 90%" in page
    assert sorted(s.weights.values_list("indicator", "weight")) == [
        ("app_accepted", Decimal("40.00")),
        ("app_on_time_rate", Decimal("60.00")),
    ]
    ok = _post_scheme(client, s, [("app_accepted", "25"), ("app_on_time_rate", "75")])
    assert ok.status_code == 302
    assert sorted(s.weights.values_list("weight", flat=True)) == [Decimal("25.00"), Decimal("75.00")]


def test_the_admin_refuses_an_unknown_indicator(db, client, make_user):
    s = scheme("window", app_accepted="100")
    client.force_login(make_user("admin"))
    response = _post_scheme(client, s, [("app_accepted", "50"), ("made_up", "50")])
    assert response.status_code == 200
    assert "没有“made_up”这个统计指标" in response.content.decode()
    assert list(s.weights.values_list("indicator", flat=True)) == ["app_accepted"]


def test_the_default_schemes_sum_to_100_and_name_existing_indicators():
    import importlib

    from zhengwu.analytics.indicators import INDICATORS

    mig = importlib.import_module("zhengwu.analytics.migrations.0002_default_ranking_schemes")
    assert set(mig.SCHEMES) == {"department", "window", "region"}
    for subject, (_, _, weights) in mig.SCHEMES.items():
        assert sum(Decimal(w) for _, w in weights) == 100, subject
        assert [k for k, _ in weights if k not in INDICATORS] == [], subject


@pytest.mark.django_db
def test_the_migration_created_the_default_schemes():
    assert set(RankingScheme.objects.values_list("subject", flat=True)) == {"department", "window", "region"}
    for s in RankingScheme.objects.all():
        assert sum(s.weights.values_list("weight", flat=True)) == 100
