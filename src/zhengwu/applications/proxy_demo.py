"""Demo 帮办代办 for 示范市: thirty requests of elderly and disabled citizens and 重点项目企业 over the
last months, spread over the demo's 帮办代办员, in every stage — waiting for an agent, taken, with
a 委托书 on file, applications filed and moving through the back office, and closed once the agent
collected every result (代领) — plus one cancelled. Each step is the real service at a moment in
the past (time-machine), so the workbench, each agent's history and the applications' chains read
as they would have happened.

Drawn from a fixed seed. Each request carries its plan's number in its note (``演示代办-NN``), so
loading again adds nothing. Run after the applications demo: it uses that demo's approvers."""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from io import BytesIO

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from zhengwu.accounts.demo import DEMO_ENTERPRISES, demo_enterprise_uscc, demo_id_number
from zhengwu.accounts.models import Citizen, Enterprise, User
from zhengwu.accounts.roles import ROLE_BY_CODE
from zhengwu.calendar.selectors import get_calendar
from zhengwu.catalog.models import CaseType, ServiceItem, ServiceObject, VersionStatus

from . import proxy_services, services
from .models import Application, MaterialStatus, ProxyChannel, ProxyGroup, ProxyItem, ProxyRequest

SEED = 20261205
MARK = "演示代办-{:02d}"
HOUR = 3600
DAY = 7 * HOUR  # a working day of the calendar

# The second 帮办代办员 (the accounts demo has ``proxy`` 李帮办): (username, name).
SECOND_AGENT = ("proxy2", "杨帮办")
# What ``load_demo_city`` prints for it.
AGENT_LOGINS = (("proxy2", "杨帮办", "帮办代办员（第二位，有自己的代办和历史）"),)
# Each agent's ID number, shown to the 出件窗口 when collecting (代领); synthetic and valid.
AGENT_ID_NUMBERS = {"proxy": demo_id_number("19880505", 311), "proxy2": demo_id_number("19910923", 321)}

# (stage, how many): 30 requests in all.
STAGES: list[tuple[str, int]] = [
    ("new", 5),  # 待分派
    ("assigned", 5),  # taken or assigned, no 委托书 yet
    ("authorised", 5),  # 委托书 on file, nothing filed yet
    ("filed", 6),  # applications filed, in the back office or waiting to be collected
    ("closed", 8),  # every result collected by the agent, request closed
    ("cancelled", 1),
]
# How long ago (calendar days) a request of each stage came in.
AGE_DAYS = {
    "new": (0, 3),
    "assigned": (1, 6),
    "authorised": (2, 10),
    "filed": (4, 25),
    "closed": (25, 120),
    "cancelled": (10, 40),
}
# (name, birth date, sequence, phone). Their numbers use area 410200 (开封市): the accounts demo's
# 410202 is valid only for births from the mid-1980s on.
ELDERS = [
    ("刘桂兰", "19470318", 12, "13700000101"),
    ("陈德福", "19520611", 31, "13700000102"),
    ("马秀英", "19440927", 22, "13700000103"),
    ("孙广才", "19580104", 51, "13700000104"),
    ("郭淑珍", "19500822", 42, "13700000105"),
    ("黄建华", "19610715", 71, "13700000106"),
]
DISABLED = [
    ("王小军", "19780419", 91, "13700000201"),
    ("李春梅", "19830212", 82, "13700000202"),
    ("赵国庆", "19691001", 111, "13700000203"),
]
KEY_PROJECT_NOTES = [
    "省重点项目，企业负责人委托全程代办",
    "招商引资重点项目，要求三个工作日内完成",
    "市重点项目“首席服务官”跟进",
]
NOTES: dict[str, list[str]] = {
    ProxyGroup.ELDERLY: ["老人行动不便，子女在外地", "独居老人，电话预约上门收件", "高龄老人，需全程代办"],
    ProxyGroup.DISABLED: ["肢体残疾，出行困难", "视力残疾，需帮办填表", "轮椅出行，由社区转介"],
}


