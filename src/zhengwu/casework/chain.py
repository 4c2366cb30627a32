"""A matter's history as a keyed hash chain (HMAC-SHA256 under ``HISTORY_CHAIN_KEY``), the same
for appeals and applications.

* Each event's MAC covers every field the timeline shows and the MAC of the event before it; an
  edited event, an edit "repaired" by recomputing hashes in SQL, or an event moved to another
  matter no longer verifies.
* The matter row carries its chain's length and head and a *seal*: a MAC over the head, the length
  and the row's shown fields. Forging the state on the row, or deleting the last events, breaks
  the seal, and services refuse to act on a row whose seal is broken.

The MAC payload names the matter's number ``"appeal"`` for every kind of matter: that key is part
of scheme v2, under which every existing appeal history was written."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Model

from zhengwu.core.errors import Conflict

from .actors import Actor

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
SCHEME = "hmac-sha256-v2"

EVENT_FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor_label",
    "action",
    "from_state",
    "to_state",
    "public",
    "note",
    "data",
    "prev_hash",
    "hash",
)

_key_override: str | None = None


def chain_key() -> bytes:
    """The key the chains are MAC'd under now (``using_key`` may name another for a while)."""
    return _key()


def _key() -> bytes:
    key: str = _key_override if _key_override is not None else settings.HISTORY_CHAIN_KEY
    if not key:
        raise RuntimeError("HISTORY_CHAIN_KEY 未设置")
    return key.encode()


@contextmanager
def using_key(key: str) -> Iterator[None]:
    """MACs computed and checked under ``key`` inside the block (re-keying reads the old key)."""
    global _key_override
    saved, _key_override = _key_override, key
    try:
        yield
    finally:
        _key_override = saved


