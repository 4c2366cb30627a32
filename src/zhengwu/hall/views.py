"""Staff pages: the clerk's day list of their hall (当日预约), its Excel export, phone booking
(电话预约), and check-in (which issues the queue number) / cancel from the list."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengwu.accounts.models import Citizen
from zhengwu.catalog.selectors import published_items
from zhengwu.core.errors import DomainError
from zhengwu.core.excel import Column, ExcelWriter, xlsx_response

from . import queue, services
from .models import Appointment, Slot
from .selectors import day_list as select_day
from .selectors import hall_of

PERM = "hall.book_by_phone"
NO_HALL = "您的账号没有分配到大厅窗口，请联系管理员设置“所在窗口”。"


def _day(request: HttpRequest) -> date:
    try:
        return date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return timezone.localdate()


def _int(value: Any) -> int:
    """A posted id, or 0 (no row has it) when it is not a number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@login_required
@permission_required(PERM, raise_exception=True)
@require_GET
def day_list(request: HttpRequest) -> HttpResponse:
    hall = hall_of(request.user)
    day = _day(request)
    rows = list(select_day(hall, day)) if hall else []
    return render(
        request,
        "hall/day_list.html",
        {"hall": hall, "day": day, "rows": rows, "no_hall": NO_HALL, "today": timezone.localdate()},
    )


@login_required
@permission_required(PERM, raise_exception=True)
@require_GET
def export(request: HttpRequest) -> HttpResponseBase:
    hall = hall_of(request.user)
    day = _day(request)
    if hall is None:
        return render(request, "hall/day_list.html", {"hall": None, "no_hall": NO_HALL}, status=409)
    wb = ExcelWriter()
    sheet = wb.sheet(
        "当日预约",
        [
            Column("时段", 14),
            Column("预约号", 18, text=True),
            Column("事项", 30),
            Column("联系人", 10),
            Column("手机号", 14, text=True),
            Column("优先", 8),
            Column("渠道", 10),
            Column("状态", 8),
        ],
        notes=[f"{hall.name} {day:%Y-%m-%d} 预约名单"],
    )
    for a in select_day(hall, day):
        start = timezone.localtime(a.slot.starts_at)
        end = timezone.localtime(a.slot.ends_at)
        sheet.append(
            [
                f"{start:%H:%M}-{end:%H:%M}",
                a.code,
                a.item.name,
                a.contact_name,
                a.masked_phone,
                a.priority_reason,
                a.get_channel_display(),
                a.get_state_display(),
            ]
        )
    return xlsx_response(wb.to_bytes(), f"预约名单-{day:%Y%m%d}.xlsx")


@login_required
@permission_required(PERM, raise_exception=True)
@require_http_methods(["GET", "POST"])
def phone_book(request: HttpRequest) -> HttpResponse:
    """电话预约: staff book for a caller, in the staff member's hall."""
    hall = hall_of(request.user)
    data = request.POST if request.method == "POST" else request.GET
    items = list(published_items().order_by("name")[:300])
    item = next((i for i in items if i.pk == _int(data.get("item"))), None)
    slots = services.bookable_slots(hall=hall, item=item) if hall and item else []
    error, field, status = "", "", 200
    if request.method == "POST":
        slot = Slot.objects.filter(pk=_int(data.get("slot")), hall=hall).first() if hall else None
        id_number = (data.get("id_number") or "").strip().upper()
        citizen = Citizen.objects.filter(id_number=id_number).first() if id_number else None
        if hall is None:
            error, field, status = NO_HALL, "hall", 409
        elif item is None:
            error, field, status = "请选择事项", "item", 400
        elif slot is None:
            error, field, status = "请选择预约时段", "slot", 400
        elif id_number and citizen is None:
            error, field, status = "没有找到该身份证号对应的自然人，请核对或留空", "id_number", 400
        else:
            try:
                appointment = services.book(
                    slot=slot,
                    item=item,
                    by=request.user,
                    citizen=citizen,
                    contact_name=data.get("contact_name", ""),
                    contact_phone=data.get("contact_phone", ""),
                    special_group=data.get("special_group", ""),
                )
            except DomainError as exc:
                error, field, status = exc.message, exc.field or "", exc.status
            else:
                messages.success(request, f"已为{appointment.contact_name}预约，预约号 {appointment.code}")
                return redirect(f"{_list_url()}?day={appointment.slot.day:%Y-%m-%d}")
    return render(
        request,
        "hall/phone_book.html",
        {
            "hall": hall,
            "items": items,
            "item": item,
            "slots": slots,
            "data": data,
            "error": error,
            "error_field": field,
            "no_hall": NO_HALL,
        },
        status=status,
    )


def _list_url() -> str:
    from django.urls import reverse

    return reverse("hall:day_list")


def _own_hall(request: HttpRequest, pk: int) -> Appointment:
    hall = hall_of(request.user)
    return get_object_or_404(Appointment, pk=pk, hall=hall)


@login_required
@permission_required(PERM, raise_exception=True)
@require_POST
def check_in(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _own_hall(request, pk)
    try:
        ticket = queue.check_in_appointment(hall=appointment.hall, code=appointment.code, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{appointment.code} 已签到，排队号 {ticket.number}")
    return redirect(f"{_list_url()}?day={appointment.slot.day:%Y-%m-%d}")


@login_required
@permission_required(PERM, raise_exception=True)
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _own_hall(request, pk)
    try:
        services.cancel(appointment=appointment, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{appointment.code} 已取消")
    return redirect(f"{_list_url()}?day={appointment.slot.day:%Y-%m-%d}")
