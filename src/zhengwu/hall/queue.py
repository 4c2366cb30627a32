"""取号/叫号 — every change to a hall's queue goes through here: keyword-only, atomic, taking the
actor.

Numbers come from a per-hall, per-day, per-prefix counter row locked until the transaction ends
(``casework.numbers.next_in_day``), so two kiosks never print the same number. A window calls
the first waiting number it may handle in the order (rank, time taken): priority (长者) and
appointment numbers, and numbers transferred on, ahead of walk-ins; a 综合受理 window takes any
business, other windows their own kind, and a 专业窗口 only its own department's items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from zhengwu.accounts.models import Citizen
from zhengwu.calendar.selectors import get_calendar
from zhengwu.casework.actors import Actor, ActorKind, authorise
from zhengwu.casework.numbers import next_in_day
from zhengwu.catalog.models import ServiceItem
from zhengwu.core.errors import Conflict, InvalidInput, NotAllowed
from zhengwu.org.models import Hall, Window, WindowKind

from . import services as appointments
from .models import Appointment, QueueTicket, TicketSource, TicketState

T = TicketState
CALL_PERMISSION = "hall.call_number"
MINUTES_PER_NUMBER = 6  # the estimate's rate until the day's own service times say otherwise
ONLINE_GRACE = timedelta(minutes=30)  # an online number lapses this long after its estimated call
PREFIX = {"walk_in": "A", "online": "W", "appointment": "Y", "priority": "L"}
LIVE = (T.WAITING, T.CALLED, T.SERVING)


def _actor(by: Any) -> Actor:
    return by if isinstance(by, Actor) else Actor.of(by)


def hall_open(hall: Hall, at: datetime) -> bool:
    """Open on a working day of the calendar and inside the hall's opening hours."""
    calendar = get_calendar()
    day = timezone.localdate(at)
    if not calendar.is_covered(day) or not calendar.is_working_day(day):
        return False
    return appointments.within_hours(hall, at, at + timedelta(seconds=1))


def _check_open(hall: Hall, at: datetime) -> None:
    if not hall_open(hall, at):
        raise Conflict(f"{hall.name}现在不在办公时间（{hall.opening_hours}），不能取号", field="hall")


def _issue(
    *,
    hall: Hall,
    kind: str,
    prefix: str,
    rank: int,
    source: str,
    now: datetime,
    item: ServiceItem | None = None,
    citizen: Citizen | None = None,
    appointment: Appointment | None = None,
    priority: bool = False,
    checked_in: bool = True,
) -> QueueTicket:
    day = timezone.localdate(now)
    n = next_in_day(f"queue-{hall.pk}-{prefix}", day)
    return QueueTicket.objects.create(
        hall=hall,
        day=day,
        number=f"{prefix}{n:03d}",
        window_kind=kind,
        item=item,
        source=source,
        priority=priority,
        rank=rank,
        citizen=citizen,
        appointment=appointment,
        issued_at=now,
        checked_in_at=now if checked_in else None,
    )


def _kind(value: Any) -> str:
    if value not in WindowKind.values:
        raise InvalidInput("请选择要办理的业务", field="window_kind")
    return str(value)


def _served_kinds(hall: Hall) -> set[str]:
    return set(Window.objects.filter(hall=hall, is_open=True).values_list("kind", flat=True))


def _check_kind(hall: Hall, kind: str) -> None:
    kinds = _served_kinds(hall)
    if kind not in kinds and WindowKind.COMPREHENSIVE not in kinds:
        raise InvalidInput(f"{hall.name}没有开放“{WindowKind(kind).label}”窗口", field="window_kind")


@transaction.atomic
def take_number(
    *, hall: Hall, window_kind: Any, by: Any, elder: bool = False, item: ServiceItem | None = None
) -> QueueTicket:
    """现场取号 at the kiosk: A001 …, or L001 … for 长者 and special groups, who are called first."""
    _actor(by)
    now = timezone.now()
    kind = _kind(window_kind)
    _check_open(hall, now)
    _check_kind(hall, kind)
    prefix = PREFIX["priority"] if elder else PREFIX["walk_in"]
    return _issue(
        hall=hall,
        kind=kind,
        prefix=prefix,
        rank=0 if elder else 1,
        source=TicketSource.KIOSK,
        now=now,
        item=item,
        priority=elder,
    )


def waiting_ahead(hall: Hall, kind: str, day: date) -> int:
    return QueueTicket.objects.filter(hall=hall, day=day, state=T.WAITING, window_kind=kind).count()


