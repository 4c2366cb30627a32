"""Admin for reference data (categories, policies) and read-only views of appeals and their
history: state only changes through the services, never by editing a row here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .knowledge_admin import KnowledgeEntryAdmin
from .models import (
    Appeal,
    AppealEvent,
    Assignment,
    Callback,
    Category,
    DeadlinePolicy,
    Extension,
    KnowledgeEntry,
    SupervisionOrder,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["__str__", "department", "order", "is_active"]
    list_filter = ["is_active", "parent"]
    search_fields = ["name", "parent__name"]
    autocomplete_fields = ["parent", "department"]


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "sign_amount", "sign_unit", "handle_amount", "handle_unit"]
    list_filter = ["urgency", "appeal_type"]
    search_fields = ["urgency", "appeal_type"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    readonly_fields = (
        "department",
        "role",
        "state",
        "sign_due_at",
        "handle_due_at",
        "signed_at",
        "return_reason",
    )
    fields = readonly_fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(admin.TabularInline):
    model = AppealEvent
    extra = 0
    readonly_fields = ("seq", "at", "actor_label", "action", "from_state", "to_state", "note", "hash")
    fields = readonly_fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ["number", "title", "appeal_type", "urgency", "state", "category", "due_at", "red_listed"]
    list_filter = ["state", "channel", "appeal_type", "urgency", "red_listed"]
    search_fields = ["=number", "title"]
    date_hierarchy = "created_at"
    exclude = ["query_code_hash", "contact_phone", "idempotency_key"]
    inlines = [AssignmentInline, EventInline]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["appeal", "department", "role", "state", "sign_due_at", "handle_due_at"]
    list_filter = ["state", "role"]
    search_fields = ["=appeal__number", "department__name"]


@admin.register(Extension)
class ExtensionAdmin(ReadOnlyAdmin):
    list_display = ["assignment", "state", "previous_due_at", "requested_due_at", "decided_at"]
    list_filter = ["state"]
    search_fields = ["=assignment__appeal__number", "reason"]


@admin.register(Callback)
class CallbackAdmin(ReadOnlyAdmin):
    list_display = ["appeal", "reached", "solved", "satisfaction", "at"]
    list_filter = ["reached", "solved", "satisfaction"]
    search_fields = ["=appeal__number"]


@admin.register(SupervisionOrder)
class SupervisionOrderAdmin(ReadOnlyAdmin):
    list_display = ["appeal", "department", "due_at", "answered_at"]
    search_fields = ["=appeal__number", "department__name", "note"]


@admin.register(AppealEvent)
class AppealEventAdmin(ReadOnlyAdmin):
    list_display = ["appeal", "seq", "at", "actor_label", "action", "to_state"]
    list_filter = ["action"]
    search_fields = ["=appeal__number", "note"]


admin.site.register(KnowledgeEntry, KnowledgeEntryAdmin)
