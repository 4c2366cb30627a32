"""What a citizen may read about their appeal: a plain state, the PUBLIC timeline, the reply once
it was approved, and their own attachments.

The timeline is written here from each event's action and data — never from its free-text note
or its actor — so a staff name or an internal remark cannot leak even when an event is public.
The only names shown are departments'."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from zhengwu.org.models import Department

from .models import Appeal, AppealEvent, Assignment, Attachment, Channel, Satisfaction
from .workflow import AppealState as S

PUBLIC_STATE = {
    S.REGISTERED: "已受理，正在分办",
    S.TRIAGED: "已受理，正在分办",
    S.DISPATCHED: "已转交承办部门",
    S.RETURNED: "正在重新分办",
    S.IN_PROGRESS: "办理中",
    S.REPLY_REVIEW: "办理中",
    S.REPLIED: "已答复，等待回访",
    S.CLOSED: "已办结",
    S.ARCHIVED: "已办结",
    S.MERGED: "已与相同诉求合并办理",
}
DONE_STATES = frozenset({S.CLOSED, S.ARCHIVED})


def public_state(appeal: Appeal) -> str:
    return PUBLIC_STATE.get(S(appeal.state), "办理中")


@dataclass(frozen=True)
class Step:
    at: datetime
    text: str
    department: str = ""


def _local(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return ""
    if not isinstance(value, datetime):
        return ""
    return f"{timezone.localtime(value):%Y年%m月%d日 %H:%M}"


def _describe(e: AppealEvent, dept: dict[int, str], by_assignment: dict[int, str]) -> Step | None:
    data = e.data or {}

    def name(pk: Any) -> str:
        return dept.get(int(pk), "") if str(pk).isdigit() else ""

    match e.action:
        case "register":
            channel = data.get("channel", "")
            label = Channel(channel).label if channel in Channel.values else ""
            return Step(e.at, f"诉求已受理登记（{label}）" if label else "诉求已受理登记")
        case "answer":
            return Step(e.at, "已直接答复并办结")
        case "merge":
            return Step(e.at, "与相同诉求合并办理")
        case "merged_in":
            return Step(e.at, "有相同诉求并入本工单一并办理")
        case "dispatch":
            lead = name(data.get("lead"))
            co = [n for n in (name(pk) for pk in data.get("co", [])) if n]
            text = "已转交承办部门办理" + (f"（协办：{'、'.join(co)}）" if co else "")
            return Step(e.at, text, lead)
        case "sign":
            return Step(
                e.at, "承办部门已签收，正在办理", by_assignment.get(int(data.get("assignment", 0)), "")
            )
        case "co_sign":
            return Step(e.at, "协办部门已签收", by_assignment.get(int(data.get("assignment", 0)), ""))
        case "redispatch":
            role = "协办" if data.get("role") == Assignment.Role.CO else "承办"
            return Step(e.at, f"已改由新的{role}部门办理", name(data.get("to")))
        case "decide_extension":
            if not data.get("approved"):
                return None  # the request itself is internal; so is a refusal
            until = _local(data.get("requested"))
            return Step(e.at, f"办理期限延长至{until}" if until else "办理期限已延长")
        case "approve_reply":
            return Step(e.at, "已答复")
        case "callback":
            if e.to_state == S.CLOSED:
                return Step(e.at, "回访完成，已办结")
            if e.to_state == S.IN_PROGRESS:
                return Step(e.at, "回访后重新办理")
            return None
        case "close":
            return Step(e.at, "已办结")
        case "rate":
            level = data.get("level")
            label = Satisfaction(level).label if level in Satisfaction.values else ""
            return Step(e.at, f"您已评价：{label}" if label else "您已评价")
        case _:
            return None  # anything not written for citizens stays off their page


def public_timeline(appeal: Appeal) -> list[Step]:
    """Public events only, each as a plain sentence and at most a department name. Three queries
    whatever the length of the history."""
    evs = list(appeal.events.filter(public=True).order_by("seq").only("at", "action", "data", "to_state"))
    dept_ids: set[int] = set()
    for e in evs:
        data = e.data or {}
        for key in ("lead", "to"):
            if str(data.get(key, "")).isdigit():
                dept_ids.add(int(data[key]))
        dept_ids.update(int(pk) for pk in data.get("co", []) if str(pk).isdigit())
    by_assignment = dict(appeal.assignments.values_list("pk", "department__name"))
    dept = dict(Department.objects.filter(pk__in=dept_ids).values_list("pk", "name")) if dept_ids else {}
    return [s for s in (_describe(e, dept, by_assignment) for e in evs) if s is not None]


@dataclass(frozen=True)
class Reply:
    at: datetime
    text: str


def public_replies(appeal: Appeal) -> list[Reply]:
    """Replies the citizen has been given, oldest first: each approved reply (as it was approved —
    a reply being reworked after a reopening is not shown until approved) or the on-the-spot answer."""
    out = []
    for e in appeal.events.filter(action__in=["approve_reply", "answer"]).order_by("seq"):
        text = (e.data or {}).get("reply") if e.action == "approve_reply" else appeal.reply
        if text:
            out.append(Reply(e.at, text))
    return out


def citizen_attachments(appeal: Appeal) -> QuerySet[Attachment]:
    """What the citizen may download: what they sent, and the reply's attachments uploaded before
    the last approved reply (a reply still under review keeps its files to itself)."""
    last_reply = (
        appeal.events.filter(action__in=["approve_reply", "answer"])
        .order_by("-seq")
        .values_list("at", flat=True)
        .first()
    )
    visible = Q(purpose="intake")
    if last_reply is not None:
        visible |= Q(purpose="reply", at__lte=last_reply)
    return appeal.attachments.filter(visible)


def appeal_by_number(number: str) -> Appeal | None:
    return Appeal.objects.filter(number=(number or "").strip().upper()).first()
