"""What every state-machine test of a matter shares: each example runs inside a savepoint rolled
back when it ends, so examples never see each other's matters, and the run's settings."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test


class RolledBack(RuleBasedStateMachine):
    """A machine whose example's writes are undone at its teardown (a subclass that overrides
    ``teardown`` calls this one last)."""

    def __init__(self) -> None:
        super().__init__()
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)


def run_machine(machine: Any, *, max_examples: int, steps: int) -> None:
    """Run ``machine`` with no deadline per step (services write to the database) and no example
    database (examples name rows of one run)."""
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=max_examples,
            stateful_step_count=steps,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
