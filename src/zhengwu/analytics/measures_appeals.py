"""12345 measures and indicators (DESIGN.md §5, §9); registered on import by measures.py.

Which department a record counts for:

- an appeal (受理, 办结, 重办, 清零) and its 回访: the latest 主办 assignment's department, open or
  finished (a redispatched appeal counts for the department it was last sent to), else — an appeal
  answered on the spot (咨询导办) or not dispatched yet — the department of the staff member who
  registered it, else 未归属部门 (0). This is the department the 好差评 part holds responsible for the
  appeal's rating (ratings.services.matter_of), so the two parts never disagree;
- a 派单 (签收, 退单, 延期) and its 催办: the department it was sent to, 主办 or 协办.

Per-assignment measures place an assignment on the day it was dispatched (派单时间, which never
moves), so a later 签收, 退单 or approved 延期 re-rolls that day only; their rates are over the
assignments dispatched in the period, and an assignment not signed yet counts as not signed on time.
"""

from __future__ import annotations

from django.db.models import BigIntegerField, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse

from zhengwu.appeals.models import Appeal, Assignment, Callback, Extension, Satisfaction, Solved, Urge
from zhengwu.appeals.workflow import AppealState
from zhengwu.triage.models import HotIssue, HotIssueStatus

from . import indicators as ind
from .measures import Measure, Source, register

F12345 = "12345"
DEPARTMENT = "analytics_department_id"


def _department_of(appeal_id: str, appeal: str) -> Coalesce:
    """The department an appeal counts for (see the module's docstring): ``appeal_id`` is the path
    of the appeal's id, ``appeal`` the path prefix of its columns ("" for the appeal itself). One
    correlated look-up on the assignments' appeal index."""
    lead = (
        Assignment.objects.filter(appeal=OuterRef(appeal_id), role=Assignment.Role.LEAD)
        .order_by("-created_at", "-pk")
        .values("department_id")[:1]
    )
    return Coalesce(
        Subquery(lead), F(f"{appeal}registered_by__department_id"), output_field=BigIntegerField()
    )


def _appeals() -> QuerySet[Appeal]:
    return Appeal.objects.annotate(**{DEPARTMENT: _department_of("pk", "")})


def _callbacks() -> QuerySet[Callback]:
    return Callback.objects.select_related("appeal").annotate(
        **{DEPARTMENT: _department_of("appeal_id", "appeal__")}
    )


def _hot_issues() -> QuerySet[HotIssue]:
    return HotIssue.objects.annotate(**{DEPARTMENT: _department_of("task_id", "task__")})


def _describe_appeal(a: Appeal) -> tuple[str, str, str]:
    return a.number, a.title, reverse("appeals:detail", args=[a.pk])


APPEALS = Source(
    key="appeal",
    label="12345诉求",
    queryset=_appeals,
    department=DEPARTMENT,
    dims={
        "channel": "channel",
        "type": "appeal_type",
        "category": "category_id",
        "staff": "registered_by_id",
    },
    changed=("updated_at",),
    history="events__at",
    describe=_describe_appeal,
)

ASSIGNMENTS = Source(
    key="appeal_assignment",
    label="12345派单",
    queryset=lambda: Assignment.objects.select_related("appeal"),
    department="department_id",
    dims={
        "channel": "appeal__channel",
        "type": "appeal__appeal_type",
        "category": "appeal__category_id",
    },
    # Every change of an assignment (签收, 退单, 驳回, 改派, approved 延期, 办结) saves updated_at;
    # its measures all sit on created_at, which never moves, so no history is needed.
    changed=("updated_at",),
    describe=lambda a: (
        a.appeal.number,
        f"{a.get_role_display()}：{a.appeal.title}",
        reverse("appeals:detail", args=[a.appeal_id]),
    ),
)

CALLBACKS = Source(
    key="appeal_callback",
    label="12345回访",
    queryset=_callbacks,
    department=DEPARTMENT,
    dims={
        "channel": "appeal__channel",
        "type": "appeal__appeal_type",
        "category": "appeal__category_id",
        "staff": "by_id",
    },
    changed=("at",),  # a callback is never edited
    describe=lambda c: (c.appeal.number, c.appeal.title, reverse("appeals:detail", args=[c.appeal_id])),
)

URGES = Source(
    key="appeal_urge",
    label="12345催办",
    queryset=lambda: Urge.objects.select_related("assignment__appeal"),
    department="assignment__department_id",
    dims={
        "channel": "assignment__appeal__channel",
        "type": "assignment__appeal__appeal_type",
        "category": "assignment__appeal__category_id",
    },
    changed=("at",),  # sent once per assignment and threshold, never edited
    describe=lambda u: (
        u.assignment.appeal.number,
        u.assignment.appeal.title,
        reverse("appeals:detail", args=[u.assignment.appeal_id]),
    ),
)

