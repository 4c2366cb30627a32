from __future__ import annotations

import pytest

from tests.applications.conftest import make_office, walk_in
from zhengwu.applications import services as app_services
from zhengwu.ratings.demo import load_demo_ratings
from zhengwu.ratings.models import Rating


@pytest.fixture
def finished_many(db):
    office = make_office()
    apps = []
    for _ in range(8):
        app = walk_in(office).application
        app_services.review(application=app, by=office.approver)
        app_services.decide(application=app, by=office.approver, approved=True, opinion="准予许可")
        app_services.complete(application=app, by=office.approver)
        apps.append(app)
    return apps


def test_the_demo_rates_finished_applications_once(finished_many):
    made = load_demo_ratings(seed=1)
    assert made == Rating.objects.count() > 0
    assert all(r.rated_at > r.application.completed_at for r in Rating.objects.select_related("application"))
    assert load_demo_ratings(seed=1) == 0 and Rating.objects.count() == made
