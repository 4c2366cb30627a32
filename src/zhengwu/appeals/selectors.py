"""Reads about appeals, scoped to the asking user, and the deadline lights.

A department sees only appeals it has (or had) an assignment for; operators, dispatchers,
supervisors, callback staff and leaders see all; a citizen sees their own. Everything else is a 404
at the single chokepoint ``appeal_for``."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from zhengwu.calendar.selectors import get_calendar
from zhengwu.calendar.workdays import WorkCalendar
from zhengwu.core.errors import DomainError

from .models import Appeal, Assignment, Category
from .workflow import OPEN_STATES


def appeals_visible_to(user: Any) -> QuerySet[Appeal]:
    qs = Appeal.objects.select_related("category", "category__parent")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.has_perm("appeals.view_all_appeals") or user.has_perm("appeals.register_appeal"):
        return qs
    if user.has_perm("appeals.handle_appeal") and user.department_id:
        mine = Assignment.objects.filter(appeal=OuterRef("pk"), department_id=user.department_id)
        return qs.filter(Exists(mine))
    return qs.filter(Q(submitted_by=user) | Q(citizen__user=user))


def appeal_for(user: Any, pk: int) -> Appeal:
    try:
        return appeals_visible_to(user).get(pk=pk)
    except Appeal.DoesNotExist as exc:
        raise Http404("没有找到该诉求") from exc


def assignments_for_department(department_id: int) -> QuerySet[Assignment]:
    return Assignment.objects.filter(department_id=department_id).select_related("appeal", "department")


def second_levels(first_levels: list[str], text: str) -> dict[str, tuple[Category, str]]:
    """For each first-level category the triage suggestion names, the second level to propose
    with it and why, until the model itself answers at the second level: one named in the text (by
    its name or one of its keywords, the classification's third level), else the one dispatchers
    chose most often under that first level, else its “其他”. Two queries."""
    kids: dict[str, list[Category]] = {}
    for c in Category.objects.filter(
        is_active=True, parent__name__in=first_levels, parent__parent__isnull=True, parent__is_active=True
    ).select_related("parent", "department", "parent__department"):
        kids.setdefault(c.parent.name if c.parent else "", []).append(c)
    used = dict(
        Appeal.objects.filter(category__in=[c for cs in kids.values() for c in cs])
        .values_list("category")
        .annotate(n=Count("id"))
        .values_list("category", "n")
    )
    out: dict[str, tuple[Category, str]] = {}
    for name, children in kids.items():
        named = [
            (term, c)
            for c in children
            if c.name != "其他"
            for term in (c.name, *(k.strip() for k in c.keywords.split(",")))
            if len(term) >= 2 and term in text
        ]
        if named:
            term, best = max(named, key=lambda tc: len(tc[0]))
            out[name] = (best, f"内容提到“{term}”")
            continue
        counted = [c for c in children if used.get(c.pk)]
        if counted:
            best = max(counted, key=lambda c: (used[c.pk], -c.order))
            out[name] = (best, "以往同类诉求多归此类")
            continue
        other = next((c for c in children if c.name == "其他"), children[0])
        out[name] = (other, "未能细分到二级")
    return out


def open_appeals() -> QuerySet[Appeal]:
    return Appeal.objects.filter(state__in=OPEN_STATES)


def overdue(qs: QuerySet[Appeal], now: datetime) -> QuerySet[Appeal]:
    return qs.filter(due_at__lt=now)


# Who opens the 问题清零 board: supervisors work it; leaders and others who see every department
# read it. The page checks it, the menu offers it by it.
BOARD_READERS = ("appeals.supervise_appeal", "accounts.view_all_departments")


def yellow_working_seconds() -> int:
    """APPEAL_YELLOW_WORKING_HOURS in seconds: a limit is never yellow with more working time left."""
    return int(float(settings.APPEAL_YELLOW_WORKING_HOURS) * 3600)


def yellow_from(start: datetime, due: datetime, *, calendar: WorkCalendar | None = None) -> datetime:
    """Where a limit's yellow light (临期) begins: the LATER of the moment APPEAL_YELLOW_SHARE of the
    working time allowed is used and the moment only APPEAL_YELLOW_WORKING_HOURS working hours are
    left. Later, not earlier: a fresh dispatch on Friday night with a Monday 17:30 limit has used a
    large share of the clock but none of the working time, and a long limit should not be yellow
    for days. Working time comes from the calendar; a limit with no working time in it (a clock-hour
    limit at night) or in a year not entered yet is measured on the clock instead."""
    share = min(max(float(settings.APPEAL_YELLOW_SHARE), 0.0), 1.0)
    before = yellow_working_seconds()
    if due <= start:
        return due
    cal = calendar or get_calendar()
    try:
        total = cal.working_seconds_between(start, due)
        if total > 0:
            share_point = cal.add_working_seconds(start, math.ceil(total * share))
            hours_point = cal.add_working_seconds(start, total - before) if total > before else start
            return max(share_point, hours_point)
    except DomainError:
        pass
    span = due - start
    return max(start + span * share, due - timedelta(seconds=before))


def light(
    start: datetime,
    due: datetime | None,
    now: datetime,
    *,
    done_at: datetime | None = None,
    calendar: WorkCalendar | None = None,
) -> str:
    """green / yellow / red for one running limit: red past the limit, yellow from ``yellow_from``
    (the one place the yellow rule lives), green otherwise and whenever it was met in time."""
    if due is None:
        return "green"
    at = done_at or now
    if at > due:
        return "red"
    if done_at is not None:
        return "green"
    # Pages lighting many rows pass one calendar, so the lights cost no query each.
    return "yellow" if now >= yellow_from(start, due, calendar=calendar) else "green"
