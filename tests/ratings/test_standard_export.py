"""GB/T 39046 表9 export: the standard's data items and codes, anonymous raters left empty,
excluded ratings on record with 是否计入统计 0, Excel and JSON for staff of the department (all
departments for city-wide roles), and the API."""

from __future__ import annotations

import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.ratings.test_figures import City, at, login, make_rating
from zhengwu.ratings import standard
from zhengwu.ratings.figures import parse_period
from zhengwu.ratings.models import Level, Rating, RatingChannel


@pytest.fixture
def city(db) -> City:
    return City()


@pytest.fixture
def named(city) -> Rating:
    return make_rating(
        city.market,
        Level.DISSATISFIED,
        item=city.item,
        when=at(12, 15),
        channel=RatingChannel.SMS,
        real_name=True,
        rater_name="王小明",
        text="等候时间太长",
        scores={"service_efficiency": 4, "attitude": 2},
        round_=2,
    )


def test_a_record_has_the_standards_items_and_codes(city, named):
    rec = standard.record(named)
    assert rec["projectNo"] == named.matter_number
    assert (rec["channelCode"], rec["channelName"]) == ("7", "短信")
    assert (rec["raterName"], rec["realName"]) == ("王小明", "1")
    assert rec["assessTime"] == "2026-06-12 15:00:00"
    assert rec["assessNumber"] == 2
    assert (rec["satisfactionCode"], rec["satisfaction"]) == ("4", "不满意")
    assert rec["content"] == "等候时间太长"
    assert rec["areaCode"] == city.market.region.code
    assert rec["itemCode"] == city.item.implementation_code and rec["deptCode"] == city.market.uscc
    assert (rec["score_service_efficiency"], rec["score_attitude"], rec["score_efficiency"]) == ("4", "2", "")
    assert rec["counted"] == "1"


def test_an_anonymous_rater_is_empty_and_an_excluded_rating_is_on_record_uncounted(city):
    anonymous = make_rating(city.market, Level.SATISFIED, rater_name="不应出现")
    assert (standard.record(anonymous)["raterName"], standard.record(anonymous)["realName"]) == ("", "0")
    assert standard.record(city.june[5])["counted"] == "0"
    pad = standard.record(city.june[0])
    assert (pad["channelCode"], pad["satisfactionCode"]) == ("4", "1")


def test_the_json_holds_every_rating_of_the_period(city, named):
    data = standard.as_json(
        standard.ratings_for_export(Rating.objects.all(), parse_period("2026-06")), parse_period("2026-06")
    )
    assert data["count"] == 6 + 2 + 1
    assert (
        data["field_names"]["satisfactionCode"] == "满意度代码"
        and data["field_names"]["channelCode"] == "评价渠道"
    )
    assert {r["projectNo"] for r in data["records"]} == set(
        Rating.objects.filter(rated_at__gte=at(1, 0), rated_at__lt=at(1, 0, month=7)).values_list(
            "matter_number", flat=True
        )
    )


def test_department_staff_download_their_own_departments_records_as_excel(city, named, make_user):
    clerk = login(make_user("approver", department=city.market))
    response = clerk.get(reverse("ratings_figures:gbt39046", args=["xlsx"]), {"period": "2026-06"})
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    header = rows[0]
    assert header[:8] == [
        "办件编号",
        "评价渠道",
        "评价渠道名称",
        "评价人",
        "是否实名",
        "评价时间",
        "评价次数",
        "满意度代码",
    ]
    assert "行政区划代码" in header and "服务态度" in header and "平台操作性" in header
    assert len(rows) == 1 + 7  # the market's 6 June ratings and the named one, not the 人社局's
    line = next(r for r in rows if r[0] == named.matter_number)
    assert line[header.index("满意度代码")] == "4" and line[header.index("评价人")] == "王小明"
    other = {r.matter_number for r in city.social_june}
    assert not other & {r[0] for r in rows}


def test_the_json_download_and_its_scope(city, named, make_user):
    clerk = login(make_user("approver", department=city.social))
    url = reverse("ratings_figures:gbt39046", args=["json"])
    data = json.loads(clerk.get(url, {"period": "2026-06"}).content)
    assert data["count"] == 2
    assert clerk.get(url, {"period": "2026-06", "department": city.market.pk}).status_code == 404
    assert clerk.get(url, {"period": "2026-13"}).status_code == 400
    leader = login(make_user("leader"))
    data = json.loads(leader.get(url, {"period": "2026-06", "department": city.market.pk}).content)
    assert data["count"] == 7
    assert leader.get(reverse("ratings_figures:figures") + "export/gbt39046.csv").status_code == 404


def test_the_export_api_is_for_staff_and_keeps_to_their_department(city, named, make_user, client):
    assert client.get("/api/ratings/export/", {"period": "2026-06"}).status_code in (401, 403)
    citizen = login(make_user(is_staff=False, department=None))
    assert citizen.get("/api/ratings/export/", {"period": "2026-06"}).status_code == 403
    clerk = login(make_user("approver", department=city.market))
    data = clerk.get("/api/ratings/export/", {"period": "2026-06"}).json()
    assert data["count"] == 7 and {r["deptName"] for r in data["records"]} == {"市场监督管理局"}
    assert clerk.get("/api/ratings/export/", {"department": city.social.pk}).status_code == 404
    response = clerk.get("/api/ratings/export/", {"period": "2026-Q9"})
    assert response.status_code == 400 and "季度" in str(response.json())
