"""The appeal's history, hash-chained: each event stores the hash of the previous event of the
same appeal, and its own hash covers every field that a person reads in the timeline. Editing or
deleting any event breaks the chain from that point, and ``verify_chain`` says where."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from django.db.models import Max

from .models import Appeal, AppealEvent

GENESIS = "0" * 64


def _digest(
    *,
    appeal_number: str,
    seq: int,
    at: datetime,
    actor_id: int | None,
    action: str,
    from_state: str,
    to_state: str,
    public: bool,
    note: str,
    data: dict[str, Any],
    prev_hash: str,
) -> str:
    payload = json.dumps(
        {
            "appeal": appeal_number,
            "seq": seq,
            "at": at.isoformat(timespec="microseconds"),
            "actor": actor_id,
            "action": action,
            "from": from_state,
            "to": to_state,
            "public": public,
            "note": note,
            "data": data,
            "prev": prev_hash,
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def append(
    appeal: Appeal,
    *,
    action: str,
    actor: Any,
    at: datetime,
    from_state: str = "",
    to_state: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
    public: bool = True,
    first: bool = False,
) -> AppealEvent:
    """Append one event. The caller holds the appeal's row lock, so seq cannot race. ``first``:
    the appeal was created in this transaction and has no event yet (saves a query at intake)."""
    last = None if first else appeal.events.order_by("-seq").values_list("seq", "hash").first()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    data = json.loads(json.dumps(data or {}, ensure_ascii=False, default=str))
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    event = AppealEvent(
        appeal=appeal,
        seq=seq,
        at=at,
        actor_id=actor_id,
        actor_label=(getattr(actor, "display_name", "") if actor_id else "系统"),
        action=action,
        from_state=from_state,
        to_state=to_state,
        public=public,
        note=note,
        data=data,
        prev_hash=prev_hash,
    )
    event.hash = _digest(
        appeal_number=appeal.number,
        seq=seq,
        at=at,
        actor_id=actor_id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        public=public,
        note=note,
        data=data,
        prev_hash=prev_hash,
    )
    event.save()
    return event


def verify_chain(appeal: Appeal) -> int | None:
    """The seq of the first event that does not match its chain, or None when the chain is whole."""
    prev_hash = GENESIS
    expected_seq = 1
    for e in appeal.events.order_by("seq"):
        recomputed = _digest(
            appeal_number=appeal.number,
            seq=e.seq,
            at=e.at,
            actor_id=e.actor_id,
            action=e.action,
            from_state=e.from_state,
            to_state=e.to_state,
            public=e.public,
            note=e.note,
            data=e.data,
            prev_hash=e.prev_hash,
        )
        if e.seq != expected_seq or e.prev_hash != prev_hash or e.hash != recomputed:
            return expected_seq if e.seq != expected_seq else e.seq
        prev_hash = e.hash
        expected_seq += 1
    return None


def last_seq(appeal: Appeal) -> int:
    return appeal.events.aggregate(m=Max("seq"))["m"] or 0
