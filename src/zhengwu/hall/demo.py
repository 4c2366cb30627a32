"""示范市: an appointment plan for the demo hall, its slots and a few bookings. Idempotent: the
plan is found by name, slots already open are kept, bookings are made only once."""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from zhengwu.accounts.models import Citizen
from zhengwu.calendar.selectors import get_calendar
from zhengwu.casework.actors import Actor
from zhengwu.catalog.models import ServiceItem
from zhengwu.catalog.selectors import published_items
from zhengwu.core.errors import DomainError
from zhengwu.org.models import Hall, Window, WindowKind

from . import services
from .models import Appointment, AppointmentPlan, QueueTicket, TicketState

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


# ---------------------------------------------------------------------------------------------
# Queue history: the past working days' numbers, called, served, passed over and transferred,
# and today's queue so far
# ---------------------------------------------------------------------------------------------

QUEUE_SEED = 20261204
HISTORY_DAYS = 20  # working days before today
# The windows that call numbers in the demo, and who sits at each: (window, username, name, role).
# ``clerk`` (A01) and ``delivery`` (B01) are the accounts demo's logins; the others are staff
# accounts nobody logs in with.
CALLERS = [
    ("A01", "clerk", "王窗口", "clerk"),
    ("A02", "window-a02", "综合受理2号窗口", "clerk"),
    ("A03", "window-a03", "综合受理3号窗口", "clerk"),
    ("A04", "window-a04", "综合受理4号窗口", "clerk"),
    ("B01", "delivery", "钱出件", "delivery_clerk"),
    ("C03", "window-c03", "万人助万企窗口", "clerk"),
]
# Numbers each window serves in a day (drawn between these), and the kind of business they come for.
PER_WINDOW = {"A": (4, 5), "B": (2, 3), "C": (1, 2)}
SPARE = 0.2  # share of a 综合受理 window's calls planned without a holder: it catches up on the queue
KIND_OF = {"A": WindowKind.COMPREHENSIVE, "B": WindowKind.DELIVERY, "C": WindowKind.ENTERPRISE}
PERIODS = [((9, 10), (11, 55)), ((13, 40), (17, 20))]  # inside 9:00-12:00 13:30-17:30


@dataclass
class _Ticket:
    """One planned number: when its holder arrives and how it is taken."""

    arrive: datetime
    kind: str
    how: str  # "kiosk", "elder", "online", "appointment"
    item: ServiceItem | None = None
    citizen: Citizen | None = None
    appointment: Appointment | None = None
    number: str = ""


@dataclass
class _Day:
    """The day's events in time order (a heap: calls add their holder's later steps)."""

    day: date
    events: list[tuple[datetime, int, bool, Callable[[], object]]] = field(default_factory=list)
    seq: Iterator[int] = field(default_factory=itertools.count)
    now: datetime | None = None  # the moment of the event being run
    waiting: int = 0  # numbers present and not called yet: an idle window looks only when some are

    def at(self, moment: datetime, step: Callable[[], object], *, timed: bool = True) -> None:
        """``timed``: run with the clock at ``moment``; a step that only looks moves it itself."""
        heapq.heappush(self.events, (moment, next(self.seq), timed, step))


def _callers(hall: Hall) -> list[tuple[Window, Any]]:
    from django.contrib.auth.models import Group

    from zhengwu.accounts.models import User
    from zhengwu.accounts.roles import ROLE_BY_CODE

    windows = {w.number: w for w in hall.windows.all()}
    out = []
    for number, username, name, role in CALLERS:
        window = windows.get(number)
        if window is None or not window.is_open:
            continue
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, name=name, is_staff=True, window=window)
            user.set_unusable_password()
            user.save()
            user.groups.set([Group.objects.get(name=ROLE_BY_CODE[role].name)])
        if user.window_id != window.pk:
            continue  # someone moved this login elsewhere: leave their desk alone
        out.append((window, user))
    return out


def _moment(day: date, hm: tuple[int, int]) -> datetime:
    return datetime.combine(day, time(*hm), tzinfo=timezone.get_current_timezone())


