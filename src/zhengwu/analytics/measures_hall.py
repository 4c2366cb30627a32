"""大厅 (取号叫号) measures and indicators: 取号量, 平均等候, 平均办理 — read from the hall
queue's numbers (hall.QueueTicket), never written; registered on import by measures.py.

A number counts for the department of the item it was taken for (未归属部门 when taken for a kind
of window only, 综合受理 for example), and can be cut by the window that called it, the item and
the way it was taken (取号方式). A number passed on to another window (转移) lives on as a new row
of the same number: 取号量 counts the number once (the row it was taken as), while 等候 and 办理
are counted for every call and every service, the second wait after a transfer included.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db.models import Q

from zhengwu.hall.models import QueueTicket

from . import indicators as ind
from .measures import Measure, Source, register


def _describe_ticket(t: QueueTicket) -> tuple[str, str, str]:
    what = t.item.name if t.item is not None else t.get_window_kind_display()
    return f"{t.day:%Y-%m-%d} {t.number}", f"{what}（{t.get_source_display()}，{t.get_state_display()}）", ""


TICKETS = Source(
    key="queue_ticket",
    label="排队号",
    queryset=lambda: QueueTicket.objects.select_related("item"),
    department="item__department_id",
    dims={"window": "window_id", "item": "item_id", "channel": "source"},
    changed=("updated_at",),
    describe=_describe_ticket,
)


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(int((end - start).total_seconds()), 0)


def wait_seconds(fields: Mapping[str, Any]) -> int | None:
    """等候: from arriving (签到 for an online or appointment number, else 取号) to the call."""
    return _seconds(fields["checked_in_at"] or fields["issued_at"], fields["called_at"])


def service_seconds(fields: Mapping[str, Any]) -> int | None:
    """办理: from the start of service at the window to its end."""
    return _seconds(fields["served_at"], fields["finished_at"])


CALLED = Q(called_at__isnull=False)
SERVED = Q(served_at__isnull=False, finished_at__isnull=False)

register(
    Measure(
        "hall_tickets",
        "取号数",
        TICKETS,
        at="issued_at",
        where=Q(transferred_from__isnull=True),
        unit="个",
        no_dims=("window",),
        definition="取号时间在期间内的排队号（现场、在线取号和预约签到；转移窗口不另计）",
    ),
    Measure(
        "hall_called",
        "叫号数",
        TICKETS,
        at="called_at",
        where=CALLED,
        unit="个",
        definition="叫号时间在期间内的排队号（转移后再次叫号的另计一次）",
    ),
    Measure(
        "hall_wait_seconds",
        "等候时长合计",
        TICKETS,
        at="called_at",
        where=CALLED,
        unit="分钟",
        value=wait_seconds,
        value_fields=("issued_at", "checked_in_at", "called_at"),
        scale=60,
        definition="期间内叫号的排队号从到场（在线取号和预约以签到时间，现场取号以取号时间）到叫号的分钟数之和",
    ),
    Measure(
        "hall_served",
        "办理完成数",
        TICKETS,
        at="finished_at",
        where=SERVED,
        unit="个",
        definition="办结时间在期间内、有开始办理时间的排队号",
    ),
    Measure(
        "hall_service_seconds",
        "办理时长合计",
        TICKETS,
        at="finished_at",
        where=SERVED,
        unit="分钟",
        value=service_seconds,
        value_fields=("served_at", "finished_at"),
        scale=60,
        definition="期间内办结的排队号从窗口开始办理到办结的分钟数之和",
    ),
)

ind.register(
    ind.Indicator(
        "hall_tickets",
        "取号量",
        "大厅",
        "个",
        "hall_tickets",
        definition="期间内在大厅取到的号数（现场取号、在线取号、预约签到）",
        public=True,
    ),
    ind.Indicator(
        "hall_wait",
        "平均等候",
        "大厅",
        "分钟",
        "hall_wait_seconds",
        "hall_called",
        kind="average",
        definition="期间内叫到的号平均等候的分钟数：到场（签到或取号）到叫号",
        higher_is_better=False,
        public=True,
    ),
    ind.Indicator(
        "hall_service",
        "平均办理",
        "大厅",
        "分钟",
        "hall_service_seconds",
        "hall_served",
        kind="average",
        definition="期间内办完的号平均在窗口办理的分钟数：开始办理到办结",
        higher_is_better=False,
    ),
)
