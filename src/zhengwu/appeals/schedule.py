"""Periodic jobs of the appeals desk, run by ``manage.py run_scheduler`` (started by ``make run``).
Each job only enqueues a task; the task is idempotent, so a missed or doubled tick is harmless."""

from __future__ import annotations

from .tasks import urge_due_assignments

# (name, crontab in Asia/Shanghai, task)
JOBS = [("催办与超期升级", "*/5 * * * *", urge_due_assignments)]
