"""智能邀评: a finished matter gets one SMS invitation at a sensible hour (never to a phone that
opted out), one reminder, the short link opens the rating form of that matter and refuses a second
rating of the round; the 二维码 on the notices leads to the same form; the response rates."""

from __future__ import annotations

import datetime as dt
import re
import threading
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.appeals.conftest import desk  # noqa: F401 — the appeals desk fixture
from tests.applications.conftest import make_office, walk_in
from zhengwu.appeals.models import AppealState
from zhengwu.applications import pdf
from zhengwu.applications import services as app_services
from zhengwu.applications.models import NoticeKind
from zhengwu.notifications.models import Message
from zhengwu.ratings import invitations, services
from zhengwu.ratings.models import (
    InvitationState,
    Level,
    Rating,
    RatingChannel,
    RatingInvitation,
    RatingOptOut,
    Rectification,
)

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
LINK = re.compile(r"/r/([A-Za-z0-9_-]+)/")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = "https://zw.example.gov.cn"


@pytest.fixture(autouse=True)
def ten_oclock(time_machine):
    """The session's clock ticks on from 10:00; late in a long run it would be past 10:30, and
    matters finished then would not yet be due to be invited at the 11:00 the tests move to."""
    time_machine.move_to(at("2026-06-10 10:00"), tick=True)


@pytest.fixture
def office():
    return make_office()


def complete(office, app):
    app_services.review(application=app, by=office.approver)
    app_services.decide(application=app, by=office.approver, approved=True, opinion="准予许可")
    app_services.complete(application=app, by=office.approver)
    app.refresh_from_db()
    return app


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


def sms_for(app) -> list[Message]:
    return list(Message.objects.filter(dedupe_key__endswith=f"application:{app.pk}").order_by("id"))


def token_in(body: str) -> str:
    found = LINK.search(body)
    assert found, body
    return found.group(1)


def test_a_finished_application_gets_one_invitation_at_a_sensible_hour(office, time_machine):
    time_machine.move_to(at("2026-06-10 19:50"), tick=False)
    app = complete(office, walk_in(office).application)
    assert invitations.schedule_due() == 1
    assert invitations.schedule_due() == 0  # a second look adds nothing
    invitation = RatingInvitation.objects.get()
    assert invitation.matter_key == f"application:{app.pk}"
    assert invitation.phone == "13900001111"
    # 19:50 + 30 minutes is past 20:00: the invitation waits for 09:00 the next morning
    assert invitation.send_at == at("2026-06-11 09:00")
    # the same rater as the applicant's own 我的办件 page, so all channels share one rating per round
    assert invitation.rater_key == f"user:{office.citizen_user.pk}"
    time_machine.move_to(at("2026-06-10 23:00"), tick=False)
    assert invitations.send_due() == (0, 0)
    time_machine.move_to(at("2026-06-11 09:05"), tick=False)
    assert invitations.send_due() == (1, 0)
    assert invitations.send_due() == (0, 0)  # run twice: one SMS
    messages = sms_for(app)
    assert len(messages) == 1
    body = messages[0].body
    assert messages[0].recipient_phone == "13900001111"
    assert app.number in body and "https://zw.example.gov.cn/r/" in body
    assert "回复1-5评价（1非常满意…5非常不满意），回复TD退订" in body
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.SENT and invitation.message == messages[0]
    assert invitation.token_hash == invitations.token_hash(token_in(body))


