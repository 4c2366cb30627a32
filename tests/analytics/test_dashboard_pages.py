"""The statistics pages for a leader, a department head and a window: what each sees, that every
figure's link lands on the records behind it with the same count, and the status and Chinese
message of bad input."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from tests.catalog.factories import ServiceItemFactory
from tests.factories import CitizenFactory, DepartmentFactory, RegionFactory
from zhengwu.analytics import figures, geo, rollup
from zhengwu.analytics.indicators import INDICATORS
from zhengwu.applications.models import Application
from zhengwu.catalog.models import ServiceItem
from zhengwu.org.models import Hall, Level, Region, Window

TZ = ZoneInfo("Asia/Shanghai")
OVERVIEW = reverse("analytics:overview")
RECORDS = reverse("analytics:records")
LINK = re.compile(r'<a class="figure-link[^"]*" href="([^"]+)"[^>]*>([^<]+)</a>')


def at(month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=TZ)


class Maker:
    def __init__(self) -> None:
        self.citizen = CitizenFactory(name="韩梅梅")
        self.n = 0

    def application(
        self, item: Any, accepted: dt.datetime, *, completed: dt.datetime | None = None, **kw: Any
    ):
        self.n += 1
        values: dict[str, Any] = {
            "number": f"TJ{self.n:04d}",
            "query_code_hash": "-",
            "item": item,
            "item_version": 1,
            "department": item.department,
            "channel": "window",
            "applicant_kind": "person",
            "citizen": self.citizen,
            "applicant_name": self.citizen.name,
            "applicant_code": self.citizen.id_number,
            "contact_name": self.citizen.name,
            "contact_phone": "13900000000",
            "submitted_at": accepted,
            "accepted_at": accepted,
            "state": "completed" if completed else "accepted",
            "completed_at": completed,
        }
        values.update(kw)
        return Application.objects.create(**values)


@pytest.fixture
def stats_city(db, make_user) -> dict[str, Any]:
    """示范市 with one county (东城区, a town under it):

    - 市场监督管理局 (city level): May — TJ0001 accepted 05-06 and completed 05-08 at window 1,
      TJ0002 accepted 05-07 (web), TJ0003 accepted 05-12 and completed 05-12 at window 1;
      June — TJ0004 accepted 06-03, TJ0005 accepted today 06-10 09:00 at window 1.
    - 东城区人力资源和社会保障局 (county): May — TJ0006 accepted 05-11 and completed 05-13,
      TJ0007 accepted 05-14.

    So in May: 受理 5 (market 3, county 2), 办结 3 (market 2, county 1)."""
    figures.clear_caches()
    city = RegionFactory()
    east = Region.objects.create(code="410202", name="东城区", level=Level.COUNTY, parent=city)
    Region.objects.create(code="410202001", name="东城区城关街道", level=Level.TOWN, parent=east)
    market = DepartmentFactory(name="市场监督管理局", region=city)
    hr = DepartmentFactory(name="东城区人力资源和社会保障局", region=east)
    item_m = ServiceItemFactory(name="食品经营许可", department=market)
    item_h = ServiceItemFactory(name="职业资格证书核发", department=hr)
    hall = Hall.objects.create(name="市民之家", region=city)
    window = Window.objects.create(hall=hall, number="1", name="综合受理", kind="comprehensive")
    make = Maker()
    make.application(item_m, at(5, 6), completed=at(5, 8), window=window)
    make.application(item_m, at(5, 7), channel="web")
    make.application(item_m, at(5, 12, 9), completed=at(5, 12, 11), window=window)
    make.application(item_m, at(6, 3))
    make.application(item_m, at(6, 10, 9), window=window)
    make.application(item_h, at(5, 11), completed=at(5, 13))
    make.application(item_h, at(5, 14))
    rollup.rebuild()
    yield {
        "city": city,
        "east": east,
        "market": market,
        "hr": hr,
        "window": window,
        "leader": make_user("leader"),
        "head": make_user("dept_head", department=market),
        "clerk": make_user("clerk", department=market, window=window),
        "citizen": make.citizen,
    }
    figures.clear_caches()


def body(response) -> str:
    return response.content.decode()


def error_message(response) -> str:
    m = re.search(r'id="error-message"[^>]*>([^<]*)<', body(response))
    return m.group(1) if m else ""


def figure_links(page: str) -> list[tuple[str, str]]:
    return [(html.unescape(href), text.strip()) for href, text in LINK.findall(page)]


def record_count(client, url: str) -> tuple[int, str | None]:
    r = client.get(url)
    assert r.status_code == 200, (url, error_message(r))
    page = body(r)
    count = int(re.search(r'id="record-count">(\d+)<', page).group(1))
    total = re.search(r'id="record-total">([^<]+)<', page)
    return count, total.group(1) if total else None


def assert_links_match(client, page: str) -> int:
    """Every figure link's records page shows the figure: the count, or for a sum its total."""
    checked = 0
    for url, text in dict(figure_links(page)).items():
        count, total = record_count(client, url)
        if total is not None:
            assert Decimal(total.replace(",", "")) == Decimal(text.replace(",", "")), url
        else:
            assert count == int(text.replace(",", "")), url
        checked += 1
    return checked


