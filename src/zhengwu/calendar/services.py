"""The one write path of the working-day calendar: entering (or re-entering) a year's schedule from
the State Council notice. The page, and any later API or admin action, call :func:`enter_year`, so
they validate, audit and invalidate identically."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction

from zhengwu.core import audit
from zhengwu.core.errors import Conflict, InvalidInput, NotAllowed

from . import selectors
from .entry import DayEntry, check_entries
from .models import CalendarYear, DayKind, Source, SpecialDay
from .signals import calendar_changed

if TYPE_CHECKING:
    from zhengwu.accounts.models import User

MIN_YEAR, MAX_YEAR = 1990, 2100

EntryLike = DayEntry | tuple[date, str]


def _entries(items: Iterable[EntryLike]) -> list[DayEntry]:
    return [item if isinstance(item, DayEntry) else DayEntry(item[0], item[1]) for item in items]


def _snapshot(calendar_year: CalendarYear | None) -> dict[str, Any] | None:
    """What the audit record keeps of a year: enough to reconstruct it."""
    if calendar_year is None:
        return None
    holidays, makeup = selectors.special_days(calendar_year)
    return {
        "source": calendar_year.source,
        "notice_title": calendar_year.notice_title,
        "notice_number": calendar_year.notice_number,
        "holidays": [[e.day.isoformat(), e.name] for e in holidays],
        "makeup_days": [[e.day.isoformat(), e.name] for e in makeup],
    }


@transaction.atomic
def enter_year(
    *,
    year: int,
    holidays: Iterable[EntryLike],
    makeup_days: Iterable[EntryLike],
    notice: str,
    by: User,
    notice_number: str = "",
    version: str | None = None,
) -> CalendarYear:
    """Record ``year``'s holidays and make-up working days, replacing whatever the year had.

    ``version`` is the year's :attr:`CalendarYear.version` as the caller saw it ("" for a year
    that did not exist); if someone saved the year since, nothing is written and :class:`Conflict`
    says so. Entering a new year needs ``calendar.add_calendaryear``, replacing one also
    ``calendar.change_calendaryear``: past deadlines were computed from it."""
    if not by.has_perm("calendar.add_calendaryear"):
        raise NotAllowed("您没有录入工作日历的权限")
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(f"年度应在{MIN_YEAR}至{MAX_YEAR}之间", field="year")
    notice = notice.strip()
    if not notice:
        raise InvalidInput(
            "请填写通知标题，如《国务院办公厅关于2027年部分节假日安排的通知》", field="notice_title"
        )
    holiday_entries, makeup_entries = _entries(holidays), _entries(makeup_days)
    errors = check_entries(year, holiday_entries, makeup_entries)
    if errors:
        first = next(iter(errors.values()))[0]
        raise InvalidInput(first, errors=errors)

    existing = CalendarYear.objects.select_for_update().filter(year=year).first()
    if existing is not None and not by.has_perm("calendar.change_calendaryear"):
        raise NotAllowed(f"{year}年的工作日历已录入，您没有修改的权限")
    if version is not None and version != (existing.version if existing else ""):
        raise Conflict(f"{year}年的工作日历已被他人修改，请刷新后重新录入")
    before = _snapshot(existing)

    calendar_year = existing or CalendarYear(year=year)
    calendar_year.source = Source.STATE_COUNCIL
    calendar_year.notice_title = notice[:200]
    calendar_year.notice_number = notice_number.strip()[:50]
    calendar_year.save()
    calendar_year.special_days.all().delete()
    SpecialDay.objects.bulk_create(
        [
            SpecialDay(date=e.day, year=calendar_year, kind=DayKind.HOLIDAY, name=e.name)
            for e in holiday_entries
        ]
        + [
            SpecialDay(date=e.day, year=calendar_year, kind=DayKind.MAKEUP, name=e.name)
            for e in makeup_entries
        ]
    )
    audit.record(
        actor=by,
        action="录入工作日历" if existing is None else "修改工作日历",
        obj=calendar_year,
        summary=f"{year}年：节假日{len(holiday_entries)}天、调休上班{len(makeup_entries)}天（{notice}）",
        before=before,
        after=_snapshot(calendar_year),
    )
    selectors.invalidate_calendar()
    transaction.on_commit(lambda: calendar_changed.send(sender=CalendarYear, year=year))
    return calendar_year
