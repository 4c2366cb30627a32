"""Concurrent requests on real threads, each with its own database connection, against the
committed database (transactional tests): on SQLite — a file, as in production — and on
PostgreSQL. Two people doing the same transition at once get one 200 and one 409, never a 500;
a dispatcher triaging while intake runs gets no 500 either."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import connections
from rest_framework.test import APIClient

from zhengwu.appeals.models import ApiClient, Appeal, HandlingMode
from zhengwu.appeals.services import hash_api_key
from zhengwu.appeals.workflow import AppealState as S

from ..factories import UserFactory
from .conftest import refresh

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "concurrency-channel-key-0001"
STALE = "已被他人修改，请刷新后重试"


def as_user(user: Any) -> APIClient:
    api = APIClient()
    api.force_login(user)
    api.raise_request_exception = False  # a 500 is an answer to count, not an exception here
    return api


def run_together(*calls: Callable[[], Any]) -> list[Any]:
    """Start every call on its own thread at the same moment; return their results in order.
    Each thread closes its own database connections when done."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:  # reported as the thread's result
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a request hung"
    return results


@pytest.mark.parametrize("send_version", [True, False], ids=["with-version", "without-version"])
def test_two_dispatchers_dispatch_the_same_appeal_at_once(desk, send_version):
    other = UserFactory(roles=["dispatcher"], name="吴派单")
    first, second = as_user(desk.dispatcher), as_user(other)
    for _ in range(5):
        appeal = desk.reach(S.TRIAGED)
        url = f"/api/appeals/{appeal.pk}/dispatch"
        body: dict[str, Any] = {"lead": desk.lead_dept.pk}
        if send_version:
            body["version"] = appeal.version
        responses = run_together(
            partial(first.post, url, {**body, "lead": desk.lead_dept.pk}, format="json"),
            partial(second.post, url, {**body, "lead": desk.other_dept.pk}, format="json"),
        )
        assert sorted(r.status_code for r in responses) == [200, 409], [
            (r.status_code, getattr(r, "content", r)[:300]) for r in responses
        ]
        refused = next(r for r in responses if r.status_code == 409)
        expected = STALE if send_version else "当前状态为“待签收”，不能派单"
        assert refused.json()["detail"] == expected
        after = refresh(appeal)
        assert after.state == S.DISPATCHED
        assert after.assignments.filter(role="lead").count() == 1  # the loser left nothing behind
        assert after.events.filter(action="dispatch").count() == 1


def test_two_handlers_sign_the_same_assignment_at_once(desk):
    colleague = UserFactory(roles=["handler"], department=desk.lead_dept, name="住建承办二")
    first, second = as_user(desk.lead_handler), as_user(colleague)
    for _ in range(5):
        appeal = desk.reach(S.DISPATCHED)
        lead = desk.lead(appeal)
        url = f"/api/assignments/{lead.pk}/sign"
        responses = run_together(
            partial(first.post, url, {"version": appeal.version}, format="json"),
            partial(second.post, url, {"version": appeal.version}, format="json"),
        )
        assert sorted(r.status_code for r in responses) == [200, 409], [
            (r.status_code, r.content[:300]) for r in responses
        ]
        assert refresh(appeal).events.filter(action="sign").count() == 1


def test_triage_while_intake_runs_gives_no_500(desk):
    ApiClient.objects.create(name="掌上办App", key_hash=hash_api_key(KEY), channel="mobile")
    appeals = [desk.register(title=f"路灯不亮{i}") for i in range(8)]
    dispatcher = as_user(desk.dispatcher)

    def intake(n: int) -> Callable[[], list[int]]:
        def run() -> list[int]:
            api = APIClient(raise_request_exception=False)
            api.credentials(HTTP_AUTHORIZATION=f"ApiKey {KEY}")
            statuses = []
            for i in range(10):
                response = api.post(
                    "/api/appeals/",
                    {
                        "appeal_type": "complaint",
                        "title": "小区路灯不亮",
                        "body": f"幸福小区{n}栋{i}号门前路灯不亮，夜间出行不便。",
                        "contact_phone": "13800000001",
                    },
                    format="json",
                    headers={"Idempotency-Key": f"intake-{n}-{i}"},
                )
                statuses.append(response.status_code)
            return statuses

        return run

    def triage_all() -> list[int]:
        statuses = []
        for appeal in appeals:
            response = dispatcher.post(
                f"/api/appeals/{appeal.pk}/triage",
                {
                    "category": desk.category.pk,
                    "handling_mode": HandlingMode.DISPATCH,
                    "version": appeal.version,
                },
                format="json",
            )
            statuses.append(response.status_code)
        return statuses

    results = run_together(triage_all, intake(1), intake(2), intake(3))
    assert not [r for r in results if isinstance(r, Exception)], results
    triaged, *intakes = results
    assert triaged == [200] * len(appeals)
    assert Counter(s for batch in intakes for s in batch) == Counter({201: 30})
    assert Appeal.objects.filter(state=S.TRIAGED).count() == len(appeals)
    assert Appeal.objects.filter(idempotency_key__contains=":intake-").count() == 30


def test_two_operators_merge_two_appeals_into_each_other_at_once(desk):
    """A into B and B into A at the same moment: one merge wins, the other is refused — never a
    deadlock answered with 500 (the two rows are locked in the same order by both)."""
    other = UserFactory(roles=["operator"], name="钱受理")
    first, second = as_user(desk.operator), as_user(other)
    for _ in range(15):
        a, b = desk.register(title="井盖缺失"), desk.register(title="井盖缺失（重复）")
        responses = run_together(
            partial(first.post, f"/api/appeals/{a.pk}/merge", {"into": b.pk}, format="json"),
            partial(second.post, f"/api/appeals/{b.pk}/merge", {"into": a.pk}, format="json"),
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses[0] == 200 and statuses[1] in (409, 422), [
            (r.status_code, r.content[:300]) for r in responses
        ]
        states = sorted(refresh(x).state for x in (a, b))
        assert states == sorted([S.MERGED, S.REGISTERED])
