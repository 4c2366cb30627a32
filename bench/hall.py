"""The hall queue under load: 2,000 kiosks taking numbers, 200 windows calling them and the hall
screens polling, over HTTP against the app served by gunicorn on PostgreSQL, for 60 s. Run by hand:

    .venv/bin/python bench/hall.py [--seconds 60] [--windows 200] [--kiosks 2000] [--displays 20]
        [--kiosk-every 60] [--service 20] [--workers 4] [--worker-class sync] [--threads 4]

It creates (or reuses) the database ``bench_hall`` on the local PostgreSQL, migrates it and sets up
one hall, 压测大厅, open 00:00-23:59, with ``--windows`` windows (six in ten 综合受理, the rest 出件,
帮办代办 and 咨询导办) and one clerk login per window (a role with ``hall.call_number``, signed in
by a session made directly, as two hundred browsers would hold one). The hall's numbers of earlier
runs are deleted first, so each run starts from A001. When today is not a working day of the
calendar (a run on a weekend), the bench database — only that one — gets today as a 调休上班 day,
since the kiosk refuses numbers outside working days.

The kiosk page needs no login and no device identity: it is a public page that issues a number to
whoever presses (the view acts as the device ``<hall>取号机``), limited per address to
``QUEUE_KIOSK_LIMIT`` numbers in 10 minutes. Every client here comes from 127.0.0.1, as a hall's
kiosks share the hall's address behind its router, so the server runs with that limit raised.

The load, all real HTTP on new connections (``Connection: close``, as gunicorn's sync workers
answer) from one asyncio process:

- each kiosk presses once every ``--kiosk-every`` seconds on average (uniformly 0.5–1.5 × that, the
  first press at a random moment of the first interval): POST /hall/kiosk/<hall>/ with a business
  in the windows' shares, one press in twenty 长者优先; the number is read from the slip page.
  2,000 kiosks at one press a minute offer 33 numbers/s, 120,000 an hour — a person walks up,
  chooses, takes the slip, so a real kiosk is pressed every few seconds at most, and a busy hall
  issues a few thousand numbers a day;
- each window works as a clerk does: POST 叫下一位 (302), GET the panel it is sent to (which shows
  the number called), serve for ``--service`` seconds (0.5–1.5 × that), POST 办结, GET the panel;
  when nobody waits, press again 3–7 s later. A number still being served when the run ends is
  left called;
- each hall screen (``--displays``) fetches the htmx partial of /hall/display/<hall>/ 3 s after the
  last one came, as ``_board.html``'s ``hx-trigger="every 3s"`` does.

Then the database is read: no number issued twice in the hall's day; every number a kiosk printed
is there (none lost); numbers issued that no kiosk printed are no more than the take requests left
unanswered (timeout or 5xx); every call a window saw went to a distinct ticket, called once, by
that window, and calls no panel showed are no more than the unanswered call and panel requests; no
window holds two numbers. It prints a table and a JSON line (also the gunicorn workers' CPU per
request and the load average during the run, since other work on the machine moves the figures),
and exits 1 when an invariant fails. The targets — 取号/叫号 p99 < 200 ms, screen refresh
p95 < 50 ms — are reported, not enforced. Figures go in docs/benchmarks.md.
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
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_hall")
HOST = "127.0.0.1"
PY = str(ROOT / ".venv" / "bin" / "python")
CSRF = "benchcsrftokenbenchcsrftoken0002"  # any 32 letters: cookie and form field must match

# Window kinds of the hall, in shares of ten; kiosks choose businesses in the same shares.
KINDS = [("comprehensive", 6), ("delivery", 2), ("assisted", 1), ("consultation", 1)]

SETUP = """
import json
from datetime import date, datetime
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from zhengwu.accounts.models import User
from zhengwu.calendar.models import CalendarYear, DayKind, SpecialDay
from zhengwu.calendar.selectors import get_calendar
from zhengwu.casework.models import DailyCounter
from zhengwu.hall.models import QueueTicket
from zhengwu.org.models import Hall, Region, Window

