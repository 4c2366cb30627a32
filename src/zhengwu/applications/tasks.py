"""Background work for applications: thin wrappers that call a service."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def send_deadline_alerts() -> str:
    """临期 and 超期 alerts, once each per application; idempotent."""
    yellow, red = services.send_deadline_alerts()
    return f"临期提醒{yellow}件，超期提醒{red}件"


@task()
def flag_overdue_deferred() -> int:
    """容缺 materials past their hand-in deadline: flag and tell the department, once; idempotent."""
    return services.flag_overdue_deferred()