def headline(page: str, key: str) -> str:
    m = re.search(
        rf'data-indicator="{key}".*?class="stats-card-value">(?:<a[^>]*>|<span[^>]*>)([^<]+)<', page, re.S
    )
    assert m, key
    return m.group(1)


# --- the leader ---------------------------------------------------------------------------------


def test_leader_sees_the_city_with_comparisons_charts_and_live_counters(client, stats_city):
    client.force_login(stats_city["leader"])
    r = client.get(OVERVIEW, {"period": "2026-05"})
    assert r.status_code == 200
    page = body(r)
    assert 'id="scope-label">全市<' in page
    assert headline(page, "app_accepted") == "5"
    assert headline(page, "app_completed") == "3"
    assert "环比" in page and "同比" in page
    assert "数据截至" in page
    # the breakdown by department names both departments; the county map has the county
    assert "市场监督管理局" in page and "东城区人力资源和社会保障局" in page
    data = re.search(r'<script id="stats-chart-data" type="application/json">(.*?)</script>', page, re.S)
    assert data
    chart = json.loads(data.group(1))
    assert [(c["name"], c["value"]) for c in chart["map"]] == [("东城区", 2.0)]
    assert {r["name"]: r["value"] for r in chart["bar"]} == {
        "市场监督管理局": 3.0,
        "东城区人力资源和社会保障局": 2.0,
    }
    # today's live counters count today's records from the sources
    assert re.search(r"今日受理量</span><a[^>]*>1</a>", page)
    assert "当前等候" in page


def test_every_figure_on_the_leaders_page_links_to_records_with_that_count(client, stats_city):
    client.force_login(stats_city["leader"])
    page = body(client.get(OVERVIEW, {"period": "2026-05"}))
    assert assert_links_match(client, page) >= 4
    # by county: the county row and the city-level row
    page = body(client.get(OVERVIEW, {"period": "2026-05", "by": "region"}))
    links = figure_links(page)
    assert any("dim=region" in u and "key=city" in u for u, _ in links)
    assert assert_links_match(client, page) >= 4
    # by window
    page = body(client.get(OVERVIEW, {"period": "2026-05", "by": "window"}))
    assert "1号窗口 综合受理" in page
    assert assert_links_match(client, page) >= 2


def test_a_rate_links_its_numerator_and_its_denominator(client, stats_city):
    rates = [i for i in INDICATORS.values() if i.kind == "rate" and i.family == "办件"]
    if not rates:  # the 办件 rates are defined in measures_applications.py
        pytest.fail("no 办件 rate indicator is registered")
    rate = rates[0]
    client.force_login(stats_city["leader"])
    page = body(client.get(OVERVIEW, {"period": "2026-05"}))
    card = re.search(rf'data-indicator="{rate.key}"(.*?)</div>\s*</div>', page, re.S).group(1)
    hrefs = [html.unescape(h) for h in re.findall(r'class="figure-link part-link" href="([^"]+)"', card)]
    assert len(hrefs) == 2
    assert f"measure={rate.numerator}" in hrefs[0] and f"measure={rate.denominator}" in hrefs[1]


def test_the_region_picker_narrows_to_the_county(client, stats_city):
    client.force_login(stats_city["leader"])
    r = client.get(OVERVIEW, {"period": "2026-05", "region": stats_city["east"].pk})
    page = body(r)
    assert 'id="scope-label">东城区<' in page
    assert headline(page, "app_accepted") == "2"
    assert "东城区城关街道" in page  # the picker goes down to the towns
    assert assert_links_match(client, page) >= 2
    records = body(
        client.get(RECORDS, {"measure": "app_accepted", "period": "2026-05", "region": stats_city["east"].pk})
    )
    assert "TJ0006" in records and "TJ0001" not in records


