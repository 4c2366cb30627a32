"""The licence as a PDF (电子证照文件), and reading back the signed data such a file carries.

What is printed: the 证照名称, the holder and the 照面 (surface) fields, the 证照编号, the issuer and
the date under the department's seal image, the validity, the 证照标识 in full and a QR code of
``services.qr_text`` (a phone opens the public verification page; an offline verifier checks the
signature it carries). Two layouts, by ``licence.licence_type.template``: 'certificate' on
landscape A4, 'card' on portrait A4 with the licence in a card-shaped panel.

What is carried for verification by upload (docs/domain/licences.md, 签名与二维码): three extra
entries in the PDF's document information dictionary, all ASCII —

- ``/ZWZZData``: standard base64 of ``services.canonical(services.metadata(licence))``, the exact
  bytes whose SM3 digest the seal signed (through the statement ``ZWZZ1|标识|digest``);
- ``/ZWZZSignature``: standard base64 of the SM2 signature (DER);
- ``/ZWZZKeyId``: the seal's 印章编码, whose public key is published at /licences/keys/.

The info dictionary is not compressed, so what it holds can be read with any PDF library (or seen
in the file's bytes). Rendering is invariant: the same licence gives the same bytes.
"""

from __future__ import annotations

import base64
import binascii
import json
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

import segno
from pypdf import PdfReader
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfdoc import PDFDictionary, PDFInfo, PDFString
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, Table, TableStyle

from zhengwu.applications.pdf import _font
from zhengwu.core.errors import DomainError, InvalidInput

from . import services
from .models import HolderCodeType, Licence, PrintTemplate
from .seal_image import draw_seal

INFO_DATA = "/ZWZZData"
INFO_SIGNATURE = "/ZWZZSignature"
INFO_KEY_ID = "/ZWZZKeyId"
NOT_OURS = "不是本平台出具的电子证照文件"
QR_SIZE = 40 * mm  # big enough to decode from a 150 dpi rendering (about 0.6 mm a module)
SEAL_SIZE = 42 * mm
MASK = 2
MIN_FIELD_SIZE = 9  # below this the surface continues on another page rather than shrinking
FRAME_BLUE = colors.Color(0.12, 0.29, 0.55)


class NotOurFile(DomainError):
    """An upload that is not a licence PDF this platform issued (not a PDF, or without our data)."""

    status = 422


class _LicenceInfo(PDFInfo):
    """The document information dictionary with the licence's signed data added."""

    extra: dict[str, str]

    def format(self, document: Any) -> bytes:
        D: dict[str, Any] = {}
        D["Title"] = PDFString(self.title)
        D["Author"] = PDFString(self.author)
        D["Subject"] = PDFString(self.subject)
        D["Creator"] = PDFString(self.creator)
        D["Producer"] = PDFString(self.producer)
        for key, value in self.extra.items():
            D[key.lstrip("/")] = PDFString(value)
        return PDFDictionary(D).format(document)


def embedded_data(licence: Licence) -> dict[str, str]:
    """The info entries that carry the signed data (see the module's docstring)."""
    return {
        INFO_DATA: base64.b64encode(services.canonical(services.metadata(licence))).decode("ascii"),
        INFO_SIGNATURE: base64.b64encode(bytes(licence.signature)).decode("ascii"),
        INFO_KEY_ID: licence.seal.key_id,
    }


def _style(name: str, size: float, leading: float | None = None, **kwargs: Any) -> ParagraphStyle:
    return ParagraphStyle(
        name, fontName=_font(), fontSize=size, leading=leading or size * 1.5, wordWrap="CJK", **kwargs
    )


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text or "")).replace("\n", "<br/>"), style)


def _date(value: Any) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def _validity(licence: Licence) -> str:
    until = _date(licence.valid_until) if licence.valid_until else "长期"
    return f"{_date(licence.valid_from)}至{until}"


def _rows(licence: Licence) -> list[tuple[str, str]]:
    code_label = "公民身份号码" if licence.holder_code_type == HolderCodeType.ID_CARD else "统一社会信用代码"
    rows = [("持证主体", licence.holder_name), (code_label, licence.holder_code)]
    rows += [(str(label), str(value)) for label, value in (licence.surface or {}).items()]
    rows.append(("有效期限", _validity(licence)))
    return rows


def _fields(licence: Licence, width: float, height: float, size: float) -> Table:
    """The holder and surface as a two-column table, the font shrunk until it fits ``height``."""
    while True:
        label = _style("label", size, alignment=2)
        value = _style("value", size)
        data = [[_p(f"{k}：", label), _p(v, value)] for k, v in _rows(licence)]
        label_width = size * 8
        table = Table(data, colWidths=[label_width, width - label_width])
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), size * 0.25),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), size * 0.25),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        _, needed = table.wrap(width, height)
        if needed <= height or size <= MIN_FIELD_SIZE:
            return table
        size -= 1


