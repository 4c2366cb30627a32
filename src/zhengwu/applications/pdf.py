"""文书 as PDF: each notice drawn on A4 the way a government notice looks — the department and the
title centred, the 文书编号 top right, the applicant as addressee, what the notice legally says,
the department and the date at the bottom right, and a QR code of the public progress page.

Everything printed comes from ``notice.data`` (frozen by documents.issue) and the notice's own
number and kind, never from the application as it is now, so a notice reprinted a year later
says what the applicant was told. Chinese text is set in reportlab's built-in CID font
STSong-Light (the PDF viewer supplies the glyphs; nothing is downloaded or embedded).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from io import BytesIO
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

import segno
from django.conf import settings
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .models import Notice, NoticeKind

FONT = "STSong-Light"
PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT, RIGHT, TOP, BOTTOM = 28 * mm, 26 * mm, 25 * mm, 42 * mm
QR_SIZE = 24 * mm  # the symbol without its quiet zone
QR_FORM = "progressQR"
RATING_QR_SIZE = 20 * mm  # the smaller 评价二维码 ("扫码评价") beside it
RATING_QR_X = 128 * mm

# What the law says the applicant may do against a refusal or a denial (行政许可法第三十八条第二款:
# the decision states the reason and the right to 复议 or 诉讼). The refusal carries its own remedy
# in data; this is the wording when a notice has none.
DEFAULT_REMEDY = (
    "如不服本决定，可以自收到本文书之日起六十日内依法申请行政复议，或者在六个月内依法向人民法院提起行政诉讼。"
)


@functools.cache
def _font() -> str:
    """Register the CID font once per process; reportlab keeps it in a global registry."""
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _style(name: str, **kwargs: Any) -> ParagraphStyle:
    base: dict[str, Any] = {
        "fontName": FONT,
        "fontSize": 14,
        "leading": 26,
        "wordWrap": "CJK",  # Chinese breaks between any two characters
        "alignment": TA_LEFT,
    }
    return ParagraphStyle(name, **{**base, **kwargs})


NUMBER = _style("number", fontSize=11, leading=16, alignment=TA_RIGHT)
AUTHORITY = _style("authority", fontSize=16, leading=24, alignment=TA_CENTER, spaceBefore=6)
TITLE = _style("title", fontSize=22, leading=32, alignment=TA_CENTER, spaceBefore=4)
SUBTITLE = _style("subtitle", fontSize=13, leading=20, alignment=TA_CENTER)
ADDRESSEE = _style("addressee", spaceBefore=18)
BODY = _style("body", firstLineIndent=28)
ITEM = _style("item", leftIndent=28, firstLineIndent=0, leading=24, spaceBefore=2)
SIGN = _style("sign", alignment=TA_RIGHT, rightIndent=14)
CELL = _style("cell", fontSize=12, leading=20)
CELL_LABEL = _style("cell_label", fontSize=12, leading=20, alignment=TA_CENTER)
# A 一件事's list of items: smaller, so five or six items stay on the notice's first page.
ROW = _style("row", fontSize=11, leading=15)
ROW_LABEL = _style("row_label", fontSize=11, leading=15, alignment=TA_CENTER)
ROW_NUMBER = _style("row_number", fontSize=9, leading=12)


def progress_url(number: str) -> str:
    """The public progress page of application ``number`` (a 一件事办件's YJ- number opens its own
    progress there too): SITE_URL (when the deployment sets one) + /apply/track/<number>/, else
    the path alone."""
    base = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return f"{base}/apply/track/{quote(number, safe='')}/"


def qr_for(notice: Notice) -> segno.QRCode:
    """The QR code printed on ``notice``: its application's progress page."""
    return segno.make_qr(progress_url(str(notice.data.get("application_number", ""))), error="m")


# The notices handed to the applicant at 受理 and at the end (决定, 送达) carry a second code that
# opens the matter's rating page (好差评 二维码); before 办结 that page says when to come back.
RATING_QR_KINDS = frozenset(
    {NoticeKind.ACCEPTANCE, NoticeKind.REFUSAL, NoticeKind.APPROVAL, NoticeKind.DENIAL, NoticeKind.SERVICE}
)


def rating_qr_for(notice: Notice) -> segno.QRCode | None:
    """The 评价二维码 of ``notice`` (its application's or 一件事办件's signed rating link), or None
    for a notice that carries none."""
    if notice.kind not in RATING_QR_KINDS:
        return None
    from zhengwu.ratings.invitations import qr_url

    if notice.application_id:
        key = f"application:{notice.application_id}"
    elif notice.bundle_application_id:
        key = f"bundle:{notice.bundle_application_id}"
    else:
        return None
    return segno.make_qr(qr_url(key), error="m")


