"""好差评 services: rating a finished matter (one per rater and round, 追评 as a new round), the
差评 rectification loop with working-day limits, 申诉复核, and the figures (好评率, 差评率, 整改率,
回访率) every later page and report reads.

Limits come from settings: RATING_FOLLOW_UP_DAYS (calendar days after the first rating within which
a 追评 is taken), RATING_VERIFY_WORKING_DAYS (回访核实, default 1), RATING_FIX_WORKING_DAYS (整改,
default 5; a city sets 5, 7 or 15).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from zhengwu.calendar.selectors import get_calendar
from zhengwu.calendar.workdays import Limit
from zhengwu.core import audit
from zhengwu.core.errors import Conflict, InvalidInput, NotAllowed
from zhengwu.core.text import clean_text

from .models import (
    BAD_LEVELS,
    GOOD_LEVELS,
    ONLINE_DIMENSIONS,
    ONSITE_DIMENSIONS,
    ContestState,
    Level,
    MatterKind,
    Outcome,
    Rating,
    RatingChannel,
    RatingContest,
    RatingSource,
    Rectification,
    RectificationState,
    WindowVisit,
)

DIMENSIONS = {**ONLINE_DIMENSIONS, **ONSITE_DIMENSIONS}


def _now() -> datetime:
    return timezone.now()


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


# ---------------------------------------------------------------------------------------------
# The matter rated
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Matter:
    """What a rating is about, and through it who is rated."""

    kind: str
    obj: Any
    number: str
    department: Any
    finished: bool
    window: Any = None
    staff: Any = None
    item: Any = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.obj.pk}"

    @property
    def region_id(self) -> int | None:
        return getattr(self.department, "region_id", None)

    def link(self) -> dict[str, Any]:
        field = {
            MatterKind.APPLICATION: "application",
            MatterKind.BUNDLE: "bundle_application",
            MatterKind.APPEAL: "appeal",
            MatterKind.VISIT: "visit",
        }[MatterKind(self.kind)]
        return {field: self.obj}


def matter_of(obj: Any) -> Matter:
    """The Matter of an application, a 一件事办件, an appeal or a window service visit."""
    from zhengwu.appeals.models import Appeal
    from zhengwu.applications.models import Application, BundleApplication

    if isinstance(obj, Application):
        return Matter(
            MatterKind.APPLICATION,
            obj,
            obj.number,
            obj.department,
            finished=obj.completed_at is not None or obj.closed_at is not None,
            window=obj.window,
            staff=obj.decided_by or obj.accepted_by,
            item=obj.item,
        )
    if isinstance(obj, BundleApplication):
        return Matter(
            MatterKind.BUNDLE,
            obj,
            obj.number,
            getattr(obj.accepted_by, "department", None),  # the window that took the whole bundle in
            finished=obj.completed_at is not None,
            staff=obj.accepted_by,
        )
    if isinstance(obj, Appeal):
        # The latest 主办 assignment, open or finished (a rated appeal's are finished).
        lead = (
            obj.assignments.filter(role="lead")
            .select_related("department")
            .order_by("-created_at", "-pk")
            .first()
        )
        department = lead.department if lead is not None else getattr(obj.registered_by, "department", None)
        return Matter(MatterKind.APPEAL, obj, obj.number, department, finished=obj.closed_at is not None)
    if isinstance(obj, WindowVisit):
        return Matter(
            MatterKind.VISIT,
            obj,
            obj.number,
            obj.department,
            finished=True,  # a visit is recorded when the clerk finishes serving
            window=obj.window,
            staff=obj.staff,
            item=obj.item,
        )
    raise InvalidInput("只能评价办件、一件事、诉求或窗口服务", field="matter")


def phone_key(phone: str) -> str:
    return "phone:" + hashlib.sha256(phone.strip().encode()).hexdigest()[:32]


# ---------------------------------------------------------------------------------------------
# Rating
# ---------------------------------------------------------------------------------------------


def _level(value: Any) -> int:
    try:
        level = int(value)
    except (TypeError, ValueError):
        level = 0
    if level not in Level.values:
        raise InvalidInput("满意度应为1（非常满意）至5（非常不满意）", field="level")
    return level


def _scores(values: Mapping[str, Any] | None) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, value in (values or {}).items():
        if name not in DIMENSIONS:
            raise InvalidInput(f"没有“{name}”这一评价维度", field=f"scores.{name}")
        try:
            out[name] = _level(value)
        except InvalidInput:
            raise InvalidInput(f"“{DIMENSIONS[name]}”应为1至5", field=f"scores.{name}") from None
    return out


@transaction.atomic
def rate(
    *,
    matter: Any,
    rater_key: str,
    channel: str,
    level: Any,
    text: str = "",
    scores: Mapping[str, Any] | None = None,
    rater_user: Any = None,
    rater_name: str = "",
    real_name: bool = False,
    follow_up: bool = False,
    source: str = RatingSource.RATER,
    at: datetime | None = None,
    round: int | None = None,
) -> Rating:
    """One rating of a finished matter. The first is round 1; ``follow_up`` (补充评价/追评) makes
    the next round, taken within RATING_FOLLOW_UP_DAYS of the first; ``round`` names the round
    outright (the rating of a 差评's fix, whose period the caller checks). A second rating of the same
    round is refused (409) — by the database's constraint, so concurrent submissions cannot both
    land. A 不满意/非常不满意 opens the rectification case."""
    m = matter if isinstance(matter, Matter) else matter_of(matter)
    if not m.finished:
        raise Conflict("办结后才能评价", field="matter")
    if m.department is None:
        raise Conflict("找不到办理部门，无法评价", field="matter")
    if channel not in RatingChannel.values:
        raise InvalidInput("评价渠道无效", field="channel")
    if not rater_key:
        raise InvalidInput("缺少评价人", field="rater")
    level = _level(level)
    body = clean_text(text, field="text", label="评价内容", max_length=1000)
    at = at or _now()
    earlier = Rating.objects.filter(matter_key=m.key, rater_key=rater_key).order_by("round")
    first = earlier.first()
    if round is not None:
        round_ = round
    elif follow_up:
        if first is None:
            raise Conflict("尚未评价，不能追评", field="matter")
        if at > first.rated_at + timedelta(days=_setting("RATING_FOLLOW_UP_DAYS", 15)):
            raise Conflict("已超过追评期限", field="matter")
        round_ = earlier.last().round + 1  # type: ignore[union-attr]
    else:
        round_ = 1
    rating = _new_rating(
        m,
        channel=channel,
        source=source,
        rater_key=rater_key,
        rater_user=rater_user if getattr(rater_user, "is_authenticated", False) else None,
        rater_name=clean_text(rater_name, field="rater_name", label="评价人", max_length=50),
        real_name=real_name,
        round=round_,
        level=level,
        text=body,
        scores=_scores(scores),
        rated_at=at,
    )
    try:
        with transaction.atomic():
            rating.save()
    except IntegrityError:
        raise Conflict("您已评价过，本轮不能重复评价", field="matter") from None
    if rating.bad:
        open_rectification(rating)
    return rating


def _new_rating(m: Matter, **fields: Any) -> Rating:
    return Rating(
        matter_kind=m.kind,
        matter_key=m.key,
        matter_number=m.number,
        department=m.department,
        region_id=m.region_id,
        window=m.window,
        staff=m.staff,
        item=m.item,
        **m.link(),
        **fields,
    )


def appeal_rater_key(appeal: Any) -> str:
    """The one rater of an appeal: its citizen, its enterprise, or its contact phone (as the data
    migration 0002 keyed the ratings it moved)."""
    if appeal.citizen_id:
        return f"citizen:{appeal.citizen_id}"
    if appeal.enterprise_id:
        return f"enterprise:{appeal.enterprise_id}"
    if appeal.contact_phone:
        return phone_key(appeal.contact_phone)
    return f"appeal:{appeal.pk}"


def record_appeal_rating(
    *,
    appeal: Any,
    level: int,
    text: str,
    channel: str,
    source: str,
    user: Any = None,
    at: datetime | None = None,
) -> Rating | None:
    """The appeals desk's 评价 (the citizen's own) and 回访 (by phone) as ratings: each the next
    round of the appeal's rater, as they happen (the caller holds the appeal's row lock). None when
    no department handled the appeal yet."""
    m = matter_of(appeal)
    if m.department is None:
        return None
    key = appeal_rater_key(appeal)
    last = (
        Rating.objects.filter(matter_key=m.key, rater_key=key)
        .order_by("-round")
        .values_list("round", flat=True)
        .first()
    )
    rating = _new_rating(
        m,
        channel=channel,
        source=source,
        rater_key=key,
        rater_user=user
        if getattr(user, "is_authenticated", False) and not getattr(user, "is_staff", False)
        else None,
        rater_name=(appeal.contact_name or "")[:50],
        real_name=bool(appeal.citizen_id or appeal.enterprise_id),
        round=(last or 0) + 1,
        level=_level(level),
        text=(text or "")[:1000],
        rated_at=at or _now(),
    )
    rating.save()
    if rating.bad:
        open_rectification(rating)
    return rating


# ---------------------------------------------------------------------------------------------
# 差评整改
# ---------------------------------------------------------------------------------------------


def _due(start: datetime, days: int) -> datetime:
    return get_calendar().deadline_for(start, Limit.working_days(Decimal(days)))


def open_rectification(rating: Rating) -> Rectification:
    """The case of a 差评, for the unit that handled the matter, 回访核实 due in
    RATING_VERIFY_WORKING_DAYS working days."""
    return Rectification.objects.create(
        rating=rating,
        department=rating.department,
        verify_due_at=_due(rating.rated_at, _setting("RATING_VERIFY_WORKING_DAYS", 1)),
    )


def _may_handle(case: Rectification, by: Any) -> None:
    if getattr(by, "is_superuser", False):
        return  # city-wide roles (领导, 督办员) see the cases and urge them; the unit itself acts
    if not getattr(by, "is_staff", False) or getattr(by, "department_id", None) != case.department_id:
        raise NotAllowed("只有办理单位可以处理本单位的差评整改")


def _lock(case: Rectification, state: str) -> Rectification:
    case = Rectification.objects.select_for_update().select_related("rating").get(pk=case.pk)
    if case.state != state:
        raise Conflict(f"差评整改当前为“{case.get_state_display()}”，不能进行此操作", field="state")
    return case


@transaction.atomic
def verify(*, case: Rectification, by: Any, reached: bool, facts: str) -> Rectification:
    """回访核实: whether the rater was reached and what the facts are."""
    case = _lock(case, RectificationState.VERIFYING)
    _may_handle(case, by)
    case.facts = clean_text(facts, field="facts", label="核实情况", max_length=2000, required=True)
    case.reached, case.verified_at, case.verified_by = bool(reached), _now(), by
    case.state = RectificationState.RECTIFYING
    case.save()
    audit.record(actor=by, action="ratings.verified", obj=case, summary=case.facts[:200])
    return case


@transaction.atomic
def resolve(
    *, case: Rectification, by: Any, outcome: str, plan: str = "", evidence: str = ""
) -> Rectification:
    """The outcome: 立行立改 (done now: evidence), 限期整改 (a plan, due in RATING_FIX_WORKING_DAYS
    working days; evidence later through ``rectified``), or 解释说明 (the explanation as evidence)."""
    case = _lock(case, RectificationState.RECTIFYING)
    _may_handle(case, by)
    if outcome not in Outcome.values:
        raise InvalidInput("处理方式应为立行立改、限期整改或解释说明", field="outcome")
    case.outcome = outcome
    at = _now()
    if outcome == Outcome.DEADLINE:
        case.plan = clean_text(plan, field="plan", label="整改措施", max_length=2000, required=True)
        case.fix_due_at = _due(at, _setting("RATING_FIX_WORKING_DAYS", 5))
    else:
        label = "整改佐证" if outcome == Outcome.IMMEDIATE else "解释说明"
        case.evidence = clean_text(evidence, field="evidence", label=label, max_length=2000, required=True)
        case.plan = clean_text(plan, field="plan", label="整改措施", max_length=2000)
        case.rectified_at, case.state = at, RectificationState.FEEDBACK
    case.save()
    return case


@transaction.atomic
def rectified(*, case: Rectification, by: Any, evidence: str) -> Rectification:
    """限期整改 done: the evidence."""
    case = _lock(case, RectificationState.RECTIFYING)
    _may_handle(case, by)
    if case.outcome != Outcome.DEADLINE:
        raise Conflict("请先确定处理方式", field="outcome")
    case.evidence = clean_text(evidence, field="evidence", label="整改佐证", max_length=2000, required=True)
    case.rectified_at, case.state = _now(), RectificationState.FEEDBACK
    case.save()
    return case


@transaction.atomic
def close(*, case: Rectification, by: Any, feedback: str) -> Rectification:
    """Feedback to the rater (by SMS where their phone is known, with a link to rate the fix: the
    next round, see feedback.py), and the case closes."""
    case = _lock(case, RectificationState.FEEDBACK)
    _may_handle(case, by)
    if not case.evidence:
        raise Conflict("没有整改佐证，不能办结", field="evidence")
    case.feedback = clean_text(feedback, field="feedback", label="反馈内容", max_length=2000, required=True)
    case.fed_back_at = case.closed_at = _now()
    case.state = RectificationState.CLOSED
    case.save()
    audit.record(actor=by, action="ratings.rectified", obj=case, summary=case.feedback[:200])
    from .feedback import send_on_commit  # the SMS to the rater, with the link to rate the fix

    send_on_commit(case)
    return case


# ---------------------------------------------------------------------------------------------
# 申诉复核
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def contest(*, rating: Rating, by: Any, reason: str, evidence: str) -> RatingContest:
    """A department contests a rating of its own, with reason and evidence."""
    if not getattr(by, "is_staff", False) or getattr(by, "department_id", None) != rating.department_id:
        raise NotAllowed("只能对本单位收到的评价提出申诉")
    if rating.excluded:
        raise Conflict("该评价已不计入统计", field="rating")
    try:
        with transaction.atomic():
            return RatingContest.objects.create(
                rating=rating,
                department_id=rating.department_id,
                reason=clean_text(reason, field="reason", label="申诉理由", max_length=2000, required=True),
                evidence=clean_text(
                    evidence, field="evidence", label="证据说明", max_length=2000, required=True
                ),
                filed_by=by,
            )
    except IntegrityError:
        raise Conflict("该评价已有待复核的申诉", field="rating") from None


@transaction.atomic
def decide_contest(*, contest: RatingContest, by: Any, upheld: bool, decision: str) -> RatingContest:
    """The supervisor's decision; upheld, the rating leaves the figures and stays on record."""
    if not getattr(by, "has_perm", lambda _: False)("ratings.decide_ratingcontest"):
        raise NotAllowed("只有督办人员可以复核评价申诉")
    contest = RatingContest.objects.select_for_update().select_related("rating").get(pk=contest.pk)
    if contest.state != ContestState.PENDING:
        raise Conflict("该申诉已复核", field="state")
    contest.decision = clean_text(
        decision, field="decision", label="复核意见", max_length=2000, required=True
    )
    contest.state = ContestState.UPHELD if upheld else ContestState.REJECTED
    contest.decided_by, contest.decided_at = by, _now()
    contest.save()
    if upheld:
        Rating.objects.filter(pk=contest.rating_id).update(
            excluded=True, excluded_reason=contest.decision[:500]
        )
    audit.record(
        actor=by, action=f"ratings.contest_{contest.state}", obj=contest, summary=contest.decision[:200]
    )
    return contest


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """好差评 figures over a set of ratings (excluded ones left out). Rates are None without data."""

    count: int
    good: int
    bad: int
    bad_rectified: int
    bad_real_name: int
    bad_real_name_verified: int

    @staticmethod
    def _rate(part: int, whole: int) -> Decimal | None:
        return (Decimal(part) * 100 / whole).quantize(Decimal("0.1")) if whole else None

    @property
    def good_rate(self) -> Decimal | None:
        """好评率 = 好评（非常满意、满意、基本满意）÷ 评价数 × 100%."""
        return self._rate(self.good, self.count)

    @property
    def bad_rate(self) -> Decimal | None:
        """差评率 = 差评（不满意、非常不满意）÷ 评价数 × 100%."""
        return self._rate(self.bad, self.count)

    @property
    def rectified_rate(self) -> Decimal | None:
        """差评整改率 = 已办结的差评整改 ÷ 差评数 × 100%."""
        return self._rate(self.bad_rectified, self.bad)

    @property
    def verified_rate(self) -> Decimal | None:
        """实名差评回访率 = 已回访核实的实名差评 ÷ 实名差评 × 100% (the target is 100%)."""
        return self._rate(self.bad_real_name_verified, self.bad_real_name)


def figures(ratings: QuerySet[Rating]) -> Figures:
    """The figures of ``ratings`` (a department's, a month's …) in one query."""
    counted = ratings.filter(excluded=False)
    bad = Q(level__in=BAD_LEVELS)
    row = counted.aggregate(
        count=Count("pk"),
        good=Count("pk", filter=Q(level__in=GOOD_LEVELS)),
        bad=Count("pk", filter=bad),
        bad_rectified=Count("pk", filter=bad & Q(rectification__state=RectificationState.CLOSED)),
        bad_real_name=Count("pk", filter=bad & Q(real_name=True)),
        bad_real_name_verified=Count(
            "pk", filter=bad & Q(real_name=True, rectification__verified_at__isnull=False)
        ),
    )
    return Figures(**row)


def unverified_real_name_bad(ratings: QuerySet[Rating] | None = None) -> QuerySet[Rating]:
    """Real-name 差评 without a 回访核实 yet — listed until done."""
    qs = Rating.objects.all() if ratings is None else ratings
    return qs.filter(
        excluded=False, real_name=True, level__in=BAD_LEVELS, rectification__verified_at__isnull=True
    ).select_related("department", "rectification")
