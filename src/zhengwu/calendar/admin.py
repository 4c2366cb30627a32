"""Admin for the calendar tables. Entering a whole year belongs on the 录入年度安排 page (it checks
the schedule as a whole and writes the audit trail); the admin is for looking up and correcting a
single row. Any change here is picked up by ``selectors.get_calendar()`` through its version stamp."""

from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from .models import CalendarYear, DayKind, SpecialDay


class SpecialDayInline(admin.TabularInline):
    model = SpecialDay
    extra = 0
    fields = ["date", "kind", "name"]
    ordering = ["date"]


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = [
        "year",
        "source",
        "notice_title",
        "notice_number",
        "holiday_count",
        "makeup_count",
        "updated_at",
    ]
    list_filter = ["source"]
    search_fields = ["year", "notice_title", "notice_number"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [SpecialDayInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CalendarYear]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                holidays=Count("special_days", filter=Q(special_days__kind=DayKind.HOLIDAY)),
                makeups=Count("special_days", filter=Q(special_days__kind=DayKind.MAKEUP)),
            )
        )

    @admin.display(description="节假日（天）", ordering="holidays")
    def holiday_count(self, obj: CalendarYear) -> int:
        return int(getattr(obj, "holidays", 0))

    @admin.display(description="调休上班（天）", ordering="makeups")
    def makeup_count(self, obj: CalendarYear) -> int:
        return int(getattr(obj, "makeups", 0))


@admin.register(SpecialDay)
class SpecialDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name", "year"]
    list_filter = ["kind", "year", "name"]
    search_fields = ["name", "date"]
    date_hierarchy = "date"
    list_select_related = ["year"]
    autocomplete_fields = ["year"]
