"""One rating per matter, rater and round under concurrent submissions: eight copies of the same
rating posted at once on real threads, each with its own connection (PostgreSQL in CI's second run,
an SQLite file otherwise) — one lands, seven get the 409 message, one row and one rectification."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.hall.test_concurrency import run_together
from zhengwu.ratings.models import Rating, Rectification

from .test_online import API, completed, office  # noqa: F401 — the office fixture

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_eight_simultaneous_copies_of_one_rating_store_one(office):  # noqa: F811
    app = completed(office)
    clients = []
    for _ in range(8):
        client = Client(raise_request_exception=False)
        client.force_login(office.citizen_user)
        clients.append(client)
    body = {"matter": "application", "number": app.number, "level": 5, "text": "等了很久"}
    results = run_together([lambda c=c: c.post(API, body, content_type="application/json") for c in clients])
    statuses = sorted(getattr(r, "status_code", repr(r)) for r in results)
    assert statuses == [201] + [409] * 7, statuses
    refused = [r for r in results if r.status_code == 409]
    assert all("本轮不能重复评价" in r.json()["detail"] for r in refused)
    assert Rating.objects.filter(application=app).count() == 1
    assert Rectification.objects.filter(rating__application=app).count() == 1
