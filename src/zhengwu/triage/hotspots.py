"""Hot issues (热点问题) for 未诉先办: group a period's appeals into issues — same matter, same place
or target — and rank them by a heat index, so that a department can act before more people have
to complain.

How (and why this way; figures in docs/benchmarks.md):

1. Each appeal is a character-bigram TF-IDF vector of its title (twice) and the first 400
   characters of its text, where citizens say what and where; the rest is detail and history.
2. Candidate pairs come from each appeal's 20 heaviest bigrams that other appeals also use (its
   "signature"): two appeals are linked when the cosine of their signatures is at least
   ``threshold`` (0.3) and the signatures' raw dot product — their share of the full cosine — at
   least ``floor`` (0.08), so that two short appeals sharing one word do not link. Comparing
   signatures instead of whole vectors keeps the all-pairs product sparse: 100,000 appeals in
   seconds, where the full product would not fit in memory. Both thresholds were set by reading
   the groups found in the 4,326 hot_messages.csv messages.
3. A link is dropped when the places conflict (different districts, or named places with nothing
   in common: see ``places.places_conflict``): the same complaint about two estates is two issues.
4. Linked appeals form issues (connected components); members far from their issue's centroid
   are cut loose again, so that a chain A–B–C cannot join two unrelated matters through B.
5. Issues supported by fewer than ``min_people`` distinct people are left out: one person writing
   three times is a repeat to merge (并单), not a hot issue.

Heat index, 0–100 within the period, so that issues compare with each other:
``100 × (0.4·people + 0.2·count + 0.2·support + 0.2·concentration)`` where people, count and
support (likes) are log-scaled against the period's largest, and concentration is the share of
an issue's appeals that fell within its busiest 7 days. Distinct people weigh most because the
data shows single users filing dozens of messages; likes count because they are people who agree
without writing.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from .places import PLACE_CHARS, Places, extract_places, main_place, places_conflict
from .vectors import count_matrix, tfidf

WINDOW = timedelta(days=7)
WEIGHTS = {"people": 0.4, "count": 0.2, "support": 0.2, "concentration": 0.2}
_TIME_FORMATS = (
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d",
    "%Y-%m-%d",
)


@dataclass(frozen=True)
class Message:
    """One appeal as hot-issue mining sees it. ``user`` is whoever filed it (None if unknown)."""

    id: Any
    title: str
    body: str
    time: datetime | None = None
    user: str | None = None
    likes: int = 0


@dataclass
class HotIssue:
    rank: int
    heat: float
    count: int
    people: int
    likes: int
    start: datetime | None
    end: datetime | None
    place: str
    places: list[str]
    description: str
    member_ids: list[Any]
    concentration: float
    components: dict[str, float] = field(default_factory=dict)

    @property
    def period(self) -> str:
        if not self.start or not self.end:
            return ""
        return f"{self.start:%Y-%m-%d} 至 {self.end:%Y-%m-%d}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "heat": self.heat,
            "period": self.period,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "place": self.place,
            "places": self.places,
            "description": self.description,
            "count": self.count,
            "people": self.people,
            "likes": self.likes,
            "concentration": round(self.concentration, 3),
            "member_ids": self.member_ids,
        }


def parse_time(value: str) -> datetime | None:
    """The 12345 exports mix "2019/2/28 11:25:05" and ISO forms; anything else counts as unknown."""
    value = (value or "").strip()
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _signatures(matrix: sparse.csr_matrix, size: int, shared: npt.NDArray[np.bool_]) -> sparse.csr_matrix:
    """Each row's ``size`` heaviest entries among the ``shared`` columns (bigrams seen in at least
    two appeals: the others cannot link anything). Not re-normalised: a signature keeps its share
    of the full vector's norm, so an appeal whose bulk is unshared detail scores low."""
    indptr = matrix.indptr
    data = np.where(shared[matrix.indices], matrix.data, 0).astype(np.float32)
    lengths = np.diff(indptr)
    keep = data > 0
    for row in np.flatnonzero(lengths > size).tolist():
        s, e = indptr[row], indptr[row + 1]
        weakest = np.argpartition(data[s:e], e - s - size)[: e - s - size]
        keep[s + weakest] = False
    rows = np.repeat(np.arange(matrix.shape[0]), lengths)[keep]
    return sparse.csr_matrix((data[keep], (rows, matrix.indices[keep])), shape=matrix.shape)


