"""Intake under load: appeals filed over HTTP against the app served by gunicorn (2 workers) on
PostgreSQL, from 16 concurrent clients for 60 s. Run by hand:

    .venv/bin/python bench/intake.py [--seconds 60] [--clients 16]
        [--workers 2] [--worker-class sync] [--threads 4] [--keep-alive 2]

The server runs as ``make run`` does: 2 sync workers. (2 gthread workers of 4 threads, the earlier
setting here, did worse on 2 cores: ~20 % fewer appeals/s and twice the p99, the threads of a
worker taking turns at one GIL; docs/benchmarks.md has the comparison.)

It creates (or reuses) the database ``zhengwu_bench`` on the local PostgreSQL, migrates it, loads
the demo city and an API client, starts gunicorn on 127.0.0.1:8765, and fires POST /api/appeals/
with an Idempotency-Key per appeal. One request in twenty is sent twice with the same key (a
channel retrying), and any request that fails at the connection is retried with its key. At the
end the database must hold exactly the acknowledged appeals: none lost, none doubled.
Targets (issue 3): ≥ 150 appeals/s, p99 < 200 ms. Figures go in docs/benchmarks.md.

With ``--staff N`` (default 3), staff work the desk alongside the intake over the same server, as
on a busy morning: two dispatchers take the newest 待研判 appeals and triage and dispatch them to
the demo handler's department — both racing for the same appeals, so one of them gets 409s — and
that handler signs what arrives. Every answer must be 200 or 409 (never 500), and every 200 must
have left exactly one event of its action: none lost, none doubled.

``BENCH_DATABASE_URL`` chooses the database: PostgreSQL (the database is created if missing) or a
SQLite file, e.g. ``sqlite:////tmp/zhengwu_bench.sqlite3`` (the default database of ``make run``).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zhengwu_bench")
HOST, PORT = "127.0.0.1", 8765
KEY = "bench-intake-key-0001"
PY = str(ROOT / ".venv" / "bin" / "python")


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def prepare(env: dict[str, str]) -> None:
    if DB_URL.startswith("sqlite"):
        manage("migrate", "--noinput", "-v0", env=env)
        manage("load_demo_city", "--quiet-logins", env=env)
        _api_client(env)
        return
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
        check=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", db], check=True)
    manage("migrate", "--noinput", "-v0", env=env)
    manage("load_demo_city", "--quiet-logins", env=env)
    _api_client(env)


def _api_client(env: dict[str, str]) -> None:
    code = (
        "from zhengwu.appeals.models import ApiClient, Appeal;"
        f"ApiClient.objects.update_or_create(name='bench', defaults={{'key_hash': '{hashlib.sha256(KEY.encode()).hexdigest()}',"
        " 'channel': 'mobile', 'is_active': True})"
    )
    manage("shell", "-c", code, env=env)


def count_appeals(env: dict[str, str], since: str) -> tuple[int, int]:
    out = subprocess.run(
        [
            PY,
            "manage.py",
            "shell",
            "-c",
            "from zhengwu.appeals.models import Appeal; from django.db.models import Count;"
            f"qs = Appeal.objects.filter(idempotency_key__contains='{since}-');"
            "print(qs.count(), qs.values('idempotency_key').annotate(n=Count('id')).filter(n__gt=1).count())",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return int(out[-2]), int(out[-1])


def shell(code: str, env: dict[str, str]) -> str:
    return subprocess.run(
        [PY, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout


STAFF_SETUP = """
import json
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from zhengwu.accounts.models import User
from zhengwu.appeals.models import Category
out = {}
for name in ("dispatcher", "handler"):  # a signed-in session, without a login request
    user = User.objects.get(username=name)
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    out[name] = session.session_key
handler = User.objects.get(username="handler")
out["department"] = handler.department_id
out["category"] = Category.objects.filter(is_active=True, parent__isnull=False).order_by("pk").first().pk
print(json.dumps(out))
"""

CSRF = "benchcsrftokenbenchcsrftoken0001"  # any 32 letters: cookie and header must match


def staff_setup(env: dict[str, str]) -> dict:
    """Sessions for the demo dispatcher and handler (a session each, as two browsers would have),
    the handler's department and a category to triage into."""
    return json.loads(shell(STAFF_SETUP, env).strip().splitlines()[-1])


