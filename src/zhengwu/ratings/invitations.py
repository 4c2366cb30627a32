"""智能邀评 and 电话邀评: the one SMS invitation a finished matter gets (at a sensible hour, not to
a phone that opted out, one reminder), the short link and the 二维码 that lead to its rating form,
the weekly random phone sample for callback staff, and the response rates.

Settings (read with defaults): RATING_INVITE_DELAY_MINUTES (30) after the matter finished, only
within RATING_INVITE_HOURS ("09:00-20:00", Asia/Shanghai); one reminder RATING_REMIND_AFTER_DAYS (3)
after the invitation when it is still unanswered; RATING_PHONE_SAMPLE_SHARE (0.05) of each
department's finished matters drawn each week.

Every rating an invitation, a 二维码 or a callback brings is keyed to the matter's applicant with
the same rater key the applicant's own 我的办件 page uses, so all channels share the one rating per
matter, rater and round.
"""

from __future__ import annotations

import base64
import hashlib
import math
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac

from zhengwu.core.errors import Conflict, InvalidInput, NotFound

from . import services
from .models import (
    InvitationState,
    MatterKind,
    PhoneSample,
    Rating,
    RatingChannel,
    RatingInvitation,
    RatingOptOut,
    RatingSource,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
LOOKBACK = timedelta(days=3)  # how far back schedule_due looks for matters not yet invited
OPEN_DAYS = 15  # an invitation takes a reply or a link rating this many days after it was sent
QR_SALT = "ratings.qr"
MOBILE_DIGITS = 11


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def is_mobile(phone: str) -> bool:
    from zhengwu.notifications.services import MOBILE

    return bool(MOBILE.match((phone or "").strip().replace(" ", "")))


def normal_phone(phone: str) -> str:
    phone = (phone or "").strip().replace(" ", "").replace("-", "")
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("86") and len(phone) == MOBILE_DIGITS + 2:
        phone = phone[2:]
    return phone


# ---------------------------------------------------------------------------------------------
# The matter, its applicant and phone
# ---------------------------------------------------------------------------------------------


def applicant_rater_key(obj: Any) -> str:
    """The rater key of an application's or a 一件事办件's applicant: the account the applicant's
    我的办件 page rates with (``public_views.rater_key``: the citizen's own account, else the
    online filing account), else the contact phone's key; an appeal's is services.appeal_rater_key."""
    from zhengwu.appeals.models import Appeal
    from zhengwu.applications.models import Channel

    if isinstance(obj, Appeal):
        return services.appeal_rater_key(obj)
    citizen = getattr(obj, "citizen", None)
    if citizen is not None and citizen.user_id:
        return f"user:{citizen.user_id}"
    if obj.channel != Channel.WINDOW and obj.submitted_by_id:
        return f"user:{obj.submitted_by_id}"
    return services.phone_key(normal_phone(obj.contact_phone))


def _rater_user(key: str) -> Any:
    if not key.startswith("user:"):
        return None
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=key.split(":", 1)[1]).first()


def _rater_name(obj: Any) -> str:
    return str(getattr(obj, "applicant_name", "") or getattr(obj, "contact_name", "") or "")[:50]


def finished_at(obj: Any) -> datetime | None:
    return getattr(obj, "completed_at", None) or getattr(obj, "closed_at", None)


def matter_object(matter_key: str) -> Any:
    """The application, 一件事办件 or appeal of ``kind:pk``; NotFound for anything else."""
    from zhengwu.appeals.models import Appeal
    from zhengwu.applications.models import Application, BundleApplication

    kind, _, pk = (matter_key or "").partition(":")
    model = {
        MatterKind.APPLICATION: Application,
        MatterKind.BUNDLE: BundleApplication,
        MatterKind.APPEAL: Appeal,
    }.get(kind)  # type: ignore[call-overload]
    if model is None or not pk.isdigit():
        raise NotFound("没有找到该办件", field="matter")
    found = model.objects.filter(pk=int(pk)).first()
    if found is None:
        raise NotFound("没有找到该办件", field="matter")
    return found


