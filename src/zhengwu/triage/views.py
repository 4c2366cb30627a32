"""Pages of 热点问题 (未诉先办): the ranked list of a period's hot issues with its Excel export and
the 重新计算 button, and an issue's drill-down — how hot and why, the appeals behind it, and the
forms that turn it into a 主动治理任务 or dismiss it.

Reads go through ``selectors`` (a 404 for an issue the user may not see); every change through
``services``, whose refusals are shown in Chinese next to the field, with their HTTP status."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from zhengwu.appeals.forms import show_error
from zhengwu.appeals.models import Appeal, Assignment
from zhengwu.core.errors import DomainError
from zhengwu.core.excel import ExcelWriter, xlsx_response

from . import selectors, services
from .forms import DismissForm, PeriodForm, ProactiveTaskForm, RefreshForm
from .hotspots import WEIGHTS
from .models import HotIssue, HotIssueStatus

P_VIEW = selectors.P_VIEW
P_ACT = services.P_CREATE_TASK
PAGE_SIZE = 20
CHART_TOP = 10


def _htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not getattr(htmx, "history_restore_request", False)


@dataclass(frozen=True)
class Chosen:
    form: PeriodForm
    start: date
    end: date
    snapshot: selectors.Snapshot
    query: str  # the query string that names the period, for links and redirects


def _chosen(request: HttpRequest) -> Chosen:
    """The period asked for and the stored snapshot to show for it."""
    form = PeriodForm(request.GET or None)
    start, end, preset = form.chosen()
    period = form.cleaned_data.get("period") if form.is_bound and form.is_valid() else ""
    snapshot = selectors.snapshot_for(request.user, start, end, allow_same_length=preset)
    if preset:
        period = period if period in selectors.PRESETS else selectors.DEFAULT_PRESET
        query = urlencode({"period": period})
        # Show the dates the choice stands for.
        form = PeriodForm(initial={"period": period, "start": start, "end": end})
    else:
        query = urlencode({"period": "custom", "start": start.isoformat(), "end": end.isoformat()})
    return Chosen(form, start, end, snapshot, query)


@login_required
@permission_required(P_VIEW, raise_exception=True)
def hotspots(request: HttpRequest) -> HttpResponse:
    """热点问题: the chosen period's issues, hottest first."""
    chosen = _chosen(request)
    issues = selectors.period_issues(request.user, chosen.snapshot)
    page = Paginator(issues, PAGE_SIZE).get_page(request.GET.get("page"))
    chart = list(issues.values("rank", "heat", "description")[:CHART_TOP])
    counts = Counter(issues.values_list("status", flat=True))
    context: dict[str, Any] = {
        "form": chosen.form,
        "snapshot": chosen.snapshot,
        "chosen_start": chosen.start,
        "chosen_end": chosen.end,
        "query": chosen.query,
        "page_obj": page,
        "issues": page.object_list,
        "chart": chart,
        "counts": {s.value: counts.get(s.value, 0) for s in HotIssueStatus},
        "can_act": request.user.has_perm(P_ACT),
    }
    template = "triage/hotspots.html#results" if _htmx(request) else "triage/hotspots.html"
    return render(request, template, context)


