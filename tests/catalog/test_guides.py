"""The public 办事指南 pages, on a small catalogue whose savings are worked out by hand:

企业开办 = 设立登记 (legal 3, trips 1, 4 steps, materials: its form, 身份证, 章程)
         + 发票领用 (legal 5, trips 1, 3 steps, materials: its form, 身份证, 营业执照)
bundle: promised 0.5, trips 0, 2 steps.
time 8 → 0.5 (93.8 %), materials 6 → 4 (merged form, 身份证 once, 章程, 营业执照: 33.3 %),
trips 2 → 0 (100.0 %), steps 7 → 2 (71.4 %)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from zhengwu.catalog.models import (
    Audience,
    Bundle,
    BundleItem,
    CaseType,
    ItemMaterial,
    ItemType,
    LifeEvent,
    Material,
    MaterialKind,
    OnlineDepth,
    ServiceItem,
    VersionStatus,
)
from zhengwu.org.models import Level

from ..factories import DepartmentFactory, RegionFactory
from .factories import licence_type

SEARCH = reverse("catalog:guide_search")
BUNDLES = reverse("catalog:bundle_list")

_serial = iter(range(1, 10_000))


def make_item(
    department, name, *, materials=(), status=VersionStatus.PUBLISHED, events=(), **fields
) -> ServiceItem:
    basic = f"20{next(_serial):07d}000"
    values = {
        "item_type": ItemType.PUBLIC_SERVICE,
        "level": Level.CITY,
        "service_objects": ["2"],
        "legal_limit_days": Decimal("20"),
        "promised_limit_days": Decimal("5"),
        "case_type": CaseType.PROMISED,
        "trips": 1,
        "online_depth": OnlineDepth.PREVIEW,
        "process_steps": ["申请", "受理", "审查", "决定"],
        "form_fields": [{"name": "applicant_name", "label": "申请人姓名"}],
        **fields,
    }
    item = ServiceItem.objects.create(
        name=name,
        basic_code=basic,
        implementation_code=f"{department.uscc}3{basic}",
        department=department,
        status=status,
        **values,
    )
    item.life_events.set(events)
    for order, (material, originals, copies, critical) in enumerate(materials, start=1):
        ItemMaterial.objects.create(
            item=item, material=material, originals=originals, copies=copies, critical=critical, order=order
        )
    return item


@pytest.fixture
def catalogue(db):
    city = RegionFactory(code="410200", level=Level.CITY)
    market = DepartmentFactory.create(name="示范市市场监督管理局", region=city)
    tax = DepartmentFactory.create(name="国家税务总局示范市税务局", region=city)
    health = DepartmentFactory.create(name="示范市卫生健康委员会", region=city)
    start_up = LifeEvent.objects.create(name="开办", audience=Audience.ENTERPRISE, order=1)
    birth = LifeEvent.objects.create(name="出生", audience=Audience.PERSON, order=1)

    id_card = Material.objects.create(
        name="居民身份证", issuing_body="公安机关", licence_type=licence_type("居民身份证", market)
    )
    licence = Material.objects.create(
        name="营业执照", issuing_body="市场监督管理部门", licence_type=licence_type("营业执照", market)
    )
    articles = Material.objects.create(name="公司章程", issuing_body="申请人")
    setup_form = Material.objects.create(
        name="公司登记（备案）申请书", issuing_body="申请人", kind=MaterialKind.FORM
    )
    invoice_form = Material.objects.create(
        name="发票领用申请表", issuing_body="申请人", kind=MaterialKind.FORM
    )
    birth_form = Material.objects.create(
        name="出生医学证明登记表", issuing_body="申请人", kind=MaterialKind.FORM
    )

    setup = make_item(
        market,
        "设立登记（有限责任公司）",
        item_type=ItemType.LICENSING,
        legal_limit_days=Decimal("3"),
        promised_limit_days=Decimal("0.5"),
        process_steps=["网上申报", "受理", "审查", "发照"],
        form_fields=[
            {"name": "enterprise_name", "label": "企业名称"},
            {"name": "phone", "label": "联系电话"},
        ],
        result_name="营业执照",
        result_licence_type=licence_type("营业执照", market),
        legal_basis="《中华人民共和国市场主体登记管理条例》第十九条",
        conditions="材料齐全、符合法定形式",
        consultation_phone="0371-23560002",
        materials=[(setup_form, 1, 0, True), (id_card, 0, 1, True), (articles, 1, 0, True)],
        events=[start_up],
    )
    invoice = make_item(
        tax,
        "发票领用",
        legal_limit_days=Decimal("5"),
        promised_limit_days=Decimal("0"),
        case_type=CaseType.IMMEDIATE,
        online_depth=OnlineDepth.FULLY_ONLINE,
        service_objects=["2", "5"],
        process_steps=["申请", "票种核定", "发放"],
        form_fields=[
            {"name": "enterprise_name", "label": "企业名称"},
            {"name": "contact_name", "label": "经办人"},
        ],
        materials=[(invoice_form, 1, 0, True), (id_card, 1, 0, False), (licence, 0, 1, True)],
        events=[start_up],
    )
    birth_cert = make_item(
        health,
        "出生医学证明首次签发",
        service_objects=["1"],
        legal_limit_days=Decimal("1"),
        promised_limit_days=Decimal("0"),
        case_type=CaseType.IMMEDIATE,
        materials=[(birth_form, 1, 0, True), (id_card, 1, 1, True)],
        events=[birth],
    )
    draft = make_item(market, "食品经营许可（草稿）", status=VersionStatus.DRAFT, events=[start_up])
    bundle = Bundle.objects.create(
        name="企业开办",
        life_event=start_up,
        lead_department=market,
        promised_limit_days=Decimal("0.5"),
        trips=0,
        process_steps=["一窗受理", "统一出件"],
        status=VersionStatus.PUBLISHED,
    )
    BundleItem.objects.create(bundle=bundle, item=setup, order=1)
    BundleItem.objects.create(bundle=bundle, item=invoice, order=2)
    draft_bundle = Bundle.objects.create(
        name="开办餐饮店", life_event=start_up, lead_department=market, promised_limit_days=Decimal("5")
    )
    BundleItem.objects.create(bundle=draft_bundle, item=setup, order=1)
    BundleItem.objects.create(bundle=draft_bundle, item=invoice, order=2)
    return {
        "market": market,
        "tax": tax,
        "health": health,
        "start_up": start_up,
        "birth": birth,
        "setup": setup,
        "invoice": invoice,
        "birth_cert": birth_cert,
        "draft": draft,
        "bundle": bundle,
        "draft_bundle": draft_bundle,
    }


def names(response) -> list[str]:
    return [r.name for r in response.context["results"]]


def table(html: str, css_class: str) -> str:
    match = re.search(rf'<table class="{css_class}(?: [^"]*)?">(.*?)</table>', html, re.S)
    assert match, css_class
    return match.group(1)


def cells(row_html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row_html, re.S)
    ]


def body_rows(table_html: str) -> list[list[str]]:
    body = table_html.split("<tbody>", 1)[1]
    return [cells(row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


# ---------------------------------------------------------------------------------------------
# Search


class TestSearch:
    def test_lists_published_items_and_bundles_never_drafts(self, client, catalogue):
        response = client.get(SEARCH)
        assert response.status_code == 200
        assert set(names(response)) == {
            "企业开办",
            "设立登记（有限责任公司）",
            "发票领用",
            "出生医学证明首次签发",
        }
        assert names(response)[0] == "企业开办"  # bundles first
        html = response.content.decode()
        assert "食品经营许可（草稿）" not in html and "开办餐饮店" not in html

    def test_by_name(self, client, catalogue):
        response = client.get(SEARCH, {"q": "发票"})
        assert names(response) == ["发票领用"]
        assert client.get(SEARCH, {"q": "开办"}).context["results"][0].kind == "bundle"

    def test_by_department_finds_its_items_and_the_bundles_it_takes_part_in(self, client, catalogue):
        response = client.get(SEARCH, {"department": catalogue["tax"].pk})
        assert names(response) == ["企业开办", "发票领用"]
        response = client.get(SEARCH, {"department": catalogue["health"].pk})
        assert names(response) == ["出生医学证明首次签发"]

    def test_by_life_event(self, client, catalogue):
        response = client.get(SEARCH, {"life_event": catalogue["birth"].pk})
        assert names(response) == ["出生医学证明首次签发"]
        response = client.get(SEARCH, {"life_event": catalogue["start_up"].pk})
        assert set(names(response)) == {"企业开办", "设立登记（有限责任公司）", "发票领用"}
        # the life event links are real links, grouped by audience
        html = client.get(SEARCH).content.decode()
        assert f'href="?life_event={catalogue["birth"].pk}"' in html
        assert "<h3>个人</h3>" in html and "<h3>企业</h3>" in html

    def test_by_service_object(self, client, catalogue):
        assert names(client.get(SEARCH, {"object": "person"})) == ["出生医学证明首次签发"]
        assert set(names(client.get(SEARCH, {"object": "legal"}))) == {
            "企业开办",
            "设立登记（有限责任公司）",
            "发票领用",
        }

    def test_malformed_filters_find_nothing(self, client, catalogue):
        assert names(client.get(SEARCH, {"department": "abc"})) == []
        assert client.get(SEARCH, {"life_event": "x", "page": "99"}).status_code == 200

    def test_result_lines_show_department_limit_trips_and_online_badge(self, client, catalogue):
        html = client.get(SEARCH, {"q": "发票"}).content.decode()
        row = body_rows(table(html, "results-table"))[0]
        assert row == ["发票领用", "国家税务总局示范市税务局", "即办", "1 次", "全程网办"]
        html = client.get(SEARCH, {"q": "设立"}).content.decode()
        assert body_rows(table(html, "results-table"))[0][2] == "0.5个工作日"

    def test_htmx_request_gets_only_the_results_partial(self, client, catalogue):
        full = client.get(SEARCH, {"q": "发票"})
        assert b"<html" in full.content and b'hx-target="#results"' in full.content
        assert b'action="/guide/"' in full.content  # the form works without JavaScript too
        partial = client.get(SEARCH, {"q": "发票"}, HTTP_HX_REQUEST="true")
        assert partial.status_code == 200
        assert b"<html" not in partial.content and b"<form" not in partial.content
        assert "发票领用" in partial.content.decode()
        assert 'class="results-table' in partial.content.decode()

    def test_htmx_history_restore_gets_the_full_page(self, client, catalogue):
        response = client.get(SEARCH, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
        assert b"<html" in response.content

    def test_paginates_by_twenty_with_real_links(self, client, catalogue):
        for n in range(25):
            make_item(catalogue["market"], f"测试事项{n:02d}")
        first = client.get(SEARCH, {"q": "测试事项"})
        assert len(first.context["results"]) == 20
        html = first.content.decode()
        assert 'href="?q=%E6%B5%8B%E8%AF%95%E4%BA%8B%E9%A1%B9&amp;page=2"' in html
        second = client.get(SEARCH, {"q": "测试事项", "page": 2}, HTTP_HX_REQUEST="true")
        assert len(second.context["results"]) == 5

    def test_pages_spanning_bundles_and_items(self, client, catalogue):
        for n in range(21):
            make_item(catalogue["market"], f"开办配套事项{n:02d}", events=[catalogue["start_up"]])
        response = client.get(SEARCH, {"life_event": catalogue["start_up"].pk})
        assert response.context["page_obj"].paginator.count == 1 + 2 + 21
        assert names(response)[0] == "企业开办"
        second = client.get(SEARCH, {"life_event": catalogue["start_up"].pk, "page": 2})
        assert len(second.context["results"]) == 4

    def test_no_n_plus_one(self, client, catalogue, django_assert_max_num_queries):
        for n in range(30):
            make_item(catalogue["tax"], f"批量事项{n:02d}")
        # departments, life events, two counts, one page of bundles, one page of items
        with django_assert_max_num_queries(6):
            response = client.get(SEARCH)
        assert len(response.context["results"]) == 20
        with django_assert_max_num_queries(6):
            client.get(SEARCH, {"page": 2, "object": "legal", "department": catalogue["tax"].pk})


# ---------------------------------------------------------------------------------------------
# Item guide


class TestItemGuide:
    def test_generated_from_the_item(self, client, catalogue):
        item = catalogue["setup"]
        response = client.get(reverse("catalog:item_guide", args=[item.pk]))
        assert response.status_code == 200
        html = response.content.decode()
        basics = dict(response.context["basics"])
        assert basics["实施编码"] == item.implementation_code
        assert basics["事项类型"] == "行政许可"
        assert basics["法定办结时限"] == "3个工作日"
        assert basics["承诺办结时限"] == "0.5个工作日"
        assert basics["服务对象"] == "企业法人"
        assert basics["行使层级"] == "市级"
        assert basics["是否收费"] == "不收费"
        assert basics["咨询电话"] == "0371-23560002"
        assert "3.00" not in html and "0.50" not in html
        materials = body_rows(table(html, "materials"))
        assert [row[1] for row in materials] == ["公司登记（备案）申请书 申请表", "居民身份证", "公司章程"]
        assert materials[1] == ["2", "居民身份证", "公安机关", "0", "1", "必要 · 关键", "居民身份证"]
        steps = re.findall(r"<li>(.*?)</li>", html.split('class="steps"', 1)[1].split("</ol>", 1)[0])
        assert steps == ["网上申报", "受理", "审查", "发照"]
        assert "《中华人民共和国市场主体登记管理条例》第十九条" in html
        assert "材料齐全、符合法定形式" in html
        assert "营业执照（办结后自动发放至电子证照库）" in html

    def test_shows_its_bundles_and_is_printable(self, client, catalogue):
        html = client.get(reverse("catalog:item_guide", args=[catalogue["setup"].pk])).content.decode()
        assert f'href="{reverse("catalog:bundle_guide", args=[catalogue["bundle"].pk])}"' in html
        assert "开办餐饮店" not in html  # a draft bundle is not advertised
        assert "data-print" in html and "@media print" in html

    def test_immediate_item(self, client, catalogue):
        response = client.get(reverse("catalog:item_guide", args=[catalogue["invoice"].pk]))
        basics = dict(response.context["basics"])
        assert basics["办件类型"] == "即办件"
        assert basics["承诺办结时限"] == "即办"
        assert basics["网办深度"] == "全程网办"

    def test_draft_and_unknown_items_are_not_found(self, client, catalogue):
        assert client.get(reverse("catalog:item_guide", args=[catalogue["draft"].pk])).status_code == 404
        assert client.get(reverse("catalog:item_guide", args=[999_999])).status_code == 404


# ---------------------------------------------------------------------------------------------
# Bundles


class TestBundleGuide:
    def test_one_deduplicated_material_set(self, client, catalogue):
        response = client.get(reverse("catalog:bundle_guide", args=[catalogue["bundle"].pk]))
        assert response.status_code == 200
        rows = body_rows(table(response.content.decode(), "materials"))
        assert [row[1] for row in rows] == [
            "《企业开办联办申请表》 一表申请",
            "居民身份证",
            "公司章程",
            "营业执照",
        ]
        # the ID card both items ask for appears once, with the larger counts and critical
        assert rows[1][3:6] == ["1", "1", "必要 · 关键"]
        assert rows[1][7] == "设立登记（有限责任公司）、发票领用"

    def test_items_form_steps_and_key_figures(self, client, catalogue):
        bundle = catalogue["bundle"]
        html = client.get(reverse("catalog:bundle_guide", args=[bundle.pk])).content.decode()
        for item in (catalogue["setup"], catalogue["invoice"]):
            assert f'href="{reverse("catalog:item_guide", args=[item.pk])}"' in html
        assert "国家税务总局示范市税务局" in html
        fields = [row[1] for row in body_rows(table(html, "form-fields"))]
        assert fields == ["企业名称", "联系电话", "经办人"]  # one form, each field once
        assert "<tr><th>承诺办结时限</th><td>0.5个工作日</td></tr>" in html
        assert "<tr><th>到办事现场次数</th><td>0次</td></tr>" in html
        assert "<tr><th>牵头部门</th><td>示范市市场监督管理局</td></tr>" in html
        assert "<li>一窗受理</li>" in html and "<li>统一出件</li>" in html
        assert "data-print" in html

    def test_savings_computed_from_the_items(self, client, catalogue):
        html = client.get(reverse("catalog:bundle_guide", args=[catalogue["bundle"].pk])).content.decode()
        rows = body_rows(table(html, "savings"))
        assert rows == [
            ["办理时限（工作日）", "8", "0.5", "7.5", "93.8%"],
            ["申请材料（份）", "6", "4", "2", "33.3%"],
            ["跑动次数（次）", "2", "0", "2", "100.0%"],
            ["办理环节（个）", "7", "2", "5", "71.4%"],
        ]

    def test_draft_bundle_is_not_found(self, client, catalogue):
        assert (
            client.get(reverse("catalog:bundle_guide", args=[catalogue["draft_bundle"].pk])).status_code
            == 404
        )


class TestBundleList:
    def test_grouped_by_life_event_with_overview(self, client, catalogue):
        response = client.get(BUNDLES)
        assert response.status_code == 200
        html = response.content.decode()
        assert "企业 · 开办" in html
        assert "开办餐饮店" not in html
        match = re.search(r'<p class="summary">(.*?)</p>', html, re.S)
        assert match
        summary = re.sub(r"<[^>]+>", "", match.group(1))
        assert summary == (
            "1 个一件事，法定时限 8 → 0.5 个工作日（压缩 93.8%）、材料 6 → 4 份（减少 33.3%）、"
            "跑动次数 2 → 0 次（减少 100.0%）。"
        )
        assert f'href="{reverse("catalog:bundle_guide", args=[catalogue["bundle"].pk])}"' in html

    def test_no_n_plus_one(self, client, catalogue, django_assert_max_num_queries):
        for n in range(8):
            items = [
                make_item(catalogue["market"], f"事项{n}-{k}", events=[catalogue["birth"]]) for k in range(3)
            ]
            bundle = Bundle.objects.create(
                name=f"一件事{n}",
                life_event=catalogue["birth"],
                lead_department=catalogue["health"],
                promised_limit_days=Decimal("1"),
                status=VersionStatus.PUBLISHED,
            )
            for order, item in enumerate(items):
                BundleItem.objects.create(bundle=bundle, item=item, order=order)
        # bundles, their items, the items' materials
        with django_assert_max_num_queries(4):
            response = client.get(BUNDLES)
        assert response.context["overview"].bundle_count == 9
