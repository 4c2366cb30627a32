"""Read-only queries behind the appeal pages and exports: the worklists of each role, the 问题清零
board, the list filters, keyset pagination and the deadline lights of many rows at once.

Everything here answers in a fixed number of queries whatever the number of appeals: counts are
conditional aggregates, rows come a page at a time after a key (never OFFSET), and the working-day
calendar is read once per page rather than once per row (``selectors.light`` reads it per call).
Paging and the lights' rule are every matter's (casework/paging.py, casework/deadlines.py)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Case, Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, When
from django.db.models.fields import DateTimeField
from django.utils import timezone

from zhengwu.casework import deadlines

# Read from here by the desk's pages and exports.
from zhengwu.casework.deadlines import LIGHT_LABELS as LIGHT_LABELS
from zhengwu.casework.paging import Page as Page
from zhengwu.casework.paging import Sort as Sort
from zhengwu.casework.paging import keyset as keyset
from zhengwu.casework.paging import parse_key as parse_key
from zhengwu.org.models import Department

from . import board, privacy
from .models import (
    LONG_OVERDUE_STATES,
    OPEN_ASSIGNMENT_STATES,
    Appeal,
    Assignment,
    Callback,
    Extension,
    Satisfaction,
    Solved,
)
from .services import PHONE
from .workflow import HANDLING_STATES, OPEN_STATES, AppealState, AssignmentState

PAGE_SIZE = 50
NUMBER = re.compile(r"^[A-Za-z0-9]+-\d{8}-\d{6}$")

# ---------------------------------------------------------------------------------------------
# Who sees what
# ---------------------------------------------------------------------------------------------


# The policy is appeals/privacy.py; these names stay for the worklists' callers.
sees_all = privacy.sees_all
department_scoped = privacy.department_scoped
hides_reporter = privacy.hides_reporter
Reporter = privacy.Reporter


# ---------------------------------------------------------------------------------------------
# Lights
# ---------------------------------------------------------------------------------------------


class Lights(deadlines.Lights):
    """green / yellow / red (``casework.deadlines.light``) for many rows with one read of the
    calendar, and the lights of the desk's own rows: an assignment's two limits, the appeal's."""

    def sign(self, a: Assignment) -> str:
        if a.state == AssignmentState.PENDING:
            return self(a.sign_started_at or a.created_at, a.sign_due_at)
        if a.signed_at is not None:
            return self(a.sign_started_at or a.created_at, a.sign_due_at, done_at=a.signed_at)
        return ""

    def handle(self, a: Assignment) -> str:
        if a.state in (AssignmentState.PENDING, AssignmentState.SIGNED):
            return self(a.handle_started_at or a.created_at, a.handle_due_at)
        if a.state in (AssignmentState.DONE, AssignmentState.SUBMITTED) and a.finished_at:
            return self(a.handle_started_at or a.created_at, a.handle_due_at, done_at=a.finished_at)
        return ""

    def running(self, a: Assignment) -> str:
        """The light of the limit now running: signing while pending, handling once signed."""
        return self.sign(a) if a.state == AssignmentState.PENDING else self.handle(a)

    def appeal(self, appeal: Appeal) -> str:
        """The light of the appeal's own limit (its lead's) while departments are handling it."""
        if appeal.state not in HANDLING_STATES or appeal.due_at is None:
            return ""
        return self(appeal.created_at, appeal.due_at)

    def yellow_ids(self, qs: QuerySet[Assignment]) -> list[int]:
        """The assignments of ``qs`` whose running limit is yellow now, exactly as each row shows
        it. SQL narrows to the few rows near their limit; the share-of-limit part of the rule is
        not a column, so those few are lit here."""
        near = qs.filter(assignment_yellow_q(self.now, self.yellow_until()))
        rows = near.select_related(None).only(
            "id",
            "state",
            "created_at",
            "sign_started_at",
            "sign_due_at",
            "signed_at",
            "handle_started_at",
            "handle_due_at",
            "finished_at",
        )
        return [a.pk for a in rows if self.running(a) == "yellow"]


def assignment_overdue_q(now: datetime, prefix: str = "") -> Q:
    """An open assignment past its running limit: not signed in time, or not handled in time."""
    return Q(**{f"{prefix}state": AssignmentState.PENDING, f"{prefix}sign_due_at__lt": now}) | Q(
        **{f"{prefix}state": AssignmentState.SIGNED, f"{prefix}handle_due_at__lt": now}
    )


