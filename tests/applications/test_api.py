"""Applications (办件) through the REST API: the issue's three paths (online with 补正, a walk-in with
容缺, a 即办件 decided at the window), the bad input it names — each answered with the Chinese
message and the field, nothing saved — isolation (another department, another applicant: 404),
stale forms, and that the actions a detail offers are exactly those that succeed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from zhengwu.applications import services
from zhengwu.applications.models import Application, MaterialStatus, WindowAuthorisation
from zhengwu.applications.workflow import TABLE
from zhengwu.applications.workflow import ApplicationState as S

from .conftest import FORM, PDF, all_received, online, walk_in

pytestmark = pytest.mark.django_db

STALE = "已被他人修改，请刷新后重试"
GOOD_S10 = "EA123456785CN"
BAD_S10 = "EA123456784CN"
LICENCE = "JY14101000000001"


@pytest.fixture(autouse=True)
def _media_and_throttles(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    cache.clear()  # the filing throttle counts per user in the shared cache
    yield
    cache.clear()


def as_user(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def upload(name: str = "材料.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def act(api: APIClient, number: str, code: str, data: dict[str, Any] | None = None, **kw: Any):
    fmt = kw.pop("format", "json")
    return api.post(f"/api/applications/{number}/actions/{code}/", data or {}, format=fmt, **kw)


def ok(response) -> dict[str, Any]:
    assert response.status_code == 200, response.content.decode()[:800]
    return response.json()


def refused(response, status: int, field: str | None, words: str) -> dict[str, Any]:
    assert response.status_code == status, response.content.decode()[:800]
    body = response.json()
    assert words in body["detail"], body
    if field is not None:
        assert field in body["errors"] and words in body["errors"][field][0], body
    return body


def detail(api: APIClient, number: str) -> dict[str, Any]:
    return ok(api.get(f"/api/applications/{number}/"))


def codes(body: dict[str, Any]) -> list[str]:
    return [a["code"] for a in body["available_actions"]]


def intake_body(office, **changes: Any) -> dict[str, Any]:
    """A window intake of office.item for the office's citizen, every required material received."""
    body = {
        "item": office.item.pk,
        "applicant_code": office.citizen.id_number,
        "contact_name": office.citizen.name,
        "contact_phone": office.citizen.phone,
        "form_data": FORM,
        "materials": [
            {"item_material_id": u.pk, "status": "received", "originals": 1} for u in office.uses[:3]
        ],
        "outcome": "accept",
    }
    body.update(changes)
    return body


def online_body(office, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "item": office.item.pk,
        "contact_name": office.citizen.name,
        "contact_phone": office.citizen.phone,
        "form_data": json.dumps(FORM, ensure_ascii=False),
        "delivery_method": "post",
        "postal_address": "示范市中原路2号",
    }
    for use in office.uses[:3]:
        body[f"materials.{use.pk}"] = [upload(f"{use.material.name}.pdf")]
    body.update(changes)
    return body


# ---------------------------------------------------------------------------------------------
# The three paths


