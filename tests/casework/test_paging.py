"""Keyset paging (casework/paging.py), over departments by their creation time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from zhengwu.casework.paging import Sort, keyset, parse_key
from zhengwu.org.models import Department

from ..factories import DepartmentFactory


@pytest.fixture
def rows(db):
    """Seven departments, four of them sharing one creation time (ties are broken by id)."""
    base = timezone.now() - timedelta(days=1)
    made = [DepartmentFactory(name=f"测试部门{i}") for i in range(7)]
    stamps = [base, base, base, base, base + timedelta(hours=1), base - timedelta(hours=1), base]
    for d, at in zip(made, stamps, strict=True):
        Department.objects.filter(pk=d.pk).update(created_at=at)
    return Department.objects.filter(pk__in=[d.pk for d in made])


def walk(qs, **kwargs) -> list[list[int]]:
    pages, after = [], None
    while True:
        page = keyset(qs, after=after, size=3, **kwargs)
        pages.append([d.pk for d in page.rows])
        assert page.first == (after is None)
        if page.next_key is None:
            return pages
        after = page.next_key


def test_pages_follow_one_another_without_gaps_or_repeats(rows):
    ordered = list(rows.order_by("created_at", "id").values_list("id", flat=True))
    pages = walk(rows, field="created_at", descending=False)
    assert [pk for page in pages for pk in page] == ordered
    assert [len(p) for p in pages] == [3, 3, 1]
    newest_first = list(rows.order_by("-created_at", "-id").values_list("id", flat=True))
    assert [pk for page in walk(rows, field="created_at", descending=True) for pk in page] == newest_first


def test_a_bad_key_starts_from_the_beginning():
    assert parse_key(None) == (None, 0, False)
    assert parse_key("no-separator") == (None, 0, False)
    assert parse_key("not-a-date~12") == (None, 0, False)
    assert parse_key("2026-06-10T10:00:00~x") == (None, 0, False)
    value, last_id, valid = parse_key("2026-06-10T10:00:00~12")
    assert valid and last_id == 12 and value is not None and timezone.is_aware(value)
    assert parse_key("~5") == (None, 5, True)  # the key of a row whose value is empty


def test_a_bad_key_gives_the_first_page(rows):
    first = keyset(rows, field="created_at", descending=False, after=None, size=3)
    bad = keyset(rows, field="created_at", descending=False, after="garbage", size=3)
    assert [d.pk for d in bad.rows] == [d.pk for d in first.rows] and bad.first


@pytest.mark.parametrize("descending", [False, True])
def test_a_sort_pages_and_exports_in_the_same_order(rows, descending):
    sort = Sort("测试", "created_at", descending)
    pages, after = [], None
    while True:
        page = sort.page(rows, after=after, size=3)
        pages.append([d.pk for d in page.rows])
        if page.next_key is None:
            break
        after = page.next_key
    exported = list(sort.order(rows).values_list("id", flat=True))
    sign = "-" if descending else ""
    assert exported == list(rows.order_by(f"{sign}created_at", f"{sign}id").values_list("id", flat=True))
    assert [pk for p in pages for pk in p] == exported
    assert [len(p) for p in pages] == [3, 3, 1]
