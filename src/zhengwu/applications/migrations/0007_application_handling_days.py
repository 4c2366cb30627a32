"""办理用时 stored on the application at 办结, and filled in for the applications already completed:
working days from 受理 to 办结 by the working-day calendar, less the closed clock pauses — what
``services.handling_days`` stores from now on."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import migrations, models

CHUNK = 2000


def _fill(Application, ClockPause, calendar, batch):
    """One chunk: its pauses read in one query (only applications that have any come back)."""
    pauses = {}
    for application_id, start, end in (
        ClockPause.objects.filter(application_id__in=[a.pk for a in batch], ended_at__isnull=False)
        .order_by("application_id", "started_at")
        .values_list("application_id", "started_at", "ended_at")
    ):
        pauses.setdefault(application_id, []).append((start, end))
    for a in batch:
        days = calendar.working_days_between(a.accepted_at, a.completed_at, pauses=pauses.get(a.pk, ()))
        a.handling_days = max(days, Decimal(0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    Application.objects.bulk_update(batch, ["handling_days"], batch_size=CHUNK)


def backfill_handling_days(apps, schema_editor):
    from zhengwu.calendar.selectors import get_calendar

    Application = apps.get_model("applications", "Application")
    ClockPause = apps.get_model("applications", "ClockPause")
    todo = (
        Application.objects.filter(
            accepted_at__isnull=False, completed_at__isnull=False, handling_days__isnull=True
        )
        .order_by("pk")
        .only("pk", "accepted_at", "completed_at")
    )
    if not todo.exists():
        return
    calendar = get_calendar()
    batch = []
    for application in todo.iterator(chunk_size=CHUNK):
        batch.append(application)
        if len(batch) == CHUNK:
            _fill(Application, ClockPause, calendar, batch)
            batch = []
    if batch:
        _fill(Application, ClockPause, calendar, batch)


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0006_applicationmaterial_licence"),
        ("calendar", "0002_seed_2004_2026"),  # the backfill reads the working-day calendar
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="handling_days",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                help_text="办结时记下：受理到办结的工作日数（按工作日历，含调休），不计补正、特别程序和等待前置事项的暂停期间",
                max_digits=7,
                null=True,
                verbose_name="办理用时（工作日）",
            ),
        ),
        migrations.RunPython(backfill_handling_days, migrations.RunPython.noop),
    ]
