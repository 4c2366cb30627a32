"""The help the desk gets from triage: the suggestion box (category, department and the reason) on
the intake page and on the appeal's triage form, the dispatcher's choice kept as a training example,
and 并单 proposals of earlier open appeals about the same matter in the same place."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhengwu.appeals import services
from zhengwu.appeals.models import Category
from zhengwu.appeals.workflow import AppealState as S
from zhengwu.triage import services as triage_services
from zhengwu.triage.models import DispatchRule, TrainingExample

from ..triage.data import ENVIRONMENT, EXAMPLES, NEW_ENVIRONMENT
from .conftest import Desk, refresh

pytestmark = pytest.mark.django_db
ASSIST = reverse("appeals:intake_assist")


@pytest.fixture
def model(settings, tmp_path):
    """A small trained and active model (the hand-written examples of the triage tests)."""
    settings.TRIAGE_MODEL_DIR = str(tmp_path / "models")
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    triage_services._cache.clear()
    triage_services.import_examples(EXAMPLES)
    version = triage_services.train_model_version()
    assert version.is_active
    yield version
    triage_services._cache.clear()


def assist(client, user, **params):
    client.force_login(user)
    response = client.get(ASSIST, params)
    assert response.status_code == 200
    return response.content.decode()


class TestSuggestionBox:
    def test_rules_answer_before_any_model_and_say_why(self, client, desk: Desk):
        DispatchRule.objects.create(category="城乡建设", keywords="道路破损、路灯", department=desk.lead_dept)
        html = assist(client, desk.operator, title="小区门口道路破损", body="雨天积水，请尽快修复。")
        assert "派单目录关键词规则" in html and "尚未启用研判模型" in html
        assert "城乡建设" in html and desk.lead_dept.name in html
        assert "规则匹配：关键词“道路破损”" in html

    def test_model_suggestion_with_probability_reason_and_the_categorys_department(
        self, client, desk: Desk, model
    ):
        Category.objects.filter(name=ENVIRONMENT, parent=None).update(department=desk.other_dept)
        html = assist(client, desk.operator, title=NEW_ENVIRONMENT[0], body=NEW_ENVIRONMENT[1])
        assert f"研判模型 v{model.number}" in html
        first_row = html.split('<tr data-category="')[1]
        assert first_row.startswith(ENVIRONMENT)
        assert desk.other_dept.name in first_row and "%" in first_row
        reasons = (
            triage_services.suggest(title=NEW_ENVIRONMENT[0], body=NEW_ENVIRONMENT[1]).suggestions[0].reasons
        )
        assert reasons and f"“{reasons[0]}”" in first_row

    def test_nothing_typed_yet_is_not_an_error(self, client, desk: Desk):
        html = assist(client, desk.operator)
        assert "填写标题和诉求内容后" in html and "没有发现内容相近的在办诉求" in html

    def test_text_the_model_cannot_judge_says_why(self, client, desk: Desk):
        html = assist(client, desk.operator, title="street light broken", body="please fix it")
        assert "请使用中文描述诉求" in html

    def test_the_intake_page_carries_the_box(self, client, desk: Desk):
        client.force_login(desk.operator)
        html = client.get(reverse("appeals:intake")).content.decode()
        assert 'id="intake-assist"' in html and "研判建议" in html and ASSIST in html

    def test_only_those_who_register_appeals(self, client, desk: Desk):
        client.force_login(desk.lead_handler)
        assert client.get(ASSIST, {"title": "路灯不亮"}).status_code == 403


class TestLearningFromTriage:
    def test_the_triage_form_lists_the_suggested_group_first(self, client, desk: Desk, model):
        appeal = desk.register(title=NEW_ENVIRONMENT[0], body=NEW_ENVIRONMENT[1], address="")
        client.force_login(desk.dispatcher)
        html = client.get(reverse("appeals:detail", args=[appeal.pk])).content.decode()
        assert 'id="triage-suggestion"' in html
        triage_form = html.split('data-action="triage"')[1].split("</form>")[0]
        first_group = triage_form.split("<optgroup label=")[1]
        assert first_group.startswith(f'"{ENVIRONMENT}（建议）"')
        assert f'name="suggested" value="{ENVIRONMENT}"' in triage_form

    def test_a_correction_becomes_a_training_example(
        self, client, desk: Desk, django_capture_on_commit_callbacks
    ):
        appeal = desk.register()
        client.force_login(desk.dispatcher)
        with django_capture_on_commit_callbacks(execute=True):  # learnt once the triage commits
            response = client.post(
                reverse("appeals:act", args=[appeal.pk, "triage"]),
                {
                    "version": appeal.version,
                    "category": desk.category.pk,
                    "handling_mode": "dispatch",
                    "suggested": ENVIRONMENT,
                },
            )
        assert response.status_code in (200, 302)
        assert refresh(appeal).state == S.TRIAGED
        example = TrainingExample.objects.get()
        assert (example.label, example.suggested, example.appeal_id) == ("城乡建设", ENVIRONMENT, appeal.pk)
        assert example.is_correction and example.title == appeal.title

    def test_a_triage_without_a_suggestion_is_an_example_too(
        self, desk: Desk, django_capture_on_commit_callbacks
    ):
        appeal = desk.register()
        with django_capture_on_commit_callbacks(execute=True):
            services.triage(
                appeal=appeal, category=desk.category, handling_mode="dispatch", by=desk.dispatcher
            )
        example = TrainingExample.objects.get()
        assert (example.label, example.suggested, example.appeal_id) == ("城乡建设", "", appeal.pk)
        assert not example.is_correction

    def test_a_refused_triage_keeps_no_example(self, desk: Desk, django_capture_on_commit_callbacks):
        appeal = desk.register()
        desk.category.is_active = False
        desk.category.save()
        with (
            django_capture_on_commit_callbacks(execute=True) as announced,
            pytest.raises(Exception, match="该分类已停用"),
        ):
            services.triage(
                appeal=appeal,
                category=desk.category,
                handling_mode="dispatch",
                by=desk.dispatcher,
                suggested="城乡建设",
            )
        assert announced == []  # a refused triage announces nothing
        assert not TrainingExample.objects.exists()


ROAD = {
    "title": "A3区幸福小区门口道路破损",
    "body": "A3区幸福小区南门口的道路破损严重，坑洼很多，雨天积水，老人孩子出行很不方便，请尽快修复。",
    "address": "A3区幸福小区南门",
}


class TestRepeatProposals:
    def test_intake_proposes_an_open_appeal_about_the_same_matter(self, client, desk: Desk):
        original = desk.register(**ROAD, contact_phone="13800000009")
        desk.register(
            title="A3区公园噪音扰民", body="A3区中心公园每晚广场舞音响声音很大，影响休息。", address=""
        )
        html = assist(
            client,
            desk.operator,
            title="幸福小区门口路面坑洼",
            body="A3区幸福小区南门口道路破损严重，坑很多，下雨积水，出行不便，希望尽快修复。",
        )
        assert original.number in html and "公园噪音" not in html
        assert "登记后可在工单页并单" in html

    def test_the_same_words_in_another_district_are_another_matter(self, client, desk: Desk):
        desk.register(**ROAD)
        html = assist(
            client,
            desk.operator,
            title=ROAD["title"].replace("A3", "A5"),
            body=ROAD["body"].replace("A3", "A5"),
        )
        assert "没有发现内容相近的在办诉求" in html

    def test_closed_appeals_are_not_proposed(self, client, desk: Desk):
        original = desk.register(**ROAD, appeal_type="consultation")
        services.answer_directly(appeal=original, answer="已转交住建部门。", by=desk.operator)
        html = assist(client, desk.operator, title=ROAD["title"], body=ROAD["body"])
        assert original.number not in html

    def test_the_detail_page_proposes_the_earlier_appeal_and_merges_into_it(self, client, desk: Desk):
        original = desk.register(**ROAD, contact_phone="13800000009")
        repeat = desk.register(**ROAD, contact_phone="13900000002")
        client.force_login(desk.operator)
        html = client.get(reverse("appeals:detail", args=[repeat.pk])).content.decode()
        proposals = html.split('id="text-repeats"')[1].split("</table>")[0]
        assert original.number in proposals and "并入此单" in proposals
        # The original is not offered a merge into the later repeat.
        html = client.get(reverse("appeals:detail", args=[original.pk])).content.decode()
        assert repeat.number not in html.split('id="text-repeats"')[1].split("</div>")[0]

        response = client.post(
            reverse("appeals:act", args=[repeat.pk, "merge"]),
            {"version": repeat.version, "into": original.number},
        )
        assert response.status_code in (200, 302)
        repeat = refresh(repeat)
        assert repeat.state == S.MERGED and repeat.merged_into_id == original.pk
        assert list(original.repeats.all()) == [repeat]


def test_the_api_triage_keeps_the_choice_against_the_suggestion(
    desk: Desk, django_capture_on_commit_callbacks
):
    from rest_framework.test import APIClient

    appeal = desk.register()
    api = APIClient()
    api.force_authenticate(desk.dispatcher)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/appeals/{appeal.pk}/triage",
            {
                "version": appeal.version,
                "category": desk.category.pk,
                "handling_mode": "dispatch",
                "suggested": "城乡建设",
            },
            format="json",
        )
    assert response.status_code == 200, response.json()
    example = TrainingExample.objects.get()
    assert example.label == "城乡建设" and not example.is_correction and example.appeal_id == appeal.pk


class TestQueueSuggestions:
    QUEUE = reverse("appeals:dispatch_queue")

    def test_the_queue_shows_the_rules_suggestion_beside_each_appeal(self, client, desk: Desk):
        DispatchRule.objects.create(category="城乡建设", keywords="道路破损", department=desk.lead_dept)
        road = desk.register()
        other = desk.register(title="咨询", body="请问办事大厅周末开门吗？", contact_phone="13800000002")
        client.force_login(desk.dispatcher)
        with CaptureQueriesContext(connection) as two:
            html = client.get(self.QUEUE).content.decode()
        for i in range(3):
            desk.register(contact_phone=f"1380000001{i}")
        with CaptureQueriesContext(connection) as five:
            client.get(self.QUEUE)
        assert len(five) == len(two), "the suggestions cost the same queries for any number of rows"
        assert "<th>研判建议</th>" in html
        rows = {n: html.split(n)[1].split("</tr>")[0] for n in (road.number, other.number)}
        assert '<td class="small suggestion">城乡建设</td>' in rows[road.number]
        assert '<td class="small suggestion"><span class="muted">—</span></td>' in rows[other.number]

    def test_with_a_model_the_queue_shows_category_and_probability(self, client, desk: Desk, model):
        appeal = desk.register(title=NEW_ENVIRONMENT[0], body=NEW_ENVIRONMENT[1])
        client.force_login(desk.dispatcher)
        row = client.get(self.QUEUE).content.decode().split(appeal.number)[1].split("</tr>")[0]
        best = triage_services.suggest(title=NEW_ENVIRONMENT[0], body=NEW_ENVIRONMENT[1]).suggestions[0]
        assert (
            f'<td class="small suggestion">{ENVIRONMENT} <span class="muted">{round(best.probability * 100)}%</span>'
            in row
        )

    def test_other_tabs_and_those_without_triage_rights_see_no_column(self, client, desk: Desk):
        desk.reach(S.TRIAGED)
        client.force_login(desk.dispatcher)
        assert "研判建议" not in client.get(self.QUEUE, {"tab": "triaged"}).content.decode()
        desk.register()
        client.force_login(desk.operator)
        response = client.get(self.QUEUE)
        assert response.status_code != 200 or "研判建议" not in response.content.decode()
