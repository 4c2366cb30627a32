"""The task queue for scale: the same tasks on RQ (django-tasks-rq) instead of the database."""

import os
import signal

import pytest

from zhengwu.appeals.workflow import AppealState as S


@pytest.mark.django_db
def test_tasks_run_on_rq_when_the_backend_is_switched(settings, desk):
    """TASKS_BACKEND=django_tasks_rq.RQBackend: a task goes to Redis (database 4, the tests') and
    an RQ worker with django_tasks_rq's job class runs it against our database."""
    import django_rq
    from django_tasks_rq import Job
    from rq import SimpleWorker

    from zhengwu.appeals import tasks

    name = f"test-{os.getpid()}"  # a queue of this test's own: other runs may share Redis db 4
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default", name]}}
    redis = {"URL": "redis://127.0.0.1:6379/4", "DEFAULT_TIMEOUT": 60}
    settings.RQ_QUEUES = {"default": redis, name: redis}
    queue = django_rq.get_queue(name, job_class=Job)
    queue.empty()
    desk.reach(S.DISPATCHED)
    result = tasks.verify_history.using(queue_name=name).enqueue()
    assert result.status == "READY" and result.id in queue.job_ids
    # The worker binds SIGINT/SIGTERM to itself and leaves them bound after a burst: a signal much
    # later (another test, Ctrl-C) would raise its StopRequested there. Put the handlers back.
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        SimpleWorker([queue], connection=queue.connection, job_class=Job).work(burst=True)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    result.refresh()
    assert result.status == "SUCCESSFUL", result.errors
    assert result.return_value.startswith("1件诉求，0件不符")
