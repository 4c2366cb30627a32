"""The applications admin: the administrator reads every model, applications change only through
the services (no add, change or delete here), personal data is masked, the history can be checked
for tampering, the 首席代表授权 is recorded here and takes effect, and rows follow the pages'
visibility rule."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory
from zhengwu.applications import proxy_services, services
from zhengwu.applications.admin import ApplicationAdmin, ApplicationEventAdmin, ApplicationMaterialAdmin
from zhengwu.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationMaterial,
    MaterialStatus,
    ProxyItem,
    WindowAuthorisation,
)
from zhengwu.casework.models import DailyCounter

from .conftest import all_received, online, pdf, walk_in

pytestmark = pytest.mark.django_db

APP_MODELS = sorted(
    (m for m in admin.site._registry if m._meta.app_label in ("applications", "casework")),
    key=lambda m: m._meta.label,
)

BUNDLE_MODELS = {"applications.BundleApplication", "applications.BundleEvent"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def administrator(make_user):
    return make_user("admin", name="陈管理")


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _busy_office(office) -> Application:
    """An application with every kind of row: a 容缺 material, a 补正 round (files), a special
    procedure with its pause, notices, a delivery and its history; plus an online one."""
    marks = all_received(office)
    marks[2] = services.MaterialInput(
        office.uses[2].pk, MaterialStatus.DEFERRED, commitment="三日内补交", defer_days=3
    )
    app = walk_in(
        office, materials=marks, delivery_method="post", postal_address="示范市中原路2号"
    ).application
    services.review(application=app, by=office.approver)
    services.start_special(application=app, by=office.approver, kind="expert", reason="需专家评审")
    services.end_special(application=Application.objects.get(pk=app.pk), by=office.approver, result="通过")
    services.decide(
        application=Application.objects.get(pk=app.pk), by=office.approver, approved=False, opinion="不符合"
    )
    services.complete(application=Application.objects.get(pk=app.pk), by=office.approver)
    services.post(
        application=Application.objects.get(pk=app.pk), by=office.delivery, tracking_number="EA123456785CN"
    )
    other = online(office).application
    material = other.materials.get(item_material=office.uses[1])
    services.request_supplement(
        application=other, by=office.clerk, items=[{"material_id": material.pk, "reason": "未签字"}]
    )
    WindowAuthorisation.objects.create(
        department=office.department, clerk=office.clerk, valid_from="2026-01-01"
    )
    agent = UserFactory(roles=["proxy_agent"], department=office.clerk.department, name="李帮办")
    proxy = proxy_services.register_request(
        by=office.clerk,
        principal=office.citizen,
        items=[office.item],
        group="elderly",
        channel="hall",
        contact_name=office.citizen.name,
        contact_phone=office.citizen.phone,
    )
    proxy_services.assign(request=proxy, agent=agent, by=office.clerk)
    proxy_services.record_authorisation(
        request=proxy,
        by=agent,
        items=[office.item],
        valid_from=timezone.localdate(),
        valid_until=timezone.localdate(),
        scan=pdf("委托书.pdf"),
    )
    ProxyItem.objects.create(item=office.item, order=1)
    return Application.objects.get(pk=app.pk)


def test_every_applications_and_casework_model_is_registered():
    labels = {m._meta.label for m in APP_MODELS}
    assert labels == {
        "applications.Application",
        "applications.ApplicationMaterial",
        "applications.MaterialFile",
        "applications.SupplementRequest",
        "applications.ClockPause",
        "applications.SpecialProcedure",
        "applications.Notice",
        "applications.Delivery",
        "applications.WindowAuthorisation",
        "applications.ApplicationEvent",
        "applications.BundleApplication",
        "applications.BundleEvent",
        "applications.ProxyRequest",
        "applications.ProxyAuthorisation",
        "applications.ProxyItem",
        "casework.DailyCounter",
    }


def test_the_administrator_reads_every_model_with_personal_data_masked(office, client, administrator):
    app = _busy_office(office)
    assert DailyCounter.objects.exists()
    client.force_login(administrator)
    id_number, phone = office.citizen.id_number, office.citizen.phone
    for model in APP_MODELS:
        if model._meta.label in BUNDLE_MODELS:
            continue  # read with a bundle application of their own in test_bundle_pages.py
        listing = client.get(_url(model, "changelist"))
        assert listing.status_code == 200, model._meta.label
        row = model._default_manager.order_by("pk").first()
        page = client.get(_url(model, "change", row.pk))
        assert page.status_code == 200, model._meta.label
        for html in (listing.content.decode(), page.content.decode()):
            assert id_number not in html and phone not in html, model._meta.label
            assert "示范市中原路2号" not in html, model._meta.label
    listing = client.get(_url(Application, "changelist")).content.decode()
    assert app.number in listing and id_number[:4] + "**********" + id_number[-4:] in listing
    page = client.get(_url(Application, "change", app.pk)).content.decode()
    assert "专家评审" in page and "EA123456785CN" in page and "139****1111" in page
    assert "不予许可决定书" in page and "办件轨迹" in page


def test_applications_are_not_added_changed_or_deleted_here(office, client, administrator):
    app = walk_in(office).application
    client.force_login(administrator)
    assert client.get(_url(Application, "add")).status_code == 403
    page = client.get(_url(Application, "change", app.pk)).content.decode()
    assert 'name="_save"' not in page
    assert client.post(_url(Application, "change", app.pk), {"state": "archived"}).status_code == 403
    assert client.post(_url(Application, "delete", app.pk), {"post": "yes"}).status_code == 403
    event = app.events.first()
    assert client.post(_url(ApplicationEvent, "delete", event.pk), {"post": "yes"}).status_code == 403
    app.refresh_from_db()
    assert app.state == "accepted" and services.CHAIN.check(app) is None


def test_the_history_check_finds_a_tampered_row(office, client, administrator):
    good, bad = walk_in(office).application, walk_in(office).application
    Application.objects.filter(pk=bad.pk).update(decision_opinion="事后改写")
    client.force_login(administrator)
    url = _url(Application, "changelist")
    response = client.post(
        url, {"action": "check_history", admin.helpers.ACTION_CHECKBOX_NAME: [good.pk]}, follow=True
    )
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["已核验 1 件办件，轨迹链完整"]
    response = client.post(
        url, {"action": "check_history", admin.helpers.ACTION_CHECKBOX_NAME: [good.pk, bad.pk]}, follow=True
    )
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("轨迹链核验未通过") and bad.number in message and good.number not in message


def _authorisation_form(office, **changes):
    data = {
        "department": office.department.pk,
        "clerk": office.clerk.pk,
        "valid_from": "2026-01-01",
        "valid_until": "",
        "granted_by": "张局长",
    }
    data.update(changes)
    return data


def test_a_window_authorisation_recorded_here_lets_the_clerk_decide_at_the_window(
    office, client, administrator
):
    app = services.window_intake(
        item=office.immediate_item,
        by=office.clerk,
        applicant=office.citizen,
        contact_name="王小明",
        contact_phone="13900001111",
        form_data={},
        materials=[
            services.MaterialInput(office.immediate_item.item_materials.get().pk, "received", originals=1)
        ],
        outcome="accept",
    ).application
    assert "decide_at_window" not in [a.code for a in services.available_actions(app, office.clerk)]
    client.force_login(administrator)
    added = client.post(_url(WindowAuthorisation, "add"), _authorisation_form(office))
    assert added.status_code == 302, added.content.decode()[:2000]
    assert WindowAuthorisation.objects.get().granted_by == "张局长"
    assert "decide_at_window" in [a.code for a in services.available_actions(app, office.clerk)]


@pytest.mark.parametrize(
    ("changes", "field_message"),
    [
        ({"valid_until": "2025-12-31"}, "截止日期不能早于生效日期"),
        ({"clerk": "approver"}, "不是在岗的综合受理窗口人员"),
    ],
)
def test_a_window_authorisation_must_make_sense(office, client, administrator, changes, field_message):
    if changes.get("clerk") == "approver":
        changes["clerk"] = office.approver.pk
    client.force_login(administrator)
    response = client.post(_url(WindowAuthorisation, "add"), _authorisation_form(office, **changes))
    assert response.status_code == 200 and field_message in response.content.decode()
    assert not WindowAuthorisation.objects.exists()


def test_admin_querysets_follow_the_pages_visibility_rule(office, rf):
    """Should anyone but an administrator ever be let in, they would see what the pages show them:
    an approver only their department's applications, another department's approver none."""
    app = walk_in(office).application
    for user, expected in (
        (office.approver, {app.pk}),
        (office.other_approver, set()),
        (office.leader, {app.pk}),
    ):
        request = rf.get("/")
        request.user = user
        for model, model_admin, of in (
            (Application, ApplicationAdmin, lambda o: o.pk),
            (ApplicationMaterial, ApplicationMaterialAdmin, lambda o: o.application_id),
            (ApplicationEvent, ApplicationEventAdmin, lambda o: o.application_id),
        ):
            rows = model_admin(model, admin.site).get_queryset(request)
            assert {of(o) for o in rows} == expected, (user.name, model._meta.label)
