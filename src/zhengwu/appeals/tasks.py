"""Background work for appeals: thin wrappers that call a service."""

from __future__ import annotations

from django_tasks import task

from . import board, events, services


@task()
def urge_due_assignments() -> int:
    """Run by the worker on a schedule (see the run command) and by hand; idempotent."""
    return services.run_urging()


@task()
def recompute_deadlines() -> int:
    """Enqueued when an administrator changes the working-day calendar."""
    return services.recompute_deadlines()


@task()
def refresh_board() -> str:
    """问题清零 roll-up: fold in what changed since the last refresh (every minute); idempotent."""
    return board.refresh()


@task()
def rebuild_board() -> str:
    """The nightly full rebuild of the roll-up from the appeal tables; idempotent."""
    return board.refresh(full=True)


@task()
def verify_history() -> str:
    """Daily: verify every appeal's history and record a checkpoint; a break is logged as an ERROR
    and shown to administrators on their home page. Idempotent (a second run records no head)."""
    report = events.daily_verification()
    root = report.checkpoint.root if report.checkpoint else ""
    return f"{report.appeals}件诉求，{len(report.broken)}件不符，检查点根值 {root}"
