"""问题清零 roll-up: the supervisor board's per-department figures without counting a million rows
on every page view, and still exact to the moment.

What the board counts, per department and for the whole city, is *items*: an open appeal with an
open assignment in that department (for the city: every open appeal), whether it is on the red
list, and ``overdue_since`` — the earliest running limit among its pending (sign) and signed
(handle) assignments there. An item is overdue at ``now`` exactly when ``overdue_since < now``;
that is the only way the figures depend on the time.

A refresh (``refresh``, every minute from schedule.py) stores every item (``BoardItem``) and the
tallies at a moment ``as_of`` (``BoardTally``). Database triggers log each appeal whose items may
change — an insert, a delete, a change of an appeal's state or red flag, of an assignment's state,
department or limits — into ``BoardChange``, whatever made the change (a service, a bulk
``.update()``, raw SQL). A page then reads, in one snapshot:

    tally at as_of
    + items whose overdue_since falls in [as_of, now)       (they have since become overdue)
    - the stored items of the logged appeals, as of now     (what they counted before)
    + the logged appeals' items computed live, as of now    (what they count now)

which is the live count, whatever happened since the refresh; only the logged appeals and the
minutes since ``as_of`` are read. The refresh folds the log in and deletes the entries it saw
(entries committed meanwhile stay for the next one). Without a refresh yet, or after the
triggers had to be (re)installed, the board counts live (``figures`` returns None).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Case, Count, DateTimeField, F, Min, Q, QuerySet, When
from django.utils import timezone

from .models import (
    OPEN_ASSIGNMENT_STATES,
    Appeal,
    Assignment,
    BoardChange,
    BoardItem,
    BoardSnapshot,
    BoardTally,
)
from .workflow import OPEN_STATES, AssignmentState

CITY = None  # the department key of the whole city's figures

SNAPSHOT_ID = 1


@dataclass(frozen=True)
class Tally:
    open: int
    red: int
    overdue: int


# ---------------------------------------------------------------------------------------------
# Items, live: the one definition of what the board counts
# ---------------------------------------------------------------------------------------------


def _running_due(prefix: str = "") -> Case:
    return Case(
        When(**{f"{prefix}state": AssignmentState.PENDING}, then=F(f"{prefix}sign_due_at")),
        When(**{f"{prefix}state": AssignmentState.SIGNED}, then=F(f"{prefix}handle_due_at")),
        output_field=DateTimeField(),
    )


def department_items(appeals: QuerySet[Any] | None = None) -> QuerySet[Any]:
    """(appeal, department, red, overdue_since) for every open appeal and department holding an
    open assignment of it; only the given appeal ids when ``appeals`` is a queryset of them."""
    qs = Assignment.objects.filter(state__in=OPEN_ASSIGNMENT_STATES, appeal__state__in=OPEN_STATES)
    if appeals is not None:
        qs = qs.filter(appeal_id__in=appeals)
    return (
        qs.order_by()
        .values(
            item_appeal=F("appeal_id"), item_department=F("department_id"), item_red=F("appeal__red_listed")
        )
        .annotate(item_overdue_since=Min(_running_due()))
    )


def city_items(appeals: QuerySet[Any] | None = None) -> QuerySet[Any]:
    """(appeal, red, overdue_since) for every open appeal, over all its assignments."""
    qs = Appeal.objects.filter(state__in=OPEN_STATES)
    if appeals is not None:
        qs = qs.filter(id__in=appeals)
    return (
        qs.order_by()
        .values(item_appeal=F("id"), item_red=F("red_listed"))
        .annotate(item_overdue_since=Min(_running_due("assignments__")))
    )


def _live_tallies(now: datetime, appeals: QuerySet[Any] | None) -> dict[int | None, list[int]]:
    """Tallies of the live items (of ``appeals`` only, when given), aggregated in the database."""
    dept_sql, dept_params = department_items(appeals).query.sql_with_params()
    city_sql, city_params = city_items(appeals).query.sql_with_params()
    sql = (
        "SELECT d, COUNT(*), SUM(CASE WHEN r THEN 1 ELSE 0 END), SUM(CASE WHEN o < %s THEN 1 ELSE 0 END)"  # noqa: S608
        f" FROM (SELECT item_department AS d, item_red AS r, item_overdue_since AS o FROM ({dept_sql}) dept"
        f" UNION ALL SELECT NULL, item_red, item_overdue_since FROM ({city_sql}) city) items GROUP BY d"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(now), *dept_params, *city_params])
        return {d: [int(n), int(red or 0), int(late or 0)] for d, n, red, late in cursor.fetchall()}


def live(now: datetime) -> dict[int | None, Tally]:
    """The figures counted from the appeal tables alone (what the roll-up must always agree with)."""
    return _tallies(_live_tallies(now, None))


def _tallies(acc: dict[int | None, list[int]]) -> dict[int | None, Tally]:
    out = {d: Tally(*v) for d, v in acc.items() if v[0] > 0}
    out.setdefault(CITY, Tally(0, 0, 0))
    return out


# ---------------------------------------------------------------------------------------------
# Reading: roll-up + what changed since
# ---------------------------------------------------------------------------------------------


class _Snapshot:
    """``with _Snapshot():`` — a transaction in which every query sees one snapshot. PostgreSQL's
    default level gives each statement its own, and a refresh committing between two of them would
    count a change twice; SQLite's transactions read one snapshot already. Inside an outer
    transaction the level is the outer one's."""

    def __init__(self, *, small: bool = False) -> None:
        self.small = small

    def __enter__(self) -> None:
        outer = connection.in_atomic_block
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        if not outer and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                if self.small:  # a page's reads: parallel workers would only add their start-up
                    cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")

    def __exit__(self, *exc: Any) -> None:
        self._atomic.__exit__(*exc)


