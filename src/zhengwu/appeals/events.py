"""The appeal's history, as a keyed hash chain (HMAC-SHA256 under ``HISTORY_CHAIN_KEY``).

* Each event's MAC covers every field the timeline shows — time, who (the actor and the
  ``actor_label`` printed), what (``action``), the states, whether the citizen sees it, the note,
  the data — and the MAC of the event before it. Without the key nobody can recompute a MAC, so an
  edited event, an edit "repaired" by recomputing hashes in SQL, or an event moved between appeals
  no longer verifies.
* The appeal row carries its chain's length and head and a *seal*: a MAC over the head, the length
  and the row's shown fields (state, reply, limits, category …). Forging ``state`` or the reply on
  the row, or deleting the last events, breaks the seal.
* A daily checkpoint (``ChainCheckpoint``) records every chain head that moved since the previous
  one and a root MAC chaining all checkpoints. A chain must still reach each head a checkpoint
  recorded, so rolling a row and its tail back to an earlier, validly sealed state is detected
  for everything older than the last checkpoint. What this does not prove: docs/domain/appeals.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from zhengwu.core.errors import Conflict

from .models import Appeal, AppealEvent, ChainCheckpoint, ChainCheckpointEntry

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
SCHEME = "hmac-sha256-v2"

# An event's fields, as verification reads them (the MAC covers all but its own ``hash``).
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
# The appeal row's fields a person reads on the appeal page and the lists; the seal covers them.
SEALED_FIELDS = (
    "number",
    "channel",
    "appeal_type",
    "urgency",
    "title",
    "body",
    "contact_name",
    "contact_phone",
    "address",
    "anonymous",
    "confidential",
    "category_id",
    "handling_mode",
    "state",
    "due_at",
    "reply",
    "replied_at",
    "closed_at",
    "reopen_count",
    "red_listed",
    "merged_into_id",
)


_key_override: str | None = None


def _key() -> bytes:
    key: str = _key_override if _key_override is not None else settings.HISTORY_CHAIN_KEY
    if not key:
        raise RuntimeError("HISTORY_CHAIN_KEY 未设置")
    return key.encode()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def _mac(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(_key(), text.encode(), hashlib.sha256).hexdigest()


def event_mac(
    *,
    appeal_number: str,
    seq: int,
    at: datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    from_state: str,
    to_state: str,
    public: bool,
    note: str,
    data: dict[str, Any],
    prev_hash: str,
) -> str:
    return _mac(
        {
            "scheme": SCHEME,
            "appeal": appeal_number,
            "seq": seq,
            "at": _plain(at),
            "actor": actor_id,
            "actor_label": actor_label,
            "action": action,
            "from": from_state,
            "to": to_state,
            "public": public,
            "note": note,
            "data": data,
            "prev": prev_hash,
        }
    )


def _mac_of(e: AppealEvent | dict[str, Any], number: str) -> str:
    v: dict[str, Any] = e if isinstance(e, dict) else {name: getattr(e, name) for name in EVENT_FIELDS}
    return event_mac(
        appeal_number=number,
        seq=v["seq"],
        at=v["at"],
        actor_id=v["actor_id"],
        actor_label=v["actor_label"],
        action=v["action"],
        from_state=v["from_state"],
        to_state=v["to_state"],
        public=v["public"],
        note=v["note"],
        data=v["data"],
        prev_hash=v["prev_hash"],
    )


def seal(row: dict[str, Any], *, length: int, head: str) -> str:
    """The MAC binding the appeal row's shown fields to its chain head and length."""
    return _mac(
        {
            "scheme": SCHEME,
            "length": length,
            "head": head,
            "row": {name: _plain(row[name]) for name in SEALED_FIELDS},
        }
    )


TAMPERED = "该诉求的记录与办理轨迹不符（可能被直接改动），已暂停办理，请联系管理员核查"


def row_is_sealed(appeal: Appeal) -> bool:
    """Whether the row, as just read, still carries the seal of its last event. Checked before a
    service changes it: resealing a forged row would make the forgery part of the history."""
    row = {name: getattr(appeal, name) for name in SEALED_FIELDS}
    expected = seal(row, length=appeal.chain_length, head=appeal.chain_head)
    return hmac.compare_digest(appeal.chain_seal or "", expected)


