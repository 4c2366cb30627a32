"""Writes a citizen makes without a staff member: filing on the public web form (the appeal and
its attachments in one transaction) and rating a closed appeal. Same style as services.py:
keyword-only, atomic, the appeal row locked, the event appended to the chain."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from zhengwu.casework.actors import Actor
from zhengwu.core.errors import Conflict, InvalidInput

from . import events, services
from .attachments import delete_files_on_rollback, save_attachments
from .models import Appeal, AppealEvent, Attachment, Channel, Satisfaction
from .workflow import AppealState

RATEABLE_STATES = frozenset({AppealState.CLOSED, AppealState.ARCHIVED})
MAX_COMMENT = 500
# A visitor without an account files on the public form: the website registers the appeal.
WEB_VISITOR = Actor.system("网站受理（未登录访客）")


def file_web_appeal(
    *,
    appeal_type: str,
    title: str,
    body: str,
    contact_name: str = "",
    contact_phone: str = "",
    address: str = "",
    anonymous: bool = False,
    confidential: bool = False,
    files: Sequence[Any] = (),
    by: Any = None,
) -> tuple[Appeal, str]:
    """Register a web appeal and store its attachments: both, or — if any attachment is refused
    or anything else fails — neither (no appeal row, no number used, no file left on disk).
    ``by`` is the logged-in citizen, if any; the appeal is then theirs."""
    citizen = None
    if by is not None and getattr(by, "is_authenticated", False) and not by.is_staff:
        citizen = getattr(by, "citizen", None)
    else:  # a visitor without an account (or staff on the public form): the website registers it
        by = WEB_VISITOR
    saved: list[Attachment] = []
    try:
        with transaction.atomic():
            appeal, code = services.register_appeal(
                channel=Channel.WEB,
                appeal_type=appeal_type,
                title=title,
                body=body,
                contact_name=contact_name,
                contact_phone=contact_phone,
                address=address,
                anonymous=anonymous,
                confidential=confidential,
                citizen=citizen,
                by=by,
            )
            saved = save_attachments(appeal=appeal, files=files, purpose="intake", by=by)
    except Exception:
        delete_files_on_rollback(saved)
        raise
    assert code is not None  # no idempotency key, so always a fresh appeal with a code
    return appeal, code


def rating_of(appeal: Appeal) -> AppealEvent | None:
    return appeal.events.filter(action="rate").order_by("seq").first()


def rating_label(event: AppealEvent | None) -> str:
    level = (event.data or {}).get("level") if event is not None else None
    return Satisfaction(level).label if level in Satisfaction.values else ""


@transaction.atomic
def rate_appeal(*, appeal: Appeal, level: int, comment: str = "", by: Any = None) -> AppealEvent:
    """评价: the citizen's rating of a closed appeal, once. ``level`` is a GB/T 39046 code (1 非常满意
    … 5 非常不满意). Stored as a public event of the appeal's chain; the state does not change."""
    try:
        level = int(level)
    except (TypeError, ValueError):
        level = 0
    if level not in Satisfaction.values:
        raise InvalidInput("请选择满意程度", field="level")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(f"评价意见不能超过{MAX_COMMENT}个字，当前{len(comment)}个字", field="comment")
    locked = Appeal.objects.select_for_update().get(pk=appeal.pk)
    events.check_sealed(locked)
    if locked.state not in RATEABLE_STATES:
        raise Conflict("诉求办结后才能评价", field="level")
    if locked.events.filter(action="rate").exists():
        raise Conflict("您已评价过此诉求，每件诉求只能评价一次", field="level")
    actor = by if getattr(by, "is_authenticated", False) and not getattr(by, "is_staff", False) else None
    event: AppealEvent = events.CHAIN.append(
        locked,
        action="rate",
        actor=actor,
        at=timezone.now(),
        from_state=locked.state,
        to_state=locked.state,
        note=f"诉求人评价：{Satisfaction(level).label}",
        data={"level": level, "comment": comment},
        public=True,
    )
    from zhengwu.ratings.services import record_appeal_rating

    record_appeal_rating(
        appeal=locked, level=level, text=comment, channel="pc", source="rater", user=by, at=event.at
    )
    return event
