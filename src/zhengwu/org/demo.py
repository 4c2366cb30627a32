"""示范市: the regions, departments and hall of the demo city. Idempotent: rows are found by
their codes and updated, never duplicated."""

from __future__ import annotations

from stdnum.cn import uscc

from .models import Department, Hall, Level, Region, Window, WindowKind

CITY = ("410200", "示范市")
COUNTIES = [("410202", "东城区"), ("410203", "西湖区"), ("410221", "南山县")]
TOWNS = ["城关街道", "新华街道", "和平镇"]
VILLAGES = ["第一社区", "第二社区", "幸福村"]

# Bodies the appeals desk and supervision need beside the catalogue's departments.
EXTRA_DEPARTMENTS = [
    ("hotline", "示范市12345政务服务便民热线中心"),
    ("discipline", "中共示范市纪律检查委员会 示范市监察委员会"),
]
COUNTY_DEPARTMENTS = ["行政审批服务局", "市场监督管理局", "住房和城乡建设局"]

WINDOWS = [
    *[(f"A{n:02d}", f"综合受理{n}号窗口", WindowKind.COMPREHENSIVE) for n in range(1, 9)],
    ("B01", "出件窗口", WindowKind.DELIVERY),
    ("B02", "邮寄出件窗口", WindowKind.DELIVERY),
    ("C01", "有诉即办专区", WindowKind.APPEALS),
    ("C02", "帮办代办窗口", WindowKind.ASSISTED),
    ("C03", "万人助万企窗口", WindowKind.ENTERPRISE),
    ("C04", "办不成事反映窗口", WindowKind.SUPERVISION),
    ("C05", "咨询导办台", WindowKind.CONSULTATION),
]


def government_uscc(region_code: str, serial: int) -> str:
    """A structurally valid USCC for a government body: 1 (机构编制) 1 (机关) + region + serial."""
    body = f"11{region_code}{serial:09d}"
    return body + uscc.calc_check_digit(body)


def load_demo_regions() -> dict[str, Region]:
    city, _ = Region.objects.update_or_create(code=CITY[0], defaults={"name": CITY[1], "level": Level.CITY})
    regions = {"city": city}
    for c_code, c_name in COUNTIES:
        county, _ = Region.objects.update_or_create(
            code=c_code, defaults={"name": c_name, "level": Level.COUNTY, "parent": city}
        )
        regions[c_code] = county
        for t, t_name in enumerate(TOWNS, start=1):
            town_code = f"{c_code}{t:03d}"
            town, _ = Region.objects.update_or_create(
                code=town_code, defaults={"name": f"{c_name}{t_name}", "level": Level.TOWN, "parent": county}
            )
            for v, v_name in enumerate(VILLAGES, start=1):
                Region.objects.update_or_create(
                    code=f"{town_code}{v:03d}",
                    defaults={"name": v_name, "level": Level.VILLAGE, "parent": town},
                )
    return regions


def load_demo_departments(
    city: Region, catalogue_departments: list[tuple[str, str]]
) -> dict[str, Department]:
    departments: dict[str, Department] = {}
    for serial, (key, name) in enumerate([*catalogue_departments, *EXTRA_DEPARTMENTS], start=1):
        departments[key], _ = Department.objects.update_or_create(
            uscc=government_uscc(city.code, serial),
            defaults={"name": name, "region": city, "short_name": key, "phone": f"0371-2{serial:03d}0000"},
        )
    for c_index, (c_code, c_name) in enumerate(COUNTIES, start=1):
        county = Region.objects.get(code=c_code)
        for d_index, suffix in enumerate(COUNTY_DEPARTMENTS, start=1):
            key = f"{c_code}_{d_index}"
            departments[key], _ = Department.objects.update_or_create(
                uscc=government_uscc(c_code, 100 * c_index + d_index),
                defaults={"name": f"{CITY[1]}{c_name}{suffix}", "region": county, "short_name": key},
            )
    return departments


def load_demo_hall(city: Region, departments: dict[str, Department]) -> Hall:
    hall, _ = Hall.objects.update_or_create(
        name="示范市政务服务中心", defaults={"region": city, "address": "示范市东城区政务大道1号"}
    )
    for number, name, kind in WINDOWS:
        Window.objects.update_or_create(
            hall=hall,
            number=number,
            defaults={"name": name, "kind": kind, "department": departments.get("admin_approval")},
        )
    return hall
