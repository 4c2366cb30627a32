"""The statistics API (/api/analytics/…): what each role gets from every endpoint, that a
department head never sees another department's figures or records, that the drill-down gives
exactly the count of the figure it came from, and every kind of bad input with its status and a
Chinese message naming the field.

The data: three applications accepted today (2026-06-10, the suite's clock) — two of the market
department's item, one of the labour department's — rolled up as the scheduler would."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.applications.conftest import make_office, walk_in
from tests.catalog.factories import ItemMaterialFactory, ServiceItemFactory
from tests.factories import UserFactory
from zhengwu.analytics import figures, rollup
from zhengwu.analytics.indicators import INDICATORS
from zhengwu.analytics.periods import parse_period
from zhengwu.applications import services
from zhengwu.applications.models import Application, MaterialStatus

ENDPOINTS = ["indicators", "figures", "breakdown", "series", "records"]
TODAY = "2026-06-10"
MONTH = "2026-06"
CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Stats:
    market: Any
    labour: Any
    leader: Any
    head: Any  # 部门负责人 of the market department
    labour_head: Any
    clerk: Any  # window staff: no statistics permission
    market_numbers: set[str]
    labour_numbers: set[str]
    citizen: Any


@pytest.fixture
def stats(db) -> Stats:
    figures.clear_caches()  # departments and regions are this test's own
    office = make_office()
    market = [walk_in(office).application, walk_in(office).application]
    item = ServiceItemFactory(name="失业保险金申领", department=office.other_department)
    use = ItemMaterialFactory(item=item, material=office.uses[0].material, order=1)
    labour = services.window_intake(
        item=item,
        by=office.clerk,
        applicant=office.citizen,
        contact_name=office.citizen.name,
        contact_phone=office.citizen.phone,
        form_data={},
        materials=[services.MaterialInput(use.pk, MaterialStatus.RECEIVED, originals=1)],
        outcome="accept",
    ).application
    rollup.rebuild()
    yield Stats(
        market=office.department,
        labour=office.other_department,
        leader=office.leader,
        head=UserFactory(roles=["dept_head"], department=office.department, name="市场局负责人"),
        labour_head=UserFactory(roles=["dept_head"], department=office.other_department, name="人社局负责人"),
        clerk=office.clerk,
        market_numbers={a.number for a in market},
        labour_numbers={labour.number},
        citizen=office.citizen,
    )
    figures.clear_caches()


def client_for(user: Any | None) -> APIClient:
    c = APIClient()
    if user is not None:
        c.force_authenticate(user)
    return c


def get(user: Any | None, endpoint: str, **params: Any) -> Any:
    return client_for(user).get(f"/api/analytics/{endpoint}/", params)


def figure(response: Any, key: str) -> Any:
    return next(r for r in response.json()["results"] if r["key"] == key)


def default_params(endpoint: str) -> dict[str, str]:
    return {"measure": "app_accepted", "period": MONTH} if endpoint == "records" else {"period": MONTH}


# ---------------------------------------------------------------------------------------------
# Who may call what


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_anonymous_is_401(stats, endpoint):
    r = get(None, endpoint, **default_params(endpoint))
    assert r.status_code == 401
    assert CJK.search(r.json()["detail"])
    assert "results" not in r.json() and "rows" not in r.json()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_staff_without_the_permission_is_403(stats, endpoint):
    r = get(stats.clerk, endpoint, **default_params(endpoint))
    assert r.status_code == 403
    assert r.json()["detail"] == "没有查看统计分析的权限"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("who", ["leader", "head"])
def test_leader_and_department_head_are_answered(stats, endpoint, who):
    r = get(getattr(stats, who), endpoint, **default_params(endpoint))
    assert r.status_code == 200, r.json()


# ---------------------------------------------------------------------------------------------
# indicators/


def test_the_catalogue_lists_every_indicator_with_its_definition(stats):
    body = get(stats.head, "indicators").json()
    assert body["count"] == len(INDICATORS)
    by_key = {r["key"]: r for r in body["results"]}
    assert set(by_key) == set(INDICATORS)
    for key, ind in INDICATORS.items():
        row = by_key[key]
        assert (row["name"], row["family"], row["unit"], row["kind"], row["public"]) == (
            ind.name,
            ind.family,
            ind.unit,
            ind.kind,
            ind.public,
        )
        assert row["formula"] == ind.formula and row["formula"].startswith(ind.name)
        assert row["definition"] == ind.definition and CJK.search(row["definition"])
        assert row["measures"] == list(ind.measures)
    accepted = by_key["app_accepted"]
    assert accepted["name"] == "受理量"
    assert {"department", "region", "item", "staff"} <= set(accepted["dims"])


# ---------------------------------------------------------------------------------------------
# figures/


def test_the_leader_sees_the_city_and_may_narrow_it(stats):
    r = get(stats.leader, "figures", period=MONTH, indicators="app_accepted,app_completed")
    body = r.json()
    assert body["scope"] == {"label": "全市", "sees_all": True, "department": None, "region": None}
    assert body["period"]["value"] == MONTH and body["period"]["label"] == "2026年6月"
    assert body["previous_period"]["value"] == "2026-05"
    assert body["last_year_period"]["value"] == "2025-06"
    accepted = figure(r, "app_accepted")
    assert (accepted["value"], accepted["display"]) == (3, "3")
    assert figure(r, "app_completed")["value"] == 0
    # The months before the data began have no figure to compare with: null, not zero.
    assert accepted["previous"] is None and accepted["last_year"] is None and accepted["change"] is None
    assert body["as_of"] is not None

    narrowed = get(
        stats.leader, "figures", period=MONTH, indicators="app_accepted", department=stats.labour.pk
    )
    assert narrowed.json()["scope"]["label"] == stats.labour.name
    assert figure(narrowed, "app_accepted")["value"] == 1


def test_a_department_head_sees_only_their_department(stats):
    r = get(stats.head, "figures", period=TODAY, indicators="app_accepted")
    assert r.json()["scope"] == {
        "label": stats.market.name,
        "sees_all": False,
        "department": stats.market.pk,
        "region": None,
    }
    assert figure(r, "app_accepted")["value"] == 2
    other = get(stats.labour_head, "figures", period=TODAY, indicators="app_accepted")
    assert figure(other, "app_accepted")["value"] == 1


def test_every_indicator_is_the_roll_up_of_its_measures(stats):
    """Over the whole registry, whatever indicators the families define: the API gives for each
    exactly what the indicator computes from the roll-up's sums, null where it has no value."""
    keys = list(INDICATORS)
    body = get(stats.leader, "figures", period=MONTH, indicators=",".join(keys)).json()
    p = parse_period(MONTH)
    sums = figures.sums(figures.measures_for(INDICATORS.values()), p.start, p.end)
    assert [r["key"] for r in body["results"]] == keys
    for row in body["results"]:
        expected = INDICATORS[row["key"]].value(sums)
        assert row["value"] == (None if expected is None else pytest.approx(float(expected)))
        assert row["display"] == ("—" if expected is None else row["display"])


