"""好差评 figures at scale: with 5,000,000 ratings over three years in PostgreSQL, a department's
好评率 and 整改率 for a month, and the public 评价公示 page for a month, must answer p95 < 200 ms.
Run by hand:

    .venv/bin/python bench/ratings.py [--rows 5000000] [--requests 40] [--index both|without|with]

Uses the database ``bench_ratings`` on the local PostgreSQL (``BENCH_DATABASE_URL`` to change it):
created, migrated and the demo city loaded the first time. The ratings are generated in SQL, in
batches of 500,000 (INSERT … SELECT generate_series): one window service visit each (a rating
names its matter), spread over the demo city's departments, their windows and items, and the last
three years in the order they were given (as a real table fills: a month's ratings lie together
on disk); levels 1–5 in the shares 55/22/11/7/5 % (12 % 差评), a fifth real-name, one in two
hundred excluded by an upheld 申诉; each 差评 gets its rectification case, nine in ten closed and
verified. A run with more rows already there only adds the difference.

Then, for ``--requests`` random (department, month) pairs, ``services.figures`` — the one query
a department's 好评率 and 整改率 come from — and, for as many random months, GET
/ratings/public/?period=… (by department, window and item) through Django's test client in this
process. Each is timed (p50, p95) with the query count of one request.

``--index with`` first creates, with raw SQL in the bench database only (the model declares no
such index), two covering indexes: ``(department_id, rated_at) INCLUDE (level, excluded,
real_name)`` for one department's month and ``(rated_at) INCLUDE (department_id, window_id,
item_id, level, excluded, real_name)`` for the public page's grouped month; ``without`` drops them;
``both`` (default) measures without, then with, and leaves them dropped. It prints a JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_ratings")
BATCH = 500_000
YEARS = 3

# %(…)s are filled by the driver; %% is a literal percent sign.
VISITS = """
INSERT INTO ratings_windowvisit (window_id, staff_id, department_id, kind, service, application_id, ticket_id,
    item_id, finished_at)
SELECT c.window_id, NULL, c.department_id, 'other', '压测窗口服务', NULL, NULL, c.item_id,
    %(now)s::timestamptz - ((%(span)s - g::bigint * %(span)s / %(rows)s)::text || ' seconds')::interval
FROM generate_series(%(start)s, %(stop)s) AS g
JOIN bench_combo c ON c.n = g %% %(combos)s
"""

RATINGS = """
INSERT INTO ratings_rating (matter_kind, matter_key, matter_number, application_id, bundle_application_id,
    appeal_id, ticket_id, visit_id, department_id, region_id, window_id, staff_id, item_id, channel, source,
    rater_key, rater_user_id, rater_name, real_name, round, level, text, scores, rated_at, excluded,
    excluded_reason)
SELECT 'visit', 'visit:' || v.id, 'FW' || to_char(v.finished_at, 'YYYYMMDD') || lpad(v.id::text, 9, '0'),
    NULL, NULL, NULL, NULL, v.id, v.department_id, d.region_id, v.window_id, NULL, v.item_id,
    (ARRAY['pad','pad','pad','pc','mobile','qr','sms','phone'])[1 + v.id %% 8], 'rater',
    'anon:' || v.id, NULL, CASE WHEN v.id %% 5 = 0 THEN '评价人' ELSE '' END, v.id %% 5 = 0, 1,
    CASE WHEN h < 55 THEN 1 WHEN h < 77 THEN 2 WHEN h < 88 THEN 3 WHEN h < 95 THEN 4 ELSE 5 END,
    '', '{}'::jsonb, v.finished_at + interval '3 minutes', v.id %% 200 = 7, ''
FROM (SELECT v.*, (v.id * 2654435761 %% 100) AS h FROM ratings_windowvisit v
      WHERE v.id > %(after)s AND v.service = '压测窗口服务') v
JOIN org_department d ON d.id = v.department_id
"""

CASES = """
INSERT INTO ratings_rectification (created_at, updated_at, rating_id, department_id, state, verify_due_at,
    verified_at, verified_by_id, reached, facts, outcome, plan, fix_due_at, evidence, rectified_at, feedback,
    fed_back_at, closed_at)
