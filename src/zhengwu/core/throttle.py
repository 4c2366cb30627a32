"""Who is asking, and how often: the client's address and counters of failures kept in the shared
cache (CACHES: the database by default, Redis in production), so every worker process sees the same
count and a new cookie starts no new count.

The address is ``REMOTE_ADDR`` unless ``CLIENT_IP_HEADER`` names the header our own reverse proxy
sets (e.g. ``X-Real-IP``). Any other header is a client's claim and is never read: trusting
X-Forwarded-For without a proxy that overwrites it would let anyone choose the address counted.
For X-Forwarded-For the last address is taken, the one our proxy appended."""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache


def _meta_name(header: str) -> str:
    name = header.strip().upper().replace("-", "_")
    if name in ("", "REMOTE_ADDR"):
        return "REMOTE_ADDR"
    return name if name.startswith("HTTP_") else f"HTTP_{name}"


def _valid(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def address(request: Any) -> str | None:
    """The client's address: from the trusted proxy's header when one is configured, otherwise
    the connection's; None when neither holds an address (a request built in code). An absent or
    malformed header falls back to the connection's address. django-axes reads it here too."""
    meta = getattr(request, "META", None) or {}
    name = _meta_name(getattr(settings, "CLIENT_IP_HEADER", ""))
    if name != "REMOTE_ADDR":
        parts = [p for p in (meta.get(name) or "").split(",") if p.strip()]
        if parts and (found := _valid(parts[-1])):
            return found
    return _valid(meta.get("REMOTE_ADDR") or "")


def client_ip(request: Any) -> str:
    """``address`` as a key for counting ("unknown" when there is none)."""
    return address(request) or "unknown"


@dataclass(frozen=True)
class FailureCounter:
    """At most ``limit`` failures per ``seconds`` for one key (an address, a pair …); the window
    starts at the first failure. Counts live in the shared cache under a hashed key."""

    name: str
    limit: int
    seconds: int

    def _key(self, ident: str) -> str:
        return f"failures:{self.name}:{hashlib.sha256(ident.encode()).hexdigest()[:32]}"

    def _entry(self, ident: str, now: float) -> tuple[int, float]:
        entry = cache.get(self._key(ident))
        if not entry or entry[1] <= now:
            return 0, now + self.seconds
        return int(entry[0]), float(entry[1])

    def count(self, ident: str) -> int:
        return self._entry(ident, time.time())[0]

    def blocked(self, ident: str) -> bool:
        return self.count(ident) >= self.limit

    def fail(self, ident: str) -> int:
        """Count one failure; returns the count in the current window."""
        now = time.time()
        count, until = self._entry(ident, now)
        count += 1
        cache.set(self._key(ident), (count, until), timeout=max(1, math.ceil(until - now)))
        return count

    def clear(self, ident: str) -> None:
        cache.delete(self._key(ident))
