"""办理轨迹 of an application as staff read it (the page, the exports): each event a step with its
GB/T 39046 业务动作, handler, opinion, start and end.

One rule for who reads what, used by the page and the exports alike: the back office's internal
events (``public=False``: 延长审批, 归档, system checks) and its opinions (审查意见, 特别程序, 决定意见)
are shown only to whoever ``selectors.sees_opinions`` allows — the deciding department and those
who see every department. The window and delivery still see that a step happened and when; a
退回窗口's reason is addressed to the window and stays visible to it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .models import ApplicationEvent
from .workflow import TABLE, ApplicationState

EVENT_KINDS: dict[str, str] = {
    "submit": "提交申请",
    "deferred_overdue": "容缺材料逾期未补交",
    **{spec.code: spec.label for spec in TABLE},
}
# Steps whose note is the back office's opinion, not something said to the window or applicant.
OPINION_ACTIONS = frozenset(
    {"review", "start_special", "end_special", "request_extension", "decide_extension", "decide"}
)
# Internal to the applicant (``public=False``) but addressed to the window, which must act on it.
WINDOW_ADDRESSED = frozenset({"return_to_window"})
HIDDEN_OPINION = "（审批意见仅承办部门可见）"


@dataclass(frozen=True)
class Step:
    event: ApplicationEvent
    action: str
    business_action: str
    who: str
    text: str
    started_at: datetime | None
    from_label: str
    to_label: str


def state_label(code: str) -> str:
    try:
        return str(ApplicationState(code).label)
    except ValueError:
        return ""


def _started(data: dict[str, Any]) -> datetime | None:
    raw = data.get("started_at")
    if isinstance(raw, datetime):
        return raw
    if not raw:
        return None
    try:
        return datetime.fromisoformat(str(raw))
    except ValueError:
        return None


def steps_of(events: Iterable[ApplicationEvent], *, opinions: bool, department: Any = None) -> list[Step]:
    """The steps ``events`` show to a reader who may (``opinions``) or may not read the back
    office's internal steps and opinions."""
    out = []
    for e in events:
        if not e.public and not opinions and e.action not in WINDOW_ADDRESSED:
            continue
        data = e.data or {}
        text = e.note
        if e.action in OPINION_ACTIONS and not opinions and text:
            text = HIDDEN_OPINION
        out.append(
            Step(
                event=e,
                action=EVENT_KINDS.get(e.action, e.action),
                business_action=str(data.get("business_action") or "其他"),
                who=e.actor_label or "系统",
                text=text,
                started_at=_started(data),
                from_label=state_label(e.from_state),
                to_label=state_label(e.to_state),
            )
        )
    return out
