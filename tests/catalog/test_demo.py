from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Count

from zhengwu.catalog.demo import DEPARTMENTS, load_demo_catalog
from zhengwu.catalog.models import (
    Bundle,
    BundleItem,
    ItemMaterial,
    LifeEvent,
    Material,
    MaterialKind,
    ServiceItem,
    VersionStatus,
)
from zhengwu.catalog.selectors import (
    bundle_items,
    bundle_materials,
    bundles_with_composition,
    savings_overview,
)
from zhengwu.catalog.services import bundle_rule_errors, item_rule_errors
from zhengwu.org.models import Department, Level

from ..factories import DepartmentFactory, RegionFactory, make_uscc

SIX_NAMED = ["企业开办", "开办餐饮店", "新生儿出生", "不动产登记与水电气联动过户", "退休", "身后一件事"]


@pytest.fixture
def departments(db) -> dict[str, Department]:
    city = RegionFactory(code="410200", name="示范市", level=Level.CITY)
    return {
        key: DepartmentFactory.create(name=name, uscc=make_uscc(500 + n), region=city)
        for n, (key, name) in enumerate(DEPARTMENTS, start=1)
    }


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (ServiceItem, Material, ItemMaterial, Bundle, BundleItem, LifeEvent)
    }


@pytest.fixture
def loaded(departments) -> dict[str, Department]:
    load_demo_catalog(departments=departments)
    return departments


def test_departments_constant_has_unique_keys_and_names():
    keys = [key for key, _ in DEPARTMENTS]
    names = [name for _, name in DEPARTMENTS]
    assert len(keys) == len(set(keys)) >= 25
    assert len(names) == len(set(names))
    assert ("market", "示范市市场监督管理局") in DEPARTMENTS


def test_loading_twice_changes_nothing(loaded):
    before = _counts()
    stamps = dict(ServiceItem.objects.values_list("pk", "updated_at"))
    load_demo_catalog(departments=loaded)
    assert _counts() == before
    assert dict(ServiceItem.objects.values_list("pk", "updated_at")) == stamps


def test_sizes_and_named_bundles(loaded):
    assert ServiceItem.objects.filter(status=VersionStatus.PUBLISHED).count() >= 80
    published = Bundle.objects.filter(status=VersionStatus.PUBLISHED)
    assert published.count() >= 13
    assert set(SIX_NAMED) <= set(published.values_list("name", flat=True))
    assert not published.annotate(n=Count("bundle_items")).filter(n__lt=2).exists()
    assert set(LifeEvent.objects.values_list("audience", flat=True)) == {"person", "enterprise"}


def test_codes_agree_with_department_and_level(loaded):
    for item in ServiceItem.objects.select_related("department__region"):
        code = item.implementation_code
        assert len(code) == 31, item.name
        assert len(item.basic_code) == 12
        assert code == f"{item.department.uscc}{item.level}{item.basic_code}", item.name
        assert item.level == item.department.region.level == Level.CITY


def test_item_rules(loaded):
    for item in ServiceItem.objects.all():
        assert item.promised_limit_days <= item.legal_limit_days, item.name
        assert 3 <= len(item.process_steps) <= 6, item.name
        assert item.form_fields and all({"name", "label"} <= set(f) for f in item.form_fields)
        assert item.life_events.exists() or item.name
    forms = ItemMaterial.objects.filter(material__kind=MaterialKind.FORM)
    # every item has its own application form, and materials are shared across items
    assert forms.values("item").distinct().count() == ServiceItem.objects.count()
    id_card = Material.objects.get(name="居民身份证")
    assert id_card.licence_type is not None and id_card.licence_type.name == "居民身份证"
    assert id_card.item_uses.count() > 20
    assert ServiceItem.objects.filter(promised_limit_days=Decimal("0.5")).exists()


def test_some_fractional_bundle_limits_and_few_trips(loaded):
    bundles = Bundle.objects.filter(status=VersionStatus.PUBLISHED)
    assert bundles.filter(promised_limit_days=Decimal("0.5")).exists()
    assert bundles.filter(trips__lte=1).count() == bundles.count()


def test_savings_overview_rates_are_between_0_and_1(loaded):
    bundles = list(bundles_with_composition(Bundle.objects.filter(status=VersionStatus.PUBLISHED)))
    overview = savings_overview(bundles)
    assert overview.bundle_count == len(bundles) >= 13
    for _key, _label, saving in overview.rows():
        assert 0 < saving.rate < 1
        assert saving.bundle < saving.items_total
    # the shared ID card is asked for once per bundle
    for bundle in bundles:
        names = [line.name for line in bundle_materials(bundle)]
        assert len(names) == len(set(names)), bundle.name


def test_every_item_and_bundle_passes_the_catalogue_rules(loaded):
    """The demo data obeys the same rules as anything entered through the services."""
    for item in ServiceItem.objects.select_related("department__region"):
        values = {f.name: getattr(item, f.name) for f in ServiceItem._meta.concrete_fields}
        assert item_rule_errors(values) == {}, item.name
    for bundle in Bundle.objects.select_related("lead_department"):
        errors = bundle_rule_errors(
            name=bundle.name,
            lead_department=bundle.lead_department,
            items=bundle_items(bundle),
            promised_limit_days=bundle.promised_limit_days,
            trips=bundle.trips,
            process_steps=bundle.process_steps,
            exclude_pk=bundle.pk,
        )
        assert errors == {}, bundle.name
