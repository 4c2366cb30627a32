"""Background work for appeals: thin wrappers that call a service."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def urge_due_assignments() -> int:
    """Run by the worker on a schedule (see the run command) and by hand; idempotent."""
    return services.run_urging()


@task()
def recompute_deadlines() -> int:
    """Enqueued when an administrator changes the working-day calendar."""
    return services.recompute_deadlines()
