"""知识库: the bigram index, search that works for Chinese, validity and visibility, the public
page, the operator suggestion fragment, the admin hook and the demo entries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.admin.sites import AdminSite
from django.urls import reverse

from zhengwu.appeals import knowledge
from zhengwu.appeals.knowledge import index_text, load_demo_knowledge, save_entry, search, tokens
from zhengwu.appeals.knowledge_admin import KnowledgeEntryAdmin
from zhengwu.appeals.models import KnowledgeEntry
from zhengwu.core.errors import InvalidInput

from ..factories import UserFactory

TODAY = date(2026, 11, 22)


def entry(question: str, answer: str = "请到政务服务大厅办理。", **kwargs) -> KnowledgeEntry:
    return save_entry(KnowledgeEntry(question=question, answer=answer, **kwargs))


def questions(hits) -> list[str]:
    return [h.entry.question for h in hits]


class TestTokens:
    def test_chinese_becomes_bigrams_latin_words_stay_whole(self):
        assert tokens("社保卡补办") == ["社保", "保卡", "卡补", "补办"]
        assert tokens("拨打 12345 热线") == ["拨打", "12345", "热线"]
        assert tokens("ＡＰＰ下载") == ["app", "下载"]  # full-width letters normalised
        assert tokens("卡") == ["卡"]
        assert tokens("社保、社保") == ["社保"]

    def test_save_entry_builds_the_index_from_question_keywords_and_answer(self, db):
        e = entry("社保卡丢了怎么办？", "先挂失再补办。", keywords="挂失 补卡")
        assert e.search_text == index_text("社保卡丢了怎么办？", "挂失 补卡", "先挂失再补办。")
        assert {"社保", "挂失", "补卡", "补办"} <= set(e.search_text.split())

    def test_save_entry_refuses_what_cannot_be_an_entry(self, db):
        with pytest.raises(InvalidInput, match="请填写问题"):
            entry("  ")
        with pytest.raises(InvalidInput, match="请填写答复"):
            entry("问题", "")
        with pytest.raises(InvalidInput, match="失效日期不能早于生效日期"):
            entry("问题", valid_from=TODAY, valid_until=TODAY - timedelta(days=1))
        assert not KnowledgeEntry.objects.exists()


class TestSearch:
    @pytest.fixture
    def entries(self, db):
        return {
            "card": entry("社会保障卡丢了怎么补办？", "先挂失，再到网点补卡。", keywords="社保卡 挂失 补办"),
            "fund": entry(
                "住房公积金怎么提取？", "租房、购房、退休等情形可以提取公积金。", keywords="公积金 提取"
            ),
            "permit": entry("外地人怎么办居住证？", "到居住地派出所申领居住证。", keywords="居住证"),
            "licence": entry("营业执照丢了怎么办？", "发布遗失声明后申请补领。", keywords="营业执照 补领"),
            "expired": entry(
                "2025年公积金提取新政",
                "旧政策。",
                keywords="公积金 提取",
                valid_until=TODAY - timedelta(days=1),
            ),
            "future": entry(
                "2027年公积金提取", "尚未生效。", keywords="公积金 提取", valid_from=TODAY + timedelta(days=1)
            ),
            "internal": entry(
                "公积金提取内部口径", "内部答复口径。", keywords="公积金 提取", is_public=False
            ),
        }

    def test_chinese_questions_find_chinese_answers(self, entries):
        assert questions(search("社保卡丢了", public_only=True, today=TODAY))[0] == "社会保障卡丢了怎么补办？"
        assert questions(search("公积金怎么取", public_only=True, today=TODAY)) == ["住房公积金怎么提取？"]
        assert questions(search("居住证", public_only=True, today=TODAY)) == ["外地人怎么办居住证？"]

    def test_expired_future_and_internal_entries_are_skipped_for_the_public(self, entries):
        found = questions(search("公积金提取", public_only=True, today=TODAY))
        assert found == ["住房公积金怎么提取？"]

    def test_staff_also_see_internal_entries_but_never_expired_ones(self, entries):
        found = questions(search("公积金提取", public_only=False, today=TODAY))
        assert set(found) == {"住房公积金怎么提取？", "公积金提取内部口径"}
        assert "2025年公积金提取新政" not in found
        # On its last day an entry is still valid.
        last_day = questions(search("公积金提取", public_only=False, today=TODAY - timedelta(days=1)))
        assert "2025年公积金提取新政" in last_day

    def test_a_match_in_the_question_ranks_above_one_in_the_answer(self, db):
        entry("如何开具无犯罪记录证明？", "可以在派出所开具，也可以网上申请营业执照相关证明。")
        entry("营业执照如何办理？", "到市场监管窗口办理。")
        assert questions(search("营业执照", public_only=True, today=TODAY))[0] == "营业执照如何办理？"

    def test_nothing_for_empty_stop_word_only_or_unrelated_queries(self, entries):
        assert search("", public_only=True, today=TODAY) == []
        assert search("？？！", public_only=True, today=TODAY) == []
        assert search("航天飞机发射", public_only=True, today=TODAY) == []
        # Only "怎么" and "办理" in common with everything: no false hits.
        assert search("怎么办理", public_only=True, today=TODAY) == []

    def test_one_query_whatever_the_number_of_entries(self, entries, django_assert_num_queries):
        with django_assert_num_queries(1):
            search("社保卡补办和公积金提取", public_only=True, today=TODAY)


class TestPages:
    @pytest.fixture
    def demo(self, db):
        load_demo_knowledge()

    def test_the_public_page_lists_and_searches(self, client, demo):
        listing = client.get(reverse("appeals_public:knowledge")).content.decode()
        assert "常见问题" in listing and "社会保障卡丢了怎么补办？" in listing
        assert "咨询类来电直接答复办结的口径" not in listing  # internal
        found = client.get(reverse("appeals_public:knowledge"), {"q": "公积金提取"}).content.decode()
        assert "住房公积金怎么提取？" in found and "居住证" not in found.split("搜索结果")[1]

    def test_htmx_gets_only_the_results(self, client, demo):
        response = client.get(
            reverse("appeals_public:knowledge"), {"q": "居住证"}, headers={"HX-Request": "true"}
        )
        text = response.content.decode()
        assert "<html" not in text and "外地人在示范市怎么办居住证？" in text

    def test_the_suggestion_fragment_carries_the_answer_on_a_button(self, client, demo):
        url = reverse("appeals_public:knowledge_suggest")
        response = client.get(url, {"q": "我的社保卡丢了，怎么补办"}, headers={"HX-Request": "true"})
        text = response.content.decode()
        assert response.status_code == 200 and "<html" not in text
        assert "社会保障卡丢了怎么补办？" in text
        assert 'class="btn secondary kb-use"' in text and 'data-answer="先挂失' in text

    def test_operators_see_internal_entries_the_public_does_not(self, client, demo):
        url = reverse("appeals_public:knowledge_suggest")
        query = {"q": "咨询来电直接答复口径"}
        assert "内部口径" not in client.get(url, query, headers={"HX-Request": "true"}).content.decode()
        client.force_login(UserFactory(roles=["operator"]))
        assert "内部口径" in client.get(url, query, headers={"HX-Request": "true"}).content.decode()

    def test_without_htmx_the_suggestion_link_opens_the_full_page(self, client, demo):
        response = client.get(reverse("appeals_public:knowledge_suggest"), {"q": "居住证"})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("appeals_public:knowledge") + "?q=")

    def test_an_empty_suggestion_query_returns_an_empty_fragment(self, client, demo):
        response = client.get(reverse("appeals_public:knowledge_suggest"), headers={"HX-Request": "true"})
        assert response.status_code == 200 and "kb-suggestion" not in response.content.decode()


class TestAdminAndDemo:
    def test_the_admin_saves_through_save_entry(self, db, rf):
        admin = KnowledgeEntryAdmin(KnowledgeEntry, AdminSite())
        obj = KnowledgeEntry(question="居住证怎么签注？", answer="每年签注一次。")
        admin.save_model(rf.post("/"), obj, form=None, change=False)
        assert "签注" in KnowledgeEntry.objects.get().search_text.split()

    def test_demo_entries_load_once_and_link_catalogue_items(self, db, demo_city):
        # the demo city loads the knowledge base
        assert KnowledgeEntry.objects.count() == len(knowledge.DEMO_ENTRIES) >= 20
        assert load_demo_knowledge() == 0
        card = KnowledgeEntry.objects.get(question="社会保障卡丢了怎么补办？")
        assert [i.name for i in card.items.all()] == ["社会保障卡申领"]
        assert card.departments.get().name == "示范市人力资源和社会保障局"
        assert all(e.search_text for e in KnowledgeEntry.objects.all())
