"""The seeded table, the cached calendar and the one write path."""

from __future__ import annotations

from datetime import date

import chinese_calendar
import pytest
from django.contrib.auth.models import Permission

from zhengwu.calendar import selectors
from zhengwu.calendar.models import CalendarYear, DayKind, Source, SpecialDay
from zhengwu.calendar.services import enter_year
from zhengwu.calendar.workdays import CalendarNotCovered
from zhengwu.core.errors import Conflict, InvalidInput, NotAllowed
from zhengwu.core.models import AuditEvent

from .conftest import at

HOLIDAYS_2027 = [(date(2027, 1, 1), "元旦")] + [(date(2027, 10, d), "国庆节") for d in range(1, 8)]
MAKEUP_2027 = [(date(2027, 9, 26), "国庆节"), (date(2027, 10, 9), "国庆节")]


def _enter_2027(by, **kwargs):
    defaults = {
        "year": 2027,
        "holidays": HOLIDAYS_2027,
        "makeup_days": MAKEUP_2027,
        "notice": "国务院办公厅关于2027年部分节假日安排的通知",
        "by": by,
    }
    return enter_year(**(defaults | kwargs))


@pytest.mark.django_db
class TestSeed:
    def test_years_2004_to_2026_from_the_package(self):
        assert list(CalendarYear.objects.order_by("year").values_list("year", flat=True)) == list(
            range(2004, 2027)
        )
        assert set(CalendarYear.objects.values_list("source", flat=True)) == {Source.CHINESECALENDAR}

    def test_days_match_the_package(self):
        holidays = set(SpecialDay.objects.filter(kind=DayKind.HOLIDAY).values_list("date", flat=True))
        makeup = set(SpecialDay.objects.filter(kind=DayKind.MAKEUP).values_list("date", flat=True))
        assert holidays == {d for d in chinese_calendar.holidays if d.year <= 2026}
        assert makeup == {d for d in chinese_calendar.workdays if d.year <= 2026}

    def test_chinese_names(self):
        names = set(SpecialDay.objects.values_list("name", flat=True))
        assert names == {
            "元旦",
            "春节",
            "清明节",
            "劳动节",
            "端午节",
            "国庆节",
            "中秋节",
            "抗战胜利70周年纪念日",
        }
        assert SpecialDay.objects.get(date=date(2026, 10, 10)).name == "国庆节"

    def test_database_calendar_agrees_with_the_package(self, cal):
        db_cal = selectors.get_calendar()
        assert db_cal.years == cal.years
        assert (db_cal.is_work == cal.is_work).all()
        assert db_cal.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)


@pytest.mark.django_db
class TestCache:
    def test_reused_while_unchanged(self, django_assert_num_queries):
        first = selectors.get_calendar()
        with django_assert_num_queries(1):  # the version stamp only
            assert selectors.get_calendar() is first

    def test_rebuilt_after_an_admin_edit(self):
        before = selectors.get_calendar()
        assert before.is_working_day(date(2026, 3, 16))
        day = SpecialDay.objects.create(
            date=date(2026, 3, 16),
            year=CalendarYear.objects.get(year=2026),
            kind=DayKind.HOLIDAY,
            name="测试",
        )
        assert not selectors.get_calendar().is_working_day(date(2026, 3, 16))
        day.kind = DayKind.MAKEUP
        day.date = date(2026, 3, 15)
        day.save()
        assert selectors.get_calendar().is_working_day(date(2026, 3, 15))

    def test_rebuilt_when_working_hours_change(self, settings):
        assert selectors.get_calendar().day_length == 7 * 3600
        settings.WORKING_HOURS = ["08:00-12:00", "14:00-18:00"]
        assert selectors.get_calendar().day_length == 8 * 3600


