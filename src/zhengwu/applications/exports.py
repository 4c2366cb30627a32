"""The 办件 data set (GB/T 39046) of the list the user filtered, for staff and for the provincial
platform: one row per application and one per step (环节), as Excel (sheets 办件 and 办理环节,
through ``core.excel.ExcelWriter``, so no cell is ever a formula) and as JSON with the same names.

The caller passes a queryset already scoped to what the user may see. Identity numbers are
masked unless the user may see personal data; the back office's internal steps and opinions are
left out for whoever ``selectors.sees_opinions`` says may not read them (the window, delivery),
exactly as the application page leaves them out. Rows are streamed, at most ``MAX_ROWS``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import FileResponse
from django.utils import timezone

from zhengwu.casework import deadlines
from zhengwu.core.excel import Column, ExcelWriter, xlsx_response
from zhengwu.core.validators import mask_id_number

from .models import Application, ApplicationEvent, BundleApplication, BundleState, Delivery
from .selectors import sees_opinions
from .timeline import Step, steps_of
from .worklists import LIGHT_LABELS, Lights

MAX_ROWS = 50_000
CHUNK = 500
P_PERSONAL = "accounts.view_personal_data"

APPLICATION_COLUMNS: tuple[Column, ...] = (
    Column("办件编号", 24, text=True),
    Column("事项编码", 34, text=True),
    Column("事项名称", 30),
    Column("受理部门", 20),
    Column("申请人类型", 10),
    Column("申请人名称", 20),
    Column("申请人证件号码", 22, text=True),
    Column("申请方式", 12),
    Column("申请时间", 18),
    Column("受理时间", 18),
    Column("受理人", 12),
    Column("承诺办结时间", 18),
    Column("办结时间", 18),
    Column("办理结果", 10),
    Column("结果文号", 24, text=True),
    Column("出件方式", 10),
    Column("状态", 14),
    Column("时限", 10),
)
STEP_COLUMNS: tuple[Column, ...] = (
    Column("办件编号", 24, text=True),
    Column("序号", 6),
    Column("环节", 16),
    Column("业务动作", 10),
    Column("办理人", 14),
    Column("办理意见", 50),
    Column("开始时间", 18),
    Column("结束时间", 18),
)


def _time(value: datetime | None) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M:%S}" if value else ""


@dataclass(frozen=True)
class Row:
    """One application of the data set, in the GB/T 39046 names."""

    values: dict[str, str]
    steps: list[dict[str, Any]]


def _delivery(a: Application) -> Delivery | None:
    try:
        return a.delivery
    except Delivery.DoesNotExist:
        return None


def rows(qs: QuerySet[Application], *, user: Any, lights: Lights) -> Iterator[Row]:
    """The data set's rows, in the order of ``qs``, each with its steps."""
    personal = bool(user.has_perm(P_PERSONAL))
    events = ApplicationEvent.objects.select_related(None).order_by("seq")
    qs = qs.select_related("item", "department", "accepted_by", "delivery").prefetch_related(
        Prefetch("events", queryset=events, to_attr="ordered_events")
    )
    for n, a in enumerate(qs.iterator(chunk_size=CHUNK)):
        if n >= MAX_ROWS:
            return
        delivery = _delivery(a)
        method = delivery.get_method_display() if delivery else a.get_delivery_method_display()
        values = {
            "办件编号": a.number,
            "事项编码": a.item.implementation_code,
            "事项名称": a.item.name,
            "受理部门": a.department.name,
            "申请人类型": a.get_applicant_kind_display(),
            "申请人名称": a.applicant_name,
            "申请人证件号码": a.applicant_code if personal else mask_id_number(a.applicant_code),
            "申请方式": a.get_channel_display(),
            "申请时间": _time(a.submitted_at),
            "受理时间": _time(a.accepted_at),
            "受理人": a.accepted_by.display_name if a.accepted_by else "",
            "承诺办结时间": _time(a.due_at),
            "办结时间": _time(a.completed_at),
            "办理结果": a.get_decision_display() if a.decision else "",
            "结果文号": a.result_number,
            "出件方式": method,
            "状态": a.get_state_display(),
            "时限": LIGHT_LABELS[lights.application(a)],
        }
        steps = [
            _step(s)
            for s in steps_of(a.ordered_events, opinions=sees_opinions(user, a), department=a.department)
        ]
        yield Row(values, steps)


def _step(s: Step) -> dict[str, Any]:
    return {
        "序号": s.event.seq,
        "环节": s.action,
        "业务动作": s.business_action,
        "办理人": s.who,
        "办理意见": s.text,
        "开始时间": _time(s.started_at),
        "结束时间": _time(s.event.at),
    }