def test_without_indicators_named_the_families_with_data_are_given(stats):
    body = get(stats.leader, "figures", period=MONTH).json()
    families = {INDICATORS[r["key"]].family for r in body["results"]}
    assert "办件" in families
    assert families <= figures.present_families()


# ---------------------------------------------------------------------------------------------
# breakdown/


def test_breakdown_by_department_for_the_leader_and_for_a_head(stats):
    body = get(stats.leader, "breakdown", period=MONTH, by="department", indicators="app_accepted").json()
    assert body["by_label"] == "部门"
    rows = {r["key"]: (r["label"], r["values"]["app_accepted"]) for r in body["rows"]}
    assert rows == {
        str(stats.market.pk): (stats.market.name, 2),
        str(stats.labour.pk): (stats.labour.name, 1),
    }
    assert body["rows"][0]["key"] == str(stats.market.pk)  # biggest first

    own = get(stats.head, "breakdown", period=MONTH, by="department", indicators="app_accepted").json()
    assert [(r["key"], r["values"]["app_accepted"]) for r in own["rows"]] == [(str(stats.market.pk), 2)]


def test_breakdown_by_staff_counts_only_the_heads_department(stats):
    leader = get(stats.leader, "breakdown", period=MONTH, by="staff", indicators="app_accepted").json()
    assert [(r["key"], r["label"], r["values"]["app_accepted"]) for r in leader["rows"]] == [
        (str(stats.clerk.pk), stats.clerk.display_name, 3)
    ]
    head = get(stats.head, "breakdown", period=MONTH, by="staff", indicators="app_accepted").json()
    assert [(r["key"], r["values"]["app_accepted"]) for r in head["rows"]] == [(str(stats.clerk.pk), 2)]


