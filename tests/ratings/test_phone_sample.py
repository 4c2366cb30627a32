"""电话邀评: the weekly sample (a share of each department's finished matters with a phone, at
least one, random but the same for the same week, a second run adds nothing), the callback page
(masked phone, filter, search, Excel, the response rates) and recording a call as a rating by phone."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import openpyxl
import pytest
from django.test import Client

from tests.applications.conftest import make_office, walk_in
from zhengwu.applications import services as app_services
from zhengwu.applications.models import Application
from zhengwu.core.errors import InvalidInput
from zhengwu.ratings import invitations
from zhengwu.ratings.models import Level, PhoneSample, Rating, RatingChannel, RatingSource, Rectification

pytestmark = pytest.mark.django_db
WEEK = dt.date(2026, 6, 8)  # the Monday of the tests' fixed clock (2026-06-10)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def office():
    return make_office()


def finished(office, department=None):
    app = walk_in(office).application
    app_services.review(application=app, by=office.approver)
    app_services.decide(application=app, by=office.approver, approved=True, opinion="准予许可")
    app_services.complete(application=app, by=office.approver)
    if department is not None:
        Application.objects.filter(pk=app.pk).update(department=department)
    app.refresh_from_db()
    return app


@pytest.fixture
def matters(office):
    market = [finished(office) for _ in range(5)]
    hr = [finished(office, office.other_department)]
    walk_in(office)  # not finished: never drawn
    return market, hr


def test_the_sample_is_a_share_of_each_department_at_least_one_and_reproducible(office, matters):
    market, hr = matters
    assert invitations.draw_phone_sample(WEEK, share=0.3) == 3  # ceil(5 × 0.3) = 2, and 1 of hr's 1
    drawn = list(PhoneSample.objects.order_by("matter_key").values_list("matter_key", "department_id"))
    assert sum(1 for _, d in drawn if d == office.department.pk) == 2
    assert sum(1 for _, d in drawn if d == office.other_department.pk) == 1
    assert {k for k, _ in drawn} <= {f"application:{a.pk}" for a in market + hr}
    assert PhoneSample.objects.filter(phone="13900001111").count() == 3
    assert invitations.draw_phone_sample(WEEK, share=0.3) == 0  # a second run adds nothing
    PhoneSample.objects.all().delete()
    invitations.draw_phone_sample(WEEK, share=0.3)
    again = list(PhoneSample.objects.order_by("matter_key").values_list("matter_key", "department_id"))
    assert again == drawn  # the same week draws the same matters
    assert invitations.draw_phone_sample(WEEK + dt.timedelta(days=7), share=0.3) == 0  # nothing finished then


def test_bad_weeks_and_shares_are_refused(matters):
    with pytest.raises(InvalidInput, match="周一"):
        invitations.draw_phone_sample(WEEK + dt.timedelta(days=1))
    with pytest.raises(InvalidInput, match="抽样比例"):
        invitations.draw_phone_sample(WEEK, share=0)
    assert not PhoneSample.objects.exists()


@pytest.fixture
def callback(make_user):
    return make_user("callback", department=None, name="回访甲")


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_callback_page_lists_the_week_masked_with_filters_and_excel(office, matters, callback):
    invitations.draw_phone_sample(WEEK, share=1)
    client = client_of(callback)
    html = client.get(f"/ratings/phone/?week={WEEK}").content.decode()
    assert "139****1111" in html and html.count("记录回访") == 6
    assert "邀评响应率" in html and "主动评价率" in html
    hr_number = matters[1][0].number
    html = client.get(f"/ratings/phone/?week={WEEK}&department={office.other_department.pk}").content.decode()
    assert hr_number in html and html.count("记录回访") == 1
    html = client.get(f"/ratings/phone/?week={WEEK}&q={hr_number}").content.decode()
    assert html.count("记录回访") == 1
    response = client.get(f"/ratings/phone/?week={WEEK}&format=xlsx")
    sheet = openpyxl.load_workbook(BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("抽样周", "办件编号", "办理部门", "手机号")
    assert len(rows) == 7 and all(r[3] == "139****1111" for r in rows[1:])


def test_others_may_not_see_the_sample(office, matters, make_user):
    invitations.draw_phone_sample(WEEK, share=1)
    assert Client().get("/ratings/phone/").status_code == 302
    assert client_of(office.clerk).get("/ratings/phone/").status_code == 403
    sample = PhoneSample.objects.first()
    assert (
        client_of(office.citizen_user).post(f"/ratings/phone/{sample.pk}/", {"reached": "no"}).status_code
        == 403
    )
    assert PhoneSample.objects.get(pk=sample.pk).called_at is None


def test_recording_a_call_rates_by_phone_and_opens_the_loop_for_a_bad_one(office, matters, callback):
    invitations.draw_phone_sample(WEEK, share=1)
    client = client_of(callback)
    sample = PhoneSample.objects.order_by("pk").first()
    url = f"/ratings/phone/{sample.pk}/"
    page = client.get(url).content.decode()
    assert "139****1111" in page and 'id="full-phone">13900001111' in page  # the callback role may reveal
    response = client.post(url, {"reached": "yes", "stars": ""})
    assert response.status_code == 400 and "联系上的，请记录满意度" in response.content.decode()
    assert not Rating.objects.exists()
    response = client.post(url, {"reached": "no", "note": "无人接听"})
    assert response.status_code == 302
    sample.refresh_from_db()
    assert sample.reached is False and sample.note == "无人接听" and sample.called_by == callback
    response = client.post(url, {"reached": "yes", "stars": "1", "text": "跑了三趟"})
    assert response.status_code == 302
    sample.refresh_from_db()
    rating = sample.rating
    assert rating.channel == RatingChannel.PHONE and rating.source == RatingSource.CALLBACK
    assert rating.level == Level.VERY_DISSATISFIED and rating.text == "跑了三趟"
    assert rating.rater_key == f"user:{office.citizen_user.pk}"
    assert Rectification.objects.filter(rating=rating).exists()
    assert 'id="call-form"' not in client.get(url).content.decode()
    response = client.post(url, {"reached": "yes", "stars": "5"})
    assert response.status_code == 409 and Rating.objects.count() == 1


def test_a_call_after_the_applicant_rated_online_is_refused(office, matters, callback):
    invitations.draw_phone_sample(WEEK, share=1)
    sample = PhoneSample.objects.order_by("pk").first()
    invitations.rate_as_applicant(Application.objects.get(number=sample.matter_number), level=1, channel="pc")
    response = client_of(callback).post(f"/ratings/phone/{sample.pk}/", {"reached": "yes", "stars": "2"})
    assert response.status_code == 409 and "已评价" in response.content.decode()
    sample.refresh_from_db()
    assert sample.rating is None and sample.called_at is None


def test_a_matter_already_rated_is_not_drawn(office, matters):
    market, hr = matters
    for app in market[:4]:
        invitations.rate_as_applicant(app, level=1, channel="pc")
    assert invitations.draw_phone_sample(WEEK, share=1) == 2  # market's unrated one and hr's
    assert set(PhoneSample.objects.values_list("matter_key", flat=True)) == {
        f"application:{market[4].pk}",
        f"application:{hr[0].pk}",
    }
