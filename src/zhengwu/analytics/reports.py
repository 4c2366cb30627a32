"""月度报告 — the monthly report PDF: the month's headline figures per family with 环比 and 同比,
two charts drawn on the server (the month's daily trend, and the departments' ranking scores as
bars), and the rankings of departments, windows and regions with their weights.

Made by the task queue on the first working day of the next month (``generate_due``, checked
every morning; once) and on demand (``generate_on_demand``). A report is kept in
``MonthlyReport``; generating a month again replaces its file. Everything printed is read from
the roll-up (figures.py) and the rankings (rankings.py), as the pages read it, so the report and
the pages agree. Chinese text is set in reportlab's built-in CID font STSong-Light, as the
project's notices are.
"""

from __future__ import annotations

import functools
import re
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from django.db import transaction
from django.utils import timezone
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from zhengwu.calendar.selectors import get_calendar
from zhengwu.core.errors import Conflict, DomainError, InvalidInput

from . import figures, rankings
from .indicators import FAMILIES, INDICATORS, Indicator, format_value
from .models import MonthlyReport, RankingSubject
from .periods import Period, check_within, period_containing

FONT = "STSong-Light"
WIDTH, HEIGHT = A4
MARGIN = 18 * mm
CONTENT_WIDTH = WIDTH - 2 * MARGIN
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
RANKED_ROWS = 10  # the top of each ranking printed; the last places are always printed too
LINE_COLOURS = [colors.HexColor("#c0392b"), colors.HexColor("#1565c0"), colors.HexColor("#2e7d32")]


@functools.cache
def _font() -> str:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _style(name: str, **kwargs: Any) -> ParagraphStyle:
    base: dict[str, Any] = {"fontName": FONT, "fontSize": 10.5, "leading": 16, "wordWrap": "CJK"}
    return ParagraphStyle(name, **{**base, **kwargs})


def month_of(text: str | None) -> Period:
    """The month ``text`` names (2026-05); anything else is 400."""
    value = (text or "").strip()
    m = _MONTH.match(value)
    if not m or not 1 <= int(m[2]) <= 12 or not 2000 <= int(m[1]) <= 2100:
        raise InvalidInput(f"月份：应写作“年-月”，如 2026-05，收到“{value[:20]}”", field="month")
    return period_containing("month", date(int(m[1]), int(m[2]), 1))


def parse_month(text: str | None, *, today: date | None = None) -> Period:
    """The month a report may be generated for. Unparseable: 400; before the data or in the
    future: 422; not finished yet: 409."""
    period = month_of(text)
    today = today or timezone.localdate()
    check_within(period, figures.data_start(), today)
    if not period.is_finished(today):
        raise Conflict(
            f"月份：{period.label}尚未结束，要到{period.end.year}年{period.end.month}月{period.end.day}日才能生成该月报告",
            field="month",
        )
    return period


def first_working_day(year: int, month: int) -> date:
    """The first working day of a month by the working-day calendar (调休 included)."""
    cal = get_calendar()
    day = date(year, month, 1)
    while not cal.is_working_day(day):
        day += timedelta(days=1)
    return day


def generate_due(today: date | None = None) -> str:
    """On the first working day of a month, last month's report, unless it exists already."""
    today = today or timezone.localdate()
    if today != first_working_day(today.year, today.month):
        return f"{today:%Y-%m-%d}不是本月第一个工作日，不生成月度报告"
    month = period_containing("month", today.replace(day=1) - timedelta(days=1))
    if MonthlyReport.objects.filter(month=month.start).exists():
        return f"{month.label}的报告已生成"
    first = figures.data_start()
    if first is None or month.end <= first:
        return f"{month.label}没有统计数据，不生成报告"
    generate(month)
    return f"已生成{month.label}统计报告"


def generate_on_demand(month: str, *, requested_by_id: int | None = None) -> str:
    period = parse_month(month)
    generate(period, requested_by_id=requested_by_id)
    return f"已生成{period.label}统计报告"


def generate(period: Period, *, requested_by_id: int | None = None) -> MonthlyReport:
    data = build_pdf(period)
    with transaction.atomic():
        report, _ = MonthlyReport.objects.update_or_create(
            month=period.start,
            defaults={
                "pdf": data,
                "size": len(data),
                "generated_at": timezone.now(),
                "requested_by_id": requested_by_id,
            },
        )
    return report


# ---------------------------------------------------------------------------------------------
# The document
# ---------------------------------------------------------------------------------------------


def _change(value: Decimal | None, ind: Indicator) -> str:
    if value is None:
        return "—"
    unit = "个百分点" if ind.kind == "rate" else "%"
    sign = "+" if value > 0 else ""
    return f"{sign}{value}{unit}"