def test_online_supplement_accept_review_decide_certify_post_confirm(office):
    citizen, clerk = as_user(office.citizen_user), as_user(office.clerk)
    approver, delivery = as_user(office.approver), as_user(office.delivery)
    filed = citizen.post("/api/applications/", online_body(office), format="multipart")
    assert filed.status_code == 201, filed.content.decode()
    number = filed.json()["number"]
    assert filed.json()["state"] == "submitted" and len(filed.json()["query_code"]) == 8

    seen = detail(clerk, number)
    assert seen["state_name"] == "待预审" and seen["applicant_code"] == office.citizen.id_number
    assert [m["status"] for m in seen["materials"]] == ["received", "received", "received", "pending"]
    assert all(len(m["files"]) == 1 for m in seen["materials"][:3])
    assert {"accept", "refuse", "request_supplement"} <= set(codes(seen))
    form, plan = seen["materials"][1], seen["materials"][2]

    body = ok(
        act(
            clerk,
            number,
            "request_supplement",
            {
                "items": [
                    {"material_id": form["id"], "reason": "申请书未签字"},
                    {"material_id": plan["id"], "reason": "平面图不清晰"},
                ],
                "version": seen["version"],
            },
        )
    )
    assert body["state"] == "supplement" and body["light"] == "paused"
    [request] = body["supplement_requests"]
    assert [i["reason"] for i in request["items"]] == ["申请书未签字", "平面图不清晰"]
    [notice] = [n for n in body["notices"] if n["kind"] == "supplement"]
    assert notice["kind_name"].startswith("补正材料通知书")
    assert notice["pdf_url"] == f"/applications/{number}/notices/{notice['number']}.pdf"  # the staff page

    mine = detail(citizen, number)
    assert codes(mine) == ["supply", "withdraw"]
    half = act(citizen, number, "supply", {f"materials.{form['id']}": [upload()]}, format="multipart")
    refused(half, 400, f"materials.{plan['id']}", "请补正“经营场所平面图”")
    supplied = act(
        citizen,
        number,
        "supply",
        {f"materials.{form['id']}": [upload()], f"materials.{plan['id']}": [upload()]},
        format="multipart",
    )
    assert ok(supplied)["state"] == "submitted"

    accepted = ok(act(clerk, number, "accept"))
    assert accepted["state"] == "accepted" and accepted["due_at"] and accepted["light"] == "green"
    assert any(n["kind"] == "acceptance" for n in accepted["notices"])

    assert ok(act(approver, number, "review", {"note": "材料齐全"}))["state"] == "reviewing"
    decided = ok(act(approver, number, "decide", {"approved": True, "opinion": "符合条件，准予许可"}))
    assert decided["state"] == "decided" and decided["decision_name"] == "准予许可"
    assert (
        ok(act(approver, number, "complete", {"result_number": "市监食许〔2026〕88号"}))["state"]
        == "completed"
    )
    assert ok(act(approver, number, "certify", {"licence_number": LICENCE}))["state"] == "certified"

    wrong = act(delivery, number, "post", {"tracking_number": BAD_S10})
    refused(wrong, 400, "tracking_number", "邮件号校验位错误")
    assert Application.objects.get(number=number).state == S.CERTIFIED
    posted = ok(act(delivery, number, "post", {"tracking_number": GOOD_S10.lower()}))
    assert posted["state"] == "posted" and posted["delivery"]["tracking_number"] == GOOD_S10
    done = ok(act(delivery, number, "confirm_receipt"))
    assert done["state"] == "delivered" and done["delivery"]["received_on"]

    # The applicant reads their own: the public steps, with the window or department as the actor.
    mine = detail(citizen, number)
    names = {step["actor"] for step in mine["steps"]}
    assert names <= {"申请人", "综合受理窗口", "市场监督管理局"} and "市场监督管理局" in names
    assert [s["action"] for s in mine["steps"]][:3] == ["submit", "request_supplement", "supply"]
    first = mine["notices"][0]
    assert first["pdf_url"] == f"/api/applications/{number}/notices/{first['number']}.pdf"
    pdf = citizen.get(first["pdf_url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content if pdf.streaming else [pdf.content]).startswith(b"%PDF")
    assert services.CHAIN.check(Application.objects.get(number=number)) is None


def test_walk_in_with_a_deferred_material_then_hand_in_and_hand_over(office):
    clerk, approver, delivery = as_user(office.clerk), as_user(office.approver), as_user(office.delivery)
    marks = intake_body(office)["materials"]
    marks[2] = {
        "item_material_id": office.uses[2].pk,
        "status": "deferred",
        "commitment": "三日内补交",
        "defer_days": 3,
    }
    filed = clerk.post("/api/applications/", intake_body(office, materials=marks), format="json")
    assert filed.status_code == 201, filed.content.decode()
    number = filed.json()["number"]
    assert filed.json()["state"] == "accepted"
    seen = detail(clerk, number)
    deferred = next(m for m in seen["materials"] if m["status"] == "deferred")
    assert deferred["commitment"] == "三日内补交" and deferred["deferred_until"]
    assert "hand_in" in codes(seen)

    handed = ok(act(clerk, number, "hand_in", {"material_id": deferred["id"], "originals": 1}))
    assert next(m for m in handed["materials"] if m["id"] == deferred["id"])["status"] == "received"
    assert "hand_in" not in codes(handed)

    ok(act(approver, number, "review"))
    ok(act(approver, number, "decide", {"approved": True, "opinion": "准予"}))
    ok(act(approver, number, "complete"))
    ok(act(approver, number, "certify", {"licence_number": LICENCE}))
    over = ok(
        act(
            delivery,
            number,
            "hand_over",
            {"recipient_name": "王小明", "recipient_id_number": office.citizen.id_number},
        )
    )
    assert over["state"] == "delivered" and over["delivery"]["method"] == "pickup"
    assert over["delivery"]["recipient_id_number"] != office.citizen.id_number  # masked
    assert [n["kind"] for n in over["notices"]] == ["acceptance", "approval", "service"]


def test_an_immediate_item_is_decided_at_the_window_with_an_authorisation(office):
    clerk, delivery = as_user(office.clerk), as_user(office.delivery)
    use = office.immediate_item.item_materials.get()
    body = intake_body(
        office,
        item=office.immediate_item.pk,
        form_data={},
        materials=[{"item_material_id": use.pk, "status": "received", "originals": 1}],
    )
    number = clerk.post("/api/applications/", body, format="json").json()["number"]
    assert "decide_at_window" not in codes(detail(clerk, number))
    refused(
        act(clerk, number, "decide_at_window", {"approved": True, "opinion": "符合"}),
        403,
        "item",
        "首席代表授权",
    )
    WindowAuthorisation.objects.create(
        department=office.department, clerk=office.clerk, valid_from="2026-01-01"
    )
    assert "decide_at_window" in codes(detail(clerk, number))
    done = ok(
        act(
            clerk,
            number,
            "decide_at_window",
            {"approved": True, "opinion": "符合", "result_number": "变2026-1"},
        )
    )
    assert done["state"] == "completed" and done["on_the_spot"] and done["result_number"] == "变2026-1"
    over = ok(
        act(
            delivery,
            number,
            "hand_over",
            {"recipient_name": "王小明", "recipient_id_number": office.citizen.id_number},
        )
    )
    assert over["state"] == "delivered"


# ---------------------------------------------------------------------------------------------
# Bad input: the Chinese message, the field, nothing saved


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("11010519491231002X"[:17] + "3", "公民身份号码校验码错误"),
        ("91350100M000100Y43"[:17] + "4", "统一社会信用代码校验码错误"),
        ("12345", "应为18位"),
    ],
)
def test_a_wrong_id_number_or_uscc_is_refused_naming_the_field(office, code, words):
    clerk = as_user(office.clerk)
    response = clerk.post(
        "/api/applications/",
        intake_body(office, applicant_code=code, applicant_name="新申请人"),
        format="json",
    )
    refused(response, 400, "applicant_code", words)
    assert Application.objects.count() == 0


