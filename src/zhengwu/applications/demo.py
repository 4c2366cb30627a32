"""Demo 办件 for 示范市: a few hundred applications for the demo catalogue's items, in every state of
the lifecycle, through every channel, for people and companies — each one made by the real
services, step by step, at moments in the past (time-machine), so that the history reads as it
would have happened, the 承诺办结时间 are the calendar's, and the lights (正常 / 临期 / 超期) and
the 容缺 overdue flag are true relative to now.

The plans are drawn from a fixed seed; each application carries the idempotency key of its plan,
so loading again adds nothing. Staff act as the demo logins (``clerk``, ``approver``, ``delivery``);
the other departments whose items get applications get one back-office approver each, and the
market department a second one (延长审批 needs another approver of the department). ``citizen``
(张伟) and ``enterprise`` (示范市惠民餐饮有限公司's 经办人) are applicant logins with 我的办件 to show.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from zhengwu.accounts.demo import (
    DEMO_CITIZENS,
    DEMO_ENTERPRISES,
    DEMO_PASSWORD,
    demo_enterprise_uscc,
    demo_id_number,
)
from zhengwu.accounts.models import Citizen, Enterprise, User
from zhengwu.accounts.roles import ROLE_BY_CODE
from zhengwu.calendar.selectors import get_calendar
from zhengwu.catalog.models import CaseType, ItemMaterial, ServiceItem, ServiceObject, VersionStatus
from zhengwu.core.validators import s10_check_digit, validate_id_number
from zhengwu.licences.reuse import coverage
from zhengwu.org.models import Department

from . import services
from .models import Application, Channel, DeliveryMethod, MaterialStatus, SpecialKind, WindowAuthorisation
from .workflow import ApplicationState

S = ApplicationState
SEED = 20260601
KEY = "demo-bj-{:03d}"
HOUR = 3600

# How many applications end in each state (300 in all).
STATE_COUNTS: dict[str, int] = {
    S.SUBMITTED: 18,
    S.SUPPLEMENT: 16,
    S.NOT_ACCEPTED: 12,
    S.ACCEPTED: 22,
    S.REVIEWING: 40,
    S.RETURNED: 8,
    S.SPECIAL: 10,
    S.DECIDED: 14,
    S.COMPLETED: 24,
    S.CERTIFIED: 14,
    S.POSTED: 12,
    S.DELIVERED: 40,
    S.ARCHIVED: 60,
    S.WITHDRAWN: 10,
}

# Departments whose items get applications (catalogue keys → demo department names), their weight,
# and their back-office approvers: (username, name); the first of 市场监管 is the demo login.
BACK_OFFICES: dict[str, tuple[str, int, list[tuple[str, str]]]] = {
    "market": ("示范市市场监督管理局", 10, [("approver", "赵审批"), ("approver2", "蒋审批")]),
    "hrss": ("示范市人力资源和社会保障局", 3, [("approver-hrss", "韩审批")]),
    "public_security": ("示范市公安局", 2, [("approver-police", "朱审批")]),
    "housing_fund": ("示范市住房公积金管理中心", 2, [("approver-fund", "秦审批")]),
    "natural_resources": ("示范市自然资源和规划局", 2, [("approver-land", "杨审批")]),
    "medical_insurance": ("示范市医疗保障局", 1, [("approver-medical", "许审批")]),
}
ABBREVIATIONS = {
    "market": "示市监",
    "hrss": "示人社",
    "public_security": "示公",
    "housing_fund": "示公积金",
    "natural_resources": "示自然资",
    "medical_insurance": "示医保",
}

# Applicants beyond the accounts demo's: (name, birth date, sequence). Area 410202 (龙亭区) is valid for
# births from the mid-1980s on, so every birth date here is later.
MORE_CITIZENS = [
    ("赵敏", "19880214", 101),
    ("钱磊", "19860903", 111),
    ("孙丽", "19920517", 122),
    ("周强", "19890726", 131),
    ("吴霞", "19990111", 142),
    ("郑军", "19870820", 151),
    ("冯雪", "19870402", 162),
    ("褚明", "19940618", 171),
    ("卫红", "19901009", 182),
    ("蒋涛", "19831129", 191),
    ("沈燕", "19960305", 202),
    ("韩冰", "19970724", 211),
    ("杨帆", "20000815", 221),
    ("朱婷", "19850128", 232),
    ("秦岭", "19880612", 241),
    ("尤佳", "19930930", 252),
    ("许诺", "19910219", 262),
    ("何平", "19950707", 271),
]
MORE_ENTERPRISES = [
    (11, "示范市鑫源建筑工程有限公司", "何建国"),
    (12, "示范市绿野农业科技有限公司", "吕志强"),
    (13, "示范市安心物业服务有限公司", "施红梅"),
    (14, "示范市快达物流有限公司", "张海涛"),
    (15, "示范市康宁医疗器械有限公司", "孔祥云"),
    (16, "示范市悦来酒店管理有限公司", "曹丽娟"),
    (17, "示范市明德教育咨询有限公司", "严文"),
    (18, "示范市晨光文具有限公司", "华建新"),
]
CITIZEN_LOGIN = ("citizen", "张伟")  # the demo citizen 张伟's own account
ENTERPRISE_LOGIN = ("enterprise", "何经办", "示范市惠民餐饮有限公司")  # a 经办人 account
# What ``load_demo_city`` prints besides the role logins: (username, name, what it is for).
APPLICANT_LOGINS = (
    ("citizen", "张伟", "申请人（自然人）：网上申请、我的办件"),
    ("enterprise", "何经办", "申请人（示范市惠民餐饮有限公司经办人）：网上申请、我的办件"),
    ("approver2", "蒋审批", "后台审批人员（市场监管局第二位，审批延长申请）"),
)
ONLINE_CITIZENS = 10  # the first extra citizens also apply online (their own accounts)
ONLINE_ENTERPRISES = 4

SAMPLE_VALUES = {
    "address": "示范市东城区城关街道幸福路18号",
    "business_address": "示范市东城区人民路88号",
    "registered_capital": "100",
    "business_scope": "餐饮服务；预包装食品销售",
    "business_items": "热食类食品制售",
    "business_area": "120",
    "bank_account": "6222020200001234567",
    "employee_count": "12",
    "signboard_size": "6×1.2",
    "project_name": "示范市东城区综合楼项目",
    "project_address": "示范市东城区建设路66号",
    "vehicle_count": "5",
    "newborn_name": "张小宝",
    "newborn_gender": "男",
    "birth_date": "2026-03-18",
    "birth_place": "示范市妇幼保健院",
    "school_name": "示范市实验小学",
    "employer_name": "示范市新城科技有限公司",
    "property_address": "示范市西湖区滨河路9号院3号楼2单元501",
    "property_certificate_no": "豫（2021）示范市不动产权第0012345号",
    "transaction_price": "86",
    "loan_amount": "40",
    "withdraw_amount": "50000",
    "utility_account_no": "2100385721",
    "death_date": "2026-02-11",
    "relation": "子女",
    "retirement_date": "2026-05-01",
    "discharge_date": "2025-12-20",
    "service_years": "5",
    "settle_address": "示范市东城区城关街道",
    "disability_type": "肢体残疾",
}
SUPPLEMENT_REASONS = [
    "缺少申请人签字",
    "复印件不清晰，请提供清晰复印件",
    "材料已过有效期",
    "内容与申请表不一致",
]
REFUSAL_REASONS = [
    "申请事项不属于本机关职权范围，请向户籍所在地相关部门申请",
    "申请人不具备申请资格：经营场所不在本市行政区域内",
    "申请事项依法不需要取得行政许可",
]
SPECIALS = [
    (SpecialKind.EXPERT, "涉及专业技术问题，需组织专家评审", "专家评审意见：符合要求"),
    (SpecialKind.HEARING, "涉及申请人与他人之间重大利益关系，依法举行听证", "听证结束，无异议"),
    (SpecialKind.INSPECTION, "需对经营场所进行现场勘查", "现场勘查符合条件"),
    (SpecialKind.PUBLICITY, "依法需向社会公示", "公示期满，无异议"),
]
COMMITMENT = "本人承诺在规定期限内补交该材料，逾期未补交的，愿意承担相应责任。"


@dataclass
class Cast:
    """Who acts in the demo."""

    clerk: Any
    delivery: Any
    approvers: dict[int, list[Any]]  # department id → its approvers, the demo login first
    citizens: list[Citizen]
    enterprises: list[Enterprise]
    online_citizens: list[Citizen]
    online_enterprises: list[Enterprise]
    accounts: dict[tuple[str, int], Any]  # ("citizen"|"enterprise", pk) → the applicant's login


@dataclass
class Plan:
    n: int
    item: ServiceItem
    target: str
    channel: str
    applicant: Citizen | Enterprise
    rng: random.Random
    steps: list[tuple[float, Callable[[], object]]] = field(default_factory=list)  # (gap in s, step)
    tail: float = HOUR  # working seconds from the last step to now
    application: Application | None = None


# ---------------------------------------------------------------------------------------------
# Setting the stage
# ---------------------------------------------------------------------------------------------


@functools.cache
def _demo_password_hash() -> str:
    """The published demo password, hashed once for every login the demo adds (Argon2 takes
    about half a second a hash on this machine)."""
    return make_password(DEMO_PASSWORD)


def _staff(username: str, name: str, role: str, department: Department) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults={"name": name, "department": department, "is_staff": True}
    )
    if created:
        user.password = _demo_password_hash()
        user.save(update_fields=["password"])
        user.groups.set([Group.objects.get(name=ROLE_BY_CODE[role].name)])
    return user


def _login(username: str, name: str) -> User:
    user, created = User.objects.get_or_create(username=username, defaults={"name": name, "is_staff": False})
    if created:
        user.password = _demo_password_hash()
        user.save(update_fields=["password"])
    return user


def _account(username: str, name: str) -> User:
    """An applicant's online account that nobody logs in with in the demo."""
    user, created = User.objects.get_or_create(username=username, defaults={"name": name, "is_staff": False})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _cast(departments: dict[str, Department]) -> Cast:
    clerk = User.objects.get(username="clerk")
    delivery = User.objects.get(username="delivery")
    approvers: dict[int, list[Any]] = {}
    for key, (_, _, people) in BACK_OFFICES.items():
        dept = departments[key]
        approvers[dept.pk] = [_staff(u, name, "approver", dept) for u, name in people]
        # 首席代表授权: the window decides this department's 即办件 on the spot.
        WindowAuthorisation.objects.get_or_create(
            department=dept,
            clerk=clerk,
            defaults={"valid_from": timezone.localdate() - timedelta(days=365), "granted_by": dept.name},
        )
    for name, birth, sequence in MORE_CITIZENS:
        number = demo_id_number(birth, sequence)
        if not Citizen.objects.filter(id_number=number).exists():
            services.register_applicant(
                kind="person",
                code=number,
                name=name,
                phone=f"139{sequence:08d}",
                address="示范市东城区城关街道",
                by=clerk,
            )
    for serial, name, rep in MORE_ENTERPRISES:
        code = demo_enterprise_uscc(serial)
        if not Enterprise.objects.filter(uscc=code).exists():
            services.register_applicant(
                kind="organisation",
                code=code,
                name=name,
                legal_representative=rep,
                phone=f"0371-2667{serial:04d}",
                address="示范市西湖区",
                by=clerk,
            )
    # Only the demo's own applicants: real people on the same database are never touched.
    citizen_numbers = [demo_id_number(b, s) for _, b, s, _ in DEMO_CITIZENS] + [
        demo_id_number(b, s) for _, b, s in MORE_CITIZENS
    ]
    enterprise_codes = [demo_enterprise_uscc(n) for n in range(1, len(DEMO_ENTERPRISES) + 1)] + [
        demo_enterprise_uscc(serial) for serial, _, _ in MORE_ENTERPRISES
    ]
    citizens = list(Citizen.objects.filter(id_number__in=citizen_numbers).order_by("id_number"))
    enterprises = list(Enterprise.objects.filter(uscc__in=enterprise_codes).order_by("uscc"))
    accounts: dict[tuple[str, int], Any] = {}
    zhang = next((c for c in citizens if c.name == CITIZEN_LOGIN[1]), None)
    online_citizens: list[Citizen] = []
    if zhang is not None:
        if zhang.user_id is None:
            zhang.user = _login(*CITIZEN_LOGIN)
            zhang.save(update_fields=["user"])
        online_citizens.append(zhang)
    extra = {demo_id_number(b, s) for _, b, s in MORE_CITIZENS}
    for n, citizen in enumerate([c for c in citizens if c.id_number in extra][:ONLINE_CITIZENS], start=1):
        if citizen.user_id is None:
            citizen.user = _account(f"resident{n:02d}", citizen.name)
            citizen.save(update_fields=["user"])
        online_citizens.append(citizen)
    for citizen in online_citizens:
        accounts[("citizen", citizen.pk)] = citizen.user
    online_enterprises: list[Enterprise] = []
    for n, enterprise in enumerate(enterprises[: ONLINE_ENTERPRISES + 1]):
        if enterprise.name == ENTERPRISE_LOGIN[2]:
            user = _login(ENTERPRISE_LOGIN[0], ENTERPRISE_LOGIN[1])
        else:
            user = _account(f"company{n:02d}", f"{enterprise.name}经办人")
        if not enterprise.users.filter(pk=user.pk).exists():
            enterprise.users.add(user)
        accounts[("enterprise", enterprise.pk)] = user
        online_enterprises.append(enterprise)
    return Cast(
        clerk=clerk,
        delivery=delivery,
        approvers=approvers,
        citizens=citizens,
        enterprises=enterprises,
        online_citizens=online_citizens,
        online_enterprises=online_enterprises,
        accounts=accounts,
    )