WINDOWS = {windows}
KINDS = {kinds}
today = timezone.localdate()
calendar = get_calendar()
if not (calendar.is_covered(today) and calendar.is_working_day(today)):
    year, _ = CalendarYear.objects.get_or_create(year=today.year)
    SpecialDay.objects.update_or_create(
        date=today, defaults={{"year": year, "kind": DayKind.MAKEUP, "name": "压测"}}
    )
region, _ = Region.objects.get_or_create(code="990000000000", defaults={{"name": "压测市", "level": 3}})
hall, _ = Hall.objects.get_or_create(
    name="压测大厅", defaults={{"region": region, "opening_hours": "00:00-23:59"}}
)
Hall.objects.filter(pk=hall.pk).update(opening_hours="00:00-23:59")
QueueTicket.objects.filter(hall=hall).update(transferred_from=None)
QueueTicket.objects.filter(hall=hall).delete()
DailyCounter.objects.filter(kind__startswith=f"queue-{{hall.pk}}-").delete()
kinds = [k for k, share in KINDS for _ in range(share)]
role, _ = Group.objects.get_or_create(name="压测窗口人员")
role.permissions.add(Permission.objects.get(codename="call_number", content_type__app_label="hall"))
Window.objects.filter(hall=hall).update(is_open=False)
windows = []
engine = import_module(settings.SESSION_ENGINE)
for i in range(WINDOWS):
    w, _ = Window.objects.update_or_create(
        hall=hall, number=f"{{i + 1:03d}}",
        defaults={{"name": f"{{i + 1}}号窗口", "kind": kinds[i % len(kinds)], "is_open": True}},
    )
    user, created = User.objects.get_or_create(
        username=f"bench-window-{{i + 1:03d}}", defaults={{"is_staff": True, "name": f"窗口{{i + 1}}"}}
    )
    if created:
        user.set_unusable_password()
    user.window = w
    user.save()
    user.groups.add(role)
    session = engine.SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    windows.append({{"id": w.pk, "number": w.number, "kind": w.kind, "session": session.session_key}})
