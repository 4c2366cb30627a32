"""Readable matter numbers and the query codes citizens track them with."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from .models import DailyCounter


def next_in_day(kind: str, day: date) -> int:
    """Add one to ``kind``'s counter for ``day`` and return it. The row stays locked until the
    transaction ends, so concurrent intakes never share a number."""
    counter, created = DailyCounter.objects.select_for_update().get_or_create(
        kind=kind, day=day, defaults={"value": 1}
    )
    if created:
        return 1
    DailyCounter.objects.filter(pk=counter.pk).update(value=F("value") + 1)
    return counter.value + 1


def daily_number(prefix: str, *, kind: str, at: date | None = None, width: int = 6) -> str:
    """PREFIX-YYYYMMDD-NNNNNN, the day in the platform's time zone."""
    day = at or timezone.localdate()
    return f"{prefix}-{day:%Y%m%d}-{next_in_day(kind, day):0{width}d}"


def new_query_code() -> str:
    """Eight digits the citizen keys in with the number; stored only as ``hash_query_code``."""
    return f"{secrets.randbelow(10**8):08d}"


def hash_query_code(code: str, key: str | None = None) -> str:
    """The stored form of a query code: an HMAC under QUERY_CODE_KEY, a key of its own so that
    rotating SECRET_KEY leaves every citizen's code working."""
    secret = key if key is not None else settings.QUERY_CODE_KEY
    return hmac.new(secret.encode(), code.encode(), hashlib.sha256).hexdigest()


def query_code_matches(stored_hash: str, code: str) -> bool:
    """Codes issued before QUERY_CODE_KEY existed were keyed by SECRET_KEY; they still match
    until that key is rotated."""
    given = (code or "").strip()
    if hmac.compare_digest(stored_hash, hash_query_code(given)):
        return True
    return hmac.compare_digest(stored_hash, hash_query_code(given, settings.SECRET_KEY))
