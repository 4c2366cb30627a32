"""The notices as PDFs: each kind issued by the real services, drawn, and read back with pypdf —
the title, 文书编号, addressee, calendar dates, 补正 items, remedy and the QR code as printed."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pypdf
import pytest
import segno
from django.test import override_settings
from django.utils import timezone
from pypdf.generic import ContentStream

from tests.catalog.factories import ItemMaterialFactory, MaterialFactory, ServiceItemFactory
from zhengwu.applications import pdf, services
from zhengwu.applications.models import NoticeKind

from .conftest import online, walk_in
from .conftest import pdf as upload

pytestmark = pytest.mark.django_db


def local_day(moment) -> str:
    return timezone.localtime(moment).strftime("%Y年%m月%d日")


def read(data: bytes) -> tuple[pypdf.PdfReader, str]:
    """The PDF and its text with all white space removed: Chinese lines break anywhere, so a
    sentence may be split across lines."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "".join(page.extract_text() for page in reader.pages)
    return reader, "".join(text.split())


def flat(text: str) -> str:
    return "".join(text.split())


def drawn_qr(reader: pypdf.PdfReader) -> list[list[bool]]:
    """The QR symbol as drawn on the first page: the form XObject's filled rectangles, in module
    units, turned back into rows of dark and light modules."""
    xobjects = reader.pages[0]["/Resources"]["/XObject"]
    forms = [x.get_object() for x in xobjects.values() if x.get_object()["/Subtype"] == "/Form"]
    assert len(forms) == 1
    form = forms[0]
    size = int(form["/BBox"][2])
    rows = [[False] * size for _ in range(size)]
    for operands, operator in ContentStream(form, reader).operations:
        if operator == b"re":
            x, y, w, h = (int(v) for v in operands)
            assert h == 1
            for column in range(x, x + w):
                rows[size - 1 - y][column] = True
    return rows


def test_acceptance_says_when_it_will_be_done(office):
    app = walk_in(office).application
    notice = app.notices.get(kind=NoticeKind.ACCEPTANCE)
    reader, text = read(pdf.render(notice))
    assert len(reader.pages) == 1
    due = local_day(app.due_at)
    assert due.startswith(str(timezone.localtime(app.due_at).year))
    for expected in (
        "受理通知书",
        f"文书编号：{notice.number}",
        "王小明：",
        f"经审查，您（单位）于{local_day(app.submitted_at)}提交的《食品经营许可》申请材料齐全、符合法定形式",
        "决定予以受理",
        f"承诺办理时限为10个工作日，承诺于{due}前办结",
        f"办件编号：{app.number}",
        f"市场监督管理局{local_day(notice.issued_at)}",  # the sign-off, bottom right
    ):
        assert expected in text, expected


def test_a_notice_prints_what_was_said_when_it_was_issued(office):
    app = walk_in(office).application
    notice = app.notices.get(kind=NoticeKind.ACCEPTANCE)
    office.item.name = "食品经营许可（新）"
    office.item.save(update_fields=["name"])
    office.department.name = "示范市市场监督管理局"
    office.department.save(update_fields=["name"])
    app.applicant_name = "王大明"
    app.save(update_fields=["applicant_name"])
    notice.refresh_from_db()
    _, text = read(pdf.render(notice))
    assert "《食品经营许可》" in text and "新）" not in text
    assert "王小明：" in text and "王大明" not in text
    assert "示范市" not in text


def test_refusal_gives_the_reason_and_the_remedy(office):
    app = online(office).application
    services.refuse(
        application=app, by=office.clerk, reason="申请事项不属于本机关职权范围，请向区级市场监督管理部门申请"
    )
    notice = app.notices.get(kind=NoticeKind.REFUSAL)
    _, text = read(pdf.render(notice))
    for expected in (
        "不予受理通知书",
        f"文书编号：{notice.number}",
        "王小明：",
        "不予受理，理由如下：申请事项不属于本机关职权范围，请向区级市场监督管理部门申请",
        "决定不予受理",
        "如不服本决定，可以自收到本通知书之日起六十日内依法申请行政复议，或者在六个月内依法提起行政诉讼。",
    ):
        assert expected in text, expected


