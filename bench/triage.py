"""Benchmark of the triage app (智能研判) on the real 12345 messages: cross-validated scores,
training time, prediction speed on one core, model size, near-duplicate lookups and hot issues
over 100,000 appeals. Figures go to docs/benchmarks.md, section 智能研判.

    .venv/bin/python bench/triage.py [--data ../shared/data/appeals] [--n 100000] [--skip-cv]
                                     [--learning-curve] [--weighting nb|plain] [--C 1.0] [--skip-speed]
                                     [--self-training 0.9 0.7] [--reply-labels] [--second-level]

``--self-training`` and ``--reply-labels`` add unlabelled.csv + hot_messages.csv (pseudo-labelled
at each confidence threshold) or replies.csv (labelled by the answering department) to the
training part of each fold, and score on labelled.csv folds only.

``--second-level`` measures the second level (second_level.py) on weak labels: labelled.csv has
only the first level, so a message counts when it names exactly one of the taxonomy's level-3
terms of its true first-level category; its label is that term's level 2, and every occurrence of
the term is cut out of the text, so the scorer must find the level from the rest. Same folds as the
cross-validation; per fold the first-level model is trained on the fold's training part and the
second-level profiles on its weakly labelled messages, as dispatchers' decisions would be.

``--learning-curve`` also trains on a quarter, a half and all of each cross-validation fold's
training part and measures the gain in macro-F1 per doubling of the data: at least how many
labelled examples the learning loop must collect before a target is in reach.

The data set stays where it is: this script reads it, and the 100,000 appeals for the speed
tests are synthesised in memory by sampling and perturbing the real messages (random district,
a few characters dropped or replaced), never written anywhere.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this folder comes first on sys.path, and bench/calendar.py would shadow the
# standard library's calendar (which datetime.strptime imports).
sys.path = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from zhengwu.triage import second_level  # noqa: E402
from zhengwu.triage.classifier import cross_validate, score, train  # noqa: E402
from zhengwu.triage.datasets import read_labelled  # noqa: E402
from zhengwu.triage.duplicates import DuplicateIndex  # noqa: E402
from zhengwu.triage.hotspots import Message, find_hot_issues, parse_time  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "appeals"
DISTRICT = re.compile(r"[A-Z]\d{0,2}(?=[区县])")
FILLERS = "的了是在我们有这个不"


def load_pool(data: Path) -> list[tuple[str, str, str]]:
    """(title, body, time) of every message in the data set's files."""
    pool = []
    for name in ("labelled.csv", "hot_messages.csv", "unlabelled.csv", "replies.csv"):
        path = data / name
        if path.exists():
            with path.open(encoding="utf-8", newline="") as fh:
                pool += [(r["title"], r["body"], r["time"]) for r in csv.DictReader(fh)]
    return pool


