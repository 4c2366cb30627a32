"""An e-licence's life in Chromium, each person in their own browser:

the department issues the licence at 制证 → it appears in the holder's 我的证照 → the holder
downloads its PDF, whose QR code is read from the rendered pixels (as a phone would) → the public
verification page opens from that QR and says 有效 → the department revokes the licence → the same
QR now says 已吊销 → the holder applies for a second item that needs this licence: the material
shows as 免提交, nothing is uploaded for it, and the use appears in the holder's 用证记录."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlsplit

import pypdfium2 as pdfium
import pytest
import zxingcpp

from zhengwu.applications import services
from zhengwu.applications.models import Application, MaterialStatus
from zhengwu.applications.workflow import ApplicationState as S
from zhengwu.catalog.models import OnlineDepth
from zhengwu.licences import services as licence_services
from zhengwu.licences.models import Licence, LicenceState, UseKind

from ..catalog.factories import ItemMaterialFactory, MaterialFactory, ServiceItemFactory
from ..factories import CitizenFactory, DepartmentFactory, UserFactory
from .test_application_journeys import licensing_item, media, people, small_pdf, upload  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def qr_in(pdf: bytes) -> str:
    """The text of the QR code on the PDF's first page, rendered at 150 dpi and decoded."""
    page = pdfium.PdfDocument(pdf)[0]
    found = zxingcpp.read_barcodes(page.render(scale=150 / 72).to_numpy())
    assert len(found) == 1, "the licence PDF carries exactly one QR code"
    return found[0].text


def test_licence_issued_verified_revoked_and_used_instead_of_paper(people, console, screenshot, media):  # noqa: F811
    department = DepartmentFactory(name="市场监督管理局")
    hall = DepartmentFactory(name="政务服务中心")
    item, uses = licensing_item(department)
    licence_type = item.result_licence_type
    licence_type.surface_fields = [
        {"name": "business_address", "label": "经营场所"},
        {"name": "scope", "label": "经营项目"},
    ]
    licence_type.save()
    renewal = ServiceItemFactory(
        name="食品经营许可延续",
        department=department,
        promised_limit_days=Decimal(5),
        legal_limit_days=Decimal(20),
        online_depth=OnlineDepth.FULLY_ONLINE,
        result_licence_type=None,
        form_fields=[{"name": "scope", "label": "经营项目"}],
    )
    held = ItemMaterialFactory(
        item=renewal,
        material=MaterialFactory(name="食品经营许可证", licence_type=licence_type),
        critical=True,
        order=1,
    )
    form = ItemMaterialFactory(item=renewal, material=MaterialFactory(name="延续申请书"), order=2)
    citizen_user = UserFactory(username="wangxm", name="王小明", is_staff=False, department=None)
    citizen = CitizenFactory(name="王小明", user=citizen_user, phone="13900001111")
    clerk = UserFactory(roles=["clerk"], department=hall, name="窗口甲")
    approver = UserFactory(roles=["approver"], department=department, name="审批乙")

    # The application is granted and 办结 (those steps have journeys of their own).
    app = services.apply_online(
        item=item,
        by=citizen_user,
        applicant=citizen,
        contact_name="王小明",
        contact_phone="13900001111",
        form_data={"business_address": "示范市中原路1号", "scope": "预包装食品销售"},
        uploads={u.pk: [upload_file(u.material.name)] for u in uses},
    ).application
    services.accept(application=app, by=clerk)
    services.review(application=app, by=approver)
    services.decide(application=app, by=approver, approved=True, opinion="准予许可")
    services.complete(application=app, by=approver)

    # 1. 制证: the department issues the e-licence from the decision and the applicant's data.
    desk = people()
    desk.staff_login(approver)
    desk.go(f"/applications/{app.number}/")
    desk.act("certify")
    desk.state(S.CERTIFIED)
    desk.message("已制证")
    licence = Licence.objects.get(application=app)
    assert licence.surface == {"经营场所": "示范市中原路1号", "经营项目": "预包装食品销售"}

    # 2. It is in the holder's 我的证照; the PDF's QR code is read from the rendered page.
    me = people()
    me.go("/accounts/login/")
    me.login_here(citizen_user.username)
    me.go("/my/licences/")
    me.page.click("#my-licences a:has-text('食品经营许可证')")
    me.page.wait_for_selector("#download-pdf")
    assert licence.identifier in me.page.inner_text("main")
    screenshot(me.page, "licences-journey-01-wallet")
    pdf = me.page.request.get(me.base + f"/my/licences/{licence.pk}/pdf/")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    scanned = qr_in(pdf.body())
    parts = urlsplit(scanned)
    assert parts.path == "/licences/verify/"

    # 3. Anyone who scans it sees 有效, with what was checked.
    verifier = people()
    verifier.go(f"{parts.path}?{parts.query}")
    verifier.page.wait_for_selector(".verdict-label")
    assert verifier.text(".verdict-label") == "有效"
    assert "SM2签名" in verifier.text(".checks")
    screenshot(verifier.page, "licences-journey-02-valid")

    # 4. The department revokes it (two steps: the reason, then the confirmation).
    desk.go(f"/licences/staff/{licence.pk}/")
    desk.page.click("#licence-actions a:has-text('吊销')")
    desk.page.fill("textarea[name=reason], input[name=reason]", "以欺骗手段取得许可")
    desk.page.click("main form button:has-text('下一步')")
    desk.page.wait_for_selector("#confirm-end")
    desk.page.click("main form button:has-text('确认吊销')")
    desk.page.wait_for_selector("main")
    licence.refresh_from_db()
    assert licence.state == LicenceState.REVOKED

    # 5. The same QR now says 已吊销, with the reason.
    verifier.go(f"{parts.path}?{parts.query}")
    verifier.page.wait_for_selector(".verdict-label")
    assert verifier.text(".verdict-label") == "已吊销"
    assert "以欺骗手段取得许可" in verifier.text(".checks")
    screenshot(verifier.page, "licences-journey-03-revoked")

    # 6. A second licence of the type, valid: the holder applies for the item that needs it.
    current = licence_services.issue(
        by=approver,
        licence_type=licence_type,
        issuer=department,
        holder=licence_services.Holder.of(citizen),
        surface={"business_address": "示范市中原路1号", "scope": "预包装食品销售"},
        issued_on=licence.issued_on,
    )
    me.go(f"/apply/{renewal.pk}/")
    me.page.wait_for_selector("h1:has-text('在线办理：食品经营许可延续')")
    row = me.text(f"#row-material_{held.pk}")
    assert "免提交" in row and current.number in row
    me.page.fill("#id_form_scope", "预包装食品销售")
    me.page.set_input_files(f"#id_material_{form.pk}", upload("延续申请书.pdf"))
    screenshot(me.page, "licences-journey-04-exempt")
    me.page.click("#apply-form button[type=submit]")
    me.page.wait_for_selector("#receipt-code")
    second = Application.objects.exclude(pk=app.pk).get()
    material = second.materials.get(item_material=held)
    assert (material.status, material.licence) == (MaterialStatus.EXEMPT, current)

    # 7. The holder sees that use in the 用证记录.
    me.go("/my/licences/uses/")
    uses_text = me.text("main")
    assert second.number in uses_text and "办事免提交" in uses_text
    assert current.uses.filter(kind=UseKind.INTAKE, application=second).count() == 1
    screenshot(me.page, "licences-journey-05-uses")


def upload_file(name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(f"{name}.pdf", small_pdf(), content_type="application/pdf")