def test_breakdown_by_region_puts_city_level_departments_under_city(stats):
    body = get(stats.leader, "breakdown", period=MONTH, by="region", indicators="app_accepted").json()
    assert [(r["key"], r["label"], r["values"]["app_accepted"]) for r in body["rows"]] == [
        ("city", "市级（市直部门）", 3)
    ]


# ---------------------------------------------------------------------------------------------
# series/


def test_series_has_a_bucket_per_day_and_no_zero_before_the_data_or_ahead_of_today(stats):
    body = get(stats.leader, "series", period=MONTH, indicators="app_accepted").json()
    buckets = {b["period"]["value"]: b["values"]["app_accepted"] for b in body["buckets"]}
    assert len(buckets) == 30
    assert buckets[TODAY] == 3
    assert buckets["2026-06-09"] is None  # before the first day with data
    assert buckets["2026-06-11"] is None  # not begun
    head = get(stats.head, "series", period=MONTH, indicators="app_accepted").json()
    assert {b["period"]["value"]: b["values"]["app_accepted"] for b in head["buckets"]}[TODAY] == 2


def test_a_year_is_drawn_by_month(stats):
    body = get(stats.leader, "series", period="2026", indicators="app_accepted").json()
    assert [b["period"]["value"] for b in body["buckets"]] == [f"2026-{m:02d}" for m in range(1, 13)]
    values = [b["values"]["app_accepted"] for b in body["buckets"]]
    assert values[5] == 3 and values[:5] == [None] * 5 and values[6:] == [None] * 6


# ---------------------------------------------------------------------------------------------
# records/ — the drill-down


def numbers(body: dict[str, Any]) -> set[str]:
    return {r["number"] for r in body["results"]}


def test_the_leaders_drill_down_lists_every_record_of_the_figure(stats):
    body = get(stats.leader, "records", measure="app_accepted", period=MONTH).json()
    assert body["count"] == body["figure"] == 3
    assert numbers(body) == stats.market_numbers | stats.labour_numbers
    first = body["results"][0]
    assert set(first) == {"id", "number", "title", "department", "at", "value", "url"}
    labour = next(r for r in body["results"] if r["number"] in stats.labour_numbers)
    assert labour["title"].startswith("失业保险金申领")  # the item, not the applicant
    assert labour["department"] == {"id": stats.labour.pk, "name": stats.labour.name}
    assert first["at"].startswith(TODAY)


def test_the_drill_down_shows_no_personal_data(stats):
    r = get(stats.leader, "records", measure="app_accepted", period=MONTH)
    text = r.content.decode()
    assert stats.citizen.id_number not in text
    assert stats.citizen.phone not in text
    assert stats.citizen.name not in text


def test_a_department_heads_records_never_include_another_departments(stats):
    body = get(stats.head, "records", measure="app_accepted", period=MONTH).json()
    assert body["count"] == body["figure"] == 2
    assert numbers(body) == stats.market_numbers
    assert {r["department"]["id"] for r in body["results"]} == {stats.market.pk}
    # Nor by naming the other department, its breakdown row or a dimension key they share.
    for params in (
        {"department": stats.labour.pk},
        {"dim": "department", "key": stats.labour.pk},
    ):
        r = get(stats.head, "records", measure="app_accepted", period=MONTH, **params)
        assert r.status_code == 403
        assert "只能查看本部门" in r.json()["detail"]
    shared = get(stats.head, "records", measure="app_accepted", period=MONTH, dim="staff", key=stats.clerk.pk)
    assert numbers(shared.json()) == stats.market_numbers
    assert get(stats.labour_head, "records", measure="app_accepted", period=MONTH).json()["count"] == 1


