"""好差评 figures per department, window or item for a period (评价公示 and the staff figures),
and the drill-down to the ratings behind each figure.

A period is a month ("2026-06"), a quarter ("2026-Q2") or a year ("2026"), in local time. Each
table is ONE grouped query over the ratings of the period (``figures_by``); excluded ratings (an
upheld 申诉) are left out of every figure, as in ``services.figures``, and counted apart so the
staff pages can say how many stay on record outside the statistics. ``drill_down`` gives the
ratings behind one figure: its count equals the figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import connections, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from zhengwu.core.errors import InvalidInput

from .models import BAD_LEVELS, GOOD_LEVELS, Rating, Rectification, RectificationState
from .services import Figures

# ---------------------------------------------------------------------------------------------
# Periods


@dataclass(frozen=True)
class Period:
    """[start, end) in local time; ``value`` is what the ``period`` parameter says."""

    value: str
    label: str
    start: datetime
    end: datetime

    def contains(self, at: datetime) -> bool:
        return self.start <= at < self.end


_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([0-9])$")
_YEAR = re.compile(r"^(\d{4})$")
PERIOD_HELP = "期间应为月份（如 2026-06）、季度（如 2026-Q2）或年份（如 2026）"


def _local(d: date) -> datetime:
    return timezone.make_aware(datetime(d.year, d.month, d.day))


def _year(text: str) -> int:
    year = int(text)
    if not 2000 <= year <= 2100:
        raise InvalidInput("年份应在2000至2100之间", field="period")
    return year


def month_period(year: int, month: int) -> Period:
    end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return Period(f"{year}-{month:02d}", f"{year}年{month}月", _local(date(year, month, 1)), _local(end))


def parse_period(value: str | None) -> Period:
    """The period a ``period`` parameter names; empty: this month. Anything else is 400."""
    text = (value or "").strip()
    if not text:
        today = timezone.localdate()
        return month_period(today.year, today.month)
    if m := _MONTH.match(text):
        year, month = _year(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise InvalidInput(f"月份应为1至12，收到“{text}”", field="period")
        return month_period(year, month)
    if m := _QUARTER.match(text):
        year, quarter = _year(m[1]), int(m[2])
        if not 1 <= quarter <= 4:
            raise InvalidInput(f"季度应为Q1至Q4，收到“{text}”", field="period")
        first = 3 * quarter - 2
        end = date(year + 1, 1, 1) if quarter == 4 else date(year, first + 3, 1)
        return Period(
            f"{year}-Q{quarter}", f"{year}年第{quarter}季度", _local(date(year, first, 1)), _local(end)
        )
    if m := _YEAR.match(text):
        year = _year(m[1])
        return Period(str(year), f"{year}年", _local(date(year, 1, 1)), _local(date(year + 1, 1, 1)))
    raise InvalidInput(f"{PERIOD_HELP}，收到“{text[:20]}”", field="period")


def quick_periods() -> list[Period]:
    """This month, this quarter and this year, for the page's links."""
    today = timezone.localdate()
    return [
        month_period(today.year, today.month),
        parse_period(f"{today.year}-Q{(today.month - 1) // 3 + 1}"),
        parse_period(str(today.year)),
    ]


# ---------------------------------------------------------------------------------------------
# Dimensions


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    field: str  # the rating's foreign key


DIMENSIONS = {
    "department": Dimension("department", "部门", "department"),
    "window": Dimension("window", "窗口", "window"),
    "item": Dimension("item", "事项", "item"),
}


def names_of(dimension: Dimension, pks: list[int]) -> dict[int, str]:
    """What each row shows: the department's, the item's name; the window's hall, number and
    name. One small query, after the grouped one (grouping by names too would sort a month's
    ratings by them)."""
    from zhengwu.catalog.models import ServiceItem
    from zhengwu.org.models import Department, Window

    if dimension.key == "window":
        return {
            w.pk: f"{w.hall.name} {w.number}号 {w.name}".strip()
            for w in Window.objects.filter(pk__in=pks).select_related("hall")
        }
    model: Any = Department if dimension.key == "department" else ServiceItem
    return dict(model.objects.filter(pk__in=pks).values_list("pk", "name"))


def dimension_of(value: str | None) -> Dimension:
    key = (value or "department").strip()
    if key not in DIMENSIONS:
        raise InvalidInput("统计维度应为 department（部门）、window（窗口）或 item（事项）", field="by")
    return DIMENSIONS[key]


@dataclass(frozen=True)
class Row:
    """One line of a figures table: who, their figures, and how many ratings of theirs in the
    period stay on record outside the statistics (an upheld 申诉)."""

    pk: int
    name: str
    figures: Figures
    excluded: int = 0


def in_period(period: Period, ratings: QuerySet[Rating] | None = None) -> QuerySet[Rating]:
    qs = Rating.objects.all() if ratings is None else ratings
    return qs.filter(rated_at__gte=period.start, rated_at__lt=period.end)