# ---------------------------------------------------------------------------------------------
# Time
# ---------------------------------------------------------------------------------------------


def _before(now: datetime, seconds: float) -> datetime:
    """The working moment ``seconds`` working seconds before ``now`` (the calendar's working
    hours and days), found by bisection on the calendar's own measure."""
    cal = get_calendar()
    target = int(seconds)
    lo = now - timedelta(days=max(7, int(seconds / 3600 / 7 * 2.2) + 10))
    hi = now
    while (hi - lo).total_seconds() > 1:
        mid = lo + (hi - lo) / 2
        if cal.working_seconds_between(mid, now) >= target:
            lo = mid
        else:
            hi = mid
    return lo.replace(microsecond=0)


@contextmanager
def _at(moment: datetime) -> Iterator[None]:
    import time_machine  # the demo's clock; imported here so that serving never needs it

    with time_machine.travel(moment, tick=False):
        yield


# ---------------------------------------------------------------------------------------------
# Plans: which path an application takes and when each step happens
# ---------------------------------------------------------------------------------------------


@functools.cache
def _sample_pdf() -> bytes:
    """A small real one-page PDF, as a scanner would produce (drawn once)."""
    from io import BytesIO

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = BytesIO()
    page = canvas.Canvas(out, pagesize=A4, invariant=True)
    page.drawString(72, 760, "Zhengwu demo material (scan)")
    page.showPage()
    page.save()
    return out.getvalue()


