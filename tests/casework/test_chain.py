"""The keyed hash chain every matter's history is (casework/chain.py), with appeals as the matter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from zhengwu.appeals import events
from zhengwu.appeals.models import Appeal, AppealEvent
from zhengwu.casework.actors import Actor
from zhengwu.casework.chain import GENESIS, Break, Chain, event_mac, using_key
from zhengwu.core.errors import Conflict

from ..factories import UserFactory

CHAIN = Chain(matter=Appeal, event=AppealEvent, fk="appeal", sealed=events.SEALED_FIELDS, noun="诉求")
KEY = "test-history-key-0123456789"


def unsaved(number: str = "ZW-20260610-900001") -> Appeal:
    return Appeal(
        number=number,
        query_code_hash="0" * 64,
        channel="hotline",
        appeal_type="complaint",
        title="路灯不亮",
        body="幸福路路灯不亮。",
        contact_phone="13800000001",
    )


def history(appeal: Appeal, operator, n: int = 3) -> Appeal:
    """An appeal inserted with its first event, then ``n - 1`` more, as services append them."""
    now = timezone.now()
    CHAIN.append(appeal, action="register", actor=operator, at=now, to_state="registered", first=True)
    for i in range(1, n):
        CHAIN.append(
            appeal, action="note", actor=operator, at=now + timedelta(minutes=i), note=f"第{i}次记录"
        )
    return appeal


@pytest.fixture
def operator(db):
    return UserFactory(roles=["operator"], name="李四")


def test_the_first_event_inserts_the_matter_sealed_and_each_event_links_the_last(operator):
    appeal = history(unsaved(), operator)
    row = Appeal.objects.get(pk=appeal.pk)
    chain = list(appeal.events.order_by("seq"))
    assert [e.seq for e in chain] == [1, 2, 3]
    assert chain[0].prev_hash == GENESIS
    assert [e.prev_hash for e in chain[1:]] == [e.hash for e in chain[:-1]]
    assert (row.chain_length, row.chain_head) == (3, chain[-1].hash)
    assert chain[0].actor == operator and chain[0].actor_label == operator.display_name
    assert CHAIN.row_is_sealed(row) and CHAIN.check(row) is None
    # the desk's own chain is the same chain: it verifies what this one wrote
    assert events.check_appeal(row) is None


def test_an_edited_event_breaks_the_chain_where_it_was_edited(operator):
    appeal = history(unsaved(), operator)
    AppealEvent.objects.filter(appeal=appeal, seq=2).update(note="改过的记录")
    assert CHAIN.check(appeal) == Break(2, "轨迹内容被改动")
    assert str(CHAIN.check(appeal)) == "第2条：轨迹内容被改动"


def test_an_edit_repaired_without_the_key_is_still_caught(operator):
    import hashlib

    appeal = history(unsaved(), operator)
    e = AppealEvent.objects.get(appeal=appeal, seq=3)
    AppealEvent.objects.filter(pk=e.pk).update(note="改过", hash=hashlib.sha256(b"recomputed").hexdigest())
    assert CHAIN.check(appeal).seq == 3


def test_a_forged_row_breaks_the_seal_and_is_refused_before_anything_is_appended(operator):
    appeal = history(unsaved(), operator)
    Appeal.objects.filter(pk=appeal.pk).update(state="closed", reply="伪造的答复")
    forged = Appeal.objects.get(pk=appeal.pk)
    assert not CHAIN.row_is_sealed(forged)
    assert CHAIN.check(forged) == Break(4, "诉求的状态等内容与轨迹不符，被直接改动")
    with pytest.raises(Conflict, match="该诉求的记录与办理轨迹不符") as refused:
        CHAIN.check_sealed(forged)
    assert refused.value.field == "state"
    # the desk names what its seal covers in its own words
    assert events.check_appeal(forged) == Break(4, "诉求的状态、答复等内容与轨迹不符，被直接改动")


def test_a_forged_event_row_or_a_cut_tail_is_detected_and_not_extended(operator):
    appeal = history(unsaved(), operator)
    last = AppealEvent.objects.get(appeal=appeal, seq=3)
    AppealEvent.objects.create(
        appeal=appeal,
        seq=4,
        at=last.at,
        actor=operator,
        actor_label="李四",
        action="close",
        to_state="closed",
        prev_hash=last.hash,
        hash="f" * 64,
    )
    assert CHAIN.check(appeal) == Break(4, "轨迹内容被改动")
    with pytest.raises(Conflict):  # the row says 3 events, the table holds 4: not appended to
        CHAIN.append(Appeal.objects.get(pk=appeal.pk), action="note", actor=operator, at=timezone.now())
    AppealEvent.objects.filter(appeal=appeal, seq__gte=3).delete()
    problem = CHAIN.check(appeal)
    assert problem is not None and problem.seq == 3 and "末尾轨迹被删除" in problem.reason


def test_the_system_is_recorded_as_nobody_with_its_reason(operator):
    appeal = history(unsaved(), operator, n=1)
    event = CHAIN.append(appeal, action="urge", actor=Actor.system("定时催办"), at=timezone.now())
    assert (event.actor_id, event.actor_label) == (None, "系统")
    assert event.data == {"system_reason": "定时催办"}
    assert CHAIN.check(appeal) is None


def test_the_macs_are_those_every_existing_history_was_written_with(settings):
    """Known answers computed by the appeals desk's own chain before the chain was shared: a change
    here would make every stored history fail to verify."""
    settings.HISTORY_CHAIN_KEY = KEY
    at = datetime(2026, 6, 10, 2, 0, tzinfo=UTC)
    event = {
        "seq": 1,
        "at": at,
        "actor_id": 7,
        "actor_label": "张三",
        "action": "register",
        "from_state": "",
        "to_state": "registered",
        "public": True,
        "note": "经12345热线登记",
        "data": {"channel": "hotline", "type": "complaint"},
        "prev_hash": GENESIS,
    }
    head = event_mac("12345-20260610-000001", event)
    assert head == "27776cb1ed0eaada716d0815d8640ef14984aa0774fc063defae7eb339d4c361"
    row = dict.fromkeys(events.SEALED_FIELDS)
    row.update(number="12345-20260610-000001", state="registered", title="路灯不亮", reply="", due_at=at)
    assert events.seal(row, length=1, head=head) == (
        "cd6455693ddf1bd23e03b11071180ebb5d8c01f9804c113ae85be8a65b69c230"
    )
    assert events._root(GENESIS, at, [(3, 2, head), (1, 1, head)]) == (
        "a926f8d7d93e86839fc2dd9fcb22852870fe182e04f3eebea36acb05fb7a0888"
    )


def test_using_key_computes_under_another_key_inside_the_block_only(settings):
    settings.HISTORY_CHAIN_KEY = KEY
    e = {
        "seq": 1,
        "at": datetime(2026, 6, 10, tzinfo=UTC),
        "actor_id": None,
        "actor_label": "系统",
        "action": "register",
        "from_state": "",
        "to_state": "registered",
        "public": True,
        "note": "",
        "data": {},
        "prev_hash": GENESIS,
    }
    current = event_mac("ZW-1", e)
    with using_key("another-key"):
        other = event_mac("ZW-1", e)
    assert other != current and event_mac("ZW-1", e) == current
    assert event_mac("ZW-2", e) != current  # an event moved to another matter no longer verifies
