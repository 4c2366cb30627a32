"""评价公示 and the staff figures: periods, one grouped query per table, excluded ratings out of
the figures but on record, the public page without personal data, staff seeing their own
department only, drill-down lists whose counts are the figures, Excel, the API and navigation."""

from __future__ import annotations

import datetime as dt
import html
import io
import itertools
import re
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from tests.catalog.factories import ServiceItemFactory
from tests.factories import DepartmentFactory
from zhengwu.core.errors import InvalidInput
from zhengwu.org.models import Hall, Window, WindowKind
from zhengwu.ratings import services
from zhengwu.ratings.figures import figures_by, parse_period
from zhengwu.ratings.models import (
    Level,
    Rating,
    RatingChannel,
    Rectification,
    RectificationState,
    VisitKind,
    WindowVisit,
)
from zhengwu.web.navigation import links_for

TZ = ZoneInfo("Asia/Shanghai")
_serial = itertools.count(1)


def at(day: int, hour: int = 10, month: int = 6, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=TZ)


def make_rating(
    department,
    level: int,
    *,
    window=None,
    item=None,
    when: dt.datetime | None = None,
    excluded: bool = False,
    real_name: bool = False,
    state: str | None = None,
    verified: bool = False,
    channel: str = RatingChannel.PAD,
    rater_name: str = "",
    text: str = "",
    scores: dict | None = None,
    round_: int = 1,
) -> Rating:
    """A rating of a window visit, written straight to the table (the figures read the table)."""
    when = when or at(5)
    n = next(_serial)
    visit = WindowVisit.objects.create(
        window=window or Window.objects.filter(department=department).first(),
        department=department,
        kind=VisitKind.OTHER,
        service="窗口服务",
        item=item,
        finished_at=when,
    )
    rating = Rating.objects.create(
        matter_kind="visit",
        matter_key=f"visit:{visit.pk}",
        matter_number=f"FW{n:08d}",
        visit=visit,
        department=department,
        region=department.region,
        window=visit.window,
        item=item,
        channel=channel,
        rater_key=f"anon:{n}",
        rater_name=rater_name,
        real_name=real_name,
        round=round_,
        level=level,
        text=text,
        scores=scores or {},
        rated_at=when,
        excluded=excluded,
        excluded_reason="申诉成立：恶意评价" if excluded else "",
    )
    if level >= Level.DISSATISFIED:
        Rectification.objects.create(
            rating=rating,
            department=department,
            state=state or RectificationState.VERIFYING,
            verify_due_at=when + dt.timedelta(days=1),
            verified_at=when + dt.timedelta(hours=2) if verified else None,
        )
    return rating


class City:
    def __init__(self) -> None:
        self.market = DepartmentFactory(name="市场监督管理局")
        self.social = DepartmentFactory(name="人力资源和社会保障局")
        self.hall = Hall.objects.create(name="市民中心", region=self.market.region)
        self.market_window = Window.objects.create(
            hall=self.hall, number="A01", name="市场准入", kind=WindowKind.SPECIAL, department=self.market
        )
        self.social_window = Window.objects.create(
            hall=self.hall, number="B02", name="社保服务", kind=WindowKind.SPECIAL, department=self.social
        )
        self.item = ServiceItemFactory(name="食品经营许可", department=self.market)
        m, s = self.market, self.social
        # 市场监督管理局, June: 4 counted (3 good, 1 bad closed, real-name verified), 1 bad open,
        # 1 excluded 非常不满意.
        self.june = [
            make_rating(m, Level.VERY_SATISFIED, item=self.item, when=at(2)),
            make_rating(m, Level.SATISFIED, item=self.item, when=at(3)),
            make_rating(m, Level.BASICALLY, when=at(30, 23)),
            make_rating(
                m,
                Level.DISSATISFIED,
                item=self.item,
                when=at(4),
                real_name=True,
                verified=True,
                state=RectificationState.CLOSED,
            ),
            make_rating(m, Level.VERY_DISSATISFIED, when=at(6), real_name=True),
            make_rating(m, Level.VERY_DISSATISFIED, when=at(7), excluded=True),
        ]
        # 人社局, June: 2 good.
        self.social_june = [
            make_rating(s, Level.VERY_SATISFIED, when=at(8)),
            make_rating(s, Level.SATISFIED, when=at(9)),
        ]
        # Outside June: 1 July, 1 May.
        make_rating(m, Level.VERY_DISSATISFIED, when=at(1, 0, month=7))
        make_rating(m, Level.SATISFIED, when=at(31, 23, month=5))


