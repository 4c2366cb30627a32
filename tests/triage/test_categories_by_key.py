"""Triage refers to the desk's categories by key: renaming a category in the admin keeps every
training example, rule and trained class attached to it."""

from __future__ import annotations

import csv
import importlib

import pytest
from django.apps import apps

from zhengwu.appeals.models import Category
from zhengwu.core.errors import InvalidInput
from zhengwu.triage import services
from zhengwu.triage.models import DispatchRule, ModelVersion, TrainingExample
from zhengwu.triage.rules import match_rules

from .data import CONSTRUCTION, ENVIRONMENT, EXAMPLES, NEW_ENVIRONMENT

pytestmark = pytest.mark.django_db

RENAMED = "生态环境"


def first_level(name: str) -> Category:
    return Category.objects.get(parent=None, name=name)


def test_renaming_a_category_keeps_examples_rules_and_suggestions(make_user, department):
    environment = first_level(ENVIRONMENT)
    environment.department = department
    environment.save()
    services.import_examples(EXAMPLES)
    services.record_decision(
        title=NEW_ENVIRONMENT[0], body=NEW_ENVIRONMENT[1], suggested=CONSTRUCTION, chosen=ENVIRONMENT, by=None
    )
    attached = TrainingExample.objects.filter(desk_category=environment).count()
    assert attached == sum(1 for *_, label in EXAMPLES if label == ENVIRONMENT) + 1
    DispatchRule.objects.create(category=ENVIRONMENT, desk_category=environment, keywords="油烟")
    version = services.train_model_version()
    assert version.category_keys[ENVIRONMENT] == environment.pk

    environment.name = RENAMED
    environment.save()

    # Every example and rule still belongs to the category, under its new name.
    assert TrainingExample.objects.filter(desk_category=environment).count() == attached
    labels = services.training_set()[2]
    assert RENAMED in labels and ENVIRONMENT not in labels
    assert [m.category for m in match_rules("楼下饭店油烟很大")] == [RENAMED]
    # The stored model still says 环境保护 inside; the suggestion shows the name of today.
    result = services.suggest(title=NEW_ENVIRONMENT[0], body=NEW_ENVIRONMENT[1])
    assert result.source == "model"
    best = result.suggestions[0]
    assert best.category == RENAMED and best.department == department
    assert services.first_suggestions([NEW_ENVIRONMENT])[0].category == RENAMED
    # A dispatcher choosing the new name adds to the same category, and retraining learns it.
    services.record_decision(
        title="", body="工地夜间施工噪音扰民，影响休息。", suggested="", chosen=RENAMED, by=None
    )
    assert TrainingExample.objects.filter(desk_category=environment).count() == attached + 1
    retrained = services.train_model_version()
    assert RENAMED in retrained.labels and retrained.category_keys[RENAMED] == environment.pk


def test_the_migration_attaches_rows_by_name():
    environment = first_level(ENVIRONMENT)
    TrainingExample.objects.create(body="河道发臭", label=ENVIRONMENT, source="seed", digest="a")
    TrainingExample.objects.create(body="天气很好", label="天气预报", source="seed", digest="b")
    DispatchRule.objects.create(category=ENVIRONMENT, keywords="油烟")
    ModelVersion.objects.create(
        number=1,
        file_name="x.npz",
        sha256="0",
        training_size=2,
        labels=[ENVIRONMENT, "天气预报"],
        cv_macro_f1=0.5,
        cv_accuracy=0.5,
        cv_top3=1,
    )
    migration = importlib.import_module("zhengwu.triage.migrations.0004_categories_by_key")
    migration.attach_by_name(apps, None)

    assert TrainingExample.objects.get(digest="a").desk_category == environment
    assert TrainingExample.objects.get(digest="b").desk_category is None  # unknown names stay names
    assert DispatchRule.objects.get().desk_category == environment
    assert ModelVersion.objects.get().category_keys == {ENVIRONMENT: environment.pk}


def test_import_resolves_names_and_names_the_rows_of_an_unknown_one(tmp_path):
    good = tmp_path / "good.csv"
    with good.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "title", "time", "body", "label"])
        for i, (title, body, label) in enumerate(EXAMPLES):
            writer.writerow([i, title, "", body, label])
    services.import_labelled_file(good)
    assert not TrainingExample.objects.filter(desk_category=None).exists()
    assert TrainingExample.objects.filter(desk_category=first_level(CONSTRUCTION)).exists()

    bad = tmp_path / "bad.csv"
    bad.write_text(
        good.read_text(encoding="utf-8") + "9001,,,明天会下雨吗，想问问天气情况。,天气预报\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput, match="天气预报（id为9001的行）") as caught:
        services.import_labelled_file(bad, name="bad.csv")
    assert caught.value.field == "file"


def test_the_admin_writes_a_rule_against_a_desk_category_and_lists_its_current_name(client, triage_admin):
    environment = first_level(ENVIRONMENT)
    client.force_login(triage_admin)
    form = {
        "desk_category": environment.pk,
        "category": "",
        "keywords": "油烟",
        "priority": 0,
        "is_active": "on",
    }
    response = client.post("/admin/triage/dispatchrule/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = DispatchRule.objects.get()
    assert rule.desk_category == environment and rule.category == ENVIRONMENT

    nothing = client.post("/admin/triage/dispatchrule/add/", {**form, "desk_category": ""})
    assert nothing.status_code == 200 and "请选择诉求分类" in nothing.content.decode()

    environment.name = RENAMED
    environment.save()
    page = client.get("/admin/triage/dispatchrule/").content.decode()
    assert (
        f'<th class="field-category_name"><a href="/admin/triage/dispatchrule/{rule.pk}/change/">{RENAMED}</a>'
        in page
    )


def test_the_demo_rules_refer_to_the_desk_categories_and_are_not_added_twice():
    from zhengwu.triage.demo import DEMO_RULES, load_demo_dispatch_rules

    load_demo_dispatch_rules()
    environment = first_level(ENVIRONMENT)
    environment.name = RENAMED
    environment.save()
    load_demo_dispatch_rules()
    assert DispatchRule.objects.count() == len(DEMO_RULES)
    assert not DispatchRule.objects.filter(desk_category=None).exists()
    assert DispatchRule.objects.get(desk_category=environment).category_name == RENAMED
