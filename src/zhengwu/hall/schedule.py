"""Periodic jobs of appointments, run by ``manage.py run_scheduler``; each task is idempotent."""

from __future__ import annotations

from .tasks import lapse_online_tickets, mark_no_shows, open_appointment_slots

# (name, crontab in Asia/Shanghai, task)
JOBS = [
    ("开放预约时段", "5 0 * * *", open_appointment_slots),
    ("爽约统计", "30 18 * * *", mark_no_shows),
    ("在线取号失效", "*/5 * * * *", lapse_online_tickets),
]
