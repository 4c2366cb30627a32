"""Periodic jobs of the applications, run by ``manage.py run_scheduler``. Each job only enqueues a
task; the task is idempotent, so a missed or doubled tick is harmless."""

from __future__ import annotations

from .tasks import flag_overdue_deferred, send_deadline_alerts

# (name, crontab in Asia/Shanghai, task)
JOBS = [
    ("办件临期与超期提醒", "*/10 * * * *", send_deadline_alerts),
    ("容缺材料逾期检查", "20 8 * * *", flag_overdue_deferred),
]
