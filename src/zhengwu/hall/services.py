"""Every change to appointments (预约) goes through here: keyword-only, atomic, taking the actor.

Places are taken with one conditional UPDATE (``booked < capacity``) under a check constraint,
so twenty people racing for the last place get one place each until none is left, and the rest
a 409 — never an overbooked slot. Refusals name the field and save nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from zhengwu.accounts.models import Citizen
from zhengwu.calendar.selectors import get_calendar
from zhengwu.casework.actors import Actor, ActorKind, authorise
from zhengwu.casework.numbers import daily_number
from zhengwu.catalog.models import ServiceItem, VersionStatus
from zhengwu.core.errors import Conflict, InvalidInput, NotAllowed
from zhengwu.core.text import strip_control_characters
from zhengwu.notifications.services import notify
from zhengwu.org.models import Hall

from .models import Appointment, AppointmentPlan, AppointmentState, BookingChannel, Slot

S = AppointmentState
CODE_PREFIX = "YY"
ELDER_AGE = 60
MOBILE = re.compile(r"^1\d{10}$")
TIME_RANGE = re.compile(r"(\d{1,2})[:：](\d{2})\s*[-–~至]\s*(\d{1,2})[:：](\d{2})")
BOOK_PERMISSION = "hall.book_by_phone"
FULL = "该时段已约满，请选择其他时段"
NO_SHOW_GRACE = timedelta(minutes=30)  # after a slot ends, how long before a booking counts as 爽约


# ---------------------------------------------------------------------------------------------
# Hours and slots
# ---------------------------------------------------------------------------------------------


def parse_ranges(text: str) -> list[tuple[time, time]]:
    """ "9:00-12:00 13:30-17:30" → [(09:00, 12:00), (13:30, 17:30)]."""
    out = []
    for h1, m1, h2, m2 in TIME_RANGE.findall(text or ""):
        start, end = time(int(h1), int(m1)), time(int(h2), int(m2))
        if start < end:
            out.append((start, end))
    return out


def within_hours(hall: Hall, start: datetime, end: datetime) -> bool:
    """Whether [start, end) lies inside one of the hall's opening periods (local time)."""
    hours = parse_ranges(hall.opening_hours)
    if not hours:  # a hall that states no hours keeps the usual office day
        hours = [(time(9), time(17, 30))]
    s, e = timezone.localtime(start), timezone.localtime(end)
    if s.date() != e.date():
        return False
    return any(a <= s.time() and e.time() <= b for a, b in hours)


def _plan_starts(plan: AppointmentPlan, day: date) -> list[tuple[datetime, datetime]]:
    tz = timezone.get_current_timezone()
    step = timedelta(minutes=plan.slot_minutes)
    out = []
    for start, end in parse_ranges(plan.periods):
        at = datetime.combine(day, start, tzinfo=tz)
        stop = datetime.combine(day, end, tzinfo=tz)
        while at + step <= stop:
            out.append((at, at + step))
            at += step
    return out


@transaction.atomic
def open_slots(*, plan: AppointmentPlan, by: Any, start: date | None = None, days: int | None = None) -> int:
    """Materialise the plan's slots on working days from ``start`` for ``days`` days, only
    within the hall's opening hours; idempotent (a slot that exists is left as it is)."""
    actor = Actor.of(by) if not isinstance(by, Actor) else by
    authorise(actor, doing="开放预约时段", permission="hall.add_slot")
    if not plan.is_active:
        return 0
    calendar = get_calendar()
    first = start or timezone.localdate()
    rows = []
    for offset in range(days if days is not None else plan.days_ahead):
        day = first + timedelta(days=offset)
        # A year whose holidays are not entered yet opens no slots rather than guessing.
        if str(day.isoweekday()) not in plan.weekdays or not calendar.is_covered(day):
            continue
        if not calendar.is_working_day(day):
            continue
        for s, e in _plan_starts(plan, day):
            if within_hours(plan.hall, s, e):
                rows.append(
                    Slot(
                        plan=plan,
                        hall_id=plan.hall_id,
                        starts_at=s,
                        ends_at=e,
                        capacity=plan.capacity,
                        priority_capacity=plan.priority_capacity,
                    )
                )
    existing = set(
        Slot.objects.filter(plan=plan, starts_at__in=[r.starts_at for r in rows]).values_list(
            "starts_at", flat=True
        )
    )
    new = [r for r in rows if r.starts_at not in existing]
    Slot.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def open_all_plans() -> int:
    """The daily job: every active plan opens its next ``days_ahead`` days."""
    actor = Actor.system("每日开放预约时段")
    return sum(
        open_slots(plan=p, by=actor)
        for p in AppointmentPlan.objects.filter(is_active=True).select_related("hall")
    )


