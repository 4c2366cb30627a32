"""排行榜 pages: the ranking of departments, windows or county-level regions for a period, with
the scheme's formula and weights, movement since the period before, the last places named, and
the ranking as shown in Excel (?format=xlsx).

Who: whoever holds ``analytics.view_statistics``. The names and scores of every department,
window and region are shown to all of them — a ranking is information public within the
government, read by those it ranks — but only those who see every department drill down from
any figure; a 部门负责人 drills down into their own department's row only (the records page
answers 403 for another department).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone

from zhengwu.core.errors import DomainError, NotAllowed
from zhengwu.core.excel import Column, ExcelWriter, xlsx_response

from . import figures, scope
from . import rankings as ranked
from .periods import check_within, parse_period


def error_page(
    request: HttpRequest, exc: DomainError, template: str = "analytics/ranking_error.html"
) -> HttpResponse:
    return render(request, template, {"message": exc.message, "status": exc.status}, status=exc.status)


def _drill_down(user: Any, subject: str) -> set[str] | None:
    if user.sees_all_departments:
        return None
    if subject == "department" and user.department_id is not None:
        return {str(user.department_id)}
    return set()


@login_required
def rankings(request: HttpRequest) -> HttpResponseBase:
    user: Any = request.user
    try:
        if not scope.may_view(user):
            raise NotAllowed("没有查看统计分析的权限")
        subject = ranked.subject_of(request.GET.get("subject"))
        period = parse_period(request.GET.get("period"), default_kind="month")
        check_within(period, figures.data_start())
        ranking = ranked.rank(subject, period, drill_down=_drill_down(user, subject))
    except DomainError as exc:
        return error_page(request, exc)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(workbook(ranking), f"{ranking.subject_label}排行榜-{period.value}.xlsx")
    context = {
        "ranking": ranking,
        "period": period,
        "subjects": ranked.SUBJECTS,
        "rule": ranked.SCALING_RULE,
        "sees_all": bool(user.sees_all_departments),
        "last_count": ranked.last_place_count(len(ranking.ranked)),
    }
    return render(request, "analytics/rankings.html", context)


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def workbook(ranking: ranked.Ranking) -> bytes:
    """The ranking as shown: rank, movement, name, score, and each indicator's value and points."""
    columns: list[Column] = [
        Column("名次", 6),
        Column("变动", 6),
        Column(ranking.subject_label, 28),
        Column("综合得分", 10),
    ]
    for p in ranking.parts:
        unit = p.indicator.unit
        columns.append(Column(f"{p.indicator.name}（{unit}）", 14))
        columns.append(Column(f"{p.indicator.name}得分（权重{p.weight.normalize():f}%）", 16))
    columns.append(Column("末位", 6))
    notes = [
        f"{ranking.subject_label}排行榜 · {ranking.period.label} · {ranking.scheme.name}",
        ranking.formula,
        f"导出时间：{timezone.localtime():%Y-%m-%d %H:%M}",
    ]
    writer = ExcelWriter()
    sheet = writer.sheet(f"{ranking.subject_label}排行榜", columns, notes=notes)
    formats: list[str | None] = [None, None, None, "0.00"]
    for p in ranking.parts:
        formats += [
            "#,##0" if p.indicator.kind == "count" else "0." + "0" * max(p.indicator.places, 1),
            "0.00",
        ]
    formats.append(None)
    for row in ranking.rows:
        values: list[Any] = [
            row.rank if row.rank is not None else "—",
            row.movement,
            row.label,
            _number(row.score),
        ]
        for cell in row.cells:
            values += [_number(cell.value), _number(cell.points)]
        values.append("末位" if row.last_place else "")
        _append(sheet, values, formats)
    return writer.to_bytes()


def _append(sheet: Any, values: list[Any], formats: list[str | None]) -> None:
    """A row whose numbers carry their number format. core.excel's Column has no number format
    yet, so the row is built from its safe cells (control characters stripped, no formula) and
    given the formats here."""
    cells = []
    for value, fmt in zip(values, formats, strict=True):
        cell = sheet._cell(value, None)
        if fmt and isinstance(value, int | float):
            cell.number_format = fmt
        cells.append(cell)
    sheet._ws.append(cells)
    sheet.rows += 1
