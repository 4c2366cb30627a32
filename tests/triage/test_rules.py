from __future__ import annotations

import pytest

from tests.factories import DepartmentFactory
from zhengwu.triage.models import CategoryDepartment, DispatchRule
from zhengwu.triage.rules import match_rules, split_keywords

from .data import CONSTRUCTION, ENVIRONMENT

pytestmark = pytest.mark.django_db


def test_keywords_split_on_lines_commas_and_dunhao():
    assert split_keywords("物业，停车费\n电梯、 路灯;;路灯") == ["物业", "停车费", "电梯", "路灯"]


def test_best_rule_per_category_with_default_department(department):
    other = DepartmentFactory()
    CategoryDepartment.objects.create(category=CONSTRUCTION, department=department)
    DispatchRule.objects.create(category=CONSTRUCTION, keywords="物业、停车")
    DispatchRule.objects.create(category=ENVIRONMENT, keywords="噪音", department=other, priority=5)
    DispatchRule.objects.create(category=ENVIRONMENT, keywords="物业", is_active=False, priority=9)

    matches = match_rules("小区物业乱收停车费，晚上还有噪音")
    assert [m.category for m in matches] == [ENVIRONMENT, CONSTRUCTION]  # priority first
    assert matches[0].department == other and matches[0].keyword == "噪音"
    assert matches[1].department == department  # from the category mapping
    assert matches[1].keyword in {"物业", "停车"}
    assert match_rules("图书馆开放时间") == []
