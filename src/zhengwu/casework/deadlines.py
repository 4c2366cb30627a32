"""Deadline lights for every timed thing (DESIGN §4): green (on time), yellow (near the limit),
red (overdue). The yellow rule lives here once: the LATER of the moment APPEAL_YELLOW_SHARE of the
working time allowed is used and the moment only APPEAL_YELLOW_WORKING_HOURS working hours are
left (the settings keep the names they had when only appeals had limits)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from zhengwu.calendar.selectors import get_calendar
from zhengwu.calendar.workdays import Limit, WorkCalendar
from zhengwu.core.errors import DomainError

LIGHT_LABELS = {"green": "正常", "yellow": "临期", "red": "超期", "paused": "暂停计时", "": ""}


def yellow_working_seconds() -> int:
    """APPEAL_YELLOW_WORKING_HOURS in seconds: a limit is never yellow with more working time left."""
    return int(float(settings.APPEAL_YELLOW_WORKING_HOURS) * 3600)


def yellow_from(start: datetime, due: datetime, *, calendar: WorkCalendar | None = None) -> datetime:
    """Where a limit's yellow light (临期) begins. Later, not earlier, of the two points: a fresh
    dispatch on Friday night with a Monday 17:30 limit has used a large share of the clock but
    none of the working time, and a long limit should not be yellow for days. Working time comes
    from the calendar; a limit with no working time in it (a clock-hour limit at night) or in a
    year not entered yet is measured on the clock instead."""
    share = min(max(float(settings.APPEAL_YELLOW_SHARE), 0.0), 1.0)
    before = yellow_working_seconds()
    if due <= start:
        return due
    cal = calendar or get_calendar()
    try:
        total = cal.working_seconds_between(start, due)
        if total > 0:
            share_point = cal.add_working_seconds(start, math.ceil(total * share))
            hours_point = cal.add_working_seconds(start, total - before) if total > before else start
            return max(share_point, hours_point)
    except DomainError:
        pass
    span = due - start
    return max(start + span * share, due - timedelta(seconds=before))


def light(
    start: datetime,
    due: datetime | None,
    now: datetime,
    *,
    done_at: datetime | None = None,
    calendar: WorkCalendar | None = None,
) -> str:
    """green / yellow / red for one running limit: red past the limit, yellow from ``yellow_from``,
    green otherwise and whenever it was met in time."""
    if due is None:
        return "green"
    at = done_at or now
    if at > due:
        return "red"
    if done_at is not None:
        return "green"
    return "yellow" if now >= yellow_from(start, due, calendar=calendar) else "green"


class Lights:
    """``light`` for many rows with one read of the calendar (pages lighting a list)."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or timezone.now()
        self._cal: WorkCalendar | None = None

    @property
    def cal(self) -> WorkCalendar:
        if self._cal is None:
            self._cal = get_calendar()
        return self._cal

    def __call__(
        self, start: datetime | None, due: datetime | None, *, done_at: datetime | None = None
    ) -> str:
        if due is None:
            return "green"
        return light(start or self.now, due, self.now, done_at=done_at, calendar=self.cal)

    def yellow_until(self) -> datetime:
        """Dues up to this moment have at most APPEAL_YELLOW_WORKING_HOURS working hours left."""
        seconds = yellow_working_seconds()
        try:
            return self.cal.add_working_seconds(self.now, seconds)
        except DomainError:
            return self.now + timedelta(seconds=seconds)


def due_after_pauses(
    start: datetime,
    limit: Limit,
    pauses: Sequence[tuple[datetime, datetime]],
    *,
    calendar: WorkCalendar | None = None,
) -> datetime:
    """The deadline of ``limit`` from ``start`` with the clock stopped during ``pauses`` (补正,
    特别程序): the one formula a stored deadline is computed with."""
    return (calendar or get_calendar()).deadline_for(start, limit, list(pauses))
