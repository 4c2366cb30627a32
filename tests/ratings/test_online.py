"""一事一评 online: the applicant rates a finished application or 一件事办件 on its 我的办件 page
(stars shown 1 … 5, stored as the GB/T code where 1 is best), adds a 追评, cannot rate the same
round twice; nobody else may rate; the API does the same for the applicant's own matters."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.applications.conftest import make_office, walk_in
from tests.applications.test_bundle_public import delivered
from tests.applications.test_bundles import make_birth
from zhengwu.applications import services as app_services
from zhengwu.ratings.models import Level, Rating, RatingChannel, Rectification

pytestmark = pytest.mark.django_db

PHONE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1"
API = "/api/ratings/"
MINE = "/api/ratings/mine/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def office():
    return make_office()


def completed(office):
    """The citizen's application taken in at the window, granted and 办结."""
    app = walk_in(office).application
    app_services.review(application=app, by=office.approver)
    app_services.decide(application=app, by=office.approver, approved=True, opinion="准予许可")
    app_services.complete(application=app, by=office.approver)
    app.refresh_from_db()
    assert app.completed_at is not None
    return app


def signed_in(user, **headers) -> Client:
    client = Client(**headers)
    client.force_login(user)
    return client


def page(app) -> str:
    return reverse("applications_public:detail", args=[app.number])


def rate_url(app) -> str:
    return reverse("applications_public:rate", args=[app.number])


def text(response) -> str:
    return response.content.decode()


def test_the_page_asks_for_a_rating_only_once_the_application_is_finished(office):
    app = walk_in(office).application
    client = signed_in(office.citizen_user)
    html = text(client.get(page(app)))
    assert 'id="rating-form"' not in html and "好差评" not in html
    assert client.post(rate_url(app), {"stars": "5"}).status_code == 409
    assert not Rating.objects.exists()
    app_services.review(application=app, by=office.approver)
    app_services.decide(application=app, by=office.approver, approved=True, opinion="准予许可")
    app_services.complete(application=app, by=office.approver)
    html = text(client.get(page(app)))
    assert 'id="rating-form"' in html and "办件已办结，请您对本次办理作出评价" in html
    assert "1星 非常不满意" in html and "5星 非常满意" in html
    assert "办事效率" in html and "平台操作性" in html


def test_five_stars_are_stored_as_code_1_and_shown_back(office):
    app = completed(office)
    client = signed_in(office.citizen_user)
    response = client.post(
        rate_url(app), {"stars": "5", "text": "很快", "score_efficiency": "4", "score_convenience": ""}
    )
    assert response.status_code == 302 and response["Location"] == page(app)
    rating = Rating.objects.get()
    assert rating.level == Level.VERY_SATISFIED == 1
    assert rating.scores == {"efficiency": 2}
    assert (rating.round, rating.channel, rating.real_name) == (1, RatingChannel.PC, True)
    assert rating.rater_user == office.citizen_user and rating.rater_name == "王小明"
    assert rating.rater_key == f"user:{office.citizen_user.pk}"
    html = text(client.get(page(app)))
    assert "您的评价" in html and "★★★★★" in html and "非常满意" in html and "很快" in html
    assert "办事效率 4星" in html
    assert "提交追评" in html and "感谢您的评价" in html


def test_a_phone_rates_on_the_mobile_channel_and_a_bad_rating_promises_a_callback(office):
    app = completed(office)
    client = signed_in(office.citizen_user, HTTP_USER_AGENT=PHONE_UA)
    response = client.post(rate_url(app), {"stars": "1", "text": "排队太久"}, follow=True)
    rating = Rating.objects.get()
    assert rating.level == Level.VERY_DISSATISFIED and rating.channel == RatingChannel.MOBILE
    assert Rectification.objects.filter(rating=rating).exists()
    assert "办理部门将在1个工作日内与您电话联系" in text(response)


def test_a_second_rating_of_the_same_round_is_refused_and_a_follow_up_is_taken(office):
    app = completed(office)
    client = signed_in(office.citizen_user)
    client.post(rate_url(app), {"stars": "3"})
    again = client.post(rate_url(app), {"stars": "5"})
    assert again.status_code == 409
    assert "您已评价过，本轮不能重复评价" in text(again)
    assert Rating.objects.count() == 1
    follow = client.post(rate_url(app), {"stars": "4", "text": "补充：后来很顺利", "follow_up": "on"})
    assert follow.status_code == 302
    rounds = list(Rating.objects.order_by("round").values_list("round", "level"))
    assert rounds == [(1, Level.BASICALLY), (2, Level.SATISFIED)]
    assert "第2次评价（追评）" in text(client.get(page(app)))


