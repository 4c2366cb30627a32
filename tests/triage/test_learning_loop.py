"""The learning loop: dispatcher decisions become examples, new versions activate only when they
score at least as well, the admin can activate and roll back, and a broken model file makes the
rules answer — saying so."""

from __future__ import annotations

import pytest

from zhengwu.appeals.models import Category
from zhengwu.core.errors import Conflict, DomainError, InvalidInput
from zhengwu.core.models import AuditEvent
from zhengwu.triage import services, tasks
from zhengwu.triage.models import (
    DispatchRule,
    ExampleSource,
    ModelVersion,
    TrainingExample,
)

from .data import CONSTRUCTION, ENVIRONMENT, EXAMPLES, LABOUR, NEW_ENVIRONMENT

pytestmark = pytest.mark.django_db


def seed(examples=EXAMPLES) -> None:
    services.import_examples(examples)


def mislabel(n: int, by) -> list[TrainingExample]:
    """n dispatcher "decisions" that put labour appeals under construction: noise."""
    labour = [(t, b) for t, b, label in EXAMPLES if label == LABOUR]
    return [
        services.record_decision(
            title=f"{t}（第{i}次反映）", body=b, suggested=LABOUR, chosen=CONSTRUCTION, by=by
        )
        for i, (t, b) in enumerate((labour * 3)[:n])
    ]


def test_a_correction_becomes_a_training_example(make_user):
    dispatcher = make_user("dispatcher")
    example = services.record_decision(
        title=NEW_ENVIRONMENT[0],
        body=NEW_ENVIRONMENT[1],
        suggested=CONSTRUCTION,
        chosen=ENVIRONMENT,
        by=dispatcher,
        appeal_id=42,
    )
    example.refresh_from_db()
    assert example.label == ENVIRONMENT and example.suggested == CONSTRUCTION
    assert example.is_correction and example.source == ExampleSource.DISPATCHER
    assert example.created_by == dispatcher and example.appeal_id == 42
    event = AuditEvent.objects.get(action="triage.decision")
    assert "改正" in event.summary and event.actor == dispatcher

    accepted = services.record_decision(
        title="", body=NEW_ENVIRONMENT[1], suggested=ENVIRONMENT, chosen=ENVIRONMENT, by=dispatcher
    )
    assert not accepted.is_correction


def test_a_decision_needs_a_category_and_chinese_text(make_user):
    dispatcher = make_user("dispatcher")
    with pytest.raises(InvalidInput) as exc:
        services.record_decision(title="", body="小区停车难", suggested="", chosen=" ", by=dispatcher)
    assert exc.value.field == "chosen"
    with pytest.raises(InvalidInput, match="中文"):
        services.record_decision(title="", body="parking", suggested="", chosen=CONSTRUCTION, by=dispatcher)
    assert not TrainingExample.objects.exists()


def test_worse_model_stays_inactive_better_one_activates_and_rollback(make_user):
    dispatcher, admin = make_user("dispatcher"), make_user("admin")
    seed()
    noise = mislabel(6, dispatcher)
    v1 = services.train_model_version(by=admin)
    assert v1.is_active and v1.number == 1 and v1.training_size == len(EXAMPLES) + 6

    more_noise = mislabel(12, dispatcher)[6:]  # the first six repeat existing texts
    v2 = services.train_model_version(by=admin)
    assert v2.cv_macro_f1 < v1.cv_macro_f1
    v1.refresh_from_db()
    assert not v2.is_active and v1.is_active
    assert "未自动启用" in v2.notes

    assert len(noise) == len(more_noise) == 6
    TrainingExample.objects.filter(source=ExampleSource.DISPATCHER).delete()
    v3 = services.train_model_version(by=admin)
    assert v3.cv_macro_f1 > v1.cv_macro_f1
    v1.refresh_from_db()
    assert v3.is_active and not v1.is_active
    assert ModelVersion.objects.filter(is_active=True).count() == 1

    # Rollback skips v2, which was never active.
    back = services.rollback(by=admin)
    assert back.number == 1 and back.is_active
    assert AuditEvent.objects.filter(action="triage.model_activated").exists()

    # The admin may activate any intact version, whatever its scores.
    assert services.activate(version=v2, by=admin).is_active


def test_training_needs_enough_examples(make_user):
    services.import_examples(EXAMPLES[:1])
    with pytest.raises(DomainError, match="训练样本不足"):
        services.train_model_version(by=make_user("admin"))
    assert not ModelVersion.objects.exists()


