"""The appeals admin shows what the pages would: its rows are scoped by the pages' visibility rule,
phones are masked, and the reporter of a confidential appeal is not there at all."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from zhengwu.appeals import services
from zhengwu.appeals.models import Appeal, AppealEvent, Assignment, Callback, Extension, Urge
from zhengwu.appeals.workflow import AppealState as S

from ..factories import UserFactory


def _confidential_report(desk):
    reporter = UserFactory(is_staff=False, department=None, name="李举报")
    appeal, _ = services.register_appeal(
        channel="web",
        appeal_type="report",
        title="举报违规排污",
        body="某厂夜间排污。",
        contact_name="李举报",
        contact_phone="13900001111",
        address="幸福路18号3单元",
        confidential=True,
        by=reporter,
    )
    services.triage(appeal=appeal, category=desk.category, handling_mode="dispatch", by=desk.dispatcher)
    services.dispatch(appeal=Appeal.objects.get(pk=appeal.pk), lead=desk.lead_dept, by=desk.dispatcher)
    return Appeal.objects.get(pk=appeal.pk)


@pytest.fixture
def administrator(make_user):
    return make_user("admin", name="陈管理")


def test_a_confidential_reporter_is_not_in_the_admin(desk, client, administrator):
    appeal = _confidential_report(desk)
    client.force_login(administrator)
    for url in (
        reverse("admin:appeals_appeal_change", args=[appeal.pk]),
        reverse("admin:appeals_appeal_changelist"),
        reverse("admin:appeals_appealevent_changelist"),
        reverse("admin:appeals_appealevent_change", args=[appeal.events.first().pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert appeal.number in html or "举报违规排污" in html, url
        for secret in ("李举报", "13900001111", "139****1111", "幸福路18号"):
            assert secret not in html, (url, secret)
    page = client.get(reverse("admin:appeals_appeal_change", args=[appeal.pk])).content.decode()
    assert "（保密）" in page and "诉求人" in page


def test_an_ordinary_appeal_shows_its_reporter_with_a_masked_phone(desk, client, administrator):
    appeal = desk.reach(S.IN_PROGRESS)
    client.force_login(administrator)
    page = client.get(reverse("admin:appeals_appeal_change", args=[appeal.pk])).content.decode()
    assert "张先生" in page and "138****0001" in page and "13800000001" not in page


def test_admin_querysets_follow_the_pages_visibility_rule(desk, rf):
    """Should anyone but an administrator ever be let into the admin, they would see there what
    the pages show them: a department only its own appeals and their records."""
    mine = desk.reach(S.IN_PROGRESS)
    theirs = desk.reach(S.TRIAGED)
    services.dispatch(appeal=theirs, lead=desk.other_dept, by=desk.dispatcher)
    services.urge(assignment=desk.lead(mine), threshold="manual", by=desk.supervisor)
    services.urge(
        assignment=desk.lead(Appeal.objects.get(pk=theirs.pk)), threshold="manual", by=desk.supervisor
    )
    request = rf.get("/")
    request.user = desk.lead_handler
    for model, appeal_of in (
        (Appeal, lambda o: o),
        (Assignment, lambda o: o.appeal),
        (AppealEvent, lambda o: o.appeal),
        (Urge, lambda o: o.assignment.appeal),
    ):
        seen = {appeal_of(o).pk for o in admin.site._registry[model].get_queryset(request)}
        assert mine.pk in seen and theirs.pk not in seen, model
    for model in (Callback, Extension):
        assert all(
            (o.appeal if model is Callback else o.assignment.appeal).pk != theirs.pk
            for o in admin.site._registry[model].get_queryset(request)
        )
    request.user = desk.dispatcher  # the desk sees every appeal, here as in the pages
    seen = {o.pk for o in admin.site._registry[Appeal].get_queryset(request)}
    assert {mine.pk, theirs.pk} <= seen
