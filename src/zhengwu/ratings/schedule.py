"""Periodic jobs of 好差评, run by ``manage.py run_scheduler``: 智能邀评 every ten minutes (it sends
only within RATING_INVITE_HOURS; both steps are idempotent), and the 电话邀评 sample of the week
before every Monday morning."""

from __future__ import annotations

from .tasks import draw_weekly_phone_sample, schedule_and_send_invitations, urge_rectifications

# (name, crontab in Asia/Shanghai, task)
JOBS = [
    ("智能邀评短信", "*/10 * * * *", schedule_and_send_invitations),
    ("电话邀评每周抽样", "30 8 * * 1", draw_weekly_phone_sample),
    ("差评整改定时催办", "*/15 * * * *", urge_rectifications),
]
