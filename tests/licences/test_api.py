"""The licence API: the holder's licences, PDF, shares and use log; the issuing department's list,
变更, 注销 and 吊销. Another holder's or department's licence is 404; errors name the field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.factories import CitizenFactory, DepartmentFactory, LicenceTypeFactory, UserFactory
from zhengwu.licences import services
from zhengwu.licences.models import Licence, LicenceShare, LicenceState, LicenceUse, UseKind


def as_user(user: Any) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def refused(response: Any, status: int, field: str | None, words: str) -> dict[str, Any]:
    assert response.status_code == status, response.content.decode()[:800]
    body = response.json()
    assert words in body["detail"], body
    if field is not None:
        assert field in body["errors"] and words in " ".join(body["errors"][field]), body
    return body


def holder_api(citizen) -> APIClient:
    user = UserFactory(is_staff=False, department=None, name=citizen.name)
    citizen.user = user
    citizen.save(update_fields=["user"])
    return as_user(user)


@pytest.fixture
def api(citizen):
    return holder_api(citizen)


@pytest.fixture
def staff(make_user, issuer):
    return as_user(make_user("approver", department=issuer))


def test_holder_lists_and_reads_only_own_licences(api, make_licence):
    mine = make_licence()
    other = make_licence(holder=CitizenFactory(name="王五"))
    body = api.get("/api/my/licences/").json()
    assert [row["identifier"] for row in body["results"]] == [mine.identifier]
    assert body["results"][0]["state_name"] == "有效" and body["results"][0]["valid_until"] == "2031-06-09"
    detail = api.get(f"/api/my/licences/{mine.pk}/").json()
    assert detail["surface"] == {"住址": "示范市中原路1号"} and "/licences/verify/?i=" in detail["qr_text"]
    for path in ("", "pdf/", "uses/"):
        refused(api.get(f"/api/my/licences/{other.pk}/{path}"), 404, None, "没有找到该证照")
    refused(
        api.post(f"/api/my/licences/{other.pk}/shares/", {"organisation": "甲", "purpose": "乙", "days": 1}),
        404,
        None,
        "没有找到该证照",
    )
    assert not LicenceShare.objects.exists() and not LicenceUse.objects.exists()
    assert APIClient().get("/api/my/licences/").status_code in (401, 403)


def test_pdf_download_is_logged_and_listed_in_uses(api, make_licence):
    licence = make_licence()
    response = api.get(f"/api/my/licences/{licence.pk}/pdf/")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    uses = api.get(f"/api/my/licences/{licence.pk}/uses/").json()["results"]
    assert [(u["kind"], u["purpose"]) for u in uses] == [(UseKind.DOWNLOAD, "持证人下载")]


def test_share_by_api_then_view_expire_and_revoke(api, make_licence, time_machine):
    licence = make_licence()
    refused(
        api.post(
            f"/api/my/licences/{licence.pk}/shares/",
            {"organisation": "示范银行", "purpose": "贷款", "days": 0},
            format="json",
        ),
        400,
        "days",
        "",
    )
    created = api.post(
        f"/api/my/licences/{licence.pk}/shares/",
        {"organisation": "示范银行", "purpose": "贷款审核", "days": 1},
        format="json",
    )
    assert created.status_code == 201, created.content
    link = created.json()["url"].replace("http://testserver", "")
    viewer = APIClient()
    assert viewer.get(link).status_code == 200
    uses = api.get(f"/api/my/licences/{licence.pk}/uses/").json()["results"]
    assert [(u["kind"], u["used_by"], u["purpose"]) for u in uses] == [
        (UseKind.SHARE, "示范银行", "贷款审核")
    ]
    time_machine.move_to(LicenceShare.objects.get().expires_at + dt.timedelta(minutes=1))  # the clock ticks
    assert viewer.get(link).status_code == 403
    api.force_login(Licence.objects.get().citizen.user)  # a day later: a new session
    second = api.post(
        f"/api/my/licences/{licence.pk}/shares/",
        {"organisation": "示范保险", "purpose": "理赔", "days": 5},
        format="json",
    ).json()
    revoked = api.post(f"/api/my/licences/shares/{second['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert viewer.get(second["url"].replace("http://testserver", "")).status_code == 403
    stranger = holder_api(CitizenFactory(name="王五"))
    refused(stranger.post(f"/api/my/licences/shares/{second['id']}/revoke/"), 404, None, "没有找到该授权")


def test_staff_lists_own_department_only_and_another_departments_is_404(staff, make_licence):
    mine = make_licence()
    other_dep = DepartmentFactory(name="示范市另一局")
    other_type = LicenceTypeFactory(name="另一局许可证", defining_department=other_dep)
    other = make_licence(licence_type=other_type, issuer=other_dep)
    rows = staff.get("/api/licences/").json()["results"]
    assert [r["identifier"] for r in rows] == [mine.identifier]
    assert staff.get("/api/licences/", {"state": "revoked"}).json()["results"] == []
    refused(staff.get("/api/licences/", {"state": "nope"}), 400, "state", "状态应为")
    for path in ("", "change/", "cancel/", "revoke/"):
        method = staff.get if not path else staff.post
        refused(
            method(f"/api/licences/{other.pk}/{path}", {"reason": "x", "surface": {}}, format="json")
            if path
            else method(f"/api/licences/{other.pk}/"),
            404,
            None,
            "没有找到该证照",
        )
    other.refresh_from_db()
    assert other.state == LicenceState.VALID


def test_holders_and_clerks_cannot_use_the_staff_api(api, make_user, issuer, make_licence):
    licence = make_licence()
    refused(api.get("/api/licences/"), 403, None, "审批人员")
    clerk = as_user(make_user("clerk", department=issuer))
    refused(
        clerk.post(f"/api/licences/{licence.pk}/cancel/", {"reason": "x"}, format="json"),
        403,
        None,
        "审批人员",
    )


def test_change_cancel_and_revoke_by_api(staff, make_licence):
    licence = make_licence()
    url = f"/api/licences/{licence.pk}/"
    refused(
        staff.post(
            url + "change/", {"surface": {"address": "示范市中原路1号"}, "reason": "无"}, format="json"
        ),
        400,
        "surface",
        "照面信息没有变化",
    )
    refused(
        staff.post(url + "change/", {"surface": {"colour": "红"}, "reason": "无"}, format="json"),
        400,
        "surface",
        "colour",
    )
    refused(staff.post(url + "change/", {"surface": {"address": "新址"}}, format="json"), 400, "reason", "")
    assert Licence.objects.count() == 1
    changed = staff.post(
        url + "change/", {"surface": {"address": "示范市新华路2号"}, "reason": "住址变更"}, format="json"
    )
    assert changed.status_code == 201, changed.content
    new = changed.json()
    assert new["version"] == 2 and new["surface"] == {"住址": "示范市新华路2号"}
    old = staff.get(url).json()
    assert old["state"] == "superseded" and old["superseded_by"] == new["identifier"]
    refused(staff.post(url + "cancel/", {"reason": "注销"}, format="json"), 409, "state", "已变更")
    refused(
        staff.post(
            f"/api/licences/{new['id']}/cancel/", {"reason": "注销", "on": "2026-07-01"}, format="json"
        ),
        400,
        "on",
        "不能晚于今天",
    )
    cancelled = staff.post(
        f"/api/licences/{new['id']}/cancel/", {"reason": "持证人申请", "on": "2026-06-09"}, format="json"
    )
    assert cancelled.status_code == 200 and cancelled.json()["state_name"] == "已注销"
    assert cancelled.json()["state_changed_on"] == "2026-06-09"
    third = make_licence(holder=CitizenFactory(name="钱七"))
    revoked = staff.post(f"/api/licences/{third.pk}/revoke/", {"reason": "违法经营"}, format="json")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert services.verify_identifier(third.identifier).outcome == "revoked"