def headline(period: Period) -> list[tuple[str, list[figures.Compared]]]:
    """Per family with data: each indicator now, 环比 and 同比."""
    present = figures.present_families()
    out = []
    for family in FAMILIES:
        inds = [i for i in INDICATORS.values() if i.family == family]
        if inds and family in present:
            out.append((family, figures.compare(inds, period)))
    return out


def _trend(period: Period) -> Drawing | None:
    """The month's daily trend of the count indicators with the most data (up to three), so the
    chart shows what happened rather than lines along zero."""
    counts = [i for i in INDICATORS.values() if i.kind == "count" and _scale_of(i) == 1]
    totals = figures.sums({i.numerator for i in counts}, period.start, period.end)
    counts = [i for i in counts if totals.get(i.numerator, 0) > 0][:3]
    if not counts:
        return None
    points = figures.series({i.numerator for i in counts}, period)
    drawing = Drawing(CONTENT_WIDTH, 62 * mm)
    plot = LinePlot()
    plot.x, plot.y = 12 * mm, 14 * mm
    plot.width, plot.height = CONTENT_WIDTH - 20 * mm, 40 * mm
    plot.data = [[(b.start.day, s.get(ind.numerator, 0)) for b, s in points] for ind in counts]
    for n in range(len(counts)):
        plot.lines[n].strokeColor = LINE_COLOURS[n % len(LINE_COLOURS)]
        plot.lines[n].strokeWidth = 1.5
    plot.xValueAxis.valueMin = 1
    plot.xValueAxis.valueMax = period.days
    plot.xValueAxis.valueSteps = list(range(1, period.days + 1, 3))
    plot.xValueAxis.labels.fontName = FONT
    plot.yValueAxis.valueMin = 0
    plot.yValueAxis.labels.fontName = FONT
    drawing.add(plot)
    legend = Legend()
    legend.fontName = FONT
    legend.x, legend.y = 14 * mm, 60 * mm
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.colorNamePairs = [(LINE_COLOURS[n % len(LINE_COLOURS)], i.name) for n, i in enumerate(counts)]
    drawing.add(legend)
    drawing.add(String(CONTENT_WIDTH - 10 * mm, 4 * mm, "日", fontName=FONT, fontSize=8))
    return drawing


def _scale_of(ind: Indicator) -> int:
    from .measures import MEASURES

    return MEASURES[ind.numerator].scale


def _bars(ranking: rankings.Ranking) -> Drawing | None:
    """The ranked subjects' scores as horizontal bars, the first at the top."""
    ranked = ranking.ranked[:RANKED_ROWS]
    if not ranked:
        return None
    height = (len(ranked) * 7 + 16) * mm
    drawing = Drawing(CONTENT_WIDTH, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 55 * mm, 8 * mm
    chart.width, chart.height = CONTENT_WIDTH - 65 * mm, height - 14 * mm
    rows = list(reversed(ranked))  # a horizontal chart draws its first category at the bottom
    chart.data = [[float(r.score or 0) for r in rows]]
    chart.categoryAxis.categoryNames = [r.label[:16] for r in rows]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 8
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = 100
    chart.valueAxis.valueStep = 20
    chart.valueAxis.labels.fontName = FONT
    chart.bars[0].fillColor = colors.HexColor("#c0392b")
    chart.barLabelFormat = "%.1f"
    chart.barLabels.fontName = FONT
    chart.barLabels.fontSize = 7
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 2
    drawing.add(chart)
    return drawing


def _table(rows: list[list[Any]], widths: list[float], header_rows: int = 1) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=header_rows)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 9),
                ("BACKGROUND", (0, 0), (-1, header_rows - 1), colors.HexColor("#eef1f5")),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#b0b7c3")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (1, header_rows), (-1, -1), "RIGHT"),
            ]
        )
    )
    return table


