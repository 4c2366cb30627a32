"""电子证照 in the admin (administrators only, as the whole AdminSite): the catalogue of licence
types is maintained here and imported from Excel/CSV; seals are shown read-only and rotated by an
action (services.make_seal); licences, shares, uses and serial counters are read-only — they change
only through the services. 存量证照 are imported from an upload page of the licence list.

Permissions follow ``accounts.roles.is_administrator`` rather than model permissions, so that the
administrator reaches these pages whatever the role table grants for this app."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from zhengwu.accounts.roles import is_administrator
from zhengwu.casework.admin import ReadOnlyMixin
from zhengwu.core.errors import DomainError
from zhengwu.core.excel import xlsx_response

from . import imports, services
from .forms import ImportForm
from .models import Licence, LicenceShare, LicenceType, LicenceUse, Seal, SerialCounter

MAX_IMPORT_BYTES = 20 * 1024 * 1024


class AdministratorsOnly:
    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_administrator(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request.user)


class ImportMixin:
    """An upload page (``import/``) and a template download (``import/template/``) on a
    changelist, administrators only."""

    import_title = ""
    import_help = ""
    admin_site: Any
    model: Any

    def run_import(self, request: HttpRequest, upload: Any) -> str:
        raise NotImplementedError

    def import_template(self, request: HttpRequest) -> tuple[bytes, str]:
        raise NotImplementedError

    def _name(self, suffix: str) -> str:
        return f"licences_{self.model._meta.model_name}_{suffix}"

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_view), name=self._name("import")),
            path("import/template/", wrap(self.template_view), name=self._name("import_template")),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = {
            **(extra_context or {}),
            "import_url_name": f"admin:{self._name('import')}",
            "import_title": self.import_title,
        }
        return super().changelist_view(request, extra)  # type: ignore[misc]

    def template_view(self, request: HttpRequest) -> HttpResponseBase:
        if not is_administrator(request.user):
            raise PermissionDenied
        data, filename = self.import_template(request)
        return xlsx_response(data, filename)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not is_administrator(request.user):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        status, problems = 200, []
        if request.method == "POST":
            status = 400
            if form.is_valid():
                upload = form.cleaned_data["file"]
                if upload.size > MAX_IMPORT_BYTES:
                    form.add_error("file", "文件过大，不能超过20MB，请分批导入")
                    status = 413
                else:
                    try:
                        note = self.run_import(request, upload)
                    except imports.ImportFailed as e:
                        problems = e.problems
                        form.add_error("file", "导入失败，未导入任何数据，请改正下列问题后重新上传整个文件")
                        status = e.status
                    except DomainError as e:
                        form.add_error("file", e.message)
                        status = e.status
                    else:
                        self.message_user(request, note, messages.SUCCESS)  # type: ignore[attr-defined]
                        return redirect(f"admin:licences_{self.model._meta.model_name}_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": self.import_title,
            "help": self.import_help,
            "form": form,
            "problems": problems,
            "template_url_name": f"admin:{self._name('import_template')}",
        }
        return TemplateResponse(request, "licences/admin_import.html", context, status=status)


@admin.register(LicenceType)
class LicenceTypeAdmin(ImportMixin, AdministratorsOnly, admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "defining_department",
        "holder_kind",
        "validity_years",
        "template",
        "active",
    ]
    list_filter = ["holder_kind", "template", "active"]
    search_fields = ["name", "code"]
    filter_horizontal = ["issuing_departments"]
    autocomplete_fields = ["defining_department"]
    list_select_related = ["defining_department"]
    change_list_template = "licences/admin_change_list.html"
    import_title = "导入证照目录"
    import_help = "列：" + "、".join(imports.TYPE_COLUMNS) + "。证照类型代码已存在的更新，其余新增。"

    def run_import(self, request: HttpRequest, upload: Any) -> str:
        result = imports.import_types(upload, upload.name, by=request.user)
        return f"已导入{upload.name}：新增{result.created}类，更新{result.updated}类"

    def import_template(self, request: HttpRequest) -> tuple[bytes, str]:
        return imports.types_template(), "证照目录导入模板.xlsx"


@admin.register(Seal)
class SealAdmin(ReadOnlyMixin, AdministratorsOnly, admin.ModelAdmin):
    list_display = ["name", "key_id", "department", "created_at", "retired_at"]
    list_filter = ["retired_at"]
    search_fields = ["name", "key_id", "department__name"]
    exclude = ["sealed_private_key"]
    list_select_related = ["department"]
    actions = ["rotate"]

    @admin.action(description="生成新印章（轮换）")
    def rotate(self, request: HttpRequest, queryset: QuerySet[Seal]) -> None:
        departments = {seal.department_id: seal.department for seal in queryset.select_related("department")}
        for department in departments.values():
            seal = services.make_seal(department=department, by=request.user)
            self.message_user(
                request, f"{department.name}已启用新印章{seal.key_id}，原印章停用但仍可验签", messages.SUCCESS
            )

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return super().get_actions(request) if is_administrator(request.user) else {}


@admin.register(Licence)
class LicenceAdmin(ImportMixin, ReadOnlyMixin, AdministratorsOnly, admin.ModelAdmin):
    list_display = [
        "identifier",
        "licence_type",
        "number",
        "version",
        "holder_name",
        "issuer",
        "issued_on",
        "state",
        "imported",
    ]
    list_filter = ["state", "imported", "holder_kind", "licence_type"]
    search_fields = ["identifier", "number", "holder_name"]
    list_select_related = ["licence_type", "issuer"]
    exclude = ["signature", "holder_code"]
    date_hierarchy = "issued_on"
    show_full_result_count = False
    change_list_template = "licences/admin_change_list.html"
    import_title = "导入存量证照"
    import_help = (
        "列：" + "、".join(imports.LICENCE_COLUMNS) + "，其后每个照面信息项一列（列名为照面项标签）。"
        "以颁发机构现行印章签章；持证主体代码与已登记的自然人、法人一致的自动关联。"
    )

    def run_import(self, request: HttpRequest, upload: Any) -> str:
        count = imports.import_licences(upload, upload.name, by=request.user)
        return f"已导入{upload.name}：存量证照{count}条"

    def import_template(self, request: HttpRequest) -> tuple[bytes, str]:
        raw = request.GET.get("type", "")
        licence_type = LicenceType.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
        return imports.licences_template(licence_type), "存量证照导入模板.xlsx"


@admin.register(LicenceShare)
class LicenceShareAdmin(ReadOnlyMixin, AdministratorsOnly, admin.ModelAdmin):
    list_display = ["licence", "organisation", "purpose", "created_at", "expires_at", "revoked_at"]
    search_fields = ["organisation", "purpose", "licence__identifier"]
    exclude = ["token_hash"]
    list_select_related = ["licence__licence_type"]


@admin.register(LicenceUse)
class LicenceUseAdmin(ReadOnlyMixin, AdministratorsOnly, admin.ModelAdmin):
    list_display = ["at", "licence", "kind", "used_by", "purpose"]
    list_filter = ["kind"]
    search_fields = ["used_by", "purpose", "licence__identifier"]
    list_select_related = ["licence__licence_type"]
    date_hierarchy = "at"


@admin.register(SerialCounter)
class SerialCounterAdmin(ReadOnlyMixin, AdministratorsOnly, admin.ModelAdmin):
    list_display = ["department", "year", "last"]
    list_filter = ["year"]
    list_select_related = ["department"]
