"""Engine "html": the data <table>s of a web page saved as .xls, one sheet each (spans → merges)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from ketnghia_analysis.core.limits import Limits
from ketnghia_analysis.reading.cells.encoding import decode_text
from ketnghia_analysis.reading.cells.errors import error_text
from ketnghia_analysis.reading.cells.guards import box_excess, guarded
from ketnghia_analysis.reading.cells.model import ReadError, Sheet, Workbook

__all__ = ["read"]


def read(path: Path, data: bytes, fmt: str, limits: Limits) -> Workbook:
    """Every data table of the page as a sheet "Bảng 1", "Bảng 2", ..."""
    return guarded("Bộ đọc HTML", _read_html, path, data, limits)


def _read_html(path: Path, data: bytes, limits: Limits) -> Workbook:
    m = re.search(rb"""charset\s*=\s*["']?([\w-]+)""", data[:4096], re.IGNORECASE)
    text = decode_text(data, m.group(1).decode("ascii") if m else None)
    parser = _HtmlTables(limits)
    parser.feed(text)
    parser.close()
    while parser.stack:
        parser.done.append(parser.stack.pop())
    # Data tables only: layout tables holding other tables, or single cells, are not data.
    tables = [t for t in parser.done if not t.nested and t.n_rows >= 2 and t.n_cols >= 2]
    if not tables:
        raise ReadError("FILE_EMPTY", "Tệp HTML không có bảng dữ liệu nào.")
    sheets = [_sheet(f"Bảng {i + 1}", i, t) for i, t in enumerate(tables) if t.why is None]
    refused = [(f"Bảng {i + 1}", t.why) for i, t in enumerate(tables) if t.why is not None]
    notes = ["Tệp là trang HTML (thường do phần mềm web xuất ra với đuôi .xls)."]
    return Workbook(path, "html", sheets, None, "html.parser", notes, refused)


class _Table:
    """One <table> being parsed: its cells, the cells covered by spans, the open cell."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], object] = {}
        self.occupied: set[tuple[int, int]] = set()
        self.merged: list[tuple[int, int, int, int]] = []
        self.hidden_rows: set[int] = set()
        self.row = -1
        self.col = 0
        self.n_rows = 0
        self.n_cols = 0
        self.nested = False
        self.cell: list[str] | None = None
        self.cell_num: str | None = None
        self.cell_err: str | None = None
        self.errors: dict[tuple[int, int], str] = {}
        self.pos = (0, 0)
        self.why: str | None = None  # why the table is beyond the limits (it is left out)


def _sheet(name: str, index: int, t: _Table) -> Sheet:
    """The dense grid of a parsed table."""
    grid: list[list[object]] = [[None] * t.n_cols for _ in range(t.n_rows)]
    for (r, c), v in t.cells.items():
        grid[r][c] = v
    return Sheet(name, index, True, grid, t.merged, hidden_rows=t.hidden_rows, error_cells=t.errors)


class _HtmlTables(HTMLParser):
    """Grids of the <table> elements of an HTML page (rowspan/colspan → merges)."""

    def __init__(self, limits: Limits) -> None:
        super().__init__(convert_charrefs=True)
        self.limits = limits
        self.stack: list[_Table] = []
        self.done: list[_Table] = []
        self.title: list[str] = []
        self.in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "table":
            if self.stack:
                self.stack[-1].nested = True
            self.stack.append(_Table())
            return
        if tag == "title":
            self.in_title = True
        if not self.stack:
            return
        t = self.stack[-1]
        if tag == "tr":
            self._open_row(t, a)
        elif tag in ("td", "th"):
            self._open_cell(t, a)
        elif tag == "br" and t.cell is not None:
            t.cell.append("\n")

    def _open_row(self, t: _Table, a: dict[str, str]) -> None:
        self._close_cell(t)
        t.row += 1
        t.col = 0
        if "display:none" in a.get("style", "").replace(" ", "").lower():
            t.hidden_rows.add(t.row)

    def _open_cell(self, t: _Table, a: dict[str, str]) -> None:
        """A <td>/<th>: placed after the cells covered by earlier spans, its own span a merge."""
        self._close_cell(t)
        if t.row < 0:
            t.row = 0
        while (t.row, t.col) in t.occupied:
            t.col += 1
        # Clamp spans like browsers do (HTML: colspan ≤ 1000, rowspan ≤ 65534).
        cs = min(max(_int(a.get("colspan"), 1), 1), 1000)
        rs = min(max(_int(a.get("rowspan"), 1), 1), 65534)
        r0, c0 = t.row, t.col
        t.n_rows = max(t.n_rows, r0 + rs)
        t.n_cols = max(t.n_cols, c0 + cs)
        # Measured before the spans are marked: a table beyond the limits keeps nothing more.
        t.why = t.why or box_excess(t.n_rows, t.n_cols, self.limits)
        if t.why is not None:
            t.cells, t.occupied, t.merged, t.hidden_rows = {}, set(), [], set()
            t.col = c0 + cs
            return
        if rs > 1 or cs > 1:
            t.merged.append((r0, c0, r0 + rs - 1, c0 + cs - 1))
            for dr in range(rs):
                for dc in range(cs):
                    t.occupied.add((r0 + dr, c0 + dc))
        t.cell = []
        # Excel's HTML export keeps the raw number in x:num, an error value in x:err.
        t.cell_num = a.get("x:num")
        t.cell_err = error_text(a["x:err"]) if a.get("x:err") else None
        t.col = c0 + cs
        t.pos = (r0, c0)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if not self.stack:
            return
        t = self.stack[-1]
        if tag in ("td", "th", "tr"):
            self._close_cell(t)
        elif tag == "table":
            self._close_cell(t)
            self.done.append(self.stack.pop())

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
        if self.stack and self.stack[-1].cell is not None:
            self.stack[-1].cell.append(data)

    def _close_cell(self, t: _Table) -> None:
        if t.cell is None:
            return
        text = " ".join("".join(t.cell).replace("\xa0", " ").split(" "))
        text = "\n".join(" ".join(line.split()) for line in text.split("\n")).strip()
        value: object = text or None
        if t.cell_num:
            try:
                value = float(t.cell_num)
            except ValueError:
                pass
        if t.cell_err is not None:
            value = t.cell_err
            t.errors[t.pos] = value
        if value is not None:
            t.cells[t.pos] = value
        t.cell = None
        t.cell_num = t.cell_err = None


def _int(text: str | None, default: int) -> int:
    """An HTML integer attribute, lenient like browsers.

    >>> _int("3;", 1), _int(None, 1), _int("hai", 1)
    (3, 1, 1)
    """
    try:
        return int((text or "").strip().rstrip(";"))
    except ValueError:
        return default