def _linked_pairs(
    signatures: sparse.csr_matrix,
    threshold: float,
    floor: float,
    budget: int = 8_000_000,
    max_links: int = 50,
) -> npt.NDArray[np.int64]:
    """Pairs (i < j) whose signatures have a cosine of at least ``threshold`` *and* a raw dot
    product (their share of the full vectors' cosine) of at least ``floor``. The first compares
    what two appeals have that others also have; the second stops two short appeals that share
    one word ("周末") and nothing else from linking.

    Memory stays bounded whatever the data: rows are multiplied in blocks whose products cannot
    exceed ``budget`` entries (a row costs the number of appeals sharing each of its bigrams), and
    each appeal keeps only its ``max_links`` strongest links — enough to join a group, and what
    stops thousands of copies of one message (a petition pasted by everyone) from making
    millions of pairs."""
    # Copies (identical signatures) are linked to their first occurrence straight away and left
    # out of the products: a pasted message costs one row, not thousands.
    indptr, indices, data = signatures.indptr, signatures.indices, signatures.data
    squared = np.asarray(signatures.multiply(signatures).sum(axis=1)).ravel()
    first: dict[bytes, int] = {}
    copies: list[tuple[int, int]] = []
    unique: list[int] = []
    for i in range(signatures.shape[0]):
        s, e = indptr[i], indptr[i + 1]
        if s == e:
            continue
        original = first.setdefault(indices[s:e].tobytes() + data[s:e].tobytes(), i)
        if original == i:
            unique.append(i)
        elif squared[i] >= floor:
            copies.append((original, i))
    keep_rows = np.asarray(unique, dtype=np.int64)
    linked = _linked_unique(signatures[keep_rows], threshold, floor, budget, max_links)
    found = [keep_rows[linked], np.asarray(copies, dtype=np.int64).reshape(-1, 2)]
    return np.concatenate(found)


def _linked_unique(
    signatures: sparse.csr_matrix, threshold: float, floor: float, budget: int, max_links: int
) -> npt.NDArray[np.int64]:
    n = signatures.shape[0]
    norms = np.sqrt(np.asarray(signatures.multiply(signatures).sum(axis=1)).ravel())
    norms[norms == 0] = 1
    transposed = signatures.T.tocsr()
    appeals_per_column = np.diff(transposed.indptr)
    row_cost = np.bincount(
        np.repeat(np.arange(n), np.diff(signatures.indptr)),
        weights=appeals_per_column[signatures.indices],
        minlength=n,
    )
    spent = np.concatenate([[0.0], np.cumsum(row_cost)])  # spent[i]: cost of rows before i
    found: list[npt.NDArray[np.int64]] = []
    start = 0
    while start < n:
        stop = max(start + 1, int(np.searchsorted(spent, spent[start] + budget, side="right")) - 1)
        block = (signatures[start:stop] @ transposed).tocoo()
        rows = block.row.astype(np.int64) + start
        cols = block.col.astype(np.int64)
        cosine = block.data / (norms[rows] * norms[cols])
        mask = (rows < cols) & (block.data >= floor) & (cosine >= threshold)
        rows, cols, cosine = rows[mask], cols[mask], cosine[mask]
        order = np.lexsort((-cosine, rows))  # by row, strongest first
        rows, cols = rows[order], cols[order]
        first = np.searchsorted(rows, rows)  # index where each row's links begin
        keep = np.arange(len(rows)) - first < max_links
        found.append(np.stack([rows[keep], cols[keep]], axis=1))
        start = stop
    return np.concatenate(found) if found else np.empty((0, 2), dtype=np.int64)


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, a: int) -> int:
        parent = self.parent
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _concentration(times: list[datetime]) -> float:
    """Share of the times that fall within the busiest ``WINDOW`` (1.0 = all in one week)."""
    if len(times) < 2:
        return 1.0
    ts = sorted(times)
    best, j = 1, 0
    for i, t in enumerate(ts):
        while t - ts[j] > WINDOW:
            j += 1
        best = max(best, i - j + 1)
    return best / len(ts)