print(json.dumps({{"hall": hall.pk, "day": today.isoformat(), "windows": windows}}))
"""

CHECK = """
import json
from django.db.models import Count
from zhengwu.hall.models import QueueTicket
hall, day = {hall}, "{day}"
seen = json.load(open("{path}"))
tickets = QueueTicket.objects.filter(hall_id=hall, day=day)
issued = {{(t["number"]) for t in tickets.exclude(state="transferred").values("number")}}
twice = list(
    tickets.exclude(state="transferred").values("number").annotate(n=Count("id")).filter(n__gt=1)
    .values_list("number", flat=True)
)
printed = seen["printed"]
lost = sorted(set(printed) - issued)
untold = sorted(issued - set(printed))
calls = seen["calls"]  # [ticket id, window id, number]
rows = {{t.pk: t for t in tickets.filter(pk__in=[c[0] for c in calls])}}
wrong = [c for c in calls if c[0] not in rows or rows[c[0]].window_id != c[1] or rows[c[0]].number != c[2]]
called_more = tickets.filter(call_count__gt=1).count()
called = tickets.filter(called_at__isnull=False).count()
doubled_windows = (
    tickets.filter(state__in=("called", "serving")).values("window_id").annotate(n=Count("id")).filter(n__gt=1).count()
)
states = dict(tickets.values_list("state").annotate(n=Count("id")))
print(json.dumps({{
    "tickets": tickets.count(), "twice": twice, "lost": lost[:20], "lost_count": len(lost),
    "untold": untold[:20], "untold_count": len(untold), "calls_seen": len(calls),
    "calls_distinct": len({{c[0] for c in calls}}), "calls_wrong": wrong[:20], "calls_wrong_count": len(wrong),
    "called_in_db": called, "called_more_than_once": called_more, "windows_holding_two": doubled_windows,
    "states": states,
}}))
"""

NUMBER = re.compile(rb'id="ticket-number">([A-Z]\d+)<')
CURRENT = re.compile(rb'id="current-number">([A-Z]\d+)<')
FINISH = re.compile(rb'action="/hall/window/(\d+)/finish/"')


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


def prepare(env: dict[str, str], windows: int) -> dict:
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
    code = SETUP.format(windows=windows, kinds=KINDS)
    return json.loads(manage("shell", "-c", code, env=env, capture=True).strip().splitlines()[-1])


class Recorder:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = {}
        self.statuses: dict[str, dict[int, int]] = {}
        self.printed: list[str] = []
        self.calls: list[tuple[int, int, str]] = []
        self.empty_calls = 0
        self.load: list[float] = []

    def add(self, what: str, status: int, elapsed: float) -> None:
        self.statuses.setdefault(what, {}).setdefault(status, 0)
        self.statuses[what][status] += 1
        if status in (200, 302):
            self.latency.setdefault(what, []).append(elapsed)


async def request(
    port: int,
    method: str,
    path: str,
    *,
    body: bytes = b"",
    cookies: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, list[str]], bytes]:
    """One request on a new connection; (0, {}, b"") when the connection fails."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: close"]
    if cookies:
        lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
    if body:
        lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    try:
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        raw = await asyncio.wait_for(reader.read(-1), timeout=30)
        writer.close()
    except (OSError, TimeoutError):
        return 0, {}, b""
    head, _, payload = raw.partition(b"\r\n\r\n")
    if not head:
        return 0, {}, b""
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parsed: dict[str, list[str]] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        parsed.setdefault(name.strip().lower(), []).append(value.strip())
    return int(status_line.split()[1]), parsed, payload


def keep_cookies(jar: dict[str, str], headers: dict[str, list[str]]) -> None:
    for cookie in headers.get("set-cookie", []):
        pair = cookie.split(";", 1)[0]
        name, _, value = pair.partition("=")
        if not value or value == '""' or "max-age=0" in cookie.lower():
            jar.pop(name, None)
        else:
            jar[name] = value


async def kiosk(port: int, hall: int, stop: float, every: float, rec: Recorder, rng: random.Random) -> None:
    kinds = [k for k, share in KINDS for _ in range(share)]
    await asyncio.sleep(min(rng.uniform(0, every), max(0.0, stop - time.perf_counter())))
    while time.perf_counter() < stop:
        elder = rng.random() < 0.05
        form = f"csrfmiddlewaretoken={CSRF}&action=take&window_kind={rng.choice(kinds)}"
        if elder:
            form += "&elder=1"
        t0 = time.perf_counter()
        status, _, page = await request(
            port, "POST", f"/hall/kiosk/{hall}/", body=form.encode(), cookies={"csrftoken": CSRF}
        )
        rec.add("take", status, time.perf_counter() - t0)
        if status == 200:
            m = NUMBER.search(page)
            if m:
                rec.printed.append(m.group(1).decode())
            else:
                rec.add("take-no-number", status, 0)
        await asyncio.sleep(min(rng.uniform(0.5, 1.5) * every, max(0.0, stop - time.perf_counter())))


