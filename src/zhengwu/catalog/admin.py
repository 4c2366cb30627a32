"""Admin of the catalogue. Forms check the services' rules; publishing and new versions are
actions that call the services; a published or retired version is read-only here, as
everywhere. Saves made here are recorded in the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from zhengwu.core import audit
from zhengwu.core.errors import DomainError

from . import selectors, services
from .forms import BundleAdminForm, BundleItemFormSet, ServiceItemAdminForm
from .models import Bundle, BundleItem, ItemMaterial, LifeEvent, Material, ServiceItem, VersionStatus


@admin.register(LifeEvent)
class LifeEventAdmin(admin.ModelAdmin[LifeEvent]):
    list_display = ["name", "audience", "order"]
    list_editable = ["order"]
    list_filter = ["audience"]
    search_fields = ["name"]


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin[Material]):
    list_display = ["name", "issuing_body", "kind", "licence_type", "use_count"]
    list_filter = ["kind"]
    list_select_related = ["licence_type"]
    search_fields = ["name", "issuing_body", "licence_type__name", "licence_type__code"]
    raw_id_fields = ["licence_type"]  # 证照目录 has hundreds of types

    def get_queryset(self, request: HttpRequest) -> QuerySet[Material]:
        return super().get_queryset(request).annotate(uses=Count("item_uses"))

    @admin.display(description="使用事项数", ordering="uses")
    def use_count(self, obj: Material) -> int:
        return int(getattr(obj, "uses", 0))


def _is_draft(obj: ServiceItem | None) -> bool:
    return obj is None or obj.status == VersionStatus.DRAFT


class ItemMaterialInline(admin.TabularInline[ItemMaterial, ServiceItem]):
    model = ItemMaterial
    extra = 0
    autocomplete_fields = ["material"]
    fields = ["order", "material", "originals", "copies", "required", "critical", "note"]

    # The materials of a published or retired version are as fixed as the version itself.
    def has_add_permission(self, request: HttpRequest, obj: ServiceItem | None = None) -> bool:
        return super().has_add_permission(request, obj) and _is_draft(obj)

    def has_change_permission(self, request: HttpRequest, obj: ServiceItem | None = None) -> bool:  # type: ignore[override]
        return super().has_change_permission(request, obj) and _is_draft(obj)

    def has_delete_permission(self, request: HttpRequest, obj: ServiceItem | None = None) -> bool:  # type: ignore[override]
        return super().has_delete_permission(request, obj) and _is_draft(obj)


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin[ServiceItem]):
    form = ServiceItemAdminForm
    list_display = [
        "name",
        "implementation_code",
        "version",
        "status",
        "department",
        "item_type",
        "legal_limit_days",
        "promised_limit_days",
        "case_type",
        "valid_from",
    ]
    list_filter = ["status", "item_type", "case_type", "online_depth", "level", "life_events"]
    list_select_related = ["department"]
    search_fields = ["name", "basic_code", "implementation_code", "department__name"]
    autocomplete_fields = ["department", "life_events"]
    raw_id_fields = ["result_licence_type"]  # 证照目录 has hundreds of types
    readonly_fields = ["level", "version", "status", "valid_from", "valid_until", "created_at", "updated_at"]
    inlines = [ItemMaterialInline]
    actions = ["publish_drafts", "make_new_versions"]
    fieldsets = [
        (None, {"fields": ["name", "implementation_code", "basic_code", "item_type", "department", "level"]}),
        (
            "办理要素",
            {
                "fields": [
                    "service_objects",
                    "life_events",
                    ("legal_limit_days", "promised_limit_days"),
                    ("case_type", "trips", "online_depth"),
                    ("charges_fee", "fee_description"),
                    "legal_basis",
                    "conditions",
                    "process_steps",
                    "form_fields",
                    ("result_name", "result_licence_type"),
                    "consultation_phone",
                ]
            },
        ),
        (
            "版本",
            {"fields": [("version", "status"), ("valid_from", "valid_until"), ("created_at", "updated_at")]},
        ),
    ]

    def has_change_permission(self, request: HttpRequest, obj: ServiceItem | None = None) -> bool:
        # A published or retired version is never edited: make a new version.
        return super().has_change_permission(request, obj) and _is_draft(obj)

    def has_delete_permission(self, request: HttpRequest, obj: ServiceItem | None = None) -> bool:
        return super().has_delete_permission(request, obj) and _is_draft(obj)

    def save_model(
        self, request: HttpRequest, obj: ServiceItem, form: ModelForm[ServiceItem], change: bool
    ) -> None:
        obj.level = obj.department.level
        super().save_model(request, obj, form, change)

    def save_related(
        self, request: HttpRequest, form: ModelForm[ServiceItem], formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        item = form.instance
        audit.record(
            actor=request.user,
            action="修改事项" if change else "新建事项",
            obj=item,
            summary=f"在管理后台{'修改' if change else '新建'}「{item.name}」第{item.version}版草稿",
            after=services.item_snapshot(item),
        )

    @admin.action(description="发布所选草稿", permissions=["change"])
    def publish_drafts(self, request: HttpRequest, queryset: QuerySet[ServiceItem]) -> None:
        self._run(request, queryset, lambda item: services.publish_item(item=item, by=request.user), "已发布")

    @admin.action(description="为所选事项创建新版本草稿", permissions=["add"])
    def make_new_versions(self, request: HttpRequest, queryset: QuerySet[ServiceItem]) -> None:
        self._run(
            request, queryset, lambda item: services.new_version(item=item, by=request.user), "已创建新版本"
        )

    def _run(self, request: HttpRequest, queryset: QuerySet[ServiceItem], action: Any, done: str) -> None:
        count = 0
        for item in queryset:
            try:
                action(item)
            except DomainError as exc:
                self.message_user(
                    request, f"「{item.name}」第{item.version}版：{exc.message}", messages.ERROR
                )
            else:
                count += 1
        if count:
            self.message_user(request, f"{done} {count} 个事项", messages.SUCCESS)


@admin.register(ItemMaterial)
class ItemMaterialAdmin(admin.ModelAdmin[ItemMaterial]):
    list_display = ["item", "material", "originals", "copies", "required", "critical"]
    list_filter = ["required", "critical", "material__kind"]
    list_select_related = ["item", "material"]
    search_fields = ["item__name", "item__implementation_code", "material__name"]
    autocomplete_fields = ["item", "material"]

    def _draft_only(self, request: HttpRequest, obj: ItemMaterial | None, allowed: bool) -> bool:
        return allowed and (obj is None or obj.item.status == VersionStatus.DRAFT)

    def has_change_permission(self, request: HttpRequest, obj: ItemMaterial | None = None) -> bool:
        return self._draft_only(request, obj, super().has_change_permission(request, obj))

    def has_delete_permission(self, request: HttpRequest, obj: ItemMaterial | None = None) -> bool:
        return self._draft_only(request, obj, super().has_delete_permission(request, obj))


class BundleItemInline(admin.TabularInline[BundleItem, Bundle]):
    model = BundleItem
    formset = BundleItemFormSet
    extra = 0
    min_num = 2
    autocomplete_fields = ["item", "after"]
    fields = ["order", "item", "after"]


def _days(value: Any) -> str:
    return services.fmt_days(value)


@admin.register(Bundle)
class BundleAdmin(admin.ModelAdmin[Bundle]):
    form = BundleAdminForm
    list_display = [
        "name",
        "life_event",
        "lead_department",
        "promised_limit_days",
        "trips",
        "item_count",
        "status",
    ]
    list_filter = ["status", "life_event__audience", "life_event"]
    list_select_related = ["life_event", "lead_department"]
    search_fields = ["name", "description"]
    autocomplete_fields = ["life_event", "lead_department"]
    readonly_fields = ["status", "savings", "definition_problems", "created_at", "updated_at"]
    inlines = [BundleItemInline]
    actions = ["publish_bundles"]
    fields = [
        "name",
        "life_event",
        "lead_department",
        "description",
        ("promised_limit_days", "trips"),
        "process_steps",
        "on_refusal",
        "status",
        "savings",
        "definition_problems",
        ("created_at", "updated_at"),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Bundle]:
        return super().get_queryset(request).annotate(items_count=Count("bundle_items"))

    @admin.display(description="事项数", ordering="items_count")
    def item_count(self, obj: Bundle) -> int:
        return int(getattr(obj, "items_count", 0))

    @admin.display(description="节省情况（由所含事项自动计算）")
    def savings(self, obj: Bundle) -> SafeString | str:
        if obj.pk is None:
            return "保存后自动计算"
        result = selectors.bundle_savings(obj)
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td><td>{}</td><td>{}%</td></tr>",
            ((label, _days(s.items_total), _days(s.bundle), s.percent) for _, label, s in result.rows()),
        )
        return format_html(
            "<table><thead><tr><th></th><th>各事项合计</th><th>一件事</th><th>压缩率</th></tr></thead>"
            "<tbody>{}</tbody></table>"
            '<p class="help">时限为各事项法定办结时限之和与一件事承诺办结时限之比；材料按去重后计。</p>',
            rows,
        )

    @admin.display(description="定义问题（发布和申请前须解决）")
    def definition_problems(self, obj: Bundle) -> SafeString | str:
        if obj.pk is None:
            return "保存后检查"
        problems = selectors.bundle_definition_errors(obj)
        if not problems:
            return "无：各事项申请表字段可合并，前置顺序有效"
        return format_html(
            '<ul class="errorlist">{}</ul>', format_html_join("", "<li>{}</li>", ((p,) for p in problems))
        )

    def save_related(
        self, request: HttpRequest, form: ModelForm[Bundle], formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        bundle = form.instance
        audit.record(
            actor=request.user,
            action="修改一件事" if change else "新建一件事",
            obj=bundle,
            summary=f"在管理后台{'修改' if change else '新建'}一件事「{bundle.name}」",
        )

    @admin.action(description="发布所选一件事", permissions=["change"])
    def publish_bundles(self, request: HttpRequest, queryset: QuerySet[Bundle]) -> None:
        count = 0
        for bundle in queryset:
            try:
                services.publish_bundle(bundle=bundle, by=request.user)
            except DomainError as exc:
                self.message_user(request, f"「{bundle.name}」：{exc.message}", messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, f"已发布 {count} 个一件事", messages.SUCCESS)


@admin.register(BundleItem)
class BundleItemAdmin(admin.ModelAdmin[BundleItem]):
    list_display = ["bundle", "item", "order"]
    list_filter = ["bundle"]
    list_select_related = ["bundle", "item"]
    search_fields = ["bundle__name", "item__name"]
    autocomplete_fields = ["bundle", "item"]
