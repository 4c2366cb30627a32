"""统计分析 at city scale: with 10,000,000 events (办件, 12345 诉求, 好差评) over three years for the
demo city in PostgreSQL, a full roll-up rebuild must take < 10 minutes on this 2-core machine, the
incremental roll-up must keep up with 200 events/s, and the leader dashboard's reads and a ranking
for any month must answer p95 < 300 ms. Run by hand:

    .venv/bin/python bench/analytics.py generate [--events 10300000]
    .venv/bin/python bench/analytics.py rebuild
    .venv/bin/python bench/analytics.py incremental [--rate 200] [--minutes 4]
    .venv/bin/python bench/analytics.py reads [--requests 40]
    .venv/bin/python bench/analytics.py all          # the four in turn

Uses the database ``bench_analytics`` on the local PostgreSQL (``BENCH_DATABASE_URL`` to choose
another): created, migrated and the demo city loaded the first time.

An event is one lifecycle step recorded on a record, counted as the non-empty timestamps of it:
办件 受理 (accepted_at) and 办结 (completed_at); 诉求 登记 (created_at), 签收 (the lead
assignment's signed_at), 办结 (closed_at) and 回访 (a callback); 好差评 评价 (rated_at). The
rows are generated in SQL (generate_series, 400,000 a statement, with the tables' secondary indexes dropped during the
load and built again after), in the order they happened
over the last three years (as a real table fills), spread over the demo city's departments, their
windows, items and staff: 2,370,000 applications (95 % accepted, those accepted finished within
1.3× their promised days unless still open), 950,000 appeals (every one dispatched to a
department and signed, closed unless in the last days, two in three with a callback, one in
fifty reopened once), and a rating for four in five finished applications. ``generate`` prints
the exact count of each kind of event.

``rebuild`` times ``rollup.rebuild()`` over everything. ``incremental`` writes new events at
``--rate`` per second for ``--minutes`` (new applications accepted, earlier ones finished, new
appeals registered and signed, earlier ones closed, ratings given) in a writer thread, while
``rollup.update()`` runs once a minute in this one; it reports each run's duration and the lag
(how old the oldest event not yet in the roll-up is when a run ends), and checks that the rows
after the last run equal a rebuild of the days touched. ``reads`` times, for ``--requests`` random
months, the leader dashboard's queries — ``figures.compare`` of every indicator for the month,
``figures.series`` for the month's year, ``figures.breakdown`` by department and by region,
``figures.table`` by window — and a ranking (``analytics.rankings`` when it exists, else
``figures.table`` by department, the read a ranking is made of), each p50/p95 with its query
count, and shows EXPLAIN ANALYZE of the slowest. Figures go in docs/benchmarks.md.
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
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_analytics")
YEARS = 3
BATCH = 400_000
APPLICATIONS = 2_370_000  # per 10 M events (2.76 events each); scaled with --events
APPEALS = 950_000  # 3.66 events each

# %(…)s are filled by the driver; %% is a literal percent sign. g runs over the records' numbers;
# t places record g in the span, in order.
APPLICATION_SQL = """
WITH src AS (
    SELECT g, c.department_id, c.window_id, c.item_id, c.staff_id, c.limit_days,
        abs(hashint4(g)::bigint) %% 100 AS r, abs(hashint4(g + 7919)::bigint) AS h,
        %(start_at)s::timestamptz + make_interval(secs => (g::float8 * %(span)s / %(rows)s)) AS t
    FROM generate_series(%(start)s, %(stop)s) AS g JOIN bench_combo c ON c.n = g %% %(combos)s
), a AS (
    SELECT src.*, CASE WHEN r >= 5 THEN t + interval '20 minutes' END AS accepted_at,
        (ARRAY['window','window','window','web','web','mobile','kiosk','post'])[1 + h %% 8] AS channel
    FROM src
), f AS (
    SELECT a.*, CASE WHEN accepted_at IS NOT NULL AND accepted_at + make_interval(
            secs => ((h %% 1000) / 1000.0 * limit_days * 1.3 * 86400)::float8) < %(now)s::timestamptz
        THEN accepted_at + make_interval(secs => ((h %% 1000) / 1000.0 * limit_days * 1.3 * 86400)::float8)
        END AS completed_at
    FROM a
)
INSERT INTO applications_application (created_at, updated_at, number, query_code_hash, item_version, channel,
    applicant_kind, applicant_name, applicant_code, contact_name, contact_phone, form_data, delivery_method,
    postal_recipient, postal_phone, postal_address, state, version, submitted_at, accepted_at, limit_days,
    due_at, on_the_spot, supplement_rounds, deferred_overdue, decision, decision_opinion, decided_at,
    result_name, result_number, completed_at, closed_at, chain_length, chain_head, chain_seal,
    accepted_by_id, citizen_id, decided_by_id, department_id, item_id, window_id)
