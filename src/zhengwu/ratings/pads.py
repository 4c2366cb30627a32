"""评价器 — the window rating pad (现场服务“一次一评”): a tablet bound to one window by a device
token an administrator issues, showing the service the clerk just finished and taking one rating
of it. The raw token is shown once at issue; only its SHA-256 is kept.

A service visit (``WindowVisit``) is recorded when a clerk with a window finishes serving (a queue
number, an intake, a 出件); the pad offers the window's latest visit for RATING_PAD_VISIT_MINUTES
while it has no rating. The rating goes through ``services.rate`` (channel 政务大厅平板电脑, the
visit as the matter, the anonymous rater ``visit:<pk>``), so a 差评 opens the rectification case and
a second rating of the same visit is refused by the database's constraint."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from zhengwu.core import audit
from zhengwu.core.errors import Conflict, InvalidInput, NotAllowed, NotFound

from . import services
from .models import ONSITE_DIMENSIONS, Level, Rating, RatingChannel, RatingPad, VisitKind, WindowVisit

BAD_TOKEN = "评价器令牌无效或已吊销"  # noqa: S105 (a message, not a secret)
SEEN_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often


class OutOfRange(InvalidInput):
    """A value the pad's buttons cannot send (a level or a score outside 1–5): a rule, 422."""

    status = 422


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def visit_minutes() -> int:
    return int(getattr(settings, "RATING_PAD_VISIT_MINUTES", 10))


# ---------------------------------------------------------------------------------------------
# Devices
# ---------------------------------------------------------------------------------------------


def _may_manage(by: Any) -> None:
    if not (
        getattr(by, "is_active", False)
        and (getattr(by, "is_superuser", False) or by.has_perm("ratings.add_ratingpad"))
    ):
        raise NotAllowed("只有管理员可以签发或吊销评价器")


@transaction.atomic
def issue_pad(window: Any, by: Any, label: str = "") -> tuple[RatingPad, str]:
    """A new pad for ``window``; the token is returned once and never stored."""
    _may_manage(by)
    if window is None:
        raise InvalidInput("请选择窗口", field="window")
    token = secrets.token_urlsafe(32)
    pad = RatingPad.objects.create(
        window=window, label=(label or "").strip()[:50], token_hash=token_hash(token), issued_by=by
    )
    audit.record(actor=by, action="ratings.pad_issued", obj=pad, summary=str(pad))
    return pad, token


@transaction.atomic
def revoke_pad(pad: RatingPad, by: Any) -> RatingPad:
    """吊销: the token stops working at once; the pad stays on record."""
    _may_manage(by)
    pad = RatingPad.objects.select_for_update().get(pk=pad.pk)
    if pad.revoked_at is None:
        pad.revoked_at = timezone.now()
        pad.save(update_fields=["revoked_at", "updated_at"])
        audit.record(actor=by, action="ratings.pad_revoked", obj=pad, summary=str(pad))
    return pad


def pad_for_token(token: str | None) -> RatingPad:
    """The active pad of a token, or 403 for an unknown or revoked one (the same message: a forged
    token learns nothing). Marks the pad seen, writing at most once a minute."""
    token = (token or "").strip()
    if not token or len(token) > 200:
        raise NotAllowed(BAD_TOKEN)
    pad = (
        RatingPad.objects.select_related("window")
        .filter(token_hash=token_hash(token), revoked_at__isnull=True)
        .first()
    )
    if pad is None:
        raise NotAllowed(BAD_TOKEN)
    now = timezone.now()
    if pad.last_seen_at is None or pad.last_seen_at < now - SEEN_EVERY:
        RatingPad.objects.filter(pk=pad.pk).update(last_seen_at=now)
        pad.last_seen_at = now
    return pad


# ---------------------------------------------------------------------------------------------
# Visits
# ---------------------------------------------------------------------------------------------


def record_visit(
    window: Any,
    staff: Any,
    kind: str,
    service: str,
    application: Any = None,
    ticket: Any = None,
    item: Any = None,
    at: datetime | None = None,
) -> WindowVisit | None:
    """One service a clerk finished at ``window`` (called inside the finishing transaction). The
    department is the clerk's, else the window's (谁办理谁负责); with neither, no unit would
    answer for a rating, so nothing is recorded (None) and the clerk's work goes on."""
    if kind not in VisitKind.values:
        raise InvalidInput("窗口服务类型无效", field="kind")
    department = getattr(staff, "department", None) or window.department
    if department is None:
        return None
    return WindowVisit.objects.create(
        window=window,
        staff=staff,
        department=department,
        kind=kind,
        service=(service or VisitKind(kind).label)[:200],
        application=application,
        ticket=ticket,
        item=item,
        finished_at=at or timezone.now(),
    )