def test_one_reminder_after_the_days_set_and_none_once_answered(office, time_machine, settings):
    settings.RATING_REMIND_AFTER_DAYS = 3
    app = complete(office, walk_in(office).application)
    other = complete(office, walk_in(office).application)
    time_machine.move_to(at("2026-06-10 11:00"), tick=False)
    invitations.schedule_due()
    assert invitations.send_due() == (2, 0)
    invitations.answer(
        RatingInvitation.objects.get(matter_key=f"application:{other.pk}"), level=1, channel=RatingChannel.SMS
    )
    time_machine.move_to(at("2026-06-12 11:00"), tick=False)
    assert invitations.send_due() == (0, 0)  # too early
    time_machine.move_to(at("2026-06-13 21:00"), tick=False)
    assert invitations.send_due() == (0, 0)  # outside the hours
    time_machine.move_to(at("2026-06-14 09:30"), tick=False)
    assert invitations.send_due() == (0, 1)
    assert invitations.send_due() == (0, 0)
    assert [m.dedupe_key for m in sms_for(app)] == [
        f"rating-invite:application:{app.pk}",
        f"rating-remind:application:{app.pk}",
    ]
    assert "温馨提醒" in sms_for(app)[1].body
    assert token_in(sms_for(app)[1].body) == token_in(sms_for(app)[0].body)  # the same link
    assert len(sms_for(other)) == 1  # answered: no reminder


def test_no_invitation_to_a_phone_that_opted_out_nor_for_a_rated_matter(office):
    RatingOptOut.objects.create(phone_key=services.phone_key("13900001111"))
    app = complete(office, walk_in(office).application)
    invitations.schedule_due()
    invitation = RatingInvitation.objects.get()
    assert invitation.state == InvitationState.SKIPPED and invitation.skipped_reason == "已退订邀评短信"
    invitations.send_due(invitation.send_at + dt.timedelta(minutes=1))
    assert sms_for(app) == []
    RatingOptOut.objects.all().delete()
    rated = complete(office, walk_in(office).application)
    invitations.rate_as_applicant(rated, level=2, channel=RatingChannel.PC)
    invitations.schedule_due()
    assert not RatingInvitation.objects.filter(matter_key=f"application:{rated.pk}").exists()


def test_an_unfinished_application_is_not_invited(office):
    walk_in(office)
    assert invitations.schedule_due() == 0
    assert not RatingInvitation.objects.exists()


def sent_link(office, time_machine):
    app = complete(office, walk_in(office).application)
    time_machine.move_to(at("2026-06-10 11:00"), tick=True)
    invitations.schedule_due()
    invitations.send_due()
    (message,) = sms_for(app)
    return app, f"/r/{token_in(message.body)}/"


def test_the_link_opens_the_matter_and_takes_one_rating_of_the_round(office, time_machine):
    app, url = sent_link(office, time_machine)
    client = Client()
    html = client.get(url).content.decode()
    assert app.number in html and "食品经营许可" in html and "市场监督管理局" in html
    assert "王*明" in html and "王小明" not in html and "13900001111" not in html
    assert 'id="rating-form"' in html
    response = client.post(url, {"stars": "2", "text": "等的时间有点长", "score_efficiency": "2"})
    assert response.status_code == 200 and "感谢您的评价" in response.content.decode()
    rating = Rating.objects.get()
    assert rating.channel == RatingChannel.SMS and rating.level == Level.DISSATISFIED
    assert rating.rater_key == f"user:{office.citizen_user.pk}" and rating.application == app
    assert rating.scores == {"efficiency": Level.DISSATISFIED}
    assert hasattr(rating, "rectification")  # a 差评 opens its case
    invitation = RatingInvitation.objects.get()
    assert invitation.state == InvitationState.ANSWERED and invitation.rating == rating
    again = Client().post(url, {"stars": "5"})
    assert again.status_code == 409 and "您已评价过本办件" in again.content.decode()
    assert Rating.objects.count() == 1
    # the applicant's own page cannot add a second first-round rating either
    own = Client()
    own.force_login(office.citizen_user)
    page = own.get(f"/apply/mine/{app.number}/").content.decode()
    assert "您的评价" in page and "等的时间有点长" in page


