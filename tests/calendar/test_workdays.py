"""The pure arithmetic, on the 2004–2026 calendar of the chinesecalendar package."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import chinese_calendar
import pytest

from zhengwu.calendar.workdays import (
    CalendarNotCovered,
    Limit,
    WorkCalendar,
    add_clock_hours,
    format_days,
    parse_working_hours,
)
from zhengwu.core.errors import DomainError, InvalidInput

from .conftest import at

MESSAGE_2027 = "2027年的工作日历尚未录入：请管理员在「工作日历 → 录入年度安排」中按国务院办公厅通知录入2027年的节假日和调休安排"


class TestDates:
    """A plain date: the start day is not counted, the answer is the day the deadline falls on."""

    def test_national_day_week_then_makeup_saturday(self, cal):
        # Oct 1–7 holiday; Oct 8 Thu, 9 Fri, 10 a 调休 Saturday.
        assert cal.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)

    def test_makeup_saturday_before_spring_festival(self, cal):
        assert cal.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)

    def test_start_on_a_holiday(self, cal):
        assert cal.add_working_days(date(2026, 10, 1), 1) == date(2026, 10, 8)

    def test_ordinary_week(self, cal):
        assert cal.add_working_days(date(2026, 3, 13), 1) == date(2026, 3, 16)  # Fri → Mon
        assert cal.add_working_days(date(2026, 3, 14), 5) == date(2026, 3, 20)  # Sat → next Fri

    def test_half_day_falls_on_the_next_working_day(self, cal):
        assert cal.add_working_days(date(2026, 9, 30), Decimal("0.5")) == date(2026, 10, 8)

    def test_zero_days_is_the_start_day(self, cal):
        assert cal.add_working_days(date(2026, 10, 3), 0) == date(2026, 10, 3)

    def test_int_float_and_decimal_agree(self, cal):
        start = date(2026, 4, 30)
        assert (
            cal.add_working_days(start, 20)
            == cal.add_working_days(start, 20.0)
            == cal.add_working_days(start, Decimal("20.00"))
        )

    def test_agrees_with_the_package_day_by_day(self, cal):
        """Counting working days one at a time with chinese_calendar itself gives the same day."""
        start = date(2025, 12, 20)
        day, left = start, 15
        while left:
            day += timedelta(days=1)
            left -= chinese_calendar.is_workday(day)
        assert cal.add_working_days(start, 15) == day


class TestMoments:
    """A datetime: the clock runs in working time (09:00–12:00, 13:30–17:30, 7 h a day)."""

    def test_half_day_from_nine(self, cal):
        # 3.5 h: 09:00–12:00 is 3 h, then 13:30 + 0.5 h.
        assert cal.add_working_days(at(2026, 3, 16, 9), Decimal("0.5")) == at(2026, 3, 16, 14)

    def test_one_day_from_nine_ends_at_half_past_five_same_day(self, cal):
        assert cal.add_working_days(at(2026, 3, 16, 9), 1) == at(2026, 3, 16, 17, 30)

    def test_end_of_day_boundary_is_not_next_morning(self, cal):
        # From 12:00 (lunch starts), 1 day = rest of today 4 h + 3 h tomorrow morning → 12:00 Tue.
        assert cal.add_working_days(at(2026, 3, 16, 12), 1) == at(2026, 3, 17, 12)
        # Exactly 0.5 day from 14:00 is 3.5 h: 17:30 today, not 09:00 tomorrow.
        assert cal.add_working_days(at(2026, 3, 16, 14), Decimal("0.5")) == at(2026, 3, 16, 17, 30)

    def test_start_after_hours_runs_from_next_morning(self, cal):
        assert cal.add_working_days(at(2026, 3, 16, 18, 45), Decimal("0.5")) == at(2026, 3, 17, 14)

    def test_start_on_sunday_evening(self, cal):
        assert cal.add_working_days(at(2026, 3, 15, 20), 1) == at(2026, 3, 16, 17, 30)
        assert cal.add_working_days(at(2026, 3, 15, 20), Decimal("0.25")) == at(2026, 3, 16, 10, 45)

    def test_start_during_lunch(self, cal):
        assert cal.add_working_days(at(2026, 3, 16, 12, 40), Decimal("0.1")) == at(2026, 3, 16, 14, 12)

    def test_friday_afternoon_across_national_day(self, cal):
        # Wed Sep 30 16:30 + 1 day: 1 h left that day, then Oct 8 (first working day) 6 h → 16:30.
        assert cal.add_working_days(at(2026, 9, 30, 16, 30), 1) == at(2026, 10, 8, 16, 30)

    def test_other_time_zone_in_beijing_time_out(self, cal):
        result = cal.add_working_days(datetime(2026, 3, 16, 1, 0, tzinfo=UTC), Decimal("0.5"))
        assert result == at(2026, 3, 16, 14)
        assert result.utcoffset() == timedelta(hours=8)
        assert result.isoformat() == "2026-03-16T14:00:00+08:00"

    def test_naive_datetime_is_refused(self, cal):
        with pytest.raises(InvalidInput, match="时区"):
            cal.add_working_days(datetime(2026, 3, 16, 9), 1)

    def test_other_working_hours(self):
        cal = WorkCalendar(years=[2026], holidays=[], working_hours=["08:30-12:00", "14:30-18:00"])
        assert cal.day_length == 7 * 3600
        assert cal.add_working_days(at(2026, 3, 16, 8, 30), Decimal("0.5")) == at(2026, 3, 16, 12)


class TestDaysInput:
    @pytest.mark.parametrize("bad", [-1, Decimal("0.001"), 0.125, float("nan"), "abc", True])
    def test_refused(self, cal, bad):
        with pytest.raises(InvalidInput) as info:
            cal.add_working_days(date(2026, 3, 16), bad)
        assert info.value.field == "days"
        assert info.value.status == 400

    def test_messages(self, cal):
        with pytest.raises(InvalidInput, match="不能为负数"):
            cal.add_working_days(date(2026, 3, 16), -1)
        with pytest.raises(InvalidInput, match="最多保留两位小数"):
            cal.add_working_days(date(2026, 3, 16), Decimal("1.005"))


class TestNotCovered:
    def test_2027_start(self, cal):
        with pytest.raises(CalendarNotCovered) as info:
            cal.add_working_days(date(2027, 1, 4), 1)
        assert info.value.message == MESSAGE_2027
        assert info.value.status == 422
        assert isinstance(info.value, DomainError)
        assert info.value.errors == {"start": [MESSAGE_2027]}

    def test_2003_start(self, cal):
        with pytest.raises(CalendarNotCovered) as info:
            cal.add_working_days(at(2003, 12, 31, 10), 1)
        assert info.value.year == 2003
        assert "2003年的工作日历尚未录入" in info.value.message
        assert "录入2003年的节假日和调休安排" in info.value.message

    def test_result_beyond_the_last_year(self, cal):
        assert cal.add_working_days(date(2026, 12, 30), 1) == date(2026, 12, 31)
        with pytest.raises(CalendarNotCovered) as info:
            cal.add_working_days(date(2026, 12, 30), 2)
        assert info.value.message == MESSAGE_2027
        assert info.value.field == "days"

    def test_never_a_weekday_guess_across_a_missing_year(self):
        cal = WorkCalendar(years=[2025, 2027], holidays=[])
        assert cal.add_working_days(date(2027, 1, 1), 1) == date(2027, 1, 4)
        with pytest.raises(CalendarNotCovered) as info:
            cal.add_working_days(date(2025, 12, 30), 5)
        assert info.value.year == 2026
        with pytest.raises(CalendarNotCovered):
            cal.working_days_between(date(2025, 12, 1), date(2027, 1, 8))

    def test_between_end_uncovered(self, cal):
        with pytest.raises(CalendarNotCovered) as info:
            cal.working_days_between(date(2026, 12, 1), date(2027, 1, 8))
        assert info.value.field == "end"

    def test_empty_calendar(self):
        with pytest.raises(CalendarNotCovered):
            WorkCalendar(years=[]).add_working_days(date(2026, 1, 5), 1)


class TestBetween:
    def test_dates(self, cal):
        assert cal.working_days_between(date(2026, 9, 30), date(2026, 10, 10)) == 3
        assert cal.working_days_between(date(2026, 10, 10), date(2026, 9, 30)) == -3
        assert cal.working_days_between(date(2026, 3, 16), date(2026, 3, 16)) == 0

    def test_moments(self, cal):
        assert cal.working_days_between(at(2026, 3, 16, 9), at(2026, 3, 16, 14)) == Decimal("0.5")
        assert cal.working_days_between(at(2026, 3, 13, 17, 30), at(2026, 3, 16, 9)) == 0
        assert cal.working_days_between(at(2026, 3, 16, 9), at(2026, 3, 17, 10)) == Decimal(
            "1.14"
        )  # 8 h / 7 h

    @pytest.mark.parametrize("days", [0, 1, 3, Decimal("0.5"), Decimal("2.25"), 17, 60])
    def test_inverse_of_add(self, cal, days):
        for start in (at(2026, 9, 30, 10, 15), at(2025, 1, 26, 23), at(2026, 2, 13, 17, 30)):
            assert cal.working_days_between(start, cal.add_working_days(start, days)) == Decimal(days)

    def test_dates_round_up_to_the_whole_day(self, cal):
        """A date answer is the whole day the deadline falls on, so the inverse is exact only for
        whole days; a fraction counts as the full day it ends in."""
        assert cal.working_days_between(date(2026, 9, 30), cal.add_working_days(date(2026, 9, 30), 3)) == 3
        assert cal.working_days_between(date(2026, 9, 30), cal.add_working_days(date(2026, 9, 30), 2.25)) == 3


class TestPauses:
    def test_pause_extends_the_deadline(self, cal):
        start = at(2026, 3, 16, 9)
        # 补正 from Mon 10:00 to Wed 10:00: two working days of pause.
        pauses = [(at(2026, 3, 16, 10), at(2026, 3, 18, 10))]
        assert cal.add_working_days(start, 1, pauses=pauses) == at(2026, 3, 18, 17, 30)
        assert cal.add_working_days(date(2026, 3, 13), 3, pauses=pauses) == date(2026, 3, 20)

    def test_overlapping_pauses_count_once(self, cal):
        start = at(2026, 3, 16, 9)
        pauses = [(at(2026, 3, 16, 10), at(2026, 3, 17, 10)), (at(2026, 3, 16, 14), at(2026, 3, 18, 10))]
        assert cal.add_working_days(start, 1, pauses=pauses) == at(2026, 3, 18, 17, 30)

    def test_pause_over_a_weekend_costs_nothing(self, cal):
        pauses = [(at(2026, 3, 14, 8), at(2026, 3, 15, 20))]
        assert cal.add_working_days(at(2026, 3, 13, 9), 2, pauses=pauses) == at(2026, 3, 16, 17, 30)

    def test_pause_before_start_or_after_deadline_is_ignored(self, cal):
        start = at(2026, 3, 16, 9)
        pauses = [(at(2026, 3, 2, 9), at(2026, 3, 6, 9)), (at(2026, 3, 17, 9), at(2026, 3, 20, 9))]
        assert cal.add_working_days(start, 1, pauses=pauses) == at(2026, 3, 16, 17, 30)

    def test_pause_straddling_the_start(self, cal):
        pauses = [(at(2026, 3, 13, 9), at(2026, 3, 16, 12))]  # only Mon 09:00–12:00 counts
        assert cal.add_working_days(at(2026, 3, 16, 9), Decimal("0.5"), pauses=pauses) == at(2026, 3, 16, 17)

    def test_pause_pushes_into_a_later_pause(self, cal):
        pauses = [(at(2026, 3, 16, 9), at(2026, 3, 16, 17, 30)), (at(2026, 3, 17, 15), at(2026, 3, 18, 9))]
        # 1 day from Mon 09:00; Monday paused → Tue 09:00 + 7 h, but Tue 15:00–17:30 paused too.
        assert cal.add_working_days(at(2026, 3, 16, 9), 1, pauses=pauses) == at(2026, 3, 18, 11, 30)

    def test_between_less_pauses(self, cal):
        pauses = [(at(2026, 3, 16, 10), at(2026, 3, 18, 10))]
        assert cal.working_days_between(at(2026, 3, 16, 9), at(2026, 3, 18, 17, 30), pauses=pauses) == 1
        assert cal.working_days_between(at(2026, 3, 18, 17, 30), at(2026, 3, 16, 9), pauses=pauses) == -1

    def test_backwards_pause_refused(self, cal):
        with pytest.raises(InvalidInput, match="早于开始时间") as info:
            cal.add_working_days(at(2026, 3, 16, 9), 1, pauses=[(at(2026, 3, 17), at(2026, 3, 16))])
        assert info.value.field == "pauses"


class TestLimits:
    def test_clock_hours_run_through_the_night(self):
        assert add_clock_hours(at(2026, 10, 1, 23, 50), Decimal("0.25")) == at(2026, 10, 2, 0, 5)

    def test_clock_hours_pause(self):
        pauses = [(at(2026, 3, 16, 10), at(2026, 3, 16, 11))]
        assert add_clock_hours(at(2026, 3, 16, 9, 30), 1, pauses=pauses) == at(2026, 3, 16, 11, 30)

    def test_deadline_for_both_units(self, cal):
        sign = Limit.clock_hours(Decimal("0.25"))
        handle = Limit.working_days(1)
        assert str(sign) == "15分钟" and str(handle) == "1个工作日"
        assert str(Limit.clock_hours(24)) == "24小时"
        assert cal.deadline_for(at(2026, 9, 30, 17), sign) == at(2026, 9, 30, 17, 15)
        assert cal.deadline_for(at(2026, 9, 30, 17), handle) == at(2026, 10, 8, 17)
        assert cal.deadline_for(date(2026, 9, 30), Limit.working_days(3)) == date(2026, 10, 10)

    def test_clock_hours_need_a_moment(self, cal):
        with pytest.raises(InvalidInput, match="具体的开始时间"):
            cal.deadline_for(date(2026, 9, 30), Limit.clock_hours(2))

    def test_limit_refuses_bad_amounts(self):
        with pytest.raises(InvalidInput):
            Limit.working_days(Decimal("0.333"))
        with pytest.raises(InvalidInput):
            Limit.clock_hours(-1)


class TestHelpers:
    def test_format_days(self):
        assert [format_days(Decimal(v)) for v in ("3.00", "30", "0.50", "-1.25", "300")] == [
            "3",
            "30",
            "0.5",
            "-1.25",
            "300",
        ]

    def test_working_hours_config_errors(self):
        assert parse_working_hours(["09:00-12:00", "13:30-17:30"]) == ((32400, 43200), (48600, 63000))
        for bad in (["9-12"], ["12:00-09:00"], ["09:00-12:00", "11:00-14:00"], []):
            with pytest.raises(ValueError, match="WORKING_HOURS"):
                parse_working_hours(bad)

    def test_a_day_cannot_be_both(self):
        with pytest.raises(ValueError, match="不能同时"):
            WorkCalendar(years=[2026], holidays=[date(2026, 3, 14)], makeup_days=[date(2026, 3, 14)])

    def test_is_working_day(self, cal):
        assert cal.is_working_day(date(2026, 10, 10))  # 调休 Saturday
        assert cal.is_working_day(date(2026, 10, 8))
        assert not cal.is_working_day(date(2026, 10, 1))
        assert not cal.is_covered(date(2027, 1, 1)) and cal.is_covered(date(2004, 1, 1))
