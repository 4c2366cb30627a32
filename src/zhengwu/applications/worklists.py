"""Read-only queries behind the staff pages and exports of applications (办件): the window's,
the back office's and the delivery window's worklists, the list with its filters, the lights of
many rows at once and the counts on the tabs.

Everything answers in a fixed number of queries whatever the number of applications: counts are
one conditional aggregate, rows come a page at a time after a key (``casework.paging.keyset``,
never OFFSET), and the working-day calendar is read once per page (``Lights``). Every query starts
from ``selectors.visible_to``: what the user may not see is never counted, listed or exported."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from zhengwu.casework import deadlines
from zhengwu.casework.deadlines import LIGHT_LABELS as LIGHT_LABELS
from zhengwu.casework.paging import Page as Page
from zhengwu.casework.paging import Sort as Sort
from zhengwu.casework.paging import keyset as keyset

from .models import Application, ApplicationMaterial, BundleApplication, DeliveryMethod, MaterialStatus
from .selectors import visible_to
from .workflow import BACK_OFFICE_STATES, DELIVERY_STATES, RUNNING_STATES, ApplicationState

S = ApplicationState
PAGE_SIZE = 50
NUMBER = re.compile(r"^[A-Za-z]{1,10}-\d{8}-\d{6}$")
LIGHT_CHOICES = [(code, LIGHT_LABELS[code]) for code in ("green", "yellow", "red", "paused")]
# The columns a row of any worklist reads: one query with these joins per page.
ROW_RELATED = ("item", "department", "bundle_application")


# ---------------------------------------------------------------------------------------------
# Lights
# ---------------------------------------------------------------------------------------------


class Lights(deadlines.Lights):
    """The light of an application, the calendar read once for a whole page:

    * paused (暂停计时) while ``paused_since`` is set (补正 after acceptance, 特别程序);
    * green / yellow / red from ``accepted_at`` to ``due_at`` while the clock runs;
    * once decided, green or red by whether it was decided (办结) in time; a 即办件 decided on the
      spot is on time by definition;
    * nothing before acceptance and for what never was accepted."""

    def application(self, a: Application) -> str:
        if a.paused_since is not None:
            return "paused"
        if a.due_at is None or a.accepted_at is None:
            return ""
        if a.state in RUNNING_STATES:
            return self(a.accepted_at, a.due_at)
        if a.on_the_spot:
            return "green"
        done = a.completed_at or (a.decided_at if a.state == S.DECIDED else None)
        if done is not None:
            return self(a.accepted_at, a.due_at, done_at=done)
        return ""

    def yellow_ids(self, qs: QuerySet[Application]) -> list[int]:
        """The applications of ``qs`` whose light is yellow now, exactly as each row shows it: SQL
        narrows to the few running ones near their limit, the share-of-limit rule lights them."""
        key = str(qs.order_by().query)
        cache: dict[str, list[int]] = self.__dict__.setdefault("_yellow", {})
        if key not in cache:
            cache[key] = self._yellow_ids(qs)
        return cache[key]

    def _yellow_ids(self, qs: QuerySet[Application]) -> list[int]:
        near = qs.filter(
            state__in=RUNNING_STATES,
            paused_since__isnull=True,
            due_at__gte=self.now,
            due_at__lte=self.yellow_until(),
        )
        rows = near.order_by().only("id", "state", "accepted_at", "due_at", "paused_since", "on_the_spot")
        return [a.pk for a in rows if self.application(a) == "yellow"]


def red_q(now: datetime) -> Q:
    """Overdue while the clock runs, or decided / completed after the limit (not a 即办件)."""
    running = Q(state__in=RUNNING_STATES, paused_since__isnull=True, due_at__lt=now)
    late = Q(
        paused_since__isnull=True, on_the_spot=False, completed_at__isnull=False, completed_at__gt=F("due_at")
    )
    late_decision = Q(
        state=S.DECIDED, paused_since__isnull=True, completed_at__isnull=True, decided_at__gt=F("due_at")
    )
    return running | late | late_decision


def lit_q() -> Q:
    """Rows that show any light at all."""
    return Q(paused_since__isnull=False) | Q(
        due_at__isnull=False,
        accepted_at__isnull=False,
    ) & (
        Q(state__in=RUNNING_STATES) | Q(on_the_spot=True) | Q(completed_at__isnull=False) | Q(state=S.DECIDED)
    )


def with_light(qs: QuerySet[Application], light: str, lights: Lights) -> QuerySet[Application]:
    if light == "paused":
        return qs.filter(paused_since__isnull=False)
    if light == "red":
        return qs.filter(red_q(lights.now))
    yellow = lights.yellow_ids(qs)
    if light == "yellow":
        return qs.filter(pk__in=yellow)
    if light == "green":
        return (
            qs.filter(lit_q())
            .exclude(paused_since__isnull=False)
            .exclude(red_q(lights.now))
            .exclude(pk__in=yellow)
        )
    return qs


# ---------------------------------------------------------------------------------------------
# Search and filters
# ---------------------------------------------------------------------------------------------


SORTS: dict[str, Sort] = {
    "new": Sort("最新申请", "submitted_at", True),
    "old": Sort("最早申请", "submitted_at", False),
    "due": Sort("承诺办结时间最近", "due_at", False, nullable=True),
}


def search(qs: QuerySet[Application], q: str) -> QuerySet[Application]:
    """A 办件编号 matches exactly (indexed, unique); anything else is looked for in the number,
    the applicant's name and the item's name."""
    q = (q or "").strip()
    if not q:
        return qs
    if NUMBER.match(q):
        return qs.filter(number=q.upper())
    return qs.filter(Q(number__icontains=q) | Q(applicant_name__icontains=q) | Q(item__name__icontains=q))


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def filter_applications(
    qs: QuerySet[Application], params: Mapping[str, Any], *, lights: Lights
) -> QuerySet[Application]:
    """``params`` are the cleaned values of ``forms.ApplicationFilterForm``."""
    qs = search(qs, params.get("q") or "")
    if params.get("item") is not None:
        qs = qs.filter(item=params["item"])
    if params.get("department") is not None:
        qs = qs.filter(department=params["department"])
    if params.get("state"):
        qs = qs.filter(state=params["state"])
    submitted_from: date | None = params.get("submitted_from")
    submitted_to: date | None = params.get("submitted_to")
    if submitted_from is not None:
        qs = qs.filter(submitted_at__gte=_day_start(submitted_from))
    if submitted_to is not None:
        qs = qs.filter(submitted_at__lt=_day_start(submitted_to + timedelta(days=1)))
    if params.get("light"):
        qs = with_light(qs, params["light"], lights)
    return qs


def state_counts(qs: QuerySet[Application], states: Iterable[str]) -> dict[str, int]:
    """How many of ``qs`` are in each state, in one conditional aggregate."""
    codes = list(states)
    if not codes:
        return {}
    agg = qs.order_by().aggregate(**{code: Count("id", filter=Q(state=code)) for code in codes})
    return {code: int(agg[code] or 0) for code in codes}


def counts(qs: QuerySet[Application], tabs: Mapping[str, Q]) -> dict[str, int]:
    """How many of ``qs`` each tab holds, in one conditional aggregate."""
    agg = qs.order_by().aggregate(**{f"n_{code}": Count("id", filter=cond) for code, cond in tabs.items()})
    return {code: int(agg[f"n_{code}"] or 0) for code in tabs}


# ---------------------------------------------------------------------------------------------
# Worklists: a tab is a condition, a paging key and a direction
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tab:
    code: str
    label: str
    cond: Q
    field: str
    descending: bool = False
    nullable: bool = False


def _deferred_pending() -> Exists:
    return Exists(
        ApplicationMaterial.objects.filter(application=OuterRef("pk"), status=MaterialStatus.DEFERRED)
    )


def deferred_due() -> Subquery:
    """The earliest hand-in deadline among an application's 容缺 materials still outstanding."""
    return Subquery(
        ApplicationMaterial.objects.filter(application=OuterRef("pk"), status=MaterialStatus.DEFERRED)
        .order_by("deferred_until")
        .values("deferred_until")[:1]
    )


