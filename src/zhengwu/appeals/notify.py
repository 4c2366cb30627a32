"""Notices to the citizen about their appeal, through zhengwu.notifications. Called after the
transaction that approved a reply commits (services.approve_reply schedules it with
``transaction.on_commit``), so a rolled-back approval sends nothing.

The SMS never contains the query code (it is not stored in clear) nor staff names."""

from __future__ import annotations

import logging

from django.conf import settings
from django.urls import reverse

from zhengwu.notifications.models import Message
from zhengwu.notifications.services import MOBILE, notify

from .models import Appeal

logger = logging.getLogger("zhengwu.appeals")
REPLY_EXCERPT = 120


def signature() -> str:
    """【SMS_SIGNATURE】: the sender's name as the SMS gateway registered it for this city."""
    return f"【{settings.SMS_SIGNATURE}】"


def _excerpt(text: str, limit: int = REPLY_EXCERPT) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def track_url() -> str:
    """Where to look: SITE_URL (if the deployment sets it) + the tracking page."""
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    return f"{base}{reverse('appeals_public:track')}" if base else f"{settings.SITE_NAME}“我要反映”页面"


def reply_text(appeal: Appeal) -> str:
    return (
        f"{signature()}您反映的问题（工单号{appeal.number}）已有答复：{_excerpt(appeal.reply)}"
        f" 凭工单号和查询码可在{track_url()}查询详情并评价。"
    )


def notify_reply(appeal: Appeal) -> Message | None:
    """Text the citizen that their appeal was answered. Nothing for an appeal without a phone
    (anonymous reports). Once per approval: a retry of the same approval sends nothing more; a
    later approval (after 重办) sends a new message."""
    try:
        appeal = Appeal.objects.get(pk=appeal.pk)  # as committed, whatever the caller holds
        if not MOBILE.match(appeal.contact_phone or "") or not appeal.reply:
            return None  # anonymous, or a landline: the callback staff phone instead
        stamp = appeal.replied_at.isoformat() if appeal.replied_at else "once"
        return notify(
            phone=appeal.contact_phone,
            body=reply_text(appeal),
            about=appeal,
            dedupe_key=f"appeals.appeal:{appeal.pk}:reply:{stamp}",
        )
    except Exception:
        # Runs after the approval committed: a notice that cannot be queued must not turn the
        # dispatcher's page into an error. It is logged for the operators to follow up.
        logger.exception("答复短信未能排队：诉求 %s", appeal.pk)
        return None
