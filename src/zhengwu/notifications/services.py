"""The write path for notices: ``notify`` queues a Message and enqueues its delivery after the
surrounding transaction commits; ``deliver`` sends it once, whoever runs it and however often."""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from zhengwu.core.errors import InvalidInput

from .models import Channel, Message, Status
from .senders import get_sender

MAX_ATTEMPTS = 5
MOBILE = re.compile(r"^1[3-9]\d{9}$")


def _about(about: Any) -> tuple[str, str]:
    if about is None:
        return "", ""
    if isinstance(about, models.Model):
        return about._meta.label_lower, str(about.pk)
    label, pk = about
    return str(label)[:100], str(pk)[:64]


def notify(
    *,
    phone: str = "",
    email: str = "",
    body: str,
    about: Any = None,
    dedupe_key: str | None = None,
) -> Message:
    """Queue one notice (an SMS when a phone is given, else an e-mail) and send it after commit.
    ``about`` is the model instance it concerns (or a (label, id) pair). With a ``dedupe_key`` a
    second call for the same occasion returns the first message and sends nothing more."""
    phone = (phone or "").strip().replace(" ", "")
    email = (email or "").strip()
    body = (body or "").strip()
    if not body:
        raise InvalidInput("消息内容不能为空", field="body")
    if len(body) > 2000:
        raise InvalidInput("消息内容不能超过2000个字", field="body")
    if phone and not MOBILE.match(phone):
        raise InvalidInput("短信只能发往11位手机号", field="phone")
    if not phone and not email:
        raise InvalidInput("没有可通知的手机号或邮箱", field="phone")
    if dedupe_key and (existing := Message.objects.filter(dedupe_key=dedupe_key).first()):
        return existing
    label, pk = _about(about)
    message = Message(
        channel=Channel.SMS if phone else Channel.EMAIL,
        recipient_phone=phone,
        recipient_email="" if phone else email,
        body=body,
        about_label=label,
        about_id=pk,
        dedupe_key=dedupe_key or None,
    )
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        if dedupe_key and (existing := Message.objects.filter(dedupe_key=dedupe_key).first()):
            return existing
        raise
    enqueue_delivery(message.pk)
    return message


def enqueue_delivery(message_id: int) -> None:
    from .tasks import send_message

    transaction.on_commit(lambda: send_message.enqueue(message_id))


def deliver(message_id: int) -> str:
    """Send one message unless it was sent already. The row is locked while the sender runs, so
    two workers picking up the same message cannot both send it. Returns the resulting status."""
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(pk=message_id).first()
        if message is None:
            return "missing"
        if message.status == Status.SENT:
            return Status.SENT
        message.attempts += 1
        try:
            get_sender().send(message)
        except Exception as exc:  # any provider failure is recorded, never lost
            message.status = Status.FAILED
            message.error = f"{type(exc).__name__}: {exc}"[:1000]
        else:
            message.status = Status.SENT
            message.sent_at = timezone.now()
            message.error = ""
        message.save(update_fields=["status", "attempts", "sent_at", "error", "updated_at"])
        return message.status


def retry_failed(*, max_attempts: int = MAX_ATTEMPTS) -> int:
    """Enqueue again the messages that failed (or were never picked up), up to ``max_attempts``
    tries each. Idempotent: delivering a sent message does nothing."""
    ids = list(
        Message.objects.filter(status__in=[Status.QUEUED, Status.FAILED], attempts__lt=max_attempts)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        enqueue_delivery(pk)
    return len(ids)
