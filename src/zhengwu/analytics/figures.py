"""Reading the roll-up: the sums of measures for a period, for the whole city, a set of
departments (a region is the departments in it) or one key of a dimension, broken down by
department, county-level region or any dimension, or drawn as a series over the period's buckets.
Pages, the API, rankings and the monthly report all read figures here; none scans the sources.

Who sees what is decided by the caller (scope.py) and passed in as ``department_ids`` (None: all).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from django.db.models import Sum
from django.db.models.functions import TruncMonth

from zhengwu.core.errors import InvalidInput
from zhengwu.org.models import Department, Level, Region

from .indicators import INDICATORS, Indicator
from .measures import DIMENSIONS
from .models import DailyFigure, RollupState
from .periods import Period

BREAKDOWNS = {"department": "部门", "region": "县区", **DIMENSIONS}
CITY_KEY = "city"  # the region key of figures of departments with no county (市直) and of 未归属部门


def _base(
    measures: Iterable[str], start: date, end: date, department_ids: Iterable[int] | None, dim: str = ""
):
    qs = DailyFigure.objects.filter(measure__in=list(measures), dim=dim, day__gte=start, day__lt=end)
    if department_ids is not None:
        qs = qs.filter(department_id__in=list(department_ids))
    return qs


def sums(
    measures: Iterable[str],
    start: date,
    end: date,
    *,
    department_ids: Iterable[int] | None = None,
    dim: str = "",
    key: str = "",
) -> dict[str, int]:
    """measure → sum over [start, end) (one key of ``dim`` when given)."""
    qs = _base(measures, start, end, department_ids, dim)
    if dim:
        qs = qs.filter(key=key)
    return {r["measure"]: r["v"] for r in qs.values("measure").annotate(v=Sum("value")).order_by()}


@lru_cache(maxsize=1)
def _region_tree() -> tuple[dict[int, int | None], dict[int, int], dict[int, str]]:
    """(region → parent, region → level, region → name); cached: regions change by migration."""
    parent: dict[int, int | None] = {}
    level: dict[int, int] = {}
    name: dict[int, str] = {}
    for rid, pid, lvl, nm in Region.objects.values_list("id", "parent_id", "level", "name"):
        parent[rid], level[rid], name[rid] = pid, lvl, nm
    return parent, level, name


def clear_caches() -> None:
    _region_tree.cache_clear()
    _department_regions.cache_clear()


@lru_cache(maxsize=1)
def _department_regions() -> dict[int, int]:
    return dict(Department.objects.values_list("id", "region_id"))


def county_of(region_id: int | None) -> str:
    """The county-level region a region lies in, as a breakdown key ("city" for the city level)."""
    parent, level, _ = _region_tree()
    r = region_id
    while r is not None and level.get(r, 0) > Level.COUNTY:
        r = parent.get(r)
    if r is None or level.get(r) != Level.COUNTY:
        return CITY_KEY
    return str(r)


def departments_in(region_id: int) -> set[int]:
    """The departments of a region and every region under it."""
    parent, _, _ = _region_tree()
    inside = set()
    for rid in parent:
        r: int | None = rid
        while r is not None:
            if r == region_id:
                inside.add(rid)
                break
            r = parent.get(r)
    return {d for d, r in _department_regions().items() if r in inside}


def breakdown(
    measures: Iterable[str],
    start: date,
    end: date,
    by: str,
    *,
    department_ids: Iterable[int] | None = None,
) -> dict[str, dict[str, int]]:
    """key → measure → sum, by department (key: the id; "0": 未归属部门), county-level region
    (key: the region id, "city": 市级) or a dimension (key as stored)."""
    if by not in BREAKDOWNS:
        raise InvalidInput(f"未知的统计维度“{by[:20]}”，可选：{'、'.join(BREAKDOWNS.values())}", field="by")
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if by in ("department", "region"):
        rows = (
            _base(measures, start, end, department_ids)
            .values("measure", "department_id")
            .annotate(v=Sum("value"))
        )
        regions = _department_regions()
        for r in rows.order_by():
            dept = r["department_id"]
            k = str(dept) if by == "department" else (county_of(regions.get(dept)) if dept else CITY_KEY)
            out[k][r["measure"]] += r["v"]
    else:
        rows = (
            _base(measures, start, end, department_ids, by).values("measure", "key").annotate(v=Sum("value"))
        )
        for r in rows.order_by():
            out[r["key"]][r["measure"]] += r["v"]
    return {k: dict(v) for k, v in out.items()}


def series(
    measures: Iterable[str], period: Period, *, department_ids: Iterable[int] | None = None
) -> list[tuple[Period, dict[str, int]]]:
    """The period's buckets (days, or months of a quarter or year) with the sums in each."""
    buckets = period.buckets()
    qs = _base(measures, period.start, period.end, department_ids)
    by_bucket: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if buckets and buckets[0].kind == "month":
        rows = qs.annotate(b=TruncMonth("day")).values("b", "measure").annotate(v=Sum("value")).order_by()
        for r in rows:
            b = r["b"]
            b = b.date() if hasattr(b, "date") and callable(b.date) else b
            by_bucket[b][r["measure"]] += r["v"]
    else:
        for r in qs.values("day", "measure").annotate(v=Sum("value")).order_by():
            by_bucket[r["day"]][r["measure"]] += r["v"]
    return [(b, dict(by_bucket.get(b.start, {}))) for b in buckets]


