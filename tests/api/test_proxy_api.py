"""帮办代办 through the REST API: the public list of items, a request registered, taken, its 委托书
uploaded, an item filed for the principal and the request closed — and what must be refused with
the service's status and a Chinese message naming the field, nothing saved: filing without a
委托书 covering the item (403), another agent's request or another citizen's (404), a request
already taken (409), a 委托书 out of date, outside the request's items or not a PDF or image
(400), anonymous callers and forged credentials (401)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from tests.applications.conftest import FORM, PDF, Office, make_office
from tests.factories import UserFactory
from zhengwu.accounts.models import Citizen
from zhengwu.applications import services
from zhengwu.applications.models import Application, ProxyAuthorisation, ProxyItem, ProxyRequest

pytestmark = pytest.mark.django_db

ELDER_ID = "110101194501010019"
LIST = "/api/proxy-requests/"


@pytest.fixture
def office(db) -> Office:
    return make_office()


@pytest.fixture
def agent(office):
    return UserFactory(roles=["proxy_agent"], department=office.clerk.department, name="李帮办")


@pytest.fixture(autouse=True)
def _media_and_throttles(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    cache.clear()
    yield
    cache.clear()


def as_user(user: Any) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def body(response: Any, code: int = 200) -> Any:
    assert response.status_code == code, response.content.decode()[:800]
    return response.json()


def register(api: APIClient, office: Office, **extra: Any) -> Any:
    data = {
        "principal_code": ELDER_ID,
        "principal_name": "张奶奶",
        "group": "elderly",
        "channel": "hall",
        "items": [office.item.pk, office.immediate_item.pk],
        "contact_name": "张奶奶",
        "contact_phone": "13800002222",
        "note": "行动不便",
        **extra,
    }
    return api.post(LIST, data, format="json")


def scan(name: str = "委托书.pdf", content: bytes = PDF, kind: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=kind)


def authorise(api: APIClient, number: str, items: list[int], *, days: int = 30, file: Any = None) -> Any:
    today = timezone.localdate()
    return api.post(
        f"{LIST}{number}/authorisations/",
        {
            "items": items,
            "valid_from": today.isoformat(),
            "valid_until": (today + timedelta(days=days)).isoformat(),
            "file": file or scan(),
        },
        format="multipart",
    )


def file_item(api: APIClient, office: Office, number: str) -> Any:
    received = [u.pk for u in office.uses[:3]]
    return api.post(
        f"{LIST}{number}/applications/",
        {"item": office.item.pk, "form_data": FORM, "received": received},
        format="json",
    )


def test_the_list_of_proxy_items_is_public(office):
    ProxyItem.objects.create(item=office.item, order=1, note="老年人上门服务")
    rows = body(APIClient().get("/api/proxy-items/"))
    assert rows == [
        {
            "item": {"id": office.item.pk, "name": "食品经营许可"},
            "department": "市场监督管理局",
            "order": 1,
            "note": "老年人上门服务",
        }
    ]


def test_agent_registers_takes_authorises_files_and_closes(office, agent):
    api = as_user(agent)
    made = body(register(api, office), 201)
    number = made["number"]
    assert made["state"] == "waiting" and made["agent"] is None and made["principal_name"] == "张奶奶"
    assert made["principal_code"] != ELDER_ID and made["principal_code"].startswith("1101")  # masked
    assert made["contact_phone"] == "13800002222" and made["group_name"] == "老年人"
    assert Citizen.objects.filter(id_number=ELDER_ID).exists()  # the principal is registered with it

    taken = body(api.post(f"{LIST}{number}/take/"))
    assert taken["state"] == "in_progress" and taken["agent"] == {"id": agent.pk, "name": "李帮办"}

    # without a 委托书 the agent may not file for the principal: 403, nothing saved
    refused = body(file_item(api, office, number), 403)
    assert "委托书" in refused["detail"] and "食品经营许可" in refused["detail"]
    assert "authorisation" in refused["errors"]
    assert not Application.objects.exists()

    recorded = body(authorise(api, number, [office.item.pk]), 201)
    assert recorded["authorised_items"] == [office.item.pk]
    (row,) = recorded["authorisations"]
    assert row["agent"] == "李帮办" and row["valid_today"] and row["content_type"] == "application/pdf"
    assert row["items"] == [{"id": office.item.pk, "name": "食品经营许可"}]

    filed = body(file_item(api, office, number), 201)
    assert filed["state"] == "submitted"
    application = Application.objects.get(number=filed["number"])
    assert application.citizen.id_number == ELDER_ID and application.agent == agent

    still_open = body(api.post(f"{LIST}{number}/close/", {"outcome": "已办结"}, format="json"), 409)
    assert "尚未出件或结束" in still_open["detail"] and "state" in still_open["errors"]
    services.refuse(application=application, by=office.clerk, reason="材料不齐")
    closed = body(api.post(f"{LIST}{number}/close/", {"outcome": "已告知委托人"}, format="json"))
    assert closed["state"] == "closed" and closed["outcome"] == "已告知委托人"
    assert [a["number"] for a in closed["applications"]] == [application.number]
    listed = body(api.get(LIST, {"state": "closed"}))["results"]
    assert [r["number"] for r in listed] == [number] and listed[0]["contact_phone"] == "138****2222"


def test_an_item_outside_the_authorisation_is_refused(office, agent):
    api = as_user(agent)
    number = body(register(api, office), 201)["number"]
    body(api.post(f"{LIST}{number}/take/"))
    body(authorise(api, number, [office.immediate_item.pk]), 201)
    refused = body(file_item(api, office, number), 403)
    assert "食品经营许可" in refused["detail"] and "authorisation" in refused["errors"]
    assert not Application.objects.exists()


def test_authorisation_input_is_checked_and_nothing_saved(office, agent):
    api = as_user(agent)
    number = body(register(api, office, items=[office.item.pk]), 201)["number"]
    body(api.post(f"{LIST}{number}/take/"))
    expired = body(authorise(api, number, [office.item.pk], days=-1), 400)
    assert "valid_until" in expired["errors"]
    outside = body(authorise(api, number, [office.immediate_item.pk]), 400)
    assert (
        outside["detail"] == "“个体工商户名称变更登记”不在本次帮办代办的事项中"
        and "items" in outside["errors"]
    )
    not_a_scan = body(
        authorise(api, number, [office.item.pk], file=scan("委托书.pdf", b"hello", "application/pdf")), 400
    )
    assert "file" in not_a_scan["errors"]
    missing = api.post(f"{LIST}{number}/authorisations/", {"items": [office.item.pk]}, format="multipart")
    assert "file" in body(missing, 400)["errors"]
    assert not ProxyAuthorisation.objects.exists()


def test_registering_bad_input_names_the_field_and_saves_nothing(office, agent):
    api = as_user(agent)
    bad_id = body(register(api, office, principal_code="110101194501010018"), 400)
    assert "principal_code" in bad_id["errors"]
    unknown = body(register(api, office, items=[999999]), 400)
    assert unknown["detail"] == "没有编号为 999999 的已发布事项" and "items" in unknown["errors"]
    no_group = body(register(api, office, group="nobody"), 400)
    assert "group" in no_group["errors"]
    assert not ProxyRequest.objects.exists() and not Citizen.objects.filter(id_number=ELDER_ID).exists()


def test_another_agents_request_is_404_and_a_taken_request_409(office, agent):
    clerk = as_user(office.clerk)
    number = body(register(clerk, office), 201)["number"]
    other = UserFactory(roles=["proxy_agent"], department=office.clerk.department, name="王帮办")
    body(as_user(other).post(f"{LIST}{number}/take/"))
    api = as_user(agent)
    assert body(api.get(f"{LIST}{number}/"), 404)["detail"] == "没有找到该帮办代办申请"
    assert api.post(f"{LIST}{number}/take/").status_code == 404
    assert authorise(api, number, [office.item.pk]).status_code == 404
    assert body(api.get(LIST))["results"] == []
    again = body(as_user(other).post(f"{LIST}{number}/take/"), 409)
    assert again["detail"] == f"帮办代办申请{number}已是“办理中”，不能认领"
    # the clerk reassigns; then the first agent has it and the other does not
    assigned = body(clerk.post(f"{LIST}{number}/assign/", {"agent": agent.pk}, format="json"))
    assert assigned["agent"]["id"] == agent.pk
    assert body(api.get(f"{LIST}{number}/"))["number"] == number
    not_an_agent = body(
        clerk.post(f"{LIST}{number}/assign/", {"agent": office.approver.pk}, format="json"), 400
    )
    assert not_an_agent["detail"] == "请选择一位帮办代办员" and "agent" in not_an_agent["errors"]
    assert ProxyRequest.objects.get(number=number).agent == agent


def test_a_citizen_sees_the_requests_made_for_them_only(office, agent):
    clerk = as_user(office.clerk)
    own = body(register(clerk, office, principal_code=office.citizen.id_number), 201)["number"]
    body(register(clerk, office), 201)  # someone else's
    citizen = as_user(office.citizen_user)
    assert [r["number"] for r in body(citizen.get(LIST))["results"]] == [own]
    assert body(citizen.get(f"{LIST}{own}/"))["principal_name"] == "王小明"
    refused = body(citizen.post(f"{LIST}{own}/take/"), 403)
    assert refused["detail"] == "您的角色不能认领帮办代办申请"
    assert body(register(citizen, office), 403)["detail"].startswith("群众账号不能登记")
    stranger = as_user(office.stranger_user)
    assert stranger.get(f"{LIST}{own}/").status_code == 404
    assert body(stranger.get(LIST))["results"] == []
    assert ProxyRequest.objects.get(number=own).state == "waiting"


def test_anonymous_and_forged_credentials_are_401(office):
    number = body(register(as_user(office.clerk), office), 201)["number"]
    assert APIClient().get(LIST).status_code == 401
    assert APIClient().post(f"{LIST}{number}/take/").status_code == 401
    assert APIClient(HTTP_AUTHORIZATION="ApiKey forged-key-0000").get(f"{LIST}{number}/").status_code == 401
    forged = APIClient()
    forged.cookies["sessionid"] = "forgedsessionforgedsession000000"
    assert forged.get(f"{LIST}{number}/").status_code == 401
    assert ProxyRequest.objects.get(number=number).state == "waiting"


def test_the_list_queries_do_not_grow_with_rows(office, agent):
    clerk = as_user(office.clerk)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            body(clerk.get(LIST))
        return len(queries)

    body(as_user(agent).post(f"{LIST}{body(register(clerk, office), 201)['number']}/take/"))
    one = count()
    for _ in range(4):
        number = body(register(clerk, office), 201)["number"]
        body(as_user(agent).post(f"{LIST}{number}/take/"))
    assert count() == one
