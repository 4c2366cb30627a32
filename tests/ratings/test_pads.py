"""The window rating pad (评价器): device tokens issued, verified and revoked; the visits a clerk's
finished queue number, intake and 出件 leave; the pad's one rating per visit through the page and
the API, with the refusals a hostile or confused device meets; a 差评 on the pad opens the
rectification case. The suite's clock is Wednesday 2026-06-10 10:00 (Asia/Shanghai)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.applications.conftest import office, walk_in  # noqa: F401
from tests.factories import DepartmentFactory, RegionFactory, UserFactory
from tests.hall.conftest import desk  # noqa: F401
from zhengwu.applications import services as applications
from zhengwu.casework.actors import Actor
from zhengwu.core.errors import Conflict, NotAllowed, NotFound
from zhengwu.hall import queue
from zhengwu.org.models import Hall, Window, WindowKind
from zhengwu.ratings import pads
from zhengwu.ratings.models import (
    Rating,
    RatingChannel,
    RatingPad,
    Rectification,
    RectificationState,
    VisitKind,
    WindowVisit,
)

pytestmark = pytest.mark.django_db


def a_window(number: str = "A01", department=None) -> Window:
    hall = Hall.objects.filter(name="市民之家").first() or Hall.objects.create(
        name="市民之家", region=RegionFactory(), opening_hours="工作日 9:00-17:30"
    )
    return Window.objects.create(
        hall=hall, number=number, name="综合受理", kind=WindowKind.COMPREHENSIVE, department=department
    )


@pytest.fixture
def admin(db):
    return UserFactory(is_superuser=True, name="管理员")


@pytest.fixture
def counter(db, admin):
    """A window with its clerk and its pad."""
    window = a_window()
    clerk = UserFactory(
        roles=["clerk"], window=window, name="张晓燕", department=DepartmentFactory(name="政务服务中心")
    )
    pad, token = pads.issue_pad(window, admin, "一号平板")
    return window, clerk, pad, token


def a_visit(window, clerk, service="居民身份证换领", **kwargs) -> WindowVisit:
    visit = pads.record_visit(window, clerk, VisitKind.OTHER, service, **kwargs)
    assert visit is not None
    return visit


# -- tokens --------------------------------------------------------------------------------------


def test_a_token_is_issued_once_kept_as_its_hash_and_revoked(counter, admin):
    window, _, pad, token = counter
    assert len(token) >= 40
    assert pad.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(RatingPad.objects.values().get(pk=pad.pk))
    found = pads.pad_for_token(token)
    assert found == pad and found.window == window
    assert RatingPad.objects.get(pk=pad.pk).last_seen_at is not None

    pads.revoke_pad(pad, admin)
    with pytest.raises(NotAllowed) as refused:
        pads.pad_for_token(token)
    assert refused.value.message == "评价器令牌无效或已吊销"
    assert RatingPad.objects.filter(pk=pad.pk, revoked_at__isnull=False).exists()  # on record


def test_forged_tokens_and_non_admins_are_refused(counter):
    window, clerk, pad, token = counter
    for forged in ("", "x", token[:-1], pad.token_hash, "a" * 500):
        with pytest.raises(NotAllowed):
            pads.pad_for_token(forged)
    with pytest.raises(NotAllowed, match="只有管理员"):
        pads.issue_pad(window, clerk)
    with pytest.raises(NotAllowed, match="只有管理员"):
        pads.revoke_pad(pad, clerk)
    assert RatingPad.objects.count() == 1


# -- visits from the window's work ---------------------------------------------------------------


def test_a_window_intake_leaves_a_visit_and_one_without_a_window_none(office):  # noqa: F811
    assert walk_in(office).application is not None
    assert not WindowVisit.objects.exists()  # the clerk has no window

    office.clerk.window = a_window()
    office.clerk.save()
    app = walk_in(office).application
    visit = WindowVisit.objects.get()
    assert (visit.kind, visit.application, visit.item, visit.staff) == (
        "intake",
        app,
        office.item,
        office.clerk,
    )
    assert visit.window == office.clerk.window
    assert visit.department == office.clerk.department  # 谁办理谁负责: the clerk's unit
    assert visit.service == "食品经营许可"


def test_a_delivery_at_the_window_leaves_a_visit(office):  # noqa: F811
    app = walk_in(office).application
    applications.review(application=app, by=office.approver)
    applications.decide(application=app, by=office.approver, approved=True, opinion="准予许可")
    applications.complete(application=app, by=office.approver, result_number="市监食许〔2026〕88号")
    applications.certify(application=app, by=office.approver, licence_number="JY14101000000001")
    office.delivery.window = a_window("C01")
    office.delivery.save()
    applications.hand_over(
        application=app,
        by=office.delivery,
        recipient_name="王小明",
        recipient_id_number=office.citizen.id_number,
    )
    visit = WindowVisit.objects.get()
    assert (visit.kind, visit.application, visit.staff) == ("delivery", app, office.delivery)
    assert visit.service == "出件：食品经营许可"


def test_a_finished_queue_number_leaves_a_visit(desk):  # noqa: F811
    ticket = queue.take_number(
        hall=desk.hall, window_kind=WindowKind.COMPREHENSIVE, by=Actor.device("取号机")
    )
    called = queue.call_next(by=desk.clerk)
    assert called == ticket
    assert not WindowVisit.objects.exists()
    queue.finish_service(ticket=called, by=desk.clerk)
    visit = WindowVisit.objects.get()
    # A window and a clerk of no department: no unit would answer for a rating, nothing recorded.
    assert pads.record_visit(a_window("Z01"), UserFactory(department=None), "queue", "咨询") is None
    assert (visit.kind, visit.ticket, visit.window, visit.staff) == (
        "queue",
        ticket,
        desk.clerk.window,
        desk.clerk,
    )
    assert visit.number == f"{ticket.day:%Y%m%d}-{ticket.number}"


# -- rating on the pad ---------------------------------------------------------------------------


def test_the_pad_offers_the_latest_unrated_visit_for_ten_minutes(counter):
    window, clerk, pad, _ = counter
    assert pads.current_visit(pad) is None
    first = a_visit(window, clerk, "第一位")
    second = a_visit(window, clerk, "第二位")
    assert pads.current_visit(pad) == second
    other = a_window("A02")
    a_visit(other, UserFactory(window=other), "别的窗口")
    assert pads.current_visit(pad) == second  # another window's work never shows here
    pads.rate_on_pad(pad, second.pk, 1)
    assert pads.current_visit(pad) is None  # the earlier person has left: not offered again
    third = a_visit(window, clerk, "第三位")
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert pads.current_visit(pad) is None
        with pytest.raises(Conflict, match="超过10分钟"):
            pads.rate_on_pad(pad, third.pk, 2)
    assert not Rating.objects.filter(visit__in=[first, third]).exists()


def test_a_rating_on_the_pad_is_anonymous_once_per_visit_and_of_its_own_window(counter):
    window, clerk, pad, _ = counter
    visit = a_visit(window, clerk)
    rating = pads.rate_on_pad(pad, visit.pk, 2, {"attitude": 1, "service_level": 2})
    assert (rating.channel, rating.visit, rating.level, rating.round) == (RatingChannel.PAD, visit, 2, 1)
    assert (rating.window, rating.staff, rating.department) == (window, clerk, clerk.department)
    assert rating.rater_user is None and not rating.real_name and rating.rater_key == f"visit:{visit.pk}"
    assert rating.scores == {"attitude": 1, "service_level": 2}

    with pytest.raises(Conflict, match="该服务已评价") as again:
        pads.rate_on_pad(pad, visit.pk, 1)
    assert again.value.status == 409

    other = a_window("A02")
    foreign = a_visit(other, UserFactory(window=other))
    with pytest.raises(NotAllowed, match="该服务不属于本窗口"):
        pads.rate_on_pad(pad, foreign.pk, 1)
    with pytest.raises(NotFound):
        pads.rate_on_pad(pad, 999999, 1)
    assert Rating.objects.count() == 1


@pytest.mark.parametrize(
    ("level", "scores", "field"),
    [
        (0, None, "level"),
        (6, None, "level"),
        ("很好", None, "level"),
        (True, None, "level"),
        (1.5, None, "level"),
        ({"level": 1}, None, "level"),
        (1, {"attitude": 9}, "scores.attitude"),
        (1, {"efficiency": 1}, "scores.efficiency"),  # an online dimension, not the window's
    ],
)
def test_values_the_faces_cannot_send_are_refused_with_422_and_nothing_saved(counter, level, scores, field):
    window, clerk, pad, _ = counter
    visit = a_visit(window, clerk)
    with pytest.raises(pads.OutOfRange) as refused:
        pads.rate_on_pad(pad, visit.pk, level, scores)
    assert refused.value.status == 422 and refused.value.field == field
    assert not Rating.objects.exists()


def test_a_bad_rating_on_the_pad_opens_the_rectification_case(counter):
    window, clerk, pad, _ = counter
    visit = a_visit(window, clerk)
    rating = pads.rate_on_pad(pad, visit.pk, 5)
    case = Rectification.objects.get(rating=rating)
    assert case.department == clerk.department
    assert case.state == RectificationState.VERIFYING
    assert case.verify_due_at > rating.rated_at


def test_the_figures_of_the_day(counter):
    window, clerk, pad, _ = counter
    for level in (1, 2, 5):
        pads.rate_on_pad(pad, a_visit(window, clerk).pk, level)
    a_visit(window, clerk)
    figures = pads.window_day_figures(window, timezone.localdate())
    assert (figures.count, figures.good, figures.bad, str(figures.good_rate)) == (3, 2, 1, "66.7")
    assert pads.window_day_served(window, timezone.localdate()) == 4
    assert pads.window_day_figures(window, timezone.localdate() - timedelta(days=1)).count == 0


# -- the API -------------------------------------------------------------------------------------


def test_the_pad_api(client, counter, admin):
    window, clerk, pad, token = counter
    auth = {"HTTP_AUTHORIZATION": f"Pad {token}"}
    for headers in ({}, {"HTTP_AUTHORIZATION": "Pad forged"}, {"HTTP_AUTHORIZATION": f"Bearer {token}"}):
        refused = client.get("/api/pad/current/", **headers)
        assert refused.status_code == 403
        assert refused.json()["detail"] == "评价器令牌无效或已吊销"

    idle = client.get("/api/pad/current/", **auth)
    assert idle.status_code == 200 and idle.json()["visit"] is None

    visit = a_visit(window, clerk, "食品经营许可")
    current = client.get("/api/pad/current/", **auth).json()
    assert current["visit"]["id"] == visit.pk
    assert current["visit"]["staff"] == "张晓燕" and current["visit"]["service"] == "食品经营许可"

    bad = client.post(
        "/api/pad/ratings/", {"visit": visit.pk, "level": 9}, content_type="application/json", **auth
    )
    assert bad.status_code == 422 and "满意度" in bad.json()["detail"]
    made = client.post(
        "/api/pad/ratings/",
        {"visit": visit.pk, "level": 1, "scores": {"attitude": 1}},
        content_type="application/json",
        **auth,
    )
    assert made.status_code == 201, made.content
    assert made.json()["level"] == 1 and made.json()["channel"] == "pad"
    again = client.post(
        "/api/pad/ratings/", {"visit": visit.pk, "level": 1}, content_type="application/json", **auth
    )
    assert again.status_code == 409 and again.json()["detail"] == "该服务已评价，每次服务只能评价一次"

    other = a_window("A02")
    foreign = a_visit(other, UserFactory(window=other))
    theirs = client.post(
        "/api/pad/ratings/", {"visit": foreign.pk, "level": 1}, content_type="application/json", **auth
    )
    assert theirs.status_code == 403 and theirs.json()["detail"] == "该服务不属于本窗口"
    missing = client.post("/api/pad/ratings/", {"level": 1}, content_type="application/json", **auth)
    assert missing.status_code == 400

    pads.revoke_pad(pad, admin)
    late = a_visit(window, clerk)
    gone = client.post(
        "/api/pad/ratings/", {"visit": late.pk, "level": 1}, content_type="application/json", **auth
    )
    assert gone.status_code == 403
    assert Rating.objects.count() == 1


def test_the_pad_api_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "post" in schema["paths"]["/api/pad/ratings/"]
    assert "get" in schema["paths"]["/api/pad/current/"]
    assert schema["components"]["securitySchemes"]["padToken"]["name"] == "Authorization"


# -- the pages -----------------------------------------------------------------------------------


def test_the_pad_page_refuses_without_or_with_a_bad_token_and_shows_no_visit(client, counter, admin):
    window, clerk, pad, token = counter
    a_visit(window, clerk, "不该显示的服务")
    for response in (
        client.get("/pad/"),
        client.get("/pad/screen/"),
        client.get("/pad/bind/forged-token/"),
    ):
        assert response.status_code == 403
        text = response.content.decode()
        assert "评价器令牌无效或已吊销" in text and "不该显示的服务" not in text
    assert "zw_pad" not in client.cookies

    pads.revoke_pad(pad, admin)
    client.cookies["zw_pad"] = token
    revoked = client.get("/pad/")
    assert revoked.status_code == 403 and "不该显示的服务" not in revoked.content.decode()


def test_binding_then_rating_a_service_on_the_pad_page(client, counter):
    window, clerk, _, token = counter
    bound = client.get(f"/pad/bind/{token}/")
    assert bound.status_code == 302 and bound["Location"] == "/pad/"
    cookie = client.cookies["zw_pad"]
    assert cookie.value == token and cookie["httponly"] and cookie["max-age"] >= 365 * 24 * 3600

    idle = client.get("/pad/").content.decode()
    assert "本窗口服务情况" in idle and "张晓燕" not in idle

    visit = a_visit(window, clerk, "居民身份证换领")
    page = client.get("/pad/").content.decode()
    assert "张晓燕" in page and "居民身份证换领" in page and "A01窗口" in page
    labels = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    positions = [page.index(f'<span class="pad-face-label">{label}</span>') for label in labels]
    assert positions == sorted(positions)  # left to right, most stars first
    assert 'name="level" value="5"' in page

    shown = f"visit-{visit.pk}"
    assert client.get("/pad/screen/", {"shown": shown}).status_code == 204  # nothing changed
    thanks = client.post("/pad/rate/", {"visit": visit.pk, "level": 5}, HTTP_HX_REQUEST="true")
    assert thanks.status_code == 200 and "感谢您的评价" in thanks.content.decode()
    assert Rating.objects.get(visit=visit).level == 5
    twice = client.post("/pad/rate/", {"visit": visit.pk, "level": 1}, HTTP_HX_REQUEST="true")
    assert twice.status_code == 409 and "该服务已评价" in twice.content.decode()

    after = client.get("/pad/screen/", {"shown": shown}).content.decode()
    assert "张晓燕" not in after and 'id="pad-count">1<' in after and 'id="pad-good-rate">0.0%<' in after


def test_the_admin_issues_a_pad_showing_its_token_once_and_revokes_it(client, admin):
    window = a_window()
    client.force_login(admin)
    added = client.post(
        "/admin/ratings/ratingpad/add/", {"window": window.pk, "label": "一号平板"}, follow=True
    )
    assert added.status_code == 200
    pad = RatingPad.objects.get()
    text = added.content.decode()
    shown = [m.message for m in added.context["messages"]]
    token = next(
        str(m).split('<code class="ident">')[1].split("</code>")[0] for m in shown if "令牌" in str(m)
    )
    assert pads.pad_for_token(token) == pad and pad.issued_by == admin and pad.label == "一号平板"
    assert f"/pad/bind/{token}/" in text
    again = client.get(f"/admin/ratings/ratingpad/{pad.pk}/change/").content.decode()
    assert token not in again

    asked = client.post("/admin/ratings/ratingpad/", {"action": "revoke", "_selected_action": [pad.pk]})
    assert "确认吊销" in asked.content.decode() and "一号平板" in asked.content.decode()
    assert pads.pad_for_token(token) == pad  # nothing revoked before the confirmation
    revoked = client.post(
        "/admin/ratings/ratingpad/",
        {"action": "revoke", "_selected_action": [pad.pk], "post": "yes"},
        follow=True,
    )
    assert "已吊销1个评价器" in revoked.content.decode()
    with pytest.raises(NotAllowed):
        pads.pad_for_token(token)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"visit": "abc", "level": 1}, 400),
        ({"visit": 10**30, "level": 1}, 404),
        ({"visit": "VISIT", "level": None}, 400),
        ({"visit": "VISIT", "level": "非常好"}, 422),
        ({"visit": "VISIT", "level": 1, "scores": "很好"}, 422),
        ({"visit": "VISIT", "level": 1, "scores": {"attitude": [1]}}, 422),
        ({"visit": "VISIT", "level": 1, "scores": {"attitude": 1e400}}, 400),  # Infinity: not JSON
        ("not json", 400),
    ],
)
def test_garbage_sent_to_the_pad_api_is_refused_with_a_message(client, counter, body, status):
    window, clerk, _, token = counter
    visit = a_visit(window, clerk)
    if isinstance(body, dict):
        body = {k: (visit.pk if v == "VISIT" else v) for k, v in body.items()}
    answer = client.post(
        "/api/pad/ratings/", body, content_type="application/json", HTTP_AUTHORIZATION=f"Pad {token}"
    )
    assert answer.status_code == status, answer.content
    assert answer.json()["detail"]
    assert not Rating.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_six_simultaneous_taps_on_one_visit_store_one_rating(counter):
    """Real threads, each with its own connection (PostgreSQL in the second run, an SQLite file
    otherwise): one 201, five 409, one rating and one rectification."""
    from django.test import Client

    from tests.hall.test_concurrency import run_together

    window, clerk, _, token = counter
    visit = a_visit(window, clerk)
    clients = [Client(raise_request_exception=False) for _ in range(6)]
    body = {"visit": visit.pk, "level": 4}
    results = run_together(
        [
            lambda c=c: c.post(
                "/api/pad/ratings/", body, content_type="application/json", HTTP_AUTHORIZATION=f"Pad {token}"
            )
            for c in clients
        ]
    )
    statuses = sorted(getattr(r, "status_code", repr(r)) for r in results)
    assert statuses == [201] + [409] * 5, statuses
    assert Rating.objects.filter(visit=visit).count() == 1
    assert Rectification.objects.filter(rating__visit=visit).count() == 1