@pytest.mark.parametrize("by", ["department", "region", "staff", "item", "channel", "window"])
@pytest.mark.parametrize("who", ["leader", "head"])
def test_every_breakdown_row_drills_down_to_exactly_its_count(stats, by, who):
    user = getattr(stats, who)
    rows = get(user, "breakdown", period=MONTH, by=by, indicators="app_accepted").json()["rows"]
    total = 0
    for row in rows:
        body = get(user, "records", measure="app_accepted", period=MONTH, dim=by, key=row["key"]).json()
        assert body["count"] == body["figure"] == row["values"]["app_accepted"], (by, row)
        total += body["count"]
    overall = get(user, "figures", period=MONTH, indicators="app_accepted")
    if by in ("department", "region"):  # every record has a department: the rows add up to the whole
        assert total == figure(overall, "app_accepted")["value"]


def test_records_are_paged(stats):
    first = get(stats.leader, "records", measure="app_accepted", period=MONTH, page_size=2).json()
    assert (first["count"], first["pages"], len(first["results"]), first["previous"]) == (3, 2, 2, None)
    assert "page=2" in first["next"]
    second = client_for(stats.leader).get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None
    assert numbers(first) | numbers(second) == stats.market_numbers | stats.labour_numbers


def test_a_page_of_records_costs_the_same_queries_as_one_record(stats):
    """No query per row: department names, titles and timestamps come with the page."""
    get(stats.leader, "records", measure="app_accepted", period=MONTH)  # the user's permissions, cached
    counts = []
    for size in (1, 3):
        with CaptureQueriesContext(connection) as queries:
            body = get(stats.leader, "records", measure="app_accepted", period=MONTH, page_size=size).json()
        assert len(body["results"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_sum_measure_lists_each_records_value(stats):
    """Whatever sum measures are defined: each record's value, and the figure from the roll-up."""
    from zhengwu.analytics.measures import MEASURES

    sums = [m for m in MEASURES.values() if not m.counts_records]
    if not sums:
        pytest.fail("no sum measure registered")
    body = get(stats.leader, "records", measure=sums[0].key, period=MONTH).json()
    assert body["measure"]["counts_records"] is False
    counted = [Decimal(str(r["value"])) for r in body["results"] if r["value"] is not None]
    assert sum(counted) == Decimal(str(body["figure"]))


# ---------------------------------------------------------------------------------------------
# Bad input: the status, and a Chinese message naming the field


BAD = [
    ("figures", {"period": "2026-13"}, 400, "period", "月份应为1至12"),
    ("figures", {"period": "去年"}, 400, "period", "期间应为日期"),
    ("series", {"period": "2026-W54"}, 400, "period", "没有这一天或这一周"),
    ("breakdown", {"period": "2026-02-30"}, 400, "period", "没有这一天或这一周"),
    ("records", {"measure": "app_accepted", "period": "1999"}, 400, "period", "年份"),
    ("figures", {"period": MONTH, "indicators": "no_such"}, 400, "indicators", "未知的统计指标“no_such”"),
    ("series", {"period": MONTH, "indicators": "app_accepted,,x"}, 400, "indicators", "未知的统计指标“x”"),
    ("breakdown", {"period": MONTH, "by": "colour"}, 400, "by", "未知的细分维度“colour”"),
    (
        "breakdown",
        {"period": MONTH, "by": "category", "indicators": "app_accepted"},
        400,
        "by",
        "不能按“诉求分类”细分",
    ),
    ("records", {"period": MONTH}, 400, "measure", "请指定要下钻的统计度量"),
    ("records", {"period": MONTH, "measure": "nope"}, 400, "measure", "未知的统计度量“nope”"),
    (
        "records",
        {"period": MONTH, "measure": "app_accepted", "dim": "colour", "key": "1"},
        400,
        "dim",
        "未知的下钻维度",
    ),
    (
        "records",
        {"period": MONTH, "measure": "app_accepted", "dim": "category", "key": "1"},
        400,
        "dim",
        "不能按",
    ),
    ("records", {"period": MONTH, "measure": "app_accepted", "dim": "staff"}, 400, "key", "须填写维度取值"),
    (
        "records",
        {"period": MONTH, "measure": "app_accepted", "dim": "staff", "key": "a\x00b"},
        400,
        "key",
        "不可见字符",
    ),
    (
        "records",
        {"period": MONTH, "measure": "app_accepted", "dim": "department", "key": "x"},
        400,
        "key",
        "部门编号",
    ),
    (
        "records",
        {"period": MONTH, "measure": "app_accepted", "dim": "region", "key": "x"},
        400,
        "key",
        "区划编号",
    ),
    ("records", {"period": MONTH, "measure": "app_accepted", "page": "0"}, 400, "page", "页码应为正整数"),
    ("records", {"period": MONTH, "measure": "app_accepted", "page": "二"}, 400, "page", "页码应为正整数"),
    ("records", {"period": MONTH, "measure": "app_accepted", "page": "99"}, 404, "page", "没有第 99 页"),
    (
        "records",
        {"period": MONTH, "measure": "app_accepted", "page_size": "-5"},
        400,
        "page_size",
        "每页条数",
    ),
    ("figures", {"period": MONTH, "department": "abc"}, 400, "department", "部门参数应为数字编号"),
    ("figures", {"period": MONTH, "department": "²"}, 400, "department", "部门参数应为数字编号"),
    ("breakdown", {"period": MONTH, "region": "1.5"}, 400, "region", "区划参数应为数字编号"),
    ("figures", {"period": MONTH, "department": "999999"}, 404, "department", "没有编号为 999999 的部门"),
    ("series", {"period": MONTH, "region": "999999"}, 404, "region", "没有编号为 999999 的区划"),
    ("figures", {"period": "2026-05"}, 422, "period", "早于统计数据的起始日（2026年6月10日）"),
    ("breakdown", {"period": "2025"}, 422, "period", "早于统计数据的起始日"),
    ("series", {"period": "2026-07"}, 422, "period", "尚未开始"),
    ("records", {"measure": "app_accepted", "period": "2026-06-11"}, 422, "period", "尚未开始"),
    ("figures", {"period": "x" * 30}, 400, "period", "期间参数过长"),
]


@pytest.mark.parametrize(("endpoint", "params", "status", "field", "says"), BAD)
def test_bad_input_is_refused_with_its_status_and_field(stats, endpoint, params, status, field, says):
    r = get(stats.leader, endpoint, **params)
    assert r.status_code == status, r.json()
    body = r.json()
    assert says in body["detail"]
    assert body["errors"][field] == [body["detail"]]


def test_a_bad_period_is_400_before_a_period_outside_the_data_is_422(stats):
    r = get(stats.leader, "figures", period="2025", indicators="nope")
    assert (r.status_code, list(r.json()["errors"])) == (400, ["indicators"])


@pytest.mark.parametrize("endpoint", ["figures", "breakdown", "series", "records"])
def test_a_department_head_naming_another_department_is_403(stats, endpoint):
    r = get(stats.head, endpoint, **default_params(endpoint), department=stats.labour.pk)
    assert r.status_code == 403
    assert r.json()["errors"] == {"department": ["只能查看本部门的统计，不能查看其他部门"]}


def test_nothing_is_written_by_reading(stats):
    before = Application.objects.count()
    for endpoint in ENDPOINTS:
        get(stats.leader, endpoint, **default_params(endpoint))
    assert Application.objects.count() == before


# ---------------------------------------------------------------------------------------------
# The schema documents every endpoint in Chinese


def test_the_schema_documents_every_endpoint(stats):
    r = client_for(stats.leader).get("/api/schema/", {"format": "json"})
    assert r.status_code == 200
    paths = r.json()["paths"]
    for endpoint in ENDPOINTS:
        op = paths[f"/api/analytics/{endpoint}/"]["get"]
        assert CJK.search(op["summary"]) and CJK.search(op["description"])
        assert {"200", "401", "403"} <= set(op["responses"])
    params = {p["name"] for p in paths["/api/analytics/records/"]["get"]["parameters"]}
    assert {"measure", "period", "department", "region", "dim", "key", "page", "page_size"} <= params
