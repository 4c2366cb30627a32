"""Reads of hot issues (热点问题), scoped to the asking user: without ``triage.view_hotissue`` there
is nothing, and ``hot_issue_for`` is the one chokepoint that answers 404."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from zhengwu.appeals.models import Appeal, Assignment
from zhengwu.appeals.selectors import appeals_visible_to
from zhengwu.core.errors import InvalidInput

from . import services
from .models import HotIssue, HotIssueSnapshot

P_VIEW = "triage.view_hotissue"
PRESETS = {"7": 7, "30": 30, "90": 90}
DEFAULT_PRESET = "30"


def hot_issues_visible_to(user: Any) -> QuerySet[HotIssue]:
    if not getattr(user, "is_authenticated", False) or not user.has_perm(P_VIEW):
        return HotIssue.objects.none()
    return HotIssue.objects.select_related("task", "tasked_by", "dismissed_by")


def hot_issue_for(user: Any, pk: int) -> HotIssue:
    try:
        return hot_issues_visible_to(user).get(pk=pk)
    except HotIssue.DoesNotExist as exc:
        raise Http404("没有找到该热点问题（可能已重新计算）") from exc


def preset_period(days: int, today: date | None = None) -> tuple[date, date]:
    """The last ``days`` days up to and including today."""
    end = today or timezone.localdate()
    return end - timedelta(days=days - 1), end


@dataclass(frozen=True)
class Snapshot:
    """The stored issues to show for a chosen period: its own computation when there is one, else
    (for the 近N天 choices) the newest computation of a period as long, so that the daily job's
    result shows until someone recomputes today's period. ``computed`` is None when neither
    exists."""

    start: date
    end: date
    exact: bool
    computed: HotIssueSnapshot | None

    @property
    def computed_at(self) -> datetime | None:
        return self.computed.computed_at if self.computed else None


def snapshot_for(user: Any, start: date, end: date, *, allow_same_length: bool) -> Snapshot:
    if not user.has_perm(P_VIEW):
        return Snapshot(start, end, True, None)
    runs = HotIssueSnapshot.objects.select_related("computed_by")
    exact = runs.filter(period_start=start, period_end=end).first()
    if exact is not None or not allow_same_length:
        return Snapshot(start, end, True, exact)
    span = (end - start).days
    for run in runs.filter(period_end__lte=end).order_by("-period_end", "-computed_at")[:200]:
        if (run.period_end - run.period_start).days == span:
            return Snapshot(run.period_start, run.period_end, False, run)
    return Snapshot(start, end, True, None)


def period_issues(user: Any, snapshot: Snapshot) -> QuerySet[HotIssue]:
    return (
        hot_issues_visible_to(user)
        .filter(period_start=snapshot.start, period_end=snapshot.end)
        .order_by("rank", "pk")
    )


def member_appeals(user: Any, issue: HotIssue) -> tuple[list[Appeal], int]:
    """The issue's appeals this user may see (oldest first), and how many others there are."""
    visible = list(
        appeals_visible_to(user)
        .filter(hot_issues=issue)
        .select_related("citizen")
        .order_by("created_at", "pk")
    )
    return visible, max(0, issue.members.count() - len(visible))


@dataclass(frozen=True)
class TaskTarget:
    """What the 主动治理任务 form starts with, and why (shown under the form)."""

    initial: dict[str, str]
    basis: str
    prefer: tuple[str, ...] = ()  # first-level categories to list first in the form


def task_target(issue: HotIssue) -> TaskTarget:
    """The category and department the issue's appeals were mostly triaged and dispatched to; when
    none of them has been dispatched yet, the department triage suggests for the issue (the model,
    or the 派单目录 rules), so that the person acting only confirms."""
    members = issue.members.all()
    category = Counter(
        members.filter(category__is_active=True, category__parent__isnull=False).values_list(
            "category_id", "category__parent__name"
        )
    ).most_common(1)
    department = Counter(
        Assignment.objects.filter(
            appeal__in=members, role=Assignment.Role.LEAD, department__is_active=True
        ).values_list("department_id", flat=True)
    ).most_common(1)
    initial = {
        "category": str(category[0][0][0]) if category else "",
        "department": str(department[0][0]) if department else "",
    }
    prefer: tuple[str, ...] = (category[0][0][1],) if category else ()
    if department:
        return TaskTarget(initial, "按相关诉求的派单结果预选", prefer)
    first = members.order_by("created_at", "pk").values_list("title", "body").first()
    try:
        result = services.suggest(title=issue.description, body=first[1] if first else "")
    except InvalidInput:
        return TaskTarget(initial, "", prefer)
    prefer = prefer or tuple(s.category for s in result.suggestions)
    best = next((s for s in result.suggestions if s.department and s.department.is_active), None)
    if best is None or best.department is None:
        return TaskTarget(initial, "", prefer)
    initial["department"] = str(best.department.pk)
    source = f"研判模型v{result.model_version}" if result.source == "model" else "派单目录规则"
    return TaskTarget(initial, f"承办部门按{source}的建议预选（{best.category}），请核对", prefer)