def _slots(rng: random.Random, day: date, count: int) -> list[tuple[datetime, datetime]]:
    """``count`` services at one window over the day: 3-20 minutes each, one after another with
    short breaks, spread over the morning and the afternoon."""
    out: list[tuple[datetime, datetime]] = []
    starts: list[datetime] = []
    for start, end in PERIODS:
        a, b = _moment(day, start), _moment(day, end)
        span = int((b - a).total_seconds())
        starts += [a + timedelta(seconds=rng.randrange(span)) for _ in range(count)]
    starts = sorted(rng.sample(starts, count))
    free = datetime.min.replace(tzinfo=timezone.get_current_timezone())
    for s in starts:
        s = max(s, free)
        e = s + timedelta(seconds=rng.randint(4 * 60 + 30, 21 * 60))  # the holder walks up, then 3-20 min
        if not any(
            _moment(day, p[0]) <= s and e <= _moment(day, p[1]) + timedelta(minutes=8) for p in PERIODS
        ):
            continue  # ran past the period's end: this one is not planned
        out.append((s, e))
        free = e + timedelta(seconds=rng.randint(30, 5 * 60))
    return out


def _plan_day(
    rng: random.Random,
    hall: Hall,
    day: date,
    callers: list[tuple[Window, Any]],
    items: list[ServiceItem],
    online: list[Citizen],
    booked: list[Appointment],
    until: datetime | None,
) -> _Day:
    """The day's numbers and the windows' calls. Each call is planned with a holder who came 5-40
    minutes before it; the queue's own rule decides whom the window actually calls."""
    from . import queue

    plan = _Day(day)
    kiosk = Actor.device("演示取号机")
    system = Actor.system("演示数据")
    tickets: list[_Ticket] = []
    appointments = list(booked)
    for window, user in callers:
        letter = window.number[0]
        lo, hi = PER_WINDOW.get(letter, (2, 4))
        slots = _slots(rng, day, rng.randint(lo, hi))
        for n, (start, end) in enumerate(slots):
            after = slots[n + 1][0] if n + 1 < len(slots) else _moment(day, PERIODS[-1][1])
            plan.at(start, _caller(plan, window, user, rng, start, end, after))
            if letter == "A" and rng.random() < SPARE:
                continue
            arrive = start - timedelta(seconds=rng.randint(5 * 60, 40 * 60))
            opening = _moment(day, (9, 1) if start.hour < 13 else (13, 31))
            arrive = max(arrive, opening)
            kind = KIND_OF.get(letter, WindowKind.COMPREHENSIVE)
            roll = rng.random()
            how = "kiosk"
            if kind == WindowKind.COMPREHENSIVE and appointments and roll < 0.15:
                how = "appointment"
            elif roll < 0.25 and online:
                how = "online"
            elif roll < 0.35:
                how = "elder"
            item = (
                rng.choice(items)
                if items and kind == WindowKind.COMPREHENSIVE and rng.random() < 0.7
                else None
            )
            t = _Ticket(arrive=arrive, kind=kind, how=how, item=item)
            if how == "appointment":
                t.appointment = appointments.pop()
            elif how == "online":
                t.citizen = online.pop(rng.randrange(len(online)))
            tickets.append(t)
    for t in tickets:
        plan.at(t.arrive, _arrival(plan, hall, t, kiosk, rng))
    # online numbers taken but never checked in: they lapse
    for citizen in online[: rng.randint(1, 2)]:
        issued = _moment(day, (9, rng.randint(5, 50)))
        plan.at(issued, _online_only(hall, citizen))
    if until is None:  # the day's end: the periodic jobs, and the last people served
        closing = _moment(day, (17, 40))
        plan.at(closing, lambda: queue.lapse_online(by=system, now=closing))
        plan.at(closing, lambda: services.mark_no_shows(by=system, now=closing + timedelta(hours=1)))
        plan.at(closing, lambda: _drain(callers, closing, rng))
    return plan


def _arrival(plan: _Day, hall: Hall, t: _Ticket, kiosk: Actor, rng: random.Random) -> Callable[[], object]:
    from . import queue

    def step() -> None:
        if t.how == "appointment" and t.appointment is not None:
            queue.check_in_appointment(hall=hall, code=t.appointment.code, by=kiosk)
        elif t.how == "online" and t.citizen is not None and t.citizen.user is not None:
            import time_machine

            # taken on the phone a little before coming: the place is held from then
            early = max(t.arrive - timedelta(minutes=rng.randint(3, 20)), _moment(t.arrive.date(), (9, 0)))
            if t.arrive.hour >= 13:
                early = max(early, _moment(t.arrive.date(), (13, 30)))
            with time_machine.travel(early, tick=False):
                ticket = queue.take_number_online(hall=hall, window_kind=t.kind, by=t.citizen.user)
            queue.check_in_online(hall=hall, number=ticket.number, by=kiosk)
        else:
            queue.take_number(hall=hall, window_kind=t.kind, by=kiosk, elder=t.how == "elder", item=t.item)
        plan.waiting += 1

    return step


