"""The citizen's side: the public web form and its receipt, tracking with 工单号 + 查询码 (public
timeline only, no probing, lock-out), rating after closure, 我的诉求, and the reply SMS."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from zhengwu.appeals import events, services
from zhengwu.appeals.attachments import MAX_BYTES
from zhengwu.appeals.models import Appeal, AppealEvent, Attachment, DailySequence
from zhengwu.appeals.notify import notify_reply
from zhengwu.appeals.public_services import WEB_VISITOR, rate_appeal
from zhengwu.appeals.public_views import GENERIC, LOCKED, TRACK_FAILURES
from zhengwu.appeals.workflow import AppealState as S
from zhengwu.core.errors import Conflict, InvalidInput
from zhengwu.notifications.models import Message, Status

from ..factories import CitizenFactory, UserFactory
from .test_attachments import EXE, tiny_png

NEW = reverse("appeals_public:new")
TRACK = reverse("appeals_public:track")
INTERNAL_NOTE = "内部意见：请先核实诉求人是否为业主"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def form_data(**changes: Any) -> dict[str, Any]:
    data = {
        "appeal_type": "complaint",
        "title": "幸福路路灯不亮",
        "body": "幸福路38号附近的路灯已经一周不亮，晚上行人很不安全。",
        "address": "东城区幸福路38号",
        "contact_name": "王女士",
        "contact_phone": "13912345678",
        "website": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def page_text(response) -> str:
    return response.content.decode()


def errors_of(response) -> str:
    return " ".join(re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', page_text(response), re.S))


def walk(desk, appeal: Appeal, upto: S) -> Appeal:
    """Move an appeal registered by the test (so its query code is known) through the services,
    leaving an internal note and staff names all along the way."""
    services.triage(appeal=appeal, category=desk.category, handling_mode="dispatch", by=desk.dispatcher)
    services.dispatch(appeal=appeal, lead=desk.lead_dept, co_handlers=[desk.co_dept], by=desk.dispatcher)
    services.sign(assignment=desk.lead(appeal), by=desk.lead_handler)
    services.add_note(appeal=appeal, text=INTERNAL_NOTE, by=desk.lead_handler)
    if upto == S.IN_PROGRESS:
        return Appeal.objects.get(pk=appeal.pk)
    services.submit_reply(appeal=appeal, text="路灯已于今日修复，感谢您的反映。", by=desk.lead_handler)
    if upto == S.REPLY_REVIEW:
        return Appeal.objects.get(pk=appeal.pk)
    services.approve_reply(appeal=appeal, by=desk.dispatcher)
    if upto == S.REPLIED:
        return Appeal.objects.get(pk=appeal.pk)
    services.record_callback(appeal=appeal, reached=True, solved="solved", satisfaction=1, by=desk.callback)
    assert upto == S.CLOSED
    return Appeal.objects.get(pk=appeal.pk)


def web_appeal(**kwargs: Any) -> tuple[Appeal, str]:
    values = {
        "channel": "web",
        "appeal_type": "complaint",
        "title": "幸福路路灯不亮",
        "body": "幸福路路灯不亮。",
        "contact_phone": "13912345678",
        "by": WEB_VISITOR,
    }
    values.update(kwargs)
    appeal, code = services.register_appeal(**values)
    assert code is not None
    return appeal, code


def track(client, number: str, code: str):
    return client.post(TRACK, {"number": number, "code": code})


# ---------------------------------------------------------------------------------------------
# 我要反映
# ---------------------------------------------------------------------------------------------


class TestWebForm:
    def test_the_form_has_plain_labels_csrf_and_a_honeypot(self, client, db):
        response = client.get(NEW)
        text = page_text(response)
        assert response.status_code == 200
        for label in (
            "咨询",
            "求助",
            "投诉",
            "举报",
            "建议",
            "表扬",
            "标题",
            "联系电话",
            "匿名举报",
            "为我保密",
        ):
            assert label in text
        assert "仅“举报”可以匿名" in text
        assert "csrfmiddlewaretoken" in text
        assert 'name="website"' in text and 'class="hp"' in text
        assert 'enctype="multipart/form-data"' in text

    def test_success_shows_the_number_and_the_code_and_files_a_web_appeal(self, client, db):
        response = client.post(NEW, form_data())
        assert response.status_code == 302 and response["Location"] == reverse("appeals_public:receipt")
        appeal = Appeal.objects.get()
        assert appeal.channel == "web" and appeal.state == S.REGISTERED
        assert appeal.submitted_by is None and appeal.registered_by is None
        receipt = client.get(response["Location"])
        text = page_text(receipt)
        assert "请记下工单号和查询码，用于查询办理进度" in text
        assert appeal.number in text
        code = re.search(r'id="receipt-code">(\d{8})<', text).group(1)
        assert services.query_code_matches(appeal, code)
        assert "打印回执" in text

    def test_attachments_are_saved_with_the_appeal(self, client, db):
        png = SimpleUploadedFile("现场照片.png", tiny_png(), content_type="image/png")
        response = client.post(NEW, {**form_data(), "attachments": [png]})
        assert response.status_code == 302
        [att] = Appeal.objects.get().attachments.all()
        assert att.name == "现场照片.png" and att.content_type == "image/png" and att.purpose == "intake"

    def test_a_logged_in_citizen_files_an_appeal_of_their_own(self, client, db):
        user = UserFactory(is_staff=False, department=None, name="王芳", phone="13912345678")
        citizen = CitizenFactory(user=user)
        client.force_login(user)
        assert 'value="王芳"' in page_text(client.get(NEW))
        client.post(NEW, form_data())
        appeal = Appeal.objects.get()
        assert appeal.submitted_by == user and appeal.citizen == citizen

    def test_staff_using_the_public_form_file_as_anyone_would(self, client, desk):
        client.force_login(desk.operator)
        client.post(NEW, form_data())
        appeal = Appeal.objects.get()
        assert appeal.submitted_by is None and appeal.registered_by is None

    @pytest.mark.parametrize(
        ("changes", "status", "field", "message"),
        [
            ({"title": ""}, 400, "title", "请填写标题"),
            ({"title": "长" * 101}, 400, "title", "标题不能超过100个字"),
            ({"body": "  "}, 400, "body", "请填写具体内容"),
            ({"appeal_type": "rumour"}, 400, "appeal_type", "反映类型不正确"),
            ({"contact_phone": "12345abc"}, 400, "contact_phone", "联系电话格式不正确"),
            ({"contact_phone": ""}, 400, "contact_phone", "请填写联系电话，以便答复和回访"),
            ({"anonymous": "on"}, 422, "anonymous", "只有举报可以匿名"),
            ({"address": "路" * 201}, 400, "address", "事发地点不能超过200个字"),
        ],
    )
    def test_each_bad_input_shows_its_chinese_message_and_saves_nothing(
        self, client, db, changes, status, field, message
    ):
        response = client.post(NEW, form_data(**changes))
        assert response.status_code == status
        text = page_text(response)
        row = re.search(rf'id="row-{field}".*?</div>\s*(<ul class="errorlist.*?</ul>)', text, re.S)
        assert row is not None and message in row.group(1), errors_of(response)
        assert not Appeal.objects.exists()
        assert not AppealEvent.objects.exists()

    def test_an_anonymous_report_needs_no_name_or_phone(self, client, db):
        response = client.post(
            NEW, form_data(appeal_type="report", anonymous="on", contact_name="李四", contact_phone="")
        )
        assert response.status_code == 302
        appeal = Appeal.objects.get()
        assert appeal.anonymous and appeal.confidential and appeal.contact_name == ""

    def test_a_bot_filling_the_honeypot_saves_nothing(self, client, db):
        response = client.post(NEW, form_data(website="http://spam.example"))
        assert response.status_code == 400
        assert "提交没有成功" in page_text(response)
        assert not Appeal.objects.exists()

    @pytest.mark.parametrize(
        ("name", "content", "message"),
        [
            ("照片.jpg", EXE, "附件「照片.jpg」不是图片或PDF文件"),
            ("大图.png", b"\x89PNG\r\n\x1a\n" + b"0" * MAX_BYTES, "附件「大图.png」超过5MB"),
        ],
    )
    def test_a_refused_attachment_saves_nothing_at_all(self, client, db, media, name, content, message):
        good = SimpleUploadedFile("ok.png", tiny_png(), content_type="image/png")
        bad = SimpleUploadedFile(name, content, content_type="image/jpeg")
        response = client.post(NEW, {**form_data(), "attachments": [good, bad]})
        assert response.status_code == 400
        assert message in errors_of(response)
        assert "请重新选择" in page_text(response)
        assert not Appeal.objects.exists()
        assert not Attachment.objects.exists()
        assert not DailySequence.objects.filter(value__gt=0).exists()
        assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))

    def test_more_than_three_attachments_are_refused(self, client, db):
        files = [SimpleUploadedFile(f"{i}.png", tiny_png(), content_type="image/png") for i in range(4)]
        response = client.post(NEW, {**form_data(), "attachments": files})
        assert response.status_code == 400
        assert "最多上传3个附件" in errors_of(response)
        assert not Appeal.objects.exists()

    def test_the_receipt_needs_a_filed_appeal_in_this_session(self, client, db):
        response = client.get(reverse("appeals_public:receipt"))
        assert response.status_code == 302 and response["Location"] == NEW


# ---------------------------------------------------------------------------------------------
# 查询进度
# ---------------------------------------------------------------------------------------------


class TestTracking:
    def test_the_right_code_shows_the_public_timeline_only(self, client, desk):
        appeal, code = web_appeal()
        walk(desk, appeal, S.REPLIED)
        response = track(client, appeal.number, code)
        status_url = reverse("appeals_public:status", args=[appeal.number])
        assert response.status_code == 302 and response["Location"] == status_url
        text = page_text(client.get(status_url))
        assert "已答复，等待回访" in text
        assert "诉求已受理登记（网站）" in text
        assert "已转交承办部门办理（协办：示范市城管局）" in text
        assert "示范市住建局" in text
        assert "路灯已于今日修复，感谢您的反映。" in text
        # Never internal notes, never staff names, never the triage (internal) step.
        assert INTERNAL_NOTE not in text
        for user in (desk.dispatcher, desk.lead_handler, desk.operator, desk.callback):
            assert user.name not in text
        assert "研判" not in text and "城市建设和市政管理" not in text

    def test_a_reply_under_review_is_not_shown(self, client, desk):
        appeal, code = web_appeal()
        walk(desk, appeal, S.REPLY_REVIEW)
        track(client, appeal.number, code)
        text = page_text(client.get(reverse("appeals_public:status", args=[appeal.number])))
        assert "路灯已于今日修复" not in text and "办理中" in text

    def test_a_wrong_code_and_an_unknown_number_get_the_same_404(self, client, desk):
        appeal, code = web_appeal()
        wrong = track(client, appeal.number, "00000000" if code != "00000000" else "11111111")
        unknown = track(client, "ZW-20990101-000001", code)
        for response in (wrong, unknown):
            assert response.status_code == 404
            assert GENERIC in page_text(response)
        assert appeal.number not in page_text(unknown)

    def test_a_forged_code_for_a_real_number_gets_404_and_no_access(self, client, desk):
        appeal, _ = web_appeal()
        _, other_code = web_appeal(title="别的诉求")
        response = track(client, appeal.number, other_code)  # a real code, of another appeal
        assert response.status_code == 404 and GENERIC in page_text(response)
        status = client.get(reverse("appeals_public:status", args=[appeal.number]))
        assert status.status_code == 302 and status["Location"].startswith(TRACK)

    def test_ten_wrong_codes_lock_the_address_for_a_while(self, client, desk, monkeypatch):
        appeal, code = web_appeal()
        for _ in range(TRACK_FAILURES.limit):
            assert track(client, appeal.number, "99999999x"[:8]).status_code == 404
        locked = track(client, appeal.number, code)
        assert locked.status_code == 429 and LOCKED in page_text(locked)
        # The address is locked for every number (a guesser would change numbers) …
        other, other_code = web_appeal(title="别的")
        assert track(client, other.number, other_code).status_code == 429
        # … another address is not, and the lock runs out.
        assert Client(REMOTE_ADDR="10.0.0.9").post(TRACK, {"number": other.number, "code": other_code})[
            "Location"
        ] == reverse("appeals_public:status", args=[other.number])
        import time as real_time

        later = real_time.time() + 16 * 60
        monkeypatch.setattr("zhengwu.core.throttle.time.time", lambda: later)
        assert track(client, appeal.number, code).status_code == 302

    def test_an_unknown_number_counts_towards_the_lock_too(self, client, db):
        for _ in range(TRACK_FAILURES.limit):
            track(client, "ZW-20990101-000009", "12345678")
        assert track(client, "ZW-20990101-000009", "12345678").status_code == 429

    def test_a_fresh_cookie_does_not_bypass_the_lock_and_guesses_write_no_session(self, desk):
        appeal, code = web_appeal()
        for _ in range(TRACK_FAILURES.limit):
            assert track(Client(), appeal.number, "00000000").status_code == 404  # a new cookie each time
        assert not Session.objects.exists()
        locked = track(Client(), appeal.number, code)
        assert locked.status_code == 429 and LOCKED in page_text(locked)
        # the API's tracking counts against the same lock
        api = Client().get("/api/appeals/track", {"number": appeal.number, "code": code})
        assert api.status_code == 429 and api.json()["detail"] == LOCKED

    def test_an_incomplete_form_is_400(self, client, db):
        response = client.post(TRACK, {"number": "", "code": ""})
        assert response.status_code == 400
        assert "请填写工单号" in page_text(response) and "请填写查询码" in page_text(response)

    def test_the_number_may_be_typed_in_lower_case_with_spaces(self, client, desk):
        appeal, code = web_appeal()
        assert track(client, f"  {appeal.number.lower()} ", f" {code} ").status_code == 302


# ---------------------------------------------------------------------------------------------
# 评价
# ---------------------------------------------------------------------------------------------


class TestRating:
    def test_after_closure_the_citizen_rates_once(self, client, desk):
        appeal, code = web_appeal()
        walk(desk, appeal, S.CLOSED)
        track(client, appeal.number, code)
        status_url = reverse("appeals_public:status", args=[appeal.number])
        text = page_text(client.get(status_url))
        assert "已办结" in text and 'id="rating-form"' in text and "非常不满意" in text
        rate_url = reverse("appeals_public:rate", args=[appeal.number])
        response = client.post(rate_url, {"level": "2", "comment": "修得很快"})
        assert response.status_code == 302
        event = appeal.events.get(action="rate")
        assert event.public and event.data == {"level": 2, "comment": "修得很快"}
        assert events.verify_chain(appeal) is None
        text = page_text(client.get(status_url))
        assert "您的评价：满意" in text and 'id="rating-form"' not in text
        again = client.post(rate_url, {"level": "1"})
        assert again.status_code == 409 and "只能评价一次" in page_text(again)
        assert appeal.events.filter(action="rate").count() == 1

    def test_no_rating_before_closure(self, client, desk):
        appeal, code = web_appeal()
        walk(desk, appeal, S.REPLIED)
        track(client, appeal.number, code)
        assert 'id="rating-form"' not in page_text(
            client.get(reverse("appeals_public:status", args=[appeal.number]))
        )
        response = client.post(reverse("appeals_public:rate", args=[appeal.number]), {"level": "1"})
        assert response.status_code == 409 and "诉求办结后才能评价" in page_text(response)
        assert not appeal.events.filter(action="rate").exists()

    def test_rating_needs_a_checked_code(self, client, desk):
        appeal, _ = web_appeal()
        walk(desk, appeal, S.CLOSED)
        response = client.post(reverse("appeals_public:rate", args=[appeal.number]), {"level": "1"})
        assert response.status_code == 404

    def test_the_service_refuses_bad_levels_and_long_comments(self, desk):
        appeal, _ = web_appeal()
        appeal = walk(desk, appeal, S.CLOSED)
        with pytest.raises(InvalidInput) as info:
            rate_appeal(appeal=appeal, level=6, comment="")
        assert info.value.field == "level"
        with pytest.raises(InvalidInput, match="不能超过500个字"):
            rate_appeal(appeal=appeal, level=1, comment="好" * 501)
        rate_appeal(appeal=appeal, level=5, comment="")
        with pytest.raises(Conflict):
            rate_appeal(appeal=appeal, level=1, comment="")

    def test_an_archived_appeal_can_still_be_rated(self, desk):
        appeal = desk.reach(S.ARCHIVED)
        assert rate_appeal(appeal=appeal, level=1, comment="").public


# ---------------------------------------------------------------------------------------------
# 我的诉求
# ---------------------------------------------------------------------------------------------


class TestMine:
    def test_a_citizen_sees_their_own_appeals_and_tracks_them_without_a_code(
        self, client, desk, django_assert_max_num_queries
    ):
        user = UserFactory(is_staff=False, department=None)
        mine = [web_appeal(title=f"我的诉求{i}", by=user)[0] for i in range(3)]
        others, _ = web_appeal(title="别人的诉求")
        client.force_login(user)
        with django_assert_max_num_queries(9):  # session, user, perms ×2, count, rows, session save ×3
            response = client.get(reverse("appeals_public:mine"))
        text = page_text(response)
        assert all(a.number in text for a in mine) and others.number not in text
        status = client.get(reverse("appeals_public:status", args=[mine[0].number]))
        assert status.status_code == 200 and "我的诉求0" in page_text(status)
        denied = client.get(reverse("appeals_public:status", args=[others.number]))
        assert denied.status_code == 302

    def test_a_visitor_is_sent_to_tracking_not_to_the_staff_login(self, client, db):
        response = client.get(reverse("appeals_public:mine"))
        assert response.status_code == 302 and response["Location"] == reverse("appeals_public:track")

    def test_staff_are_sent_to_their_work_pages(self, client, desk):
        desk.register()
        client.force_login(desk.dispatcher)
        text = page_text(client.get(reverse("appeals_public:mine")))
        assert "工作人员请在" in text and "小区门口道路破损" not in text


# ---------------------------------------------------------------------------------------------
# 答复短信
# ---------------------------------------------------------------------------------------------


class TestReplyNotice:
    @pytest.fixture(autouse=True)
    def immediate_tasks(self, settings):
        settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
        settings.NOTIFY_BACKEND = "console"

    def test_the_citizen_is_texted_once_per_approved_reply(self, desk, django_capture_on_commit_callbacks):
        appeal, _ = web_appeal()
        appeal = walk(desk, appeal, S.REPLIED)
        with django_capture_on_commit_callbacks(execute=True):
            message = notify_reply(appeal)
        assert message is not None
        message.refresh_from_db()
        assert message.status == Status.SENT and message.attempts == 1
        assert message.recipient_phone == "13912345678"
        assert message.body.startswith("【示范市12345】您反映的问题（工单号" + appeal.number + "）已有答复：")
        assert "路灯已于今日修复" in message.body and "查询" in message.body
        assert (message.about_label, message.about_id) == ("appeals.appeal", str(appeal.pk))
        with django_capture_on_commit_callbacks(execute=True):
            assert notify_reply(appeal) == message
        assert Message.objects.count() == 1

    def test_anonymous_reports_and_landlines_get_no_sms(self, desk):
        appeal, _ = web_appeal(appeal_type="report", anonymous=True, contact_phone="")
        assert notify_reply(appeal) is None
        landline, _ = web_appeal(contact_phone="0379-63212345")
        assert notify_reply(landline) is None
        assert not Message.objects.exists()