def build_pdf(period: Period) -> bytes:
    _font()
    title = _style("title", fontSize=20, leading=30, alignment=TA_CENTER)
    subtitle = _style(
        "subtitle", fontSize=11, leading=18, alignment=TA_CENTER, textColor=colors.HexColor("#555555")
    )
    h2 = _style("h2", fontSize=14, leading=22, spaceBefore=10, spaceAfter=4)
    body = _style("body")
    small = _style("small", fontSize=8.5, leading=12, textColor=colors.HexColor("#555555"))

    story: list[Any] = [
        Paragraph(f"{period.label}政务服务统计报告", title),
        Paragraph(
            f"统计期间：{period.start:%Y年%m月%d日}至{period.end - timedelta(days=1):%Y年%m月%d日}"
            f"　·　生成时间：{timezone.localtime():%Y年%m月%d日 %H:%M}",
            subtitle,
        ),
        Spacer(1, 6 * mm),
        Paragraph("一、主要指标", h2),
        Paragraph(
            "环比与上月相比，同比与上年同月相比；率类指标的变化以百分点计，其他以百分比计；“—”表示无可比数据。",
            small,
        ),
    ]
    families = headline(period)
    if not families:
        story.append(Paragraph("本月没有统计数据。", body))
    for family, compared in families:
        rows: list[list[Any]] = [[f"{family}指标", "本月", "单位", "上月", "环比", "上年同月", "同比"]]
        for c in compared:
            i = c.indicator
            rows.append(
                [
                    Paragraph(escape(i.name), _style("cell", fontSize=9, leading=12)),
                    format_value(i, c.current),
                    i.unit,
                    format_value(i, c.previous),
                    _change(c.change, i),
                    format_value(i, c.last_year),
                    _change(c.change_last_year, i),
                ]
            )
        widths = [38 * mm, 24 * mm, 16 * mm, 24 * mm, 24 * mm, 24 * mm, 24 * mm]
        story += [Spacer(1, 2 * mm), _table(rows, widths)]

    story.append(Paragraph("二、趋势", h2))
    trend = _trend(period)
    story.append(trend if trend is not None else Paragraph("没有可绘制的指标。", body))

    story.append(Paragraph("三、排行榜", h2))
    story.append(Paragraph(escape(rankings.SCALING_RULE), small))
    for subject in RankingSubject.values:
        story += _ranking_section(subject, period, h2, body, small)
    doc = SimpleDocTemplate(
        out := BytesIO(),
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"{period.label}政务服务统计报告",
        author="政务服务平台",
    )
    doc.build(story, onFirstPage=_page_number, onLaterPages=_page_number)
    return out.getvalue()


def _ranking_section(subject: str, period: Period, h2: Any, body: Any, small: Any) -> list[Any]:
    label = rankings.SUBJECTS[subject]
    try:
        ranking = rankings.rank(subject, period)
    except DomainError as exc:
        return [Paragraph(f"{label}排名：{escape(exc.message)}", body)]
    out: list[Any] = [
        Paragraph(
            f"{label}排名 · {escape(ranking.scheme.name)}",
            _style("h3", fontSize=12, leading=18, spaceBefore=8),
        ),
        Paragraph(escape(ranking.formula), body),
    ]
    if ranking.parts:
        weights = "；".join(f"{p.indicator.name} {p.weight.normalize():f}%" for p in ranking.parts)
        out.append(Paragraph(f"权重：{escape(weights)}", small))
    if ranking.ignored:
        keys = "、".join(f"{k}（{w.normalize():f}%）" for k, w in ranking.ignored)
        out.append(Paragraph(f"以下指标暂不存在，未计入：{escape(keys)}", small))
    ranked = ranking.ranked
    if not ranked:
        out.append(Paragraph(f"本月没有可排名的{label}数据。", body))
        return out
    if subject == RankingSubject.DEPARTMENT:
        bars = _bars(ranking)
        if bars is not None:
            out.append(bars)
    shown = ranked[:RANKED_ROWS] + [r for r in ranked[RANKED_ROWS:] if r.last_place]
    rows: list[list[Any]] = [["名次", "变动", label, "综合得分", *(p.indicator.name for p in ranking.parts)]]
    cell = _style("rcell", fontSize=8.5, leading=11)
    for r in shown:
        name = f"{r.label}（末位）" if r.last_place else r.label
        rows.append(
            [str(r.rank), r.movement, Paragraph(escape(name), cell), f"{r.score}", *(c.text for c in r.cells)]
        )
    n = len(ranking.parts)
    rest = (CONTENT_WIDTH - 12 * mm - 12 * mm - 52 * mm - 18 * mm) / max(n, 1)
    widths = [12 * mm, 12 * mm, 52 * mm, 18 * mm, *([rest] * n)]
    out.append(KeepTogether([_table(rows, widths)]) if len(rows) < 14 else _table(rows, widths))
    last = ranking.last_places
    if last:
        names = "、".join(f"{r.label}（第{r.rank}名）" for r in last)
        out.append(Paragraph(f"末位：{escape(names)}", body))
    return out


def _page_number(canvas: Any, doc: Any) -> None:
    canvas.saveState()
    canvas.setFont(FONT, 8)
    canvas.drawCentredString(WIDTH / 2, 10 * mm, f"第 {doc.page} 页")
    canvas.restoreState()
