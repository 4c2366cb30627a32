"""The window rating pads under load: ``--pads`` tablets (200 by default), each bound to its own
window, polling their screen and submitting ratings, over HTTP against the app served by gunicorn
on PostgreSQL. Run by hand:

    .venv/bin/python bench/rating_pad.py [--seconds 60] [--pads 200] [--every 5] [--workers 4]

It creates (or reuses) the database ``bench_rating_pad`` on the local PostgreSQL
(``BENCH_DATABASE_URL`` to choose another), migrates it and sets up a hall, 评价器压测大厅, with one
window, one clerk and one pad per tablet (the pads issued through ``pads.issue_pad``, so only the
tokens' hashes are stored). Earlier runs' visits and ratings of that hall are deleted first. Each
window gets enough service visits, finished at setup time, for the whole run (the pad offers a
visit for RATING_PAD_VISIT_MINUTES, so keep ``--seconds`` well under that).

The load, real HTTP on new connections from one asyncio process (as gunicorn's sync workers answer
``Connection: close``):

- each pad polls ``GET /pad/screen/`` with its cookie 2 s after the last answer came, as the page's
  ``hx-trigger="every 2s"`` does (204 while nothing changed);
- each pad submits ``POST /api/pad/ratings/`` with ``Authorization: Pad <token>`` for its window's
  next visit every ``--every`` seconds (uniformly 0.5–1.5 × that; a real window finishes a service
  every few minutes, so 5 s is a heavy hall), one rating in ten a 差评 (which opens a rectification
  case in the same transaction), and one submission in twenty sent twice at once (a double tap),
  which must give one 201 and one 409.

Then the database is read: every 201 is one rating, no visit rated twice, one rectification per
差评. It prints the submit and poll latencies (p50/p95/p99) and a JSON line, and exits 1 when an
invariant fails. The target — submit p99 < 100 ms under 200 concurrent pads — is reported, not
enforced. Figures go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_rating_pad")
HOST = "127.0.0.1"
PY = str(ROOT / ".venv" / "bin" / "python")
SHOWN = re.compile(rb'data-shown="([a-z0-9-]+)"')

SETUP = """
import json
from django.utils import timezone
from zhengwu.accounts.models import User
from zhengwu.org.models import Department, Hall, Region, Window
from zhengwu.ratings import pads
from zhengwu.ratings.models import Rating, RatingPad, Rectification, WindowVisit

PADS, VISITS = {pads}, {visits}
region, _ = Region.objects.get_or_create(code="990000000000", defaults={{"name": "压测市", "level": 3}})
hall, _ = Hall.objects.get_or_create(name="评价器压测大厅", defaults={{"region": region, "opening_hours": "00:00-23:59"}})
from stdnum.cn import uscc
body = "11990000" + "PADBENCH0"
department, _ = Department.objects.get_or_create(
    name="评价器压测中心", defaults={{"region": region, "uscc": body + uscc.calc_check_digit(body)}}
)
ratings = Rating.objects.filter(visit__window__hall=hall)
Rectification.objects.filter(rating__in=ratings).delete()
ratings.delete()
WindowVisit.objects.filter(window__hall=hall).delete()
RatingPad.objects.filter(window__hall=hall).delete()
admin, _ = User.objects.get_or_create(username="bench-pad-admin", defaults={{"is_staff": True, "is_superuser": True}})
now = timezone.now()
out, visits = [], []
for i in range(PADS):
    w, _ = Window.objects.update_or_create(
        hall=hall, number=f"{{i + 1:03d}}",
        defaults={{"name": f"{{i + 1}}号窗口", "kind": "comprehensive", "is_open": True, "department": department}},
    )
    clerk, _ = User.objects.get_or_create(
        username=f"bench-pad-clerk-{{i + 1:03d}}",
        defaults={{"is_staff": True, "name": f"窗口{{i + 1}}", "department": department}},
    )
    _, token = pads.issue_pad(w, admin, f"{{i + 1}}号平板")
    visits += [
        WindowVisit(window=w, staff=clerk, department=department, kind="other", service="居民身份证换领",
                    finished_at=now)
        for _ in range(VISITS)
    ]
    out.append({{"window": w.pk, "token": token}})
made = WindowVisit.objects.bulk_create(visits, batch_size=2000)
by_window = {{}}
for v in made:
    by_window.setdefault(v.window_id, []).append(v.pk)
