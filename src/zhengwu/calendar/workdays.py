"""Working-day arithmetic (工作日计算) as pure functions over a calendar given to them.

Nothing here reads the database: ``selectors.get_calendar()`` builds a :class:`WorkCalendar` from
the tables and every caller (services, the API, the bulk recomputation) asks it. Keeping the maths
pure is what lets deadlines be computed once, stored, and checked against thousands of random cases.

The model. Every moment maps to a *working-second coordinate* W(t): the number of working seconds
between the start of the covered range and t. With, for every day of the range, the count of
working days before it (a cumulative sum) and the length L of a working day, W(t) is
``workdays_before(day) × L + working seconds already elapsed that day`` — O(1). Adding a limit is
W(start) + amount, and the inverse is the k-th working day (a sorted array of working-day indices)
plus a position inside its working hours — O(1) again. Non-working moments (nights, weekends,
holidays) all share the coordinate of the end of the previous working day, so the clock simply
does not move through them.

Rules the law and practice impose, and where they live:

* A plain ``date`` start follows "期间开始的日不计算在期间内": the clock starts at the end of that
  day and the answer is the date on which the deadline falls.
* A deadline is the *earliest* moment the required working time has run: exactly one working day
  from 09:00 is 17:30 the same day, not 09:00 the next.
* A day outside the covered years is never guessed: :class:`CalendarNotCovered` says which year an
  administrator must enter. China moves working days every year (调休), so a weekday guess would
  silently produce wrong legal deadlines.
* Times are handled to the second, in Asia/Shanghai (fixed +08:00 since 1991); a start's fraction of
  a second is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal, overload
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from zhengwu.core.errors import DomainError, InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_WORKING_HOURS: tuple[str, ...] = ("09:00-12:00", "13:30-17:30")
ENTRY_PLACE = "「工作日历 → 录入年度安排」"

DayCount = Decimal | float | int
Pause = tuple[datetime, datetime]
Unit = Literal["working_days", "clock_hours"]

_SECONDS_PER_DAY = 86_400
_HUNDREDTH = Decimal("0.01")
_UNIX_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class CalendarNotCovered(DomainError):
    """A computation needs a year that nobody has entered. 422: the input is well formed, but the
    answer depends on a State Council notice the platform does not have yet."""

    status = 422

    def __init__(self, year: int, *, field: str = "start") -> None:
        self.year = year
        super().__init__(
            f"{year}年的工作日历尚未录入：请管理员在{ENTRY_PLACE}中按国务院办公厅通知录入{year}年的节假日和调休安排",
            field=field,
        )


# --------------------------------------------------------------------------------------------
# Input normalisation shared by the scalar and bulk paths
# --------------------------------------------------------------------------------------------


def parse_working_hours(spec: Sequence[str]) -> tuple[tuple[int, int], ...]:
    """``["09:00-12:00", "13:30-17:30"]`` → ``((32400, 43200), (48600, 63000))`` seconds of day.

    A configuration error, not a user error, hence ValueError: the site must not start computing
    deadlines with overlapping or unordered hours."""
    intervals: list[tuple[int, int]] = []
    for item in spec:
        try:
            left, right = (part.strip() for part in item.split("-"))
            start, end = time.fromisoformat(left), time.fromisoformat(right)
        except ValueError as exc:
            raise ValueError(f"WORKING_HOURS 中的“{item}”应写成 HH:MM-HH:MM") from exc
        a = start.hour * 3600 + start.minute * 60 + start.second
        b = end.hour * 3600 + end.minute * 60 + end.second
        if b <= a:
            raise ValueError(f"WORKING_HOURS 中的“{item}”结束时间应晚于开始时间")
        if intervals and a < intervals[-1][1]:
            raise ValueError(f"WORKING_HOURS 中的“{item}”与前一段重叠或顺序颠倒")
        intervals.append((a, b))
    if not intervals:
        raise ValueError("WORKING_HOURS 至少需要一段工作时间")
    return tuple(intervals)


def to_hundredths(days: DayCount, *, field: str = "days") -> int:
    """A working-day count as an exact whole number of hundredths (0.5 → 50).

    Limits in law and in the catalogue have at most two decimals; anything finer is a typo, so it
    is refused rather than rounded. Floats go through ``str`` so that 0.1 means 0.1."""
    if isinstance(days, bool):
        raise InvalidInput("工作日数应为数字", field=field)
    try:
        value = days if isinstance(days, Decimal) else Decimal(str(days))
    except InvalidOperation as exc:
        raise InvalidInput("工作日数应为数字", field=field) from exc
    if not value.is_finite():
        raise InvalidInput("工作日数应为有限的数字", field=field)
    if value < 0:
        raise InvalidInput("工作日数不能为负数", field=field)
    if value != value.quantize(_HUNDREDTH, rounding=ROUND_HALF_UP):
        raise InvalidInput("工作日数最多保留两位小数", field=field)
    return int(value * 100)


def format_days(value: Decimal) -> str:
    """Decimal → the shortest plain text ("3", "0.5", "-1.25"), never "3E+1"."""
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return str(value.normalize())


def _aware_local(moment: datetime, tz: ZoneInfo, field: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput("时间必须带时区（如 2026-09-30T09:00:00+08:00）", field=field)
    return moment.astimezone(tz)


def _merge(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping union. Overlapping pauses (补正 during a special procedure) must not
    stop the clock twice."""
    merged: list[tuple[int, int]] = []
    for a, b in sorted(i for i in intervals if i[1] > i[0]):
        if merged and a <= merged[-1][1]:
            if b > merged[-1][1]:
                merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def _extend(start: int, target: int, pauses: list[tuple[int, int]]) -> int:
    """Push ``target`` later by every pause that begins before the (growing) deadline. A pause that
    begins exactly at the deadline does not extend it: the time had already run out."""
    for a, b in pauses:
        a = max(a, start)
        if b <= a:
            continue
        if a >= target:
            break
        target += b - a
    return target