def assignment_yellow_q(now: datetime, until: datetime) -> Q:
    """Open and not overdue, with the running limit inside the working-hours window of the yellow
    rule: the candidates of ``Lights.yellow_ids``, which applies the share-of-limit part."""
    return Q(state=AssignmentState.PENDING, sign_due_at__gte=now, sign_due_at__lte=until) | Q(
        state=AssignmentState.SIGNED, handle_due_at__gte=now, handle_due_at__lte=until
    )


# ---------------------------------------------------------------------------------------------
# Keyset pagination
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# The list: search and filters
# ---------------------------------------------------------------------------------------------


SORTS: dict[str, Sort] = {
    "new": Sort("最新登记", "created_at", True),
    "old": Sort("最早登记", "created_at", False),
    "due": Sort("期限最近", "due_at", False, nullable=True),
}


def search(qs: QuerySet[Appeal], q: str) -> QuerySet[Appeal]:
    """An appeal number or a phone number matches exactly (both indexed); anything else is looked
    for in the title."""
    q = (q or "").strip()
    if not q:
        return qs
    if NUMBER.match(q):
        return qs.filter(number=q.upper())
    phone = q.replace(" ", "")
    if PHONE.match(phone):
        return qs.filter(contact_phone=phone)
    return qs.filter(title__icontains=q)


def filter_appeals(
    qs: QuerySet[Appeal], params: dict[str, Any], *, now: datetime, hide_confidential_phone: bool = False
) -> QuerySet[Appeal]:
    """``params`` are cleaned values of ``forms.AppealFilterForm``. The department, open, overdue
    and red filters count the same way as the 问题清零 board, so its links land on its numbers."""
    q = params.get("q") or ""
    if q and hide_confidential_phone and PHONE.match(q.replace(" ", "")):
        # a department may not learn who filed a confidential report by searching a phone number
        qs = privacy.without_confidential(qs)
    qs = search(qs, q)
    for key, field in (
        ("state", "state"),
        ("appeal_type", "appeal_type"),
        ("urgency", "urgency"),
        ("channel", "channel"),
    ):
        if params.get(key):
            qs = qs.filter(**{field: params[key]})
    category = params.get("category")
    if category is not None:
        qs = qs.filter(Q(category=category) | Q(category__parent=category))
    open_only = bool(params.get("open") or params.get("overdue") or params.get("red"))
    if open_only:
        qs = qs.filter(state__in=OPEN_STATES)
    if params.get("red"):
        qs = qs.filter(red_listed=True)
    # 登记日期 from … to …, whole days in the local time zone (the index on created_at serves it)
    registered_from: date | None = params.get("registered_from")
    registered_to: date | None = params.get("registered_to")
    if registered_from is not None:
        qs = qs.filter(created_at__gte=_day_start(registered_from))
    if registered_to is not None:
        qs = qs.filter(created_at__lt=_day_start(registered_to + timedelta(days=1)))
    department = params.get("department")
    if department is not None or params.get("overdue"):
        cond = Q(appeal=OuterRef("pk"))
        if department is not None:
            cond &= Q(department=department)
        if open_only:
            cond &= Q(state__in=OPEN_ASSIGNMENT_STATES)
        if params.get("overdue"):
            cond &= assignment_overdue_q(now)
        qs = qs.filter(Exists(Assignment.objects.filter(cond)))
    return qs


# ---------------------------------------------------------------------------------------------
# 问题清零 board
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentLoad:
    department_id: int
    name: str
    open: int
    overdue: int
    red: int


def board_by_department(now: datetime) -> list[DepartmentLoad]:
    """Per department, in one query: appeals with an open assignment there, those whose
    assignment there is overdue, and those on the red list."""
    rows = (
        Assignment.objects.filter(state__in=OPEN_ASSIGNMENT_STATES, appeal__state__in=OPEN_STATES)
        .values("department_id", "department__name")
        .annotate(
            n_open=Count("appeal_id", distinct=True),
            n_overdue=Count("appeal_id", distinct=True, filter=assignment_overdue_q(now)),
            n_red=Count("appeal_id", distinct=True, filter=Q(appeal__red_listed=True)),
        )
        .order_by("-n_overdue", "-n_red", "-n_open", "department__name")
    )
    return [
        DepartmentLoad(r["department_id"], r["department__name"], r["n_open"], r["n_overdue"], r["n_red"])
        for r in rows
    ]