@transaction.atomic
def take_number_online(*, hall: Hall, window_kind: Any, by: Any) -> QueueTicket:
    """在线取号: a citizen holds a place before coming, with an estimated call time; the number is
    called only once checked in at the kiosk and lapses if not checked in in time."""
    actor = Actor.of(by)
    if actor.kind != ActorKind.CITIZEN:
        raise NotAllowed("在线取号须用群众账号登录", field="citizen")
    citizen = Citizen.objects.filter(user=actor.user).first()
    if citizen is None:
        raise NotAllowed("您的账号没有关联自然人信息，请到大厅现场取号", field="citizen")
    now = timezone.now()
    kind = _kind(window_kind)
    _check_open(hall, now)
    _check_kind(hall, kind)
    day = timezone.localdate(now)
    if QueueTicket.objects.filter(
        hall=hall, day=day, citizen=citizen, source=TicketSource.ONLINE, state__in=LIVE
    ).exists():
        raise Conflict("您今天在该大厅已有在线取号，不能重复取号", field="hall")
    ahead = waiting_ahead(hall, kind, day)
    ticket = _issue(
        hall=hall,
        kind=kind,
        prefix=PREFIX["online"],
        rank=1,
        source=TicketSource.ONLINE,
        now=now,
        citizen=citizen,
        checked_in=False,
    )
    ticket.estimated_call_at = now + timedelta(minutes=MINUTES_PER_NUMBER * (ahead + 1))
    ticket.expires_at = ticket.estimated_call_at + ONLINE_GRACE
    ticket.save(update_fields=["estimated_call_at", "expires_at", "updated_at"])
    return ticket


def _lock(ticket: QueueTicket) -> QueueTicket:
    return (
        QueueTicket.objects.select_for_update(of=("self",))
        .select_related("hall", "item", "window", "appointment")
        .get(pk=ticket.pk)
    )


@transaction.atomic
def check_in_online(*, hall: Hall, number: str, by: Any) -> QueueTicket:
    """到场签到 of an online number at the kiosk (by its number)."""
    _actor(by)
    number = (number or "").strip().upper()
    if not number:
        raise InvalidInput("请输入在线取号的号码", field="number")
    found = QueueTicket.objects.filter(
        hall=hall, day=timezone.localdate(), number=number, source=TicketSource.ONLINE
    ).first()
    if found is None:
        raise InvalidInput(f"今天{hall.name}没有在线取号 {number}", field="number")
    ticket = _lock(found)
    if ticket.checked_in_at is not None:
        raise Conflict(f"{number} 已签到，不能重复签到", field="number")
    if ticket.state != T.WAITING:
        raise Conflict(f"{number} {ticket.get_state_display()}，请重新取号", field="number")
    now = timezone.now()
    if ticket.expires_at and ticket.expires_at < now:
        ticket.state = T.LAPSED
        ticket.save(update_fields=["state", "updated_at"])
        raise Conflict(f"{number} 已超过签到时间失效，请重新取号", field="number")
    ticket.checked_in_at = now
    ticket.save(update_fields=["checked_in_at", "updated_at"])
    return ticket


@transaction.atomic
def check_in_appointment(*, hall: Hall, code: str, by: Any) -> QueueTicket:
    """预约签到 at the kiosk or the desk: the appointment is checked in (same day only, once) and
    gets a Y number — or L for 长者 — called ahead of walk-ins."""
    actor = _actor(by)
    code = (code or "").strip().upper()
    if not code:
        raise InvalidInput("请输入预约号", field="code")
    appointment = Appointment.objects.filter(code=code).select_related("slot__plan").first()
    if appointment is None or appointment.hall_id != hall.pk:
        raise InvalidInput(f"{hall.name}没有预约号 {code}", field="code")
    now = timezone.now()
    _check_open(hall, now)
    if appointment.state == "checked_in":
        raise Conflict("该预约已签到，不能重复签到", field="code")
    if appointment.slot.day != timezone.localdate(now):
        raise Conflict(f"只能在预约当天（{appointment.slot.day:%Y-%m-%d}）签到", field="code")
    appointment = appointments.check_in(appointment=appointment, by=actor)
    prefix = PREFIX["priority"] if appointment.priority else PREFIX["appointment"]
    return _issue(
        hall=hall,
        kind=appointment.slot.plan.window_kind,
        prefix=prefix,
        rank=0,
        source=TicketSource.APPOINTMENT,
        now=now,
        item=appointment.item,
        citizen=appointment.citizen,
        appointment=appointment,
        priority=appointment.priority,
    )


# ---------------------------------------------------------------------------------------------
# The window
# ---------------------------------------------------------------------------------------------


def handles(window: Window, ticket: QueueTicket) -> bool:
    """Whether this window may serve the number: 综合受理 any; a 专业窗口 its department's items;
    any other window its own kind of business."""
    if window.kind == WindowKind.COMPREHENSIVE:
        return True
    if ticket.item is not None and window.department_id and ticket.item.department_id == window.department_id:
        return True
    return window.kind == ticket.window_kind and (window.kind != WindowKind.SPECIAL or ticket.item is None)


