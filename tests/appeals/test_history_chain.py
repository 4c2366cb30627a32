"""The history against an insider with database write access but without HISTORY_CHAIN_KEY: each
attack of the hardening issue (edit and recompute the hashes, delete the last events, forge the
row's state or reply, change who did it) is detected, by the page check, the command and the
daily job, and the daily checkpoint catches a tail cut together with a replayed older row."""

import hashlib
import importlib
import json
import logging

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.db import connection

from zhengwu.appeals import events, services, tasks
from zhengwu.appeals.events import check_appeal, verify_all, verify_chain
from zhengwu.appeals.models import Appeal, AppealEvent, ChainCheckpoint, ChainCheckpointEntry
from zhengwu.appeals.workflow import AppealState as S
from zhengwu.core.errors import Conflict

from .conftest import refresh


def _sha(payload: dict) -> str:
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def test_an_untouched_history_verifies_everywhere(desk):
    appeal = desk.reach(S.IN_PROGRESS)
    assert verify_chain(appeal) is None
    row = refresh(appeal)
    assert row.chain_length == appeal.events.count() == 4
    assert row.chain_head == appeal.events.get(seq=4).hash
    report = verify_all()
    assert report.ok and report.appeals == 1 and report.events == 4


def test_an_edit_with_hashes_recomputed_in_sql_is_detected(desk):
    """What defeated the unkeyed chain: edit an event, then recompute every hash after it (and the
    row's head) with plain SHA-256 — anyone can, with SQL and no key."""
    appeal = desk.reach(S.IN_PROGRESS)
    prev = appeal.events.get(seq=1).hash
    for e in appeal.events.filter(seq__gte=2).order_by("seq"):
        note = "篡改后的说明" if e.seq == 2 else e.note
        new = _sha({"seq": e.seq, "note": note, "prev": prev, "action": e.action})
        AppealEvent.objects.filter(pk=e.pk).update(note=note, prev_hash=prev, hash=new)
        prev = new
    Appeal.objects.filter(pk=appeal.pk).update(chain_head=prev)
    problem = check_appeal(appeal)
    assert problem is not None and problem.seq == 2 and problem.reason == "轨迹内容被改动"


def test_the_mac_depends_on_the_key(desk, settings):
    appeal = desk.reach(S.DISPATCHED)
    assert verify_chain(appeal) is None
    settings.HISTORY_CHAIN_KEY = "another-key-that-the-insider-guessed"
    assert verify_chain(appeal) == 1


def test_deleting_the_last_events_is_detected(desk):
    appeal = desk.reach(S.IN_PROGRESS)
    appeal.events.filter(seq__gte=3).delete()
    problem = check_appeal(appeal)
    assert problem is not None and problem.seq == 3 and "末尾轨迹被删除" in problem.reason


def test_deleting_the_last_events_and_rewinding_the_rows_counters_is_detected(desk):
    appeal = desk.reach(S.IN_PROGRESS)
    appeal.events.filter(seq__gte=3).delete()
    Appeal.objects.filter(pk=appeal.pk).update(chain_length=2, chain_head=appeal.events.get(seq=2).hash)
    problem = check_appeal(appeal)
    assert problem is not None and problem.reason == "诉求的状态、答复等内容与轨迹不符，被直接改动"


@pytest.mark.parametrize(
    "forged",
    [{"state": S.CLOSED}, {"reply": "已妥善处理，群众满意。"}, {"red_listed": True}, {"title": "改过的标题"}],
    ids=["state", "reply", "red_listed", "title"],
)
def test_forging_a_shown_field_on_the_row_is_detected(desk, forged):
    appeal = desk.reach(S.IN_PROGRESS)
    Appeal.objects.filter(pk=appeal.pk).update(**forged)
    problem = check_appeal(appeal)
    assert problem is not None and problem.seq == 5
    assert problem.reason == "诉求的状态、答复等内容与轨迹不符，被直接改动"


