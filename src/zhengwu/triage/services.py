"""The write paths of triage — recording dispatcher decisions, training, activating and rolling back
model versions — and ``suggest``, the one read that every caller (API, appeals intake) shares.

Training is slow (about a minute on 4,500 examples, mostly the cross-validation), so it runs
outside any transaction; only storing the version and switching the active one are atomic.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone

from zhengwu.appeals import services as appeals  # triage builds on the desk, never the reverse
from zhengwu.appeals.models import Appeal, Category, Channel, HandlingMode
from zhengwu.appeals.workflow import AppealState
from zhengwu.casework.actors import Actor
from zhengwu.core.audit import record
from zhengwu.core.errors import Conflict, DomainError, InvalidInput, NotAllowed
from zhengwu.org.models import Department

from . import second_level
from .classifier import (
    MIN_PER_CATEGORY,
    ModelUnavailable,
    TextClassifier,
    TrainingDataError,
    cross_validate,
    file_sha256,
    score,
    train,
)
from .datasets import DatasetError, check_trainable, read_labelled
from .hotspots import HotIssue as FoundIssue
from .hotspots import Message, find_hot_issues
from .models import (
    DispatchRule,
    ExampleSource,
    HotIssue,
    HotIssueSnapshot,
    HotIssueStatus,
    ModelVersion,
    TrainingExample,
    model_dir,
)
from .rules import department_for, match_rules
from .text import validate_appeal_text

logger = logging.getLogger(__name__)

SUGGESTIONS = 3
MAX_LABEL_CHARS = 50


# -- suggestions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecondLevel:
    """The second-level category proposed with a first-level suggestion (second_level.py)."""

    category: str
    category_id: int
    probability: float | None  # P(first level) × P(this | first level); None under a rule match
    conditional: float  # P(this | first level)
    department: Department | None  # the child's, else the parent's, else the rules'
    reasons: list[str]
    learned: bool  # from dispatchers' decisions; False: its name or a keyword is in the text


@dataclass(frozen=True)
class Suggestion:
    category: str
    probability: float | None  # None for a rule match: rules give no probability
    department: Department | None  # the lead department of the second level when there is one
    reasons: list[str]
    evidence: list[dict[str, Any]] = field(default_factory=list)
    second: SecondLevel | None = None


@dataclass(frozen=True)
class SuggestionResult:
    source: Literal["model", "rules"]
    model_version: int | None
    suggestions: list[Suggestion]
    notice: str = ""  # why the rules answered, in Chinese; empty when the model did


_cache_lock = threading.Lock()
_cache: dict[str, tuple[tuple[int, str, int, int], TextClassifier]] = {}


def load_version(version: ModelVersion) -> TextClassifier:
    """The classifier of ``version``, loaded once per process and again whenever its file changes.
    Raises ModelUnavailable (with the reason in Chinese) for a missing, corrupt or swapped file."""
    path = version.path
    try:
        stat = path.stat()
    except OSError as exc:
        raise ModelUnavailable(f"模型文件缺失：{version.file_name}") from exc
    key = (version.pk, version.sha256, stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        cached = _cache.get("active")
        if cached and cached[0] == key:
            return cached[1]
    model = TextClassifier.load(path, sha256=version.sha256)
    with _cache_lock:
        _cache["active"] = (key, model)
    return model


def version_problem(version: ModelVersion, *, thorough: bool = False) -> str:
    """Empty when the version's file is usable, else the reason it is not (shown in the admin).
    The admin list only checks presence and checksum (milliseconds a row); ``thorough`` also
    loads the file, as activation does."""
    try:
        if version.is_active:
            load_version(version)
        elif thorough:
            TextClassifier.load(version.path, sha256=version.sha256)
        elif not version.path.is_file():
            return f"模型文件缺失：{version.file_name}"
        elif file_sha256(version.path) != version.sha256:
            return f"模型文件校验失败（SHA-256不符），文件可能已损坏或被替换：{version.file_name}"
    except ModelUnavailable as exc:
        return exc.reason
    return ""


def active_model() -> tuple[ModelVersion | None, TextClassifier | None, str]:
    """The active version, its loaded classifier, and the problem if it cannot be used."""
    version = ModelVersion.objects.filter(is_active=True).first()
    if version is None:
        return None, None, "尚未启用研判模型"
    try:
        return version, load_version(version), ""
    except ModelUnavailable as exc:
        logger.warning("triage model v%s unavailable: %s", version.number, exc.reason)
        return version, None, f"模型v{version.number}不可用（{exc.reason}）"


def category_keys(names: Iterable[str]) -> dict[str, int]:
    """The key of each desk first-level category among ``names`` (one query); names the desk does
    not know are left out."""
    return dict(Category.objects.filter(parent__isnull=True, name__in=set(names)).values_list("name", "pk"))


def current_names(version: ModelVersion) -> dict[str, str]:
    """Each class of ``version`` (its name at training) → the category's name now, through the key
    stored with the version: a category renamed since still gets its suggestions. A class whose
    category is gone, or that never was a desk category, keeps its trained name."""
    keys: dict[str, int] = version.category_keys or {}
    now = dict(Category.objects.filter(pk__in=set(keys.values())).values_list("pk", "name"))
    return {trained: now[pk] for trained, pk in keys.items() if pk in now}


def suggest(*, title: str, body: str) -> SuggestionResult:
    """Top categories for an appeal with their department and the reason: from the active model,
    or — with no model, or a model whose file is missing or corrupt — from the 派单目录 rules,
    saying so in ``notice``."""
    title, body = validate_appeal_text(title, body)
    version, model, problem = active_model()
    if model is not None and version is not None:
        vector = model.vectorise(title, body)
        predictions = model.predict(title, body, top=SUGGESTIONS, explain=5, vector=vector)
        names = current_names(version)
        departments = department_for(names.get(p.category, p.category) for p in predictions)
        seconds = second_levels(
            model,
            second_level.Text.read(model, title, body, vector),
            [(names.get(p.category, p.category), p.probability) for p in predictions],
        )
        suggestions = []
        for p in predictions:
            name = names.get(p.category, p.category)
            second = seconds.get(name)
            suggestions.append(
                Suggestion(
                    category=name,
                    probability=round(p.probability, 4),
                    department=second.department if second else departments.get(name),
                    reasons=[e.phrase for e in p.evidence],
                    evidence=[
                        {"phrase": e.phrase, "weight": e.weight, "features": list(e.features)}
                        for e in p.evidence
                    ],
                    second=second,
                )
            )
        return SuggestionResult(source="model", model_version=version.number, suggestions=suggestions)
    matches = match_rules(f"{title}\n{body}")[:SUGGESTIONS]
    notice = f"{problem}，已改用派单目录规则"
    if not matches:
        notice += "；未匹配任何规则，请人工研判"
    seconds = second_levels(
        None, second_level.Text.read(None, title, body), [(m.category, None) for m in matches]
    )
    return SuggestionResult(
        source="rules",
        model_version=None,
        suggestions=[
            Suggestion(
                category=m.category,
                probability=None,
                # The rule's own department first: it was written for this kind of appeal.
                department=m.department
                or (seconds[m.category].department if m.category in seconds else None),
                reasons=[f"规则匹配：关键词“{m.keyword}”"],
                second=seconds.get(m.category),
            )
            for m in matches
        ],
        notice=notice,
    )


def second_levels(
    model: TextClassifier | None, text: second_level.Text, firsts: Sequence[tuple[str, float | None]]
) -> dict[str, SecondLevel]:
    """For each (first-level name, its probability), its most likely active child: learned from
    dispatchers' decisions where the model file has profiles for the parent's children, else named
    in the text (see second_level.py). A parent with neither gets no entry. Without a model (rules
    answering) only names and keywords count and no probability is given."""
    children = second_level.desk_children(name for name, _ in firsts)
    if not children:
        return {}
    out: dict[str, SecondLevel] = {}
    for name, p1 in firsts:
        kids = children.get(name)
        if not kids:
            continue
        by_key = {child.key: category for child, category in kids}
        scores = second_level.score_children(model, text, [c for c, _ in kids])
        if not scores:
            continue
        best = scores[0]
        category = by_key[best.child.key]
        out[name] = SecondLevel(
            category=category.name,
            category_id=category.pk,
            probability=round(p1 * best.probability, 4) if p1 is not None else None,
            conditional=round(best.probability, 4),
            department=second_level.lead_department(category, category.parent),
            reasons=list(best.reasons),
            learned=best.learned,
        )
    return out


def first_suggestions(items: Sequence[tuple[str, str]]) -> list[Suggestion | None]:
    """The most likely category of each (title, body), for a list of appeals: the model loaded and
    the rules read once for all. None where there is no suggestion (no rule matches, or text the
    classifier refuses). Departments are not resolved and reasons not given: the appeal's own page
    has them."""
    version, model, _ = active_model()
    names = current_names(version) if model is not None and version is not None else {}
    rules = (
        None
        if model
        else list(DispatchRule.objects.filter(is_active=True).select_related("department", "desk_category"))
    )
    out: list[Suggestion | None] = []
    for title, body in items:
        try:
            title, body = validate_appeal_text(title, body)
        except InvalidInput:
            out.append(None)
            continue
        if model is not None:
            best = model.predict(title, body, top=1, explain=0)[0]
            out.append(
                Suggestion(names.get(best.category, best.category), round(best.probability, 4), None, [])
            )
        else:
            matches = match_rules(f"{title}\n{body}", rules)
            out.append(Suggestion(matches[0].category, None, None, []) if matches else None)
    return out


# -- the learning loop -----------------------------------------------------------------------------


def text_digest(title: str, body: str) -> str:
    return hashlib.sha256(f"{title.strip()}\n{body.strip()}".encode()).hexdigest()


def _clean_label(label: str, field: str = "chosen") -> str:
    label = (label or "").strip()
    if not label:
        raise InvalidInput("请选择分类", field=field)
    if len(label) > MAX_LABEL_CHARS:
        raise InvalidInput(f"分类名称不能超过{MAX_LABEL_CHARS}字", field=field)
    return label


def learn_from_triage(
    *, appeal_id: int, category_id: int, by_id: int | None, suggested: str = "", **_: Any
) -> None:
    """``appeal_triaged``: a dispatcher's triage, once committed, becomes a labelled example of its
    first-level category. Text the classifier refuses (not Chinese, too long) is simply not learnt
    from. Subscribed in ``TriageConfig.ready``: the desk announces, it does not call here."""
    from django.contrib.auth import get_user_model

    appeal = Appeal.objects.filter(pk=appeal_id).only("number", "title", "body").first()
    category = Category.objects.select_related("parent").filter(pk=category_id).first()
    if appeal is None or category is None:
        return
    root = category.parent or category
    by = get_user_model().objects.filter(pk=by_id).first() if by_id is not None else None
    try:
        with transaction.atomic():
            record_decision(
                title=appeal.title,
                body=appeal.body,
                suggested=suggested or None,
                chosen=root.name,
                by=by,
                appeal_id=appeal.pk,
            )
    except InvalidInput:
        logger.info("appeal %s: text not usable as a training example", appeal.number)


def record_decision(
    *, title: str, body: str, suggested: str | None, chosen: str, by: Any, appeal_id: int | None = None
) -> TrainingExample:
    """A dispatcher chose ``chosen`` for an appeal on which the system suggested ``suggested``:
    accepted or corrected, it is a labelled example for the next training run."""
    title, body = validate_appeal_text(title, body)
    label = _clean_label(chosen)
    suggested = (suggested or "").strip()[:MAX_LABEL_CHARS]
    with transaction.atomic():
        example = TrainingExample.objects.create(
            title=title[:200],
            body=body,
            label=label,
            desk_category_id=category_keys([label]).get(label),
            suggested=suggested,
            source=ExampleSource.DISPATCHER,
            digest=text_digest(title, body),
            appeal_id=appeal_id,
            created_by=by if getattr(by, "is_authenticated", False) else None,
        )
        summary = (
            f"改正研判建议：{suggested} → {label}" if example.is_correction else f"确认研判分类：{label}"
        )
        record(actor=by, action="triage.decision", obj=example, summary=summary, after={"label": label})
    return example


def import_examples(rows: Iterable[tuple[str, str, str]], *, by: Any = None) -> int:
    """Store seed examples (title, body, label), skipping texts already stored. Returns how many
    were added. Callers validate the rows first (the command refuses a bad file as a whole)."""
    seen = set(TrainingExample.objects.values_list("digest", flat=True))
    rows = list(rows)
    keys = category_keys(label.strip() for _, _, label in rows)
    new: list[TrainingExample] = []
    for title, body, label in rows:
        digest = text_digest(title, body)
        if digest in seen:
            continue
        seen.add(digest)
        new.append(
            TrainingExample(
                title=title.strip()[:200],
                body=body.strip(),
                label=label.strip(),
                desk_category_id=keys.get(label.strip()),
                source=ExampleSource.SEED,
                digest=digest,
                created_by=by if getattr(by, "is_authenticated", False) else None,
            )
        )
    with transaction.atomic():  # a file is imported whole or not at all
        TrainingExample.objects.bulk_create(new, batch_size=500)
    return len(new)


def known_categories() -> set[str]:
    """The categories the desk can route: its active first-level 诉求分类, and any the rules name."""
    return set(
        Category.objects.filter(parent__isnull=True, is_active=True).values_list("name", flat=True)
    ) | set(DispatchRule.objects.filter(is_active=True).values_list(RULE_CATEGORY, flat=True))


def import_labelled_file(path: Any, *, name: str = "", by: Any = None) -> tuple[int, int]:
    """Historical appeals with their category (a CSV of id,title,time,body,label, UTF-8) as seed
    examples: the whole file is refused — in Chinese, naming the rows — when any row is unusable
    or a category is unknown to the desk, or when the stored examples and the file together could
    not train a model. Returns (added, rows); texts already stored are skipped."""
    stored = Counter(label for (label,) in _latest_examples("label").values())
    try:
        rows = read_labelled(path, name=name)
        check_trainable(rows, name or "训练文件", known=known_categories() or None, stored=stored)
    except DatasetError as exc:
        raise InvalidInput(str(exc), field="file") from exc
    # Each example records who imported it and when (its created_by and created_at).
    return import_examples(((r.title, r.body, r.label) for r in rows), by=by), len(rows)


# The category an example or rule refers to, by its current name: the desk category's when the row
# has its key, else the name it was written with.
EXAMPLE_CATEGORY = Coalesce(F("desk_category__name"), F("label"))
RULE_CATEGORY = Coalesce(F("desk_category__name"), F("category"))


def _latest_examples(*fields: str, before: datetime | None = None) -> dict[str, tuple[Any, ...]]:
    """``fields`` of each distinct text's latest example (``"label"`` is the category's current
    name): when the same text was labelled more than once (a dispatcher corrected a seed example),
    the latest label wins. ``before``: as the examples stood at that moment."""
    columns: list[Any] = [EXAMPLE_CATEGORY if f == "label" else f for f in fields]
    examples = TrainingExample.objects.order_by("created_at", "id")
    if before is not None:
        examples = examples.filter(created_at__lt=before)
    rows = examples.values_list("digest", *columns)
    return {digest: tuple(rest) for digest, *rest in rows}


def _training_rows() -> tuple[list[tuple[str, str, str, str]], list[str]]:
    """(digest, title, body, label) of each text to train on (its latest label), and notes on what
    was left out."""
    latest = _latest_examples("title", "body", "label")
    counts = Counter(label for _, _, label in latest.values())
    rare = sorted(c for c, n in counts.items() if n < MIN_PER_CATEGORY)
    notes = [f"样本少于{MIN_PER_CATEGORY}条的分类未参加训练：{'、'.join(rare)}"] if rare else []
    return [(d, *row) for d, row in latest.items() if row[2] not in rare], notes


def training_set() -> tuple[list[str], list[str], list[str], list[str]]:
    """Titles, bodies and labels to train on (the latest label of each text), and notes on what
    was left out."""
    rows, notes = _training_rows()
    return [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows], notes


@dataclass(frozen=True)
class FoldComparison:
    """Macro-F1 of the candidate and of the active version's set-up, fold by fold, on the same
    held-out folds of the current examples."""

    candidate: list[float]
    active: list[float]

    @property
    def candidate_f1(self) -> float:
        return sum(self.candidate) / len(self.candidate)

    @property
    def active_f1(self) -> float:
        return sum(self.active) / len(self.active)

    def as_dict(self) -> dict[str, Any]:
        return {
            "folds": len(self.candidate),
            "candidate_macro_f1": round(self.candidate_f1, 4),
            "active_macro_f1": round(self.active_f1, 4),
            "candidate_per_fold": [round(f, 4) for f in self.candidate],
            "active_per_fold": [round(f, 4) for f in self.active],
        }


def compare_on_same_folds(
    *,
    active: ModelVersion,
    active_model: TextClassifier,
    rows: Sequence[tuple[str, str, str, str]],
    candidate: Sequence[float],
    folds: int = 5,
    seed: int = 42,
) -> FoldComparison:
    """Score the candidate and the active version on the same held-out folds of today's examples.

    The stored active model cannot simply be scored on them: it was trained on most of these
    texts, so it would be marked on its own homework. Nor is its recorded CV figure comparable: it
    was computed on the data of its day. So, on each fold (stratified, shuffled with ``seed``, as
    ``cross_validate``), both are retrained on that fold's training part and scored on its held-out
    part, which neither saw:

    - the candidate: the set-up about to be trained, on every example — its per-fold scores are
      ``cross_validate``'s on these ``rows`` with the same ``folds`` and ``seed`` (``candidate``),
      so they are passed in rather than trained a second time;
    - the active version: its own set-up (C and weighting, from its model file), on only the texts
      it had when it was trained, with the labels they had then.

    What differs is then exactly what retraining would change — the examples that arrived since
    (corrections included) and the set-up — and both are marked against today's labels.
    """
    from sklearn.model_selection import StratifiedKFold

    before = _latest_examples("label", before=active.created_at)
    then = {digest: label for digest, (label,) in before.items()}
    options: dict[str, Any] = {
        "C": float(active_model.meta.get("C", 1.0)),
        # Versions trained before the weighting was a choice were the plain LinearSVC.
        "weighting": str(active_model.meta.get("weighting", "plain")),
    }
    labels = [r[3] for r in rows]
    k = min(folds, min(Counter(labels).values()))
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    old: list[float] = []
    for train_idx, test_idx in splitter.split([0] * len(rows), labels):
        held_out = [(rows[i][1], rows[i][2]) for i in test_idx]
        truth = [labels[i] for i in test_idx]
        seen = [(rows[i][1], rows[i][2], then[rows[i][0]]) for i in train_idx if rows[i][0] in then]
        counts = Counter(label for *_, label in seen)
        seen = [row for row in seen if counts[row[2]] >= MIN_PER_CATEGORY]
        try:
            old_model = train([r[0] for r in seen], [r[1] for r in seen], [r[2] for r in seen], **options)
        except TrainingDataError:
            old.append(0.0)  # too little of its data falls in this fold to train: it predicts nothing
            continue
        old.append(score(old_model.classes, old_model.predict_many(held_out), truth).macro_f1)
    return FoldComparison(candidate=list(candidate), active=old)


def train_model_version(
    *, by: Any = None, folds: int = 5, options: dict[str, Any] | None = None
) -> ModelVersion:
    """Train on every stored example, cross-validate, store the version, and activate it only if,
    on the same held-out folds of today's examples, it scores a macro-F1 at least the active
    version's (see ``compare_on_same_folds``), or no usable version is active. ``options``: the
    classifier's settings (``C``, ``weighting``), its defaults when None."""
    options = dict(options or {})
    rows, notes = _training_rows()
    titles, bodies, labels = [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]
    started = time.perf_counter()
    try:
        cv = cross_validate(titles, bodies, labels, folds=folds, **options)
        model = train(titles, bodies, labels, **options)
    except TrainingDataError as exc:
        raise DomainError(f"训练样本不足：{exc}") from exc
    # The second level's profiles, learned from dispatchers' decisions, go in the same file.
    model.extra = second_level.fit_profiles(model, second_level.decided_examples()).arrays()
    seconds = time.perf_counter() - started
    # Outside the transaction (it trains), on the version active now; checked again below.
    current = ModelVersion.objects.filter(is_active=True).first()
    comparison: FoldComparison | None = None
    if current is not None and not version_problem(current, thorough=True):
        comparison = compare_on_same_folds(
            active=current,
            active_model=load_version(current),
            rows=rows,
            candidate=[f.macro_f1 for f in cv.folds],
            folds=folds,
        )
    with transaction.atomic():
        last = ModelVersion.objects.select_for_update().order_by("-number").first()
        number = (last.number if last else 0) + 1
        file_name = f"triage-v{number:04d}.npz"
        sha256 = model.save(model_dir() / file_name)
        version = ModelVersion.objects.create(
            number=number,
            file_name=file_name,
            sha256=sha256,
            size_bytes=(model_dir() / file_name).stat().st_size,
            training_size=len(labels),
            labels=list(model.classes),
            category_keys=category_keys(model.classes),
            cv_folds=len(cv.folds),
            cv_macro_f1=round(cv.macro_f1, 4),
            cv_accuracy=round(cv.accuracy, 4),
            cv_top3=round(cv.top3_recall, 4),
            cv_report={**cv.as_dict(), "comparison": comparison.as_dict() if comparison else None},
            train_seconds=round(seconds, 2),
            created_by=by if getattr(by, "is_authenticated", False) else None,
        )
        active = ModelVersion.objects.select_for_update().filter(is_active=True).first()
        problem = version_problem(active) if active else ""
        if active is None or problem:
            if active is not None:
                notes.append(f"当前版本v{active.number}不可用（{problem}），已自动启用")
            _switch_to(version)
        elif comparison is None or current is None or active.pk != current.pk:
            # The active version changed (or became usable) while this one trained: leave it to
            # the administrator rather than compare against a version not measured.
            notes.append(f"训练期间启用版本已变为v{active.number}，未自动启用，请在模型版本中比较后决定")
        else:
            same = (
                f"在当前样本的同一{len(comparison.candidate)}折上，新版本宏F1 {comparison.candidate_f1:.4f}，"
                f"v{active.number}（按其设置和当时的样本重训）{comparison.active_f1:.4f}"
            )
            if comparison.candidate_f1 >= comparison.active_f1:
                notes.append(f"{same}，不低于，已自动启用")
                _switch_to(version)
            else:
                notes.append(f"{same}，低于，未自动启用")
        version.notes = "；".join(notes)
        version.save(update_fields=["notes"])
        record(
            actor=by,
            action="triage.model_trained",
            obj=version,
            summary=f"训练研判模型v{number}：{len(labels)}条样本，宏F1 {version.cv_macro_f1:.4f}。{version.notes}",
            after={"cv": cv.as_dict(), "active": version.is_active},
        )
    return version


