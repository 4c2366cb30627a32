"""A failed SMS is sent again by the scheduler, not left failed until someone retries by hand."""

from __future__ import annotations

from django_tasks_db.models import DBTaskResult

from zhengwu.core.management.commands.run_scheduler import build_scheduler
from zhengwu.notifications.models import Message, Status


def test_the_scheduler_enqueues_the_retry_of_failed_messages(db, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    job = build_scheduler().get_job("短信与邮件失败重发")
    assert job is not None and str(job.trigger).startswith("cron[")
    job.func()
    assert DBTaskResult.objects.get().task_path.endswith("retry_failed_messages")


def test_a_tick_sends_a_failed_message_again(db, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.NOTIFY_BACKEND = "console"
    failed = Message.objects.create(
        recipient_phone="13912345678",
        body="您的诉求已答复",
        status=Status.FAILED,
        attempts=1,
        error="网关超时",
    )
    with django_capture_on_commit_callbacks(execute=True):
        build_scheduler().get_job("短信与邮件失败重发").func()
    failed.refresh_from_db()
    assert failed.status == Status.SENT and failed.attempts == 2
