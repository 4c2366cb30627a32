from __future__ import annotations

from decimal import Decimal
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from zhengwu.catalog import excel
from zhengwu.catalog.models import CaseType, ItemMaterial, Material, MaterialKind, ServiceItem, VersionStatus
from zhengwu.core.errors import InvalidInput
from zhengwu.core.models import AuditEvent
from zhengwu.licences.models import LicenceType

from ..factories import DepartmentFactory, make_uscc
from .factories import (  # noqa: F401
    ItemMaterialFactory,
    MaterialFactory,
    ServiceItemFactory,
    fast_passwords,
    licence_type,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

HEADERS = [c.header for c in excel.ITEM_COLUMNS]
MATERIAL_HEADERS = [c.header for c in excel.MATERIAL_COLUMNS]


@pytest.fixture
def catalogue():
    """Two published items sharing the ID card, and a draft that the default export leaves out."""
    department = DepartmentFactory(name="市场监督管理局")
    id_card = MaterialFactory(
        name="居民身份证", issuing_body="公安机关", licence_type=licence_type("居民身份证")
    )
    food = ServiceItemFactory(
        name="食品经营许可",
        department=department,
        basic_code="410200000001",
        service_objects=["1", "2"],
        legal_limit_days=Decimal(15),
        promised_limit_days=Decimal(10),
        trips=2,
        charges_fee=True,
        fee_description="不收费=免费",
        conditions="有经营场所",
        process_steps=["受理", "审查", "决定"],
        result_name="食品经营许可证",
        result_licence_type=licence_type("食品经营许可证", department),
    )
    ItemMaterialFactory(
        item=food, material=MaterialFactory(name="食品经营许可申请书", kind=MaterialKind.FORM)
    )
    ItemMaterialFactory(item=food, material=id_card, copies=1)
    seal = ServiceItemFactory(
        name="公章刻制备案",
        department=department,
        basic_code="410200000002",
        item_type="10",
        legal_limit_days=Decimal("1.5"),
        promised_limit_days=Decimal(0),
        case_type=CaseType.IMMEDIATE,
        trips=0,
        online_depth=3,
    )
    ItemMaterialFactory(item=seal, material=id_card, copies=2, critical=True)
    ItemMaterialFactory(
        item=seal,
        material=MaterialFactory(name="营业执照", issuing_body="市场监督管理局"),
        originals=0,
        copies=1,
    )
    ServiceItemFactory(name="草稿事项", department=department, status=VersionStatus.DRAFT)
    return {"department": department, "food": food, "seal": seal}


def _export(scope: str = "published") -> bytes:
    return excel.export_items(excel.export_queryset(scope))


def _rows(data: bytes, sheet: str) -> list[list]:
    ws = load_workbook(BytesIO(data))[sheet]
    return [list(row) for row in ws.iter_rows(values_only=True)]


def _save(workbook: Workbook) -> BytesIO:
    buffer = BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def _counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in (ServiceItem, Material, ItemMaterial, AuditEvent)}


class TestExport:
    def test_two_sheets_with_bold_frozen_headers(self, catalogue):
        workbook = load_workbook(BytesIO(_export()))
        assert workbook.sheetnames == ["事项", "材料"]
        items, materials = workbook["事项"], workbook["材料"]
        assert [c.value for c in items[1]] == HEADERS
        assert [c.value for c in materials[1]] == MATERIAL_HEADERS
        for ws in (items, materials):
            assert all(c.font.bold for c in ws[1])
            assert ws.freeze_panes == "A2"
            assert ws.column_dimensions["A"].width == 36

    def test_one_row_per_published_item(self, catalogue):
        food, seal = catalogue["food"], catalogue["seal"]
        rows = _rows(_export(), "事项")
        assert [r[1] for r in rows[1:]] == ["食品经营许可", "公章刻制备案"]
        assert dict(zip(HEADERS, rows[1], strict=True)) == {
            "实施编码": food.implementation_code,
            "事项名称": "食品经营许可",
            "基本编码": "410200000001",
            "事项类型": "01",
            "实施主体统一社会信用代码": catalogue["department"].uscc,
            "行使层级": 3,
            "服务对象": "1、2",
            "法定办结时限": 15,
            "承诺办结时限": 10,
            "办件类型": "承诺件",
            "到办事现场次数": 2,
            "网办深度": "线下办理",
            "是否收费": "是",
            "收费标准": "不收费=免费",
            "受理条件": "有经营场所",
            "办理流程": "受理→审查→决定",
            "审批结果名称": "食品经营许可证",
            "结果证照类型": "食品经营许可证",
            "版本号": 1,
            "状态": "已发布",
        }
        assert rows[2][HEADERS.index("法定办结时限")] == 1.5
        assert rows[2][HEADERS.index("办件类型")] == "即办件"
        assert rows[2][HEADERS.index("网办深度")] == "全程网办"
        assert rows[2][HEADERS.index("事项类型")] == "10"
        assert _rows(_export(), "材料")[1:] == [
            [food.implementation_code, "食品经营许可申请书", "申请人", "申请表", 1, 0, "是", "否", None],
            [food.implementation_code, "居民身份证", "公安机关", "证件材料", 1, 1, "是", "否", "居民身份证"],
            [seal.implementation_code, "居民身份证", "公安机关", "证件材料", 1, 2, "是", "是", "居民身份证"],
            [seal.implementation_code, "营业执照", "市场监督管理局", "证件材料", 0, 1, "是", "否", None],
        ]

    def test_all_versions_include_drafts(self, catalogue):
        names = [r[1] for r in _rows(_export("all"), "事项")[1:]]
        assert sorted(names) == ["公章刻制备案", "草稿事项", "食品经营许可"]

    def test_text_starting_with_equals_stays_text(self, catalogue):
        catalogue["food"].fee_description = '=HYPERLINK("http://x")'
        catalogue["food"].save()
        cell = load_workbook(BytesIO(_export()))["事项"]["N2"]
        assert (cell.value, cell.data_type) == ('=HYPERLINK("http://x")', "s")


