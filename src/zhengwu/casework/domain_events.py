"""Domain events: one part says what happened (``application_completed``, ``appeal_triaged``,
``appeal_closed``) and the parts that care subscribe, so that the part where it happened does not
import them. Handlers run after the transaction commits — a rolled-back change announces
nothing — each on its own, so one failing handler neither undoes the change nor silences the
others. Subscriptions are made in the subscriber's ``AppConfig.ready``.

This is control flow by name, used only across parts: inside a part, call the function."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

Handler = Callable[..., None]
_handlers: dict[str, list[Handler]] = defaultdict(list)

# The events the parts publish, with what each carries; subscribing to another name is a mistake.
EVENTS: dict[str, str] = {
    "appeal_triaged": (
        "appeal_id, category_id, by_id (None: the system), suggested (the first-level category the"
        " suggestion shown proposed, or empty); suggestion_id where a stored suggestion was shown"
        " — a dispatcher classified an appeal"
    ),
    "appeal_closed": "appeal_id — an appeal was closed (办结)",
    "application_accepted": "application_id — an application was accepted (受理)",
    "application_completed": "application_id, approved — an application was completed (办结)",
    "application_delivered": "application_id — the result was handed over or received (出件)",
}


def subscribe(name: str) -> Callable[[Handler], Handler]:
    if name not in EVENTS:
        raise ValueError(f"unknown domain event {name!r}")

    def register(handler: Handler) -> Handler:
        if handler not in _handlers[name]:
            _handlers[name].append(handler)
        return handler

    return register


def publish(name: str, **payload: Any) -> None:
    """Announce ``name`` once the current transaction commits (at once outside one)."""
    if name not in EVENTS:
        raise ValueError(f"unknown domain event {name!r}")

    def deliver() -> None:
        for handler in list(_handlers[name]):
            try:
                with transaction.atomic():
                    handler(**payload)
            except Exception:
                logger.exception(
                    "领域事件 %s 的处理程序 %s 失败", name, getattr(handler, "__qualname__", handler)
                )

    transaction.on_commit(deliver)
