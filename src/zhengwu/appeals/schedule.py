"""Periodic jobs of the appeals desk, run by ``manage.py run_scheduler`` (started by ``make run``).
Each job only enqueues a task; the task is idempotent, so a missed or doubled tick is harmless."""

from __future__ import annotations

from .tasks import rebuild_board, refresh_board, urge_due_assignments, verify_history

# (name, crontab in Asia/Shanghai, task)
JOBS = [
    ("催办与超期升级", "*/5 * * * *", urge_due_assignments),
    # The board reads the roll-up plus what changed since: the fewer changes, the faster it is.
    ("问题清零看板汇总", "* * * * *", refresh_board),
    ("问题清零看板全量重算", "10 3 * * *", rebuild_board),
    # Every history, its row's seal and the checkpoints; then today's checkpoint (events.py).
    ("诉求轨迹校验与检查点", "40 3 * * *", verify_history),
]
