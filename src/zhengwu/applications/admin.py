"""Admin for applications (办件): read-only views of applications and everything hanging on them —
state only changes through the services, never by editing a row here (the rows are sealed by the
chained history, which an edit would break). The one thing maintained here is the 首席代表授权
(WindowAuthorisation): which window clerk may decide which department's 即办件 at the window.

Rows are scoped by ``selectors.visible_to`` — the rule the pages and the API use — and the
applicant's personal data is shown as in lists everywhere: ID numbers and phones masked, the postal
address left out. The admin is for maintaining data, not for casework."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from zhengwu.casework.admin import ReadOnlyMixin
from zhengwu.core.validators import mask_id_number, mask_phone

from . import bundle_selectors, bundles, selectors, services
from .models import (
    Application,
    ApplicationEvent,
    ApplicationMaterial,
    BundleApplication,
    BundleEvent,
    ClockPause,
    Delivery,
    MaterialFile,
    Notice,
    ProxyAuthorisation,
    ProxyItem,
    ProxyRequest,
    SpecialProcedure,
    SupplementRequest,
    WindowAuthorisation,
)
from .workflow import P_ACCEPT

# The applicant's identity and contact on an application row: never shown whole in the admin.
PERSONAL_FIELDS = ("applicant_code", "contact_phone", "postal_phone", "postal_address")
# Secrets and bookkeeping nobody reads here.
HIDDEN_FIELDS = ("query_code_hash", "idempotency_key")


def _visible_ids(request: HttpRequest) -> QuerySet[Any]:
    return selectors.visible_to(request.user).values("pk")


class VisibleApplicationsAdmin(admin.ModelAdmin):
    """Rows of applications the user may see, through ``application_path`` ("" for the application
    itself)."""

    application_path = "application"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        if selectors.sees_all(request.user):
            return qs
        lookup = f"{self.application_path}__in" if self.application_path else "pk__in"
        return qs.filter(**{lookup: _visible_ids(request)})


class ReadOnlyAdmin(ReadOnlyMixin, VisibleApplicationsAdmin):
    """Rows of applications the user may see, none of them changed here."""


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False


class MaterialInline(ReadOnlyInline):
    model = ApplicationMaterial
    fields = (
        "name",
        "required",
        "critical",
        "status",
        "originals",
        "copies",
        "deferred_until",
        "handed_in_at",
    )
    readonly_fields = fields


class NoticeInline(ReadOnlyInline):
    model = Notice
    fields = ("kind", "number", "issued_at", "issued_by")
    readonly_fields = fields


class SupplementInline(ReadOnlyInline):
    model = SupplementRequest
    fields = ("round", "repeated", "listed", "issued_at", "supplied_at")
    readonly_fields = fields

    @admin.display(description="补正内容")
    def listed(self, obj: SupplementRequest) -> str:
        return "；".join(f"{i.get('name', '')}：{i.get('reason', '')}" for i in obj.items or [])


class PauseInline(ReadOnlyInline):
    model = ClockPause
    fields = ("kind", "started_at", "ended_at")
    readonly_fields = fields


class SpecialInline(ReadOnlyInline):
    model = SpecialProcedure
    fields = ("kind", "reason", "started_at", "ended_at", "result", "extension_days", "approval")
    readonly_fields = fields


class DeliveryInline(admin.StackedInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = (
        "method",
        "recipient_name",
        "masked_recipient_id_number",
        "by_proxy",
        "proxy_authorisation",
        "tracking_number",
        "sent_on",
        "received_on",
        "handed_over_at",
        "handled_by",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="领取人证件号码")
    def masked_recipient_id_number(self, obj: Delivery) -> str:
        return mask_id_number(obj.recipient_id_number)


class EventInline(ReadOnlyInline):
    model = ApplicationEvent
    fields = ("seq", "at", "actor_label", "action", "from_state", "to_state", "public", "note", "hash")
    readonly_fields = fields


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    """View only: every change is a step of the services, recorded in the chained history."""

    application_path = ""
    list_display = [
        "number",
        "item",
        "department",
        "applicant_name",
        "masked_applicant_code",
        "channel",
        "state",
        "submitted_at",
        "due_at",
    ]
    list_filter = ["state", "channel", "applicant_kind", "department", "decision", "deferred_overdue"]
    search_fields = ["=number", "applicant_name", "=applicant_code"]
    list_select_related = ["item", "department"]
    date_hierarchy = "submitted_at"
    readonly_fields = ("masked_applicant_code", "masked_contact_phone", "masked_postal_phone")
    inlines = [
        MaterialInline,
        NoticeInline,
        SupplementInline,
        PauseInline,
        SpecialInline,
        DeliveryInline,
        EventInline,
    ]
    actions = ["check_history"]

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        return [*HIDDEN_FIELDS, *PERSONAL_FIELDS]

    @admin.display(description="申请人证件号码")
    def masked_applicant_code(self, obj: Application) -> str:
        return mask_id_number(obj.applicant_code)

    @admin.display(description="联系电话")
    def masked_contact_phone(self, obj: Application) -> str:
        return mask_phone(obj.contact_phone)

    @admin.display(description="收件人电话")
    def masked_postal_phone(self, obj: Application) -> str:
        return mask_phone(obj.postal_phone)

    @admin.action(description="核验所选办件的轨迹链（是否被篡改）")
    def check_history(self, request: HttpRequest, queryset: QuerySet[Application]) -> None:
        broken = []
        for application in queryset:
            problem = services.CHAIN.check(application)
            if problem is not None:
                broken.append(f"{application.number}：{problem}")
        if broken:
            messages.error(request, "轨迹链核验未通过：" + "；".join(broken))
        else:
            messages.success(request, f"已核验 {queryset.count()} 件办件，轨迹链完整")


@admin.register(ApplicationMaterial)
class ApplicationMaterialAdmin(ReadOnlyAdmin):
    list_display = ["application", "name", "required", "critical", "status", "deferred_until"]
    list_filter = ["status", "critical", "required"]
    search_fields = ["=application__number", "name"]
    list_select_related = ["application"]
    exclude = ["item_material"]


@admin.register(MaterialFile)
class MaterialFileAdmin(ReadOnlyAdmin):
    application_path = "material__application"
    list_display = ["name", "material", "content_type", "size", "uploaded_at"]
    list_filter = ["content_type"]
    search_fields = ["=material__application__number", "name", "sha256"]
    list_select_related = ["material"]


@admin.register(SupplementRequest)
class SupplementRequestAdmin(ReadOnlyAdmin):
    list_display = ["application", "round", "repeated", "issued_at", "supplied_at"]
    list_filter = ["repeated"]
    search_fields = ["=application__number"]
    list_select_related = ["application"]


@admin.register(ClockPause)
class ClockPauseAdmin(ReadOnlyAdmin):
    list_display = ["application", "kind", "started_at", "ended_at"]
    list_filter = ["kind"]
    search_fields = ["=application__number"]
    list_select_related = ["application"]


@admin.register(SpecialProcedure)
class SpecialProcedureAdmin(ReadOnlyAdmin):
    list_display = ["application", "kind", "started_at", "ended_at", "extension_days", "approval"]
    list_filter = ["kind", "approval"]
    search_fields = ["=application__number", "reason"]
    list_select_related = ["application"]


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["number", "kind", "application", "issued_at"]
    list_filter = ["kind"]
    search_fields = ["=number", "=application__number"]
    list_select_related = ["application"]
    date_hierarchy = "issued_at"


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["application", "method", "recipient_name", "tracking_number", "sent_on", "handed_over_at"]
    list_filter = ["method", "by_proxy"]
    search_fields = ["=application__number", "=tracking_number", "recipient_name"]
    list_select_related = ["application"]
    exclude = ["recipient_id_number"]
    readonly_fields = ("masked_recipient_id_number",)

    @admin.display(description="领取人证件号码")
    def masked_recipient_id_number(self, obj: Delivery) -> str:
        return mask_id_number(obj.recipient_id_number)


@admin.register(ApplicationEvent)
class ApplicationEventAdmin(ReadOnlyAdmin):
    list_display = ["application", "seq", "at", "actor_label", "action", "to_state", "public"]
    list_filter = ["action", "public"]
    search_fields = ["=application__number", "note"]
    list_select_related = ["application"]


# ---------------------------------------------------------------------------------------------
# 一件事办件: read only, like the applications; rows follow ``bundle_selectors.visible_bundles``
# ---------------------------------------------------------------------------------------------


class VisibleBundlesAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Rows of bundle applications the user may see (through ``bundle_path``), none changed here."""

    bundle_path = "bundle_application"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        if selectors.sees_all(request.user):
            return qs
        visible = bundle_selectors.visible_bundles(request.user).values("pk")
        return qs.filter(**{f"{self.bundle_path}__in" if self.bundle_path else "pk__in": visible})