SELECT t, coalesce(completed_at, accepted_at, t), 'BA' || lpad(g::text, 10, '0'), md5(g::text), 1, channel,
    'person', '申请人' || (g %% 997), '41020219900101' || lpad((g %% 10000)::text, 4, '0'), '申请人',
    '138' || lpad((g %% 100000000)::text, 8, '0'), '{}'::jsonb, 'pickup', '', '', '',
    CASE WHEN accepted_at IS NULL THEN 'not_accepted' WHEN completed_at IS NULL THEN 'reviewing'
         ELSE 'archived' END,
    1, t, accepted_at, limit_days, accepted_at + make_interval(secs => (limit_days * 1.4 * 86400)::float8),
    h %% 10 = 0, CASE WHEN h %% 20 = 0 THEN 1 ELSE 0 END, false,
    CASE WHEN completed_at IS NULL THEN '' ELSE 'approved' END, '', completed_at, '', '', completed_at,
    CASE WHEN accepted_at IS NULL THEN t + interval '1 hour' ELSE completed_at END, 0, '', '',
    CASE WHEN accepted_at IS NOT NULL THEN staff_id END, (%(citizens)s::bigint[])[1 + h %% %(n_citizens)s],
    CASE WHEN completed_at IS NOT NULL THEN staff_id END, department_id, item_id,
    CASE WHEN channel = 'window' THEN window_id END
FROM f
"""

APPEAL_SQL = """
WITH src AS (
    SELECT g, abs(hashint4(g + 104729)::bigint) AS h,
        %(start_at)s::timestamptz + make_interval(secs => (g::float8 * %(span)s / %(rows)s)) AS t
    FROM generate_series(%(start)s, %(stop)s) AS g
), c AS (
    SELECT src.*, t + make_interval(mins => (30 + h %% 7200)::int) AS replied_at FROM src
)
INSERT INTO appeals_appeal (created_at, updated_at, number, query_code_hash, channel, appeal_type, urgency,
    title, body, contact_name, contact_phone, address, anonymous, confidential, handling_mode, state, version,
    due_at, reply, replied_at, closed_at, reopen_count, red_listed, citizen_id, category_id, chain_head,
    chain_length, chain_seal)
SELECT t, CASE WHEN replied_at + interval '1 day' < %(now)s::timestamptz THEN replied_at + interval '1 day'
        ELSE t END,
    'BQ' || lpad(g::text, 10, '0'), md5(g::text),
    (ARRAY['hotline','hotline','hotline','hotline','web','mobile','window','enterprise','qinqing','letter'])
        [1 + h %% 10],
    (ARRAY['consultation','help','complaint','complaint','report','suggestion','praise'])[1 + (h / 10) %% 7],
    'ordinary', '压测诉求' || g, '压测诉求内容', '诉求人', '139' || lpad((g %% 100000000)::text, 8, '0'), '',
    false, false, '',
    CASE WHEN replied_at + interval '1 day' < %(now)s::timestamptz THEN 'closed' ELSE 'in_progress' END, 1,
    t + interval '15 days',
    CASE WHEN replied_at < %(now)s::timestamptz THEN '已答复' ELSE '' END,
    CASE WHEN replied_at < %(now)s::timestamptz THEN replied_at END,
    CASE WHEN replied_at + interval '1 day' < %(now)s::timestamptz THEN replied_at + interval '1 day' END,
    CASE WHEN g %% 50 = 0 THEN 1 ELSE 0 END, false,
    (%(citizens)s::bigint[])[1 + h %% %(n_citizens)s], (%(categories)s::bigint[])[1 + h %% %(n_categories)s],
    '', 0, ''
FROM c
"""

ASSIGNMENT_SQL = """
INSERT INTO appeals_assignment (created_at, updated_at, role, state, sign_due_at, handle_due_at, signed_at,
    return_reason, contribution, finished_at, appeal_id, department_id, signed_by_id)
