"""Where to set the 并单 (near-duplicate) similarity threshold so that unrelated appeals are not
proposed: the cosine of the bigram TF-IDF vectors (``zhengwu.triage.duplicates``) for pairs of
labelled 12345 messages of the same first-level category and of different categories, and for each
candidate threshold how many appeals would get an unrelated (other-category) proposal.

    .venv/bin/python bench/similarity.py [--data ../shared/data/appeals] [--queries 1500]

Different-category pairs are certainly different matters, so their flagged share is a false-
proposal rate. Same-category pairs are mostly different matters too (two road complaints), so
their high tail is an upper bound of what a threshold keeps. The data stay where they are; the
figures go to docs/benchmarks.md, section 并单相似度阈值.

The demo city's case from the desk walk-through — a lift complaint proposed as 40 % similar to a
restaurant-fumes complaint — is scored too, in a small index of the demo appeals (as on a new
desk, where the idf comes from a handful of texts) and in the full labelled index.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402

from zhengwu.appeals.repeats import THRESHOLD, text_of  # noqa: E402
from zhengwu.triage.datasets import read_labelled  # noqa: E402
from zhengwu.triage.demo import DEMO_APPEALS  # noqa: E402
from zhengwu.triage.duplicates import DuplicateIndex  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "appeals"
THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)
# Lift complaints typed at the desk, at the address of the demo's restaurant-fumes complaint.
LIFTS = (
    (
        "东城区某小区电梯经常故障",
        "我住的小区电梯经常故障停运，上周还困过人，物业一直不修，请相关部门督促。",
        "东城区城关街道",
    ),
    ("电梯故障", "小区电梯经常故障，困人", "东城区城关街道"),
    ("电梯经常坏", "楼里的电梯经常坏，居民上下楼很不方便", "东城区城关街道"),
)


def percentiles(values: np.ndarray) -> str:
    if not len(values):
        return "—"
    p = np.percentile(values, [50, 90, 99, 99.9])
    return f"p50 {p[0]:.3f} · p90 {p[1]:.3f} · p99 {p[2]:.3f} · p99.9 {p[3]:.3f} · max {values.max():.3f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--queries", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=12345)
    args = parser.parse_args()

    rows = read_labelled(args.data / "labelled.csv")
    texts = [text_of(r.title, r.body) for r in rows]
    labels = np.array([r.label for r in rows])
    index = DuplicateIndex.build(enumerate(texts))
    n = len(texts)
    queries = random.Random(args.seed).sample(range(n), min(args.queries, n))
    print(f"labelled messages: {n}; queries: {len(queries)}; the desk's threshold {THRESHOLD}")

    same: list[np.ndarray] = []
    other: list[np.ndarray] = []
    flagged_other = dict.fromkeys(THRESHOLDS, 0)
    flagged_same = dict.fromkeys(THRESHOLDS, 0)
    mixed: list[tuple[float, str, str, str, str]] = []
    for q in queries:
        scores = (index._vector(texts[q]) @ index._postings).toarray().ravel()
        scores[q] = -1.0
        mask_same = labels == labels[q]
        mask_same[q] = False
        mask_other = labels != labels[q]
        same.append(scores[mask_same])
        other.append(scores[mask_other])
        # What the desk would propose: the same lookup the appeals use, places checked.
        found = index.similar(texts[q], top=20, threshold=min(THRESHOLDS), exclude=[q])
        for m in found:
            if labels[m.id] != labels[q] and m.score >= 0.3:
                mixed.append((m.score, rows[q].title[:24], labels[q], rows[m.id].title[:24], labels[m.id]))
        for t in THRESHOLDS:
            kept = [m for m in found if m.score >= t]
            flagged_other[t] += any(labels[m.id] != labels[q] for m in kept)
            flagged_same[t] += any(labels[m.id] == labels[q] for m in kept)
    s, o = np.concatenate(same), np.concatenate(other)
    print(f"same-category pairs ({len(s):,}):      {percentiles(s)}")
    print(f"different-category pairs ({len(o):,}): {percentiles(o)}")
    print(
        "threshold | pairs ≥ t: different / same | appeals with an other-category proposal | with a same-category one"
    )
    for t in THRESHOLDS:
        print(
            f"  {t:.2f}   | {np.mean(o >= t) * 100:7.4f} % / {np.mean(s >= t) * 100:7.4f} % |"
            f" {flagged_other[t] / len(queries) * 100:5.2f} % | {flagged_same[t] / len(queries) * 100:5.2f} %"
        )

    print("other-category proposals at 0.30 or more (score, query, its label, proposed, its label):")
    for row in sorted(mixed, reverse=True):
        print("   {:.3f}  {} [{}] ~ {} [{}]".format(*row))
    demo_pairs()


def lift_vs_fumes(lift: tuple[str, str, str], fumes: int, inside: bool) -> float:
    """The pair from the desk walk: one lift complaint registered on the demo desk, scored
    against the demo's restaurant-fumes complaint at the same address."""
    items = [(t, b, a) for (t, b, a, *_) in DEMO_APPEALS]
    if inside:
        idx = DuplicateIndex.build([(i, text_of(t, b, a)) for i, (t, b, a) in enumerate(items)])
        found = idx.similar(text_of(*lift), top=50, threshold=0.0)
    else:
        idx = DuplicateIndex.build(
            [(i, text_of(t, b)) for i, (t, b, _) in enumerate(items)], wheres=[a for _, _, a in items]
        )
        found = idx.similar(text_of(lift[0], lift[1]), top=50, threshold=0.0, where=lift[2])
    return next((m.score for m in found if m.id == fumes), 0.0)