SELECT r.rated_at, r.rated_at, r.id, r.department_id,
    CASE WHEN r.id %% 10 = 0 THEN 'verifying' ELSE 'closed' END,
    r.rated_at + interval '1 day',
    CASE WHEN r.id %% 10 = 0 THEN NULL ELSE r.rated_at + interval '5 hours' END, NULL,
    CASE WHEN r.id %% 10 = 0 THEN NULL ELSE true END,
    CASE WHEN r.id %% 10 = 0 THEN '' ELSE '已回访' END,
    CASE WHEN r.id %% 10 = 0 THEN '' ELSE 'immediate' END, '', NULL,
    CASE WHEN r.id %% 10 = 0 THEN '' ELSE '已整改' END,
    CASE WHEN r.id %% 10 = 0 THEN NULL ELSE r.rated_at + interval '1 day' END,
    CASE WHEN r.id %% 10 = 0 THEN '' ELSE '已反馈' END,
    CASE WHEN r.id %% 10 = 0 THEN NULL ELSE r.rated_at + interval '1 day' END,
    CASE WHEN r.id %% 10 = 0 THEN NULL ELSE r.rated_at + interval '1 day' END
FROM ratings_rating r WHERE r.id > %(after)s AND r.level >= 4
"""

COVERING = [
    "CREATE INDEX IF NOT EXISTS bench_rating_dept_time_cover ON ratings_rating (department_id, rated_at)"
    " INCLUDE (level, excluded, real_name)",
    "CREATE INDEX IF NOT EXISTS bench_rating_time_cover ON ratings_rating (rated_at)"
    " INCLUDE (department_id, window_id, item_id, level, excluded, real_name)",
]
DROP = ["DROP INDEX IF EXISTS bench_rating_dept_time_cover", "DROP INDEX IF EXISTS bench_rating_time_cover"]


def combos(cur) -> int:  # type: ignore[no-untyped-def]
    """The (department, window, item) a generated visit may have: each department's windows and
    items, numbered 0…n-1."""
    cur.execute("DROP TABLE IF EXISTS bench_combo")
    cur.execute(
        "CREATE TABLE bench_combo (n int PRIMARY KEY, department_id bigint, window_id bigint, item_id bigint,"
        " region_id bigint)"
    )
    cur.execute("SELECT id, region_id FROM org_department ORDER BY id")
    departments = cur.fetchall()
    cur.execute("SELECT id FROM org_window ORDER BY id")
    pool = [w for (w,) in cur.fetchall()]
    rows: list[tuple[int, int, int, int | None, int]] = []
    for department, region in departments:
        cur.execute("SELECT id FROM org_window WHERE department_id = %s ORDER BY id", [department])
        # A visit is always at a window: a department without one of its own is served at the
        # hall's general windows.
        windows = [w for (w,) in cur.fetchall()] or [pool[department % len(pool)]]
        cur.execute(
            "SELECT id FROM catalog_serviceitem WHERE department_id = %s ORDER BY id LIMIT 20", [department]
        )
        items = [i for (i,) in cur.fetchall()] or [None]
        for k in range(max(len(windows), len(items))):
            rows.append((len(rows), department, windows[k % len(windows)], items[k % len(items)], region))
    cur.executemany("INSERT INTO bench_combo VALUES (%s, %s, %s, %s, %s)", rows)
    return len(rows)


def setup(rows: int) -> None:
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    call_command("migrate", "--noinput", "-v0")
    from zhengwu.accounts.models import User

    if not User.objects.filter(username="supervisor").exists():
        call_command("load_demo_city", "--quiet-logins")
    from django.utils import timezone

    from zhengwu.ratings.models import Rating

    have = Rating.objects.count()
    if have >= rows:
        return
    t0 = time.perf_counter()
    now = timezone.now().isoformat()
    with connection.cursor() as cur:
        n = combos(cur)
        for start in range(have + 1, rows + 1, BATCH):
            stop = min(start + BATCH - 1, rows)
            cur.execute("SELECT coalesce(max(id), 0) FROM ratings_windowvisit")
            after_visit = cur.fetchone()[0]
            cur.execute("SELECT coalesce(max(id), 0) FROM ratings_rating")
            after_rating = cur.fetchone()[0]
            cur.execute(
                VISITS,
                {
                    "now": now,
                    "span": YEARS * 365 * 86400,
                    "rows": rows,
                    "start": start,
                    "stop": stop,
                    "combos": n,
                },
            )
            cur.execute(RATINGS, {"after": after_visit})
            cur.execute(CASES, {"after": after_rating})
            print(f"  {stop:,} ratings, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    _vacuum()
    print(f"generated {rows - have:,} ratings in {time.perf_counter() - t0:.0f} s", file=sys.stderr)


def _vacuum() -> None:
    """VACUUM ANALYZE (outside a transaction: psql), so index-only scans see an all-visible map."""
    for table in ("ratings_windowvisit", "ratings_rating", "ratings_rectification"):
        subprocess.run(["psql", DB_URL, "-qc", f"VACUUM ANALYZE {table}"], check=True)


def _stats(times: list[float]) -> dict[str, float]:
    q = statistics.quantiles(times, n=20)
    return {"p50_ms": round(statistics.median(times) * 1000, 1), "p95_ms": round(q[18] * 1000, 1)}


def months() -> list[str]:
    from django.utils import timezone

    today = timezone.localdate()
    out = []
    y, m = today.year, today.month
    for _ in range(YEARS * 12):
        out.append(f"{y}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out


def department_month(n: int, rng: random.Random) -> dict[str, object]:
    """services.figures over one department's month: its 好评率 and 整改率 (one query)."""
    from django.db import connection

    from zhengwu.ratings import services
    from zhengwu.ratings.figures import parse_period
    from zhengwu.ratings.models import Rating

    departments = list(Rating.objects.order_by().values_list("department_id", flat=True).distinct())
    choices = months()
    times = []
    sample: dict[str, object] = {}
    seen: list[tuple[str, object]] = []

    def keep(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        seen.append((sql, params))
        return execute(sql, params, many, context)

    for i in range(n + 1):
        department, period = rng.choice(departments), parse_period(rng.choice(choices))
        qs = Rating.objects.filter(
            department_id=department, rated_at__gte=period.start, rated_at__lt=period.end
        )
        t0 = time.perf_counter()
        if i == 0:  # the first warms the connection and shows the SQL
            with connection.execute_wrapper(keep):
                f = services.figures(qs)
            continue
        f = services.figures(qs)
        times.append(time.perf_counter() - t0)
        sample = {"count": f.count, "good_rate": str(f.good_rate), "rectified_rate": str(f.rectified_rate)}
    sql, params = seen[0]
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = [line for (line,) in cur.fetchall()]
    return {
        **_stats(times),
        "queries": len(seen),
        "sample": sample,
        "plan": [p.strip() for p in plan if "Scan" in p or "Join" in p or "Execution" in p],
    }


def public_page(n: int, rng: random.Random) -> dict[str, object]:
    from django.db import connection
    from django.test import Client

    client = Client()
    choices = months()
    out: dict[str, object] = {}
    for by in ("department", "window", "item"):
        client.get(f"/ratings/public/?by={by}&period={choices[0]}")  # warm
        queries: list[str] = []

        def count(execute, sql, params, many, context, queries=queries):  # type: ignore[no-untyped-def]
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = client.get(f"/ratings/public/?by={by}&period={choices[1]}")
        assert response.status_code == 200, response.status_code
        times = []
        for _ in range(n):
            url = f"/ratings/public/?by={by}&period={rng.choice(choices)}"
            t0 = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - t0)
            assert response.status_code == 200 and "该期间暂无评价" not in response.content.decode(), url
        out[by] = {**_stats(times), "queries": len(queries)}
    return out