SELECT a.created_at, a.updated_at, 'lead', CASE WHEN a.closed_at IS NULL THEN 'signed' ELSE 'done' END,
    a.created_at + interval '1 hour', a.due_at,
    a.created_at + make_interval(mins => (5 + a.id %% 90)::int), '', '', a.replied_at, a.id, c.department_id,
    c.staff_id
FROM appeals_appeal a JOIN bench_combo c ON c.n = a.id %% %(combos)s
WHERE a.id > %(after)s AND a.number LIKE 'BQ%%'
"""

CALLBACK_SQL = """
INSERT INTO appeals_callback (reached, solved, satisfaction, note, at, appeal_id, by_id)
SELECT true, (ARRAY['solved','solved','solved','partly','not_solved'])[1 + a.id %% 5], 1 + (a.id / 3) %% 5,
    '', a.replied_at + interval '12 hours', a.id, %(by)s
FROM appeals_appeal a
WHERE a.id > %(after)s AND a.number LIKE 'BQ%%' AND a.closed_at IS NOT NULL AND a.id %% 3 <> 0
"""

RATING_SQL = """
INSERT INTO ratings_rating (matter_kind, matter_key, matter_number, channel, source, rater_key, rater_name,
    real_name, round, level, text, scores, rated_at, excluded, excluded_reason, application_id, department_id,
    item_id, region_id, staff_id, window_id)
SELECT 'application', 'application:' || a.id, a.number,
    (ARRAY['pad','pad','pad','pc','mobile','qr','sms','phone'])[1 + a.id %% 8], 'rater', 'anon:' || a.id,
    '', false, 1,
    CASE WHEN h < 55 THEN 1 WHEN h < 77 THEN 2 WHEN h < 88 THEN 3 WHEN h < 95 THEN 4 ELSE 5 END,
    '', '{}'::jsonb, a.completed_at + interval '3 minutes', a.id %% 200 = 7, '', a.id, a.department_id,
    a.item_id, d.region_id, a.decided_by_id, a.window_id
FROM (SELECT a.*, (a.id * 2654435761 %% 100) AS h FROM applications_application a
      WHERE a.id > %(after)s AND a.id <= %(upto)s AND a.number LIKE 'BA%%' AND a.completed_at IS NOT NULL
        AND a.id %% 5 <> 0) a
