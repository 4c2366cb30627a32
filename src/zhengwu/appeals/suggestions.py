"""What the desk asks of a text-understanding part, without importing one: 研判建议 (a suggested
category and lead department for an appeal's text) and the similarity index behind 并单 proposals.

The desk states here what it needs (the protocols) and asks through the functions below; the part
that answers — triage, the classifier and the near-duplicate index — registers itself in its
``AppConfig.ready`` (``register``). With nothing registered the pages still work: no suggestion
("研判建议暂不可用"), and no repeats proposed. The dependency points from triage to the desk only."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from zhengwu.core.errors import DomainError

UNAVAILABLE = "研判建议暂不可用：未启用智能研判"


class Suggestion(Protocol):
    """One suggested first-level category, with the lead department the 派单目录 names for it."""

    @property
    def category(self) -> str: ...

    @property
    def probability(self) -> float | None: ...  # None for a rule match: rules give no probability

    @property
    def department(self) -> Any: ...  # an org Department, or None

    @property
    def reasons(self) -> list[str]: ...


class SuggestionResult(Protocol):
    @property
    def source(self) -> str: ...  # "model" or "rules"

    @property
    def model_version(self) -> int | None: ...

    @property
    def suggestions(self) -> Sequence[Suggestion]: ...

    @property
    def notice(self) -> str: ...  # why the rules answered, in Chinese; empty when the model did


class Match(Protocol):
    @property
    def id(self) -> Any: ...

    @property
    def score(self) -> float: ...  # cosine similarity, 0–1


class SimilarityIndex(Protocol):
    """Texts by id, looked up by similarity; two texts whose places differ never match."""

    def add(self, id: Any, text: str, *, where: str = "") -> None: ...

    def similar(
        self, text: str, *, top: int = 5, exclude: Sequence[Any] = (), where: str = ""
    ) -> Sequence[Match]: ...


Suggest = Callable[..., SuggestionResult]  # suggest(*, title, body)
FirstSuggestions = Callable[[Sequence[tuple[str, str]]], Sequence[Suggestion | None]]
BuildIndex = Callable[..., SimilarityIndex]  # build(entries, *, wheres, threshold)


@dataclass
class _Registry:
    suggest: Suggest | None = None
    first_suggestions: FirstSuggestions | None = None
    build_index: BuildIndex | None = None


_registry = _Registry()


def register(
    *,
    suggest: Suggest | None = None,
    first_suggestions: FirstSuggestions | None = None,
    build_index: BuildIndex | None = None,
) -> None:
    """Called by the answering part's ``AppConfig.ready``; what is not given stays as it was."""
    if suggest is not None:
        _registry.suggest = suggest
    if first_suggestions is not None:
        _registry.first_suggestions = first_suggestions
    if build_index is not None:
        _registry.build_index = build_index


def suggest(*, title: str, body: str) -> SuggestionResult:
    """The suggestion for one text; a DomainError (with the reason in Chinese) when there is none."""
    if _registry.suggest is None:
        raise DomainError(UNAVAILABLE)
    return _registry.suggest(title=title, body=body)


def first_suggestions(items: Sequence[tuple[str, str]]) -> list[Suggestion | None]:
    """The top suggestion for each (title, body), None where there is none (a queue's column)."""
    if _registry.first_suggestions is None:
        return [None] * len(items)
    return list(_registry.first_suggestions(items))


def build_index(
    entries: Sequence[tuple[Any, str]], *, wheres: Sequence[str], threshold: float
) -> SimilarityIndex | None:
    """A similarity index of ``entries`` (id, text), or None when no part provides one."""
    if _registry.build_index is None:
        return None
    return _registry.build_index(entries, wheres=wheres, threshold=threshold)
