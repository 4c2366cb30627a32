"""并单 proposals: earlier open appeals about the same matter in the same place as a new one.

The text similarity is the index the desk's port provides (appeals/suggestions.py; triage's
character-bigram TF-IDF, districts that differ never match), asked for, not imported. Each process keeps one index of the open appeals of the last ``WINDOW_DAYS`` days:
appeals registered since the last look are appended (one indexed query for rows above the last
id), and the whole index is rebuilt every ``REBUILD_SECONDS`` so that closed appeals drop out and
the idf follows the stream. A proposal is only a proposal: the operator merges with the 并单 action,
and the candidates shown are re-read through the user's own visibility.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from . import suggestions
from .models import Appeal, Channel
from .workflow import OPEN_STATES

WINDOW_DAYS = 30
REBUILD_SECONDS = 600
# Cosine (title and body, the address apart) from which an open appeal is proposed for 并单:
# measured by bench/similarity.py, figures in docs/benchmarks.md (并单相似度阈值).
THRESHOLD = 0.35


@dataclass(frozen=True)
class Repeat:
    appeal: Appeal
    score: float  # cosine similarity, 0–1

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def text_of(title: str, body: str, address: str = "") -> str:
    return "\n".join(part for part in (title.strip(), address.strip(), body.strip()) if part)


def content_of(title: str, body: str) -> str:
    """What the similarity is computed on: the words of the appeal, not its 地点 field (which the
    index checks separately, so that one shared address does not make two matters look alike)."""
    return text_of(title, body)


def _candidates() -> QuerySet[Appeal]:
    since = timezone.now() - timedelta(days=WINDOW_DAYS)
    return Appeal.objects.filter(state__in=OPEN_STATES, created_at__gte=since).exclude(
        channel=Channel.PROACTIVE
    )


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.index: suggestions.SimilarityIndex | None = None
        self.built_at = 0.0
        self.last_id = 0

    def reset(self) -> None:
        with self.lock:
            self.index = None

    def current(self) -> suggestions.SimilarityIndex | None:
        with self.lock:
            index = self.index
            stale = index is None or time.monotonic() - self.built_at > REBUILD_SECONDS
            if index is None or stale or self._max_id() < self.last_id:  # rows removed: start afresh
                rows = list(_candidates().order_by("id").values_list("id", "title", "address", "body"))
                index = suggestions.build_index(
                    [(pk, content_of(t, b)) for pk, t, _, b in rows],
                    wheres=[a for _, _, a, _ in rows],
                    threshold=THRESHOLD,
                )
                if index is None:  # no part provides the similarity: nothing to propose
                    return None
                self.index, self.built_at = index, time.monotonic()
                self.last_id = rows[-1][0] if rows else self._max_id()
            else:
                new = _candidates().filter(id__gt=self.last_id).order_by("id")
                for pk, t, a, b in new.values_list("id", "title", "address", "body"):
                    index.add(pk, content_of(t, b), where=a)
                    self.last_id = pk
            return index

    @staticmethod
    def _max_id() -> int:
        last = Appeal.objects.order_by("-id").values_list("id", flat=True).first()
        return last or 0


_cache = _Cache()


def reset() -> None:
    """Forget the index (tests; a rebuild happens on the next lookup anyway)."""
    _cache.reset()


def possible_repeats(
    visible: QuerySet[Appeal],
    *,
    title: str,
    body: str,
    address: str = "",
    exclude: Sequence[int] = (),
    top: int = 5,
) -> list[Repeat]:
    """Open appeals the user can see that look like the same matter in the same place, most
    similar first."""
    text = content_of(title, body)
    if len(text) < 4:
        return []
    index = _cache.current()
    if index is None:
        return []
    matches = index.similar(text, top=top * 3, exclude=exclude, where=address)
    if not matches:
        return []
    found = visible.filter(pk__in=[m.id for m in matches], state__in=OPEN_STATES).in_bulk()
    return [Repeat(found[m.id], m.score) for m in matches if m.id in found][:top]
