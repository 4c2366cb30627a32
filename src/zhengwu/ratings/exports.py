"""The department's 差评整改 list as Excel (``core.excel.ExcelWriter``: no cell is ever a
formula). The caller passes the cases already scoped to what the user may see; no rater's
personal data goes out."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from zhengwu.casework.deadlines import LIGHT_LABELS, Lights
from zhengwu.core.excel import Column, ExcelWriter

from .models import Rectification

MAX_ROWS = 50_000
COLUMNS: tuple[Column, ...] = (
    Column("办件编号", 24, text=True),
    Column("整改单位", 22),
    Column("事项", 24),
    Column("满意度", 12),
    Column("评价渠道", 14),
    Column("评价时间", 18),
    Column("评价内容", 40),
    Column("实名评价", 8),
    Column("状态", 10),
    Column("时限状态", 10),
    Column("回访核实时限", 18),
    Column("处理方式", 10),
    Column("整改时限", 18),
    Column("办结时间", 18),
)


def _at(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def rectifications_xlsx(qs: QuerySet[Rectification], *, lights: Lights) -> bytes:
    from .views import light_of

    wb = ExcelWriter()
    sheet = wb.sheet("差评整改", COLUMNS, auto_filter=True)
    count = 0
    for case in qs.select_related("rating", "department", "rating__item")[:MAX_ROWS].iterator(chunk_size=500):
        count += 1
        r = case.rating
        sheet.append(
            [
                r.matter_number,
                case.department.name,
                r.item.name if r.item else "",
                r.get_level_display(),
                r.get_channel_display(),
                _at(r.rated_at),
                r.text,
                "是" if r.real_name else "否",
                case.get_state_display(),
                LIGHT_LABELS[light_of(case, lights)],
                _at(case.verify_due_at),
                case.get_outcome_display() if case.outcome else "",
                _at(case.fix_due_at),
                _at(case.closed_at),
            ]
        )
    if count >= MAX_ROWS:
        sheet.note(f"仅导出前 {MAX_ROWS} 条，请缩小筛选范围后分批导出")
    return wb.to_bytes()


# ---------------------------------------------------------------------------------------------
# 评价统计: a figures table, and the ratings behind a figure


def _rate(value: object) -> str:
    return "—" if value is None else f"{value}%"


FIGURE_COLUMNS: tuple[Column, ...] = (
    Column("名称", 32),
    Column("评价数", 10),
    Column("好评数", 10),
    Column("好评率", 10),
    Column("差评数", 10),
    Column("差评已整改", 12),
    Column("整改率", 10),
    Column("实名差评", 10),
    Column("实名差评已回访", 14),
    Column("实名差评回访率", 14),
    Column("不计入统计", 12),
)


def figures_xlsx(rows: list, *, dimension_label: str, period_label: str) -> bytes:
    """A figures table (``figures.Row``s) with its 合计 line; rates as on the page ("—" without
    ratings)."""
    from .figures import total

    wb = ExcelWriter()
    sheet = wb.sheet(
        f"评价统计-{dimension_label}",
        (Column(dimension_label, 32), *FIGURE_COLUMNS[1:]),
        notes=[f"好差评统计（按{dimension_label}） {period_label}"],
        auto_filter=True,
    )

    def line(name: str, f, excluded: int) -> list:
        return [
            name,
            f.count,
            f.good,
            _rate(f.good_rate),
            f.bad,
            f.bad_rectified,
            _rate(f.rectified_rate),
            f.bad_real_name,
            f.bad_real_name_verified,
            _rate(f.verified_rate),
            excluded,
        ]

    for row in rows:
        sheet.append(line(row.name, row.figures, row.excluded))
    if rows:
        sheet.append(line("合计", total(rows), sum(r.excluded for r in rows)))
    else:
        sheet.note("该期间暂无评价")
    return wb.to_bytes()


RATING_COLUMNS: tuple[Column, ...] = (
    Column("办件编号", 24, text=True),
    Column("办理部门", 22),
    Column("窗口", 18),
    Column("事项", 24),
    Column("满意度", 12),
    Column("评价渠道", 14),
    Column("评价次数", 8),
    Column("评价时间", 18),
    Column("实名评价", 8),
    Column("评价内容", 40),
    Column("整改状态", 10),
    Column("计入统计", 10),
)


def ratings_xlsx(qs: QuerySet) -> bytes:
    """The ratings behind a figure (no rater's personal data)."""
    wb = ExcelWriter()
    sheet = wb.sheet("评价明细", RATING_COLUMNS, auto_filter=True)
    count = 0
    for r in qs[:MAX_ROWS].iterator(chunk_size=500):
        count += 1
        case = getattr(r, "rectification", None) if r.bad else None
        sheet.append(
            [
                r.matter_number,
                r.department.name,
                str(r.window) if r.window_id else "",
                r.item.name if r.item_id else "",
                r.get_level_display(),
                r.get_channel_display(),
                r.round,
                _at(r.rated_at),
                "是" if r.real_name else "否",
                r.text,
                case.get_state_display() if case is not None else "",
                "不计入统计" if r.excluded else "计入",
            ]
        )
    if count >= MAX_ROWS:
        sheet.note(f"仅导出前 {MAX_ROWS} 条，请缩小筛选范围后分批导出")
    return wb.to_bytes()
