"""电子证照 at scale, on PostgreSQL: issuing licences with real SM2 signatures, cold verification by
QR text and by 标识, and the holder's wallet (我的证照) among 1,000,000 licences. Targets (issue 11):
cold verification ≥ 500 per second on one core, the wallet's first page p95 < 100 ms; the issue
rate is reported. Run by hand:

    .venv/bin/python bench/licences.py [--issue 100000] [--service 2000] [--verify 2000]
        [--rows 1000000] [--holders 200] [--citizens 200000] [--enterprises 20000] [--fresh]

    # a quick run (a minute or two):
    .venv/bin/python bench/licences.py --issue 5000 --service 200 --verify 1000 --rows 50000 \\
        --citizens 20000 --enterprises 2000

The database is ``DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/bench_lic``): created
if missing (``--fresh`` drops it first) and migrated. The script sets up, through the services, two
issuing departments of 压测市 (公安局 for a person's licence type, 市场监督管理局 for an enterprise's),
one licence type each and a seal each (``services.make_seal``, private keys sealed with the
settings' LICENCE_SEALING_KEYS); ``--citizens`` citizens and ``--enterprises`` enterprises with
valid 公民身份号码 / 统一社会信用代码 check characters (bulk_create); and ``--holders`` logins, each a
citizen's account and 经办人 of one enterprise, whose wallets are measured.

What is measured, in this one process (single thread):

1. **Issue.** ``--issue`` licences, four in five to citizens and one in five to enterprises, each
   made by ``services.build_licence`` (metadata → canonical JSON → SM3 → SM2 signature with the
   department's seal) and saved by ``bulk_create`` in batches of ``--batch`` inside one transaction
   per batch; the 流水号 of a batch are reserved as one block of the issuer's ``SerialCounter``
   (one UPDATE … RETURNING a batch, here in the script: ``services.next_serial`` hands out one at a
   time). For comparison, ``--service`` licences each: build_licence with ``services.next_serial``
   per licence (bulk_create per batch), and ``services.issue`` per licence (its own transaction,
   current-seal lookup, next_serial and the audit record — the path 制证 takes).
2. **Cold verification.** ``services.verify_qr`` on the QR text (``services.qr_text``) and
   ``services.verify_identifier`` on the typed 标识, ``--verify`` each, every verification of a
   different licence (none read before by this process), at the full table (after step 3's fill);
   once with the public-key cache emptied before each verification (the PEM parsed every time:
   fully cold) and once with it kept (rows still distinct). Every outcome must be 有效.
   PostgreSQL's own buffer cache is not emptied. For comparison, the floor: ``crypto.verify`` alone
   over the same signed statements, the PEM parsed each time, no database.
3. **The wallet.** Licences are added up to ``--rows`` in all. The filler rows are **not
   individually signed**: each copies the digest, signature and surface of one of 200 signed
   licences (so their signatures do not verify; the wallet query does not read them) with its own
   持证主体, 颁发日期 (2006 to yesterday), 流水号 ``BF`` + 10 digits and a 标识 with a correct check
   character; written with COPY. Holders are drawn at random: four in five rows to one of the
   citizens, one in five to one of the enterprises. Then for each of the ``--holders`` logins, the
   first page (``--page`` rows) of ``selectors.held_by(user)`` in the model's order
   (``-issued_on, -id``), the user loaded beforehand as the authentication middleware would;
   p50/p95/p99 and the query count, and the plan of one page query (stderr).

It prints a table and a JSON line with the machine, the date and the load average. Figures go in
docs/benchmarks.md (电子证照).
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
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DB_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_lic")
REGION = ("419900", "压测市")
CITIZEN_PREFIX = "压测市民"
ENTERPRISE_PREFIX = "压测企业"
HOLDER_PREFIX = "bench-holder-"
FILLER_SERIAL = "BF"
TEMPLATES = 200  # signed licences whose signature bytes the filler rows copy


# ---------------------------------------------------------------------------------------------
# Database and fixtures
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
    exists = bool(_psql(f"SELECT 1 FROM pg_database WHERE datname='{db}'"))
    if fresh and exists:
        subprocess.run(["dropdb", "-h", host, "-U", user, db], check=True)
        exists = False
    if not exists:
        subprocess.run(["createdb", "-h", host, "-U", user, db], check=True)


def id_number(i: int) -> str:
    """A 公民身份号码 with a valid check character (tests/factories.py's rule, the birth date moved
    on every thousand so that 200,000 are distinct)."""
    from stdnum.cn import ric

    birth = (date(1950, 1, 1) + timedelta(days=i // 1000)).strftime("%Y%m%d")
    body = f"410204{birth}{i % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # the function ignores the last character


def uscc_code(serial: int, prefix: str = "91419900") -> str:
    """A 统一社会信用代码 with a valid check character (tests/factories.py's make_uscc)."""
    from stdnum.cn import uscc

    body = f"{prefix}{serial:09d}"[:17]
    return body + uscc.calc_check_digit(body)


def setup_types() -> dict[str, Any]:
    """The two departments, their licence types and seals (made once, through the services)."""
    from zhengwu.licences import services
    from zhengwu.licences.models import HolderKind, LicenceType
    from zhengwu.org.models import Department, Region

    region, _ = Region.objects.get_or_create(code=REGION[0], defaults={"name": REGION[1], "level": 3})
    out: dict[str, Any] = {}
    specs = [
        ("person", "压测市公安局", 1, "居民户口簿（压测）", HolderKind.PERSON, None, [("address", "住址")]),
        (
            "organisation",
            "压测市市场监督管理局",
            2,
            "营业执照（压测）",
            HolderKind.ORGANISATION,
            None,
            [("address", "住所"), ("legal_representative", "法定代表人")],
        ),
    ]
    for key, dept_name, n, type_name, kind, years, fields in specs:
        department, _ = Department.objects.get_or_create(
            region=region, name=dept_name, defaults={"uscc": uscc_code(n, "11419900")}
        )
        licence_type, _ = LicenceType.objects.get_or_create(
            name=type_name,
            defaults={
                "code": department.uscc + "001",
                "defining_department": department,
                "holder_kind": kind,
                "validity_years": years,
                "surface_fields": [{"name": a, "label": b} for a, b in fields],
            },
        )
        licence_type.issuing_departments.add(department)
        seal = services.current_seal(department)
        if seal is None:
            seal = services.make_seal(department=department, by=None)
        out[key] = {"department": department, "type": licence_type, "seal": seal}
    return out


def setup_parties(citizens: int, enterprises: int, holders: int) -> None:
    """Citizens, enterprises and the holders' logins, created in bulk up to the counts asked."""
    from zhengwu.accounts.models import Citizen, Enterprise, User

    have = Citizen.objects.filter(name__startswith=CITIZEN_PREFIX).count()
    for start in range(have, citizens, 10_000):
        Citizen.objects.bulk_create(
            [
                Citizen(
                    name=f"{CITIZEN_PREFIX}{i}",
                    id_number=id_number(i),
                    address=f"压测市城关街道{i % 997}号",
                )
                for i in range(start, min(start + 10_000, citizens))
            ]
        )
    have = Enterprise.objects.filter(name__startswith=ENTERPRISE_PREFIX).count()
    for start in range(have, enterprises, 10_000):
        Enterprise.objects.bulk_create(
            [
                Enterprise(
                    name=f"{ENTERPRISE_PREFIX}{i}有限公司",
                    uscc=uscc_code(i + 1),
                    legal_representative=f"法人{i % 991}",
                    address=f"压测市开发区{i % 499}号",
                )
                for i in range(start, min(start + 10_000, enterprises))
            ]
        )
    have = User.objects.filter(username__startswith=HOLDER_PREFIX).count()
    if have >= holders:
        return
    citizen_ids = list(
        Citizen.objects.filter(name__startswith=CITIZEN_PREFIX, user__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)
    )
    enterprise_ids = list(
        Enterprise.objects.filter(name__startswith=ENTERPRISE_PREFIX)
        .order_by("id")
        .values_list("id", flat=True)
    )
    rng = random.Random(7)
    picked = rng.sample(citizen_ids, holders - have)
    for n, citizen_id in enumerate(picked, start=have + 1):
        user = User.objects.create_user(username=f"{HOLDER_PREFIX}{n:04d}", password=None, name=f"持证人{n}")
        Citizen.objects.filter(pk=citizen_id).update(user=user)
        Enterprise.objects.get(pk=rng.choice(enterprise_ids)).users.add(user)


class Parties:
    """The citizens and enterprises as light objects (pk, name, code) for holders."""

    def __init__(self) -> None:
        from zhengwu.accounts.models import Citizen, Enterprise

        self.citizens = [
            Citizen(pk=pk, name=name, id_number=code, address=addr)
            for pk, name, code, addr in Citizen.objects.filter(name__startswith=CITIZEN_PREFIX)
            .order_by("id")
            .values_list("id", "name", "id_number", "address")
        ]
        self.enterprises = [
            Enterprise(pk=pk, name=name, uscc=code, legal_representative=rep, address=addr)
            for pk, name, code, rep, addr in Enterprise.objects.filter(name__startswith=ENTERPRISE_PREFIX)
            .order_by("id")
            .values_list("id", "name", "uscc", "legal_representative", "address")
        ]

    def draw(self, rng: random.Random) -> tuple[str, Any]:
        if rng.random() < 0.8:
            return "person", rng.choice(self.citizens)
        return "organisation", rng.choice(self.enterprises)


# ---------------------------------------------------------------------------------------------
# Issue
# ---------------------------------------------------------------------------------------------


def reserve_serials(issuer: Any, year: int, n: int) -> list[str]:
    """``n`` consecutive 流水号 of the issuer's year, reserved by one UPDATE … RETURNING (the block
    form of services.next_serial; a failed batch leaves a gap, never a duplicate)."""
    from django.db import connection, transaction

    from zhengwu.licences.models import SerialCounter

    with transaction.atomic():
        counter, _ = SerialCounter.objects.get_or_create(department=issuer, year=year)
        with connection.cursor() as cur:
            cur.execute(
                f"UPDATE {SerialCounter._meta.db_table} SET last = last + %s WHERE id = %s RETURNING last",
                [n, counter.pk],
            )
            last = cur.fetchone()[0]
    return [f"{year}{k:08d}" for k in range(last - n + 1, last + 1)]


def _kwargs(setup: dict[str, Any], kind: str, party: Any, on: date) -> dict[str, Any]:
    from zhengwu.licences import services

    holder = services.Holder.of(party)
    surface = {"address": party.address}
    if kind == "organisation":
        surface["legal_representative"] = party.legal_representative
    return {
        "licence_type": setup[kind]["type"],
        "issuer": setup[kind]["department"],
        "holder": holder,
        "surface": surface,
        "issued_on": on,
    }


def issue_bulk(
    setup: dict[str, Any], parties: Parties, n: int, batch: int, per_row_serial: bool
) -> dict[str, Any]:
    """``n`` licences by build_licence + bulk_create in batches; serials reserved by block, or from
    services.next_serial per licence when ``per_row_serial``."""
    from django.db import transaction
    from django.utils import timezone

    from zhengwu.licences import services
    from zhengwu.licences.models import Licence

    rng = random.Random(11 if per_row_serial else 13)
    today = timezone.localdate()
    build_s = insert_s = 0.0
    cpu0, t0 = time.process_time(), time.perf_counter()
    done = 0
    while done < n:
        size = min(batch, n - done)
        draws = [parties.draw(rng) for _ in range(size)]
        tb = time.perf_counter()
        serials: dict[str, Iterator[str]] = {}
        if not per_row_serial:
            for kind in ("person", "organisation"):
                count = sum(1 for k, _ in draws if k == kind)
                if count:
                    serials[kind] = iter(reserve_serials(setup[kind]["department"], today.year, count))
        rows = []
        for kind, party in draws:
            rows.append(
                services.build_licence(
                    **_kwargs(setup, kind, party, today),
                    seal=setup[kind]["seal"],
                    serial=None if per_row_serial else next(serials[kind]),
                )
            )
        ti = time.perf_counter()
        with transaction.atomic():
            Licence.objects.bulk_create(rows)
        te = time.perf_counter()
        build_s += ti - tb
        insert_s += te - ti
        done += size
        if done % 20_000 == 0 or done == n:
            print(f"  issued {done:,} ({done / (te - t0):,.0f}/s)", file=sys.stderr)
    wall = time.perf_counter() - t0
    return {
        "licences": n,
        "seconds": round(wall, 1),
        "per_s": round(n / wall),
        "per_cpu_s": round(n / max(time.process_time() - cpu0, 1e-9)),
        "build_and_sign_s": round(build_s, 1),
        "insert_s": round(insert_s, 1),
    }


def issue_service(setup: dict[str, Any], parties: Parties, n: int) -> dict[str, Any]:
    """``n`` licences through services.issue, one at a time (what 制证 does per application)."""
    from django.utils import timezone

    from zhengwu.licences import services

    rng = random.Random(17)
    today = timezone.localdate()
    draws = [parties.draw(rng) for _ in range(n)]
    cpu0, t0 = time.process_time(), time.perf_counter()
    times = []
    for kind, party in draws:
        t1 = time.perf_counter()
        services.issue(by=None, **_kwargs(setup, kind, party, today))
        times.append(time.perf_counter() - t1)
    wall = time.perf_counter() - t0
    return {
        "licences": n,
        "seconds": round(wall, 1),
        "per_s": round(n / wall),
        "per_cpu_s": round(n / max(time.process_time() - cpu0, 1e-9)),
        **_percentiles(times),
    }


# ---------------------------------------------------------------------------------------------
# Filler rows
# ---------------------------------------------------------------------------------------------


def fill(setup: dict[str, Any], parties: Parties, rows: int) -> dict[str, Any]:
    """Licences up to ``rows`` in all, copied from signed ones (see the module's docstring)."""
    from django.db import connection
    from django.utils import timezone

    from zhengwu.licences import identifiers
    from zhengwu.licences.models import Licence, LicenceState

    have = Licence.objects.count()
    if have >= rows:
        return {"added": 0, "seconds": 0.0}
    templates: dict[str, list[Licence]] = {}
    for kind in ("person", "organisation"):
        templates[kind] = list(
            Licence.objects.filter(licence_type=setup[kind]["type"])
            .exclude(serial__startswith=FILLER_SERIAL)
            .select_related("licence_type", "issuer")[:TEMPLATES]
        )
        if not templates[kind]:  # no licence issued yet (--issue 0): sign a few
            rng0 = random.Random(19)
            pool = parties.citizens if kind == "person" else parties.enterprises
            from zhengwu.licences import services

            made = [
                services.build_licence(
                    **_kwargs(setup, kind, rng0.choice(pool), timezone.localdate()), seal=setup[kind]["seal"]
                )
                for _ in range(20)
            ]
            templates[kind] = Licence.objects.bulk_create(made)
    have = Licence.objects.count()
    start = Licence.objects.filter(serial__startswith=FILLER_SERIAL).count()
    fields = [f for f in Licence._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(f.column for f in fields)
    rng = random.Random(23 + start)
    now = timezone.now()
    first_day = date(2006, 1, 1).toordinal()
    span = timezone.localdate().toordinal() - 1 - first_day
    t0 = time.perf_counter()
    added = rows - have
    connection.ensure_connection()
    raw = connection.connection  # the psycopg connection under Django's, in autocommit
    for chunk_start in range(0, added, 100_000):
        chunk = min(100_000, added - chunk_start)
        with raw.cursor() as cur, cur.copy(f"COPY {Licence._meta.db_table} ({columns}) FROM STDIN") as copy:
            for g in range(start + chunk_start, start + chunk_start + chunk):
                kind, party = parties.draw(rng)
                tpl = rng.choice(templates[kind])
                serial = f"{FILLER_SERIAL}{g:010d}"
                on = date.fromordinal(first_day + rng.randrange(span))
                ident = str(identifiers.LicenceIdentifier(tpl.licence_type.code, tpl.issuer.uscc, serial, 1))
                state = LicenceState.CANCELLED if rng.random() < 0.03 else LicenceState.VALID
                values = {
                    "identifier": ident,
                    "licence_type_id": tpl.licence_type_id,
                    "number": serial,
                    "serial": serial,
                    "version": 1,
                    "issuer_id": tpl.issuer_id,
                    "issued_on": on,
                    "valid_from": on,
                    "valid_until": None,
                    "holder_kind": tpl.holder_kind,
                    "holder_name": party.name,
                    "holder_code": getattr(party, "id_number", None) or party.uscc,
                    "holder_code_type": tpl.holder_code_type,
                    "citizen_id": party.pk if kind == "person" else None,
                    "enterprise_id": party.pk if kind == "organisation" else None,
                    "surface": json.dumps(tpl.surface, ensure_ascii=False),
                    "seal_id": tpl.seal_id,
                    "signed_at": datetime.combine(on, datetime.min.time(), tzinfo=now.tzinfo)
                    + timedelta(hours=2),
                    "digest": tpl.digest,
                    "signature": bytes(tpl.signature),
                    "state": state,
                    "state_reason": "压测注销" if state == LicenceState.CANCELLED else "",
                    "state_changed_on": on if state == LicenceState.CANCELLED else None,
                    "superseded_by_id": None,
                    "application_id": None,
                    "imported": True,
                    "created_at": now,
                }
                copy.write_row([values[f.attname] for f in fields])
        if not raw.autocommit:
            raw.commit()
        print(f"  filled {have + chunk_start + chunk:,} rows", file=sys.stderr)
    with connection.cursor() as cur:
        cur.execute(f"ANALYZE {Licence._meta.db_table}")
    return {"added": added, "seconds": round(time.perf_counter() - t0, 1)}


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


def _percentiles(times: list[float]) -> dict[str, float]:
    q = statistics.quantiles(times, n=100)
    return {
        "p50_ms": round(statistics.median(times) * 1000, 2),
        "p95_ms": round(q[94] * 1000, 2),
        "p99_ms": round(q[98] * 1000, 2),
    }


def _counted(call: Callable[[], Any]) -> tuple[Any, int]:
    from django.db import connection

    queries: list[str] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        result = call()
    return result, len(queries)


def measure_verification(n: int) -> dict[str, Any]:
    """verify_qr and verify_identifier, each verification of a different signed licence."""
    from zhengwu.licences import crypto, services
    from zhengwu.licences.models import Licence

    signed = list(
        Licence.objects.exclude(serial__startswith=FILLER_SERIAL)
        .filter(state="valid")
        .order_by("?")
        .values_list("id", flat=True)[: 4 * n]
    )
    if len(signed) < 4 * n:
        print(
            f"  only {len(signed):,} signed licences for 4 × {n:,} verifications: rows repeat",
            file=sys.stderr,
        )
    pool = [signed[i % len(signed)] for i in range(4 * n)]
    by_id = Licence.objects.select_related("seal").in_bulk(pool)
    out: dict[str, Any] = {}
    modes = [
        ("verify_qr, key cache cleared each time", "qr", True),
        ("verify_identifier, key cache cleared each time", "identifier", True),
        ("verify_qr, key cache kept", "qr", False),
        ("verify_identifier, key cache kept", "identifier", False),
    ]
    for k, (label, how, clear) in enumerate(modes):
        ids = pool[k * n : (k + 1) * n]
        inputs = [services.qr_text(by_id[i]) if how == "qr" else by_id[i].identifier for i in ids]
        verify = services.verify_qr if how == "qr" else services.verify_identifier
        services._public_key.cache_clear()
        _, queries = _counted(lambda verify=verify, first=inputs[0]: verify(first))
        inputs = inputs[1:]
        services._public_key.cache_clear()
        times = []
        cpu0, t0 = time.process_time(), time.perf_counter()
        for text in inputs:
            t1 = time.perf_counter()
            if clear:
                services._public_key.cache_clear()
            result = verify(text)
            times.append(time.perf_counter() - t1)
            if result.outcome != "valid":
                sys.exit(f"{label}: {text} → {result.outcome} {result.checks}")
        wall = time.perf_counter() - t0
        out[label] = {
            "verifications": len(inputs),
            "per_s": round(len(inputs) / wall),
            "per_cpu_s": round(len(inputs) / max(time.process_time() - cpu0, 1e-9)),
            "queries": queries,
            **_percentiles(times),
        }
        print(f"  {label}: {out[label]['per_s']:,}/s", file=sys.stderr)
    # The floor: the SM2 verification alone over the same statements, the PEM parsed each time.
    licences = [by_id[i] for i in pool[:n]]
    cpu0, t0 = time.process_time(), time.perf_counter()
    for licence in licences:
        key = crypto.load_public_key(licence.seal.public_key.encode("ascii"))
        statement = services.statement(licence.identifier, licence.digest)
        if not crypto.verify(key, statement, bytes(licence.signature)):
            sys.exit(f"crypto.verify: {licence.identifier} does not verify")
    wall = time.perf_counter() - t0
    out["crypto.verify alone, PEM parsed each time (no database)"] = {
        "verifications": n,
        "per_s": round(n / wall),
        "per_cpu_s": round(n / max(time.process_time() - cpu0, 1e-9)),
    }
    return out


def measure_wallet(holders: int, page: int) -> dict[str, Any]:
    from zhengwu.accounts.models import User
    from zhengwu.licences.models import Licence
    from zhengwu.licences.selectors import held_by

    users = list(
        User.objects.filter(username__startswith=HOLDER_PREFIX)
        .order_by("username")
        .values_list("pk", flat=True)
    )[:holders]
    ordering = Licence._meta.ordering

    def first_page(user: Any) -> list[Any]:
        return list(held_by(user).order_by(*ordering)[:page])

    warm = User.objects.get(pk=users[0])
    first_page(warm)
    rows, queries = _counted(lambda: first_page(User.objects.get(pk=users[0])))
    queries -= 1  # the User.objects.get itself
    plan = held_by(User.objects.get(pk=users[0])).order_by(*ordering)[:page].explain(analyze=True)
    print("  plan of one wallet page:\n    " + plan.replace("\n", "\n    "), file=sys.stderr)
    times, sizes, counts = [], [], []
    for pk in users:
        user = User.objects.get(pk=pk)  # as AuthenticationMiddleware loads request.user
        t0 = time.perf_counter()
        rows = first_page(user)
        times.append(time.perf_counter() - t0)
        sizes.append(len(rows))
        counts.append(held_by(User.objects.get(pk=pk)).count())
    return {
        "holders": len(users),
        "page": page,
        "queries": queries,
        "rows_on_page_mean": round(statistics.mean(sizes), 1),
        "wallet_size_min_mean_max": [min(counts), round(statistics.mean(counts), 1), max(counts)],
        **_percentiles(times),
        "plan_top": plan.splitlines()[0].strip(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issue", type=int, default=100_000, help="licences issued by the bulk path")
    parser.add_argument(
        "--service", type=int, default=2_000, help="licences by next_serial and services.issue"
    )
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--verify", type=int, default=2_000, help="verifications per mode")
    parser.add_argument("--rows", type=int, default=1_000_000, help="licences in all for the wallet")
    parser.add_argument("--holders", type=int, default=200)
    parser.add_argument("--page", type=int, default=20)
    parser.add_argument("--citizens", type=int, default=200_000)
    parser.add_argument("--enterprises", type=int, default=20_000)
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database first")
    args = parser.parse_args()
    os.environ.update({"DATABASE_URL": DB_URL, "DJANGO_SETTINGS_MODULE": "config.settings"})
    sys.path[:0] = [str(ROOT), str(ROOT / "src")]
    ensure_database(args.fresh)

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", "--noinput", "-v0")
    from django.db import connection

    from zhengwu.licences.models import Licence

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        pg = cur.fetchone()[0]
    figures: dict[str, Any] = {
        "machine": f"{platform.node()} ({os.cpu_count()} cores), Python {platform.python_version()}, PostgreSQL {pg}",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "args": vars(args),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }
    t0 = time.perf_counter()
    setup = setup_types()
    setup_parties(args.citizens, args.enterprises, args.holders)
    parties = Parties()
    figures["setup_s"] = round(time.perf_counter() - t0, 1)
    print(
        f"  setup: {len(parties.citizens):,} citizens, {len(parties.enterprises):,} enterprises",
        file=sys.stderr,
    )

    issue: dict[str, Any] = {}
    if args.issue:
        issue["build_licence + bulk_create, serials reserved by block"] = issue_bulk(
            setup, parties, args.issue, args.batch, per_row_serial=False
        )
    if args.service:
        issue["build_licence + bulk_create, services.next_serial per licence"] = issue_bulk(
            setup, parties, args.service, args.batch, per_row_serial=True
        )
        issue["services.issue per licence"] = issue_service(setup, parties, args.service)
    figures["issue"] = issue
    figures["fill"] = fill(setup, parties, args.rows)
    figures["licences"] = Licence.objects.count()
    figures["verification"] = measure_verification(args.verify)
    figures["wallet"] = measure_wallet(args.holders, args.page)
    figures["load_average_end"] = [round(x, 2) for x in os.getloadavg()]

    print()
    print(
        f"# {figures['machine']}; {figures['date']}; load average {figures['load_average_start']} → {figures['load_average_end']}"
    )
    print(
        f"# {figures['licences']:,} licences in the table at the wallet measurement ({figures['fill']['added']:,} filler rows added now)"
    )
    print()
    print("| Measurement | Count | per s (wall) | per CPU-s of this process | p50 / p95 / p99 ms | queries |")
    print("|---|---:|---:|---:|---|---:|")
    for label, r in issue.items():
        pct = (
            f"{r['p50_ms']} / {r['p95_ms']} / {r['p99_ms']}"
            if "p50_ms" in r
            else f"sign {r['build_and_sign_s']} s, insert {r['insert_s']} s"
        )
        print(f"| Issue: {label} | {r['licences']:,} | {r['per_s']:,} | {r['per_cpu_s']:,} | {pct} | |")
    for label, r in figures["verification"].items():
        pct = f"{r['p50_ms']} / {r['p95_ms']} / {r['p99_ms']}" if "p50_ms" in r else ""
        print(
            f"| {label} | {r['verifications']:,} | {r['per_s']:,} | {r['per_cpu_s']:,} | {pct} | {r.get('queries', '')} |"
        )
    w = figures["wallet"]
    print(
        f"| 我的证照 first page ({w['page']} rows), {w['holders']} holders, {figures['licences']:,} licences | "
        f"{w['holders']} | | | {w['p50_ms']} / {w['p95_ms']} / {w['p99_ms']} | {w['queries']} |"
    )
    print()
    print(json.dumps(figures, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
