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