HOT_ISSUES = Source(
    key="hot_issue",
    label="热点问题",
    queryset=_hot_issues,
    department=DEPARTMENT,
    dims={"category": "task__category_id"},
    # Only issues acted on are counted: they are kept for good (a pending issue is replaced by each
    # day's computation and pruned after two weeks, so it is no event to add up).
    changed=("tasked_at",),
    describe=lambda h: (f"热点#{h.pk}", h.description, reverse("triage:hotspot_detail", args=[h.pk])),
)

# The threshold tags of automatic urging (services.urge_threshold: sign-yellow, handle-red-e2 …)
# and a person's plain "yellow"/"red".
YELLOW = Q(threshold="yellow") | Q(threshold__endswith="-yellow") | Q(threshold__contains="-yellow-")
RED = Q(threshold="red") | Q(threshold__endswith="-red") | Q(threshold__contains="-red-")
CLEARED_STATES = [AppealState.CLOSED, AppealState.ARCHIVED, AppealState.MERGED]
SATISFIED = [Satisfaction.VERY_SATISFIED, Satisfaction.SATISFIED, Satisfaction.BASICALLY]
APPROVED_EXTENSION = Exists(
    Extension.objects.filter(assignment=OuterRef("pk"), state=Extension.State.APPROVED)
)
LEAD = Q(role=Assignment.Role.LEAD)

register(
    # 诉求
    Measure(
        "appeal_received",
        "诉求受理件数",
        APPEALS,
        at="created_at",
        definition="登记时间在期间内的诉求（各渠道，含后来并单的重复诉求）",
    ),
    Measure(
        "appeal_cleared",
        "受理后已清零件数",
        APPEALS,
        at="created_at",
        where=Q(state__in=CLEARED_STATES),
        definition="登记时间在期间内、现已办结、归档或并入原诉求的诉求",
    ),
    Measure(
        "appeal_closed",
        "诉求办结件数",
        APPEALS,
        at="closed_at",
        where=Q(closed_at__isnull=False),
        no_dims=("staff",),
        definition="办结时间在期间内的诉求（回访满意办结、未联系上办结或咨询导办当场答复办结）",
    ),
    Measure(
        "appeal_closed_on_time",
        "按时办结件数",
        APPEALS,
        at="closed_at",
        where=Q(closed_at__isnull=False) & (Q(due_at__isnull=True) | Q(replied_at__lte=F("due_at"))),
        no_dims=("staff",),
        definition="办结时间在期间内、答复时间不晚于办结期限（含经批准的延期）的诉求；咨询导办当场答复的计为按时",
    ),
    Measure(
        "appeal_closed_reopened",
        "办结件中重办件数",
        APPEALS,
        at="closed_at",
        where=Q(closed_at__isnull=False, reopen_count__gt=0),
        no_dims=("staff",),
        definition="办结时间在期间内、回访不满意或未解决而重办过至少一次的诉求",
    ),
    # 派单
    Measure(
        "assignment_dispatched",
        "派单数",
        ASSIGNMENTS,
        at="created_at",
        definition="派出时间在期间内的派单（主办和协办各计一单，改派另计一单）",
    ),
    Measure(
        "assignment_signed_on_time",
        "按时签收派单数",
        ASSIGNMENTS,
        at="created_at",
        where=Q(signed_at__isnull=False, signed_at__lte=F("sign_due_at")),
        definition="派出时间在期间内、在签收期限内签收的派单",
    ),
    Measure(
        "assignment_returned",
        "退单派单数",
        ASSIGNMENTS,
        at="created_at",
        where=~Q(return_reason=""),
        definition="派出时间在期间内、被承办部门退单的派单（退单后改派或被驳回的都计入）",
    ),
    Measure(
        "assignment_extended",
        "延期派单数",
        ASSIGNMENTS,
        at="created_at",
        where=Q(APPROVED_EXTENSION),
        definition="派出时间在期间内、有经批准的延期申请的派单",
    ),
    Measure(
        "lead_dispatched",
        "主办派单数",
        ASSIGNMENTS,
        at="created_at",
        where=LEAD,
        definition="派出时间在期间内的主办派单",
    ),
    Measure(
        "lead_signed_on_time",
        "按时签收主办派单数",
        ASSIGNMENTS,
        at="created_at",
        where=LEAD & Q(signed_at__isnull=False, signed_at__lte=F("sign_due_at")),
        definition="派出时间在期间内、在签收期限内签收的主办派单",
    ),
    # 回访
    Measure(
        "callback_reached",
        "回访联系上次数",
        CALLBACKS,
        at="at",
        where=Q(reached=True),
        definition="回访时间在期间内、联系上诉求人的回访（重办后的再次回访另计一次）",
    ),
    Measure(
        "callback_solved",
        "回访已解决次数",
        CALLBACKS,
        at="at",
        where=Q(reached=True, solved=Solved.SOLVED),
        definition="回访时间在期间内、诉求人答复“已解决”的回访（部分解决不计）",
    ),
    Measure(
        "callback_satisfied",
        "回访满意次数",
        CALLBACKS,
        at="at",
        where=Q(reached=True, satisfaction__in=SATISFIED),
        definition="回访时间在期间内、诉求人答复非常满意、满意或基本满意的回访",
    ),
    # 催办（红黄灯）
    Measure(
        "urge_yellow",
        "黄灯催办次数",
        URGES,
        at="at",
        where=YELLOW,
        definition="期间内发出的临近期限（黄灯）催办，每一派单的每一期限只计一次",
    ),
    Measure(
        "urge_red",
        "红灯催办次数",
        URGES,
        at="at",
        where=RED,
        definition="期间内发出的已超期（红灯）催办，每一派单的每一期限只计一次",
    ),
    # 热点
    Measure(
        "hot_tasked",
        "热点转主动治理数",
        HOT_ISSUES,
        at="tasked_at",
        where=Q(status=HotIssueStatus.TASKED, tasked_at__isnull=False),
        definition="期间内经研判生成主动治理任务（未诉先办）的热点问题",
    ),
)