def workbook(qs: QuerySet[Application], *, user: Any, lights: Lights) -> bytes:
    wb = ExcelWriter()
    main = wb.sheet("办件", APPLICATION_COLUMNS, auto_filter=True)
    steps = wb.sheet("办理环节", STEP_COLUMNS, auto_filter=True)
    count = 0
    for row in rows(qs, user=user, lights=lights):
        count += 1
        main.append([row.values[c.header] for c in APPLICATION_COLUMNS])
        for s in row.steps:
            steps.append([row.values["办件编号"], *(s[c.header] for c in STEP_COLUMNS[1:])])
    if count >= MAX_ROWS:
        main.note(f"仅导出前 {MAX_ROWS} 条，请缩小筛选范围后分批导出")
    return wb.to_bytes()


def dataset(qs: QuerySet[Application], *, user: Any, lights: Lights) -> list[dict[str, Any]]:
    """The same rows for JSON: each application's fields with its steps under 办理环节."""
    return [{**row.values, "办理环节": row.steps} for row in rows(qs, user=user, lights=lights)]


def response(data: bytes, filename: str) -> FileResponse:
    return xlsx_response(data, filename)


# ---------------------------------------------------------------------------------------------
# 一件事办件: one row per bundle application, one per child (子办件)
# ---------------------------------------------------------------------------------------------

BUNDLE_COLUMNS: tuple[Column, ...] = (
    Column("一件事办件编号", 24, text=True),
    Column("一件事", 24),
    Column("牵头部门", 20),
    Column("申请人类型", 10),
    Column("申请人名称", 20),
    Column("申请人证件号码", 22, text=True),
    Column("申请方式", 12),
    Column("申请时间", 18),
    Column("受理时间", 18),
    Column("承诺办结时间", 18),
    Column("办结时间", 18),
    Column("出件时间", 18),
    Column("出件方式", 10),
    Column("事项数", 8),
    Column("状态", 14),
    Column("时限", 10),
)
BUNDLE_CHILD_COLUMNS: tuple[Column, ...] = (
    Column("一件事办件编号", 24, text=True),
    Column("办件编号", 24, text=True),
    Column("事项名称", 30),
    Column("受理部门", 20),
    Column("前置事项", 24),
    Column("承诺办结时间", 18),
    Column("办结时间", 18),
    Column("办理结果", 10),
    Column("状态", 14),
    Column("时限", 10),
)


def bundle_light(parent: BundleApplication, lights: deadlines.Lights) -> str:
    """The bundle application's light: from 受理 to its promised time while in progress, then
    whether it was done (办结) in time; nothing before 受理 and for what was not accepted."""
    if parent.accepted_at is None or parent.due_at is None:
        return ""
    if parent.state == BundleState.IN_PROGRESS:
        return lights(parent.accepted_at, parent.due_at)
    if parent.completed_at is not None:
        return lights(parent.accepted_at, parent.due_at, done_at=parent.completed_at)
    return ""


def bundle_workbook(qs: QuerySet[BundleApplication], *, user: Any, lights: Lights) -> bytes:
    """The bundle applications of ``qs`` (already scoped to the user) in two sheets, 一件事办件 and
    子办件; identity numbers masked unless the user may see personal data."""
    personal = bool(user.has_perm(P_PERSONAL))
    children = Application.objects.select_related("item", "department", "waits_for__item").order_by("id")
    qs = qs.select_related("bundle__lead_department").prefetch_related(
        Prefetch("children", queryset=children, to_attr="ordered_children")
    )
    wb = ExcelWriter()
    main = wb.sheet("一件事办件", BUNDLE_COLUMNS, auto_filter=True)
    kids = wb.sheet("子办件", BUNDLE_CHILD_COLUMNS, auto_filter=True)
    for n, parent in enumerate(qs.iterator(chunk_size=CHUNK)):
        if n >= MAX_ROWS:
            main.note(f"仅导出前 {MAX_ROWS} 条，请缩小筛选范围后分批导出")
            break
        code = parent.applicant_code if personal else mask_id_number(parent.applicant_code)
        main.append(
            [
                parent.number,
                parent.bundle.name,
                parent.bundle.lead_department.name,
                parent.get_applicant_kind_display(),
                parent.applicant_name,
                code,
                parent.get_channel_display(),
                _time(parent.submitted_at),
                _time(parent.accepted_at),
                _time(parent.due_at),
                _time(parent.completed_at),
                _time(parent.delivered_at),
                parent.get_delivery_method_display(),
                len(parent.ordered_children),
                parent.get_state_display(),
                LIGHT_LABELS[bundle_light(parent, lights)],
            ]
        )
        for c in parent.ordered_children:
            kids.append(
                [
                    parent.number,
                    c.number,
                    c.item.name,
                    c.department.name,
                    c.waits_for.item.name if c.waits_for is not None else "",
                    _time(c.due_at),
                    _time(c.completed_at),
                    c.get_decision_display() if c.decision else "",
                    c.get_state_display(),
                    LIGHT_LABELS[lights.application(c)],
                ]
            )
    return wb.to_bytes()
