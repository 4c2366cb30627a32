"""The one way Zhengwu writes Excel (.xlsx). Every export goes through ``ExcelWriter`` so that two
promises hold for every file, present and future:

* no control character reaches the file. XML 1.0 forbids most of C0 (openpyxl raises
  ``IllegalCharacterError`` on them, which used to turn an export into a 500 for everyone who
  could see one bad row); they are removed, as at intake (``core.text``).
* no text cell is ever evaluated. A text beginning with ``=``, ``+``, ``-``, ``@``, a tab or a
  carriage return is what Excel and other spreadsheets read as a formula (OWASP "CSV injection");
  such a cell is written as a string (``t="s"``, never ``<f>``) with the quotePrefix style — the
  apostrophe Excel itself puts in front of text typed as "'=…" — so it shows the text as typed and
  stays text when someone edits the cell. The value itself is not changed.

Sheets are streamed (write-only workbook): rows are written as they come, so a large export does
not hold every cell in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from django.http import FileResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from .text import strip_control_characters

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# What a spreadsheet may take for the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel keeps at most this many characters in a cell.
MAX_CELL_CHARS = 32_767

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="EEF1F5")
HEADER_ALIGNMENT = Alignment(vertical="center")


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


@dataclass(frozen=True)
class Column:
    """A column: its header, its width in characters, and whether it holds codes that must stay
    text (a 事项类型 "01" keeps its zero when the file is edited and imported back)."""

    header: str
    width: int = 12
    text: bool = False


def _columns(columns: Sequence[Column | tuple[str, int]]) -> list[Column]:
    return [c if isinstance(c, Column) else Column(c[0], c[1]) for c in columns]


class Sheet:
    """One worksheet of an ``ExcelWriter``; ``append`` a row of values in column order."""

    def __init__(self, ws: WriteOnlyWorksheet, columns: Sequence[Column]) -> None:
        self._ws = ws
        self._columns = list(columns)
        self.rows = 0

    def _cell(self, value: Any, column: Column | None) -> WriteOnlyCell:
        if isinstance(value, str):
            text = strip_control_characters(value)[:MAX_CELL_CHARS]
            cell = WriteOnlyCell(self._ws, value=text)
            cell.data_type = "s"  # openpyxl would make "=…" a formula; a text cell is text
            if looks_like_formula(text):
                cell.quotePrefix = True
        else:
            cell = WriteOnlyCell(self._ws, value=value)
        if column is not None and column.text:
            cell.number_format = "@"
        return cell

    def append(self, values: Sequence[Any]) -> None:
        columns: list[Column | None] = [*self._columns]
        columns += [None] * (len(values) - len(columns))
        self._ws.append([self._cell(v, c) for v, c in zip(values, columns, strict=False)])
        self.rows += 1

    def note(self, text: str) -> None:
        """A row with one cell of text (a title above the headers, or "only the first N rows")."""
        self._ws.append([self._cell(text, None)])
        self.rows += 1

    def header(self) -> None:
        cells = []
        for column in self._columns:
            cell = self._cell(column.header, None)
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
            cell.alignment = HEADER_ALIGNMENT
            cells.append(cell)
        self._ws.append(cells)
        self.rows += 1

    def filter_from(self, header_row: int) -> None:
        """Put an auto-filter on the table whose headers are on ``header_row`` (1-based)."""
        last = get_column_letter(max(len(self._columns), 1))
        self._ws.auto_filter.ref = f"A{header_row}:{last}{max(self.rows, header_row)}"


class ExcelWriter:
    """A workbook of streamed sheets; ``to_bytes`` once every sheet is written."""

    def __init__(self) -> None:
        self._workbook = Workbook(write_only=True)
        self._filters: list[tuple[Sheet, int]] = []

    def sheet(
        self,
        title: str,
        columns: Sequence[Column | tuple[str, int]],
        *,
        notes: Iterable[str] = (),
        header: bool = True,
        auto_filter: bool = False,
    ) -> Sheet:
        """A new sheet with its column widths, any ``notes`` rows, then the header row (frozen)."""
        cols = _columns(columns)
        ws: WriteOnlyWorksheet = self._workbook.create_sheet(strip_control_characters(title)[:31])
        for index, column in enumerate(cols, start=1):
            ws.column_dimensions[get_column_letter(index)].width = column.width
        notes = list(notes)
        if header:  # a streamed sheet writes its view before the first row
            ws.freeze_panes = f"A{len(notes) + 2}"
        sheet = Sheet(ws, cols)
        for text in notes:
            sheet.note(text)
        if header:
            sheet.header()
            if auto_filter:
                self._filters.append((sheet, sheet.rows))
        return sheet

    def to_bytes(self) -> bytes:
        for sheet, header_row in self._filters:
            sheet.filter_from(header_row)
        out = BytesIO()
        self._workbook.save(out)
        return out.getvalue()


def xlsx_response(data: bytes, filename: str) -> FileResponse:
    """The workbook as a download named ``filename``."""
    return FileResponse(BytesIO(data), as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