def test_refusal_prints_the_remedy_it_was_given(office):
    app = walk_in(
        office, outcome="refuse", reason="材料虚假", remedy="可以向市人民政府申请行政复议。"
    ).application
    _, text = read(pdf.render(app.notices.get(kind=NoticeKind.REFUSAL)))
    assert "理由如下：材料虚假" in text
    assert "可以向市人民政府申请行政复议。" in text and "六十日内" not in text


def test_supplement_lists_every_material_with_its_reason(office):
    app = online(office).application
    materials = list(app.materials.order_by("order"))
    services.request_supplement(
        application=app,
        by=office.clerk,
        items=[
            {"material_id": materials[1].pk, "reason": "申请书未签字"},
            {"material_id": materials[2].pk, "reason": "平面图不清晰"},
        ],
    )
    notice = app.notices.get(kind=NoticeKind.SUPPLEMENT)
    _, text = read(pdf.render(notice))
    for expected in (
        "补正材料通知书（一次性告知书）",
        f"文书编号：{notice.number}",
        "王小明：",
        "现一次性告知您需要补正的全部内容如下：1.食品经营许可申请书：申请书未签字2.经营场所平面图：平面图不清晰",
        "请您按照上述要求一次性补正全部2项材料",
        "办理时限暂停计算",
    ):
        assert expected in text, expected
    assert "次补正）" not in text


def test_second_supplement_says_which_round(office):
    app = online(office).application
    materials = list(app.materials.order_by("order"))
    services.request_supplement(
        application=app, by=office.clerk, items=[{"material_id": materials[1].pk, "reason": "未签字"}]
    )
    services.supply(application=app, by=office.citizen_user, uploads={materials[1].pk: [upload()]})
    services.request_supplement(
        application=app, by=office.clerk, items=[{"material_id": materials[2].pk, "reason": "比例不对"}]
    )
    second = app.notices.filter(kind=NoticeKind.SUPPLEMENT).order_by("issued_at", "id").last()
    _, text = read(pdf.render(second))
    assert "（第2次补正）" in text and "1.经营场所平面图：比例不对" in text
    assert "未签字" not in text


def test_twelve_long_supplement_items_all_printed(office):
    item = ServiceItemFactory(
        name="建设工程消防设计审查",
        department=office.department,
        promised_limit_days=Decimal(15),
        legal_limit_days=Decimal(20),
    )
    uses = [
        ItemMaterialFactory(
            item=item,
            material=MaterialFactory(name=f"第{n}项建设工程消防设计文件及其附属图纸和说明"),
            order=n,
        )
        for n in range(1, 13)
    ]
    reasons = {
        use.pk: f"第{n}项材料："
        + "图纸比例与设计说明不一致，防火分区面积计算有误，疏散距离未标注，" * 4
        + f"请修改（{n}）"
        for n, use in enumerate(uses, 1)
    }
    app = services.window_intake(
        item=item,
        by=office.clerk,
        applicant=office.citizen,
        contact_name="王小明",
        contact_phone="13900001111",
        form_data={},
        materials=[],
        outcome="supplement",
        supplement=[{"item_material_id": pk, "reason": reason} for pk, reason in reasons.items()],
    ).application
    notice = app.notices.get(kind=NoticeKind.SUPPLEMENT)
    reader, text = read(pdf.render(notice))
    assert len(reader.pages) > 1
    for n, (use, reason) in enumerate(zip(uses, reasons.values(), strict=True), 1):
        assert f"{n}.{flat(use.material.name)}：{flat(reason)}" in text, n
    assert "一次性补正全部12项材料" in text
    assert f"市场监督管理局{local_day(notice.issued_at)}" in text
    # every page carries the QR and the numbers
    for page in reader.pages:
        assert f"办件编号：{app.number}" in flat(page.extract_text())
    assert f"补正材料通知书（一次性告知书）文书编号：{notice.number}" in flat(reader.pages[1].extract_text())


def decided(office, *, approved: bool, opinion: str):
    app = walk_in(office).application
    services.review(application=app, by=office.approver)
    services.decide(application=app, by=office.approver, approved=approved, opinion=opinion)
    app.refresh_from_db()
    return app


