"""Kiosks and windows on real threads, each with its own connection (SQLite file with IMMEDIATE
transactions, and PostgreSQL): no number is issued twice and no number is called twice."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory
from zhengwu.casework.actors import Actor
from zhengwu.hall import queue
from zhengwu.hall.models import QueueTicket
from zhengwu.org.models import Window, WindowKind

from .test_concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def test_twenty_kiosks_never_issue_the_same_number(desk):
    kiosk = Actor.device("取号机")
    calls = [
        lambda i=i: (
            queue.take_number(
                hall=desk.hall, window_kind=WindowKind.COMPREHENSIVE, elder=i % 4 == 0, by=kiosk
            ).number
        )
        for i in range(20)
    ]
    results = run_together(calls)
    assert all(isinstance(r, str) for r in results), results
    assert len(set(results)) == 20
    assert sorted(n for n in results if n.startswith("L")) == [f"L{n:03d}" for n in range(1, 6)]
    assert sorted(n for n in results if n.startswith("A")) == [f"A{n:03d}" for n in range(1, 16)]
    assert QueueTicket.objects.count() == 20


def test_ten_windows_never_call_the_same_number(desk):
    kiosk = Actor.device("取号机")
    for _ in range(10):
        queue.take_number(hall=desk.hall, window_kind=WindowKind.COMPREHENSIVE, by=kiosk)
    clerks = []
    for n in range(10):
        window = Window.objects.create(
            hall=desk.hall, number=f"W{n}", name=f"综合{n}", kind=WindowKind.COMPREHENSIVE
        )
        clerks.append(UserFactory(roles=["clerk"], window=window, name=f"窗口{n}"))
    results = run_together([lambda c=c: queue.call_next(by=c) for c in clerks])
    called = [r.number for r in results if isinstance(r, QueueTicket)]
    assert len(called) == len(set(called))
    assert all(r is None or isinstance(r, QueueTicket) for r in results), results
    assert QueueTicket.objects.filter(state="called").count() == len(called) == 10