def _combine(as_of: datetime, now: datetime) -> dict[int | None, list[int]]:
    acc: dict[int | None, list[int]] = {
        t.department_id: [t.open, t.red, t.overdue] for t in BoardTally.objects.all()
    }
    changed = BoardChange.objects.values("appeal_id")
    # Two queries, each led by its own index: an OR of both would read every item.
    lo, hi, sign = (as_of, now, 1) if now >= as_of else (now, as_of, -1)
    for d, n in (
        BoardItem.objects.filter(overdue_since__gte=lo, overdue_since__lt=hi)
        .order_by()
        .values_list("department_id")
        .annotate(n=Count("appeal_id"))
    ):
        acc.setdefault(d, [0, 0, 0])[2] += sign * n
    for d, n, red, late in (
        BoardItem.objects.filter(appeal_id__in=changed)
        .order_by()
        .values_list("department_id")
        .annotate(
            n=Count("appeal_id"),
            red=Count("appeal_id", filter=Q(red=True)),
            late=Count("appeal_id", filter=Q(overdue_since__lt=now)),
        )
    ):
        t = acc.setdefault(d, [0, 0, 0])
        t[0] -= n
        t[1] -= red
        t[2] -= late
    for d, (n, red, late) in _live_tallies(now, changed).items():
        t = acc.setdefault(d, [0, 0, 0])
        t[0] += n
        t[1] += red
        t[2] += late
    return acc


def figures(now: datetime | None = None) -> dict[int | None, Tally] | None:
    """Per department id (``CITY``: the whole city): open, red-listed and overdue appeals at
    ``now``, from the roll-up; None when there is no roll-up yet (count live instead)."""
    now = now or timezone.now()
    with _Snapshot(small=True):
        snapshot = BoardSnapshot.objects.filter(pk=SNAPSHOT_ID, as_of__isnull=False).first()
        if snapshot is None or snapshot.as_of is None:
            return None
        return _tallies(_combine(snapshot.as_of, now))


# ---------------------------------------------------------------------------------------------
# Refreshing (the periodic job)
# ---------------------------------------------------------------------------------------------


def _insert_items(appeals: QuerySet[Any] | None) -> None:
    table = connection.ops.quote_name(BoardItem._meta.db_table)
    dept_sql, dept_params = department_items(appeals).query.sql_with_params()
    city_sql, city_params = city_items(appeals).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (appeal_id, department_id, red, overdue_since) {dept_sql}", dept_params
        )
        cursor.execute(f"INSERT INTO {table} (appeal_id, red, overdue_since) {city_sql}", city_params)