class TestRoundTrip:
    def test_export_then_import_into_an_empty_catalogue_gives_the_same_data(self, catalogue, admin_user):
        data = _export()
        ItemMaterial.objects.all().delete()
        ServiceItem.objects.all().delete()
        Material.objects.all().delete()

        result = excel.import_catalog(BytesIO(data), by=admin_user, publish=True)

        assert result.ok, result.problems
        assert result.counts() == {
            "items": 2,
            "created": 2,
            "new_versions": 0,
            "updated": 0,
            "unchanged": 0,
            "published": 2,
            "materials": 4,
        }
        again = _export()
        assert _rows(again, "事项") == _rows(data, "事项")
        assert _rows(again, "材料") == _rows(data, "材料")
        assert Material.objects.get(name="居民身份证").licence_type == LicenceType.objects.get(
            name="居民身份证"
        )
        assert Material.objects.get(name="食品经营许可申请书").kind == MaterialKind.FORM

    def test_importing_the_same_file_changes_nothing(self, catalogue, admin_user):
        before = _counts()
        result = excel.import_catalog(BytesIO(_export()), by=admin_user)
        assert (result.ok, result.unchanged, result.created, result.new_versions) == (True, 2, 0, 0)
        assert _counts() == before

    def test_a_changed_row_becomes_a_new_draft_version(self, catalogue, admin_user):
        workbook = load_workbook(BytesIO(_export()))
        workbook["事项"].cell(row=2, column=HEADERS.index("承诺办结时限") + 1, value=8)
        workbook["材料"].cell(row=3, column=MATERIAL_HEADERS.index("复印件份数") + 1, value=3)

        result = excel.import_catalog(_save(workbook), by=admin_user)

        assert (result.new_versions, result.unchanged) == (1, 1)
        food = catalogue["food"]
        draft = ServiceItem.objects.get(implementation_code=food.implementation_code, version=2)
        assert (draft.status, draft.promised_limit_days) == (VersionStatus.DRAFT, 8)
        assert [(m.material.name, m.copies) for m in draft.item_materials.all()] == [
            ("食品经营许可申请书", 0),
            ("居民身份证", 3),
        ]
        food.refresh_from_db()
        assert (food.status, food.promised_limit_days) == (VersionStatus.PUBLISHED, 10)
        assert "新版本为草稿" in result.summary()

        # importing again with "publish" updates that draft and publishes it
        workbook["事项"].cell(row=2, column=HEADERS.index("承诺办结时限") + 1, value=7)
        result = excel.import_catalog(_save(workbook), by=admin_user, publish=True)
        assert (result.updated, result.published) == (1, 1)
        food.refresh_from_db()
        draft.refresh_from_db()
        assert (food.status, draft.status, draft.promised_limit_days) == (
            VersionStatus.RETIRED,
            VersionStatus.PUBLISHED,
            7,
        )


