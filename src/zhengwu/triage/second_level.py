"""The second level (二级分类) of a suggestion: for a first-level category the classifier suggests,
its most likely child, with P(child | parent), the phrases behind it and the lead department the
派单目录 maps it to.

The first-level model is trained on first-level labels only (the seed data carries no second
level), so the second level is learned from what the product itself has:

- dispatchers' decisions: a training example whose appeal was triaged into a child category (the
  learning loop records the first level on the example and the appeal keeps the child) or whose
  desk category is itself a child. Each child with at least ``MIN_EXAMPLES`` of them gets a
  profile: the L2-normalised centroid of its examples' TF-IDF vectors (the first-level model's own
  features), pruned to its ``PROFILE_TERMS`` strongest terms. Profiles are keyed by the child's
  category key, so renaming a child keeps them, and are stored in the model file with the
  first-level weights (plain arrays, no pickle), so scoring stays pure numpy;
- the children's own names, their keywords (the taxonomy's third level, ``Category.keywords``)
  and the 派单目录 rules written for a child: a child named in the text scores, whatever it has
  learned.

Within a parent with at least two profiled children, a child's score is ``TEMPERATURE`` × the
cosine of the text with its profile (an unprofiled sibling gets the mean of the profiled ones: no
evidence either way) plus ``NAME_WEIGHT`` for its name or a keyword found in the text; P(child |
parent) is the softmax of the scores. A parent with fewer profiled children answers from names and
keywords only, and when none of its children is named it proposes no second level rather than a
guess. Measured in docs/benchmarks.md (智能研判, "Second level").

This module imports nothing of Django at import time: the benchmark uses the scorer as is.
"""

from __future__ import annotations

import math
import operator
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .classifier import TextClassifier
from .text import normalise

MIN_EXAMPLES = 3  # examples a child needs before its profile is trusted
PROFILE_TERMS = 400  # strongest centroid terms kept per child
TEMPERATURE = 50.0  # lowest out-of-fold log-loss in bench/triage.py --second-level (docs/benchmarks.md)
NAME_WEIGHT = 2.0  # a child named in the text (its name, a keyword or a rule's keyword)
PREFIX = "second_"  # names of the arrays in the model file
_CJK_BIGRAM = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]{2}$")


@dataclass(frozen=True)
class Child:
    """A second-level category as the scorer sees it: ``key`` is what profiles are stored under
    (the desk category's key as a string), ``terms`` the words that name it in a text."""

    key: str
    name: str
    parent: str
    terms: tuple[str, ...] = ()

    @classmethod
    def of(cls, key: str, name: str, parent: str, terms: Iterable[str]) -> Child:
        """With the terms that can name it: two characters or more, lower-cased, "其他" left out."""
        usable = (t.strip().lower() for t in terms)
        return cls(key, name, parent, tuple(dict.fromkeys(t for t in usable if len(t) >= 2 and t != "其他")))


@dataclass(frozen=True)
class ChildScore:
    child: Child
    probability: float  # P(child | parent)
    reasons: tuple[str, ...]
    learned: bool  # scored with a profile learned from dispatchers' decisions


