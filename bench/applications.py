"""办件 at scale: with 1,000,000 applications in PostgreSQL, the approver's queue (后台审批) and an
applicant's 我的办件 must answer p95 < 150 ms, first page and a deep page (keyset), with a query
count that does not grow from 10,000 rows to 1,000,000; a window intake of a 10-material item with
its 受理通知书 PDF p95 < 300 ms; a notice PDF < 100 ms. Run by hand:

    .venv/bin/python bench/applications.py [--rows 1000000] [--small 10000] [--requests 40] [--fresh]

Uses the database ``bench_apps`` on the local PostgreSQL (``BENCH_DATABASE_URL`` to choose another):
created, migrated and the demo city loaded the first time; ``--fresh`` drops it first. The rows
are generated in SQL (generate_series, 100,000 a statement), not through the services: spread over
every demo department's items (the market department, whose approver is the demo login
``approver``, holds 1/30 of them), every state in realistic shares (most archived or delivered,
about a tenth in the back office), two years of submissions (open ones in the last 30 days), with
the acceptance, 承诺办结时间, decision and closing times each state implies. Every 150th belongs to
the demo citizen (login ``citizen``) and has its public history events, so 我的办件 reads real
rows. Materials, notices and the history of the other rows are not generated (no page measured
here reads them).

Pages are requested through Django's test client in this process (no network), logged in as
the demo approver and citizen, first at ``--small`` rows and again at ``--rows``; the script stops
with an error if a page's query count grew. The intake runs ``services.window_intake`` on a
10-material item of the market department (made once by this script) and renders the 受理通知书
with ``applications.pdf.render``. Media files go under ZHENGWU_VAR_DIR (default /tmp/bench_apps).
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_apps")
PREFIX = "BB-"
OWNER_EVERY = 150  # every 150th generated application is the demo citizen's
SLOTS = 360  # (item, department) slots: g % 360 picks one; slot % 30 == 0 is the market department

# One statement per batch. r: the state draw (0–99); h: the time draw; the slot gives item,
# department and promised limit. Derived times are capped at now().
GENERATE = """
WITH src AS (
    SELECT g, s.item_id, s.department_id, s.limit_days,
        abs(hashint4(g)::bigint) %% 100 AS r, abs(hashint4(g + 104729)::bigint) AS h, g %% {owner_every} = 0 AS owned
    FROM generate_series(%(start)s, %(stop)s) AS g JOIN bench_slot s ON s.slot = g %% {slots}
), st AS (
    SELECT src.*, CASE
        WHEN r < 45 THEN 'archived' WHEN r < 65 THEN 'delivered' WHEN r < 68 THEN 'completed'
        WHEN r < 70 THEN 'certified' WHEN r < 72 THEN 'posted' WHEN r < 74 THEN 'decided'
        WHEN r < 79 THEN 'reviewing' WHEN r < 81 THEN 'accepted' WHEN r < 82 THEN 'special'
        WHEN r < 83 THEN 'returned' WHEN r < 85 THEN 'supplement' WHEN r < 88 THEN 'submitted'
        WHEN r < 94 THEN 'not_accepted' ELSE 'withdrawn' END AS state
    FROM src
), t AS (
    SELECT st.*, now() - make_interval(mins => (h %% (CASE WHEN state IN ('archived', 'delivered',
        'not_accepted', 'withdrawn') THEN 730 ELSE 30 END * 1440))::int) AS submitted_at
    FROM st
), a AS (
    SELECT t.*,
        CASE WHEN state NOT IN ('submitted', 'supplement', 'not_accepted', 'withdrawn')
            THEN least(now(), submitted_at + interval '1 hour') END AS accepted_at
    FROM t
), d AS (
    SELECT a.*,
        a.accepted_at + make_interval(secs => (a.limit_days * 1.4 * 86400)::float8) AS due_at,
        CASE WHEN state IN ('decided', 'completed', 'certified', 'posted', 'delivered', 'archived')
            THEN least(now(), a.accepted_at + make_interval(secs => (a.limit_days * 0.8 * 86400)::float8))
            END AS decided_at
    FROM a
), f AS (
    SELECT d.*,
        CASE WHEN state IN ('completed', 'certified', 'posted', 'delivered', 'archived')
            THEN least(now(), decided_at + interval '2 hours') END AS completed_at,
        CASE WHEN state IN ('delivered', 'archived')
            THEN least(now(), decided_at + interval '1 day') END AS delivered_at
    FROM d
)
INSERT INTO applications_application (created_at, updated_at, number, query_code_hash, item_version, channel,
    applicant_kind, applicant_name, applicant_code, contact_name, contact_phone, form_data, delivery_method,
    postal_recipient, postal_phone, postal_address, state, version, submitted_at, accepted_at, limit_days,
    due_at, paused_since, on_the_spot, supplement_rounds, deferred_overdue, decision, decision_opinion,
    decided_at, result_name, result_number, completed_at, certified_at, delivered_at, closed_at,
    idempotency_key, chain_length, chain_head, chain_seal, citizen_id, enterprise_id, department_id, item_id,
    submitted_by_id)
