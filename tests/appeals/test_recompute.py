"""When an administrator changes the calendar, open working-day deadlines are recomputed in bulk
from their stored start and limit; agreed (extended) dates and clock-hour limits stay."""

from datetime import timedelta

from django.utils import timezone

from zhengwu.appeals.events import verify_chain
from zhengwu.appeals.workflow import AppealState as S
from zhengwu.calendar import selectors as calendar
from zhengwu.calendar.entry import DayEntry
from zhengwu.calendar.models import CalendarYear
from zhengwu.calendar.services import enter_year
from zhengwu.calendar.workdays import Limit

from ..factories import UserFactory
from .conftest import refresh


def _add_holiday(day):
    year = CalendarYear.objects.get(year=day.year)
    holidays, makeup = calendar.special_days(year)
    enter_year(
        year=day.year,
        holidays=[*holidays, DayEntry(day, "临时休假")],
        makeup_days=makeup,
        notice="关于调整部分工作日的通知",
        by=UserFactory(roles=["admin"]),
    )


def test_a_new_holiday_moves_open_deadlines(desk, settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    appeal = desk.reach(S.IN_PROGRESS)
    lead = desk.lead(appeal)
    before = lead.handle_due_at
    cal = calendar.get_calendar()
    first_working_day = next(
        d for d in (timezone.localdate() + timedelta(days=n) for n in range(1, 15)) if cal.is_working_day(d)
    )

    with django_capture_on_commit_callbacks(execute=True):
        _add_holiday(first_working_day)

    lead.refresh_from_db()
    expected = calendar.get_calendar().deadline_for(
        lead.handle_started_at, Limit.working_days(lead.handle_limit_days)
    )
    assert lead.handle_due_at == expected and lead.handle_due_at > before
    appeal = refresh(appeal)
    assert appeal.due_at == lead.handle_due_at
    assert appeal.events.order_by("-seq").first().action == "recalculate"
    assert verify_chain(appeal) is None


def test_an_agreed_extension_is_not_recomputed(desk, settings, django_capture_on_commit_callbacks):
    from zhengwu.appeals import services

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    appeal = desk.reach(S.IN_PROGRESS)
    lead = desk.lead(appeal)
    ext = services.request_extension(
        assignment=lead, reason="需协调", until=lead.handle_due_at + timedelta(days=3), by=desk.lead_handler
    )
    services.decide_extension(extension=ext, approve=True, by=desk.dispatcher)
    cal = calendar.get_calendar()
    day = next(
        d for d in (timezone.localdate() + timedelta(days=n) for n in range(1, 15)) if cal.is_working_day(d)
    )

    with django_capture_on_commit_callbacks(execute=True):
        _add_holiday(day)

    lead.refresh_from_db()
    assert lead.handle_due_at == ext.requested_due_at