def _switch_to(version: ModelVersion) -> None:
    """Deactivate the others first: the database allows one active version at a time."""
    ModelVersion.objects.filter(is_active=True).exclude(pk=version.pk).update(is_active=False)
    version.is_active = True
    version.activated_at = timezone.now()
    version.save(update_fields=["is_active", "activated_at"])


def activate(*, version: ModelVersion, by: Any) -> ModelVersion:
    """Make ``version`` the active model, whatever its scores (the admin's decision). Refused
    when its file is missing or corrupt."""
    problem = version_problem(version, thorough=True)
    if problem:
        raise Conflict(f"模型v{version.number}不能启用：{problem}")
    with transaction.atomic():
        version = ModelVersion.objects.select_for_update().get(pk=version.pk)
        before = ModelVersion.objects.filter(is_active=True).values_list("number", flat=True).first()
        _switch_to(version)
        record(
            actor=by,
            action="triage.model_activated",
            obj=version,
            summary=f"启用研判模型v{version.number}" + (f"（原v{before}）" if before else ""),
            before={"active": before},
            after={"active": version.number},
        )
    return version


def rollback(*, by: Any) -> ModelVersion:
    """Go back to the newest earlier version that has been active before and whose file is intact."""
    current = ModelVersion.objects.filter(is_active=True).first()
    if current is None:
        raise Conflict("当前没有启用的模型，无法回退")
    earlier = ModelVersion.objects.filter(number__lt=current.number, activated_at__isnull=False).order_by(
        "-number"
    )
    for candidate in earlier:
        if not version_problem(candidate):
            return activate(version=candidate, by=by)
    raise Conflict(f"v{current.number}之前没有可回退的版本")