@login_required
@permission_required(P_VIEW, raise_exception=True)
@require_POST
def hotspots_refresh(request: HttpRequest) -> HttpResponse:
    """重新计算 the chosen period now (a city's month takes seconds)."""
    form = RefreshForm(request.POST)
    back = request.POST.get("query", "")
    if not form.is_valid():
        messages.error(request, "请选择正确的起始和截止日期")
        return redirect(f"{reverse('triage:hotspots')}?{back}")
    try:
        issues = services.refresh_hot_issues(
            start=form.cleaned_data["start"], end=form.cleaned_data["end"], by=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(f"{reverse('triage:hotspots')}?{back}")
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    pending = sum(1 for i in issues if i.status == HotIssueStatus.PENDING)
    messages.success(
        request,
        f"已重新计算 {start:%Y-%m-%d} 至 {end:%Y-%m-%d} 的热点问题：共{len(issues)}个，其中待处置{pending}个",
    )
    query = back or urlencode({"period": "custom", "start": start.isoformat(), "end": end.isoformat()})
    return redirect(f"{reverse('triage:hotspots')}?{query}")


EXPORT_COLUMNS: tuple[tuple[str, int], ...] = (
    ("排名", 6),
    ("热度指数", 10),
    ("问题概述", 40),
    ("主要地点", 20),
    ("涉及地点", 24),
    ("诉求数", 8),
    ("诉求人数", 10),
    ("附议数", 8),
    ("时间集中度", 10),
    ("最早诉求", 18),
    ("最近诉求", 18),
    ("状态", 10),
    ("主动治理任务", 24),
    ("相关工单号", 60),
)


def _local(value: Any) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


@login_required
@permission_required(P_VIEW, raise_exception=True)
def hotspots_export(request: HttpRequest) -> FileResponse:
    """The period's issues as .xlsx, with the numbers of their appeals."""
    snapshot = _chosen(request).snapshot
    issues = selectors.period_issues(request.user, snapshot).prefetch_related(
        Prefetch("members", queryset=Appeal.objects.only("pk", "number", "created_at").order_by("created_at"))
    )
    workbook = ExcelWriter()
    sheet = workbook.sheet(
        "热点问题", EXPORT_COLUMNS, notes=[f"热点问题 {snapshot.start:%Y-%m-%d} 至 {snapshot.end:%Y-%m-%d}"]
    )
    for i in issues:
        sheet.append(
            [
                i.rank,
                i.heat,
                i.description,
                i.place,
                "、".join(i.places),
                i.appeal_count,
                i.people,
                i.support,
                round(i.concentration, 3),
                _local(i.first_at),
                _local(i.last_at),
                i.get_status_display(),
                i.task.number if i.task else "",
                "、".join(m.number for m in i.members.all()),
            ]
        )
    return xlsx_response(workbook.to_bytes(), f"热点问题-{snapshot.start:%Y%m%d}-{snapshot.end:%Y%m%d}.xlsx")


# -- drill-down ------------------------------------------------------------------------------------

COMPONENTS = (
    ("people", "诉求人数", "不同诉求人越多越热：{people}位群众反映。"),
    ("count", "诉求数", "同一问题的诉求越多越热：共{count}件。"),
    ("support", "附议", "并入这些诉求的重复诉求（附议）越多越热：{support}次。"),
    ("concentration", "时间集中度", "诉求越集中在短时间内越急：{concentration}的诉求在最集中的7天内。"),
)


def _components(issue: HotIssue) -> list[dict[str, Any]]:
    values = {
        "people": issue.people,
        "count": issue.appeal_count,
        "support": issue.support,
        "concentration": f"{round(issue.concentration * 100)}%",
    }
    rows = []
    for key, label, text in COMPONENTS:
        score = float((issue.components or {}).get(key, 0.0))
        rows.append(
            {
                "label": label,
                "text": text.format(**values),
                "score": round(score, 2),
                "weight": f"{round(WEIGHTS[key] * 100)}%",
                "points": round(100 * WEIGHTS[key] * score, 1),
            }
        )
    return rows


def _detail_context(request: HttpRequest, issue: HotIssue, **forms: Any) -> dict[str, Any]:
    members, hidden = selectors.member_appeals(request.user, issue)
    can_act = request.user.has_perm(P_ACT) and issue.is_pending
    target = selectors.task_target(issue) if can_act else None
    return {
        "issue": issue,
        "components": _components(issue),
        "members": members,
        "hidden_members": hidden,
        "can_act": can_act,
        "task_form": forms.get("task_form")
        or (ProactiveTaskForm(initial=target.initial, prefer=target.prefer) if target else None),
        "task_target": target,
        "dismiss_form": forms.get("dismiss_form") or (DismissForm() if can_act else None),
        "back": request.GET.get("back") or request.POST.get("back") or "",
    }


@login_required
@permission_required(P_VIEW, raise_exception=True)
def hotspot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    issue = selectors.hot_issue_for(request.user, pk)
    return render(request, "triage/hotspot_detail.html", _detail_context(request, issue))


@login_required
@permission_required(P_ACT, raise_exception=True)
@require_POST
def hotspot_task(request: HttpRequest, pk: int) -> HttpResponse:
    """生成主动治理任务."""
    issue = selectors.hot_issue_for(request.user, pk)
    form = ProactiveTaskForm(request.POST)
    status, error = 400, ""
    if form.is_valid():
        try:
            issue = services.create_proactive_task(
                issue=issue,
                department=form.cleaned_data["department"],
                category=form.cleaned_data["category"],
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except DomainError as exc:
            show_error(form, exc)
            status, error = exc.status, exc.message
        else:
            task = issue.task
            assert task is not None
            lead = task.assignments.select_related("department").get(role=Assignment.Role.LEAD)
            messages.success(request, f"已生成主动治理任务 {task.number}，已派至{lead.department.name}主办")
            return redirect("triage:hotspot_detail", pk=issue.pk)
    issue = selectors.hot_issue_for(request.user, pk)
    context = _detail_context(request, issue, task_form=form) | {"error": error}
    return render(request, "triage/hotspot_detail.html", context, status=status)


@login_required
@permission_required(P_ACT, raise_exception=True)
@require_POST
def hotspot_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    """忽略, with the reason."""
    issue = selectors.hot_issue_for(request.user, pk)
    form = DismissForm(request.POST)
    status, error = 400, ""
    if form.is_valid():
        try:
            services.dismiss_hot_issue(issue=issue, reason=form.cleaned_data["reason"], by=request.user)
        except DomainError as exc:
            show_error(form, exc)
            status, error = exc.status, exc.message
        else:
            messages.success(request, "已忽略该热点问题")
            return redirect("triage:hotspot_detail", pk=issue.pk)
    issue = selectors.hot_issue_for(request.user, pk)
    context = _detail_context(request, issue, dismiss_form=form) | {"error": error}
    return render(request, "triage/hotspot_detail.html", context, status=status)
