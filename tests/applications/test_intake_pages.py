"""The window's 综合受理 screen through the test client: finding or registering the applicant (htmx
and the plain GET fallback), choosing any department's item, the item's form filled from the
applicant, the checklist marks, the three outcomes, the receipt that shows the query code once,
即办 on the spot, and every refusal shown next to its field with status 400 and nothing saved."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from tests.catalog.factories import ItemMaterialFactory, MaterialFactory, ServiceItemFactory
from tests.factories import DepartmentFactory, make_id_number, make_uscc
from zhengwu.accounts.models import Citizen, Enterprise
from zhengwu.applications.intake_views import SESSION_RECEIPT
from zhengwu.applications.models import (
    Application,
    Channel,
    MaterialStatus,
    NoticeKind,
    WindowAuthorisation,
)
from zhengwu.applications.workflow import ApplicationState as S
from zhengwu.casework.numbers import query_code_matches
from zhengwu.catalog.models import VersionStatus

pytestmark = pytest.mark.django_db

INTAKE = "/applications/intake/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def text(response) -> str:
    return response.content.decode()


def login(client, user):
    client.force_login(user)
    return client


def row_fields(pk: int, status: str = "", **values: Any) -> dict[str, Any]:
    data = {f"m{pk}-status": status, f"m{pk}-originals": "", f"m{pk}-copies": ""}
    if status == MaterialStatus.RECEIVED:
        data[f"m{pk}-originals"] = values.pop("originals", 1)
        data[f"m{pk}-copies"] = values.pop("copies", 0)
    data.update({f"m{pk}-{k}": v for k, v in values.items()})
    return data


def submission(office, *, outcome: str = "accept", rows: dict[int, dict] | None = None, **extra: Any) -> dict:
    """A filled-in screen for office.item and the citizen: the first three materials 已收, the
    optional fourth not marked. ``rows`` replaces the fields of the materials it names."""
    data: dict[str, Any] = {
        "code": office.citizen.id_number,
        "item": office.item.pk,
        "idempotency_key": "intake-test-1",
        "contact_name": office.citizen.name,
        "contact_phone": office.citizen.phone,
        "delivery_method": "pickup",
        "form_business_address": "示范市中原路1号",
        "form_scope": "预包装食品销售",
        "outcome": outcome,
        "reason": "",
        "remedy": "",
    }
    for use in office.uses[:3]:
        data.update(row_fields(use.pk, MaterialStatus.RECEIVED))
    data.update(row_fields(office.uses[3].pk))
    for fields in (rows or {}).values():
        data.update(fields)
    data.update(extra)
    return data


def errors_near(html: str, anchor: str) -> str:
    """The HTML from ``anchor`` (an id) to the end of its block, to assert a message sits there."""
    start = html.index(anchor)
    return html[start : start + 3000]


# ---------------------------------------------------------------------------------------------
# Who may open it
# ---------------------------------------------------------------------------------------------


def test_only_the_window_opens_the_screen(office, client):
    assert client.get(INTAKE).status_code == 302  # to the login page
    assert login(client, office.approver).get(INTAKE).status_code == 403
    assert login(client, office.citizen_user).get(INTAKE).status_code == 403
    response = login(client, office.clerk).get(INTAKE)
    assert response.status_code == 200
    assert "<h1>综合受理" in text(response) and reverse("applications:intake") == INTAKE


def test_the_page_carries_no_inline_script_or_style(office, client):
    html = text(
        login(client, office.clerk).get(INTAKE, {"code": office.citizen.id_number, "item": office.item.pk})
    )
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert " style=" not in html and " onclick=" not in html
    assert re.findall(r"<style(?![^>]*nonce=)", html) == []


# ---------------------------------------------------------------------------------------------
# 1. The applicant
# ---------------------------------------------------------------------------------------------


def test_lookup_shows_the_match_masked_over_htmx(office, client):
    login(client, office.clerk)
    response = client.get(
        reverse("applications:intake_applicant"), {"code": office.citizen.id_number}, **HTMX
    )
    html = text(response)
    assert response.status_code == 200
    assert "王小明" in html and office.citizen.masked_id_number in html
    assert office.citizen.id_number not in html.replace(f"code={office.citizen.id_number}", "")
    assert "确认申请人，继续" in html and "<html" not in html


def test_lookup_without_htmx_reloads_the_screen_with_the_code(office, client):
    login(client, office.clerk)
    response = client.get(reverse("applications:intake_applicant"), {"code": office.enterprise.uscc})
    assert response.status_code == 302 and response.url == f"{INTAKE}?code={office.enterprise.uscc}"
    page = client.get(INTAKE, {"code": office.enterprise.uscc})
    html = text(page)
    assert page.status_code == 200 and office.enterprise.name in html
    assert "2. 事项" in html and "法人" in html


def _valid_uscc(code: str) -> bool:
    from django.core.exceptions import ValidationError

    from zhengwu.core.validators import validate_uscc

    try:
        validate_uscc(code)
    except ValidationError:
        return False
    return True


def test_a_bad_check_digit_names_the_field_and_saves_nothing(office, client):
    login(client, office.clerk)
    # A wrong check digit — one that does not make the number a valid 统一社会信用代码 by chance
    # either (an all-digit code can be both; the screen then takes it as an enterprise's).
    bad = next(
        candidate
        for candidate in (office.citizen.id_number[:17] + d for d in "0123456789X")
        if candidate != office.citizen.id_number and not _valid_uscc(candidate)
    )
    response = client.get(INTAKE, {"code": bad})
    assert response.status_code == 400
    assert "公民身份号码校验码错误" in errors_near(text(response), 'id="applicant"')
    partial = client.get(reverse("applications:intake_applicant"), {"code": "91410200MA0000001X"}, **HTMX)
    assert partial.status_code == 400 and "统一社会信用代码" in text(partial)
    assert Citizen.objects.count() == 2 and Enterprise.objects.count() == 1


def test_an_unknown_number_offers_registration_and_registers_a_citizen(office, client):
    login(client, office.clerk)
    number = make_id_number(777)
    html = text(client.get(INTAKE, {"code": number}))
    assert "没有找到" in html and "登记新申请人" in html
    response = client.post(
        reverse("applications:intake_register"),
        {
            "kind": "person",
            "code": number,
            "name": "赵六",
            "phone": "13700001234",
            "address": "示范市解放路8号",
        },
        **HTMX,
    )
    assert response.status_code == 200
    citizen = Citizen.objects.get(id_number=number)
    assert (citizen.name, citizen.phone, citizen.address) == ("赵六", "13700001234", "示范市解放路8号")
    assert "已登记新申请人" in text(response) and citizen.masked_id_number in text(response)


def test_registering_an_enterprise_without_htmx_goes_on_with_the_screen(office, client):
    login(client, office.clerk)
    uscc = make_uscc(4242, prefix="91410200")
    response = client.post(
        reverse("applications:intake_register"),
        {
            "kind": "organisation",
            "code": uscc,
            "name": "示范食品有限公司",
            "legal_representative": "钱七",
            "phone": "0371-12345678",
            "item": office.item.pk,
        },
    )
    assert response.status_code == 302
    assert response.url == f"{INTAKE}?code={uscc}&item={office.item.pk}"
    assert Enterprise.objects.get(uscc=uscc).legal_representative == "钱七"


def test_registration_refusals_sit_next_to_their_fields(office, client):
    login(client, office.clerk)
    bad_uscc = make_uscc(4243, prefix="91410200")[:17] + "0"
    bad_uscc = bad_uscc if bad_uscc != make_uscc(4243, prefix="91410200") else bad_uscc[:17] + "1"
    response = client.post(
        reverse("applications:intake_register"),
        {"kind": "organisation", "code": bad_uscc, "name": "某公司", "legal_representative": "孙八"},
        **HTMX,
    )
    assert response.status_code == 400
    assert "统一社会信用代码校验码错误" in errors_near(text(response), 'name="code"')
    missing_rep = client.post(
        reverse("applications:intake_register"),
        {"kind": "organisation", "code": make_uscc(4244, prefix="91410200"), "name": "某公司"},
    )
    assert missing_rep.status_code == 400
    assert "法人请填写法定代表人" in errors_near(text(missing_rep), 'name="legal_representative"')
    assert Enterprise.objects.count() == 1


# ---------------------------------------------------------------------------------------------
# 2. The item, and its form filled from the applicant
# ---------------------------------------------------------------------------------------------


def test_items_of_every_department_are_found_by_name_or_code(office, client):
    elsewhere = ServiceItemFactory(name="失业保险金申领", department=office.other_department)
    ServiceItemFactory(
        name="失业登记（草稿）", department=office.other_department, status=VersionStatus.DRAFT
    )
    login(client, office.clerk)
    url = reverse("applications:intake_items")
    by_name = text(client.get(url, {"code": office.citizen.id_number, "q": "失业"}, **HTMX))
    assert "失业保险金申领" in by_name and "人力资源和社会保障局" in by_name
    assert "草稿" not in by_name
    by_code = text(
        client.get(url, {"code": office.citizen.id_number, "q": office.item.implementation_code}, **HTMX)
    )
    assert "食品经营许可" in by_code and "失业保险金申领" not in by_code
    assert f"item={elsewhere.pk}" in by_name
    fallback = client.get(url, {"code": office.citizen.id_number, "q": "失业"})
    assert fallback.status_code == 302 and "q=" in fallback.url
    assert "失业保险金申领" in text(client.get(fallback.url))


def test_the_items_form_is_filled_from_the_applicant(office, client):
    item = ServiceItemFactory(
        name="个体工商户设立登记",
        department=office.other_department,
        form_fields=[
            {"name": "applicant_name", "label": "申请人姓名"},
            {"name": "id_number", "label": "公民身份号码"},
            {"name": "phone", "label": "联系电话"},
            {"name": "uscc", "label": "统一社会信用代码"},
            {"name": "business_scope", "label": "经营范围"},
        ],
    )
    ItemMaterialFactory(item=item, material=MaterialFactory(name="身份证"), critical=True)
    html = text(login(client, office.clerk).get(INTAKE, {"code": office.citizen.id_number, "item": item.pk}))
    assert 'name="form_applicant_name" value="王小明"' in html
    assert f'name="form_id_number" value="{office.citizen.id_number}"' in html
    assert 'name="form_phone" value="13900001111"' in html
    assert re.search(r'name="form_uscc"(?![^>]*value=)', html)  # a citizen has no USCC
    assert re.search(r'name="form_business_scope"(?![^>]*value=)', html)
    assert 'name="contact_name" value="王小明"' in html


def test_an_enterprise_fills_its_own_fields(office, client):
    item = ServiceItemFactory(
        department=office.department,
        form_fields=[
            {"name": "enterprise_name", "label": "企业名称"},
            {"name": "uscc", "label": "统一社会信用代码"},
            {"name": "legal_representative", "label": "法定代表人"},
        ],
    )
    ItemMaterialFactory(item=item)
    e = office.enterprise
    html = text(login(client, office.clerk).get(INTAKE, {"code": e.uscc, "item": item.pk}))
    assert f'name="form_enterprise_name" value="{e.name}"' in html
    assert f'name="form_uscc" value="{e.uscc}"' in html
    assert f'name="form_legal_representative" value="{e.legal_representative}"' in html


def test_the_checklist_offers_only_the_marks_each_material_allows(office, client):
    html = text(
        login(client, office.clerk).get(INTAKE, {"code": office.citizen.id_number, "item": office.item.pk})
    )
    critical, required, _, optional = office.uses
    block = errors_near(html, f'id="material-{critical.pk}"')[:1500]
    assert "关键材料" in block and f'name="m{critical.pk}-status" value="deferred"' not in block
    assert f'name="m{critical.pk}-status" value="exempt"' in block
    assert f'name="m{required.pk}-status" value="deferred"' in html
    assert f'name="m{required.pk}-status" value="not_applicable"' not in html
    assert f'name="m{optional.pk}-status" value="not_applicable"' in html
    assert "窗口核实免提交" in html  # no e-licence of the applicant covers these materials
    assert 'name="idempotency_key"' in html


# ---------------------------------------------------------------------------------------------
# 3–4. The outcomes
# ---------------------------------------------------------------------------------------------


def test_accept_shows_the_receipt_with_the_query_code_once(office, client):
    login(client, office.clerk)
    response = client.post(INTAKE, submission(office))
    app = Application.objects.get()
    assert response.status_code == 302 and response.url == f"{INTAKE}done/{app.number}/"
    assert app.state == S.ACCEPTED and app.channel == Channel.WINDOW and app.department == office.department
    assert app.form_data == {"business_address": "示范市中原路1号", "scope": "预包装食品销售"}
    statuses = dict(app.materials.values_list("item_material_id", "status"))
    assert statuses[office.uses[0].pk] == MaterialStatus.RECEIVED
    assert statuses[office.uses[3].pk] == MaterialStatus.NOT_APPLICABLE
    code = client.session[SESSION_RECEIPT]["code"]
    receipt = client.get(response.url)
    html = text(receipt)
    assert receipt.status_code == 200 and app.number in html
    assert f'id="receipt-code">{code}<' in html and query_code_matches(app.query_code_hash, code)
    assert timezone_text(app.due_at) in errors_near(html, 'id="receipt-due"')
    assert "受理通知书" in html
    again = text(client.get(response.url))
    assert code not in again and "不再显示" in again
    assert SESSION_RECEIPT not in client.session


def timezone_text(moment) -> str:
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%Y年%-m月%-d日")


def test_deferred_and_exempt_materials(office, client):
    login(client, office.clerk)
    deferred, exempt = office.uses[2], office.uses[1]
    data = submission(
        office,
        rows={
            deferred.pk: row_fields(
                deferred.pk, "deferred", commitment="本人承诺三个工作日内补交平面图", defer_days=3
            ),
            exempt.pk: row_fields(exempt.pk, "exempt"),
        },
    )
    assert client.post(INTAKE, data).status_code == 302
    app = Application.objects.get()
    assert app.state == S.ACCEPTED
    d = app.materials.get(item_material=deferred)
    assert d.status == MaterialStatus.DEFERRED and d.commitment == "本人承诺三个工作日内补交平面图"
    assert d.deferred_until is not None
    e = app.materials.get(item_material=exempt)
    assert e.status == MaterialStatus.EXEMPT and e.note == "窗口核实免提交" and e.licence is None


def test_supplement_tells_everything_at_once(office, client):
    login(client, office.clerk)
    form, plan = office.uses[1], office.uses[2]
    data = submission(
        office,
        outcome="supplement",
        rows={
            form.pk: row_fields(form.pk, "", supplement="on", reason="申请书缺少签字"),
            plan.pk: row_fields(plan.pk, "", supplement="on", reason="平面图不清晰"),
        },
    )
    response = client.post(INTAKE, data)
    assert response.status_code == 302
    app = Application.objects.get()
    assert app.state == S.SUPPLEMENT
    items = app.supplement_requests.get().items
    assert [(i["name"], i["reason"]) for i in items] == [
        ("食品经营许可申请书", "申请书缺少签字"),
        ("经营场所平面图", "平面图不清晰"),
    ]
    assert app.materials.get(item_material=office.uses[0]).status == MaterialStatus.RECEIVED
    assert "补正材料通知书" in text(client.get(response.url))


def test_refuse_with_reason_and_remedy(office, client):
    login(client, office.clerk)
    data = submission(
        office, outcome="refuse", reason="申请事项不属于本机关职权范围", remedy="可向区市场监管局申请"
    )
    assert client.post(INTAKE, data).status_code == 302
    app = Application.objects.get()
    assert app.state == S.NOT_ACCEPTED
    notice = app.notices.get(kind=NoticeKind.REFUSAL)
    assert (
        notice.data["reason"] == "申请事项不属于本机关职权范围"
        and notice.data["remedy"] == "可向区市场监管局申请"
    )


def test_post_delivery_is_recorded(office, client):
    login(client, office.clerk)
    data = submission(office, delivery_method="post", postal_address="示范市中原路2号")
    assert client.post(INTAKE, data).status_code == 302
    app = Application.objects.get()
    assert (app.delivery_method, app.postal_address, app.postal_recipient) == (
        "post",
        "示范市中原路2号",
        "王小明",
    )


def test_a_double_click_makes_one_application(office, client):
    login(client, office.clerk)
    data = submission(office)
    first = client.post(INTAKE, data)
    second = client.post(INTAKE, data)
    assert first.status_code == second.status_code == 302
    assert first.url == second.url
    assert Application.objects.count() == 1
    code = client.session[SESSION_RECEIPT]["code"]  # the retry kept the first code for the receipt
    assert code in text(client.get(first.url))


# ---------------------------------------------------------------------------------------------
# 6. Refusals: next to the field, 400, nothing saved
# ---------------------------------------------------------------------------------------------


def refused(client, data, anchor: str, message: str) -> None:
    response = client.post(INTAKE, data)
    assert response.status_code == 400, response.status_code
    assert message in errors_near(text(response), anchor)
    assert Application.objects.count() == 0


def test_a_critical_material_cannot_be_deferred(office, client):
    login(client, office.clerk)
    critical = office.uses[0]
    data = submission(
        office, rows={critical.pk: row_fields(critical.pk, "deferred", commitment="承诺补交", defer_days=3)}
    )
    refused(client, data, f'id="material-{critical.pk}"', "是关键材料，不能容缺受理")


def test_a_missing_material_needs_a_mark(office, client):
    login(client, office.clerk)
    plan = office.uses[2]
    data = submission(office, rows={plan.pk: row_fields(plan.pk, "")})
    refused(client, data, f'id="material-{plan.pk}"', "“经营场所平面图”未收取")


def test_a_deferred_material_needs_the_commitment(office, client):
    login(client, office.clerk)
    plan = office.uses[2]
    data = submission(office, rows={plan.pk: row_fields(plan.pk, "deferred", defer_days=3)})
    refused(client, data, f'id="material-{plan.pk}"', "请填写容缺承诺")


def test_a_required_material_is_never_not_applicable(office, client):
    login(client, office.clerk)
    form = office.uses[1]
    data = submission(office, rows={form.pk: row_fields(form.pk, "not_applicable")})
    refused(client, data, f'id="material-{form.pk}"', "是必要材料，不能标为不适用")


def test_supplement_needs_something_listed_each_with_a_reason(office, client):
    login(client, office.clerk)
    refused(
        client,
        submission(office, outcome="supplement"),
        'id="step-outcome"',
        "请在材料清单中勾选需要补正的材料",
    )
    plan = office.uses[2]
    data = submission(office, outcome="supplement", rows={plan.pk: row_fields(plan.pk, "", supplement="on")})
    refused(client, data, f'id="material-{plan.pk}"', "请填写“经营场所平面图”的补正原因")


def test_refusal_needs_a_reason_and_post_an_address(office, client):
    login(client, office.clerk)
    refused(client, submission(office, outcome="refuse"), 'id="step-outcome"', "请填写不予受理理由")
    refused(client, submission(office, delivery_method="post"), 'id="delivery"', "邮寄送达请填写邮寄地址")


def test_a_bad_applicant_number_on_submit_saves_nothing(office, client):
    login(client, office.clerk)
    bad = office.citizen.id_number[:17] + ("0" if office.citizen.id_number[17] != "0" else "1")
    refused(client, submission(office, code=bad), 'id="applicant"', "公民身份号码校验码错误")


def test_a_refused_form_keeps_what_was_typed_and_its_key(office, client):
    login(client, office.clerk)
    plan = office.uses[2]
    data = submission(office, rows={plan.pk: row_fields(plan.pk, "")}, contact_phone="13911112222")
    html = text(client.post(INTAKE, data))
    assert 'value="13911112222"' in html and 'value="intake-test-1"' in html
    assert 'name="form_scope" value="预包装食品销售"' in html
    fixed = {**data, **row_fields(plan.pk, "received")}
    assert client.post(INTAKE, fixed).status_code == 302
    assert Application.objects.get().contact_phone == "13911112222"


# ---------------------------------------------------------------------------------------------
# 5. 即办件 at the window (首席代表授权)
# ---------------------------------------------------------------------------------------------


def immediate_submission(office) -> dict:
    use = office.immediate_item.item_materials.get()
    return {
        **submission(office),
        "item": office.immediate_item.pk,
        "idempotency_key": "intake-immediate-1",
        **row_fields(use.pk, "received"),
    }


def test_an_authorised_clerk_completes_an_immediate_item_on_the_spot(office, client):
    WindowAuthorisation.objects.create(
        department=office.department, clerk=office.clerk, valid_from="2026-01-01"
    )
    login(client, office.clerk)
    response = client.post(INTAKE, immediate_submission(office))
    assert response.status_code == 302
    app = Application.objects.get()
    html = text(client.get(response.url))
    assert "当场办结（即办）" in html and 'id="decide-form"' in html
    decide = reverse("applications:intake_decide", args=[app.number])
    missing = client.post(decide, {"version": app.version, "approved": "1", "opinion": ""})
    assert missing.status_code == 400 and "请填写决定意见" in errors_near(text(missing), 'id="decide-form"')
    done = client.post(
        decide, {"version": app.version, "approved": "1", "opinion": "符合条件", "result_number": "变2026-8"}
    )
    assert done.status_code == 302
    app.refresh_from_db()
    assert app.state == S.COMPLETED and app.on_the_spot and app.result_number == "变2026-8"
    assert "准予" in text(client.get(done.url))


def test_without_authorisation_no_on_the_spot_decision(office, client):
    login(client, office.clerk)
    response = client.post(INTAKE, immediate_submission(office))
    app = Application.objects.get()
    assert 'id="decide-form"' not in text(client.get(response.url))
    refused_decision = client.post(
        reverse("applications:intake_decide", args=[app.number]),
        {"version": app.version, "approved": "1", "opinion": "符合条件"},
    )
    assert refused_decision.status_code == 403 and "首席代表授权" in text(refused_decision)
    app.refresh_from_db()
    assert app.state == S.ACCEPTED


def test_a_promised_item_is_not_offered_on_the_spot_decision(office, client):
    WindowAuthorisation.objects.create(
        department=office.department, clerk=office.clerk, valid_from="2026-01-01"
    )
    login(client, office.clerk)
    response = client.post(INTAKE, submission(office))
    assert 'id="decide-form"' not in text(client.get(response.url))


def test_the_receipt_is_404_for_an_unknown_number(office, client):
    DepartmentFactory()
    response = login(client, office.clerk).get(
        reverse("applications:intake_done", args=["BJ-00000000-000000"])
    )
    assert response.status_code == 404