def bookable_slots(*, hall: Hall, item: ServiceItem | None = None, day: date | None = None) -> list[Slot]:
    """Slots still open for booking (past the cut-off, not full), by time."""
    now = timezone.now()
    qs = Slot.objects.filter(hall=hall, plan__is_active=True, starts_at__gt=now).select_related("plan")
    if item is not None:
        qs = qs.filter(Q(plan__items=item) | Q(plan__items__isnull=True))
    if day is not None:
        tz = timezone.get_current_timezone()
        begin = datetime.combine(day, time(0), tzinfo=tz)
        qs = qs.filter(starts_at__gte=begin, starts_at__lt=begin + timedelta(days=1))
    out = []
    for slot in qs.distinct().order_by("starts_at"):
        if slot.starts_at - now < timedelta(hours=slot.plan.cutoff_hours):
            continue
        if slot.free or slot.priority_free:
            out.append(slot)
    return out


# ---------------------------------------------------------------------------------------------
# Who books
# ---------------------------------------------------------------------------------------------


def age_on(citizen: Citizen, day: date) -> int:
    born = citizen.birth_date
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def no_show_count(citizen: Citizen, *, now: datetime | None = None) -> int:
    since = (now or timezone.now()) - timedelta(days=settings.APPOINTMENT_NO_SHOW_BAN_DAYS)
    return Appointment.objects.filter(citizen=citizen, state=S.NO_SHOW, no_show_at__gte=since).count()


def _text(value: Any, *, field: str, label: str, max_length: int) -> str:
    text = strip_control_characters(str(value or "")).strip()
    if not text:
        raise InvalidInput(f"请填写{label}", field=field)
    if len(text) > max_length:
        raise InvalidInput(f"{label}不能超过{max_length}个字", field=field)
    return text


def _phone(value: Any) -> str:
    phone = str(value or "").strip().replace(" ", "")
    if not phone:
        raise InvalidInput("请填写手机号", field="contact_phone")
    if not MOBILE.match(phone):
        raise InvalidInput("手机号应为11位数字，以1开头", field="contact_phone")
    return phone


def _check_slot(slot: Slot, item: ServiceItem, *, now: datetime) -> None:
    plan = slot.plan
    if not plan.is_active:
        raise InvalidInput("该大厅暂停预约", field="slot")
    if item.status != VersionStatus.PUBLISHED:
        raise InvalidInput("该事项不在办理清单中，不能预约", field="item")
    if plan.items.exists() and not plan.items.filter(pk=item.pk).exists():
        raise InvalidInput(f"“{item.name}”不能预约该时段，请选择该事项的预约时段", field="item")
    calendar = get_calendar()
    if not calendar.is_covered(slot.day) or not calendar.is_working_day(slot.day):
        raise InvalidInput(f"{slot.day:%Y年%m月%d日}不是工作日，不能预约", field="slot")
    if not within_hours(slot.hall, slot.starts_at, slot.ends_at):
        raise InvalidInput(f"该时段不在大厅办公时间（{slot.hall.opening_hours}）内", field="slot")
    if slot.starts_at <= now:
        raise InvalidInput("该时段已过，请选择其他时段", field="slot")
    if slot.starts_at - now < timedelta(hours=plan.cutoff_hours):
        raise InvalidInput(f"须在时段开始{plan.cutoff_hours}小时前预约，该时段已截止", field="slot")


def _take_place(slot_id: int, *, priority: bool) -> bool:
    """Take one place with a conditional UPDATE; priority bookers use the reserved places first.
    Returns whether a priority place was used; Conflict when the slot is full."""
    if priority:
        took = Slot.objects.filter(pk=slot_id, priority_booked__lt=F("priority_capacity")).update(
            priority_booked=F("priority_booked") + 1
        )
        if took:
            return True
    took = Slot.objects.filter(pk=slot_id, booked__lt=F("capacity")).update(booked=F("booked") + 1)
    if not took:
        raise Conflict(FULL, field="slot")
    return False


def _free_place(appointment: Appointment) -> None:
    if appointment.used_priority_place:
        Slot.objects.filter(pk=appointment.slot_id, priority_booked__gt=0).update(
            priority_booked=F("priority_booked") - 1
        )
    else:
        Slot.objects.filter(pk=appointment.slot_id, booked__gt=0).update(booked=F("booked") - 1)


