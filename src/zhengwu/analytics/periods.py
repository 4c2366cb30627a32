"""Statistical periods (统计期间): a day, an ISO week, a month, a quarter or a year, written as
the ``period`` parameter says it — ``2026-06-10``, ``2026-W24``, ``2026-06``, ``2026-Q2``,
``2026``. A period is [start, end) in local dates; it knows the previous period (环比) and the same
period a year before (同比). Unparseable text is 400; a period with no data yet is 422
(``check_within``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from zhengwu.core.errors import DomainError, InvalidInput

KINDS = {"day": "日", "week": "周", "month": "月", "quarter": "季度", "year": "年"}
PERIOD_HELP = "期间应为日期（如 2026-06-10）、周（如 2026-W24）、月份（如 2026-06）、季度（如 2026-Q2）或年份（如 2026）"

_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_WEEK = re.compile(r"^(\d{4})-?[Ww](\d{1,2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq](\d)$")
_YEAR = re.compile(r"^(\d{4})$")


class OutsideData(DomainError):
    """A period that lies wholly outside the data (before the first record, or in the future)."""

    status = 422


@dataclass(frozen=True)
class Period:
    kind: str  # one of KINDS
    start: date
    end: date  # exclusive

    @property
    def value(self) -> str:
        s = self.start
        if self.kind == "day":
            return s.isoformat()
        if self.kind == "week":
            year, week, _ = s.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return f"{s.year}-{s.month:02d}"
        if self.kind == "quarter":
            return f"{s.year}-Q{(s.month - 1) // 3 + 1}"
        return str(s.year)

    @property
    def label(self) -> str:
        s = self.start
        if self.kind == "day":
            return f"{s.year}年{s.month}月{s.day}日"
        if self.kind == "week":
            year, week, _ = s.isocalendar()
            last = self.end - timedelta(days=1)
            return f"{year}年第{week}周（{s.month}月{s.day}日—{last.month}月{last.day}日）"
        if self.kind == "month":
            return f"{s.year}年{s.month}月"
        if self.kind == "quarter":
            return f"{s.year}年第{(s.month - 1) // 3 + 1}季度"
        return f"{s.year}年"

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as aware local datetimes, for filtering timestamps."""
        return _midnight(self.start), _midnight(self.end)

    def previous(self) -> Period:
        """The period just before (环比)."""
        return period_containing(self.kind, self.start - timedelta(days=1))

    def last_year(self) -> Period:
        """The same period a year before (同比); a week is the same ISO week number."""
        s = self.start
        if self.kind == "week":
            year, week, _ = s.isocalendar()
            try:
                return period_containing("week", date.fromisocalendar(year - 1, week, 1))
            except ValueError:  # week 53 in a year with 52
                return period_containing("week", date.fromisocalendar(year - 1, 52, 1))
        if self.kind == "day" and s.month == 2 and s.day == 29:
            return period_containing("day", date(s.year - 1, 2, 28))
        return period_containing(self.kind, s.replace(year=s.year - 1))

    def is_finished(self, today: date | None = None) -> bool:
        return self.end <= (today or timezone.localdate())

    def buckets(self) -> list[Period]:
        """The sub-periods a trend of this period is drawn in: days of a week or month, months of
        a quarter or year; a day is its own single bucket."""
        sub = {"day": "day", "week": "day", "month": "day", "quarter": "month", "year": "month"}[self.kind]
        out: list[Period] = []
        cursor = self.start
        while cursor < self.end:
            p = period_containing(sub, cursor)
            out.append(p)
            cursor = p.end
        return out


def _midnight(d: date) -> datetime:
    return timezone.make_aware(datetime(d.year, d.month, d.day))


def period_containing(kind: str, day: date) -> Period:
    if kind == "day":
        return Period("day", day, day + timedelta(days=1))
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        return Period("week", start, start + timedelta(days=7))
    if kind == "month":
        start = day.replace(day=1)
        return Period("month", start, _add_months(start, 1))
    if kind == "quarter":
        start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return Period("quarter", start, _add_months(start, 3))
    if kind == "year":
        return Period("year", date(day.year, 1, 1), date(day.year + 1, 1, 1))
    raise InvalidInput(f"未知的期间类型“{kind}”，应为日、周、月、季度或年", field="period")


def _add_months(d: date, n: int) -> date:
    month = d.month - 1 + n
    return date(d.year + month // 12, month % 12 + 1, 1)


def _year(text: str) -> int:
    year = int(text)
    if not 2000 <= year <= 2100:
        raise InvalidInput("年份应在2000至2100之间", field="period")
    return year


def parse_period(value: str | None, *, default_kind: str = "month") -> Period:
    """The period a ``period`` parameter names; empty: the current ``default_kind`` period.
    Anything unparseable is 400, naming the field."""
    text = (value or "").strip()
    if not text:
        return period_containing(default_kind, timezone.localdate())
    if len(text) > 20:
        raise InvalidInput(PERIOD_HELP, field="period")
    try:
        if m := _DAY.match(text):
            return period_containing("day", date(_year(m[1]), int(m[2]), int(m[3])))
        if m := _WEEK.match(text):
            return period_containing("week", date.fromisocalendar(_year(m[1]), int(m[2]), 1))
        if m := _MONTH.match(text):
            year, month = _year(m[1]), int(m[2])
            if not 1 <= month <= 12:
                raise InvalidInput(f"月份应为1至12，收到“{text}”", field="period")
            return period_containing("month", date(year, month, 1))
        if m := _QUARTER.match(text):
            year, quarter = _year(m[1]), int(m[2])
            if not 1 <= quarter <= 4:
                raise InvalidInput(f"季度应为Q1至Q4，收到“{text}”", field="period")
            return period_containing("quarter", date(year, quarter * 3 - 2, 1))
        if m := _YEAR.match(text):
            return period_containing("year", date(_year(m[1]), 1, 1))
    except ValueError:
        raise InvalidInput(f"没有这一天或这一周：“{text}”", field="period") from None
    raise InvalidInput(f"{PERIOD_HELP}，收到“{text[:20]}”", field="period")


def check_within(period: Period, first_day: date | None, today: date | None = None) -> None:
    """422 when the period lies wholly before the first day with data or wholly after today."""
    today = today or timezone.localdate()
    if period.start > today:
        raise OutsideData(f"{period.label}尚未开始，没有统计数据", field="period")
    if first_day is None:
        raise OutsideData("尚无统计数据：还没有任何办件、诉求或评价", field="period")
    if period.end <= first_day:
        raise OutsideData(
            f"{period.label}早于统计数据的起始日（{first_day.year}年{first_day.month}月{first_day.day}日）",
            field="period",
        )
