"""The appeal's history, as a keyed hash chain (HMAC-SHA256 under ``HISTORY_CHAIN_KEY``), kept by
the chain every matter shares (casework/chain.py), with the appeal row's shown fields sealed.

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
  The checkpoints are the desk's own; the chain and the row seal are every matter's.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from zhengwu.casework.chain import EVENT_FIELDS as EVENT_FIELDS
from zhengwu.casework.chain import GENESIS as GENESIS
from zhengwu.casework.chain import SCHEME as SCHEME
from zhengwu.casework.chain import Break as Break
from zhengwu.casework.chain import Chain, chain_key, event_mac, plain, using_key

from .models import Appeal, AppealEvent, ChainCheckpoint, ChainCheckpointEntry

logger = logging.getLogger(__name__)

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
ROW_CHANGED = "诉求的状态、答复等内容与轨迹不符，被直接改动"


class _AppealChain(Chain):
    """The shared chain, naming what the appeal row's seal covers (its reply too) when it breaks."""

    def check_rows(
        self, row: dict[str, Any], events: list[dict[str, Any]], checkpoint: tuple[int, str] | None = None
    ) -> Break | None:
        problem = super().check_rows(row, events, checkpoint)
        if problem is not None and problem.reason == f"{self.noun}的状态等内容与轨迹不符，被直接改动":
            return Break(problem.seq, ROW_CHANGED)
        return problem


CHAIN = _AppealChain(matter=Appeal, event=AppealEvent, fk="appeal", sealed=SEALED_FIELDS, noun="诉求")
TAMPERED = CHAIN.tampered
ROW_FIELDS = CHAIN.row_fields


def seal(row: dict[str, Any], *, length: int, head: str) -> str:
    """The MAC binding the appeal row's shown fields to its chain head and length."""
    return CHAIN.seal(row, length=length, head=head)


def row_is_sealed(appeal: Appeal) -> bool:
    """Whether the row, as just read, still carries the seal of its last event. Checked before a
    service changes it: resealing a forged row would make the forgery part of the history."""
    return CHAIN.row_is_sealed(appeal)


def check_sealed(appeal: Appeal) -> None:
    """Refuse to act on an appeal whose row was changed outside the services (and say so in the
    log): it waits for an administrator, as the daily verification reports it too."""
    CHAIN.check_sealed(appeal)


# ---------------------------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------------------------


def _check(
    row: dict[str, Any], events: list[dict[str, Any]], checkpoint: tuple[int, str] | None
) -> Break | None:
    return CHAIN.check_rows(row, events, checkpoint)


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
    return CHAIN.check(appeal, checkpointed_head(appeal.pk))


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
    mac = hmac.new(chain_key(), f"{SCHEME}\n{prev_root}\n{plain(at)}\n".encode(), hashlib.sha256)
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


def rekey(*, old_key: str) -> int:
    """Move every history from ``old_key`` to the current HISTORY_CHAIN_KEY: verify everything
    under the old key first (refusing if anything is broken, which re-keying would launder), then
    recompute every event MAC, row seal and checkpoint root. Roots published before the rotation
    stay checkable with the old key only. Returns the number of appeals re-keyed."""
    with using_key(old_key):
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
                e.hash = prev = event_mac(appeal.number, e)
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