@pytest.fixture
def city(db) -> City:
    return City()


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# ---------------------------------------------------------------------------------------------
# Periods


def test_a_period_is_a_month_quarter_or_year_in_local_time():
    june = parse_period("2026-06")
    assert (june.start, june.end, june.label) == (at(1, 0), at(1, 0, month=7), "2026年6月")
    assert parse_period("").value == "2026-06"  # this month by default
    q2 = parse_period("2026-Q2")
    assert (q2.start, q2.end) == (at(1, 0, month=4), at(1, 0, month=7))
    year = parse_period("2026")
    assert (year.start, year.end) == (at(1, 0, month=1), dt.datetime(2027, 1, 1, tzinfo=TZ))
    assert parse_period("2026-12").end == dt.datetime(2027, 1, 1, tzinfo=TZ)


@pytest.mark.parametrize(
    ("value", "words"),
    [("2026-13", "月份应为1至12"), ("2026-00", "月份应为1至12"), ("2026-Q5", "季度"), ("June", "期间应为")],
)
def test_a_period_that_is_not_one_is_refused_with_a_message(value, words):
    with pytest.raises(InvalidInput) as e:
        parse_period(value)
    assert words in e.value.message and e.value.field == "period"


# ---------------------------------------------------------------------------------------------
# Selectors


def reads(queries) -> list[str]:
    """The SELECTs a block ran, each by the main table it reads."""
    out = []
    for q in queries.captured_queries:
        if q["sql"].startswith("SELECT"):
            tables = re.findall(r'FROM "(\w+)"', q["sql"])
            out.append("ratings_rating" if "ratings_rating" in tables else tables[0])
    return out


def test_figures_per_department_come_from_one_query_and_leave_excluded_ratings_out(city):
    with CaptureQueriesContext(connection) as queries:
        rows = figures_by("department", parse_period("2026-06"))
    assert reads(queries) == ["ratings_rating", "org_department"]  # the grouped query, the names
    by_name = {r.name: r for r in rows}
    market = by_name["市场监督管理局"].figures
    assert (market.count, market.good, market.bad, market.bad_rectified) == (5, 3, 2, 1)
    assert (str(market.good_rate), str(market.rectified_rate), str(market.verified_rate)) == (
        "60.0",
        "50.0",
        "50.0",
    )
    assert by_name["市场监督管理局"].excluded == 1
    social = by_name["人力资源和社会保障局"].figures
    assert (social.count, social.good, social.bad, social.rectified_rate) == (2, 2, 0, None)
    # The same as the shared service reads for one department.
    june = Rating.objects.filter(rated_at__gte=at(1, 0), rated_at__lt=at(1, 0, month=7))
    assert services.figures(june.filter(department=city.market)) == market


def test_figures_per_window_and_item_are_one_query_each(city):
    june = parse_period("2026-06")
    with CaptureQueriesContext(connection) as queries:
        windows = figures_by("window", june)
    assert reads(queries) == ["ratings_rating", "org_window"]
    assert {r.name: r.figures.count for r in windows} == {
        "市民中心 A01号 市场准入": 5,
        "市民中心 B02号 社保服务": 2,
    }
    with CaptureQueriesContext(connection) as queries:
        items = figures_by("item", june)
    assert reads(queries) == ["ratings_rating", "catalog_serviceitem"]
    assert [(r.name, r.figures.count, r.figures.bad) for r in items] == [("食品经营许可", 3, 1)]


# ---------------------------------------------------------------------------------------------
# 评价公示


def table(response) -> str:
    return response.content.decode().split('id="figures"')[1].split("</table>")[0]