def perturb(rng: random.Random, text: str, district: str | None) -> str:
    """Another citizen's version: maybe another district, about one character in 30 changed."""
    if not text:
        return text
    if district:
        text = DISTRICT.sub(district, text)
    chars = list(text)
    for _ in range(max(1, len(chars) // 30)):
        chars[rng.randrange(len(chars))] = rng.choice(FILLERS) if rng.random() < 0.5 else ""
    return "".join(chars)


def synthesise(pool, n: int, seed: int = 1) -> tuple[list[Message], list[int]]:
    rng = random.Random(seed)
    messages, sources = [], []
    for k in range(n):
        s = rng.randrange(len(pool))
        title, body, when = pool[s]
        district = f"{rng.choice('ABCDEFGHIJKL')}{rng.randint(1, 12)}" if rng.random() < 0.8 else None
        messages.append(
            Message(
                id=k,
                title=perturb(rng, title, district),
                body=perturb(rng, body, district),
                time=parse_time(when),
                user=f"U{rng.randrange(n // 2)}",
                likes=rng.choice((0, 0, 0, 1, 2, 5)),
            )
        )
        sources.append(s)
    return messages, sources


def timed(fn, *args, **kwargs):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def learning_curve(titles, bodies, labels, *, folds: int, fractions=(0.25, 0.5, 1.0), seed: int = 42):
    """Mean macro-F1 on the held-out folds for each fraction of the training parts, and the line
    gain in macro-F1 per doubling of the training data between the two largest sizes."""
    y = np.asarray(labels)
    rng = np.random.default_rng(seed)
    splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))
    points = []
    for fraction in fractions:
        f1s, sizes = [], []
        for train_idx, test_idx in splits:
            # A stratified subsample, so that every category keeps its share at every size.
            keep = np.concatenate(
                [
                    rng.permutation(train_idx[y[train_idx] == c])[
                        : max(2, round(fraction * np.sum(y[train_idx] == c)))
                    ]
                    for c in np.unique(y)
                ]
            )
            model = train([titles[i] for i in keep], [bodies[i] for i in keep], y[keep].tolist())
            proba = model.predict_many([(titles[i], bodies[i]) for i in test_idx])
            f1s.append(score(model.classes, proba, y[test_idx].tolist()).macro_f1)
            sizes.append(len(keep))
        points.append({"n": round(statistics.mean(sizes)), "macro_f1": round(statistics.mean(f1s), 4)})
        print(
            f"  learning curve: {points[-1]['n']} examples -> macro-F1 {points[-1]['macro_f1']:.4f}",
            flush=True,
        )
    # The gain per doubling shrinks as the data grows, so the line goes through the two largest
    # sizes only: extrapolated further, it is an optimistic (low) estimate of the data needed.
    (n0, f0), (n1, f1) = ((p["n"], p["macro_f1"]) for p in points[-2:])
    per_doubling = (f1 - f0) / np.log2(n1 / n0)
    return {"points": points, "per_doubling": round(float(per_doubling), 4), "at": [n1, f1]}


def read_messages(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# The answering department, read from the reply, as a weak label: first match wins, so the more
# specific names come first. "我局" and the like name no department and leave a message unlabelled.
DEPARTMENT_CATEGORY = (
    ("交警", "交通运输"),
    ("交通运输", "交通运输"),
    ("运管", "交通运输"),
    ("公交", "交通运输"),
    ("教育", "教育文体"),
    ("文化", "教育文体"),
    ("体育", "教育文体"),
    ("卫生健康", "卫生计生"),
    ("卫健", "卫生计生"),
    ("卫计", "卫生计生"),
    ("卫生计生", "卫生计生"),
    ("人力资源和社会保障", "劳动和社会保障"),
    ("人社", "劳动和社会保障"),
    ("医疗保障", "劳动和社会保障"),
    ("医保", "劳动和社会保障"),
    ("生态环境", "环境保护"),
    ("环保", "环境保护"),
    ("环境保护", "环境保护"),
    ("商务", "商贸旅游"),
    ("市场监督", "商贸旅游"),
    ("市场监管", "商贸旅游"),
    ("旅游", "商贸旅游"),
    ("住房和城乡建设", "城乡建设"),
    ("住建", "城乡建设"),
    ("规划", "城乡建设"),
    ("城管", "城乡建设"),
    ("城市管理", "城乡建设"),
    ("自然资源", "城乡建设"),
    ("国土", "城乡建设"),
    ("住房公积金", "城乡建设"),
)


def department_label(reply: str) -> str | None:
    head = reply[:400]
    found = [(head.find(k), category) for k, category in DEPARTMENT_CATEGORY if k in head]
    return min(found)[1] if found else None


def cv_with_extra(
    titles,
    bodies,
    labels,
    *,
    extra_titles=(),
    extra_bodies=(),
    extra_labels=None,
    threshold: float | None = None,
    folds: int = 5,
    seed: int = 42,
    trace: list | None = None,
    **train_kwargs,
):
    """Cross-validation on the labelled messages only, with extra messages added to the training
    part of each fold and never to its test part: with ``extra_labels`` (weak labels, None where
    unknown) as they are; without, pseudo-labelled by a model fitted on that fold's training part
    alone, keeping those whose top probability reaches ``threshold`` (self-training, one round).
    Extra messages whose text equals a test message of the fold are left out. ``trace`` receives,
    per fold, (training items, test items, number of extra examples added)."""
    y = np.asarray(labels)
    splits = StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y)
    fold_scores, added = [], []
    for train_idx, test_idx in splits:
        tr_t, tr_b = [titles[i] for i in train_idx], [bodies[i] for i in train_idx]
        tr_y = y[train_idx].tolist()
        test_texts = {(titles[i], bodies[i]) for i in test_idx}
        candidates = [
            k for k, item in enumerate(zip(extra_titles, extra_bodies, strict=True)) if item not in test_texts
        ]
        if extra_labels is not None:
            new = [(extra_titles[k], extra_bodies[k], extra_labels[k]) for k in candidates if extra_labels[k]]
        else:
            first = train(tr_t, tr_b, tr_y, **train_kwargs)
            proba = first.predict_many([(extra_titles[k], extra_bodies[k]) for k in candidates])
            best = proba.argmax(axis=1)
            new = [
                (extra_titles[k], extra_bodies[k], first.classes[best[j]])
                for j, k in enumerate(candidates)
                if proba[j, best[j]] >= (threshold or 0.0)
            ]
        model = train(
            tr_t + [t for t, _, _ in new],
            tr_b + [b for _, b, _ in new],
            tr_y + [c for _, _, c in new],
            **train_kwargs,
        )
        test_items = [(titles[i], bodies[i]) for i in test_idx]
        fold_scores.append(score(model.classes, model.predict_many(test_items), y[test_idx].tolist()))
        added.append(len(new))
        if trace is not None:
            trace.append(
                ([*zip(tr_t, tr_b, strict=True), *((t, b) for t, b, _ in new)], test_items, len(new))
            )
    return {
        "macro_f1": round(statistics.mean(f.macro_f1 for f in fold_scores), 4),
        "top3_recall": round(statistics.mean(f.top3_recall for f in fold_scores), 4),
        "per_fold": [round(f.macro_f1, 4) for f in fold_scores],
        "added_per_fold": added,
    }


