"""帮办代办 pages through the test client: what the agent, the clerk, the delivery window and the
public see, and the refusals shown in Chinese with their status."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory
from zhengwu.applications import services
from zhengwu.applications.models import Application, ProxyItem, ProxyRequest, ProxyState

from .conftest import pdf

ELDER_ID = "110101194501010019"


@pytest.fixture
def agent(office):
    return UserFactory(roles=["proxy_agent"], department=office.clerk.department, name="李帮办")


def _register(client, office):
    response = client.post(
        reverse("applications:proxy_new"),
        {
            "principal_kind": "person",
            "principal_code": ELDER_ID,
            "principal_name": "张奶奶",
            "group": "elderly",
            "channel": "phone",
            "items": [office.item.pk, office.immediate_item.pk],
            "contact_name": "张奶奶",
            "contact_phone": "13800002222",
        },
    )
    assert response.status_code == 302, [
        line for line in response.content.decode().splitlines() if "errorlist" in line
    ]
    return ProxyRequest.objects.get()


def _file_url(req, item):
    return reverse("applications:proxy_file", args=[req.number, item.pk])


def test_agent_journey_through_the_pages(client, office, agent):
    client.force_login(agent)
    req = _register(client, office)
    assert req.principal_name == "张奶奶" and req.citizen.id_number == ELDER_ID
    page = client.get(reverse("applications:proxy_detail", args=[req.number])).content.decode()
    assert "待分派" in page and "认领此申请" in page
    client.post(reverse("applications:proxy_act", args=[req.number, "take"]))
    req.refresh_from_db()
    assert req.state == ProxyState.IN_PROGRESS and req.agent == agent

    form = {"form_business_address": "示范市中原路1号", "form_scope": "预包装食品销售"}
    form.update({f"material_{u.pk}": "on" for u in office.uses[:3]})
    refused = client.post(_file_url(req, office.item), form)
    assert refused.status_code == 403
    assert "委托您办理“食品经营许可”的有效委托书" in refused.content.decode()
    assert Application.objects.count() == 0

    today = timezone.localdate()
    response = client.post(
        reverse("applications:proxy_act", args=[req.number, "authorise"]),
        {
            "items": [office.item.pk],
            "valid_from": today.isoformat(),
            "valid_until": (today + timedelta(days=30)).isoformat(),
            "file": pdf("委托书.pdf"),
        },
    )
    assert response.status_code == 302
    response = client.post(_file_url(req, office.item), form)
    assert response.status_code == 302
    app = Application.objects.get()
    assert app.agent == agent and app.applicant_name == "张奶奶"
    page = client.get(reverse("applications:proxy_detail", args=[req.number])).content.decode()
    assert app.number in page and "待预审" in page
    # the item outside the 委托书 is still refused
    refused = client.post(_file_url(req, office.immediate_item), {"material_1": ""})
    assert refused.status_code == 403 and "个体工商户名称变更登记" in refused.content.decode()
    workbench = client.get(reverse("applications:proxy_workbench")).content.decode()
    assert req.number in workbench and app.number in workbench
    assert client.get(reverse("applications:detail", args=[app.number])).status_code == 200


def test_bad_principal_number_is_shown_next_to_the_field(client, office, agent):
    client.force_login(agent)
    response = client.post(
        reverse("applications:proxy_new"),
        {
            "principal_kind": "person",
            "principal_code": "110101194501010015",
            "principal_name": "张奶奶",
            "group": "elderly",
            "channel": "hall",
            "items": [office.item.pk],
            "contact_name": "张奶奶",
            "contact_phone": "13800002222",
        },
    )
    assert response.status_code == 400
    assert "校验" in response.content.decode() or "身份号码" in response.content.decode()
    assert ProxyRequest.objects.count() == 0


def test_others_do_not_see_requests(client, office, agent):
    client.force_login(agent)
    req = _register(client, office)
    client.post(reverse("applications:proxy_act", args=[req.number, "take"]))
    other_agent = UserFactory(roles=["proxy_agent"], department=office.clerk.department, name="王帮办")
    client.force_login(other_agent)
    assert client.get(reverse("applications:proxy_detail", args=[req.number])).status_code == 404
    assert req.number not in client.get(reverse("applications:proxy_workbench")).content.decode()
    client.force_login(office.other_approver)
    assert client.get(reverse("applications:proxy_detail", args=[req.number])).status_code == 403
    assert client.get(reverse("applications:proxy_workbench")).status_code == 403
    client.force_login(office.citizen_user)
    assert client.get(reverse("applications:proxy_workbench")).status_code == 403


def test_clerk_assigns_from_the_page(client, office, agent):
    client.force_login(agent)
    req = _register(client, office)
    client.force_login(office.clerk)
    response = client.post(
        reverse("applications:proxy_act", args=[req.number, "assign"]), {"agent": agent.pk}
    )
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.agent == agent


def test_public_list_and_menu(client, office):
    ProxyItem.objects.create(item=office.item, order=1, note="老年人上门收件")
    page = client.get(reverse("applications_public:proxy_items")).content.decode()
    assert "帮办代办事项清单" in page and "食品经营许可" in page and "老年人上门收件" in page
    header = client.get("/").content.decode().split("<header", 1)[1].split("</header>", 1)[0]
    assert f'href="{reverse("applications_public:proxy_items")}">帮办代办</a>' in header


def test_delivery_window_hands_the_result_to_the_agent(client, office, agent):
    client.force_login(agent)
    req = _register(client, office)
    client.post(reverse("applications:proxy_act", args=[req.number, "take"]))
    today = timezone.localdate()
    client.post(
        reverse("applications:proxy_act", args=[req.number, "authorise"]),
        {
            "items": [office.item.pk],
            "valid_from": today.isoformat(),
            "valid_until": today.isoformat(),
            "file": pdf("委托书.pdf"),
        },
    )
    form = {"form_business_address": "示范市中原路1号", "form_scope": "预包装食品销售"}
    form.update({f"material_{u.pk}": "on" for u in office.uses[:3]})
    client.post(_file_url(req, office.item), form)
    app = Application.objects.get()
    services.accept(application=app, by=office.clerk)
    services.review(application=app, by=office.approver)
    services.decide(application=app, by=office.approver, approved=True, opinion="准予许可")
    services.complete(application=app, by=office.approver, result_number="市监食许〔2026〕2号")
    services.certify(application=app, by=office.approver, licence_number="JY14101000000010")
    client.force_login(office.delivery)
    page = client.get(reverse("applications:proxy_detail", args=[req.number])).content.decode()
    assert "代领出件" in page
    response = client.post(
        reverse("applications:proxy_collect", args=[req.number, app.number]),
        {"recipient_id_number": "110101199003070011"},
    )
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.state == "delivered" and app.delivery.by_proxy
    client.force_login(agent)
    response = client.post(
        reverse("applications:proxy_act", args=[req.number, "close"]), {"outcome": "证已送到家"}
    )
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.state == ProxyState.CLOSED