def _id_number(birth: str, sequence: int) -> str:
    """A valid synthetic number for people born before area 410202 existed: 410200 (开封市)."""
    from stdnum.cn import ric

    body = f"410200{birth}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


# ---------------------------------------------------------------------------------------------
# The 委托书 the principal signs: a one-page PDF, as the agent scans it in
# ---------------------------------------------------------------------------------------------


@functools.cache
def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def authorisation_pdf(
    *, principal: str, agent: str, items: list[str], valid_from: date, valid_until: date
) -> bytes:
    """授权委托书, filled in and signed: who authorises whom, for which items and how long."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = BytesIO()
    page = canvas.Canvas(out, pagesize=A4, invariant=True)
    font = _font()
    page.setFont(font, 18)
    page.drawCentredString(A4[0] / 2, 770, "授权委托书")
    page.setFont(font, 11)
    lines = [
        f"委托人：{principal}",
        f"受托人：示范市政务服务中心帮办代办员 {agent}",
        "委托事项：",
        *[f"    {n}. {name}" for n, name in enumerate(items, start=1)],
        f"委托期限：{valid_from:%Y年%m月%d日}至{valid_until:%Y年%m月%d日}",
        "委托权限：代为填写申请表、提交申请材料、领取办理结果。",
        "",
        f"委托人（签字/盖章）：{principal}",
        f"日期：{valid_from:%Y年%m月%d日}",
    ]
    y = 720
    for line in lines:
        page.drawString(72, y, line)
        y -= 22
    page.showPage()
    page.save()
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Time
# ---------------------------------------------------------------------------------------------


@contextmanager
def _at(moment: datetime) -> Iterator[None]:
    import time_machine  # the demo's clock; imported here so that serving never needs it

    with time_machine.travel(moment, tick=False):
        yield


def _start(day: date, now: datetime, rng: random.Random) -> datetime:
    """A working moment of ``day`` (or of the working day before, if ``day`` has none yet)."""
    cal = get_calendar()
    tz = timezone.get_current_timezone()
    for _ in range(30):
        opening = cal.add_working_seconds(datetime(day.year, day.month, day.day, 9, 0, tzinfo=tz), 0)
        moment = cal.add_working_seconds(opening, rng.randint(0, 6 * HOUR))
        if moment < now and timezone.localdate(moment) == day:
            return moment
        if opening < now and timezone.localdate(opening) == day:
            return opening + (now - opening) / 2
        day -= timedelta(days=1)
    return now - timedelta(days=1)


# ---------------------------------------------------------------------------------------------
# Who acts
# ---------------------------------------------------------------------------------------------


@dataclass
class Cast:
    clerk: User
    delivery: User
    agents: list[User]
    approvers: dict[int, User]  # department id → its first back-office approver
    elders: list[Citizen]
    disabled: list[Citizen]
    enterprises: list[Enterprise]


def _second_agent(first: User) -> User:
    """A second 帮办代办员 beside the accounts demo's, at the same window, with the same published
    demo password (its stored hash is copied: hashing again takes half a second)."""
    username, name = SECOND_AGENT
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "name": name,
            "department": first.department,
            "window": first.window,
            "is_staff": True,
            "password": first.password,
        },
    )
    if created:
        user.groups.set([Group.objects.get(name=ROLE_BY_CODE["proxy_agent"].name)])
    return user


def _citizen(clerk: User, name: str, number: str, phone: str) -> Citizen:
    """The principal as the window registers them (an existing one is found, not changed)."""
    found = services.register_applicant(
        kind="person", code=number, name=name, phone=phone, address="示范市东城区城关街道", by=clerk
    )
    assert isinstance(found, Citizen)
    return found


def _form(item: ServiceItem, principal: Citizen | Enterprise) -> dict[str, str]:
    """The item's form as the agent fills it in for the principal."""
    if isinstance(principal, Citizen):
        own = {
            "applicant_name": principal.name,
            "id_number": principal.id_number,
            "contact_name": principal.name,
        }
    else:
        own = {
            "applicant_name": principal.legal_representative,
            "enterprise_name": principal.name,
            "uscc": principal.uscc,
            "legal_representative": principal.legal_representative,
            "contact_name": principal.legal_representative,
        }
    own["phone"] = principal.phone
    own["address"] = principal.address
    return {f["name"]: own.get(f["name"]) or "详见申请材料" for f in item.form_fields or []}


