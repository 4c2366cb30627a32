"""Periodic jobs of the statistics, run by ``manage.py run_scheduler``: the incremental roll-up
every minute, the full rebuild nightly, and the monthly report checked every morning (it is made
on the first working day of the month only, once)."""

from __future__ import annotations

from .tasks import generate_due_report, rebuild_rollup, update_rollup

# (name, crontab in Asia/Shanghai, task)
JOBS = [
    ("统计增量汇总", "* * * * *", update_rollup),
    ("统计全量重算", "40 2 * * *", rebuild_rollup),
    ("月度统计报告", "30 7 * * *", generate_due_report),
]