def staff(stop: float, role: str, setup: dict, outcomes: list, lock: threading.Lock) -> None:
    """A dispatcher triages and dispatches the newest 待研判 appeals; the handler signs the appeals
    dispatched to its department. Both read the list, then act with the version they read."""
    conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
    headers = {
        "Cookie": f"sessionid={setup[role]}; csrftoken={CSRF}",
        "X-CSRFToken": CSRF,
        "Content-Type": "application/json",
    }

    def call(method: str, url: str, body: dict | None = None) -> tuple[int, dict]:
        nonlocal conn
        try:
            conn.request(method, url, body=json.dumps(body).encode() if body else None, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
            return 0, {}
        try:
            data = json.loads(payload) if payload else {}
        except ValueError:
            data = {}
        return resp.status, data

    def act(action: str, url: str, body: dict) -> None:
        status, _ = call("POST", url, body)
        with lock:
            outcomes.append((action, status))

    while time.perf_counter() < stop:
        if role == "handler":
            status, page = call("GET", f"/api/appeals/?state=dispatched&department={setup['department']}")
        else:  # what waits for dispatch first, then what waits for triage
            status, page = call("GET", "/api/appeals/?state=triaged")
            if status == 200 and not page.get("results"):
                with lock:
                    outcomes.append(("list", status))
                status, page = call("GET", "/api/appeals/?state=registered")
        with lock:
            outcomes.append(("list", status))
        rows = page.get("results", [])[:5] if status == 200 else []
        if not rows:
            time.sleep(0.05)
            continue
        for row in rows:
            if time.perf_counter() >= stop:
                break
            pk, version = row["id"], row["version"]
            if role == "handler":
                status, detail = call("GET", f"/api/appeals/{pk}/")
                lead = next(
                    (
                        a
                        for a in detail.get("assignments", [])
                        if a.get("role") == "lead" and a.get("state") == "pending"
                    ),
                    None,
                )
                if lead is not None:
                    act("sign", f"/api/assignments/{lead['id']}/sign", {"version": detail["version"]})
            elif row["state"] == "registered":
                act(
                    "triage",
                    f"/api/appeals/{pk}/triage",
                    {"category": setup["category"], "handling_mode": "dispatch", "version": version},
                )
            else:
                act(
                    "dispatch",
                    f"/api/appeals/{pk}/dispatch",
                    {"lead": setup["department"], "version": version},
                )


STAFF_EVENTS = """
import json
from django.db.models import Count
from zhengwu.appeals.models import AppealEvent
rows = (AppealEvent.objects.filter(at__gte="{since}", action__in=["triage", "dispatch", "sign"])
        .values("action").annotate(n=Count("id")))
per_appeal = (AppealEvent.objects.filter(at__gte="{since}", action__in=["triage", "dispatch", "sign"])
              .values("appeal_id", "action").annotate(n=Count("id")).filter(n__gt=1, action__in=["dispatch", "sign"]))
print(json.dumps({{"events": {{r["action"]: r["n"] for r in rows}}, "doubled": per_appeal.count()}}))
"""


def client(stop: float, prefix: str, results: list, acked: set, lock: threading.Lock) -> None:
    conn = http.client.HTTPConnection(HOST, PORT, timeout=10)
    rng = random.Random()
    while time.perf_counter() < stop:
        key = f"{prefix}-{uuid.uuid4().hex}"
        body = json.dumps(
            {
                "channel": "mobile",
                "appeal_type": rng.choice(["help", "complaint", "suggestion", "consultation"]),
                "title": "小区路灯不亮",
                "body": f"示范市东城区幸福小区{rng.randint(1, 40)}栋门前路灯不亮，夜间出行不便。",
                "contact_name": "张先生",
                "contact_phone": f"138{rng.randint(0, 99999999):08d}",
                "address": "东城区幸福小区",
            }
        )
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"ApiKey {KEY}",
            "Idempotency-Key": key,
        }
        sends = 2 if rng.random() < 0.05 else 1
        for _ in range(sends):
            for attempt in range(5):
                t0 = time.perf_counter()
                try:
                    conn.request("POST", "/api/appeals/", body=body.encode(), headers=headers)
                    resp = conn.getresponse()
                    payload = resp.read()
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection(HOST, PORT, timeout=10)
                    time.sleep(0.05 * (attempt + 1))
                    continue
                elapsed = time.perf_counter() - t0
                with lock:
                    results.append((resp.status, elapsed))
                    if resp.status in (200, 201):
                        acked.add(json.loads(payload)["number"])
                break


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--keep-alive", type=int, default=2)
    parser.add_argument("--staff", type=int, default=3, help="staff threads (2 dispatchers, 1 handler …)")
    args = parser.parse_args()
    env = {
        **os.environ,
        "DATABASE_URL": DB_URL,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOG_LEVEL": "ERROR",
    }
    prepare(env)
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"{HOST}:{PORT}",
            "--workers",
            str(args.workers),
            "--worker-class",
            args.worker_class,
            # gunicorn turns sync workers with threads into gthread ones: threads for gthread only
            *(["--threads", str(args.threads)] if args.worker_class == "gthread" else []),
            "--keep-alive",
            str(args.keep_alive),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection(HOST, PORT, timeout=1).request("GET", "/api/schema/")
                break
            except OSError:
                time.sleep(0.1)
        prefix = f"bench{int(time.time())}"
        results: list[tuple[int, float]] = []
        outcomes: list[tuple[str, int]] = []
        acked: set[str] = set()
        lock = threading.Lock()
        setup = staff_setup(env) if args.staff else {}
        since = datetime.now(UTC).isoformat()
        stop = time.perf_counter() + args.seconds
        threads = [
            threading.Thread(target=client, args=(stop, prefix, results, acked, lock))
            for _ in range(args.clients)
        ]
        roles = ["dispatcher", "dispatcher", "handler"]
        threads += [
            threading.Thread(target=staff, args=(stop, roles[i % len(roles)], setup, outcomes, lock))
            for i in range(args.staff)
        ]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies = sorted(e for s, e in results if s in (200, 201))
    statuses: dict[int, int] = {}
    for s, _ in results:
        statuses[s] = statuses.get(s, 0) + 1
    stored, doubled = count_appeals(env, prefix)
    q = statistics.quantiles(latencies, n=100)
    staff_figures: dict = {}
    if args.staff:
        done = json.loads(shell(STAFF_EVENTS.format(since=since), env).strip().splitlines()[-1])
        answers: dict[str, dict[int, int]] = {}
        for action, status in outcomes:
            answers.setdefault(action, {}).setdefault(status, 0)
            answers[action][status] += 1
        ok = {a: c.get(200, 0) for a, c in answers.items() if a != "list"}
        staff_figures = {
            "staff_threads": args.staff,
            "staff_answers": answers,
            "staff_500": sum(c.get(500, 0) for c in answers.values()),
            "staff_events": done["events"],
            # a 200 whose event is missing, or an event nobody was told of
            "transitions_lost": sum(max(0, n - done["events"].get(a, 0)) for a, n in ok.items()),
            "transitions_duplicated": sum(max(0, done["events"].get(a, 0) - n) for a, n in ok.items())
            + done["doubled"],
        }
    figures = {
        "machine": f"{platform.node()} ({os.cpu_count()} cores)",
        "clients": args.clients,
        "server": f"gunicorn {args.workers} × {args.worker_class}"
        + (f" ({args.threads} threads)" if args.worker_class == "gthread" else "")
        + f", keep-alive {args.keep_alive} s",
        "seconds": round(wall, 1),
        "requests": len(results),
        "statuses": statuses,
        "appeals_acknowledged": len(acked),
        "appeals_per_second": round(len(acked) / wall, 1),
        "p50_ms": round(q[49] * 1000, 1),
        "p99_ms": round(q[98] * 1000, 1),
        "stored": stored,
        "doubled": doubled,
        "exactly_acknowledged": stored == len(acked) and doubled == 0,
        "intake_500": statuses.get(500, 0),
        **staff_figures,
    }
    print(json.dumps(figures, ensure_ascii=False))
    clean = (
        figures["exactly_acknowledged"]
        and not figures["intake_500"]
        and not staff_figures.get("staff_500")
        and not staff_figures.get("transitions_lost")
        and not staff_figures.get("transitions_duplicated")
    )
    sys.exit(0 if clean else 1)


if __name__ == "__main__":
    main()