def callable_for(window: Window, day: date) -> QuerySet[QueueTicket]:
    """Waiting, present numbers this window may call, in the calling order."""
    qs = QueueTicket.objects.filter(
        hall_id=window.hall_id, day=day, state=T.WAITING, checked_in_at__isnull=False
    )
    if window.kind != WindowKind.COMPREHENSIVE:
        mine = Q(window_kind=window.kind)
        if window.kind == WindowKind.SPECIAL:
            mine &= Q(item__isnull=True)
        if window.department_id:
            mine |= Q(item__department_id=window.department_id)
        qs = qs.filter(mine)
    return qs.order_by("rank", "issued_at", "pk")


def _window_of(actor: Actor, window: Window | None, doing: str) -> Window:
    authorise(actor, doing=doing, permission=CALL_PERMISSION)
    if window is None:
        window = getattr(actor.user, "window", None)
    if window is None:
        raise NotAllowed("您的账号没有分配到大厅窗口，请联系管理员设置“所在窗口”", field="window")
    if not window.is_open:
        raise Conflict(f"{window.number}窗口未开放，不能叫号", field="window")
    return window


def _busy(window: Window) -> QueueTicket | None:
    return QueueTicket.objects.filter(window=window, state__in=(T.CALLED, T.SERVING)).first()


@transaction.atomic
def call_next(*, window: Window | None = None, by: Any) -> QueueTicket | None:
    """叫号: the first number by rule this window handles; None when nobody is waiting. The
    chosen row is locked (skipping rows another window is taking) so two windows never call
    the same number."""
    actor = _actor(by)
    window = _window_of(actor, window, "叫号")
    current = _busy(window)
    if current is not None:
        raise Conflict(f"请先办结或过号当前号码 {current.number}", field="window")
    qs = callable_for(window, timezone.localdate())
    if transaction.get_connection().features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    ticket = qs.first()
    if ticket is None:
        return None
    now = timezone.now()
    ticket.state = T.CALLED
    ticket.window = window
    ticket.called_at = now
    ticket.call_count += 1
    ticket.save(update_fields=["state", "window", "called_at", "call_count", "updated_at"])
    return ticket


@transaction.atomic
def call_number(*, number: str, window: Window | None = None, by: Any) -> QueueTicket:
    """指定叫号: call a given waiting number out of turn (a holder who came back to the window,
    a number the screen missed); refused when this window does not handle its business."""
    actor = _actor(by)
    window = _window_of(actor, window, "叫号")
    number = (number or "").strip().upper()
    if not number:
        raise InvalidInput("请输入要叫的号码", field="number")
    current = _busy(window)
    if current is not None:
        raise Conflict(f"请先办结或过号当前号码 {current.number}", field="window")
    found = (
        QueueTicket.objects.filter(hall_id=window.hall_id, day=timezone.localdate(), number=number)
        .exclude(state=T.TRANSFERRED)
        .first()
    )
    if found is None:
        raise InvalidInput(f"今天没有号码 {number}", field="number")
    ticket = _lock(found)
    if not handles(window, ticket):
        what = ticket.item.name if ticket.item else WindowKind(ticket.window_kind).label
        raise NotAllowed(f"{window.number}窗口不办理“{what}”，不能叫 {number}", field="number")
    if ticket.state != T.WAITING or ticket.checked_in_at is None:
        state = "未签到" if ticket.checked_in_at is None else ticket.get_state_display()
        raise Conflict(f"{number} {state}，不能叫号", field="number")
    ticket.state = T.CALLED
    ticket.window = window
    ticket.called_at = timezone.now()
    ticket.call_count += 1
    ticket.save(update_fields=["state", "window", "called_at", "call_count", "updated_at"])
    return ticket


def _own(actor: Actor, ticket: QueueTicket, doing: str, states: tuple[str, ...]) -> QueueTicket:
    window = _window_of(actor, None, doing)
    ticket = _lock(ticket)
    if ticket.window_id != window.pk:
        raise NotAllowed(f"{ticket.number} 不是本窗口叫的号，不能{doing}", field="ticket")
    if ticket.state not in states:
        raise Conflict(f"{ticket.number} {ticket.get_state_display()}，不能{doing}", field="ticket")
    return ticket


@transaction.atomic
def recall(*, ticket: QueueTicket, by: Any) -> QueueTicket:
    """重呼: call the same number again (also a number passed over a moment ago)."""
    actor = _actor(by)
    ticket = _own(actor, ticket, "重呼", (T.CALLED, T.MISSED))
    if ticket.state == T.MISSED and _busy(ticket.window) is not None:  # type: ignore[arg-type]
        raise Conflict("请先办结或过号当前号码", field="window")
    ticket.state = T.CALLED
    ticket.called_at = timezone.now()
    ticket.call_count += 1
    ticket.save(update_fields=["state", "called_at", "call_count", "updated_at"])
    return ticket