def _describe(message: Message) -> str:
    """One line: the title, or the first sentence of the text when there is none."""
    line = message.title.strip()
    if not line:
        body = message.body.strip()
        cut = min((i for i in (body.find(p) for p in "。！？\n") if i > 0), default=len(body))
        line = body[:cut]
    return line if len(line) <= 60 else line[:59] + "…"


def find_hot_issues(
    messages: Iterable[Message],
    *,
    start: date | datetime | None = None,
    end: date | datetime | None = None,
    threshold: float = 0.3,
    floor: float = 0.08,
    signature_size: int = 20,
    min_people: int = 2,
    top: int | None = None,
) -> list[HotIssue]:
    """Hot issues among ``messages`` whose time lies in [start, end] (both optional), hottest first."""
    selected = [m for m in messages if _in_period(m.time, start, end)]
    if not selected:
        return []
    texts = [f"{m.title}\n{m.title}\n{m.body[:400]}" for m in selected]
    # Document frequencies count each distinct text once: a message pasted by thousands must not
    # turn its own words into "too common to mean anything" (max_df) and vanish.
    position: dict[str, int] = {}
    inverse = np.array([position.setdefault(t, len(position)) for t in texts], dtype=np.int64)
    counts = count_matrix(list(position))
    vectors, idf = tfidf(counts, max_df=0.05 if len(position) >= 200 else 1.0)
    vectors, counts = vectors[inverse], counts[inverse]
    shared = np.bincount(counts.indices, minlength=counts.shape[1]) >= 2
    pairs = _linked_pairs(_signatures(vectors, signature_size, shared & (idf > 0)), threshold, floor)

    places: dict[int, Places] = {}

    def place_of(i: int) -> Places:
        if i not in places:
            # Where the matter is, citizens say first; further down come the roads they took,
            # the offices they called, and the extractor's false friends.
            places[i] = extract_places(f"{selected[i].title}\n{selected[i].body}"[:PLACE_CHARS])
        return places[i]

    groups = _UnionFind(len(selected))
    for i, j in pairs.tolist():
        if not places_conflict(place_of(i), place_of(j)):
            groups.union(i, j)
    components: dict[int, list[int]] = defaultdict(list)
    for i in {int(x) for x in pairs.ravel().tolist()}:
        components[groups.find(i)].append(i)

    issues: list[tuple[list[int], Message]] = []
    for members in components.values():
        members = _tighten(vectors, sorted(members), threshold)
        people = {selected[i].user or f"#{selected[i].id}" for i in members}
        if len(members) < 2 or len(people) < min_people:
            continue
        # The most central member that has a title describes the issue best.
        if len(members) > 2:
            order = np.argsort(-_closeness(vectors, members)[0], kind="stable")
        else:
            order = np.arange(len(members))
        titled = [members[k] for k in order.tolist() if selected[members[k]].title.strip()]
        representative = titled[0] if titled else members[int(order[0])]
        issues.append((members, selected[representative]))
    ranked = _rank([(m, r) for m, r in issues], selected, place_of)
    return ranked[:top] if top else ranked


