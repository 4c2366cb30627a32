"""好差评 in the admin: read-only — ratings are given, cases handled and contests decided through
the services, never edited here."""

from typing import Any

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from zhengwu.casework.admin import ReadOnlyMixin

from . import pads
from .models import (
    PhoneSample,
    Rating,
    RatingContest,
    RatingInvitation,
    RatingOptOut,
    RatingPad,
    Rectification,
    RectificationUrge,
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


@admin.register(RatingPad)
class RatingPadAdmin(admin.ModelAdmin):
    """评价器: adding one issues its device token, shown once with the link that binds the tablet;
    吊销 stops the token at once. Pads are never deleted."""

    list_display = ("window", "label", "active", "issued_by", "created_at", "last_seen_at", "revoked_at")
    list_filter = ("window__hall",)
    search_fields = ("label", "window__name", "window__number")
    list_select_related = ("window", "issued_by")
    actions = ("revoke",)

    @admin.display(boolean=True, description="有效")
    def active(self, pad: RatingPad) -> bool:
        return pad.active

    def get_fields(self, request: Any, obj: RatingPad | None = None) -> Any:
        if obj is None:
            return ["window", "label"]
        return ["window", "label", "issued_by", "created_at", "last_seen_at", "revoked_at"]

    def get_readonly_fields(self, request: Any, obj: RatingPad | None = None) -> list[str]:
        if obj is None:
            return []
        return ["window", "issued_by", "created_at", "last_seen_at", "revoked_at"]

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def save_model(self, request: Any, obj: RatingPad, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        pad, token = pads.issue_pad(obj.window, request.user, obj.label)
        obj.pk, obj.token_hash, obj.issued_by = pad.pk, pad.token_hash, pad.issued_by
        obj.created_at, obj.updated_at = pad.created_at, pad.updated_at
        obj._state.adding = False
        url = request.build_absolute_uri(reverse("ratings_pad:bind", args=[token]))
        messages.warning(
            request,
            format_html(
                '评价器令牌（只显示这一次，请妥善保管）：<code class="ident">{}</code><br>'
                '在窗口平板上打开此链接完成绑定：<code class="ident">{}</code>',
                token,
                url,
            ),
        )

    @admin.action(description="吊销所选评价器（令牌立即失效，不可恢复）")
    def revoke(self, request: Any, queryset: Any) -> Any:
        if request.POST.get("post") != "yes":  # irreversible: ask first
            context = {
                **self.admin_site.each_context(request),
                "pads": list(queryset),
                "title": "确认吊销评价器",
            }
            return TemplateResponse(request, "ratings/pad/admin_revoke.html", context)
        count = 0
        for pad in queryset:
            if pad.active:
                pads.revoke_pad(pad, request.user)
                count += 1
        messages.success(request, f"已吊销{count}个评价器")
        return None


@admin.register(RectificationUrge)
class RectificationUrgeAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("case", "threshold", "by", "created_at")
    list_filter = ("threshold",)
    list_select_related = ("case", "case__rating", "by")
    raw_id_fields = ("case", "by")
