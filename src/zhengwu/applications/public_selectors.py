"""What an applicant may read about an application: a plain state, the PUBLIC steps, the light of
its deadline, its notices and delivery.

The steps are written here from each event's action and data — never from its free-text note or
its actor — so a back-office opinion or a staff name cannot leak even where an event is public
(退回窗口 carries the approver's reason, for instance). The only name shown is the department's,
as on the appeals' public page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from zhengwu.casework.deadlines import LIGHT_LABELS, Lights

from .models import Application, ApplicationEvent, Channel, Decision, SpecialKind
from .workflow import ApplicationState as S

PUBLIC_STATE = {
    S.SUBMITTED: "待预审",
    S.SUPPLEMENT: "待补正",
    S.NOT_ACCEPTED: "不予受理",
    S.ACCEPTED: "已受理",
    S.REVIEWING: "审查中",
    S.RETURNED: "审查中",  # back at the window for a question: to the applicant it is still 审查
    S.SPECIAL: "特别程序中",
    S.DECIDED: "已作出决定",
    S.COMPLETED: "已办结待出件",
    S.CERTIFIED: "已制证待出件",
    S.POSTED: "已寄出",
    S.DELIVERED: "已出件",
    S.ARCHIVED: "已办结",
    S.WITHDRAWN: "已撤回",
}

# What the list shows as the latest step, from the action alone (the list reads no event data).
STEP_WORDS = {
    "submit": "已提交申请",
    "accept": "已受理",
    "refuse": "不予受理",
    "request_supplement": "需补正材料",
    "supply": "已提交补正材料",
    "decide_at_window": "已当场办结",
    "hand_in": "已补交容缺材料",
    "review": "审查中",
    "start_special": "进入特别程序",
    "end_special": "特别程序结束",
    "decide_extension": "审查中",
    "decide": "已作出决定",
    "complete": "已办结",
    "certify": "已制证",
    "hand_over": "已领取",
    "post": "已邮寄",
    "confirm_receipt": "已签收",
    "withdraw": "已撤回",
}


def public_state(application: Application) -> str:
    return PUBLIC_STATE.get(S(application.state), "办理中")


@dataclass(frozen=True)
class Step:
    at: datetime
    text: str
    department: str = ""


def _describe(e: ApplicationEvent, department: str) -> Step | None:
    data = e.data or {}
    match e.action:
        case "submit":
            if data.get("channel") == Channel.WINDOW:
                return Step(e.at, "窗口已接收申请材料", department)
            return Step(e.at, "网上申请已提交，等待窗口预审")
        case "accept":
            return Step(e.at, "已受理，开始计算承诺办结时间", department)
        case "refuse":
            return Step(e.at, "不予受理，理由见《不予受理通知书》", department)
        case "request_supplement":
            n = data.get("round")
            told = f"第{n}次" if isinstance(n, int) else ""
            return Step(e.at, f"需补正材料（{told}一次性告知），请按《补正材料通知书》一次补齐", department)
        case "supply":
            return Step(e.at, "已提交补正材料")
        case "decide_at_window":
            return Step(e.at, "已当场办结", department)
        case "hand_in":
            return Step(e.at, "已补交容缺材料", department)
        case "review":
            return Step(e.at, "审查中", department)
        case "start_special":
            kind = data.get("kind")
            label = SpecialKind(kind).label if kind in SpecialKind.values else "特别程序"
            return Step(e.at, f"进入特别程序（{label}），暂停计时", department)
        case "end_special":
            return Step(e.at, "特别程序结束，恢复计时", department)
        case "decide_extension":
            return Step(e.at, "办理时限已依法延长", department) if data.get("approved") else None
        case "decide":
            decision = data.get("decision")
            label = Decision(decision).label if decision in Decision.values else ""
            return Step(e.at, f"已作出{label}决定" if label else "已作出决定", department)
        case "complete":
            return Step(e.at, "已办结", department)
        case "certify":
            return Step(e.at, "已制证", department)
        case "hand_over":
            return Step(e.at, "办理结果已在窗口领取")
        case "post":
            number = str(data.get("tracking_number") or "")
            return Step(e.at, f"办理结果已邮寄，邮件号{number}" if number else "办理结果已邮寄")
        case "confirm_receipt":
            return Step(e.at, "邮件已签收")
        case "withdraw":
            return Step(e.at, "申请已撤回")
        case _:
            return None  # anything not written for applicants (退回窗口, 延长申请 …) stays off


def public_timeline(application: Application) -> list[Step]:
    """Public events only, each as a plain sentence and at most the department's name."""
    department = application.department.name
    evs = application.events.filter(public=True).order_by("seq").only("at", "action", "data")
    return [s for s in (_describe(e, department) for e in evs) if s is not None]


def with_latest_step(qs: QuerySet[Application]) -> QuerySet[Application]:
    """Each row with its latest public step's action and time, in the list's one query."""
    latest = ApplicationEvent.objects.filter(application=OuterRef("pk"), public=True).order_by("-seq")
    return qs.annotate(
        latest_action=Subquery(latest.values("action")[:1]),
        latest_at=Subquery(latest.values("at")[:1]),
    )


def latest_step(application: Any) -> str:
    return STEP_WORDS.get(getattr(application, "latest_action", "") or "", "办理中")


def light_of(application: Application, lights: Lights) -> str:
    """The deadline light: paused while 补正 or 特别程序 stop the clock, none before acceptance,
    and once decided whether the decision came in time."""
    if application.due_at is None or application.accepted_at is None:
        return ""
    if application.state in (S.WITHDRAWN, S.NOT_ACCEPTED):
        return ""
    if application.paused_since is not None:
        return "paused"
    return lights(application.accepted_at, application.due_at, done_at=application.decided_at)


def light_label(light: str) -> str:
    return LIGHT_LABELS.get(light, "")


def application_by_number(number: str) -> Application | None:
    text = (number or "").strip().upper()
    if not text or len(text) > 50:
        return None
    return Application.objects.select_related("item", "department").filter(number=text).first()
