"""办理轨迹 as staff read it on the appeal page: every event a sentence in Chinese.

The stored note is part of the hash-chained history and stays as it was written; it is shown as
it is except where it carries an internal code. 催办 is written from the event's data: the limit
and the light that triggered it (``sign-yellow`` → 签收临期（黄灯）), or a person's urging (the
``manual-…`` tag is a uniqueness key, not something to read)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .models import AppealEvent
from .workflow import ACTIONS, AppealState

# Every kind of event the services write: the transition table's actions and the few events that
# are not transitions. A kind missing here would show its code, and the timeline test walks them all.
EVENT_KINDS: dict[str, str] = {
    "register": "受理登记",
    "merged_in": "并入重复诉求",
    "recalculate": "重新计算期限",
    "rate": "诉求人评价",
    **{code: spec.label for code, spec in ACTIONS.items()},
}

LIMITS = {"sign": "签收", "handle": "办理"}
LIGHTS = {"yellow": "临期（黄灯）", "red": "超期（红灯）"}
_AUTOMATIC = re.compile(r"^(?:(?P<limit>sign|handle)-)?(?P<light>yellow|red)(?:-e(?P<extended>\d+))?$")


@dataclass(frozen=True)
class TimelineRow:
    event: AppealEvent
    who: str
    action: str
    from_label: str
    to_label: str
    text: str


def state_label(code: str) -> str:
    try:
        return str(AppealState(code).label)
    except ValueError:
        return "—"


def urge_sentence(event: AppealEvent, department: str) -> str:
    """催办 in words: which limit's light triggered the automatic urging, or a person's urging
    with the note they gave."""
    data = event.data or {}
    threshold = str(data.get("threshold", ""))
    target = department or "承办单位"
    automatic = _AUTOMATIC.match(threshold)
    if automatic:
        limit = ("延期后" if automatic["extended"] else "") + LIMITS.get(automatic["limit"] or "", "")
        return f"{limit}{LIGHTS[automatic['light']]}，系统自动催办{target}"
    comment = str(data.get("note") or data.get("comment") or "").strip()
    if not comment:
        # A note typed by the person urging follows "催办<department>：" (older events stored the
        # tag there instead, which is not shown).
        _, sep, rest = (event.note or "").partition("：")
        comment = rest.strip() if sep and rest.strip() not in (threshold, "临近期限", "已超期") else ""
    return f"人工催办{target}" + (f"：{comment}" if comment else "")


def describe(event: AppealEvent, departments_by_assignment: Mapping[int, str]) -> str:
    """The 说明 column: the stored note, except for events whose note carries internal codes."""
    if event.action == "urge":
        pk = str((event.data or {}).get("assignment", ""))
        department = departments_by_assignment.get(int(pk), "") if pk.isdigit() else ""
        return urge_sentence(event, department)
    return event.note


def who(event: AppealEvent, *, hide_reporter: bool) -> str:
    """The timeline's "who": the recorded label, or 诉求人 for the reporter of an appeal whose
    reporter is hidden from the reader (``privacy``)."""
    if hide_reporter and event.actor_id is not None and event.actor is not None and not event.actor.is_staff:
        return "诉求人"
    return event.actor_label or "系统"


def staff_timeline(
    events: Iterable[AppealEvent], *, hide_reporter: bool, departments_by_assignment: Mapping[int, str]
) -> list[TimelineRow]:
    rows = []
    for e in events:
        rows.append(
            TimelineRow(
                e,
                who(e, hide_reporter=hide_reporter),
                EVENT_KINDS.get(e.action, "其他操作"),
                state_label(e.from_state) if e.from_state else "",
                state_label(e.to_state) if e.to_state else "",
                describe(e, departments_by_assignment),
            )
        )
    return rows