@dataclass
class Profiles:
    """Per-child centroids over the first-level model's features, as stored in the model file."""

    keys: tuple[str, ...]
    counts: npt.NDArray[np.int64]
    feature: npt.NDArray[np.intp]  # (nnz,) feature index of each stored weight
    child: npt.NDArray[np.intp]  # (nnz,) profile index of each stored weight
    weight: npt.NDArray[np.float32]  # (nnz,)
    n_features: int = 0  # the first-level model's

    def __post_init__(self) -> None:
        self.index = {k: i for i, k in enumerate(self.keys)}
        used = np.unique(self.feature)
        self._used = used
        # Feature → row of the dense profile matrix (-1: no profile uses it): one gather a text.
        self._row = np.full(max(self.n_features, int(used.max()) + 1 if len(used) else 0), -1, dtype=np.intp)
        self._row[used] = np.arange(len(used))
        dense = np.zeros((len(used), len(self.keys)), dtype=np.float64)
        dense[self._row[self.feature], self.child] = self.weight
        self._dense = dense

    @classmethod
    def empty(cls) -> Profiles:
        return cls(
            (), np.zeros(0, np.int64), np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0, np.float32)
        )

    def arrays(self) -> dict[str, npt.NDArray[Any]]:
        return {
            f"{PREFIX}keys": np.array(self.keys, dtype=str),
            f"{PREFIX}counts": self.counts.astype(np.int64),
            f"{PREFIX}feature": self.feature.astype(np.int64),
            f"{PREFIX}child": self.child.astype(np.int64),
            f"{PREFIX}weight": self.weight.astype(np.float32),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, npt.NDArray[Any]], n_features: int = 0) -> Profiles:
        if f"{PREFIX}keys" not in arrays:
            return cls.empty()
        return cls(
            n_features=n_features,
            keys=tuple(str(k) for k in arrays[f"{PREFIX}keys"].tolist()),
            counts=arrays[f"{PREFIX}counts"].astype(np.int64),
            feature=arrays[f"{PREFIX}feature"].astype(np.intp),
            child=arrays[f"{PREFIX}child"].astype(np.intp),
            weight=arrays[f"{PREFIX}weight"].astype(np.float32),
        )

    def similarities(
        self, idx: npt.NDArray[np.intp], values: npt.NDArray[np.float32]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.intp], npt.NDArray[np.float32]]:
        """Cosine of a text's (L2-normalised) vector with every profile, and the rows of the
        dense matrix and values of the text's features any profile uses (for the phrases)."""
        if not len(self.keys) or not len(idx):
            return np.zeros(len(self.keys)), np.empty(0, np.intp), np.empty(0, np.float32)
        rows = self._row[idx[idx < len(self._row)]]
        vals = values[idx < len(self._row)]
        known = rows >= 0
        rows, vals = rows[known], vals[known]
        return vals.astype(np.float64) @ self._dense[rows], rows, vals


@dataclass
class Text:
    """One appeal as the second level reads it: the normalised text and its bigrams (for names
    and keywords), its TF-IDF vector under the first-level model, and its similarities to the
    profiles, computed once for all the parents scored."""

    normalised: str
    bigrams: frozenset[str]
    idx: npt.NDArray[np.intp]
    values: npt.NDArray[np.float32]
    _similar: tuple[Any, ...] | None = None

    @classmethod
    def read(
        cls,
        model: TextClassifier | None,
        title: str,
        body: str,
        vector: tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]] | None = None,
    ) -> Text:
        """``vector``: the text's vector when the caller already has it (from ``model.vectorise``)."""
        normalised = normalise(f"{title}\n{body}")
        if vector is not None:
            idx, values = vector
        elif model is not None:
            idx, values = model.vectorise(title, body)
        else:
            idx, values = np.empty(0, np.intp), np.empty(0, np.float32)
        return cls(normalised, frozenset(map(operator.add, normalised, normalised[1:])), idx, values)

    def similar(
        self, profiles: Profiles
    ) -> tuple[list[float], npt.NDArray[np.intp], npt.NDArray[np.float32]]:
        """Cosine with each profile (a list, in ``profiles.keys`` order), and the rows and values
        of the text's features the profiles use."""
        if self._similar is None or self._similar[0] is not profiles:
            sims, rows, vals = profiles.similarities(self.idx, self.values)
            self._similar = (profiles, sims.tolist(), rows, vals)
        return self._similar[1], self._similar[2], self._similar[3]


def fit_profiles(
    model: TextClassifier, examples: Iterable[tuple[str, str, str]], *, min_examples: int = MIN_EXAMPLES
) -> Profiles:
    """Profiles of every child with at least ``min_examples`` of the (title, body, child key)
    examples, over ``model``'s features."""
    sums: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    counts: dict[str, int] = defaultdict(int)
    for title, body, key in examples:
        idx, values = model.vectorise(title, body)
        counts[key] += 1
        acc = sums[key]
        for i, v in zip(idx.tolist(), values.tolist(), strict=True):
            acc[i] += v
    keys = sorted(k for k, n in counts.items() if n >= min_examples)
    feature: list[int] = []
    child: list[int] = []
    weight: list[float] = []
    for c, key in enumerate(keys):
        acc = sums[key]
        f = np.fromiter(acc.keys(), dtype=np.intp, count=len(acc))
        w = np.fromiter(acc.values(), dtype=np.float64, count=len(acc))
        top = np.argsort(-w, kind="stable")[:PROFILE_TERMS]
        f, w = f[top], w[top]
        norm = float(np.sqrt(np.dot(w, w))) or 1.0
        feature += f.tolist()
        child += [c] * len(f)
        weight += (w / norm).tolist()
    return Profiles(
        n_features=len(model.terms),
        keys=tuple(keys),
        counts=np.array([counts[k] for k in keys], dtype=np.int64),
        feature=np.array(feature, dtype=np.intp),
        child=np.array(child, dtype=np.intp),
        weight=np.array(weight, dtype=np.float32),
    )


