"""Statistical periods: every form the ``period`` parameter takes, the period before (环比) and a
year before (同比) across year ends, ISO week 53 and 29 February, the buckets a trend is drawn in,
and the 422 for a period outside the data."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import pytest

from zhengwu.analytics.periods import OutsideData, Period, check_within, parse_period
from zhengwu.core.errors import InvalidInput


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize(
    ("text", "kind", "start", "end", "label"),
    [
        ("2026-06-10", "day", "2026-06-10", "2026-06-11", "2026年6月10日"),
        ("2026-6-1", "day", "2026-06-01", "2026-06-02", "2026年6月1日"),
        ("2026-W24", "week", "2026-06-08", "2026-06-15", "2026年第24周（6月8日—6月14日）"),
        ("2026w1", "week", "2025-12-29", "2026-01-05", "2026年第1周（12月29日—1月4日）"),
        ("2026-W53", "week", "2026-12-28", "2027-01-04", "2026年第53周（12月28日—1月3日）"),
        ("2026-06", "month", "2026-06-01", "2026-07-01", "2026年6月"),
        ("2026-12", "month", "2026-12-01", "2027-01-01", "2026年12月"),
        ("2026-Q2", "quarter", "2026-04-01", "2026-07-01", "2026年第2季度"),
        ("2026q4", "quarter", "2026-10-01", "2027-01-01", "2026年第4季度"),
        ("2026", "year", "2026-01-01", "2027-01-01", "2026年"),
        (" 2026-06 ", "month", "2026-06-01", "2026-07-01", "2026年6月"),
    ],
)
def test_every_form_parses_to_its_dates_and_label(text, kind, start, end, label):
    p = parse_period(text)
    assert (p.kind, p.start, p.end, p.label) == (kind, d(start), d(end), label)
    assert parse_period(p.value) == p  # the value a page writes back into its links reads the same


def test_an_empty_period_is_the_current_month_or_the_kind_asked_for():
    # The suite's clock stands at 2026-06-10 (Asia/Shanghai).
    assert parse_period("") == Period("month", d("2026-06-01"), d("2026-07-01"))
    assert parse_period(None, default_kind="day") == Period("day", d("2026-06-10"), d("2026-06-11"))
    assert parse_period("", default_kind="week").value == "2026-W24"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("2026-13", "月份应为1至12"),
        ("2026-00", "月份应为1至12"),
        ("2026-Q5", "季度应为Q1至Q4"),
        ("2026-Q0", "季度应为Q1至Q4"),
        ("2026-02-30", "没有这一天或这一周"),
        ("2025-02-29", "没有这一天或这一周"),
        ("2025-W53", "没有这一天或这一周"),  # 2025 has 52 ISO weeks
        ("2026-W00", "没有这一天或这一周"),
        ("1999", "年份应在2000至2100之间"),
        ("2101-01", "年份应在2000至2100之间"),
        ("六月", "期间应为日期"),
        ("2026/06", "期间应为日期"),
        ("2026-06-10T00:00", "期间应为日期"),
        ("x" * 21, "期间应为日期"),
    ],
)
def test_unparseable_text_is_400_naming_the_period(text, says):
    with pytest.raises(InvalidInput) as caught:
        parse_period(text)
    assert caught.value.status == 400
    assert caught.value.field == "period"
    assert says in caught.value.message


@pytest.mark.parametrize(
    ("text", "previous", "last_year"),
    [
        ("2026-06-10", "2026-06-09", "2025-06-10"),
        ("2026-01-01", "2025-12-31", "2025-01-01"),
        ("2028-02-29", "2028-02-28", "2027-02-28"),  # 29 Feb: a year before is the 28th
        ("2028-03-01", "2028-02-29", "2027-03-01"),
        ("2026-W24", "2026-W23", "2025-W24"),
        ("2026-W01", "2025-W52", "2025-W01"),
        ("2026-W53", "2026-W52", "2025-W52"),  # week 53 in a year with 52: its last week
        ("2027-W01", "2026-W53", "2026-W01"),
        ("2026-06", "2026-05", "2025-06"),
        ("2026-01", "2025-12", "2025-01"),
        ("2026-Q1", "2025-Q4", "2025-Q1"),
        ("2026-Q3", "2026-Q2", "2025-Q3"),
        ("2026", "2025", "2025"),
    ],
)
def test_previous_and_last_year(text, previous, last_year):
    p = parse_period(text)
    assert p.previous().value == previous
    assert p.last_year().value == last_year
    assert p.previous().kind == p.last_year().kind == p.kind
    assert p.previous().end == p.start  # 环比 is the period just before, no gap


def test_a_week_a_year_before_is_the_same_iso_week_number():
    p = parse_period("2026-W10").last_year()
    assert (p.start, p.end) == (d("2025-03-03"), d("2025-03-10"))


@pytest.mark.parametrize(
    ("text", "kind", "count", "first", "last"),
    [
        ("2026-06-10", "day", 1, "2026-06-10", "2026-06-10"),
        ("2026-W24", "day", 7, "2026-06-08", "2026-06-14"),
        ("2026-06", "day", 30, "2026-06-01", "2026-06-30"),
        ("2028-02", "day", 29, "2028-02-01", "2028-02-29"),
        ("2026-02", "day", 28, "2026-02-01", "2026-02-28"),
        ("2026-Q2", "month", 3, "2026-04-01", "2026-06-01"),
        ("2026", "month", 12, "2026-01-01", "2026-12-01"),
    ],
)
def test_buckets_cover_the_period_without_gaps(text, kind, count, first, last):
    p = parse_period(text)
    buckets = p.buckets()
    assert len(buckets) == count
    assert {b.kind for b in buckets} == {kind}
    assert (buckets[0].start, buckets[-1].start) == (d(first), d(last))
    assert buckets[0].start == p.start and buckets[-1].end == p.end
    assert all(a.end == b.start for a, b in pairwise(buckets))


def test_a_period_within_the_data_passes():
    first, today = d("2026-03-15"), d("2026-06-10")
    for text in ("2026-03-15", "2026-03", "2026-Q1", "2026", "2026-06", "2026-06-10", "2026-W24"):
        check_within(parse_period(text), first, today)  # overlapping the data in part is enough


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("2026-03-14", "早于统计数据的起始日（2026年3月15日）"),
        ("2026-02", "早于统计数据的起始日"),
        ("2025", "早于统计数据的起始日"),
        ("2026-06-11", "尚未开始"),
        ("2026-07", "尚未开始"),
        ("2026-W25", "尚未开始"),
        ("2027", "尚未开始"),
    ],
)
def test_a_period_outside_the_data_is_422_naming_the_period(text, says):
    with pytest.raises(OutsideData) as caught:
        check_within(parse_period(text), d("2026-03-15"), d("2026-06-10"))
    assert caught.value.status == 422
    assert caught.value.field == "period"
    assert says in caught.value.message


def test_without_any_data_every_period_is_422():
    with pytest.raises(OutsideData) as caught:
        check_within(parse_period("2026-06"), None, d("2026-06-10"))
    assert caught.value.status == 422
    assert "尚无统计数据" in caught.value.message
