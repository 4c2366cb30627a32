"""A matter's lifecycle as data, read one way for every matter: an action names the states it may
start from and the states it may lead to. Services move only along the table; pages and the API
offer only what ``available_actions`` returns, which asks the same question the services ask."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from zhengwu.core.errors import Conflict, DomainError

S = TypeVar("S", bound=str)


@dataclass(frozen=True)
class Action(Generic[S]):
    code: str
    label: str
    permission: str | None  # None: an action of the applicant (or the system), not of a role
    moves: Mapping[S, frozenset[S]]
    department_action: bool = False  # done by the department that owns the matter (or share)
    applicant_action: bool = False  # done by the applicant on their own matter
    business_action: str = "其他"  # GB/T 39046 业务动作: 通过 / 退回 / 其他
    extra: Mapping[str, Any] = field(default_factory=dict)


def stay(*states: S) -> dict[S, frozenset[S]]:
    return {s: frozenset({s}) for s in states}


def to(target: S, *states: S) -> dict[S, frozenset[S]]:
    return {s: frozenset({target}) for s in states}


class Table(Generic[S]):
    """The transition table of one kind of matter."""

    def __init__(self, states: type[S], actions: Iterable[Action[S]]) -> None:
        self.states = states
        self.actions: dict[str, Action[S]] = {a.code: a for a in actions}

    def __getitem__(self, code: str) -> Action[S]:
        return self.actions[code]

    def __iter__(self) -> Iterator[Action[S]]:
        return iter(self.actions.values())

    def allowed_from(self, action: str, state: str) -> frozenset[S]:
        """The states ``action`` may lead to from ``state``; empty when it is not allowed."""
        spec = self.actions.get(action)
        if spec is None:
            return frozenset()
        return spec.moves.get(self.states(state), frozenset())

    def state_label(self, state: str) -> str:
        return str(self.states(state).label)  # type: ignore[attr-defined]

    def require_state(self, action: str, state: str) -> frozenset[S]:
        """The targets of ``action`` from ``state``, or a 409 that names the state."""
        targets = self.allowed_from(action, state)
        if not targets:
            raise Conflict(
                f"当前状态为“{self.state_label(state)}”，不能{self.actions[action].label}", field="state"
            )
        return targets

    def target(self, action: str, state: str, to: S | None = None) -> S:
        targets = self.require_state(action, state)
        chosen = to if to is not None else next(iter(targets)) if len(targets) == 1 else None
        if chosen is None or chosen not in targets:
            raise Conflict(f"当前状态下{self.actions[action].label}不能转到该状态", field="state")
        return chosen

    def available(self, matter: Any, may: Callable[[str], None]) -> list[Action[S]]:
        """The actions ``may`` lets through for ``matter`` in its current state, in table order.
        ``may(code)`` is the very check the service makes; it raises a DomainError to refuse."""
        out = []
        for spec in self.actions.values():
            if not self.allowed_from(spec.code, matter.state):
                continue
            try:
                may(spec.code)
            except DomainError:
                continue
            out.append(spec)
        return out
