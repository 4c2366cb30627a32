"""催办 of 差评整改 cases, as the appeals desk urges its assignments: the periodic job urges an open
case once when its light turns yellow and once when it turns red, for the 回访核实 limit and again
for the 整改 limit; a supervisor (督办员) may urge any open case with what they ask for. Each urge is
kept (``RectificationUrge``) and shown on the case; the department's staff see it there and in
their list's lights."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from zhengwu.casework.deadlines import Lights
from zhengwu.core import audit
from zhengwu.core.errors import Conflict, NotAllowed
from zhengwu.core.text import clean_text

from .models import Rectification, RectificationState, RectificationUrge

P_URGE = "ratings.decide_ratingcontest"  # the 督办员's permission: they urge as they decide contests


def _limit_of(case: Rectification) -> str:
    return "verify" if case.state == RectificationState.VERIFYING else "fix"


def _record(case: Rectification, threshold: str, note: str, by: Any) -> RectificationUrge | None:
    try:
        with transaction.atomic():
            return RectificationUrge.objects.create(case=case, threshold=threshold, note=note, by=by)
    except IntegrityError:
        return None  # urged for this threshold already


@transaction.atomic
def urge(*, case: Rectification, by: Any, note: str) -> RectificationUrge:
    """A supervisor urges an open case, saying what they ask for."""
    if not (getattr(by, "is_active", False) and by.has_perm(P_URGE)):
        raise NotAllowed("只有督办员可以催办差评整改")
    case = Rectification.objects.select_for_update().get(pk=case.pk)
    if case.state == RectificationState.CLOSED:
        raise Conflict("该差评整改已办结，无需催办", field="state")
    note = clean_text(note, field="note", label="催办说明", max_length=500, required=True)
    made = _record(case, f"manual-{timezone.now():%Y%m%d%H%M%S%f}", note, by)
    if made is None:
        raise Conflict("刚刚已催办过，请稍后再试", field="note")
    audit.record(actor=by, action="ratings.urged", obj=case, summary=note[:200])
    return made


def urge_due(now: datetime | None = None) -> int:
    """The periodic job: each open case whose light is yellow or red is urged once for that light
    and limit. Idempotent (one row per threshold); returns how many urges it made."""
    from .views import light_of

    lights = Lights(now=now) if now is not None else Lights()
    made = 0
    open_cases = Rectification.objects.exclude(state=RectificationState.CLOSED).select_related("rating")
    for case in open_cases.iterator():
        if case.state == RectificationState.RECTIFYING and case.fix_due_at is None:
            continue  # the outcome is still to choose: only a 限期整改 runs against a limit
        if case.state == RectificationState.FEEDBACK:
            continue  # rectified: only the feedback is left, no limit runs
        colour = light_of(case, lights)
        if colour in ("yellow", "red") and _record(case, f"{_limit_of(case)}-{colour}", "", None) is not None:
            made += 1
    return made
