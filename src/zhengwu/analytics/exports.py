"""Excel of the statistics pages, as shown: a breakdown table (one row per department, region,
window, … with each indicator; rates as percentages) and the records behind a figure. Written
through core.excel (Chinese headers, frozen header row, no formula injection)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from zhengwu.core.excel import Column, ExcelWriter, Sheet

from .indicators import Indicator

PERCENT = "0.0%"
INTEGER = "#,##0"
DECIMAL = "#,##0.0"


def _append(sheet: Sheet, values: Sequence[Any], formats: Sequence[str | None]) -> None:
    """A row whose numbers carry a number format (core.excel's rows carry none)."""
    cells = []
    for value, fmt, column in zip(values, formats, [*sheet._columns, *[None] * len(values)], strict=False):
        cell = sheet._cell(value, column)
        if fmt and isinstance(value, int | float | Decimal):
            cell.number_format = fmt
        cells.append(cell)
    sheet._ws.append(cells)
    sheet.rows += 1


def _number(ind: Indicator, value: Decimal | None) -> tuple[Any, str | None]:
    """The cell value and format of an indicator: a rate as a fraction shown as a percentage."""
    if value is None:
        return "—", None
    if ind.kind == "rate":
        return float(value / 100), PERCENT
    if value == value.to_integral_value() and ind.kind == "count":
        return int(value), INTEGER
    return float(value), DECIMAL


def table_xlsx(
    inds: Sequence[Indicator],
    rows: Iterable[tuple[str, str, dict[str, Decimal | None], dict[str, int]]],
    *,
    by_label: str,
    title: str,
) -> bytes:
    """A breakdown table: the row's name, then each indicator (unit in the header)."""
    writer = ExcelWriter()
    columns = [Column(by_label, 30)] + [Column(f"{i.name}（{i.unit}）", 14) for i in inds]
    sheet = writer.sheet("统计表", columns, notes=[title])
    for _key, label, vals, _sums in rows:
        cells: list[Any] = [label]
        formats: list[str | None] = [None]
        for i in inds:
            v, f = _number(i, vals.get(i.key))
            cells.append(v)
            formats.append(f)
        _append(sheet, cells, formats)
    return writer.to_bytes()


RECORD_COLUMNS = [
    Column("编号", 24, text=True),
    Column("名称", 40),
    Column("部门", 30),
    Column("时间", 20),
    Column("数值", 12),
]


def records_xlsx(rows: Iterable[dict[str, Any]], *, title: str, unit: str = "") -> bytes:
    """The records behind a figure: 编号, 名称, 部门, 时间 (and the value a sum adds up)."""
    writer = ExcelWriter()
    columns = RECORD_COLUMNS if unit else RECORD_COLUMNS[:4]
    if unit:
        columns = [*RECORD_COLUMNS[:4], Column(f"数值（{unit}）", 12)]
    sheet = writer.sheet("明细", columns, notes=[title], auto_filter=True)
    for r in rows:
        cells: list[Any] = [r["number"], r["title"], r["department"], r["at_text"]]
        formats: list[str | None] = [None, None, None, None]
        if unit:
            cells.append(r.get("value"))
            formats.append(DECIMAL)
        _append(sheet, cells, formats)
    return writer.to_bytes()