def _upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"{name}.pdf", _sample_pdf(), content_type="application/pdf")


def _valid_id(number: str) -> bool:
    try:
        validate_id_number(number)
    except ValidationError:
        return False
    return True


def _uses(item: ServiceItem) -> list[ItemMaterial]:
    return list(item.item_materials.select_related("material").order_by("order", "id"))


def _form(item: ServiceItem, applicant: Citizen | Enterprise) -> dict[str, str]:
    if isinstance(applicant, Citizen):
        own = {
            "applicant_name": applicant.name,
            "id_number": applicant.id_number,
            "contact_name": applicant.name,
        }
    else:
        own = {
            "applicant_name": applicant.legal_representative,
            "enterprise_name": applicant.name,
            "uscc": applicant.uscc,
            "legal_representative": applicant.legal_representative,
            "contact_name": applicant.legal_representative,
        }
    own["phone"] = applicant.phone
    out = {}
    for f in item.form_fields or []:
        name = f["name"]
        out[name] = own.get(name) or SAMPLE_VALUES.get(name) or "详见申请材料"
    return out


def _marks(
    item: ServiceItem,
    rng: random.Random,
    *,
    defer: bool = False,
    defer_days: int = 5,
    applicant: Citizen | Enterprise | None = None,
) -> list[services.MaterialInput]:
    """The clerk's checklist: every required material received, optional ones sometimes; with
    ``defer`` one required non-critical material 容缺 on the applicant's written commitment. A
    material the applicant's e-licence covers is left 免提交 (the service attaches the licence)."""
    covered = set(coverage(applicant, _uses(item))) if applicant is not None else set()
    marks = []
    deferrable = [u for u in _uses(item) if u.required and not u.critical]
    deferred = rng.choice(deferrable).pk if defer and deferrable else None
    for use in _uses(item):
        if use.pk in covered:
            marks.append(services.MaterialInput(use.pk, MaterialStatus.EXEMPT))
        elif use.pk == deferred:
            marks.append(
                services.MaterialInput(
                    use.pk, MaterialStatus.DEFERRED, commitment=COMMITMENT, defer_days=defer_days
                )
            )
        elif use.required or rng.random() < 0.5:
            originals = use.originals if use.originals + use.copies else 1
            marks.append(
                services.MaterialInput(
                    use.pk, MaterialStatus.RECEIVED, originals=originals, copies=use.copies
                )
            )
    return marks