def _overlap(lo: int, hi: int, pauses: list[tuple[int, int]]) -> int:
    return sum(max(0, min(b, hi) - max(a, lo)) for a, b in pauses)


def add_clock_hours(
    start: datetime, hours: DayCount, *, pauses: Sequence[Pause] = (), tz: ZoneInfo = SHANGHAI
) -> datetime:
    """``start`` + ``hours`` of elapsed (clock) time, for limits such as "sign within 15 minutes"
    that run through nights and holidays. Pauses still stop the clock. Rounded to the second."""
    local = _aware_local(start, tz, "start").replace(microsecond=0)
    try:
        value = hours if isinstance(hours, Decimal) else Decimal(str(hours))
    except InvalidOperation as exc:
        raise InvalidInput("小时数应为数字", field="hours") from exc
    if not value.is_finite() or value < 0:
        raise InvalidInput("小时数应为不小于0的数字", field="hours")
    seconds = int((value * 3600).to_integral_value(rounding=ROUND_HALF_UP))
    origin = int(local.timestamp())
    spans = _merge(
        (int(_aware_local(a, tz, "pauses").timestamp()), int(_aware_local(b, tz, "pauses").timestamp()))
        for a, b in _checked_pauses(pauses)
    )
    end = _extend(origin, origin + seconds, spans)
    return datetime.fromtimestamp(end, UTC).astimezone(tz)


def _checked_pauses(pauses: Sequence[Pause]) -> Sequence[Pause]:
    for a, b in pauses:
        if a.tzinfo is None or b.tzinfo is None:
            raise InvalidInput("暂停时段的时间必须带时区", field="pauses")
        if b < a:
            raise InvalidInput(
                f"暂停时段的结束时间 {b.isoformat()} 早于开始时间 {a.isoformat()}", field="pauses"
            )
    return pauses


@dataclass(frozen=True)
class Limit:
    """A time limit as the catalogue or a rule states it: 3 working days, 0.25 clock hours.

    One value type so that later features (appeals: "sign within 15 minutes / 1 working day") pass
    a Limit to :meth:`WorkCalendar.deadline_for` instead of choosing a function themselves."""

    amount: Decimal
    unit: Unit

    def __post_init__(self) -> None:
        if self.unit not in ("working_days", "clock_hours"):
            raise ValueError(f"unknown limit unit {self.unit!r}")
        amount = self.amount if isinstance(self.amount, Decimal) else Decimal(str(self.amount))
        if not amount.is_finite() or amount < 0:
            raise InvalidInput("时限应为不小于0的数字", field="amount")
        object.__setattr__(self, "amount", amount)

    @classmethod
    def working_days(cls, amount: DayCount) -> Limit:
        to_hundredths(amount, field="amount")
        return cls(Decimal(str(amount)), "working_days")

    @classmethod
    def clock_hours(cls, amount: DayCount) -> Limit:
        return cls(Decimal(str(amount)), "clock_hours")

    def __str__(self) -> str:
        if self.unit == "working_days":
            return f"{format_days(self.amount)}个工作日"
        if self.amount < 1:
            return f"{format_days(self.amount * 60)}分钟"
        return f"{format_days(self.amount)}小时"


