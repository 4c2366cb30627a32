"""Admin for reference data (categories, policies) and read-only views of appeals and their
history: state only changes through the services, never by editing a row here.

Every model that holds an appeal's data is scoped by ``selectors.appeals_visible_to`` — the rule
the pages use — and shows the reporter as ``privacy`` says: a masked phone, and nothing at all of
the reporter of a confidential appeal."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from zhengwu.casework.admin import ReadOnlyMixin
from zhengwu.core.errors import DomainError

from . import privacy, services, timeline
from .knowledge_admin import KnowledgeEntryAdmin
from .models import (
    ApiClient,
    Appeal,
    AppealEvent,
    Assignment,
    Attachment,
    BoardChange,
    BoardItem,
    BoardSnapshot,
    BoardTally,
    Callback,
    Category,
    Channel,
    DailySequence,
    DeadlinePolicy,
    Extension,
    KnowledgeEntry,
    SupervisionOrder,
    Urge,
)
from .selectors import appeals_visible_to

# The reporter's identity on an appeal row; never shown in the admin for a confidential appeal.
REPORTER_FIELDS = ("contact_name", "contact_phone", "address", "citizen", "enterprise", "submitted_by")


def _visible_ids(request: HttpRequest) -> QuerySet[Any]:
    return appeals_visible_to(request.user).values("pk")


class VisibleAppealsAdmin(admin.ModelAdmin):
    """Rows of appeals the user may see, through ``appeal_path`` ("" for the appeal itself, None
    for rows that hold nothing of an appeal)."""

    appeal_path: str | None = "appeal"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        if self.appeal_path is None or privacy.sees_all(request.user):
            return qs
        lookup = f"{self.appeal_path}__in" if self.appeal_path else "pk__in"
        return qs.filter(**{lookup: _visible_ids(request)})


def _who(event: AppealEvent) -> str:
    """The timeline's "who", without the name of a confidential appeal's reporter."""
    hide = event.actor_id is not None and privacy.is_confidential(event.appeal)
    return timeline.who(event, hide_reporter=hide)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["__str__", "department", "order", "is_active", "service_code", "open311_published"]
    # Which services Open311 offers is the administrator's choice, made in the list.
    list_editable = ["open311_published"]
    list_filter = ["is_active", "open311_published", "parent"]
    search_fields = ["name", "parent__name", "service_code"]
    autocomplete_fields = ["parent", "department"]


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "sign_amount", "sign_unit", "handle_amount", "handle_unit"]
    list_filter = ["urgency", "appeal_type"]
    search_fields = ["urgency", "appeal_type"]


class ReadOnlyAdmin(ReadOnlyMixin, VisibleAppealsAdmin):
    """Rows of appeals the user may see, none of them changed here."""


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
    readonly_fields = ("seq", "at", "who", "action", "from_state", "to_state", "note", "hash")
    fields = readonly_fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[AppealEvent]:
        return super().get_queryset(request).select_related("appeal", "actor")  # ``who`` reads both

    @admin.display(description="操作人")
    def who(self, obj: AppealEvent) -> str:
        return _who(obj)


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ["number", "title", "appeal_type", "urgency", "state", "category", "due_at", "red_listed"]
    list_filter = ["state", "channel", "appeal_type", "urgency", "red_listed"]
    search_fields = ["=number", "title"]
    date_hierarchy = "created_at"
    readonly_fields = ("reporter_phone",)
    inlines = [AssignmentInline, EventInline]
    appeal_path = ""

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        hidden = ["query_code_hash", "idempotency_key", "contact_phone"]
        if obj is None or privacy.is_confidential(obj):
            hidden += [f for f in REPORTER_FIELDS if f != "contact_phone"]
        return hidden

    @admin.display(description="联系电话")
    def reporter_phone(self, obj: Appeal) -> str:
        return privacy.Reporter.shown(obj, hidden=privacy.is_confidential(obj)).phone


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["appeal", "department", "role", "state", "sign_due_at", "handle_due_at"]
    list_filter = ["state", "role"]
    search_fields = ["=appeal__number", "department__name"]


@admin.register(Extension)
class ExtensionAdmin(ReadOnlyAdmin):
    appeal_path = "assignment__appeal"
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
    list_display = ["appeal", "seq", "at", "who", "action", "to_state"]
    list_filter = ["action"]
    search_fields = ["=appeal__number", "note"]
    list_select_related = ["appeal", "actor"]
    exclude = ["actor_label", "actor"]
    readonly_fields = ("who",)

    @admin.display(description="操作人")
    def who(self, obj: AppealEvent) -> str:
        return _who(obj)


admin.site.register(KnowledgeEntry, KnowledgeEntryAdmin)


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ["name", "appeal", "purpose", "content_type", "size", "at"]
    list_filter = ["purpose", "content_type"]
    search_fields = ["name", "appeal__number"]
    list_select_related = ["appeal"]


@admin.register(Urge)
class UrgeAdmin(ReadOnlyAdmin):
    appeal_path = "assignment__appeal"
    list_display = ["assignment", "threshold", "at"]
    search_fields = ["assignment__appeal__number", "assignment__department__name"]
    list_select_related = ["assignment__appeal", "assignment__department"]


@admin.register(DailySequence)
class DailySequenceAdmin(ReadOnlyAdmin):
    appeal_path = None
    list_display = ["day", "value"]
    date_hierarchy = "day"


# The 问题清零 roll-up: derived data, rebuilt by its refresh; shown for inspection only.
@admin.register(BoardSnapshot)
class BoardSnapshotAdmin(ReadOnlyAdmin):
    appeal_path = None
    list_display = ["as_of", "rebuilt_at"]


@admin.register(BoardTally)
class BoardTallyAdmin(ReadOnlyAdmin):
    list_display = ["department_id", "open", "red", "overdue"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = BoardTally.objects.all()
        user: Any = request.user
        if user.sees_all_departments:
            return qs
        # A department's own tally; never the whole-city row (department NULL) for a user without one.
        return qs.filter(department_id=user.department_id) if user.department_id else qs.none()


@admin.register(BoardItem)
class BoardItemAdmin(ReadOnlyAdmin):
    list_display = ["appeal_id", "department_id", "red", "overdue_since"]
    appeal_path = "appeal_id"


@admin.register(BoardChange)
class BoardChangeAdmin(ReadOnlyAdmin):
    list_display = ["id", "appeal_id"]
    appeal_path = "appeal_id"


class ApiClientForm(forms.ModelForm[ApiClient]):
    class Meta:
        model = ApiClient
        fields = ["name", "channel", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["channel"])
        field.choices = [c for c in Channel.choices if c[0] != Channel.PROACTIVE]


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Channel systems and Open311 clients. Their key is generated here and shown once, in the
    message after saving; only its hash is kept."""

    list_display = ["name", "channel", "is_active", "created_at"]
    list_filter = ["channel", "is_active"]
    search_fields = ["name"]
    form = ApiClientForm
    actions = ["new_keys"]

    def save_model(self, request: HttpRequest, obj: ApiClient, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        key = services.issue_api_key(obj, by=request.user)
        self._show_key(request, obj, key)

    @admin.action(description="重新生成所选客户端的密钥（旧密钥立即失效）")
    def new_keys(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        for client in queryset:
            try:
                self._show_key(request, client, services.issue_api_key(client, by=request.user))
            except DomainError as exc:
                messages.error(request, f"{client.name}：{exc.message}")

    @staticmethod
    def _show_key(request: HttpRequest, client: ApiClient, key: str) -> None:
        messages.warning(
            request, f"接口客户端「{client.name}」的密钥（只显示这一次，请复制后交给对方系统）：{key}"
        )
