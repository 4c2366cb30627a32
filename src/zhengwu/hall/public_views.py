"""预约 for citizens: choose a hall, an item and a day, pick a slot; see the code; cancel or rebook."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengwu.catalog.selectors import published_items
from zhengwu.core.errors import DomainError
from zhengwu.org.models import Hall

from . import services
from .models import Appointment, AppointmentState, Slot
from .selectors import owned_by


def _citizen(request: HttpRequest) -> HttpResponse | None:
    user: Any = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if user.is_staff:
        return render(
            request,
            "hall/public/refused.html",
            {"message": "工作人员账号不能网上预约，请在“当日预约”页面为群众电话预约。"},
            status=403,
        )
    return None


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _int(value: Any) -> int:
    """A posted id, or 0 (no row has it) when it is not a number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    """Step by step on one page: 大厅 → 事项 → 日期 → 时段 (GET narrows, POST books)."""
    if (refused := _citizen(request)) is not None:
        return refused
    data = request.POST if request.method == "POST" else request.GET
    halls = list(Hall.objects.filter(plans__is_active=True).distinct().order_by("name"))
    hall = next((h for h in halls if h.pk == _int(data.get("hall"))), halls[0] if len(halls) == 1 else None)
    items: list[Any] = []
    if hall:
        planned = set(hall.plans.filter(is_active=True).values_list("items", flat=True))
        qs = published_items().order_by("name")
        items = list(qs[:300] if None in planned else qs.filter(pk__in=planned))
    item = next((i for i in items if i.pk == _int(data.get("item"))), None)
    day = _day(data.get("day"))
    slots = services.bookable_slots(hall=hall, item=item, day=day) if hall and item else []
    days = sorted({s.day for s in slots}) if hall and item and not day else []
    error, field, status = "", "", 200
    if request.method == "POST":
        slot = Slot.objects.filter(pk=_int(data.get("slot"))).first()
        if hall is None or item is None:
            error, field, status = "请选择大厅和事项", "item", 400
        elif slot is None or slot.hall_id != hall.pk:
            error, field, status = "请选择预约时段", "slot", 400
        else:
            try:
                appointment = services.book(
                    slot=slot, item=item, by=request.user, contact_phone=data.get("contact_phone", "")
                )
            except DomainError as exc:
                error, field, status = exc.message, exc.field or "", exc.status
            else:
                messages.success(request, "预约成功，短信已发送到您的手机")
                return redirect("appointments:detail", code=appointment.code)
    return render(
        request,
        "hall/public/new.html",
        {
            "halls": halls,
            "hall": hall,
            "items": items,
            "item": item,
            "day": day,
            "days": days,
            "slots": slots,
            "error": error,
            "error_field": field,
        },
        status=status,
    )


def _own(request: HttpRequest, code: str) -> Appointment:
    appointment = owned_by(request.user).filter(code=code).first()
    if appointment is None:
        raise Http404("没有找到该预约")
    return appointment


@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    if (refused := _citizen(request)) is not None:
        return refused
    return render(request, "hall/public/mine.html", {"appointments": list(owned_by(request.user)[:50])})


@require_GET
def detail(request: HttpRequest, code: str) -> HttpResponse:
    if (refused := _citizen(request)) is not None:
        return refused
    appointment = _own(request, code)
    return render(
        request,
        "hall/public/detail.html",
        {"a": appointment, "can_change": appointment.state == AppointmentState.BOOKED},
    )


@require_POST
def cancel(request: HttpRequest, code: str) -> HttpResponse:
    if (refused := _citizen(request)) is not None:
        return refused
    appointment = _own(request, code)
    try:
        services.cancel(appointment=appointment, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "预约已取消")
    return redirect("appointments:detail", code=code)


@require_http_methods(["GET", "POST"])
def rebook(request: HttpRequest, code: str) -> HttpResponse:
    if (refused := _citizen(request)) is not None:
        return refused
    appointment = _own(request, code)
    slots = [
        s
        for s in services.bookable_slots(hall=appointment.hall, item=appointment.item)
        if s.pk != appointment.slot_id
    ]
    error, status = "", 200
    if request.method == "POST":
        slot = Slot.objects.filter(pk=_int(request.POST.get("slot"))).first()
        if slot is None:
            error, status = "请选择新的预约时段", 400
        else:
            try:
                services.rebook(appointment=appointment, slot=slot, by=request.user)
            except DomainError as exc:
                error, status = exc.message, exc.status
            else:
                messages.success(request, "已改约")
                return redirect("appointments:detail", code=code)
    return render(
        request, "hall/public/rebook.html", {"a": appointment, "slots": slots, "error": error}, status=status
    )
