from __future__ import annotations

from datetime import datetime

import chinese_calendar
import pytest

from zhengwu.calendar.workdays import SHANGHAI, WorkCalendar


@pytest.fixture(scope="session")
def cal() -> WorkCalendar:
    """The seeded years straight from the package, for the pure tests (no database)."""
    return WorkCalendar(
        years=range(2004, 2027), holidays=chinese_calendar.holidays, makeup_days=chinese_calendar.workdays
    )


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    """A Beijing-time moment."""
    return datetime(y, m, d, hh, mm, ss, tzinfo=SHANGHAI)
