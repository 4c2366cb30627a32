"""The actor and its one authorisation check (casework/actors.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from zhengwu.casework.actors import Actor, ActorKind, authorise
from zhengwu.core.errors import NotAllowed

from ..factories import DepartmentFactory, UserFactory

TRIAGE = "appeals.triage_appeal"
HANDLE = "appeals.handle_appeal"


@pytest.fixture
def handler(db):
    return UserFactory(roles=["handler"], department=DepartmentFactory())


def test_a_request_user_becomes_staff_or_a_citizen_and_nobody_is_refused(db, handler):
    citizen = UserFactory(is_staff=False, department=None)
    assert Actor.of(handler).kind == ActorKind.STAFF and Actor.of(handler).user == handler
    assert Actor.of(citizen).kind == ActorKind.CITIZEN
    assert Actor.of(Actor.of(citizen)) == Actor.of(citizen)
    for nobody in (None, AnonymousUser()):
        with pytest.raises(NotAllowed, match="请先登录"):
            Actor.of(nobody)
    handler.is_active = False
    with pytest.raises(NotAllowed):
        Actor.of(handler)


def test_the_system_always_says_why_and_is_shown_as_the_system():
    with pytest.raises(ValueError, match="须说明原因"):
        Actor.system("")
    urging = Actor.system("定时催办")
    assert urging.is_system and urging.person is None and urging.pk is None
    assert urging.label == "系统" and urging.reason == "定时催办"
    authorise(urging, doing="催办", permission="appeals.supervise_appeal", department_id=42)


def test_staff_need_the_permission_and_their_own_department(handler):
    actor = Actor.of(handler)
    authorise(actor, doing="签收", permission=HANDLE, department_id=handler.department_id)
    with pytest.raises(NotAllowed, match=r"^您的角色不能研判分类$"):
        authorise(actor, doing="研判分类", permission=TRIAGE)
    with pytest.raises(NotAllowed, match=r"^只有承办部门本部门人员才能签收$"):
        authorise(actor, doing="签收", permission=HANDLE, department_id=handler.department_id + 1000)
    with pytest.raises(NotAllowed, match="您的角色不能"):
        authorise(actor, doing="办理", permission=None)  # no permission named: not a role's action


def test_a_staff_member_without_a_department_is_not_any_department(db):
    dispatcher = UserFactory(roles=["handler"], department=None)
    with pytest.raises(NotAllowed, match="只有承办部门本部门人员"):
        authorise(Actor.of(dispatcher), doing="签收", permission=HANDLE, department_id=1)


def test_a_citizen_acts_only_on_their_own_matter_and_never_for_a_role(db):
    citizen = UserFactory(is_staff=False, department=None)
    actor = Actor.of(citizen)
    authorise(actor, doing="撤回申请", owner_ids=(None, citizen.pk))
    with pytest.raises(NotAllowed, match=r"^只有申请人本人才能撤回申请$"):
        authorise(actor, doing="撤回申请", owner_ids=(citizen.pk + 1000,))
    with pytest.raises(NotAllowed, match=r"^您的角色不能研判分类$"):
        authorise(actor, doing="研判分类", permission=TRIAGE)
    with pytest.raises(NotAllowed, match="只有申请人本人"):
        authorise(Actor(ActorKind.CITIZEN, None, "凭查询码"), doing="评价", owner_ids=(None,))


def test_an_api_client_acts_with_the_permissions_of_its_user(handler):
    client = Actor(ActorKind.API_CLIENT, handler, "市民APP")
    authorise(client, doing="签收", permission=HANDLE)
    with pytest.raises(NotAllowed, match="您的角色不能研判分类"):
        authorise(client, doing="研判分类", permission=TRIAGE)
    with pytest.raises(NotAllowed, match="您的角色不能"):
        authorise(Actor(ActorKind.API_CLIENT, None, "无账号的接口"), doing="签收", permission=HANDLE)
    assert client.department_id is None  # a client is no department's member


def test_a_device_acts_only_where_no_role_and_no_owner_is_named():
    pad = Actor.device("3号窗口评价器")
    assert pad.label == "3号窗口评价器" and pad.person is None
    authorise(pad, doing="评价")
    with pytest.raises(NotAllowed, match=r"^终端设备不能受理$"):
        authorise(pad, doing="受理", permission="applications.accept_application")
    with pytest.raises(NotAllowed, match="终端设备不能"):
        authorise(pad, doing="评价", owner_ids=(1,))


def test_only_an_actor_is_authorised(handler):
    with pytest.raises(TypeError):
        authorise(handler, doing="签收", permission=HANDLE)  # type: ignore[arg-type]
