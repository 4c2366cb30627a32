"""Reading and checking a year's schedule as an administrator types it from the State Council
notice (录入年度安排). Pure: the form and the service both call :func:`check_entries`, so a
schedule that previews cleanly is exactly one the service accepts.

Formats, one entry a line (blank lines and lines starting with # are ignored):

* holidays: ``国庆节 2027-10-01 2027-10-07`` (a range, both ends included) or ``元旦 2027-01-01``;
* make-up working days: ``2027-09-26 国庆节`` (the name says which holiday it makes up for).

Dates may be written 2027-10-01, 2027/10/01 or 2027年10月1日; 至, 到, ~ and - between the two dates
of a range are allowed. Messages name the line so the administrator can find it in the notice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import NamedTuple

WEEKDAYS = "一二三四五六日"
MAX_RANGE_DAYS = 31
MAKEUP_DEFAULT_NAME = "调休上班"

_DATE = re.compile(r"^(\d{4})(?:-|/|\.|年)(\d{1,2})(?:-|/|\.|月)(\d{1,2})日?$")
_SEPARATORS = {"至", "到", "~", "～", "-", "—", "－", "–"}
_DATEISH = re.compile(r"^\d")  # names do not start with a digit; "7日" is half a date


class DayEntry(NamedTuple):
    """One special day; ``line`` is where it was typed, if it was typed."""

    day: date
    name: str
    line: int | None = None


def _where(line: int | None) -> str:
    return f"第{line}行：" if line is not None else ""


def _parse_date(token: str) -> date | None:
    match = _DATE.match(token)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _split(text: str) -> Iterable[tuple[int, list[str]]]:
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line and not line.startswith("#"):
            # "2027-10-01至2027-10-07" written without spaces is common in notices.
            line = re.sub(r"([\d日])(至|到|~|～)(\d)", r"\1 \2 \3", line)
            yield number, [t for t in line.split() if t not in _SEPARATORS]


def _tokens(tokens: list[str], number: int) -> tuple[list[date], str, list[str]]:
    dates: list[date] = []
    names: list[str] = []
    errors: list[str] = []
    for token in tokens:
        parsed = _parse_date(token)
        if parsed is not None:
            dates.append(parsed)
        elif _DATEISH.match(token):
            errors.append(f"第{number}行：日期“{token}”无效，应写成 YYYY-MM-DD，如 2027-10-01")
        else:
            names.append(token)
    return dates, " ".join(names), errors


def parse_holidays(text: str) -> tuple[list[DayEntry], list[str]]:
    """Holiday lines → one entry per day of each range, and the errors (empty if all is well)."""
    entries: list[DayEntry] = []
    errors: list[str] = []
    for number, tokens in _split(text):
        dates, name, bad = _tokens(tokens, number)
        if bad:
            errors.extend(bad)
            continue
        if not name:
            errors.append(f"第{number}行：缺少节日名称，应写成“国庆节 2027-10-01 2027-10-07”")
            continue
        if len(name) > 50:
            errors.append(f"第{number}行：节日名称不能超过50个字")
            continue
        if len(dates) not in (1, 2):
            errors.append(f"第{number}行：应有一个日期或起止两个日期，实际有{len(dates)}个")
            continue
        first, last = dates[0], dates[-1]
        if last < first:
            errors.append(f"第{number}行：结束日期 {last.isoformat()} 早于开始日期 {first.isoformat()}")
            continue
        if (last - first).days >= MAX_RANGE_DAYS:
            errors.append(
                f"第{number}行：假期从 {first.isoformat()} 到 {last.isoformat()} 超过{MAX_RANGE_DAYS}天，请核对日期"
            )
            continue
        entries.extend(
            DayEntry(first + timedelta(days=k), name, number) for k in range((last - first).days + 1)
        )
    return entries, errors


def parse_makeup_days(text: str) -> tuple[list[DayEntry], list[str]]:
    """Make-up lines → entries and errors. The name is optional (it defaults to 调休上班)."""
    entries: list[DayEntry] = []
    errors: list[str] = []
    for number, tokens in _split(text):
        dates, name, bad = _tokens(tokens, number)
        if bad:
            errors.extend(bad)
            continue
        if len(dates) != 1:
            errors.append(
                f"第{number}行：每行写一个调休上班日期，实际有{len(dates)}个，应写成“2027-09-26 国庆节”"
            )
            continue
        if len(name) > 50:
            errors.append(f"第{number}行：节日名称不能超过50个字")
            continue
        entries.append(DayEntry(dates[0], name or MAKEUP_DEFAULT_NAME, number))
    return entries, errors


def check_entries(
    year: int, holidays: Sequence[DayEntry], makeup_days: Sequence[DayEntry]
) -> dict[str, list[str]]:
    """The rules a year's schedule must satisfy, as {field: [messages]} (empty when it is sound):
    every date inside the year, no date twice, no date both a holiday and a make-up day, make-up
    days on weekends (a weekday works anyway, so such a line is a typo), at least one holiday."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    seen: dict[date, DayEntry] = {}
    for entry in holidays:
        if entry.day.year != year:
            add("holidays", f"{_where(entry.line)}{entry.day.isoformat()} 不在{year}年内")
        elif entry.day in seen:
            add("holidays", f"{_where(entry.line)}{entry.day.isoformat()} 重复录入{_also(seen[entry.day])}")
        else:
            seen[entry.day] = entry
    if not holidays:
        add("holidays", f"请至少录入一个节假日（{year}年国务院通知中的放假安排）")

    seen_makeup: dict[date, DayEntry] = {}
    for entry in makeup_days:
        day = entry.day
        if day.year != year:
            add("makeup_days", f"{_where(entry.line)}{day.isoformat()} 不在{year}年内")
        elif day in seen_makeup:
            add("makeup_days", f"{_where(entry.line)}{day.isoformat()} 重复录入{_also(seen_makeup[day])}")
        elif day in seen:
            add(
                "makeup_days",
                f"{_where(entry.line)}{day.isoformat()} 已录为节假日{_also(seen[day], '节假日')}，不能同时是调休上班日",
            )
        elif day.weekday() < 5:
            add(
                "makeup_days",
                f"{_where(entry.line)}{day.isoformat()} 是星期{WEEKDAYS[day.weekday()]}，调休上班日应为周六或周日",
            )
        else:
            seen_makeup[day] = entry
    return errors