async def window(
    port: int, setup: dict, stop: float, service: float, rec: Recorder, rng: random.Random
) -> None:
    jar = {"sessionid": setup["session"], "csrftoken": CSRF}
    form = f"csrfmiddlewaretoken={CSRF}".encode()
    await asyncio.sleep(rng.uniform(0, 5))  # clerks sit down over the first seconds

    async def step(what: str, method: str, path: str) -> tuple[int, bytes]:
        t0 = time.perf_counter()
        status, headers, page = await request(
            port, method, path, body=form if method == "POST" else b"", cookies=jar
        )
        rec.add(what, status, time.perf_counter() - t0)
        keep_cookies(jar, headers)
        return status, page

    while time.perf_counter() < stop:
        status, _ = await step("call", "POST", "/hall/window/call/")
        if status != 302:
            await asyncio.sleep(min(rng.uniform(3, 7), max(0.0, stop - time.perf_counter())))
            continue
        status, page = await step("panel", "GET", "/hall/window/")
        number, finish = CURRENT.search(page), FINISH.search(page)
        if status != 200 or not number or not finish:
            rec.empty_calls += 1
            # Nobody waiting (the panel says 等候 0 人): the clerk looks up and presses again later.
            await asyncio.sleep(min(rng.uniform(3, 7), max(0.0, stop - time.perf_counter())))
            continue
        rec.calls.append((int(finish.group(1)), setup["id"], number.group(1).decode()))
        serve = rng.uniform(0.5, 1.5) * service
        if time.perf_counter() + serve > stop:
            break  # still serving when the run ends: 200 windows finishing at once is no real load
        await asyncio.sleep(serve)
        status, _ = await step("finish", "POST", f"/hall/window/{finish.group(1).decode()}/finish/")
        if status == 302:
            await step("panel", "GET", "/hall/window/")