def read_taxonomy(path: Path) -> dict[str, dict[str, list[str]]]:
    """level1 → level2 → its level-3 terms."""
    tree: dict[str, dict[str, list[str]]] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            tree.setdefault(row["level1"].strip(), {}).setdefault(row["level2"].strip(), []).append(
                row["level3"].strip()
            )
    return tree


def weak_second_levels(titles, bodies, labels, tree):
    """(index, level 2, masked title, masked body, term) of each message naming exactly one level-3
    term of its own first-level category, the term cut out of the text."""
    out = []
    for i, (title, body, label) in enumerate(zip(titles, bodies, labels, strict=True)):
        text = f"{title}\n{body}"
        found = {
            (term, level2)
            for level2, terms in tree.get(label, {}).items()
            for term in terms
            if len(term) >= 2 and term in text
        }
        if len(found) != 1:
            continue
        ((term, level2),) = found
        out.append((i, level2, title.replace(term, ""), body.replace(term, ""), term))
    return out


def second_level_cv(
    titles, bodies, labels, tree, *, folds: int = 5, seed: int = 42, temperatures=(12, 20, 30, 50, 80)
):
    """Top-1/top-3 of P(level 2 | true level 1), of the pair in the suggestion, and baselines."""
    y = np.asarray(labels)
    weak = weak_second_levels(titles, bodies, labels, tree)
    by_index = {w[0]: w for w in weak}
    children = {
        l1: [second_level.Child.of(f"{l1}/{l2}", l2, l1, [l2, *terms]) for l2, terms in kids.items()]
        for l1, kids in tree.items()
    }
    names_only = second_level.Profiles.empty()
    chosen_temperature = second_level.TEMPERATURE
    {f"t{t}": [] for t in temperatures}
    rows = []  # per weakly labelled test message
    speed = first_speed = None
    splits = StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y)
    for fold, (train_idx, test_idx) in enumerate(splits, 1):
        started = time.perf_counter()
        model = train([titles[i] for i in train_idx], [bodies[i] for i in train_idx], y[train_idx].tolist())
        examples = [
            (by_index[i][2], by_index[i][3], f"{y[i]}/{by_index[i][1]}") for i in train_idx if i in by_index
        ]
        profiles = second_level.fit_profiles(model, examples)
        frequent: dict[str, statistics.Counter] = {}
        for _, _, key in examples:
            l1, l2 = key.split("/", 1)
            frequent.setdefault(l1, statistics.Counter())[l2] += 1
        for i in test_idx:
            if i not in by_index:
                continue
            _, truth, title, body, _ = by_index[i]
            kids = children.get(y[i], [])
            text = second_level.Text.read(model, title, body)
            row = {"parent": y[i], "truth": truth}
            for t in temperatures:
                second_level.TEMPERATURE = float(t)
                ranked = second_level.score_children(model, text, kids, profiles=profiles, explain=0)
                names = [s.child.name for s in ranked]
                p = next((s.probability for s in ranked if s.child.name == truth), 0.0)
                row[f"t{t}"] = (
                    names[:1] == [truth],
                    truth in names[:3],
                    float(np.log(max(p, 1e-9))),
                    ranked[0].probability if ranked else 0.0,
                )
            second_level.TEMPERATURE = chosen_temperature
            ranked = second_level.score_children(model, text, kids, profiles=names_only, explain=0)
            row["names"] = (bool(ranked), bool(ranked) and ranked[0].child.name == truth)
            common = frequent.get(y[i], statistics.Counter()).most_common(1)
            row["frequent"] = bool(common) and common[0][0] == truth
            # The pair as the suggestion shows it: top three first levels, each with its best child.
            predictions = model.predict(title, body, top=3, explain=0)
            pairs = []
            overall: list[tuple[float, str, str]] = []
            for p1 in predictions:
                ranked = second_level.score_children(
                    model, text, children.get(p1.category, []), profiles=profiles, explain=0
                )
                pairs.append((p1.category, ranked[0].child.name if ranked else None))
                overall += [(p1.probability * r.probability, p1.category, r.child.name) for r in ranked]
            row["pair_top1"] = pairs[0] == (y[i], truth)
            row["pair_in_three"] = (y[i], truth) in pairs
            # The alternative: the three most likely pairs overall, whatever their first level.
            best3 = sorted(overall, key=lambda o: -o[0])[:3]
            row["overall_in_three"] = any((l1, l2) == (y[i], truth) for _, l1, l2 in best3)
            row["overall_first_level_in_three"] = any(l1 == y[i] for _, l1, _ in best3)
            row["first_level_in_three"] = any(l1 == y[i] for l1, _ in pairs)
            rows.append(row)
        print(
            f"  second level fold {fold}: {sum(1 for i in test_idx if i in by_index)} weakly labelled test messages, "
            f"{len(profiles.keys)} profiled children ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
        if speed is None:
            items = [(titles[i], bodies[i]) for i in test_idx[:1000]]
            t0 = time.process_time()
            for title, body in items:
                vector = model.vectorise(title, body)
                text = second_level.Text.read(model, title, body, vector)
                for p1 in model.predict(title, body, top=3, explain=5, vector=vector):
                    second_level.score_children(
                        model, text, children.get(p1.category, []), profiles=profiles, explain=3
                    )
            first_only = time.process_time()
            for title, body in items:
                model.predict(title, body, top=3, explain=5)
            first_speed = len(items) / (time.process_time() - first_only)
            speed = len(items) / (first_only - t0)
    n = len(rows)
    per_t = {
        t: {
            "top1": round(sum(r[f"t{t}"][0] for r in rows) / n, 4),
            "top3": round(sum(r[f"t{t}"][1] for r in rows) / n, 4),
            "log_loss": round(-sum(r[f"t{t}"][2] for r in rows) / n, 4),
            "mean_top1_probability": round(sum(r[f"t{t}"][3] for r in rows) / n, 4),
        }
        for t in temperatures
    }
    chosen = per_t.get(int(second_level.TEMPERATURE))
    proposed = [r for r in rows if r["names"][0]]
    return {
        "labelled": len(y),
        "weakly_labelled": len(weak),
        "per_parent": dict(statistics.Counter(w for w in (y[i] for i, *_ in weak)).most_common()),
        "children_per_parent_mean": round(
            statistics.mean(len(c) for l1, c in children.items() if l1 in set(labels)), 1
        ),
        "conditional": chosen,
        "by_temperature": per_t,
        "names_only": {
            "proposed": round(len(proposed) / n, 4),
            "top1_when_proposed": round(sum(r["names"][1] for r in proposed) / max(1, len(proposed)), 4),
            "top1_overall": round(sum(r["names"][1] for r in rows) / n, 4),
        },
        "most_frequent_child_top1": round(sum(r["frequent"] for r in rows) / n, 4),
        "pair_top1": round(sum(r["pair_top1"] for r in rows) / n, 4),
        "pair_in_three": round(sum(r["pair_in_three"] for r in rows) / n, 4),
        "first_level_in_three": round(sum(r["first_level_in_three"] for r in rows) / n, 4),
        "alternative_top_three_pairs_overall": {
            "pair_in_three": round(sum(r["overall_in_three"] for r in rows) / n, 4),
            "first_level_in_three": round(sum(r["overall_first_level_in_three"] for r in rows) / n, 4),
        },
        "suggestions_with_second_level_per_second_cpu": round(speed or 0),
        "first_level_only_per_second_cpu": round(first_speed or 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--n", type=int, default=100_000, help="synthesised appeals for the speed tests")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--skip-cv", action="store_true")
    parser.add_argument("--skip-speed", action="store_true", help="no near-duplicate and hot-issue timings")
    parser.add_argument("--learning-curve", action="store_true", help="also measure F1 against training size")
    parser.add_argument("--weighting", choices=("nb", "plain"), default="nb")
    parser.add_argument("--C", type=float, default=1.0, help="the SVM's C for the cross-validation")
    parser.add_argument(
        "--self-training",
        type=float,
        nargs="*",
        metavar="THRESHOLD",
        help="also cross-validate with unlabelled.csv + hot_messages.csv pseudo-labelled at these confidences",
    )
    parser.add_argument(
        "--reply-labels",
        action="store_true",
        help="also cross-validate with replies.csv labelled by department",
    )
    parser.add_argument(
        "--second-level",
        action="store_true",
        help="measure the second level on weak labels from taxonomy.csv's level-3 terms (masked)",
    )
    args = parser.parse_args()
    results: dict[str, object] = {
        "machine": f"{platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
    }

    rows = read_labelled(args.data / "labelled.csv")
    titles, bodies, labels = [r.title for r in rows], [r.body for r in rows], [r.label for r in rows]
    with threadpool_limits(1):  # one core throughout: the figures must hold on a busy server
        if not args.skip_cv:
            cv, wall, _ = timed(
                cross_validate, titles, bodies, labels, folds=args.folds, weighting=args.weighting, C=args.C
            )
            results["cv"] = {**cv.as_dict(), "seconds": round(wall, 1)}
            print(
                f"CV {args.folds}-fold: macro-F1 {cv.macro_f1:.4f}, top-3 {cv.top3_recall:.4f} ({wall:.0f} s)"
            )
            for i, fold in enumerate(cv.folds, 1):
                print(
                    f"  fold {i}: accuracy {fold.accuracy:.4f} macro-F1 {fold.macro_f1:.4f} top-3 {fold.top3_recall:.4f}"
                )

        if args.self_training:
            extra = read_messages(args.data / "unlabelled.csv") + read_messages(
                args.data / "hot_messages.csv"
            )
            for threshold in args.self_training:
                result = cv_with_extra(
                    titles,
                    bodies,
                    labels,
                    extra_titles=[m["title"] for m in extra],
                    extra_bodies=[m["body"] for m in extra],
                    threshold=threshold,
                    folds=args.folds,
                    weighting=args.weighting,
                )
                results[f"self_training_{threshold}"] = result
                print(f"self-training, threshold {threshold}: {json.dumps(result)}", flush=True)
        if args.reply_labels:
            replies = read_messages(args.data / "replies.csv")
            weak = [department_label(m["reply"]) for m in replies]
            result = cv_with_extra(
                titles,
                bodies,
                labels,
                extra_titles=[m["title"] for m in replies],
                extra_bodies=[m["body"] for m in replies],
                extra_labels=weak,
                folds=args.folds,
                weighting=args.weighting,
            )
            results["reply_labels"] = {**result, "weakly_labelled": sum(1 for w in weak if w)}
            print(f"department-from-reply labels: {json.dumps(results['reply_labels'])}", flush=True)

        if args.second_level:
            tree = read_taxonomy(args.data / "taxonomy.csv")
            result, wall, _ = timed(second_level_cv, titles, bodies, labels, tree, folds=args.folds)
            results["second_level"] = {**result, "seconds": round(wall, 1)}
            print(f"second level: {json.dumps(results['second_level'], ensure_ascii=False)}", flush=True)

        if args.learning_curve:
            curve = learning_curve(titles, bodies, labels, folds=args.folds)
            results["learning_curve"] = curve
            for target in (0.91, 0.93):
                n, f1 = curve["at"]
                needed = n * 2 ** ((target - f1) / curve["per_doubling"])
                print(f"  macro-F1 {target} needs at least ~{needed:,.0f} training examples")

        model, wall, cpu = timed(train, titles, bodies, labels, weighting=args.weighting)
        results["train"] = {"n": len(rows), "wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1)}
        print(f"training on {len(rows)}: {wall:.1f} s wall, {cpu:.1f} s CPU")

        items = list(zip(titles, bodies, strict=True))
        _, wall, cpu = timed(model.predict_many, items)
        _, wall_x, _ = timed(lambda: [model.predict(t, b) for t, b in items[:1000]])
        results["predict"] = {
            "per_second": round(len(items) / wall),
            "per_second_cpu": round(len(items) / cpu),
            "with_explanations_per_second": round(1000 / wall_x),
        }
        results["model_mb"] = round(model.size_bytes() / 1e6, 2)
        results["features"] = len(model.terms)
        print(
            f"predictions: {len(items) / wall:.0f}/s on one core, {1000 / wall_x:.0f}/s with top-3 explanations; "
            f"model {results['model_mb']} MB, {len(model.terms)} features"
        )

    if args.skip_speed:
        print(json.dumps(results, ensure_ascii=False))
        return
    pool = load_pool(args.data)
    (messages, sources), wall, _ = timed(synthesise, pool, args.n)
    print(f"synthesised {len(messages)} appeals from {len(pool)} messages in {wall:.0f} s")

    index, wall, _ = timed(DuplicateIndex.build, ((m.id, f"{m.title}\n{m.body}") for m in messages))
    rng = random.Random(7)
    latencies, hits = [], 0
    for _ in range(500):
        k = rng.randrange(len(messages))
        m = messages[k]
        query = perturb(rng, f"{m.title}\n{m.body}", None)
        started = time.perf_counter()
        found = index.similar(query)
        latencies.append((time.perf_counter() - started) * 1000)
        hits += any(sources[f.id] == sources[k] for f in found)
    latencies.sort()
    results["duplicates"] = {
        "n": len(messages),
        "build_seconds": round(wall, 1),
        "lookup_ms_mean": round(statistics.mean(latencies), 2),
        "lookup_ms_p95": round(latencies[int(0.95 * len(latencies))], 2),
        "recall_of_perturbed_copies": round(hits / len(latencies), 3),
    }
    print(f"near-duplicates: {json.dumps(results['duplicates'])}")
    del index

    issues, wall, cpu = timed(find_hot_issues, messages)
    results["hotspots"] = {
        "n": len(messages),
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "issues": len(issues),
        "largest": issues[0].count if issues else 0,
    }
    print(f"hot issues: {json.dumps(results['hotspots'])}")
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