def _place(canvas: Canvas, table: Table, x: float, top: float, width: float, height: float) -> list[Table]:
    """Draw what of ``table`` fits in ``height`` below ``top``; return the rows that did not fit
    (a surface too long for the page continues on the next ones, never over the QR or the seal)."""
    _, needed = table.wrap(width, height)
    if needed <= height:
        table.drawOn(canvas, x, top - needed)
        return []
    parts = table.split(width, height)
    if not parts:
        return [table]
    first, rest = parts[0], parts[1:]
    _, needed = first.wrap(width, height)
    first.drawOn(canvas, x, top - needed)
    return rest


def _more(canvas: Canvas, x: float, y: float) -> None:
    canvas.setFillColor(colors.black)
    canvas.setFont(_font(), 9)
    canvas.drawString(x, y, "（照面信息未完，续见下页）")


def _continuation(canvas: Canvas, licence: Licence, rest: list[Table], pagesize: tuple[float, float]) -> None:
    """The surface's remaining rows on further pages, each headed with the name and the 标识."""
    width, height = pagesize
    page = 1
    while rest:
        canvas.showPage()
        page += 1
        canvas.setFont(_font(), 12)
        canvas.drawString(20 * mm, height - 18 * mm, f"{licence.licence_type.name}（续，第{page}页）")
        _identifier_line(canvas, licence, 20 * mm, height - 25 * mm)
        remaining: list[Table] = []
        for table in rest:
            if remaining:
                remaining.append(table)
                continue
            remaining = _place(canvas, table, 20 * mm, height - 32 * mm, width - 40 * mm, height - 52 * mm)
        rest = remaining


def _draw_qr(canvas: Canvas, qr: segno.QRCode, x: float, y: float, size: float) -> None:
    """The QR symbol as filled rectangles, one per run of dark modules in a row, in module units
    scaled to ``size`` (quiet zone not included: the caller leaves white space around it). The
    rectangles are written as PDF operators with integer coordinates: formatting thousands of
    floats through reportlab's path object was most of a licence's rendering time."""
    modules, _ = qr.symbol_size(scale=1, border=0)
    ops = []
    for row, line in enumerate(qr.matrix_iter(scale=1, border=0)):
        top = modules - row - 1
        start = None
        for col, dark in enumerate([*line, False]):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                ops.append(f"{start} {top} {col - start} 1 re")
                start = None
    canvas.saveState()
    canvas.translate(x, y)
    canvas.scale(size / modules, size / modules)
    canvas.setFillColor(colors.black)
    canvas.addLiteral("\n".join(ops) + "\nf")
    canvas.restoreState()


def make_qr(licence: Licence) -> segno.QRCode:
    """The QR of ``services.qr_text``, error level M. The mask is fixed rather than chosen by
    scoring all eight (any mask decodes; scoring took half of a licence's rendering time)."""
    return segno.make_qr(services.qr_text(licence), error="m", mask=MASK)


def _sign_block(canvas: Canvas, licence: Licence, cx: float, y: float) -> None:
    """The issuer's name and the date centred on ``cx`` (date baseline at ``y``), the seal over them."""
    font = _font()
    canvas.setFillColor(colors.black)
    canvas.setFont(font, 13)
    canvas.drawCentredString(cx, y + 20, licence.issuer.name)
    canvas.drawCentredString(cx, y, _date(licence.issued_on))
    draw_seal(canvas, cx, y + 16, SEAL_SIZE, licence.seal.name)


def _identifier_line(canvas: Canvas, licence: Licence, x: float, y: float, size: float = 9) -> None:
    canvas.setFillColor(colors.black)
    canvas.setFont(_font(), size)
    canvas.drawString(x, y, f"证照标识：{licence.identifier}")


def _qr_block(canvas: Canvas, licence: Licence, x: float, y: float) -> None:
    _draw_qr(canvas, make_qr(licence), x, y, QR_SIZE)
    canvas.setFont(_font(), 9)
    canvas.drawCentredString(x + QR_SIZE / 2, y - 12, "扫码核验真伪")


def _certificate(canvas: Canvas, licence: Licence) -> None:
    width, height = landscape(A4)
    font = _font()
    canvas.setStrokeColor(FRAME_BLUE)
    canvas.setLineWidth(3)
    canvas.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    canvas.setLineWidth(0.8)
    canvas.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)

    canvas.setFillColor(colors.black)
    canvas.setFont(font, 30)
    canvas.drawCentredString(width / 2, height - 40 * mm, licence.licence_type.name)
    canvas.setFont(font, 11)
    canvas.drawRightString(width - 25 * mm, height - 24 * mm, f"证照编号：{licence.number}")

    left, top, bottom = 35 * mm, height - 52 * mm, 75 * mm
    rest = _place(
        canvas,
        _fields(licence, width - 2 * left, top - bottom, 14),
        left,
        top,
        width - 2 * left,
        top - bottom,
    )
    if rest:
        _more(canvas, left, bottom - 4 * mm)

    _qr_block(canvas, licence, 25 * mm, 27 * mm)
    _sign_block(canvas, licence, width - 70 * mm, 35 * mm)
    _identifier_line(canvas, licence, 25 * mm + QR_SIZE + 8 * mm, 22 * mm)
    _continuation(canvas, licence, rest, (width, height))