JOIN org_department d ON d.id = a.department_id
"""

# Each kind of event, as the SQL that counts it.
EVENT_COUNTS = {
    "办件受理": "SELECT count(accepted_at) FROM applications_application",
    "办件办结": "SELECT count(completed_at) FROM applications_application",
    "诉求登记": "SELECT count(*) FROM appeals_appeal",
    "诉求签收": "SELECT count(signed_at) FROM appeals_assignment",
    "诉求办结": "SELECT count(closed_at) FROM appeals_appeal",
    "诉求回访": "SELECT count(*) FROM appeals_callback",
    "评价": "SELECT count(*) FROM ratings_rating",
}

TABLES = [
    "applications_application",
    "appeals_appeal",
    "appeals_assignment",
    "appeals_callback",
    "ratings_rating",
    "analytics_dailyfigure",
]


# ---------------------------------------------------------------------------------------------
# Database
# ---------------------------------------------------------------------------------------------


def _psql(sql: str, db: str = "postgres") -> str:
    return subprocess.run(
        ["psql", DB_URL.rsplit("/", 1)[0] + "/" + db, "-tAc", sql], capture_output=True, text=True, check=True
    ).stdout.strip()


def ensure_database() -> None:
    db = DB_URL.rsplit("/", 1)[1]
    if not _psql(f"SELECT 1 FROM pg_database WHERE datname='{db}'"):
        host = DB_URL.split("@", 1)[1].split(":", 1)[0]
        user = DB_URL.split("//", 1)[1].split("@", 1)[0]
        subprocess.run(["createdb", "-h", host, "-U", user, db], check=True)


def setup() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", "--noinput", "-v0")
    from zhengwu.accounts.models import User

    if not User.objects.filter(username="citizen").exists():
        call_command("load_demo_city", "--quiet-logins")


def vacuum() -> None:
    """VACUUM ANALYZE (outside a transaction: psql), so index-only scans see an all-visible map."""
    for table in TABLES:
        subprocess.run(["psql", DB_URL, "-qc", f"VACUUM ANALYZE {table}"], check=True)


def combos(cur: Any) -> int:
    """(department, window, item, staff, promised days) a generated record may have: each
    department's items, windows (the hall's general windows for a department without its own) and
    staff, numbered 0…n-1."""
    cur.execute("DROP TABLE IF EXISTS bench_combo")
    cur.execute(
        "CREATE TABLE bench_combo (n int PRIMARY KEY, department_id bigint, window_id bigint, item_id bigint,"
        " staff_id bigint, limit_days numeric(6,2))"
    )
    cur.execute("SELECT id FROM org_department ORDER BY id")
    departments = [d for (d,) in cur.fetchall()]
    cur.execute("SELECT id FROM org_window ORDER BY id")
    pool = [w for (w,) in cur.fetchall()]
    cur.execute("SELECT id FROM accounts_user WHERE is_active ORDER BY id")
    users = [u for (u,) in cur.fetchall()]
    rows: list[tuple[int, int, int, int, int, float]] = []
    for department in departments:
        cur.execute("SELECT id FROM org_window WHERE department_id = %s ORDER BY id", [department])
        windows = [w for (w,) in cur.fetchall()] or [pool[department % len(pool)]]
        cur.execute(
            "SELECT id, promised_limit_days FROM catalog_serviceitem WHERE department_id = %s ORDER BY id",
            [department],
        )
        items = cur.fetchall()
        if not items:
            continue
        cur.execute("SELECT id FROM accounts_user WHERE department_id = %s ORDER BY id", [department])
        staff = [u for (u,) in cur.fetchall()] or [users[department % len(users)]]
        for k in range(max(len(windows), len(items), len(staff))):
            item, days = items[k % len(items)]
            rows.append(
                (
                    len(rows),
                    department,
                    windows[k % len(windows)],
                    item,
                    staff[k % len(staff)],
                    float(days or 5),
                )
            )
    cur.executemany("INSERT INTO bench_combo VALUES (%s, %s, %s, %s, %s, %s)", rows)
    return len(rows)


def drop_indexes(cur: Any) -> None:
    """The secondary indexes of the generated tables (not those behind a unique constraint) are
    dropped while the rows go in and built again after: 28 indexes on the applications alone make
    row-by-row index upkeep the cost of the load. Their definitions are kept in a table first, so
    an interrupted load puts them back on the next run."""
    cur.execute("CREATE TABLE IF NOT EXISTS bench_saved_index (name text PRIMARY KEY, def text)")
    cur.execute(
        "INSERT INTO bench_saved_index SELECT indexname, indexdef FROM pg_indexes"
        " WHERE tablename = ANY(%s) AND indexdef NOT LIKE 'CREATE UNIQUE%%' ON CONFLICT DO NOTHING",
        [TABLES[:-1]],
    )
    cur.execute("SELECT name FROM bench_saved_index")
    for (name,) in cur.fetchall():
        cur.execute(f'DROP INDEX IF EXISTS "{name}"')


def restore_indexes(cur: Any) -> None:
    cur.execute("SELECT name, def FROM bench_saved_index")
    for name, sql in cur.fetchall():
        cur.execute(sql.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))
        cur.execute("DELETE FROM bench_saved_index WHERE name = %s", [name])


def count_events() -> dict[str, int]:
    from django.db import connection

    out = {}
    with connection.cursor() as cur:
        for kind, sql in EVENT_COUNTS.items():
            cur.execute(sql)
            out[kind] = cur.fetchone()[0]
    out["合计"] = sum(out.values())
    return out


def generate(events: int) -> dict[str, Any]:
    """Generate the records (once: a database that has them is left as it is)."""
    from django.db import connection
    from django.utils import timezone

    from zhengwu.accounts.models import Citizen, User
    from zhengwu.appeals.models import Appeal, Category
    from zhengwu.applications.models import Application

    scale = events / 10_000_000
    n_apps, n_appeals = int(APPLICATIONS * scale), int(APPEALS * scale)
    now = timezone.now()
    span = YEARS * 365 * 86400
    start_at = now - timedelta(seconds=span)
    citizens = list(Citizen.objects.order_by("id").values_list("id", flat=True))
    categories = list(Category.objects.order_by("id").values_list("id", flat=True))
    by = User.objects.order_by("id").values_list("id", flat=True).first()
    base = {
        "now": now.isoformat(),
        "start_at": start_at.isoformat(),
        "span": span,
        "citizens": citizens,
        "n_citizens": len(citizens),
        "categories": categories,
        "n_categories": len(categories),
        "by": by,
    }
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        n = combos(cur)
        have = Application.objects.filter(number__startswith="BA").count()
        if n_apps - have > BATCH:  # a top-up of a few rows keeps the indexes
            drop_indexes(cur)
        have = Application.objects.filter(number__startswith="BA").count()
        for start in range(have + 1, n_apps + 1, BATCH):
            stop = min(start + BATCH - 1, n_apps)
            after = Application.objects.order_by("-id").values_list("id", flat=True).first() or 0
            cur.execute(APPLICATION_SQL, {**base, "start": start, "stop": stop, "rows": n_apps, "combos": n})
            upto = Application.objects.order_by("-id").values_list("id", flat=True).first() or 0
            cur.execute(RATING_SQL, {"after": after, "upto": upto})
            print(f"  {stop:,} applications, {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        have = Appeal.objects.filter(number__startswith="BQ").count()
        for start in range(have + 1, n_appeals + 1, BATCH):
            stop = min(start + BATCH - 1, n_appeals)
            after = Appeal.objects.order_by("-id").values_list("id", flat=True).first() or 0
            cur.execute(APPEAL_SQL, {**base, "start": start, "stop": stop, "rows": n_appeals})
            cur.execute(ASSIGNMENT_SQL, {"after": after, "combos": n})
            cur.execute(CALLBACK_SQL, {"after": after, "by": by})
            print(f"  {stop:,} appeals, {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        restore_indexes(cur)
        print(f"  indexes rebuilt, {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    # 办理用时 is stored at 办结 by the service; rows written here get it as the migration fills it.
    import importlib

    from django.apps import apps

    migration = importlib.import_module("zhengwu.applications.migrations.0007_application_handling_days")
    migration.backfill_handling_days(apps, None)
    print(f"  办理用时 filled in, {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    vacuum()
    return {"generate_s": round(time.perf_counter() - t0), "events": count_events()}


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


def _stats(times: list[float]) -> dict[str, float]:
    q = statistics.quantiles(times, n=20, method="inclusive")
    return {
        "p50_ms": round(statistics.median(times) * 1000, 1),
        "p95_ms": round(q[18] * 1000, 1),
        "max_ms": round(max(times) * 1000, 1),
    }


def rebuild() -> dict[str, Any]:
    from django.db import connection

    from zhengwu.analytics import rollup
    from zhengwu.analytics.measures import MEASURES, SOURCES
    from zhengwu.analytics.models import DailyFigure

    t0 = time.perf_counter()
    result = rollup.rebuild()
    seconds = time.perf_counter() - t0
    subprocess.run(["psql", DB_URL, "-qc", "VACUUM ANALYZE analytics_dailyfigure"], check=True)
    with connection.cursor() as cur:
        cur.execute("SELECT pg_size_pretty(pg_total_relation_size('analytics_dailyfigure'))")
        size = cur.fetchone()[0]
    return {
        "seconds": round(seconds, 1),
        "result": result,
        "rows": DailyFigure.objects.count(),
        "size": size,
        "measures": len(MEASURES),
        "sources": len(SOURCES),
        "first_day": str(rollup.first_day()),
    }


# One second's events at 200/s, as SQL: new applications accepted, earlier ones finished, new
# appeals registered with their assignment signed, earlier ones closed, ratings of finished
# applications. %(k)s scales each to the rate.
LIVE = [
    (
        "办件受理",
        60,
        """INSERT INTO applications_application (created_at, updated_at, number, query_code_hash, item_version,
    channel, applicant_kind, applicant_name, applicant_code, contact_name, contact_phone, form_data,
    delivery_method, postal_recipient, postal_phone, postal_address, state, version, submitted_at, accepted_at,
    limit_days, due_at, on_the_spot, supplement_rounds, deferred_overdue, decision, decision_opinion, result_name,
    result_number, chain_length, chain_head, chain_seal, accepted_by_id, citizen_id, department_id, item_id,
    window_id)