# --------------------------------------------------------------------------------------------
# The calendar
# --------------------------------------------------------------------------------------------


class WorkCalendar:
    """The working days of the covered years, with the arrays that make each computation O(1).

    ``years`` are the years somebody entered (a year is covered only if it has a row); holidays are
    rest days even on weekdays, make-up days (调休上班) working days even on weekends; every other
    weekday works and every other weekend day rests."""

    def __init__(
        self,
        *,
        years: Iterable[int],
        holidays: Iterable[date] = (),
        makeup_days: Iterable[date] = (),
        working_hours: Sequence[str] = DEFAULT_WORKING_HOURS,
        tz: str = "Asia/Shanghai",
    ) -> None:
        self.years: frozenset[int] = frozenset(years)
        self.tz = ZoneInfo(tz)
        self.intervals = parse_working_hours(working_hours)
        self.day_length: int = sum(b - a for a, b in self.intervals)
        # Cumulative working seconds at the end of each interval, for the inverse of the offset.
        ends: list[int] = []
        for a, b in self.intervals:
            ends.append((ends[-1] if ends else 0) + b - a)
        self._interval_ends = ends

        first = min(self.years, default=2000)
        last = max(self.years, default=first - 1)
        self.first_year, self.last_year = first, last
        self._base = date(first, 1, 1).toordinal()
        n = max(0, date(last, 12, 31).toordinal() - self._base + 1) if self.years else 0
        self._n = n

        covered = np.zeros(n, dtype=bool)
        for y in self.years:
            covered[date(y, 1, 1).toordinal() - self._base : date(y, 12, 31).toordinal() - self._base + 1] = (
                True
            )
        weekday = (date.fromordinal(self._base).weekday() + np.arange(n)) % 7
        work = covered & (weekday < 5)
        holiday_idx = self._indices(holidays, "holidays")
        makeup_idx = self._indices(makeup_days, "makeup_days")
        both = np.intersect1d(holiday_idx, makeup_idx)
        if both.size:
            clash = date.fromordinal(self._base + int(both[0]))
            raise ValueError(f"{clash.isoformat()} 不能同时是节假日和调休上班日")
        work[holiday_idx] = False
        work[makeup_idx] = True

        self.is_work: npt.NDArray[np.bool_] = work
        self.covered: npt.NDArray[np.bool_] = covered
        self.workdays_before: npt.NDArray[np.int64] = np.concatenate(([0], np.cumsum(work, dtype=np.int64)))
        self.uncovered_before: npt.NDArray[np.int64] = np.concatenate(
            ([0], np.cumsum(~covered, dtype=np.int64))
        )
        self.work_index: npt.NDArray[np.int64] = np.flatnonzero(work).astype(np.int64)
        # Plain lists for the scalar path: indexing a NumPy array from Python costs ~100 ns and
        # returns NumPy scalars; a list lookup is a third of that and yields int.
        self._work_l: list[bool] = work.tolist()
        self._covered_l: list[bool] = covered.tolist()
        self._before_l: list[int] = self.workdays_before.tolist()
        self._uncov_l: list[int] = self.uncovered_before.tolist()
        self._index_l: list[int] = self.work_index.tolist()
        self._utc_offset = self._fixed_offset()

    def _indices(self, days: Iterable[date], what: str) -> npt.NDArray[np.int64]:
        out: list[int] = []
        for d in days:
            if d.year not in self.years:
                raise ValueError(f"{what} 中的 {d.isoformat()} 不在已录入的年度内")
            out.append(d.toordinal() - self._base)
        return np.unique(np.array(out, dtype=np.int64))

    def _fixed_offset(self) -> int | None:
        """The zone's UTC offset in seconds if it is constant over the covered range (true for
        Asia/Shanghai since 1991), else None; the bulk path needs a constant offset."""
        if not self.years:
            return 0
        probes = {
            datetime(y, m, 1, 12, tzinfo=self.tz).utcoffset()
            for y in range(self.first_year, self.last_year + 1)
            for m in (1, 4, 7, 10)
        }
        if len(probes) != 1:
            return None
        (offset,) = probes
        return int(offset.total_seconds()) if offset is not None else None

    # -- queries ----------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"<WorkCalendar {self.first_year}–{self.last_year} ({len(self.years)} years)>"

    def is_covered(self, day: date) -> bool:
        i = day.toordinal() - self._base
        return 0 <= i < self._n and self._covered_l[i]

    def is_working_day(self, day: date) -> bool:
        return self._work_l[self._day_index(day, "date")]

    # -- the coordinate ---------------------------------------------------------------------

    def _day_index(self, day: date, field: str) -> int:
        i = day.toordinal() - self._base
        if not (0 <= i < self._n and self._covered_l[i]):
            raise CalendarNotCovered(day.year, field=field)
        return i

    def _offset(self, seconds_of_day: int) -> int:
        """Working seconds of one working day elapsed at a clock time."""
        done = 0
        for a, b in self.intervals:
            if seconds_of_day <= a:
                break
            done += min(seconds_of_day, b) - a
        return done

    def _clock(self, worked: int) -> int:
        """Inverse of :meth:`_offset` for 0 < worked ≤ L: the earliest clock time at which that much
        of the day has been worked (so the full day ends at 17:30, not at 09:00 tomorrow)."""
        for (_a, b), end in zip(self.intervals, self._interval_ends, strict=True):
            if worked <= end:
                return b - (end - worked)
        raise AssertionError("worked exceeds the working-day length")

    def _coordinate(self, start: date | datetime, field: str) -> tuple[int, int]:
        """(W, day index). A date stands for the end of that day (the start day is not counted)."""
        if isinstance(start, datetime):
            local = _aware_local(start, self.tz, field)
            i = self._day_index(local, field)
            w = self._before_l[i] * self.day_length
            if self._work_l[i]:
                w += self._offset(local.hour * 3600 + local.minute * 60 + local.second)
            return w, i
        i = self._day_index(start, field)
        return self._before_l[i + 1] * self.day_length, i

    def _pause_coordinate(self, moment: datetime) -> int:
        """W of a pause edge, clamped to the range: a pause edge outside the covered years only
        matters if the deadline itself gets there, and that raises on its own."""
        local = _aware_local(moment, self.tz, "pauses")
        i = local.toordinal() - self._base
        if i < 0:
            return 0
        if i >= self._n:
            return self._before_l[self._n] * self.day_length
        w = self._before_l[i] * self.day_length
        if self._work_l[i]:
            w += self._offset(local.hour * 3600 + local.minute * 60 + local.second)
        return w

    def _pauses(self, pauses: Sequence[Pause]) -> list[tuple[int, int]]:
        return _merge(
            (self._pause_coordinate(a), self._pause_coordinate(b)) for a, b in _checked_pauses(pauses)
        )

    def _require_no_gap(self, i: int, j: int, field: str) -> None:
        """Days i..j (inclusive) must all be covered: a missing year in between would otherwise be
        skipped as if it had no working days."""
        lo, hi = min(i, j), max(i, j)
        if self._uncov_l[hi + 1] - self._uncov_l[lo]:
            y0 = date.fromordinal(self._base + lo).year
            y1 = date.fromordinal(self._base + hi).year
            raise CalendarNotCovered(next(y for y in range(y0, y1 + 1) if y not in self.years), field=field)

    # -- public computations ------------------------------------------------------------------

    @overload
    def add_working_days(
        self, start: datetime, days: DayCount, *, pauses: Sequence[Pause] = ()
    ) -> datetime: ...

    @overload
    def add_working_days(self, start: date, days: DayCount, *, pauses: Sequence[Pause] = ()) -> date: ...

    def add_working_days(
        self, start: date | datetime, days: DayCount, *, pauses: Sequence[Pause] = ()
    ) -> date | datetime:
        """The deadline ``days`` working days after ``start``.

        A datetime start gives an aware datetime (Asia/Shanghai): the clock runs in working time
        from that moment, or from the next working moment if it falls outside working hours. A date
        start gives the date on which the deadline falls, the start day not counted. ``pauses``
        (补正, special procedures) stop the clock and so push the deadline later."""
        hundredths = to_hundredths(days)
        w0, i0 = self._coordinate(start, "start")
        amount = (hundredths * self.day_length + 50) // 100
        if amount == 0:
            if isinstance(start, datetime):
                return start.astimezone(self.tz).replace(microsecond=0)
            return start
        target = _extend(w0, w0 + amount, self._pauses(pauses)) if pauses else w0 + amount
        k = (target - 1) // self.day_length
        if k >= len(self._index_l):
            raise CalendarNotCovered(self.last_year + 1, field="days")
        i = self._index_l[k]
        self._require_no_gap(i0, i, "days")
        day = date.fromordinal(self._base + i)
        if not isinstance(start, datetime):
            return day
        clock = self._clock(target - k * self.day_length)
        return datetime(
            day.year, day.month, day.day, clock // 3600, clock // 60 % 60, clock % 60, tzinfo=self.tz
        )

    def working_days_between(
        self, start: date | datetime, end: date | datetime, *, pauses: Sequence[Pause] = ()
    ) -> Decimal:
        """Working days from ``start`` to ``end`` (negative if ``end`` is earlier), rounded to
        hundredths, less the paused working time. Dates stand for the end of their day, so
        ``working_days_between(d, add_working_days(d, n)) == n``."""
        wa, ia = self._coordinate(start, "start")
        wb, ib = self._coordinate(end, "end")
        self._require_no_gap(ia, ib, "end")
        lo, hi = min(wa, wb), max(wa, wb)
        worked = hi - lo - (_overlap(lo, hi, self._pauses(pauses)) if pauses else 0)
        value = (Decimal(worked) / Decimal(self.day_length)).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)
        return -value if wb < wa else value

    def is_working_time(self, moment: datetime) -> bool:
        """Whether ``moment`` falls on a working day inside the working hours (an interval's start
        counts, its end does not). A day outside the covered years raises CalendarNotCovered."""
        local = _aware_local(moment, self.tz, "moment")
        if not self._work_l[self._day_index(local, "moment")]:
            return False
        second = local.hour * 3600 + local.minute * 60 + local.second
        return any(a <= second < b for a, b in self.intervals)

    def working_seconds_between(self, start: datetime, end: datetime) -> int:
        """Working seconds from ``start`` to ``end`` (negative if ``end`` is earlier), to the second."""
        wa, ia = self._coordinate(start, "start")
        wb, ib = self._coordinate(end, "end")
        self._require_no_gap(ia, ib, "end")
        return wb - wa

    def add_working_seconds(self, start: datetime, seconds: int) -> datetime:
        """The earliest moment at which ``seconds`` (≥ 0) working seconds have run since ``start``;
        the building block for points inside a limit, such as where its yellow light begins."""
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        w0, i0 = self._coordinate(start, "start")
        if seconds == 0:
            return start.astimezone(self.tz).replace(microsecond=0)
        target = w0 + seconds
        k = (target - 1) // self.day_length
        if k >= len(self._index_l):
            raise CalendarNotCovered(self.last_year + 1, field="seconds")
        i = self._index_l[k]
        self._require_no_gap(i0, i, "seconds")
        day = date.fromordinal(self._base + i)
        clock = self._clock(target - k * self.day_length)
        return datetime(
            day.year, day.month, day.day, clock // 3600, clock // 60 % 60, clock % 60, tzinfo=self.tz
        )

    @overload
    def deadline_for(self, start: datetime, limit: Limit, pauses: Sequence[Pause] = ()) -> datetime: ...

    @overload
    def deadline_for(self, start: date, limit: Limit, pauses: Sequence[Pause] = ()) -> date: ...

    def deadline_for(
        self, start: date | datetime, limit: Limit, pauses: Sequence[Pause] = ()
    ) -> date | datetime:
        """The one entry point for "when is this due": working days through the calendar, clock
        hours straight through. Clock-hour limits need a moment, not a day."""
        if limit.unit == "working_days":
            return self.add_working_days(start, limit.amount, pauses=pauses)
        if not isinstance(start, datetime):
            raise InvalidInput("按小时计算的时限需要具体的开始时间，而不只是日期", field="start")
        return add_clock_hours(start, limit.amount, pauses=pauses, tz=self.tz)