def _card(canvas: Canvas, licence: Licence) -> None:
    width, height = A4
    font = _font()
    # The panel: an ID-card's proportions (85.6 × 54 mm) at twice the size.
    panel_w, panel_h = 171.2 * mm, 108 * mm
    px, py = (width - panel_w) / 2, height - 30 * mm - panel_h
    canvas.setStrokeColor(FRAME_BLUE)
    canvas.setFillColor(colors.Color(0.95, 0.97, 1))
    canvas.setLineWidth(1.2)
    canvas.roundRect(px, py, panel_w, panel_h, 6 * mm, stroke=1, fill=1)

    canvas.setFillColor(colors.black)
    canvas.setFont(font, 22)
    canvas.drawCentredString(width / 2, py + panel_h - 14 * mm, licence.licence_type.name)
    inner_left, inner_top = px + 10 * mm, py + panel_h - 22 * mm
    table_width = panel_w - 20 * mm - SEAL_SIZE
    space = inner_top - py - 8 * mm
    rest = _place(canvas, _fields(licence, table_width, space, 12), inner_left, inner_top, table_width, space)
    if rest:
        _more(canvas, inner_left, py + 4 * mm)
    _sign_block(canvas, licence, px + panel_w - 8 * mm - SEAL_SIZE / 2, py + 14 * mm)

    # Under the panel: the QR, the number and the identifier.
    qr_x, qr_y = px, py - 20 * mm - QR_SIZE
    _qr_block(canvas, licence, qr_x, qr_y)
    canvas.setFont(font, 11)
    text_x = qr_x + QR_SIZE + 8 * mm
    lines = [
        f"证照编号：{licence.number}",
        f"颁发机构：{licence.issuer.name}",
        f"颁发日期：{_date(licence.issued_on)}",
        f"有效期限：{_validity(licence)}",
    ]
    for i, line in enumerate(lines):
        canvas.drawString(text_x, qr_y + QR_SIZE - 12 - i * 18, line)
    _identifier_line(canvas, licence, text_x, qr_y + QR_SIZE - 12 - len(lines) * 18, size=8)
    _continuation(canvas, licence, rest, (width, height))


def render_pdf(licence: Licence) -> bytes:
    """The licence as a PDF carrying its signed data (see the module's docstring): one page, more
    only when a long surface continues on further pages."""
    font = _font()
    card = licence.licence_type.template == PrintTemplate.CARD
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=A4 if card else landscape(A4), invariant=1, pageCompression=1)
    info = _LicenceInfo()
    info.extra = embedded_data(licence)
    canvas._doc.info = info
    canvas.setTitle(f"{licence.licence_type.name} {licence.number}")
    canvas.setAuthor(licence.issuer.name)
    canvas.setSubject(licence.identifier)
    canvas.setCreator("政务服务平台")
    canvas.setFont(font, 12)
    (_card if card else _certificate)(canvas, licence)
    canvas.showPage()
    # Compressed page content written as binary: reportlab's default also wraps it in ASCII85,
    # which without its C accelerator took a third of the rendering time. The flag is read while
    # saving; a concurrent render elsewhere that sees it merely writes a binary stream too.
    previous, rl_config.useA85 = rl_config.useA85, 0
    try:
        canvas.save()
    finally:
        rl_config.useA85 = previous
    return buffer.getvalue()


def read_pdf(data: bytes) -> tuple[dict[str, Any], bytes, str]:
    """The signed data a licence PDF carries: (the metadata, the SM2 signature, the 印章编码).
    An empty upload is 400; anything that is not one of our licence PDFs is 422."""
    if not data:
        raise InvalidInput("请上传电子证照PDF文件（上传的文件是空的）", field="file")
    if not data.lstrip()[:5] == b"%PDF-":
        raise NotOurFile(f"{NOT_OURS}（上传的文件不是PDF）", field="file")
    try:
        info: Any = PdfReader(BytesIO(data)).metadata or {}
        raw = {key: str(info.get(key) or "") for key in (INFO_DATA, INFO_SIGNATURE, INFO_KEY_ID)}
    except Exception:  # pypdf raises many kinds on a damaged file; all mean the same to the user
        raise NotOurFile(f"{NOT_OURS}（PDF文件已损坏，无法读取）", field="file") from None
    if not all(raw.values()):
        raise NotOurFile(f"{NOT_OURS}（文件中没有电子证照的签章数据）", field="file")
    try:
        metadata = json.loads(base64.b64decode(raw[INFO_DATA], validate=True).decode("utf-8"))
        signature = base64.b64decode(raw[INFO_SIGNATURE], validate=True)
    except (binascii.Error, ValueError):
        raise NotOurFile(f"{NOT_OURS}（文件中的签章数据已损坏）", field="file") from None
    if not isinstance(metadata, dict) or not isinstance(metadata.get("证照标识"), str):
        raise NotOurFile(f"{NOT_OURS}（文件中的签章数据已损坏）", field="file")
    return metadata, signature, raw[INFO_KEY_ID].strip()