SELECT now(), now(), 'BL' || %(tag)s || lpad(g::text, 6, '0'), '', 1, 'window', 'person', '申请人', '410202199001010000',
    '申请人', '13800000000', '{}'::jsonb, 'pickup', '', '', '', 'reviewing', 1, now(), now(), c.limit_days,
    now() + interval '10 days', false, 0, false, '', '', '', '', 0, '', '', c.staff_id, %(citizen)s,
    c.department_id, c.item_id, c.window_id
FROM generate_series(1, %(k)s) AS g JOIN bench_combo c ON c.n = (g * 7 + %(tick)s) %% %(combos)s""",
    ),
    (
        "办件办结",
        40,
        # 办理用时 as the service would store it; here a stand-in from the calendar days elapsed.
        """UPDATE applications_application SET completed_at = now(), decided_at = now(), updated_at = now(),
    state = 'completed', decision = 'approved', decided_by_id = accepted_by_id,
    handling_days = round((extract(epoch FROM now() - accepted_at) / 86400)::numeric, 2)
WHERE id IN (SELECT id FROM applications_application WHERE state = 'reviewing' AND completed_at IS NULL
    ORDER BY submitted_at LIMIT %(k)s)""",
    ),
    (
        "诉求登记、签收",
        60,
        """WITH a AS (
INSERT INTO appeals_appeal (created_at, updated_at, number, query_code_hash, channel, appeal_type, urgency, title,
    body, contact_name, contact_phone, address, anonymous, confidential, handling_mode, state, version, due_at,
    reply, reopen_count, red_listed, citizen_id, category_id, chain_head, chain_length, chain_seal)
SELECT now(), now(), 'BM' || %(tag)s || lpad(g::text, 6, '0'), '', 'hotline', 'complaint', 'ordinary', '实时诉求',
    '实时诉求', '诉求人', '13900000000', '', false, false, '', 'in_progress', 1, now() + interval '15 days', '',
    0, false, %(citizen)s, %(category)s, '', 0, ''
FROM generate_series(1, %(k)s / 2) AS g RETURNING id)
INSERT INTO appeals_assignment (created_at, updated_at, role, state, sign_due_at, handle_due_at, signed_at,
    return_reason, contribution, appeal_id, department_id, signed_by_id)