def demo_pairs() -> None:
    """The demo city's appeals as a new desk holds them, plus lift complaints at the fumes'
    address: the hot-issue groups (same matter, same place, own words) are the true pairs,
    everything else is unrelated. Scored with the address inside the cosine (before) and kept
    apart for the place check only (now)."""
    group = {i: (0 if i < 4 else 1 if i < 7 else 2 if i < 10 else 100 + i) for i in range(len(DEMO_APPEALS))}
    items = [(t, b, a) for (t, b, a, *_) in DEMO_APPEALS] + list(LIFTS)
    for i in range(len(DEMO_APPEALS), len(items)):
        group[i] = 50  # the lift complaints are one matter among themselves
    fumes = next(i for i, a in enumerate(DEMO_APPEALS) if "油烟" in a[0])
    for label, inside in (("address inside the cosine", True), ("address apart (now)", False)):
        if inside:
            idx = DuplicateIndex.build([(i, text_of(t, b, a)) for i, (t, b, a) in enumerate(items)])
        else:
            idx = DuplicateIndex.build(
                [(i, text_of(t, b)) for i, (t, b, _) in enumerate(items)], wheres=[a for _, _, a in items]
            )
        true, false = [], []
        lift_fumes = [lift_vs_fumes(lift, fumes, inside) for lift in LIFTS]
        for i, (t, b, a) in enumerate(items):
            query = text_of(t, b, a) if inside else text_of(t, b)
            for m in idx.similar(query, top=50, threshold=0.0, exclude=[i], where="" if inside else a):
                (true if group[m.id] == group[i] else false).append(m.score)
        print(
            f"demo, {label}: same-matter pairs min {min(true):.3f} median {np.median(true):.3f};"
            f" unrelated max {max(false):.3f}; lift vs fumes max {max(lift_fumes, default=0.0):.3f}"
        )
        for t in THRESHOLDS:
            kept = np.mean(np.array(true) >= t) * 100
            wrong = int(np.sum(np.array(false) >= t))
            print(f"    {t:.2f}: same-matter pairs kept {kept:5.1f} %, unrelated pairs proposed {wrong}")


if __name__ == "__main__":
    main()