def new_examples_since_last_version() -> int:
    last = ModelVersion.objects.order_by("-number").first()
    examples = TrainingExample.objects.all()
    return (examples.filter(created_at__gt=last.created_at) if last else examples).count()


def retrain_when_due(*, min_new: int | None = None) -> ModelVersion | None:
    """The scheduled retraining: a new version (activated by the usual rule) once at least
    ``min_new`` examples (settings.TRIAGE_RETRAIN_MIN_NEW) arrived since the last one, else None."""
    needed = settings.TRIAGE_RETRAIN_MIN_NEW if min_new is None else min_new
    waiting = new_examples_since_last_version()
    if waiting < max(1, needed):
        logger.info("triage retraining skipped: %s new examples, %s needed", waiting, needed)
        return None
    return train_model_version()


def schedule_training(*, by: Any) -> None:
    """Queue a training run for the worker once the current transaction commits."""
    from .tasks import retrain

    user_id = by.pk if getattr(by, "is_authenticated", False) else None
    transaction.on_commit(lambda: retrain.enqueue(user_id))


# -- hot issues (热点问题, 未诉先办) ----------------------------------------------------------------

P_CREATE_TASK = "triage.create_proactive_task"
# The desk's steps of a 主动治理任务 taken for someone whose role may not triage or dispatch.
PROACTIVE_TASK = Actor.system("主动治理任务")
MAX_PERIOD_DAYS = 366
MAX_NOTE_CHARS = 500
# Mining reads the title and the opening of the text (hotspots.find_hot_issues uses the first 400
# characters for matching and fewer for places); the rest of a 5,000-character body is history.
MINED_BODY_CHARS = 400
# Pending rows of periods nobody recomputed are dropped by the daily job after this long; rows
# acted on (a task, or dismissed) are the record of what was done and stay.
PENDING_RETENTION = timedelta(days=14)
TASK_MEMBERS_LISTED = 50


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in the local time zone."""
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, datetime.min.time()), tz),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), datetime.min.time()), tz),
    )


def check_period(start: date | None, end: date | None) -> tuple[date, date]:
    if start is None:
        raise InvalidInput("请选择起始日期", field="start")
    if end is None:
        raise InvalidInput("请选择截止日期", field="end")
    if start > end:
        raise InvalidInput("起始日期不能晚于截止日期", field="start")
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise InvalidInput(f"统计时段不能超过{MAX_PERIOD_DAYS}天", field="end")
    return start, end


def hot_issue_messages(start: date, end: date) -> list[Message]:
    """The period's appeals as hot-issue mining sees them. Left out: tasks the centre raised itself
    (the proactive channel — counting them would make an issue hotter for being acted on) and
    repeats merged into another appeal, which count instead as support (附议) of that appeal.
    A person is the citizen, else the account that filed, else the phone number."""
    since, until = day_bounds(start, end)
    rows = (
        Appeal.objects.filter(created_at__gte=since, created_at__lt=until, merged_into__isnull=True)
        .exclude(channel=Channel.PROACTIVE)
        .exclude(state=AppealState.MERGED)
        .annotate(opening=Substr("body", 1, MINED_BODY_CHARS), repeat_count=Count("repeats"))
        .order_by("created_at", "pk")
        .values_list(
            "pk",
            "title",
            "opening",
            "created_at",
            "citizen_id",
            "submitted_by_id",
            "contact_phone",
            "repeat_count",
        )
    )
    messages = []
    for pk, title, opening, created_at, citizen_id, user_id, phone, repeats in rows.iterator(chunk_size=2000):
        person = (
            f"citizen:{citizen_id}"
            if citizen_id
            else f"user:{user_id}"
            if user_id
            else f"phone:{phone}"
            if phone
            else None
        )
        messages.append(
            Message(id=pk, title=title, body=opening, time=created_at, user=person, likes=repeats)
        )
    return messages


def _overlaps_kept(member_ids: list[int], kept_members: set[int]) -> bool:
    """A newly found issue that is mostly an issue already acted on is that issue again."""
    return 2 * sum(1 for m in member_ids if m in kept_members) >= len(member_ids)


def _hot_issue_row(h: FoundIssue, *, start: date, end: date, computed_at: datetime) -> HotIssue:
    return HotIssue(
        period_start=start,
        period_end=end,
        rank=0,
        heat=h.heat,
        appeal_count=h.count,
        people=h.people,
        concentration=round(h.concentration, 3),
        support=h.likes,
        components=h.components,
        description=h.description[:200],
        place=h.place[:200],
        places=h.places,
        first_at=h.start,
        last_at=h.end,
        computed_at=computed_at,
        status=HotIssueStatus.PENDING,
    )


def _lock_snapshot(start: date, end: date) -> HotIssueSnapshot:
    """The period's computation row, created if need be and locked: refreshes of one period take
    turns. Two first computations racing to create it: the loser is told to try again."""
    try:
        with transaction.atomic():
            snapshot, _ = HotIssueSnapshot.objects.select_for_update().get_or_create(
                period_start=start, period_end=end, defaults={"computed_at": timezone.now()}
            )
    except IntegrityError as exc:
        raise Conflict("其他人正在计算该时段的热点问题，请稍后刷新", field="start") from exc
    return snapshot


def refresh_hot_issues(*, start: date, end: date, by: Any = None) -> list[HotIssue]:
    """Mine the appeals created in [start, end] and store the result as that period's snapshot,
    replacing its pending issues. Issues already acted on (a task created, or dismissed) are kept,
    and a newly found issue made mostly of their appeals is not stored again. Returns the period's
    issues, hottest first. Safe to run again: the same appeals give the same snapshot."""
    start, end = check_period(start, end)
    started = time.perf_counter()
    messages = hot_issue_messages(start, end)
    found = find_hot_issues(messages)
    now = timezone.now()
    with transaction.atomic():
        snapshot = _lock_snapshot(start, end)
        period = HotIssue.objects.filter(period_start=start, period_end=end)
        kept = list(period.exclude(status=HotIssueStatus.PENDING))
        kept_members = set(
            HotIssue.members.through.objects.filter(hotissue__in=kept).values_list("appeal_id", flat=True)
        )
        period.filter(status=HotIssueStatus.PENDING).delete()
        fresh = [h for h in found if not _overlaps_kept(h.member_ids, kept_members)]
        new = [_hot_issue_row(h, start=start, end=end, computed_at=now) for h in fresh]
        # Every issue of the period, kept or new, is numbered by heat.
        ordered = sorted([*kept, *new], key=lambda i: (-i.heat, -i.people, i.pk or 0))
        for rank, issue in enumerate(ordered, start=1):
            issue.rank = rank
        HotIssue.objects.bulk_update(kept, ["rank"])
        HotIssue.objects.bulk_create(new)
        through = HotIssue.members.through
        through.objects.bulk_create(
            [
                through(hotissue_id=issue.pk, appeal_id=appeal_id)
                for issue, h in zip(new, fresh, strict=True)
                for appeal_id in h.member_ids
            ],
            batch_size=1000,
        )
        snapshot.computed_at = now
        snapshot.computed_by = by if getattr(by, "is_authenticated", False) else None
        snapshot.appeal_count = len(messages)
        snapshot.found = len(found)
        snapshot.seconds = round(time.perf_counter() - started, 2)
        snapshot.save()
    logger.info(
        "hot issues %s..%s by %s: %d appeals, %d found, %d stored, %d kept, %.1fs",
        start,
        end,
        getattr(by, "username", None) or "system",
        len(messages),
        len(found),
        len(new),
        len(kept),
        snapshot.seconds,
    )
    return ordered


def prune_stale_hot_issues(now: datetime | None = None) -> int:
    """Drop pending issues computed more than ``PENDING_RETENTION`` ago, and the computations
    left with no issue (periods nobody looks at any more: each day's job starts a new 30-day
    period). Issues acted on stay. Returns how many issues were dropped."""
    cutoff = (now or timezone.now()) - PENDING_RETENTION
    deleted, _ = HotIssue.objects.filter(status=HotIssueStatus.PENDING, computed_at__lt=cutoff).delete()
    left = HotIssue.objects.filter(period_start=OuterRef("period_start"), period_end=OuterRef("period_end"))
    HotIssueSnapshot.objects.filter(computed_at__lt=cutoff).exclude(Exists(left)).delete()
    return deleted


def refresh_recent_hot_issues(*, days: int = 30, by: Any = None) -> list[HotIssue]:
    """The daily job: the last ``days`` days up to today, then the stale snapshots pruned."""
    end = timezone.localdate()
    issues = refresh_hot_issues(start=end - timedelta(days=days - 1), end=end, by=by)
    prune_stale_hot_issues()
    return issues


def _may_act_on_hot_issues(by: Any) -> None:
    if by is None or not by.has_perm(P_CREATE_TASK):
        raise NotAllowed("您的角色不能处置热点问题（生成主动治理任务或忽略）")


def _lock_pending(issue: HotIssue) -> HotIssue:
    locked = (
        HotIssue.objects.select_for_update(of=("self",)).select_related("task").filter(pk=issue.pk).first()
    )
    if locked is None:
        raise Conflict("该热点问题已重新计算，请返回热点问题列表重新选择")
    if locked.status == HotIssueStatus.TASKED and locked.task is not None:
        raise Conflict(f"该热点问题已生成主动治理任务（工单号 {locked.task.number}），不能重复生成")
    if locked.status == HotIssueStatus.DISMISSED:
        raise Conflict("该热点问题已忽略，不能再处置")
    return locked


def _active_department(value: Any) -> Department:
    if isinstance(value, Department):
        department: Department | None = value
    elif value in (None, ""):
        raise InvalidInput("请选择承办部门", field="department")
    else:
        try:
            department = Department.objects.filter(pk=int(value)).first()
        except (TypeError, ValueError):
            department = None
    if department is None or not department.is_active:
        raise InvalidInput("承办部门不存在或已停用", field="department")
    return department


def _active_category(value: Any) -> Category:
    if isinstance(value, Category):
        category: Category | None = value
    elif value in (None, ""):
        raise InvalidInput("请选择诉求分类", field="category")
    else:
        try:
            category = Category.objects.filter(pk=int(value)).first()
        except (TypeError, ValueError):
            category = None
    if category is None or not category.is_active:
        raise InvalidInput("诉求分类不存在或已停用", field="category")
    return category


def _percent(value: float) -> str:
    return f"{round(value * 100)}%"


def proactive_task_text(issue: HotIssue, note: str) -> tuple[str, str]:
    """Title and text of the task: what, where, when, how hot, which appeals, and what to do."""
    numbers = list(issue.members.order_by("created_at", "pk").values_list("number", flat=True))
    listed = "、".join(numbers[:TASK_MEMBERS_LISTED])
    if len(numbers) > TASK_MEMBERS_LISTED:
        listed += f" 等{len(numbers)}件"
    lines = [
        f"热点问题：{issue.description}",
        f"涉及地点：{'、'.join(issue.places) or issue.place or '未识别'}",
        f"统计时段：{issue.period_start:%Y-%m-%d} 至 {issue.period_end:%Y-%m-%d}"
        + (
            f"（诉求集中在 {timezone.localtime(issue.first_at):%Y-%m-%d} 至 {timezone.localtime(issue.last_at):%Y-%m-%d}）"
            if issue.first_at and issue.last_at
            else ""
        ),
        f"热度指数：{issue.heat:.1f}（时段内第{issue.rank}位；{issue.appeal_count}件诉求，{issue.people}位诉求人，"
        f"附议{issue.support}次，最集中的7天内占{_percent(issue.concentration)}）",
        f"相关诉求：{listed}",
    ]
    if note:
        lines.append(f"处置要求：{note}")
    lines.append("请承办单位主动排查处置，从源头上解决，避免更多群众反映（未诉先办）。")
    title = f"【主动治理】{issue.description}"
    return title[:100], "\n".join(lines)[:5000]


def _desk_actor(by: Any) -> Any:
    """Who the task's triage and dispatch events name. Creating the task is its own permission
    (the dispatcher's, and the supervisor's, who may not triage or dispatch ordinary appeals):
    for a user without the desk's permissions those two steps are taken by the system on this
    use case's authority, saying so, and the registration event and audit record name the user."""
    if by.has_perm("appeals.triage_appeal") and by.has_perm("appeals.dispatch_appeal"):
        return by
    return PROACTIVE_TASK