@dataclass(frozen=True)
class Finished:
    """A finished matter with the applicant's phone: what invitations and the phone sample draw."""

    matter: services.Matter
    phone: str
    at: datetime

    @property
    def key(self) -> str:
        return self.matter.key


def finished_matters(start: datetime, end: datetime) -> Iterator[Finished]:
    """Applications (办结 or 终止), 一件事办件 (办结) and appeals (办结) finished in [start, end)
    whose applicant left a mobile phone and whose handling department is known."""
    from zhengwu.appeals.models import Appeal
    from zhengwu.applications.models import Application, BundleApplication

    apps = Application.objects.filter(
        Q(completed_at__gte=start, completed_at__lt=end)
        | Q(completed_at__isnull=True, closed_at__gte=start, closed_at__lt=end)
    ).select_related("department", "citizen", "item", "window", "decided_by", "accepted_by")
    bundles = BundleApplication.objects.filter(completed_at__gte=start, completed_at__lt=end).select_related(
        "accepted_by__department", "citizen"
    )
    appeals = Appeal.objects.filter(closed_at__gte=start, closed_at__lt=end)
    for qs in (apps, bundles, appeals):
        for obj in qs.order_by("pk"):
            phone = normal_phone(obj.contact_phone)
            at = finished_at(obj)
            if not is_mobile(phone) or at is None:
                continue
            matter = services.matter_of(obj)
            if matter.department is None:
                continue
            yield Finished(matter, phone, at)


# ---------------------------------------------------------------------------------------------
# Hours and tokens
# ---------------------------------------------------------------------------------------------


def _hours() -> tuple[time, time]:
    raw = str(_setting("RATING_INVITE_HOURS", "09:00-20:00"))
    try:
        start, end = (time.fromisoformat(part.strip()) for part in raw.split("-", 1))
    except ValueError:
        start, end = time(9), time(20)
    return start, end


def in_hours(at: datetime) -> bool:
    start, end = _hours()
    local = at.astimezone(SHANGHAI).time()
    return start <= local < end


def next_allowed(at: datetime) -> datetime:
    """``at`` itself when within RATING_INVITE_HOURS, else the next opening of that window."""
    if in_hours(at):
        return at
    start, _ = _hours()
    local = at.astimezone(SHANGHAI)
    day = local.date() if local.time() < start else local.date() + timedelta(days=1)
    return datetime.combine(day, start, tzinfo=SHANGHAI)


def link_token(matter_key: str) -> str:
    """The short link's token of a matter's invitation: derived from the matter with the site's
    secret (so the invitation and its reminder carry the same link), only its SHA-256 is kept."""
    digest = salted_hmac("zhengwu.ratings.invite", matter_key, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest[:15]).decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(token: str) -> str:
    base = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return f"{base}/r/{token}/"


def qr_signed(matter_key: str) -> str:
    """The matter key signed without a time stamp: a notice printed again (or rendered twice in
    different seconds) carries the same code, as its PDF is the same bytes."""
    return signing.Signer(salt=QR_SALT).sign_object(matter_key, compress=True)


def qr_url(matter_key: str) -> str:
    """The 扫码评价 link printed on a matter's notices: SITE_URL + /r/q/<signed matter key>/."""
    base = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return f"{base}/r/q/{qr_signed(matter_key)}/"


def qr_matter_key(signed: str) -> str:
    try:
        if signed.count(":") == 2:  # value:time stamp:signature, the codes printed before
            return str(signing.loads(signed, salt=QR_SALT))
        return str(signing.Signer(salt=QR_SALT).unsign_object(signed))
    except (signing.BadSignature, ValueError):
        raise NotFound("二维码无效或已损坏", field="matter") from None


def invitation_for_token(token: str) -> RatingInvitation:
    if not token or len(token) > 100:
        raise NotFound("评价链接无效", field="token")
    found = RatingInvitation.objects.filter(token_hash=token_hash(token)).first()
    if found is None or found.state in (InvitationState.SCHEDULED, InvitationState.SKIPPED):
        raise NotFound("评价链接无效", field="token")
    return found


