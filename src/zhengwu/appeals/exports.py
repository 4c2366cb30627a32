"""Appeals in Excel (.xlsx): the list with its filters, and a department's inbox. Phones are always
masked; a confidential reporter is left out entirely for a handling department. The caller passes
a queryset already scoped to what the user may see; rows are streamed (write-only workbook,
chunked iterator), at most ``MAX_ROWS``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone

from zhengwu.core.excel import ExcelWriter, Sheet, xlsx_response

from . import privacy
from .models import Appeal, Assignment
from .worklists import LIGHT_LABELS, Lights, callback_labels, with_callback_result, with_lead

MAX_ROWS = 50_000
CHUNK = 2_000
HIDDEN = privacy.HIDDEN

APPEAL_COLUMNS: tuple[tuple[str, int], ...] = (
    ("工单号", 24),
    ("登记时间", 18),
    ("渠道", 12),
    ("类型", 8),
    ("紧急程度", 10),
    ("标题", 36),
    ("分类", 28),
    ("办理方式", 10),
    ("状态", 12),
    ("主办单位", 20),
    ("办结期限", 18),
    ("时限", 8),
    ("纪委督办", 8),
    ("重办次数", 8),
    ("是否解决", 10),
    ("满意度", 10),
    ("联系人", 12),
    ("联系电话", 16),
    ("地点", 30),
)

ASSIGNMENT_COLUMNS: tuple[tuple[str, int], ...] = (
    ("工单号", 24),
    ("标题", 36),
    ("类型", 8),
    ("紧急程度", 10),
    ("承办角色", 8),
    ("派单状态", 12),
    ("诉求状态", 12),
    ("派单时间", 18),
    ("签收期限", 18),
    ("办理期限", 18),
    ("时限", 8),
    ("联系人", 12),
    ("联系电话", 16),
    ("地点", 30),
)


def _time(value: datetime | None) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


def _reporter(appeal: Appeal, hide_confidential: bool) -> tuple[str, str]:
    """As privacy shows it: a masked phone; nothing of a confidential reporter for a department."""
    shown = privacy.Reporter.shown(appeal, hidden=hide_confidential and privacy.is_confidential(appeal))
    return shown.name, shown.phone


def _limited(rows: Iterable[Any], ws: Sheet) -> Iterable[Any]:
    for n, row in enumerate(rows):
        if n >= MAX_ROWS:
            ws.note(f"仅导出前 {MAX_ROWS} 条，请缩小筛选范围后分批导出")
            return
        yield row


def appeals_workbook(qs: QuerySet[Appeal], *, lights: Lights, hide_confidential: bool) -> bytes:
    # the same lead and callback result as the 全部诉求 page shows
    qs = with_callback_result(with_lead(qs.select_related("category", "category__parent")))
    wb = ExcelWriter()
    ws = wb.sheet("诉求", APPEAL_COLUMNS)
    for a in _limited(qs.iterator(chunk_size=CHUNK), ws):
        name, phone = _reporter(a, hide_confidential)
        lead = a.leads[-1].department.name if a.leads else ""
        ws.append(
            [
                a.number,
                _time(a.created_at),
                a.get_channel_display(),
                a.get_appeal_type_display(),
                a.get_urgency_display(),
                a.title,
                str(a.category) if a.category else "",
                a.get_handling_mode_display() if a.handling_mode else "",
                a.get_state_display(),
                lead,
                _time(a.due_at),
                LIGHT_LABELS[lights.appeal(a)],
                "是" if a.red_listed else "",
                a.reopen_count,
                *callback_labels(a),
                name,
                phone,
                a.address,
            ]
        )
    return wb.to_bytes()


def assignments_workbook(qs: QuerySet[Assignment], *, lights: Lights, hide_confidential: bool) -> bytes:
    wb = ExcelWriter()
    ws = wb.sheet("部门收件箱", ASSIGNMENT_COLUMNS)
    for x in _limited(qs.select_related("appeal").iterator(chunk_size=CHUNK), ws):
        a = x.appeal
        name, phone = _reporter(a, hide_confidential)
        ws.append(
            [
                a.number,
                a.title,
                a.get_appeal_type_display(),
                a.get_urgency_display(),
                x.get_role_display(),
                x.get_state_display(),
                a.get_state_display(),
                _time(x.created_at),
                _time(x.sign_due_at),
                _time(x.handle_due_at),
                LIGHT_LABELS[lights.running(x)],
                name,
                phone,
                a.address,
            ]
        )
    return wb.to_bytes()


def response(data: bytes, filename: str) -> FileResponse:
    return xlsx_response(data, filename)