@transaction.atomic
def skip(*, ticket: QueueTicket, by: Any) -> QueueTicket:
    """过号: the holder did not come to the window."""
    ticket = _own(_actor(by), ticket, "过号", (T.CALLED,))
    ticket.state = T.MISSED
    ticket.save(update_fields=["state", "updated_at"])
    return ticket


@transaction.atomic
def start_service(*, ticket: QueueTicket, by: Any) -> QueueTicket:
    ticket = _own(_actor(by), ticket, "开始办理", (T.CALLED,))
    ticket.state = T.SERVING
    ticket.served_at = timezone.now()
    ticket.save(update_fields=["state", "served_at", "updated_at"])
    return ticket


@transaction.atomic
def finish_service(*, ticket: QueueTicket, by: Any) -> QueueTicket:
    ticket = _own(_actor(by), ticket, "办结", (T.CALLED, T.SERVING))
    now = timezone.now()
    ticket.state = T.DONE
    ticket.served_at = ticket.served_at or now
    ticket.finished_at = now
    ticket.save(update_fields=["state", "served_at", "finished_at", "updated_at"])
    if (clerk := _actor(by).user) is not None and getattr(clerk, "window", None) is not None:
        from zhengwu.ratings import pads

        pads.record_visit(
            ticket.window or clerk.window,
            clerk,
            "queue",
            ticket.item.name if ticket.item else f"{ticket.number} {ticket.get_window_kind_display()}",
            ticket=ticket,
            item=ticket.item,
            at=now,
        )
    return ticket


@transaction.atomic
def transfer(*, ticket: QueueTicket, window_kind: Any, by: Any) -> QueueTicket:
    """转移: the number goes on to another kind of window, keeping its number and going ahead of
    walk-ins there (its holder has waited once already)."""
    actor = _actor(by)
    kind = _kind(window_kind)
    ticket = _own(actor, ticket, "转移", (T.CALLED, T.SERVING))
    if kind == ticket.window_kind and ticket.item is None:
        raise InvalidInput("请选择另一种业务窗口", field="window_kind")
    _check_kind(ticket.hall, kind)
    now = timezone.now()
    ticket.state = T.TRANSFERRED
    ticket.finished_at = now
    ticket.save(update_fields=["state", "finished_at", "updated_at"])
    return QueueTicket.objects.create(
        hall=ticket.hall,
        day=ticket.day,
        number=ticket.number,
        window_kind=kind,
        item=None,
        source=ticket.source,
        priority=ticket.priority,
        rank=0,
        citizen=ticket.citizen,
        transferred_from=ticket,
        issued_at=now,
        checked_in_at=now,
    )


@transaction.atomic
def lapse_online(*, by: Any, now: datetime | None = None) -> int:
    """已失效: online numbers not checked in by their time. Idempotent: only rows still waiting
    and absent move, so a doubled run changes nothing."""
    actor = _actor(by)
    authorise(actor, doing="在线取号失效", permission="hall.change_queueticket")
    at = now or timezone.now()
    return QueueTicket.objects.filter(
        state=T.WAITING, source=TicketSource.ONLINE, checked_in_at__isnull=True, expires_at__lt=at
    ).update(state=T.LAPSED, updated_at=at)


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------


@dataclass
class Figure:
    window: str
    item: str
    served: int = 0
    wait_total: float = 0.0
    waited: int = 0
    service_total: float = 0.0
    serviced: int = 0

    @property
    def wait_minutes(self) -> float | None:
        return round(self.wait_total / self.waited / 60, 1) if self.waited else None

    @property
    def service_minutes(self) -> float | None:
        return round(self.service_total / self.serviced / 60, 1) if self.serviced else None


def figures(hall: Hall, day: date) -> list[Figure]:
    """等候时长/办理时长 per window and item for one day, from the numbers called that day."""
    rows: dict[tuple[str, str], Figure] = {}
    qs = (
        QueueTicket.objects.filter(hall=hall, day=day, called_at__isnull=False, window__isnull=False)
        .select_related("window", "item")
        .order_by("window__number", "pk")
    )
    for t in qs:
        w = f"{t.window.number} {t.window.name}" if t.window else ""
        i = t.item.name if t.item else WindowKind(t.window_kind).label
        fig = rows.setdefault((w, i), Figure(w, i))
        fig.served += 1
        if (s := t.wait_seconds) is not None:
            fig.wait_total += s
            fig.waited += 1
        if (s := t.service_seconds) is not None:
            fig.service_total += s
            fig.serviced += 1
    return list(rows.values())
