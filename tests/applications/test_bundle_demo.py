"""The demo city's 一件事办件: made once for the module through the real services, then read —
figures for every demo bundle's 实际成效, a child still waiting for its 前置事项, a trimmed bundle,
and nothing added by a second load."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import transaction
from django.test import override_settings

from zhengwu.accounts import demo as accounts_demo
from zhengwu.applications import services
from zhengwu.applications.bundle_demo import PLANS, load_demo_bundle_applications
from zhengwu.applications.bundle_selectors import realised_savings
from zhengwu.applications.demo import load_demo_applications
from zhengwu.applications.models import Application, BundleApplication, BundleEvent, BundleState
from zhengwu.applications.workflow import ApplicationState
from zhengwu.catalog import demo as catalog_demo
from zhengwu.catalog.models import Bundle
from zhengwu.org import demo as org_demo

pytestmark = pytest.mark.django_db
S = ApplicationState


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
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
            created = load_demo_bundle_applications()
            again = load_demo_bundle_applications()
            yield SimpleNamespace(created=created, again=again)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def test_every_plan_is_made_once(demo):
    assert demo.created == len(PLANS) == BundleApplication.objects.count()
    assert demo.again == 0


@pytest.mark.parametrize("name", ["新生儿出生", "企业开办", "失业保险待遇申领"])
def test_each_demo_bundle_has_realised_figures_that_save_something(demo, name):
    saved = realised_savings(Bundle.objects.get(name=name))
    assert saved.bundle_count >= 4
    for key in ("materials", "trips", "steps"):
        figure = getattr(saved, key)
        assert figure.bundle < figure.items_total, key


def test_a_child_still_waits_for_its_predecessor(demo):
    waiting = [
        c
        for c in Application.objects.filter(bundle_application__isnull=False, waits_for__isnull=False)
        if services.waiting(c)
    ]
    assert waiting
    assert all(c.waits_for.state in (S.ACCEPTED, S.REVIEWING, S.DECIDED) for c in waiting)


def test_a_refused_item_trimmed_its_bundle_and_the_rest_was_handed_over(demo):
    event = BundleEvent.objects.get(action="item_refused")
    parent = event.bundle_application
    assert "已终止" in event.note
    assert parent.state == BundleState.DELIVERED
    states = set(parent.children.values_list("state", flat=True))
    assert S.WITHDRAWN in states and S.DELIVERED in states


def test_handed_over_bundles_have_every_child_handed_over_or_ended(demo):
    for parent in BundleApplication.objects.filter(state=BundleState.DELIVERED):
        assert set(parent.children.values_list("state", flat=True)) <= {S.DELIVERED, S.WITHDRAWN}
    assert BundleApplication.objects.filter(state=BundleState.SUBMITTED).exists()
