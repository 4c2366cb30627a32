"""差评整改的反馈: when a rectification case closes, the rater is told what was done by SMS — the
feedback and a link (/r/f/<signed>/) on which they rate the fix, as the next round of the same rater
on the same matter (the 差评's own round + 1, once).

The rater's phone is the rated matter's contact phone: the applicant of an application or a
一件事办件, the caller of an appeal, and for a window service the applicant of the application taken
in or handed over there. A service at a window with no application behind it (a queue number only)
has no known phone: its rater is anonymous and gets no SMS.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from zhengwu.core.errors import Conflict, NotFound

from . import invitations, services
from .models import Rating, RatingChannel, Rectification, RectificationState, WindowVisit

SALT = "ratings.feedback"


def matter_object(rating: Rating) -> Any:
    return rating.application or rating.bundle_application or rating.appeal or rating.visit


def rater_phone(rating: Rating) -> str:
    """The mobile phone the rater can be reached on, or "" when none is known."""
    obj = matter_object(rating)
    if isinstance(obj, WindowVisit):
        obj = obj.application  # the applicant served at the window, if an application was behind it
    phone = invitations.normal_phone(getattr(obj, "contact_phone", "") or "")
    return phone if invitations.is_mobile(phone) else ""


def signed(case: Rectification) -> str:
    return signing.dumps(case.pk, salt=SALT)


def url(case: Rectification) -> str:
    base = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return f"{base}/r/f/{signed(case)}/"


def case_for(value: str) -> Rectification:
    """The case of a feedback link; NotFound for a forged or damaged one."""
    try:
        pk = signing.loads(value, salt=SALT)
    except signing.BadSignature:
        raise NotFound("整改反馈链接无效", field="link") from None
    case = (
        Rectification.objects.select_related(
            "rating", "rating__application", "rating__bundle_application", "rating__appeal", "rating__visit"
        )
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise NotFound("整改反馈链接无效", field="link")
    return case


def until(case: Rectification) -> datetime | None:
    """The last moment the fix may be rated: RATING_FOLLOW_UP_DAYS after the feedback."""
    if case.fed_back_at is None:
        return None
    return case.fed_back_at + timedelta(days=int(getattr(settings, "RATING_FOLLOW_UP_DAYS", 15)))


def fix_rating(case: Rectification) -> Rating | None:
    """The rater's rating of the fix (the round after the 差评), if given."""
    r = case.rating
    return Rating.objects.filter(matter_key=r.matter_key, rater_key=r.rater_key, round=r.round + 1).first()


def send(case: Rectification) -> Any:
    """The feedback SMS of a closed case (once: the dedupe key), or None without a known phone."""
    from zhengwu.notifications.services import notify

    phone = rater_phone(case.rating)
    if not phone or case.state != RectificationState.CLOSED:
        return None
    feedback = case.feedback if len(case.feedback) <= 120 else case.feedback[:119] + "…"
    body = (
        f"您好，您对办件{case.rating.matter_number}的评价，"
        f"{case.department.name}已整改：{feedback} 欢迎对整改结果再次评价：{url(case)}"
    )
    return notify(phone=phone, body=body, about=case, dedupe_key=f"rating-feedback:{case.pk}")


def send_on_commit(case: Rectification) -> None:
    transaction.on_commit(
        lambda: send(Rectification.objects.select_related("rating", "department").get(pk=case.pk))
    )


def rate_fix(
    case: Rectification, *, level: Any, text: str = "", scores: Any = None, at: datetime | None = None
) -> Rating:
    """The rater rates the fix: the 差评's round + 1, channel 短信, once, within its period."""
    at = at or timezone.now()
    if case.state != RectificationState.CLOSED:
        raise Conflict("整改尚未办结，办结并反馈后才能评价整改结果", field="link")
    deadline = until(case)
    if deadline is not None and at > deadline:
        raise Conflict("已超过对整改结果评价的期限", field="link")
    first = case.rating
    if fix_rating(case) is not None:
        raise Conflict("您已对整改结果作出评价，不能重复评价", field="link")
    try:
        return services.rate(
            matter=matter_object(first),
            rater_key=first.rater_key,
            channel=RatingChannel.SMS,
            level=level,
            text=text,
            scores=scores,
            rater_user=first.rater_user,
            rater_name=first.rater_name,
            real_name=first.real_name,
            source=first.source,
            at=at,
            round=first.round + 1,
        )
    except Conflict as e:
        if e.field == "matter":  # the constraint: the same link submitted twice at once
            raise Conflict("您已对整改结果作出评价，不能重复评价", field="link") from None
        raise
