"""The NumPy path must give exactly the scalar answers."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from zhengwu.calendar.workdays import CalendarNotCovered, WorkCalendar, add_working_days_bulk
from zhengwu.core.errors import InvalidInput

from .conftest import at

FIRST = datetime(2004, 1, 1, tzinfo=UTC).timestamp()
LAST = datetime(2026, 6, 30, tzinfo=UTC).timestamp()  # leave room for the deadline inside 2026


def _random_inputs(n: int, seed: int) -> tuple[list[int], list[Decimal]]:
    rng = random.Random(seed)
    seconds = [rng.randrange(int(FIRST), int(LAST)) for _ in range(n)]
    # Whole days, halves, and arbitrary hundredths; plenty of starts at working-hour edges.
    for i in range(0, n, 7):
        seconds[i] -= seconds[i] % 1800
    days = [
        Decimal(rng.choice([0, 1, 3, 5, 15, 20, 60])) if i % 3 else Decimal(rng.randrange(0, 3000)) / 100
        for i in range(n)
    ]
    return seconds, days


def test_moments_equal_scalar(cal):
    seconds, days = _random_inputs(2000, seed=20261122)
    starts = np.array(seconds, dtype="datetime64[s]")
    result = add_working_days_bulk(cal, starts, np.array([float(d) for d in days]))
    assert result.dtype == np.dtype("datetime64[s]")
    for s, d, r in zip(seconds, days, result.tolist(), strict=True):
        expected = cal.add_working_days(datetime.fromtimestamp(s, UTC), d)
        assert r.replace(tzinfo=UTC) == expected, (datetime.fromtimestamp(s, UTC), d)


def test_dates_equal_scalar(cal):
    rng = random.Random(7)
    first, last = date(2004, 1, 1).toordinal(), date(2026, 6, 30).toordinal()
    starts = [date.fromordinal(rng.randrange(first, last)) for _ in range(1500)]
    days = [rng.randrange(0, 40) + rng.choice([0, 0.5, 0.25]) for _ in starts]
    result = add_working_days_bulk(cal, np.array(starts, dtype="datetime64[D]"), np.array(days))
    assert result.dtype == np.dtype("datetime64[D]")
    assert result.tolist() == [cal.add_working_days(s, d) for s, d in zip(starts, days, strict=True)]


def test_known_cases(cal):
    starts = np.array(["2026-09-30", "2026-02-13", "2026-10-01"], dtype="datetime64[D]")
    assert add_working_days_bulk(cal, starts, [3, 1, 1]).tolist() == [
        date(2026, 10, 10),
        date(2026, 2, 14),
        date(2026, 10, 8),
    ]
    moments = np.array([np.datetime64("2026-03-16T01:00:00"), np.datetime64("2026-03-15T12:00:00")])
    out = add_working_days_bulk(cal, moments, np.array([0.5, 1.0]))  # UTC in, UTC out
    assert [m + timedelta(hours=8) for m in out.tolist()] == [
        datetime(2026, 3, 16, 14),
        datetime(2026, 3, 16, 17, 30),
    ]
    assert out[0].tolist().replace(tzinfo=UTC) == at(2026, 3, 16, 14)


def test_uncovered_start_or_result(cal):
    with pytest.raises(CalendarNotCovered) as info:
        add_working_days_bulk(cal, np.array(["2026-05-06", "2027-01-04"], dtype="datetime64[D]"), [1, 1])
    assert info.value.year == 2027 and info.value.field == "start"
    with pytest.raises(CalendarNotCovered) as info:
        add_working_days_bulk(cal, np.array(["2003-12-31T02:00"], dtype="datetime64[m]"), [1])
    assert info.value.year == 2003
    with pytest.raises(CalendarNotCovered) as info:
        add_working_days_bulk(cal, np.array(["2026-12-30"], dtype="datetime64[D]"), [5])
    assert info.value.year == 2027 and info.value.field == "days"


def test_gap_year_in_between():
    gap = WorkCalendar(years=[2025, 2027])
    with pytest.raises(CalendarNotCovered) as info:
        add_working_days_bulk(gap, np.array(["2025-12-30"], dtype="datetime64[D]"), [5])
    assert info.value.year == 2026


def test_bad_inputs(cal):
    with pytest.raises(InvalidInput):
        add_working_days_bulk(cal, np.array(["2026-05-06"], dtype="datetime64[D]"), [-1])
    with pytest.raises(InvalidInput):
        add_working_days_bulk(cal, np.array(["NaT"], dtype="datetime64[D]"), [1])
    with pytest.raises(InvalidInput):
        add_working_days_bulk(cal, np.array([1, 2]), [1, 1])  # type: ignore[arg-type]