class Builder:
    """Turns a plan's target state into its steps, each with the working time before it."""

    def __init__(self, plan: Plan, cast: Cast, department_key: str) -> None:
        self.p = plan
        self.cast = cast
        self.rng = plan.rng
        self.item = plan.item
        self.dept_key = department_key
        approvers = cast.approvers[plan.item.department_id]
        self.approver = approvers[0] if len(approvers) == 1 or self.rng.random() < 0.7 else approvers[1]
        self.other_approver = next((a for a in approvers if a is not self.approver), None)
        self.immediate = plan.item.case_type == CaseType.IMMEDIATE
        self.licence = bool(plan.item.result_licence_type)
        self.limit_s = float(plan.item.promised_limit_days) * 7 * HOUR
        self.post = plan.target == S.POSTED or (
            plan.target in (S.DELIVERED, S.ARCHIVED) and self.rng.random() < 0.3
        )
        self.defer = False
        self.force_overdue = False
        self.budget = 0.0

    # -- helpers ----------------------------------------------------------------------------

    def add(self, gap: float, step: Callable[[], object]) -> None:
        self.p.steps.append((max(gap, 60.0), step))

    def hours(self, lo: float, hi: float) -> float:
        return self.rng.uniform(lo, hi) * HOUR

    @property
    def app(self) -> Application:
        assert self.p.application is not None
        return self.p.application

    def fresh(self) -> Application:
        app = self.app
        app.refresh_from_db()
        return app

    def applicant_user(self) -> Any:
        kind = "citizen" if isinstance(self.p.applicant, Citizen) else "enterprise"
        return self.cast.accounts.get((kind, self.p.applicant.pk))

    # -- intake -----------------------------------------------------------------------------

    def intake_kwargs(self) -> dict[str, Any]:
        a = self.p.applicant
        contact = a.name if isinstance(a, Citizen) else a.legal_representative
        kwargs: dict[str, Any] = {
            "item": self.item,
            "applicant": a,
            "contact_name": contact,
            "contact_phone": a.phone if a.phone.startswith("1") else f"1370000{self.p.n:04d}",
            "form_data": _form(self.item, a),
            "idempotency_key": KEY.format(self.p.n),
        }
        if self.post:
            kwargs.update(
                delivery_method=DeliveryMethod.POST,
                postal_address=a.address or "示范市东城区城关街道幸福路18号",
            )
        return kwargs

    def window(self, outcome: str, *, defer: bool = False, defer_days: int = 5) -> None:
        def step() -> None:
            kwargs = self.intake_kwargs()
            marks = _marks(
                self.item, self.rng, defer=defer, defer_days=defer_days, applicant=self.p.applicant
            )
            extra: dict[str, Any] = {}
            if outcome == "refuse":
                extra["reason"] = self.rng.choice(REFUSAL_REASONS)
            if outcome == "supplement":
                required = [m for m in marks if m.status == MaterialStatus.RECEIVED]
                named = self.rng.sample(required, k=min(len(required), self.rng.choice([1, 1, 2])))
                extra["supplement"] = [
                    {"item_material_id": m.item_material_id, "reason": self.rng.choice(SUPPLEMENT_REASONS)}
                    for m in named
                ]
                marks = [m for m in marks if m not in named]
            intake = services.window_intake(
                by=self.cast.clerk, materials=marks, outcome=outcome, **kwargs, **extra
            )
            self.p.application = intake.application

        self.defer = defer
        self.add(0, step)

    def online(self) -> None:
        def step() -> None:
            uploads = {u.pk: [_upload(u.material.name)] for u in _uses(self.item) if u.required}
            channel = self.p.channel
            # a mailed application: the window scans it in
            by = self.cast.clerk if channel == Channel.POST else self.applicant_user()
            intake = services.apply_online(by=by, uploads=uploads, channel=channel, **self.intake_kwargs())
            self.p.application = intake.application

        self.add(0, step)

    def accept(self, gap: float) -> None:
        self.add(gap, lambda: services.accept(application=self.app, by=self.cast.clerk))

    def supplement(self, gap: float) -> None:
        def step() -> None:
            materials = list(self.app.materials.filter(required=True).order_by("order"))
            named = self.rng.sample(materials, k=min(len(materials), self.rng.choice([1, 1, 2])))
            services.request_supplement(
                application=self.fresh(),
                by=self.cast.clerk,
                items=[{"material_id": m.pk, "reason": self.rng.choice(SUPPLEMENT_REASONS)} for m in named],
            )

        self.add(gap, step)

    def supply(self, gap: float) -> None:
        def step() -> None:
            app = self.fresh()
            request = app.supplement_requests.filter(supplied_at__isnull=True).get()
            user = self.applicant_user()
            if app.channel in (Channel.WEB, Channel.MOBILE, Channel.KIOSK) and user is not None:
                uploads = {i["material_id"]: [_upload(i["name"])] for i in request.items}
                services.supply(application=app, by=user, uploads=uploads)
            else:  # at the window: the clerk receives the named materials, and the checklist
                named = set(
                    app.materials.filter(pk__in=[i["material_id"] for i in request.items]).values_list(
                        "item_material_id", flat=True
                    )
                )
                marks = [
                    services.MaterialInput(m.item_material_id, MaterialStatus.RECEIVED, originals=1)
                    for m in app.materials.all()
                    if m.item_material_id in named
                    or (
                        m.required
                        and m.licence_id is None
                        and m.status != MaterialStatus.RECEIVED
                        and m.status != MaterialStatus.DEFERRED
                    )
                ]
                services.supply(application=app, by=self.cast.clerk, materials=marks)

        self.add(gap, step)

    def intake_and_accept(self, *, defer: bool = False, defer_days: int = 5) -> float:
        """Window intake with acceptance, or online filing then 预审 (maybe with a 补正 round)
        and acceptance. Returns the working time it took."""
        if self.p.channel == Channel.WINDOW:
            self.window("accept", defer=defer, defer_days=defer_days)
            return 0.0
        self.online()
        spent = 0.0
        if self.rng.random() < 0.25:
            g1, g2 = self.hours(1, 6), self.hours(2, 20)
            self.supplement(g1)
            self.supply(g2)
            spent += g1 + g2
        g = self.hours(0.5, 8)
        self.accept(g)
        return spent + g

    # -- back office ------------------------------------------------------------------------

    def review(self, gap: float) -> None:
        self.add(
            gap,
            lambda: services.review(application=self.fresh(), by=self.approver, note="材料齐全，开始审查"),
        )

    def hand_in(self, gap: float) -> None:
        def step() -> None:
            app = self.fresh()
            material = app.materials.filter(status=MaterialStatus.DEFERRED).first()
            if material is not None:
                services.hand_in(application=app, by=self.cast.clerk, material_id=material.pk, originals=1)

        self.add(gap, step)

    def extension(self, gap: float, *, decide: bool | None, answer: float | None = None) -> None:
        if self.other_approver is None:
            return
        asker, decider = (self.approver, self.other_approver)
        if decide is None:  # left pending for the demo approver to decide
            asker, decider = (self.cast.approvers[self.item.department_id][1], None)
        days = min(Decimal(self.rng.choice([3, 5, 10])), self.item.legal_limit_days)

        def ask() -> None:
            services.request_extension(
                application=self.fresh(), by=asker, days=days, reason="需征求相关部门意见，申请延长审批期限"
            )

        self.add(gap, ask)
        if decide is not None and decider is not None:
            self.add(
                answer if answer is not None else self.hours(1, 6),
                lambda: services.decide_extension(
                    application=self.fresh(),
                    by=decider,
                    approve=decide,
                    note="情况属实，同意延长" if decide else "理由不充分，不予延长",
                ),
            )

    def special(self, gap: float, *, end_after: float | None) -> None:
        kind, reason, result = self.rng.choice(SPECIALS)
        self.add(
            gap,
            lambda: services.start_special(
                application=self.fresh(), by=self.approver, kind=kind, reason=reason
            ),
        )
        if end_after is not None:
            self.add(
                end_after,
                lambda: services.end_special(application=self.fresh(), by=self.approver, result=result),
            )

    def decide(self, gap: float, approved: bool) -> None:
        opinion = (
            "经审查，申请材料齐全、符合法定形式，准予许可"
            if approved
            else "经审查，申请人不符合法定条件，不予许可"
        )
        self.add(
            gap,
            lambda: services.decide(
                application=self.fresh(), by=self.approver, approved=approved, opinion=opinion
            ),
        )

    def complete(self, gap: float) -> None:
        number = f"{ABBREVIATIONS[self.dept_key]}〔{timezone.localdate().year}〕{self.p.n}号"
        self.add(
            gap, lambda: services.complete(application=self.fresh(), by=self.approver, result_number=number)
        )

    def at_window(self, gap: float, approved: bool) -> None:
        number = f"{ABBREVIATIONS[self.dept_key]}即〔{timezone.localdate().year}〕{self.p.n}号"
        self.add(
            gap,
            lambda: services.decide_at_window(
                application=self.fresh(),
                by=self.cast.clerk,
                approved=approved,
                opinion="材料齐全，符合法定条件，当场办结" if approved else "不符合法定条件，当场不予许可",
                result_number=number,
            ),
        )

    def certify(self, gap: float) -> None:
        number = f"{self.item.department.uscc[-6:]}{self.p.n:06d}"
        self.add(
            gap, lambda: services.certify(application=self.fresh(), by=self.approver, licence_number=number)
        )

    # -- 出件 -------------------------------------------------------------------------------

    def hand_over(self, gap: float) -> None:
        a = self.p.applicant
        # A citizen whose stored number the checks now refuse (two of the accounts demo's: area
        # 410202 did not exist when they were born) sends someone with a 委托书.
        proxy = self.rng.random() < 0.15 or (isinstance(a, Citizen) and not _valid_id(a.id_number))

        def step() -> None:
            if isinstance(a, Citizen) and not proxy:
                name, number = a.name, a.id_number
            else:
                name, number = "何代领", demo_id_number("19860101", 301)
            services.hand_over(
                application=self.fresh(),
                by=self.cast.delivery,
                recipient_name=name,
                recipient_id_number=number,
                by_proxy=proxy and isinstance(a, Citizen),
                proxy_authorisation="申请人签字的授权委托书原件一份"
                if proxy and isinstance(a, Citizen)
                else "",
            )

        self.add(gap, step)

    def post_out(self, gap: float) -> None:
        serial = f"{(10_000_000 + self.p.n * 7_919) % 100_000_000:08d}"
        number = f"EA{serial}{s10_check_digit(serial)}CN"
        self.add(
            gap,
            lambda: services.post(application=self.fresh(), by=self.cast.delivery, tracking_number=number),
        )

    def receipt(self, gap: float) -> None:
        self.add(gap, lambda: services.confirm_receipt(application=self.fresh(), by=self.cast.delivery))

    def archive(self, gap: float) -> None:
        self.add(gap, lambda: services.archive(application=self.fresh(), by=self.cast.delivery))

    def withdraw(self, gap: float) -> None:
        def step() -> None:
            app = self.fresh()
            user = self.applicant_user() if app.channel != Channel.WINDOW else None
            services.withdraw(
                application=app,
                by=user or self.cast.clerk,
                reason=self.rng.choice(
                    ["申请人决定暂不办理", "申请人材料需重新准备，撤回后重新申请", "经营计划调整，撤回申请"]
                ),
            )

        self.add(gap, step)

    # -- whole paths ------------------------------------------------------------------------

    def running_elapsed(self) -> float:
        """Working time since acceptance for an application whose clock runs: mostly within the
        limit (正常), some close to it (临期), some past it (超期)."""
        roll = self.rng.random()
        day = 7 * HOUR
        if roll < 0.2:  # 临期: only a little working time left
            left = min(self.limit_s * 0.2, day) * self.rng.uniform(0.2, 0.8)
            return self.limit_s - left
        if roll < 0.35:  # 超期
            return self.limit_s + self.rng.uniform(0.3, 4) * day
        return self.limit_s * self.rng.uniform(0.05, 0.6)

    def back_office_to_decision(self, approved: bool) -> None:
        """审查 → (延长审批, 特别程序, 退回窗口 and 补正 or 说明) → 决定 → 办结, one in ten after the
        limit. The steps share the working time used (``budget``); a 特别程序's span stops the clock."""
        budget = self.limit_s * (
            self.rng.uniform(0.3, 0.9) if self.rng.random() < 0.9 else self.rng.uniform(1.1, 1.8)
        )
        self.budget = budget
        used = 0.1
        self.review(budget * 0.1)
        if self.defer:
            self.hand_in(budget * 0.1)
            used += 0.1
        if self.rng.random() < 0.15:
            self.special(budget * 0.1, end_after=self.rng.uniform(1, 5) * 7 * HOUR)
            used += 0.1
        if self.other_approver is not None and self.rng.random() < 0.2:
            self.extension(budget * 0.1, decide=self.rng.random() < 0.7, answer=budget * 0.05)
            used += 0.15
        if self.rng.random() < 0.1:
            self.add(
                budget * 0.1,
                lambda: services.return_to_window(
                    application=self.fresh(), by=self.approver, reason="申请书内容需申请人补充说明"
                ),
            )
            self.add(
                budget * 0.05,
                lambda: services.forward(
                    application=self.fresh(), by=self.cast.clerk, note="已与申请人核实，情况说明附后"
                ),
            )
            used += 0.15
        self.decide(budget * max(0.9 - used, 0.05), approved)

    def build(self) -> None:
        """One branch per target state, read top to bottom."""
        t = self.p.target
        rng = self.rng
        approved = t == S.CERTIFIED or rng.random() < 0.85
        if t == S.ARCHIVED and rng.random() < 0.2:  # 不予受理 or 撤回, then filed away
            if rng.random() < 0.5:
                self.window("refuse")
            else:
                self.intake_and_accept()
                self.withdraw(self.hours(2, 20))
            self.archive(self.hours(7, 40))
            self.p.tail = self.hours(7, 200)
            return
        if t == S.SUBMITTED:
            self.online()
            self.p.tail = self.hours(0.3, 10)
        elif t == S.SUPPLEMENT:
            if self.p.channel == Channel.WINDOW:
                self.window("supplement")
            elif rng.random() < 0.7:
                self.online()
                self.supplement(self.hours(1, 8))
            else:  # after acceptance: the back office returns it, the window asks for 补正
                self.intake_and_accept()
                self.review(self.hours(1, 7))
                self.add(
                    self.hours(1, 7),
                    lambda: services.return_to_window(
                        application=self.fresh(), by=self.approver, reason="平面图与现场不符，需申请人补正"
                    ),
                )
                self.supplement(self.hours(0.5, 3))
            self.p.tail = self.hours(1, 30)
        elif t == S.NOT_ACCEPTED:
            if self.p.channel == Channel.WINDOW:
                self.window("refuse")
            else:
                self.online()
                self.add(
                    self.hours(0.5, 6),
                    lambda: services.refuse(
                        application=self.fresh(), by=self.cast.clerk, reason=rng.choice(REFUSAL_REASONS)
                    ),
                )
            self.p.tail = self.hours(2, 200)
        elif t == S.WITHDRAWN:
            if self.p.channel != Channel.WINDOW and rng.random() < 0.6:
                self.online()
            else:
                self.intake_and_accept()
            self.withdraw(self.hours(2, 20))
            self.p.tail = self.hours(2, 150)
        elif t in (S.ACCEPTED, S.REVIEWING, S.RETURNED):
            elapsed = self.running_elapsed()
            defer = self.p.channel == Channel.WINDOW and rng.random() < 0.3
            if self.force_overdue:  # 容缺 material three working days overdue, never handed in
                elapsed, defer = max(elapsed, 6 * 7 * HOUR), True
            self.intake_and_accept(defer=defer, defer_days=3 if elapsed > 5 * 7 * HOUR else 5)
            used = 0.0
            if t in (S.REVIEWING, S.RETURNED):
                g = elapsed * rng.uniform(0.05, 0.3)
                self.review(g)
                used += g
                if t == S.REVIEWING and self.other_approver is not None and rng.random() < 0.3:
                    g = elapsed * 0.1
                    self.extension(g, decide=None if rng.random() < 0.5 else True)
                    used += g + 6 * HOUR
            if t == S.RETURNED:
                g = elapsed * 0.2
                self.add(
                    g,
                    lambda: services.return_to_window(
                        application=self.fresh(),
                        by=self.approver,
                        reason="申请材料与申请表内容不一致，请窗口核实",
                    ),
                )
                used += g
            self.p.tail = max(elapsed - used, 600.0)
        elif t == S.SPECIAL:
            self.intake_and_accept()
            self.review(self.hours(1, 7))
            self.special(self.hours(2, 14), end_after=None)
            self.p.tail = self.hours(2, 60)
        else:  # DECIDED and later
            if self.immediate:
                self.intake_and_accept()
                self.at_window(self.hours(0.1, 0.4), approved)
            else:
                self.intake_and_accept(
                    defer=self.p.channel == Channel.WINDOW and rng.random() < 0.2, defer_days=5
                )
                self.back_office_to_decision(approved)
                if t != S.DECIDED:
                    self.complete(self.budget * 0.1)
            self.p.tail = self.hours(1, 30)
            if t in (S.DECIDED, S.COMPLETED):
                return
            if self.licence and approved:
                self.certify(self.hours(2, 14))
            if t == S.CERTIFIED:
                return
            if self.post:
                self.post_out(self.hours(2, 14))
                if t == S.POSTED:
                    return
                self.receipt(self.hours(7, 21))
            else:
                self.hand_over(self.hours(2, 30))
            if t == S.ARCHIVED:
                self.archive(self.hours(7, 70))
            self.p.tail = self.hours(2, 120)


