"""Reads of the working-day calendar.

:func:`get_calendar` is what every deadline computation uses. Building a :class:`WorkCalendar`
takes about 10 ms, so one is kept per process and rebuilt only when the tables change. "Changed" is
read from the database on every call — counts and latest ``updated_at`` of both tables in one
aggregate query — rather than from a cache key the service bumps, because an edit made in another
process (the admin, a worker) must be seen here too. Callers computing many deadlines should call
it once and reuse the calendar."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from .entry import DayEntry
from .models import CalendarYear, DayKind, SpecialDay
from .workdays import CalendarNotCovered, WorkCalendar

_lock = threading.Lock()
_cached: tuple[tuple[Any, ...], WorkCalendar] | None = None


def _stamp() -> tuple[Any, ...]:
    agg = CalendarYear.objects.aggregate(
        years=Count("id", distinct=True),
        years_at=Max("updated_at"),
        days=Count("special_days"),
        days_at=Max("special_days__updated_at"),
    )
    return (agg["years"], agg["years_at"], agg["days"], agg["days_at"], tuple(settings.WORKING_HOURS))


def build_calendar() -> WorkCalendar:
    """A fresh calendar from the tables and ``settings.WORKING_HOURS``."""
    holidays: list[date] = []
    makeup: list[date] = []
    for day, kind in SpecialDay.objects.values_list("date", "kind"):
        (holidays if kind == DayKind.HOLIDAY else makeup).append(day)
    return WorkCalendar(
        years=CalendarYear.objects.values_list("year", flat=True),
        holidays=holidays,
        makeup_days=makeup,
        working_hours=settings.WORKING_HOURS,
        tz=settings.TIME_ZONE,
    )


def get_calendar() -> WorkCalendar:
    """The current calendar, rebuilt if the tables or the working hours changed since last time."""
    global _cached
    stamp = _stamp()
    cached = _cached
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with _lock:
        if _cached is not None and _cached[0] == stamp:
            return _cached[1]
        calendar = build_calendar()
        _cached = (stamp, calendar)
        return calendar


def invalidate_calendar() -> None:
    """Forget the cached calendar (the service calls this after a write; the stamp would notice
    anyway, this only saves a rebuild on a stale stamp)."""
    global _cached
    _cached = None


def years_with_counts() -> QuerySet[CalendarYear]:
    """Every covered year with its numbers of holidays and make-up days, in one query."""
    return CalendarYear.objects.annotate(
        holiday_count=Count("special_days", filter=Q(special_days__kind=DayKind.HOLIDAY)),
        makeup_count=Count("special_days", filter=Q(special_days__kind=DayKind.MAKEUP)),
    ).order_by("-year")


def get_year(year: int, *, field: str = "year") -> CalendarYear:
    """The year's row, or :class:`CalendarNotCovered` — a missing year is the same loud error for
    pages and the API as for the calculations."""
    try:
        return CalendarYear.objects.get(year=year)
    except CalendarYear.DoesNotExist:
        raise CalendarNotCovered(year, field=field) from None


def special_days(calendar_year: CalendarYear) -> tuple[list[DayEntry], list[DayEntry]]:
    """(holidays, make-up days) of a year as entries, in date order."""
    holidays: list[DayEntry] = []
    makeup: list[DayEntry] = []
    for day in calendar_year.special_days.order_by("date"):
        (holidays if day.kind == DayKind.HOLIDAY else makeup).append(DayEntry(day.date, day.name))
    return holidays, makeup


# The State Council publishes the next year's holidays around November; from then on a missing
# year is worth saying on every staff home page, before limits start running into it.
WARN_FROM_MONTH = 11


def uncovered_next_year(today: date | None = None) -> int | None:
    """Next year, once it is near and its holidays and make-up days are not entered yet."""
    today = today or timezone.localdate()
    upcoming = today.year + 1
    if today.month >= WARN_FROM_MONTH and not CalendarYear.objects.filter(year=upcoming).exists():
        return upcoming
    return None