def test_a_missing_or_bad_star_is_named_and_nothing_saved(office):
    app = completed(office)
    client = signed_in(office.citizen_user)
    for data in ({}, {"stars": "6"}, {"stars": "5", "score_efficiency": "9"}):
        response = client.post(rate_url(app), data)
        assert response.status_code == 400
        assert re.search("请选择满意度|满意度应为1至5星|“办事效率”应为1至5星", text(response))
    assert not Rating.objects.exists()


def test_nobody_else_may_rate(client, office):
    app = completed(office)
    assert signed_in(office.stranger_user).post(rate_url(app), {"stars": "5"}).status_code == 404
    assert signed_in(office.clerk).post(rate_url(app), {"stars": "5"}).status_code == 404
    assert client.post(rate_url(app), {"stars": "5"}).status_code == 404
    assert client.get(rate_url(app)).status_code == 405
    assert not Rating.objects.exists()


def test_a_finished_bundle_application_is_rated_on_its_page():
    birth = make_birth()
    parent = delivered(birth)
    parent.refresh_from_db()
    assert parent.completed_at is not None
    client = signed_in(birth.citizen_user)
    url = reverse("applications_public:bundle_detail", args=[parent.number])
    assert 'id="rating-form"' in text(client.get(url))
    rate = reverse("applications_public:bundle_rate", args=[parent.number])
    assert client.post(rate, {"stars": "4"}).status_code == 302
    rating = Rating.objects.get()
    assert (rating.matter_kind, rating.bundle_application_id, rating.level) == ("bundle", parent.pk, 2)
    assert "满意" in text(client.get(url)) and "提交追评" in text(client.get(url))
    assert signed_in(birth.clerk).post(rate, {"stars": "4"}).status_code == 404


# ---------------------------------------------------------------------------------------------
# API


def test_the_api_rates_the_applicants_own_finished_application_and_lists_it(office):
    app = completed(office)
    client = signed_in(office.citizen_user)
    body = {
        "matter": "application",
        "number": app.number,
        "level": 2,
        "text": "好",
        "scores": {"operability": 1},
    }
    response = client.post(API, body, content_type="application/json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["level"], data["level_label"], data["round"], data["matter_number"]) == (
        2,
        "满意",
        1,
        app.number,
    )
    again = client.post(API, body, content_type="application/json")
    assert again.status_code == 409 and "本轮不能重复评价" in again.json()["detail"]
    follow = client.post(API, {**body, "follow_up": True, "level": 1}, content_type="application/json")
    assert follow.status_code == 201 and follow.json()["round"] == 2
    listed = client.get(MINE).json()["results"]
    assert [r["round"] for r in listed] == [2, 1]
    assert signed_in(office.stranger_user).get(MINE).json()["results"] == []


def test_the_api_refuses_other_peoples_matters_bad_levels_and_unfinished_ones(client, office):
    app = completed(office)
    body = {"matter": "application", "number": app.number, "level": 1}
    stranger = signed_in(office.stranger_user)
    assert stranger.post(API, body, content_type="application/json").status_code == 404
    assert signed_in(office.clerk).post(API, body, content_type="application/json").status_code == 404
    assert client.post(API, body, content_type="application/json").status_code in (401, 403)
    own = signed_in(office.citizen_user)
    for bad in (0, 6, "x"):
        response = own.post(API, {**body, "level": bad}, content_type="application/json")
        assert response.status_code == 400 and "满意度应为1（非常满意）至5（非常不满意）" in str(
            response.json()
        )
    response = own.post(API, {**body, "scores": {"speed": 1}}, content_type="application/json")
    assert response.status_code == 400 and "没有“speed”这一评价维度" in str(response.json())
    response = own.post(API, {**body, "matter": "appeal"}, content_type="application/json")
    assert response.status_code == 400
    open_app = walk_in(office).application
    response = own.post(API, {**body, "number": open_app.number}, content_type="application/json")
    assert response.status_code == 409 and "办结后才能评价" in response.json()["detail"]
    assert not Rating.objects.exists()


def test_the_api_rates_a_bundle_application():
    birth = make_birth()
    parent = delivered(birth)
    client = signed_in(birth.citizen_user)
    response = client.post(
        API, {"matter": "bundle", "number": parent.number, "level": 5}, content_type="application/json"
    )
    assert response.status_code == 201 and response.json()["matter_kind"] == "bundle"
    assert Rectification.objects.filter(rating__bundle_application=parent).exists()
