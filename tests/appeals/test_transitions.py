"""Every state × every action: the ones the table allows succeed through the real services, the
rest are refused with 409 and a Chinese message that names the state and the action."""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from zhengwu.appeals import events, services
from zhengwu.appeals.models import Appeal, AppealType, Assignment, Extension, HandlingMode
from zhengwu.appeals.workflow import ACTIONS, AppealState, allowed_from
from zhengwu.core.errors import Conflict

from .conftest import refresh


def _assignment(appeal, desk, role):
    found = appeal.assignments.filter(role=role).order_by("-id").first()
    if found is None:  # states before dispatch: a row to aim the refused action at
        now = timezone.now()
        dept = desk.lead_dept if role == "lead" else desk.co_dept
        found = Assignment.objects.create(
            appeal=appeal, department=dept, role=role, sign_due_at=now, handle_due_at=now
        )
    return found


def _reseal(appeal):
    """A row changed by the test's setup carries a valid seal again (events.py refuses to act on a
    row changed outside the services)."""
    row = (
        Appeal.objects.filter(pk=appeal.pk).values(*events.SEALED_FIELDS, "chain_length", "chain_head").get()
    )
    seal = events.seal(row, length=row["chain_length"], head=row["chain_head"])
    Appeal.objects.filter(pk=appeal.pk).update(chain_seal=seal)


def perform(action, appeal, desk, allowed):
    if action in ("triage", "answer", "merge", "dispatch"):
        lead = co = None  # no probe rows: dispatch itself creates the assignments
    else:
        lead, co = _assignment(appeal, desk, "lead"), _assignment(appeal, desk, "co")
    if action == "triage":
        services.triage(
            appeal=appeal, category=desk.category, handling_mode=HandlingMode.DISPATCH, by=desk.dispatcher
        )
    elif action == "answer":  # 咨询导办 is for consultations (a rule of its own, tested in test_rules)
        Appeal.objects.filter(pk=appeal.pk).update(appeal_type=AppealType.CONSULTATION)
        _reseal(appeal)  # setup, with the key: as if it had been registered as a consultation
        appeal.appeal_type = AppealType.CONSULTATION
        services.answer_directly(appeal=appeal, answer="请携带身份证办理。", by=desk.operator)
    elif action == "merge":
        services.merge(appeal=appeal, into=desk.register(title="原工单"), by=desk.operator)
    elif action == "dispatch":
        services.dispatch(appeal=appeal, lead=desk.lead_dept, by=desk.dispatcher)
    elif action == "sign":
        services.sign(assignment=lead, by=desk.lead_handler)
    elif action == "return":
        services.return_assignment(assignment=lead, reason="非本部门职责", by=desk.lead_handler)
    elif action == "co_sign":
        services.sign(assignment=co, by=desk.co_handler)
    elif action == "co_return":
        services.return_assignment(assignment=co, reason="非本部门职责", by=desk.co_handler)
    elif action == "co_submit":
        if allowed:
            services.sign(assignment=co, by=desk.co_handler)
        services.submit_contribution(
            assignment=refresh_assignment(co), text="已配合处理。", by=desk.co_handler
        )
    elif action in ("redispatch", "reject_return"):
        target = lead
        if allowed and appeal.state != AppealState.RETURNED:
            services.return_assignment(assignment=co, reason="非本部门职责", by=desk.co_handler)
            target = co
        if action == "redispatch":
            services.redispatch(assignment=refresh_assignment(target), to=desk.other_dept, by=desk.dispatcher)
        else:
            services.reject_return(
                assignment=refresh_assignment(target), note="属于贵单位职责", by=desk.dispatcher
            )
    elif action == "request_extension":
        target, handler = lead, desk.lead_handler
        if allowed and appeal.state == AppealState.DISPATCHED:
            services.sign(assignment=co, by=desk.co_handler)
            target, handler = co, desk.co_handler
        target = refresh_assignment(target)
        services.request_extension(
            assignment=target, reason="需要协调", until=target.handle_due_at + timedelta(days=5), by=handler
        )
    elif action == "decide_extension":
        ext = Extension.objects.create(
            assignment=lead,
            reason="需要协调",
            previous_due_at=lead.handle_due_at,
            requested_due_at=lead.handle_due_at + timedelta(days=5),
            requested_by=desk.lead_handler,
        )
        services.decide_extension(extension=ext, approve=False, note="理由不充分", by=desk.dispatcher)
    elif action == "note":
        services.add_note(appeal=appeal, text="已现场查看。", by=desk.lead_handler)
    elif action == "reply":
        services.submit_reply(appeal=appeal, text="已处理完毕。", by=desk.lead_handler)
    elif action == "approve_reply":
        services.approve_reply(appeal=appeal, by=desk.dispatcher)
    elif action == "rework_reply":
        services.rework_reply(appeal=appeal, note="答复不完整", by=desk.dispatcher)
    elif action == "callback":
        services.record_callback(
            appeal=appeal, reached=True, solved="solved", satisfaction=2, by=desk.callback
        )
    elif action == "close":  # 办结 without a satisfied callback follows a callback that failed
        if allowed:
            services.record_callback(appeal=appeal, reached=False, note="电话无人接听", by=desk.callback)
        services.close(appeal=refresh(appeal), note="三次未联系上，按规定办结", by=desk.callback)
    elif action == "archive":
        services.archive(appeal=appeal, by=desk.dispatcher)
    elif action == "urge":  # an open share: a returned one waits for the dispatcher, not for urging
        share = lead if lead.state in ("pending", "signed") else co
        services.urge(assignment=share, threshold="manual", by=desk.supervisor)
    elif action == "supervise":
        services.supervise(
            appeal=appeal, department=desk.lead_dept, note="请加快办理", days=2, by=desk.supervisor
        )
    else:  # pragma: no cover - a new action without a case here fails loudly
        raise AssertionError(f"no case for {action}")


def refresh_assignment(a):
    return Assignment.objects.get(pk=a.pk)


@pytest.mark.parametrize(
    ("state", "action"), list(itertools.product(AppealState.values, ACTIONS)), ids=lambda v: str(v)
)
def test_state_by_action(desk, state, action):
    appeal = desk.reach(AppealState(state))
    allowed = bool(allowed_from(action, state))
    if allowed:
        perform(action, appeal, desk, allowed)
        after = refresh(appeal)
        assert after.state in allowed_from(action, state)
        assert after.events.order_by("-seq").first().action in (action, "co_sign", "co_return")
    else:
        with pytest.raises(Conflict) as info:
            perform(action, appeal, desk, allowed)
        assert info.value.status == 409
        assert f"当前状态为“{AppealState(state).label}”，不能{ACTIONS[action].label}" == info.value.message
        assert refresh(appeal).state == state


def test_stale_version_is_refused(desk):
    appeal = desk.reach(AppealState.TRIAGED)
    seen = appeal.version
    services.dispatch(appeal=appeal, lead=desk.lead_dept, by=desk.dispatcher, version=seen)
    with pytest.raises(Conflict) as info:
        services.dispatch(appeal=appeal, lead=desk.other_dept, by=desk.dispatcher, version=seen)
    assert info.value.message == "已被他人修改，请刷新后重试"
    assert refresh(appeal).assignments.count() == 1
