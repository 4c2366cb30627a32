"""The roll-up (日汇总), in the manner of Zulip's analytics counts: per day × measure ×
department × dimension key, the sum of the measure over that day's events, kept in
``DailyFigure`` so that pages add up a few thousand rows instead of scanning millions.

- ``roll(start, end)`` recomputes the days [start, end) from the sources and replaces their rows:
  idempotent, and the same function serves the full rebuild and the incremental run, so a rebuild
  gives identical rows.
- ``rebuild()`` rolls every year from the first day with data to today.
- ``update()`` (every minute from schedule.py) rolls the days that may have changed since the last
  run: today, and every day a record changed since then counts on — its timestamps now and the
  days of its history (a reopened appeal's earlier 办结 day). Records are read with a safety
  margin before the last run, so a transaction that committed late is not missed.

Records are never deleted by the other parts (PROTECT); a record removed by hand is gone from the
roll-up at the next rebuild (nightly).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Min, Q
from django.utils import timezone

from .measures import MEASURES, SOURCES, Measure, Source
from .models import DailyFigure, RollupState
from .periods import _add_months, _midnight

MARGIN = timedelta(minutes=5)
Key = tuple[date, str, int, str, str]


def extract(measures: Iterable[Measure], start: date, end: date) -> dict[Key, int]:
    """Sum ``measures`` per (day, measure, department, dim, key) over the days [start, end)."""
    acc: dict[Key, int] = defaultdict(int)
    for part in _extract_parts(measures, [(start, end)]):
        for k, v in part.items():
            acc[k] += v
    return acc


Ranges = list[tuple[date, date]]


def _within(at: str, ranges: Ranges) -> Q:
    """The records whose ``at`` falls on one of the day ranges [start, end): one read of a source
    for all the days an incremental run rolls, however scattered."""
    cond = Q()
    for start, end in ranges:
        cond |= Q(**{f"{at}__gte": _midnight(start), f"{at}__lt": _midnight(end)})
    return cond


def _extract_parts(measures: Iterable[Measure], ranges: Ranges) -> Iterator[dict[Key, int]]:
    """The sums, one read of a source at a time (measures of one source placed by one timestamp):
    a part's keys are its measures' only, so the parts can be written one after another.

    On PostgreSQL a count or a ``total`` (a measure without a Python ``value``) is summed by the
    database, one GROUP BY GROUPING SETS per read (the total and each dimension), so that a year of
    millions of records is not carried row by row into Python; a sum of Python values, and
    everything on SQLite, is added up here. Either way the result is the same: the records the
    measure counts, on the city's day of their timestamp, a key only where a record has it (not
    NULL, not empty) and, for a sum, only where a record adds something (a ``total`` of NULL or 0
    adds no key)."""
    groups: dict[tuple[str, str], list[Measure]] = defaultdict(list)
    for m in measures:
        groups[(m.source.key, m.at)].append(m)
    in_database = connection.vendor == "postgresql"
    for (source_key, at), group in groups.items():
        source = SOURCES[source_key]
        by_python = [m for m in group if m.value is not None or not in_database]
        if by_python:
            yield _extract_rows(source, at, by_python, ranges)
        by_department: dict[str, list[Measure]] = defaultdict(list)
        for m in group:
            if m not in by_python:
                by_department[m.department_path].append(m)
        for ms in by_department.values():
            yield _extract_grouped(source, at, ms, ranges)


def _flags(group: list[Measure]) -> dict[str, Any]:
    return {
        f"_m{i}": ExpressionWrapper(m.where, output_field=BooleanField())
        for i, m in enumerate(group)
        if m.where
    }


def _extract_rows(source: Source, at: str, group: list[Measure], ranges: Ranges) -> dict[Key, int]:
    """Row by row: each record of the range read once for all of ``group``."""
    acc: dict[Key, int] = defaultdict(int)
    tz = timezone.get_current_timezone()
    paths: list[str] = [at]
    for m in group:
        for p in (m.department_path, *m.dim_paths.values(), *m.record_fields):
            if p not in paths:
                paths.append(p)
    flags = _flags(group)
    qs = source.queryset().filter(_within(at, ranges))
    if flags:
        qs = qs.annotate(**flags)
    names = [*paths, *flags]
    index = {name: i for i, name in enumerate(names)}
    plan = [
        (
            m,
            index.get(f"_m{i}"),
            index[m.department_path],
            [(d, index[p]) for d, p in m.dim_paths.items()],
            index[m.total] if m.total else None,
        )
        for i, m in enumerate(group)
    ]
    for row in qs.order_by().values_list(*names).iterator(chunk_size=20000):
        day = row[0].astimezone(tz).date()
        fields: dict[str, Any] | None = None
        for m, flag, dept_i, dims, total_i in plan:
            if flag is not None and not row[flag]:
                continue
            v = 1
            if total_i is not None:
                v = row[total_i]
                if not v:
                    continue
            elif m.value is not None:
                if fields is None:
                    fields = dict(zip(names, row, strict=True))
                computed = m.value(fields)
                if computed is None:
                    continue
                v = computed
            dept = row[dept_i] or 0
            acc[(day, m.key, dept, "", "")] += v
            for dim, i in dims:
                k = row[i]
                if k is None or k == "":
                    continue
                acc[(day, m.key, dept, dim, str(k))] += v
    return acc


def _extract_grouped(source: Source, at: str, group: list[Measure], ranges: Ranges) -> dict[Key, int]:
    """Counts and totals of ``group`` (one department path) summed by PostgreSQL: the source's
    query for the range, wrapped in one GROUP BY GROUPING SETS over the city's day, the department
    and each dimension's key, with one COUNT(*) or SUM(total) FILTER (WHERE …) per measure."""
    acc: dict[Key, int] = defaultdict(int)
    department = group[0].department_path
    dim_paths: list[str] = []
    for m in group:
        for p in m.dim_paths.values():
            if p not in dim_paths:
                dim_paths.append(p)
    flags = _flags(group)
    # Every column under a name of its own, so the wrapping query reads them by name whatever
    # order Django puts them in.
    totals = [m.total for m in group if m.total]
    paths = {f"rollup_c{i}": p for i, p in enumerate(dict.fromkeys([at, department, *dim_paths, *totals]))}
    qs = (
        source.queryset()
        .filter(_within(at, ranges))
        .annotate(**{name: F(p) for name, p in paths.items()}, **flags)
    )
    inner, params = qs.order_by().values_list(*paths, *flags).query.sql_with_params()
    col = {p: f'"{name}"' for name, p in reversed(paths.items())} | {f: f'"{f}"' for f in flags}
    dims = [col[p] for p in dim_paths]
    counts = [
        (f"SUM({col[m.total]})" if m.total else "COUNT(*)")
        + (f" FILTER (WHERE {col[f'_m{i}']})" if f"_m{i}" in flags else "")
        + "::bigint"
        for i, m in enumerate(group)
    ]
    sets = ", ".join(["(day, dept)", *(f"(day, dept, {d})" for d in dims)])
    grouping = f"GROUPING({', '.join(dims)})" if dims else "0"
    carried = ", ".join(["", *dict.fromkeys([*dims, *(col[t] for t in totals)]), *(col[f] for f in flags)])
    # Only identifiers made here go into the text; every value is a parameter.
    sql = (
        f"SELECT day, dept, {grouping}, {', '.join([*dims, *counts])} FROM ("  # noqa: S608
        f"SELECT ({col[at]} AT TIME ZONE %s)::date AS day, COALESCE({col[department]}, 0) AS dept{carried} "
        f"FROM ({inner}) AS s) AS t GROUP BY GROUPING SETS ({sets})"
    )
    # Which dimensions of each measure a grouping set (by the column it keeps) feeds.
    feeds = [[[d for d, p in m.dim_paths.items() if p == path] for path in dim_paths] for m in group]
    n = len(dims)
    with connection.cursor() as cursor:
        cursor.execute(sql, [timezone.get_current_timezone_name(), *params])
        for row in cursor.fetchall():
            day, dept, bits = row[0], row[1], row[2]
            keys, values = row[3 : 3 + n], row[3 + n :]
            # GROUPING(...) has a bit per dimension, the first the highest, set where grouped away.
            kept = next((i for i in range(n) if not bits & (1 << (n - 1 - i))), None)
            for m, v, fed in zip(group, values, feeds, strict=True):
                if not v:
                    continue
                if kept is None:
                    acc[(day, m.key, dept, "", "")] += v
                    continue
                k = keys[kept]
                if k is None or k == "":
                    continue
                for dim in fed[kept]:
                    acc[(day, m.key, dept, dim, str(k))] += v
    return acc


