"""Background work for notices: thin wrappers that call a service."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def send_message(message_id: int) -> str:
    return services.deliver(message_id)


@task()
def retry_failed_messages() -> int:
    """Run on a schedule or by hand; idempotent."""
    return services.retry_failed()
