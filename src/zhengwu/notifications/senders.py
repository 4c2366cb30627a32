"""Senders: how a Message leaves the building. Each is a class with ``send(message) -> None`` that
raises on failure; services.deliver records the outcome. The backend is chosen by the
NOTIFY_BACKEND setting:

- ``console`` (default): writes the message to the ``zhengwu.notifications`` log at INFO level
  (LOG_LEVEL=INFO shows it) — nothing leaves the machine; right for development and demos.
- ``file``: appends one JSON line per message to ``var/notifications/outbox.jsonl`` (under the
  VAR_DIR setting); right for test environments where someone wants to read what was sent.
- ``http``: an SMS gateway reached over HTTP, see ``HttpSmsSender``. E-mails go through Django's
  own mail settings (EMAIL_BACKEND …) with this backend.
- any dotted path to a class with the same ``send`` method, for a provider with its own SDK.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import Channel, Message

logger = logging.getLogger("zhengwu.notifications")


class Sender(Protocol):
    def send(self, message: Message) -> None:
        """Hand the message over, or raise with a reason the operator can read."""


class SendError(Exception):
    """The provider refused the message or could not be reached."""


def _record(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "channel": message.channel,
        "to": message.recipient,
        "body": message.body,
        "about": f"{message.about_label}#{message.about_id}" if message.about_label else "",
        "at": timezone.now().isoformat(),
    }


class ConsoleSender:
    """Logs the message (the phone number masked) and sends nothing."""

    def send(self, message: Message) -> None:
        logger.info("%s → %s：%s", message.get_channel_display(), message.recipient_display, message.body)


class FileSender:
    """Appends a JSON line per message to ``<VAR_DIR>/notifications/outbox.jsonl``."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or Path(settings.VAR_DIR) / "notifications" / "outbox.jsonl"

    def send(self, message: Message) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(_record(message), ensure_ascii=False)
        with self.path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")


class HttpSmsSender:
    """An SMS gateway over HTTP (most Chinese providers offer one, or sit behind a small adapter).

    Settings (environment variables in .env.example):

    - ``SMS_HTTP_URL``: the gateway endpoint, ``https://…`` (``http://`` only inside a closed network);
    - ``SMS_HTTP_TOKEN``: sent as ``Authorization: Bearer <token>``;
    - ``SMS_HTTP_TIMEOUT``: seconds to wait (default 10).

    Request: ``POST`` with ``Content-Type: application/json; charset=utf-8`` and the body
    ``{"phone": "13800000000", "content": "【SMS_SIGNATURE】…", "reference": "zhengwu-42"}``. The
    reference is stable per message, so a gateway that deduplicates on it never delivers twice.

    Response: any 2xx status means accepted, unless the body is JSON with ``"ok": false`` (then its
    ``"error"`` or ``"message"`` is recorded). Any other status, a timeout or a refused connection
    raises ``SendError``; the message is marked failed and can be retried.

    E-mail messages are handed to Django's mail system (EMAIL_BACKEND and friends).
    """

    def __init__(self, url: str | None = None, token: str | None = None, timeout: float | None = None):
        self.url = url if url is not None else getattr(settings, "SMS_HTTP_URL", "")
        self.token = token if token is not None else getattr(settings, "SMS_HTTP_TOKEN", "")
        self.timeout = timeout if timeout is not None else float(getattr(settings, "SMS_HTTP_TIMEOUT", 10))

    def send(self, message: Message) -> None:
        if message.channel == Channel.EMAIL:
            send_mail(settings.SMS_SIGNATURE, message.body, None, [message.recipient_email])
            return
        if not self.url.startswith(("https://", "http://")):
            raise SendError("未配置短信网关地址 SMS_HTTP_URL")
        payload = json.dumps(
            {"phone": message.recipient_phone, "content": message.body, "reference": f"zhengwu-{message.pk}"},
            ensure_ascii=False,
        ).encode()
        request = urllib.request.Request(  # noqa: S310 — scheme checked above
            self.url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {self.token}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read(10_000)
        except urllib.error.HTTPError as exc:
            raise SendError(f"短信网关拒绝：HTTP {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SendError(f"短信网关无法连接：{exc}") from exc
        try:
            answer = json.loads(raw or b"{}")
        except ValueError:
            return
        if isinstance(answer, dict) and answer.get("ok") is False:
            raise SendError(f"短信网关拒绝：{answer.get('error') or answer.get('message') or '未说明原因'}")


BACKENDS: dict[str, str] = {
    "console": "zhengwu.notifications.senders.ConsoleSender",
    "file": "zhengwu.notifications.senders.FileSender",
    "http": "zhengwu.notifications.senders.HttpSmsSender",
}


def get_sender() -> Sender:
    name = getattr(settings, "NOTIFY_BACKEND", "console") or "console"
    cls = import_string(BACKENDS.get(name, name))
    sender: Sender = cls()
    return sender