def test_the_leader_may_pick_a_department(client, stats_city):
    client.force_login(stats_city["leader"])
    page = body(client.get(OVERVIEW, {"period": "2026-05", "department": stats_city["market"].pk}))
    assert 'id="scope-label">市场监督管理局<' in page
    assert headline(page, "app_accepted") == "3"


def test_the_records_page_lists_exactly_the_records_with_their_own_links(client, stats_city):
    client.force_login(stats_city["leader"])
    r = client.get(RECORDS, {"measure": "app_completed", "period": "2026-05"})
    page = body(r)
    assert re.search(r'id="record-count">3<', page)
    numbers = re.findall(r"TJ\d{4}", page)
    assert sorted(set(numbers)) == ["TJ0001", "TJ0003", "TJ0006"]
    assert "市场监督管理局" in page and "2026-05-13 10:00" in page
    r = client.get(
        RECORDS,
        {"measure": "app_accepted", "period": "2026-05", "dim": "window", "key": stats_city["window"].pk},
    )
    assert sorted(set(re.findall(r"TJ\d{4}", body(r)))) == ["TJ0001", "TJ0003"]


def test_records_are_paginated_by_fifty(client, stats_city):
    item = ServiceItem.objects.get(name="食品经营许可")
    make = Maker()
    make.n = 100
    for i in range(55):
        make.application(item, at(4, 1 + i % 28, 9 + i % 8))
    rollup.rebuild()
    client.force_login(stats_city["leader"])
    r = client.get(RECORDS, {"measure": "app_accepted", "period": "2026-04"})
    page = body(r)
    assert re.search(r'id="record-count">55<', page)
    assert page.count('class="record-row"') == 50
    assert "第 1 / 2 页" in page
    page2 = body(client.get(RECORDS, {"measure": "app_accepted", "period": "2026-04", "page": 2}))
    assert page2.count('class="record-row"') == 5


# --- the department head ------------------------------------------------------------------------


def test_a_department_head_sees_only_their_department(client, stats_city):
    client.force_login(stats_city["head"])
    page = body(client.get(OVERVIEW, {"period": "2026-05"}))
    assert 'id="scope-label">市场监督管理局<' in page
    assert headline(page, "app_accepted") == "3"
    assert "东城区人力资源和社会保障局" not in page
    assert 'id="department-select"' not in page and 'id="map-chart"' not in page
    # breakdowns by window, staff, item instead of department and region
    assert "按窗口" in page and "按部门<" not in page
    assert assert_links_match(client, page) >= 2
    records = body(client.get(RECORDS, {"measure": "app_accepted", "period": "2026-05"}))
    assert sorted(set(re.findall(r"TJ\d{4}", records))) == ["TJ0001", "TJ0002", "TJ0003"]


def test_a_department_head_asking_for_another_department_is_refused(client, stats_city):
    client.force_login(stats_city["head"])
    hr = stats_city["hr"].pk
    r = client.get(OVERVIEW, {"period": "2026-05", "department": hr})
    assert r.status_code == 403
    assert "只能查看本部门" in error_message(r)
    r = client.get(RECORDS, {"measure": "app_accepted", "period": "2026-05", "department": hr})
    assert r.status_code == 403
    r = client.get(RECORDS, {"measure": "app_accepted", "period": "2026-05", "dim": "department", "key": hr})
    assert r.status_code == 403
    assert "TJ0006" not in body(r)


# --- the window's day and the large screen ------------------------------------------------------


def test_the_window_sees_its_own_day(client, stats_city):
    client.force_login(stats_city["clerk"])
    r = client.get(reverse("analytics:window_day"))
    page = body(r)
    assert r.status_code == 200
    assert "1号窗口 综合受理" in page
    assert re.search(r"<span>受理量</span><b>1</b>", page)  # TJ0005, this morning
    assert "叫号" in page and "当前等候" in page
    other = Window.objects.create(hall=stats_city["window"].hall, number="2", name="出件", kind="delivery")
    r = client.get(reverse("analytics:window_day"), {"window": other.pk})
    assert r.status_code == 403


def test_window_staff_and_leaders_are_linked_to_the_window_day_and_a_department_head_is_not(
    stats_city, make_user
):
    from zhengwu.web.navigation import links_for

    def linked(user) -> bool:
        return "窗口当日" in [link["label"] for link in links_for(user)]

    assert linked(stats_city["clerk"]) and linked(stats_city["leader"])
    assert not linked(make_user("dept_head", department=stats_city["market"]))
    assert not linked(make_user("approver", department=stats_city["market"]))


