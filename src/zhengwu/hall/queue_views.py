"""Pages of the hall queue: the kiosk (取号机, no login, throttled per address), 在线取号 for
citizens, the window's call panel, the hall screen (refreshed by htmx polling) and the day's
waiting and service times with their Excel export."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengwu.casework.actors import Actor
from zhengwu.core.errors import DomainError
from zhengwu.core.excel import Column, ExcelWriter, xlsx_response
from zhengwu.core.throttle import FailureCounter, client_ip
from zhengwu.org.models import Hall, Window, WindowKind

from . import queue
from .models import QueueTicket, TicketSource, TicketState

PERM = queue.CALL_PERMISSION


def kiosk_takes() -> FailureCounter:
    """Numbers taken per address in 10 minutes (counted in the shared cache), capped by
    ``QUEUE_KIOSK_LIMIT``."""
    return FailureCounter("kiosk-take", limit=settings.QUEUE_KIOSK_LIMIT, seconds=10 * 60)


THROTTLED = "取号过于频繁，请稍后再试或咨询导办人员"


def _kinds(hall: Hall) -> list[tuple[str, str]]:
    served = set(Window.objects.filter(hall=hall, is_open=True).values_list("kind", flat=True))
    if WindowKind.COMPREHENSIVE in served:
        served |= {WindowKind.COMPREHENSIVE}
    return [(k.value, k.label) for k in WindowKind if k.value in served]


def _day(request: HttpRequest) -> date:
    try:
        return date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return timezone.localdate()


# ---------------------------------------------------------------------------------------------
# Kiosk
# ---------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def kiosk(request: HttpRequest, hall_id: int) -> HttpResponse:
    """取号机: big buttons for each business the hall's windows serve, 长者优先, and check-in of
    an appointment or an online number. No login; each address may take only so many numbers."""
    hall = get_object_or_404(Hall, pk=hall_id)
    error, field, status, ticket = "", "", 200, None
    if request.method == "POST":
        ip = client_ip(request)
        counter = kiosk_takes()
        if counter.blocked(ip):
            error, field, status = THROTTLED, "kiosk", 429
        else:
            device = Actor.device(f"{hall.name}取号机")
            action = request.POST.get("action", "take")
            try:
                if action == "appointment":
                    ticket = queue.check_in_appointment(
                        hall=hall, code=request.POST.get("code", ""), by=device
                    )
                elif action == "online":
                    ticket = queue.check_in_online(
                        hall=hall, number=request.POST.get("number", ""), by=device
                    )
                else:
                    ticket = queue.take_number(
                        hall=hall,
                        window_kind=request.POST.get("window_kind"),
                        elder=request.POST.get("elder") == "1",
                        by=device,
                    )
            except DomainError as exc:
                error, field, status = exc.message, exc.field or "", exc.status
            else:
                counter.fail(ip)
    ahead = 0
    if ticket is not None:
        ahead = QueueTicket.objects.filter(
            hall=hall,
            day=ticket.day,
            state=TicketState.WAITING,
            checked_in_at__isnull=False,
            rank__lte=ticket.rank,
            issued_at__lt=ticket.issued_at,
        ).count()
    context: dict[str, Any] = {
        "hall": hall,
        "ticket": ticket,
        "ahead": ahead,
        "error": error,
        "error_field": field,
    }
    if ticket is None:  # the slip page shows no buttons: spare a busy kiosk the two reads
        context.update(kinds=_kinds(hall), is_open=queue.hall_open(hall, timezone.now()))
    return render(request, "hall/queue/kiosk.html", context, status=status)


# ---------------------------------------------------------------------------------------------
# Online
# ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def online(request: HttpRequest) -> HttpResponse:
    """在线取号: hold a place before coming; check in at the kiosk with the number."""
    halls = list(Hall.objects.order_by("name")[:100])
    error, field, status = "", "", 200
    if request.method == "POST":
        hall = next((h for h in halls if str(h.pk) == request.POST.get("hall")), None)
        if hall is None:
            error, field, status = "请选择大厅", "hall", 400
        else:
            try:
                ticket = queue.take_number_online(
                    hall=hall, window_kind=request.POST.get("window_kind"), by=request.user
                )
            except DomainError as exc:
                error, field, status = exc.message, exc.field or "", exc.status
            else:
                messages.success(request, f"已取号 {ticket.number}，请在预计叫号时间前到大厅取号机签到")
                return redirect("hall:queue_online")
    user: Any = request.user
    mine = (
        QueueTicket.objects.filter(citizen__user=user, source=TicketSource.ONLINE)
        .select_related("hall")
        .order_by("-issued_at")[:10]
    )
    return render(
        request,
        "hall/queue/online.html",
        {
            "halls": halls,
            "kinds": [(k.value, k.label) for k in WindowKind],
            "mine": mine,
            "error": error,
            "error_field": field,
            "data": request.POST,
        },
        status=status,
    )


# ---------------------------------------------------------------------------------------------
# Display
# ---------------------------------------------------------------------------------------------


def display_context(hall: Hall) -> dict[str, Any]:
    day = timezone.localdate()
    called = list(
        QueueTicket.objects.filter(hall=hall, day=day, state__in=(TicketState.CALLED, TicketState.SERVING))
        .select_related("window")
        .order_by("-called_at")[:8]
    )
    waiting = QueueTicket.objects.filter(
        hall=hall, day=day, state=TicketState.WAITING, checked_in_at__isnull=False
    ).count()
    return {"hall": hall, "called": called, "waiting": waiting, "now": timezone.localtime()}


@require_GET
def display(request: HttpRequest, hall_id: int) -> HttpResponse:
    """The hall screen: numbers being called and at which window; the part under
    ``#queue-board`` is fetched again every 3 seconds."""
    hall = get_object_or_404(Hall, pk=hall_id)
    template = "hall/queue/_board.html" if request.headers.get("HX-Request") else "hall/queue/display.html"
    return render(request, template, display_context(hall))