def create_proactive_task(
    *, issue: HotIssue, department: Any, category: Any, note: str = "", by: Any
) -> HotIssue:
    """生成主动治理任务: register an appeal on the proactive channel describing the issue, triage it
    (分办转办, the chosen category) and dispatch it to ``department`` as lead — all through the
    appeals services, in one transaction — and record the task on the issue. A second task for
    the same issue, or one for a dismissed issue, is a Conflict."""
    _may_act_on_hot_issues(by)
    lead = _active_department(department)
    chosen = _active_category(category)
    note = (note or "").strip()
    if len(note) > MAX_NOTE_CHARS:
        raise InvalidInput(f"处置要求不能超过{MAX_NOTE_CHARS}字", field="note")
    with transaction.atomic():
        issue = _lock_pending(issue)
        title, body = proactive_task_text(issue, note)
        appeal = appeals.register_proactive_task(
            title=title,
            body=body,
            address=(issue.place or "、".join(issue.places))[:200],
            by=by,
        )
        actor = _desk_actor(by)
        appeal = appeals.triage(
            appeal=appeal,
            category=chosen,
            handling_mode=HandlingMode.DISPATCH,
            by=actor,
            version=appeal.version,
        )
        appeal = appeals.dispatch(appeal=appeal, lead=lead, co_handlers=[], by=actor, version=appeal.version)
        issue.status = HotIssueStatus.TASKED
        issue.task = appeal
        issue.tasked_by = by if getattr(by, "is_authenticated", False) else None
        issue.tasked_at = timezone.now()
        issue.save(update_fields=["status", "task", "tasked_by", "tasked_at"])
        record(
            actor=by,
            action="triage.proactive_task",
            obj=issue,
            summary=f"热点问题“{issue.description}”生成主动治理任务 {appeal.number}，派至{lead.name}",
            after={"appeal": appeal.number, "department": lead.pk, "category": chosen.pk},
        )
    return issue


def dismiss_hot_issue(*, issue: HotIssue, reason: str, by: Any) -> HotIssue:
    """忽略: the issue needs no task (already being handled, not a real cluster …), with the reason."""
    _may_act_on_hot_issues(by)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写忽略理由", field="reason")
    if len(reason) > MAX_NOTE_CHARS:
        raise InvalidInput(f"忽略理由不能超过{MAX_NOTE_CHARS}字", field="reason")
    with transaction.atomic():
        issue = _lock_pending(issue)
        issue.status = HotIssueStatus.DISMISSED
        issue.dismissed_by = by if getattr(by, "is_authenticated", False) else None
        issue.dismissed_at = timezone.now()
        issue.dismiss_reason = reason
        issue.save(update_fields=["status", "dismissed_by", "dismissed_at", "dismiss_reason"])
        record(
            actor=by,
            action="triage.hot_issue_dismissed",
            obj=issue,
            summary=f"忽略热点问题“{issue.description}”：{reason}",
            after={"reason": reason},
        )
    return issue