SELECT now(), now(), 'lead', 'signed', now() + interval '1 hour', now() + interval '15 days', now(), '', '',
    a.id, c.department_id, c.staff_id
FROM a JOIN bench_combo c ON c.n = a.id %% %(combos)s""",
    ),
    (
        "诉求办结",
        20,
        """UPDATE appeals_appeal SET state = 'closed', replied_at = now(), closed_at = now(), updated_at = now()
WHERE id IN (SELECT id FROM appeals_appeal WHERE state = 'in_progress' ORDER BY due_at LIMIT %(k)s)""",
    ),
    (
        "评价",
        20,
        """INSERT INTO ratings_rating (matter_kind, matter_key, matter_number, channel, source, rater_key,
    rater_name, real_name, round, level, text, scores, rated_at, excluded, excluded_reason, application_id,
    department_id, item_id, staff_id, window_id)
SELECT 'application', 'application:' || a.id, a.number, 'pad', 'rater', 'live:' || a.id, '', false, 1,
    1 + a.id %% 5, '', '{}'::jsonb, now(), false, '', a.id, a.department_id, a.item_id, a.decided_by_id,
    a.window_id
FROM applications_application a
WHERE a.number LIKE 'BL%%' AND a.completed_at IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM ratings_rating r WHERE r.matter_key = 'application:' || a.id)
ORDER BY a.id LIMIT %(k)s""",
    ),
]


def incremental(rate: int, minutes: float, seed: int) -> dict[str, Any]:
    """Events at ``rate``/s in a writer thread for ``minutes``; rollup.update() once a minute here."""
    from django.db import connection, connections
    from django.utils import timezone

    from zhengwu.accounts.models import Citizen
    from zhengwu.analytics import rollup
    from zhengwu.analytics.models import DailyFigure
    from zhengwu.appeals.models import Category

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM bench_combo")
        n_combos = cur.fetchone()[0]
    params = {
        "citizen": Citizen.objects.order_by("id").values_list("id", flat=True).first(),
        "category": Category.objects.order_by("id").values_list("id", flat=True).first(),
        "combos": n_combos,
    }
    scale = rate / 200
    stop = threading.Event()
    written: dict[str, int] = {}
    late: list[float] = []
    run_tag = str(int(time.time()) % 100000).zfill(5)

    def writer() -> None:
        tick = 0
        start = time.perf_counter()
        try:
            with connections["default"].cursor() as cur:
                while not stop.is_set():
                    tick += 1
                    for kind, k, sql in LIVE:
                        n = max(1, round(k * scale))
                        cur.execute(sql, {**params, "k": n, "tick": tick, "tag": f"{run_tag}{tick:05d}"})
                        written[kind] = written.get(kind, 0) + n
                    ahead = start + tick - time.perf_counter()
                    if ahead > 0:
                        time.sleep(ahead)
                    else:
                        late.append(-ahead)
        finally:
            connections["default"].close()

    rollup.update()  # catch up with the load itself first
    thread = threading.Thread(target=writer, daemon=True)
    runs = []
    began = time.perf_counter()
    thread.start()
    previous_start = began
    while time.perf_counter() - began < minutes * 60:
        time.sleep(max(0.0, previous_start + 60 - time.perf_counter()))
        t0 = time.perf_counter()
        result = rollup.update()
        t1 = time.perf_counter()
        # An event written just after the previous run began is in the roll-up when this one ends.
        runs.append(
            {
                "seconds": round(t1 - t0, 2),
                "lag_s": round(t1 - previous_start, 1),
                "result": result,
                "load_average": round(os.getloadavg()[0], 2),
            }
        )
        print(f"  update {runs[-1]}", file=sys.stderr, flush=True)
        previous_start = t0
    stop.set()
    thread.join()
    elapsed = time.perf_counter() - began
    rollup.update()
    today = timezone.localdate()
    kept = set(
        DailyFigure.objects.filter(day=today).values_list("measure", "department_id", "dim", "key", "value")
    )
    rollup.roll(today, today + timedelta(days=1))
    fresh = set(
        DailyFigure.objects.filter(day=today).values_list("measure", "department_id", "dim", "key", "value")
    )
    events = sum(written.values())
    return {
        "events": written,
        "events_per_s": round(events / elapsed, 1),
        "writer_fell_behind_s": round(max(late), 2) if late else 0.0,
        "runs": runs,
        "max_update_s": max(r["seconds"] for r in runs),
        "max_lag_s": max(r["lag_s"] for r in runs),
        "incremental_equals_roll": kept == fresh,
    }


def months(rng: random.Random, n: int) -> list[str]:
    from django.utils import timezone

    from zhengwu.analytics import rollup

    first = rollup.first_day() or timezone.localdate()
    today = timezone.localdate()
    out = []
    y, m = first.year, first.month
    while (y, m) < (today.year, today.month):
        out.append(f"{y}-{m:02d}")
        y, m = (y, m + 1) if m < 12 else (y + 1, 1)
    out = out[1:]  # the first month is partly before the data
    return [rng.choice(out) for _ in range(n)]


def sources(year: int) -> dict[str, Any]:
    """Each read of the roll-up (a source placed by one timestamp) over one year, timed on its own:
    where a rebuild's time goes."""
    from collections import defaultdict

    from zhengwu.analytics import rollup
    from zhengwu.analytics.measures import MEASURES

    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for m in MEASURES.values():
        groups[(m.source.key, m.at)].append(m)
    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    out: dict[str, float] = {}
    for (source, at), group in groups.items():
        t0 = time.perf_counter()
        for _part in rollup._extract_parts(group, [(start, end)]):
            pass
        out[f"{source} by {at}"] = round(time.perf_counter() - t0, 1)
    return {"year": year, "seconds": out, "total_s": round(sum(out.values()), 1)}