def _opted_out(phone: str) -> bool:
    return RatingOptOut.objects.filter(phone_key=services.phone_key(phone)).exists()


# ---------------------------------------------------------------------------------------------
# Scheduling and sending
# ---------------------------------------------------------------------------------------------


def schedule_due(now: datetime | None = None) -> int:
    """Create the invitations of matters finished in the last days (up to ``now`` less the delay)
    that have a mobile phone, no invitation and no rating yet; ``send_at`` is the finish time plus
    RATING_INVITE_DELAY_MINUTES, moved into the next allowed hours. A phone that opted out gets
    its invitation in state 不发送. Idempotent: one invitation per matter (unique matter key)."""
    now = now or timezone.now()
    delay = timedelta(minutes=int(_setting("RATING_INVITE_DELAY_MINUTES", 30)))
    candidates = list(finished_matters(now - LOOKBACK, now + timedelta(seconds=1)))
    keys = [c.key for c in candidates]
    invited = set(RatingInvitation.objects.filter(matter_key__in=keys).values_list("matter_key", flat=True))
    rated = set(Rating.objects.filter(matter_key__in=keys).values_list("matter_key", flat=True))
    made = 0
    for c in candidates:
        if c.key in invited or c.key in rated:
            continue
        opted_out = _opted_out(c.phone)
        invitation = RatingInvitation(
            matter_kind=c.matter.kind,
            matter_key=c.key,
            matter_number=c.matter.number,
            department=c.matter.department,
            rater_key=applicant_rater_key(c.matter.obj),
            phone=c.phone,
            token_hash=token_hash(link_token(c.key)),
            finished_at=c.at,
            send_at=next_allowed(c.at + delay),
            state=InvitationState.SKIPPED if opted_out else InvitationState.SCHEDULED,
            skipped_reason="已退订邀评短信" if opted_out else "",
        )
        made += len(RatingInvitation.objects.bulk_create([invitation], ignore_conflicts=True))
    return made


def _body(invitation: RatingInvitation, reminder: bool) -> str:
    link = link_url(link_token(invitation.matter_key))
    lead = "温馨提醒：您尚未评价" if reminder else "您好，"
    return (
        f"{lead}您的办件{invitation.matter_number}已办结，欢迎对本次政务服务作出评价：{link} "
        "回复1-5评价（1非常满意…5非常不满意），回复TD退订"
    )


def _already_rated(invitation: RatingInvitation) -> bool:
    return Rating.objects.filter(matter_key=invitation.matter_key, rater_key=invitation.rater_key).exists()


def _send_one(invitation: RatingInvitation, now: datetime) -> bool:
    from zhengwu.notifications.services import notify

    with transaction.atomic():
        if _opted_out(invitation.phone) or _already_rated(invitation):
            reason = "已退订邀评短信" if _opted_out(invitation.phone) else "发送前已评价"
            RatingInvitation.objects.filter(pk=invitation.pk, state=InvitationState.SCHEDULED).update(
                state=InvitationState.SKIPPED, skipped_reason=reason, updated_at=now
            )
            return False
        # Claim the row first: of two runs at once only the one whose update changes it sends.
        claimed = RatingInvitation.objects.filter(pk=invitation.pk, state=InvitationState.SCHEDULED).update(
            state=InvitationState.SENT, sent_at=now, updated_at=now
        )
        if not claimed:
            return False
        message = notify(
            phone=invitation.phone,
            body=_body(invitation, reminder=False),
            about=invitation,
            dedupe_key=f"rating-invite:{invitation.matter_key}",
        )
        RatingInvitation.objects.filter(pk=invitation.pk).update(message=message)
    return True


