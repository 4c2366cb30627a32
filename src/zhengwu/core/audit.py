"""The one way to write an audit record."""

from __future__ import annotations

from typing import Any

from django.db import models

from .models import AuditEvent


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    summary: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label,
        object_id=str(obj.pk),
        summary=summary[:500],
        before=before,
        after=after,
        ip=ip,
    )
