"""The GB/T 39046 办件 data set of the filtered list, as Excel (办件 and 办理环节) and as JSON: the
values read back, identity numbers masked unless the user may see personal data, the back
office's opinions only for its readers, the filters of the page, and text that stays text."""

from __future__ import annotations

import json
from io import BytesIO

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from openpyxl import load_workbook

from zhengwu.applications import services
from zhengwu.applications.exports import APPLICATION_COLUMNS, STEP_COLUMNS
from zhengwu.applications.models import Application

from .conftest import online, walk_in

pytestmark = pytest.mark.django_db


def fresh(app: Application) -> Application:
    return Application.objects.get(pk=app.pk)


def workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert ".xlsx" in response["Content-Disposition"]
    return load_workbook(BytesIO(b"".join(response.streaming_content)))


def table(ws) -> tuple[list, list[dict]]:
    header, *body = [list(r) for r in ws.iter_rows(values_only=True)]
    return header, [dict(zip(header, r, strict=False)) for r in body]


def decided(office) -> Application:
    app = walk_in(office, delivery_method="post", postal_address="示范市中原路2号").application
    services.review(application=app, by=office.approver, note="材料已核")
    services.decide(application=fresh(app), by=office.approver, approved=True, opinion="内部意见：符合条件")
    services.complete(application=fresh(app), by=office.approver, result_number="市监食许〔2026〕9号")
    return fresh(app)


def test_the_workbook_has_one_row_per_application_and_its_steps(office, client):
    app = decided(office)
    waiting = online(office).application
    client.force_login(office.leader)
    wb = workbook(client.get(reverse("applications:export")))
    assert wb.sheetnames == ["办件", "办理环节"]
    header, rows = table(wb["办件"])
    assert header == [c.header for c in APPLICATION_COLUMNS]
    assert wb["办件"].freeze_panes == "A2"
    by_number = {r["办件编号"]: r for r in rows}
    assert set(by_number) == {app.number, waiting.number}
    row = by_number[app.number]
    assert row["事项编码"] == office.item.implementation_code
    assert row["事项名称"] == "食品经营许可" and row["受理部门"] == "市场监督管理局"
    assert row["申请人类型"] == "自然人" and row["申请人名称"] == "王小明"
    code = office.citizen.id_number
    assert row["申请人证件号码"] == f"{code[:4]}**********{code[-4:]}"  # the leader may not see it whole
    assert row["申请方式"] == "窗口办理" and row["受理人"] == "窗口甲"
    assert row["办理结果"] == "准予许可" and row["结果文号"] == "市监食许〔2026〕9号"
    assert row["出件方式"] == "邮寄送达" and row["状态"] == "已办结待出件"
    assert row["承诺办结时间"] and row["办结时间"] and row["受理时间"]
    assert by_number[waiting.number]["受理时间"] in ("", None)

    step_header, steps = table(wb["办理环节"])
    assert step_header == [c.header for c in STEP_COLUMNS]
    mine = [s for s in steps if s["办件编号"] == app.number]
    assert [s["环节"] for s in mine] == ["提交申请", "受理", "开始审查", "作出决定", "办结"]
    decide = mine[3]
    assert decide["业务动作"] == "通过" and decide["办理人"] == "审批乙"
    assert decide["办理意见"] == "内部意见：符合条件"  # the leader reads the opinions
    assert decide["开始时间"] == mine[2]["结束时间"] and decide["结束时间"]


def test_personal_data_whole_only_with_the_permission(office, client):
    app = decided(office)
    office.leader.user_permissions.add(
        Permission.objects.get(codename="view_personal_data", content_type__app_label="accounts")
    )
    client.force_login(office.leader)
    _, rows = table(workbook(client.get(reverse("applications:export")))["办件"])
    assert rows[0]["申请人证件号码"] == app.applicant_code


def test_a_clerk_gets_no_back_office_opinion(office, client):
    app = decided(office)
    client.force_login(office.clerk)
    _, steps = table(workbook(client.get(reverse("applications:export")))["办理环节"])
    texts = " ".join(str(s["办理意见"] or "") for s in steps if s["办件编号"] == app.number)
    assert "内部意见" not in texts and "材料已核" not in texts
    assert "作出决定" in [s["环节"] for s in steps]  # the step is there, its opinion is not


def test_the_export_follows_the_list_filters(office, client):
    app = decided(office)
    online(office)
    client.force_login(office.leader)
    _, rows = table(workbook(client.get(reverse("applications:export"), {"state": "completed"}))["办件"])
    assert [r["办件编号"] for r in rows] == [app.number]
    refused = client.get(
        reverse("applications:export"), {"submitted_from": "2026-06-09", "submitted_to": "2026-06-01"}
    )
    assert refused.status_code == 400 and "截止日期" in refused.content.decode()


def test_json_has_the_same_names_and_nested_steps(office, client):
    app = decided(office)
    client.force_login(office.approver)
    response = client.get(reverse("applications:export_json"))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    data = json.loads(response.content)
    assert data["数量"] == 1
    (item,) = data["办件"]
    assert set(item) == {c.header for c in APPLICATION_COLUMNS} | {"办理环节"}
    assert item["办件编号"] == app.number and item["结果文号"] == "市监食许〔2026〕9号"
    assert "*" in item["申请人证件号码"]
    steps = item["办理环节"]
    assert {"业务动作", "办理人", "办理意见", "开始时间", "结束时间"} <= set(steps[0])
    assert [s["环节"] for s in steps][-1] == "办结"
    assert steps[-2]["办理意见"] == "内部意见：符合条件"  # the deciding department reads its own


def test_text_that_looks_like_a_formula_stays_text(office, client):
    app = walk_in(office).application
    services.review(application=app, by=office.approver)
    services.decide(application=fresh(app), by=office.approver, approved=True, opinion="=HYPERLINK(1)")
    services.complete(application=fresh(app), by=office.approver, result_number="=1+1")
    client.force_login(office.approver)
    wb = workbook(client.get(reverse("applications:export")))
    _, rows = table(wb["办件"])
    assert rows[0]["结果文号"] == "=1+1"
    ws = wb["办件"]
    cell = next(c for c in ws[2] if c.value == "=1+1")
    assert cell.data_type == "s"