def _remind_one(invitation: RatingInvitation, now: datetime) -> bool:
    from zhengwu.notifications.services import notify

    with transaction.atomic():
        if _opted_out(invitation.phone) or _already_rated(invitation):
            return False
        claimed = RatingInvitation.objects.filter(
            pk=invitation.pk, state=InvitationState.SENT, reminded_at__isnull=True, rating__isnull=True
        ).update(state=InvitationState.REMINDED, reminded_at=now, updated_at=now)
        if not claimed:
            return False
        message = notify(
            phone=invitation.phone,
            body=_body(invitation, reminder=True),
            about=invitation,
            dedupe_key=f"rating-remind:{invitation.matter_key}",
        )
        RatingInvitation.objects.filter(pk=invitation.pk).update(reminder=message)
    return True


def send_due(now: datetime | None = None) -> tuple[int, int]:
    """Send the invitations whose time has come and the reminders RATING_REMIND_AFTER_DAYS after an
    unanswered invitation — only within RATING_INVITE_HOURS. Returns (invitations, reminders)
    sent. Idempotent: a row is claimed by a conditional update before its SMS, and the SMS carries
    a dedupe key (``rating-invite:<matter_key>``, ``rating-remind:<matter_key>``)."""
    now = now or timezone.now()
    if not in_hours(now):
        return 0, 0
    sent = 0
    due = RatingInvitation.objects.filter(state=InvitationState.SCHEDULED, send_at__lte=now).order_by(
        "send_at"
    )
    for invitation in due[:1000]:
        sent += _send_one(invitation, now)
    after = timedelta(days=int(_setting("RATING_REMIND_AFTER_DAYS", 3)))
    reminded = 0
    stale = RatingInvitation.objects.filter(
        state=InvitationState.SENT,
        sent_at__lte=now - after,
        sent_at__gte=now - timedelta(days=OPEN_DAYS),
        reminded_at__isnull=True,
        rating__isnull=True,
    ).order_by("sent_at")
    for invitation in stale[:1000]:
        reminded += _remind_one(invitation, now)
    return sent, reminded


# ---------------------------------------------------------------------------------------------
# Answering: a link, a reply SMS, a 二维码
# ---------------------------------------------------------------------------------------------


