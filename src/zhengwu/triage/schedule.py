"""Periodic jobs of triage, run by ``manage.py run_scheduler``. Each job only enqueues a task; the
task is idempotent (it replaces the period's pending snapshot), so a missed or doubled tick is
harmless."""

from __future__ import annotations

from .tasks import refresh_hot_issues

# (name, crontab in Asia/Shanghai, task): before the working day starts, the last 30 days.
JOBS = [("热点问题计算（近30天）", "30 6 * * *", refresh_hot_issues)]
