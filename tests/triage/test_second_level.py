"""The second level of a suggestion: learned from the appeals dispatchers triaged into a child,
from names and keywords where a parent has too few, with P(first) × P(second | first), the phrases
behind it and the lead department the 派单目录 maps it to."""

from __future__ import annotations

import pytest

from tests.factories import DepartmentFactory
from zhengwu.appeals import services as appeals
from zhengwu.appeals.models import Appeal, Category
from zhengwu.triage import second_level, services
from zhengwu.triage.models import DispatchRule

from .conftest import grant
from .data import ENVIRONMENT, EXAMPLES, LABOUR

pytestmark = pytest.mark.django_db

POLLUTION = "环境污染"
APPROVAL = "建设项目审批"

POLLUTING = [
    ("A3区工厂夜间排放黑烟", "工厂每天夜里排放黑烟，刺鼻气味飘进小区，居民咳嗽不止，请查处偷排。"),
    ("A5区河水发臭", "上游企业往河里排放污水，河水发黑发臭，请尽快查处偷排污水的企业。"),
    ("", "小区旁边的沥青搅拌站排放浓烟，气味刺鼻，居民无法开窗，请环保部门查处偷排。"),
    ("A7县养殖场污水直排", "养殖场污水直接排进水塘，气味难闻，水塘发黑，请查处污水直排。"),
]
APPROVING = [
    ("A2区新建化工项目没有环评", "小区旁新建的化工项目没有环评手续就开工建设，请核查该项目的环评审批。"),
    ("", "某物流园项目环评公示时间太短，居民意见没有听取，项目环评审批程序是否合法？"),
    ("A6区搅拌站项目审批", "新建搅拌站项目离学校只有两百米，环评批复是怎么通过的，请公开项目审批材料。"),
    ("A8县垃圾站选址环评", "垃圾中转站项目环评报告里说周边没有居民，实际上有三个小区，请重新审批项目环评。"),
]
# Names no child of 环境保护 and none of its keywords: only what was learnt can place it.
NEW_APPROVAL = ("A9县新建水泥厂项目", "水泥厂项目还没有环评就开工建设，请核查项目环评审批手续。")


def child(parent: str, name: str) -> Category:
    return Category.objects.get(parent__name=parent, parent__parent=None, name=name)


def triaged(operator, parent: str, name: str, texts) -> None:
    """Appeals triaged into ``parent`` / ``name``, and the decision the learning loop records for
    each (the first level on the example, the appeal keeping the child)."""
    category = child(parent, name)
    for title, body in texts:
        appeal, _ = appeals.register_appeal(
            channel="hotline",
            appeal_type="complaint",
            title=title or body[:20],
            body=body,
            contact_name="市民",
            contact_phone="13800000000",
            by=operator,
        )
        Appeal.objects.filter(pk=appeal.pk).update(category=category)
        services.record_decision(
            title=title, body=body, suggested=None, chosen=parent, by=None, appeal_id=appeal.pk
        )


@pytest.fixture
def learnt(make_user):
    """A model trained on the seed examples and on environment appeals dispatchers put in two of
    its children."""
    services.import_examples(EXAMPLES)
    operator = make_user("operator")
    triaged(operator, ENVIRONMENT, POLLUTION, POLLUTING)
    triaged(operator, ENVIRONMENT, APPROVAL, APPROVING)
    return services.train_model_version()


def test_the_decisions_learnt_from_are_the_appeals_triaged_into_a_child_of_their_first_level(make_user):
    services.import_examples(EXAMPLES)
    operator = make_user("operator")
    triaged(operator, ENVIRONMENT, APPROVAL, APPROVING[:2])
    # An appeal whose child is under another first level than the decision's is not learnt from.
    appeal, _ = appeals.register_appeal(
        channel="hotline",
        appeal_type="complaint",
        title="工地噪音",
        body="工地夜间施工噪音扰民",
        contact_name="市民",
        contact_phone="13800000000",
        by=operator,
    )
    Appeal.objects.filter(pk=appeal.pk).update(category=child(LABOUR, "劳动关系"))
    services.record_decision(
        title="工地噪音",
        body="工地夜间施工噪音扰民",
        suggested=None,
        chosen=ENVIRONMENT,
        by=None,
        appeal_id=appeal.pk,
    )
    key = str(child(ENVIRONMENT, APPROVAL).pk)
    assert sorted(second_level.decided_examples()) == sorted((t, b, key) for t, b in APPROVING[:2])