def _cast() -> Cast | None:
    users = {u.username: u for u in User.objects.filter(username__in=["clerk", "delivery", "proxy"])}
    if len(users) != 3:
        return None
    approvers: dict[int, User] = {}
    group = ROLE_BY_CODE["approver"].name
    for user in User.objects.filter(groups__name=group, department__isnull=False).order_by("pk"):
        if user.department_id is not None:
            approvers.setdefault(user.department_id, user)
    clerk = users["clerk"]
    elders = [_citizen(clerk, n, _id_number(b, s), p) for n, b, s, p in ELDERS]
    disabled = [_citizen(clerk, n, _id_number(b, s), p) for n, b, s, p in DISABLED]
    codes = [demo_enterprise_uscc(n) for n in range(1, len(DEMO_ENTERPRISES) + 1)] + [
        demo_enterprise_uscc(n) for n in range(11, 19)
    ]
    enterprises = list(Enterprise.objects.filter(uscc__in=codes).order_by("uscc"))
    return Cast(
        clerk=clerk,
        delivery=users["delivery"],
        agents=[users["proxy"], _second_agent(users["proxy"])],
        approvers=approvers,
        elders=elders,
        disabled=disabled,
        enterprises=enterprises,
    )


def _items(cast: Cast) -> tuple[list[ServiceItem], list[ServiceItem]]:
    """Items an agent may file and the back office decides in the demo: published, not 即办, with a
    demo approver in their department; for people and for companies."""
    qs = (
        ServiceItem.objects.filter(
            status=VersionStatus.PUBLISHED,
            department_id__in=list(cast.approvers),
            promised_limit_days__gte=1,
            promised_limit_days__lte=10,
        )
        .exclude(case_type=CaseType.IMMEDIATE)
        .select_related("department")
        .order_by("implementation_code", "pk")
    )
    person, company = [], []
    for item in qs:
        if item.online_depth < 1:
            continue
        objects = {str(o) for o in item.service_objects or []}
        if str(ServiceObject.PERSON) in objects:
            person.append(item)
        if objects - {str(ServiceObject.PERSON)}:
            company.append(item)
    return person, company


# ---------------------------------------------------------------------------------------------
# One request's plan: steps, each after so much working time
# ---------------------------------------------------------------------------------------------