def _forget_seen_changes() -> None:
    """Delete the log entries this transaction sees — under its snapshot, exactly those folded in;
    entries of transactions still running stay for the next refresh."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(BoardChange._meta.db_table)}")  # noqa: S608


def _store_tallies(acc: dict[int | None, list[int]]) -> None:
    BoardTally.objects.all().delete()
    BoardTally.objects.bulk_create(
        BoardTally(department_id=d, open=v[0], red=v[1], overdue=v[2]) for d, v in acc.items() if v[0] > 0
    )


def refresh(*, full: bool = False, now: datetime | None = None) -> str:
    """Fold the logged changes into the roll-up (``full``: rebuild it from the appeal tables, as
    the first refresh does). Idempotent; a refresh running at the same time makes this one a
    no-op. Returns what it did: "full", "changes" or "skipped"."""
    BoardSnapshot.objects.get_or_create(pk=SNAPSHOT_ID)
    now = now or timezone.now()
    try:
        with _Snapshot():
            # Take the row first: it serialises refreshes and, on SQLite, the write lock.
            BoardSnapshot.objects.filter(pk=SNAPSHOT_ID).update(as_of=F("as_of"))
            snapshot = BoardSnapshot.objects.get(pk=SNAPSHOT_ID)
            if full or snapshot.as_of is None:
                BoardItem.objects.all().delete()
                _forget_seen_changes()
                _insert_items(None)
                if connection.vendor == "postgresql":
                    # A million new items, and a change log that went from everything ever logged
                    # to nothing: plan the pages' reads with both tables' real statistics. On a new
                    # database neither was ever analysed, and the board took 0.5 s instead of 0.1 s.
                    with connection.cursor() as cursor:
                        for model in (BoardItem, BoardChange):
                            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
                acc = {
                    row["department_id"]: [row["open"], row["red"], row["overdue"]]
                    for row in BoardItem.objects.order_by()
                    .values("department_id")
                    .annotate(
                        open=Count("appeal_id"),
                        red=Count("appeal_id", filter=Q(red=True)),
                        overdue=Count("appeal_id", filter=Q(overdue_since__lt=now)),
                    )
                }
                done, snapshot.rebuilt_at = "full", now
            else:
                acc = _combine(snapshot.as_of, now)
                changed = BoardChange.objects.values("appeal_id")
                BoardItem.objects.filter(appeal_id__in=changed).delete()
                _insert_items(changed)
                _forget_seen_changes()
                done = "changes"
            _store_tallies(acc)
            snapshot.as_of = now
            snapshot.save(update_fields=["as_of", "rebuilt_at"])
    except OperationalError as exc:
        # Another refresh updated the row after this one's snapshot began: it did the work.
        if connection.in_atomic_block or getattr(exc.__cause__, "sqlstate", None) != "40001":
            raise
        return "skipped"
    return done


# ---------------------------------------------------------------------------------------------
# The triggers that write BoardChange
# ---------------------------------------------------------------------------------------------

APPEAL_COLUMNS = ("state", "red_listed")
ASSIGNMENT_COLUMNS = ("appeal_id", "department_id", "state", "sign_due_at", "handle_due_at")
TRIGGERS = (
    "zw_board_appeal_ins",
    "zw_board_appeal_del",
    "zw_board_appeal_upd",
    "zw_board_assignment_ins",
    "zw_board_assignment_del",
    "zw_board_assignment_upd",
)


def _trigger_sql(vendor: str) -> list[str]:
    log, appeal, assignment = (
        BoardChange._meta.db_table,
        Appeal._meta.db_table,
        Assignment._meta.db_table,
    )

    def changed(columns: tuple[str, ...], distinct: str) -> str:
        return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in columns)

    if vendor == "postgresql":
        function = """CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP IN ('UPDATE', 'DELETE') THEN
                INSERT INTO {log} (appeal_id) VALUES (OLD.{column});
              END IF;
              IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.{column} IS DISTINCT FROM OLD.{column}) THEN
                INSERT INTO {log} (appeal_id) VALUES (NEW.{column});
              END IF;
              RETURN NULL;
            END $$"""
        return [
            function.format(name="zw_board_log_appeal", log=log, column="id"),
            function.format(name="zw_board_log_assignment", log=log, column="appeal_id"),
            f"DROP TRIGGER IF EXISTS zw_board_appeal_ins ON {appeal}",
            f"DROP TRIGGER IF EXISTS zw_board_appeal_del ON {appeal}",
            f"DROP TRIGGER IF EXISTS zw_board_appeal_upd ON {appeal}",
            f"DROP TRIGGER IF EXISTS zw_board_assignment_ins ON {assignment}",
            f"DROP TRIGGER IF EXISTS zw_board_assignment_del ON {assignment}",
            f"DROP TRIGGER IF EXISTS zw_board_assignment_upd ON {assignment}",
            f"CREATE TRIGGER zw_board_appeal_ins AFTER INSERT ON {appeal}"
            " FOR EACH ROW EXECUTE FUNCTION zw_board_log_appeal()",
            f"CREATE TRIGGER zw_board_appeal_del AFTER DELETE ON {appeal}"
            " FOR EACH ROW EXECUTE FUNCTION zw_board_log_appeal()",
            f"CREATE TRIGGER zw_board_appeal_upd AFTER UPDATE ON {appeal} FOR EACH ROW"
            f" WHEN ({changed(APPEAL_COLUMNS, 'IS DISTINCT FROM')}) EXECUTE FUNCTION zw_board_log_appeal()",
            f"CREATE TRIGGER zw_board_assignment_ins AFTER INSERT ON {assignment}"
            " FOR EACH ROW EXECUTE FUNCTION zw_board_log_assignment()",
            f"CREATE TRIGGER zw_board_assignment_del AFTER DELETE ON {assignment}"
            " FOR EACH ROW EXECUTE FUNCTION zw_board_log_assignment()",
            f"CREATE TRIGGER zw_board_assignment_upd AFTER UPDATE ON {assignment} FOR EACH ROW"
            f" WHEN ({changed(ASSIGNMENT_COLUMNS, 'IS DISTINCT FROM')})"
            " EXECUTE FUNCTION zw_board_log_assignment()",
        ]
    if vendor == "sqlite":

        def trigger(name: str, event: str, table: str, body: str, when: str = "") -> str:
            when = f" WHEN {when}" if when else ""
            return f"CREATE TRIGGER {name} AFTER {event} ON {table}{when} BEGIN {body} END"

        def log_row(value: str) -> str:
            return f"INSERT INTO {log} (appeal_id) VALUES ({value});"  # noqa: S608

        return [
            *(f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS),
            trigger("zw_board_appeal_ins", "INSERT", appeal, log_row("NEW.id")),
            trigger("zw_board_appeal_del", "DELETE", appeal, log_row("OLD.id")),
            trigger(
                "zw_board_appeal_upd", "UPDATE", appeal, log_row("NEW.id"), changed(APPEAL_COLUMNS, "IS NOT")
            ),
            trigger("zw_board_assignment_ins", "INSERT", assignment, log_row("NEW.appeal_id")),
            trigger("zw_board_assignment_del", "DELETE", assignment, log_row("OLD.appeal_id")),
            trigger(
                "zw_board_assignment_upd",
                "UPDATE",
                assignment,
                log_row("OLD.appeal_id") + f" INSERT INTO {log} (appeal_id) SELECT NEW.appeal_id"
                " WHERE NEW.appeal_id IS NOT OLD.appeal_id;",
                changed(ASSIGNMENT_COLUMNS, "IS NOT"),
            ),
        ]
    return []


def _trigger_table(name: str) -> str:
    return Appeal._meta.db_table if "_appeal_" in name else Assignment._meta.db_table


def _install_sql(vendor: str) -> tuple[list[str], dict[str, str]]:
    """The statements that install the triggers, and what each installed trigger must then read
    as (``_installed``): on PostgreSQL a comment carrying the hash of all the statements (functions
    included), on SQLite the trigger's own text, which SQLite keeps as written."""
    statements = _trigger_sql(vendor)
    if vendor == "postgresql":
        version = "zhengwu-board " + hashlib.sha256("\n".join(statements).encode()).hexdigest()[:16]
        statements += [f"COMMENT ON TRIGGER {n} ON {_trigger_table(n)} IS '{version}'" for n in TRIGGERS]
        return statements, dict.fromkeys(TRIGGERS, version)
    expected = {}
    for sql in statements:
        if sql.startswith("CREATE TRIGGER "):
            expected[sql.split()[2]] = sql
    return statements, expected


