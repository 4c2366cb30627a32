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
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import transaction
from django.utils import timezone

from zhengwu.core.audit import record
from zhengwu.core.errors import Conflict, DomainError, InvalidInput
from zhengwu.org.models import Department

from .classifier import (
    MIN_PER_CATEGORY,
    ModelUnavailable,
    TextClassifier,
    TrainingDataError,
    cross_validate,
    file_sha256,
    train,
)
from .models import ExampleSource, ModelVersion, TrainingExample, model_dir
from .rules import department_for, match_rules
from .text import validate_appeal_text

logger = logging.getLogger(__name__)

SUGGESTIONS = 3
MAX_LABEL_CHARS = 50


# -- suggestions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    category: str
    probability: float | None  # None for a rule match: rules give no probability
    department: Department | None
    reasons: list[str]
    evidence: list[dict[str, Any]] = field(default_factory=list)


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


def suggest(*, title: str, body: str) -> SuggestionResult:
    """Top categories for an appeal with their department and the reason: from the active model,
    or — with no model, or a model whose file is missing or corrupt — from the 派单目录 rules,
    saying so in ``notice``."""
    title, body = validate_appeal_text(title, body)
    version, model, problem = active_model()
    if model is not None and version is not None:
        predictions = model.predict(title, body, top=SUGGESTIONS, explain=5)
        departments = department_for(p.category for p in predictions)
        return SuggestionResult(
            source="model",
            model_version=version.number,
            suggestions=[
                Suggestion(
                    category=p.category,
                    probability=round(p.probability, 4),
                    department=departments.get(p.category),
                    reasons=[e.phrase for e in p.evidence],
                    evidence=[
                        {"phrase": e.phrase, "weight": e.weight, "features": list(e.features)}
                        for e in p.evidence
                    ],
                )
                for p in predictions
            ],
        )
    matches = match_rules(f"{title}\n{body}")[:SUGGESTIONS]
    notice = f"{problem}，已改用派单目录规则"
    if not matches:
        notice += "；未匹配任何规则，请人工研判"
    return SuggestionResult(
        source="rules",
        model_version=None,
        suggestions=[
            Suggestion(
                category=m.category,
                probability=None,
                department=m.department,
                reasons=[f"规则匹配：关键词“{m.keyword}”"],
            )
            for m in matches
        ],
        notice=notice,
    )


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
                source=ExampleSource.SEED,
                digest=digest,
                created_by=by if getattr(by, "is_authenticated", False) else None,
            )
        )
    TrainingExample.objects.bulk_create(new, batch_size=500)
    return len(new)


def training_set() -> tuple[list[str], list[str], list[str], list[str]]:
    """Titles, bodies and labels to train on, and notes on what was left out. When the same text
    was labelled more than once (a dispatcher corrected a seed example), the latest label wins."""
    latest: dict[str, tuple[str, str, str]] = {}
    for digest, title, body, label in TrainingExample.objects.order_by("created_at", "id").values_list(
        "digest", "title", "body", "label"
    ):
        latest[digest] = (title, body, label)
    counts: dict[str, int] = {}
    for _, _, label in latest.values():
        counts[label] = counts.get(label, 0) + 1
    rare = sorted(c for c, n in counts.items() if n < MIN_PER_CATEGORY)
    notes = [f"样本少于{MIN_PER_CATEGORY}条的分类未参加训练：{'、'.join(rare)}"] if rare else []
    kept = [row for row in latest.values() if row[2] not in rare]
    return [r[0] for r in kept], [r[1] for r in kept], [r[2] for r in kept], notes


def train_model_version(*, by: Any = None, folds: int = 5) -> ModelVersion:
    """Train on every stored example, cross-validate, store the version, and activate it only if
    its macro-F1 is at least the active version's (or no usable version is active)."""
    titles, bodies, labels, notes = training_set()
    started = time.perf_counter()
    try:
        cv = cross_validate(titles, bodies, labels, folds=folds)
        model = train(titles, bodies, labels)
    except TrainingDataError as exc:
        raise DomainError(f"训练样本不足：{exc}") from exc
    seconds = time.perf_counter() - started
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
            cv_folds=len(cv.folds),
            cv_macro_f1=round(cv.macro_f1, 4),
            cv_accuracy=round(cv.accuracy, 4),
            cv_top3=round(cv.top3_recall, 4),
            cv_report=cv.as_dict(),
            train_seconds=round(seconds, 2),
            created_by=by if getattr(by, "is_authenticated", False) else None,
        )
        active = ModelVersion.objects.select_for_update().filter(is_active=True).first()
        problem = version_problem(active) if active else ""
        if active is None or problem or version.cv_macro_f1 >= active.cv_macro_f1:
            if active is not None:
                notes.append(
                    f"当前版本v{active.number}不可用（{problem}），已自动启用"
                    if problem
                    else f"宏F1 {version.cv_macro_f1:.4f} 不低于v{active.number}的 {active.cv_macro_f1:.4f}，已自动启用"
                )
            _switch_to(version)
        else:
            notes.append(
                f"宏F1 {version.cv_macro_f1:.4f} 低于当前启用版本v{active.number}的 {active.cv_macro_f1:.4f}，未自动启用"
            )
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


def schedule_training(*, by: Any) -> None:
    """Queue a training run for the worker once the current transaction commits."""
    from .tasks import retrain

    user_id = by.pk if getattr(by, "is_authenticated", False) else None
    transaction.on_commit(lambda: retrain.enqueue(user_id))