for row in out:
    row["visits"] = by_window[row["window"]]
print(json.dumps({{"hall": hall.pk, "pads": out}}))
"""

CHECK = """
import json
from django.db.models import Count
from zhengwu.ratings.models import Rating, Rectification
ratings = Rating.objects.filter(visit__window__hall_id={hall})
twice = ratings.values("visit_id").annotate(n=Count("id")).filter(n__gt=1).count()
print(json.dumps({{
    "ratings": ratings.count(), "visits_rated_twice": twice,
    "bad": ratings.filter(level__in=(4, 5)).count(),
    "rectifications": Rectification.objects.filter(rating__in=ratings).count(),
}}))
"""


def manage(*args: str, env: dict[str, str], capture: bool = False) -> str:
    out = subprocess.run(
        [PY, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        text=True,
    )
    return out.stdout or ""


def prepare(env: dict[str, str], pads: int, visits: int) -> dict:
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
    code = SETUP.format(pads=pads, visits=visits)
    return json.loads(manage("shell", "-c", code, env=env, capture=True).strip().splitlines()[-1])


class Recorder:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = {}
        self.statuses: dict[str, dict[int, int]] = {}
        self.created = 0
        self.double_taps: list[tuple[int, int]] = []
        self.load: list[float] = []

    def add(self, what: str, status: int, elapsed: float, ok: tuple[int, ...]) -> None:
        self.statuses.setdefault(what, {}).setdefault(status, 0)
        self.statuses[what][status] += 1
        if status in ok:
            self.latency.setdefault(what, []).append(elapsed)


async def request(
    port: int, method: str, path: str, *, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """One request on a new connection; its status and body, (0, b"") when the connection fails."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: close"]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    try:
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        raw = await asyncio.wait_for(reader.read(-1), timeout=30)
        writer.close()
    except (OSError, TimeoutError):
        return 0, b""
    head, _, payload = raw.partition(b"\r\n\r\n")
    return (int(head.split(b" ", 2)[1]) if head else 0), payload


async def poller(port: int, pad: dict, stop: float, rec: Recorder, rng: random.Random) -> None:
    await asyncio.sleep(rng.uniform(0, 2))
    headers = {"Cookie": f"zw_pad={pad['token']}", "HX-Request": "true"}
    shown = ""
    while time.perf_counter() < stop:
        t0 = time.perf_counter()
        status, page = await request(port, "GET", f"/pad/screen/?shown={shown}", headers=headers)
        elapsed = time.perf_counter() - t0
        if status == 200 and (m := SHOWN.search(page)):
            shown = m.group(1).decode()  # the fragment polls with what it shows: 204 while unchanged
        rec.add("poll", status, elapsed, (200, 204))
        await asyncio.sleep(min(2.0, max(0.0, stop - time.perf_counter())))


async def submitter(
    port: int, pad: dict, stop: float, every: float, rec: Recorder, rng: random.Random
) -> None:
    headers = {"Authorization": f"Pad {pad['token']}"}
    visits = list(pad["visits"])
    await asyncio.sleep(min(rng.uniform(0, every), max(0.0, stop - time.perf_counter())))
    while time.perf_counter() < stop and visits:
        level = rng.choice((4, 5)) if rng.random() < 0.1 else rng.choice((1, 1, 2, 2, 3))
        body = json.dumps({"visit": visits.pop(0), "level": level, "scores": {"attitude": level}}).encode()

        async def one(body: bytes = body) -> int:
            t0 = time.perf_counter()
            status, _ = await request(port, "POST", "/api/pad/ratings/", body=body, headers=headers)
            rec.add("submit", status, time.perf_counter() - t0, (201, 409))
            return status

        if rng.random() < 0.05:
            a, b = await asyncio.gather(one(), one())
            rec.double_taps.append((a, b))
            rec.created += (a == 201) + (b == 201)  # after the awaits: no update lost between pads
        else:
            status = await one()
            rec.created += status == 201
        await asyncio.sleep(min(rng.uniform(0.5, 1.5) * every, max(0.0, stop - time.perf_counter())))