def _online_only(hall: Hall, citizen: Citizen) -> Callable[[], object]:
    from . import queue

    def step() -> None:
        if citizen.user is not None:
            queue.take_number_online(hall=hall, window_kind=WindowKind.COMPREHENSIVE, by=citizen.user)

    return step


def _caller(
    plan: _Day,
    window: Window,
    user: Any,
    rng: random.Random,
    start: datetime,
    end: datetime,
    after: datetime,
) -> Callable[[], object]:
    """At ``start`` the window calls the next number; its holder comes (or, now and then, does not:
    过号), is served until ``end``, and is sometimes sent on to another window (转移). Free again,
    the window keeps an eye on the queue until its next planned call at ``after``."""
    from . import queue

    def step() -> None:
        ticket = queue.call_next(window=window, by=user)
        if ticket is None:
            plan.at(start + timedelta(minutes=8), _catch_up(plan, window, user, rng, after), timed=False)
            return
        plan.waiting -= 1
        roll = rng.random()
        if roll < 0.05:
            skip_at = start + timedelta(seconds=rng.randint(60, 120))
            plan.at(skip_at, lambda: queue.skip(ticket=ticket, by=user))
            plan.at(skip_at + timedelta(minutes=1), _catch_up(plan, window, user, rng, after), timed=False)
            return
        plan.at(end + timedelta(minutes=2), _catch_up(plan, window, user, rng, after), timed=False)
        plan.at(
            start + timedelta(seconds=rng.randint(20, 90)),
            lambda: queue.start_service(ticket=ticket, by=user),
        )
        if roll < 0.13 and ticket.window_kind == WindowKind.COMPREHENSIVE:
            plan.at(end, lambda: _transfer(plan, ticket, user))
        else:
            plan.at(end, lambda: queue.finish_service(ticket=ticket, by=user))

    return step


def _transfer(plan: _Day, ticket: QueueTicket, user: Any) -> None:
    """转移 to the 出件 window: the number waits again there."""
    from . import queue

    queue.transfer(ticket=ticket, window_kind=WindowKind.DELIVERY, by=user)
    plan.waiting += 1


def _catch_up(
    plan: _Day, window: Window, user: Any, rng: random.Random, after: datetime
) -> Callable[[], object]:
    """An idle window calls someone who has waited a while, if it can serve them before its next
    planned call; otherwise it looks again in twenty minutes."""
    from . import queue

    def step() -> None:
        import time_machine

        now = plan.now
        assert now is not None
        in_hours = any(_moment(timezone.localdate(now), a) <= timezone.localtime(now) for a, _ in PERIODS)
        if not in_hours or now + timedelta(minutes=6) > after:
            return
        if plan.waiting <= 0:
            plan.at(now + timedelta(minutes=20), _catch_up(plan, window, user, rng, after), timed=False)
            return
        first = queue.callable_for(window, timezone.localdate(now)).first()
        if first is not None and now - (first.checked_in_at or first.issued_at) >= timedelta(minutes=12):
            with time_machine.travel(now, tick=False):
                ticket = queue.call_next(window=window, by=user)
                if ticket is not None:
                    queue.start_service(ticket=ticket, by=user)
            if ticket is not None:
                plan.waiting -= 1
                took = min(
                    timedelta(seconds=rng.randint(3 * 60, 15 * 60)), after - now - timedelta(minutes=1)
                )
                plan.at(now + took, lambda: queue.finish_service(ticket=ticket, by=user))
                plan.at(
                    now + took + timedelta(minutes=1), _catch_up(plan, window, user, rng, after), timed=False
                )
                return
        plan.at(now + timedelta(minutes=20), _catch_up(plan, window, user, rng, after), timed=False)

    return step


def _drain(callers: list[tuple[Window, Any]], closing: datetime, rng: random.Random) -> None:
    """Closing time: whoever is still waiting is called and served before the staff go home."""
    import time_machine

    from . import queue

    free = {window.pk: closing for window, _ in callers}
    for _ in range(50):
        called = False
        for window, user in callers:
            moment = free[window.pk] + timedelta(seconds=rng.randint(20, 90))
            with time_machine.travel(moment, tick=False):
                ticket = queue.call_next(window=window, by=user)
                if ticket is not None:
                    queue.start_service(ticket=ticket, by=user)
            if ticket is None:
                continue
            called = True
            moment += timedelta(seconds=rng.randint(3 * 60, 12 * 60))
            with time_machine.travel(moment, tick=False):
                queue.finish_service(ticket=ticket, by=user)
            free[window.pk] = moment
        if not called:
            return


