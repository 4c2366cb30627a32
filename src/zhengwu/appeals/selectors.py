"""Reads about appeals, scoped to the asking user.

A department sees only appeals it has (or had) an assignment for; operators, dispatchers,
supervisors, callback staff and leaders see all; a citizen sees their own. Everything else is a 404
at the single chokepoint ``appeal_for``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

# The deadline lights are every matter's (casework/deadlines.py); the names stay for the desk's callers.
from zhengwu.casework.deadlines import light as light
from zhengwu.casework.deadlines import yellow_from as yellow_from
from zhengwu.casework.deadlines import yellow_working_seconds as yellow_working_seconds

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
