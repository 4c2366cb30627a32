"""The public calculation endpoints: success shapes, error shapes, status codes."""

from __future__ import annotations

from datetime import date

import pytest

from zhengwu.calendar.services import enter_year

pytestmark = pytest.mark.django_db

MESSAGE_2027 = "2027年的工作日历尚未录入：请管理员在「工作日历 → 录入年度安排」中按国务院办公厅通知录入2027年的节假日和调休安排"


def _get(client, path, **params):
    return client.get(f"/api/calendar/{path}", params)


class TestAdd:
    def test_date(self, client):
        response = _get(client, "add", start="2026-09-30", days="3")
        assert response.status_code == 200
        assert response.json() == {"start": "2026-09-30", "days": "3", "deadline": "2026-10-10"}

    def test_datetime_gives_datetime_in_beijing_time(self, client):
        response = _get(client, "add", start="2026-03-16T09:00:00+08:00", days="0.5")
        assert response.json() == {
            "start": "2026-03-16T09:00:00+08:00",
            "days": "0.5",
            "deadline": "2026-03-16T14:00:00+08:00",
        }
        response = _get(client, "add", start="2026-03-16T01:00:00Z", days="1")
        assert response.json()["deadline"] == "2026-03-16T17:30:00+08:00"

    def test_unescaped_plus_and_no_offset(self, client):
        # "+08:00" typed into a URL arrives as " 08:00"; a moment without offset is Beijing time.
        assert client.get("/api/calendar/add?start=2026-03-16T09:00:00+08:00&days=1").json()["deadline"] == (
            "2026-03-16T17:30:00+08:00"
        )
        assert (
            _get(client, "add", start="2026-03-16T09:00", days="1").json()["deadline"]
            == "2026-03-16T17:30:00+08:00"
        )

    @pytest.mark.parametrize(
        ("params", "field", "message"),
        [
            ({"days": "3"}, "start", "请提供开始日期，如 2026-09-30 或 2026-09-30T09:00:00+08:00"),
            (
                {"start": "", "days": "3"},
                "start",
                "请提供开始日期，如 2026-09-30 或 2026-09-30T09:00:00+08:00",
            ),
            (
                {"start": "2026-09-31", "days": "3"},
                "start",
                "开始日期“2026-09-31”无法识别，应为日期（2026-09-30）或带时区的时间（2026-09-30T09:00:00+08:00）",
            ),
            (
                {"start": "明天", "days": "3"},
                "start",
                "开始日期“明天”无法识别，应为日期（2026-09-30）或带时区的时间（2026-09-30T09:00:00+08:00）",
            ),
            ({"start": "2026-09-30"}, "days", "请提供工作日数，如 3 或 0.5"),
            ({"start": "2026-09-30", "days": "-1"}, "days", "工作日数不能为负数"),
            ({"start": "2026-09-30", "days": "1.005"}, "days", "工作日数最多保留两位小数"),
            ({"start": "2026-09-30", "days": "3651"}, "days", "工作日数不能超过3650"),
            ({"start": "2026-09-30", "days": "三"}, "days", "工作日数应为数字，如 3 或 0.5"),
            ({"start": "2026-09-30", "days": "NaN"}, "days", "工作日数应为数字，如 3 或 0.5"),
        ],
    )
    def test_bad_input_is_400(self, client, params, field, message):
        response = _get(client, "add", **params)
        assert response.status_code == 400
        assert response.json() == {"detail": f"{field}：{message}", "errors": {field: [message]}}

    def test_uncovered_year_is_422(self, client):
        response = _get(client, "add", start="2027-01-04", days="1")
        assert response.status_code == 422
        assert response.json() == {"detail": MESSAGE_2027, "errors": {"start": [MESSAGE_2027]}}
        response = _get(client, "add", start="2003-06-02T10:00:00+08:00", days="1")
        assert response.status_code == 422 and "2003年的工作日历尚未录入" in response.json()["detail"]

    def test_result_beyond_covered_is_422(self, client):
        response = _get(client, "add", start="2026-12-30", days="10")
        assert response.status_code == 422
        assert response.json() == {"detail": MESSAGE_2027, "errors": {"days": [MESSAGE_2027]}}

    def test_works_in_2027_once_entered(self, client, admin_user):
        enter_year(
            year=2027, holidays=[(date(2027, 1, 1), "元旦")], makeup_days=[], notice="通知", by=admin_user
        )
        assert _get(client, "add", start="2026-12-31", days="1").json()["deadline"] == "2027-01-04"


class TestBetween:
    def test_dates_and_moments(self, client):
        response = _get(client, "between", start="2026-09-30", end="2026-10-10")
        assert response.status_code == 200
        assert response.json() == {"start": "2026-09-30", "end": "2026-10-10", "working_days": "3"}
        response = _get(client, "between", start="2026-03-16T09:00:00+08:00", end="2026-03-16T14:00:00+08:00")
        assert response.json()["working_days"] == "0.5"
        assert _get(client, "between", start="2026-10-10", end="2026-09-30").json()["working_days"] == "-3"

    def test_errors(self, client):
        response = _get(client, "between", start="2026-09-30")
        assert response.status_code == 400
        assert response.json()["errors"] == {
            "end": ["请提供结束日期，如 2026-09-30 或 2026-09-30T09:00:00+08:00"]
        }
        response = _get(client, "between", start="2026-09-30", end="2027-01-08")
        assert response.status_code == 422 and response.json()["errors"] == {"end": [MESSAGE_2027]}


class TestSpecialDays:
    def test_year(self, client):
        response = _get(client, "days", year="2026")
        assert response.status_code == 200
        body = response.json()
        assert body["year"] == 2026 and body["source"] == "chinesecalendar"
        assert {"date": "2026-10-10", "kind": "makeup", "kind_name": "调休上班", "name": "国庆节"} in body[
            "days"
        ]
        assert {"date": "2026-10-01", "kind": "holiday", "kind_name": "节假日", "name": "国庆节"} in body[
            "days"
        ]
        assert [d["date"] for d in body["days"]] == sorted(d["date"] for d in body["days"])

    def test_errors(self, client):
        assert _get(client, "days").json() == {
            "detail": "year：请提供年度，如 2026",
            "errors": {"year": ["请提供年度，如 2026"]},
        }
        assert _get(client, "days", year="abc").status_code == 400
        response = _get(client, "days", year="2027")
        assert response.status_code == 422
        assert response.json() == {"detail": MESSAGE_2027, "errors": {"year": [MESSAGE_2027]}}


def test_in_the_openapi_schema(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    add = paths["/api/calendar/add"]["get"]
    assert {p["name"]: p["required"] for p in add["parameters"]} == {"start": True, "days": True}
    assert set(add["responses"]) == {"200", "400", "422"}
    assert "/api/calendar/between" in paths and "/api/calendar/days" in paths
