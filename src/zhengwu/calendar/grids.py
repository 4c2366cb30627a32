"""Month grids for the year page and the entry preview: what each cell shows, decided once here so
the saved year and the preview of an unsaved one look the same."""

from __future__ import annotations

import calendar as stdlib_calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from .entry import DayEntry


@dataclass(frozen=True)
class Cell:
    day: date
    css: str  # "holiday", "makeup", "weekend" or "" (an ordinary working day)
    label: str  # what a hover or a screen reader gets: "国庆节 节假日"

    @property
    def is_makeup(self) -> bool:
        return self.css == "makeup"


@dataclass(frozen=True)
class Month:
    number: int
    weeks: list[list[Cell | None]]  # Monday first; None pads the first and last week


def month_grids(year: int, holidays: Sequence[DayEntry], makeup_days: Sequence[DayEntry]) -> list[Month]:
    holiday = {e.day: e.name for e in holidays}
    makeup = {e.day: e.name for e in makeup_days}
    months = []
    cal = stdlib_calendar.Calendar(firstweekday=0)
    for number in range(1, 13):
        rows: list[list[Cell | None]] = []
        for week in cal.monthdatescalendar(year, number):
            row: list[Cell | None] = []
            for day in week:
                if day.month != number:
                    row.append(None)
                elif day in holiday:
                    row.append(Cell(day, "holiday", f"{holiday[day]} 放假"))
                elif day in makeup:
                    row.append(Cell(day, "makeup", f"{makeup[day]} 调休上班"))
                elif day.weekday() >= 5:
                    row.append(Cell(day, "weekend", "周末"))
                else:
                    row.append(Cell(day, "", "工作日"))
            rows.append(row)
        months.append(Month(number, rows))
    return months