def test_a_link_after_an_online_rating_is_refused(office, time_machine):
    app, url = sent_link(office, time_machine)
    invitations.rate_as_applicant(app, level=1, channel=RatingChannel.PC)
    html = Client().get(url).content.decode()
    assert "您已评价过本办件" in html and 'id="rating-form"' not in html
    response = Client().post(url, {"stars": "3"})
    assert response.status_code == 409 and "您已评价过本办件" in response.content.decode()
    assert Rating.objects.count() == 1


def test_bad_links_and_bad_levels(office, time_machine):
    _, url = sent_link(office, time_machine)
    for wrong in (
        "/r/AAAAAAAAAAAAAAAAAAAA/",
        "/r/q/forged:code/",
        "/r/q/application:1/",
        "/r/q/a:b:c/",
        "/r/q/a:b:c:d/",
    ):
        response = Client().get(wrong)
        assert response.status_code == 404, wrong
        assert "没有找到要评价的办件" in response.content.decode()
    response = Client().post(url, {"stars": "9"})
    assert response.status_code == 400 and "满意度应为1至5星" in response.content.decode()
    assert not Rating.objects.exists()


def test_a_rating_code_is_the_same_whenever_printed_and_older_codes_still_open(office, time_machine):
    from django.core import signing

    key = "application:42"
    code = invitations.qr_url(key)
    time_machine.move_to(at("2027-07-15 10:00"))
    assert invitations.qr_url(key) == code
    assert invitations.qr_matter_key(invitations.qr_signed(key)) == key
    printed_before = signing.dumps(key, salt=invitations.QR_SALT, compress=True)  # value:time:signature
    assert invitations.qr_matter_key(printed_before) == key


def qr_texts(data: bytes) -> list[str]:
    image = pdfium.PdfDocument(data)[0].render(scale=200 / 72).to_pil()
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


def test_the_acceptance_notice_carries_a_rating_code_that_opens_the_form_once_finished(office):
    app = walk_in(office).application
    notice = app.notices.get(kind=NoticeKind.ACCEPTANCE)
    texts = qr_texts(pdf.render(notice))
    progress = f"https://zw.example.gov.cn/apply/track/{app.number}/"
    assert progress in texts  # the progress code is kept
    (rating_url,) = [t for t in texts if "/r/q/" in t]
    assert rating_url.startswith("https://zw.example.gov.cn/r/q/")
    path = rating_url.removeprefix("https://zw.example.gov.cn")
    html = Client().get(path).content.decode()
    assert "办结后可扫码评价" in html and 'id="rating-form"' not in html and app.number in html
    assert Client().post(path, {"stars": "5"}).status_code == 409
    complete(office, app)
    html = Client().get(path).content.decode()
    assert 'id="rating-form"' in html
    assert Client().post(path, {"stars": "5"}).status_code == 200
    rating = Rating.objects.get()
    assert rating.channel == RatingChannel.QR and rating.level == Level.VERY_SATISFIED
    assert rating.rater_key == f"user:{office.citizen_user.pk}"
    assert Client().post(path, {"stars": "4"}).status_code == 409
    assert Rating.objects.count() == 1


def test_response_rates(office, time_machine):
    start = at("2026-06-10 00:00")
    apps = [complete(office, walk_in(office).application) for _ in range(3)]
    time_machine.move_to(at("2026-06-10 11:00"), tick=False)
    invitations.schedule_due()
    invitations.send_due()
    invitations.answer(
        RatingInvitation.objects.get(matter_key=f"application:{apps[0].pk}"),
        level=1,
        channel=RatingChannel.SMS,
    )
    finished_unasked = complete(office, walk_in(office).application)
    invitations.rate_as_applicant(finished_unasked, level=2, channel=RatingChannel.PC)
    rates = invitations.response_rates((start, at("2026-06-11 00:00")))
    assert (rates.sent, rates.answered) == (3, 1)
    assert rates.response_rate == pytest.approx(1 / 3)
    # 主动评价率: one of the four finished matters was rated without an invitation
    assert (rates.finished, rates.active) == (4, 1)
    assert rates.active_rate == pytest.approx(0.25)
    assert invitations.response_rates(RatingInvitation.objects.all()).answered == 1


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_one_sms_each(time_machine):
    office = make_office("race")
    for _ in range(3):
        complete(office, walk_in(office).application)
    time_machine.move_to(at("2026-06-10 11:00"), tick=True)
    invitations.schedule_due()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            invitations.schedule_due()
            invitations.send_due()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert RatingInvitation.objects.filter(state=InvitationState.SENT).count() == 3
    assert Message.objects.filter(dedupe_key__startswith="rating-invite:").count() == 3