def test_changing_who_did_it_is_detected(desk):
    appeal = desk.reach(S.IN_PROGRESS)
    AppealEvent.objects.filter(appeal=appeal, seq=3).update(actor_label="别的部门的某人")
    assert verify_chain(appeal) == 3


@pytest.mark.parametrize("field", ["at", "public", "data", "action", "to_state"])
def test_every_shown_field_of_an_event_is_covered(desk, field):
    appeal = desk.reach(S.DISPATCHED)
    e = appeal.events.get(seq=2)
    new = {
        "at": e.at.replace(year=e.at.year - 1),
        "public": not e.public,
        "data": {**e.data, "x": 1},
        "action": "close",
        "to_state": S.CLOSED,
    }[field]
    AppealEvent.objects.filter(pk=e.pk).update(**{field: new})
    assert verify_chain(appeal) == 2


def test_the_services_keep_the_row_sealed_through_the_whole_path(desk):
    for state in (S.ARCHIVED, S.MERGED, S.RETURNED):
        appeal = desk.reach(state)
        assert verify_chain(appeal) is None, state
    assert verify_all().ok


def test_a_tail_cut_with_an_older_row_replayed_is_caught_by_the_checkpoint(desk):
    """An insider who kept an older copy of the row (state, seal and all) deletes the events after
    it and writes the copy back: the chain and the seal verify, the checkpoint does not."""
    appeal = desk.reach(S.DISPATCHED)
    old_row = Appeal.objects.filter(pk=appeal.pk).values().get()
    services.sign(assignment=desk.lead(appeal), by=desk.lead_handler)
    assert refresh(appeal).chain_length == old_row["chain_length"] + 1
    report = verify_all(checkpoint=True)
    assert report.ok and report.checkpoint is not None and report.checkpoint.moved == 1

    appeal.events.filter(seq__gt=old_row["chain_length"]).delete()
    Appeal.objects.filter(pk=appeal.pk).update(
        **{k: v for k, v in old_row.items() if k not in ("id", "updated_at", "created_at")}
    )
    problem = check_appeal(appeal)
    assert problem is not None and "检查点记录了" in problem.reason
    with pytest.raises(CommandError, match="1件诉求的轨迹与记录不符"):
        call_command("verify_appeal_chains")


def test_a_forged_checkpoint_or_a_deleted_appeal_is_detected(desk):
    a, b = desk.register(), desk.register()
    first = verify_all(checkpoint=True).checkpoint
    assert first is not None and first.moved == 2
    # The second run records no head (nothing moved) but chains its root to the first.
    second = verify_all(checkpoint=True).checkpoint
    assert second is not None and second.moved == 0 and second.prev_root == first.root
    ChainCheckpointEntry.objects.filter(checkpoint=first, appeal_id=a.pk).update(seq=5)
    assert verify_all().bad_checkpoints == [first.pk]
    ChainCheckpointEntry.objects.filter(checkpoint=first, appeal_id=a.pk).update(seq=1)
    assert verify_all().ok
    Appeal.objects.filter(pk=b.pk).delete()
    report = verify_all()
    assert [str(p) for p in report.broken.values()] == ["第1条：检查点记录的诉求已被删除"]


def test_the_daily_job_raises_the_alarm(desk, client, make_user, caplog):
    appeal = desk.reach(S.DISPATCHED)
    Appeal.objects.filter(pk=appeal.pk).update(reply="伪造的答复")
    with caplog.at_level(logging.ERROR, logger="zhengwu.appeals.events"):
        result = tasks.verify_history.call()
    assert "1件不符" in result
    assert any(r.levelno == logging.ERROR and appeal.number in r.getMessage() for r in caplog.records)
    assert ChainCheckpoint.objects.get().broken == 1
    # The broken appeal's head is not signed into the checkpoint.
    assert not ChainCheckpointEntry.objects.filter(appeal_id=appeal.pk).exists()

    admin = make_user("admin")
    client.force_login(admin)
    html = client.get("/").content.decode()
    assert "诉求轨迹校验发现1件诉求的轨迹与记录不符" in html
    client.force_login(desk.dispatcher)
    assert "诉求轨迹校验发现" not in client.get("/").content.decode()


