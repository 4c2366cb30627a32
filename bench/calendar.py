"""Benchmark of the working-day calendar: 1,000,000 deadlines through the bulk (NumPy) path and the
mean of one scalar computation. Run by hand:

    .venv/bin/python bench/calendar.py

No database: the calendar is built straight from the chinesecalendar package, exactly as the seed
migration fills the tables (2004–2026). Figures go in docs/benchmarks.md under 工作日历.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# This file is named calendar.py: drop its own folder from the path so that `import calendar`
# anywhere (the standard library module) does not import this script.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT / "src"))

N_BULK = 1_000_000
N_SCALAR = 200_000
TARGET_BULK_S = 2.0
TARGET_SCALAR_US = 50.0


def main() -> None:
    import os
    import platform
    import random
    import time
    from datetime import UTC, datetime
    from decimal import Decimal

    import chinese_calendar
    import numpy as np

    from zhengwu.calendar.workdays import WorkCalendar, add_working_days_bulk

    t0 = time.perf_counter()
    cal = WorkCalendar(
        years=range(2004, 2027), holidays=chinese_calendar.holidays, makeup_days=chinese_calendar.workdays
    )
    build_ms = (time.perf_counter() - t0) * 1000

    rng = np.random.default_rng(20261122)
    first = int(datetime(2004, 1, 1, tzinfo=UTC).timestamp())
    last = int(datetime(2026, 6, 30, tzinfo=UTC).timestamp())
    starts = rng.integers(first, last, N_BULK).astype("datetime64[s]")  # UTC instants
    days = rng.integers(0, 6001, N_BULK) / 100  # 0.00 … 60.00 working days
    add_working_days_bulk(cal, starts[:1000], days[:1000])  # warm-up
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        result = add_working_days_bulk(cal, starts, days)
        runs.append(time.perf_counter() - t0)
    assert result.shape == starts.shape

    r = random.Random(1)
    moments = [datetime.fromtimestamp(r.randrange(first, last), UTC) for _ in range(N_SCALAR)]
    amounts = [Decimal(r.randrange(0, 6001)) / 100 for _ in range(N_SCALAR)]
    dates = [m.date() for m in moments]
    add = cal.add_working_days
    t0 = time.perf_counter()
    for m, d in zip(moments, amounts, strict=True):
        add(m, d)
    moment_us = (time.perf_counter() - t0) / N_SCALAR * 1e6
    t0 = time.perf_counter()
    for day, d in zip(dates, amounts, strict=True):
        add(day, d)
    date_us = (time.perf_counter() - t0) / N_SCALAR * 1e6

    best, median = min(runs), sorted(runs)[len(runs) // 2]
    print(
        f"machine: {platform.node()} · {os.cpu_count()} CPUs · Python {platform.python_version()} · NumPy {np.__version__}"
    )
    print(f"build WorkCalendar 2004–2026: {build_ms:.1f} ms")
    print(
        f"bulk, {N_BULK:,} datetime deadlines: best {best:.3f} s, median {median:.3f} s "
        f"({N_BULK / best / 1e6:.1f} M/s) — target < {TARGET_BULK_S} s: {'OK' if best < TARGET_BULK_S else 'MISSED'}"
    )
    print(
        f"scalar, datetime start (mean of {N_SCALAR:,}): {moment_us:.1f} µs — "
        f"target < {TARGET_SCALAR_US} µs: {'OK' if moment_us < TARGET_SCALAR_US else 'MISSED'}"
    )
    print(f"scalar, date start (mean of {N_SCALAR:,}): {date_us:.1f} µs")


if __name__ == "__main__":
    main()