def plain(value: Any) -> Any:
    """A row value as the MAC reads it, the same whether it was just set or read back."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, Decimal):  # 10 as set, 10.00 as read back
        return format(value.normalize(), "f")
    return value


def mac(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(_key(), text.encode(), hashlib.sha256).hexdigest()


def event_mac(number: str, e: Model | dict[str, Any]) -> str:
    v: dict[str, Any] = e if isinstance(e, dict) else {name: getattr(e, name) for name in EVENT_FIELDS}
    return mac(
        {
            "scheme": SCHEME,
            "appeal": number,
            "seq": v["seq"],
            "at": plain(v["at"]),
            "actor": v["actor_id"],
            "actor_label": v["actor_label"],
            "action": v["action"],
            "from": v["from_state"],
            "to": v["to_state"],
            "public": v["public"],
            "note": v["note"],
            "data": v["data"],
            "prev": v["prev_hash"],
        }
    )


def who(actor: Any) -> tuple[int | None, str]:
    """(actor id, the label printed) for an Actor, a user, or None (the system)."""
    if isinstance(actor, Actor):
        return actor.pk, actor.label
    if actor is not None and getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None):
        return actor.pk, getattr(actor, "display_name", "") or str(actor)
    return None, "系统"


@dataclass(frozen=True)
class Break:
    """Where and how one matter's history fails to verify. ``seq``: the first event that does not
    match (for the row or a missing tail: one past the last event that does)."""

    seq: int
    reason: str

    def __str__(self) -> str:
        return f"第{self.seq}条：{self.reason}"


class Chain:
    """The history of one kind of matter: ``matter`` rows with ``number``, ``chain_length``,
    ``chain_head`` and ``chain_seal``; ``event`` rows (a ChainedEvent) pointing at them through
    ``fk`` with ``related_name="events"``; ``sealed`` the row fields a person reads."""

    def __init__(
        self, *, matter: type[Model], event: type[Model], fk: str, sealed: tuple[str, ...], noun: str
    ):
        self.matter, self.event, self.fk, self.sealed, self.noun = matter, event, fk, sealed, noun
        self.row_fields = ("id", "chain_length", "chain_head", "chain_seal", *sealed)
        self.tampered = f"该{noun}的记录与办理轨迹不符（可能被直接改动），已暂停办理，请联系管理员核查"

    def seal(self, row: dict[str, Any], *, length: int, head: str) -> str:
        return mac(
            {
                "scheme": SCHEME,
                "length": length,
                "head": head,
                "row": {name: plain(row[name]) for name in self.sealed},
            }
        )

    def row_is_sealed(self, matter: Any) -> bool:
        row = {name: getattr(matter, name) for name in self.sealed}
        expected = self.seal(row, length=matter.chain_length, head=matter.chain_head)
        return hmac.compare_digest(matter.chain_seal or "", expected)

    def check_sealed(self, matter: Any) -> None:
        """Refuse to act on a matter whose row was changed outside the services."""
        if not self.row_is_sealed(matter):
            logger.error("%s %s 的记录与轨迹不符，拒绝在其上继续办理", self.noun, matter.number)
            raise Conflict(self.tampered, field="state")

    def append(
        self,
        matter: Any,
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
    ) -> Any:
        """Append one event and reseal the row over what it now holds. The caller holds the row
        lock (so seq cannot race) and has saved its changes. ``first``: the matter has no event
        yet; if it is not saved yet either (intake), it is inserted here with its seal, which saves
        an UPDATE per registration. ``actor``: an Actor (the system's reason is kept in the event's
        data) or a user."""
        last = None if first else matter.events.order_by("-seq").values_list("seq", "hash").first()
        if not first and (last or (0, "")) != (matter.chain_length, matter.chain_head):
            logger.error("%s %s 的轨迹条数与记录不符，拒绝追加", self.noun, matter.number)
            raise Conflict(self.tampered, field="state")
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
        data = json.loads(json.dumps(data or {}, ensure_ascii=False, default=str))
        if isinstance(actor, Actor) and actor.is_system and actor.reason:
            data.setdefault("system_reason", actor.reason)
        actor_id, label = who(actor)
        event: Any = self.event(
            seq=seq,
            at=at,
            actor_id=actor_id,
            actor_label=label,
            action=action,
            from_state=from_state,
            to_state=to_state,
            public=public,
            note=note,
            data=data,
            prev_hash=prev_hash,
        )
        event.hash = event_mac(matter.number, event)
        if first and matter._state.adding:
            matter.chain_length, matter.chain_head = seq, event.hash
            matter.chain_seal = self.seal(
                {name: getattr(matter, name) for name in self.sealed}, length=seq, head=event.hash
            )
            matter.save(force_insert=True)
        setattr(event, self.fk, matter)
        event.save()
        if first and matter.chain_length == seq and matter.chain_head == event.hash:
            return event
        sealed = self.seal({name: getattr(matter, name) for name in self.sealed}, length=seq, head=event.hash)
        self.matter._default_manager.filter(pk=matter.pk).update(
            chain_length=seq, chain_head=event.hash, chain_seal=sealed
        )
        matter.chain_length, matter.chain_head, matter.chain_seal = seq, event.hash, sealed
        return event

    def check_rows(
        self, row: dict[str, Any], events: list[dict[str, Any]], checkpoint: tuple[int, str] | None = None
    ) -> Break | None:
        prev_hash = GENESIS
        for expected, e in enumerate(events, start=1):
            if e["seq"] != expected:
                return Break(expected, "轨迹缺失")
            if e["prev_hash"] != prev_hash or not hmac.compare_digest(e["hash"], event_mac(row["number"], e)):
                return Break(expected, "轨迹内容被改动")
            prev_hash = e["hash"]
        length = len(events)
        if checkpoint is not None:
            seq, head = checkpoint
            if seq > length:
                return Break(length + 1, f"检查点记录了{seq}条轨迹，现只有{length}条，末尾轨迹被删除")
            if events[seq - 1]["hash"] != head:
                return Break(seq, "与检查点记录的轨迹不符")
        if row["chain_length"] != length or row["chain_head"] != prev_hash:
            return Break(
                min(length, row["chain_length"]) + 1,
                f"{self.noun}记录的轨迹条数与轨迹不符，末尾轨迹被删除或伪造",
            )
        if not hmac.compare_digest(row["chain_seal"] or "", self.seal(row, length=length, head=prev_hash)):
            return Break(length + 1, f"{self.noun}的状态等内容与轨迹不符，被直接改动")
        return None

    def check(self, matter: Any, checkpoint: tuple[int, str] | None = None) -> Break | None:
        """Verify one matter: its chain and its row's seal (and a checkpointed head, if given)."""
        row = self.matter._default_manager.filter(pk=matter.pk).values(*self.row_fields).get()
        events = list(
            self.event._default_manager.filter(**{self.fk: matter.pk}).order_by("seq").values(*EVENT_FIELDS)
        )
        return self.check_rows(row, events, checkpoint)
