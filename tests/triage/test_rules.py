from __future__ import annotations

import pytest

from tests.factories import DepartmentFactory
from zhengwu.appeals.models import Category
from zhengwu.triage.models import DispatchRule
from zhengwu.triage.rules import match_rules, split_keywords

from .data import CONSTRUCTION, ENVIRONMENT

pytestmark = pytest.mark.django_db


def test_keywords_split_on_lines_commas_and_dunhao():
    assert split_keywords("物业，停车费\n电梯、 路灯;;路灯") == ["物业", "停车费", "电梯", "路灯"]


def test_best_rule_per_category_with_default_department(department):
    other = DepartmentFactory()
    Category.objects.filter(name=CONSTRUCTION, parent=None).update(department=department)
    DispatchRule.objects.create(category=CONSTRUCTION, keywords="物业、停车")
    DispatchRule.objects.create(category=ENVIRONMENT, keywords="噪音", department=other, priority=5)
    DispatchRule.objects.create(category=ENVIRONMENT, keywords="物业", is_active=False, priority=9)

    matches = match_rules("小区物业乱收停车费，晚上还有噪音")
    assert [m.category for m in matches] == [ENVIRONMENT, CONSTRUCTION]  # priority first
    assert matches[0].department == other and matches[0].keyword == "噪音"
    assert matches[1].department == department  # from the category mapping
    assert matches[1].keyword in {"物业", "停车"}
    assert match_rules("图书馆开放时间") == []


def test_the_demo_city_answers_with_a_rule_and_the_categorys_department(demo_city):
    from django.core.management import call_command

    from zhengwu.triage.services import suggest

    call_command("load_demo_city", "--quiet-logins")  # again: nothing doubled
    assert DispatchRule.objects.count() == 7
    result = suggest(title="小区路灯不亮", body="幸福路小区路灯坏了一周，晚上很黑。")
    assert result.source == "rules"
    [best] = result.suggestions
    assert best.category == "城乡建设" and best.department.name == "示范市住房和城乡建设局"
    assert best.reasons == ["规则匹配：关键词“路灯”"]
