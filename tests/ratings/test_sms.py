"""SMS replies to 智能邀评: the parser (1–5 in any width, spaces and punctuation around, TD/退订,
garbage refused), receiving a reply (rates the phone's latest open invitation, channel 短信, or
records the opt-out), and the gateway's inbound endpoint with its token and statuses."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from tests.applications.conftest import make_office, walk_in
from zhengwu.applications import services as app_services
from zhengwu.core.errors import Conflict, InvalidInput
from zhengwu.notifications.models import Message
from zhengwu.ratings import invitations, services, sms
from zhengwu.ratings.models import (
    InvitationState,
    Level,
    Rating,
    RatingChannel,
    RatingInvitation,
    RatingOptOut,
)

SH = ZoneInfo("Asia/Shanghai")
URL = "/api/sms/inbound/"
TOKEN = "gateway-secret-2026"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", ("rate", 1)),
        ("5", ("rate", 5)),
        (" 3 ", ("rate", 3)),
        ("２", ("rate", 2)),  # full-width
        ("４。", ("rate", 4)),
        ("【1】", ("rate", 1)),
        ("\n5!\n", ("rate", 5)),
        ("TD", ("optout", None)),
        ("td", ("optout", None)),
        (" Td. ", ("optout", None)),
        ("ＴＤ", ("optout", None)),
        ("退订", ("optout", None)),
    ],
)
def test_the_parser_reads_digits_and_opt_outs(text, expected):
    assert sms.parse_reply(text) == expected


@pytest.mark.parametrize(
    "text", ["", "0", "6", "12", "1 2", "好", "满意", "T D X", "一", "-1", "1.5", None, "9" * 60]
)
def test_the_parser_refuses_anything_else(text):
    with pytest.raises(InvalidInput) as caught:
        sms.parse_reply(text)
    assert caught.value.message.startswith("回复内容无法识别，请回复1至5的数字")


pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SMS_INBOUND_TOKEN = TOKEN


@pytest.fixture
def office():
    return make_office()


def finished(office):
    app = walk_in(office).application
    app_services.review(application=app, by=office.approver)
    app_services.decide(application=app, by=office.approver, approved=True, opinion="准予许可")
    app_services.complete(application=app, by=office.approver)
    app.refresh_from_db()
    return app


@pytest.fixture
def invited(office, time_machine):
    app = finished(office)
    time_machine.move_to(dt.datetime(2026, 6, 10, 11, tzinfo=SH), tick=True)
    invitations.schedule_due()
    assert invitations.send_due() == (1, 0)
    return app


def post(body, token=TOKEN, **kwargs):
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if token is not None else {}
    return Client().post(URL, body, content_type="application/json", **headers, **kwargs)


def test_a_reply_rates_the_latest_open_invitation(invited, office):
    outcome = sms.receive("13900001111", " ４ ")
    assert outcome.action == "rated" and invited.number in outcome.message
    rating = Rating.objects.get()
    assert rating.channel == RatingChannel.SMS and rating.level == Level.DISSATISFIED
    assert rating.application == invited and rating.rater_key == f"user:{office.citizen_user.pk}"
    invitation = RatingInvitation.objects.get()
    assert invitation.state == InvitationState.ANSWERED and invitation.rating == rating
    with pytest.raises(Conflict) as caught:
        sms.receive("13900001111", "1")
    assert "没有待您评价的办件" in caught.value.message
    assert Rating.objects.count() == 1


def test_a_reply_to_an_invitation_older_than_fifteen_days_is_refused(invited, time_machine):
    time_machine.move_to(dt.datetime(2026, 6, 26, 11, tzinfo=SH))
    with pytest.raises(Conflict):
        sms.receive("13900001111", "1")
    assert not Rating.objects.exists()


def test_a_reply_after_an_online_rating_is_refused_and_changes_nothing(invited):
    invitations.rate_as_applicant(invited, level=1, channel=RatingChannel.PC)
    with pytest.raises(Conflict) as caught:
        sms.receive("13900001111", "5")
    assert "已评价" in caught.value.message
    assert Rating.objects.get().level == Level.VERY_SATISFIED
    assert RatingInvitation.objects.get().rating is None


def test_td_opts_out_and_stops_the_reminder(invited, time_machine):
    assert sms.receive("+86 139 0000 1111", "退订").action == "optout"
    assert RatingOptOut.objects.filter(phone_key=services.phone_key("13900001111")).exists()
    time_machine.move_to(dt.datetime(2026, 6, 14, 10, tzinfo=SH))
    assert invitations.send_due() == (0, 0)
    assert Message.objects.filter(dedupe_key__startswith="rating-remind:").count() == 0


def test_the_inbound_endpoint(invited):
    response = post({"phone": "13900001111", "text": "好评"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("回复内容无法识别")
    assert not Rating.objects.exists()
    response = post({"phone": "13900001111", "text": "１"})
    assert response.status_code == 200 and response.json()["action"] == "rated"
    assert Rating.objects.get().channel == RatingChannel.SMS
    response = post({"phone": "13900001111", "text": "2"})
    assert response.status_code == 409 and "没有待您评价的办件" in response.json()["detail"]
    response = post({"phone": "13800000000", "text": "TD"})
    assert response.status_code == 200 and response.json()["action"] == "optout"
    assert post({"text": "1"}).status_code == 422
    assert Rating.objects.count() == 1


def test_the_inbound_endpoint_wants_the_gateway_token(invited, settings):
    assert post({"phone": "13900001111", "text": "1"}, token="wrong").status_code == 403
    assert post({"phone": "13900001111", "text": "1"}, token=None).status_code == 403
    settings.SMS_INBOUND_TOKEN = ""
    response = post({"phone": "13900001111", "text": "1"}, token="")
    assert response.status_code == 403 and "令牌" in response.json()["detail"]
    assert not Rating.objects.exists()


class FormInbound:
    """A gateway posting ``mobile`` and ``content`` fields."""

    def parse(self, data):
        return data["mobile"], data["content"]


def test_the_adapter_is_chosen_by_setting(invited, settings):
    settings.SMS_INBOUND_ADAPTER = "tests.ratings.test_sms.FormInbound"
    response = post({"mobile": "13900001111", "content": "3"})
    assert response.status_code == 200
    assert Rating.objects.get().level == Level.BASICALLY