# ---------------------------------------------------------------------------------------------
# The window's call panel
# ---------------------------------------------------------------------------------------------


def _intake_link(ticket: QueueTicket | None) -> str:
    if ticket is None or ticket.item_id is None:
        return ""
    query: dict[str, Any] = {"item": ticket.item_id}
    if ticket.citizen is not None:
        query["code"] = ticket.citizen.id_number
    return f"{reverse('applications:intake')}?{urlencode(query)}"


@login_required
@permission_required(PERM, raise_exception=True)
@require_GET
def window_panel(request: HttpRequest) -> HttpResponse:
    return _panel(request)


def _panel(request: HttpRequest, status: int = 200) -> HttpResponse:
    window = getattr(request.user, "window", None)
    current = None
    waiting = 0
    if window is not None:
        current = (
            QueueTicket.objects.filter(window=window, state__in=(TicketState.CALLED, TicketState.SERVING))
            .select_related("item", "citizen", "appointment")
            .first()
        )
        waiting = queue.callable_for(window, timezone.localdate()).count()
    missed = (
        QueueTicket.objects.filter(
            window=window, state=TicketState.MISSED, day=timezone.localdate()
        ).order_by("-called_at")[:5]
        if window
        else []
    )
    return render(
        request,
        "hall/queue/window.html",
        {
            "window": window,
            "current": current,
            "waiting": waiting,
            "missed": missed,
            "intake_link": _intake_link(current),
            "kinds": [(k.value, k.label) for k in WindowKind],
        },
        status=status,
    )


@login_required
@permission_required(PERM, raise_exception=True)
@require_POST
def call_next(request: HttpRequest) -> HttpResponse:
    try:
        ticket = queue.call_next(by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if ticket is None:
            messages.info(request, "暂无等候的号码")
        else:
            messages.success(request, f"请 {ticket.number} 号到 {ticket.window.number} 窗口")  # type: ignore[union-attr]
    return redirect("hall:window")


@login_required
@permission_required(PERM, raise_exception=True)
@require_POST
def call_number(request: HttpRequest) -> HttpResponse:
    """指定叫号 from the panel; a refusal keeps the panel with the message and its status."""
    try:
        ticket = queue.call_number(number=request.POST.get("number", ""), by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _panel(request, status=exc.status)
    messages.success(request, f"请 {ticket.number} 号到 {ticket.window.number} 窗口")  # type: ignore[union-attr]
    return redirect("hall:window")


ACTIONS = {
    "recall": (queue.recall, "已重呼"),
    "skip": (queue.skip, "已过号"),
    "start": (queue.start_service, "开始办理"),
    "finish": (queue.finish_service, "已办结"),
}


@login_required
@permission_required(PERM, raise_exception=True)
@require_POST
def ticket_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    window = getattr(request.user, "window", None)
    ticket = get_object_or_404(QueueTicket, pk=pk, hall_id=getattr(window, "hall_id", None))
    try:
        if action == "transfer":
            new = queue.transfer(ticket=ticket, window_kind=request.POST.get("window_kind"), by=request.user)
            done = f"已转移到{new.get_window_kind_display()}窗口"
        elif action in ACTIONS:
            fn, done = ACTIONS[action]
            fn(ticket=ticket, by=request.user)
        else:
            return HttpResponse("未知操作", status=404)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("hall:window")
    messages.success(request, f"{ticket.number} {done}")
    return redirect("hall:window")


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------


@login_required
@permission_required(PERM, raise_exception=True)
@require_GET
def figures(request: HttpRequest) -> HttpResponseBase:
    """等候时长和办理时长 per window and item, for one day of the staff member's hall."""
    window = getattr(request.user, "window", None)
    hall = window.hall if window is not None else None
    day = _day(request)
    rows = queue.figures(hall, day) if hall else []
    if request.GET.get("format") == "xlsx" and hall is not None:
        wb = ExcelWriter()
        sheet = wb.sheet(
            "等候和办理时长",
            [
                Column("窗口", 16),
                Column("事项或业务", 30),
                Column("叫号数", 8),
                Column("平均等候（分钟）", 14),
                Column("平均办理（分钟）", 14),
            ],
            notes=[f"{hall.name} {day:%Y-%m-%d}"],
        )
        for r in rows:
            sheet.append([r.window, r.item, r.served, r.wait_minutes, r.service_minutes])
        return xlsx_response(wb.to_bytes(), f"排队时长-{day:%Y%m%d}.xlsx")
    return render(request, "hall/queue/figures.html", {"hall": hall, "day": day, "rows": rows})
