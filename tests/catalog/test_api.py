from __future__ import annotations

from decimal import Decimal
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from zhengwu.catalog import excel
from zhengwu.catalog.models import Bundle, ItemMaterial, Material, MaterialKind, ServiceItem, VersionStatus
from zhengwu.licences.models import LicenceType

from ..factories import DepartmentFactory
from .factories import (
    BundleFactory,
    ItemMaterialFactory,
    LifeEventFactory,
    MaterialFactory,
    ServiceItemFactory,
    bundle_of,
    code_for,
    fast_passwords,  # noqa: F401  (fixture)
    licence_type,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def clerk_client(client, make_user):
    client.force_login(make_user("clerk"))
    return client


@pytest.fixture
def company_bundle():
    """企业开办 of items whose legal limits add up to the seeds' 748 working days."""
    id_card = MaterialFactory(
        name="居民身份证", issuing_body="公安机关", licence_type=licence_type("居民身份证")
    )
    items = []
    for n, days in enumerate((300, 300, 148), start=1):
        item = ServiceItemFactory(
            name=f"事项{n}",
            legal_limit_days=Decimal(days),
            trips=2,
            form_fields=[{"name": "applicant", "label": "申请人"}, {"name": f"f{n}", "label": f"字段{n}"}],
        )
        ItemMaterialFactory(item=item, material=id_card)
        ItemMaterialFactory(item=item, material=MaterialFactory(name=f"申请表{n}", kind=MaterialKind.FORM))
        items.append(item)
    return bundle_of(*items, name="企业开办", promised_limit_days=Decimal("77.5"), trips=1)


def _valid_item(owner, **overrides):
    body = {
        "name": "食品经营许可",
        "implementation_code": code_for(owner, "410200000001"),
        "item_type": "01",
        "department": owner.pk,
        "service_objects": ["1", "2"],
        "legal_limit_days": "20",
        "promised_limit_days": "7",
        "case_type": 2,
        "process_steps": ["受理", "审查", "决定"],
        "materials": [{"name": "居民身份证", "issuing_body": "公安机关", "copies": 1}],
    }
    body.update(overrides)
    return body


class TestItemsRead:
    def test_list_is_paginated_and_shows_only_published_items(self, client):
        item = ServiceItemFactory(name="食品经营许可", legal_limit_days=Decimal("20.5"))
        ServiceItemFactory(status=VersionStatus.DRAFT)
        ServiceItemFactory(status=VersionStatus.RETIRED)
        data = client.get("/api/items/").json()
        assert data["count"] == 1
        [row] = data["results"]
        assert row["id"] == item.pk
        assert row["name"] == "食品经营许可"
        assert row["implementation_code"] == item.implementation_code
        assert row["item_type_name"] == "行政许可"
        assert row["department"] == {"id": item.department.pk, "name": item.department.name}
        assert (row["legal_limit_days"], row["promised_limit_days"]) == ("20.50", "10.00")
        assert (row["status"], row["status_name"], row["version"]) == ("published", "已发布", 1)

    def test_filters(self, client):
        market = DepartmentFactory()
        food = ServiceItemFactory(name="食品经营许可", department=market)
        pension = ServiceItemFactory(name="退休审批", item_type="07")
        event = LifeEventFactory(name="退休")
        pension.life_events.add(event)

        def names(**params):
            return [r["name"] for r in client.get("/api/items/", params).json()["results"]]

        assert names(q="食品") == ["食品经营许可"]
        assert names(department=market.pk) == ["食品经营许可"]
        assert names(life_event=event.pk) == ["退休审批"]
        assert names(item_type="07") == ["退休审批"]
        assert names(department="x") == []
        assert food.pk != pension.pk

    def test_drafts_only_for_staff(self, client, clerk_client):
        ServiceItemFactory(status=VersionStatus.DRAFT, name="草稿")
        assert clerk_client.get("/api/items/", {"status": "draft"}).json()["count"] == 1
        clerk_client.logout()
        assert client.get("/api/items/", {"status": "draft"}).json()["count"] == 0

    def test_list_has_no_n_plus_one(self, client, django_assert_max_num_queries):
        for _ in range(12):
            ServiceItemFactory(department=DepartmentFactory())
        with django_assert_max_num_queries(2):  # count + page
            response = client.get("/api/items/")
        assert response.json()["count"] == 12

    def test_detail_has_materials(self, client):
        item = ServiceItemFactory(form_fields=[{"name": "applicant", "label": "申请人"}])
        ItemMaterialFactory(
            item=item,
            material=MaterialFactory(name="居民身份证", licence_type=licence_type("居民身份证")),
            copies=2,
            critical=True,
        )
        data = client.get(f"/api/items/{item.pk}/").json()
        assert data["materials"] == [
            {
                "material_id": item.item_materials.get().material_id,
                "name": "居民身份证",
                "issuing_body": "申请人",
                "kind": "document",
                "licence_type": "居民身份证",
                "licence_type_code": LicenceType.objects.get(name="居民身份证").code,
                "originals": 1,
                "copies": 2,
                "required": True,
                "critical": True,
                "note": "",
            }
        ]
        assert data["process_steps"] == ["受理", "审查", "决定"]
        assert data["form_fields"] == [{"name": "applicant", "label": "申请人"}]

    def test_a_draft_is_not_found_for_the_public(self, client):
        draft = ServiceItemFactory(status=VersionStatus.DRAFT)
        assert client.get(f"/api/items/{draft.pk}/").status_code == 404


class TestItemsWrite:
    def test_admin_creates_a_draft(self, admin_client, department):
        response = admin_client.post("/api/items/", _valid_item(department), content_type="application/json")
        assert response.status_code == 201, response.json()
        data = response.json()
        assert (data["status"], data["version"], data["basic_code"]) == ("draft", 1, "410200000001")
        assert [m["name"] for m in data["materials"]] == ["居民身份证"]
        assert ServiceItem.objects.get().name == "食品经营许可"

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"legal_limit_days": "二十"}, "legal_limit_days"),
            ({"name": None}, "name"),
            ({"department": 999999}, "department"),
            ({"materials": [{"issuing_body": "公安机关"}]}, "materials"),
        ],
    )
    def test_malformed_input_is_400(self, admin_client, department, change, field):
        body = _valid_item(department, **change)
        if change.get("name", "") is None:
            del body["name"]
        response = admin_client.post("/api/items/", body, content_type="application/json")
        assert response.status_code == 400
        assert field in response.json()["errors"]
        assert response.json()["detail"]
        assert ServiceItem.objects.count() == Material.objects.count() == 0

    def test_broken_rule_is_422_in_chinese_and_nothing_saved(self, admin_client, department):
        body = _valid_item(
            department,
            legal_limit_days="15",
            promised_limit_days="20",
            materials=[{"name": "居民身份证", "originals": 0, "copies": 0}],
        )
        response = admin_client.post("/api/items/", body, content_type="application/json")
        assert response.status_code == 422
        assert response.json() == {
            "detail": "承诺办结时限（20）不能超过法定办结时限（15）",
            "errors": {
                "promised_limit_days": ["承诺办结时限（20）不能超过法定办结时限（15）"],
                "materials[0].originals": ["原件份数和复印件份数不能都为0"],
            },
        }
        assert ServiceItem.objects.count() == Material.objects.count() == ItemMaterial.objects.count() == 0

    def test_licence_types_are_written_and_read_by_name(self, admin_client, department):
        food = licence_type("食品经营许可证", department)
        id_card = licence_type("居民身份证")
        body = _valid_item(
            department,
            result_licence_type="食品经营许可证",
            materials=[{"name": "居民身份证", "issuing_body": "公安机关", "licence_type": "居民身份证"}],
        )
        response = admin_client.post("/api/items/", body, content_type="application/json")
        assert response.status_code == 201, response.json()
        data = response.json()
        assert (data["result_licence_type"], data["result_licence_type_code"]) == (
            "食品经营许可证",
            food.code,
        )
        assert [(m["licence_type"], m["licence_type_code"]) for m in data["materials"]] == [
            ("居民身份证", id_card.code)
        ]
        assert ServiceItem.objects.get().result_licence_type == food

    def test_an_unknown_licence_type_is_400_naming_the_field(self, admin_client, department):
        body = _valid_item(department, result_licence_type="食品许可证")
        response = admin_client.post("/api/items/", body, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["errors"] == {
            "result_licence_type": ["结果证照类型「食品许可证」未在证照目录中登记，请先在证照目录中添加"]
        }
        assert ServiceItem.objects.count() == Material.objects.count() == 0

    def test_wrong_code_part_is_422(self, admin_client, department):
        body = _valid_item(department, implementation_code=f"{department.uscc}5410200000001")
        response = admin_client.post("/api/items/", body, content_type="application/json")
        assert response.status_code == 422
        assert response.json()["errors"]["implementation_code"] == [
            "实施编码第19位（行使层级）应为 3（市级，与实施主体所在区划一致），实际为 5"
        ]

    def test_clerk_and_anonymous_are_refused(self, client, clerk_client, department):
        assert (
            clerk_client.post(
                "/api/items/", _valid_item(department), content_type="application/json"
            ).status_code
            == 403
        )
        clerk_client.logout()
        assert (
            client.post("/api/items/", _valid_item(department), content_type="application/json").status_code
            == 403
        )
        assert ServiceItem.objects.count() == 0


class TestBundlesRead:
    def test_list_shows_items_and_savings(self, client, company_bundle):
        [row] = client.get("/api/bundles/").json()["results"]
        assert row["name"] == "企业开办"
        assert [i["name"] for i in row["items"]] == ["事项1", "事项2", "事项3"]
        assert row["savings"]["time"] == {
            "items_total": "748",
            "bundle": "77.5",
            "rate": "0.8964",
            "percent": "89.6",
        }
        assert row["savings"]["materials"] == {
            "items_total": "6",
            "bundle": "2",
            "rate": "0.6667",
            "percent": "66.7",
        }
        assert row["savings"]["trips"] == {
            "items_total": "6",
            "bundle": "1",
            "rate": "0.8333",
            "percent": "83.3",
        }
        assert set(row["savings"]["steps"]) == {"items_total", "bundle", "rate", "percent"}

    def test_detail_has_one_material_set_and_one_form(self, client, company_bundle):
        data = client.get(f"/api/bundles/{company_bundle.pk}/").json()
        assert [(m["name"], m["is_merged_form"]) for m in data["materials"]] == [
            ("《企业开办联办申请表》", True),
            ("居民身份证", False),
        ]
        assert data["materials"][0]["item_names"] == ["事项1", "事项2", "事项3"]
        code = LicenceType.objects.get(name="居民身份证").code
        assert [(m["licence_type"], m["licence_type_code"]) for m in data["materials"]] == [
            ("", ""),
            ("居民身份证", code),
        ]
        assert [f["name"] for f in data["form_fields"]] == ["applicant", "f1", "f2", "f3"]
        assert data["form_fields"][0]["items"] == ["事项1", "事项2", "事项3"]
        assert data["savings"]["time"]["percent"] == "89.6"

    def test_list_has_no_n_plus_one(self, client, django_assert_max_num_queries):
        for n in range(5):
            items = [ServiceItemFactory(department=DepartmentFactory()) for _ in range(3)]
            for item in items:
                ItemMaterialFactory(item=item)
            bundle_of(*items, name=f"一件事{n}")
        with django_assert_max_num_queries(4):  # count, bundles, bundle items + items, materials
            response = client.get("/api/bundles/")
        assert response.json()["count"] == 5

    def test_draft_bundles_only_for_staff(self, client):
        BundleFactory(status=VersionStatus.DRAFT)
        assert client.get("/api/bundles/").json()["count"] == 0


class TestBundlesWrite:
    def _body(self, items, **overrides):
        body = {
            "name": "新生儿出生",
            "life_event": LifeEventFactory(name="出生").pk,
            "lead_department": DepartmentFactory().pk,
            "items": [i.pk for i in items],
            "promised_limit_days": "5",
            "trips": 1,
            "process_steps": ["一窗受理", "统一出件"],
        }
        body.update(overrides)
        return body

    def test_admin_creates_a_bundle(self, admin_client):
        items = [ServiceItemFactory(), ServiceItemFactory()]
        response = admin_client.post("/api/bundles/", self._body(items), content_type="application/json")
        assert response.status_code == 201, response.json()
        data = response.json()
        assert data["status"] == "draft"
        assert data["savings"]["time"] == {
            "items_total": "40",
            "bundle": "5",
            "rate": "0.8750",
            "percent": "87.5",
        }

    def test_one_item_is_422(self, admin_client):
        response = admin_client.post(
            "/api/bundles/", self._body([ServiceItemFactory()]), content_type="application/json"
        )
        assert response.status_code == 422
        assert response.json()["errors"] == {"items": ["一件事至少包含两个事项"]}
        assert Bundle.objects.count() == 0

    def test_malformed_is_400(self, admin_client):
        items = [ServiceItemFactory(), ServiceItemFactory()]
        response = admin_client.post(
            "/api/bundles/", self._body(items, trips="一次"), content_type="application/json"
        )
        assert response.status_code == 400
        assert "trips" in response.json()["errors"]
        assert Bundle.objects.count() == 0

    def test_clerk_is_refused(self, clerk_client):
        items = [ServiceItemFactory(), ServiceItemFactory()]
        response = clerk_client.post("/api/bundles/", self._body(items), content_type="application/json")
        assert response.status_code == 403
        assert Bundle.objects.count() == 0


class TestExcelApi:
    def _file(self, data: bytes, name: str = "事项清单.xlsx") -> SimpleUploadedFile:
        return SimpleUploadedFile(name, data, content_type=excel.XLSX_CONTENT_TYPE)

    def test_export_and_import(self, admin_client):
        ServiceItemFactory(name="食品经营许可")
        response = admin_client.get("/api/catalog/export")
        assert response.status_code == 200
        assert response["Content-Type"] == excel.XLSX_CONTENT_TYPE
        data = b"".join(response.streaming_content)
        ServiceItem.objects.all().delete()

        response = admin_client.post("/api/catalog/import", {"file": self._file(data)})

        assert response.status_code == 200, response.json()
        assert response.json()["created"] == 1
        assert response.json()["detail"].startswith("导入成功")
        assert ServiceItem.objects.get().status == VersionStatus.DRAFT

    def test_refused_file_is_422_with_every_problem(self, admin_client):
        item = ServiceItemFactory(legal_limit_days=Decimal(15))
        workbook = load_workbook(BytesIO(excel.export_items(excel.export_queryset())))
        workbook["事项"]["I2"] = 20
        buffer = BytesIO()
        workbook.save(buffer)
        response = admin_client.post("/api/catalog/import", {"file": self._file(buffer.getvalue())})
        assert response.status_code == 422
        body = response.json()
        assert body["problems"] == [
            {
                "sheet": "事项",
                "row": 2,
                "column": "承诺办结时限",
                "message": "承诺办结时限（20）不能超过法定办结时限（15）",
            }
        ]
        assert body["errors"]["file"] == [
            "事项 第2行「承诺办结时限」：承诺办结时限（20）不能超过法定办结时限（15）"
        ]
        assert ServiceItem.objects.get() == item

    def test_non_xlsx_is_400(self, admin_client):
        response = admin_client.post("/api/catalog/import", {"file": self._file(b"a,b", name="a.csv")})
        assert response.status_code == 400
        assert response.json()["errors"]["file"][0].startswith("只能导入 Excel 文件")

    def test_permissions(self, client, clerk_client):
        assert clerk_client.post("/api/catalog/import", {"file": self._file(b"x")}).status_code == 403
        assert clerk_client.get("/api/catalog/export").status_code == 200
        clerk_client.logout()
        assert client.get("/api/catalog/export").status_code == 403


def test_schema_lists_the_catalogue_endpoints(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    for path in (
        "/api/items/",
        "/api/items/{id}/",
        "/api/bundles/",
        "/api/bundles/{id}/",
        "/api/catalog/import",
        "/api/catalog/export",
    ):
        assert path in schema["paths"], path
    assert "post" in schema["paths"]["/api/items/"]
    assert "422" in schema["paths"]["/api/items/"]["post"]["responses"]
