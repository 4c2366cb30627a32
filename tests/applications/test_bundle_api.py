"""一件事办件 through the REST API: 在线办理 with one form and one upload per material, 受理 sending
each item to its department (the waiting one shown as waiting), 出件 once; the bad input the issue
names — a missing material, a field the merged form lacks, a bundle whose items conflict — each
answered with the Chinese message and the field, nothing saved; isolation (404), roles (403),
stale versions (409); and the realised savings, public, per bundle and over a period."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from tests.applications.conftest import pdf
from tests.applications.test_bundles import FORM, Birth, apply, children, finish, make_birth
from tests.factories import CitizenFactory, UserFactory
from zhengwu.applications import bundles
from zhengwu.applications.models import Application, BundleApplication, BundleState, MaterialFile

pytestmark = pytest.mark.django_db

STALE = "已被他人修改，请刷新后重试"
CERT, HUKOU, MEDICAL = "出生医学证明首次签发", "户口登记（出生）", "城乡居民医保参保登记"


@pytest.fixture(autouse=True)
def _media_and_throttles(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    cache.clear()  # the filing and public throttles count in the shared cache
    yield
    cache.clear()


@pytest.fixture
def birth(db) -> Birth:
    return make_birth()


def as_user(user: Any) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.content.decode()[:800]
    return response.json()


def refused(response: Any, status: int, field: str | None, words: str) -> dict[str, Any]:
    assert response.status_code == status, response.content.decode()[:800]
    body = response.json()
    assert words in body["detail"], body
    if field is not None:
        assert field in body["errors"] and words in body["errors"][field][0], body
    return body


def online_body(b: Birth, *, key: str = "materials[{}]", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "bundle": b.bundle.pk,
        "contact_name": "张妈妈",
        "contact_phone": "13900002222",
        "form_data": json.dumps(FORM, ensure_ascii=False),
    }
    for material, name in (
        (b.id_card, "身份证.pdf"),
        (b.birth_record, "分娩记录.pdf"),
        (b.hukou_book, "户口簿.pdf"),
    ):
        body[key.format(material.pk)] = [pdf(name)]
    body.update(changes)
    return body


def file(api: APIClient, body: dict[str, Any], **headers: Any) -> Any:
    return api.post("/api/bundle-applications/", body, format="multipart", **headers)


def url(number: str, tail: str = "") -> str:
    return f"/api/bundle-applications/{number}/{tail}"


def detail(api: APIClient, number: str) -> dict[str, Any]:
    return ok(api.get(url(number)))


def nothing_saved() -> None:
    assert not BundleApplication.objects.exists() and not Application.objects.exists()
    assert not MaterialFile.objects.exists()


def savings(number_or_path: str, api: APIClient | None = None) -> Any:
    return (api or APIClient()).get(f"/api/bundles/{number_or_path}")


def completed(b: Birth) -> BundleApplication:
    """A bundle application filed online, accepted, every child done and handed over."""
    parent = bundles.accept(bundle_application=apply(b).bundle_application, by=b.clerk)
    kids = children(parent)
    for name, dept in ((CERT, "health"), (MEDICAL, "medical"), (HUKOU, "police")):
        finish(Application.objects.get(pk=kids[name].pk), b.approvers[dept])
    return bundles.hand_over(
        bundle_application=BundleApplication.objects.get(pk=parent.pk),
        by=b.delivery,
        recipient_name="张妈妈",
        recipient_id_number=b.citizen.id_number,
    )


# ---------------------------------------------------------------------------------------------
# 在线办理 → 受理 → the children in parallel → 出件


def test_apply_online_accept_and_every_child_is_listed_with_its_state(birth: Birth) -> None:
    citizen, clerk = as_user(birth.citizen_user), as_user(birth.clerk)
    filed = file(citizen, online_body(birth))
    assert filed.status_code == 201, filed.content.decode()
    number = filed.json()["number"]
    assert number.startswith("YJ-") and filed.json()["state"] == "submitted"
    assert filed.json()["query_code"] and filed.json()["created"] is True
    # One ID card for the three items: stored once, pointed at by every child's checklist.
    assert len({f.file.name for f in MaterialFile.objects.filter(material__name="居民身份证")}) == 1

    seen = detail(clerk, number)
    assert seen["state_name"] == "待预审" and seen["light"] == ""
    assert seen["applicant_code"] == birth.citizen.id_number  # the window sees it whole
    assert seen["form_data"]["newborn_name"] == "张小宝"
    assert [a["code"] for a in seen["available_actions"]] == ["accept", "refuse", "withdraw"]
    assert [c["item"]["name"] for c in seen["children"]] == [CERT, HUKOU, MEDICAL]
    assert {c["state"] for c in seen["children"]} == {"submitted"}

    accepted = ok(clerk.post(url(number, "accept/"), {"note": "材料齐全", "version": seen["version"]}))
    assert accepted["state"] == "in_progress" and accepted["state_name"] == "办理中"
    assert (
        accepted["due_at"]
        and accepted["light"] == "green"
        and [a["code"] for a in accepted["available_actions"]] == ["withdraw"]
    )
    kids = {c["item"]["name"]: c for c in accepted["children"]}
    assert {c["state"] for c in kids.values()} == {"accepted"}
    assert {c["department"]["name"] for c in kids.values()} == {"卫生健康委员会", "公安局", "医疗保障局"}
    hukou = kids[HUKOU]
    assert hukou["waiting"] is True and hukou["waits_for"] == CERT
    assert hukou["waits_for_number"] == kids[CERT]["number"]
    assert hukou["light"] == "paused" and hukou["light_name"] == "暂停计时" and hukou["due_at"] is None
    for name in (CERT, MEDICAL):
        assert kids[name]["waiting"] is False and kids[name]["waits_for"] == ""
        assert kids[name]["light"] == "green" and kids[name]["due_at"]
    [notice] = accepted["notices"]
    assert notice["kind"] == "acceptance" and notice["kind_name"] == "受理通知书"
    assert notice["pdf_url"] == url(number, f"notices/{notice['number']}.pdf")

    # The applicant sees the same children, public steps without staff names, and prints the notice.
    mine = detail(citizen, number)
    assert [(c["item"]["name"], c["waiting"]) for c in mine["children"]] == [
        (CERT, False),
        (HUKOU, True),
        (MEDICAL, False),
    ]
    assert [(s["action"], s["actor"]) for s in mine["steps"]] == [
        ("submit", "申请人"),
        ("accept", "综合受理窗口"),
    ]
    assert [a["code"] for a in mine["available_actions"]] == ["withdraw"]  # nothing decided yet
    assert detail(clerk, number)["steps"][1]["actor"] == "窗口甲"
    printed = citizen.get(notice["pdf_url"])
    assert printed.status_code == 200 and printed["Content-Type"] == "application/pdf"
    assert printed.content.startswith(b"%PDF")
    assert citizen.get(url(number, "notices/SL-20260610-999999.pdf")).status_code == 404

    # The first item done: the waiting one starts; the bundle is still in progress.
    finish(Application.objects.get(number=kids[CERT]["number"]), birth.approvers["health"])
    now = {c["item"]["name"]: c for c in detail(citizen, number)["children"]}
    assert now[CERT]["state"] == "certified" and now[HUKOU]["waiting"] is False
    assert now[HUKOU]["light"] == "green" and now[HUKOU]["due_at"]


def test_hand_over_once_when_every_child_is_done(birth: Birth) -> None:
    parent = bundles.accept(bundle_application=apply(birth).bundle_application, by=birth.clerk)
    kids = children(parent)
    delivery = as_user(birth.delivery)
    for name, dept in ((CERT, "health"), (MEDICAL, "medical")):
        finish(Application.objects.get(pk=kids[name].pk), birth.approvers[dept])
    early = delivery.post(
        url(parent.number, "hand-over/"),
        {"recipient_name": "张妈妈", "recipient_id_number": birth.citizen.id_number},
    )
    refused(early, 409, "state", "不能出件")
    finish(Application.objects.get(pk=kids[HUKOU].pk), birth.approvers["police"])
    ready = detail(delivery, parent.number)
    assert ready["state"] == "completed" and [a["code"] for a in ready["available_actions"]] == ["hand_over"]
    done = ok(
        delivery.post(
            url(parent.number, "hand-over/"),
            {
                "recipient_name": "张妈妈",
                "recipient_id_number": birth.citizen.id_number,
                "version": ready["version"],
            },
        )
    )
    assert done["state"] == "delivered" and done["delivered_at"]
    assert {c["state"] for c in done["children"]} == {"delivered"}
    assert [n["kind"] for n in done["notices"]] == ["acceptance", "service"]
    assert [s["action"] for s in done["steps"]][-1] == "hand_over"


def test_refusing_the_bundle_needs_a_reason_and_closes_every_child(birth: Birth) -> None:
    number = apply(birth).bundle_application.number
    clerk = as_user(birth.clerk)
    refused(clerk.post(url(number, "refuse/"), {"reason": "  "}), 400, "reason", "请填写不予受理理由")
    assert BundleApplication.objects.get(number=number).state == BundleState.SUBMITTED
    body = ok(clerk.post(url(number, "refuse/"), {"reason": "不属于本市助产机构出生"}))
    assert body["state"] == "not_accepted" and {c["state"] for c in body["children"]} == {"not_accepted"}
    assert [n["kind"] for n in body["notices"]] == ["refusal"]


def test_the_same_idempotency_key_files_once(birth: Birth) -> None:
    citizen = as_user(birth.citizen_user)
    first = file(citizen, online_body(birth), HTTP_IDEMPOTENCY_KEY="birth-1")
    again = file(citizen, online_body(birth), HTTP_IDEMPOTENCY_KEY="birth-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["number"] == first.json()["number"] and again.json()["query_code"] is None
    assert BundleApplication.objects.count() == 1 and Application.objects.count() == 3


def window_body(b: Birth, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "bundle": b.bundle.pk,
        "applicant_code": b.citizen.id_number,
        "contact_name": "张妈妈",
        "contact_phone": "13900002222",
        "form_data": FORM,
        "materials": [
            {"material_id": b.id_card.pk, "status": "received", "originals": 1, "copies": 1},
            {"material_id": b.birth_record.pk, "status": "received", "originals": 1},
            {
                "material_id": b.hukou_book.pk,
                "status": "deferred",
                "commitment": "三日内补交",
                "defer_days": 3,
            },
        ],
        "outcome": "accept",
    }
    body.update(changes)
    return body


def test_window_intake_takes_the_bundle_in_at_once(birth: Birth) -> None:
    clerk = as_user(birth.clerk)
    taken = clerk.post("/api/bundle-applications/", window_body(birth), format="json")
    assert taken.status_code == 201, taken.content.decode()
    assert taken.json()["state"] == "in_progress" and taken.json()["query_code"]
    body = detail(clerk, taken.json()["number"])
    assert body["channel"] == "window" and [n["kind"] for n in body["notices"]] == ["acceptance"]
    assert {c["state"] for c in body["children"]} == {"accepted"}
    # The applicant reads it under their own account, the window's clerk named as the window.
    mine = detail(as_user(birth.citizen_user), taken.json()["number"])
    assert [s["actor"] for s in mine["steps"]] == ["综合受理窗口", "综合受理窗口"]


def test_window_intake_refused_without_a_reason_or_by_a_wrong_role_saves_nothing(birth: Birth) -> None:
    clerk = as_user(birth.clerk)
    no_reason = clerk.post("/api/bundle-applications/", window_body(birth, outcome="refuse"), format="json")
    refused(no_reason, 400, "reason", "请填写不予受理理由")
    stranger = window_body(birth, applicant_code="110101199003077571")
    refused(
        clerk.post("/api/bundle-applications/", stranger, format="json"),
        400,
        "applicant_name",
        "请填写申请人名称以登记",
    )
    police = as_user(birth.approvers["police"])
    new_one = window_body(birth, applicant_code="110101199003077571", applicant_name="李四")
    refused(
        police.post("/api/bundle-applications/", new_one, format="json"), 403, None, "您的角色不能窗口受理"
    )
    nothing_saved()
    from zhengwu.accounts.models import Citizen

    assert not Citizen.objects.filter(name="李四").exists()


# ---------------------------------------------------------------------------------------------
# Bad input: the field named, nothing saved


def test_a_missing_required_material_is_named_with_its_field(birth: Birth) -> None:
    body = online_body(birth, key="materials.{}")
    body.pop(f"materials.{birth.birth_record.pk}")
    response = file(as_user(birth.citizen_user), body)
    refused(response, 400, f"materials.{birth.birth_record.pk}", "请上传“分娩记录”")
    nothing_saved()


def test_a_field_the_merged_form_does_not_have_is_refused(birth: Birth) -> None:
    form = json.dumps({**FORM, "favourite_toy": "小熊"}, ensure_ascii=False)
    response = file(as_user(birth.citizen_user), online_body(birth, form_data=form))
    refused(response, 400, "form_data.favourite_toy", "联办申请表没有“favourite_toy”这一项")
    nothing_saved()


def test_files_under_an_unknown_key_or_material_are_refused(birth: Birth) -> None:
    citizen = as_user(birth.citizen_user)
    odd = file(citizen, online_body(birth, **{"attachment": [pdf()]}))
    refused(odd, 400, "attachment", "文件须放在 materials[<材料编号>] 下")
    # The 出生医学证明 is produced by the bundle itself: nobody uploads it.
    cert = next(m for m in birth.hukou.item_materials.all() if m.material.name == "出生医学证明")
    extra = file(citizen, online_body(birth, **{f"materials[{cert.material_id}]": [pdf()]}))
    refused(extra, 400, f"materials.{cert.material_id}", "不在该一件事的材料清单中")
    refused(file(citizen, online_body(birth, bundle=987654)), 400, "bundle", "没有编号为 987654 的一件事")
    nothing_saved()


def test_a_bundle_whose_items_define_a_field_differently_is_409(birth: Birth) -> None:
    birth.medical.form_fields = [{"name": "newborn_name", "label": "参保人姓名"}]
    birth.medical.save()
    response = file(as_user(birth.citizen_user), online_body(birth))
    refused(response, 409, "bundle", "定义有问题")
    assert "参保人姓名" in response.json()["detail"]
    nothing_saved()


# ---------------------------------------------------------------------------------------------
# Who sees and who may


def test_another_citizen_gets_404_for_my_bundle_application(birth: Birth) -> None:
    number = apply(birth).bundle_application.number
    stranger = UserFactory(username="stranger", is_staff=False, department=None)
    CitizenFactory(user=stranger)
    api = as_user(stranger)
    refused(api.get(url(number)), 404, None, "没有找到该一件事办件")
    refused(api.post(url(number, "accept/")), 404, None, "没有找到该一件事办件")
    assert api.get("/api/bundle-applications/").json()["results"] == []
    notice_path = url(number, "notices/SL-20260610-000001.pdf")
    assert api.get(notice_path).status_code == 404
    assert api.get(url("YJ-not-a-number")).status_code == 404
    assert [
        r["number"] for r in as_user(birth.citizen_user).get("/api/bundle-applications/").json()["results"]
    ] == [number]


def test_no_token_or_a_forged_one_is_401_and_a_channel_key_403(birth: Birth) -> None:
    from zhengwu.appeals.models import ApiClient
    from zhengwu.appeals.services import hash_api_key

    number = apply(birth).bundle_application.number
    assert APIClient().get(url(number)).status_code == 401
    assert APIClient().post("/api/bundle-applications/", {}).status_code == 401
    forged = APIClient()
    forged.credentials(HTTP_AUTHORIZATION="ApiKey " + "f" * 30)
    refused(forged.get("/api/bundle-applications/"), 401, None, "API 密钥无效或已停用")
    cookie = APIClient()
    cookie.cookies["sessionid"] = "forgedsessionforgedsession0000"
    assert cookie.get(url(number)).status_code == 401
    ApiClient.objects.create(name="掌上办App", key_hash=hash_api_key("k" * 30), channel="mobile")
    channel = APIClient()
    channel.credentials(HTTP_AUTHORIZATION="ApiKey " + "k" * 30)
    refused(channel.get(url(number)), 403, None, "接口客户端不能办理或查看办件")


def test_actions_by_a_wrong_role_are_403_and_change_nothing(birth: Birth) -> None:
    number = apply(birth).bundle_application.number
    police = as_user(birth.approvers["police"])  # sees it (its department has an item), may not 受理
    assert detail(police, number)["available_actions"] == []
    refused(police.post(url(number, "accept/")), 403, None, "您的角色不能受理")
    refused(as_user(birth.delivery).post(url(number, "refuse/"), {"reason": "x"}), 403, None, "不予受理")
    refused(as_user(birth.citizen_user).post(url(number, "accept/")), 403, None, "受理")
    refused(
        as_user(birth.clerk).post(url(number, "post/"), {"tracking_number": "EA123456785CN"}), 403, None, ""
    )
    parent = BundleApplication.objects.get(number=number)
    assert parent.state == BundleState.SUBMITTED and parent.version == 1
    assert set(parent.children.values_list("state", flat=True)) == {"submitted"}


def test_a_stale_version_is_409(birth: Birth) -> None:
    number = apply(birth).bundle_application.number
    first = as_user(birth.clerk)
    second = as_user(UserFactory(roles=["clerk"], department=birth.clerk.department))
    version = detail(first, number)["version"]
    ok(second.post(url(number, "accept/"), {"version": version}))
    stale = first.post(url(number, "refuse/"), {"reason": "材料不符", "version": version})
    body = refused(stale, 409, "version", STALE)
    assert body["errors"] == {"version": [STALE]}
    assert BundleApplication.objects.get(number=number).state == BundleState.IN_PROGRESS


def test_actions_take_no_files_and_marks_name_the_material(birth: Birth) -> None:
    number = apply(birth).bundle_application.number
    clerk = as_user(birth.clerk)
    with_file = clerk.post(url(number, "accept/"), {"materials.1": [pdf()]}, format="multipart")
    refused(with_file, 400, "materials.1", "受理不接收文件")
    bad = clerk.post(
        url(number, "accept/"), {"materials": [{"material_id": "x", "status": "received"}]}, format="json"
    )
    assert bad.status_code == 400 and "materials" in bad.json()["errors"]
    deferred_id_card = clerk.post(
        url(number, "accept/"),
        {
            "materials": [
                {
                    "material_id": birth.id_card.pk,
                    "status": "deferred",
                    "commitment": "明天补",
                    "defer_days": 1,
                }
            ]
        },
        format="json",
    )
    assert deferred_id_card.status_code in (400, 422) and "关键材料" in deferred_id_card.json()["detail"]
    assert BundleApplication.objects.get(number=number).state == BundleState.SUBMITTED


def test_the_list_filters_pages_and_does_not_grow_in_queries(birth: Birth) -> None:
    numbers = [apply(birth).bundle_application.number for _ in range(3)]
    bundles.accept(bundle_application=BundleApplication.objects.get(number=numbers[0]), by=birth.clerk)
    clerk = as_user(birth.clerk)
    page = ok(clerk.get("/api/bundle-applications/?page_size=2"))
    assert len(page["results"]) == 2 and page["next"]
    assert "****" in page["results"][0]["applicant_code"]
    rest = ok(clerk.get(page["next"]))
    assert {r["number"] for r in page["results"] + rest["results"]} == set(numbers)
    running = ok(clerk.get("/api/bundle-applications/?state=in_progress"))["results"]
    assert [(r["number"], r["light"]) for r in running] == [(numbers[0], "green")]
    assert (
        ok(clerk.get(f"/api/bundle-applications/?bundle={birth.bundle.pk}&q={numbers[1][-6:]}"))["results"][
            0
        ]["number"]
        == numbers[1]
    )
    assert ok(clerk.get("/api/bundle-applications/?bundle=999999"))["results"] == []
    refused(clerk.get("/api/bundle-applications/?state=lost"), 400, "state", "")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            ok(clerk.get("/api/bundle-applications/"))
        return len(captured)

    before = queries()
    apply(birth)
    apply(birth)
    assert queries() == before


# ---------------------------------------------------------------------------------------------
# Realised savings: public figures, per bundle and over a period


def test_realised_savings_before_and_after_a_completed_bundle_application(birth: Birth) -> None:
    path = f"{birth.bundle.pk}/realised-savings/"
    before = ok(savings(path))
    assert before["bundle"] == {"id": birth.bundle.pk, "name": "新生儿出生"}
    assert before["bundle_applications"] == 0 and before["trips"]["items_total"] == "0"
    assert ok(savings("realised-savings/"))["bundles"] == []

    completed(birth)
    after = ok(savings(path))
    assert after["bundle_applications"] == 1
    # Online and collected once: 1 trip against 1 + 2 + 1 in the catalogue.
    assert after["trips"] == {
        "name": "跑动次数（次）",
        "items_total": "4",
        "bundle": "1",
        "saved": "3",
        "percent": "75.0",
    }
    # ID card, 分娩记录, 户口簿 once each, against 7 on the items' own checklists.
    assert (
        after["materials"]["items_total"],
        after["materials"]["bundle"],
        after["materials"]["percent"],
    ) == (
        "7",
        "3",
        "57.1",
    )
    assert (after["steps"]["items_total"], after["steps"]["bundle"]) == ("9", "3")
    assert float(after["time"]["items_total"]) >= float(after["time"]["bundle"]) >= 0

    overview = ok(savings("realised-savings/"))
    assert overview["bundle_applications"] == 1 and overview["trips"]["saved"] == "3"
    assert [(r["bundle"]["name"], r["bundle_applications"]) for r in overview["bundles"]] == [
        ("新生儿出生", 1)
    ]

    today = timezone.localdate()
    within = ok(savings(f"{path}?start={today}&end={today}"))
    assert within["bundle_applications"] == 1 and within["start"] == str(today)
    tomorrow, yesterday = today + timedelta(days=1), today - timedelta(days=1)
    assert ok(savings(f"{path}?start={tomorrow}"))["bundle_applications"] == 0
    assert ok(savings(f"{path}?end={yesterday}"))["bundle_applications"] == 0
    outside = ok(savings(f"realised-savings/?start={tomorrow}"))
    assert outside["bundle_applications"] == 0 and outside["bundles"] == []


def test_an_open_bundle_application_is_not_counted(birth: Birth) -> None:
    bundles.accept(bundle_application=apply(birth).bundle_application, by=birth.clerk)
    assert ok(savings(f"{birth.bundle.pk}/realised-savings/"))["bundle_applications"] == 0


def test_bad_dates_are_400_naming_the_parameter(birth: Birth) -> None:
    path = f"{birth.bundle.pk}/realised-savings/"
    refused(savings(f"{path}?start=2026-13-01"), 400, "start", "日期格式应为 YYYY-MM-DD")
    refused(savings("realised-savings/?end=yesterday"), 400, "end", "日期格式应为 YYYY-MM-DD")
    refused(savings(f"{path}?start=2026-06-10&end=2026-06-01"), 400, "end", "结束日期不能早于开始日期")
    refused(savings("999999/realised-savings/"), 404, None, "没有找到该一件事")
    refused(savings(f"{2**70}/realised-savings/"), 404, None, "没有找到该一件事")


def test_the_catalogue_bundle_is_still_served_beside_the_savings(birth: Birth) -> None:
    catalogue = ok(APIClient().get(f"/api/bundles/{birth.bundle.pk}/"))
    assert catalogue["name"] == "新生儿出生" and "savings" in catalogue
