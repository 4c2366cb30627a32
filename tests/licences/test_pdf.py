"""The licence PDF: what it shows, the QR a phone reads from it, and the signed data it carries."""

from __future__ import annotations

import io
import time

import pypdfium2 as pdfium
import pytest
import zxingcpp
from pypdf import PdfReader

from zhengwu.core.errors import DomainError, InvalidInput
from zhengwu.licences import services
from zhengwu.licences.models import PrintTemplate
from zhengwu.licences.pdf import INFO_DATA, NOT_OURS, read_pdf, render_pdf
from zhengwu.licences.seal_image import seal_svg


def _text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _qr(data: bytes) -> list[str]:
    image = pdfium.PdfDocument(data)[0].render(scale=150 / 72).to_pil()
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


@pytest.mark.parametrize("template", [PrintTemplate.CERTIFICATE, PrintTemplate.CARD])
def test_pdf_shows_the_licence_and_its_qr_verifies(template, make_licence, licence_type):
    licence_type.template = template
    licence_type.save()
    licence = make_licence()
    data = render_pdf(licence)

    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (width > height) == (template == PrintTemplate.CERTIFICATE)
    text = _text(data)
    for shown in (
        "测试许可证",
        "李四",
        licence.holder_code,
        "证照标识",
        licence.identifier,
        licence.number,
        "示范市测试发证局",
        "示范市中原路1号",
        "2026年6月10日",
        "电子证照专用章",
    ):
        assert shown in text

    assert _qr(data) == [services.qr_text(licence)]
    assert services.verify_qr(_qr(data)[0]).outcome == "valid"


def test_pdf_carries_the_signed_data_and_it_verifies(make_licence):
    licence = make_licence()
    metadata, signature, key_id = read_pdf(render_pdf(licence))
    assert metadata == services.metadata(licence)
    assert signature == bytes(licence.signature)
    assert key_id == licence.seal.key_id
    assert services.verify_document(metadata, signature, key_id).outcome == "valid"


def test_one_byte_changed_in_the_embedded_data_is_never_valid(make_licence):
    licence = make_licence()
    data = render_pdf(licence)
    start = data.index(INFO_DATA.encode() + b" (") + len(INFO_DATA) + 2
    end = data.index(b")", start)
    seen = set()
    # Change one character of the base64 text at places all along it.
    for at in range(start, end, max(1, (end - start) // 25)):
        original = data[at : at + 1]
        swapped = b"B" if original != b"B" else b"C"
        tampered = data[:at] + swapped + data[at + 1 :]
        try:
            outcome = services.verify_document(*read_pdf(tampered)).outcome
        except DomainError as exc:
            outcome = f"refused {exc.status}"
        assert outcome != "valid"
        seen.add(outcome)
    assert "invalid_signature" in seen


def test_rendering_is_invariant_and_fast(make_licence):
    licence = make_licence()
    first = render_pdf(licence)
    assert render_pdf(licence) == first
    times = []
    for _ in range(11):
        started = time.perf_counter()
        render_pdf(licence)
        times.append(time.perf_counter() - started)
    assert min(times) < 0.030  # the best of eleven: what rendering costs, not what a busy machine adds


def test_empty_upload_is_400():
    with pytest.raises(InvalidInput) as caught:
        read_pdf(b"")
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "data",
    [b"hello, not a pdf", b"%PDF-1.4 broken", None],
    ids=["not a pdf", "damaged", "someone else's pdf"],
)
def test_other_files_are_refused_as_not_ours(data):
    if data is None:
        from reportlab.pdfgen.canvas import Canvas

        buffer = io.BytesIO()
        canvas = Canvas(buffer)
        canvas.drawString(100, 100, "hello")
        canvas.save()
        data = buffer.getvalue()
    with pytest.raises(DomainError) as caught:
        read_pdf(data)
    assert caught.value.status == 422
    assert NOT_OURS in caught.value.message


def test_seal_svg_names_the_department():
    svg = seal_svg("示范市测试发证局")
    assert svg.startswith("<svg") and svg.count("<text") == len("示范市测试发证局") + 1
    assert "polygon" in svg


@pytest.mark.parametrize("template", [PrintTemplate.CERTIFICATE, PrintTemplate.CARD])
def test_a_long_surface_continues_on_another_page_and_never_covers_the_qr(
    template, make_licence, licence_type
):
    licence_type.template = template
    licence_type.surface_fields = [{"name": f"f{i}", "label": f"信息项{i}"} for i in range(10)]
    licence_type.save()
    licence = make_licence(
        surface={f"f{i}": "经营范围：" + "食品销售、餐饮服务、" * 8 + f"第{i}项" for i in range(10)}
    )
    data = render_pdf(licence)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 2
    first = reader.pages[0].extract_text().replace("\n", "")
    assert "第0项" in first and "续见下页" in first
    second = reader.pages[1].extract_text().replace("\n", "")
    assert "第9项" in second and "（续，第2页）" in second and licence.identifier in second
    assert _qr(data) == [services.qr_text(licence)]