def check_sealed(appeal: Appeal) -> None:
    """Refuse to act on an appeal whose row was changed outside the services (and say so in the
    log): it waits for an administrator, as the daily verification reports it too."""
    if not row_is_sealed(appeal):
        logger.error("诉求 %s 的记录与轨迹不符，拒绝在其上继续办理", appeal.number)
        raise Conflict(TAMPERED, field="state")


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
    """Append one event and reseal the appeal row over what it now holds. The caller holds the
    appeal's row lock, so seq cannot race, and has saved its changes to the row already.
    ``first``: the appeal has no event yet; if it is not saved yet either (intake), it is inserted
    here with its seal, which saves an UPDATE per registration."""
    last = None if first else appeal.events.order_by("-seq").values_list("seq", "hash").first()
    if not first and (last or (0, "")) != (appeal.chain_length, appeal.chain_head):
        # Events deleted (or added) outside append: do not extend a cut chain as if it were whole.
        logger.error("诉求 %s 的轨迹条数与记录不符，拒绝追加", appeal.number)
        raise Conflict(TAMPERED, field="state")
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
    event.hash = _mac_of(event, appeal.number)
    if first and appeal._state.adding:
        appeal.chain_length, appeal.chain_head = seq, event.hash
        appeal.chain_seal = seal(
            {name: getattr(appeal, name) for name in SEALED_FIELDS}, length=seq, head=event.hash
        )
        appeal.save(force_insert=True)
        event.appeal = appeal
        event.save()
        return event
    event.save()
    # Sealed from the caller's instance: locked and just saved, it is what the row now holds (a
    # service that changed a field without saving it would break the seal — the tests verify
    # every chain after each service, so that cannot pass unnoticed). Reading the row back cost
    # half the intake rate.
    sealed = seal({name: getattr(appeal, name) for name in SEALED_FIELDS}, length=seq, head=event.hash)
    Appeal.objects.filter(pk=appeal.pk).update(chain_length=seq, chain_head=event.hash, chain_seal=sealed)
    appeal.chain_length, appeal.chain_head, appeal.chain_seal = seq, event.hash, sealed
    return event


# ---------------------------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------------------------

ROW_FIELDS = ("id", "chain_length", "chain_head", "chain_seal", *SEALED_FIELDS)


@dataclass(frozen=True)
class Break:
    """Where and how one appeal's history fails to verify. ``seq``: the first event that does not
    match (for the row or a missing tail: one past the last event that does)."""

    seq: int
    reason: str

    def __str__(self) -> str:
        return f"第{self.seq}条：{self.reason}"


def _check(
    row: dict[str, Any], events: list[dict[str, Any]], checkpoint: tuple[int, str] | None
) -> Break | None:
    prev_hash = GENESIS
    for expected, e in enumerate(events, start=1):
        if e["seq"] != expected:
            return Break(expected, "轨迹缺失")
        if e["prev_hash"] != prev_hash or not hmac.compare_digest(e["hash"], _mac_of(e, row["number"])):
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
            min(length, row["chain_length"]) + 1, "诉求记录的轨迹条数与轨迹不符，末尾轨迹被删除或伪造"
        )
    if not hmac.compare_digest(row["chain_seal"] or "", seal(row, length=length, head=prev_hash)):
        return Break(length + 1, "诉求的状态、答复等内容与轨迹不符，被直接改动")
    return None


def checkpointed_head(appeal_id: int) -> tuple[int, str] | None:
    entry = (
        ChainCheckpointEntry.objects.filter(appeal_id=appeal_id)
        .order_by("-checkpoint_id")
        .values_list("seq", "head")
        .first()
    )
    return (entry[0], entry[1]) if entry else None


def check_appeal(appeal: Appeal) -> Break | None:
    """Verify one appeal: its chain, its row's seal, and the last checkpoint that recorded it."""
    row = Appeal.objects.filter(pk=appeal.pk).values(*ROW_FIELDS).get()
    events = list(appeal.events.order_by("seq").values(*EVENT_FIELDS))
    return _check(row, events, checkpointed_head(appeal.pk))


def verify_chain(appeal: Appeal) -> int | None:
    """The seq of the first event that does not verify, or None when the history is whole."""
    problem = check_appeal(appeal)
    return problem.seq if problem else None


def last_seq(appeal: Appeal) -> int:
    return appeal.events.aggregate(m=Max("seq"))["m"] or 0


# ---------------------------------------------------------------------------------------------
# Checkpoints: the signed root of all chain heads
# ---------------------------------------------------------------------------------------------