SELECT submitted_at,
    coalesce(delivered_at, completed_at, decided_at, accepted_at, submitted_at),
    '{prefix}' || to_char(submitted_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-' || lpad(g::text, 7, '0'),
    md5(g::text), 1,
    CASE WHEN owned THEN 'web' ELSE (ARRAY['window','window','web','mobile','window','kiosk','post','web'])[1 + h %% 8] END,
    CASE WHEN owned OR h %% 10 < 6 THEN 'person' ELSE 'organisation' END,
    CASE WHEN owned THEN %(owner_name)s WHEN h %% 10 < 6 THEN '申请人' || (g %% 997) ELSE '示范企业' || (g %% 991) END,
    CASE WHEN owned THEN %(owner_code)s ELSE '41020219900101' || lpad((g %% 10000)::text, 4, '0') END,
    '申请人', '138' || lpad((g %% 100000000)::text, 8, '0'), '{{}}'::jsonb,
    CASE WHEN h %% 10 = 9 THEN 'post' ELSE 'pickup' END, '', '',
    CASE WHEN h %% 10 = 9 THEN '示范市东城区城关街道' ELSE '' END,
    state, 1, submitted_at, accepted_at, limit_days, due_at,
    CASE WHEN state = 'special' THEN least(now(), accepted_at + interval '2 hours') END,
    false, 0, false,
    CASE WHEN decided_at IS NULL THEN '' WHEN r %% 10 = 0 THEN 'denied' ELSE 'approved' END, '',
    decided_at, '', '', completed_at, NULL, delivered_at,
    CASE WHEN state IN ('delivered', 'archived') THEN delivered_at
         WHEN state IN ('not_accepted', 'withdrawn') THEN least(now(), submitted_at + interval '3 hours') END,
    NULL, 0, '', '',
    CASE WHEN owned THEN %(owner_citizen)s WHEN h %% 10 < 6 THEN (%(citizens)s::bigint[])[1 + h %% %(n_citizens)s] END,
    CASE WHEN NOT owned AND h %% 10 >= 6 THEN (%(enterprises)s::bigint[])[1 + h %% %(n_enterprises)s] END,
    department_id, item_id,
    CASE WHEN owned THEN %(owner_user)s END
FROM f
"""

# The owner's rows: 提交 and, once accepted, 受理 — the public history 我的办件 reads its latest step from.
EVENTS = """
INSERT INTO applications_applicationevent (seq, at, actor_label, action, from_state, to_state, public, note,
    data, prev_hash, hash, actor_id, application_id)
SELECT 1, a.submitted_at, '申请人', 'submit', '', 'submitted', true, '', '{}'::jsonb, '', md5(a.id::text),
    NULL::bigint, a.id
FROM applications_application a WHERE a.number LIKE 'BB-%%' AND a.id > %(after)s AND a.citizen_id = %(owner)s
UNION ALL
SELECT 2, a.accepted_at, '窗口', 'accept', 'submitted', 'accepted', true, '', '{}'::jsonb, md5(a.id::text),
    md5(a.id::text || 'a'), NULL, a.id
FROM applications_application a WHERE a.number LIKE 'BB-%%' AND a.id > %(after)s AND a.citizen_id = %(owner)s
    AND a.accepted_at IS NOT NULL
"""


# ---------------------------------------------------------------------------------------------
# Database
# ---------------------------------------------------------------------------------------------


def _psql(sql: str) -> str:
    return subprocess.run(
        ["psql", DB_URL.rsplit("/", 1)[0] + "/postgres", "-tAc", sql],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def ensure_database(fresh: bool) -> None:
    db = DB_URL.rsplit("/", 1)[1]
    host = DB_URL.split("@", 1)[1].split(":", 1)[0]
    user = DB_URL.split("//", 1)[1].split("@", 1)[0]
    if fresh and _psql(f"SELECT 1 FROM pg_database WHERE datname='{db}'"):
        subprocess.run(["dropdb", "-h", host, "-U", user, db], check=True)
    if not _psql(f"SELECT 1 FROM pg_database WHERE datname='{db}'"):
        subprocess.run(["createdb", "-h", host, "-U", user, db], check=True)


def setup() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", "--noinput", "-v0")
    from zhengwu.accounts.models import User

    if not User.objects.filter(username="citizen").exists():
        call_command("load_demo_city", "--quiet-logins")


def _slots() -> list[tuple[int, int, int, float]]:
    """(slot, item, department, promised days): slot % 30 == 0 the market department's items,
    the other 29 of every 30 spread over the other departments' items."""
    from zhengwu.catalog.models import ServiceItem, VersionStatus
    from zhengwu.org.models import Department

    market = Department.objects.get(name="示范市市场监督管理局")
    items = ServiceItem.objects.filter(status=VersionStatus.PUBLISHED).exclude(name__startswith="基准测试")
    own = list(
        items.filter(department=market)
        .order_by("id")
        .values_list("id", "department_id", "promised_limit_days")
    )
    rest = list(
        items.exclude(department=market)
        .order_by("id")
        .values_list("id", "department_id", "promised_limit_days")
    )
    out = []
    for slot in range(SLOTS):
        pool, k = (own, slot // 30) if slot % 30 == 0 else (rest, slot - slot // 30 - 1)
        item_id, dept_id, days = pool[k % len(pool)]
        out.append((slot, item_id, dept_id, float(days)))
    return out


def generated() -> int:
    from zhengwu.applications.models import Application

    return Application.objects.filter(number__startswith=PREFIX).count()


def generate(rows: int) -> float:
    """Add generated applications up to ``rows``; returns the seconds it took."""
    from django.db import connection

    from zhengwu.accounts.models import Citizen, Enterprise, User
    from zhengwu.applications.models import Application

    have = generated()
    if have >= rows:
        return 0.0
    owner = User.objects.get(username="citizen")
    citizen = Citizen.objects.get(user=owner)
    citizens = list(Citizen.objects.exclude(pk=citizen.pk).order_by("id").values_list("id", flat=True))
    enterprises = list(
        Enterprise.objects.exclude(users__isnull=False).order_by("id").values_list("id", flat=True)
    )
    sql = GENERATE.format(prefix=PREFIX, owner_every=OWNER_EVERY, slots=SLOTS)
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS bench_slot (slot int PRIMARY KEY, item_id bigint, department_id bigint, limit_days numeric(6,2))"
        )
        cur.execute("TRUNCATE bench_slot")
        cur.executemany("INSERT INTO bench_slot VALUES (%s, %s, %s, %s)", _slots())
        for start in range(have + 1, rows + 1, 100_000):
            stop = min(start + 99_999, rows)
            after = Application.objects.order_by("-id").values_list("id", flat=True).first() or 0
            cur.execute(
                sql,
                {
                    "start": start,
                    "stop": stop,
                    "owner_name": citizen.name,
                    "owner_code": citizen.id_number,
                    "owner_citizen": citizen.pk,
                    "owner_user": owner.pk,
                    "citizens": citizens,
                    "n_citizens": len(citizens),
                    "enterprises": enterprises,
                    "n_enterprises": len(enterprises),
                },
            )
            cur.execute(EVENTS, {"after": after, "owner": citizen.pk})
            print(f"  {stop:,} rows", file=sys.stderr)
        cur.execute("ANALYZE applications_application; ANALYZE applications_applicationevent;")
    return time.perf_counter() - t0


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


def _timed(n: int, call: Callable[[], Any]) -> dict[str, float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    q = statistics.quantiles(times, n=20)
    return {"p50_ms": round(statistics.median(times) * 1000, 1), "p95_ms": round(q[18] * 1000, 1)}


def _counted(call: Callable[[], Any]) -> tuple[Any, int]:
    from django.db import connection

    queries: list[str] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        queries.append(sql)
        return execute(sql, params, many, context)

    # Django resets connection.queries at each request, so count with a wrapper instead.
    with connection.execute_wrapper(count):
        result = call()
    return result, len(queries)


def _page_key(qs: Any, field: str, descending: bool, page: int, size: int) -> str | None:
    """The keyset key that opens page ``page`` (1-based) of ``qs`` ordered as the page orders it."""
    from django.db.models import F

    if page <= 1:
        return None
    order = F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
    row = qs.order_by(order, "-id" if descending else "id").values_list(field, "id")[
        (page - 1) * size - 1 : (page - 1) * size
    ]
    found = list(row)
    if not found:
        return None
    value, pk = found[0]
    return f"{value.isoformat() if value is not None else ''}~{pk}"


def measure_page(url: str, username: str, n: int, after: str | None) -> dict[str, Any]:
    from django.test import Client

    from zhengwu.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    params = {"after": after} if after else {}
    client.get(url, params)  # warm
    response, queries = _counted(lambda: client.get(url, params))
    assert response.status_code == 200, (url, response.status_code)
    return {**_timed(n, lambda: client.get(url, params)), "queries": queries}


def measure_pages(n: int) -> dict[str, Any]:
    from django.urls import reverse

    from zhengwu.accounts.models import User
    from zhengwu.applications import worklists
    from zhengwu.applications.selectors import owned_by

    approver = User.objects.get(username="approver")
    citizen = User.objects.get(username="citizen")
    review = worklists.review_queue(approver)
    tab = review.tab("all")
    queue_rows = review.rows(tab).count()
    queue_pages = -(-queue_rows // worklists.PAGE_SIZE)
    mine_rows = owned_by(citizen).count()
    mine_pages = -(-mine_rows // worklists.PAGE_SIZE)
    out: dict[str, Any] = {
        "review_queue_rows": queue_rows,
        "mine_rows": mine_rows,
        "review_first": measure_page(reverse("applications:review_queue"), "approver", n, None),
        "mine_first": measure_page(reverse("applications_public:mine"), "citizen", n, None),
    }
    deep_queue = max(2, int(queue_pages * 0.8))
    key = _page_key(review.rows(tab), "due_at", False, deep_queue, worklists.PAGE_SIZE)
    if key:
        out["review_deep"] = {
            "page": deep_queue,
            **measure_page(reverse("applications:review_queue"), "approver", n, key),
        }
    deep_mine = max(2, int(mine_pages * 0.8))
    key = _page_key(owned_by(citizen), "submitted_at", True, deep_mine, worklists.PAGE_SIZE)
    if key:
        out["mine_deep"] = {
            "page": deep_mine,
            **measure_page(reverse("applications_public:mine"), "citizen", n, key),
        }
    return out


def bench_item() -> Any:
    """A 承诺件 of the market department with ten materials (the demo's have at most six)."""
    from zhengwu.catalog.models import ItemMaterial, Material, ServiceItem

    name = "基准测试事项（十项材料）"
    item = ServiceItem.objects.filter(name=name).first()
    if item is not None:
        return item
    base = ServiceItem.objects.filter(department__name="示范市市场监督管理局", name="食品经营许可").get()
    item = ServiceItem.objects.get(pk=base.pk)
    item.pk = item.id = None
    item.name = name
    item.implementation_code = base.implementation_code[:-3] + "910"
    item.save()
    for order, material in enumerate(Material.objects.order_by("id")[:10], start=1):
        ItemMaterial.objects.create(item=item, material=material, critical=order == 1, order=order)
    return item


def measure_intake(n: int) -> dict[str, Any]:
    from zhengwu.accounts.models import Citizen, User
    from zhengwu.applications import pdf, services
    from zhengwu.applications.models import MaterialStatus, NoticeKind

    item = bench_item()
    clerk = User.objects.get(username="clerk")
    citizen = Citizen.objects.get(user__username="citizen")
    uses = list(item.item_materials.order_by("order"))
    form = {f["name"]: "基准测试" for f in item.form_fields or []}
    assert len(uses) == 10

    def intake() -> Any:
        return services.window_intake(
            item=item,
            by=clerk,
            applicant=citizen,
            contact_name=citizen.name,
            contact_phone=citizen.phone or "13800000001",
            form_data=form,
            materials=[services.MaterialInput(u.pk, MaterialStatus.RECEIVED, originals=1) for u in uses],
            outcome="accept",
        ).application

    def intake_and_notice() -> bytes:
        application = intake()
        return pdf.render(application.notices.get(kind=NoticeKind.ACCEPTANCE))

    intake_and_notice()  # warm: fonts, calendar
    _, queries = _counted(intake)
    notice = intake().notices.get(kind=NoticeKind.ACCEPTANCE)
    size = len(pdf.render(notice))
    return {
        "intake_with_notice_pdf": _timed(n, intake_and_notice),
        "intake_alone": {**_timed(n, intake), "queries": queries},
        "notice_pdf": {**_timed(n, lambda: pdf.render(notice)), "bytes": size},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--small", type=int, default=10_000, help="the size the query counts are first taken at"
    )
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database first")
    args = parser.parse_args()
    os.environ.update(
        {
            "DATABASE_URL": DB_URL,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "ALLOWED_HOSTS": "testserver",
            "ZHENGWU_VAR_DIR": os.environ.get("ZHENGWU_VAR_DIR", "/tmp/bench_apps"),
        }
    )
    sys.path[:0] = [str(ROOT), str(ROOT / "src")]
    ensure_database(args.fresh)
    setup()
    from zhengwu.applications.models import Application

    figures: dict[str, Any] = {
        "machine": f"{platform.node()} ({os.cpu_count()} cores)",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    stages: dict[str, Any] = {}
    if generated() <= args.small:
        seconds = generate(args.small)
        stages["small"] = {"applications": Application.objects.count(), "generated_s": round(seconds, 1)}
        stages["small"].update(measure_pages(args.requests))
    else:
        print(
            f"more than {args.small:,} rows already: the small stage is skipped (use --fresh)",
            file=sys.stderr,
        )
    seconds = generate(args.rows)
    stages["large"] = {"applications": Application.objects.count(), "generated_s": round(seconds, 1)}
    stages["large"].update(measure_pages(args.requests))
    figures["pages"] = stages
    figures["intake"] = measure_intake(args.requests)
    print(json.dumps(figures, ensure_ascii=False))

    grew = []
    if "small" in stages:
        for page in ("review_first", "mine_first", "review_deep", "mine_deep"):
            small, large = stages["small"].get(page), stages["large"].get(page)
            if small and large and large["queries"] > small["queries"]:
                grew.append(f"{page}: {small['queries']} → {large['queries']}")
    for page in ("review_deep", "mine_deep"):
        first, deep = stages["large"].get(page.replace("deep", "first")), stages["large"].get(page)
        if deep and deep["queries"] > first["queries"]:
            grew.append(f"{page} vs first page: {first['queries']} → {deep['queries']}")
    if grew:
        sys.exit("query count grew: " + "; ".join(grew))


if __name__ == "__main__":
    main()