def test_the_public_page_needs_no_login_and_shows_rates_without_personal_data(city, client):
    Rating.objects.filter(pk=city.june[0].pk).update(rater_name="张三丰", text="态度很好张三丰")
    response = client.get(reverse("ratings_public:figures"), {"period": "2026-06"})
    assert response.status_code == 200
    body = table(response)
    market = body.split("市场监督管理局")[1].split("</tr>")[0]
    assert re.findall(r">\s*([^<>]+?)\s*</td>", market) == ["5", "60.0%", "2", "50.0%"]
    social = body.split("人力资源和社会保障局")[1].split("</tr>")[0]
    assert "—" in social  # no 差评: the 整改率 is not a number
    page = response.content.decode()
    assert "张三丰" not in page and "FW" not in page


def test_the_public_page_shows_windows_and_items_and_defaults_to_this_month(city, client):
    response = client.get(reverse("ratings_public:figures"), {"by": "window"})
    assert "2026年6月" in response.content.decode()
    assert "市民中心 A01号 市场准入" in table(response)
    response = client.get(reverse("ratings_public:figures"), {"by": "item", "period": "2026-Q2"})
    assert "食品经营许可" in table(response) and "2026年第2季度" in response.content.decode()


def test_a_period_without_ratings_says_so_instead_of_showing_zeros(city, client):
    response = client.get(reverse("ratings_public:figures"), {"period": "2025-01"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "该期间暂无评价" in page and 'id="figures"' not in page


def test_a_department_whose_only_ratings_are_excluded_shows_a_dash_not_a_zero_rate(city, client):
    other = DepartmentFactory(name="住房和城乡建设局")
    Window.objects.create(
        hall=city.hall, number="C03", name="住建", kind=WindowKind.SPECIAL, department=other
    )
    make_rating(other, Level.VERY_DISSATISFIED, when=at(5), excluded=True)
    body = table(client.get(reverse("ratings_public:figures"), {"period": "2026-06"}))
    row = body.split("住房和城乡建设局")[1].split("</tr>")[0]
    assert re.findall(r">\s*([^<>]+?)\s*</td>", row) == ["0", "—", "0", "—"]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"period": "2026-13"}, "月份应为1至12"),
        ({"by": "staff"}, "统计维度应为"),
        ({"period": "x"}, "期间应为"),
    ],
)
def test_bad_parameters_are_400_with_a_chinese_message(city, client, params, words):
    response = client.get(reverse("ratings_public:figures"), params)
    assert response.status_code == 400
    assert words in response.content.decode()


# ---------------------------------------------------------------------------------------------
# Staff figures and drill-down


