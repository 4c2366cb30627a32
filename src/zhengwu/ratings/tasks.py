"""Background work of 智能邀评, 电话邀评 and 差评整改催办: thin wrappers that call the services."""

from __future__ import annotations

from django_tasks import task

from . import invitations, urging


@task()
def schedule_and_send_invitations() -> list[int]:
    """Create the invitations of newly finished matters and send those due (and reminders).
    Idempotent: run twice, one SMS each."""
    made = invitations.schedule_due()
    sent, reminded = invitations.send_due()
    return [made, sent, reminded]


@task()
def draw_weekly_phone_sample() -> int:
    """Draw last week's 电话邀评 sample; a second run adds nothing."""
    return invitations.draw_phone_sample(invitations.last_week_monday())


@task()
def urge_rectifications() -> int:
    """催办 the 差评整改 cases whose light turned yellow or red; once per light and limit."""
    return urging.urge_due()
