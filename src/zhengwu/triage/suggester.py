"""Triage answers the appeals desk's questions about a text (appeals/suggestions.py): the 研判建议
of the classifier and the rules, and the near-duplicate index behind 并单 proposals. Registered in
``TriageConfig.ready``; the desk asks through its port and never imports this part."""

from __future__ import annotations

from zhengwu.appeals import suggestions

from . import services
from .duplicates import DuplicateIndex


def register() -> None:
    suggestions.register(
        suggest=services.suggest,
        first_suggestions=services.first_suggestions,
        build_index=DuplicateIndex.build,
    )