def reads(n: int, seed: int) -> dict[str, Any]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from zhengwu.analytics import figures
    from zhengwu.analytics.indicators import INDICATORS
    from zhengwu.analytics.periods import parse_period

    try:
        from zhengwu.analytics import rankings
    except ImportError:  # the rankings module has not landed: a ranking reads the table by department
        rankings = None  # type: ignore[assignment]

    inds = list(INDICATORS.values())
    measures = figures.measures_for(inds)

    def year_of(p: Any) -> Any:
        return parse_period(str(p.start.year))

    calls: dict[str, Callable[[Any], Any]] = {
        "compare_all_indicators_month": lambda p: figures.compare(inds, p),
        "series_year_by_month": lambda p: figures.series(measures, year_of(p)),
        "series_month_by_day": lambda p: figures.series(measures, p),
        "breakdown_department": lambda p: figures.breakdown(measures, p.start, p.end, "department"),
        "breakdown_region": lambda p: figures.breakdown(measures, p.start, p.end, "region"),
        "table_window": lambda p: figures.table(inds, p, "window"),
    }
    if rankings is not None:
        for subject in ("department", "window", "region"):
            calls[f"ranking_{subject}"] = lambda p, subject=subject: rankings.rank(subject, p)
    else:
        calls["ranking_department_table"] = lambda p: figures.table(inds, p, "department")
    out: dict[str, Any] = {"indicators": len(inds), "measures": len(measures)}
    dashboard: list[float] = []
    chosen = [parse_period(m) for m in months(random.Random(seed), n + 1)]
    per_call: dict[str, list[float]] = {k: [] for k in calls}
    queries: dict[str, int] = {}
    for i, p in enumerate(chosen):
        total = 0.0
        for name, call in calls.items():
            reset_queries()
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                call(p)
                dt = time.perf_counter() - t0
            if i == 0:  # the first warms the caches
                queries[name] = len(ctx.captured_queries)
                continue
            per_call[name].append(dt)
            if not name.startswith("ranking"):
                total += dt
        if i:
            dashboard.append(total)
    out["per_read"] = {k: {**_stats(v), "queries": queries[k]} for k, v in per_call.items()}
    out["dashboard_all_reads_together"] = _stats(dashboard)
    out["pages"] = pages(chosen)
    slowest = max(per_call, key=lambda k: statistics.quantiles(per_call[k], n=20)[18])
    with CaptureQueriesContext(connection) as ctx:
        calls[slowest](chosen[1])
    worst = max(ctx.captured_queries, key=lambda q: float(q["time"]))
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + worst["sql"])
        plan = [line for (line,) in cur.fetchall()]
    out["slowest"] = {"read": slowest, "query_ms": float(worst["time"]) * 1000, "plan": plan[:25]}
    return out


