"""The periodic jobs of the applications, with the clock moved past their deadlines: 临期 and 超期
alerts go to the department once each, never while the clock is stopped; a 容缺 material past its
hand-in deadline flags the application once, with one chained step and a message to the department,
and handing it in clears the flag."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from zhengwu.applications import services
from zhengwu.applications.models import Application, MaterialStatus, SpecialKind
from zhengwu.applications.workflow import ApplicationState as S
from zhengwu.casework.deadlines import yellow_from
from zhengwu.notifications.models import Message

from .conftest import all_received, pdf, walk_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def phones(office):
    """The department's two approvers have mobiles (the alerts are SMS); the other department's
    approver has one too and must hear nothing."""
    for n, user in enumerate((office.approver, office.second_approver, office.other_approver)):
        user.phone = f"1380000000{n}"
        user.save(update_fields=["phone"])
    return office


def messages(app: Application, key: str = "") -> list[Message]:
    rows = Message.objects.filter(about_label="applications.application", about_id=str(app.pk))
    if key:
        rows = rows.filter(dedupe_key__contains=f":{key}:")
    return list(rows.order_by("id"))


def run_alerts(capture) -> tuple[int, int]:
    with capture(execute=True):
        return services.send_deadline_alerts()


def run_deferred(capture) -> int:
    with capture(execute=True):
        return services.flag_overdue_deferred()


def fresh(app: Application) -> Application:
    return Application.objects.get(pk=app.pk)


def morning_after(day) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time(9, 30)))


# -- 临期 / 超期 ------------------------------------------------------------------------------------


def test_yellow_then_red_each_once(phones, django_capture_on_commit_callbacks):
    office = phones
    app = walk_in(office).application
    assert app.due_at is not None
    assert run_alerts(django_capture_on_commit_callbacks) == (0, 0)  # just accepted: green
    with time_machine.travel(yellow_from(app.accepted_at, app.due_at) + timedelta(minutes=5), tick=False):
        assert run_alerts(django_capture_on_commit_callbacks) == (1, 0)
        assert run_alerts(django_capture_on_commit_callbacks) == (0, 0)
    yellow = messages(app, "deadline:yellow")
    assert sorted(m.recipient_phone for m in yellow) == ["13800000000", "13800000001"]
    assert all("即将超期（临期）" in m.body and app.number in m.body for m in yellow)
    assert fresh(app).yellow_alerted_at is not None and fresh(app).red_alerted_at is None
    with time_machine.travel(app.due_at + timedelta(hours=1), tick=False):
        assert run_alerts(django_capture_on_commit_callbacks) == (0, 1)
        assert run_alerts(django_capture_on_commit_callbacks) == (0, 0)
    with time_machine.travel(app.due_at + timedelta(days=3), tick=False):
        assert run_alerts(django_capture_on_commit_callbacks) == (0, 0)
    red = messages(app, "deadline:red")
    assert len(red) == 2 and all("已超期" in m.body for m in red)
    assert len(messages(app)) == 4


def test_overdue_found_first_is_red_without_a_late_yellow(phones, django_capture_on_commit_callbacks):
    office = phones
    app = walk_in(office).application
    with time_machine.travel(app.due_at + timedelta(hours=2), tick=False):
        assert run_alerts(django_capture_on_commit_callbacks) == (0, 1)
        assert run_alerts(django_capture_on_commit_callbacks) == (0, 0)
    assert len(messages(app, "deadline:red")) == 2 and messages(app, "deadline:yellow") == []


@pytest.mark.parametrize("pause", ["special", "supplement"])
def test_no_alert_while_the_clock_is_stopped(
    phones, django_capture_on_commit_callbacks, pause, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    office = phones
    app = walk_in(office).application
    if pause == "special":
        services.review(application=app, by=office.approver)
        services.start_special(application=app, by=office.approver, kind=SpecialKind.HEARING, reason="需听证")
    else:
        services.return_to_window(application=app, by=office.approver, reason="需补正")
        services.request_supplement(
            application=app,
            by=office.clerk,
            items=[{"material_id": app.materials.order_by("order")[1].pk, "reason": "未签字"}],
        )
    app = fresh(app)
    assert app.state in (S.SPECIAL, S.SUPPLEMENT) and app.paused_since is not None
    due = app.due_at
    for moment in (yellow_from(app.accepted_at, due) + timedelta(minutes=5), due + timedelta(days=2)):
        with time_machine.travel(moment, tick=False):
            assert run_alerts(django_capture_on_commit_callbacks) == (0, 0)
    assert messages(app) == []
    app = fresh(app)
    assert app.yellow_alerted_at is None and app.red_alerted_at is None
    # when the clock runs again the limit has moved by the time it stood still
    with time_machine.travel(due + timedelta(days=2), tick=False):
        if pause == "special":
            services.end_special(application=app, by=office.approver, result="听证完毕")
        else:
            material = app.materials.order_by("order")[1]
            services.supply(application=app, by=office.clerk, uploads={material.pk: [pdf()]})
        app = fresh(app)
        assert app.due_at > due + timedelta(days=2)
        assert run_alerts(django_capture_on_commit_callbacks) == (0, 0)
    assert messages(app) == []


# -- 容缺 past its hand-in deadline ----------------------------------------------------------------


def _deferred(office, *positions: int) -> Application:
    marks = all_received(office)
    for p in positions:
        marks[p] = services.MaterialInput(
            office.uses[p].pk, MaterialStatus.DEFERRED, commitment="三个工作日内补交", defer_days=3
        )
    return walk_in(office, materials=marks).application


def test_overdue_deferral_is_flagged_once_and_the_department_told(phones, django_capture_on_commit_callbacks):
    office = phones
    app = _deferred(office, 2)
    until = app.materials.get(status=MaterialStatus.DEFERRED).deferred_until
    assert run_deferred(django_capture_on_commit_callbacks) == 0  # not yet due
    with time_machine.travel(timezone.make_aware(datetime.combine(until, time(16, 0))), tick=False):
        assert run_deferred(django_capture_on_commit_callbacks) == 0  # the last day still counts
    length = fresh(app).chain_length
    with time_machine.travel(morning_after(until), tick=False):
        assert run_deferred(django_capture_on_commit_callbacks) == 1
        assert run_deferred(django_capture_on_commit_callbacks) == 0
    app = fresh(app)
    assert app.deferred_overdue and app.state == S.ACCEPTED
    assert app.chain_length == length + 1
    assert list(app.events.filter(action="deferred_overdue").values_list("actor_label", flat=True)) == [
        "系统"
    ]
    assert services.CHAIN.check(app) is None
    told = messages(app, "deferred_overdue")
    assert sorted(m.recipient_phone for m in told) == ["13800000000", "13800000001", office.citizen.phone]
    assert all("容缺" in m.body for m in told)
    with time_machine.travel(morning_after(until) + timedelta(days=1), tick=False):
        assert run_deferred(django_capture_on_commit_callbacks) == 0
    assert len(messages(app, "deferred_overdue")) == 3 and fresh(app).chain_length == length + 1


def test_handing_in_clears_the_flag_once_nothing_late_is_left(phones, django_capture_on_commit_callbacks):
    office = phones
    app = _deferred(office, 1, 2)
    first, second = app.materials.filter(status=MaterialStatus.DEFERRED).order_by("order")
    with time_machine.travel(morning_after(first.deferred_until), tick=False):
        assert run_deferred(django_capture_on_commit_callbacks) == 1
        services.hand_in(application=app, by=office.clerk, material_id=first.pk, originals=1)
        assert fresh(app).deferred_overdue, "one late material is still missing"
        services.hand_in(application=app, by=office.clerk, material_id=second.pk, originals=1)
        assert not fresh(app).deferred_overdue
        assert run_deferred(django_capture_on_commit_callbacks) == 0
    assert services.CHAIN.check(fresh(app)) is None


def test_handed_in_in_time_is_never_flagged(phones, django_capture_on_commit_callbacks):
    office = phones
    app = _deferred(office, 2)
    material = app.materials.get(status=MaterialStatus.DEFERRED)
    services.hand_in(application=app, by=office.clerk, material_id=material.pk, copies=1)
    with time_machine.travel(morning_after(material.deferred_until) + timedelta(days=5), tick=False):
        assert run_deferred(django_capture_on_commit_callbacks) == 0
    assert not fresh(app).deferred_overdue and messages(app) == []


def test_withdrawn_application_is_not_flagged(phones, django_capture_on_commit_callbacks):
    office = phones
    app = _deferred(office, 2)
    until = app.materials.get(status=MaterialStatus.DEFERRED).deferred_until
    services.withdraw(application=app, by=office.citizen_user, reason="不再需要")
    with time_machine.travel(morning_after(until), tick=False):
        assert run_deferred(django_capture_on_commit_callbacks) == 0
    assert messages(app) == []


def test_a_deadline_moved_later_is_alerted_afresh(phones, django_capture_on_commit_callbacks):
    office = phones
    app = walk_in(office).application
    first_due = app.due_at
    with time_machine.travel(yellow_from(app.accepted_at, first_due) + timedelta(minutes=5), tick=False):
        assert run_alerts(django_capture_on_commit_callbacks) == (1, 0)
        services.review(application=app, by=office.approver)
        services.request_extension(application=app, by=office.approver, days=5, reason="需补充现场核查")
        services.decide_extension(application=app, by=office.second_approver, approve=True)
        moved = fresh(app)
        assert moved.due_at > first_due and moved.yellow_alerted_at is None
        assert run_alerts(django_capture_on_commit_callbacks) == (0, 0)  # green again
    with time_machine.travel(yellow_from(moved.accepted_at, moved.due_at) + timedelta(minutes=5), tick=False):
        assert run_alerts(django_capture_on_commit_callbacks) == (1, 0)
    assert len(messages(app, "deadline:yellow")) == 4  # two approvers, twice