def worker_cpu(master: int) -> float:
    """CPU seconds used so far by the gunicorn master's workers (user + system)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


async def sample_load(stop: float, rec: Recorder) -> None:
    while time.perf_counter() < stop:
        await asyncio.sleep(min(5.0, max(0.1, stop - time.perf_counter())))
        rec.load.append(os.getloadavg()[0])


async def load(args: argparse.Namespace, port: int, setup: dict, rec: Recorder) -> float:
    rng = random.Random(20261205)
    stop = time.perf_counter() + args.seconds
    tasks = []
    for pad in setup["pads"]:
        tasks.append(poller(port, pad, stop, rec, random.Random(rng.random())))
        tasks.append(submitter(port, pad, stop, args.every, rec, random.Random(rng.random())))
    tasks.append(sample_load(stop, rec))
    t0 = time.perf_counter()
    await asyncio.gather(*tasks)
    return time.perf_counter() - t0


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def quantiles(values: list[float]) -> dict[str, float | None]:
    if len(values) < 2:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None}
    q = statistics.quantiles(values, n=100)
    return {
        "p50_ms": round(q[49] * 1000, 1),
        "p95_ms": round(q[94] * 1000, 1),
        "p99_ms": round(q[98] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--pads", type=int, default=200)
    parser.add_argument("--every", type=float, default=5.0, help="mean seconds between a pad's ratings")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    env = {
        **os.environ,
        "DATABASE_URL": DB_URL,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOG_LEVEL": "ERROR",
    }
    visits = int(args.seconds / (0.5 * args.every)) + 5
    setup = prepare(env, args.pads, visits)
    port = free_port()
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi",
            "--pythonpath",
            str(ROOT / "src"),
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(args.workers),
            "--backlog",
            "4096",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    rec = Recorder()
    try:
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection(HOST, port, timeout=5)
                conn.request("GET", "/pad/")
                conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.1)
        token = setup["pads"][0]["token"]
        for _ in range(10 * args.workers):  # warm every worker before the clock starts
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", "/api/pad/current/", headers={"Authorization": f"Pad {token}"})
            conn.getresponse().read()
        cpu0, ticks0 = worker_cpu(server.pid), time.process_time()
        wall = asyncio.run(load(args, port, setup, rec))
        server_cpu, client_cpu = worker_cpu(server.pid) - cpu0, time.process_time() - ticks0
    finally:
        server.terminate()
        server.wait(timeout=30)
    check = json.loads(
        manage("shell", "-c", CHECK.format(hall=setup["hall"]), env=env, capture=True)
        .strip()
        .splitlines()[-1]
    )
    measured = {
        what: {
            "count": len(v),
            "per_s": round(len(v) / wall, 1),
            **quantiles(v),
            # A dropped connection is tried again after 1 s, then 3 s: these tell such waits apart.
            "over_0_9s": sum(1 for x in v if x > 0.9),
            "over_2_9s": sum(1 for x in v if x > 2.9),
        }
        for what, v in rec.latency.items()
    }
    bad_taps = [t for t in rec.double_taps if sorted(t) != [201, 409]]
    problems = []
    if check["ratings"] != rec.created:
        problems.append(f"201 answers {rec.created} but {check['ratings']} ratings stored")
    if check["visits_rated_twice"]:
        problems.append(f"{check['visits_rated_twice']} visits rated twice")
    if check["bad"] != check["rectifications"]:
        problems.append(f"{check['bad']} 差评 but {check['rectifications']} rectification cases")
    if bad_taps:
        problems.append(f"double taps not answered 201 + 409: {bad_taps[:10]}")
    result = {
        "pads": args.pads,
        "seconds": round(wall, 1),
        "every_s": args.every,
        "server": f"gunicorn {args.workers} × sync",
        "machine": f"{platform.machine()} {os.cpu_count()} CPU",
        "load_avg": round(statistics.mean(rec.load), 2) if rec.load else None,
        "server_cpu_ms_per_request": round(
            1000 * server_cpu / max(1, sum(map(len, rec.latency.values()))), 1
        ),
        "client_cpu_s": round(client_cpu, 1),
        "measured": measured,
        "statuses": rec.statuses,
        "double_taps": len(rec.double_taps),
        "check": check,
        "problems": problems,
        "target_submit_p99_ms": 100,
    }
    print(f"{'':8} {'count':>7} {'per s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for what, row in measured.items():
        print(
            f"{what:8} {row['count']:7} {row['per_s']:7} {row['p50_ms']!s:>8} {row['p95_ms']!s:>8} {row['p99_ms']!s:>8}"
        )
    print(json.dumps(result, ensure_ascii=False))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