CLOSED = (S.NOT_ACCEPTED, S.WITHDRAWN, S.ARCHIVED)

WINDOW_TABS: tuple[Tab, ...] = (
    # A child of a 一件事 is taken in with its bundle application (its own 预审 list), not alone.
    Tab("submitted", "待预审", Q(state=S.SUBMITTED, bundle_application__isnull=True), "submitted_at"),
    Tab("returned", "退回窗口", Q(state=S.RETURNED), "updated_at"),
    Tab("supplement", "待补正", Q(state=S.SUPPLEMENT), "updated_at"),
    # 容缺 materials not handed in yet; ordered by their earliest deadline, so those past it
    # (``deferred_overdue``) come first.
    Tab(
        "deferred", "容缺待补交", Q(_deferred_pending()) & ~Q(state__in=CLOSED), "deferred_due", nullable=True
    ),
)
REVIEW_TABS: tuple[Tab, ...] = (
    Tab("all", "全部待办", Q(state__in=BACK_OFFICE_STATES), "due_at", nullable=True),
    Tab("accepted", S.ACCEPTED.label, Q(state=S.ACCEPTED), "due_at", nullable=True),
    Tab("reviewing", S.REVIEWING.label, Q(state=S.REVIEWING), "due_at", nullable=True),
    Tab("special", S.SPECIAL.label, Q(state=S.SPECIAL), "due_at", nullable=True),
    Tab("decided", S.DECIDED.label, Q(state=S.DECIDED), "due_at", nullable=True),
)
READY = (S.COMPLETED, S.CERTIFIED)
DELIVERY_TABS: tuple[Tab, ...] = (
    Tab(
        "pickup",
        "待窗口领取",
        Q(state__in=READY, delivery_method=DeliveryMethod.PICKUP),
        "completed_at",
        nullable=True,
    ),
    Tab(
        "post",
        "待邮寄",
        Q(state__in=READY, delivery_method=DeliveryMethod.POST),
        "completed_at",
        nullable=True,
    ),
    Tab("posted", "已寄出待签收", Q(state=S.POSTED), "updated_at"),
)


