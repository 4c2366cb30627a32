"""The transition-table reader (casework/transitions.py), on the appeals table and a small one."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import models

from zhengwu.appeals.workflow import ACTIONS, TABLE, AppealState, allowed_from
from zhengwu.casework.transitions import Action, Table, stay, to
from zhengwu.core.errors import Conflict, NotAllowed


class Light(models.TextChoices):
    OFF = "off", "关"
    ON = "on", "开"
    BROKEN = "broken", "损坏"


SWITCH: Table[Light] = Table(
    Light,
    [
        Action("switch_on", "开灯", "x.use", to(Light.ON, Light.OFF)),
        Action("check", "巡查", "x.use", stay(Light.OFF, Light.ON)),
        Action("report", "报修", None, {Light.ON: frozenset({Light.OFF, Light.BROKEN})}),
    ],
)


def test_the_table_is_read_by_code_and_in_order():
    assert SWITCH["check"].label == "巡查"
    assert [a.code for a in SWITCH] == ["switch_on", "check", "report"]
    assert SWITCH.allowed_from("switch_on", "off") == {Light.ON}
    assert SWITCH.allowed_from("switch_on", "on") == frozenset()
    assert SWITCH.allowed_from("no_such_action", "off") == frozenset()


def test_target_names_the_state_and_the_action_when_it_refuses():
    assert SWITCH.target("switch_on", "off") == Light.ON
    assert SWITCH.target("check", "on") == Light.ON  # staying is a move too
    with pytest.raises(Conflict, match=r"^当前状态为“开”，不能开灯$") as refused:
        SWITCH.target("switch_on", "on")
    assert refused.value.field == "state"
    with pytest.raises(Conflict, match=r"^当前状态下报修不能转到该状态$"):
        SWITCH.target("report", "on")  # two possible targets: the caller must choose
    with pytest.raises(Conflict, match="不能转到该状态"):
        SWITCH.target("report", "on", Light.ON)  # not one of them
    assert SWITCH.target("report", "on", Light.BROKEN) == Light.BROKEN


def test_available_offers_what_the_state_allows_and_the_check_lets_through():
    on = SimpleNamespace(state=Light.ON)
    asked: list[str] = []

    def may(code: str) -> None:
        asked.append(code)
        if code == "report":
            raise NotAllowed("您的角色不能报修")

    assert [a.code for a in SWITCH.available(on, may)] == ["check"]
    assert asked == ["check", "report"]  # switch_on is not asked about: the state rules it out
    assert [a.code for a in SWITCH.available(on, lambda code: None)] == ["check", "report"]

    def broken_check(code: str) -> None:
        raise RuntimeError("a bug, not a refusal")

    with pytest.raises(RuntimeError):  # only a DomainError means "not offered"
        SWITCH.available(on, broken_check)


def test_the_appeals_table_is_a_shared_table_read_the_old_way():
    assert ACTIONS is TABLE.actions and set(ACTIONS) >= {"triage", "dispatch", "sign", "close"}
    assert allowed_from("dispatch", AppealState.TRIAGED) == {AppealState.DISPATCHED}
    assert allowed_from("dispatch", AppealState.REGISTERED) == frozenset()
    assert ACTIONS["sign"].department_action and not ACTIONS["dispatch"].department_action
    with pytest.raises(Conflict, match="当前状态为“已办结”，不能派单"):
        TABLE.target("dispatch", AppealState.CLOSED)
    assert TABLE.target("callback", AppealState.REPLIED, AppealState.CLOSED) == AppealState.CLOSED
