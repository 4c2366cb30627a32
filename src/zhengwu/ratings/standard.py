"""GB/T 39046 表9 (评价信息) export: the ratings of a period as the standard's records, in Excel
and JSON, for the platform's exchange with the provincial and national 好差评 systems.

Each record carries the standard's data items: 办件编号, 评价渠道 (its code, ``CHANNEL_CODES``),
评价人 (empty for an anonymous rating), 评价时间, 评价次数, 满意度代码 (A.8: 1 非常满意 … 5 非常不满意),
评价内容, 行政区划代码, and the dimension scores (online: 办事效率, 办事指南精确度, 办事便捷度,
平台操作性; on site: 服务效率, 服务水平, 服务态度), each as a 满意度代码 or empty when not rated. Excluded
ratings (an upheld 申诉) are exported too — they are on record — with 是否计入统计 = 0.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from zhengwu.core.excel import Column, ExcelWriter

from .figures import Period, in_period
from .models import CHANNEL_CODES, ONLINE_DIMENSIONS, ONSITE_DIMENSIONS, Level, Rating, RatingChannel

MAX_ROWS = 200_000
DIMENSIONS = {**ONLINE_DIMENSIONS, **ONSITE_DIMENSIONS}

# (key in JSON, the standard's name, width in Excel, text column)
FIELDS: tuple[tuple[str, str, int, bool], ...] = (
    ("projectNo", "办件编号", 24, True),
    ("channelCode", "评价渠道", 8, True),
    ("channelName", "评价渠道名称", 16, False),
    ("raterName", "评价人", 12, False),
    ("realName", "是否实名", 8, True),
    ("assessTime", "评价时间", 20, True),
    ("assessNumber", "评价次数", 8, False),
    ("satisfactionCode", "满意度代码", 10, True),
    ("satisfaction", "满意度", 10, False),
    ("content", "评价内容", 40, False),
    ("areaCode", "行政区划代码", 14, True),
    ("deptName", "办理部门", 22, False),
    ("deptCode", "办理部门统一社会信用代码", 20, True),
    ("itemCode", "事项实施编码", 32, True),
    ("itemName", "事项名称", 24, False),
    ("windowName", "窗口", 16, False),
    *((f"score_{key}", label, 10, True) for key, label in DIMENSIONS.items()),
    ("counted", "是否计入统计", 10, True),
)


def ratings_for_export(
    ratings: QuerySet[Rating], period: Period, *, department: int | None = None
) -> QuerySet[Rating]:
    qs = in_period(period, ratings)
    if department is not None:
        qs = qs.filter(department_id=department)
    return qs.select_related("department", "region", "item", "window").order_by("rated_at", "id")


def record(r: Rating) -> dict[str, Any]:
    """One rating as a GB/T 39046 表9 record (codes as strings, as the standard's C/N types)."""
    scores = r.scores or {}
    anonymous = not r.real_name
    out: dict[str, Any] = {
        "projectNo": r.matter_number,
        "channelCode": CHANNEL_CODES[RatingChannel(r.channel)],
        "channelName": r.get_channel_display(),
        "raterName": "" if anonymous else r.rater_name,
        "realName": "0" if anonymous else "1",
        "assessTime": timezone.localtime(r.rated_at).strftime("%Y-%m-%d %H:%M:%S"),
        "assessNumber": r.round,
        "satisfactionCode": str(r.level),
        "satisfaction": Level(r.level).label,
        "content": r.text,
        "areaCode": r.region.code if r.region is not None else r.department.region.code,
        "deptName": r.department.name,
        "deptCode": r.department.uscc,
        "itemCode": r.item.implementation_code if r.item is not None else "",
        "itemName": r.item.name if r.item is not None else "",
        "windowName": str(r.window) if r.window_id else "",
    }
    for key in DIMENSIONS:
        value = scores.get(key)
        out[f"score_{key}"] = str(value) if value else ""
    out["counted"] = "0" if r.excluded else "1"
    return out


def records(qs: QuerySet[Rating]) -> Iterator[dict[str, Any]]:
    for r in qs.select_related("department__region")[:MAX_ROWS].iterator(chunk_size=1000):
        yield record(r)


def as_json(qs: QuerySet[Rating], period: Period) -> dict[str, Any]:
    rows = list(records(qs))
    return {
        "standard": "GB/T 39046-2020 表9 评价信息",
        "period": period.value,
        "field_names": {key: name for key, name, _, _ in FIELDS},
        "count": len(rows),
        "truncated": len(rows) >= MAX_ROWS,
        "records": rows,
    }


def as_xlsx(qs: QuerySet[Rating], period: Period) -> bytes:
    wb = ExcelWriter()
    columns = tuple(Column(name, width, text=text) for _, name, width, text in FIELDS)
    sheet = wb.sheet("评价信息", columns, auto_filter=True)
    count = 0
    for row in records(qs):
        count += 1
        sheet.append([row[key] for key, _, _, _ in FIELDS])
    if count >= MAX_ROWS:
        sheet.note(f"仅导出前 {MAX_ROWS} 条，请按部门分批导出")
    return wb.to_bytes()
