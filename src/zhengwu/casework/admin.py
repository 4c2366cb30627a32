"""当日序号 (DailyCounter) in the admin, for inspection only: the numbers already drawn for each kind
of matter and day. A counter is only ever advanced under a row lock by ``casework.numbers``;
editing one here could hand out a number twice, so nothing here changes it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import DailyCounter


class ReadOnlyMixin:
    """An admin or inline that shows rows and changes none of them: what the services write (a
    matter, its history, its counters) is never edited by hand. Put it before the admin class."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DailyCounter)
class DailyCounterAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["kind", "day", "value"]
    list_filter = ["kind"]
    search_fields = ["kind"]
    date_hierarchy = "day"
