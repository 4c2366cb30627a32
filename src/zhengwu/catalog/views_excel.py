"""事项清单 import and export pages (Excel). The work is done by ``excel`` and the services."""

from __future__ import annotations

from io import BytesIO

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from zhengwu.core.errors import DomainError

from . import excel
from .forms import ExcelImportForm

IMPORT_PERMISSION = "catalog.add_serviceitem"


@login_required
@permission_required(IMPORT_PERMISSION, raise_exception=True)
def excel_page(request: HttpRequest) -> HttpResponse:
    """Export buttons and the upload form; a refused file shows every problem in a table."""
    form = ExcelImportForm()
    problems: list[excel.Problem] = []
    if request.method == "POST":
        form = ExcelImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                result = excel.import_catalog(
                    form.cleaned_data["file"], by=request.user, publish=form.cleaned_data["publish"]
                )
            except DomainError as exc:
                form.add_error("file", exc.message)
            else:
                if result.ok:
                    messages.success(request, result.summary())
                    return redirect("catalog:excel")
                problems = result.problems
    context = {
        "form": form,
        "problems": problems,
        "scopes": excel.EXPORT_SCOPES,
        "sheets": excel.SHEETS,
        "max_mb": excel.MAX_UPLOAD_BYTES // 1024 // 1024,
    }
    return render(request, "catalog/excel.html", context)


def _xlsx(data: bytes, filename: str) -> FileResponse:
    return FileResponse(
        BytesIO(data), as_attachment=True, filename=filename, content_type=excel.XLSX_CONTENT_TYPE
    )


@login_required
@permission_required("catalog.view_serviceitem", raise_exception=True)
def excel_export(request: HttpRequest) -> FileResponse:
    """The catalogue as .xlsx: ?scope=published (default), draft or all."""
    scope = request.GET.get("scope", "published")
    if scope not in excel.EXPORT_SCOPES:
        scope = "published"
    return _xlsx(excel.export_items(excel.export_queryset(scope)), excel.export_filename(scope))


@login_required
@permission_required(IMPORT_PERMISSION, raise_exception=True)
def excel_template(request: HttpRequest) -> FileResponse:
    """An empty workbook with the two sheets and their headers."""
    return _xlsx(excel.export_items([]), "事项清单导入模板.xlsx")