def test_a_new_applicant_is_registered_with_the_intake_only(office):
    clerk = as_user(office.clerk)
    new_id = "11010519491231002X"
    nameless = clerk.post("/api/applications/", intake_body(office, applicant_code=new_id), format="json")
    refused(nameless, 400, "applicant_name", "请填写申请人名称")
    marks = intake_body(office)["materials"][:1]  # two required materials missing
    missing = clerk.post(
        "/api/applications/",
        intake_body(office, applicant_code=new_id, applicant_name="赵新", materials=marks),
        format="json",
    )
    refused(missing, 400, f"materials.{office.uses[1].pk}", "未收取")
    from zhengwu.accounts.models import Citizen

    assert not Citizen.objects.filter(id_number=new_id).exists()  # rolled back with the intake
    made = clerk.post(
        "/api/applications/", intake_body(office, applicant_code=new_id, applicant_name="赵新"), format="json"
    )
    assert made.status_code == 201 and Citizen.objects.get(id_number=new_id).name == "赵新"


def test_a_critical_material_cannot_be_deferred(office):
    clerk = as_user(office.clerk)
    marks = intake_body(office)["materials"]
    marks[0] = {
        "item_material_id": office.uses[0].pk,
        "status": "deferred",
        "commitment": "后补",
        "defer_days": 3,
    }
    response = clerk.post("/api/applications/", intake_body(office, materials=marks), format="json")
    refused(response, 400, f"materials.{office.uses[0].pk}", "是关键材料，不能容缺受理")
    assert Application.objects.count() == 0


def test_an_action_in_the_wrong_state_is_409(office):
    app = walk_in(office).application
    response = act(as_user(office.approver), app.number, "decide", {"approved": True, "opinion": "准予"})
    refused(response, 409, "state", "当前状态为“已受理待审查”，不能作出决定")
    post = act(as_user(office.delivery), app.number, "archive")
    assert post.status_code == 404  # delivery does not see it before 办结


