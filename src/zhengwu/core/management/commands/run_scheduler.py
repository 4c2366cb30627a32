"""Run the periodic jobs that the apps define in their ``schedule.py`` (a ``JOBS`` list of
(name, crontab, task)). Each tick enqueues the task for the worker; nothing runs here."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand


def periodic_jobs() -> list[tuple[str, str, Any]]:
    jobs: list[tuple[str, str, Any]] = []
    for config in apps.get_app_configs():
        try:
            module = import_module(f"{config.name}.schedule")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.schedule":
                raise
            continue
        jobs.extend(module.JOBS)
    return jobs


def build_scheduler() -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone=settings.TIME_ZONE)
    for name, crontab, task in periodic_jobs():
        scheduler.add_job(
            task.enqueue,
            CronTrigger.from_crontab(crontab, timezone=settings.TIME_ZONE),
            id=name,
            name=name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=60,
        )
    return scheduler


class Command(BaseCommand):
    help = "按各应用 schedule.py 的定义定时提交后台任务"

    def handle(self, *args: Any, **options: Any) -> None:
        scheduler = build_scheduler()
        for job in scheduler.get_jobs():
            self.stdout.write(f"定时任务：{job.name}（{job.trigger}）")
        scheduler.start()
