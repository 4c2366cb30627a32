"""好差评 in the admin: read-only — ratings are given, cases handled and contests decided through
the services, never edited here."""

from django.contrib import admin

from zhengwu.casework.admin import ReadOnlyMixin

from .models import (
    PhoneSample,
    Rating,
    RatingContest,
    RatingInvitation,
    RatingOptOut,
    Rectification,
    WindowVisit,
)


@admin.register(Rating)
class RatingAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "matter_number",
        "matter_kind",
        "department",
        "channel",
        "level",
        "round",
        "rated_at",
        "excluded",
    )
    list_filter = ("matter_kind", "channel", "level", "excluded", "source")
    search_fields = ("matter_number", "rater_name", "text")
    date_hierarchy = "rated_at"
    list_select_related = ("department",)
    raw_id_fields = (
        "application",
        "bundle_application",
        "appeal",
        "ticket",
        "visit",
        "staff",
        "rater_user",
        "item",
    )


@admin.register(Rectification)
class RectificationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("rating", "department", "state", "verify_due_at", "outcome", "fix_due_at", "closed_at")
    list_filter = ("state", "outcome")
    list_select_related = ("rating", "department")
    raw_id_fields = ("rating",)


@admin.register(RatingContest)
class RatingContestAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("rating", "department", "state", "created_at", "decided_at")
    list_filter = ("state",)
    list_select_related = ("rating", "department")
    raw_id_fields = ("rating",)


@admin.register(WindowVisit)
class WindowVisitAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("window", "service", "kind", "staff", "department", "finished_at")
    list_filter = ("kind",)
    search_fields = ("service",)
    date_hierarchy = "finished_at"
    list_select_related = ("window", "staff", "department")
    raw_id_fields = ("application", "ticket", "item", "staff")


@admin.register(RatingInvitation)
class RatingInvitationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("matter_number", "department", "state", "send_at", "sent_at", "reminded_at")
    list_filter = ("state", "matter_kind")
    search_fields = ("matter_number",)
    list_select_related = ("department",)
    exclude = ("phone",)
    raw_id_fields = ("rating", "message", "reminder")


@admin.register(RatingOptOut)
class RatingOptOutAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("phone_key", "source", "created_at")
    list_filter = ("source",)


@admin.register(PhoneSample)
class PhoneSampleAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("week", "matter_number", "department", "called_at", "reached")
    list_filter = ("week", "reached")
    search_fields = ("matter_number",)
    list_select_related = ("department",)
    exclude = ("phone",)
    raw_id_fields = ("rating", "called_by")
