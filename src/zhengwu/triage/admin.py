"""Admin for the 派单目录, the category → department mapping, training examples and model
versions. Versions change only through the services (activate, roll back, retrain), so their rows
are read-only here; the list says when a file is missing or corrupt."""

from __future__ import annotations

import tempfile
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from zhengwu.core.errors import DomainError

from . import services
from .models import (
    DispatchRule,
    HotIssue,
    HotIssueSnapshot,
    ModelVersion,
    TrainingExample,
)


class DispatchRuleForm(forms.ModelForm):
    class Meta:
        model = DispatchRule
        fields = ["desk_category", "category", "keywords", "department", "priority", "is_active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = data.get("desk_category")
        if chosen is not None:
            # The name follows the key; it is kept only for rules naming no desk category.
            data["category"] = chosen.name
        elif not (data.get("category") or "").strip():
            self.add_error("desk_category", "请选择诉求分类")
        return data


@admin.register(DispatchRule)
class DispatchRuleAdmin(admin.ModelAdmin):
    form = DispatchRuleForm
    list_display = ["category_name", "short_keywords", "department", "priority", "is_active"]
    list_filter = ["is_active", "desk_category"]
    list_editable = ["priority", "is_active"]
    search_fields = ["category", "desk_category__name", "keywords"]
    autocomplete_fields = ["department"]
    list_select_related = ["desk_category", "department"]

    @admin.display(description="分类", ordering="category")
    def category_name(self, obj: DispatchRule) -> str:
        return obj.category_name

    @admin.display(description="关键词")
    def short_keywords(self, obj: DispatchRule) -> str:
        words = obj.keyword_list()
        return "、".join(words[:8]) + ("…" if len(words) > 8 else "")


# labelled.csv holds 4,451 appeals in 5.4 MB: this is room for about forty thousand.
MAX_IMPORT_BYTES = 50 * 1024 * 1024


class ImportExamplesForm(forms.Form):
    file = forms.FileField(
        label="历史工单文件（CSV）",
        help_text="UTF-8编码，列为 id,title,time,body,label；label 填一级分类名称，须是诉求分类中已有的分类。",
        error_messages={"required": "请选择要导入的历史工单文件（CSV）", "empty": "历史工单文件是空的"},
    )
    train_now = forms.BooleanField(label="导入后立即重新训练（后台任务）", required=False, initial=True)


@admin.register(TrainingExample)
class TrainingExampleAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "category_name",
        "suggested",
        "source",
        "short_text",
        "appeal_id",
        "created_by",
    ]
    list_filter = ["source", "desk_category"]
    search_fields = ["title", "body", "label", "desk_category__name"]
    readonly_fields = ["digest", "created_at", "created_by", "appeal_id", "suggested", "source", "label"]
    list_select_related = ["desk_category", "created_by"]

    @admin.display(description="分类", ordering="desk_category__name")
    def category_name(self, obj: TrainingExample) -> str:
        return obj.category_name

    date_hierarchy = "created_at"

    @admin.display(description="诉求")
    def short_text(self, obj: TrainingExample) -> str:
        return (obj.title or obj.body)[:40]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # examples come from dispatcher decisions and imported historical appeals

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="triage_trainingexample_import"), *super().get_urls()]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        can_import = request.user.has_perm("triage.manage_models")
        return super().changelist_view(request, {**(extra_context or {}), "can_import": can_import})

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """导入历史工单: a city's past appeals with the category they were filed under, the quickest
        way to a model worth activating (see docs/benchmarks.md, the learning curve)."""
        if not request.user.has_perm("triage.manage_models"):
            raise PermissionDenied
        status = 200
        if request.method == "POST":
            too_big = f"文件过大，不能超过 {filesizeformat(MAX_IMPORT_BYTES)}，请分批导入"
            # An oversized upload is refused from its header, before it is read to disk.
            if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_IMPORT_BYTES + 64 * 1024:
                return self._import_page(request, ImportExamplesForm(), status=413, error=too_big)
            form = ImportExamplesForm(request.POST, request.FILES)
            status = 400
            if form.is_valid() and form.cleaned_data["file"].size > MAX_IMPORT_BYTES:
                form.add_error("file", too_big)
                status = 413
            elif form.is_valid():
                upload = form.cleaned_data["file"]
                with tempfile.NamedTemporaryFile(suffix=".csv") as copy:
                    for chunk in upload.chunks():
                        copy.write(chunk)
                    copy.flush()
                    try:
                        added, rows = services.import_labelled_file(
                            copy.name, name=upload.name, by=request.user
                        )
                    except DomainError as exc:
                        form.add_error("file", exc.message)
                        status = exc.status
                    else:
                        note = f"已导入{upload.name}：{rows}条，新增训练样本{added}条（其余{rows - added}条已存在）"
                        if form.cleaned_data["train_now"] and added:
                            services.schedule_training(by=request.user)
                            note += "；已提交训练任务，新版本分数不低于当前版本时自动启用"
                        self.message_user(request, note, messages.SUCCESS)
                        return redirect("admin:triage_trainingexample_changelist")
        else:
            form = ImportExamplesForm()
        return self._import_page(request, form, status=status)

    def _import_page(
        self, request: HttpRequest, form: ImportExamplesForm, *, status: int, error: str = ""
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "导入历史工单",
            "form": form,
            "error": error,
            "limit": filesizeformat(MAX_IMPORT_BYTES),
        }
        return TemplateResponse(request, "admin/triage/trainingexample/import.html", context, status=status)


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "created_at",
        "training_size",
        "cv_macro_f1",
        "cv_accuracy",
        "cv_top3",
        "is_active",
        "file_status",
        "notes",
    ]
    readonly_fields = [f.name for f in ModelVersion._meta.fields] + ["file_status"]
    actions = ["activate_selected", "rollback", "retrain"]

    @admin.display(description="模型文件")
    def file_status(self, obj: ModelVersion) -> str:
        return services.version_problem(obj) or "正常"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        _, model, problem = services.active_model()
        if model is None:
            self.message_user(request, f"{problem}：智能研判目前按派单目录规则给出建议。", messages.WARNING)
        waiting, needed = services.new_examples_since_last_version(), settings.TRIAGE_RETRAIN_MIN_NEW
        self.message_user(
            request,
            f"自上一次训练以来新增训练样本{waiting}条；"
            + (
                "下个周日凌晨自动重新训练。"
                if waiting >= needed
                else f"满{needed}条后于周日凌晨自动重新训练。"
            ),
            messages.INFO,
        )
        return super().changelist_view(request, extra_context)

    def _can_manage(self, request: HttpRequest) -> bool:
        return request.user.has_perm("triage.manage_models")

    @admin.action(description="启用所选版本", permissions=["manage"])
    def activate_selected(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "请只选择一个版本启用", messages.ERROR)
            return
        try:
            version = services.activate(version=queryset.get(), by=request.user)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(request, f"已启用v{version.number}", messages.SUCCESS)

    @admin.action(description="回退到上一个启用过的版本", permissions=["manage"])
    def rollback(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        try:
            version = services.rollback(by=request.user)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(request, f"已回退到v{version.number}", messages.SUCCESS)

    @admin.action(description="用全部样本重新训练（后台任务）", permissions=["manage"])
    def retrain(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        services.schedule_training(by=request.user)
        self.message_user(request, "已提交训练任务，完成后新版本出现在列表中（分数不低于当前版本时自动启用）")

    def has_manage_permission(self, request: HttpRequest) -> bool:
        return self._can_manage(request)


@admin.register(HotIssue)
class HotIssueAdmin(admin.ModelAdmin):
    """Read-only: issues come from the computation, and tasks and dismissals from the 热点问题 page
    (the services), so that every one is audited."""

    list_display = [
        "period_start",
        "period_end",
        "rank",
        "heat",
        "description",
        "appeal_count",
        "people",
        "status",
    ]
    list_filter = ["status", "period_end"]
    search_fields = ["description", "place", "task__number"]
    list_select_related = ["task"]
    readonly_fields = [f.name for f in HotIssue._meta.fields] + ["member_numbers"]
    exclude = ["members"]

    @admin.display(description="相关诉求")
    def member_numbers(self, obj: HotIssue) -> str:
        return "、".join(obj.members.order_by("created_at").values_list("number", flat=True))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(HotIssueSnapshot)
class HotIssueSnapshotAdmin(admin.ModelAdmin):
    """When each period's hot issues were computed, over how many appeals and in how long."""

    list_display = [
        "period_start",
        "period_end",
        "computed_at",
        "computed_by",
        "appeal_count",
        "found",
        "seconds",
    ]
    list_select_related = ["computed_by"]
    date_hierarchy = "computed_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