# ---------------------------------------------------------------------------------------------
# Drawing and running the plans
# ---------------------------------------------------------------------------------------------


def _items(departments: dict[str, Department]) -> dict[str, list[ServiceItem]]:
    by_key: dict[str, list[ServiceItem]] = {}
    for key in BACK_OFFICES:
        by_key[key] = list(
            ServiceItem.objects.filter(department=departments[key], status=VersionStatus.PUBLISHED)
            .select_related("department")
            .order_by("implementation_code")
        )
    return by_key


PERSON_OBJECTS = {ServiceObject.PERSON}


def _plans(cast: Cast, departments: dict[str, Department]) -> list[tuple[Plan, Builder]]:
    rng = random.Random(SEED)
    items = _items(departments)
    keys = list(BACK_OFFICES)
    weights = [BACK_OFFICES[k][1] for k in keys]
    targets = [state for state, count in STATE_COUNTS.items() for _ in range(count)]
    rng.shuffle(targets)
    plans = []
    overdue_planned = False
    for n, target in enumerate(targets, start=1):
        own = random.Random(rng.random())
        key = own.choices(keys, weights)[0]
        choices = [i for i in items[key] if _fits(i, target)]
        if not choices:
            key = "market"
            choices = [i for i in items[key] if _fits(i, target)]
        item = own.choice(choices)
        person_ok = str(ServiceObject.PERSON) in [str(o) for o in item.service_objects]
        company_ok = any(str(o) != str(ServiceObject.PERSON) for o in item.service_objects)
        as_person = person_ok and (not company_ok or own.random() < 0.5)
        channel = own.choices(
            [Channel.WINDOW, Channel.WEB, Channel.MOBILE, Channel.KIOSK, Channel.POST], [45, 25, 20, 5, 5]
        )[0]
        if item.online_depth < 2 or item.case_type == CaseType.IMMEDIATE:
            channel = Channel.WINDOW
        if target == S.SUBMITTED and channel == Channel.WINDOW:
            channel = Channel.WEB if item.online_depth >= 2 else Channel.POST
        online_pool: Sequence[Citizen | Enterprise] = (
            cast.online_citizens if as_person else cast.online_enterprises
        )
        pool: Sequence[Citizen | Enterprise] = cast.citizens if as_person else cast.enterprises
        if channel in (Channel.WEB, Channel.MOBILE, Channel.KIOSK):
            # the demo citizen login applies often, so 我的办件 has plenty to show
            applicant: Citizen | Enterprise = (
                online_pool[0] if own.random() < 0.35 else own.choice(online_pool)
            )
        else:
            applicant = own.choice(pool)
        plan = Plan(n=n, item=item, target=target, channel=channel, applicant=applicant, rng=own)
        builder = Builder(plan, cast, key)
        if target == S.REVIEWING and not overdue_planned and _deferrable(item):
            plan.channel, builder.force_overdue, overdue_planned = Channel.WINDOW, True, True
        builder.build()
        plans.append((plan, builder))
    return plans


