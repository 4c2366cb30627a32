"""办理用时 is stored on the application at 办结, as the deadlines are: working days from 受理 to
办结 by the working-day calendar, less the closed clock pauses. The migration fills it in for the
applications completed before it existed, to the same value."""

from __future__ import annotations

import importlib
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.urls import reverse

from zhengwu.applications import services
from zhengwu.applications.models import Application, PauseKind

from .conftest import walk_in

pytestmark = pytest.mark.django_db

CITY = ZoneInfo("Asia/Shanghai")
backfill = importlib.import_module("zhengwu.applications.migrations.0007_application_handling_days")


def at(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=CITY)


def completed_with_a_supplement(office) -> Application:
    """Accepted Thu 06-11 09:00; sent back for 补正 at 10:00, supplied Mon 06-15 10:00; completed
    Mon 06-22 12:00, after the 端午 holiday (Fri 06-19)."""
    with time_machine.travel(at(6, 11, 9), tick=False):
        app = walk_in(office).application
    with time_machine.travel(at(6, 11, 10), tick=False):
        services.return_to_window(application=app, by=office.approver, reason="需补正")
        use = app.materials.order_by("order")[1]
        services.request_supplement(
            application=app, by=office.clerk, items=[{"material_id": use.pk, "reason": "未签字"}]
        )
    with time_machine.travel(at(6, 15, 10), tick=False):
        services.supply(
            application=Application.objects.get(pk=app.pk),
            by=office.clerk,
            materials=[services.MaterialInput(use.item_material_id, "received", originals=1)],
        )
    with time_machine.travel(at(6, 22, 12), tick=False):
        app = Application.objects.get(pk=app.pk)  # back in 审查 since the 补正
        services.decide(application=app, by=office.approver, approved=True, opinion="符合条件")
        services.complete(application=app, by=office.approver)
    return Application.objects.get(pk=app.pk)


def test_stored_at_completion_less_the_supplement_pause(office):
    app = completed_with_a_supplement(office)
    assert list(app.pauses.values_list("kind", "started_at", "ended_at")) == [
        (PauseKind.SUPPLEMENT, at(6, 11, 10), at(6, 15, 10))
    ]
    # Working hours 09:00–12:00 and 13:30–17:30, 7 h a day. 受理 → 办结: 06-11, 06-12, 06-15 to
    # 06-18 (6 × 7 h), 端午 06-19 rests, 06-22 09:00–12:00 (3 h) = 45 h. The 补正 pause: 06-11
    # 10:00–17:30 (6 h), 06-12 (7 h), 06-15 09:00–10:00 (1 h) = 14 h. 31 h / 7 = 4.43 working days.
    assert app.handling_days == Decimal("4.43")


def test_the_application_page_shows_it(office, client):
    app = completed_with_a_supplement(office)
    client.force_login(office.approver)
    page = client.get(reverse("applications:detail", args=[app.number])).content.decode()
    assert "（用时4.43个工作日）" in page


def test_not_stored_before_completion(office):
    app = walk_in(office).application
    services.review(application=app, by=office.approver)
    services.decide(application=app, by=office.approver, approved=True, opinion="符合条件")
    app.refresh_from_db()
    assert app.accepted_at is not None and app.handling_days is None


def test_the_migration_fills_in_what_the_service_stores(office):
    paused = completed_with_a_supplement(office)
    with time_machine.travel(at(6, 23, 15), tick=False):
        plain = walk_in(office).application
    with time_machine.travel(at(6, 24, 10), tick=False):
        services.review(application=plain, by=office.approver)
        services.decide(application=plain, by=office.approver, approved=False, opinion="不符合条件")
        services.complete(application=plain, by=office.approver)
    with time_machine.travel(at(6, 24, 11), tick=False):
        open_one = walk_in(office).application
    stored = dict(Application.objects.values_list("pk", "handling_days"))
    assert stored[paused.pk] == Decimal("4.43")
    assert stored[plain.pk] == Decimal("0.50")  # 06-23 15:00–17:30, 06-24 09:00–10:00: 3.5 h of 7
    assert stored[open_one.pk] is None

    Application.objects.update(handling_days=None)
    backfill.backfill_handling_days(apps, None)
    assert dict(Application.objects.values_list("pk", "handling_days")) == stored