def _run_day(plan: _Day, until: datetime | None) -> None:
    import time_machine

    while plan.events:
        moment, _, timed, step = heapq.heappop(plan.events)
        if until is not None and moment >= until:
            break
        plan.now = moment
        if not timed:  # a look at the queue: no clock needed unless it calls
            step()
            continue
        with time_machine.travel(moment, tick=False):
            step()


def _book(
    rng: random.Random, plan: AppointmentPlan, day: date, items: list[ServiceItem]
) -> list[Appointment]:
    """Two or three phone bookings for ``day``, made two days before it."""
    import time_machine

    system = Actor.system("演示数据")
    callers = list(Citizen.objects.exclude(phone="").filter(phone__startswith="1").order_by("pk")[:12])
    if not callers or not items:
        return []
    out = []
    before = _moment(day - timedelta(days=2), (10, 0))
    with time_machine.travel(before, tick=False):
        services.open_slots(plan=plan, by=system, start=day, days=1)
        slots = services.bookable_slots(hall=plan.hall, day=day)
        for citizen in rng.sample(callers, k=min(len(callers), rng.randint(2, 3))):
            if not slots:
                break
            slot = rng.choice(slots)
            try:
                out.append(
                    services.book(
                        slot=slot,
                        item=rng.choice(items),
                        by=system,
                        citizen=citizen,
                        contact_phone=citizen.phone,
                    )
                )
            except DomainError:
                continue  # full or the same person twice: the caller picks another day
    return out


@transaction.atomic
def load_demo_queue(days: int = HISTORY_DAYS) -> int:
    """The demo hall's queue over the past ``days`` working days, and today's so far when the hall
    is open now. A day that already has numbers is left as it is. Returns the numbers issued."""
    from . import queue

    hall = Hall.objects.filter(name=DEMO_HALL).first()
    plan = AppointmentPlan.objects.filter(hall=hall).first() if hall else None
    if hall is None or plan is None:
        return 0
    callers = _callers(hall)
    if not callers:
        return 0
    cal = get_calendar()
    now = timezone.now().replace(microsecond=0)
    today = timezone.localdate(now)
    past: list[date] = []
    day = today
    while len(past) < days and day > today - timedelta(days=days * 3):
        day -= timedelta(days=1)
        if cal.is_covered(day) and cal.is_working_day(day):
            past.append(day)
    targets: list[tuple[date, datetime | None]] = [(d, None) for d in sorted(past)]
    if queue.hall_open(hall, now) and now - _moment(today, (9, 0)) > timedelta(minutes=30):
        targets.append((today, now))
    items = list(published_items().order_by("name")[:12])
    online_people = list(
        Citizen.objects.filter(user__isnull=False, user__is_active=True, user__is_staff=False).order_by("pk")[
            :6
        ]
    )
    seen = set(
        QueueTicket.objects.filter(hall=hall, day__in=[d for d, _ in targets]).values_list("day", flat=True)
    )
    before = QueueTicket.objects.filter(hall=hall).count()
    for day, until in targets:
        rng = random.Random(f"{QUEUE_SEED}-{day:%Y%m%d}")
        if day in seen:
            continue
        booked = _book(rng, plan, day, items) if until is None else []
        day_plan = _plan_day(rng, hall, day, callers, items, list(online_people), booked, until)
        _run_day(day_plan, until)
        if until is not None:
            _waiting_now(hall, now, callers, random.Random(QUEUE_SEED))
    return QueueTicket.objects.filter(hall=hall).count() - before


def _waiting_now(hall: Hall, now: datetime, callers: list[tuple[Window, Any]], rng: random.Random) -> None:
    """A few people who took a number in the last minutes, and free windows calling two of them:
    the hall screen has numbers being served and people waiting."""
    import time_machine

    from . import queue

    kiosk = Actor.device("演示取号机")
    kinds = [WindowKind.COMPREHENSIVE] * 5 + [WindowKind.DELIVERY, WindowKind.ENTERPRISE]
    for n in range(8):
        moment = now - timedelta(minutes=16 - 2 * n)
        if not queue.hall_open(hall, moment):
            continue
        with time_machine.travel(moment, tick=False):
            queue.take_number(hall=hall, window_kind=rng.choice(kinds), by=kiosk, elder=n == 2)
    calls = 0
    with time_machine.travel(now - timedelta(seconds=40), tick=False):
        for window, user in callers:
            busy = QueueTicket.objects.filter(
                window=window, state__in=(TicketState.CALLED, TicketState.SERVING)
            )
            if calls == 2 or busy.exists():
                continue
            ticket = queue.call_next(window=window, by=user)
            if ticket is not None:
                queue.start_service(ticket=ticket, by=user)
                calls += 1