def latest_visit(pad: RatingPad, now: datetime | None = None) -> tuple[int | None, bool]:
    """The id of the window's latest visit within RATING_PAD_VISIT_MINUTES and whether it is rated,
    in one small query (the pad polls this every two seconds)."""
    now = now or timezone.now()
    row = (
        WindowVisit.objects.filter(
            window_id=pad.window_id, finished_at__gte=now - timedelta(minutes=visit_minutes())
        )
        .annotate(rated=Exists(Rating.objects.filter(visit_id=OuterRef("pk"))))
        .order_by("-finished_at", "-id")
        .values_list("pk", "rated")
        .first()
    )
    return (row[0], bool(row[1])) if row else (None, False)


def current_visit(pad: RatingPad, now: datetime | None = None) -> WindowVisit | None:
    """The window's latest visit within RATING_PAD_VISIT_MINUTES, while it has no rating. Once the
    latest is rated (or the clerk has moved on to the next person) an older one is never offered
    again: the person it was for has left the window."""
    pk, rated = latest_visit(pad, now)
    if pk is None or rated:
        return None
    return WindowVisit.objects.select_related("staff", "window", "item").get(pk=pk)


def _level(value: Any, label: str, field: str) -> int:
    try:
        level = int(value)
    except (TypeError, ValueError, OverflowError):
        level = 0
    if isinstance(value, bool) or (isinstance(value, float) and value != level) or level not in Level.values:
        raise OutOfRange(f"{label}应为1（非常满意）至5（非常不满意）", field=field)
    return level


def _scores(values: Mapping[str, Any] | None) -> dict[str, int]:
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise OutOfRange("分项评价格式不对", field="scores")
    out = {}
    for name, value in values.items():
        if name not in ONSITE_DIMENSIONS:
            raise OutOfRange(
                f"评价器只评{'、'.join(ONSITE_DIMENSIONS.values())}，没有“{name}”", field=f"scores.{name}"
            )
        out[name] = _level(value, f"“{ONSITE_DIMENSIONS[name]}”", f"scores.{name}")
    return out


@transaction.atomic
def rate_on_pad(pad: RatingPad, visit_id: Any, level: Any, scores: Mapping[str, Any] | None = None) -> Rating:
    """One rating of a visit of the pad's own window, within RATING_PAD_VISIT_MINUTES, once."""
    if not pad.active:
        raise NotAllowed(BAD_TOKEN)
    try:
        pk = int(visit_id)
    except (TypeError, ValueError):
        raise InvalidInput("请指明要评价的窗口服务", field="visit") from None
    visit = WindowVisit.objects.select_related("window", "staff", "department", "item").filter(pk=pk).first()
    if visit is None:
        raise NotFound("没有找到该窗口服务", field="visit")
    if visit.window_id != pad.window_id:
        raise NotAllowed("该服务不属于本窗口", field="visit")
    lvl = _level(level, "满意度", "level")
    given = _scores(scores)
    now = timezone.now()
    if visit.finished_at < now - timedelta(minutes=visit_minutes()):
        raise Conflict(f"服务结束已超过{visit_minutes()}分钟，不能在评价器上评价", field="visit")
    try:
        return services.rate(
            matter=visit,
            rater_key=f"visit:{visit.pk}",
            channel=RatingChannel.PAD,
            level=lvl,
            scores=given,
            at=now,
        )
    except Conflict as e:
        if e.field == "matter":  # the constraint: another tap of the same visit got there first
            raise Conflict("该服务已评价，每次服务只能评价一次", field="visit") from None
        raise


# ---------------------------------------------------------------------------------------------
# Figures of the day
# ---------------------------------------------------------------------------------------------


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start, start + timedelta(days=1)


def window_day_figures(window: Any, day: date) -> services.Figures:
    """The window's ratings of ``day`` (local): 评价数 and 好评率, excluded ratings left out."""
    start, end = _day_bounds(day)
    return services.figures(Rating.objects.filter(window=window, rated_at__gte=start, rated_at__lt=end))


def window_day_served(window: Any, day: date) -> int:
    """Services the window finished on ``day`` (local)."""
    start, end = _day_bounds(day)
    return WindowVisit.objects.filter(window=window, finished_at__gte=start, finished_at__lt=end).count()