def test_staff_figures_need_a_login(city, client):
    response = client.get(reverse("ratings_figures:figures"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_department_staff_see_their_own_department_only(city, make_user):
    clerk = login(make_user("approver", department=city.social))
    body = table(clerk.get(reverse("ratings_figures:figures"), {"period": "2026-06"}))
    assert "人力资源和社会保障局" in body and "市场监督管理局" not in body
    leader = login(make_user("leader"))
    body = table(leader.get(reverse("ratings_figures:figures"), {"period": "2026-06"}))
    assert "人力资源和社会保障局" in body and "市场监督管理局" in body


def drill_links(response) -> list[tuple[str, str, int]]:
    return [
        (kind, html.unescape(href), int(number))
        for kind, href, number in re.findall(
            r'<a class="fig-(\w+)" href="([^"]+)">(\d+)</a>', response.content.decode()
        )
    ]


@pytest.mark.parametrize("by", ["department", "window", "item"])
def test_every_figure_links_to_a_list_whose_count_is_the_figure(city, make_user, by):
    leader = login(make_user("leader"))
    links = drill_links(leader.get(reverse("ratings_figures:figures"), {"period": "2026-06", "by": by}))
    assert {kind for kind, _, _ in links} == {"all", "good", "bad", "rectified"}
    for _kind, href, number in links:
        response = leader.get(href)
        assert response.status_code == 200
        assert response.context["counted_count"] == number, href
        assert re.search(rf"<strong>{number}</strong> 条", response.content.decode())
    # The department's 评价数 5 lists 6 ratings: the excluded one stays on record, marked.
    if by == "department":
        href = next(h for k, h, n in links if k == "all" and n == 5)
        response = leader.get(href)
        assert response.context["page_obj"].paginator.count == 6
        row = response.content.decode().split(city.june[5].matter_number)[1].split("</tr>")[0]
        assert "不计入统计" in row


def test_the_drill_down_searches_by_number_and_paginates(city, make_user):
    leader = login(make_user("leader"))
    url = reverse("ratings_figures:ratings")
    number = city.june[1].matter_number
    response = leader.get(url, {"department": city.market.pk, "period": "2026-06", "q": number[-4:]})
    assert [r.matter_number for r in response.context["page_obj"]] == [number]
    for day in range(1, 28):
        make_rating(city.social, Level.SATISFIED, when=at(day, 12))
        make_rating(city.social, Level.SATISFIED, when=at(day, 13))
    response = leader.get(url, {"department": city.social.pk, "period": "2026-06", "kind": "good"})
    assert response.context["counted_count"] == 56
    assert len(response.context["page_obj"].object_list) == 50
    assert "第 1 / 2 页" in response.content.decode()


def test_another_departments_drill_down_is_404_and_a_bad_kind_400(city, make_user):
    clerk = login(make_user("approver", department=city.social))
    url = reverse("ratings_figures:ratings")
    assert clerk.get(url, {"department": city.market.pk, "period": "2026-06"}).status_code == 404
    # Without a department the list is still the clerk's own department's.
    response = clerk.get(url, {"period": "2026-06"})
    assert {r.department_id for r in response.context["page_obj"]} == {city.social.pk}
    response = clerk.get(url, {"department": city.social.pk, "kind": "secret"})
    assert response.status_code == 400 and "明细类别" in response.content.decode()
    response = clerk.get(url, {"department": "1 or 1=1"})
    assert response.status_code == 400 and "部门参数应为数字编号" in response.content.decode()


def test_the_table_and_the_drill_down_export_to_excel(city, make_user):
    leader = login(make_user("leader"))
    response = leader.get(reverse("ratings_figures:figures"), {"period": "2026-06", "format": "xlsx"})
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0][0] == "好差评统计（按部门） 2026年6月"
    assert rows[1][:4] == ["部门", "评价数", "好评数", "好评率"]
    market = next(r for r in rows if r[0] == "市场监督管理局")
    assert market[1:8] == [5, 3, "60.0%", 2, 1, "50.0%", 2]
    social = next(r for r in rows if r[0] == "人力资源和社会保障局")
    assert social[6] == "—"
    assert rows[-1][:2] == ["合计", 7]

    response = leader.get(
        reverse("ratings_figures:ratings"),
        {"department": city.market.pk, "period": "2026-06", "kind": "all", "format": "xlsx"},
    )
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0][0] == "办件编号" and len(rows) == 1 + 6
    excluded = next(r for r in rows if r[0] == city.june[5].matter_number)
    assert excluded[-1] == "不计入统计"


# ---------------------------------------------------------------------------------------------
# API


def test_the_figures_api_is_public_and_refuses_bad_parameters(city, client):
    response = client.get("/api/ratings/figures/", {"by": "department", "period": "2026-06"})
    assert response.status_code == 200
    data = response.json()
    market = next(r for r in data["rows"] if r["name"] == "市场监督管理局")
    assert market["figures"]["count"] == 5 and market["figures"]["good_rate"] == 60.0
    assert data["total"]["count"] == 7 and data["empty"] is False
    assert client.get("/api/ratings/figures/", {"period": "2025-01"}).json()["empty"] is True
    response = client.get("/api/ratings/figures/", {"period": "2026-13"})
    assert response.status_code == 400 and "月份应为1至12" in str(response.json())
    assert client.get("/api/ratings/figures/", {"by": "nobody"}).status_code == 400


def test_the_figures_api_is_in_the_schema(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert "/api/ratings/figures/" in schema["paths"] and "/api/ratings/export/" in schema["paths"]


# ---------------------------------------------------------------------------------------------
# Navigation and the 差评整改 page


def test_navigation_offers_the_public_page_to_all_and_the_figures_to_staff(city, make_user):
    assert "评价公示" in [link["label"] for link in links_for(AnonymousUser())]
    assert "评价统计" not in [link["label"] for link in links_for(AnonymousUser())]
    approver = make_user("approver", department=city.market)
    assert "评价统计" in [link["label"] for link in links_for(approver)]
    page = login(approver).get(reverse("ratings:list")).content.decode()
    assert reverse("ratings_figures:figures") in page
