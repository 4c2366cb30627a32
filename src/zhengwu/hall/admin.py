from typing import Any

from django.contrib import admin

from .models import Appointment, AppointmentPlan, QueueTicket, Slot


@admin.register(AppointmentPlan)
class AppointmentPlanAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "hall",
        "window_kind",
        "periods",
        "slot_minutes",
        "capacity",
        "priority_capacity",
        "is_active",
    )
    list_filter = ("is_active", "hall")
    filter_horizontal = ("items",)


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = (
        "hall",
        "starts_at",
        "ends_at",
        "capacity",
        "booked",
        "priority_capacity",
        "priority_booked",
    )
    list_filter = ("hall",)
    date_hierarchy = "starts_at"
    readonly_fields = ("booked", "priority_booked")


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    """Read-mostly: bookings change through the pages, which keep the slot counts right."""

    list_display = ("code", "hall", "slot", "item", "contact_name", "priority", "channel", "state")
    list_filter = ("state", "channel", "hall")
    search_fields = ("code", "contact_name")
    raw_id_fields = ("slot", "item", "citizen", "booked_by")
    readonly_fields = ("state", "slot", "used_priority_place", "cancelled_at", "checked_in_at", "no_show_at")


@admin.register(QueueTicket)
class QueueTicketAdmin(admin.ModelAdmin):
    """Read-only: numbers are issued and called through the kiosk and the window panel."""

    list_display = ("number", "hall", "day", "window_kind", "source", "state", "window", "called_at")
    list_filter = ("state", "source", "hall", "day")
    search_fields = ("number",)
    date_hierarchy = "issued_at"

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
