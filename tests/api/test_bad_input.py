"""Input that once answered 500: each is now a 400 in the error format of the API it was sent to —
DRF's {"detail", "errors"} under /api/, the GeoReport list [{"code", "description"}] under
/open311/ — with a Chinese message naming the parameter. And a failure nobody foresaw answers an
API client in its own format, never with the HTML error page."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from zhengwu.appeals.models import ApiClient
from zhengwu.appeals.services import hash_api_key

from ..factories import UserFactory

KEY = "bad-input-channel-key-0001"


@pytest.fixture(autouse=True)
def _fresh_throttles(db):  # the cache is a database table
    cache.clear()
    yield
    cache.clear()


def as_user(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def drf_error(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert isinstance(data["detail"], str) and data["detail"]
    assert not data["detail"].isascii(), data  # Chinese, not Python's or DRF's English
    if field is not None:
        assert field in data["errors"], data
    return data


# ---------------------------------------------------------------------------------------------
# Open311


@pytest.mark.parametrize(
    "query",
    [
        "end_date=0001-01-01T00:00:00%2B08:00",
        "start_date=0001-01-01T00:00:00%2B08:00",
        "start_date=9999-12-31T23:00:00-08:00",
        "end_date=9999-12-31T23:59:59-12:00",
        "start_date=0001-01-01T00:00:00Z&end_date=0001-01-02T00:00:00Z",
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_dates_out_of_range_are_400_in_the_spec_format(db, query, fmt):
    response = Client().get(f"/open311/v2/requests.{fmt}?{query}")
    assert response.status_code == 400, response.content[:300]
    if fmt == "json":
        [err] = json.loads(response.content)
        assert err["code"] == 400
        assert "date" in err["description"] and "年份" in err["description"]
    else:
        assert b"<errors><error><code>400</code>" in response.content
        assert "年份".encode() in response.content


# ---------------------------------------------------------------------------------------------
# Bodies the JSON parser cannot read


@pytest.mark.parametrize("body", ["[" * 100_000, '{"a":' * 20_000])
def test_deeply_nested_json_is_400_on_every_endpoint(db, body):
    ApiClient.objects.create(name="掌上办App", key_hash=hash_api_key(KEY), channel="mobile")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"ApiKey {KEY}")
    response = api.post("/api/appeals/", body, content_type="application/json")
    data = drf_error(response, 400)
    assert "JSON" in data["detail"] and "嵌套" in data["detail"]
    staff = as_user(UserFactory(roles=["dispatcher"]))
    response = staff.post("/api/triage/suggest", body, content_type="application/json")
    assert "嵌套" in drf_error(response, 400)["detail"]


def test_malformed_json_is_400_in_chinese(db):
    ApiClient.objects.create(name="掌上办App", key_hash=hash_api_key(KEY), channel="mobile")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"ApiKey {KEY}")
    for body in ('{"title": ', "\xff\xfe", '{"a": NaN}'):
        response = api.post("/api/appeals/", body.encode("latin-1"), content_type="application/json")
        assert "JSON" in drf_error(response, 400)["detail"]


# ---------------------------------------------------------------------------------------------
# Integers beyond what the database holds


HUGE = "99999999999999999999999"


def test_integer_filter_overflow_is_400_naming_the_parameter(db):
    staff = as_user(UserFactory(roles=["dispatcher"]))
    data = drf_error(staff.get(f"/api/appeals/?department={HUGE}"), 400, "department")
    assert data["detail"].startswith("department")
    drf_error(staff.get(f"/api/appeals/?department=-{HUGE}"), 400, "department")


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/appeals/1/triage", {"category": int(HUGE), "handling_mode": "dispatch"}, "category"),
        ("/api/appeals/1/dispatch", {"lead": int(HUGE)}, "lead"),
    ],
)
def test_integer_body_overflow_is_400_naming_the_field(desk, url, body, field):
    appeal = desk.register()
    response = as_user(desk.dispatcher).post(url.replace("/1/", f"/{appeal.pk}/"), body, format="json")
    drf_error(response, 400, field)


def test_ids_beyond_the_database_in_the_path_are_404(db):
    staff = as_user(UserFactory(roles=["dispatcher"]))
    for url in (f"/api/appeals/{HUGE}/", f"/api/assignments/{HUGE}/sign", f"/api/extensions/{HUGE}/decide"):
        call = staff.get if url.endswith("/") else staff.post
        response = call(url)
        assert response.status_code == 404, (url, response.content[:300])
        assert response.json()["detail"]


# ---------------------------------------------------------------------------------------------
# The working-day calendar (public)


@pytest.mark.parametrize("days", ["1e30", "1E+30", "-1e30", "1e-30", "NaN", "Infinity", "9" * 400])
def test_calendar_add_with_absurd_days_is_400(db, days):
    response = Client().get(f"/api/calendar/add?days={days}&start=2026-01-01")
    data = drf_error(response, 400, "days")
    assert "工作日数" in data["detail"]


# ---------------------------------------------------------------------------------------------
# What nobody foresaw: API clients keep their format


@pytest.fixture
def broken_view(monkeypatch):
    """A view that fails as a bug would: an exception no handler knows."""
    from zhengwu.calendar import selectors

    def boom(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(selectors, "get_calendar", boom)


def test_unhandled_error_under_api_is_json(db, broken_view):
    client = Client(raise_request_exception=False)
    response = client.get("/api/calendar/add?days=1&start=2026-01-01")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert "服务器" in data["detail"] and data["errors"] == {}


def test_unhandled_error_under_open311_is_the_spec_format(db, monkeypatch):
    from zhengwu.appeals import open311

    def boom(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(open311, "_service_categories", boom)
    client = Client(raise_request_exception=False)
    response = client.get("/open311/v2/services.json")
    assert response.status_code == 500
    [err] = json.loads(response.content)
    assert err["code"] == 500 and "服务器" in err["description"]
    response = client.get("/open311/v2/services.xml")
    assert response.status_code == 500
    assert b"<errors><error><code>500</code>" in response.content


def test_an_unknown_url_under_api_or_open311_is_404_in_the_client_format(db):
    client = Client()
    response = client.get("/api/no-such-endpoint/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "没有找到" in response.json()["detail"]
    response = client.get("/open311/v2/no-such-thing.xml")
    assert response.status_code == 404
    assert b"<errors><error><code>404</code>" in response.content
    # a browser's page keeps the site's own HTML error page
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")


def test_a_transaction_postgresql_gave_up_in_a_race_is_a_409_not_a_503():
    """A deadlock or serialisation failure means someone else changed the record meanwhile."""
    from django.db import OperationalError
    from psycopg import errors as pg

    from zhengwu.api.errors import exception_handler

    for cause in (pg.DeadlockDetected("deadlock detected"), pg.SerializationFailure("could not serialize")):
        exc = OperationalError(str(cause))
        exc.__cause__ = cause
        response = exception_handler(exc, {})
        assert response is not None and response.status_code == 409
        assert response.data["detail"] == "已被他人修改，请刷新后重试"
    outage = OperationalError("connection refused")  # the database gone is not a race: left alone
    assert exception_handler(outage, {}) is None
