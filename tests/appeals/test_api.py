"""The appeals desk through the REST API: the issue's whole path, idempotent intake, bad input,
refusals (409 / 403 / 404), isolation, concurrent edits and citizen tracking."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from zhengwu.appeals import services
from zhengwu.appeals.events import verify_chain
from zhengwu.appeals.models import ApiClient, Appeal
from zhengwu.appeals.public_services import WEB_VISITOR
from zhengwu.appeals.public_views import TRACK_FAILURES
from zhengwu.appeals.services import hash_api_key
from zhengwu.appeals.workflow import AppealState as S

from ..factories import CitizenFactory, UserFactory

KEY = "mobile-app-secret-key-0001"
STALE = "已被他人修改，请刷新后重试"

NEW_APPEAL = {
    "appeal_type": "complaint",
    "title": "小区门口道路破损",
    "body": "幸福小区门口道路破损严重，雨天积水，请尽快修复。",
    "contact_name": "张先生",
    "contact_phone": "13800000001",
    "address": "东城区幸福小区",
}


@pytest.fixture(autouse=True)
def _fresh_throttles(db):  # the cache is a database table
    cache.clear()  # the tracking endpoint is rate-limited per address
    yield
    cache.clear()


@pytest.fixture
def channel(db) -> ApiClient:
    return ApiClient.objects.create(name="掌上办App", key_hash=hash_api_key(KEY), channel="mobile")


def as_client(key: str = KEY) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"ApiKey {key}")
    return api


def as_user(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def dt(value: str) -> datetime:
    parsed = parse_datetime(value)
    assert parsed is not None
    return parsed


def assignment(detail: dict, role: str, department) -> dict:
    (found,) = [
        a
        for a in detail["assignments"]
        if a["role"] == role and a["department"]["id"] == department.pk and a["state"] != "cancelled"
    ]
    return found


class TestTheWholePath:
    def test_register_to_closed_through_the_api(self, desk, channel):
        # A channel files; a retry of the same request changes nothing.
        filed = as_client().post("/api/appeals/", NEW_APPEAL, format="json", HTTP_IDEMPOTENCY_KEY="app-1")
        assert filed.status_code == 201, filed.json()
        number, code, pk = filed.json()["number"], filed.json()["query_code"], filed.json()["id"]
        assert number.startswith("ZW-") and len(code) == 8

        dispatcher = as_user(desk.dispatcher)
        lead, co, other = as_user(desk.lead_handler), as_user(desk.co_handler), as_user(desk.other_handler)
        version = filed.json()["version"]

        def act(api: APIClient, url: str, payload: dict | None = None, expect: str | None = None) -> dict:
            nonlocal version
            r = api.post(url, {"version": version, **(payload or {})}, format="json")
            assert r.status_code == 200, r.json()
            body = r.json()
            version = body["version"]
            if expect:
                assert body["state"] == expect
            return body

        act(
            dispatcher,
            f"/api/appeals/{pk}/triage",
            {"category": desk.category.pk, "handling_mode": "dispatch"},
            "triaged",
        )
        detail = act(
            dispatcher,
            f"/api/appeals/{pk}/dispatch",
            {"lead": desk.lead_dept.pk, "co_handlers": [desk.co_dept.pk]},
            "dispatched",
        )
        first_due = dt(detail["due_at"])
        lead_a = assignment(detail, "lead", desk.lead_dept)
        assert dt(lead_a["handle_due_at"]) == first_due and lead_a["sign_light"] in ("green", "yellow")

        # The co-handler returns its share; the dispatcher re-dispatches it.
        co_a = assignment(detail, "co", desk.co_dept)
        detail = act(
            co, f"/api/assignments/{co_a['id']}/return", {"reason": "道路积水归水利部门"}, "dispatched"
        )
        detail = act(dispatcher, f"/api/assignments/{co_a['id']}/redispatch", {"to": desk.other_dept.pk})
        fresh = assignment(detail, "co", desk.other_dept)
        assert fresh["state"] == "pending"

        act(lead, f"/api/assignments/{lead_a['id']}/sign", expect="in_progress")
        act(other, f"/api/assignments/{fresh['id']}/sign")

        # The deadline moves only when the extension is approved.
        until = first_due + timedelta(days=30)
        detail = act(
            lead,
            f"/api/assignments/{lead_a['id']}/request-extension",
            {"reason": "需协调施工单位", "until": until.isoformat()},
        )
        assert dt(detail["due_at"]) == first_due
        (ext,) = assignment(detail, "lead", desk.lead_dept)["extensions"]
        assert ext["state"] == "pending"
        detail = act(dispatcher, f"/api/extensions/{ext['id']}/decide", {"approve": True})
        assert dt(detail["due_at"]) == until
        assert assignment(detail, "lead", desk.lead_dept)["extensions"][0]["state"] == "approved"

        act(other, f"/api/assignments/{fresh['id']}/contribution", {"text": "已疏通排水口。"})
        act(lead, f"/api/appeals/{pk}/reply", {"text": "已修复路面并疏通排水。"}, "reply_review")
        act(dispatcher, f"/api/appeals/{pk}/approve-reply", expect="replied")

        callback = as_user(desk.callback)
        detail = act(
            callback,
            f"/api/appeals/{pk}/callback",
            {"reached": True, "solved": "not_solved", "satisfaction": 4},
            "in_progress",
        )
        assert detail["reopen_count"] == 1 and dt(detail["due_at"]) != until

        act(lead, f"/api/appeals/{pk}/reply", {"text": "已返工，路面平整。"}, "reply_review")
        act(dispatcher, f"/api/appeals/{pk}/approve-reply", expect="replied")
        detail = act(
            callback,
            f"/api/appeals/{pk}/callback",
            {"reached": True, "solved": "solved", "satisfaction": 1},
            "closed",
        )
        assert detail["closed_at"] is not None
        assert {a["state"] for a in detail["assignments"]} == {"done", "cancelled"}
        assert [e["action"] for e in detail["timeline"]] == [
            "register",
            "triage",
            "dispatch",
            "co_return",
            "redispatch",
            "sign",
            "co_sign",
            "request_extension",
            "decide_extension",
            "co_submit",
            "reply",
            "approve_reply",
            "callback",
            "reply",
            "approve_reply",
            "callback",
        ]
        assert [e["seq"] for e in detail["timeline"]] == list(range(1, 17))
        assert detail["timeline"][1]["actor"] == "周派单"  # staff see who did it
        assert verify_chain(Appeal.objects.get(pk=pk)) is None

        # The citizen follows it with the number and the query code: public steps, no staff names.
        tracked = APIClient().get("/api/appeals/track", {"number": number, "code": code})
        assert tracked.status_code == 200
        body = tracked.json()
        assert body["state"] == "closed" and body["reply"] == "已返工，路面平整。"
        actors = {e["actor"] for e in body["timeline"]}
        assert actors <= {"12345热线", desk.lead_dept.name, desk.other_dept.name}
        assert "sign" in [e["action"] for e in body["timeline"]]
        assert "request_extension" not in [e["action"] for e in body["timeline"]]  # internal
        assert "周派单" not in tracked.content.decode() and "住建承办" not in tracked.content.decode()


class TestIntake:
    def test_a_retry_with_the_same_key_creates_one_appeal(self, desk, channel):
        first = as_client().post("/api/appeals/", NEW_APPEAL, format="json", HTTP_IDEMPOTENCY_KEY="req-42")
        again = as_client().post("/api/appeals/", NEW_APPEAL, format="json", HTTP_IDEMPOTENCY_KEY="req-42")
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["number"] == again.json()["number"]
        assert first.json()["query_code"] and again.json()["query_code"] is None
        assert again.json()["created"] is False
        assert Appeal.objects.count() == 1
        assert Appeal.objects.get().channel == "mobile"  # the client's own channel

    def test_external_id_in_the_body_works_the_same(self, desk, channel):
        payload = {**NEW_APPEAL, "external_id": "ENT-2026-7"}
        assert as_client().post("/api/appeals/", payload, format="json").status_code == 201
        assert as_client().post("/api/appeals/", payload, format="json").status_code == 200
        assert Appeal.objects.count() == 1

    def test_keys_are_scoped_to_each_client(self, desk, channel):
        ApiClient.objects.create(
            name="企业投诉中心", key_hash=hash_api_key("other-key"), channel="enterprise"
        )
        a = as_client().post("/api/appeals/", NEW_APPEAL, format="json", HTTP_IDEMPOTENCY_KEY="1")
        b = as_client("other-key").post("/api/appeals/", NEW_APPEAL, format="json", HTTP_IDEMPOTENCY_KEY="1")
        assert (a.status_code, b.status_code) == (201, 201)
        assert a.json()["number"] != b.json()["number"]

    def test_an_operator_files_on_a_chosen_channel(self, desk):
        r = as_user(desk.operator).post("/api/appeals/", {**NEW_APPEAL, "channel": "hotline"}, format="json")
        assert r.status_code == 201
        appeal = Appeal.objects.get()
        assert appeal.number.startswith("12345-") and appeal.registered_by == desk.operator

    def test_an_operator_must_name_the_channel(self, desk):
        r = as_user(desk.operator).post("/api/appeals/", NEW_APPEAL, format="json")
        assert r.status_code == 400 and r.json()["errors"] == {"channel": ["请选择受理渠道"]}

    def test_a_citizen_files_on_the_web_for_themself(self, desk):
        person = UserFactory(is_staff=False, department=None)
        citizen = CitizenFactory(user=person)
        r = as_user(person).post("/api/appeals/", NEW_APPEAL, format="json")
        assert r.status_code == 201
        appeal = Appeal.objects.get()
        assert (appeal.channel, appeal.submitted_by, appeal.citizen) == ("web", person, citizen)
        hotline = as_user(person).post("/api/appeals/", {**NEW_APPEAL, "channel": "hotline"}, format="json")
        assert hotline.status_code == 400 and "channel" in hotline.json()["errors"]

    def test_staff_without_the_intake_role_cannot_file(self, desk):
        r = as_user(desk.lead_handler).post(
            "/api/appeals/", {**NEW_APPEAL, "channel": "hotline"}, format="json"
        )
        assert r.status_code == 403 and r.json()["detail"] == "您的角色不能登记诉求"

    def test_nobody_unknown_files(self, desk, channel):
        anonymous = APIClient().post("/api/appeals/", NEW_APPEAL, format="json")
        assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"].startswith("ApiKey")
        bad = as_client("not-a-key").post("/api/appeals/", NEW_APPEAL, format="json")
        assert bad.status_code == 401 and bad.json()["detail"] == "API 密钥无效或已停用"
        channel.is_active = False
        channel.save()
        assert as_client().post("/api/appeals/", NEW_APPEAL, format="json").status_code == 401
        assert not Appeal.objects.exists()

    def test_a_client_may_only_file(self, desk, channel):
        desk.register()
        r = as_client().get("/api/appeals/")
        assert r.status_code == 403 and r.json()["detail"] == "接口客户端只能登记诉求"


class TestBadInput:
    @pytest.mark.parametrize(
        ("changes", "status", "field", "message"),
        [
            ({"title": None}, 400, "title", "该字段是必填项"),
            ({"title": "  "}, 400, "title", "请填写标题"),
            ({"title": "长" * 101}, 400, "title", "标题不能超过100个字"),
            ({"body": "字" * 5001}, 400, "body", "诉求内容不能超过5000个字"),
            ({"contact_name": "名" * 51}, 400, "contact_name", "联系人不能超过50个字"),
            ({"contact_phone": "12345abc"}, 400, "contact_phone", "联系电话格式不正确"),
            ({"contact_phone": ""}, 400, "contact_phone", "请填写联系电话"),
            ({"appeal_type": "other"}, 400, "appeal_type", "不是合法选项"),
            ({"urgency": "whenever"}, 400, "urgency", "不是合法选项"),
            ({"anonymous": True}, 422, "anonymous", "只有举报可以匿名"),
            ({"citizen": 999999}, 400, "citizen", "没有编号为 999999 的自然人"),
        ],
    )
    def test_intake_names_the_field_and_saves_nothing(self, desk, changes, status, field, message):
        payload = {**NEW_APPEAL, "channel": "hotline", **changes}
        payload = {k: v for k, v in payload.items() if v is not None}
        r = as_user(desk.operator).post("/api/appeals/", payload, format="json")
        assert r.status_code == status, r.json()
        assert field in r.json()["errors"] and message in r.json()["errors"][field][0]
        assert message in r.json()["detail"]
        assert not Appeal.objects.exists()

    def test_malformed_json_is_400(self, desk):
        r = as_user(desk.operator).post("/api/appeals/", "{not json", content_type="application/json")
        assert r.status_code == 400 and r.json()["detail"]
        assert not Appeal.objects.exists()

    def test_an_unknown_category_or_department_is_named(self, desk):
        appeal = desk.reach(S.REGISTERED)
        dispatcher = as_user(desk.dispatcher)
        r = dispatcher.post(
            f"/api/appeals/{appeal.pk}/triage",
            {"category": 999999, "handling_mode": "dispatch"},
            format="json",
        )
        assert r.status_code == 400 and r.json()["errors"]["category"] == ["没有编号为 999999 的诉求分类"]
        r = dispatcher.post(
            f"/api/appeals/{appeal.pk}/triage",
            {"category": desk.category.pk, "handling_mode": "x"},
            format="json",
        )
        assert r.status_code == 400 and "handling_mode" in r.json()["errors"]
        appeal = desk.reach(S.TRIAGED)
        r = dispatcher.post(
            f"/api/appeals/{appeal.pk}/dispatch",
            {"lead": desk.lead_dept.pk, "co_handlers": [424242]},
            format="json",
        )
        assert r.status_code == 400 and r.json()["errors"]["co_handlers"] == ["没有编号为 424242 的协办单位"]
        assert Appeal.objects.get(pk=appeal.pk).state == S.TRIAGED and not appeal.assignments.exists()

    def test_an_extension_shorter_than_the_current_limit_is_refused(self, desk):
        appeal = desk.reach(S.IN_PROGRESS)
        lead = desk.lead(appeal)
        r = as_user(desk.lead_handler).post(
            f"/api/assignments/{lead.pk}/request-extension",
            {"reason": "需要协调", "until": (lead.handle_due_at - timedelta(hours=1)).isoformat()},
            format="json",
        )
        assert r.status_code == 422 and "须晚于当前期限" in r.json()["errors"]["until"][0]
        assert not lead.extensions.exists()

    def test_a_return_without_a_reason(self, desk):
        appeal = desk.reach(S.DISPATCHED)
        r = as_user(desk.lead_handler).post(
            f"/api/assignments/{desk.lead(appeal).pk}/return", {"reason": " "}, format="json"
        )
        assert r.status_code == 400 and r.json()["errors"] == {"reason": ["请填写退单理由"]}


class TestRefusals:
    def test_an_action_the_state_does_not_allow_is_409(self, desk):
        appeal = desk.reach(S.TRIAGED)
        r = as_user(desk.dispatcher).post(f"/api/appeals/{appeal.pk}/approve-reply", {}, format="json")
        assert r.status_code == 409
        assert r.json()["detail"] == "当前状态为“待派单”，不能审核通过并答复诉求人"
        assert Appeal.objects.get(pk=appeal.pk).version == appeal.version

    def test_an_action_the_role_does_not_allow_is_403(self, desk):
        appeal = desk.reach(S.TRIAGED)
        r = as_user(desk.callback).post(
            f"/api/appeals/{appeal.pk}/dispatch", {"lead": desk.lead_dept.pk}, format="json"
        )
        assert r.status_code == 403 and r.json()["detail"] == "您的角色不能派单"
        assert not appeal.assignments.exists()

    def test_another_departments_share_is_403(self, desk):
        appeal = desk.reach(S.DISPATCHED)  # the co-handler sees the appeal, not the lead's share
        r = as_user(desk.co_handler).post(f"/api/assignments/{desk.lead(appeal).pk}/sign", {}, format="json")
        assert r.status_code == 403 and "本部门" in r.json()["detail"]

    def test_another_departments_appeal_is_404(self, desk):
        appeal = desk.reach(S.DISPATCHED)
        other = as_user(desk.other_handler)
        assert other.get(f"/api/appeals/{appeal.pk}/").status_code == 404
        r = other.post(f"/api/assignments/{desk.lead(appeal).pk}/sign", {}, format="json")
        assert r.status_code == 404 and r.json()["detail"] == "没有找到该派单"
        r = other.post(f"/api/appeals/{appeal.pk}/note", {"text": "x"}, format="json")
        assert r.status_code == 404 and r.json()["detail"] == "没有找到该诉求"
        assert as_user(desk.dispatcher).get("/api/appeals/999999/").status_code == 404

    def test_two_people_acting_on_the_same_version(self, desk):
        appeal = desk.reach(S.TRIAGED)
        seen = as_user(desk.dispatcher).get(f"/api/appeals/{appeal.pk}/").json()["version"]
        second_dispatcher = UserFactory(roles=["dispatcher"])
        first = as_user(desk.dispatcher).post(
            f"/api/appeals/{appeal.pk}/dispatch", {"lead": desk.lead_dept.pk, "version": seen}, format="json"
        )
        second = as_user(second_dispatcher).post(
            f"/api/appeals/{appeal.pk}/dispatch", {"lead": desk.other_dept.pk, "version": seen}, format="json"
        )
        assert (first.status_code, second.status_code) == (200, 409)
        assert second.json()["detail"] == STALE and second.json()["errors"] == {"version": [STALE]}
        assert list(appeal.assignments.values_list("department", flat=True)) == [desk.lead_dept.pk]

    def test_urging_checks_the_version_too(self, desk):
        appeal = desk.reach(S.IN_PROGRESS)
        url = f"/api/assignments/{desk.lead(appeal).pk}/urge"
        supervisor = as_user(desk.supervisor)
        stale = supervisor.post(url, {"version": appeal.version - 1}, format="json")
        assert stale.status_code == 409 and stale.json()["detail"] == STALE
        r = supervisor.post(url, {"version": appeal.version}, format="json")
        assert r.status_code == 200 and r.json()["urged"] is True
        assert supervisor.post(url, {}, format="json").json()["urged"] is False  # once per threshold


class TestIsolation:
    def test_a_department_lists_and_reads_only_its_own(self, desk):
        mine = desk.reach(S.DISPATCHED)
        desk.register(title="别人的诉求")
        listed = as_user(desk.co_handler).get("/api/appeals/").json()["results"]
        assert [a["number"] for a in listed] == [mine.number]
        assert as_user(desk.other_handler).get("/api/appeals/").json()["results"] == []
        assert len(as_user(desk.dispatcher).get("/api/appeals/").json()["results"]) == 2

    def test_a_citizen_lists_and_reads_only_their_own(self, desk):
        person = UserFactory(is_staff=False, department=None)
        own = as_user(person).post("/api/appeals/", NEW_APPEAL, format="json").json()
        other = desk.register()
        api = as_user(person)
        assert [a["id"] for a in api.get("/api/appeals/").json()["results"]] == [own["id"]]
        assert api.get(f"/api/appeals/{other.pk}/").status_code == 404
        services.triage(
            appeal=Appeal.objects.get(pk=own["id"]),
            category=desk.category,
            handling_mode="dispatch",
            by=desk.dispatcher,
        )
        services.dispatch(appeal=Appeal.objects.get(pk=own["id"]), lead=desk.lead_dept, by=desk.dispatcher)
        detail = api.get(f"/api/appeals/{own['id']}/").json()
        assert detail["state"] == "dispatched" and detail["assignments"] == []
        assert [e["action"] for e in detail["timeline"]] == ["register", "dispatch"]  # triage is internal
        assert set(detail["timeline"][0]) == {"at", "action", "action_name", "actor", "note"}
        assert "周派单" not in str(detail)
        refused = api.post(f"/api/appeals/{own['id']}/triage", {}, format="json")
        assert refused.status_code == 403 and refused.json()["detail"] == "只有工作人员可以办理诉求"

    def test_a_confidential_report_hides_the_reporter_from_the_department(self, desk):
        citizen = CitizenFactory()
        appeal = desk.register(appeal_type="report", confidential=True, citizen=citizen, title="举报违建")
        services.triage(appeal=appeal, category=desk.category, handling_mode="dispatch", by=desk.dispatcher)
        services.dispatch(appeal=appeal, lead=desk.lead_dept, by=desk.dispatcher)
        seen = as_user(desk.lead_handler).get(f"/api/appeals/{appeal.pk}/").json()
        assert seen["contact_name"] is None and seen["contact_phone"] is None
        assert seen["citizen"] is None and seen["enterprise"] is None
        assert "13800000001" not in str(seen) and citizen.name not in str(seen)
        staff = as_user(desk.dispatcher).get(f"/api/appeals/{appeal.pk}/").json()
        assert staff["contact_phone"] == "138****0001" and staff["citizen"]["name"] == citizen.name

    def test_an_anonymous_report_never_had_a_reporter(self, desk):
        appeal = desk.register(appeal_type="report", anonymous=True, contact_phone="", contact_name="李四")
        seen = as_user(desk.dispatcher).get(f"/api/appeals/{appeal.pk}/").json()
        assert seen["anonymous"] and seen["confidential"] and seen["contact_name"] == ""


class TestLists:
    def test_filters(self, desk):
        dispatched = desk.reach(S.DISPATCHED)
        registered = desk.register(appeal_type="help", urgency="utilities", title="停水")
        api = as_user(desk.dispatcher)

        def numbers(**params) -> set[str]:
            r = api.get("/api/appeals/", params)
            assert r.status_code == 200, r.json()
            return {a["number"] for a in r.json()["results"]}

        assert numbers(state="dispatched") == {dispatched.number}
        assert numbers(state=["dispatched", "registered"]) == {dispatched.number, registered.number}
        assert numbers(type="help") == {registered.number}
        assert numbers(urgency="utilities") == {registered.number}
        assert numbers(department=desk.co_dept.pk) == {dispatched.number}
        assert numbers(overdue="true") == set()
        Appeal.objects.filter(pk=dispatched.pk).update(due_at=dispatched.created_at - timedelta(days=1))
        assert numbers(overdue="true") == {dispatched.number}
        assert numbers(overdue="false") == {registered.number}
        bad = api.get("/api/appeals/", {"state": "lost"})
        assert bad.status_code == 400 and "state" in bad.json()["errors"]

    def test_cursor_pages_and_a_query_count_that_does_not_grow(self, desk, django_assert_max_num_queries):
        for i in range(5):
            desk.register(title=f"诉求{i}")
        api = as_user(desk.dispatcher)
        with django_assert_max_num_queries(12) as small:
            page = api.get("/api/appeals/", {"page_size": 2}).json()
        first_page_queries = len(small)
        seen = [a["number"] for a in page["results"]]
        while page["next"]:
            page = api.get(page["next"]).json()
            seen += [a["number"] for a in page["results"]]
        assert seen == sorted(seen, reverse=True) and len(seen) == 5
        for i in range(20):
            desk.register(title=f"更多{i}")
        with django_assert_max_num_queries(first_page_queries):
            assert len(api.get("/api/appeals/", {"page_size": 25}).json()["results"]) == 25

    def test_the_detail_shows_lights_and_actions_for_the_role(self, desk):
        appeal = desk.reach(S.IN_PROGRESS)
        detail = as_user(desk.lead_handler).get(f"/api/appeals/{appeal.pk}/").json()
        assert detail["light"] in ("green", "yellow") and detail["state_name"] == "办理中"
        assert {"note", "reply", "request_extension"} <= set(detail["allowed_actions"])
        assert "dispatch" not in detail["allowed_actions"]
        assert detail["version"] == appeal.version


class TestTracking:
    def test_a_right_and_a_wrong_code(self, desk, channel):
        filed = as_client().post("/api/appeals/", NEW_APPEAL, format="json").json()
        public = APIClient()
        ok = public.get("/api/appeals/track", {"number": filed["number"], "code": filed["query_code"]})
        assert ok.status_code == 200
        body = ok.json()
        assert body["state"] == "registered" and body["reply"] is None
        assert [e["actor"] for e in body["timeline"]] == ["12345热线"]
        assert "contact_phone" not in body and "13800000001" not in ok.content.decode()

        wrong = public.get("/api/appeals/track", {"number": filed["number"], "code": "00000000"})
        unknown = public.get("/api/appeals/track", {"number": "ZW-20000101-000001", "code": "00000000"})
        assert wrong.status_code == unknown.status_code == 404
        assert wrong.json() == unknown.json() == {"detail": "工单号或查询码不正确，请核对后重试"}
        missing = public.get("/api/appeals/track", {"number": filed["number"]})
        assert missing.status_code == 400 and "code" in missing.json()["errors"]

    def test_the_reply_shows_only_once_it_was_sent(self, desk):
        appeal, code = services.register_appeal(
            channel="web",
            appeal_type="help",
            title="路灯不亮",
            body="幸福路路灯不亮。",
            contact_phone="13800000003",
            by=WEB_VISITOR,
        )
        services.triage(appeal=appeal, category=desk.category, handling_mode="dispatch", by=desk.dispatcher)
        services.dispatch(appeal=appeal, lead=desk.lead_dept, by=desk.dispatcher)
        services.sign(assignment=desk.lead(appeal), by=desk.lead_handler)
        services.submit_reply(appeal=appeal, text="已更换灯泡。", by=desk.lead_handler)
        track = {"number": appeal.number, "code": code}
        assert APIClient().get("/api/appeals/track", track).json()["reply"] is None  # still under review
        services.approve_reply(appeal=appeal, by=desk.dispatcher)
        body = APIClient().get("/api/appeals/track", track).json()
        assert body["reply"] == "已更换灯泡。" and body["state"] == "replied"
        assert desk.lead_dept.name in {e["actor"] for e in body["timeline"]}

    def test_guessing_is_rate_limited(self, desk):
        public = APIClient()
        codes = [
            public.get("/api/appeals/track", {"number": "X", "code": str(i)}).status_code for i in range(31)
        ]
        # wrong codes lock the address (the web form's count); many right ones hit the 30/min throttle
        limit = TRACK_FAILURES.limit
        assert codes[:limit] == [404] * limit and set(codes[limit:]) == {429}
