"""The demo city for tests, loaded once per test process and put back in a second.

``load_demo_city`` takes half a minute, and a dozen tests (every admin page, the browser journeys
on the demo's data, Open311's demo services) need the whole city. The first such test loads it
inside a transaction, copies every table's rows into memory and rolls back; each test then puts the
copy in place of whatever its database holds — within its own transaction, so an ordinary test's
rollback removes it again and a transactional test's flush does.

The copy is exact: PostgreSQL's rows travel by ``COPY … TO/FROM STDOUT`` (text format), SQLite's
as the values its driver returns; sequences are moved past the copied ids afterwards. The tests of
``load_demo_city`` itself (run twice, nothing doubled) still call the command."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction

Rows = dict[str, Any]
# Tables the database's own triggers write (the 问题清零 board's change log, appeals/board.py):
# put back last, after the inserts into the tables they watch have written rows of their own.
WRITTEN_BY_TRIGGERS = ("appeals_boardchange",)


def _tables() -> list[str]:
    return sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))


def capture() -> Rows:
    """Every model table's rows, as they are in the current transaction."""
    rows: Rows = {}
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in _tables():
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {qn(table)} TO STDOUT") as copy:
                    rows[table] = b"".join(bytes(chunk) for chunk in copy)
            else:
                cursor.execute(f"SELECT * FROM {qn(table)}")  # noqa: S608 — a table name of ours
                rows[table] = ([c[0] for c in cursor.description], cursor.fetchall())
    return rows


def restore(rows: Rows) -> None:
    """Replace every model table's rows by ``rows`` (in one transaction: the foreign keys are
    checked once, at its end)."""
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    qn = connection.ops.quote_name
    tables = sorted(_tables(), key=lambda t: t in WRITTEN_BY_TRIGGERS)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(qn(t) for t in tables)}")
            for table in tables:
                if table in WRITTEN_BY_TRIGGERS:
                    cursor.execute(f"DELETE FROM {qn(table)}")  # noqa: S608
                if rows.get(table):
                    with cursor.cursor.copy(f"COPY {qn(table)} FROM STDIN") as copy:
                        copy.write(rows[table])
            models = [m for m in apps.get_models(include_auto_created=True) if m._meta.db_table in tables]
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {qn(table)}")  # noqa: S608
            for table in tables:
                if table in WRITTEN_BY_TRIGGERS:
                    cursor.execute(f"DELETE FROM {qn(table)}")  # noqa: S608
                columns, values = rows.get(table, ([], []))
                if values:
                    marks = ", ".join(["%s"] * len(columns))
                    names = ", ".join(qn(c) for c in columns)
                    cursor.executemany(f"INSERT INTO {qn(table)} ({names}) VALUES ({marks})", values)  # noqa: S608
    ContentType.objects.clear_cache()


def load_and_capture(seed: Any) -> Rows:
    """Load the demo city on the migrations' seed data, copy it, and leave the database as it was."""
    with transaction.atomic():
        seed()
        call_command("load_demo_city", "--quiet-logins")
        rows = capture()
        transaction.set_rollback(True)
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    return rows
