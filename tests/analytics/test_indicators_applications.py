"""办件 indicators on a small hand-built set of applications, each expected value computed by hand
below (working days: 09:00–12:00 and 13:30–17:30, 7 hours a day; 2026-05-01…05 is the 劳动节
holiday and Saturday 2026-05-09 a make-up working day, 调休上班)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.catalog.factories import ItemMaterialFactory, MaterialFactory, ServiceItemFactory, bundle_of
from tests.factories import CitizenFactory, DepartmentFactory, LicenceTypeFactory
from zhengwu.analytics import figures, rollup
from zhengwu.analytics.indicators import INDICATORS, format_value
from zhengwu.analytics.measures import MEASURES, records
from zhengwu.analytics.periods import parse_period
from zhengwu.applications import bundle_selectors
from zhengwu.applications import services as applications
from zhengwu.applications.models import (
    Application,
    ApplicationMaterial,
    BundleApplication,
    ClockPause,
    MaterialStatus,
    PauseKind,
    SupplementRequest,
)
from zhengwu.calendar.selectors import get_calendar
from zhengwu.licences import services as licences
from zhengwu.org.models import Hall, Window

TZ = ZoneInfo("Asia/Shanghai")
MAY = parse_period("2026-05")
FAMILY_MEASURES = [
    m for m in MEASURES.values() if m.source.key in ("application", "supplement", "application_material")
]
COUNTS = [m for m in FAMILY_MEASURES if m.counts_records]


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=TZ)


class Maker:
    def __init__(self) -> None:
        self.citizen = CitizenFactory()
        self.n = 0

    def application(self, item: Any, *, accepted: dt.datetime | None, **fields: Any) -> Application:
        self.n += 1
        values: dict[str, Any] = {
            "number": f"TJ{self.n:04d}",
            "query_code_hash": "-",
            "item": item,
            "item_version": 1,
            "department": item.department,
            "channel": "window",
            "applicant_kind": "person",
            "citizen": self.citizen,
            "applicant_name": self.citizen.name,
            "applicant_code": self.citizen.id_number,
            "contact_name": self.citizen.name,
            "contact_phone": "13900000000",
            "submitted_at": accepted or at(5, 20, 9),
            "accepted_at": accepted,
            "state": "accepted" if accepted else "submitted",
        }
        if fields.get("completed_at"):
            values["state"] = "completed"
        values.update(fields)
        if values.get("delivery_method") == "post":
            values.setdefault("postal_address", "示范市中原路1号")
        return Application.objects.create(**values)


def material(application: Application, use: Any, status: str, **fields: Any) -> ApplicationMaterial:
    return ApplicationMaterial.objects.create(
        application=application, item_material=use, name=use.material.name, status=status, **fields
    )


@pytest.fixture
def city(db) -> dict[str, Any]:
    """Four applications accepted in May 2026 and one never accepted:

    A1 market, window 1, accepted Thu 05-07 09:00, due 05-12 17:30, completed Mon 05-11 12:00: on
       time; 05-07, 05-08 and make-up Saturday 05-09 are 3 working days, Sunday rests, 05-11
       09:00–12:00 is 3 h = 3/7 → 3.43 working days (2.43 without the 调休 Saturday). Window
       intake + pickup: 2 trips. Materials: received, deferred (容缺), exempt by e-licence.
    A2 human resources, web, accepted Wed 05-06 09:00, due 05-08 17:30, completed Wed 05-13 09:00:
       overdue; 05-06, 05-07, 05-08, 05-09 (调休), 05-11, 05-12 = 6 working days, less the 补正
       pause 05-11 09:00 → 05-12 09:00 (1 day) = 5.00. Posted: 0 trips. Two 补正 notices (the
       second a 二次补正). Materials: received, exempt (no licence).
    A3 market, window, 即办件 at the window: accepted 05-12 10:00, completed 10:30, no due time:
       on time, 0.5 h / 7 h = 0.07 day; intake and pickup at one visit: 1 trip. Materials:
       received, not applicable.
    A4 human resources, mobile, accepted Thu 05-14 09:00, open; one 补正 notice on 05-15.
    A5 market, web, submitted, never accepted: counted nowhere.
    """
    market = DepartmentFactory(name="市场监督管理局")
    hr = DepartmentFactory(name="人力资源和社会保障局")
    item_m = ServiceItemFactory(name="食品经营许可", department=market)
    item_h = ServiceItemFactory(name="职业资格证书核发", department=hr)
    hall = Hall.objects.create(name="市民之家", region=market.region)
    window = Window.objects.create(hall=hall, number="1", name="综合受理", kind="comprehensive")
    uses_m = [ItemMaterialFactory(item=item_m, material=MaterialFactory()) for _ in range(3)]
    uses_h = [ItemMaterialFactory(item=item_h, material=MaterialFactory()) for _ in range(2)]
    issuer = DepartmentFactory(name="公安局")
    licences.make_seal(department=issuer, by=None)
    make = Maker()
    licence = licences.issue(
        by=None,
        licence_type=LicenceTypeFactory(name="居民身份证", defining_department=issuer),
        issuer=issuer,
        holder=licences.Holder.of(make.citizen),
        surface={"address": "示范市中原路1号"},
        issued_on=dt.date(2026, 1, 5),
    )

    a1 = make.application(
        item_m,
        accepted=at(5, 7, 9),
        window=window,
        due_at=at(5, 12, 17, 30),
        completed_at=at(5, 11, 12),
        delivery_method="pickup",
    )
    material(a1, uses_m[0], MaterialStatus.RECEIVED)
    material(a1, uses_m[1], MaterialStatus.DEFERRED, deferred_until=dt.date(2026, 5, 20), commitment="补交")
    material(a1, uses_m[2], MaterialStatus.EXEMPT, licence=licence)

    a2 = make.application(
        item_h,
        accepted=at(5, 6, 9),
        channel="web",
        due_at=at(5, 8, 17, 30),
        completed_at=at(5, 13, 9),
        delivery_method="post",
    )
    ClockPause.objects.create(
        application=a2, kind=PauseKind.SUPPLEMENT, started_at=at(5, 11, 9), ended_at=at(5, 12, 9)
    )
    SupplementRequest.objects.create(application=a2, round=1, items=[], issued_at=at(5, 6, 10))
    SupplementRequest.objects.create(application=a2, round=2, items=[], repeated=True, issued_at=at(5, 11, 9))
    material(a2, uses_h[0], MaterialStatus.RECEIVED)
    material(a2, uses_h[1], MaterialStatus.EXEMPT)

    a3 = make.application(
        item_m,
        accepted=at(5, 12, 10),
        window=window,
        on_the_spot=True,
        completed_at=at(5, 12, 10, 30),
        delivery_method="pickup",
    )
    material(a3, uses_m[0], MaterialStatus.RECEIVED)
    material(a3, uses_m[1], MaterialStatus.NOT_APPLICABLE, required=False)

    a4 = make.application(item_h, accepted=at(5, 14, 9), channel="mobile")
    SupplementRequest.objects.create(application=a4, round=1, items=[], issued_at=at(5, 15, 9))

    make.application(item_m, accepted=None, channel="web")
    # 办理用时 as the applications part stores it at 办结 (these records are made directly).
    for a in Application.objects.filter(completed_at__isnull=False):
        a.handling_days = applications.handling_days(a)
        a.save(update_fields=["handling_days"])
    rollup.rebuild()
    return {"market": market, "hr": hr, "window": window, "a1": a1}


def shown(key: str, sums: dict[str, int]) -> str:
    i = INDICATORS[key]
    return format_value(i, i.value(sums))


def test_the_calendar_knows_the_may_2026_make_up_saturday(db):
    cal = get_calendar()
    assert cal.is_working_day(dt.date(2026, 5, 9))  # Saturday, 调休上班
    assert not cal.is_working_day(dt.date(2026, 5, 10))
    assert not cal.is_working_day(dt.date(2026, 5, 5))  # Tuesday, 劳动节


def test_every_application_indicator_for_the_month(city):
    s = figures.sums(figures.measures_for(INDICATORS.values()), MAY.start, MAY.end)
    value = {k: INDICATORS[k].value(s) for k in INDICATORS if INDICATORS[k].family == "办件"}
    assert value["app_accepted"] == 4  # A1–A4
    assert value["app_completed"] == 3  # A1, A2, A3
    assert value["app_on_time_rate"] == Decimal("66.7")  # A1 and A3 (no due time) of 3
    assert value["app_overdue"] == 1  # A2, completed after its due time; A4 is open
    # (3.43 + 5.00 + 0.07) / 3 = 8.50 / 3 = 2.833…
    assert s["app_handling_days"] == 343 + 500 + 7
    assert value["app_handling_days"] == Decimal("2.83")
    assert value["app_on_the_spot_rate"] == Decimal("25.0")  # A3 of 4 accepted
    assert value["app_deferred"] == 1  # A1
    assert value["app_supplement_rate"] == Decimal("50.0")  # A2 and A4 of 4, A2 counted once
    assert figures.sums(["sup_notices"], MAY.start, MAY.end) == {"sup_notices": 3}
    assert value["sup_repeated"] == 1  # A2's second round
    assert value["app_online_rate"] == Decimal("50.0")  # A2 web, A4 mobile of 4
    assert value["app_trips"] == Decimal("1.00")  # (2 + 0 + 1) / 3 completed single applications
    assert s["mat_lines"] == 6  # A1 3 + A2 2 + A3 1 (the not-applicable one left out)
    assert value["mat_exempt"] == 2  # A1's and A2's
    assert value["mat_exempt_licence"] == 1  # A1's, by e-licence
    assert value["mat_exempt_rate"] == Decimal("33.3")  # 2 of 6
    assert shown("app_handling_days", s) == "2.83"
    assert shown("app_on_time_rate", s) == "66.7"


def test_working_days_cross_the_make_up_saturday(city):
    # Only A1 is completed on 05-11: 3 full working days (Sat 05-09 among them) + 3 h of 7.
    day = dt.date(2026, 5, 11)
    s = figures.sums(["app_handling_days", "app_completed"], day, day + dt.timedelta(days=1))
    assert s == {"app_handling_days": 343, "app_completed": 1}
    assert INDICATORS["app_handling_days"].value(s) == Decimal("3.43")


def _handling_row_by_row(fields: dict[str, Any]) -> int:
    """办理时长 as it was computed record by record before it was stored at 办结."""
    pauses = list(
        ClockPause.objects.filter(application_id=fields["id"], ended_at__isnull=False)
        .order_by("started_at")
        .values_list("started_at", "ended_at")
    )
    days = get_calendar().working_days_between(fields["accepted_at"], fields["completed_at"], pauses=pauses)
    return int(max(days, Decimal(0)) * 100)


def _trips_row_by_row(fields: dict[str, Any]) -> int:
    """跑动次数 as it was computed record by record: a window intake, and a pickup at the window
    unless handed over at that same visit."""
    at_window = fields["channel"] == "window"
    pickup = fields["delivery_method"] == "pickup"
    return int(at_window) + int(pickup and not (at_window and fields["on_the_spot"]))


def test_summed_columns_give_what_the_values_row_by_row_gave(city):
    """办理时长 and 跑动次数 are summed from a column (by the database on PostgreSQL); they give the
    figures the per-record Python values gave, less the keys of records that add nothing."""
    make = Maker()
    item = city["a1"].item
    for n, fields in enumerate(
        [
            {"channel": "web", "delivery_method": "pickup"},  # 1 trip: the pickup
            {"channel": "window", "window": city["window"], "delivery_method": "post"},  # 1: the intake
            {"channel": "mobile", "delivery_method": "post"},  # 0
        ]
    ):
        make.n = 100 + n
        a = make.application(item, accepted=at(5, 18, 9 + n), completed_at=at(5, 20, 15 - n), **fields)
        a.handling_days = applications.handling_days(a)
        a.save(update_fields=["handling_days"])
    by_value = [
        dataclasses.replace(
            MEASURES["app_handling_days"],
            key="app_handling_days",
            total="",
            value=_handling_row_by_row,
            value_fields=("id", "accepted_at", "completed_at"),
        ),
        dataclasses.replace(
            MEASURES["app_trips"],
            key="app_trips",
            total="",
            value=_trips_row_by_row,
            value_fields=("channel", "delivery_method", "on_the_spot"),
        ),
    ]
    by_total = [MEASURES["app_handling_days"], MEASURES["app_trips"]]
    assert all(m.total and m.value is None for m in by_total)
    summed = dict(rollup.extract(by_total, MAY.start, MAY.end))
    row_by_row = {k: v for k, v in rollup.extract(by_value, MAY.start, MAY.end).items() if v}
    assert summed == row_by_row
    assert summed[(dt.date(2026, 5, 20), "app_trips", item.department_id, "", "")] == 2
    assert sum(
        v for k, v in summed.items() if k[1] == "app_handling_days" and k[3] == ""
    ) == 343 + 500 + 7 + (
        sum(int(a.handling_days * 100) for a in Application.objects.filter(number__startswith="TJ01"))
    )


def test_a_measure_has_a_total_or_a_value_not_both():
    from zhengwu.analytics.measures import register

    both = dataclasses.replace(MEASURES["app_trips"], key="test_both", value=_trips_row_by_row)
    with pytest.raises(ValueError, match="not both"):
        register(both)
    assert "test_both" not in MEASURES


def test_by_department_and_by_channel(city):
    market, hr = city["market"], city["hr"]
    inds = [
        INDICATORS[k] for k in ("app_accepted", "app_on_time_rate", "app_handling_days", "app_online_rate")
    ]
    rows = {k: (v, s) for k, _label, v, s in figures.table(inds, MAY, "department")}
    # market: A1 and A3 accepted, both on time, (3.43 + 0.07) / 2 = 1.75, none online
    assert rows[str(market.pk)][0] == {
        "app_accepted": 2,
        "app_on_time_rate": Decimal("100.0"),
        "app_handling_days": Decimal("1.75"),
        "app_online_rate": Decimal("0.0"),
    }
    # human resources: A2 and A4, A2 late, 5.00 days, both online
    assert rows[str(hr.pk)][0] == {
        "app_accepted": 2,
        "app_on_time_rate": Decimal("0.0"),
        "app_handling_days": Decimal("5.00"),
        "app_online_rate": Decimal("100.0"),
    }
    by_channel = figures.breakdown(["app_accepted"], MAY.start, MAY.end, "channel")
    assert by_channel == {
        "window": {"app_accepted": 2},
        "web": {"app_accepted": 1},
        "mobile": {"app_accepted": 1},
    }
    by_window = figures.breakdown(["app_trips", "app_completed"], MAY.start, MAY.end, "window")
    assert by_window == {str(city["window"].pk): {"app_trips": 3, "app_completed": 2}}


def test_a_rate_or_average_with_nothing_to_divide_by_has_no_value(city):
    june = parse_period("2026-06")
    s = figures.sums(figures.measures_for(INDICATORS.values()), june.start, june.end)
    for key in ("app_on_time_rate", "app_handling_days", "app_online_rate", "app_trips", "mat_exempt_rate"):
        assert INDICATORS[key].value(s) is None, key
        assert shown(key, s) == "—"
    assert INDICATORS["app_accepted"].value(s) == 0
    # April is before the data: the comparison has no value rather than a zero.
    (compared,) = figures.compare([INDICATORS["app_accepted"]], MAY)
    assert (compared.current, compared.previous) == (4, None)


@pytest.mark.parametrize("measure", [m.key for m in COUNTS])
def test_each_count_is_the_number_of_its_records(city, measure):
    m = MEASURES[measure]
    market = city["market"]
    total = figures.sums([measure], MAY.start, MAY.end).get(measure, 0)
    assert records(m, MAY.start, MAY.end).count() == total
    mine = figures.sums([measure], MAY.start, MAY.end, department_ids=[market.pk]).get(measure, 0)
    assert records(m, MAY.start, MAY.end, department_ids=[market.pk]).count() == mine
    by = figures.sums([measure], MAY.start, MAY.end, dim="channel", key="window").get(measure, 0)
    assert records(m, MAY.start, MAY.end, dim="channel", key="window").count() == by
    assert total > 0


def test_the_counts_drill_down_to_the_right_records(city):
    m = MEASURES["app_overdue"]
    assert list(records(m, MAY.start, MAY.end).values_list("number", flat=True)) == ["TJ0002"]
    deferred = records(MEASURES["app_deferred"], MAY.start, MAY.end)
    assert list(deferred.values_list("number", flat=True)) == ["TJ0001"]
    # What the drill-down list shows: the matter and its page, never the applicant's name.
    (overdue,) = records(m, MAY.start, MAY.end)
    assert m.source.describe is not None
    assert m.source.describe(overdue) == (
        "TJ0002",
        "职业资格证书核发（已办结待出件）",
        "/applications/TJ0002/",
    )
    exempt = MEASURES["mat_exempt_licence"]
    (row,) = records(exempt, MAY.start, MAY.end)
    assert exempt.source.describe is not None
    number, title, url = exempt.source.describe(row)
    assert (number, url) == ("TJ0001", "/applications/TJ0001/")
    assert title.endswith("（免提交）：食品经营许可")


# ---------------------------------------------------------------------------------------------
# 一件事 realised savings
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def bundles(db) -> dict[str, Any]:
    """Two applications of one bundle (lead: market), both completed on Wed 05-20:

    P1 window, pickup: accepted Mon 05-18 09:00, completed 05-20 09:00 = 2.00 working days, 2 trips.
       C1 (item_m, 1 trip) 05-18 09:00 → 05-19 09:00 = 1.00; C2 (item_h, 2 trips) → 05-20 09:00 =
       2.00. Materials: C1 the ID card and a plan, C2 the ID card again: 3 lines, 2 handed in.
    P2 web, posted: accepted Tue 05-19 09:00, completed 05-20 10:00 = 1 + 1/7 = 1.14, 0 trips.
       C3 (item_m, 1 trip) the same 1.14. Materials: C3 the ID card: 1 line, 1 handed in.

    trips     items 1 + 2 + 1 = 4, bundle 2 + 0 = 2 → saved 2, 50.0 %
    materials items 3 + 1 = 4, bundle 2 + 1 = 3 → saved 1, 25.0 %
    time      items 1.00 + 2.00 + 1.14 = 4.14, bundle 2.00 + 1.14 = 3.14 → saved 1.00, 24.2 %
    """
    market = DepartmentFactory(name="市场监督管理局")
    hr = DepartmentFactory(name="人力资源和社会保障局")
    item_m = ServiceItemFactory(department=market, trips=1)
    item_h = ServiceItemFactory(department=hr, trips=2)
    bundle = bundle_of(item_m, item_h, lead_department=market)
    id_card = MaterialFactory(name="居民身份证")
    m_id = ItemMaterialFactory(item=item_m, material=id_card)
    m_plan = ItemMaterialFactory(item=item_m, material=MaterialFactory(name="平面图"))
    h_id = ItemMaterialFactory(item=item_h, material=id_card)
    make = Maker()

    def parent(n: int, channel: str, delivery: str, accepted: dt.datetime, completed: dt.datetime) -> Any:
        return BundleApplication.objects.create(
            number=f"YJ{n}",
            query_code_hash="-",
            bundle=bundle,
            channel=channel,
            applicant_kind="person",
            citizen=make.citizen,
            applicant_name=make.citizen.name,
            applicant_code=make.citizen.id_number,
            contact_name=make.citizen.name,
            contact_phone="13900000000",
            delivery_method=delivery,
            postal_address="示范市中原路1号" if delivery == "post" else "",
            state="delivered",
            submitted_at=accepted,
            accepted_at=accepted,
            completed_at=completed,
        )

    p1 = parent(1, "window", "pickup", at(5, 18, 9), at(5, 20, 9))
    c1 = make.application(item_m, accepted=at(5, 18, 9), completed_at=at(5, 19, 9), bundle_application=p1)
    c2 = make.application(item_h, accepted=at(5, 18, 9), completed_at=at(5, 20, 9), bundle_application=p1)
    material(c1, m_id, MaterialStatus.RECEIVED)
    material(c1, m_plan, MaterialStatus.RECEIVED)
    material(c2, h_id, MaterialStatus.RECEIVED)
    p2 = parent(2, "web", "post", at(5, 19, 9), at(5, 20, 10))
    c3 = make.application(
        item_m, accepted=at(5, 19, 9), completed_at=at(5, 20, 10), bundle_application=p2, channel="web"
    )
    material(c3, m_id, MaterialStatus.RECEIVED)
    rollup.rebuild()
    return {"bundle": bundle, "market": market, "hr": hr}


def test_bundle_savings_by_hand_and_as_the_bundle_pages_count_them(bundles):
    keys = [
        "bundle_completed",
        "bundle_trips_saved",
        "bundle_trips_rate",
        "bundle_materials_saved",
        "bundle_materials_rate",
        "bundle_time_saved",
        "bundle_time_rate",
    ]
    inds = [INDICATORS[k] for k in keys]
    s = figures.sums(figures.measures_for(inds), MAY.start, MAY.end)
    assert {k: INDICATORS[k].value(s) for k in keys} == {
        "bundle_completed": 2,
        "bundle_trips_saved": 2,
        "bundle_trips_rate": Decimal("50.0"),
        "bundle_materials_saved": 1,
        "bundle_materials_rate": Decimal("25.0"),
        "bundle_time_saved": Decimal("1.00"),
        "bundle_time_rate": Decimal("24.2"),
    }
    assert (s["bundle_trips_items"], s["bundle_materials_items"], s["bundle_time_items"]) == (4, 4, 414)
    # The same figures as the bundle pages' own selector.
    real = bundle_selectors.realised_savings(start=dt.date(2026, 5, 1), end=dt.date(2026, 5, 31))
    assert (real.bundle_count, real.trips.saved, real.materials.saved, real.time.saved) == (
        2,
        2,
        1,
        Decimal("1.00"),
    )
    # By bundle and by department: the lead department holds them, no other.
    assert figures.sums(
        ["bundle_trips_saved"], MAY.start, MAY.end, dim="bundle", key=str(bundles["bundle"].pk)
    ) == {"bundle_trips_saved": 2}
    assert figures.sums(["bundle_trips_saved"], MAY.start, MAY.end, department_ids=[bundles["hr"].pk]) == {}
    assert records(MEASURES["bundle_completed"], MAY.start, MAY.end).count() == 2
    # Applications inside a bundle are not single applications: no trips of their own to average.
    assert (
        INDICATORS["app_trips"].value(
            s | figures.sums(["app_trips", "app_completed_single"], MAY.start, MAY.end)
        )
        is None
    )
    assert figures.sums(
        ["app_completed"], MAY.start, MAY.end, dim="bundle", key=str(bundles["bundle"].pk)
    ) == {"app_completed": 3}


def _figures() -> set[tuple[Any, ...]]:
    from zhengwu.analytics.models import DailyFigure

    return set(DailyFigure.objects.values_list("day", "measure", "department_id", "dim", "key", "value"))


def test_the_incremental_roll_up_follows_changes_as_a_rebuild_would(city, time_machine):
    from django.utils import timezone

    # Two hours on, so that only what changes now is new to the incremental run.
    time_machine.move_to(at(6, 10, 12), tick=True)
    a4 = Application.objects.get(number="TJ0004")
    now = timezone.now()
    SupplementRequest.objects.create(application=a4, round=2, items=[], repeated=True, issued_at=now)
    a4.completed_at, a4.state = now, "completed"
    a4.save()
    before = _figures()
    rollup.update()
    incremental = _figures()
    assert incremental != before
    rollup.rebuild()
    assert _figures() == incremental
    today = timezone.localdate()
    s = figures.sums(["sup_repeated", "app_completed", "app_overdue"], today, today + dt.timedelta(days=1))
    assert s == {"sup_repeated": 1, "app_completed": 1}  # A4 had no due time
    may = figures.sums(["app_supplemented", "app_accepted"], MAY.start, MAY.end)
    assert may == {"app_supplemented": 2, "app_accepted": 4}  # A4 still counted once
