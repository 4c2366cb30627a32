"""The 问题清零 roll-up (appeals/board.py): whatever happens between two refreshes — services, bulk
updates, deletions, the clock passing a limit — the board read from the roll-up shows exactly what
counting the appeal tables live shows; a refresh folds the changes in and agrees with a rebuild."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from zhengwu.appeals import board, services, worklists
from zhengwu.appeals.models import Appeal, Assignment, BoardChange, BoardItem, BoardSnapshot
from zhengwu.appeals.workflow import AppealState as S


def agrees(now=None) -> dict:
    """The roll-up's figures equal the board's own live queries (worklists) at ``now``."""
    now = now or timezone.now()
    from_roll_up = board.figures(now)
    assert from_roll_up is not None, "the roll-up should be in use"
    assert from_roll_up == board.live(now)
    totals = worklists.board_totals(now)
    assert from_roll_up[board.CITY] == board.Tally(totals["open"], totals["red"], totals["overdue"])
    assert {d: t for d, t in from_roll_up.items() if d is not board.CITY} == {
        r.department_id: board.Tally(r.open, r.red, r.overdue) for r in worklists.board_by_department(now)
    }
    return from_roll_up


def test_without_a_refresh_the_board_counts_live(desk):
    desk.reach(S.DISPATCHED)
    assert board.figures() is None
    totals, rows = worklists.board_figures(timezone.now())
    assert totals == worklists.board_totals(timezone.now())
    assert rows == worklists.board_by_department(timezone.now())


def test_the_roll_up_agrees_with_live_counts_whatever_changes_between_refreshes(desk):
    late = desk.reach(S.IN_PROGRESS)
    dispatched = desk.reach(S.DISPATCHED)
    desk.reach(S.REPLIED)
    desk.reach(S.CLOSED)
    desk.reach(S.TRIAGED)
    assert board.refresh() == "full"
    figures = agrees()
    assert figures[board.CITY] == board.Tally(open=4, red=0, overdue=0)
    assert figures[desk.lead_dept.pk].open == 3  # the triaged one has no assignment yet

    # services
    desk.reach(S.RETURNED)
    desk.register(title="新登记")
    services.sign(assignment=desk.lead(dispatched), by=desk.lead_handler)
    agrees()
    # bulk updates that no service makes, and a deletion
    Assignment.objects.filter(pk=desk.lead(late).pk).update(handle_due_at=timezone.now() - timedelta(days=3))
    Appeal.objects.filter(pk=dispatched.pk).update(red_listed=True)
    Appeal.objects.filter(pk=desk.reach(S.DISPATCHED).pk).delete()
    figures = agrees()
    assert figures[desk.lead_dept.pk].overdue == 1
    assert figures[desk.lead_dept.pk].red == 1
    assert figures[board.CITY].red == 1

    assert board.refresh() == "changes"
    assert not BoardChange.objects.exists()
    incremental = agrees()
    board.refresh(full=True)
    assert agrees() == incremental
    assert set(BoardItem.objects.values_list("appeal_id", "department_id", "red", "overdue_since")) == {
        (r["item_appeal"], r["item_department"], r["item_red"], r["item_overdue_since"])
        for r in board.department_items()
    } | {(r["item_appeal"], None, r["item_red"], r["item_overdue_since"]) for r in board.city_items()}


def test_overdue_follows_the_clock_without_a_refresh(desk):
    appeal = desk.reach(S.DISPATCHED)
    lead = desk.lead(appeal)
    board.refresh()
    before, after = lead.sign_due_at - timedelta(minutes=1), lead.sign_due_at + timedelta(minutes=1)
    assert agrees(before)[desk.lead_dept.pk].overdue == 0
    assert agrees(after)[desk.lead_dept.pk].overdue == 1
    assert agrees(after)[board.CITY].overdue == 1
    # a refresh taken after the limit, read with a clock that is behind it
    board.refresh(now=after)
    assert agrees(before)[desk.lead_dept.pk].overdue == 0
    # signed: the handling limit runs now
    services.sign(assignment=lead, by=desk.lead_handler)
    assert agrees(after)[desk.lead_dept.pk].overdue == 0
    assert agrees(lead.handle_due_at + timedelta(seconds=1))[desk.lead_dept.pk].overdue == 1


def test_the_triggers_log_what_can_change_the_board_and_nothing_else(desk):
    appeal = desk.reach(S.DISPATCHED)
    BoardChange.objects.all().delete()
    Appeal.objects.filter(pk=appeal.pk).update(version=99, title="改个标题")
    Assignment.objects.filter(appeal=appeal).update(return_reason="无关字段")
    assert not BoardChange.objects.exists()
    Appeal.objects.filter(pk=appeal.pk).update(red_listed=True)
    assert list(BoardChange.objects.values_list("appeal_id", flat=True)) == [appeal.pk]
    BoardChange.objects.all().delete()
    Assignment.objects.filter(appeal=appeal).update(department=desk.other_dept)
    assert set(BoardChange.objects.values_list("appeal_id", flat=True)) == {appeal.pk}


def test_lost_triggers_are_put_back_and_the_roll_up_is_rebuilt(desk):
    desk.reach(S.DISPATCHED)
    board.refresh()
    assert board.install_triggers(connection) is False  # all there: nothing to do
    board.drop_triggers(connection)
    desk.reach(S.DISPATCHED)  # a change the log misses
    assert board.install_triggers(connection) is True
    assert board.figures() is None  # not trusted: counted live until rebuilt
    assert board.refresh() == "full"
    agrees()


def test_reading_the_roll_up_takes_the_same_queries_however_much_changed(desk):
    desk.reach(S.DISPATCHED)
    board.refresh()
    with CaptureQueriesContext(connection) as few:
        board.figures()
    for _ in range(5):
        desk.reach(S.IN_PROGRESS)
    with CaptureQueriesContext(connection) as many:
        board.figures()
    assert len(many.captured_queries) == len(few.captured_queries)
    agrees()


def test_the_board_page_reads_the_roll_up_and_drills_down_to_the_same_numbers(desk, client):
    late = desk.reach(S.IN_PROGRESS)
    red = desk.reach(S.DISPATCHED)
    desk.reach(S.DISPATCHED)
    desk.reach(S.CLOSED)
    board.refresh()
    Assignment.objects.filter(pk=desk.lead(late).pk).update(handle_due_at=timezone.now() - timedelta(days=9))
    Appeal.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(days=9))
    Appeal.objects.filter(pk=red.pk).update(red_listed=True)
    assert BoardSnapshot.objects.get().as_of is not None
    client.force_login(desk.supervisor)
    html = client.get(reverse("analytics:board")).content.decode()
    row = re.search(rf'<tr data-department="{desk.lead_dept.pk}">(.*?)</tr>', html, re.S).group(1)
    assert [int(n) for n in re.findall(r">(\d+)<", row)] == [3, 1, 1]  # open, overdue, red
    assert late.number in html and red.number in html
    drilled = client.get(reverse("appeals:list"), {"department": desk.lead_dept.pk, "overdue": 1})
    assert late.number in drilled.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_refresh_in_its_own_transaction_reads_one_snapshot(desk):
    """Outside a test's transaction the refresh and the reads run at repeatable read on
    PostgreSQL; the figures still agree."""
    desk.reach(S.DISPATCHED)
    assert board.refresh() == "full"
    desk.reach(S.IN_PROGRESS)
    assert board.refresh() == "changes"
    agrees()


def test_the_scheduler_refreshes_the_roll_up_every_minute_and_rebuilds_it_nightly(desk):
    from zhengwu.appeals import schedule, tasks

    jobs = {name: (crontab, task) for name, crontab, task in schedule.JOBS}
    assert jobs["问题清零看板汇总"] == ("* * * * *", tasks.refresh_board)
    assert jobs["问题清零看板全量重算"][1] is tasks.rebuild_board
    desk.reach(S.DISPATCHED)
    assert tasks.refresh_board.call() == "full"  # the first one builds it
    desk.reach(S.IN_PROGRESS)
    assert tasks.refresh_board.call() == "changes"
    assert tasks.rebuild_board.call() == "full"
    agrees()


def test_the_board_page_takes_the_same_queries_with_more_appeals_and_more_changes(desk, client):
    def populate(n: int) -> None:
        for _ in range(n):
            for state in (S.DISPATCHED, S.IN_PROGRESS, S.RETURNED, S.REPLIED, S.CLOSED):
                desk.reach(state)
        Appeal.objects.filter(state=S.DISPATCHED).update(red_listed=True)
        Appeal.objects.filter(state=S.IN_PROGRESS).update(due_at=timezone.now() - timedelta(days=9))

    populate(1)
    board.refresh()
    client.force_login(desk.supervisor)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("analytics:board")).status_code == 200
    populate(4)  # more appeals, all changed since the refresh
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("analytics:board")).status_code == 200
    assert len(many.captured_queries) <= len(few.captured_queries)


def test_an_edited_trigger_reaches_an_existing_database(desk, monkeypatch):
    """install_triggers compares the installed triggers with the SQL of board.py, not just their
    names: a trigger edited in a later release replaces the old one at the next migrate."""
    appeal = desk.reach(S.DISPATCHED)
    board.refresh()
    assert board.install_triggers(connection) is False  # what is installed is what board.py says
    BoardChange.objects.all().delete()
    Appeal.objects.filter(pk=appeal.pk).update(reply="新答复")
    assert not BoardChange.objects.exists()
    # A release whose trigger also logs a change of the reply.
    monkeypatch.setattr(board, "APPEAL_COLUMNS", (*board.APPEAL_COLUMNS, "reply"))
    assert board.install_triggers(connection) is True
    assert board.figures() is None  # the log may have a gap while the triggers were replaced
    Appeal.objects.filter(pk=appeal.pk).update(reply="又一个答复")
    assert list(BoardChange.objects.values_list("appeal_id", flat=True)) == [appeal.pk]
    assert board.install_triggers(connection) is False
    monkeypatch.undo()
    assert board.install_triggers(connection) is True


def test_a_full_refresh_analyses_the_change_log_as_well(desk):
    """On a new PostgreSQL database neither roll-up table has statistics; the board's reads of the
    change log were planned blind (0.5 s instead of 0.1 s). SQLite plans without ANALYZE."""
    desk.reach(S.DISPATCHED)
    with CaptureQueriesContext(connection) as seen:
        assert board.refresh(full=True) == "full"
    analysed = [q["sql"] for q in seen.captured_queries if q["sql"].startswith("ANALYZE")]
    expected = ['ANALYZE "appeals_boarditem"', 'ANALYZE "appeals_boardchange"']
    assert analysed == (expected if connection.vendor == "postgresql" else [])
