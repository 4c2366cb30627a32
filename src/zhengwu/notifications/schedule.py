"""Periodic jobs of the notices, run by ``manage.py run_scheduler``. A message whose SMS gateway
failed is tried again every ten minutes, up to ``services.MAX_ATTEMPTS`` tries; delivering is
idempotent (a sent message is never sent twice), so a doubled tick is harmless."""

from __future__ import annotations

from .tasks import retry_failed_messages

# (name, crontab in Asia/Shanghai, task)
JOBS = [
    ("短信与邮件失败重发", "*/10 * * * *", retry_failed_messages),
]