@pytest.mark.django_db
class TestEnterYear:
    def test_enter_2027_then_compute_in_it(self, admin_user):
        with pytest.raises(CalendarNotCovered):
            selectors.get_calendar().add_working_days(date(2027, 9, 30), 1)
        year = _enter_2027(admin_user, notice_number="国办发明电〔2026〕7号")
        assert year.source == Source.STATE_COUNCIL and year.notice_number == "国办发明电〔2026〕7号"
        assert year.special_days.count() == 10
        cal = selectors.get_calendar()
        # Sep 30 Thu → Oct 1–7 off → Oct 8 Fri, Oct 9 a 调休 Saturday.
        assert cal.add_working_days(date(2027, 9, 30), 2) == date(2027, 10, 9)
        assert cal.add_working_days(date(2026, 12, 30), 2) == date(2027, 1, 4)
        assert cal.add_working_days(at(2027, 9, 26, 9), 1) == at(2027, 9, 26, 17, 30)

    def test_audited(self, admin_user):
        year = _enter_2027(admin_user)
        event = AuditEvent.objects.get(object_type="calendar.CalendarYear", object_id=str(year.pk))
        assert event.actor == admin_user and event.action == "录入工作日历"
        assert event.summary == "2027年：节假日8天、调休上班2天（国务院办公厅关于2027年部分节假日安排的通知）"
        assert event.before is None
        assert event.after["makeup_days"] == [["2027-09-26", "国庆节"], ["2027-10-09", "国庆节"]]

    def test_reentering_replaces_the_year(self, admin_user):
        _enter_2027(admin_user)
        _enter_2027(admin_user, holidays=[(date(2027, 5, 3), "劳动节")], makeup_days=[])
        assert list(SpecialDay.objects.filter(year__year=2027).values_list("date", flat=True)) == [
            date(2027, 5, 3)
        ]
        event = AuditEvent.objects.filter(action="修改工作日历").get()
        assert len(event.before["holidays"]) == 8 and event.after["holidays"] == [["2027-05-03", "劳动节"]]

    def test_replacing_a_seeded_year(self, admin_user):
        enter_year(
            year=2026, holidays=[(date(2026, 10, 1), "国庆节")], makeup_days=[], notice="更正", by=admin_user
        )
        cal = selectors.get_calendar()
        assert cal.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 6)

    def test_invalid_schedule_saves_nothing(self, admin_user):
        with pytest.raises(InvalidInput) as info:
            _enter_2027(
                admin_user, makeup_days=[(date(2027, 9, 27), "国庆节"), (date(2027, 10, 1), "国庆节")]
            )
        assert info.value.errors == {
            "makeup_days": [
                "2027-09-27 是星期一，调休上班日应为周六或周日",
                "2027-10-01 已录为节假日，不能同时是调休上班日",
            ]
        }
        assert info.value.message == "2027-09-27 是星期一，调休上班日应为周六或周日"
        assert not CalendarYear.objects.filter(year=2027).exists()

    def test_dates_outside_the_year(self, admin_user):
        with pytest.raises(InvalidInput, match="2026-12-31 不在2027年内") as info:
            _enter_2027(admin_user, holidays=[(date(2026, 12, 31), "元旦")])
        assert "holidays" in info.value.errors

    def test_notice_and_year_required(self, admin_user):
        with pytest.raises(InvalidInput) as info:
            _enter_2027(admin_user, notice="  ")
        assert info.value.field == "notice_title"
        with pytest.raises(InvalidInput) as info:
            _enter_2027(admin_user, year=1800)
        assert info.value.field == "year"

    def test_stale_version_is_refused(self, admin_user):
        _enter_2027(admin_user, version="")
        with pytest.raises(Conflict, match="已被他人修改"):
            _enter_2027(admin_user, version="")
        current = CalendarYear.objects.get(year=2027).version
        _enter_2027(admin_user, version=current)

    def test_permissions(self, make_user):
        with pytest.raises(NotAllowed):
            _enter_2027(make_user("clerk"))
        adder = make_user()
        adder.user_permissions.add(Permission.objects.get(codename="add_calendaryear"))
        _enter_2027(adder)
        with pytest.raises(NotAllowed, match="已录入，您没有修改的权限"):
            _enter_2027(adder)