def _installed(conn: BaseDatabaseWrapper) -> dict[str, str]:
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute(
                "SELECT t.tgname, COALESCE(obj_description(t.oid, 'pg_trigger'), '') FROM pg_trigger t"
                " WHERE t.tgname = ANY(%s) AND NOT t.tgisinternal",
                [list(TRIGGERS)],
            )
        elif conn.vendor == "sqlite":
            marks = ", ".join(["%s"] * len(TRIGGERS))
            cursor.execute(
                f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({marks})",  # noqa: S608
                TRIGGERS,
            )
        else:
            return {}
        return {row[0]: row[1] for row in cursor.fetchall()}


def install_triggers(conn: BaseDatabaseWrapper) -> bool:
    """(Re)install the triggers when any is missing (a fresh database; on SQLite a migration that
    rebuilds a table drops its triggers) or differs from the SQL above (an edited trigger reaches
    every existing database at its next ``migrate``), and stop trusting the roll-up, whose log may
    then have a gap. Run after every ``migrate``. Returns whether anything was installed."""
    statements, expected = _install_sql(conn.vendor)
    if (
        not statements
        or BoardChange._meta.db_table not in conn.introspection.table_names()
        or _installed(conn) == expected
    ):
        return False
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
        BoardSnapshot.objects.using(conn.alias).update(as_of=None)
    return True


def drop_triggers(conn: BaseDatabaseWrapper) -> None:
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            for name in TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {_trigger_table(name)}")
            cursor.execute("DROP FUNCTION IF EXISTS zw_board_log_appeal(), zw_board_log_assignment()")
        elif conn.vendor == "sqlite":
            for name in TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def after_migrate(using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """post_migrate receiver (see apps.py)."""
    install_triggers(connections[using])
