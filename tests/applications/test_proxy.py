"""帮办代办: requests, authorisations (委托书) and filing on a principal's behalf through the window
intake — refused without a 委托书 covering the item today, nothing half-saved."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.factories import CitizenFactory, UserFactory
from zhengwu.applications import proxy_services, services
from zhengwu.applications.models import (
    Application,
    MaterialFile,
    ProxyAuthorisation,
    ProxyGroup,
    ProxyRequest,
    ProxyState,
)
from zhengwu.applications.workflow import ApplicationState
from zhengwu.core.errors import Conflict, InvalidInput, NotAllowed

from .conftest import FORM, all_received, pdf

ELDER_ID = "110101194501010019"


@pytest.fixture
def agent(office):
    return UserFactory(roles=["proxy_agent"], department=office.clerk.department, name="李帮办")


@pytest.fixture
def elder(db):
    return CitizenFactory(name="张奶奶", id_number=ELDER_ID, phone="13800002222")


def _request(office, agent, elder, *, items=None, take=True):
    request = proxy_services.register_request(
        by=office.clerk,
        principal=elder,
        items=items or [office.item, office.immediate_item],
        group=ProxyGroup.ELDERLY,
        channel="hall",
        contact_name="张奶奶",
        contact_phone="13800002222",
        note="行动不便",
    )
    if take:
        request = proxy_services.take(request=request, by=agent)
    return request


def _authorise(office, request, agent, *, items=None, days_back=0, days=30):
    today = timezone.localdate()
    return proxy_services.record_authorisation(
        request=request,
        by=agent,
        items=items or [office.item, office.immediate_item],
        valid_from=today - timedelta(days=days_back),
        valid_until=today + timedelta(days=days),
        scan=pdf("委托书.pdf"),
    )


def _file(office, request, agent, elder, item=None, *, with_file=False):
    item = item or office.item
    materials = all_received(office) if item == office.item else []
    if with_file:
        materials[0].files = [pdf("身份证.pdf")]
    return services.window_intake(
        item=item,
        by=agent,
        applicant=elder,
        contact_name=elder.name,
        contact_phone=elder.phone,
        form_data=FORM if item == office.item else {},
        materials=materials,
        outcome="submit",
        proxy_request=request,
    )


def test_agent_files_for_principal_and_every_agent_step_is_recorded(office, agent, elder):
    request = _request(office, agent, elder)
    assert request.state == ProxyState.IN_PROGRESS and request.agent == agent
    _authorise(office, request, agent)
    intake = _file(office, request, agent, elder)
    app = intake.application
    assert app.citizen == elder and app.applicant_name == "张奶奶"  # the applicant stays the principal
    assert app.agent == agent and app.proxy_request == request
    assert app.state == ApplicationState.SUBMITTED  # the window's 预审 accepts it
    submit = app.events.get(action="submit")
    assert submit.data["agent"] == "李帮办" and submit.data["proxy_request"] == request.number
    assert [m.status for m in app.materials.order_by("order")][:3] == ["received"] * 3


def test_without_authorisation_filing_is_refused_and_nothing_saved(office, agent, elder, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    request = _request(office, agent, elder)
    with pytest.raises(NotAllowed) as refused:
        _file(office, request, agent, elder, with_file=True)
    assert refused.value.field == "authorisation"
    assert "食品经营许可" in str(refused.value) and "委托书" in str(refused.value)
    assert Application.objects.count() == 0 and MaterialFile.objects.count() == 0
    assert not any(tmp_path.rglob("*.pdf"))


def test_item_outside_the_authorisation_is_refused(office, agent, elder):
    request = _request(office, agent, elder)
    _authorise(office, request, agent, items=[office.immediate_item])
    with pytest.raises(NotAllowed, match="食品经营许可"):
        _file(office, request, agent, elder)
    assert _file(office, request, agent, elder, office.immediate_item).application.agent == agent


def test_expired_authorisation_is_refused(office, agent, elder):
    request = _request(office, agent, elder)
    auth = _authorise(office, request, agent)
    ProxyAuthorisation.objects.filter(pk=auth.pk).update(
        valid_from=timezone.localdate() - timedelta(days=40),
        valid_until=timezone.localdate() - timedelta(days=1),
    )
    with pytest.raises(NotAllowed) as refused:
        _file(office, request, agent, elder)
    assert refused.value.field == "authorisation"
    assert Application.objects.count() == 0


def test_an_expired_authorisation_cannot_be_recorded(office, agent, elder):
    request = _request(office, agent, elder)
    with pytest.raises(InvalidInput, match="已过期"):
        _authorise(office, request, agent, days_back=40, days=-1)
    assert ProxyAuthorisation.objects.count() == 0


def test_scan_is_checked_by_content(office, agent, elder):
    request = _request(office, agent, elder)
    fake = SimpleUploadedFile("委托书.pdf", b"MZ not a pdf at all", content_type="application/pdf")
    with pytest.raises(InvalidInput) as bad:
        proxy_services.record_authorisation(
            request=request,
            by=agent,
            items=[office.item],
            valid_from=timezone.localdate(),
            valid_until=timezone.localdate(),
            scan=fake,
        )
    assert bad.value.field == "file"
    assert ProxyAuthorisation.objects.count() == 0


def test_wrong_agent_is_refused(office, agent, elder):
    other = UserFactory(roles=["proxy_agent"], department=office.clerk.department, name="王帮办")
    request = _request(office, agent, elder)
    _authorise(office, request, agent)
    with pytest.raises(NotAllowed, match="不是分派给您的"):
        _file(office, request, other, elder)
    with pytest.raises(NotAllowed, match="不是分派给您的"):
        _authorise(office, request, other)
    with pytest.raises(Conflict, match="不能认领"):
        proxy_services.take(request=request, by=other)
    assert Application.objects.count() == 0


def test_applicant_must_be_the_principal(office, agent, elder):
    request = _request(office, agent, elder)
    _authorise(office, request, agent)
    with pytest.raises(NotAllowed, match="委托人本人"):
        _file(office, request, agent, office.citizen)


def test_a_clerk_assigns_only_to_proxy_agents(office, agent, elder):
    request = _request(office, agent, elder, take=False)
    with pytest.raises(InvalidInput, match="帮办代办员"):
        proxy_services.assign(request=request, agent=office.approver, by=office.clerk)
    with pytest.raises(NotAllowed):
        proxy_services.assign(request=request, agent=agent, by=agent)
    request = proxy_services.assign(request=request, agent=agent, by=office.clerk)
    assert request.agent == agent and request.state == ProxyState.IN_PROGRESS


def test_other_roles_cannot_register_or_file(office, agent, elder):
    with pytest.raises(NotAllowed):
        proxy_services.register_request(
            by=office.approver,
            principal=elder,
            items=[office.item],
            group=ProxyGroup.ELDERLY,
            channel="phone",
            contact_name="张奶奶",
            contact_phone="13800002222",
        )
    request = _request(office, agent, elder)
    _authorise(office, request, agent)
    with pytest.raises(NotAllowed):
        _file(office, request, office.approver, elder)
    assert ProxyRequest.objects.count() == 1


def test_collect_and_close(office, agent, elder):
    request = _request(office, agent, elder)
    _authorise(office, request, agent)
    app = _file(office, request, agent, elder).application
    with pytest.raises(Conflict, match=app.number):
        proxy_services.close(request=request, by=agent, outcome="已办完")
    services.accept(application=app, by=office.clerk)
    services.review(application=app, by=office.approver)
    services.decide(application=app, by=office.approver, approved=True, opinion="准予许可")
    services.complete(application=app, by=office.approver, result_number="市监食许〔2026〕1号")
    services.certify(application=app, by=office.approver, licence_number="JY14101000000009")
    with pytest.raises(NotAllowed):  # the agent does not hand over: the 出件窗口 does
        proxy_services.collect(application=app, by=agent, recipient_id_number="110101199003070011")
    delivery = proxy_services.collect(
        application=app, by=office.delivery, recipient_id_number="110101199003070011"
    )
    assert delivery.by_proxy and delivery.recipient_name == "李帮办"
    assert request.number in delivery.proxy_authorisation
    app.refresh_from_db()
    assert app.state == ApplicationState.DELIVERED
    request = proxy_services.close(request=request, by=agent, outcome="证已交张奶奶本人")
    assert request.state == ProxyState.CLOSED


def test_agent_sees_only_own_applications(office, agent, elder):
    from zhengwu.applications.proxy import visible_requests
    from zhengwu.applications.selectors import visible_to

    other = UserFactory(roles=["proxy_agent"], department=office.clerk.department, name="王帮办")
    request = _request(office, agent, elder)
    _authorise(office, request, agent)
    app = _file(office, request, agent, elder).application
    walked_in = services.window_intake(
        item=office.item,
        by=office.clerk,
        applicant=office.citizen,
        contact_name="王小明",
        contact_phone="13900001111",
        form_data=FORM,
        materials=all_received(office),
        outcome="accept",
    ).application
    assert list(visible_to(agent)) == [app]
    assert list(visible_to(other)) == []
    assert walked_in not in visible_to(agent)
    assert list(visible_requests(other)) == []
    assert list(visible_requests(office.approver)) == []
    assert list(visible_requests(agent)) == [request]


def test_online_filing_for_the_principal_needs_the_authorisation_too(office, agent, elder):
    request = _request(office, agent, elder)
    kwargs = {
        "item": office.item,
        "by": agent,
        "applicant": elder,
        "contact_name": elder.name,
        "contact_phone": elder.phone,
        "form_data": FORM,
        "uploads": {u.pk: [pdf(f"{u.material.name}.pdf")] for u in office.uses[:3]},
        "proxy_request": request,
    }
    with pytest.raises(NotAllowed) as refused:
        services.apply_online(**kwargs)
    assert refused.value.field == "authorisation" and Application.objects.count() == 0
    _authorise(office, request, agent)
    kwargs["uploads"] = {u.pk: [pdf(f"{u.material.name}.pdf")] for u in office.uses[:3]}
    app = services.apply_online(**kwargs).application
    assert app.agent == agent and app.citizen == elder and app.state == ApplicationState.SUBMITTED
    assert app.events.get(action="submit").data["agent"] == "李帮办"