def _rate(key: str, name: str, num: str, den: str, definition: str, **kwargs: bool) -> ind.Indicator:
    return ind.rate(F12345, key, name, num, den, definition, **kwargs)


ind.register(
    ind.Indicator(
        "appeal_received",
        "诉求受理量",
        F12345,
        "件",
        "appeal_received",
        definition="期间内登记受理的诉求件数，可按渠道、诉求类型、诉求分类细分",
        public=True,
    ),
    ind.Indicator(
        "appeal_closed",
        "诉求办结量",
        F12345,
        "件",
        "appeal_closed",
        definition="期间内办结的诉求件数",
        public=True,
    ),
    _rate(
        "appeal_on_time_rate",
        "诉求按时办结率",
        "appeal_closed_on_time",
        "appeal_closed",
        "期间内办结的诉求中，答复时间不晚于办结期限（含经批准的延期）的比例",
        public=True,
    ),
    _rate(
        "appeal_sign_rate",
        "按时签收率",
        "assignment_signed_on_time",
        "assignment_dispatched",
        "期间内派出的派单（主办和协办）中，在签收期限内签收的比例；尚未签收的计为未按时",
    ),
    _rate(
        "appeal_return_rate",
        "退单率",
        "assignment_returned",
        "assignment_dispatched",
        "期间内派出的派单中，被承办部门退单的比例",
        better=False,
    ),
    _rate(
        "appeal_extension_rate",
        "延期率",
        "assignment_extended",
        "assignment_dispatched",
        "期间内派出的派单中，有经批准延期申请的比例",
        better=False,
    ),
    _rate(
        "appeal_reopen_rate",
        "重办率",
        "appeal_closed_reopened",
        "appeal_closed",
        "期间内办结的诉求中，因回访不满意或未解决而重办过的比例",
        better=False,
    ),
    _rate(
        "appeal_response_rate",
        "响应率",
        "lead_signed_on_time",
        "lead_dispatched",
        "三率之一：期间内派出的主办派单中，主办单位在签收期限内签收（响应诉求）的比例",
    ),
    _rate(
        "appeal_solved_rate",
        "解决率",
        "callback_solved",
        "callback_reached",
        "三率之一：期间内联系上诉求人的回访中，诉求人答复“已解决”的比例",
        public=True,
    ),
    _rate(
        "appeal_satisfied_rate",
        "满意率",
        "callback_satisfied",
        "callback_reached",
        "三率之一：期间内联系上诉求人的回访中，答复非常满意、满意或基本满意的比例",
        public=True,
    ),
    _rate(
        "appeal_cleared_rate",
        "问题清零率",
        "appeal_cleared",
        "appeal_received",
        "期间内受理的诉求中，现已办结、归档或并单（不再是任何人的待办）的比例",
    ),
    ind.Indicator(
        "appeal_yellow",
        "黄灯数",
        F12345,
        "次",
        "urge_yellow",
        definition="期间内临近签收或办理期限而亮黄灯催办的次数",
        higher_is_better=False,
    ),
    ind.Indicator(
        "appeal_red",
        "红灯数",
        F12345,
        "次",
        "urge_red",
        definition="期间内超过签收或办理期限而亮红灯催办的次数",
        higher_is_better=False,
    ),
    ind.Indicator(
        "appeal_hot_tasked",
        "热点问题数",
        F12345,
        "个",
        "hot_tasked",
        definition="期间内从诉求中发现并生成主动治理任务（未诉先办）的热点问题个数",
    ),
)