def values(indicators: Iterable[Indicator], s: dict[str, int]) -> dict[str, Decimal | None]:
    return {i.key: i.value(s) for i in indicators}


def measures_for(indicators: Iterable[Indicator]) -> set[str]:
    return {m for i in indicators for m in i.measures}


def present_families(department_ids: Iterable[int] | None = None) -> set[str]:
    """The families with any data at all (in scope): the others are left off the pages."""
    from .measures import MEASURES

    fams: set[str] = set()
    by_family: dict[str, set[str]] = defaultdict(set)
    for ind in INDICATORS.values():
        by_family[ind.family].update(ind.measures)
    for fam, ms in by_family.items():
        qs = DailyFigure.objects.filter(measure__in=[m for m in ms if m in MEASURES], dim="")
        if department_ids is not None:
            qs = qs.filter(department_id__in=list(department_ids))
        if qs.exists():
            fams.add(fam)
    return fams


def label_of(by: str, key: str) -> str:
    """A breakdown key's display name (department, region, window, staff, item, …)."""
    return labels(by, [key]).get(key, key)


def labels(by: str, keys: Iterable[str]) -> dict[str, str]:
    """Display names of breakdown keys, in one query per dimension."""
    from .labels import labels_for

    return labels_for(by, list(keys))


@dataclass(frozen=True)
class Compared:
    """An indicator for a period, the period before (环比) and the same period a year before (同比)."""

    indicator: Indicator
    current: Decimal | None
    previous: Decimal | None
    last_year: Decimal | None

    @property
    def change(self) -> Decimal | None:
        """Change against the previous period: percentage points for a rate, per cent otherwise."""
        return _change(self.indicator, self.current, self.previous)

    @property
    def change_last_year(self) -> Decimal | None:
        return _change(self.indicator, self.current, self.last_year)


def _change(ind: Indicator, now: Decimal | None, then: Decimal | None) -> Decimal | None:
    if now is None or then is None:
        return None
    if ind.kind == "rate":
        return (now - then).quantize(Decimal("0.1"))
    if then == 0:
        return None
    return ((now - then) / then * 100).quantize(Decimal("0.1"))


def compare(
    inds: Iterable[Indicator], period: Period, *, department_ids: Iterable[int] | None = None
) -> list[Compared]:
    """Each indicator now, the period before and a year before: three queries."""
    inds = list(inds)
    ms = measures_for(inds)
    ids = None if department_ids is None else list(department_ids)
    first = data_start()
    out: list[dict[str, Decimal | None]] = []
    for p in (period, period.previous(), period.last_year()):
        if first is None or (p.start < first and p is not period):
            # Before the data starts (wholly or in part) a comparison would count missing data as 0.
            out.append(dict.fromkeys((i.key for i in inds), None))
            continue
        s = sums(ms, p.start, p.end, department_ids=ids)
        out.append({i.key: i.value(s) for i in inds})
    now, prev, ly = out
    return [Compared(i, now[i.key], prev[i.key], ly[i.key]) for i in inds]


def data_start() -> date | None:
    """The first day with data (kept by the roll-up)."""
    return RollupState.objects.filter(pk=1).values_list("first_day", flat=True).first()


def table(
    inds: Iterable[Indicator], period: Period, by: str, *, department_ids: Iterable[int] | None = None
) -> list[tuple[str, str, dict[str, Decimal | None], dict[str, int]]]:
    """Rows (key, label, indicator → value, measure → sum) of a breakdown, biggest first by the first
    indicator's numerator; what a page shows, the Excel export writes and the API returns."""
    inds = list(inds)
    ms = measures_for(inds)
    data = breakdown(ms, period.start, period.end, by, department_ids=department_ids)
    names = labels(by, list(data))
    first = inds[0].numerator if inds else ""
    rows = [(k, names.get(k, k), values(inds, s), s) for k, s in data.items()]
    rows.sort(key=lambda r: (-r[3].get(first, 0), r[1]))
    return rows
