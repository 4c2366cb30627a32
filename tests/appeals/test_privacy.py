"""One personal-data policy (appeals/privacy.py) on every surface: the appeal page, the REST API,
Open311 and the Excel exports show a masked phone; the whole number is an explicit, audited
查看完整号码 for the lead department of a non-confidential appeal and the 12345 desk; a co-handler,
another department, a supervisor or a leader never get it; a confidential appeal or a 举报 never
shows its reporter to a department. Also: 催办 and 督办 carry a note to the timeline."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from zhengwu.appeals import privacy, services
from zhengwu.appeals.models import Appeal, AppealEvent
from zhengwu.appeals.workflow import AppealState as S
from zhengwu.core.models import AuditEvent

from ..factories import UserFactory
from .conftest import refresh

PHONE, MASKED = "13800000001", "138****0001"
HTMX = {"HX-Request": "true"}


def detail_url(appeal: Appeal) -> str:
    return reverse("appeals:detail", args=[appeal.pk])


def reveal_url(appeal: Appeal) -> str:
    return reverse("appeals:reveal_phone", args=[appeal.pk])


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def reveals() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=privacy.REVEAL_ACTION))


def _report(desk, *, confidential: bool) -> Appeal:
    """A 举报 dispatched to the lead department and signed there."""
    appeal = desk.register(appeal_type="report", confidential=confidential, title="举报违规排污")
    services.triage(appeal=appeal, category=desk.category, handling_mode="dispatch", by=desk.dispatcher)
    services.dispatch(appeal=refresh(appeal), lead=desk.lead_dept, by=desk.dispatcher)
    services.sign(assignment=desk.lead(refresh(appeal)), by=desk.lead_handler)
    return refresh(appeal)


# ---------------------------------------------------------------------------------------------
# The appeal page
# ---------------------------------------------------------------------------------------------


def test_the_lead_department_reveals_the_phone_and_the_look_is_recorded(desk, client):
    appeal = desk.reach(S.IN_PROGRESS)
    client.force_login(desk.lead_handler)
    html = client.get(detail_url(appeal)).content.decode()
    assert MASKED in html and PHONE not in html and "查看完整号码" in html

    response = client.post(reveal_url(appeal), headers=HTMX, REMOTE_ADDR="10.0.0.8")
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.startswith('<span id="reporter-phone">') and PHONE in fragment
    [look] = reveals()
    assert look.actor == desk.lead_handler and look.object_id == str(appeal.pk)
    assert look.object_type == "appeals.Appeal" and look.ip == "10.0.0.8" and appeal.number in look.summary

    # without htmx the page comes back with the number, and that look is recorded too
    page = client.post(reveal_url(appeal)).content.decode()
    assert PHONE in page and appeal.title in page
    assert len(reveals()) == 2
    # the reveal is for one look: the page read again is masked
    assert PHONE not in client.get(detail_url(appeal)).content.decode()


def test_the_reveal_is_a_post(desk, client):
    appeal = desk.reach(S.IN_PROGRESS)
    client.force_login(desk.lead_handler)
    assert client.get(reveal_url(appeal)).status_code == 405
    assert reveals() == []


@pytest.mark.parametrize("who", ["co_handler", "supervisor", "leader"])
def test_nobody_outside_the_lead_department_gets_the_number(desk, client, make_user, who):
    appeal = desk.reach(S.IN_PROGRESS)
    user = make_user("leader") if who == "leader" else getattr(desk, who)
    client.force_login(user)
    html = client.get(detail_url(appeal)).content.decode()
    assert MASKED in html and PHONE not in html and "查看完整号码" not in html
    response = client.post(reveal_url(appeal), headers=HTMX)
    assert response.status_code == 403
    body = response.content.decode()
    assert PHONE not in body and "只有主办单位的办理人员可以查看" in body
    assert client.post(reveal_url(appeal)).status_code == 403
    assert reveals() == []


def test_another_department_does_not_even_find_the_appeal(desk, client):
    appeal = desk.reach(S.IN_PROGRESS)
    client.force_login(desk.other_handler)
    assert client.post(reveal_url(appeal), headers=HTMX).status_code == 404
    assert reveals() == []


def test_a_lead_that_has_not_signed_does_not_hold_the_number_yet(desk, client):
    appeal = desk.reach(S.DISPATCHED)
    client.force_login(desk.lead_handler)
    assert "查看完整号码" not in client.get(detail_url(appeal)).content.decode()
    assert client.post(reveal_url(appeal), headers=HTMX).status_code == 403


@pytest.mark.parametrize("confidential", [True, False], ids=["confidential", "report"])
def test_a_confidential_appeal_or_a_report_never_shows_its_reporter_to_the_department(
    desk, client, confidential
):
    appeal = _report(desk, confidential=confidential)
    client.force_login(desk.lead_handler)
    html = client.get(detail_url(appeal)).content.decode()
    assert "张先生" not in html and PHONE not in html and MASKED not in html
    assert "已为诉求人保密" in html and "查看完整号码" not in html
    response = client.post(reveal_url(appeal), headers=HTMX)
    assert response.status_code == 403 and PHONE not in response.content.decode()
    assert "保密" in response.content.decode()
    assert reveals() == []


def test_the_hotline_desk_reveals_for_its_callback_also_of_a_confidential_report(desk, client):
    appeal = _report(desk, confidential=True)
    client.force_login(desk.callback)
    html = client.get(detail_url(appeal)).content.decode()
    assert "张先生" in html and MASKED in html and PHONE not in html
    assert PHONE in client.post(reveal_url(appeal), headers=HTMX).content.decode()
    assert [e.actor for e in reveals()] == [desk.callback]


# ---------------------------------------------------------------------------------------------
# The REST API says what the page says
# ---------------------------------------------------------------------------------------------


def test_the_api_masks_the_phone_for_the_handler_the_page_masks_it_for(desk, client):
    appeal = desk.reach(S.IN_PROGRESS)
    for user in (desk.lead_handler, desk.dispatcher, desk.callback, desk.supervisor):
        seen = api(user).get(f"/api/appeals/{appeal.pk}/").json()
        assert seen["contact_phone"] == MASKED, user
        assert PHONE not in str(seen)
        client.force_login(user)
        assert PHONE not in client.get(detail_url(appeal)).content.decode()
    listed = api(desk.dispatcher).get("/api/appeals/").content.decode()
    assert PHONE not in listed


def test_the_api_reveal_follows_the_same_rule_and_is_recorded(desk):
    appeal = desk.reach(S.IN_PROGRESS)
    url = f"/api/appeals/{appeal.pk}/reveal-phone"
    ok = api(desk.lead_handler).post(url)
    assert ok.status_code == 200 and ok.json() == {"contact_phone": PHONE}
    assert [e.actor for e in reveals()] == [desk.lead_handler]
    refused = api(desk.co_handler).post(url)
    assert refused.status_code == 403 and "主办单位" in refused.json()["detail"]
    assert api(desk.supervisor).post(url).status_code == 403
    assert api(desk.other_handler).post(url).status_code == 404
    assert len(reveals()) == 1


def test_the_api_never_reveals_a_confidential_reporter_to_the_department(desk):
    appeal = _report(desk, confidential=True)
    seen = api(desk.lead_handler).get(f"/api/appeals/{appeal.pk}/").json()
    assert seen["contact_phone"] is None and seen["contact_name"] is None
    refused = api(desk.lead_handler).post(f"/api/appeals/{appeal.pk}/reveal-phone")
    assert refused.status_code == 403 and "保密" in refused.json()["detail"]
    assert reveals() == []


# ---------------------------------------------------------------------------------------------
# Exports and Open311
# ---------------------------------------------------------------------------------------------


def _sheet(client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    wb = load_workbook(io.BytesIO(content), read_only=True)
    return repr([row for ws in wb.worksheets for row in ws.iter_rows(values_only=True)])


def test_exports_mask_phones_and_leave_out_a_reporters_identity_for_the_department(desk, client):
    ordinary = desk.reach(S.IN_PROGRESS)
    report = _report(desk, confidential=False)
    for user, url in (
        (desk.lead_handler, reverse("appeals:export")),
        (desk.lead_handler, reverse("appeals:inbox_export") + "?tab=signed"),
        (desk.dispatcher, reverse("appeals:export")),
    ):
        cells = _sheet(client, user, url)
        assert ordinary.number in cells and MASKED in cells and PHONE not in cells, url
    cells = _sheet(client, desk.lead_handler, reverse("appeals:export"))
    assert report.number in cells and cells.count("张先生") == 1  # the 举报's reporter is left out


def test_open311_publishes_no_contact_and_no_confidential_appeal_or_report(desk, client):
    ordinary = desk.reach(S.IN_PROGRESS)
    report = _report(desk, confidential=False)
    secret = _report(desk, confidential=True)
    body = client.get("/open311/v2/requests.json").content.decode()
    assert ordinary.number in body
    assert report.number not in body and secret.number not in body
    for leak in (PHONE, MASKED, "张先生"):
        assert leak not in body
    assert client.get(f"/open311/v2/requests/{report.number}.json").status_code == 404


# ---------------------------------------------------------------------------------------------
# 催办 and 督办 carry a note
# ---------------------------------------------------------------------------------------------


def test_urging_from_the_page_carries_a_note_to_the_timeline(desk, client):
    appeal = desk.reach(S.IN_PROGRESS)
    lead = desk.lead(appeal)
    client.force_login(desk.supervisor)
    page = client.get(detail_url(appeal)).content.decode()
    assert 'data-action="urge"' in page and 'placeholder="催办说明（选填）"' in page
    response = client.post(
        reverse("appeals:act", args=[appeal.pk, "urge"]),
        {"version": appeal.version, "assignment": lead.pk, "note": "群众第三次来电，请今天内回复"},
        follow=True,
    )
    assert response.status_code == 200
    event = AppealEvent.objects.filter(appeal=appeal, action="urge").get()
    assert event.data["note"] == "群众第三次来电，请今天内回复"
    assert "群众第三次来电，请今天内回复" in client.get(detail_url(appeal)).content.decode()


def test_a_too_long_urging_note_is_refused_naming_the_field(desk, client):
    appeal = desk.reach(S.IN_PROGRESS)
    lead = desk.lead(appeal)
    refused = api(desk.supervisor).post(
        f"/api/assignments/{lead.pk}/urge", {"note": "快" * 501}, format="json"
    )
    assert refused.status_code == 400
    assert "催办说明不能超过500个字" in refused.content.decode() and "note" in refused.json()["errors"]
    assert not AppealEvent.objects.filter(appeal=appeal, action="urge").exists()


def test_the_api_takes_the_urging_and_supervision_notes(desk):
    appeal = desk.reach(S.IN_PROGRESS)
    lead = desk.lead(appeal)
    urged = api(desk.supervisor).post(
        f"/api/assignments/{lead.pk}/urge", {"note": "请说明进展"}, format="json"
    )
    assert urged.status_code == 200 and urged.json()["urged"] is True
    notes = [e["note"] for e in urged.json()["timeline"]]
    assert any("请说明进展" in n for n in notes)
    supervised = api(desk.supervisor).post(
        f"/api/appeals/{appeal.pk}/supervise",
        {
            "department": desk.lead_dept.pk,
            "note": "限期三日办结并反馈",
            "days": "3",
            "version": refresh(appeal).version,
        },
        format="json",
    )
    assert supervised.status_code == 200, supervised.json()
    assert any("限期三日办结并反馈" in e["note"] for e in supervised.json()["timeline"])


def test_a_citizen_account_is_not_the_hotline_desk(desk):
    citizen = UserFactory(is_staff=False, department=None)
    appeal = desk.reach(S.IN_PROGRESS)
    assert not privacy.may_reveal_phone(citizen, appeal)
