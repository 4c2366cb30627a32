"""Reads of appointments, scoped to who asks."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from zhengwu.org.models import Hall

from .models import Appointment


def hall_of(user: Any) -> Hall | None:
    """A staff member's hall: the hall of their window."""
    window = getattr(user, "window", None)
    return window.hall if window is not None else None


def day_list(hall: Hall, day: date) -> QuerySet[Appointment]:
    """当日预约: the hall's appointments of the day, by time, in every state."""
    tz = timezone.get_current_timezone()
    begin = datetime.combine(day, time(0), tzinfo=tz)
    return (
        Appointment.objects.filter(
            hall=hall, slot__starts_at__gte=begin, slot__starts_at__lt=begin + timedelta(days=1)
        )
        .select_related("slot", "item", "citizen")
        .order_by("slot__starts_at", "code")
    )


def owned_by(user: Any) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(citizen__user=user)
        .select_related("slot", "item", "hall")
        .order_by("-slot__starts_at")
    )
