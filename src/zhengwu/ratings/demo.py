"""The demo city's 好差评: the applicants rate most finished demo applications online (mostly well,
some not), and the departments have handled some of the 差评 — one case at each step — so that
/ratings/ and 我的办件 have something to show."""

from __future__ import annotations

import hashlib
import hmac
import random
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from zhengwu.applications.models import Application
from zhengwu.org.models import Window

from . import invitations, pads, services
from .models import Level, Rating, RatingChannel, RatingPad, WindowVisit

LEVELS = (
    [Level.VERY_SATISFIED] * 12
    + [Level.SATISFIED] * 5
    + [Level.BASICALLY] * 2
    + [Level.DISSATISFIED, Level.VERY_DISSATISFIED]
)
TEXTS = {
    Level.VERY_SATISFIED: ["窗口服务热情，一次办成", "网上申请很方便，进度随时能查", ""],
    Level.SATISFIED: ["办理顺利", ""],
    Level.BASICALLY: ["等候时间有点长", ""],
    Level.DISSATISFIED: ["补正材料的说明不够清楚，跑了两趟"],
    Level.VERY_DISSATISFIED: ["电话一直打不通，办结时间比承诺的晚"],
}


@transaction.atomic
def load_demo_ratings(*, seed: int = 12) -> int:
    """Rate the finished demo applications (skipped when demo ratings exist); returns how many."""
    if Rating.objects.filter(matter_kind="application").exists():
        return 0
    rng = random.Random(seed)
    now = timezone.now()
    made: list[Rating] = []
    finished = Application.objects.filter(completed_at__isnull=False).select_related(
        "department", "item", "window", "decided_by", "accepted_by", "citizen", "enterprise"
    )
    for app in finished.order_by("pk"):
        if rng.random() > 0.7:
            continue
        level = rng.choice(LEVELS)
        owner = app.citizen or app.enterprise
        if owner is None or app.completed_at is None:
            continue
        made.append(
            services.rate(
                matter=app,
                rater_key=invitations.applicant_rater_key(app),  # as 我的办件 keys the applicant
                rater_name=app.applicant_name[:50],
                real_name=True,
                channel=rng.choice([RatingChannel.PC, RatingChannel.MOBILE]),
                level=level,
                text=rng.choice(TEXTS[level]),
                scores={"efficiency": level, "convenience": min(level + rng.choice([0, 0, 1]), 5)},
                at=min(
                    app.completed_at + timedelta(hours=rng.randrange(2, 48)), now
                ),  # never ahead of the clock
            )
        )
    _handle_some(made)
    return len(made)


def _handle_some(ratings: list[Rating]) -> None:
    """Walk the 差评 cases: one left at 回访核实, then one at each later step, in turn."""
    from zhengwu.accounts.models import User

    for n, rating in enumerate(r for r in ratings if r.bad):
        staff = User.objects.filter(department=rating.department, is_staff=True).order_by("pk").first()
        step = n % 4
        if staff is None or step == 0:
            continue
        case = services.verify(
            case=rating.rectification,
            by=staff,
            reached=True,
            facts="已电话联系申请人，情况属实：补正说明不清、答复慢",
        )
        if step == 1:
            continue
        if step == 2:
            services.resolve(
                case=case, by=staff, outcome="deadline", plan="修订一次性告知书模板，补正事项逐项写明要求"
            )
            continue
        case = services.resolve(
            case=case, by=staff, outcome="immediate", evidence="已向申请人当面说明并致歉，窗口增设咨询引导岗"
        )
        services.close(case=case, by=staff, feedback="已整改，欢迎您再次评价")


def demo_pad_token(window: Window) -> str:
    """The demo pad token of a window: derived from SECRET_KEY, so a second load prints the same
    link (a real pad gets a random token from the admin)."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"demo-pad:{window.pk}".encode(), hashlib.sha256)
    return digest.hexdigest()[:40]


@transaction.atomic
def load_demo_pads(*, seed: int = 21) -> list[tuple[Window, str]]:
    """A rating pad at every staffed window, and the pad ratings of about half the services the
    demo's windows finished; returns each window with its pad token (printed as the demo's pad links)."""
    windows = list(Window.objects.filter(staff__isnull=False).distinct().order_by("hall", "number"))
    out = []
    for window in windows:
        token = demo_pad_token(window)
        RatingPad.objects.get_or_create(
            token_hash=pads.token_hash(token), defaults={"window": window, "label": "演示评价器"}
        )
        out.append((window, token))
    if not Rating.objects.filter(matter_kind="visit").exists():
        rng, now = random.Random(seed), timezone.now()
        for visit in WindowVisit.objects.select_related("application", "ticket", "window", "staff", "item"):
            if rng.random() > 0.5:
                continue
            level = rng.choice(LEVELS)
            services.rate(
                matter=visit,
                rater_key=f"visit:{visit.pk}",
                channel=RatingChannel.PAD,
                level=level,
                scores={"attitude": level},
                at=min(visit.finished_at + timedelta(seconds=rng.randrange(20, 120)), now),
            )
    return out


def load_demo_invitations() -> tuple[int, int]:
    """智能邀评 of the demo's matters finished in the last days (sent now through the console
    backend, so the outbox has them) and last week's 电话邀评 sample for the callback staff."""
    scheduled = invitations.schedule_due()
    invitations.send_due()
    return scheduled, invitations.draw_phone_sample(invitations.last_week_monday())