@dataclass
class Worklist:
    tabs: Sequence[Tab]
    base: QuerySet[Application]  # visible to the user and in the worklist at all

    def tab(self, code: str | None) -> Tab:
        return next((t for t in self.tabs if t.code == code), self.tabs[0])

    def counts(self) -> dict[str, int]:
        return counts(self.base, {t.code: t.cond for t in self.tabs})

    def rows(self, tab: Tab, qs: QuerySet[Application] | None = None) -> QuerySet[Application]:
        rows = (qs if qs is not None else self.base).filter(tab.cond).select_related(*ROW_RELATED)
        if tab.field == "deferred_due":
            rows = rows.annotate(deferred_due=deferred_due())
        return rows

    def page(self, tab: Tab, after: str | None, qs: QuerySet[Application] | None = None) -> Page[Application]:
        return keyset(
            self.rows(tab, qs),
            field=tab.field,
            descending=tab.descending,
            nullable=tab.nullable,
            after=after,
            size=PAGE_SIZE,
        )


def window_queue(user: Any) -> Worklist:
    """综合受理窗口: online submissions to 预审, returns from the back office, 补正 outstanding, and
    容缺 materials still to come in."""
    return Worklist(WINDOW_TABS, visible_to(user).exclude(state__in=CLOSED))


def review_queue(user: Any) -> Worklist:
    """后台审批: the approver's own department's applications still in the back office, the
    nearest 承诺办结时间 first. Whoever sees every department gets them all."""
    qs = visible_to(user).filter(state__in=sorted(BACK_OFFICE_STATES))
    if user.department_id is not None and not _sees_all(user):
        qs = qs.filter(department_id=user.department_id)
    return Worklist(REVIEW_TABS, qs)


def delivery_queue(user: Any) -> Worklist:
    """出件窗口: completed (or certified) results to hand over or post, and posts to confirm. The
    children of a 一件事 are handed over with their bundle application (``bundle_queue``), once."""
    return Worklist(
        DELIVERY_TABS,
        visible_to(user).filter(state__in=sorted(DELIVERY_STATES), bundle_application__isnull=True),
    )


def bundle_queue(user: Any, states: Sequence[str]) -> QuerySet[BundleApplication]:
    """一件事办件 in ``states`` the user may see, the oldest first, with what a row reads."""
    from .bundle_selectors import visible_bundles

    return (
        visible_bundles(user)
        .filter(state__in=list(states))
        .select_related("bundle__lead_department")
        .annotate(n_children=Count("children"))
        .order_by("submitted_at", "id")
    )


def _sees_all(user: Any) -> bool:
    from .selectors import sees_all

    return sees_all(user)


def all_states() -> list[str]:
    return [str(s) for s in S]
