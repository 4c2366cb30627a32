"""派单目录: keyword rules that map an appeal to a category and department. They answer on cold
start (no model trained yet) and whenever the model file is missing or corrupt, and they are
what an administrator can read and correct directly."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps

from zhengwu.org.models import Department

from .models import DispatchRule

_SEPARATORS = re.compile(r"[\n\r,，、;；]+")


def split_keywords(raw: str) -> list[str]:
    """Keywords one per line or separated by commas / 顿号, blanks dropped, order kept."""
    return list(dict.fromkeys(k.strip() for k in _SEPARATORS.split(raw or "") if k.strip()))


@dataclass(frozen=True)
class RuleMatch:
    category: str
    department: Department | None
    keyword: str
    rule_id: int
    priority: int


def match_rules(text: str, rules: Iterable[DispatchRule] | None = None) -> list[RuleMatch]:
    """Every category whose rules match ``text``, best first: higher rule priority, then more
    matched keywords, then the longest keyword (a longer keyword is a more specific one). One
    entry per category, naming its best rule and keyword as the reason."""
    if rules is None:
        rules = DispatchRule.objects.filter(is_active=True).select_related("department", "desk_category")
    folded = text.lower()
    best: dict[str, tuple[tuple[int, int, int], RuleMatch]] = {}
    for rule in rules:
        found = [k for k in rule.keyword_list() if k.lower() in folded]
        if not found:
            continue
        keyword = max(found, key=len)
        rank = (rule.priority, len(found), len(keyword))
        name = rule.category_name
        current = best.get(name)
        if current is None or rank > current[0]:
            best[name] = (
                rank,
                RuleMatch(name, rule.department, keyword, rule.pk, rule.priority),
            )
    ordered = [m for _, m in sorted(best.values(), key=lambda v: v[0], reverse=True)]
    missing = {m.category for m in ordered if m.department is None}
    if missing:
        defaults = department_for(missing)
        ordered = [
            m
            if m.department
            else RuleMatch(m.category, defaults.get(m.category), m.keyword, m.rule_id, m.priority)
            for m in ordered
        ]
    return ordered


def department_for(categories: Iterable[str]) -> dict[str, Department]:
    """The default handling department of each category: the one the admin set on the appeals
    desk's first-level category of that name (诉求分类 → 默认承办部门), in one query."""
    appeal_category = apps.get_model("appeals", "Category")
    rows = appeal_category.objects.filter(
        parent__isnull=True, name__in=list(categories), department__isnull=False
    ).select_related("department")
    return {c.name: c.department for c in rows}
