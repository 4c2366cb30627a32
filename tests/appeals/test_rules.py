"""Business rules live in the services, whatever calls them: 咨询导办 only for a consultation, the
主动治理 channel only for the system's own tasks, 办结 only after a callback that failed, no
change without a named actor. And what the API and the pages offer (``available_actions``) is
exactly what the services accept: over every demo state and every role, each offered action
succeeds and each action not offered is refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from zhengwu.appeals import services
from zhengwu.appeals.models import Appeal, Assignment, Channel, Extension, HandlingMode
from zhengwu.appeals.workflow import ACTIONS
from zhengwu.appeals.workflow import AppealState as S
from zhengwu.casework.actors import Actor
from zhengwu.core.errors import DomainError, InvalidInput, NotAllowed

from ..factories import UserFactory
from .conftest import refresh


def as_user(user: Any) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


# ---------------------------------------------------------------------------------------------
# 咨询导办 is for consultations


def test_the_api_cannot_answer_a_complaint_on_the_spot(desk):
    complaint = desk.register()
    response = as_user(desk.operator).post(
        f"/api/appeals/{complaint.pk}/answer",
        {"answer": "已答复。", "version": complaint.version},
        format="json",
    )
    assert response.status_code == 422, response.content
    assert "只有咨询类诉求可以咨询导办" in response.json()["detail"]
    assert "appeal_type" in response.json()["errors"]
    after = refresh(complaint)
    assert after.state == S.REGISTERED and after.reply == "" and after.version == complaint.version


def test_the_api_answers_a_consultation_on_the_spot(desk):
    question = desk.register(appeal_type="consultation", title="社保卡补办要带什么")
    response = as_user(desk.operator).post(
        f"/api/appeals/{question.pk}/answer", {"answer": "携带身份证到社保网点办理。"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == S.CLOSED


# ---------------------------------------------------------------------------------------------
# 主动治理 is the system's channel


def test_an_operator_cannot_register_on_the_proactive_channel(desk):
    body = {
        "channel": Channel.PROACTIVE,
        "appeal_type": "suggestion",
        "title": "小区路灯不亮",
        "body": "幸福小区3栋门前路灯不亮。",
        "contact_phone": "13800000001",
    }
    response = as_user(desk.operator).post("/api/appeals/", body, format="json")
    assert response.status_code == 400, response.content
    assert "主动治理" in response.json()["detail"] and "channel" in response.json()["errors"]
    admin = UserFactory(roles=["admin"])
    assert as_user(admin).post("/api/appeals/", body, format="json").status_code == 400
    assert not Appeal.objects.filter(channel=Channel.PROACTIVE).exists()
    with pytest.raises(InvalidInput):
        services.register_appeal(
            channel=Channel.PROACTIVE, appeal_type="suggestion", title="x", body="y", by=desk.operator
        )


def test_a_proactive_task_is_registered_by_its_own_service(desk):
    task = services.register_proactive_task(
        title="【主动治理】幸福小区路灯", body="排查幸福小区路灯。", address="幸福小区", by=desk.dispatcher
    )
    assert task.channel == Channel.PROACTIVE and task.number.startswith("ZD-")
    assert task.events.get().actor == desk.dispatcher


# ---------------------------------------------------------------------------------------------
# 办结 follows a callback, for every role that may close


@pytest.mark.parametrize("role", ["admin", "callback"])
def test_no_role_closes_without_a_callback(desk, role):
    closer = UserFactory(roles=[role])
    appeal = desk.reach(S.REPLIED)
    api = as_user(closer)
    response = api.post(f"/api/appeals/{appeal.pk}/close", {"note": "按规定办结"}, format="json")
    assert response.status_code == 422, response.content
    assert "办结前须先回访" in response.json()["detail"]
    assert refresh(appeal).state == S.REPLIED
    detail = api.get(f"/api/appeals/{appeal.pk}/").json()
    assert "close" not in detail["allowed_actions"] and "callback" in detail["allowed_actions"]

    api.post(f"/api/appeals/{appeal.pk}/callback", {"reached": False, "note": "无人接听"}, format="json")
    assert "close" in api.get(f"/api/appeals/{appeal.pk}/").json()["allowed_actions"]
    response = api.post(
        f"/api/appeals/{appeal.pk}/close", {"note": "三次未联系上，按规定办结"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert refresh(appeal).state == S.CLOSED


def test_a_failed_callback_before_a_reopening_does_not_allow_closing_the_new_reply(desk):
    appeal = desk.reach(S.REPLIED)
    services.record_callback(appeal=appeal, reached=False, by=desk.callback)
    services.record_callback(
        appeal=refresh(appeal), reached=True, solved="not_solved", satisfaction=5, by=desk.callback
    )
    services.submit_reply(appeal=refresh(appeal), text="已返工。", by=desk.lead_handler)
    services.approve_reply(appeal=refresh(appeal), by=desk.dispatcher)
    with pytest.raises(DomainError, match="办结前须先回访"):
        services.close(appeal=refresh(appeal), note="办结", by=desk.callback)


# ---------------------------------------------------------------------------------------------
# Every change names its actor; the system is one, explicitly


def test_no_actor_is_refused_not_waved_through(desk):
    appeal = desk.reach(S.IN_PROGRESS)
    with pytest.raises(NotAllowed):
        services.triage(
            appeal=desk.register(), category=desk.category, handling_mode=HandlingMode.DISPATCH, by=None
        )
    with pytest.raises(NotAllowed):
        services.urge(assignment=desk.lead(appeal), threshold="manual", by=None)
    with pytest.raises(NotAllowed):
        services.approve_reply(appeal=desk.reach(S.REPLY_REVIEW), by=None)
    assert refresh(appeal).events.filter(action="urge").count() == 0


def test_the_system_urges_and_is_recorded_as_nobody_with_its_reason(desk):
    appeal = desk.reach(S.DISPATCHED)
    assert services.urge(assignment=desk.lead(appeal), threshold="red", by=Actor.system("定时催办"))
    event = refresh(appeal).events.get(action="urge")
    assert event.actor is None and event.actor_label == "系统"
    assert event.data["system_reason"] == "定时催办"


def test_a_channel_system_registers_only_as_an_explicit_actor(desk):
    values = {
        "channel": "mobile",
        "appeal_type": "help",
        "title": "路灯不亮",
        "body": "幸福路路灯不亮。",
        "contact_phone": "13800000003",
    }
    with pytest.raises(NotAllowed):
        services.register_appeal(**values, by=None)
    with pytest.raises(NotAllowed, match="终端设备不能登记诉求"):
        services.register_appeal(**values, by=Actor.device("自助终端"))
    appeal, _ = services.register_appeal(**values, by=Actor.system("接口客户端“市民APP”登记"))
    event = appeal.events.get()
    assert event.actor is None and event.data["system_reason"] == "接口客户端“市民APP”登记"


def test_a_citizen_is_refused_a_desk_action_by_role(desk):
    citizen = UserFactory(is_staff=False, department=None)
    with pytest.raises(NotAllowed, match="您的角色不能研判分类"):
        services.triage(
            appeal=desk.register(), category=desk.category, handling_mode=HandlingMode.DISPATCH, by=citizen
        )


def test_the_api_lists_the_actions_the_services_accept(desk):
    appeal = desk.reach(S.DISPATCHED)
    for user in (desk.lead_handler, desk.co_handler, desk.dispatcher, desk.supervisor, desk.callback):
        listed = as_user(user).get(f"/api/appeals/{appeal.pk}/").json()["allowed_actions"]
        assert listed == services.available_actions(refresh(appeal), user)
    # each department its own share: the lead signs or returns, the co-handler co-signs or returns
    lead_listed = as_user(desk.lead_handler).get(f"/api/appeals/{appeal.pk}/").json()["allowed_actions"]
    assert set(lead_listed) == {"sign", "return"}
    co_listed = as_user(desk.co_handler).get(f"/api/appeals/{appeal.pk}/").json()["allowed_actions"]
    assert set(co_listed) == {"co_sign", "co_return"}
    # the callback clerk sees the appeal but may do nothing before the reply
    assert as_user(desk.callback).get(f"/api/appeals/{appeal.pk}/").json()["allowed_actions"] == []


# ---------------------------------------------------------------------------------------------
# Offered ⇔ accepted, over the demo states and every role


def _scenario(desk: Any, name: str) -> Appeal:
    """An appeal in a named situation, reached through the services."""
    if name == "consultation":
        return desk.register(appeal_type="consultation", title="社保卡补办要带什么")
    if name == "extension_pending":
        appeal = desk.reach(S.IN_PROGRESS)
        lead = desk.lead(appeal)
        services.request_extension(
            assignment=lead,
            reason="需要协调",
            until=lead.handle_due_at + timedelta(days=5),
            by=desk.lead_handler,
        )
        return refresh(appeal)
    if name == "co_signed":
        appeal = desk.reach(S.DISPATCHED)
        services.sign(assignment=desk.co(appeal), by=desk.co_handler)
        return refresh(appeal)
    if name == "callback_failed":
        appeal = desk.reach(S.REPLIED)
        services.record_callback(appeal=appeal, reached=False, by=desk.callback)
        return refresh(appeal)
    return desk.reach(S(name))


SCENARIOS = [*S.values, "consultation", "extension_pending", "co_signed", "callback_failed"]


def _share(appeal: Appeal, by: Any, role: str, states: tuple[str, ...]) -> Assignment | None:
    """The assignment a person would act on: their department's in the wanted state, else any."""
    rows = list(appeal.assignments.filter(role=role).order_by("id"))
    own = [a for a in rows if a.department_id == by.department_id and a.state in states]
    return (own or [a for a in rows if a.state in states] or rows or [None])[0]


