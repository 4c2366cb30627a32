"""Measures (度量): what the roll-up adds up per day. Each is defined once, here, and read two ways
— summed per day into ``DailyFigure`` by rollup.py, and listed record by record by ``records`` for
the drill-down — so a figure and the list behind it cannot disagree.

A measure belongs to a ``Source``: a queryset of one other part's records read through its
selector (never written), the path of the department the record counts for, and the paths of the
dimensions it can be cut by. The measure names the timestamp that places its event on a day
(``at``: 受理时间 for 受理量, 办结时间 for 办结量), the condition a record must meet (``where``,
a ``Q`` over the record's own columns or ``Exists``: never a path through a many-valued relation,
which would count a record twice) and, for a sum, the value of a record, an integer (hundredths of
a working day, seconds, …; ``scale`` says how many stored units make one unit): either ``total``,
the path of an integer column or of an annotation of the source's queryset, summed by the database
(a NULL or 0 adds nothing), or ``value``, a Python function of the record's ``value_fields``,
called record by record — only for what SQL cannot say (the 一件事 savings). A measure with
neither counts its records.

The families (办件, 12345, 好差评, 大厅) register their measures in their own modules
(measures_applications.py, measures_appeals.py, measures_ratings.py, measures_hall.py), imported
at the bottom of this one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet

from zhengwu.core.errors import InvalidInput

from .periods import _midnight

# Dimensions a figure can be cut by, besides the department (a column of every roll-up row) and
# the region (the department's). "" is the total.
DIMENSIONS: dict[str, str] = {
    "window": "窗口",
    "staff": "工作人员",
    "item": "事项",
    "bundle": "一件事",
    "channel": "渠道",
    "category": "诉求分类",
    "type": "诉求类型",
}


@dataclass(frozen=True)
class Source:
    key: str
    label: str
    queryset: Callable[[], QuerySet[Any]]
    department: str  # path of the department id the record counts for; NULL → 0 (未归属部门)
    dims: Mapping[str, str]  # dimension → path of its key
    # Paths of timestamps any change to the record moves (updated_at, …): the incremental roll-up
    # re-reads the records changed since its last run.
    changed: tuple[str, ...]
    # Path of the timestamps of the record's history (events__at): the days a changed record may
    # have counted on before the change (a reopened appeal was closed on another day).
    history: str | None = None
    # How a record is shown in the drill-down: (number, title, url) of one record.
    describe: Callable[[Any], tuple[str, str, str]] | None = None


@dataclass(frozen=True)
class Measure:
    key: str
    name: str
    source: Source
    at: str
    where: Q = field(default_factory=Q)
    unit: str = "件"
    total: str = ""  # path of an integer column or annotation to sum; NULL and 0 add nothing
    value: Callable[[Mapping[str, Any]], int | None] | None = None  # neither: each record counts 1
    value_fields: tuple[str, ...] = ()
    scale: int = 1  # stored units per unit (100: hundredths)
    dims: Mapping[str, str] | None = None  # overrides/additions to the source's dims for this measure
    no_dims: tuple[str, ...] = ()  # source dims that do not apply to this measure
    department: str | None = None  # overrides the source's department path
    definition: str = ""

    @property
    def dim_paths(self) -> dict[str, str]:
        paths = {**self.source.dims, **(self.dims or {})}
        return {d: p for d, p in paths.items() if d not in self.no_dims}

    @property
    def department_path(self) -> str:
        return self.department or self.source.department

    @property
    def counts_records(self) -> bool:
        """Whether the figure is the number of records (neither a total nor a value)."""
        return self.value is None and not self.total

    @property
    def record_fields(self) -> tuple[str, ...]:
        """The paths one record's value is read from."""
        return (self.total,) if self.total else self.value_fields

    def record_value(self, fields: Mapping[str, Any]) -> int | None:
        """One record's value in stored units, from its ``record_fields``: 1 for a count."""
        if self.total:
            value: int | None = fields[self.total]
            return value
        if self.value is not None:
            return self.value(fields)
        return 1


MEASURES: dict[str, Measure] = {}
SOURCES: dict[str, Source] = {}


def register(*measures: Measure) -> None:
    for m in measures:
        if m.key in MEASURES:
            raise ValueError(f"measure {m.key!r} defined twice")
        if m.total and m.value is not None:
            raise ValueError(f"measure {m.key!r}: a total or a value, not both")
        unknown = set(m.dim_paths) - set(DIMENSIONS)
        if unknown:
            raise ValueError(f"measure {m.key!r}: unknown dimensions {unknown}")
        MEASURES[m.key] = m
        SOURCES.setdefault(m.source.key, m.source)


def measure(key: str) -> Measure:
    try:
        return MEASURES[key]
    except KeyError:
        raise InvalidInput(f"未知的统计度量“{key[:40]}”", field="measure") from None


def records(
    m: Measure,
    start: date,
    end: date,
    *,
    department_ids: Iterable[int] | None = None,
    dim: str = "",
    key: str = "",
) -> QuerySet[Any]:
    """The records behind ``m`` over the days [start, end), for the given departments (None: all;
    0 stands for 未归属部门) and, when ``dim`` is given, that dimension's ``key``. A count
    measure's figure is exactly ``records(...).count()``."""
    qs = m.source.queryset().filter(**{f"{m.at}__gte": _midnight(start), f"{m.at}__lt": _midnight(end)})
    if m.where:
        qs = qs.filter(m.where)
    if department_ids is not None:
        ids = set(department_ids)
        cond = Q(**{f"{m.department_path}__in": ids - {0}})
        if 0 in ids:
            cond |= Q(**{f"{m.department_path}__isnull": True})
        qs = qs.filter(cond)
    if dim:
        paths = m.dim_paths
        if dim not in paths:
            raise InvalidInput(f"“{m.name}”不能按“{DIMENSIONS.get(dim, dim)}”细分", field="dim")
        qs = qs.filter(**{paths[dim]: key})
    return qs


def measures_of(source_key: str) -> list[Measure]:
    return [m for m in MEASURES.values() if m.source.key == source_key]


from . import (  # noqa: E402  (the families register into the tables above)
    measures_appeals,  # noqa: F401
    measures_applications,  # noqa: F401
    measures_hall,  # noqa: F401
    measures_ratings,  # noqa: F401
)