class TestRefusedFiles:
    def test_bad_rows_are_all_listed_and_nothing_is_saved(self, catalogue, admin_user):
        workbook = load_workbook(BytesIO(_export()))
        items, materials = workbook["事项"], workbook["材料"]
        column = {h: i + 1 for i, h in enumerate(HEADERS)}
        items.cell(row=2, column=column["承诺办结时限"], value=20)  # legal is 15
        items.cell(row=3, column=column["实施主体统一社会信用代码"], value=make_uscc(777))
        items.cell(row=3, column=column["是否收费"], value="也许")
        items.cell(row=3, column=column["法定办结时限"], value="十五")
        items.append(list(next(items.iter_rows(min_row=2, max_row=2, values_only=True))))  # row 4 = row 2
        materials.cell(row=3, column=MATERIAL_HEADERS.index("原件份数") + 1, value=0)
        materials.cell(row=3, column=MATERIAL_HEADERS.index("复印件份数") + 1, value=0)
        materials.append(["11410200000000000X3000000000000", "居民身份证", "", "", 1, 0, "是", "否", ""])
        before = _counts()

        result = excel.import_catalog(_save(workbook), by=admin_user, publish=True)

        assert not result.ok
        code = catalogue["food"].implementation_code
        assert [str(p) for p in result.problems] == [
            "事项 第2行「承诺办结时限」：承诺办结时限（20）不能超过法定办结时限（15）",
            f"事项 第3行「实施主体统一社会信用代码」：未找到统一社会信用代码为 {make_uscc(777)} 的部门，请先在部门管理中登记",
            "事项 第3行「法定办结时限」：法定办结时限应为数字，实际为「十五」",
            "事项 第3行「是否收费」：是否收费应填写「是」或「否」，实际为「也许」",
            f"事项 第4行「实施编码」：实施编码 {code} 与第2行重复，每个事项只能出现一次",
            "材料 第3行「原件份数」：原件份数和复印件份数不能都为0",
            "材料 第6行「实施编码」：「事项」表中没有实施编码为 11410200000000000X3000000000000 的事项",
        ]
        assert (result.created, result.published) == (0, 0)
        assert _counts() == before

    def test_an_unknown_licence_type_name_refuses_the_whole_file(self, catalogue, admin_user):
        workbook = load_workbook(BytesIO(_export()))
        items, materials = workbook["事项"], workbook["材料"]
        new = list(next(items.iter_rows(min_row=2, max_row=2, values_only=True)))
        new[0], new[1], new[2] = new[0][:19] + "410200000077", "新事项", "410200000077"
        items.append(new)  # row 4: a new item, valid, with a registered type: not imported either
        items.cell(row=3, column=HEADERS.index("结果证照类型") + 1, value="公章刻制备案证明")
        materials.cell(row=3, column=MATERIAL_HEADERS.index("可替代电子证照类型") + 1, value="身份证")
        before = _counts()

        result = excel.import_catalog(_save(workbook), by=admin_user, publish=True)

        assert [str(p) for p in result.problems] == [
            "事项 第3行「结果证照类型」：「结果证照类型」「公章刻制备案证明」未在证照目录中登记，"
            "请先在证照目录中添加该证照类型或改正名称",
            "材料 第3行「可替代电子证照类型」：「可替代电子证照类型」「身份证」未在证照目录中登记，"
            "请先在证照目录中添加该证照类型或改正名称",
        ]
        assert [(p.sheet, p.row, p.column) for p in result.problems] == [
            ("事项", 3, "结果证照类型"),
            ("材料", 3, "可替代电子证照类型"),
        ]
        assert _counts() == before
        assert not ServiceItem.objects.filter(name="新事项").exists()

    def test_a_renamed_licence_type_is_exported_under_its_new_name(self, catalogue, admin_user):
        food_licence = catalogue["food"].result_licence_type
        food_licence.name = "食品经营许可证（2026版）"
        food_licence.save()
        id_card = LicenceType.objects.get(name="居民身份证")
        id_card.name = "中华人民共和国居民身份证"
        id_card.save()

        data = _export()

        assert _rows(data, "事项")[1][HEADERS.index("结果证照类型")] == "食品经营许可证（2026版）"
        assert {r[-1] for r in _rows(data, "材料")[1:]} == {None, "中华人民共和国居民身份证"}
        before = _counts()
        result = excel.import_catalog(BytesIO(data), by=admin_user)
        assert (result.ok, result.unchanged) == (True, 2), "the references did not change"
        assert _counts() == before

    def test_a_rule_broken_on_a_new_item_names_the_code_part(self, catalogue, admin_user):
        workbook = load_workbook(BytesIO(_export()))
        items = workbook["事项"]
        row = list(next(items.iter_rows(min_row=2, max_row=2, values_only=True)))
        row[0] = row[0][:18] + "4" + "410200000099"
        row[2] = "410200000099"
        items.append(row)
        result = excel.import_catalog(_save(workbook), by=admin_user)
        assert [str(p) for p in result.problems] == [
            "事项 第4行「实施编码」：实施编码第19位（行使层级）应为 3（市级，与实施主体所在区划一致），实际为 4"
        ]
        assert ServiceItem.objects.filter(basic_code="410200000099").count() == 0

    def test_wrong_headers_name_the_sheet_and_column(self, catalogue, admin_user):
        workbook = load_workbook(BytesIO(_export()))
        items = workbook["事项"]
        items.delete_cols(HEADERS.index("法定办结时限") + 1)
        items.cell(row=1, column=items.max_column + 1, value="备注")
        result = excel.import_catalog(_save(workbook), by=admin_user)
        messages = [str(p) for p in result.problems]
        assert messages[0].startswith(
            "事项 第1行「备注」：未知的列「备注」；「事项」表的列应为：实施编码、事项名称"
        )
        assert messages[1] == "事项 第1行「法定办结时限」：缺少列「法定办结时限」"
        assert len(messages) == 2

    def test_missing_sheet(self, admin_user):
        workbook = Workbook()
        workbook.active.title = "事项"
        workbook.active.append(HEADERS)
        result = excel.import_catalog(_save(workbook), by=admin_user)
        assert [str(p) for p in result.problems] == ["材料：缺少工作表「材料」"]

    def test_empty_file(self, admin_user):
        result = excel.import_catalog(BytesIO(excel.export_items([])), by=admin_user)
        assert [str(p) for p in result.problems] == ["事项：没有可导入的事项（第2行起每行一个事项）"]

    def test_not_an_xlsx(self, admin_user):
        with pytest.raises(InvalidInput) as info:
            excel.import_catalog(BytesIO(b"name,code\n"), by=admin_user)
        assert info.value.message == "文件不是有效的 Excel（.xlsx）文件，无法读取"
        with pytest.raises(InvalidInput, match=r"只能导入 Excel 文件（\.xlsx），「事项.csv」不是"):
            excel.check_upload("事项.csv", 100)
        with pytest.raises(InvalidInput, match=r"文件大小 6\.0 MB 超过上限 5 MB"):
            excel.check_upload("事项.xlsx", 6 * 1024 * 1024)