def test_suggest_from_the_model_names_department_and_reasons(department):
    seed()
    services.train_model_version()
    Category.objects.filter(name=ENVIRONMENT, parent=None).update(department=department)
    result = services.suggest(title=NEW_ENVIRONMENT[0], body=NEW_ENVIRONMENT[1])
    assert result.source == "model" and result.model_version == 1 and not result.notice
    best = result.suggestions[0]
    assert best.category == ENVIRONMENT and best.department == department
    assert best.reasons and 0 < best.probability <= 1
    assert len(result.suggestions) == 3


@pytest.mark.parametrize("damage", ["delete", "corrupt"])
def test_missing_or_corrupt_model_falls_back_to_rules_and_says_so(damage, department, client, triage_admin):
    seed()
    version = services.train_model_version()
    DispatchRule.objects.create(category=ENVIRONMENT, keywords="噪音\n粉尘、油烟", department=department)
    if damage == "delete":
        version.path.unlink()
    else:
        version.path.write_bytes(b"PK\x03\x04 not really a model")
    result = services.suggest(title=NEW_ENVIRONMENT[0], body=NEW_ENVIRONMENT[1])
    assert result.source == "rules" and result.model_version is None
    assert f"模型v{version.number}不可用" in result.notice and "派单目录" in result.notice
    assert ("缺失" if damage == "delete" else "校验失败") in result.notice
    assert result.suggestions[0].category == ENVIRONMENT
    assert result.suggestions[0].reasons[0].startswith("规则匹配：关键词")
    assert result.suggestions[0].department == department

    # The admin sees it on the list of versions.
    assert services.version_problem(version)
    client.force_login(triage_admin)
    page = client.get("/admin/triage/modelversion/")
    assert "按派单目录规则给出建议" in page.content.decode()
    # And cannot activate the broken file again.
    with pytest.raises(Conflict, match="不能启用"):
        services.activate(version=version, by=triage_admin)


def test_cold_start_answers_from_rules_or_asks_a_person():
    DispatchRule.objects.create(category=LABOUR, keywords="工资,社保", priority=1)
    result = services.suggest(title="", body="老板拖欠工资三个月")
    assert result.source == "rules" and "尚未启用研判模型" in result.notice
    assert [s.category for s in result.suggestions] == [LABOUR]
    nothing = services.suggest(title="", body="请问图书馆几点开门")
    assert nothing.suggestions == [] and "请人工研判" in nothing.notice


def test_retraining_task_runs_from_the_admin_action(make_user, django_capture_on_commit_callbacks):
    seed()
    admin = make_user("admin")
    with django_capture_on_commit_callbacks(execute=True):
        services.schedule_training(by=admin)
    version = ModelVersion.objects.get()
    assert version.is_active and version.created_by == admin


def test_the_weekly_retraining_waits_for_enough_new_decisions(make_user, settings):
    settings.TRIAGE_RETRAIN_MIN_NEW = len(EXAMPLES) + 1
    seed()
    assert tasks.retrain_when_due.call() is None
    assert not ModelVersion.objects.exists()

    services.record_decision(
        title="", body="小区垃圾站臭气熏天，请环保部门处理", suggested="", chosen=ENVIRONMENT, by=None
    )
    number = tasks.retrain_when_due.call()
    version = ModelVersion.objects.get()
    assert number == version.number and version.is_active and version.training_size == len(EXAMPLES) + 1

    settings.TRIAGE_RETRAIN_MIN_NEW = 1
    assert tasks.retrain_when_due.call() is None, "nothing new since that version"


def test_the_admin_says_how_many_examples_wait_for_the_next_training(client, triage_admin, settings):
    settings.TRIAGE_RETRAIN_MIN_NEW = 200
    seed()
    client.force_login(triage_admin)
    page = client.get("/admin/triage/modelversion/").content.decode()
    assert f"自上一次训练以来新增训练样本{len(EXAMPLES)}条；满200条后于周日凌晨自动重新训练" in page
    services.train_model_version()
    services.record_decision(
        title="", body="小区垃圾站臭气熏天，请环保部门处理", suggested="", chosen=ENVIRONMENT, by=None
    )
    page = client.get("/admin/triage/modelversion/").content.decode()
    assert "自上一次训练以来新增训练样本1条" in page


def test_the_weekly_retraining_is_on_the_schedule():
    from zhengwu.triage.schedule import JOBS

    assert ("研判模型再训练", "0 2 * * 0", tasks.retrain_when_due) in JOBS