class ChildInline(ReadOnlyInline):
    model = Application
    fk_name = "bundle_application"
    verbose_name = "子办件"
    verbose_name_plural = "子办件（各事项）"
    fields = ("number", "item", "department", "state", "waits_for", "due_at", "completed_at", "paused_since")
    readonly_fields = fields


class BundleNoticeInline(ReadOnlyInline):
    model = Notice
    fk_name = "bundle_application"
    fields = ("kind", "number", "issued_at", "issued_by")
    readonly_fields = fields


class BundleEventInline(ReadOnlyInline):
    model = BundleEvent
    fields = ("seq", "at", "actor_label", "action", "from_state", "to_state", "note", "hash")
    readonly_fields = fields


@admin.register(BundleApplication)
class BundleApplicationAdmin(VisibleBundlesAdmin):
    """View only: a bundle application changes only through ``bundles``, step by step in its
    chained history."""

    bundle_path = ""
    list_display = [
        "number",
        "bundle",
        "applicant_name",
        "masked_applicant_code",
        "channel",
        "state",
        "submitted_at",
        "due_at",
    ]
    list_filter = ["state", "channel", "applicant_kind", "bundle"]
    search_fields = ["=number", "applicant_name", "=applicant_code"]
    list_select_related = ["bundle"]
    date_hierarchy = "submitted_at"
    readonly_fields = ("masked_applicant_code", "masked_contact_phone", "masked_postal_phone")
    inlines = [ChildInline, BundleNoticeInline, BundleEventInline]
    actions = ["check_history"]

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        # The merged form's answers carry the applicant's (and the newborn's) personal data.
        return [*HIDDEN_FIELDS, *PERSONAL_FIELDS, "form_data"]

    @admin.display(description="申请人证件号码")
    def masked_applicant_code(self, obj: BundleApplication) -> str:
        return mask_id_number(obj.applicant_code)

    @admin.display(description="联系电话")
    def masked_contact_phone(self, obj: BundleApplication) -> str:
        return mask_phone(obj.contact_phone)

    @admin.display(description="收件人电话")
    def masked_postal_phone(self, obj: BundleApplication) -> str:
        return mask_phone(obj.postal_phone)

    @admin.action(description="核验所选一件事办件的轨迹链（是否被篡改）")
    def check_history(self, request: HttpRequest, queryset: QuerySet[BundleApplication]) -> None:
        broken = []
        for parent in queryset:
            problem = bundles.CHAIN.check(parent)
            if problem is not None:
                broken.append(f"{parent.number}：{problem}")
        if broken:
            messages.error(request, "轨迹链核验未通过：" + "；".join(broken))
        else:
            messages.success(request, f"已核验 {queryset.count()} 件一件事办件，轨迹链完整")


