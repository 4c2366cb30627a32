"""大厅 indicators (取号量, 平均等候, 平均办理) on a hand-built day of numbers, every expected value
computed by hand below."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.catalog.factories import ServiceItemFactory
from tests.factories import DepartmentFactory
from zhengwu.analytics import figures, rollup
from zhengwu.analytics.indicators import INDICATORS, format_value
from zhengwu.analytics.measures import MEASURES, records
from zhengwu.analytics.periods import parse_period
from zhengwu.hall.models import QueueTicket
from zhengwu.org.models import Hall, Window

TZ = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 6, 9)
PERIOD = parse_period("2026-06-09")
KEYS = ("hall_tickets", "hall_wait", "hall_service")
COUNTS = [m.key for m in MEASURES.values() if m.source.key == "queue_ticket" and m.value is None]


def at(hour: int, minute: int) -> dt.datetime:
    return dt.datetime(2026, 6, 9, hour, minute, tzinfo=TZ)


@pytest.fixture
def hall_day(db) -> dict[str, Any]:
    """Tuesday 2026-06-09 in one hall:

    T1 现场取号 for market's item, issued 09:00, called 09:10 at window 1, served 09:11, done 09:21:
       waited 10 min, served 10 min.
    T2 在线取号, no item, issued 08:00, checked in 09:05, called 09:20 at window 2, served 09:20,
       done 09:50: waited 15 min (from the check-in, not the issue), served 30 min.
    T3 现场取号 for market's item, issued 09:30, called 09:40 at window 1 (waited 10 min), passed on
       to window 2 as T3' (issued 09:41, called 09:45: waited 4 min, served 09:46–09:52: 6 min).
    T4 现场取号, no item, issued 10:00, never called.

    取号量 4 (T3' is T3 passed on); 叫号 4, waits 10 + 15 + 10 + 4 = 39 min → 9.75 → 9.8;
    served 3, 10 + 30 + 6 = 46 min → 15.33 → 15.3.
    """
    market = DepartmentFactory(name="市场监督管理局")
    item = ServiceItemFactory(department=market)
    hall = Hall.objects.create(name="市民之家", region=market.region)
    w1 = Window.objects.create(hall=hall, number="1", name="综合受理", kind="comprehensive")
    w2 = Window.objects.create(hall=hall, number="2", name="综合受理", kind="comprehensive")

    def ticket(number: str, **fields: Any) -> QueueTicket:
        values: dict[str, Any] = {"hall": hall, "day": DAY, "number": number, "window_kind": "comprehensive"}
        values.update(fields)
        return QueueTicket.objects.create(**values)

    ticket(
        "A001",
        source="kiosk",
        item=item,
        state="done",
        window=w1,
        issued_at=at(9, 0),
        called_at=at(9, 10),
        served_at=at(9, 11),
        finished_at=at(9, 21),
    )
    ticket(
        "W001",
        source="online",
        state="done",
        window=w2,
        issued_at=at(8, 0),
        checked_in_at=at(9, 5),
        called_at=at(9, 20),
        served_at=at(9, 20),
        finished_at=at(9, 50),
    )
    t3 = ticket(
        "A002",
        source="kiosk",
        item=item,
        state="transferred",
        window=w1,
        issued_at=at(9, 30),
        called_at=at(9, 40),
    )
    ticket(
        "A002",
        source="kiosk",
        item=item,
        state="done",
        transferred_from=t3,
        rank=0,
        window=w2,
        issued_at=at(9, 41),
        called_at=at(9, 45),
        served_at=at(9, 46),
        finished_at=at(9, 52),
    )
    ticket("A003", source="kiosk", state="lapsed", issued_at=at(10, 0))
    rollup.rebuild()
    return {"market": market, "w1": w1, "w2": w2}


def test_hall_indicators_for_the_day(hall_day):
    inds = [INDICATORS[k] for k in KEYS]
    s = figures.sums(figures.measures_for(inds), PERIOD.start, PERIOD.end)
    assert s == {
        "hall_tickets": 4,
        "hall_called": 4,
        "hall_wait_seconds": 39 * 60,
        "hall_served": 3,
        "hall_service_seconds": 46 * 60,
    }
    assert {i.key: i.value(s) for i in inds} == {
        "hall_tickets": 4,
        "hall_wait": Decimal("9.8"),
        "hall_service": Decimal("15.3"),
    }
    assert [format_value(i, i.value(s)) for i in inds] == ["4", "9.8", "15.3"]
    assert [i.unit for i in inds] == ["个", "分钟", "分钟"]


def test_hall_indicators_by_department_window_and_channel(hall_day):
    market, w1, w2 = hall_day["market"], hall_day["w1"], hall_day["w2"]
    ms = ["hall_tickets", "hall_called", "hall_wait_seconds"]
    by_dept = figures.breakdown(ms, PERIOD.start, PERIOD.end, "department")
    # market's item: T1, T3 (and T3' called); no item: T2, T4
    assert by_dept == {
        str(market.pk): {"hall_tickets": 2, "hall_called": 3, "hall_wait_seconds": (10 + 10 + 4) * 60},
        "0": {"hall_tickets": 2, "hall_called": 1, "hall_wait_seconds": 15 * 60},
    }
    by_window = figures.breakdown(["hall_called", "hall_wait_seconds"], PERIOD.start, PERIOD.end, "window")
    assert by_window == {
        str(w1.pk): {"hall_called": 2, "hall_wait_seconds": 20 * 60},  # T1, T3
        str(w2.pk): {"hall_called": 2, "hall_wait_seconds": 19 * 60},  # T2, T3'
    }
    by_channel = figures.breakdown(["hall_tickets"], PERIOD.start, PERIOD.end, "channel")
    assert by_channel == {"kiosk": {"hall_tickets": 3}, "online": {"hall_tickets": 1}}
    rows = figures.table([INDICATORS["hall_wait"]], PERIOD, "window")
    assert [(k, v["hall_wait"]) for k, _label, v, _s in rows] == [
        (str(w1.pk), Decimal("10.0")),
        (str(w2.pk), Decimal("9.5")),
    ]


def test_a_day_without_numbers_has_no_average(hall_day):
    other = parse_period("2026-06-08")
    s = figures.sums(["hall_tickets", "hall_called", "hall_wait_seconds"], other.start, other.end)
    assert INDICATORS["hall_tickets"].value(s) == 0
    assert INDICATORS["hall_wait"].value(s) is None
    assert format_value(INDICATORS["hall_wait"], None) == "—"


@pytest.mark.parametrize("measure", COUNTS)
def test_each_count_is_the_number_of_its_records(hall_day, measure):
    m = MEASURES[measure]
    market = hall_day["market"]
    total = figures.sums([measure], PERIOD.start, PERIOD.end).get(measure, 0)
    assert total > 0
    assert records(m, PERIOD.start, PERIOD.end).count() == total
    mine = figures.sums([measure], PERIOD.start, PERIOD.end, department_ids=[market.pk]).get(measure, 0)
    assert records(m, PERIOD.start, PERIOD.end, department_ids=[market.pk]).count() == mine
    none = figures.sums([measure], PERIOD.start, PERIOD.end, department_ids=[0]).get(measure, 0)
    assert records(m, PERIOD.start, PERIOD.end, department_ids=[0]).count() == none
    if measure == "hall_tickets":
        shown = sorted(m.source.describe(t)[:2] for t in records(m, PERIOD.start, PERIOD.end))  # type: ignore[misc]
        assert shown[0] == (
            "2026-06-09 A001",
            f"{m.source.queryset().get(number='A001').item.name}（现场取号，已完成）",
        )
        assert shown[-1] == ("2026-06-09 W001", "综合受理（在线取号，已完成）")
    kiosk = figures.sums([measure], PERIOD.start, PERIOD.end, dim="channel", key="kiosk").get(measure, 0)
    assert records(m, PERIOD.start, PERIOD.end, dim="channel", key="kiosk").count() == kiosk


def test_the_incremental_roll_up_follows_the_queue_as_a_rebuild_would(hall_day, time_machine):
    from zhengwu.analytics.models import DailyFigure

    def rows() -> set[tuple[Any, ...]]:
        return set(DailyFigure.objects.values_list("day", "measure", "department_id", "dim", "key", "value"))

    # The number never called on 06-09 is called, served and finished the next morning; the
    # incremental run, two hours on, sees only that change.
    time_machine.move_to(dt.datetime(2026, 6, 10, 12, 0, tzinfo=TZ), tick=True)
    before = rows()
    t4 = QueueTicket.objects.get(number="A003")
    t4.called_at = dt.datetime(2026, 6, 10, 9, 0, tzinfo=TZ)
    t4.window = hall_day["w1"]
    t4.served_at = dt.datetime(2026, 6, 10, 9, 1, tzinfo=TZ)
    t4.finished_at = dt.datetime(2026, 6, 10, 9, 9, tzinfo=TZ)
    t4.state = "done"
    t4.save()
    rollup.update()
    incremental = rows()
    assert incremental != before
    rollup.rebuild()
    assert rows() == incremental
    june_10 = parse_period("2026-06-10")
    s = figures.sums(["hall_called", "hall_wait_seconds", "hall_service_seconds"], june_10.start, june_10.end)
    # issued 06-09 10:00, called 06-10 09:00: 23 hours of waiting, as the clock runs
    assert s == {"hall_called": 1, "hall_wait_seconds": 23 * 3600, "hall_service_seconds": 8 * 60}
