"""The whole path of the issue, through the services: register → triage → dispatch (lead + co) →
co returns → re-dispatched → lead signs → extension approved → reply → callback not solved →
reopened → reply → callback satisfied → closed."""

import pytest
from django.core.management import CommandError, call_command

from zhengwu.appeals import services
from zhengwu.appeals.events import verify_chain
from zhengwu.appeals.models import Extension, HandlingMode
from zhengwu.appeals.workflow import AppealState as S

from .conftest import later, refresh


def test_the_whole_path(desk):
    appeal = desk.register()
    assert appeal.state == S.REGISTERED
    assert appeal.number.startswith("12345-") and len(appeal.number) == len("12345-20261122-000001")

    services.triage(
        appeal=appeal, category=desk.category, handling_mode=HandlingMode.DISPATCH, by=desk.dispatcher
    )
    appeal = services.dispatch(
        appeal=refresh(appeal), lead=desk.lead_dept, co_handlers=[desk.co_dept], by=desk.dispatcher
    )
    assert appeal.state == S.DISPATCHED
    first_due = appeal.due_at
    assert first_due == desk.lead(appeal).handle_due_at

    # The co-handler returns its share; the dispatcher sends it to another department.
    services.return_assignment(assignment=desk.co(appeal), reason="道路积水归水利部门", by=desk.co_handler)
    assert refresh(appeal).state == S.DISPATCHED  # a co-handler's return does not stop the lead
    fresh = services.redispatch(assignment=desk.co(appeal), to=desk.other_dept, by=desk.dispatcher)
    assert fresh.department == desk.other_dept and fresh.state == "pending"

    services.sign(assignment=desk.lead(appeal), by=desk.lead_handler)
    services.sign(assignment=fresh, by=desk.other_handler)
    assert refresh(appeal).state == S.IN_PROGRESS

    # Extension: the deadline moves only on approval, and both the request and the old limit stay.
    ext = services.request_extension(
        assignment=desk.lead(appeal), reason="需协调施工单位", until=later(30), by=desk.lead_handler
    )
    assert refresh(appeal).due_at == first_due
    services.decide_extension(extension=ext, approve=True, by=desk.dispatcher)
    ext.refresh_from_db()
    assert ext.state == Extension.State.APPROVED and ext.previous_due_at == first_due
    assert refresh(appeal).due_at == ext.requested_due_at

    services.submit_contribution(assignment=fresh, text="已疏通排水口。", by=desk.other_handler)
    services.submit_reply(appeal=refresh(appeal), text="已修复路面并疏通排水。", by=desk.lead_handler)
    services.approve_reply(appeal=refresh(appeal), by=desk.dispatcher)
    assert refresh(appeal).state == S.REPLIED

    services.record_callback(
        appeal=refresh(appeal), reached=True, solved="not_solved", satisfaction=4, by=desk.callback
    )
    appeal = refresh(appeal)
    assert appeal.state == S.IN_PROGRESS and appeal.reopen_count == 1

    services.submit_reply(appeal=appeal, text="已返工，路面平整。", by=desk.lead_handler)
    services.approve_reply(appeal=refresh(appeal), by=desk.dispatcher)
    services.record_callback(
        appeal=refresh(appeal), reached=True, solved="solved", satisfaction=1, by=desk.callback
    )
    appeal = refresh(appeal)
    assert appeal.state == S.CLOSED and appeal.closed_at is not None
    assert set(appeal.assignments.values_list("state", flat=True)) == {"done", "cancelled"}

    actions = list(appeal.events.order_by("seq").values_list("action", flat=True))
    assert actions == [
        "register",
        "triage",
        "dispatch",
        "co_return",
        "redispatch",
        "sign",
        "co_sign",
        "request_extension",
        "decide_extension",
        "co_submit",
        "reply",
        "approve_reply",
        "callback",
        "reply",
        "approve_reply",
        "callback",
    ]
    assert verify_chain(appeal) is None


