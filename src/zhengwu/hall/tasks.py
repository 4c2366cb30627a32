"""Background work for appointments: thin wrappers that call a service."""

from __future__ import annotations

from django_tasks import task

from zhengwu.casework.actors import Actor

from . import services


@task()
def open_appointment_slots() -> int:
    """Open the next days' slots of every active plan; idempotent."""
    return services.open_all_plans()


@task()
def mark_no_shows() -> int:
    """Bookings not checked in by the end of their slot become 爽约; idempotent."""
    return services.mark_no_shows(by=Actor.system("每日爽约统计"))


@task()
def lapse_online_tickets() -> int:
    """Online numbers not checked in by their time become 已失效; idempotent."""
    from . import queue

    return queue.lapse_online(by=Actor.system("在线取号失效"))
