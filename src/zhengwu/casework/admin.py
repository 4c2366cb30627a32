"""当日序号 (DailyCounter) in the admin, for inspection only: the numbers already drawn for each kind
of matter and day. A counter is only ever advanced under a row lock by ``casework.numbers``;
editing one here could hand out a number twice, so nothing here changes it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import DailyCounter


@admin.register(DailyCounter)
class DailyCounterAdmin(admin.ModelAdmin):
    list_display = ["kind", "day", "value"]
    list_filter = ["kind"]
    search_fields = ["kind"]
    date_hierarchy = "day"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
