"""Keyset pagination for every worklist: rows come a page at a time after a key, never OFFSET, so
page 1,000 costs what page 1 does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from django.db.models import F, Model, Q, QuerySet
from django.utils import timezone

M = TypeVar("M", bound=Model)

PAGE_SIZE = 50


@dataclass
class Page(Generic[M]):
    rows: list[M]
    next_key: str | None
    first: bool


def keyset(
    qs: QuerySet[M],
    *,
    field: str,
    descending: bool,
    after: str | None,
    size: int = PAGE_SIZE,
    nullable: bool = False,
) -> Page[M]:
    """One page of ``qs`` ordered by (field, id), nulls last, starting after the key ``after``
    ("<iso datetime>~<id>" or "~<id>" for a null value). A bad key starts from the beginning."""
    value, last_id, valid = parse_key(after)
    order = F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
    qs = qs.order_by(order, "-id" if descending else "id")
    if valid:
        before_or_after = "lt" if descending else "gt"
        if value is None:
            qs = qs.filter(**{f"{field}__isnull": True, f"id__{before_or_after}": last_id})
        else:
            cond = Q(**{f"{field}__{before_or_after}": value}) | Q(
                **{field: value, f"id__{before_or_after}": last_id}
            )
            if nullable:
                cond |= Q(**{f"{field}__isnull": True})
            qs = qs.filter(cond)
    rows = list(qs[: size + 1])
    next_key = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        v = getattr(last, field)
        next_key = f"{v.isoformat() if v is not None else ''}~{last.pk}"
    return Page(rows=rows, next_key=next_key, first=not valid)


@dataclass(frozen=True)
class Sort:
    """One order a worklist offers: its ``label``, the datetime ``field`` and the direction, the
    row id breaking ties in the same direction; ``nullable``: rows without a value come last."""

    label: str
    field: str
    descending: bool
    nullable: bool = False

    def page(self, qs: QuerySet[M], *, after: str | None, size: int = PAGE_SIZE) -> Page[M]:
        """One page of ``qs`` in this order (``keyset``)."""
        return keyset(
            qs, field=self.field, descending=self.descending, nullable=self.nullable, after=after, size=size
        )

    def order(self, qs: QuerySet[M]) -> QuerySet[M]:
        """All of ``qs`` in this order, for an export (rows without a value where the database puts
        them)."""
        sign = "-" if self.descending else ""
        return qs.order_by(f"{sign}{self.field}", f"{sign}id")


def parse_key(after: str | None) -> tuple[datetime | None, int, bool]:
    if not after or "~" not in after:
        return None, 0, False
    raw, _, pk = after.rpartition("~")
    try:
        last_id = int(pk)
        value = datetime.fromisoformat(raw) if raw else None
    except ValueError:
        return None, 0, False
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value, last_id, True
