"""智能邀评 in Chromium: an application is 办结 → the invitation job schedules and sends the SMS
(read from the notifications outbox) → the short link opens, on a phone, the rating form of that
matter → the citizen rates → a second browser that had the same link open submits too and is
refused (409, 您已评价过) → the rating shows on the citizen's own 我的办件 page."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.applications.conftest import make_office, walk_in
from zhengwu.applications import services as app_services
from zhengwu.notifications.models import Message
from zhengwu.ratings import invitations
from zhengwu.ratings.models import InvitationState, Level, Rating, RatingChannel, RatingInvitation

from .test_application_journeys import media, people  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


def test_an_sms_link_rates_the_right_matter_once(browser, live_server, people, console, screenshot, media):  # noqa: F811
    office = make_office("inv_")
    app = walk_in(office).application
    app_services.review(application=app, by=office.approver)
    app_services.decide(application=app, by=office.approver, approved=True, opinion="准予许可")
    app_services.complete(application=app, by=office.approver)

    assert invitations.schedule_due() == 1
    invitation = RatingInvitation.objects.get()
    assert invitations.send_due(invitation.send_at + dt.timedelta(minutes=1)) == (1, 0)
    message = Message.objects.get(dedupe_key=f"rating-invite:application:{app.pk}")
    assert message.recipient_phone == "13900001111" and app.number in message.body
    path = re.search(r"/r/[A-Za-z0-9_-]+/", message.body).group(0)

    # The citizen opens the link on a phone; a second browser has the same link open.
    contexts = []
    pages = []
    for _ in range(2):
        context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True)
        context.on("page", console.watch)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(live_server.url + path)
        pages.append(page)
    phone, other = pages
    assert phone.inner_text("#matter-number") == app.number
    matter = phone.inner_text("#invite-matter")
    assert "食品经营许可" in matter and "市场监督管理局" in matter and "王*明" in matter
    assert "13900001111" not in phone.content()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.click("#rating-form label:has-text('4星 满意')")
    phone.fill("#id_text", "窗口很耐心")
    screenshot(phone, "rating-invitation-form")
    phone.click("#rating-form button[type=submit]")
    phone.wait_for_selector("#invite-done:has-text('感谢您的评价')")
    assert phone.locator("#rating-form").count() == 0
    rating = Rating.objects.get()
    assert rating.channel == RatingChannel.SMS and rating.level == Level.SATISFIED
    assert rating.application_id == app.pk and rating.text == "窗口很耐心"
    assert RatingInvitation.objects.get().state == InvitationState.ANSWERED

    console.expect_status(409, path)
    other.click("#rating-form label:has-text('1星 非常不满意')")
    other.click("#rating-form button[type=submit]")
    other.wait_for_selector("#refused-message")
    assert "您已评价过本办件" in other.inner_text("#refused-message")
    screenshot(other, "rating-invitation-refused")
    other.goto(live_server.url + path)
    assert "您已评价过本办件" in other.inner_text("#invite-already")
    assert other.locator("#rating-form").count() == 0
    assert Rating.objects.count() == 1
    for context in contexts:
        context.close()

    # The rating is on the citizen's own page.
    me = people()
    me.go(f"/accounts/login/?next=/apply/mine/{app.number}/")
    me.login_here(office.citizen_user.username)
    me.page.wait_for_selector("#rating-block")
    block = me.text("#rating-block")
    assert "您的评价" in block and "满意" in block and "窗口很耐心" in block
