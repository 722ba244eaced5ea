"""Engine "xml2003": Excel's XML Spreadsheet 2003, parsed with defusedxml (no DTD, no entities)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from ketnghia_analysis.core.limits import Limits
from ketnghia_analysis.reading.cells.errors import error_text
from ketnghia_analysis.reading.cells.guards import box_excess, guarded
from ketnghia_analysis.reading.cells.model import Sheet, Workbook
from ketnghia_analysis.reading.cells.package import parse_iso

__all__ = ["read"]

_SS = "{urn:schemas-microsoft-com:office:spreadsheet}"
_XL = "{urn:schemas-microsoft-com:office:excel}"


def read(path: Path, data: bytes, fmt: str, limits: Limits) -> Workbook:
    """Every <Worksheet> as a sheet, with merges, hidden rows/columns and formula cells."""
    return guarded("Bộ đọc XML 2003", _read_xml2003, path, data, limits)


def _read_xml2003(path: Path, data: bytes, limits: Limits) -> Workbook:
    from defusedxml.ElementTree import iterparse

    builder = _Builder(limits)
    for event, el in iterparse(io.BytesIO(data), events=("start", "end")):
        builder.event(event, el)
    notes = ["Tệp là bảng tính XML của Excel 2003 (thường do phần mềm web xuất ra với đuôi .xls)."]
    return Workbook(path, "xml2003", builder.sheets, None, "xml2003", notes, builder.refused)


def _ss_int(el: Any, name: str, default: int) -> int:
    """An integer ss: attribute of an element, `default` when absent or malformed."""
    try:
        return int(el.get(_SS + name, default))
    except (TypeError, ValueError):
        return default


def _ss_value(kind: str | None, text: str) -> object:
    """A typed value of an XML Spreadsheet 2003 <Data ss:Type=...> element.

    >>> _ss_value("Number", "1200"), _ss_value("DateTime", "2023-12-15T00:00:00.000")
    (1200.0, datetime.date(2023, 12, 15))
    >>> _ss_value("String", ""), _ss_value("Boolean", "1"), _ss_value("Error", "#DIV/0!")
    (None, True, '#DIV/0!')
    """
    if kind == "Number":
        try:
            return float(text)
        except ValueError:
            return text or None
    if kind == "DateTime":
        value = parse_iso(text)
        if value is not None and value.time() == datetime.min.time():
            return value.date()
        return value or text or None
    if kind == "Boolean":
        return text.strip() in ("1", "true", "TRUE")
    if kind == "Error":
        return error_text(text)
    return text or None


class _Builder:
    """Sheets built from the parser's start and end events, one handler per element.

    The position state (row, column) follows Excel's rule: an element without
    ss:Index comes right after the previous one. A worksheet whose cells reach beyond the
    limits stops keeping values at that cell and is left out (`refused`, with why).
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.sheets: list[Sheet] = []
        self.refused: list[tuple[str, str]] = []
        self.why: str | None = None  # why the current worksheet is beyond the limits
        self.sheet: Sheet | None = None
        self.cells: dict[tuple[int, int], object] = {}
        self.row = self.col = -1
        self.n_rows = self.n_cols = 0
        self.cell_pos = (0, 0)
        self.in_comment = False
        self.on_start: dict[str, Callable[[Any, Sheet], None]] = {
            _SS + "Column": self.start_column,
            _SS + "Row": self.start_row,
            _SS + "Cell": self.start_cell,
            _SS + "Comment": self.start_comment,
        }
        self.on_end: dict[str, Callable[[Any, Sheet], None]] = {
            _SS + "Data": self.end_data,
            _SS + "Comment": self.end_comment,
            _SS + "Cell": self.end_cell,
            _XL + "Visible": self.end_visible,
            _SS + "Worksheet": self.end_worksheet,
        }

    def event(self, event: str, el: Any) -> None:
        """Hand one parser event to its handler; outside a worksheet only a new one counts."""
        if event == "start" and el.tag == _SS + "Worksheet":
            self.start_worksheet(el)
            return
        handlers = self.on_start if event == "start" else self.on_end
        handler = handlers.get(el.tag)
        if self.sheet is not None and handler is not None:
            handler(el, self.sheet)

    def start_worksheet(self, el: Any) -> None:
        name = el.get(_SS + "Name") or f"Sheet{len(self.sheets) + 1}"
        self.sheet = Sheet(name, len(self.sheets), True, [])
        self.cells, self.row, self.n_rows, self.n_cols = {}, -1, 0, 0
        self.why = None

    def start_column(self, el: Any, sheet: Sheet) -> None:
        idx = _ss_int(el, "Index", 0)
        self.col = idx - 1 if idx else self.col + 1
        span = max(0, _ss_int(el, "Span", 0))
        if el.get(_SS + "Hidden") in ("1", "true"):
            stop = min(self.col + span + 1, self.limits.max_cols + 1)
            sheet.hidden_cols.update(range(self.col, stop))
        self.col += span

    def start_row(self, el: Any, sheet: Sheet) -> None:
        idx = _ss_int(el, "Index", 0)
        self.row = idx - 1 if idx else self.row + 1
        self.col = -1
        if el.get(_SS + "Hidden") in ("1", "true"):
            sheet.hidden_rows.add(self.row)

    def start_cell(self, el: Any, sheet: Sheet) -> None:
        """A cell: its position, merge (MergeAcross/MergeDown) and formula flag."""
        if self.why is not None:
            return  # the sheet is left out: nothing more of it is kept
        idx = _ss_int(el, "Index", 0)
        row, col = self.row, idx - 1 if idx else self.col + 1
        across = max(0, _ss_int(el, "MergeAcross", 0))
        down = max(0, _ss_int(el, "MergeDown", 0))
        if across or down:
            sheet.merged.append((row, col, row + down, col + across))
        self.n_rows, self.n_cols = (
            max(self.n_rows, row + down + 1),
            max(self.n_cols, col + across + 1),
        )
        self.why = box_excess(self.n_rows, self.n_cols, self.limits)
        if self.why is not None:
            self.cells, sheet.merged, sheet.hidden_rows = {}, [], set()
            return
        if el.get(_SS + "Formula"):
            sheet.formula_cells.add((row, col))
        self.cell_pos = (row, col)
        self.col = col + across  # the next cell starts after the merged range

    def start_comment(self, el: Any, sheet: Sheet) -> None:
        self.in_comment = True  # a comment's <Data> is not the cell's value

    def end_data(self, el: Any, sheet: Sheet) -> None:
        if not self.in_comment and self.why is None:
            kind = el.get(_SS + "Type")
            value = _ss_value(kind, "".join(el.itertext()))
            self.cells[self.cell_pos] = value
            if kind == "Error" and isinstance(value, str):
                sheet.error_cells[self.cell_pos] = value

    def end_comment(self, el: Any, sheet: Sheet) -> None:
        self.in_comment = False

    def end_cell(self, el: Any, sheet: Sheet) -> None:
        el.clear()

    def end_visible(self, el: Any, sheet: Sheet) -> None:
        if (el.text or "").strip() in ("SheetHidden", "SheetVeryHidden"):
            sheet.visible = False

    def end_worksheet(self, el: Any, sheet: Sheet) -> None:
        """The dense grid of the finished sheet; hidden rows/columns inside it only."""
        if self.why is not None:
            self.refused.append((sheet.name, self.why))
            self.sheet = None
            el.clear()
            return
        n_rows, n_cols = self.n_rows, self.n_cols
        grid: list[list[object]] = [[None] * n_cols for _ in range(n_rows)]
        for (r, c), v in self.cells.items():
            if 0 <= r < n_rows and 0 <= c < n_cols:
                grid[r][c] = v
        sheet.rows = grid
        sheet.hidden_rows = {r for r in sheet.hidden_rows if r < n_rows}
        sheet.hidden_cols = {c for c in sheet.hidden_cols if c < n_cols}
        sheet.error_cells = {
            (r, c): v for (r, c), v in sheet.error_cells.items() if r < n_rows and c < n_cols
        }
        self.sheets.append(sheet)
        self.sheet = None
        el.clear()