def test_another_department_or_applicant_gets_404_and_a_wrong_role_403(office):
    app = walk_in(office).application
    for user in (office.other_approver, office.stranger_user):
        api = as_user(user)
        assert api.get(f"/api/applications/{app.number}/").status_code == 404
        gone = act(api, app.number, "review")
        refused(gone, 404, None, "没有找到该办件")
        assert app.number not in [a["number"] for a in api.get("/api/applications/").json()["results"]]
    refused(act(as_user(office.clerk), app.number, "review"), 403, None, "您的角色不能开始审查")
    assert Application.objects.get(pk=app.pk).state == S.ACCEPTED


def test_a_stale_version_is_409(office):
    app = walk_in(office).application
    approver, second = as_user(office.approver), as_user(office.second_approver)
    version = detail(approver, app.number)["version"]
    ok(act(second, app.number, "review", {"version": version}))
    stale = act(approver, app.number, "return_to_window", {"reason": "需补正", "version": version})
    body = refused(stale, 409, "version", STALE)
    assert body["errors"] == {"version": [STALE]}


def test_unknown_actions_and_files_where_none_belong(office):
    app = walk_in(office).application
    clerk = as_user(office.clerk)
    assert act(clerk, app.number, "approve_everything").status_code == 404
    with_file = act(
        clerk, app.number, "withdraw", {"reason": "x", "materials.1": [upload()]}, format="multipart"
    )
    refused(with_file, 400, "materials.1", "不接收文件")
    no_key = act(clerk, app.number, "request_supplement", {"items": [{"material_id": "x", "reason": "y"}]})
    assert no_key.status_code == 400 and "items" in no_key.json()["errors"]


def test_an_api_client_key_does_not_reach_applications(office):
    from zhengwu.appeals.models import ApiClient
    from zhengwu.appeals.services import hash_api_key

    ApiClient.objects.create(name="掌上办App", key_hash=hash_api_key("k" * 30), channel="mobile")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="ApiKey " + "k" * 30)
    refused(api.get("/api/applications/"), 403, None, "接口客户端不能办理或查看办件")
    assert APIClient().get("/api/applications/").status_code in (401, 403)


# ---------------------------------------------------------------------------------------------
# Filing again with the same key; lists and filters


