"""What the desk announces to the parts that care (casework/domain_events.py), once it commits."""

from __future__ import annotations

from collections import defaultdict

import pytest

from zhengwu.appeals import services
from zhengwu.appeals.models import HandlingMode, Satisfaction, Solved
from zhengwu.appeals.workflow import AppealState as S
from zhengwu.casework import domain_events
from zhengwu.core.errors import DomainError

from .conftest import Desk, refresh


@pytest.fixture
def heard(monkeypatch):
    """Every announcement of this test, by name (the apps' own subscribers set aside)."""
    monkeypatch.setattr(domain_events, "_handlers", defaultdict(list))
    got: dict[str, list[dict]] = defaultdict(list)
    for name in ("appeal_triaged", "appeal_closed"):
        domain_events.subscribe(name)(lambda _name=name, **payload: got[_name].append(payload))
    return got


def test_a_triage_is_announced_with_what_was_chosen_and_by_whom(
    desk: Desk, heard, django_capture_on_commit_callbacks
):
    appeal = desk.register()
    with django_capture_on_commit_callbacks(execute=True):
        services.triage(
            appeal=appeal,
            category=desk.category,
            handling_mode=HandlingMode.DISPATCH,
            by=desk.dispatcher,
            suggested="城乡建设",
        )
        assert heard["appeal_triaged"] == []  # not before the triage commits
    assert heard["appeal_triaged"] == [
        {
            "appeal_id": appeal.pk,
            "category_id": desk.category.pk,
            "by_id": desk.dispatcher.pk,
            "suggested": "城乡建设",
        }
    ]


def test_a_refused_close_announces_nothing_and_a_callback_that_closes_announces_once(
    desk: Desk, heard, django_capture_on_commit_callbacks
):
    appeal = desk.reach(S.REPLIED)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError, match="办结前须先回访"):
        services.close(appeal=appeal, note="办结", by=desk.callback)
    assert heard["appeal_closed"] == []
    with django_capture_on_commit_callbacks(execute=True):
        services.record_callback(
            appeal=refresh(appeal),
            reached=True,
            solved=Solved.SOLVED,
            satisfaction=Satisfaction.VERY_SATISFIED,
            by=desk.callback,
        )
    assert refresh(appeal).state == S.CLOSED
    assert heard["appeal_closed"] == [{"appeal_id": appeal.pk}]


def test_an_answered_consultation_is_closed_and_announced(
    desk: Desk, heard, django_capture_on_commit_callbacks
):
    appeal = desk.register(appeal_type="consultation")
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_directly(appeal=appeal, answer="可在政务服务网办理。", by=desk.dispatcher)
    assert heard["appeal_closed"] == [{"appeal_id": appeal.pk}]