def _call(code: str, appeal: Appeal, by: Any, desk: Any) -> Callable[[], object] | None:
    """The service call for ``code`` as a person would make it; None when there is nothing to aim
    it at (no assignment, no extension)."""
    lead = _share(appeal, by, "lead", ("pending", "signed"))
    co = _share(appeal, by, "co", ("pending", "signed"))
    returned = appeal.assignments.filter(state="returned").first()
    # 催办 the first share still open (a returned one waits for the dispatcher), else any
    open_share = appeal.assignments.filter(state__in=["pending", "signed"]).order_by("id").first() or lead
    extension = Extension.objects.filter(assignment__appeal=appeal, state="pending").first()
    calls: dict[str, Callable[[], object] | None] = {
        "triage": lambda: services.triage(
            appeal=appeal, category=desk.category, handling_mode=HandlingMode.DISPATCH, by=by
        ),
        "answer": lambda: services.answer_directly(appeal=appeal, answer="请携带身份证办理。", by=by),
        "merge": lambda: services.merge(appeal=appeal, into=desk.register(title="原工单"), by=by),
        "dispatch": lambda: services.dispatch(appeal=appeal, lead=desk.lead_dept, by=by),
        "sign": lead and (lambda: services.sign(assignment=lead, by=by)),
        "return": lead
        and (lambda: services.return_assignment(assignment=lead, reason="非本部门职责", by=by)),
        "co_sign": co and (lambda: services.sign(assignment=co, by=by)),
        "co_return": co and (lambda: services.return_assignment(assignment=co, reason="非本部门职责", by=by)),
        "co_submit": co and (lambda: services.submit_contribution(assignment=co, text="已配合。", by=by)),
        "redispatch": returned
        and (lambda: services.redispatch(assignment=returned, to=desk.other_dept, by=by)),
        "reject_return": returned
        and (lambda: services.reject_return(assignment=returned, note="属于贵单位职责", by=by)),
        "request_extension": None,
        "decide_extension": extension
        and (lambda: services.decide_extension(extension=extension, approve=True, by=by)),
        "note": lambda: services.add_note(appeal=appeal, text="已现场查看。", by=by),
        "reply": lambda: services.submit_reply(appeal=appeal, text="已处理完毕。", by=by),
        "approve_reply": lambda: services.approve_reply(appeal=appeal, by=by),
        "rework_reply": lambda: services.rework_reply(appeal=appeal, note="答复不完整", by=by),
        "callback": lambda: services.record_callback(
            appeal=appeal, reached=True, solved="solved", satisfaction=1, by=by
        ),
        "close": lambda: services.close(appeal=appeal, note="多次未联系上，按规定办结", by=by),
        "archive": lambda: services.archive(appeal=appeal, by=by),
        "urge": open_share and (lambda: services.urge(assignment=open_share, threshold="manual", by=by)),
        "supervise": lambda: services.supervise(
            appeal=appeal, department=desk.lead_dept, note="请加快办理", days=2, by=by
        ),
    }
    signed = _share(appeal, by, "lead", ("signed",))
    own_signed = [a for a in (signed, _share(appeal, by, "co", ("signed",))) if a is not None]
    share = next((a for a in own_signed if a.department_id == by.department_id), lead)
    if share is not None:
        calls["request_extension"] = lambda: services.request_extension(
            assignment=share, reason="需要协调", until=share.handle_due_at + timedelta(days=5), by=by
        )
    return calls[code]