def test_a_leader_picks_a_window_and_staff_without_one_are_refused(client, stats_city, make_user):
    client.force_login(stats_city["leader"])
    r = client.get(reverse("analytics:window_day"), {"window": stats_city["window"].pk})
    assert r.status_code == 200 and 'id="window-counters"' in body(r)
    assert client.get(reverse("analytics:window_day"), {"window": "99999"}).status_code == 404
    client.force_login(make_user("approver", department=stats_city["market"]))
    r = client.get(reverse("analytics:window_day"))
    assert r.status_code == 403 and "没有所在窗口" in error_message(r)


def test_the_large_screen_has_no_site_chrome_and_refreshes_itself(client, stats_city):
    client.force_login(stats_city["leader"])
    page = body(client.get(OVERVIEW, {"period": "2026-05", "screen": "1"}))
    assert "site-header" not in page
    assert 'hx-trigger="every 60s"' in page
    assert "<script>" not in page and "style=" not in page
    assert headline(page, "app_accepted") == "5"
    page = body(
        client.get(reverse("analytics:window_day"), {"window": stats_city["window"].pk, "screen": "1"})
    )
    assert "site-header" not in page and "hx-trigger" in page


# --- the map ------------------------------------------------------------------------------------


def test_the_map_is_one_square_per_county_the_same_every_time(client, stats_city):
    west = Region.objects.create(code="410203", name="西湖区", level=Level.COUNTY, parent=stats_city["city"])
    r = client.get(reverse("analytics:geo"))
    assert r.status_code == 200
    data = r.json()
    assert [f["properties"]["name"] for f in data["features"]] == ["东城区", "西湖区"]
    assert data["features"][1]["properties"]["region"] == west.pk
    boxes = []
    for f in data["features"]:
        ring = f["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1]
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        boxes.append((min(xs), min(ys), max(xs), max(ys)))
    a, b = boxes
    assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]  # no overlap
    assert client.get(reverse("analytics:geo")).json() == data == geo.feature_collection()


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"by": "colour"}, 400, "未知的统计维度"),
        ({"period": "2026-13"}, 400, "月份应为1至12"),
        ({"period": "下个月"}, 400, "期间应为"),
        ({"period": "2020-01"}, 422, "早于统计数据的起始日"),
        ({"period": "2027"}, 422, "尚未开始"),
        ({"region": "999999"}, 404, "没有编号为 999999 的区划"),
        ({"department": "999999"}, 404, "没有编号为 999999 的部门"),
        ({"department": "abc"}, 400, "部门参数应为数字编号"),
        ({"ind": "nothing"}, 400, "未知的统计指标"),
    ],
)
def test_bad_input_on_the_overview(client, stats_city, params, status, words):
    client.force_login(stats_city["leader"])
    r = client.get(OVERVIEW, params)
    assert r.status_code == status
    assert words in error_message(r)


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({}, 400, "缺少统计度量"),
        ({"measure": "nothing", "period": "2026-05"}, 400, "未知的统计度量"),
        (
            {"measure": "app_accepted", "period": "2026-05", "dim": "colour", "key": "1"},
            400,
            "未知的统计维度",
        ),
        ({"measure": "app_accepted", "period": "2026-05", "dim": "window"}, 400, "须指明取值"),
        ({"measure": "app_accepted", "period": "2026-05", "dim": "category", "key": "1"}, 400, "不能按"),
        ({"measure": "app_accepted", "period": "2020-05"}, 422, "早于统计数据的起始日"),
        ({"measure": "app_accepted", "period": "2026-05", "dim": "region", "key": "999999"}, 404, "县区"),
        ({"measure": "app_accepted", "period": "2026-05", "dim": "department", "key": "999999"}, 404, "部门"),
    ],
)
def test_bad_input_on_the_records(client, stats_city, params, status, words):
    client.force_login(stats_city["leader"])
    r = client.get(RECORDS, params)
    assert r.status_code == status
    assert words in error_message(r)


def test_statistics_are_for_signed_in_staff_who_may_view_them(client, stats_city, make_user):
    r = client.get(OVERVIEW)
    assert r.status_code == 302 and reverse("login") in r["Location"]
    client.force_login(make_user("approver", department=stats_city["market"]))
    r = client.get(OVERVIEW)
    assert r.status_code == 403 and "没有查看统计分析的权限" in error_message(r)
    r = client.get(RECORDS, {"measure": "app_accepted"})
    assert r.status_code == 403
