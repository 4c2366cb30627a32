from __future__ import annotations

import pytest
from django.utils import timezone

from tests.applications.conftest import make_office, walk_in
from tests.factories import DepartmentFactory, UserFactory
from tests.ratings.test_pads import a_visit, a_window
from zhengwu.applications import services as app_services
from zhengwu.ratings import invitations, pads
from zhengwu.ratings.demo import load_demo_pads, load_demo_ratings
from zhengwu.ratings.models import Rating, RatingChannel, RatingPad, WindowVisit


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
    now = timezone.now()
    assert all(
        r.application.completed_at < r.rated_at <= now for r in Rating.objects.select_related("application")
    )
    # keyed as the applicant's own 我的办件 page keys them: a second rating there is refused
    assert all(
        r.rater_key == invitations.applicant_rater_key(r.application)
        for r in Rating.objects.select_related("application__citizen")
    )
    assert load_demo_ratings(seed=1) == 0 and Rating.objects.count() == made


def test_the_demo_pads_keep_their_links_and_rate_some_window_services(db):
    window = a_window()
    clerk = UserFactory(roles=["clerk"], window=window, department=DepartmentFactory(name="政务服务中心"))
    for n in range(12):
        a_visit(window, clerk, service=f"第{n}件")
    visits = WindowVisit.objects.count()
    links = load_demo_pads(seed=1)
    assert links and all(pads.pad_for_token(token).window == window for window, token in links)
    rated = Rating.objects.filter(matter_kind="visit")
    assert 0 < rated.count() < visits
    assert set(rated.values_list("channel", flat=True)) == {RatingChannel.PAD}
    again = load_demo_pads(seed=1)
    assert again == links and RatingPad.objects.count() == len(links)
    assert Rating.objects.filter(matter_kind="visit").count() == rated.count()
