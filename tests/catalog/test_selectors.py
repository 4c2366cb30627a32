from __future__ import annotations

from decimal import Decimal

import pytest

from zhengwu.catalog import selectors
from zhengwu.catalog.models import (
    Bundle,
    BundleItem,
    ItemMaterial,
    Material,
    MaterialKind,
    ServiceItem,
    VersionStatus,
)
from zhengwu.catalog.selectors import Saving
from zhengwu.licences.models import LicenceType

from ..factories import DepartmentFactory
from .factories import (
    BundleFactory,
    ItemMaterialFactory,
    LifeEventFactory,
    MaterialFactory,
    ServiceItemFactory,
    bundle_of,
    fast_passwords,  # noqa: F401  (fixture)
    licence_type,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


@pytest.fixture
def company_setup():
    """企业开办: two items sharing the ID card, each with its own application form."""
    id_card = MaterialFactory(
        name="居民身份证", issuing_body="公安机关", licence_type=licence_type("居民身份证")
    )
    registration = ServiceItemFactory(
        name="设立登记",
        legal_limit_days=Decimal(3),
        promised_limit_days=Decimal("0.5"),
        trips=2,
        process_steps=["申请", "受理", "审核", "决定"],
        form_fields=[{"name": "applicant", "label": "申请人"}, {"name": "company", "label": "企业名称"}],
    )
    seal = ServiceItemFactory(
        name="公章刻制备案",
        legal_limit_days=Decimal(1),
        promised_limit_days=Decimal("0.5"),
        trips=1,
        process_steps=["申请", "备案"],
        form_fields=[{"name": "applicant", "label": "经办人"}, {"name": "phone", "label": "联系电话"}],
    )
    ItemMaterialFactory(
        item=registration, material=MaterialFactory(name="设立登记申请书", kind=MaterialKind.FORM)
    )
    ItemMaterialFactory(item=registration, material=id_card, originals=1, copies=1)
    ItemMaterialFactory(item=registration, material=MaterialFactory(name="公司章程"), critical=True)
    ItemMaterialFactory(item=seal, material=MaterialFactory(name="印章刻制申请表", kind=MaterialKind.FORM))
    ItemMaterialFactory(item=seal, material=id_card, originals=1, copies=2, critical=True)
    return bundle_of(
        registration,
        seal,
        name="企业开办",
        promised_limit_days=Decimal("0.5"),
        trips=1,
        process_steps=["一窗受理", "统一出件"],
    )


class TestBundleComposition:
    def test_materials_are_asked_once_and_the_forms_merged(self, company_setup):
        lines = selectors.bundle_materials(company_setup)
        assert [(m.name, m.originals, m.copies, m.required, m.critical) for m in lines] == [
            ("《企业开办联办申请表》", 1, 0, True, False),
            ("居民身份证", 1, 2, True, True),
            ("公司章程", 1, 0, True, True),
        ]
        form, id_card, _ = lines
        assert form.is_merged_form and form.kind == MaterialKind.FORM
        assert form.item_names == ["设立登记", "公章刻制备案"]
        assert id_card.item_names == [
            "设立登记",
            "公章刻制备案",
        ] and id_card.licence_type == LicenceType.objects.get(name="居民身份证")

    def test_form_fields_are_merged_by_name(self, company_setup):
        fields = selectors.bundle_form_fields(company_setup)
        assert [(f["name"], f["label"], f["items"]) for f in fields] == [
            ("applicant", "申请人", ["设立登记", "公章刻制备案"]),
            ("company", "企业名称", ["设立登记"]),
            ("phone", "联系电话", ["公章刻制备案"]),
        ]

    def test_savings_of_one_bundle(self, company_setup):
        savings = selectors.bundle_savings(company_setup)
        assert (savings.time.items_total, savings.time.bundle) == (4, Decimal("0.5"))
        assert savings.time.percent == Decimal("87.5")
        assert (savings.materials.items_total, savings.materials.bundle, savings.materials.percent) == (
            5,
            3,
            40,
        )
        assert (savings.trips.items_total, savings.trips.bundle, savings.trips.rate) == (
            3,
            1,
            Decimal("0.6667"),
        )
        assert (savings.steps.items_total, savings.steps.bundle, savings.steps.percent) == (
            6,
            2,
            Decimal("66.7"),
        )

    def test_seed_figure_748_to_77_5_is_89_6_percent(self):
        items = [
            ServiceItemFactory(legal_limit_days=Decimal(days), promised_limit_days=Decimal("0.5"))
            for days in (200, 200, 200, "147.5", "0.5")
        ]
        assert sum(i.legal_limit_days for i in items) == 748
        bundle = bundle_of(*items, promised_limit_days=Decimal("77.5"))
        time = selectors.bundle_savings(bundle).time
        assert (time.items_total, time.bundle) == (Decimal(748), Decimal("77.5"))
        assert time.rate == Decimal("0.8964")
        assert time.percent == Decimal("89.6")

    def test_zero_sum_gives_zero_rate(self):
        assert Saving(Decimal(0), Decimal(0)).rate == 0
        assert Saving(Decimal(0), Decimal(1)).percent == 0

    def test_composition_costs_a_fixed_number_of_queries(self, company_setup, django_assert_num_queries):
        bundle = Bundle.objects.get(pk=company_setup.pk)
        with django_assert_num_queries(2):  # bundle items with items, then their materials
            selectors.bundle_materials(bundle)
            selectors.bundle_form_fields(bundle)
            selectors.bundle_savings(bundle)


def _seed_bundles() -> list[Bundle]:
    """Kaifeng's first batch as the seeds report it: 13 bundles, legal 748 working days → 77.5,
    273 materials → 180, 104 trips → 13. Each bundle has two items; item a asks for 11
    materials and item b for 10, sharing 7 (the last bundle: 9)."""
    department = DepartmentFactory()
    event = LifeEventFactory(name="开办")
    bundles = []
    for n in range(13):
        last = n == 12
        shared = 9 if last else 7
        a = ServiceItemFactory(
            department=department, legal_limit_days=Decimal(30), promised_limit_days=Decimal(5), trips=4
        )
        b = ServiceItemFactory(
            department=department,
            legal_limit_days=Decimal(34 if last else 27),
            promised_limit_days=Decimal(5),
            trips=4,
        )
        common = Material.objects.bulk_create(Material(name=f"共用材料{n}-{k}") for k in range(shared))
        own_a = Material.objects.bulk_create(Material(name=f"甲材料{n}-{k}") for k in range(11 - shared))
        own_b = Material.objects.bulk_create(Material(name=f"乙材料{n}-{k}") for k in range(10 - shared))
        ItemMaterial.objects.bulk_create(
            [ItemMaterial(item=a, material=m) for m in [*common, *own_a]]
            + [ItemMaterial(item=b, material=m) for m in [*common, *own_b]]
        )
        bundle = BundleFactory(life_event=event, promised_limit_days=Decimal("5.5" if last else 6), trips=1)
        BundleItem.objects.bulk_create(
            [BundleItem(bundle=bundle, item=a, order=1), BundleItem(bundle=bundle, item=b, order=2)]
        )
        bundles.append(bundle)
    return bundles


def test_savings_overview_reproduces_the_seed_figures(django_assert_max_num_queries):
    _seed_bundles()
    with django_assert_max_num_queries(4):
        overview = selectors.savings_overview(selectors.bundles_with_composition())
    assert overview.bundle_count == 13
    assert (overview.time.items_total, overview.time.bundle, overview.time.percent) == (
        748,
        Decimal("77.5"),
        Decimal("89.6"),
    )
    assert (overview.materials.items_total, overview.materials.bundle) == (273, 180)
    assert overview.materials.percent == Decimal("34.1")
    assert (overview.trips.items_total, overview.trips.bundle, overview.trips.percent) == (
        104,
        13,
        Decimal("87.5"),
    )
    assert [label for _, label, _ in overview.rows()] == [
        "办理时限（工作日）",
        "申请材料（份）",
        "跑动次数（次）",
        "办理环节（个）",
    ]


def test_savings_overview_of_nothing():
    overview = selectors.savings_overview([])
    assert overview.bundle_count == 0 and overview.time.rate == 0


class TestItemReads:
    def test_published_items_and_search(self):
        market = DepartmentFactory(name="市场监督管理局")
        food = ServiceItemFactory(name="食品经营许可", department=market, item_type="01")
        ServiceItemFactory(name="食品经营许可（旧）", status=VersionStatus.RETIRED)
        ServiceItemFactory(name="草稿事项", status=VersionStatus.DRAFT)
        pension = ServiceItemFactory(name="退休审批", item_type="07")
        event = LifeEventFactory(name="退休")
        pension.life_events.add(event)
        assert set(selectors.published_items()) == {food, pension}
        assert list(selectors.search_items(q="食品")) == [food]
        assert list(selectors.search_items(q="市场监督")) == [food]
        assert list(selectors.search_items(q=food.implementation_code)) == [food]
        assert list(selectors.search_items(department=market.pk)) == [food]
        assert list(selectors.search_items(life_event=str(event.pk))) == [pension]
        assert list(selectors.search_items(item_type="07")) == [pension]
        assert list(selectors.search_items(department="abc")) == []

    def test_visible_items(self, make_user):
        ServiceItemFactory(status=VersionStatus.DRAFT)
        ServiceItemFactory(status=VersionStatus.RETIRED)
        assert selectors.visible_items(None).count() == 1
        assert selectors.visible_items(make_user("clerk")).count() == 2

    def test_latest_versions(self):
        v1 = ServiceItemFactory(status=VersionStatus.RETIRED)
        v2 = ServiceItemFactory(
            department=v1.department, basic_code=v1.basic_code, version=2, status=VersionStatus.PUBLISHED
        )
        other = ServiceItemFactory()
        assert selectors.latest_versions([v1.implementation_code, other.implementation_code, "X"]) == {
            v1.implementation_code: v2,
            other.implementation_code: other,
        }
        assert ServiceItem.objects.count() == 3