def figures_by(
    dimension: Dimension | str, period: Period, ratings: QuerySet[Rating] | None = None
) -> list[Row]:
    """The figures of each department / window / item rated in ``period`` — one grouped query
    (and one for the names).
    ``ratings`` narrows the set (a department's own, for its staff). Rows by 评价数, largest
    first; a group whose every rating is excluded still shows, with 评价数 0."""
    dim = DIMENSIONS[dimension] if isinstance(dimension, str) else dimension
    counted, bad = Q(excluded=False), Q(excluded=False, level__in=BAD_LEVELS)
    # The case of a 差评, looked up for the 差评 only (a correlated EXISTS on its unique key): a
    # join would read every rectification of every period to count a month's.
    case = Rectification.objects.filter(rating=OuterRef("pk"))
    closed = Exists(case.filter(state=RectificationState.CLOSED))
    verified = Exists(case.filter(verified_at__isnull=False))
    rows = (
        in_period(period, ratings)
        .filter(**{f"{dim.field}__isnull": False})
        .order_by()
        .values(dim.field)
        .annotate(
            count=Count("pk", filter=counted),
            good=Count("pk", filter=counted & Q(level__in=GOOD_LEVELS)),
            bad=Count("pk", filter=bad),
            bad_rectified=Count("pk", filter=bad & Q(closed)),
            bad_real_name=Count("pk", filter=bad & Q(real_name=True)),
            bad_real_name_verified=Count("pk", filter=bad & Q(real_name=True) & Q(verified)),
            excluded_count=Count("pk", filter=Q(excluded=True)),
        )
    )
    with transaction.atomic(using=rows.db):
        if connections[rows.db].vendor == "postgresql":
            # The EXISTS look-ups make the planner's cost estimate large enough for PostgreSQL to
            # JIT-compile the query, which takes longer (200+ ms) than running it (~70 ms for a
            # month of 140,000 ratings): not in this transaction (SET LOCAL ends with it).
            with connections[rows.db].cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        found = list(rows)
    names = names_of(dim, [r[dim.field] for r in found])
    out = [
        Row(
            pk=r[dim.field],
            name=names.get(r[dim.field], ""),
            figures=Figures(
                count=r["count"],
                good=r["good"],
                bad=r["bad"],
                bad_rectified=r["bad_rectified"],
                bad_real_name=r["bad_real_name"],
                bad_real_name_verified=r["bad_real_name_verified"],
            ),
            excluded=r["excluded_count"],
        )
        for r in found
    ]
    out.sort(key=lambda row: (-row.figures.count, row.name))
    return out


def total(rows: list[Row]) -> Figures:
    """The sum of a table's rows (合计)."""
    f = [r.figures for r in rows]
    return Figures(
        count=sum(x.count for x in f),
        good=sum(x.good for x in f),
        bad=sum(x.bad for x in f),
        bad_rectified=sum(x.bad_rectified for x in f),
        bad_real_name=sum(x.bad_real_name for x in f),
        bad_real_name_verified=sum(x.bad_real_name_verified for x in f),
    )


# ---------------------------------------------------------------------------------------------
# Drill-down

KINDS = {
    "all": "全部评价",
    "good": "好评",
    "bad": "差评",
    "rectified": "差评已整改",
    "unverified": "实名差评未回访",
}


def kind_of(value: str | None) -> str:
    kind = (value or "all").strip()
    if kind not in KINDS:
        raise InvalidInput("明细类别应为 all、good、bad、rectified 或 unverified", field="kind")
    return kind


def drill_down(
    ratings: QuerySet[Rating],
    period: Period,
    *,
    kind: str = "all",
    department: int | None = None,
    window: int | None = None,
    item: int | None = None,
) -> QuerySet[Rating]:
    """The ratings behind one figure. ``all`` is every rating of the group on record, the excluded
    ones included (the page marks them 不计入统计; ``counted`` gives the 评价数); the other kinds
    are counted ratings only, so their count is the figure's."""
    qs = in_period(period, ratings)
    for field, value in (("department", department), ("window", window), ("item", item)):
        if value is not None:
            qs = qs.filter(**{f"{field}_id": value})
    if kind == "good":
        qs = qs.filter(excluded=False, level__in=GOOD_LEVELS)
    elif kind == "bad":
        qs = qs.filter(excluded=False, level__in=BAD_LEVELS)
    elif kind == "rectified":
        qs = qs.filter(excluded=False, level__in=BAD_LEVELS, rectification__state=RectificationState.CLOSED)
    elif kind == "unverified":
        qs = qs.filter(
            excluded=False, level__in=BAD_LEVELS, real_name=True, rectification__verified_at__isnull=True
        )
    return qs.select_related("department", "window", "window__hall", "item", "rectification").order_by(
        "-rated_at", "-id"
    )


def counted(qs: QuerySet[Rating]) -> QuerySet[Rating]:
    return qs.filter(excluded=False)
