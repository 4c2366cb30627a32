"""Reads of hot issues (热点问题), scoped to the asking user: without ``triage.view_hotissue`` there
is nothing, and ``hot_issue_for`` is the one chokepoint that answers 404."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from zhengwu.appeals.models import Appeal
from zhengwu.appeals.selectors import appeals_visible_to

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