def _closeness(vectors: sparse.csr_matrix, members: list[int]) -> tuple[npt.NDArray[np.float64], float]:
    """Each member's dot product with the sum of all members, and that sum's squared norm.
    The block's columns are renumbered to those it uses: scipy's operations cost time in the
    number of columns (2²¹), and there are thousands of issues."""
    block = vectors[members]
    columns, remapped = np.unique(block.indices, return_inverse=True)
    small = sparse.csr_matrix((block.data, remapped, block.indptr), shape=(len(members), len(columns)))
    total = np.asarray(small.sum(axis=0), dtype=np.float64).ravel()
    return np.asarray(small @ total, dtype=np.float64).ravel(), float(total @ total)


def _tighten(vectors: sparse.csr_matrix, members: list[int], threshold: float) -> list[int]:
    """Drop members whose cosine with the sum of the others is below half the threshold: they
    joined through a chain, not because they are about the same matter."""
    if len(members) <= 2:
        return members
    dots, total_sq = _closeness(vectors, members)
    # Rows are unit vectors: row·rest = dots − 1 and |rest|² = |total|² − 2·dots + 1.
    rest_norm = np.sqrt(np.maximum(total_sq - 2 * dots + 1, 1e-12))
    cosine = (dots - 1) / rest_norm
    return [i for i, c in zip(members, cosine.tolist(), strict=True) if c >= threshold / 2]


def _rank(
    issues: Sequence[tuple[list[int], Message]],
    selected: Sequence[Message],
    place_of: Any,
) -> list[HotIssue]:
    raw: list[dict[str, Any]] = []
    for members, representative in issues:
        msgs = [selected[i] for i in members]
        times = [m.time for m in msgs if m.time]
        member_places: list[Places] = [place_of(i) for i in members]
        named = Counter(n for p in member_places for n in (*p.districts, *p.named))
        raw.append(
            {
                "members": msgs,
                "people": len({m.user or f"#{m.id}" for m in msgs}),
                "likes": sum(max(0, m.likes) for m in msgs),
                "start": min(times) if times else None,
                "end": max(times) if times else None,
                "concentration": _concentration(times) if times else 0.0,
                "place": main_place(member_places),
                "places": [n for n, c in named.most_common(5) if c >= max(2, len(msgs) / 5)]
                or [n for n, _ in named.most_common(1)],
                "description": _describe(representative),
            }
        )
    if not raw:
        return []
    top_people = max(r["people"] for r in raw)
    top_count = max(len(r["members"]) for r in raw)
    top_likes = max(r["likes"] for r in raw)

    def scaled(value: int, top: int) -> float:
        return math.log1p(value) / math.log1p(top) if top > 0 else 0.0

    out: list[HotIssue] = []
    for r in raw:
        components = {
            "people": scaled(r["people"], top_people),
            "count": scaled(len(r["members"]), top_count),
            "support": scaled(r["likes"], top_likes),
            "concentration": r["concentration"],
        }
        heat = round(100 * sum(WEIGHTS[k] * v for k, v in components.items()), 1)
        out.append(
            HotIssue(
                rank=0,
                heat=heat,
                count=len(r["members"]),
                people=r["people"],
                likes=r["likes"],
                start=r["start"],
                end=r["end"],
                place=r["place"],
                places=r["places"],
                description=r["description"],
                member_ids=[m.id for m in sorted(r["members"], key=_time_key)],
                concentration=r["concentration"],
                components={k: round(v, 3) for k, v in components.items()},
            )
        )
    out.sort(key=lambda h: (-h.heat, -h.people, str(h.member_ids[0])))
    for rank, issue in enumerate(out, start=1):
        issue.rank = rank
    return out


def _time_key(m: Message) -> tuple[int, datetime, str]:
    return (0, m.time, str(m.id)) if m.time else (1, datetime.min, str(m.id))


def _in_period(t: datetime | None, start: date | datetime | None, end: date | datetime | None) -> bool:
    if start is None and end is None:
        return True
    if t is None:
        return False
    day = t.date()
    if start is not None and (t < start if isinstance(start, datetime) else day < start):
        return False
    return not (end is not None and (t > end if isinstance(end, datetime) else day > end))