def measure(n: int, seed: int) -> dict[str, object]:
    return {
        "department_month_figures": department_month(n, random.Random(seed)),
        "public_page": public_page(n, random.Random(seed)),
    }


def indexes(create: bool) -> None:
    from django.db import connection

    t0 = time.perf_counter()
    with connection.cursor() as cur:
        for sql in COVERING if create else DROP:
            cur.execute(sql)
    if create:
        _vacuum()
        print(f"covering indexes built in {time.perf_counter() - t0:.0f} s", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--index", choices=["both", "without", "with"], default="both")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument(
        "--jit",
        choices=["on", "off"],
        default="on",
        help="PostgreSQL's JIT for the session (server default: on)",
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
    from django.db import connection

    from zhengwu.ratings.models import Rating, Rectification

    with connection.cursor() as cur:
        cur.execute(f"SET jit = {args.jit}")

    figures: dict[str, object] = {
        "machine": f"{platform.node()} ({os.cpu_count()} cores)",
        "load_average": os.getloadavg(),
        "ratings": Rating.objects.count(),
        "rectifications": Rectification.objects.count(),
        "jit": args.jit,
    }
    if args.index in ("both", "without"):
        indexes(create=False)
        figures["without_covering_index"] = measure(args.requests, args.seed)
    if args.index in ("both", "with"):
        indexes(create=True)
        figures["with_covering_index"] = measure(args.requests, args.seed)
        if args.index == "both":
            indexes(create=False)
    print(json.dumps(figures, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
