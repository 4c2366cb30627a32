"""The demo city's 帮办代办: made once for the module through the real services, then read by each
test — requests in every stage on each agent's workbench, closed ones whose applications the agent
collected, the signed 委托书 on file, and nothing added by a second load."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from zhengwu.accounts import demo as accounts_demo
from zhengwu.accounts.models import User
from zhengwu.applications.demo import load_demo_applications
from zhengwu.applications.models import Application, ProxyItem, ProxyRequest, ProxyState
from zhengwu.applications.proxy_demo import AGENT_ID_NUMBERS, load_demo_proxy_requests
from zhengwu.applications.workflow import ApplicationState
from zhengwu.catalog import demo as catalog_demo
from zhengwu.org import demo as org_demo

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo city with its applications, then the 帮办代办 requests — loaded twice — inside one
    transaction rolled back when the module's tests are done."""
    media = tmp_path_factory.mktemp("media")
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media), PASSWORD_HASHERS=fast):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            regions = org_demo.load_demo_regions()
            departments = org_demo.load_demo_departments(regions["city"], catalog_demo.DEPARTMENTS)
            hall = org_demo.load_demo_hall(regions["city"], departments)
            accounts_demo.load_demo_users(departments, hall)
            accounts_demo.load_demo_applicants()
            catalog_demo.load_demo_catalog(departments=departments)
            load_demo_applications()
            created = load_demo_proxy_requests()
            count = ProxyRequest.objects.count()
            again = load_demo_proxy_requests()
            yield SimpleNamespace(created=created, again=again, count=count, media=media)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def test_thirty_requests_once(demo):
    assert demo.created == 30
    assert demo.again == 0
    assert ProxyRequest.objects.count() == demo.count == 30


def test_every_stage_and_both_agents(demo):
    states = set(ProxyRequest.objects.values_list("state", flat=True))
    assert states == {ProxyState.WAITING, ProxyState.IN_PROGRESS, ProxyState.CLOSED, ProxyState.CANCELLED}
    agents = set(ProxyRequest.objects.exclude(agent=None).values_list("agent__username", flat=True))
    assert agents == {"proxy", "proxy2"}
    groups = set(ProxyRequest.objects.values_list("group", flat=True))
    assert {"elderly", "disabled", "key_project"} <= groups
    open_ = ProxyRequest.objects.filter(state=ProxyState.IN_PROGRESS)
    assert open_.filter(authorisations__isnull=True).exists()  # taken, no 委托书 yet
    assert open_.filter(authorisations__isnull=False, applications__isnull=True).exists()
    assert open_.filter(applications__isnull=False).exists()


def test_agent_workbench_lists_requests_in_several_states(demo, client):
    agent = User.objects.get(username="proxy2")
    client.force_login(agent)
    url = reverse("applications:proxy_workbench")
    seen = {}
    for tab in ("open", "waiting", "history"):
        page = client.get(url, {"tab": tab})
        assert page.status_code == 200
        seen[tab] = [r.number for r in page.context["requests"]]
    assert all(seen.values())
    mine = ProxyRequest.objects.filter(agent=agent)
    assert set(seen["open"]) == set(
        mine.filter(state=ProxyState.IN_PROGRESS).values_list("number", flat=True)
    )
    assert set(seen["waiting"]) == set(
        ProxyRequest.objects.filter(state=ProxyState.WAITING).values_list("number", flat=True)
    )
    assert set(seen["history"]) == set(
        mine.filter(state__in=(ProxyState.CLOSED, ProxyState.CANCELLED)).values_list("number", flat=True)
    )


def test_closed_request_has_its_applications_delivered_to_the_agent(demo):
    closed = ProxyRequest.objects.filter(state=ProxyState.CLOSED)
    assert closed.count() == 8
    for request in closed:
        apps = list(request.applications.select_related("delivery"))
        assert apps and len(apps) == request.items.count()
        for a in apps:
            assert a.state == ApplicationState.DELIVERED
            assert a.agent_id == request.agent_id
            assert a.applicant_name == request.principal_name
            assert a.delivery.by_proxy
            assert a.delivery.recipient_id_number == AGENT_ID_NUMBERS[request.agent.username]
            assert request.number in a.delivery.proxy_authorisation
            assert a.submitted_at >= request.created_at and a.closed_at <= request.closed_at
        assert request.assigned_at > request.created_at
        assert request.outcome


def test_filed_applications_record_the_agent_and_history_in_the_past(demo):
    apps = Application.objects.filter(proxy_request__isnull=False).select_related("proxy_request")
    assert apps.count() >= 10
    assert {a.state for a in apps} >= {ApplicationState.DELIVERED, ApplicationState.REVIEWING}
    for a in apps:
        assert a.agent_id == a.proxy_request.agent_id
        first = a.events.order_by("seq").first()
        assert first.data["proxy_request"] == a.proxy_request.number
    days = {r.created_at.date() for r in ProxyRequest.objects.all()}
    assert len(days) > 10  # spread over the last months, not all made at once


def test_authorisation_is_a_signed_pdf_covering_the_items(demo):
    request = ProxyRequest.objects.filter(state=ProxyState.CLOSED).first()
    authorisation = request.authorisations.get()
    assert authorisation.content_type == "application/pdf"
    with authorisation.file.open("rb") as f:
        assert f.read(5) == b"%PDF-"
    assert set(authorisation.items.values_list("pk", flat=True)) == set(
        request.items.values_list("pk", flat=True)
    )
    assert authorisation.agent_id == request.agent_id
    assert ProxyItem.objects.count() >= 3  # the public list of 帮办代办 items is not empty


def test_second_agent_logs_in_with_the_demo_password(demo):
    agent = User.objects.get(username="proxy2")
    assert agent.is_staff and agent.has_perm("applications.act_as_proxy")
    assert agent.check_password(accounts_demo.DEMO_PASSWORD)
