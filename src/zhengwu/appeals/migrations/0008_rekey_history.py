"""Recompute every appeal history under the keyed scheme (HMAC-SHA256 under HISTORY_CHAIN_KEY,
covering actor_label too) and seal each appeal row to its chain head.

Self-contained on purpose: the digests of both schemes are copied here, so a later change to
appeals/events.py cannot change what this migration did. A chain that does not verify under the
old (unkeyed SHA-256) scheme is left as it is — re-keying it would launder a tampered history —
and so fails verification under the new one."""

import hashlib
import hmac
import json
from datetime import UTC, datetime

from django.conf import settings
from django.db import migrations

GENESIS = "0" * 64
SCHEME = "hmac-sha256-v2"
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


def _dumps(payload):
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _plain(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def old_digest(number, e):
    """The unkeyed scheme of 0001–0007 (events.py before the keyed chain)."""
    payload = {
        "appeal": number,
        "seq": e.seq,
        "at": e.at.isoformat(timespec="microseconds"),
        "actor": e.actor_id,
        "action": e.action,
        "from": e.from_state,
        "to": e.to_state,
        "public": e.public,
        "note": e.note,
        "data": e.data,
        "prev": e.prev_hash,
    }
    return hashlib.sha256(_dumps(payload).encode()).hexdigest()


def _mac(key, payload):
    return hmac.new(key, _dumps(payload).encode(), hashlib.sha256).hexdigest()


def new_mac(key, number, e, prev_hash):
    return _mac(
        key,
        {
            "scheme": SCHEME,
            "appeal": number,
            "seq": e.seq,
            "at": _plain(e.at),
            "actor": e.actor_id,
            "actor_label": e.actor_label,
            "action": e.action,
            "from": e.from_state,
            "to": e.to_state,
            "public": e.public,
            "note": e.note,
            "data": e.data,
            "prev": prev_hash,
        },
    )


def seal(key, appeal, length, head):
    row = {name: _plain(getattr(appeal, name)) for name in SEALED_FIELDS}
    return _mac(key, {"scheme": SCHEME, "length": length, "head": head, "row": row})


def rekey(apps, schema_editor):
    Appeal = apps.get_model("appeals", "Appeal")
    AppealEvent = apps.get_model("appeals", "AppealEvent")
    key = settings.HISTORY_CHAIN_KEY.encode()
    db = schema_editor.connection.alias
    for appeal in Appeal.objects.using(db).order_by("id").iterator(chunk_size=500):
        events = list(AppealEvent.objects.using(db).filter(appeal_id=appeal.pk).order_by("seq"))
        prev = GENESIS
        whole = True
        for expected, e in enumerate(events, start=1):
            if e.seq != expected or e.prev_hash != prev or e.hash != old_digest(appeal.number, e):
                whole = False
                break
            prev = e.hash
        if not whole or not events:
            continue
        prev = GENESIS
        for e in events:
            e.prev_hash = prev
            e.hash = new_mac(key, appeal.number, e, prev)
            prev = e.hash
        AppealEvent.objects.using(db).bulk_update(events, ["prev_hash", "hash"], batch_size=500)
        Appeal.objects.using(db).filter(pk=appeal.pk).update(
            chain_length=len(events), chain_head=prev, chain_seal=seal(key, appeal, len(events), prev)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0007_history_chain_seal"),
    ]

    operations = [
        migrations.RunPython(rekey, migrations.RunPython.noop, elidable=False),
    ]
