"""Twenty people on real threads, each with its own connection, race for the last places of a
slot (SQLite file with IMMEDIATE transactions, and PostgreSQL): the slot is never overbooked and
every refused booking gets the 409 message."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connections
from django.test import Client

from zhengwu.hall.models import Appointment, Slot
from zhengwu.hall.services import FULL

from .conftest import make_citizen

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(calls: list[Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = calls[i]()
        except Exception as exc:  # counted as this thread's answer
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a booking hung"
    return results


def test_twenty_citizens_race_for_the_last_places(desk):
    slot = desk.slot(hour=9)
    Slot.objects.filter(pk=slot.pk).update(capacity=5, priority_capacity=0)
    clients = []
    for n in range(20):
        user, _ = make_citizen(100 + n)
        client = Client(raise_request_exception=False)
        client.force_login(user)
        clients.append(client)
    data = {"hall": desk.hall.pk, "item": desk.item.pk, "slot": slot.pk}
    results = run_together([lambda c=c: c.post("/appointments/new/", data) for c in clients])
    statuses = sorted(getattr(r, "status_code", repr(r)) for r in results)
    assert statuses == [302] * 5 + [409] * 15, statuses
    for r in results:
        if r.status_code == 409:
            assert FULL in r.content.decode()
    slot.refresh_from_db()
    assert slot.booked == 5
    assert Appointment.objects.filter(slot=slot, state="booked").count() == 5
    assert len(set(Appointment.objects.values_list("code", flat=True))) == 5