def test_the_daily_job_is_scheduled():
    from zhengwu.appeals.schedule import JOBS

    assert any(task is tasks.verify_history and cron == "40 3 * * *" for _, cron, task in JOBS)


def test_the_migration_rekeys_a_whole_old_chain_and_leaves_a_tampered_one_broken(desk):
    """Migration 0008 recomputes histories written under the unkeyed scheme."""
    migration = importlib.import_module("zhengwu.appeals.migrations.0008_rekey_history")
    whole, tampered = desk.reach(S.DISPATCHED), desk.reach(S.DISPATCHED)
    for appeal in (whole, tampered):
        prev = events.GENESIS
        for e in appeal.events.order_by("seq"):
            e.prev_hash = prev
            e.hash = migration.old_digest(appeal.number, e)
            AppealEvent.objects.filter(pk=e.pk).update(prev_hash=prev, hash=e.hash)
            prev = e.hash
        Appeal.objects.filter(pk=appeal.pk).update(chain_length=0, chain_head="", chain_seal="")
    AppealEvent.objects.filter(appeal=tampered, seq=2).update(note="改过")
    assert verify_chain(whole) == 1

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection  # type: ignore[attr-defined]
    migration.rekey(django_apps, editor)
    assert verify_chain(whole) is None
    assert verify_chain(tampered) == 1


def test_rotating_the_key_rekeys_every_history_and_checkpoint(desk, settings, monkeypatch, capsys):
    appeal = desk.reach(S.IN_PROGRESS)
    verify_all(checkpoint=True)
    old = settings.HISTORY_CHAIN_KEY
    settings.HISTORY_CHAIN_KEY = "the-new-history-key-after-rotation"
    assert verify_chain(appeal) == 1  # under the new key, nothing verifies yet
    monkeypatch.setenv("OLD_HISTORY_CHAIN_KEY", old)
    call_command("verify_appeal_chains", "--rekey")
    assert "已用新密钥重算1件诉求的轨迹" in capsys.readouterr().out
    assert verify_chain(appeal) is None
    assert verify_all().ok


def test_rotating_refuses_to_launder_a_broken_history(desk, settings, monkeypatch):
    appeal = desk.reach(S.DISPATCHED)
    Appeal.objects.filter(pk=appeal.pk).update(state=S.CLOSED)
    monkeypatch.setenv("OLD_HISTORY_CHAIN_KEY", settings.HISTORY_CHAIN_KEY)
    settings.HISTORY_CHAIN_KEY = "the-new-history-key-after-rotation"
    with pytest.raises(CommandError, match="旧密钥下有1件诉求的轨迹不符，不能更换密钥"):
        call_command("verify_appeal_chains", "--rekey")


def test_a_forged_row_is_not_laundered_by_the_next_transition(desk, client):
    """Resealing whatever the row holds would make a forged reply part of the history at the next
    legitimate step; the services refuse to act on a row whose seal does not verify."""
    appeal = desk.reach(S.DISPATCHED)
    Appeal.objects.filter(pk=appeal.pk).update(reply="伪造的答复")
    with pytest.raises(Conflict, match="该诉求的记录与办理轨迹不符"):
        services.sign(assignment=desk.lead(appeal), by=desk.lead_handler)
    assert refresh(appeal).state == S.DISPATCHED and appeal.events.count() == 3
    assert check_appeal(appeal) is not None  # still reported, not resealed


def test_events_are_not_appended_to_a_cut_chain(desk):
    appeal = desk.reach(S.IN_PROGRESS)
    appeal.events.filter(seq=4).delete()
    with pytest.raises(Conflict, match="该诉求的记录与办理轨迹不符"):
        services.urge(assignment=desk.lead(appeal), threshold="manual", by=desk.supervisor)
    assert appeal.events.count() == 3