def board_figures(now: datetime) -> tuple[dict[str, int], list[DepartmentLoad]]:
    """The board's totals and per-department rows: from the roll-up (``board.figures``, a fixed
    handful of queries whatever the number of appeals) when there is one, else counted live."""
    figures = board.figures(now)
    if figures is None:
        return board_totals(now), board_by_department(now)
    city = figures.pop(board.CITY)
    names = dict(Department.objects.filter(pk__in=list(figures)).order_by().values_list("pk", "name"))
    rows = sorted(
        (
            DepartmentLoad(int(d), names.get(d, str(d)), t.open, t.overdue, t.red)
            for d, t in figures.items()
            if d is not None
        ),
        key=lambda r: (-r.overdue, -r.red, -r.open, r.name),
    )
    return {"open": city.open, "red": city.red, "overdue": city.overdue}, rows


def board_totals(now: datetime) -> dict[str, int]:
    open_appeals = Appeal.objects.filter(state__in=OPEN_STATES)
    totals = open_appeals.aggregate(
        open=Count("id"),
        red=Count("id", filter=Q(red_listed=True)),
        overdue=Count(
            "id",
            filter=Q(Exists(Assignment.objects.filter(Q(appeal=OuterRef("pk")) & assignment_overdue_q(now)))),
        ),
    )
    return {k: int(v or 0) for k, v in totals.items()}


def with_open_lead(qs: QuerySet[Appeal]) -> QuerySet[Appeal]:
    """Prefetch each appeal's open lead assignment (with its department) as ``open_leads``."""
    from django.db.models import Prefetch

    return qs.prefetch_related(
        Prefetch(
            "assignments",
            queryset=Assignment.objects.filter(
                role=Assignment.Role.LEAD, state__in=OPEN_ASSIGNMENT_STATES
            ).select_related("department"),
            to_attr="open_leads",
        )
    )


def with_lead(qs: QuerySet[Appeal]) -> QuerySet[Appeal]:
    """Prefetch each appeal's lead assignments that still count — open or done, not those
    replaced by 改派 — oldest first, as ``leads``: the last is the lead department, also once the
    appeal is closed (``with_open_lead`` forgets it then)."""
    return qs.prefetch_related(
        Prefetch(
            "assignments",
            queryset=Assignment.objects.filter(
                role=Assignment.Role.LEAD, state__in=[*OPEN_ASSIGNMENT_STATES, AssignmentState.DONE]
            )
            .select_related("department")
            .order_by("created_at", "id"),
            to_attr="leads",
        )
    )


def with_callback_result(qs: QuerySet[Appeal]) -> QuerySet[Appeal]:
    """Annotate the latest 回访 that reached the citizen: ``callback_solved`` (是否解决) and
    ``callback_satisfaction`` (满意度); both None before any. Two subqueries, no query per row."""
    latest = Callback.objects.filter(appeal=OuterRef("pk"), reached=True).order_by("-at", "-id")
    return qs.annotate(
        callback_solved=Subquery(latest.values("solved")[:1]),
        callback_satisfaction=Subquery(latest.values("satisfaction")[:1]),
    )


def callback_labels(appeal: Appeal) -> tuple[str, str]:
    """(是否解决, 满意度) in words from ``with_callback_result``'s annotations; "" before any."""
    solved = getattr(appeal, "callback_solved", None)
    satisfaction = getattr(appeal, "callback_satisfaction", None)
    return (
        str(Solved(solved).label) if solved in Solved.values else "",
        str(Satisfaction(satisfaction).label) if satisfaction in Satisfaction.values else "",
    )


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def red_list(limit: int = 50) -> list[Appeal]:
    """纪委督办: open appeals on the red list, the longest overdue first."""
    qs = Appeal.objects.filter(red_listed=True, state__in=sorted(OPEN_STATES)).select_related("category")
    return list(with_open_lead(qs).order_by(F("due_at").asc(nulls_last=True), "id")[:limit])


def long_overdue(now: datetime, *, days: int = 5, limit: int = 50) -> list[Appeal]:
    """Appeals in handling whose limit passed more than ``days`` calendar days ago."""
    qs = Appeal.objects.filter(
        state__in=sorted(LONG_OVERDUE_STATES), due_at__lt=now - timedelta(days=days)
    ).select_related("category")
    return list(with_open_lead(qs).order_by("due_at", "id")[:limit])


# ---------------------------------------------------------------------------------------------
# Dispatcher queue, callback queue, department inbox
# ---------------------------------------------------------------------------------------------

