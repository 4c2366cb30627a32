"""Display names of breakdown keys: one query per dimension for a page's keys."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from zhengwu.appeals.models import AppealType, Category
from zhengwu.appeals.models import Channel as AppealChannel
from zhengwu.applications.models import Channel as ApplicationChannel
from zhengwu.catalog.models import Bundle, ServiceItem
from zhengwu.hall.models import TicketSource
from zhengwu.org.models import Department, Region, Window
from zhengwu.ratings.models import RatingChannel

UNASSIGNED = "未归属部门"
CITY_LEVEL = "市级（市直部门）"


def _ids(keys: list[str]) -> list[int]:
    return [int(k) for k in keys if k.isdigit()]


def labels_for(by: str, keys: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    rows: Any = ()
    if by == "department":
        if "0" in keys:
            out["0"] = UNASSIGNED
        rows = Department.objects.filter(pk__in=_ids(keys)).values_list("pk", "name")
    elif by == "region":
        if "city" in keys:
            out["city"] = CITY_LEVEL
        rows = Region.objects.filter(pk__in=_ids(keys)).values_list("pk", "name")
    elif by == "window":
        rows = [
            (pk, f"{number}号窗口 {name}")
            for pk, number, name in Window.objects.filter(pk__in=_ids(keys)).values_list(
                "pk", "number", "name"
            )
        ]
    elif by == "staff":
        rows = [(u.pk, u.display_name) for u in get_user_model().objects.filter(pk__in=_ids(keys))]
    elif by == "item":
        rows = ServiceItem.objects.filter(pk__in=_ids(keys)).values_list("pk", "name")
    elif by == "bundle":
        rows = Bundle.objects.filter(pk__in=_ids(keys)).values_list("pk", "name")
    elif by == "category":
        rows = Category.objects.filter(pk__in=_ids(keys)).values_list("pk", "name")
    elif by == "channel":
        # Keys shared by several parts (web, mobile, window, kiosk) read as the applications' names.
        names = {
            **dict(TicketSource.choices),
            **dict(RatingChannel.choices),
            **dict(AppealChannel.choices),
            **dict(ApplicationChannel.choices),
        }
        rows = [(k, names.get(k, k)) for k in keys]
    elif by == "type":
        rows = [(k, dict(AppealType.choices).get(k, k)) for k in keys]
    for pk, name in rows:
        out[str(pk)] = name
    return {k: out.get(k, k) for k in keys}
