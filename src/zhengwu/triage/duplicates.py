"""Near-duplicate appeals (并单 support): given a new appeal, the earlier ones about the same matter
in the same place, fast enough to run at intake.

Texts are character-bigram TF-IDF vectors (hashed, see ``vectors``); similarity is their cosine.
The index is stored transposed (one row per bigram listing the texts that contain it), so a
lookup touches only the postings of the query's own bigrams, never the whole collection: a few
milliseconds against 100,000 texts (docs/benchmarks.md). Bigrams found in more than ``max_df`` of the texts (的, 我们, 小区 …) are
left out of the index: they are in nearly every appeal, would make every posting list long and
move a cosine by a few hundredths at most.

Two texts whose districts differ (A3区 vs A5区) are never duplicates, however similar the wording:
"the road is broken" in two districts is two matters. A structured address (the appeal's 地点
field) is passed apart as ``where``: it takes part in that place check but not in the cosine, so
that two short appeals at one address — a lift and a restaurant's fumes in the same 街道 — do not
look alike because of the address they share (bench/similarity.py).

Pure Python and scipy, no Django: the appeals desk builds an index of its open appeals and keeps
it warm.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from .places import PLACE_CHARS, Places, extract_places, places_conflict
from .text import normalise
from .vectors import HASH_BITS, bigram_columns, count_matrix, tfidf

# Cosine of bigram TF-IDF from which two appeals are proposed for merging. On the 12345 messages
# re-submissions and copies score 0.8–1.0, two people describing the same estate's problem in
# their own words 0.4–0.7; below 0.4 same-matter pairs mix with pairs that only share a topic.
DEFAULT_THRESHOLD = 0.4


@dataclass(frozen=True)
class Match:
    id: Any
    score: float
    places: tuple[str, ...]


class DuplicateIndex:
    """An index of (id, text) pairs. Build once with :meth:`build`; :meth:`add` appends texts
    with the idf of the build (rebuild now and then, e.g. nightly, to refresh it)."""

    def __init__(self, *, threshold: float = DEFAULT_THRESHOLD, max_df: float = 0.1):
        self.threshold = threshold
        self.max_df = max_df
        self._idf: npt.NDArray[np.float32] = np.zeros(1 << HASH_BITS, dtype=np.float32)
        self._postings: sparse.csr_matrix = sparse.csr_matrix((1 << HASH_BITS, 0), dtype=np.float32)
        self._pending: list[sparse.csr_matrix] = []
        self._ids: list[Any] = []
        self._texts: list[str] = []
        self._wheres: list[str] = []
        self._places: dict[int, Places] = {}
        self._indexed = 0  # texts in _postings; the rest are in _pending

    def __len__(self) -> int:
        return len(self._ids)

    @classmethod
    def build(
        cls, items: Iterable[tuple[Any, str]], *, wheres: Sequence[str] | None = None, **kwargs: Any
    ) -> DuplicateIndex:
        """``items``: (id, text); ``wheres``: each text's address, if kept apart (see above)."""
        index = cls(**kwargs)
        pairs = list(items)
        if not pairs:
            return index
        index._ids = [i for i, _ in pairs]
        index._texts = [t for _, t in pairs]
        index._wheres = list(wheres) if wheres is not None else [""] * len(pairs)
        # max_df as a fraction only makes sense on more than a handful of texts.
        matrix, index._idf = tfidf(
            count_matrix(index._texts), max_df=index.max_df if len(pairs) >= 50 else 1.0
        )
        index._postings = matrix.T.tocsr()
        index._indexed = len(pairs)
        return index

    def _vector(self, text: str) -> sparse.csr_matrix:
        """One row, weighted as at build time (sublinear tf × idf, L2-normalised)."""
        columns, counts = np.unique(bigram_columns(normalise(text)), return_counts=True)
        values = (np.log(counts.astype(np.float32)) + 1) * self._idf[columns]
        keep = values > 0
        columns, values = columns[keep], values[keep]
        norm = float(np.sqrt(values @ values)) if len(values) else 0.0
        if norm:
            values /= norm
        return sparse.csr_matrix(
            (values, columns, np.array([0, len(columns)])), shape=(1, 1 << HASH_BITS), dtype=np.float32
        )

    def add(self, id: Any, text: str, *, where: str = "") -> None:
        self._ids.append(id)
        self._texts.append(text)
        self._wheres.append(where)
        self._pending.append(self._vector(text))
        if len(self._pending) > max(1000, self._indexed // 20):
            self._merge_pending()

    def _merge_pending(self) -> None:
        rows = sparse.vstack(self._pending, format="csr", dtype=np.float32)
        self._postings = sparse.hstack([self._postings, rows.T], format="csr", dtype=np.float32)
        self._indexed += rows.shape[0]
        self._pending = []

    def _places_of(self, row: int) -> Places:
        if row not in self._places:
            self._places[row] = extract_places(_place_text(self._wheres[row], self._texts[row]))
        return self._places[row]

    def similar(
        self,
        text: str,
        *,
        top: int = 5,
        threshold: float | None = None,
        exclude: Sequence[Any] = (),
        where: str = "",
    ) -> list[Match]:
        """Stored texts about the same matter in the same place as ``text``, most similar first."""
        if not self._ids:
            return []
        threshold = self.threshold if threshold is None else threshold
        q = self._vector(text)
        if not q.nnz:
            return []
        scores = np.zeros(len(self._ids), dtype=np.float32)
        if self._indexed:
            scores[: self._indexed] = (q @ self._postings).toarray().ravel()
        if self._pending:
            scores[self._indexed :] = (sparse.vstack(self._pending, format="csr") @ q.T).toarray().ravel()
        candidates = np.flatnonzero(scores >= threshold)
        candidates = candidates[np.argsort(-scores[candidates], kind="stable")]
        query_places = extract_places(_place_text(where, text))
        excluded = set(exclude)
        found: list[Match] = []
        for row in candidates.tolist():
            if self._ids[row] in excluded:
                continue
            places = self._places_of(row)
            if places_conflict(query_places, places):
                continue
            found.append(Match(id=self._ids[row], score=round(float(scores[row]), 4), places=places.all))
            if len(found) >= top:
                break
        return found


def _place_text(where: str, text: str) -> str:
    """What places are read from: the address first, then the start of the text."""
    return f"{where}\n{text[:PLACE_CHARS]}" if where else text[:PLACE_CHARS]
