from __future__ import annotations

from django.contrib import admin

from .forms import RankingWeightForm, RankingWeightFormSet
from .models import DailyFigure, MonthlyReport, RankingScheme, RankingWeight, RollupState


@admin.register(DailyFigure)
class DailyFigureAdmin(admin.ModelAdmin):
    """Read-only: the roll-up is derived; a wrong row is fixed by a rebuild, not by hand."""

    list_display = ["day", "measure", "department_id", "dim", "key", "value"]
    list_filter = ["measure", "dim"]
    date_hierarchy = "day"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RollupState)
class RollupStateAdmin(admin.ModelAdmin):
    list_display = ["__str__", "rebuilt_at", "first_day"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RankingWeightInline(admin.TabularInline):
    """The weights, edited with their scheme: they must name existing indicators and sum to 100 %
    (forms.RankingWeightFormSet), or nothing is saved."""

    model = RankingWeight
    form = RankingWeightForm
    formset = RankingWeightFormSet
    extra = 1


@admin.register(RankingScheme)
class RankingSchemeAdmin(admin.ModelAdmin):
    list_display = ["name", "subject", "updated_at"]
    inlines = [RankingWeightInline]


@admin.register(MonthlyReport)
class MonthlyReportAdmin(admin.ModelAdmin):
    list_display = ["month", "size", "generated_at", "requested_by"]
    exclude = ["pdf"]
    readonly_fields = ["month", "size", "generated_at", "requested_by"]

    def has_add_permission(self, request):
        return False
