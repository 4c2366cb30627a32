"""办件 measures and indicators (DESIGN.md §4, §9): 受理量, 办结量, 按时办结率, … — read from the
applications part's records through its selector."""

from __future__ import annotations

from django.db.models import Q

from zhengwu.applications.models import Application

from . import indicators as ind
from .measures import Measure, Source, register

APPLICATIONS = Source(
    key="application",
    label="办件",
    queryset=lambda: Application.objects.all(),
    department="department_id",
    dims={
        "window": "window_id",
        "staff": "accepted_by_id",
        "item": "item_id",
        "bundle": "bundle_application__bundle_id",
        "channel": "channel",
    },
    changed=("updated_at",),
    history="events__at",
)

register(
    Measure("app_accepted", "受理件数", APPLICATIONS, at="accepted_at", definition="受理时间在期间内的办件"),
    Measure(
        "app_completed",
        "办结件数",
        APPLICATIONS,
        at="completed_at",
        where=Q(completed_at__isnull=False),
        dims={"staff": "decided_by_id"},
        definition="办结时间在期间内的办件",
    ),
)

ind.register(
    ind.Indicator(
        "app_accepted", "受理量", "办件", "件", "app_accepted", definition="期间内受理的办件数", public=True
    ),
    ind.Indicator(
        "app_completed", "办结量", "办件", "件", "app_completed", definition="期间内办结的办件数", public=True
    ),
)
