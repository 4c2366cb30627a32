from django_tasks_db.models import DBTaskResult

from zhengwu.core.management.commands.run_scheduler import build_scheduler, periodic_jobs


def test_periodic_jobs_come_from_the_apps():
    names = [name for name, _, _ in periodic_jobs()]
    assert "催办与超期升级" in names


def test_a_tick_enqueues_the_task_for_the_worker(db, settings):
    # Observed through the database backend's table, whichever backend this run configured.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    scheduler = build_scheduler()
    job = scheduler.get_job("催办与超期升级")
    assert str(job.trigger).startswith("cron[")
    job.func()
    task = DBTaskResult.objects.get()
    assert task.task_path.endswith("urge_due_assignments")
