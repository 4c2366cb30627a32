"""The application (办件) lifecycle as data (GB/T 39046, DESIGN §4). ``services`` is the only code
that moves an application along it; pages and the API offer what ``services.available_actions``
lets through, which asks the very question the services ask.

待预审 (online) → 受理 | 不予受理 | 补正 (一次性告知; the clock stops) → 审查 → 决定 (准予 / 不予许可)
→ 办结 → 制证 (when the item produces a licence) → 出件 (自取, or 邮寄 then 签收) → 归档; 撤回 by the
applicant while nothing is decided; 特别程序 (专家评审, 听证, 现场勘查, 公示: the clock stops) and
延长审批 (the limit grows once another approver of the department approves it)."""

from __future__ import annotations

from django.db import models

from zhengwu.casework.transitions import Action, Table, stay, to


class ApplicationState(models.TextChoices):
    SUBMITTED = "submitted", "待预审"
    SUPPLEMENT = "supplement", "待补正"
    NOT_ACCEPTED = "not_accepted", "不予受理"
    ACCEPTED = "accepted", "已受理待审查"
    REVIEWING = "reviewing", "审查中"
    RETURNED = "returned", "退回窗口"
    SPECIAL = "special", "特别程序中"
    DECIDED = "decided", "已决定待办结"
    COMPLETED = "completed", "已办结待出件"
    CERTIFIED = "certified", "已制证待出件"
    POSTED = "posted", "已寄出"
    DELIVERED = "delivered", "已出件"
    ARCHIVED = "archived", "已归档"
    WITHDRAWN = "withdrawn", "已撤回"


S = ApplicationState

# The clock (承诺办结时间) runs in these; it stops in SUPPLEMENT and SPECIAL and ends at DECIDED.
RUNNING_STATES = frozenset({S.ACCEPTED, S.REVIEWING, S.RETURNED})
PAUSED_STATES = frozenset({S.SUPPLEMENT, S.SPECIAL})
# Still the back office's work: the approver's queue.
BACK_OFFICE_STATES = frozenset({S.ACCEPTED, S.REVIEWING, S.SPECIAL, S.DECIDED})
# Waiting for 出件: the delivery window's queue.
DELIVERY_STATES = frozenset({S.COMPLETED, S.CERTIFIED, S.POSTED})
# Nothing decided yet: the applicant may still withdraw.
WITHDRAWABLE_STATES = frozenset({S.SUBMITTED, S.SUPPLEMENT, S.ACCEPTED, S.REVIEWING, S.RETURNED, S.SPECIAL})
FINAL_STATES = frozenset({S.NOT_ACCEPTED, S.ARCHIVED, S.WITHDRAWN})
OPEN_STATES = frozenset(set(S) - {S.NOT_ACCEPTED, S.DELIVERED, S.ARCHIVED, S.WITHDRAWN})

P_ACCEPT = "applications.accept_application"  # 综合受理窗口: intake, 补正, 不予受理, 容缺补交
P_REVIEW = "applications.review_application"  # 后台审批: review, decide, complete, 制证
P_DELIVER = "applications.deliver_application"  # 出件窗口
P_VIEW_ALL = "applications.view_all_applications"  # leaders: every department, read-only

PASS, RETURN, OTHER = "通过", "退回", "其他"

TABLE: Table[ApplicationState] = Table(
    ApplicationState,
    (
        Action("accept", "受理", P_ACCEPT, to(S.ACCEPTED, S.SUBMITTED), business_action=PASS),
        Action("refuse", "不予受理", P_ACCEPT, to(S.NOT_ACCEPTED, S.SUBMITTED), business_action=RETURN),
        Action(
            "request_supplement",
            "一次性告知补正",
            P_ACCEPT,
            to(S.SUPPLEMENT, S.SUBMITTED, S.RETURNED),
            business_action=RETURN,
        ),
        Action(
            "supply",
            "提交补正材料",
            P_ACCEPT,
            {S.SUPPLEMENT: frozenset({S.SUBMITTED, S.REVIEWING})},
            applicant_action=True,
        ),
        Action(
            "decide_at_window",
            "即办（当场决定）",
            P_ACCEPT,
            to(S.COMPLETED, S.ACCEPTED),
            business_action=PASS,
        ),
        Action("hand_in", "补交容缺材料", P_ACCEPT, stay(*RUNNING_STATES, S.SPECIAL, S.DECIDED)),
        Action("forward", "重新提交审查", P_ACCEPT, to(S.REVIEWING, S.RETURNED), business_action=PASS),
        Action(
            "review",
            "开始审查",
            P_REVIEW,
            to(S.REVIEWING, S.ACCEPTED),
            department_action=True,
            business_action=PASS,
        ),
        Action(
            "return_to_window",
            "退回窗口",
            P_REVIEW,
            to(S.RETURNED, S.ACCEPTED, S.REVIEWING),
            department_action=True,
            business_action=RETURN,
        ),
        Action("start_special", "启动特别程序", P_REVIEW, to(S.SPECIAL, S.REVIEWING), department_action=True),
        Action("end_special", "结束特别程序", P_REVIEW, to(S.REVIEWING, S.SPECIAL), department_action=True),
        Action(
            "request_extension",
            "申请延长审批",
            P_REVIEW,
            stay(S.REVIEWING, S.SPECIAL),
            department_action=True,
        ),
        Action(
            "decide_extension", "审批延长申请", P_REVIEW, stay(S.REVIEWING, S.SPECIAL), department_action=True
        ),
        Action(
            "decide",
            "作出决定",
            P_REVIEW,
            to(S.DECIDED, S.REVIEWING),
            department_action=True,
            business_action=PASS,
        ),
        Action(
            "complete",
            "办结",
            P_REVIEW,
            to(S.COMPLETED, S.DECIDED),
            department_action=True,
            business_action=PASS,
        ),
        Action(
            "certify",
            "制证",
            P_REVIEW,
            to(S.CERTIFIED, S.COMPLETED),
            department_action=True,
            business_action=PASS,
        ),
        Action(
            "hand_over",
            "窗口出件",
            P_DELIVER,
            to(S.DELIVERED, S.COMPLETED, S.CERTIFIED),
            business_action=PASS,
        ),
        Action("post", "邮寄出件", P_DELIVER, to(S.POSTED, S.COMPLETED, S.CERTIFIED), business_action=PASS),
        Action("confirm_receipt", "确认签收", P_DELIVER, to(S.DELIVERED, S.POSTED), business_action=PASS),
        Action("archive", "归档", P_DELIVER, to(S.ARCHIVED, S.DELIVERED, S.NOT_ACCEPTED, S.WITHDRAWN)),
        Action(
            "withdraw", "撤回申请", P_ACCEPT, to(S.WITHDRAWN, *WITHDRAWABLE_STATES), applicant_action=True
        ),
    ),
)