def test_the_second_level_probability_is_the_first_times_the_second_given_the_first(learnt):
    result = services.suggest(title=NEW_APPROVAL[0], body=NEW_APPROVAL[1])
    best = result.suggestions[0]
    assert best.category == ENVIRONMENT
    assert best.second is not None
    assert best.second.category == APPROVAL and best.second.learned
    assert any("环评" in r for r in best.second.reasons)
    # Computed again from the model file, step by step.
    model = services.load_version(learnt)
    p1 = next(
        p.probability for p in model.predict(*NEW_APPROVAL, top=7, explain=0) if p.category == ENVIRONMENT
    )
    children = [c for c, _ in second_level.desk_children([ENVIRONMENT])[ENVIRONMENT]]
    scores = second_level.score_children(model, second_level.Text.read(model, *NEW_APPROVAL), children)
    conditional = next(s.probability for s in scores if s.child.name == APPROVAL)
    assert conditional > 0.5
    assert best.second.conditional == round(conditional, 4)
    assert best.second.probability == round(p1 * conditional, 4)
    assert abs(sum(s.probability for s in scores) - 1) < 1e-9
    # Here the first level is all but certain; with a less certain one the product shows.
    text = second_level.Text.read(model, *NEW_APPROVAL)
    halved = services.second_levels(model, text, [(ENVIRONMENT, 0.5)])[ENVIRONMENT]
    assert halved.probability == round(0.5 * conditional, 4)
    assert halved.conditional == best.second.conditional


def test_a_renamed_child_keeps_what_it_learnt(learnt):
    before = services.suggest(title=NEW_APPROVAL[0], body=NEW_APPROVAL[1]).suggestions[0].second
    assert before is not None and before.category == APPROVAL
    Category.objects.filter(pk=before.category_id).update(name="建设项目环评审批")
    services._cache.clear()  # as another process would: the model read again from its file
    after = services.suggest(title=NEW_APPROVAL[0], body=NEW_APPROVAL[1]).suggestions[0].second
    assert after is not None
    assert (after.category, after.category_id) == ("建设项目环评审批", before.category_id)
    assert after.learned and after.conditional == before.conditional


def test_a_parent_without_examples_answers_from_names_keywords_and_rules(learnt):
    wages = child(LABOUR, "工资福利")
    # 工资福利's keywords (the third level) include 最低工资标准.
    text = (
        "A市最低工资标准何时调整",
        "单位一直按照多年前的最低工资标准发工资，工人生活困难，请劳动部门督促调整。",
    )
    result = services.suggest(title=text[0], body=text[1])
    labour = next(s for s in result.suggestions if s.category == LABOUR)
    assert labour.second is not None
    assert (labour.second.category_id, labour.second.learned) == (wages.pk, False)
    assert labour.second.reasons == ["内容提到“最低工资标准”"]
    assert abs(labour.second.probability - labour.probability * labour.second.conditional) < 2e-4
    assert 0 < labour.second.conditional < 1
    # A 派单目录 rule written for a child names it too.
    relations = child(LABOUR, "劳动关系")
    DispatchRule.objects.create(desk_category=relations, category=relations.name, keywords="欠薪跑路")
    result = services.suggest(
        title="老板欠薪跑路", body="公司老板欠薪跑路，三十名工人三个月工资没有着落，请劳动监察部门处理。"
    )
    labour = next(s for s in result.suggestions if s.category == LABOUR)
    assert labour.second is not None and labour.second.category_id == relations.pk
    assert labour.second.reasons == ["内容提到“欠薪跑路”"]
    # Nothing named and nothing learnt: no guess.
    result = services.suggest(
        title="单位不给签合同", body="单位不给签订书面合同，工人担心以后权益没有保障，请有关部门处理。"
    )
    labour = next(s for s in result.suggestions if s.category == LABOUR)
    assert labour.second is None


def test_the_lead_department_is_the_childs_else_the_parents_else_the_rules():
    approval = child(ENVIRONMENT, APPROVAL)
    parent = approval.parent
    own, parents, ruled, parent_ruled = (DepartmentFactory() for _ in range(4))
    approval.department, parent.department = own, parents
    approval.save()
    parent.save()
    DispatchRule.objects.create(desk_category=approval, category=APPROVAL, keywords="环评", department=ruled)
    DispatchRule.objects.create(
        desk_category=parent, category=ENVIRONMENT, keywords="污染", department=parent_ruled
    )
    assert second_level.lead_department(approval, parent) == own
    approval.department = None
    assert second_level.lead_department(approval, parent) == parents
    parent.department = None
    assert second_level.lead_department(approval, parent) == ruled
    DispatchRule.objects.filter(department=ruled).update(is_active=False)
    assert second_level.lead_department(approval, parent) == parent_ruled
    parent_ruled.is_active = False
    parent_ruled.save()
    assert second_level.lead_department(approval, parent) is None


