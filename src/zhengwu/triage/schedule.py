"""Periodic jobs of triage, run by ``manage.py run_scheduler``. Each job only enqueues a task; the
task is idempotent (it replaces the period's pending snapshot), so a missed or doubled tick is
harmless."""

from __future__ import annotations

from .tasks import refresh_hot_issues, retrain_when_due

# (name, crontab in Asia/Shanghai, task)
JOBS = [
    # Before the working day starts, the last 30 days.
    ("热点问题计算（近30天）", "30 6 * * *", refresh_hot_issues),
    # Sunday night, when nobody waits for a suggestion; skipped until enough new decisions arrived.
    ("研判模型再训练", "0 2 * * 0", retrain_when_due),
]