@dataclass
class Plan:
    n: int
    stage: str
    rng: random.Random
    cast: Cast
    agent: User
    principal: Citizen | Enterprise
    group: str
    items: list[ServiceItem]
    steps: list[tuple[float, Callable[[], object]]] = field(default_factory=list)
    request: ProxyRequest | None = None
    applications: list[Application] = field(default_factory=list)

    def add(self, gap: float, step: Callable[[], object]) -> None:
        self.steps.append((max(gap, 120.0), step))

    def hours(self, lo: float, hi: float) -> float:
        return self.rng.uniform(lo, hi) * HOUR

    @property
    def req(self) -> ProxyRequest:
        assert self.request is not None
        self.request.refresh_from_db()
        return self.request

    # -- the steps ---------------------------------------------------------------------------

    def register(self) -> None:
        channel = self.rng.choice(
            [ProxyChannel.HALL, ProxyChannel.HALL, ProxyChannel.PHONE, ProxyChannel.ONLINE]
        )
        # at the hall the 综合受理 window registers it; a phone call or online form goes to an agent
        by = self.cast.clerk if channel == ProxyChannel.HALL else self.agent
        p = self.principal
        if isinstance(p, Citizen):
            contact = (
                p.name if self.rng.random() < 0.5 else f"{p.name[0]}{self.rng.choice('明丽强芳军')}（子女）"
            )
            phone = p.phone
            note = self.rng.choice(NOTES[self.group])
        else:
            contact, phone = p.legal_representative, f"1380000{self.n:04d}"
            note = self.rng.choice(KEY_PROJECT_NOTES)

        def step() -> None:
            self.request = proxy_services.register_request(
                by=by,
                principal=p,
                items=self.items,
                group=self.group,
                channel=channel,
                contact_name=contact,
                contact_phone=phone,
                note=f"{note}（{MARK.format(self.n)}）",
            )

        self.add(0, step)

    def take(self, gap: float) -> None:
        if self.rng.random() < 0.5:
            self.add(gap, lambda: proxy_services.take(request=self.req, by=self.agent))
        else:
            self.add(
                gap, lambda: proxy_services.assign(request=self.req, agent=self.agent, by=self.cast.clerk)
            )

    def authorise(self, gap: float) -> None:
        def step() -> None:
            today = timezone.localdate()
            until = today + timedelta(days=self.rng.choice([90, 180, 365]))
            names = [i.name for i in self.items]
            content = authorisation_pdf(
                principal=self.principal.name,
                agent=str(self.agent.name),
                items=names,
                valid_from=today,
                valid_until=until,
            )
            scan = SimpleUploadedFile(
                f"委托书-{self.principal.name}.pdf", content, content_type="application/pdf"
            )
            proxy_services.record_authorisation(
                request=self.req,
                by=self.agent,
                items=self.items,
                valid_from=today,
                valid_until=until,
                scan=scan,
            )

        self.add(gap, step)

    def file(self, gap: float, item: ServiceItem) -> None:
        def step() -> None:
            p = self.principal
            contact_phone = p.phone if p.phone.startswith("1") else f"1380000{self.n:04d}"
            intake = services.window_intake(
                item=item,
                by=self.agent,
                applicant=p,
                contact_name=p.name if isinstance(p, Citizen) else p.legal_representative,
                contact_phone=contact_phone,
                form_data=_form(item, p),
                materials=[
                    services.MaterialInput(use.pk, MaterialStatus.RECEIVED, originals=1)
                    for use in item.item_materials.order_by("order", "id")
                    if use.required
                ],
                outcome="submit",
                proxy_request=self.req,
            )
            self.applications.append(intake.application)

        self.add(gap, step)

    def app(self, k: int) -> Application:
        a = self.applications[k]
        a.refresh_from_db()
        return a

    def back_office(self, k: int, item: ServiceItem, *, until: str) -> None:
        """预审受理 at the window, then 审查 → 准予 → 办结 (→ 制证) in the department, stopping
        after ``until``."""
        approver = self.cast.approvers[item.department_id]
        limit = float(item.promised_limit_days) * DAY
        self.add(self.hours(0.5, 4), lambda: services.accept(application=self.app(k), by=self.cast.clerk))
        if until == "accepted":
            return
        self.add(
            self.hours(1, 7),
            lambda: services.review(application=self.app(k), by=approver, note="材料齐全，开始审查"),
        )
        if until == "reviewing":
            return
        self.add(
            limit * self.rng.uniform(0.2, 0.6),
            lambda: services.decide(
                application=self.app(k),
                by=approver,
                approved=True,
                opinion="经审查，申请材料齐全、符合法定形式，准予许可",
            ),
        )
        number = f"{item.department.uscc[-6:]}DB{self.n:02d}{k}"
        self.add(
            self.hours(0.5, 4),
            lambda: services.complete(application=self.app(k), by=approver, result_number=number),
        )
        if item.result_licence_type:
            self.add(
                self.hours(1, 7),
                lambda: services.certify(application=self.app(k), by=approver, licence_number=number),
            )

    def collect(self, gap: float, k: int) -> None:
        number = AGENT_ID_NUMBERS.get(self.agent.username, AGENT_ID_NUMBERS["proxy"])
        self.add(
            gap,
            lambda: proxy_services.collect(
                application=self.app(k), by=self.cast.delivery, recipient_id_number=number
            ),
        )

    # -- the whole path ----------------------------------------------------------------------

    def build(self) -> None:
        self.register()
        if self.stage == "new":
            return
        if self.stage == "cancelled":
            self.take(self.hours(0.5, 5))
            self.add(
                self.hours(2, 14),
                lambda: proxy_services.cancel(
                    request=self.req, by=self.agent, reason="委托人家属已陪同本人到窗口办理，不再需要代办"
                ),
            )
            return
        self.take(self.hours(0.3, 6))
        if self.stage == "assigned":
            return
        self.authorise(self.hours(2, 14))
        if self.stage == "authorised":
            return
        for k, item in enumerate(self.items):
            self.file(self.hours(1, 10) if k == 0 else self.hours(0.2, 2), item)
        if self.stage == "filed":
            # one still 待预审, one in 审查, the rest 办结 and waiting for the agent to collect
            for k, item in enumerate(self.items):
                until = self.rng.choice(["submitted", "accepted", "reviewing", "done"])
                if until != "submitted":
                    self.back_office(k, item, until=until)
            return
        for k, item in enumerate(self.items):
            self.back_office(k, item, until="done")
            self.collect(self.hours(2, 20), k)
        self.add(
            self.hours(0.5, 6),
            lambda: proxy_services.close(
                request=self.req,
                by=self.agent,
                outcome="全部事项已办结，结果已代领并送交委托人"
                if isinstance(self.principal, Citizen)
                else "全部事项已办结，证照已代领并移交企业经办人",
            ),
        )