def _draw_rating_qr(canvas: Canvas, qr: segno.QRCode) -> None:
    """The 评价二维码, drawn straight on the first page (the progress code stays the one form)."""
    modules = qr.symbol_size(scale=1, border=0)[0]
    canvas.saveState()
    canvas.translate(RATING_QR_X, 12 * mm)
    canvas.scale(RATING_QR_SIZE / modules, RATING_QR_SIZE / modules)
    _fill_modules(canvas, qr)
    canvas.restoreState()
    canvas.setFont(FONT, 10)
    text_x = RATING_QR_X + RATING_QR_SIZE + 3 * mm
    canvas.drawString(text_x, 12 * mm + RATING_QR_SIZE - 10, "扫码评价")
    canvas.setFont(FONT, 8)
    canvas.drawString(text_x, 12 * mm + RATING_QR_SIZE - 22, "办结后可评价")


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text: whatever the data says is printed, never read as markup."""
    return Paragraph(escape(str(text or "")), style)


def _submitted(data: dict[str, Any]) -> str:
    on = data.get("submitted_on")
    return (
        f"您（单位）于{on}提交的《{data.get('item', '')}》"
        if on
        else f"您（单位）提交的《{data.get('item', '')}》"
    )


def _days(value: Any) -> str:
    """A number of working days as written: documents.base_data stores Decimal.normalize(), which
    spells ten as "1E+1"."""
    try:
        return format(Decimal(str(value)), "f") if value not in (None, "") else ""
    except InvalidOperation:
        return str(value)


def _consultation(data: dict[str, Any]) -> list[Flowable]:
    phone = data.get("consultation_phone")
    return [_p(f"如有疑问，请拨打咨询电话：{phone}。", BODY)] if phone else []


WAITING = "待前置事项办结后起算"


def _grid(rows: list[list[Any]], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.8, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _children(children: list[dict[str, Any]]) -> list[Flowable]:
    """A 一件事's 受理通知书: every item it is handled as, by which department, and by when — an
    item that waits for another has no date yet: its time starts when that one is done."""
    width = PAGE_WIDTH - LEFT - RIGHT
    rows: list[list[Any]] = [[_p(h, ROW_LABEL) for h in ("序号", "事项", "承办部门", "承诺办结日期")]]
    for n, child in enumerate(children, 1):
        due: list[Flowable] = [_p(child.get("due_on") or WAITING, ROW)]
        if not child.get("due_on") and child.get("waits_for"):
            due.append(_p(f"前置事项：{child['waits_for']}", ROW_NUMBER))
        item = _p(child.get("item", ""), ROW)
        rows.append([_p(n, ROW_LABEL), item, _p(child.get("department", ""), ROW), due])
    return [
        _p("本一件事包含以下事项，由各承办部门并联办理：", BODY),
        _grid(rows, [10 * mm, width * 0.36, width * 0.30, width - 10 * mm - width * 0.66]),
    ]


def _acceptance(notice: Notice, data: dict[str, Any]) -> list[Flowable]:
    body = [
        _p(
            f"经审查，{_submitted(data)}申请材料齐全、符合法定形式，根据《中华人民共和国行政许可法》"
            f"第三十二条第一款的规定，决定予以受理。",
            BODY,
        )
    ]
    if data.get("children"):
        body += _children(list(data["children"]))
    if data.get("due_on"):
        days = _days(data.get("limit_days"))
        limit = f"承诺办理时限为{days}个工作日，" if days else ""
        body.append(
            _p(
                f"本机关{limit}承诺于{data['due_on']}前办结。依法需要听证、检验、检测、鉴定、专家评审"
                f"等所需时间以及补正材料的时间，不计入办理时限。",
                BODY,
            )
        )
    body.append(
        _p(
            f"您可以凭办件编号{data.get('application_number', '')}查询办理进度，"
            f"也可以扫描本通知书左下角的二维码查询。",
            BODY,
        )
    )
    return body + _consultation(data)


def _refusal(notice: Notice, data: dict[str, Any]) -> list[Flowable]:
    return [
        _p(f"{_submitted(data)}申请，经审查，不予受理，理由如下：", BODY),
        _p(data.get("reason", ""), BODY),
        _p("根据《中华人民共和国行政许可法》第三十二条第一款的规定，决定不予受理。", BODY),
        _p(data.get("remedy") or DEFAULT_REMEDY, BODY),
        *_consultation(data),
    ]


def _supplement(notice: Notice, data: dict[str, Any]) -> list[Flowable]:
    items = data.get("items") or []
    body: list[Flowable] = [
        _p(
            f"{_submitted(data)}申请材料不齐全或者不符合法定形式。根据《中华人民共和国行政许可法》"
            f"第三十二条第一款第（四）项的规定，现一次性告知您需要补正的全部内容如下：",
            BODY,
        )
    ]
    # Each item whole on one page: a reason split by the page break is easily misread.
    body += [
        KeepTogether([_p(f"{n}. {i.get('name', '')}：{i.get('reason', '')}", ITEM)])
        for n, i in enumerate(items, 1)
    ]
    body += [
        _p(
            f"请您按照上述要求一次性补正全部{len(items)}项材料后重新提交。补正期间，办理时限暂停计算，"
            f"自补正材料齐全之日起继续计算。",
            BODY,
        ),
        *_consultation(data),
    ]
    return body


def _decision(approved: bool) -> Callable[[Notice, dict[str, Any]], list[Flowable]]:
    def body(notice: Notice, data: dict[str, Any]) -> list[Flowable]:
        accepted = f"，本机关于{data['accepted_on']}受理" if data.get("accepted_on") else ""
        parts = [
            _p(f"{_submitted(data)}申请{accepted}。经审查，意见如下：", BODY),
            _p(data.get("opinion", ""), BODY),
        ]
        if approved:
            parts.append(
                _p(
                    "根据《中华人民共和国行政许可法》第三十八条第一款的规定，决定准予行政许可。"
                    "请按申请时选择的方式领取办理结果。",
                    BODY,
                )
            )
        else:
            parts += [
                _p("根据《中华人民共和国行政许可法》第三十八条第二款的规定，决定不予行政许可。", BODY),
                _p(data.get("remedy") or DEFAULT_REMEDY, BODY),
            ]
        return parts + _consultation(data)

    return body


def _served(notice: Notice, data: dict[str, Any]) -> str:
    """What was served: the decision issued on the same application before this receipt (a
    frozen notice too), else the result in general terms."""
    if data.get("documents"):
        return str(data["documents"])
    decision = None
    if notice.application_id:
        decision = (
            Notice.objects.filter(
                application_id=notice.application_id,
                kind__in=[NoticeKind.APPROVAL, NoticeKind.DENIAL],
                issued_at__lte=notice.issued_at,
            )
            .order_by("-issued_at", "-id")
            .first()
        )
    item = f"《{data.get('item', '')}》"
    if decision is None:
        return f"{item}办理结果"
    return f"{item}{decision.get_kind_display()}（文书编号：{decision.number}）及办理结果"


def _service(notice: Notice, data: dict[str, Any]) -> list[Flowable]:
    method = str(data.get("method", ""))
    if data.get("tracking_number"):
        method += f"（邮件号：{data['tracking_number']}）"
    served: Any = _served(notice, data)
    if notice.bundle_application_id:  # every item's result of a 一件事, one to a line
        served = [_p(part, ROW) for part in served.split("；") if part.strip()] or ""
    rows = [
        (
            "一件事办件编号" if notice.bundle_application_id else "办件编号",
            data.get("application_number", ""),
        ),
        ("申请人", data.get("applicant", "")),
        ("送达文书", served),
        ("受送达人", data.get("recipient", "")),
        ("送达方式", method),
        ("送达时间", data.get("issued_on", "")),
        ("送达人", data.get("issued_by", "")),
        ("签收", "受送达人签名：______________　　　　年　　月　　日"),
        ("备注", ""),
    ]
    table = Table(
        [
            [_p(label, CELL_LABEL), value if isinstance(value, list) else _p(value, CELL)]
            for label, value in rows
        ],
        colWidths=[32 * mm, PAGE_WIDTH - LEFT - RIGHT - 32 * mm],
        rowHeights=[None] * 7 + [22 * mm, 14 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.8, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return [Spacer(1, 2 * mm if notice.bundle_application_id else 8 * mm), table]


BODIES: dict[str, Callable[[Notice, dict[str, Any]], list[Flowable]]] = {
    NoticeKind.ACCEPTANCE: _acceptance,
    NoticeKind.REFUSAL: _refusal,
    NoticeKind.SUPPLEMENT: _supplement,
    NoticeKind.APPROVAL: _decision(approved=True),
    NoticeKind.DENIAL: _decision(approved=False),
    NoticeKind.SERVICE: _service,
}


def _story(notice: Notice) -> list[Flowable]:
    data = notice.data or {}
    story: list[Flowable] = [
        _p(f"文书编号：{notice.number}", NUMBER),
        _p(data.get("department", ""), AUTHORITY),
        _p(NoticeKind(notice.kind).label, TITLE),
    ]
    if notice.kind == NoticeKind.SUPPLEMENT and int(data.get("round") or 1) > 1:
        story.append(_p(f"（第{data['round']}次补正）", SUBTITLE))
    if notice.kind != NoticeKind.SERVICE:
        story.append(_p(f"{data.get('applicant', '')}：", ADDRESSEE))
    story += BODIES[notice.kind](notice, data)
    # A 一件事's notice lists every item: a shorter gap keeps its sign-off on the page with them.
    gap = 6 * mm if notice.bundle_application_id else 14 * mm
    story.append(
        KeepTogether(
            [Spacer(1, gap), _p(data.get("department", ""), SIGN), _p(data.get("issued_on", ""), SIGN)]
        )
    )
    return story


def _draw_qr(canvas: Canvas, qr: segno.QRCode) -> None:
    """The QR symbol as a form XObject of filled rectangles, one per run of dark modules in a row,
    in module units (row 0 at the top), so it stays sharp at any zoom and is drawn once per file."""
    width, height = qr.symbol_size(scale=1, border=0)
    canvas.beginForm(QR_FORM, 0, 0, width, height)
    _fill_modules(canvas, qr)
    canvas.endForm()


def _fill_modules(canvas: Canvas, qr: segno.QRCode) -> None:
    """The symbol's dark modules as filled rectangles, one per run of dark modules in a row, in
    module units with row 0 at the top (the caller places and scales it)."""
    height = qr.symbol_size(scale=1, border=0)[1]
    path = canvas.beginPath()
    for row, modules in enumerate(qr.matrix_iter(scale=1, border=0)):
        y = height - row - 1
        start = None
        for x, dark in enumerate([*modules, False]):
            if dark and start is None:
                start = x
            elif not dark and start is not None:
                path.rect(start, y, x - start, 1)
                start = None
    canvas.setFillColor(colors.black)
    canvas.drawPath(path, stroke=0, fill=1)


def _page(
    notice: Notice, qr: segno.QRCode, rating_qr: segno.QRCode | None = None
) -> Callable[[Canvas, Any], None]:
    data = notice.data or {}

    def draw(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        if doc.page == 1:
            _draw_qr(canvas, qr)
        else:
            canvas.setFont(FONT, 10)
            canvas.drawRightString(
                PAGE_WIDTH - RIGHT,
                PAGE_HEIGHT - 15 * mm,
                f"{NoticeKind(notice.kind).label}　文书编号：{notice.number}",
            )
        modules = qr.symbol_size(scale=1, border=0)[0]
        canvas.saveState()
        canvas.translate(LEFT, 12 * mm)
        canvas.scale(QR_SIZE / modules, QR_SIZE / modules)
        canvas.doForm(QR_FORM)
        canvas.restoreState()
        if rating_qr is not None and doc.page == 1:
            _draw_rating_qr(canvas, rating_qr)
        canvas.setFont(FONT, 10)
        text_x = LEFT + QR_SIZE + 5 * mm
        canvas.drawString(text_x, 12 * mm + QR_SIZE - 10, "扫码查询办理进度")
        canvas.drawString(text_x, 12 * mm + QR_SIZE - 26, f"办件编号：{data.get('application_number', '')}")
        canvas.drawRightString(PAGE_WIDTH - RIGHT, 12 * mm, f"第{doc.page}页")
        canvas.restoreState()

    return draw


def render(notice: Notice) -> bytes:
    """The notice as an A4 PDF (one page, more when a long 补正 list needs them)."""
    _font()
    data = notice.data or {}
    label = NoticeKind(notice.kind).label
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=LEFT,
        rightMargin=RIGHT,
        topMargin=TOP,
        bottomMargin=BOTTOM,
        title=f"{label} {notice.number}",
        author=str(data.get("department", "")),
        subject=f"办件编号 {data.get('application_number', '')}",
        creator="政务服务平台",
        invariant=True,  # the same notice gives the same bytes: no creation time or random ID
        pageCompression=1,
    )
    page = _page(notice, qr_for(notice), rating_qr_for(notice))
    doc.build(_story(notice), onFirstPage=page, onLaterPages=page)
    return buffer.getvalue()


def response(notice: Notice, *, as_attachment: bool = False) -> HttpResponse:
    """The notice's PDF as a response, named <文书编号>.pdf (shown in the browser unless
    ``as_attachment``). Private: it carries the applicant's personal data."""
    result = HttpResponse(render(notice), content_type="application/pdf")
    disposition = content_disposition_header(as_attachment, f"{notice.number}.pdf")
    if disposition:
        result["Content-Disposition"] = disposition
    result["Cache-Control"] = "private, no-store"
    return result
