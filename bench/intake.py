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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zhengwu_bench")
HOST, PORT = "127.0.0.1", 8765
KEY = "bench-intake-key-0001"
PY = str(ROOT / ".venv" / "bin" / "python")


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def prepare(env: dict[str, str]) -> None:
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
        acked: set[str] = set()
        lock = threading.Lock()
        stop = time.perf_counter() + args.seconds
        threads = [
            threading.Thread(target=client, args=(stop, prefix, results, acked, lock))
            for _ in range(args.clients)
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
    }
    print(json.dumps(figures, ensure_ascii=False))
    sys.exit(0 if figures["exactly_acknowledged"] else 1)


if __name__ == "__main__":
    main()