def test_an_unsatisfied_callback_beyond_the_limit_goes_to_the_red_list(desk, settings):
    settings.APPEAL_MAX_REOPENS = 1
    appeal = desk.reach(S.REPLIED)
    services.record_callback(appeal=appeal, reached=True, solved="partly", satisfaction=3, by=desk.callback)
    assert not refresh(appeal).red_listed
    services.submit_reply(appeal=refresh(appeal), text="再次处理。", by=desk.lead_handler)
    services.approve_reply(appeal=refresh(appeal), by=desk.dispatcher)
    services.record_callback(
        appeal=refresh(appeal), reached=True, solved="solved", satisfaction=5, by=desk.callback
    )
    appeal = refresh(appeal)
    assert appeal.state == S.IN_PROGRESS and appeal.reopen_count == 2 and appeal.red_listed
    assert appeal.supervisions.get().department == desk.lead_dept


def test_a_callback_that_reaches_nobody_keeps_the_appeal_waiting(desk):
    appeal = desk.reach(S.REPLIED)
    services.record_callback(appeal=appeal, reached=False, by=desk.callback)
    assert refresh(appeal).state == S.REPLIED


def test_rework_sends_the_reply_back(desk):
    appeal = desk.reach(S.REPLY_REVIEW)
    services.rework_reply(appeal=appeal, note="答复未说明完成时间", by=desk.dispatcher)
    assert refresh(appeal).state == S.IN_PROGRESS


def test_consultation_is_answered_and_closed_on_the_spot(desk):
    appeal = desk.register(appeal_type="consultation", title="社保卡补办要带什么")
    services.answer_directly(appeal=appeal, answer="携带居民身份证到任一社保服务网点办理。", by=desk.operator)
    appeal = refresh(appeal)
    assert appeal.state == S.CLOSED and appeal.handling_mode == HandlingMode.GUIDE


def test_merge_links_the_repeat_to_the_original(desk):
    original = desk.register()
    repeat = desk.register()
    services.merge(appeal=repeat, into=original, by=desk.operator)
    assert refresh(repeat).state == S.MERGED
    assert list(original.repeats.all()) == [refresh(repeat)]
    assert original.events.filter(action="merged_in").exists()


def test_the_chain_command_finds_a_tampered_event(desk, capsys):
    appeal = desk.reach(S.IN_PROGRESS)
    call_command("verify_appeal_chains")
    assert "轨迹完整" in capsys.readouterr().out
    event = appeal.events.get(seq=3)
    type(event).objects.filter(pk=event.pk).update(note="篡改后的说明")
    assert verify_chain(appeal) == 3
    with pytest.raises(CommandError, match="1件诉求的轨迹与记录不符"):
        call_command("verify_appeal_chains")
    assert f"{appeal.number}: 第3条：轨迹内容被改动" in capsys.readouterr().out


def test_deleting_an_event_breaks_the_chain(desk):
    appeal = desk.reach(S.IN_PROGRESS)
    appeal.events.filter(seq=2).delete()
    assert verify_chain(appeal) == 2


def test_closing_cancels_shares_nobody_signed(desk):
    """A co-handler that never signed must not stay in its inbox, or on the board, once closed."""
    appeal = desk.register()
    services.triage(
        appeal=appeal, category=desk.category, handling_mode=HandlingMode.DISPATCH, by=desk.dispatcher
    )
    services.dispatch(
        appeal=refresh(appeal), lead=desk.lead_dept, co_handlers=[desk.co_dept], by=desk.dispatcher
    )
    services.sign(assignment=desk.lead(appeal), by=desk.lead_handler)
    services.submit_reply(appeal=refresh(appeal), text="路面已修复。", by=desk.lead_handler)
    services.approve_reply(appeal=refresh(appeal), by=desk.dispatcher)
    services.record_callback(appeal=refresh(appeal), reached=False, by=desk.callback)
    services.close(appeal=refresh(appeal), note="多次回访未接通，按规定办结", by=desk.callback)
    states = dict(refresh(appeal).assignments.values_list("role", "state"))
    assert states == {"lead": "done", "co": "cancelled"}
    assert refresh(appeal).assignments.get(role="co").finished_at is not None


def test_a_stale_page_cannot_urge(desk):
    from zhengwu.core.errors import Conflict

    appeal = desk.reach(S.DISPATCHED)
    seen = appeal.version
    services.urge(assignment=desk.lead(appeal), threshold="manual-1", by=desk.supervisor, version=seen)
    with pytest.raises(Conflict):
        services.urge(assignment=desk.lead(appeal), threshold="manual-2", by=desk.supervisor, version=seen)
    assert refresh(appeal).events.filter(action="urge").count() == 1
