"""Demo 一件事办件 for 示范市: bundle applications for 新生儿出生 (online, by the parents' own
accounts), 企业开办 (at the window) and 失业保险待遇申领 (online), most of them done and handed over
weeks ago so that each bundle page's 实际成效 has figures, a few still in progress (a child waiting
for its 前置事项 among them), one waiting for 预审, and one where an item was refused and the bundle
trimmed. Made by the real services at moments in the past (time-machine), like the single 办件
demo; each carries the idempotency key of its plan, so loading again adds nothing."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from zhengwu.accounts.demo import demo_id_number
from zhengwu.accounts.models import Citizen, Enterprise, User
from zhengwu.accounts.roles import ROLE_BY_CODE
from zhengwu.calendar.selectors import get_calendar
from zhengwu.catalog.models import Bundle, VersionStatus

from . import bundles, services
from .demo import SAMPLE_VALUES, _at, _form, _staff, _upload, _valid_id
from .models import Application, BundleApplication, DeliveryMethod, MaterialStatus
from .workflow import ApplicationState

S = ApplicationState
SEED = 20261204
KEY = "demo-yj-{:03d}"
HOUR = 3600
DAY = 7 * HOUR  # a working day's seconds

# (bundle name, channel, how it ends) — "delivered", "posted", "in_progress", "waiting", "submitted", "refused"
PLANS: list[tuple[str, str, str]] = [
    *[("新生儿出生", "online", "delivered")] * 7,
    ("新生儿出生", "online", "posted"),
    ("新生儿出生", "online", "waiting"),
    ("新生儿出生", "online", "refused"),
    ("新生儿出生", "online", "submitted"),
    *[("企业开办", "window", "delivered")] * 5,
    ("企业开办", "window", "in_progress"),
    ("企业开办", "window", "waiting"),
    *[("失业保险待遇申领", "online", "delivered")] * 4,
    ("失业保险待遇申领", "online", "in_progress"),
]
APPROVER_NAMES = ["冯审批", "陈审批", "褚审批", "卫审批", "沈审批", "吕审批", "施审批", "孔审批"]


def _approver(department: Any, n: int) -> User:
    existing = (
        User.objects.filter(department=department, is_staff=True, groups__name=ROLE_BY_CODE["approver"].name)
        .order_by("id")
        .first()
    )
    if existing is not None:
        return existing
    return _staff(
        f"approver-d{department.pk}", APPROVER_NAMES[n % len(APPROVER_NAMES)], "approver", department
    )


class Clock:
    """Working moments from a start, each step some working seconds after the last, never past now."""

    def __init__(self, start: datetime, now: datetime) -> None:
        self.moment, self.now, self.cal = start, now, get_calendar()

    def after(self, seconds: float) -> datetime:
        self.moment = self.cal.add_working_seconds(self.moment, int(seconds))
        if self.moment >= self.now:
            self.moment = self.now - timedelta(minutes=1)
        return self.moment


def _merged_form(bundle: Bundle, applicant: Citizen | Enterprise) -> dict[str, str]:
    out: dict[str, str] = {}
    for link in bundle.bundle_items.select_related("item"):
        out.update(_form(link.item, applicant))
    return {k: v or SAMPLE_VALUES.get(k, "") for k, v in out.items()}


def _submit(
    bundle: Bundle, channel: str, applicant: Any, user: Any, clerk: Any, key: str, rng: random.Random
) -> BundleApplication:
    lines = [line for line in bundles.checklist(bundle) if line.to_hand_in]
    common = {
        "bundle": bundle,
        "applicant": applicant,
        "contact_name": getattr(applicant, "legal_representative", "") or applicant.name,
        "contact_phone": applicant.phone,
        "form_data": _merged_form(bundle, applicant),
        "idempotency_key": key,
    }
    post = rng.random() < 0.3
    if post:
        common.update(delivery_method=DeliveryMethod.POST, postal_address=SAMPLE_VALUES["address"])
    if channel == "online":
        uploads = {
            line.material_id: [_upload(line.material.name)]
            for line in lines
            if line.material_id is not None and (line.material.required or rng.random() < 0.5)
        }
        return bundles.apply_online(by=user, uploads=uploads, **common).bundle_application
    from zhengwu.catalog.models import Material
    from zhengwu.licences.reuse import usable

    types = dict(
        Material.objects.filter(pk__in=[line.material_id for line in lines]).values_list(
            "pk", "licence_type_id"
        )
    )
    held = usable(applicant, {t for t in types.values() if t})
    marks = [
        bundles.BundleMaterialInput(line.material_id, MaterialStatus.EXEMPT)
        if types.get(line.material_id) in held
        else bundles.BundleMaterialInput(line.material_id, MaterialStatus.RECEIVED, originals=1)
        for line in lines
        if line.material_id is not None and line.material.required
    ]
    return bundles.window_intake(by=clerk, materials=marks, outcome="accept", **common).bundle_application


STEPS = (("review", 0.2), ("decide", 0.5), ("complete", 0.2), ("certify", 0.1))


def _do(code: str, pk: int, approver: Any, approved: bool) -> None:
    child = Application.objects.select_related("item").get(pk=pk)
    if child.state in (S.WITHDRAWN, S.NOT_ACCEPTED):
        return  # ended by a refusal elsewhere in the bundle
    if code == "review":
        services.review(application=child, by=approver)
    elif code == "decide":
        services.decide(
            application=child,
            by=approver,
            approved=approved,
            opinion="经审查，符合法定条件，准予办理"
            if approved
            else "经审查，申请人不符合法定条件，不予许可",
        )
    elif code == "complete":
        services.complete(application=child, by=approver, result_number=f"示{child.pk:06d}")
    elif approved and child.produces_licence:
        services.certify(application=child, by=approver, licence_number=f"ZZ{child.pk:08d}")


def _back_office(
    children: list[Application],
    start: datetime,
    budget: float,
    now: datetime,
    rng: random.Random,
    *,
    refuse: bool,
    stop_after: int,
) -> datetime:
    """Each child's steps in parallel from ``start``, a dependant's from its predecessor's 办结;
    every step run in time order. Returns the moment the last one happened."""
    cal = get_calendar()
    ends: dict[int, datetime] = {}
    timeline: list[tuple[datetime, int, str, Any, bool]] = []
    for n, child in enumerate(sorted(children, key=lambda c: (c.waits_for_id is not None, c.pk))):
        if n >= stop_after:
            break
        if child.waits_for_id is not None and child.waits_for_id not in ends:
            continue
        moment = ends.get(child.waits_for_id or 0, start)
        approved = not (refuse and n == 0)
        approver = _approver(child.department, n)
        spend = budget * rng.uniform(0.4, 1.3)
        for code, share in STEPS:
            moment = cal.add_working_seconds(moment, max(60, int(spend * share)))
            timeline.append((min(moment, now - timedelta(minutes=1)), child.pk, code, approver, approved))
            if code == "complete":
                ends[child.pk] = moment
    timeline.sort(key=lambda step: step[0])
    last = start
    for moment, pk, code, approver, approved in timeline:
        with _at(moment):
            _do(code, pk, approver, approved)
        last = moment
    return last


def _one(n: int, plan: tuple[str, str, str], cast: dict[str, Any], now: datetime, rng: random.Random) -> None:
    name, channel, end = plan
    bundle = Bundle.objects.get(name=name, status=VersionStatus.PUBLISHED)
    person = bundle.life_event.audience == "person"
    if person:
        applicant = rng.choice(cast["citizens"])
        user = applicant.user
    else:
        applicant = rng.choice(cast["enterprises"])
        user = applicant.users.first()
    days_ago = {"delivered": rng.randint(8, 55), "posted": 4, "refused": 6}.get(end, rng.randint(1, 3))
    clock = Clock(_back(now, days_ago), now)
    with _at(clock.after(0)):
        parent = _submit(bundle, channel, applicant, user, cast["clerk"], KEY.format(n), rng)
    if end == "submitted":
        return
    if parent.state == "submitted":
        with _at(clock.after(rng.uniform(0.5, 3) * HOUR)):
            parent = bundles.accept(bundle_application=parent, by=cast["clerk"])
    children = list(parent.children.select_related("item", "department").order_by("id"))
    depth = 1 + max((1 for c in children if c.waits_for_id), default=0) + (bundle.name == "企业开办")
    budget = float(bundle.promised_limit_days or 1) * DAY / depth
    stop_after = max(1, len(children) // 2) if end in ("in_progress", "waiting") else len(children)
    if end == "waiting":
        stop_after = 1  # the first item done or under way, what waits for it still waiting
    last = _back_office(
        children, clock.moment, budget, now, rng, refuse=end == "refused", stop_after=stop_after
    )
    clock.moment = max(clock.moment, last)
    parent.refresh_from_db()
    if parent.state != "completed" or end in ("in_progress", "waiting"):
        return
    if parent.delivery_method == DeliveryMethod.POST:
        with _at(clock.after(rng.uniform(1, 4) * HOUR)):
            parent = bundles.post(bundle_application=parent, by=cast["delivery"], tracking_number=_s10(n))
        if end != "posted":
            with _at(clock.after(DAY)):
                bundles.confirm_receipt(bundle_application=parent, by=cast["delivery"])
        return
    if end == "posted":
        return
    with _at(clock.after(rng.uniform(1, 6) * HOUR)):
        own = isinstance(applicant, Citizen) and _valid_id(applicant.id_number)
        bundles.hand_over(
            bundle_application=parent,
            by=cast["delivery"],
            recipient_name=applicant.name if own else "何代领",
            recipient_id_number=applicant.id_number if own else demo_id_number("19860101", 301),
            by_proxy=isinstance(applicant, Citizen) and not own,
            proxy_authorisation=""
            if own or isinstance(applicant, Enterprise)
            else "申请人签字的授权委托书原件一份",
        )


def _back(now: datetime, days: int) -> datetime:
    """The start of a working day ``days`` working days before now, at 09:30."""
    cal = get_calendar()
    day = timezone.localdate(now)
    for _ in range(days):
        day -= timedelta(days=1)
        while not cal.is_working_day(day):
            day -= timedelta(days=1)
    return timezone.make_aware(datetime(day.year, day.month, day.day, 9, 30))


def _s10(n: int) -> str:
    from zhengwu.core.validators import s10_check_digit

    body = f"{80000000 + n:08d}"
    return f"EY{body}{s10_check_digit(body)}CN"


@transaction.atomic
def load_demo_bundle_applications() -> int:
    """Create the demo bundle applications still missing. Returns how many were created."""
    clerk = User.objects.filter(username="clerk").first()
    delivery = User.objects.filter(username="delivery").first()
    citizens = list(
        Citizen.objects.filter(user__isnull=False)
        .exclude(user__username__startswith="stranger")
        .order_by("id")[:8]
    )
    enterprises = [e for e in Enterprise.objects.order_by("id") if e.users.exists()][:4]
    names = {name for name, _, _ in PLANS}
    if clerk is None or delivery is None or not citizens or not enterprises:
        return 0
    if Bundle.objects.filter(name__in=names, status=VersionStatus.PUBLISHED).count() != len(names):
        return 0
    existing = set(
        BundleApplication.objects.filter(idempotency_key__startswith="demo-yj-").values_list(
            "idempotency_key", flat=True
        )
    )
    cast = {"clerk": clerk, "delivery": delivery, "citizens": citizens, "enterprises": enterprises}
    now = timezone.now().replace(microsecond=0)
    rng = random.Random(SEED)
    created = 0
    for n, plan in enumerate(PLANS, start=1):
        plan_rng = random.Random(rng.random())
        if KEY.format(n) in existing:
            continue
        _one(n, plan, cast, now, plan_rng)
        created += 1
    return created