@admin.register(BundleEvent)
class BundleEventAdmin(VisibleBundlesAdmin):
    list_display = ["bundle_application", "seq", "at", "actor_label", "action", "to_state"]
    list_filter = ["action"]
    search_fields = ["=bundle_application__number", "note"]
    list_select_related = ["bundle_application"]


class WindowAuthorisationForm(forms.ModelForm[WindowAuthorisation]):
    class Meta:
        model = WindowAuthorisation
        fields = ["department", "clerk", "valid_from", "valid_until", "granted_by"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", "截止日期不能早于生效日期")
        clerk = data.get("clerk")
        if clerk is not None and not (clerk.is_active and clerk.is_staff and clerk.has_perm(P_ACCEPT)):
            self.add_error("clerk", f"“{clerk}”不是在岗的综合受理窗口人员，不能授权当场决定")
        return data


@admin.register(WindowAuthorisation)
class WindowAuthorisationAdmin(admin.ModelAdmin):
    """首席代表授权: recorded here by the administrator on the department's written authorisation."""

    form = WindowAuthorisationForm
    list_display = ["department", "clerk", "valid_from", "valid_until", "granted_by"]
    list_filter = ["department"]
    search_fields = ["department__name", "clerk__name", "clerk__username", "granted_by"]
    autocomplete_fields = ["department", "clerk"]
    list_select_related = ["department", "clerk"]


@admin.register(ProxyItem)
class ProxyItemAdmin(admin.ModelAdmin):
    """帮办代办事项清单: the published list on the portal, maintained here."""

    list_display = ("order", "item", "note")
    list_display_links = ("item",)
    ordering = ("order", "id")
    autocomplete_fields = ("item",)


@admin.register(ProxyRequest)
class ProxyRequestAdmin(admin.ModelAdmin):
    """帮办代办申请: read-only here; they change through the 帮办代办 pages (proxy_services)."""

    list_display = ("number", "principal_name", "group", "channel", "agent", "state", "created_at")
    list_filter = ("state", "group", "channel")
    search_fields = ("number", "principal_name")
    exclude = ("contact_phone",)
    readonly_fields = ("masked_phone",)

    @admin.display(description="联系电话")
    def masked_phone(self, obj: ProxyRequest) -> str:
        return mask_phone(obj.contact_phone)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProxyAuthorisation)
class ProxyAuthorisationAdmin(admin.ModelAdmin):
    """委托书: read-only here; recorded with their scan on the request's page."""

    list_display = ("request", "agent", "valid_from", "valid_until", "recorded_at")
    exclude = ("sha256",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