def _deferrable(item: ServiceItem) -> bool:
    return any(u.required and not u.critical for u in _uses(item))


def _fits(item: ServiceItem, target: str) -> bool:
    immediate = item.case_type == CaseType.IMMEDIATE or item.promised_limit_days == 0
    if target == S.SUBMITTED and item.online_depth < 2:
        return False
    if target in (S.ACCEPTED, S.REVIEWING, S.RETURNED, S.SPECIAL, S.DECIDED):
        return not immediate and item.promised_limit_days >= Decimal("0.5")
    if target == S.CERTIFIED:
        return bool(item.result_licence_type)
    return True


def _run(plan: Plan, now: datetime) -> None:
    cal = get_calendar()
    total = sum(gap for gap, _ in plan.steps) + plan.tail
    moment = _before(now, total)
    for gap, step in plan.steps:
        moment = cal.add_working_seconds(moment, int(gap))
        if moment >= now:
            moment = now - timedelta(minutes=1)
        with _at(moment):
            step()


@transaction.atomic
def load_demo_applications() -> int:
    """Create the demo applications still missing (all of them the first time). Returns how many
    were created."""
    names = {key: name for key, (name, _, _) in BACK_OFFICES.items()}
    found = {d.name: d for d in Department.objects.filter(name__in=names.values())}
    departments = {key: found[name] for key, name in names.items() if name in found}
    if len(departments) != len(names) or User.objects.filter(username__in=["clerk", "delivery"]).count() != 2:
        return 0  # the demo city is not loaded
    total = sum(STATE_COUNTS.values())
    existing = set(
        Application.objects.filter(idempotency_key__startswith="demo-bj-").values_list(
            "idempotency_key", flat=True
        )
    )
    if len(existing) >= total:
        return 0
    cast = _cast(departments)
    now = timezone.now().replace(microsecond=0)
    created = 0
    for plan, _builder in _plans(cast, departments):
        if KEY.format(plan.n) in existing:
            continue
        _run(plan, now)
        created += 1
    # The periodic job, as the scheduler runs it: 容缺 materials past their deadline are flagged.
    services.flag_overdue_deferred(now)
    return created
