from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from zhengwu.catalog.forms import ServiceItemAdminForm
from zhengwu.catalog.models import (
    Bundle,
    BundleItem,
    ItemMaterial,
    LifeEvent,
    Material,
    ServiceItem,
    VersionStatus,
)
from zhengwu.core.models import AuditEvent

from .factories import (
    ItemMaterialFactory,
    ServiceItemFactory,
    bundle_of,
    code_for,
    fast_passwords,  # noqa: F401  (fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize("model", [ServiceItem, Material, ItemMaterial, LifeEvent, Bundle, BundleItem])
def test_every_catalogue_model_has_a_changelist(admin_client, model):
    item = ServiceItemFactory(name="食品经营许可")
    ItemMaterialFactory(item=item)
    bundle_of(item, ServiceItemFactory())
    url = reverse(f"admin:catalog_{model._meta.model_name}_changelist")
    response = admin_client.get(url)
    assert response.status_code == 200
    assert str(model._meta.verbose_name_plural) in response.content.decode()


def test_changelist_search(admin_client):
    ServiceItemFactory(name="食品经营许可")
    ServiceItemFactory(name="退休审批")
    page = admin_client.get(reverse("admin:catalog_serviceitem_changelist"), {"q": "食品"}).content.decode()
    assert "食品经营许可" in page and "退休审批" not in page


def test_bundle_page_shows_the_computed_savings(admin_client):
    items = [ServiceItemFactory(legal_limit_days=Decimal(d)) for d in (400, 348)]
    bundle = bundle_of(*items, promised_limit_days=Decimal("77.5"))
    page = admin_client.get(reverse("admin:catalog_bundle_change", args=[bundle.pk])).content.decode()
    assert "节省情况（由所含事项自动计算）" in page
    assert "<th>办理时限（工作日）</th><td>748</td><td>77.5</td><td>89.6%</td>" in page


def test_a_published_item_is_read_only(admin_client):
    item = ServiceItemFactory(status=VersionStatus.PUBLISHED)
    page = admin_client.get(reverse("admin:catalog_serviceitem_change", args=[item.pk])).content.decode()
    assert 'name="_save"' not in page
    draft = ServiceItemFactory(status=VersionStatus.DRAFT)
    page = admin_client.get(reverse("admin:catalog_serviceitem_change", args=[draft.pk])).content.decode()
    assert 'name="_save"' in page


def test_publish_and_new_version_actions_call_the_services(admin_client):
    draft = ServiceItemFactory(status=VersionStatus.DRAFT, valid_from=None)
    url = reverse("admin:catalog_serviceitem_changelist")
    response = admin_client.post(
        url, {"action": "publish_drafts", "_selected_action": [draft.pk]}, follow=True
    )
    assert "已发布 1 个事项" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == VersionStatus.PUBLISHED
    admin_client.post(url, {"action": "make_new_versions", "_selected_action": [draft.pk]})
    assert ServiceItem.objects.filter(implementation_code=draft.implementation_code, version=2).exists()
    assert AuditEvent.objects.filter(action__in=["发布事项", "新建事项版本"]).count() == 2


def test_publishing_a_published_item_says_why_not(admin_client):
    item = ServiceItemFactory(status=VersionStatus.PUBLISHED, name="食品经营许可")
    url = reverse("admin:catalog_serviceitem_changelist")
    response = admin_client.post(
        url, {"action": "publish_drafts", "_selected_action": [item.pk]}, follow=True
    )
    assert "「食品经营许可」第1版：「食品经营许可」第1版已发布，只有草稿可以发布" in response.content.decode()


def test_admin_form_checks_the_catalogue_rules(department):
    data = {
        "name": "食品经营许可",
        "implementation_code": code_for(department, "410200000001"),
        "basic_code": "410200000001",
        "item_type": "01",
        "department": department.pk,
        "service_objects": '["1"]',
        "legal_limit_days": "15",
        "promised_limit_days": "20",
        "case_type": 2,
        "trips": 1,
        "online_depth": 1,
        "process_steps": '["受理"]',
        "form_fields": "[]",
    }
    form = ServiceItemAdminForm(data=data)
    assert not form.is_valid()
    assert form.errors == {"promised_limit_days": ["承诺办结时限（20）不能超过法定办结时限（15）"]}
    form = ServiceItemAdminForm(data={**data, "promised_limit_days": "10"})
    assert form.is_valid(), form.errors


def test_bundle_inline_needs_two_items(admin_client):
    only = ServiceItemFactory()
    bundle = bundle_of(only, ServiceItemFactory())
    first, second = bundle.bundle_items.all()
    url = reverse("admin:catalog_bundle_change", args=[bundle.pk])
    data = {
        "name": bundle.name,
        "life_event": bundle.life_event_id,
        "lead_department": bundle.lead_department_id,
        "description": "",
        "promised_limit_days": "5",
        "trips": 1,
        "process_steps": '["一窗受理"]',
        "on_refusal": "trim",
        "bundle_items-TOTAL_FORMS": 2,
        "bundle_items-INITIAL_FORMS": 2,
        "bundle_items-MIN_NUM_FORMS": 2,
        "bundle_items-MAX_NUM_FORMS": 1000,
        "bundle_items-0-id": first.pk,
        "bundle_items-0-bundle": bundle.pk,
        "bundle_items-0-item": first.item_id,
        "bundle_items-0-order": 1,
        "bundle_items-1-id": second.pk,
        "bundle_items-1-bundle": bundle.pk,
        "bundle_items-1-item": second.item_id,
        "bundle_items-1-order": 2,
        "bundle_items-1-DELETE": "on",
    }
    page = admin_client.post(url, data).content.decode()
    assert "一件事至少包含两个事项" in page
    assert bundle.bundle_items.count() == 2
    del data["bundle_items-1-DELETE"]
    # 前置事项 must come earlier in the bundle: the first item cannot wait for the second.
    data["bundle_items-0-after"] = second.item_id
    page = admin_client.post(url, data).content.decode()
    assert "的前置事项" in page and "应排在它之前" in page
    data["bundle_items-0-after"] = ""
    data["bundle_items-1-after"] = first.item_id
    response = admin_client.post(url, data)
    assert response.status_code == 302
    assert bundle.bundle_items.get(pk=second.pk).after_id == first.item_id
    assert AuditEvent.objects.filter(action="修改一件事", object_id=str(bundle.pk)).exists()