_profiles_cache: dict[int, tuple[TextClassifier, Profiles]] = {}


def profiles_of(model: TextClassifier) -> Profiles:
    """The profiles stored in ``model``'s file, built once per loaded model."""
    cached = _profiles_cache.get(id(model))
    if cached is not None and cached[0] is model:
        return cached[1]
    profiles = Profiles.from_arrays(model.extra, len(model.terms))
    if len(_profiles_cache) > 4:
        _profiles_cache.clear()
    _profiles_cache[id(model)] = (model, profiles)
    return profiles


def named_terms(text: Text, child: Child) -> list[str]:
    """The child's name or keywords found in the text, longest first."""
    found = {t for t in child.terms if t[:2] in text.bigrams and t in text.normalised}
    return sorted(found, key=lambda t: (-len(t), t))


def _phrases(text: str, strongest: dict[str, float], n: int) -> tuple[str, ...]:
    """Adjacent strong bigrams merged into phrases, strongest first."""
    starts = sorted({p for f in strongest for p in _find_all(text, f)})
    candidates: dict[str, float] = {}
    run: list[int] = []
    for pos in [*starts, -2]:
        if run and pos == run[-1] + 1 and len(run) < 6:
            run.append(pos)
            continue
        if run:
            phrase = text[run[0] : run[-1] + 2]
            w = sum(strongest.get(text[p : p + 2], 0.0) for p in set(run))
            candidates[phrase] = max(candidates.get(phrase, 0.0), w)
        run = [pos]
    chosen: list[str] = []
    for phrase, _ in sorted(candidates.items(), key=lambda kv: -kv[1]):
        if not any(phrase in c for c in chosen):
            chosen.append(phrase)
        if len(chosen) == n:
            break
    return tuple(chosen)


def _find_all(text: str, sub: str) -> list[int]:
    found, i = [], text.find(sub)
    while i >= 0:
        found.append(i)
        i = text.find(sub, i + 1)
    return found


def _learned_phrases(
    model: TextClassifier,
    text: Text,
    profiles: Profiles,
    rows: npt.NDArray[np.intp],
    vals: npt.NDArray[np.float32],
    column: int,
    n: int,
) -> list[str]:
    """The phrases of the text that weigh most in its similarity to the child's profile."""
    contributions = vals * profiles._dense[rows, column].astype(np.float32)
    top = np.argsort(-contributions, kind="stable")[: max(3 * n, 8)]
    used = profiles._used[rows[top]]
    strongest = {}
    for f, w in zip(used.tolist(), contributions[top].tolist(), strict=True):
        term = str(model.terms[f])
        if w > 0 and _CJK_BIGRAM.match(term):
            strongest[term] = w
    return [f"“{p}”" for p in _phrases(text.normalised, strongest, n)]


def score_children(
    model: TextClassifier | None,
    text: Text,
    children: Sequence[Child],
    *,
    profiles: Profiles | None = None,
    explain: int = 3,
) -> list[ChildScore]:
    """P(child | parent) of each of one parent's ``children``, most likely first; empty when the
    parent has no profiled pair of children and none of them is named in the text. Without a
    model (the rules answering) only names and keywords count. The phrases behind a learned
    child are worked out for the most likely child only (the one shown)."""
    if not children:
        return []
    if profiles is None:
        profiles = profiles_of(model) if model is not None else Profiles.empty()
    named = [named_terms(text, c) for c in children]
    columns = [profiles.index.get(c.key) for c in children]
    have = [c for c in columns if c is not None]
    learned = len(have) >= 2
    if not learned and not any(named):
        return []
    # A parent has a handful of children: plain floats are faster here than numpy's small arrays.
    bonus = [NAME_WEIGHT if n else 0.0 for n in named]
    rows = np.empty(0, np.intp)
    vals = np.empty(0, np.float32)
    if learned:
        sims, rows, vals = text.similar(profiles)
        mean = sum(sims[c] for c in have) / len(have)  # an unprofiled sibling: no evidence either way
        z = [
            TEMPERATURE * (sims[c] if c is not None else mean) + b
            for c, b in zip(columns, bonus, strict=True)
        ]
    else:
        z = bonus
    top_z = max(z)
    e = [math.exp(v - top_z) for v in z]
    total = sum(e)
    proba = [v / total for v in e]
    out = []
    for rank, i in enumerate(sorted(range(len(children)), key=lambda k: -proba[k])):
        reasons = [f"内容提到“{t}”" for t in named[i][:2]]
        column = columns[i]
        if model is not None and learned and column is not None and explain and len(rows) and rank == 0:
            reasons += _learned_phrases(model, text, profiles, rows, vals, column, explain)
        out.append(ChildScore(children[i], proba[i], tuple(reasons), learned and column is not None))
    return out


