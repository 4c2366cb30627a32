"""月度报告 pages: the list of kept reports with the form to generate one, the download, and the
request to generate (queued: tasks.generate_report). Reading needs
``analytics.view_monthlyreport``; generating ``analytics.add_monthlyreport``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from zhengwu.core.errors import DomainError, NotAllowed, NotFound

from . import reports, tasks
from .models import MonthlyReport
from .periods import period_containing

VIEW = "analytics.view_monthlyreport"
ADD = "analytics.add_monthlyreport"


def _refuse(request: HttpRequest, exc: DomainError) -> HttpResponse:
    context = {
        **_list_context(request),
        "error": exc.message,
        "month_value": request.POST.get("month", "")[:20],
    }
    return render(request, "analytics/reports.html", context, status=exc.status)


def _list_context(request: HttpRequest) -> dict[str, Any]:
    today = timezone.localdate()
    last_month = period_containing("month", today.replace(day=1) - timedelta(days=1))
    return {
        "reports": MonthlyReport.objects.defer("pdf").select_related("requested_by"),
        "may_generate": request.user.has_perm(ADD),
        "last_month": last_month.value,
    }


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(VIEW):
        return render(
            request,
            "analytics/report_error.html",
            {"message": "没有查看月度报告的权限", "status": 403},
            status=403,
        )
    return render(request, "analytics/reports.html", {**_list_context(request), "month_value": ""})


@login_required
def report_pdf(request: HttpRequest, month: str) -> HttpResponse:
    try:
        if not request.user.has_perm(VIEW):
            raise NotAllowed("没有查看月度报告的权限")
        period = reports.month_of(month)
        report = MonthlyReport.objects.filter(month=period.start).first()
        if report is None:
            raise NotFound(f"{period.label}的月度报告尚未生成", field="month")
    except DomainError as exc:
        return render(
            request,
            "analytics/report_error.html",
            {"message": exc.message, "status": exc.status},
            status=exc.status,
        )
    response = HttpResponse(bytes(report.pdf), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, f"{period.label}统计报告.pdf") or ""
    return response


@login_required
@require_POST
def report_generate(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(ADD):
        return _refuse(request, NotAllowed("没有生成月度报告的权限"))
    try:
        period = reports.parse_month(request.POST.get("month"))
    except DomainError as exc:
        return _refuse(request, exc)
    exists = MonthlyReport.objects.filter(month=period.start).exists()
    if exists and request.POST.get("confirm") != "1":
        context = {**_list_context(request), "confirm_month": period, "month_value": period.value}
        return render(request, "analytics/report_confirm.html", context)
    tasks.generate_report.enqueue(period.value, request.user.pk)
    verb = "重新生成" if exists else "生成"
    messages.success(request, f"已提交{verb}{period.label}统计报告，稍后刷新本页即可下载")
    return redirect("analytics:reports")