def test_a_finished_bundle_is_invited_and_its_link_rates_it_as_the_applicant(time_machine):
    from tests.applications.test_bundle_public import delivered
    from tests.applications.test_bundles import make_birth

    birth = make_birth()
    parent = delivered(birth)
    parent.refresh_from_db()
    assert parent.completed_at is not None
    time_machine.move_to(at("2026-06-10 11:00"), tick=True)
    invitations.schedule_due()
    invitation = RatingInvitation.objects.get(matter_key=f"bundle:{parent.pk}")
    assert invitation.rater_key == f"user:{birth.citizen_user.pk}" and invitation.phone == "13900002222"
    invitations.send_due()
    message = Message.objects.get(dedupe_key=f"rating-invite:bundle:{parent.pk}")
    url = f"/r/{token_in(message.body)}/"
    html = Client().get(url).content.decode()
    assert parent.number in html and "张*妈" in html
    assert Client().post(url, {"stars": "5"}).status_code == 200
    rating = Rating.objects.get(matter_key=f"bundle:{parent.pk}")
    assert rating.bundle_application == parent and rating.channel == RatingChannel.SMS
    assert Client().post(url, {"stars": "4"}).status_code == 409
    # the applicant's own 一件事 page shows it as their rating: the channels share the round
    own = Client()
    own.force_login(birth.citizen_user)
    page = own.get(reverse("applications_public:bundle_detail", args=[parent.number])).content.decode()
    assert "您的评价" in page and "非常满意" in page.split("您的评价")[1][:400]


def test_a_closed_appeal_is_invited_unless_already_rated(desk, time_machine):  # noqa: F811
    rated = desk.reach(AppealState.CLOSED)  # the desk's 回访 recorded a rating already
    time_machine.move_to(at("2026-06-10 11:00"), tick=True)
    invitations.schedule_due()
    assert not RatingInvitation.objects.filter(matter_key=f"appeal:{rated.pk}").exists()
    Rectification.objects.filter(rating__appeal=rated).delete()
    Rating.objects.filter(appeal=rated).delete()  # as if closed without a 回访 rating
    invitations.schedule_due()
    invitation = RatingInvitation.objects.get(matter_key=f"appeal:{rated.pk}")
    assert invitation.rater_key == services.appeal_rater_key(rated)
    assert invitation.department == services.matter_of(rated).department
    invitations.send_due()
    message = Message.objects.get(dedupe_key=f"rating-invite:appeal:{rated.pk}")
    assert rated.number in message.body
    response = Client().post(f"/r/{token_in(message.body)}/", {"stars": "3"})
    assert response.status_code == 200
    assert Rating.objects.get(appeal=rated).channel == RatingChannel.SMS


def test_the_scheduler_runs_the_invitation_job_through_the_task_queue(
    office, settings, time_machine, django_capture_on_commit_callbacks
):
    from zhengwu.core.management.commands.run_scheduler import build_scheduler
    from zhengwu.notifications.models import Status

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.NOTIFY_BACKEND = "console"
    app = complete(office, walk_in(office).application)
    time_machine.move_to(at("2026-06-10 11:00"), tick=True)
    scheduler = build_scheduler()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            scheduler.get_job("智能邀评短信").func()
    (message,) = sms_for(app)
    assert message.status == Status.SENT  # delivered by the console sender
    assert scheduler.get_job("电话邀评每周抽样") is not None
