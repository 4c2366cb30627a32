"""示范市: an appointment plan for the demo hall, its slots and a few bookings. Idempotent: the
plan is found by name, slots already open are kept, bookings are made only once."""

from __future__ import annotations

from zhengwu.accounts.models import Citizen
from zhengwu.casework.actors import Actor
from zhengwu.catalog.selectors import published_items
from zhengwu.org.models import Hall, WindowKind

from . import services
from .models import Appointment, AppointmentPlan

DEMO_HALL = "示范市政务服务中心"


def load_demo_appointments() -> int:
    """The plan, the next working days' slots, and up to four bookings (one online by the demo
    citizen login, the rest by phone). Returns the number of bookings made now."""
    hall = Hall.objects.filter(name=DEMO_HALL).first()
    if hall is None:
        return 0
    system = Actor.system("演示数据")
    plan, _ = AppointmentPlan.objects.get_or_create(
        hall=hall,
        name="综合受理窗口预约",
        defaults={
            "window_kind": WindowKind.COMPREHENSIVE,
            "periods": "09:00-12:00 13:30-17:30",
            "slot_minutes": 30,
            "capacity": 4,
            "priority_capacity": 1,
            "cutoff_hours": 2,
            "days_ahead": 7,
        },
    )
    services.open_slots(plan=plan, by=system)
    if Appointment.objects.filter(hall=hall).exists():
        return 0
    items = list(published_items().order_by("name")[:4])
    slots = services.bookable_slots(hall=hall)
    if not items or not slots:
        return 0
    made = 0
    online = Citizen.objects.filter(user__username="citizen").select_related("user").first()
    if online is not None and online.phone:
        services.book(slot=slots[0], item=items[0], by=online.user)
        made += 1
    callers = Citizen.objects.exclude(phone="")
    if online is not None:
        callers = callers.exclude(pk=online.pk)
    for n, citizen in enumerate(callers.order_by("pk")[:3], start=1):
        services.book(
            slot=slots[min(n, len(slots) - 1)],
            item=items[n % len(items)],
            by=system,
            citizen=citizen,
            contact_phone=citizen.phone,
        )
        made += 1
    return made