def _plans(cast: Cast) -> list[Plan]:
    rng = random.Random(SEED)
    person_items, company_items = _items(cast)
    stages = [stage for stage, count in STAGES for _ in range(count)]
    rng.shuffle(stages)
    plans = []
    for n, stage in enumerate(stages, start=1):
        own = random.Random(rng.random())
        roll = own.random()
        principal: Citizen | Enterprise
        if roll < 0.45 and cast.elders and person_items:
            group, principal, pool = ProxyGroup.ELDERLY, own.choice(cast.elders), person_items
        elif roll < 0.7 and cast.disabled and person_items:
            group, principal, pool = ProxyGroup.DISABLED, own.choice(cast.disabled), person_items
        elif cast.enterprises and company_items:
            group, principal, pool = ProxyGroup.KEY_PROJECT, own.choice(cast.enterprises), company_items
        else:
            continue
        items = own.sample(pool, k=min(len(pool), 1 if own.random() < 0.6 else 2))
        agent = cast.agents[0] if own.random() < 0.55 else cast.agents[-1]
        plan = Plan(
            n=n, stage=stage, rng=own, cast=cast, agent=agent, principal=principal, group=group, items=items
        )
        plan.build()
        plans.append(plan)
    return plans


def _run(plan: Plan, now: datetime) -> None:
    cal = get_calendar()
    low, high = AGE_DAYS[plan.stage]
    moment = _start(timezone.localdate(now) - timedelta(days=plan.rng.randint(low, high)), now, plan.rng)
    last = now - timedelta(minutes=2 * len(plan.steps) + 5)
    for i, (gap, step) in enumerate(plan.steps):
        moment = cal.add_working_seconds(moment, int(gap)) if i else moment
        # never in the future: what did not fit by now happens in the last minutes, in order
        moment = min(moment, last + timedelta(minutes=2 * i))
        with _at(moment):
            step()


@transaction.atomic
def load_demo_proxy_requests() -> int:
    """Create the demo 帮办代办 requests still missing (all of them the first time), and list the
    items they use as 帮办代办事项. Returns how many requests were created."""
    cast = _cast()
    if cast is None:
        return 0  # the demo city is not loaded
    existing = set(ProxyRequest.objects.filter(note__contains="演示代办-").values_list("note", flat=True))
    done = {note.rsplit("演示代办-", 1)[1][:2] for note in existing}
    now = timezone.now().replace(microsecond=0)
    created = 0
    listed: list[ServiceItem] = []
    for plan in _plans(cast):
        for item in plan.items:
            if item not in listed:
                listed.append(item)
        if f"{plan.n:02d}" in done:
            continue
        _run(plan, now)
        created += 1
    for order, item in enumerate(listed, start=1):
        ProxyItem.objects.get_or_create(item=item, defaults={"order": order, "note": "可全程帮办代办"})
    return created