def _double_booked(slot: Slot, *, citizen: Citizen | None, phone: str, exclude: int | None = None) -> bool:
    who = Q(contact_phone=phone)
    if citizen is not None:
        who |= Q(citizen=citizen)
    qs = Appointment.objects.filter(who, slot=slot, state=S.BOOKED)
    if exclude:
        qs = qs.exclude(pk=exclude)
    return qs.exists()


def _notify(appointment: Appointment, event: str, body: str) -> None:
    notify(
        phone=appointment.contact_phone,
        body=body,
        about=appointment,
        dedupe_key=f"appointment-{event}-{appointment.pk}-{appointment.slot_id}",
    )


@dataclass(frozen=True)
class Who:
    citizen: Citizen | None
    name: str
    phone: str
    channel: str
    priority: bool
    reason: str


def _who(
    actor: Actor,
    *,
    citizen: Citizen | None,
    contact_name: str,
    contact_phone: str,
    special_group: str,
    day: date,
) -> Who:
    if actor.kind == ActorKind.CITIZEN:
        own = Citizen.objects.filter(user=actor.user).first()
        if own is None:
            raise NotAllowed("您的账号没有关联自然人信息，请到窗口或电话预约", field="citizen")
        limit = settings.APPOINTMENT_NO_SHOW_LIMIT
        if limit and no_show_count(own) >= limit:
            raise Conflict(
                f"您近{settings.APPOINTMENT_NO_SHOW_BAN_DAYS}天内爽约已达{limit}次，暂停网上预约，"
                "请电话预约或直接到大厅取号",
                field="citizen",
            )
        citizen = own
        channel, special_group = BookingChannel.ONLINE, ""  # a special group is confirmed by staff
    else:
        authorise(actor, doing="电话预约", permission=BOOK_PERMISSION)
        channel = BookingChannel.PHONE
    name = _text(
        contact_name or (citizen.name if citizen else ""), field="contact_name", label="联系人", max_length=50
    )
    phone = _phone(contact_phone or (citizen.phone if citizen else ""))
    reason = ""
    if citizen is not None and age_on(citizen, day) >= ELDER_AGE:
        reason = "长者"
    elif special_group:
        reason = _text(special_group, field="special_group", label="特殊群体类别", max_length=50)
    return Who(citizen, name, phone, channel, bool(reason), reason)


# ---------------------------------------------------------------------------------------------
# Use cases
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def book(
    *,
    slot: Slot,
    item: ServiceItem,
    by: Any,
    citizen: Citizen | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    special_group: str = "",
) -> Appointment:
    """预约: a citizen online for themselves, or staff by phone for anyone. A code, a place and an
    SMS; 长者 (60 and over by the ID number) and a special group named by staff get the reserved
    places first."""
    actor = Actor.of(by)
    now = timezone.now()
    slot = Slot.objects.select_related("plan", "hall").get(pk=slot.pk)
    who = _who(
        actor,
        citizen=citizen,
        contact_name=contact_name,
        contact_phone=contact_phone,
        special_group=special_group,
        day=slot.day,
    )
    _check_slot(slot, item, now=now)
    if _double_booked(slot, citizen=who.citizen, phone=who.phone):
        raise Conflict("同一人在该时段已有预约，不能重复预约", field="slot")
    used_priority = _take_place(slot.pk, priority=who.priority)
    try:
        with transaction.atomic():
            appointment = Appointment.objects.create(
                code=daily_number(CODE_PREFIX, kind="appointment", width=5),
                hall_id=slot.hall_id,
                slot=slot,
                item=item,
                citizen=who.citizen,
                contact_name=who.name,
                contact_phone=who.phone,
                priority=who.priority,
                priority_reason=who.reason,
                used_priority_place=used_priority,
                channel=who.channel,
                booked_by=actor.person if actor.kind == ActorKind.STAFF else None,
            )
    except IntegrityError as exc:  # the same person in the same slot, a moment earlier
        raise Conflict("同一人在该时段已有预约，不能重复预约", field="slot") from exc
    _notify(
        appointment,
        "booked",
        f"【政务服务】您已预约{slot.hall.name}{slot.label}办理“{item.name}”，预约号{appointment.code}。"
        "请提前10分钟到大厅签到取号；不能前来请提前取消。",
    )
    return appointment


def _lock(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update()
        .select_related("slot__plan", "slot__hall", "item")
        .get(pk=appointment.pk)
    )