def answer(
    invitation: RatingInvitation,
    *,
    level: Any,
    channel: str,
    text: str = "",
    scores: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Rating:
    """Rate the invitation's matter as its applicant (round 1) and mark the invitation answered.
    A second rating of the round — by any channel — is refused (409)."""
    with transaction.atomic():
        locked = RatingInvitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.rating_id is not None:
            raise Conflict("您已评价过本办件，本轮不能重复评价", field="matter")
        rating = rate_as_applicant(
            matter_object(locked.matter_key),
            rater_key=locked.rater_key,
            level=level,
            channel=channel,
            text=text,
            scores=scores,
            at=at,
        )
        locked.rating = rating
        locked.state = InvitationState.ANSWERED
        locked.save(update_fields=["rating", "state", "updated_at"])
    return rating


def rate_as_applicant(
    obj: Any,
    *,
    level: Any,
    channel: str,
    text: str = "",
    scores: dict[str, Any] | None = None,
    rater_key: str | None = None,
    source: str = RatingSource.RATER,
    at: datetime | None = None,
) -> Rating:
    key = rater_key or applicant_rater_key(obj)
    user = _rater_user(key)
    return services.rate(
        matter=obj,
        rater_key=key,
        rater_user=user,
        rater_name=_rater_name(obj),
        real_name=user is not None
        or bool(getattr(obj, "citizen_id", None) or getattr(obj, "enterprise_id", None)),
        channel=channel,
        level=level,
        text=text,
        scores=scores,
        source=source,
        at=at,
    )


def rate_by_qr(matter_key: str, **kwargs: Any) -> Rating:
    """A rating through the 二维码 of a notice: the applicant's, channel 二维码; an invitation of
    the matter still open is answered by it."""
    obj = matter_object(matter_key)
    with transaction.atomic():
        rating = rate_as_applicant(obj, channel=RatingChannel.QR, **kwargs)
        RatingInvitation.objects.filter(
            matter_key=matter_key, rater_key=rating.rater_key, rating__isnull=True
        ).exclude(state=InvitationState.SKIPPED).update(rating=rating, state=InvitationState.ANSWERED)
    return rating


def opt_out(phone: str, source: str = "sms") -> RatingOptOut:
    phone = normal_phone(phone)
    if not is_mobile(phone):
        raise InvalidInput("手机号应为11位手机号", field="phone")
    found, _ = RatingOptOut.objects.get_or_create(
        phone_key=services.phone_key(phone), defaults={"source": source}
    )
    RatingInvitation.objects.filter(phone=phone, state=InvitationState.SCHEDULED).update(
        state=InvitationState.SKIPPED, skipped_reason="已退订邀评短信"
    )
    return found


def open_invitation(phone: str, at: datetime) -> RatingInvitation | None:
    """The phone's latest invitation sent within OPEN_DAYS days and not answered yet."""
    return (
        RatingInvitation.objects.filter(
            phone=normal_phone(phone),
            state__in=[InvitationState.SENT, InvitationState.REMINDED],
            rating__isnull=True,
            sent_at__gte=at - timedelta(days=OPEN_DAYS),
            sent_at__lte=at,
        )
        .order_by("-sent_at", "-pk")
        .first()
    )


# ---------------------------------------------------------------------------------------------
# 电话邀评
# ---------------------------------------------------------------------------------------------


def week_bounds(week_monday: date) -> tuple[datetime, datetime]:
    if week_monday.weekday() != 0:
        raise InvalidInput("抽样周应从周一开始", field="week")
    start = datetime.combine(week_monday, time(0), tzinfo=SHANGHAI)
    return start, start + timedelta(days=7)


def draw_phone_sample(week_monday: date, share: float | None = None) -> int:
    """Draw the week's 电话邀评 sample: for each department, ``share`` (RATING_PHONE_SAMPLE_SHARE;
    at least one when the department has any) of the matters finished in that week (Monday to
    Sunday, Asia/Shanghai) with a mobile phone, at random but reproducibly (the generator is
    seeded from the week). Matters already rated are left out: the call invites a rating, and the
    one-rating constraint would refuse it. A department already drawn for the week is left alone, so
    a second run adds nothing. Returns the rows added."""
    share = float(_setting("RATING_PHONE_SAMPLE_SHARE", 0.05) if share is None else share)
    if not 0 < share <= 1:
        raise InvalidInput("抽样比例应大于0且不超过1", field="share")
    start, end = week_bounds(week_monday)
    by_department: dict[int, list[Finished]] = defaultdict(list)
    candidates = list(finished_matters(start, end))
    rated: set[str] = set()
    keys = [c.key for c in candidates]
    for i in range(0, len(keys), 500):
        rated.update(
            Rating.objects.filter(matter_key__in=keys[i : i + 500]).values_list("matter_key", flat=True)
        )
    for c in candidates:
        if c.key not in rated:
            by_department[c.matter.department.pk].append(c)
    drawn = set(PhoneSample.objects.filter(week=week_monday).values_list("department_id", flat=True))
    rows = []
    for department_id in sorted(by_department):
        if department_id in drawn:
            continue
        pool = sorted(by_department[department_id], key=lambda c: c.key)
        size = min(len(pool), max(1, math.ceil(len(pool) * share - 1e-9)))
        rng = random.Random(f"phone-sample:{week_monday.isoformat()}:{department_id}")
        for c in sorted(rng.sample(pool, size), key=lambda c: c.key):
            rows.append(
                PhoneSample(
                    week=week_monday,
                    matter_kind=c.matter.kind,
                    matter_key=c.key,
                    matter_number=c.matter.number,
                    department=c.matter.department,
                    phone=c.phone,
                )
            )
    return len(PhoneSample.objects.bulk_create(rows, ignore_conflicts=True))


def last_week_monday(today: date | None = None) -> date:
    today = today or timezone.localdate()
    return today - timedelta(days=today.weekday() + 7)


def record_call(
    sample: PhoneSample,
    *,
    by: Any,
    reached: bool,
    level: Any = None,
    text: str = "",
    note: str = "",
    at: datetime | None = None,
) -> PhoneSample:
    """The callback's record of one sampled call: not reached (with a note), or reached and the
    rating the person gave (电话, 回访员电话记录), keyed to the matter's applicant."""
    from zhengwu.core.text import clean_text

    at = at or timezone.now()
    note = clean_text(note, field="note", label="备注", max_length=500)
    with transaction.atomic():
        locked = PhoneSample.objects.select_for_update().get(pk=sample.pk)
        if locked.rating_id is not None:
            raise Conflict("该抽样已记录评价，不能重复记录", field="sample")
        if reached:
            if level in (None, ""):
                raise InvalidInput("联系上的，请记录满意度", field="level")
            locked.rating = rate_as_applicant(
                matter_object(locked.matter_key),
                level=level,
                channel=RatingChannel.PHONE,
                source=RatingSource.CALLBACK,
                text=text,
                at=at,
            )
        locked.reached = reached
        locked.note = note
        locked.called_at = at
        locked.called_by = by
        locked.save(update_fields=["reached", "note", "called_at", "called_by", "rating", "updated_at"])
    return locked


# ---------------------------------------------------------------------------------------------
# Response rates
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rates:
    sent: int
    answered: int
    finished: int
    active: int

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.sent if self.sent else None

    @property
    def active_rate(self) -> float | None:
        return self.active / self.finished if self.finished else None


def response_rates(period: tuple[datetime, datetime] | QuerySet[RatingInvitation]) -> Rates:
    """邀评 response rate and 主动评价率.

    ``period`` is (start, end) or a queryset of invitations (then the period is from its first to
    its last sending).

    - 邀评 response rate = invitations answered (a rating came back through the link, a reply or the
      matter's 二维码) ÷ invitations sent, both among invitations sent in the period.
    - 主动评价率 = matters finished in the period that got a first-round rating which no invitation
      and no phone sample brought ÷ matters finished in the period (applications 办结/终止, 一件事
      办件, appeals; with or without a phone).
    """
    if isinstance(period, QuerySet):
        invitations = period.filter(sent_at__isnull=False)
        first = invitations.order_by("sent_at").values_list("sent_at", flat=True).first()
        last = invitations.order_by("-sent_at").values_list("sent_at", flat=True).first()
        start, end = (first, last + timedelta(seconds=1)) if first and last else (timezone.now(),) * 2
    else:
        start, end = period
        invitations = RatingInvitation.objects.filter(sent_at__gte=start, sent_at__lt=end)
    sent = invitations.count()
    answered = invitations.filter(rating__isnull=False).count()
    keys = _finished_keys(start, end)
    active = (
        Rating.objects.filter(
            matter_key__in=keys, round=1, invitation__isnull=True, phone_sample__isnull=True
        )
        .values("matter_key")
        .distinct()
        .count()
        if keys
        else 0
    )
    return Rates(sent=sent, answered=answered, finished=len(keys), active=active)


def _finished_keys(start: datetime, end: datetime) -> list[str]:
    from zhengwu.appeals.models import Appeal
    from zhengwu.applications.models import Application, BundleApplication

    keys = [
        f"application:{pk}"
        for pk in Application.objects.filter(
            Q(completed_at__gte=start, completed_at__lt=end)
            | Q(completed_at__isnull=True, closed_at__gte=start, closed_at__lt=end)
        ).values_list("pk", flat=True)
    ]
    keys += [
        f"bundle:{pk}"
        for pk in BundleApplication.objects.filter(completed_at__gte=start, completed_at__lt=end).values_list(
            "pk", flat=True
        )
    ]
    keys += [
        f"appeal:{pk}"
        for pk in Appeal.objects.filter(closed_at__gte=start, closed_at__lt=end).values_list("pk", flat=True)
    ]
    return keys