def test_the_same_idempotency_key_files_once(office):
    citizen = as_user(office.citizen_user)
    first = citizen.post(
        "/api/applications/", online_body(office), format="multipart", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    again = citizen.post(
        "/api/applications/", online_body(office), format="multipart", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["number"] == first.json()["number"] and again.json()["query_code"] is None
    assert Application.objects.count() == 1


def test_online_filing_names_a_missing_file(office):
    body = online_body(office)
    body.pop(f"materials.{office.uses[1].pk}")
    response = as_user(office.citizen_user).post("/api/applications/", body, format="multipart")
    refused(response, 400, f"materials.{office.uses[1].pk}", "请上传“食品经营许可申请书”")
    assert Application.objects.count() == 0


def _queries(api: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api.get(url).status_code == 200
    return len(queries)


def test_lists_are_scoped_filtered_and_masked(office):
    mine = online(office).application
    walk_ins = [walk_in(office).application for _ in range(3)]
    walk_in(office, outcome="refuse", reason="不属于受理范围")
    clerk, approver = as_user(office.clerk), as_user(office.approver)
    page = clerk.get("/api/applications/?page_size=2").json()
    assert len(page["results"]) == 2 and page["next"]
    assert page["results"][0]["applicant_code"] != office.citizen.id_number
    assert "****" in page["results"][0]["applicant_code"]
    assert len(clerk.get("/api/applications/").json()["results"]) == 5
    before = _queries(clerk, "/api/applications/")
    walk_in(office)
    assert _queries(clerk, "/api/applications/") == before  # no query per row
    accepted = clerk.get("/api/applications/", {"state": ["accepted"]}).json()["results"]
    assert {a["number"] for a in accepted} > {a.number for a in walk_ins}
    assert clerk.get("/api/applications/", {"q": mine.number}).json()["results"][0]["number"] == mine.number
    green = clerk.get("/api/applications/", {"light": "green"}).json()["results"]
    assert {a["number"] for a in green} == {a["number"] for a in accepted}
    assert clerk.get("/api/applications/", {"light": "red"}).json()["results"] == []
    assert clerk.get("/api/applications/", {"submitted_from": "2099-01-01"}).json()["results"] == []
    bad = clerk.get("/api/applications/", {"state": "nonsense"})
    assert bad.status_code == 400 and "state" in bad.json()["errors"]
    reversed_dates = clerk.get(
        "/api/applications/", {"submitted_from": "2026-06-10", "submitted_to": "2026-06-01"}
    )
    refused(reversed_dates, 400, "submitted_to", "结束日期不能早于开始日期")
    assert len(approver.get("/api/applications/").json()["results"]) == 6
    assert as_user(office.other_approver).get("/api/applications/").json()["results"] == []
    assert [
        a["number"] for a in as_user(office.citizen_user).get("/api/applications/").json()["results"]
    ] == [a.number for a in Application.objects.order_by("-submitted_at", "-id")]
    assert as_user(office.stranger_user).get("/api/applications/").json()["results"] == []


# ---------------------------------------------------------------------------------------------
# What a detail offers is what succeeds


def _build(office, state: str) -> Application:
    if state == "submitted":
        return online(office, delivery_method="post", postal_address="示范市中原路2号").application
    if state == "supplement":
        app = online(office).application
        material = app.materials.get(item_material=office.uses[1])
        services.request_supplement(
            application=app, by=office.clerk, items=[{"material_id": material.pk, "reason": "未签字"}]
        )
        return Application.objects.get(pk=app.pk)
    marks = all_received(office)
    marks[2] = services.MaterialInput(
        office.uses[2].pk, MaterialStatus.DEFERRED, commitment="三日内补交", defer_days=3
    )
    app = walk_in(
        office, materials=marks, delivery_method="post", postal_address="示范市中原路2号"
    ).application
    if state == "accepted":
        return app
    services.review(application=app, by=office.approver)
    if state == "extension":
        services.request_extension(application=app, by=office.approver, days=5, reason="情况复杂")
        return Application.objects.get(pk=app.pk)
    services.decide(application=app, by=office.approver, approved=True, opinion="准予")
    services.complete(application=app, by=office.approver)
    app = Application.objects.get(pk=app.pk)
    if state == "completed":
        return app
    services.certify(application=app, by=office.approver, licence_number=LICENCE)
    services.post(
        application=Application.objects.get(pk=app.pk), by=office.delivery, tracking_number=GOOD_S10
    )
    return Application.objects.get(pk=app.pk)  # posted


def _payload(code: str, app: Application, user, office) -> tuple[dict[str, Any], str]:
    """A valid input for ``code`` on ``app``: only the state, the role and the rules may refuse it."""
    first = app.materials.order_by("order").first()
    deferred = app.materials.filter(status=MaterialStatus.DEFERRED).first() or first
    named = app.materials.filter(
        pk__in=[i["material_id"] for r in app.supplement_requests.all() for i in r.items]
    )
    if code == "supply":
        if not user.is_staff:
            return {f"materials.{m.pk}": [upload()] for m in named}, "multipart"
        marks = [
            {"item_material_id": m.item_material_id, "status": "received", "originals": 1} for m in named
        ]
        return {"materials": marks}, "json"
    return {
        "accept": {},
        "refuse": {"reason": "不属于受理范围"},
        "request_supplement": {"items": [{"material_id": first.pk, "reason": "复印件不清晰"}]},
        "decide_at_window": {"approved": True, "opinion": "符合"},
        "hand_in": {"material_id": deferred.pk, "originals": 1},
        "forward": {"note": "已作说明"},
        "review": {},
        "return_to_window": {"reason": "需补正"},
        "start_special": {"kind": "expert", "reason": "需专家评审"},
        "end_special": {"result": "评审通过"},
        "request_extension": {"days": "5", "reason": "情况复杂"},
        "decide_extension": {"approved": True},
        "decide": {"approved": True, "opinion": "准予"},
        "complete": {"result_number": "X-1"},
        "certify": {"licence_number": LICENCE},
        "hand_over": {"recipient_name": "王小明", "recipient_id_number": office.citizen.id_number},
        "post": {"tracking_number": GOOD_S10},
        "confirm_receipt": {},
        "archive": {},
        "withdraw": {"reason": "不再办理"},
    }[code], "json"


@pytest.mark.parametrize("state", ["submitted", "supplement", "accepted", "extension", "completed", "posted"])
def test_the_actions_offered_are_those_that_succeed(office, state):
    app = _build(office, state)
    WindowAuthorisation.objects.create(
        department=office.department, clerk=office.clerk, valid_from="2026-01-01"
    )
    people = [
        office.clerk,
        office.approver,
        office.second_approver,
        office.other_approver,
        office.delivery,
        office.leader,
        office.citizen_user,
        office.stranger_user,
    ]
    offered_somewhere = set()
    for user in people:
        api = as_user(user)
        shown = api.get(f"/api/applications/{app.number}/")
        listed = codes(shown.json()) if shown.status_code == 200 else []
        offered_somewhere |= set(listed)
        for spec in TABLE:
            data, fmt = _payload(spec.code, app, user, office)
            with transaction.atomic():
                response = act(api, app.number, spec.code, data, format=fmt)
                transaction.set_rollback(True)
            who = f"{user.name} {state} {spec.code}"
            if spec.code in listed:
                assert response.status_code == 200, (who, response.content.decode()[:300])
            else:
                assert response.status_code in (403, 404, 409), (
                    who,
                    response.status_code,
                    response.content.decode()[:300],
                )
    assert offered_somewhere, f"nobody may do anything in {state}"


# ---------------------------------------------------------------------------------------------
# Input nobody should send never answers 5xx

JUNK: list[dict[str, Any]] = [
    {"version": "x"},
    {"version": 2**70},
    {"items": "x"},
    {"items": [{"material_id": 2**70, "reason": "x"}]},
    {"materials": [{"item_material_id": 1, "status": "pending"}]},
    {"materials": [{"item_material_id": 2**62, "status": "received", "originals": 1}]},
    {"days": "NaN", "reason": "x"},
    {"days": "1e9", "reason": "x"},
    {"approved": "maybe", "opinion": "x"},
    {"material_id": -1},
    {"kind": "extension", "reason": "x"},
    {"received_on": "0001-01-01T00:00:00+14:00"},
    {"recipient_name": "王", "recipient_id_number": "x" * 40},
    {"tracking_number": "邮" * 13},
    {"reason": "\x00"},
]


@pytest.mark.parametrize("junk", JUNK, ids=range(len(JUNK)))
def test_junk_input_never_answers_5xx(office, junk):
    app = walk_in(office).application
    for user in (office.clerk, office.approver, office.citizen_user):
        api = as_user(user)
        for spec in TABLE:
            response = act(api, app.number, spec.code, junk)
            assert response.status_code < 500, (spec.code, response.status_code)
            if response.status_code >= 400:  # extra keys are ignored: some junk is a valid call
                assert not response.json()["detail"].isascii(), (spec.code, response.json())


@pytest.mark.parametrize("number", ["x", "BJ-1-1", "BJ-20260610-000001\x00", "../../etc", "BJ" * 40])
def test_a_malformed_number_is_404(office, number):
    api = as_user(office.clerk)
    assert api.get(f"/api/applications/{number}/").status_code == 404
    assert api.get(f"/api/applications/{number}/notices/{number}.pdf").status_code == 404


def test_a_bad_idempotency_key_is_named(office):
    api = as_user(office.citizen_user)
    response = api.post(
        "/api/applications/", online_body(office), format="multipart", HTTP_IDEMPOTENCY_KEY="k" * 81
    )
    refused(response, 400, "Idempotency-Key", "Idempotency-Key")
    assert Application.objects.count() == 0


def test_the_window_tells_what_to_supplement_or_refuses_at_intake(office):
    clerk = as_user(office.clerk)
    marks = intake_body(office)["materials"][:1]
    told = clerk.post(
        "/api/applications/",
        intake_body(
            office,
            materials=marks,
            outcome="supplement",
            supplement=[
                {"item_material_id": office.uses[1].pk, "reason": "申请书缺少签字"},
                {"item_material_id": office.uses[2].pk, "reason": "平面图未标尺寸"},
            ],
        ),
        format="json",
    )
    assert told.status_code == 201 and told.json()["state"] == "supplement"
    body = detail(clerk, told.json()["number"])
    assert [i["name"] for i in body["supplement_requests"][0]["items"]] == [
        "食品经营许可申请书",
        "经营场所平面图",
    ]
    no_reason = clerk.post("/api/applications/", intake_body(office, outcome="refuse"), format="json")
    refused(no_reason, 400, "reason", "请填写不予受理理由")
    out = clerk.post(
        "/api/applications/", intake_body(office, outcome="refuse", reason="不属于本事项"), format="json"
    )
    assert out.status_code == 201 and out.json()["state"] == "not_accepted"
    assert Application.objects.count() == 2