def _may_change(actor: Actor, appointment: Appointment, doing: str) -> None:
    if actor.kind == ActorKind.CITIZEN:
        owner = appointment.citizen.user_id if appointment.citizen else None
        authorise(actor, doing=doing, owner_ids=(owner,))
    else:
        authorise(actor, doing=doing, permission=BOOK_PERMISSION)


@transaction.atomic
def cancel(*, appointment: Appointment, by: Any) -> Appointment:
    """取消: the place goes back to the slot."""
    actor = Actor.of(by)
    appointment = _lock(appointment)
    _may_change(actor, appointment, "取消预约")
    if appointment.state != S.BOOKED:
        raise Conflict(f"该预约{appointment.get_state_display()}，不能取消", field="state")
    if appointment.slot.starts_at <= timezone.now():
        raise Conflict("预约时段已开始，不能取消", field="state")
    _free_place(appointment)
    appointment.state = S.CANCELLED
    appointment.cancelled_at = timezone.now()
    appointment.save(update_fields=["state", "cancelled_at", "updated_at"])
    _notify(
        appointment,
        "cancelled",
        f"【政务服务】您的预约{appointment.code}（{appointment.slot.label}）已取消。",
    )
    return appointment


@transaction.atomic
def rebook(*, appointment: Appointment, slot: Slot, by: Any) -> Appointment:
    """改约: the same appointment (and code) moves to another slot of the same hall; the old place
    is freed only once the new one is taken."""
    actor = Actor.of(by)
    appointment = _lock(appointment)
    _may_change(actor, appointment, "改约")
    if appointment.state != S.BOOKED:
        raise Conflict(f"该预约{appointment.get_state_display()}，不能改约", field="state")
    slot = Slot.objects.select_related("plan", "hall").get(pk=slot.pk)
    if slot.pk == appointment.slot_id:
        raise InvalidInput("请选择一个不同的时段", field="slot")
    if slot.hall_id != appointment.hall_id:
        raise InvalidInput("只能改约同一大厅的时段", field="slot")
    _check_slot(slot, appointment.item, now=timezone.now())
    if _double_booked(
        slot, citizen=appointment.citizen, phone=appointment.contact_phone, exclude=appointment.pk
    ):
        raise Conflict("同一人在该时段已有预约，不能重复预约", field="slot")
    used_priority = _take_place(slot.pk, priority=appointment.priority)
    _free_place(appointment)
    appointment.slot = slot
    appointment.used_priority_place = used_priority
    appointment.save(update_fields=["slot", "used_priority_place", "updated_at"])
    _notify(
        appointment,
        "rebooked",
        f"【政务服务】您的预约{appointment.code}已改到{slot.hall.name}{slot.label}。",
    )
    return appointment


@transaction.atomic
def check_in(*, appointment: Appointment, by: Any) -> Appointment:
    """签到: records the time. Called by ``queue.check_in_appointment``, which issues the number."""
    actor = Actor.of(by)
    appointment = _lock(appointment)
    if actor.kind == ActorKind.CITIZEN:
        _may_change(actor, appointment, "签到")
    elif actor.kind != ActorKind.DEVICE:
        authorise(actor, doing="签到", permission=BOOK_PERMISSION)
    if appointment.state == S.CHECKED_IN:
        raise Conflict("该预约已签到，不能重复签到", field="state")
    if appointment.state != S.BOOKED:
        raise Conflict(f"该预约{appointment.get_state_display()}，不能签到", field="state")
    if appointment.slot.day != timezone.localdate():
        raise Conflict(f"只能在预约当天（{appointment.slot.day:%Y-%m-%d}）签到", field="state")
    appointment.state = S.CHECKED_IN
    appointment.checked_in_at = timezone.now()
    appointment.save(update_fields=["state", "checked_in_at", "updated_at"])
    return appointment


@transaction.atomic
def mark_no_shows(*, by: Any, now: datetime | None = None) -> int:
    """爽约: bookings not checked in by the end of their slot (plus a grace period). Idempotent:
    only rows still 已预约 move, so a doubled run changes nothing."""
    actor = Actor.of(by) if not isinstance(by, Actor) else by
    authorise(actor, doing="记录爽约", permission="hall.change_appointment")
    at = now or timezone.now()
    return Appointment.objects.filter(state=S.BOOKED, slot__ends_at__lt=at - NO_SHOW_GRACE).update(
        state=S.NO_SHOW, no_show_at=at, updated_at=at
    )