def _root(prev_root: str, at: datetime, entries: list[tuple[int, int, str]]) -> str:
    mac = hmac.new(_key(), f"{SCHEME}\n{prev_root}\n{_plain(at)}\n".encode(), hashlib.sha256)
    for appeal_id, seq, head in sorted(entries):
        mac.update(f"{appeal_id}:{seq}:{head}\n".encode())
    return mac.hexdigest()


@dataclass
class Report:
    """What a full verification found."""

    appeals: int = 0
    events: int = 0
    broken: dict[str, Break] = field(default_factory=dict)  # appeal number → first break
    checkpoints: int = 0
    bad_checkpoints: list[int] = field(default_factory=list)
    checkpoint: ChainCheckpoint | None = None

    @property
    def ok(self) -> bool:
        return not self.broken and not self.bad_checkpoints


def _recorded_heads(report: Report) -> dict[int, tuple[int, str]]:
    """Replay every checkpoint: each root must follow from the previous one and its entries.
    Returns the last recorded (seq, head) of each appeal."""
    heads: dict[int, tuple[int, str]] = {}
    prev_root = GENESIS
    # One streamed query for all entries, walked in step with the checkpoints (both by checkpoint
    # id), not one query per checkpoint: a checkpoint is added every day.
    rows = ChainCheckpointEntry.objects.order_by("checkpoint_id").values_list(
        "checkpoint_id", "appeal_id", "seq", "head"
    )
    groups = groupby(rows.iterator(chunk_size=5000), key=lambda r: r[0])
    group = next(groups, None)
    for cp in ChainCheckpoint.objects.order_by("id").iterator():
        while group is not None and group[0] < cp.pk:  # entries of no checkpoint (cannot happen)
            group = next(groups, None)
        entries: list[tuple[int, int, str]] = []
        if group is not None and group[0] == cp.pk:
            entries = [(appeal_id, seq, head) for _, appeal_id, seq, head in group[1]]
            group = next(groups, None)
        report.checkpoints += 1
        if cp.prev_root != prev_root or not hmac.compare_digest(cp.root, _root(prev_root, cp.at, entries)):
            report.bad_checkpoints.append(cp.pk)
        for appeal_id, seq, head in entries:
            heads[appeal_id] = (seq, head)
        prev_root = cp.root
    return heads


def _events_by_appeal() -> Iterator[tuple[int, list[dict[str, Any]]]]:
    rows = AppealEvent.objects.order_by("appeal_id", "seq").values("appeal_id", *EVENT_FIELDS)
    for appeal_id, group in groupby(rows.iterator(chunk_size=5000), key=lambda e: e["appeal_id"]):
        yield appeal_id, list(group)


def verify_all(*, checkpoint: bool = False, now: datetime | None = None) -> Report:
    """Verify every appeal's history against its row and every checkpoint. With ``checkpoint``,
    then record a new checkpoint of the heads that verified and moved since the last one (a
    broken chain keeps its last good head, so tampering is never signed into a checkpoint)."""
    report = Report()
    recorded = _recorded_heads(report)
    moved: list[tuple[int, int, str]] = []
    events = _events_by_appeal()
    pending = next(events, None)
    seen: set[int] = set()
    for row in Appeal.objects.order_by("id").values(*ROW_FIELDS).iterator(chunk_size=2000):
        seen.add(row["id"])
        mine: list[dict[str, Any]] = []
        while pending is not None and pending[0] <= row["id"]:
            if pending[0] == row["id"]:
                mine = pending[1]
            pending = next(events, None)
        report.appeals += 1
        report.events += len(mine)
        problem = _check(row, mine, recorded.get(row["id"]))
        if problem is not None:
            # The two reads above are separate statements: an event committed between them looks
            # like a break. Read this appeal again under its row lock before calling it broken.
            problem, row, mine = _recheck(row["id"], recorded.get(row["id"]))
        if problem is not None:
            report.broken[row["number"]] = problem
        elif mine and recorded.get(row["id"]) != (len(mine), mine[-1]["hash"]):
            moved.append((row["id"], len(mine), mine[-1]["hash"]))
    for appeal_id in recorded.keys() - seen:
        report.broken[f"（编号{appeal_id}）"] = Break(1, "检查点记录的诉求已被删除")
    if checkpoint:
        report.checkpoint = _record_checkpoint(moved, report, now or timezone.now())
    return report