def _upload(data: bytes, name: str = "事项清单.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=excel.XLSX_CONTENT_TYPE)


class TestExcelPage:
    url = "/catalog/excel/"

    def test_url_names(self):
        assert reverse("catalog:excel") == self.url
        assert reverse("catalog:excel_export") == "/catalog/excel/export.xlsx"

    def test_admin_sees_export_and_upload(self, client, admin_user):
        client.force_login(admin_user)
        page = client.get(self.url).content.decode()
        assert "事项清单导入导出" in page
        assert f'href="{reverse("catalog:excel_export")}"' in page
        assert 'type="file"' in page and 'name="file"' in page

    def test_clerk_is_refused(self, client, make_user):
        client.force_login(make_user("clerk"))
        assert client.get(self.url).status_code == 403
        assert client.post(self.url, {"file": _upload(b"x")}).status_code == 403

    def test_anonymous_is_sent_to_login(self, client):
        response = client.get(self.url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_refused_file_shows_every_problem(self, client, admin_user, catalogue):
        workbook = load_workbook(BytesIO(_export()))
        workbook["事项"].cell(row=2, column=HEADERS.index("承诺办结时限") + 1, value=20)
        before = _counts()
        client.force_login(admin_user)
        page = client.post(self.url, {"file": _upload(_save(workbook).getvalue())}).content.decode()
        assert "文件未导入：发现 1 个问题" in page
        assert "<th>行</th><th>列</th><th>原因</th>" in page
        assert "<td>承诺办结时限</td><td>承诺办结时限（20）不能超过法定办结时限（15）</td>" in page
        assert _counts() == before

    def test_good_file_is_imported(self, client, admin_user, catalogue):
        data = _export()
        ItemMaterial.objects.all().delete()
        ServiceItem.objects.all().delete()
        client.force_login(admin_user)
        response = client.post(self.url, {"file": _upload(data), "publish": "on"}, follow=True)
        page = response.content.decode()
        assert "导入成功：共2个事项（新建2个" in page and "已发布2个" in page
        assert ServiceItem.objects.filter(status=VersionStatus.PUBLISHED).count() == 2

    def test_non_xlsx_upload(self, client, admin_user):
        client.force_login(admin_user)
        page = client.post(self.url, {"file": _upload(b"a,b\n", name="事项.csv")}).content.decode()
        assert "只能导入 Excel 文件（.xlsx），「事项.csv」不是" in page
        page = client.post(self.url, {"file": _upload(b"not a zip")}).content.decode()
        assert "文件不是有效的 Excel（.xlsx）文件" in page

    def test_export_download(self, client, admin_user, catalogue):
        client.force_login(admin_user)
        response = client.get(reverse("catalog:excel_export"), {"scope": "all"})
        assert response["Content-Type"] == excel.XLSX_CONTENT_TYPE
        assert "attachment" in response["Content-Disposition"]
        data = b"".join(response.streaming_content)
        assert len(_rows(data, "事项")) == 4
        template = client.get(reverse("catalog:excel_template"))
        assert _rows(b"".join(template.streaming_content), "事项") == [HEADERS]