class _Undo(Exception):
    pass


def _accepted(call: Callable[[], object]) -> bool:
    """Whether the service accepts the call; its effects are rolled back either way."""
    try:
        with transaction.atomic():
            call()
            raise _Undo
    except _Undo:
        return True
    except DomainError:
        return False


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_offered_actions_are_exactly_those_the_services_accept(desk, scenario):
    users = {
        "operator": desk.operator,
        "dispatcher": desk.dispatcher,
        "lead_handler": desk.lead_handler,
        "co_handler": desk.co_handler,
        "other_handler": desk.other_handler,
        "callback": desk.callback,
        "supervisor": desk.supervisor,
        "admin": UserFactory(roles=["admin"]),
        "leader": UserFactory(roles=["leader"]),
    }
    appeal = _scenario(desk, scenario)
    mismatches = []
    for who, user in users.items():
        offered = set(services.available_actions(refresh(appeal), user))
        assert offered <= set(ACTIONS)
        for code in ACTIONS:
            call = _call(code, refresh(appeal), user, desk)
            accepted = call is not None and _accepted(call)
            if accepted != (code in offered):
                mismatches.append(f"{who} {code}: offered={code in offered} accepted={accepted}")
    assert not mismatches, f"{scenario}:\n" + "\n".join(mismatches)
