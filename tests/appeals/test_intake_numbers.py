"""Intake without a look-up first: the unique index on the idempotency key answers retries, the
day's counter is taken in one statement inside the appeal's own short transaction — so a retry or a
rolled-back intake uses no number, and a retry is answered even if its input no longer passes."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from zhengwu.appeals import services
from zhengwu.appeals.events import verify_chain
from zhengwu.appeals.models import Appeal, DailySequence
from zhengwu.casework.actors import Actor
from zhengwu.core.errors import DomainError

VALUES = {
    "channel": "mobile",
    "appeal_type": "help",
    "title": "路灯不亮",
    "body": "幸福路路灯不亮。",
    "contact_name": "张先生",
    "contact_phone": "13800000001",
    "by": Actor.system("接口客户端“测试渠道”登记"),
}


def tail(appeal: Appeal) -> int:
    return int(appeal.number.rsplit("-", 1)[1])


def test_a_retry_returns_the_same_appeal_and_uses_no_number(db):
    first, code = services.register_appeal(**VALUES, idempotency_key="c1:r-1")
    again, none = services.register_appeal(**VALUES, idempotency_key="c1:r-1")
    assert code is not None and none is None
    assert again.pk == first.pk and again.number == first.number
    following, _ = services.register_appeal(**VALUES, idempotency_key="c1:r-2")
    assert tail(following) == tail(first) + 1  # the refused insert gave its number back
    assert Appeal.objects.filter(idempotency_key="c1:r-1").count() == 1
    assert verify_chain(first) is None and first.events.count() == 1


def test_a_retry_is_answered_even_if_its_input_would_now_be_refused(db, desk):
    desk.category.is_active = True
    desk.category.save()
    first, _ = services.register_appeal(**VALUES, category=desk.category, idempotency_key="c1:r-3")
    desk.category.is_active = False
    desk.category.save()
    again, code = services.register_appeal(**VALUES, category=desk.category, idempotency_key="c1:r-3")
    assert again.pk == first.pk and code is None
    with pytest.raises(DomainError):  # a new key with the same input is refused
        services.register_appeal(**VALUES, category=desk.category, idempotency_key="c1:r-4")


def test_an_intake_rolled_back_by_its_caller_uses_no_number(db):
    first, _ = services.register_appeal(**VALUES)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.register_appeal(**VALUES)
        raise RuntimeError("the caller's next step failed")
    following, _ = services.register_appeal(**VALUES)
    assert tail(following) == tail(first) + 1


def test_the_first_appeal_of_a_day_starts_the_counter(db):
    day = timezone.localdate()
    DailySequence.objects.filter(day=day).delete()
    appeal, _ = services.register_appeal(**VALUES)
    assert appeal.number == f"ZW-{day:%Y%m%d}-000001"
    assert DailySequence.objects.get(day=day).value == 1