def _write(acc: dict[Key, int]) -> None:
    rows = ((d, m, dept, dim, key, v) for (d, m, dept, dim, key), v in acc.items())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(
                "COPY analytics_dailyfigure (day, measure, department_id, dim, key, value) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
        return
    DailyFigure.objects.bulk_create(
        (
            DailyFigure(day=d, measure=m, department_id=dept, dim=dim, key=key, value=v)
            for d, m, dept, dim, key, v in rows
        ),
        batch_size=2000,
    )


def roll(start: date, end: date) -> int:
    """Recompute the days [start, end) and replace their rows; returns the rows written."""
    if start >= end:
        return 0
    return _roll([(start, end)])


def _roll(ranges: Ranges) -> int:
    """Recompute the day ranges and replace their rows, in one transaction (readers see the old
    rows until it commits), each source read once for all the ranges."""
    rows = 0
    within = Q()
    for start, end in ranges:
        within |= Q(day__gte=start, day__lt=end)
    with transaction.atomic():
        DailyFigure.objects.filter(within).delete()
        for part in _extract_parts(MEASURES.values(), ranges):
            _write(part)
            rows += len(part)
    return rows


def _state() -> RollupState:
    state, _ = RollupState.objects.get_or_create(pk=1)
    return state


def first_day() -> date | None:
    """The earliest day any measure has an event on."""
    earliest: datetime | None = None
    seen: set[tuple[str, str]] = set()
    for m in MEASURES.values():
        if (m.source.key, m.at) in seen:
            continue
        seen.add((m.source.key, m.at))
        value = m.source.queryset().aggregate(first=Min(m.at))["first"]
        if value is not None and (earliest is None or value < earliest):
            earliest = value
    return timezone.localtime(earliest).date() if earliest else None


def rebuild(now: datetime | None = None) -> str:
    """Recompute everything, a year at a time, and drop rows outside the data."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    start = first_day()
    rows = 0
    if start is None:
        DailyFigure.objects.all().delete()
    else:
        DailyFigure.objects.filter(day__lt=start).delete()
        DailyFigure.objects.filter(day__gt=today).delete()
        # A year at a time: each read of a source covers a year (a source's timestamp is seldom
        # indexed, so a read is a scan of the table), and a year's rows are written at once.
        cursor = start.replace(day=1)
        while cursor <= today:
            nxt = _add_months(cursor, 12)
            rows += roll(max(cursor, start), min(nxt, today + timedelta(days=1)))
            cursor = nxt
    state = _state()
    state.seen_until = now
    state.rebuilt_at = now
    state.first_day = start
    state.save()
    return f"全量重算：{rows} 行"


def dirty_days(since: datetime) -> set[date]:
    """Every day a record changed at or after ``since`` counts on, now or before the change."""
    days: set[date] = set()
    ats: dict[str, set[str]] = defaultdict(set)
    for m in MEASURES.values():
        ats[m.source.key].add(m.at)
    for key, source in SOURCES.items():
        ids = _changed_since(source, since)
        if not ids:
            continue
        paths = sorted(ats[key])
        for chunk in _chunks(sorted(ids)):
            changed = source.queryset().filter(pk__in=chunk)
            for values in changed.values_list(*paths).iterator(chunk_size=20000):
                days.update(timezone.localtime(v).date() for v in values if v is not None)
            if source.history:
                for (v,) in changed.values_list(source.history).distinct().iterator():
                    if v is not None:
                        days.add(timezone.localtime(v).date())
    return days


def _changed_since(source: Source, since: datetime) -> set[Any]:
    """The records of ``source`` changed at or after ``since``: one query per timestamp path
    (``rated_at``, ``rectification__updated_at`` …) rather than one OR across joins, which no index
    can answer and which scans the whole table."""
    ids: set[Any] = set()
    for p in source.changed:
        ids.update(source.queryset().filter(**{f"{p}__gte": since}).values_list("pk", flat=True).order_by())
    return ids


def _chunks(ids: list[Any], size: int = 5000) -> Iterator[list[Any]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive days as [start, end) ranges."""
    out: list[tuple[date, date]] = []
    for d in sorted(set(days)):
        if out and out[-1][1] == d:
            out[-1] = (out[-1][0], d + timedelta(days=1))
        else:
            out.append((d, d + timedelta(days=1)))
    return out


def update(now: datetime | None = None) -> str:
    """The incremental run: roll today and the days changed records count on since the last run.
    Without a previous run it rebuilds."""
    now = now or timezone.now()
    state = _state()
    if state.seen_until is None:
        return rebuild(now)
    today = timezone.localtime(now).date()
    days = dirty_days(state.seen_until - MARGIN)
    days.add(today)
    days = {d for d in days if d <= today}
    rows = _roll(_runs(days))
    state.seen_until = now
    if state.first_day is None or min(days) < state.first_day:
        state.first_day = first_day()
    state.save()
    return f"增量汇总：{len(days)} 天，{rows} 行"


def as_of() -> datetime | None:
    """The moment the figures are exact to (the last roll-up run)."""
    return RollupState.objects.filter(pk=1).values_list("seen_until", flat=True).first()