def test_the_suggestion_names_the_second_levels_department(learnt):
    approval = child(ENVIRONMENT, APPROVAL)
    bureau = DepartmentFactory()
    approval.department = bureau
    approval.save()
    best = services.suggest(title=NEW_APPROVAL[0], body=NEW_APPROVAL[1]).suggestions[0]
    assert best.department == bureau and best.second is not None and best.second.department == bureau


def test_the_api_gives_the_second_level_with_its_department(client, make_user, learnt):
    client.force_login(grant(make_user("dispatcher"), "use_triage"))
    approval = child(ENVIRONMENT, APPROVAL)
    approval.parent.department = DepartmentFactory()
    approval.parent.save()
    response = client.post(
        "/api/triage/suggest",
        {"title": NEW_APPROVAL[0], "body": NEW_APPROVAL[1]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    best = response.json()["suggestions"][0]
    department = {"id": approval.parent.department.pk, "name": approval.parent.department.name}
    second = best["second_level"]
    assert set(second) == {
        "category",
        "category_id",
        "probability",
        "conditional_probability",
        "department",
        "reasons",
        "learned",
    }
    assert (second["category"], second["category_id"], second["learned"]) == (APPROVAL, approval.pk, True)
    assert second["department"] == department and best["department"] == department
    assert abs(second["probability"] - best["probability"] * second["conditional_probability"]) < 1e-3
    assert second["reasons"]


def test_the_rules_give_a_named_second_level_without_probability(client, make_user):
    client.force_login(grant(make_user("dispatcher"), "use_triage"))
    DispatchRule.objects.create(category=LABOUR, keywords="工资")
    response = client.post(
        "/api/triage/suggest",
        {"body": "单位一直按照多年前的最低工资标准发工资"},
        content_type="application/json",
    )
    best = response.json()["suggestions"][0]
    assert best["category"] == LABOUR
    assert best["second_level"]["category"] == "工资福利"
    assert best["second_level"]["probability"] is None
    assert best["second_level"]["learned"] is False


def test_the_assist_page_shows_the_learnt_second_level_and_one_click_takes_it(
    client, make_user, learnt, django_capture_on_commit_callbacks
):
    import re

    from django.urls import reverse

    from zhengwu.appeals.workflow import AppealState

    approval = child(ENVIRONMENT, APPROVAL)
    approval.department = DepartmentFactory(name="市生态环境局审批处")
    approval.save()
    appeal, _ = appeals.register_appeal(
        channel="hotline",
        appeal_type="complaint",
        title=NEW_APPROVAL[0],
        body=NEW_APPROVAL[1],
        contact_name="市民",
        contact_phone="13800000000",
        by=make_user("operator"),
    )
    client.force_login(make_user("dispatcher"))
    html = client.get(reverse("appeals:detail", args=[appeal.pk])).content.decode()
    box = html.split('id="triage-suggestion"')[1].split("</table>")[0]
    assert f"{ENVIRONMENT}</b> / {APPROVAL}" in box and "含二级" in box
    assert "市生态环境局审批处" in box and "“环评”" in box
    accept = html.split('data-action="accept"')[1].split("</form>")[0]
    data = dict(re.findall(r'name="(version|category|lead|suggested)" value="([^"]*)"', accept))
    assert (data["category"], data["lead"]) == (str(approval.pk), str(approval.department_id))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("appeals:act", args=[appeal.pk, "accept"]), data)
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.state == AppealState.DISPATCHED and appeal.category_id == approval.pk
    # The decision is learnt: the next training sees the appeal's text under that child.
    assert (appeal.title, appeal.body, str(approval.pk)) in second_level.decided_examples()


def test_the_profiles_travel_in_the_model_file_and_older_files_still_load(tiny_model, tmp_path):
    from zhengwu.triage.classifier import TextClassifier

    # A file written before the second level existed has no profiles: names and keywords answer.
    tiny_model.save(tmp_path / "old.npz")
    old = TextClassifier.load(tmp_path / "old.npz")
    assert second_level.profiles_of(old).keys == ()
    approving = [(t, b, "15") for t, b in APPROVING]
    polluting = [(t, b, "14") for t, b in POLLUTING]
    profiles = second_level.fit_profiles(tiny_model, [*approving, *polluting, ("", "只有一条", "16")])
    assert profiles.keys == ("14", "15")  # a child with fewer than 3 decisions gets no profile
    model = TextClassifier.load(tmp_path / "old.npz")
    model.extra = profiles.arrays()
    model.save(tmp_path / "new.npz")
    loaded = second_level.profiles_of(TextClassifier.load(tmp_path / "new.npz"))
    assert loaded.keys == ("14", "15") and loaded.counts.tolist() == [4, 4]
    text = second_level.Text.read(tiny_model, *NEW_APPROVAL)
    assert (
        loaded.similarities(text.idx, text.values)[0].tolist()
        == profiles.similarities(text.idx, text.values)[0].tolist()
    )