# --------------------------------------------------------------------------------------------
# Bulk path
# --------------------------------------------------------------------------------------------


def add_working_days_bulk(
    cal: WorkCalendar, starts: npt.NDArray[np.datetime64], days: npt.ArrayLike
) -> npt.NDArray[np.datetime64]:
    """Many :meth:`WorkCalendar.add_working_days` at once, with the same arrays and the same answers.

    This is what recomputes stored deadlines after an administrator changes a year.

    * ``starts`` of unit ``datetime64[D]`` are dates (start day not counted) and the result is
      ``datetime64[D]``.
    * Any other unit is a **UTC instant** — what the database stores for an aware datetime — cut
      to whole seconds; the result is UTC ``datetime64[s]``. Convert to Asia/Shanghai for display.
    * ``days`` is a float (or integer) array broadcastable to ``starts``, rounded to hundredths.

    Pauses are not supported: rows with pauses go through the scalar method. Any start, result
    or day in between outside the covered years raises :class:`CalendarNotCovered` for the whole
    batch, naming the first such year."""
    starts = np.asarray(starts)
    if not np.issubdtype(starts.dtype, np.datetime64):
        raise InvalidInput("开始时间应为 numpy.datetime64 数组", field="start")
    if np.isnat(starts).any():
        raise InvalidInput("开始时间不能为空（NaT）", field="start")
    day_values = np.broadcast_to(np.asarray(days, dtype=np.float64), starts.shape)
    if not np.isfinite(day_values).all() or (day_values < 0).any():
        raise InvalidInput("工作日数应为不小于0的有限数字", field="days")
    hundredths = np.rint(day_values * 100).astype(np.int64)
    length = cal.day_length
    amount = (hundredths * length + 50) // 100
    as_dates = np.datetime_data(starts.dtype)[0] == "D"

    if as_dates:
        epoch_day = starts.astype("datetime64[D]").astype(np.int64)
        seconds = np.zeros_like(epoch_day)
    else:
        if cal._utc_offset is None:
            raise ValueError("the calendar's time zone has no fixed UTC offset over its years")
        local = starts.astype("datetime64[s]").astype(np.int64) + cal._utc_offset
        epoch_day = local // _SECONDS_PER_DAY
        seconds = local - epoch_day * _SECONDS_PER_DAY
    index = epoch_day - (cal._base - _UNIX_EPOCH_ORDINAL)
    _require_covered(cal, index, "start")

    if as_dates:
        w0 = cal.workdays_before[index + 1] * length
    else:
        offset = np.zeros_like(seconds)
        for a, b in cal.intervals:
            offset += np.clip(seconds - a, 0, b - a)
        w0 = cal.workdays_before[index] * length + np.where(cal.is_work[index], offset, 0)

    target = w0 + amount
    k = (target - 1) // length
    moving = amount > 0
    if (k[moving] >= cal.work_index.size).any():
        raise CalendarNotCovered(cal.last_year + 1, field="days")
    k = np.where(moving, k, 0)
    result_index = np.where(moving, cal.work_index[k] if cal.work_index.size else 0, index)
    gap = cal.uncovered_before[result_index + 1] - cal.uncovered_before[index]
    if (gap > 0).any():
        at = int(np.flatnonzero(gap > 0)[0])
        cal._require_no_gap(int(index[at]), int(result_index[at]), "days")

    out_day = result_index + (cal._base - _UNIX_EPOCH_ORDINAL)
    if as_dates:
        return out_day.astype("datetime64[D]")
    worked = target - k * length
    ends = np.asarray(cal._interval_ends, dtype=np.int64)
    j = np.searchsorted(ends, worked, side="left").clip(0, len(ends) - 1)
    interval_end = np.asarray([b for _, b in cal.intervals], dtype=np.int64)
    clock = interval_end[j] - (ends[j] - worked)
    local_out = np.where(moving, out_day * _SECONDS_PER_DAY + clock, epoch_day * _SECONDS_PER_DAY + seconds)
    return (local_out - cal._utc_offset).astype("datetime64[s]")


def _require_covered(cal: WorkCalendar, index: npt.NDArray[np.int64], field: str) -> None:
    inside = (index >= 0) & (index < cal._n)
    ok = inside.copy()
    ok[inside] = cal.covered[index[inside]]
    if not ok.all():
        epoch_day = int(index[np.flatnonzero(~ok)[0]]) + cal._base - _UNIX_EPOCH_ORDINAL
        year = int(np.datetime64(epoch_day, "D").astype("datetime64[Y]").astype(np.int64)) + 1970
        raise CalendarNotCovered(year, field=field)
