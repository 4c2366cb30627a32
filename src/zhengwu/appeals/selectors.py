"""Reads about appeals, scoped to the asking user, and the deadline lights.

A department sees only appeals it has (or had) an assignment for; operators, dispatchers,
supervisors, callback staff and leaders see all; a citizen sees their own. Everything else is a 404
at the single chokepoint ``appeal_for``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from zhengwu.calendar.selectors import get_calendar
from zhengwu.calendar.workdays import WorkCalendar
from zhengwu.core.errors import DomainError

from .models import Appeal, Assignment
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


def open_appeals() -> QuerySet[Appeal]:
    return Appeal.objects.filter(state__in=OPEN_STATES)


def overdue(qs: QuerySet[Appeal], now: datetime) -> QuerySet[Appeal]:
    return qs.filter(due_at__lt=now)


def light(
    start: datetime,
    due: datetime | None,
    now: datetime,
    *,
    done_at: datetime | None = None,
    calendar: WorkCalendar | None = None,
) -> str:
    """green / yellow / red for one running limit. Yellow when APPEAL_YELLOW_SHARE of the limit is
    used or at most APPEAL_YELLOW_WORKING_DAYS working days are left; red when past the limit."""
    if due is None:
        return "green"
    at = done_at or now
    if at > due:
        return "red"
    if done_at is not None:
        return "green"
    total = (due - start).total_seconds()
    if total > 0 and (now - start).total_seconds() / total >= settings.APPEAL_YELLOW_SHARE:
        return "yellow"
    # Pages lighting many rows pass one calendar, so the lights cost no query each.
    try:
        left = (calendar or get_calendar()).working_days_between(now, due)
    except DomainError:  # the limit ends in a year not entered yet: far away, so not near it
        return "green"
    return "yellow" if float(left) <= settings.APPEAL_YELLOW_WORKING_DAYS else "green"