def pages(chosen: list[Any]) -> dict[str, Any]:
    """The pages as a whole, through Django's test client (middleware, templates, the live counters
    of today included): the leader's overview, its large-screen mode and the rankings, and the
    department head's own view, for the same months as the reads."""
    from django.test import Client

    from zhengwu.accounts.models import User

    leader, head = Client(), Client()
    leader.force_login(User.objects.get(username="leader"))
    head.force_login(User.objects.get(username="head"))
    urls = {
        "overview_leader": (leader, "/stats/?period={p}"),
        "overview_large_screen": (leader, "/stats/?period={p}&screen=1"),
        "overview_department_head": (head, "/stats/?period={p}"),
        "rankings_page_departments": (leader, "/stats/rankings/?period={p}"),
    }
    times: dict[str, list[float]] = {k: [] for k in urls}
    for i, p in enumerate(chosen):
        for name, (client, url) in urls.items():
            t0 = time.perf_counter()
            response = client.get(url.format(p=p.value))
            dt = time.perf_counter() - t0
            assert response.status_code == 200, (url, p.value, response.status_code)
            if i:  # the first warms the caches
                times[name].append(dt)
    return {k: _stats(v) for k, v in times.items()}


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return {
        "machine": f"{platform.node()} ({os.cpu_count()} cores)",
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=["generate", "rebuild", "sources", "incremental", "reads", "all"])
    # The records are sized from this; the events they hold are counted afterwards (10,047,023
    # for the default: not every application is accepted and finished, nor every appeal called back).
    parser.add_argument("--events", type=int, default=10_300_000)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=4)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--year", type=int, default=2025)  # sources: the year read
    args = parser.parse_args()
    os.environ.update(
        {"DATABASE_URL": DB_URL, "DJANGO_SETTINGS_MODULE": "config.settings", "ALLOWED_HOSTS": "testserver"}
    )
    sys.path[:0] = [str(ROOT), str(ROOT / "src")]
    ensure_database()
    setup()
    out: dict[str, Any] = {"step": args.step, **machine()}
    if args.step in ("generate", "all"):
        out["generate"] = generate(args.events)
    if args.step in ("rebuild", "all"):
        out["rebuild"] = rebuild()
    if args.step in ("incremental", "all"):
        out["incremental"] = incremental(args.rate, args.minutes, args.seed)
    if args.step == "sources":
        out["sources"] = sources(args.year)
    if args.step in ("reads", "all"):
        out["reads"] = reads(args.requests, args.seed)
    out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
