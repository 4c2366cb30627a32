"""The appeal lifecycle as data: states, actions, which state each action may start from and may
lead to, and which permission it needs, read through the shared transition table
(casework/transitions.py). The services are the only readers that change state; pages and the
API read it, through ``services.available_actions``, to show only the actions that can succeed.

受理登记 → 研判分类 → 分办转办 → 限时办结 → 催办督办 → 反馈评价 → 问题清零
"""

from __future__ import annotations

from django.db import models

from zhengwu.casework.transitions import Action, Table
from zhengwu.casework.transitions import stay as _stay
from zhengwu.casework.transitions import to as _to


class AppealState(models.TextChoices):
    REGISTERED = "registered", "待研判"
    TRIAGED = "triaged", "待派单"
    DISPATCHED = "dispatched", "待签收"
    RETURNED = "returned", "退单待审"
    IN_PROGRESS = "in_progress", "办理中"
    REPLY_REVIEW = "reply_review", "答复待审核"
    REPLIED = "replied", "已答复待回访"
    CLOSED = "closed", "已办结"
    ARCHIVED = "archived", "已归档"
    MERGED = "merged", "已并单"


class AssignmentState(models.TextChoices):
    PENDING = "pending", "待签收"
    SIGNED = "signed", "办理中"
    RETURNED = "returned", "已退单"
    SUBMITTED = "submitted", "已提交协办意见"
    DONE = "done", "已完成"
    CANCELLED = "cancelled", "已改派"


S = AppealState
# Open = still someone's work; the 问题清零 board counts these.
OPEN_STATES = frozenset(
    {S.REGISTERED, S.TRIAGED, S.DISPATCHED, S.RETURNED, S.IN_PROGRESS, S.REPLY_REVIEW, S.REPLIED}
)
HANDLING_STATES = frozenset({S.DISPATCHED, S.IN_PROGRESS, S.RETURNED, S.REPLY_REVIEW})


P_TRIAGE = "appeals.triage_appeal"
P_DISPATCH = "appeals.dispatch_appeal"
P_HANDLE = "appeals.handle_appeal"
P_CALLBACK = "appeals.callback_appeal"
P_SUPERVISE = "appeals.supervise_appeal"

TABLE: Table[AppealState] = Table(
    AppealState,
    (
        Action("triage", "研判分类", P_TRIAGE, _to(S.TRIAGED, S.REGISTERED, S.TRIAGED)),
        Action("answer", "咨询导办（直接答复办结）", P_TRIAGE, _to(S.CLOSED, S.REGISTERED, S.TRIAGED)),
        Action("merge", "并单", P_TRIAGE, _to(S.MERGED, S.REGISTERED, S.TRIAGED)),
        Action("dispatch", "派单", P_DISPATCH, _to(S.DISPATCHED, S.TRIAGED)),
        Action("sign", "签收", P_HANDLE, _to(S.IN_PROGRESS, S.DISPATCHED), department_action=True),
        Action("return", "退单", P_HANDLE, _to(S.RETURNED, S.DISPATCHED), department_action=True),
        Action(
            "co_sign",
            "协办签收",
            P_HANDLE,
            _stay(S.DISPATCHED, S.IN_PROGRESS, S.REPLY_REVIEW),
            department_action=True,
        ),
        Action("co_return", "协办退单", P_HANDLE, _stay(S.DISPATCHED, S.IN_PROGRESS), department_action=True),
        Action(
            "co_submit",
            "提交协办意见",
            P_HANDLE,
            _stay(S.DISPATCHED, S.IN_PROGRESS, S.REPLY_REVIEW),
            department_action=True,
        ),
        Action(
            "redispatch",
            "改派",
            P_DISPATCH,
            {S.RETURNED: frozenset({S.DISPATCHED}), **_stay(S.DISPATCHED, S.IN_PROGRESS)},
        ),
        Action(
            "reject_return",
            "驳回退单",
            P_DISPATCH,
            {S.RETURNED: frozenset({S.DISPATCHED}), **_stay(S.DISPATCHED, S.IN_PROGRESS)},
        ),
        Action(
            "request_extension",
            "申请延期",
            P_HANDLE,
            _stay(S.DISPATCHED, S.IN_PROGRESS),
            department_action=True,
        ),
        Action(
            "decide_extension", "审核延期", P_DISPATCH, _stay(S.DISPATCHED, S.IN_PROGRESS, S.REPLY_REVIEW)
        ),
        Action("note", "记录办理过程", P_HANDLE, _stay(S.IN_PROGRESS), department_action=True),
        Action("reply", "提交答复", P_HANDLE, _to(S.REPLY_REVIEW, S.IN_PROGRESS), department_action=True),
        Action("approve_reply", "审核通过并答复诉求人", P_DISPATCH, _to(S.REPLIED, S.REPLY_REVIEW)),
        Action("rework_reply", "退回重新答复", P_DISPATCH, _to(S.IN_PROGRESS, S.REPLY_REVIEW)),
        Action("callback", "回访", P_CALLBACK, {S.REPLIED: frozenset({S.REPLIED, S.CLOSED, S.IN_PROGRESS})}),
        Action("close", "办结", P_CALLBACK, _to(S.CLOSED, S.REPLIED)),
        Action("archive", "归档", P_DISPATCH, _to(S.ARCHIVED, S.CLOSED)),
        Action("urge", "催办", P_SUPERVISE, _stay(*HANDLING_STATES)),
        Action("supervise", "督办", P_SUPERVISE, _stay(*HANDLING_STATES, S.REPLIED)),
    ),
)
# The table read by code (``ACTIONS["triage"].label``, ``for code in ACTIONS``) and the one question
# every reader asks of it, both the shared reader's (casework/transitions.py).
ACTIONS: dict[str, Action[AppealState]] = TABLE.actions
allowed_from = TABLE.allowed_from