QUEUE_TABS: dict[str, str] = {
    "registered": "待研判",
    "triaged": "待派单",
    "returned": "退单待审",
    "extensions": "延期申请",
    "reply_review": "答复待审核",
}


def queue_counts() -> dict[str, int]:
    states = Appeal.objects.filter(
        state__in=[AppealState.REGISTERED, AppealState.TRIAGED, AppealState.REPLY_REVIEW]
    ).aggregate(
        registered=Count("id", filter=Q(state=AppealState.REGISTERED)),
        triaged=Count("id", filter=Q(state=AppealState.TRIAGED)),
        reply_review=Count("id", filter=Q(state=AppealState.REPLY_REVIEW)),
    )
    return {
        "registered": states["registered"],
        "triaged": states["triaged"],
        "returned": returned_assignments().count(),
        "extensions": pending_extensions().count(),
        "reply_review": states["reply_review"],
    }


def returned_assignments() -> QuerySet[Assignment]:
    return Assignment.objects.filter(
        state=AssignmentState.RETURNED, appeal__state__in=OPEN_STATES
    ).select_related("appeal", "department")


def pending_extensions() -> QuerySet[Extension]:
    return Extension.objects.filter(
        state=Extension.State.PENDING, assignment__appeal__state__in=OPEN_STATES
    ).select_related("assignment", "assignment__appeal", "assignment__department")


INBOX_TABS: dict[str, str] = {
    "pending": "待签收",
    "signed": "办理中",
    "yellow": "临期",
    "red": "超期",
    "finished": "已办结/退单",
}


def inbox_base(department_id: int) -> QuerySet[Assignment]:
    return Assignment.objects.filter(department_id=department_id).select_related(
        "appeal", "appeal__category", "appeal__category__parent"
    )


def inbox_counts(department_id: int, lights: Lights) -> dict[str, int]:
    now = lights.now
    mine = Assignment.objects.filter(department_id=department_id)
    # COUNT(state), not COUNT(id): every column read is in the index assignment_inbox_sign.
    agg = mine.aggregate(
        pending=Count("state", filter=Q(state=AssignmentState.PENDING)),
        signed=Count("state", filter=Q(state=AssignmentState.SIGNED)),
        red=Count("state", filter=assignment_overdue_q(now)),
        finished=Count("state", filter=~Q(state__in=[AssignmentState.PENDING, AssignmentState.SIGNED])),
    )
    counts = {k: int(v or 0) for k, v in agg.items()}
    counts["yellow"] = len(lights.yellow_ids(mine))
    return {k: counts[k] for k in ("pending", "signed", "yellow", "red", "finished")}


def inbox_tab(qs: QuerySet[Assignment], tab: str, lights: Lights) -> tuple[QuerySet[Assignment], str, bool]:
    """The tab's rows and the key they are paged by: (queryset, field, descending)."""
    running_due = Case(
        When(state=AssignmentState.PENDING, then=F("sign_due_at")),
        default=F("handle_due_at"),
        output_field=DateTimeField(),
    )
    if tab == "pending":
        return qs.filter(state=AssignmentState.PENDING), "sign_due_at", False
    if tab == "signed":
        return qs.filter(state=AssignmentState.SIGNED), "handle_due_at", False
    if tab == "yellow":
        return (
            qs.filter(id__in=lights.yellow_ids(qs)).annotate(due=running_due),
            "due",
            False,
        )
    if tab == "red":
        return qs.filter(assignment_overdue_q(lights.now)).annotate(due=running_due), "due", False
    return (
        qs.exclude(state__in=[AssignmentState.PENDING, AssignmentState.SIGNED]),
        "updated_at",
        True,
    )


def inbox_search(qs: QuerySet[Assignment], q: str) -> QuerySet[Assignment]:
    q = (q or "").strip()
    if not q:
        return qs
    if NUMBER.match(q):
        return qs.filter(appeal__number=q.upper())
    return qs.filter(appeal__title__icontains=q)


def phone_or_blank(phone: str | None) -> str:
    """The number as the services store it, or "" when it is not (yet) a phone number."""
    phone = (phone or "").strip().replace(" ", "")
    return phone if PHONE.match(phone) else ""


def earlier_appeals_of(qs: QuerySet[Appeal], phone: str, *, limit: int = 10) -> Sequence[Appeal]:
    """A caller's earlier appeals, newest first, so a repeat can be spotted at intake."""
    phone = phone_or_blank(phone)
    if not phone:
        return []
    return list(qs.filter(contact_phone=phone).order_by("-created_at", "-id")[:limit])
