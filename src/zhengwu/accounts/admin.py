from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from zhengwu.core import audit
from zhengwu.core.throttle import address

from .models import Citizen, Enterprise, User
from .selectors import users_visible_to


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Staff of other departments do not exist for a department-level user: the list, the change
    page and lookups are all scoped by ``users_visible_to`` (another department's user is a 404)."""

    list_display = ["username", "name", "department", "window", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "groups", "department"]
    search_fields = ["username", "name", "phone", "department__name"]
    autocomplete_fields = ["department", "window"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,  # type: ignore[misc]
        ("单位", {"fields": ("name", "phone", "department", "window")}),
    )

    def get_queryset(self, request: HttpRequest) -> Any:
        return users_visible_to(request.user)


class PersonalDataAdmin(admin.ModelAdmin):
    """ID numbers and phones are masked unless the user may see them, and then each look is logged."""

    sensitive: tuple[str, ...] = ("phone",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and not request.user.has_perm("accounts.view_personal_data"):
            return (*self.sensitive_masked(), *super().get_readonly_fields(request, obj))
        return super().get_readonly_fields(request, obj)

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and not request.user.has_perm("accounts.view_personal_data"):
            return self.sensitive
        return super().get_exclude(request, obj)

    def sensitive_masked(self) -> tuple[str, ...]:
        return tuple(f"masked_{f}" for f in self.sensitive)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        obj = self.get_object(request, object_id)
        if (
            obj is not None
            and request.method == "GET"
            and request.user.has_perm("accounts.view_personal_data")
        ):
            audit.record(
                actor=request.user,
                action="查看个人信息",
                obj=obj,
                summary=f"管理后台查看 {obj}",
                ip=address(request),
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Citizen)
class CitizenAdmin(PersonalDataAdmin):
    sensitive = ("id_number", "phone")
    list_display = ["name", "masked_id_number", "masked_phone", "created_at"]
    search_fields = ["name", "=id_number"]
    raw_id_fields = ["user"]

    @admin.display(description="公民身份号码")
    def masked_id_number(self, obj: Citizen) -> str:
        return obj.masked_id_number

    @admin.display(description="手机号")
    def masked_phone(self, obj: Citizen) -> str:
        return obj.masked_phone


@admin.register(Enterprise)
class EnterpriseAdmin(PersonalDataAdmin):
    list_display = ["name", "uscc", "legal_representative", "masked_phone"]
    search_fields = ["name", "=uscc", "legal_representative"]
    filter_horizontal = ["users"]

    @admin.display(description="联系电话")
    def masked_phone(self, obj: Enterprise) -> str:
        return obj.masked_phone
