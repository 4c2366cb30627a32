"""Excel of the statistics tables and of the records behind a figure, opened back with openpyxl:
Chinese headers, the values shown on the page, rates as percentages, the header row frozen."""

from __future__ import annotations

from io import BytesIO

from django.urls import reverse
from openpyxl import load_workbook

from tests.analytics import test_dashboard_pages as pages
from zhengwu.analytics.indicators import of_family

stats_city = pages.stats_city  # the same small city as the pages' tests


def workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(BytesIO(b"".join(response.streaming_content)))


def test_the_breakdown_table_as_excel(client, stats_city):
    client.force_login(stats_city["leader"])
    r = client.get(reverse("analytics:overview"), {"period": "2026-05", "format": "xlsx"})
    assert "attachment" in r["Content-Disposition"]
    ws = workbook(r).active
    assert ws.freeze_panes == "A3"
    assert "2026年5月" in ws["A1"].value and "按部门" in ws["A1"].value
    headers = [c.value for c in ws[2]]
    inds = of_family("办件")
    assert headers == ["部门"] + [f"{i.name}（{i.unit}）" for i in inds]
    rows = {row[0].value: row for row in ws.iter_rows(min_row=3)}
    assert set(rows) == {"市场监督管理局", "东城区人力资源和社会保障局"}
    accepted = headers.index("受理量（件）")
    completed = headers.index("办结量（件）")
    assert rows["市场监督管理局"][accepted].value == 3
    assert rows["东城区人力资源和社会保障局"][completed].value == 1
    assert rows["市场监督管理局"][accepted].number_format == "#,##0"
    rates = [i for i in inds if i.kind == "rate"]
    for i in rates:
        cell = rows["市场监督管理局"][headers.index(f"{i.name}（{i.unit}）")]
        assert cell.value == "—" or (cell.number_format == "0.0%" and 0 <= cell.value <= 1)


def test_the_table_by_window_as_excel(client, stats_city):
    client.force_login(stats_city["head"])
    r = client.get(reverse("analytics:overview"), {"period": "2026-05", "by": "window", "format": "xlsx"})
    ws = workbook(r).active
    assert ws["A2"].value == "窗口"
    assert [(row[0].value, row[1].value) for row in ws.iter_rows(min_row=3)] == [("1号窗口 综合受理", 2)]


def test_the_records_as_excel(client, stats_city):
    client.force_login(stats_city["leader"])
    r = client.get(
        reverse("analytics:records"), {"measure": "app_accepted", "period": "2026-05", "format": "xlsx"}
    )
    ws = workbook(r).active
    assert ws.freeze_panes == "A3"
    assert "受理件数" in ws["A1"].value
    assert [c.value for c in ws[2]] == ["编号", "名称", "部门", "时间"]
    data = list(ws.iter_rows(min_row=3, values_only=True))
    assert len(data) == 5
    assert sorted(r[0] for r in data) == ["TJ0001", "TJ0002", "TJ0003", "TJ0006", "TJ0007"]
    assert ("TJ0006", "东城区人力资源和社会保障局", "2026-05-11 10:00") in [(r[0], r[2], r[3]) for r in data]


def test_a_department_head_cannot_export_another_departments_records(client, stats_city):
    client.force_login(stats_city["head"])
    r = client.get(
        reverse("analytics:records"),
        {"measure": "app_accepted", "period": "2026-05", "department": stats_city["hr"].pk, "format": "xlsx"},
    )
    assert r.status_code == 403
    r = client.get(
        reverse("analytics:records"), {"measure": "app_accepted", "period": "2026-05", "format": "xlsx"}
    )
    assert sorted(row[0] for row in workbook(r).active.iter_rows(min_row=3, values_only=True)) == [
        "TJ0001",
        "TJ0002",
        "TJ0003",
    ]