@transaction.atomic
def _recheck(
    appeal_id: int, recorded: tuple[int, str] | None
) -> tuple[Break | None, dict[str, Any], list[dict[str, Any]]]:
    row = Appeal.objects.select_for_update().filter(pk=appeal_id).values(*ROW_FIELDS).get()
    events = list(AppealEvent.objects.filter(appeal_id=appeal_id).order_by("seq").values(*EVENT_FIELDS))
    return _check(row, events, recorded), row, events


@transaction.atomic
def _record_checkpoint(moved: list[tuple[int, int, str]], report: Report, now: datetime) -> ChainCheckpoint:
    last = ChainCheckpoint.objects.select_for_update().order_by("-id").first()
    prev_root = last.root if last else GENESIS
    cp = ChainCheckpoint.objects.create(
        at=now,
        prev_root=prev_root,
        root=_root(prev_root, now, moved),
        appeals=report.appeals,
        events=report.events,
        moved=len(moved),
        broken=len(report.broken) + len(report.bad_checkpoints),
    )
    ChainCheckpointEntry.objects.bulk_create(
        [ChainCheckpointEntry(checkpoint=cp, appeal_id=a, seq=s, head=h) for a, s, h in moved],
        batch_size=2000,
    )
    return cp


def daily_verification() -> Report:
    """The scheduled job: verify everything, record today's checkpoint, and raise the alarm (an
    ERROR in the log; administrators see it on their home page) when anything fails."""
    report = verify_all(checkpoint=True)
    if not report.ok:
        logger.error(
            "诉求轨迹校验失败：%d件诉求的轨迹与记录不符%s；首批：%s",
            len(report.broken),
            f"，{len(report.bad_checkpoints)}个检查点被改动" if report.bad_checkpoints else "",
            "；".join(f"{n} {b}" for n, b in list(report.broken.items())[:10]),
        )
    return report


def latest_alarm() -> ChainCheckpoint | None:
    """The last checkpoint, when its verification found something broken."""
    last = ChainCheckpoint.objects.order_by("-id").first()
    return last if last is not None and last.broken else None


# ---------------------------------------------------------------------------------------------
# Key rotation
# ---------------------------------------------------------------------------------------------


@contextmanager
def _using_key(key: str) -> Iterator[None]:
    global _key_override
    before, _key_override = _key_override, key
    try:
        yield
    finally:
        _key_override = before


def rekey(*, old_key: str) -> int:
    """Move every history from ``old_key`` to the current HISTORY_CHAIN_KEY: verify everything
    under the old key first (refusing if anything is broken, which re-keying would launder), then
    recompute every event MAC, row seal and checkpoint root. Roots published before the rotation
    stay checkable with the old key only. Returns the number of appeals re-keyed."""
    with _using_key(old_key):
        report = verify_all()
    if not report.ok:
        raise ValueError(f"旧密钥下有{len(report.broken)}件诉求的轨迹不符，不能更换密钥，请先核查")
    done = 0
    with transaction.atomic():
        for appeal in Appeal.objects.select_for_update().order_by("id").iterator(chunk_size=500):
            chain = list(appeal.events.order_by("seq"))
            prev = GENESIS
            for e in chain:
                e.prev_hash = prev
                e.hash = prev = _mac_of(e, appeal.number)
            AppealEvent.objects.bulk_update(chain, ["prev_hash", "hash"], batch_size=500)
            row = {name: getattr(appeal, name) for name in SEALED_FIELDS}
            Appeal.objects.filter(pk=appeal.pk).update(
                chain_head=prev if chain else "",
                chain_seal=seal(row, length=len(chain), head=prev) if chain else "",
            )
            done += 1
        # Checkpoint entries name old heads: map them to the new MACs of the same events.
        new_heads = {
            (a, s): h for a, s, h in AppealEvent.objects.values_list("appeal_id", "seq", "hash").iterator()
        }
        prev_root = GENESIS
        for cp in ChainCheckpoint.objects.select_for_update().order_by("id"):
            entries = list(cp.entries.all())
            for entry in entries:
                entry.head = new_heads[(entry.appeal_id, entry.seq)]
            ChainCheckpointEntry.objects.bulk_update(entries, ["head"], batch_size=2000)
            cp.prev_root = prev_root
            cp.root = prev_root = _root(prev_root, cp.at, [(e.appeal_id, e.seq, e.head) for e in entries])
            cp.save(update_fields=["prev_root", "root"])
    return done
