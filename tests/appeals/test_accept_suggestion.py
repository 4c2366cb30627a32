"""The triage assist a dispatcher can use: the suggestion down to a second level with the reason,
the lead department from the 派单目录 preselected, 采纳 applying both in one click, and a
department picker grouped by region."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from zhengwu.appeals import services
from zhengwu.appeals.models import Category
from zhengwu.appeals.workflow import AppealState as S
from zhengwu.org.models import Department, Region
from zhengwu.triage.models import DispatchRule, TrainingExample

from .conftest import Desk, refresh

pytestmark = pytest.mark.django_db

HOUSE = {
    "title": "新房工程质量问题严重",
    "body": "我家新买的房子墙体开裂、渗水，工程质量很差，开发商不管，电梯也经常停运。",
    "address": "东城区幸福小区",
}


@pytest.fixture
def rule(desk: Desk) -> DispatchRule:
    """The 派单目录: 城乡建设 by keyword, to the lead department of the desk."""
    return DispatchRule.objects.create(
        category="城乡建设", keywords="电梯、工程质量", department=desk.lead_dept
    )


def detail(client, user, appeal) -> str:
    client.force_login(user)
    response = client.get(reverse("appeals:detail", args=[appeal.pk]))
    assert response.status_code == 200
    return response.content.decode()


def form_html(html: str, action: str) -> str:
    return html.split(f'data-action="{action}"')[1].split("</form>")[0]


def selected(form: str, name: str) -> str | None:
    """The value of the selected option of <select name=...> in ``form``."""
    select = re.search(rf'<select name="{name}".*?</select>', form, re.S)
    assert select, name
    found = re.search(r'<option value="(\d+)" selected>', select.group(0))
    return found.group(1) if found else None


class TestSuggestionBox:
    def test_the_suggestion_names_a_second_level_its_reason_and_the_department(
        self, client, desk: Desk, rule
    ):
        appeal = desk.register(**HOUSE)
        html = detail(client, desk.dispatcher, appeal)
        box = html.split('id="triage-suggestion"')[1].split("</table>")[0]
        assert "城乡建设</b> / 工程质量" in box and "内容提到“工程质量”" in box
        assert desk.lead_dept.name in box and "规则匹配：关键词“工程质量”" in box
        second = Category.objects.get(parent__name="城乡建设", name="工程质量")
        accept = form_html(html, "accept")
        assert f'name="category" value="{second.pk}"' in accept
        assert f'name="lead" value="{desk.lead_dept.pk}"' in accept
        assert ">采纳</button>" in accept
        # The manual triage form starts from the same second level.
        assert selected(form_html(html, "triage"), "category") == str(second.pk)

    def test_without_any_other_clue_the_second_level_is_the_most_chosen_one(self, client, desk: Desk, rule):
        earlier = desk.reach(S.TRIAGED)  # triaged to 城乡建设 / 城市建设和市政管理
        assert earlier.category == desk.category
        appeal = desk.register(title="小区电梯停运", body="小区电梯停运三天，老人上下楼困难。")
        box = detail(client, desk.dispatcher, appeal).split('id="triage-suggestion"')[1]
        assert f"城乡建设</b> / {desk.category.name}" in box and "以往同类诉求多归此类" in box

    def test_an_operator_who_cannot_dispatch_gets_no_accept_button(self, client, desk: Desk, rule):
        appeal = desk.register(**HOUSE)
        html = detail(client, desk.operator, appeal)
        assert 'data-action="accept"' not in html


class TestAccept:
    def test_one_click_applies_category_and_lead_department(
        self, client, desk: Desk, rule, django_capture_on_commit_callbacks
    ):
        appeal = desk.register(**HOUSE)
        html = detail(client, desk.dispatcher, appeal)
        accept = form_html(html, "accept")
        data = dict(re.findall(r'name="(version|category|lead|suggested)" value="([^"]*)"', accept))
        with django_capture_on_commit_callbacks(execute=True):  # the example is learnt after commit
            response = client.post(reverse("appeals:act", args=[appeal.pk, "accept"]), data)
        assert response.status_code == 302
        appeal = refresh(appeal)
        assert appeal.state == S.DISPATCHED
        assert (appeal.category.parent.name, appeal.category.name) == ("城乡建设", "工程质量")
        lead = desk.lead(appeal)
        assert lead.department == desk.lead_dept and lead.state == "pending"
        example = TrainingExample.objects.get(appeal_id=appeal.pk)
        assert (example.label, example.suggested, example.is_correction) == ("城乡建设", "城乡建设", False)
        page = client.get(reverse("appeals:detail", args=[appeal.pk])).content.decode()
        assert "已采纳建议" in page and f"派至{desk.lead_dept.name}主办" in page

    def test_a_stale_page_changes_nothing(self, client, desk: Desk, rule):
        appeal = desk.register(**HOUSE)
        second = Category.objects.get(parent__name="城乡建设", name="工程质量")
        client.force_login(desk.dispatcher)
        response = client.post(
            reverse("appeals:act", args=[appeal.pk, "accept"]),
            {"version": appeal.version + 5, "category": second.pk, "lead": desk.lead_dept.pk},
        )
        assert response.status_code == 409
        assert "已被他人修改" in response.content.decode()
        appeal = refresh(appeal)
        assert appeal.state == S.REGISTERED and appeal.category is None
        assert not appeal.assignments.exists()

    def test_an_inactive_department_is_refused_by_name(self, client, desk: Desk, rule):
        appeal = desk.register(**HOUSE)
        second = Category.objects.get(parent__name="城乡建设", name="工程质量")
        Department.objects.filter(pk=desk.lead_dept.pk).update(is_active=False)
        client.force_login(desk.dispatcher)
        response = client.post(
            reverse("appeals:act", args=[appeal.pk, "accept"]),
            {"version": appeal.version, "category": second.pk, "lead": desk.lead_dept.pk},
        )
        assert response.status_code == 400
        assert "建议的主办单位已停用或不存在，请手工派单" in response.content.decode()
        assert refresh(appeal).state == S.REGISTERED


class TestDispatchForm:
    def test_the_lead_is_preselected_from_the_categorys_department(self, client, desk: Desk):
        Category.objects.filter(name="城乡建设", parent=None).update(department=desk.other_dept)
        appeal = desk.reach(S.TRIAGED)
        form = form_html(detail(client, desk.dispatcher, appeal), "dispatch")
        assert selected(form, "lead") == str(desk.other_dept.pk)

    def test_without_a_category_department_the_rules_department_is_preselected(
        self, client, desk: Desk, rule
    ):
        appeal = desk.register(**HOUSE)  # 城乡建设 has no department here; the rule names one
        services.triage(appeal=appeal, category=desk.category, handling_mode="dispatch", by=desk.dispatcher)
        form = form_html(detail(client, desk.dispatcher, appeal), "dispatch")
        assert selected(form, "lead") == str(desk.lead_dept.pk)

    def test_departments_are_grouped_by_region_and_searchable(self, client, desk: Desk):
        county = Region.objects.create(code="410202", name="东城区", level=4, parent=desk.lead_dept.region)
        county_dept = Department.objects.create(
            name="东城区住房和城乡建设局", region=county, uscc="11410202000000101X"
        )
        appeal = desk.reach(S.TRIAGED)
        html = detail(client, desk.dispatcher, appeal)
        form = form_html(html, "dispatch")
        lead = re.search(r'<select name="lead".*?</select>', form, re.S).group(0)
        assert 'data-picker="department"' in lead
        groups = re.findall(r'<optgroup label="([^"]+)">', lead)
        assert groups[-1] == "东城区（县级）" and len(groups) == 2
        assert lead.index(county_dept.name) > lead.index('<optgroup label="东城区（县级）">')
        assert "appeals/picker.js" in html


class TestRepeatThreshold:
    """并单 proposals: the address is compared as a place, not counted as shared words."""

    FUMES = {
        "title": "东城区某餐馆油烟扰民",
        "body": "楼下餐馆没有安装油烟净化设备，油烟直排到居民窗口，夏天根本不敢开窗。",
        "address": "东城区城关街道",
    }

    def proposals(self, client, desk: Desk, **text) -> str:
        client.force_login(desk.operator)
        response = client.get(reverse("appeals:intake_assist"), text)
        assert response.status_code == 200
        return response.content.decode().split('id="text-repeats"')[1]

    def test_a_lift_complaint_at_the_same_address_is_not_proposed(self, client, desk: Desk):
        fumes = desk.register(**self.FUMES)
        desk.register(title="咨询养老保险缴费年限", body="外地缴纳的养老保险年限能否合并计算？", address="")
        html = self.proposals(
            client,
            desk,
            title="电梯经常坏",
            body="楼里的电梯经常坏，居民上下楼很不方便",
            address="东城区城关街道",
        )
        assert fumes.number not in html and "没有发现内容相近的在办诉求" in html

    def test_the_same_matter_in_other_words_is_proposed(self, client, desk: Desk):
        fumes = desk.register(**self.FUMES)
        desk.register(title="咨询养老保险缴费年限", body="外地缴纳的养老保险年限能否合并计算？", address="")
        html = self.proposals(
            client,
            desk,
            title="餐馆油烟直排扰民",
            body="楼下餐馆油烟直排到居民窗口，没有油烟净化设备，家里不敢开窗。",
            address="东城区城关街道",
        )
        assert fumes.number in html


def test_a_keyword_of_the_classification_names_the_second_level(client, desk: Desk):
    """The seeded keywords (third level) point to a second level: 物业服务 → 住房保障与房地产."""
    DispatchRule.objects.create(category="城乡建设", keywords="物业", department=desk.lead_dept)
    appeal = desk.register(title="物业不作为", body="小区物业服务很差，垃圾没人清理，业主多次反映无果。")
    box = detail(client, desk.dispatcher, appeal).split('id="triage-suggestion"')[1]
    assert "城乡建设</b> / 住房保障与房地产" in box and "内容提到“物业服务”" in box