def test_approval_carries_the_opinion(office):
    app = decided(office, approved=True, opinion="经营场所、设备设施符合食品安全要求，准予许可")
    notice = app.notices.get(kind=NoticeKind.APPROVAL)
    _, text = read(pdf.render(notice))
    for expected in (
        "准予许可决定书",
        f"文书编号：{notice.number}",
        "王小明：",
        f"您（单位）于{local_day(app.submitted_at)}提交的《食品经营许可》申请，本机关于{local_day(app.accepted_at)}受理",
        "经审查，意见如下：经营场所、设备设施符合食品安全要求，准予许可",
        "决定准予行政许可",
    ):
        assert expected in text, expected
    assert "不予" not in text


def test_denial_carries_the_reason_and_the_remedy(office):
    app = decided(office, approved=False, opinion="经现场核查，经营场所与申请材料不符")
    notice = app.notices.get(kind=NoticeKind.DENIAL)
    _, text = read(pdf.render(notice))
    for expected in (
        "不予许可决定书",
        f"文书编号：{notice.number}",
        "经审查，意见如下：经现场核查，经营场所与申请材料不符",
        "决定不予行政许可",
        flat(pdf.DEFAULT_REMEDY),
    ):
        assert expected in text, expected


def test_service_receipt_at_the_window(office):
    app = decided(office, approved=True, opinion="准予许可")
    services.complete(application=app, by=office.approver, result_number="市监食许〔2026〕88号")
    services.certify(application=app, by=office.approver, licence_number="JY14101000000001")
    services.hand_over(
        application=app,
        by=office.delivery,
        recipient_name="王小明",
        recipient_id_number=office.citizen.id_number,
    )
    notice = app.notices.get(kind=NoticeKind.SERVICE)
    decision = app.notices.get(kind=NoticeKind.APPROVAL)
    _, text = read(pdf.render(notice))
    for expected in (
        "送达回证",
        f"文书编号：{notice.number}",
        f"送达文书《食品经营许可》准予许可决定书（文书编号：{decision.number}）",
        "受送达人王小明",
        "送达方式窗口领取",
        f"送达时间{local_day(notice.issued_at)}",
        "送达人出件丁",
        "签收受送达人签名：",
    ):
        assert expected in text, expected


def test_service_receipt_by_post(office):
    posted = walk_in(office, delivery_method="post", postal_address="示范市中原路2号").application
    services.review(application=posted, by=office.approver)
    services.decide(application=posted, by=office.approver, approved=False, opinion="场所不符合要求")
    services.complete(application=posted, by=office.approver)
    services.post(application=posted, by=office.delivery, tracking_number="EA123456785CN")
    services.confirm_receipt(application=posted, by=office.delivery)
    notice = posted.notices.get(kind=NoticeKind.SERVICE)
    _, text = read(pdf.render(notice))
    assert "送达方式邮寄送达（邮件号：EA123456785CN）" in text
    assert "不予许可决定书（文书编号：" in text


def test_progress_url_and_the_qr_code_printed(office):
    app = walk_in(office).application
    notice = app.notices.get(kind=NoticeKind.ACCEPTANCE)
    with override_settings(SITE_URL=""):
        assert pdf.progress_url(app.number) == f"/apply/track/{app.number}/"
    with override_settings(SITE_URL="https://zwfw.example.gov.cn/"):
        url = f"https://zwfw.example.gov.cn/apply/track/{app.number}/"
        assert pdf.progress_url(app.number) == url
        qr = pdf.qr_for(notice)
        assert qr.matrix == segno.make_qr(url, error="m").matrix
        assert qr.matrix != segno.make_qr(f"/apply/track/{app.number}/", error="m").matrix
        reader, _ = read(pdf.render(notice))
    expected = [list(map(bool, row)) for row in qr.matrix_iter(scale=1, border=0)]
    assert drawn_qr(reader) == expected


def test_response_is_a_named_pdf(office):
    notice = walk_in(office).application.notices.get(kind=NoticeKind.ACCEPTANCE)
    response = pdf.response(notice)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{notice.number}.pdf"'
    assert "private" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF-") and "受理通知书" in read(response.content)[1]
    download = pdf.response(notice, as_attachment=True)
    assert download["Content-Disposition"] == f'attachment; filename="{notice.number}.pdf"'


def test_same_notice_same_bytes(office, time_machine):
    notice = walk_in(office).application.notices.get(kind=NoticeKind.ACCEPTANCE)
    first = pdf.render(notice)
    time_machine.move_to(timezone.now() + dt.timedelta(days=400))  # printed again a year later
    assert pdf.render(notice) == first
