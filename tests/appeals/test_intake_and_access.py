from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from zhengwu.appeals import services
from zhengwu.appeals.models import Appeal, Assignment, Urge
from zhengwu.appeals.selectors import appeal_for, appeals_visible_to, light
from zhengwu.appeals.workflow import AppealState as S
from zhengwu.casework.actors import Actor
from zhengwu.core.errors import Conflict, DomainError, InvalidInput, NotAllowed

from ..factories import UserFactory

CHANNEL = Actor.system("接口客户端“测试渠道”登记")  # a channel system registers as the system


class TestIntake:
    def test_numbers_run_per_day_and_the_query_code_checks(self, desk):
        first = desk.register()
        appeal, code = services.register_appeal(
            channel="web",
            appeal_type="suggestion",
            title="建议增设公交站",
            body="建议在幸福小区门口增设公交站。",
            contact_phone="13800000002",
            by=CHANNEL,
        )
        today = timezone.localtime().strftime("%Y%m%d")
        assert first.number == f"12345-{today}-000001"
        assert appeal.number == f"ZW-{today}-000002"
        assert len(code) == 8 and services.query_code_matches(appeal, code)
        assert not services.query_code_matches(appeal, "00000000")
        assert code not in appeal.query_code_hash

    def test_a_retry_with_the_same_key_returns_the_same_appeal(self, desk):
        a, code = services.register_appeal(
            channel="mobile",
            appeal_type="help",
            title="路灯不亮",
            body="幸福路路灯不亮。",
            contact_phone="13800000003",
            idempotency_key="app-req-1",
            by=CHANNEL,
        )
        b, again = services.register_appeal(
            channel="mobile",
            appeal_type="help",
            title="路灯不亮",
            body="幸福路路灯不亮。",
            contact_phone="13800000003",
            idempotency_key="app-req-1",
            by=CHANNEL,
        )
        assert a.pk == b.pk and code and again is None
        assert Appeal.objects.count() == 1

    def test_the_same_key_with_other_words_is_refused(self, desk):
        values = {"channel": "mobile", "appeal_type": "help", "contact_phone": "13800000003", "by": CHANNEL}
        services.register_appeal(**values, title="路灯不亮", body="幸福路路灯不亮。", idempotency_key="k-7")
        with pytest.raises(Conflict, match="已用于另一件内容不同的诉求") as refused:
            services.register_appeal(
                **values, title="井盖缺失", body="民主路井盖缺失。", idempotency_key="k-7"
            )
        assert refused.value.status == 409 and refused.value.field == "idempotency_key"
        assert list(Appeal.objects.values_list("title", flat=True)) == ["路灯不亮"]

    def test_the_api_answers_409_for_a_reused_key(self, desk):
        from rest_framework.test import APIClient

        api = APIClient()
        api.force_authenticate(desk.operator)
        payload = {"channel": "hotline", "appeal_type": "help", "contact_phone": "13800000003"}
        first = api.post(
            "/api/appeals/",
            {**payload, "title": "路灯不亮", "body": "幸福路路灯不亮。"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="call-1",
        )
        assert first.status_code == 201, first.json()
        again = api.post(
            "/api/appeals/",
            {**payload, "title": "路灯不亮", "body": "幸福路路灯不亮。"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="call-1",
        )
        assert again.status_code == 200 and again.json()["number"] == first.json()["number"]
        other = api.post(
            "/api/appeals/",
            {**payload, "title": "井盖缺失", "body": "民主路井盖缺失。"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="call-1",
        )
        assert other.status_code == 409 and "已用于另一件内容不同的诉求" in other.json()["detail"]
        assert Appeal.objects.count() == 1

    @pytest.mark.parametrize(
        ("changes", "field", "message"),
        [
            ({"title": "  "}, "title", "请填写标题"),
            ({"title": "长" * 101}, "title", "标题不能超过100个字，当前101个字"),
            ({"body": ""}, "body", "请填写诉求内容"),
            ({"contact_phone": "12345abc"}, "contact_phone", "联系电话格式不正确"),
            ({"contact_phone": ""}, "contact_phone", "请填写联系电话"),
            ({"channel": "fax"}, "channel", "渠道不正确"),
            ({"appeal_type": "other"}, "appeal_type", "诉求类型不正确"),
            ({"anonymous": True}, "anonymous", "只有举报可以匿名"),
        ],
    )
    def test_bad_input_names_the_field_and_saves_nothing(self, desk, changes, field, message):
        with pytest.raises(DomainError) as info:
            desk.register(**changes)
        assert info.value.field == field and message in info.value.message
        assert not Appeal.objects.exists()

    def test_anonymous_report_hides_the_reporter(self, desk):
        appeal = desk.register(appeal_type="report", anonymous=True, contact_name="李四", contact_phone="")
        assert appeal.anonymous and appeal.confidential and appeal.contact_name == ""


class TestRolesAndDepartments:
    def test_a_department_acts_only_on_its_own_assignment(self, desk):
        appeal = desk.reach(S.DISPATCHED)
        with pytest.raises(NotAllowed) as info:
            services.sign(assignment=desk.lead(appeal), by=desk.other_handler)
        assert info.value.status == 403 and "本部门" in info.value.message

    def test_a_handler_cannot_dispatch(self, desk):
        appeal = desk.reach(S.TRIAGED)
        with pytest.raises(NotAllowed, match="您的角色不能派单"):
            services.dispatch(appeal=appeal, lead=desk.lead_dept, by=desk.lead_handler)

    def test_a_department_sees_only_appeals_it_was_given(self, desk):
        mine = desk.reach(S.DISPATCHED)
        desk.register(title="别人的诉求")
        assert list(appeals_visible_to(desk.co_handler)) == [mine]
        assert appeals_visible_to(desk.dispatcher).count() == 2
        with pytest.raises(Exception, match="没有找到该诉求"):
            appeal_for(desk.other_handler, mine.pk)

    def test_a_citizen_sees_only_their_own(self, desk):
        citizen = UserFactory(is_staff=False, department=None)
        own, _ = services.register_appeal(
            channel="web",
            appeal_type="help",
            title="我的诉求",
            body="内容",
            contact_phone="13800000009",
            by=citizen,
        )
        desk.register()
        assert list(appeals_visible_to(citizen)) == [own]

    def test_an_extension_must_go_beyond_the_current_limit(self, desk):
        appeal = desk.reach(S.IN_PROGRESS)
        lead = desk.lead(appeal)
        with pytest.raises(DomainError, match="须晚于当前期限"):
            services.request_extension(
                assignment=lead,
                reason="需要协调",
                until=lead.handle_due_at - timedelta(hours=1),
                by=desk.lead_handler,
            )

    def test_return_needs_a_reason(self, desk):
        appeal = desk.reach(S.DISPATCHED)
        with pytest.raises(InvalidInput, match="请填写退单理由"):
            services.return_assignment(assignment=desk.lead(appeal), reason=" ", by=desk.lead_handler)


class TestSupervision:
    def test_lights(self, desk):
        start = timezone.now()
        assert light(start, start + timedelta(days=30), start) == "green"
        # Yellow needs both most of the limit used and at most a working day left.
        assert light(start, start + timedelta(days=30), start + timedelta(days=25)) == "green"
        assert light(start, start + timedelta(days=30), start + timedelta(days=29, hours=12)) == "yellow"
        assert light(start, start + timedelta(days=30), start + timedelta(days=31)) == "red"
        assert light(start, start + timedelta(days=30), start + timedelta(days=40), done_at=start) == "green"

    def test_a_limit_in_a_year_not_entered_yet_is_far_away_not_an_error(self, desk):
        """Late in December limits run into a year whose holidays are not entered yet: the lights
        and the urging job must keep working for everything else."""
        start = datetime(2026, 6, 10, 2, tzinfo=UTC)  # Wednesday 10:00 in Shanghai: urging runs
        next_year = datetime(2027, 3, 1, 9, tzinfo=UTC)
        assert light(start, next_year, start) == "green"
        appeal = desk.reach(S.IN_PROGRESS)
        Assignment.objects.filter(appeal=appeal, role="lead").update(handle_due_at=next_year)
        overdue_co = desk.co(appeal)
        Assignment.objects.filter(pk=overdue_co.pk).update(sign_due_at=start - timedelta(hours=1))
        assert services.run_urging(start) >= 1  # the overdue share is still urged
        assert not Urge.objects.filter(assignment=desk.lead(appeal)).exists()

    def test_urging_runs_twice_and_sends_once(self, desk):
        appeal = desk.reach(S.IN_PROGRESS)
        overdue = timezone.now() + timedelta(days=61)  # a Monday in working hours
        first = services.run_urging(overdue)
        assert first >= 1
        assert services.run_urging(overdue) == 0
        assert Urge.objects.filter(assignment=desk.lead(appeal), threshold="handle-red").count() == 1
