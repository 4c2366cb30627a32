"""Background work of the statistics: thin wrappers that call the roll-up and the reports."""

from __future__ import annotations

from django_tasks import task

from . import reports, rollup


@task()
def update_rollup() -> str:
    """The incremental roll-up: today and the days changed records count on."""
    return rollup.update()


@task()
def rebuild_rollup() -> str:
    """The nightly full rebuild: identical rows to the incremental ones, and records removed by
    hand leave the figures."""
    return rollup.rebuild()


@task()
def generate_due_report() -> str:
    """On the first working day of a month, the report of the month before (once)."""
    return reports.generate_due()


@task()
def generate_report(month: str, requested_by_id: int | None = None) -> str:
    """A report generated on demand (``month`` as 2026-05)."""
    return reports.generate_on_demand(month, requested_by_id=requested_by_id)