def _also(entry: DayEntry, what: str = "") -> str:
    return f"（见{what}第{entry.line}行）" if entry.line is not None else ""


def weekend_only_warnings(holidays: Sequence[DayEntry]) -> list[str]:
    """Holidays that change nothing because every one of their days is a weekend day anyway.
    Legitimate (a notice may say so), but worth a second look before saving."""
    by_name: dict[str, list[date]] = {}
    for entry in holidays:
        by_name.setdefault(entry.name, []).append(entry.day)
    return [
        f"{name}（{min(days).isoformat()} 至 {max(days).isoformat()}）全部在周末，不影响工作日计算，请核对"
        for name, days in by_name.items()
        if all(d.weekday() >= 5 for d in days)
    ]


def format_holidays(entries: Iterable[DayEntry]) -> str:
    """Inverse of :func:`parse_holidays`: consecutive days with one name become one range line,
    so an existing year can be edited in the same form it was typed in."""
    lines: list[str] = []
    run: list[DayEntry] = []
    for entry in sorted(entries, key=lambda e: e.day):
        if run and (entry.name != run[-1].name or entry.day != run[-1].day + timedelta(days=1)):
            lines.append(_range_line(run))
            run = []
        run.append(entry)
    if run:
        lines.append(_range_line(run))
    return "\n".join(lines)


def _range_line(run: list[DayEntry]) -> str:
    first, last = run[0].day, run[-1].day
    return f"{run[0].name} {first.isoformat()}" + (f" {last.isoformat()}" if last != first else "")


def format_makeup_days(entries: Iterable[DayEntry]) -> str:
    return "\n".join(f"{e.day.isoformat()} {e.name}" for e in sorted(entries, key=lambda e: e.day))