# -- the desk's side: children, their examples and their departments ---------------------------------


def desk_children(parent_names: Iterable[str]) -> dict[str, list[tuple[Child, Any]]]:
    """The active children of the named first-level categories, by parent name, each with its
    desk category; their terms are the name, ``Category.keywords`` and the keywords of active
    派单目录 rules written for the child. Two queries."""
    from zhengwu.appeals.models import Category

    from .models import DispatchRule
    from .rules import split_keywords

    rows = list(
        Category.objects.filter(
            is_active=True, parent__name__in=set(parent_names), parent__parent__isnull=True
        )
        .select_related("parent", "department", "parent__department")
        .order_by("parent_id", "order", "pk")
    )
    rule_terms: dict[int, list[str]] = defaultdict(list)
    for cat_id, keywords in DispatchRule.objects.filter(
        is_active=True, desk_category__in=[c.pk for c in rows]
    ).values_list("desk_category_id", "keywords"):
        rule_terms[cat_id] += split_keywords(keywords)
    out: dict[str, list[tuple[Child, Any]]] = defaultdict(list)
    for c in rows:
        assert c.parent is not None
        terms = (c.name, *split_keywords(c.keywords), *rule_terms.get(c.pk, ()))
        out[c.parent.name].append((Child.of(str(c.pk), c.name, c.parent.name, terms), c))
    return out


def lead_department(child: Any, parent: Any) -> Any:
    """The lead department of a second-level category: the child's own default department, else
    its parent's, else the department of the highest-priority active 派单目录 rule written for
    the child, then for the parent. None when none names one."""
    from .models import DispatchRule

    for category in (child, parent):
        if category is not None and category.department_id and category.department.is_active:
            return category.department
    for category in (child, parent):
        if category is None:
            continue
        rule = (
            DispatchRule.objects.filter(is_active=True, desk_category=category, department__is_active=True)
            .select_related("department")
            .order_by("-priority", "pk")
            .first()
        )
        if rule is not None:
            return rule.department
    return None


def decided_examples() -> list[tuple[str, str, str]]:
    """(title, body, child key) of every text a dispatcher (or an import) put in a second-level
    category, its latest decision winning: the example's own desk category when it is a child,
    else the child its appeal was triaged into, when that child is under the example's first
    level."""
    from zhengwu.appeals.models import Appeal, Category

    from .models import TrainingExample

    latest: dict[str, tuple[str, str, int | None, str, int | None]] = {}
    for digest, title, body, cat, label, appeal in (
        TrainingExample.objects.order_by("created_at", "id")
        .values_list("digest", "title", "body", "desk_category_id", "label", "appeal_id")
        .iterator(chunk_size=2000)
    ):
        latest[digest] = (title, body, cat, label, appeal)
    parent_of = dict(Category.objects.values_list("pk", "parent_id"))
    name_of = dict(Category.objects.values_list("pk", "name"))
    appeal_child: dict[int, int] = dict(
        Appeal.objects.filter(
            pk__in={a for *_, a in latest.values() if a is not None}, category__parent__isnull=False
        ).values_list("pk", "category_id")
    )
    out = []
    for text_title, text_body, key, recorded, appeal_id in latest.values():
        if key is not None and parent_of.get(key) is not None:
            out.append((text_title, text_body, str(key)))
            continue
        child = appeal_child.get(appeal_id) if appeal_id is not None else None
        if child is None:
            continue
        parent = parent_of.get(child)
        if parent is None:
            continue
        if (key is not None and parent == key) or (key is None and name_of.get(parent) == recorded):
            out.append((text_title, text_body, str(child)))
    return out
