"""The 差评 loop's last step reaches the rater: closing the case sends one SMS with the feedback and
a link; on it the rater rates the fix once, as the next round, and the figures count it. A window
service with an application behind it reaches that applicant; one without stays anonymous."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.applications.conftest import make_office, walk_in
from tests.factories import DepartmentFactory, UserFactory
from zhengwu.applications import services as app_services
from zhengwu.notifications.models import Message
from zhengwu.ratings import feedback, pads, services
from zhengwu.ratings.models import Level, Rating, RatingChannel, VisitKind

from .test_pads import a_window

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def office():
    return make_office()


@pytest.fixture
def bad(office, django_capture_on_commit_callbacks):
    app = walk_in(office).application
    app_services.review(application=app, by=office.approver)
    app_services.decide(application=app, by=office.approver, approved=True, opinion="准予许可")
    app_services.complete(application=app, by=office.approver)
    app.refresh_from_db()
    return services.rate(
        matter=app,
        rater_key=f"user:{office.citizen_user.pk}",
        channel=RatingChannel.PC,
        level=Level.VERY_DISSATISFIED,
    )


def handle(case, by, capture):
    case = services.verify(case=case, by=by, reached=True, facts="属实")
    case = services.resolve(case=case, by=by, outcome="immediate", evidence="已当面致歉并调整窗口")
    with capture(execute=True):
        return services.close(case=case, by=by, feedback="已增设引导岗，等候时间缩短")


def link_of(message) -> str:
    return "/r/f/" + message.body.split("/r/f/")[1].split("/")[0] + "/"


def test_closing_the_case_texts_the_rater_once_and_the_fix_is_rated_once(
    office, bad, django_capture_on_commit_callbacks
):
    case = handle(bad.rectification, office.approver, django_capture_on_commit_callbacks)
    sms = Message.objects.get(about_label="ratings.rectification", about_id=str(case.pk))
    assert sms.recipient_phone == "13900001111"
    assert bad.matter_number in sms.body and "已增设引导岗" in sms.body
    assert feedback.send(case) == sms  # sent once, whoever asks again
    client = Client()
    page = client.get(link_of(sms))
    assert page.status_code == 200
    text = page.content.decode()
    assert "已增设引导岗，等候时间缩短" in text and "提交追评" in text
    response = client.post(link_of(sms), {"stars": "4", "text": "好多了"})
    assert response.status_code == 200 and "感谢您对整改结果的评价" in response.content.decode()
    fix = Rating.objects.get(matter_key=bad.matter_key, round=2)
    assert (fix.rater_key, fix.level, fix.channel) == (bad.rater_key, Level.SATISFIED, RatingChannel.SMS)
    again = client.post(link_of(sms), {"stars": "5"})
    assert again.status_code == 409 and "不能重复评价" in again.content.decode()
    assert Rating.objects.filter(matter_key=bad.matter_key).count() == 2
    figures = services.figures(Rating.objects.filter(department=bad.department))
    assert (figures.count, figures.good, figures.bad, figures.bad_rectified) == (2, 1, 1, 1)


def test_before_the_case_closes_the_link_only_says_it_is_being_handled(office, bad):
    link = f"/r/f/{feedback.signed(bad.rectification)}/"
    page = Client().get(link)
    assert page.status_code == 200 and "正在核实整改" in page.content.decode()
    refused = Client().post(link, {"stars": "5"})
    assert refused.status_code == 409 and "整改尚未办结" in refused.content.decode()
    assert Rating.objects.filter(matter_key=bad.matter_key).count() == 1


def test_a_forged_link_is_404_and_bad_stars_are_named(office, bad, django_capture_on_commit_callbacks):
    assert Client().get("/r/f/not-a-signed-value/").status_code == 404
    handle(bad.rectification, office.approver, django_capture_on_commit_callbacks)
    response = Client().post(f"/r/f/{feedback.signed(bad.rectification)}/", {"stars": "9"})
    assert response.status_code == 400 and "满意度" in response.content.decode()
    assert Rating.objects.filter(matter_key=bad.matter_key).count() == 1


def test_a_window_service_reaches_the_applicant_behind_it_and_a_bare_queue_number_nobody(
    office, django_capture_on_commit_callbacks
):
    window = a_window()
    clerk = UserFactory(roles=["clerk"], window=window, department=DepartmentFactory(name="政务大厅管理办"))
    app = walk_in(office).application
    with_app = pads.record_visit(window, clerk, VisitKind.INTAKE, "受理", application=app)
    bare = pads.record_visit(window, clerk, VisitKind.QUEUE, "咨询")
    for visit in (with_app, bare):
        rating = services.rate(
            matter=visit, rater_key=f"visit:{visit.pk}", channel=RatingChannel.PAD, level=Level.DISSATISFIED
        )
        handle(rating.rectification, clerk, django_capture_on_commit_callbacks)
    sent = Message.objects.filter(about_label="ratings.rectification")
    assert [m.recipient_phone for m in sent] == ["13900001111"]