async def screen(port: int, hall: int, stop: float, rec: Recorder, rng: random.Random) -> None:
    await asyncio.sleep(rng.uniform(0, 3))
    while time.perf_counter() < stop:
        t0 = time.perf_counter()
        status, _, page = await request(port, "GET", f"/hall/display/{hall}/", headers={"HX-Request": "true"})
        elapsed = time.perf_counter() - t0
        rec.add("display", status, elapsed)
        if status == 200 and b'id="queue-board"' not in page:
            rec.add("display-wrong-page", status, 0)
        await asyncio.sleep(min(max(0.0, 3 - elapsed), max(0.0, stop - time.perf_counter())))


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
    rng = random.Random(20261204)
    stop = time.perf_counter() + args.seconds
    tasks = [
        kiosk(port, setup["hall"], stop, args.kiosk_every, rec, random.Random(rng.random()))
        for _ in range(args.kiosks)
    ]
    tasks += [window(port, w, stop, args.service, rec, random.Random(rng.random())) for w in setup["windows"]]
    tasks += [
        screen(port, setup["hall"], stop, rec, random.Random(rng.random())) for _ in range(args.displays)
    ]
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
    parser.add_argument("--windows", type=int, default=200)
    parser.add_argument("--kiosks", type=int, default=2000)
    parser.add_argument("--displays", type=int, default=20, help="hall screens polling every 3 s")
    parser.add_argument(
        "--kiosk-every", type=float, default=60.0, help="mean seconds between a kiosk's presses"
    )
    parser.add_argument("--service", type=float, default=20.0, help="mean seconds a window serves a number")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    env = {
        **os.environ,
        "DATABASE_URL": DB_URL,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOG_LEVEL": "ERROR",
        # All the kiosks share 127.0.0.1, as a hall's kiosks share its address.
        "QUEUE_KIOSK_LIMIT": "100000000",
    }
    setup = prepare(env, args.windows)
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
            "--worker-class",
            args.worker_class,
            *(["--threads", str(args.threads)] if args.worker_class == "gthread" else []),
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
                conn.request("GET", f"/hall/display/{setup['hall']}/")
                conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.1)
        # Warm every worker (templates compiled, connection open) before the clock starts.
        for path in [f"/hall/kiosk/{setup['hall']}/", f"/hall/display/{setup['hall']}/"] * 10 * args.workers:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", path)
            conn.getresponse().read()
        cpu0, ticks0 = worker_cpu(server.pid), time.process_time()
        wall = asyncio.run(load(args, port, setup, rec))
        server_cpu, client_cpu = worker_cpu(server.pid) - cpu0, time.process_time() - ticks0
    finally:
        server.terminate()
        server.wait(timeout=30)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"printed": rec.printed, "calls": rec.calls}, f)
    try:
        code = CHECK.format(hall=setup["hall"], day=setup["day"], path=f.name)
        check = json.loads(manage("shell", "-c", code, env=env, capture=True).strip().splitlines()[-1])
    finally:
        os.unlink(f.name)

    measured = {
        what: {"count": len(v), "per_s": round(len(v) / wall, 1), **quantiles(v)}
        for what, v in rec.latency.items()
    }
    failures = {
        what: {s: n for s, n in counts.items() if s not in (200, 302)}
        for what, counts in rec.statuses.items()
        if any(s not in (200, 302) for s in counts) or what.endswith(("no-number", "wrong-page"))
    }

    def unanswered(*whats: str) -> int:
        return sum(n for w in whats for st, n in rec.statuses.get(w, {}).items() if st == 0 or st >= 500)

    # A request whose answer never came (timeout, 5xx) may still have committed: a number issued
    # that no kiosk printed, a call no panel showed. Those are counted, not lost, as long as they
    # are no more than the unanswered requests; anything beyond that, or any number twice, fails.
    invariants = {
        "no_number_twice": not check["twice"],
        "none_lost": check["lost_count"] == 0,
        "issued_untold_within_unanswered": check["untold_count"] <= unanswered("take"),
        "calls_distinct": check["calls_distinct"] == check["calls_seen"]
        and check["called_more_than_once"] == 0,
        "calls_as_seen": check["calls_wrong_count"] == 0
        and 0 <= check["called_in_db"] - check["calls_seen"] <= unanswered("call", "panel"),
        "one_number_per_window": check["windows_holding_two"] == 0,
    }
    targets = {
        "take_p99_under_200ms": (measured.get("take", {}).get("p99_ms") or 1e9) < 200,
        "call_p99_under_200ms": (measured.get("call", {}).get("p99_ms") or 1e9) < 200,
        "display_p95_under_50ms": (measured.get("display", {}).get("p95_ms") or 1e9) < 50,
    }
    load_avg = os.getloadavg()
    print(f"{'request':<10}{'count':>8}{'per s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for what in ("take", "call", "panel", "finish", "display"):
        m = measured.get(what)
        if m:
            cells = [m["count"], m["per_s"], m["p50_ms"], m["p95_ms"], m["p99_ms"]]
            print(
                f"{what:<10}"
                + "".join(
                    f"{'—' if c is None else c:>{w}}" for c, w in zip(cells, (8, 8, 9, 9, 9), strict=True)
                )
            )
    figures = {
        "machine": f"{platform.node()} ({os.cpu_count()} cores)",
        "server": f"gunicorn {args.workers} × {args.worker_class}"
        + (f" ({args.threads} threads)" if args.worker_class == "gthread" else ""),
        "clients": {"kiosks": args.kiosks, "windows": args.windows, "displays": args.displays},
        "offered": {
            "takes_per_s": round(args.kiosks / args.kiosk_every, 1),
            "window_service_s": args.service,
        },
        "seconds": round(wall, 1),
        "load_average_1min_during": [round(min(rec.load), 1), round(max(rec.load), 1)] if rec.load else None,
        "load_average_after": [round(x, 1) for x in load_avg],
        "server_cpu_s": round(server_cpu, 1),
        "server_cpu_ms_per_request": round(
            server_cpu * 1000 / max(1, sum(len(v) for v in rec.latency.values())), 1
        ),
        "load_generator_cpu_s": round(client_cpu, 1),
        "measured": measured,
        "statuses": rec.statuses,
        "failures": failures,
        "numbers_printed": len(rec.printed),
        "calls_seen": len(rec.calls),
        "calls_with_nobody_waiting": rec.empty_calls,
        "check": check,
        "invariants": invariants,
        "targets": targets,
    }
    print(json.dumps(figures, ensure_ascii=False))
    sys.exit(0 if all(invariants.values()) else 1)


if __name__ == "__main__":
    main()
