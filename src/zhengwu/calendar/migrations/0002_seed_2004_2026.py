"""Seed 2004–2026 from the chinesecalendar package, which knows exactly those years (and raises for
2027). Later years are entered by administrators from the State Council notice. The range is fixed
here so that a newer package release cannot change what this migration wrote."""

from django.db import migrations

FIRST_YEAR, LAST_YEAR = 2004, 2026

NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def seed(apps, schema_editor):
    import chinese_calendar

    CalendarYear = apps.get_model("calendar", "CalendarYear")
    SpecialDay = apps.get_model("calendar", "SpecialDay")
    years = {
        y.year: y
        for y in CalendarYear.objects.bulk_create(
            CalendarYear(year=y, source="chinesecalendar", notice_title="chinesecalendar 软件包内置的国务院节假日安排")
            for y in range(FIRST_YEAR, LAST_YEAR + 1)
        )
    }
    if any(y.pk is None for y in years.values()):  # backends that do not return ids from bulk inserts
        years = {y.year: y for y in CalendarYear.objects.filter(year__in=years)}

    # Weekend holidays are stored too: they are rest days anyway, but the year page shows the
    # holiday as the notice states it (国庆节 10月1日至7日).
    rows = []
    for kind, table in (("holiday", chinese_calendar.holidays), ("makeup", chinese_calendar.workdays)):
        for day, english in table.items():
            if FIRST_YEAR <= day.year <= LAST_YEAR:
                rows.append(SpecialDay(date=day, year=years[day.year], kind=kind, name=NAMES.get(english, english)))
    SpecialDay.objects.bulk_create(sorted(rows, key=lambda r: r.date), batch_size=500)


def unseed(apps, schema_editor):
    apps.get_model("calendar", "CalendarYear").objects.filter(
        source="chinesecalendar", year__range=(FIRST_YEAR, LAST_YEAR)
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("calendar", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
