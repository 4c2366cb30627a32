"""Excel exports of the list and of a department's inbox: the same filters as the page, only what
the user may see, masked phones, and no confidential reporter for the handling department."""

from __future__ import annotations

from io import BytesIO

from django.urls import reverse
from openpyxl import load_workbook

from zhengwu.appeals import services
from zhengwu.appeals.exports import APPEAL_COLUMNS, ASSIGNMENT_COLUMNS
from zhengwu.appeals.workflow import AppealState as S

from .conftest import refresh


def rows(response) -> tuple[list, list[list]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert ".xlsx" in response["Content-Disposition"]
    ws = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    header, *body = [list(r) for r in ws.iter_rows(values_only=True)]
    assert ws.freeze_panes == "A2"
    assert all(cell.font.bold for cell in ws[1])
    return header, body


def column(header, body, name):
    i = header.index(name)
    return [r[i] for r in body]


def _confidential(desk):
    appeal, _ = services.register_appeal(
        channel="hotline",
        appeal_type="report",
        title="举报无证经营",
        body="某店无证经营。",
        contact_name="王保密",
        contact_phone="13900002222",
        confidential=True,
        by=desk.operator,
    )
    services.triage(appeal=appeal, category=desk.category, handling_mode="dispatch", by=desk.dispatcher)
    services.dispatch(appeal=refresh(appeal), lead=desk.lead_dept, by=desk.dispatcher)
    return refresh(appeal)


def test_the_list_export_has_every_visible_appeal_with_masked_phones(desk, client):
    appeals = [desk.reach(S.REGISTERED), desk.reach(S.IN_PROGRESS), _confidential(desk)]
    client.force_login(desk.dispatcher)
    header, body = rows(client.get(reverse("appeals:export")))
    assert header == [name for name, _ in APPEAL_COLUMNS]
    assert sorted(column(header, body, "工单号")) == sorted(a.number for a in appeals)
    phones = column(header, body, "联系电话")
    assert "138****0001" in phones and "139****2222" in phones
    assert not any("13800000001" in str(p) or "13900002222" in str(p) for p in phones)
    # the dispatcher may know a confidential reporter (masked phone), the department may not
    assert "王保密" in column(header, body, "联系人")
    lead_of = dict(zip(column(header, body, "工单号"), column(header, body, "主办单位"), strict=True))
    assert lead_of[appeals[1].number] == "示范市住建局" and not lead_of[appeals[0].number]


def test_the_list_export_applies_the_pages_filters(desk, client):
    registered = desk.reach(S.REGISTERED)
    in_progress = desk.reach(S.IN_PROGRESS)
    client.force_login(desk.dispatcher)
    header, body = rows(client.get(reverse("appeals:export"), {"state": "in_progress"}))
    assert column(header, body, "工单号") == [in_progress.number]
    header, body = rows(client.get(reverse("appeals:export"), {"q": registered.number}))
    assert column(header, body, "工单号") == [registered.number]


def test_a_department_exports_only_its_own_appeals_and_never_a_confidential_reporter(desk, client):
    mine = desk.reach(S.IN_PROGRESS)
    secret = _confidential(desk)
    theirs = desk.reach(S.TRIAGED)
    services.dispatch(appeal=theirs, lead=desk.other_dept, by=desk.dispatcher)
    client.force_login(desk.lead_handler)
    header, body = rows(client.get(reverse("appeals:export")))
    assert sorted(column(header, body, "工单号")) == sorted([mine.number, secret.number])
    text = repr(body)
    assert "王保密" not in text and "2222" not in text
    by_number = {r[0]: r for r in body}
    assert by_number[secret.number][header.index("联系人")] == "（保密）"
    assert by_number[mine.number][header.index("联系电话")] == "138****0001"


def test_the_inbox_export_lists_the_departments_assignments(desk, client):
    pending = desk.reach(S.DISPATCHED)
    signed = desk.reach(S.IN_PROGRESS)
    secret = _confidential(desk)
    theirs = desk.reach(S.TRIAGED)
    services.dispatch(appeal=theirs, lead=desk.other_dept, by=desk.dispatcher)
    client.force_login(desk.lead_handler)
    header, body = rows(client.get(reverse("appeals:inbox_export"), {"tab": "pending"}))
    assert header == [name for name, _ in ASSIGNMENT_COLUMNS]
    assert sorted(column(header, body, "工单号")) == sorted([pending.number, secret.number])
    assert set(column(header, body, "承办角色")) == {"主办"}
    assert "王保密" not in repr(body) and "139****2222" not in repr(body)
    header, body = rows(client.get(reverse("appeals:inbox_export"), {"tab": "signed"}))
    assert column(header, body, "工单号") == [signed.number]
    # the co-handler's department exports its share only
    client.force_login(desk.co_handler)
    header, body = rows(client.get(reverse("appeals:inbox_export"), {"tab": "pending"}))
    assert sorted(column(header, body, "工单号")) == sorted([pending.number, signed.number])
    assert set(column(header, body, "承办角色")) == {"协办"}
    # and other roles may not export an inbox
    client.force_login(desk.dispatcher)
    assert client.get(reverse("appeals:inbox_export")).status_code == 403
