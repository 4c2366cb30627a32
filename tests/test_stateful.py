"""The shared state-machine base undoes each example's writes: the next example starts from the
rows there were before the run."""

from __future__ import annotations

import pytest
from hypothesis.stateful import invariant, rule

from tests.factories import DepartmentFactory
from tests.stateful import RolledBack, run_machine
from zhengwu.org.models import Department


class Adding(RolledBack):
    before: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.added = 0

    @rule()
    def add(self) -> None:
        DepartmentFactory()
        self.added += 1

    @invariant()
    def sees_only_its_own_rows(self) -> None:
        assert Department.objects.count() == Adding.before + self.added


@pytest.mark.django_db
def test_each_example_starts_from_the_rows_before_the_run():
    Adding.before = Department.objects.count()
    run_machine(Adding, max_examples=5, steps=4)
    assert Department.objects.count() == Adding.before
