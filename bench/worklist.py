"""Worklists at scale: with 1,000,000 appeals in PostgreSQL, a department inbox page and the
supervisor board must answer p95 < 150 ms with a query count that does not grow with the data.
Run by hand:

    .venv/bin/python bench/worklist.py [--rows 1000000] [--requests 40]

Uses the database ``zhengwu_worklist`` on the local PostgreSQL (created, migrated, demo city
loaded the first time). The appeals and their assignments are generated in SQL (generate_series), spread over the
demo departments, states and the last 180 days, a tenth of them overdue. The board's roll-up is
refreshed once, as the scheduler does every minute, and then ``--changes`` appeals (default 1,000)
are changed so that the board also reads what changed since. Pages are requested
through Django's test client in this process (no network), logged in as the demo handler and
supervisor; each page is also counted at 1,000 rows to show the query count stays the same.
Figures go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zhengwu_worklist")

GENERATE = """
INSERT INTO appeals_appeal (number, query_code_hash, channel, appeal_type, urgency, title, body, contact_name,
    contact_phone, address, anonymous, confidential, handling_mode, state, version, due_at, reply, reopen_count,
    red_listed, created_at, updated_at, category_id, chain_length, chain_head, chain_seal)
SELECT 'B-' || to_char(g, 'FM0000000'), md5(g::text), (ARRAY['hotline','web','mobile','window'])[1 + g % 4],
    (ARRAY['help','complaint','suggestion','consultation','report'])[1 + g % 5], 'ordinary',
    '诉求' || g, '示范市诉求内容 ' || g, '市民', '138' || lpad((g % 100000000)::text, 8, '0'), '东城区',
    false, g % 50 = 0, 'dispatch',
    (ARRAY['closed','closed','closed','archived','in_progress','dispatched','replied','closed'])[1 + g % 8],
    1, now() - ((g % 180) || ' days')::interval + interval '5 days' - (CASE WHEN g % 10 = 0 THEN interval '20 days' ELSE interval '0' END),
    '', 0, g % 97 = 0, now() - ((g % 180) || ' days')::interval, now(), %(category)s, 0, '', ''
FROM generate_series(%(start)s, %(stop)s) AS g;
INSERT INTO appeals_assignment (appeal_id, department_id, role, state, sign_due_at, handle_due_at, return_reason,
    contribution, created_at, updated_at, dispatched_by_id)
SELECT a.id, (%(departments)s)[1 + a.id %% array_length(%(departments)s, 1)], 'lead',
    CASE a.state WHEN 'dispatched' THEN 'pending' WHEN 'in_progress' THEN 'signed' WHEN 'replied' THEN 'signed' ELSE 'done' END,
    a.created_at + interval '1 day', a.due_at, '', '', a.created_at, now(), NULL
FROM appeals_appeal a WHERE a.number LIKE 'B-%%' AND a.id > %(after)s;
"""


def setup(rows: int) -> None:
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    call_command("migrate", "--noinput", "-v0")
    from zhengwu.accounts.models import User

    # Once, into the empty database: run again over a million appeals, its 热点问题 step would
    # mine them all (and run out of memory on this machine).
    if not User.objects.filter(username="supervisor").exists():
        call_command("load_demo_city", "--quiet-logins")
    from zhengwu.appeals.models import Appeal, Category
    from zhengwu.org.models import Department

    have = Appeal.objects.filter(number__startswith="B-").count()
    if have >= rows:
        return
    departments = list(Department.objects.order_by("id").values_list("id", flat=True))
    category = Category.objects.filter(parent__isnull=False).values_list("id", flat=True).first()
    t0 = time.perf_counter()
    batch = 100_000
    with connection.cursor() as cur:
        for start in range(have + 1, rows + 1, batch):
            cur.execute("SELECT coalesce(max(id), 0) FROM appeals_appeal")
            after = cur.fetchone()[0]
            stop = min(start + batch - 1, rows)
            first, second = GENERATE.split(";\n", 1)
            cur.execute(
                first.replace("%(category)s", str(category))
                .replace("%(start)s", str(start))
                .replace("%(stop)s", str(stop))
            )
            cur.execute(second, {"departments": departments, "after": after})
        cur.execute("ANALYZE appeals_appeal; ANALYZE appeals_assignment;")
    print(f"generated {rows - have} appeals in {time.perf_counter() - t0:.0f} s", file=sys.stderr)


def change(n: int) -> None:
    """Move ``n`` open assignments' limits a day earlier — appeals the board must count live."""
    if n <= 0:
        return
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "UPDATE appeals_assignment SET handle_due_at = handle_due_at - interval '1 day'"
            " WHERE id IN (SELECT id FROM appeals_assignment WHERE state = 'signed' ORDER BY id DESC LIMIT %s)",
            [n],
        )


def measure(url_name: str, username: str, n: int) -> dict[str, float | int]:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from zhengwu.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    url = reverse(url_name)
    client.get(url)  # warm
    times = []
    queries: list[str] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        queries.append(sql)
        return execute(sql, params, many, context)

    # Django resets connection.queries at each request, so count with a wrapper instead.
    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    for _ in range(n):
        t0 = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - t0)
    q = statistics.quantiles(times, n=20)
    return {
        "p50_ms": round(statistics.median(times) * 1000, 1),
        "p95_ms": round(q[18] * 1000, 1),
        "queries": len(queries),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument(
        "--changes", type=int, default=1000, help="appeals changed since the last roll-up refresh"
    )
    args = parser.parse_args()
    os.environ.update(
        {"DATABASE_URL": DB_URL, "DJANGO_SETTINGS_MODULE": "config.settings", "ALLOWED_HOSTS": "testserver"}
    )
    sys.path[:0] = [str(ROOT), str(ROOT / "src")]
    db = DB_URL.rsplit("/", 1)[1]
    exists = subprocess.run(
        [
            "psql",
            DB_URL.rsplit("/", 1)[0] + "/postgres",
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname='{db}'",
        ],
        capture_output=True,
        text=True,
    ).stdout
    if not exists.strip():
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", db], check=True)
    setup(args.rows)
    from zhengwu.appeals import board
    from zhengwu.appeals.models import Appeal

    # The board reads the 问题清零 roll-up that the scheduler refreshes every minute; refresh it
    # as the scheduler would, then leave --changes appeals changed since (the live part).
    t0 = time.perf_counter()
    how = board.refresh()
    refreshed = round(time.perf_counter() - t0, 2)
    change(args.changes)

    figures = {
        "machine": f"{platform.node()} ({os.cpu_count()} cores)",
        "appeals": Appeal.objects.count(),
        "inbox": measure("appeals:inbox", "handler", args.requests),
        "board": measure("appeals:board", "supervisor", args.requests),
        "board_refresh": {"kind": how, "seconds": refreshed, "changed_since": args.changes},
    }
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
