"""Domain events (casework/domain_events.py): announced after commit, never on rollback, each
handler on its own."""

from __future__ import annotations

import logging
from collections import defaultdict

import pytest
from django.db import transaction

from zhengwu.casework import domain_events
from zhengwu.casework.domain_events import publish, subscribe
from zhengwu.org.models import Department

from ..factories import DepartmentFactory


@pytest.fixture
def no_subscribers(monkeypatch):
    """This test's subscriptions only (the apps' own, such as triage's, are set aside)."""
    monkeypatch.setattr(domain_events, "_handlers", defaultdict(list))


@pytest.mark.django_db(transaction=True)
def test_a_handler_runs_only_once_the_change_commits(no_subscribers):
    heard: list[dict] = []
    subscribe("appeal_closed")(lambda **payload: heard.append(payload))
    with transaction.atomic():
        publish("appeal_closed", appeal_id=7)
        assert heard == []  # not while the change may still roll back
    assert heard == [{"appeal_id": 7}]
    publish("appeal_closed", appeal_id=8)  # outside a transaction: at once
    assert heard[-1] == {"appeal_id": 8}


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_announces_nothing(no_subscribers):
    heard: list[int] = []
    subscribe("appeal_closed")(lambda *, appeal_id: heard.append(appeal_id))
    with pytest.raises(RuntimeError), transaction.atomic():
        publish("appeal_closed", appeal_id=1)
        raise RuntimeError("the service failed after publishing")
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint that rolls back inside a committed change
                publish("appeal_closed", appeal_id=2)
                raise RuntimeError
        except RuntimeError:
            pass
        publish("appeal_closed", appeal_id=3)
    assert heard == [3]


@pytest.mark.django_db(transaction=True)
def test_a_failing_handler_neither_silences_the_others_nor_undoes_the_change(no_subscribers, caplog):
    heard: list[int] = []

    def failing(*, appeal_id: int) -> None:
        DepartmentFactory(name="处理程序写入后失败")  # its own writes roll back with it
        raise ValueError("boom")

    subscribe("appeal_closed")(failing)
    subscribe("appeal_closed")(lambda *, appeal_id: heard.append(appeal_id))
    with caplog.at_level(logging.ERROR, logger="zhengwu.casework.domain_events"), transaction.atomic():
        kept = DepartmentFactory(name="办结时写入")
        publish("appeal_closed", appeal_id=5)
    assert heard == [5]
    assert Department.objects.filter(pk=kept.pk).exists()
    assert not Department.objects.filter(name="处理程序写入后失败").exists()
    assert any("appeal_closed" in r.getMessage() and "failing" in r.getMessage() for r in caplog.records)


def test_subscribing_twice_delivers_once_and_unknown_events_are_refused(
    no_subscribers, django_capture_on_commit_callbacks, db
):
    heard: list[int] = []

    def handler(*, appeal_id: int) -> None:
        heard.append(appeal_id)

    subscribe("appeal_closed")(handler)
    subscribe("appeal_closed")(handler)
    with django_capture_on_commit_callbacks(execute=True):
        publish("appeal_closed", appeal_id=9)
    assert heard == [9]
    with pytest.raises(ValueError, match="unknown domain event"):
        subscribe("appeal_closd")
    with pytest.raises(ValueError, match="unknown domain event"):
        publish("appeal_closd", appeal_id=9)


def test_triage_subscribes_to_the_desks_triage():
    """TriageConfig.ready: the classifier learns from the desk's triages without the desk calling it."""
    from zhengwu.triage.services import learn_from_triage

    assert learn_from_triage in domain_events._handlers["appeal_triaged"]
