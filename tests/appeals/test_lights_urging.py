"""Lights relative to the limit and urging in working hours only, on the 2026 calendar.

The case from the desk: a dispatch on Friday 2026-06-12 at 23:55 with the ordinary signing limit
of one working day, due Monday 2026-06-15 17:30. It used to be yellow (and urged) at once."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.test import override_settings

from zhengwu.appeals import services
from zhengwu.appeals.models import Assignment, Urge
from zhengwu.appeals.selectors import light, yellow_from
from zhengwu.appeals.workflow import AppealState as S
from zhengwu.appeals.worklists import Lights, inbox_counts
from zhengwu.calendar.selectors import get_calendar

SH = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=SH)


FRIDAY_NIGHT = at(12, 23, 55)
MONDAY_LIMIT = at(15, 17, 30)


def friday_night_dispatch(desk) -> Assignment:
    with time_machine.travel(FRIDAY_NIGHT, tick=False):
        appeal = desk.reach(S.DISPATCHED)
    lead = desk.lead(appeal)
    assert lead.sign_due_at == MONDAY_LIMIT
    return lead


def sign_urges(assignment: Assignment) -> list[str]:
    return list(Urge.objects.filter(assignment=assignment).values_list("threshold", flat=True))


class TestYellowRelativeToTheLimit:
    def test_yellow_begins_at_the_later_of_share_used_and_hours_left(self, db):
        cal = get_calendar()
        # 7 working hours allowed, none used before Monday 09:00. 80 % used: 5.6 h → Monday 16:06;
        # 7 working hours left: the whole limit. The later moment wins.
        assert yellow_from(FRIDAY_NIGHT, MONDAY_LIMIT, calendar=cal) == at(15, 16, 6)
        with override_settings(APPEAL_YELLOW_SHARE=0.5, APPEAL_YELLOW_WORKING_HOURS=2):
            # 50 % → 3.5 h → 14:00; 2 h left → 15:30: later is 15:30.
            assert yellow_from(FRIDAY_NIGHT, MONDAY_LIMIT, calendar=cal) == at(15, 15, 30)
        # A long limit (15 working days from Wednesday 10:00): the hours before the limit decide.
        start, due = at(10, 10), datetime(2026, 7, 2, 10, tzinfo=SH)
        assert yellow_from(start, due, calendar=cal) == datetime(2026, 7, 1, 10, tzinfo=SH)

    def test_a_fresh_friday_night_dispatch_is_green_over_the_weekend(self, desk):
        lead = friday_night_dispatch(desk)
        start = lead.sign_started_at or lead.created_at
        for moment in (FRIDAY_NIGHT, at(13, 12), at(14, 23), at(15, 9, 30), at(15, 16, 5)):
            assert light(start, lead.sign_due_at, moment) == "green", moment
        assert light(start, lead.sign_due_at, at(15, 16, 6)) == "yellow"
        assert light(start, lead.sign_due_at, at(15, 17, 31)) == "red"

    def test_the_inbox_counts_no_yellow_right_after_dispatch(self, desk):
        friday_night_dispatch(desk)
        dept = desk.lead_dept.pk
        assert inbox_counts(dept, Lights(at(12, 23, 56)))["yellow"] == 0
        assert inbox_counts(dept, Lights(at(15, 10)))["yellow"] == 0
        counts = inbox_counts(dept, Lights(at(15, 16, 30)))
        assert counts["yellow"] == 1 and counts["pending"] == 1 and counts["red"] == 0

    def test_the_inbox_yellow_tab_lists_what_the_count_says(self, desk, client):
        lead = friday_night_dispatch(desk)

        def yellow_tab(moment: datetime) -> str:
            with time_machine.travel(moment, tick=False):
                client.force_login(desk.lead_handler)  # sessions end after 30 idle minutes
                response = client.get("/appeals/inbox/?tab=yellow")
            assert response.status_code == 200
            return response.content.decode()

        assert lead.appeal.number not in yellow_tab(at(15, 10))
        assert lead.appeal.number in yellow_tab(at(15, 16, 30))


class TestUrgingInWorkingHours:
    def test_no_urge_at_night_or_weekend_and_one_on_monday_after_yellow(self, desk):
        lead = friday_night_dispatch(desk)
        for moment in (at(12, 23, 56), at(13, 10), at(14, 15), at(15, 8, 59), at(15, 10), at(15, 16, 5)):
            assert services.run_urging(moment) == 0, moment
        assert sign_urges(lead) == []
        # The dispatch went to a lead and a co-handler with the same signing limit: one urge each.
        assert services.run_urging(at(15, 16, 10)) == 2
        assert services.run_urging(at(15, 16, 15)) == 0
        assert sign_urges(lead) == ["sign-yellow"]
        # Red at 17:31, but nobody is at work until Tuesday 09:00; then one urge, once.
        for moment in (at(15, 17, 35), at(15, 22), at(16, 8, 30)):
            assert services.run_urging(moment) == 0, moment
        assert services.run_urging(at(16, 9, 5)) == 2
        assert services.run_urging(at(16, 10)) == 0
        assert sorted(sign_urges(lead)) == ["sign-red", "sign-yellow"]

    def test_yellow_reached_in_the_night_is_urged_next_working_morning(self, desk):
        """A limit that turned yellow over the weekend is urged once, on Monday in working hours."""
        lead = friday_night_dispatch(desk)
        # A limit from Friday 09:00 to Monday 10:00 (8 working hours) is yellow from Friday 16:54.
        Assignment.objects.filter(pk=lead.pk).update(sign_started_at=at(12, 9), sign_due_at=at(15, 10))
        lead.refresh_from_db()
        assert Lights(at(12, 18)).sign(lead) == "yellow"
        assert services.run_urging(at(12, 18)) == 0  # Friday evening: yellow, but not at work
        assert services.run_urging(at(13, 11)) == 0  # Saturday
        assert services.run_urging(at(15, 9)) == 1  # Monday 09:00: urged
        assert services.run_urging(at(15, 9, 5)) == 0
        assert sign_urges(lead) == ["sign-yellow"]

    def test_a_weekend_makeup_working_day_is_working_time(self, db):
        """调休: Sunday 2026-09-20 is a working day in the 2026 calendar, Thursday 10-01 is not."""
        cal = get_calendar()
        assert cal.is_working_time(datetime(2026, 9, 20, 10, tzinfo=SH))
        assert not cal.is_working_time(datetime(2026, 10, 1, 10, tzinfo=SH))
        assert not cal.is_working_time(datetime(2026, 9, 21, 12, 30, tzinfo=SH))  # lunch break


class TestUrgingAfterAnExtension:
    def test_an_extended_limit_is_urged_again_at_its_own_yellow_and_red(self, desk):
        """An approved extension moves the 办理 limit: the new limit turns yellow and red again and
        is urged once for each, in words on the timeline."""
        with time_machine.travel(at(10, 10), tick=False):
            appeal = desk.reach(S.IN_PROGRESS)
        lead = desk.lead(appeal)

        def urged_after(moment: datetime) -> list[str]:
            services.run_urging(moment)
            return sorted(sign_urges(lead))

        # The original limit (due 06-17 10:00) ran yellow and red, and was urged for both.
        assert urged_after(at(16, 11)) == ["handle-yellow"]
        assert urged_after(at(17, 11)) == ["handle-red", "handle-yellow"]
        with time_machine.travel(at(17, 11, 30), tick=False):
            extension = services.request_extension(
                assignment=lead, reason="需协调管线单位", until=at(26, 17), by=desk.lead_handler
            )
            services.decide_extension(extension=extension, approve=True, by=desk.dispatcher)
        assert urged_after(at(18, 10)) == ["handle-red", "handle-yellow"]  # the new limit is green
        # Near the new limit (2026-06-26 17:00): yellow, urged once however often the job runs.
        assert urged_after(at(26, 11)) == ["handle-red", "handle-yellow", "handle-yellow-e1"]
        assert urged_after(at(26, 11, 30)) == ["handle-red", "handle-yellow", "handle-yellow-e1"]
        assert urged_after(at(29, 10)) == ["handle-red", "handle-red-e1", "handle-yellow", "handle-yellow-e1"]

        from zhengwu.appeals.timeline import urge_sentence

        lead_urges = [
            e for e in appeal.events.filter(action="urge").order_by("seq") if e.data["assignment"] == lead.pk
        ]
        assert [urge_sentence(e, "住建局") for e in lead_urges[-2:]] == [
            "延期后办理临期（黄灯），系统自动催办住建局",
            "延期后办理超期（红灯），系统自动催办住建局",
        ]
