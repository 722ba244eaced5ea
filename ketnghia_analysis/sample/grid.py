"""A neutral sheet grid and the writers that turn it into .xlsx, .xlsm, .xls, .ods and HTML files.

The form layouts (`forms`) fill `Grid` objects; a `Book` is written by one of
the writers below. Writers are chosen for speed (xlsxwriter) or for a quirk we
want to plant: openpyxl writes formulas *without* cached values, xlwt writes
old binary .xls, odfpy writes .ods, and a web-system export is an HTML table
saved as ".xls". Every file gets fixed timestamps so that a seed gives the same
bytes on every run.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

FIXED_ZIP_TIME = (2024, 1, 1, 0, 0, 0)


@dataclass
class Formula:
    """A formula (without the leading "=") and its correct value."""

    text: str
    value: float | int


@dataclass
class Grid:
    """One sheet: cells by 0-based (row, col), merged ranges, hidden rows/cols, visibility."""

    name: str
    cells: dict[tuple[int, int], object] = field(default_factory=dict)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)
    hidden: bool = False
    header_cells: set[tuple[int, int]] = field(default_factory=set)
    percent_cells: set[tuple[int, int]] = field(default_factory=set)
    widths: dict[int, float] = field(default_factory=dict)

    def put(self, r: int, c: int, value: object) -> None:
        """Set cell (r, c); None empties it."""
        if value is None:
            self.cells.pop((r, c), None)
        else:
            self.cells[(r, c)] = value

    def merge(self, r0: int, c0: int, r1: int, c1: int, value: object) -> None:
        """Set the top-left cell of a range and merge the range (if more than one cell)."""
        self.put(r0, c0, value)
        if (r0, c0) != (r1, c1):
            self.merged.append((r0, c0, r1, c1))

    @property
    def n_rows(self) -> int:
        """Rows up to the last one with a cell."""
        return 1 + max((r for r, _ in self.cells), default=-1)

    @property
    def n_cols(self) -> int:
        """Columns up to the last one with a cell."""
        return 1 + max((c for _, c in self.cells), default=-1)

    def map_text(self, fn: Callable[[str], str]) -> None:
        """Apply ``fn`` to every text cell (legacy encodings, NFD, ...)."""
        for key, value in list(self.cells.items()):
            if isinstance(value, str):
                self.cells[key] = fn(value)

    def covered(self) -> set[tuple[int, int]]:
        """Cells covered by a merged range other than its top-left cell."""
        out = set()
        for r0, c0, r1, c1 in self.merged:
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    if (r, c) != (r0, c0):
                        out.add((r, c))
        return out


@dataclass
class Book:
    """One file to write: path relative to the output folder, writer, sheets and dates."""

    relpath: str
    writer: str  # xlsxwriter | xlsm | openpyxl | xlwt | ods | html | xls_as_xlsx
    sheets: list[Grid]
    modified: dt.datetime
    title: str = ""


def _value(v: object) -> object:
    """The value of a cell (a formula's cached value)."""
    return v.value if isinstance(v, Formula) else v


def write_book(book: Book, out: Path) -> Path:
    """Write ``book`` under ``out`` with fixed timestamps; return the path written."""
    path = out / book.relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = book.writer
    if writer in ("xlsxwriter", "xlsm"):
        _write_xlsxwriter(book, path)
        _normalise_zip(path, macro=writer == "xlsm")
    elif writer == "openpyxl":
        _write_openpyxl(book, path)
        _normalise_zip(path, modified=book.modified)
    elif writer in ("xlwt", "xls_as_xlsx"):
        path.write_bytes(_xlwt_bytes(book))
    elif writer == "ods":
        _write_ods(book, path)
    elif writer == "html":
        path.write_text(_html(book), encoding="utf-8")
    else:  # pragma: no cover - programming error
        raise ValueError(writer)
    stamp = book.modified.replace(tzinfo=dt.UTC).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def _normalise_zip(path: Path, macro: bool = False, modified: dt.datetime | None = None) -> None:
    """Rewrite a zip with fixed member times (and the macro-enabled content type for .xlsm).

    openpyxl stamps ``dcterms:modified`` with the time of saving: ``modified`` replaces it.
    """
    src = zipfile.ZipFile(path)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if macro and info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                )
            if modified is not None and info.filename == "docProps/core.xml":
                stamp = modified.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp + rb"\g<2>",
                    data,
                )
            new = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            new.compress_type = info.compress_type
            new.external_attr = 0o600 << 16
            dst.writestr(new, data)
    src.close()
    path.write_bytes(buf.getvalue())


def _write_xlsxwriter(book: Book, path: Path) -> None:
    """An .xlsx (or .xlsm) by xlsxwriter: formulas with cached values, formats, hidden parts."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(
        str(path),
        {
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "nan_inf_to_errors": True,
            "in_memory": True,
        },
    )
    wb.set_properties(
        {
            "title": book.title,
            "author": "UBND huyện",
            "created": book.modified,
            "comments": "DỮ LIỆU TỔNG HỢP (synthetic)",
        }
    )
    head = wb.add_format(
        {"bold": True, "text_wrap": True, "align": "center", "valign": "vcenter", "border": 1}
    )
    pct = wb.add_format({"num_format": "0.00%"})
    date = wb.add_format({"num_format": "dd/mm/yyyy"})
    first_visible = None
    for grid in book.sheets:
        ws = wb.add_worksheet(grid.name)
        covered = grid.covered()
        merged_at = {(m[0], m[1]): m for m in grid.merged}
        for c, w in grid.widths.items():
            ws.set_column(c, c, w)
        for c in grid.hidden_cols:
            ws.set_column(c, c, grid.widths.get(c, 10), None, {"hidden": True})
        for r in sorted(grid.hidden_rows):
            ws.set_row(r, None, None, {"hidden": True})
        for (r, c), v in sorted(grid.cells.items()):
            if (r, c) in covered:
                continue
            fmt = (
                head
                if (r, c) in grid.header_cells
                else pct
                if (r, c) in grid.percent_cells
                else None
            )
            if isinstance(v, dt.datetime | dt.date):
                fmt = date
            if (r, c) in merged_at:
                r0, c0, r1, c1 = merged_at[(r, c)]
                ws.merge_range(r0, c0, r1, c1, "", fmt)
            _xlsx_cell(ws, r, c, v, fmt)
        if grid.hidden:
            ws.hide()
        elif first_visible is None:
            first_visible = ws
    if first_visible is not None:
        first_visible.activate()
    wb.close()


def _xlsx_cell(ws: Any, r: int, c: int, v: object, fmt: Any) -> None:
    """Write one value with the xlsxwriter call of its type (a formula keeps its cached value)."""
    if isinstance(v, Formula):
        ws.write_formula(r, c, "=" + v.text, fmt, v.value)
    elif isinstance(v, dt.datetime | dt.date):
        ws.write_datetime(
            r,
            c,
            v if isinstance(v, dt.datetime) else dt.datetime(v.year, v.month, v.day),
            fmt,
        )
    elif isinstance(v, bool):
        ws.write_boolean(r, c, v, fmt)
    elif isinstance(v, int | float):
        ws.write_number(r, c, v, fmt)
    else:
        ws.write_string(r, c, str(v), fmt)


def _write_openpyxl(book: Book, path: Path) -> None:
    """An .xlsx by openpyxl, whose formulas have no cached values."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.created = book.modified
    wb.properties.modified = book.modified
    wb.properties.creator = "UBND huyện"
    wb.properties.title = book.title
    wb.properties.description = "DỮ LIỆU TỔNG HỢP (synthetic)"
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, horizontal="center", vertical="center")
    for grid in book.sheets:
        ws = wb.create_sheet(grid.name)
        covered = grid.covered()
        for (r, c), v in sorted(grid.cells.items()):
            if (r, c) in covered:
                continue
            cell = ws.cell(row=r + 1, column=c + 1)
            if isinstance(v, Formula):
                cell.value = "=" + v.text  # openpyxl stores no cached value
            else:
                cell.value = v
                if isinstance(v, dt.datetime | dt.date):
                    cell.number_format = "DD/MM/YYYY"
            if (r, c) in grid.header_cells:
                cell.font = bold
                cell.alignment = wrap
            if (r, c) in grid.percent_cells:
                cell.number_format = "0.00%"
        for r0, c0, r1, c1 in grid.merged:
            ws.merge_cells(start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1, end_column=c1 + 1)
        for c, w in grid.widths.items():
            ws.column_dimensions[get_column_letter(c + 1)].width = w
        for c in grid.hidden_cols:
            ws.column_dimensions[get_column_letter(c + 1)].hidden = True
        for r in grid.hidden_rows:
            ws.row_dimensions[r + 1].hidden = True
        if grid.hidden:
            ws.sheet_state = "hidden"
    for i, grid in enumerate(book.sheets):
        if not grid.hidden:
            wb.active = i
            break
    wb.save(path)


def _xlwt_bytes(book: Book) -> bytes:
    """A binary .xls by xlwt (formulas written as their values)."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    head = xlwt.easyxf("font: bold on; align: wrap on, vert centre, horiz centre")
    date = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    pct = xlwt.easyxf(num_format_str="0.00%")
    plain = xlwt.Style.default_style
    for grid in book.sheets:
        ws = wb.add_sheet(grid.name, cell_overwrite_ok=True)
        covered = grid.covered()
        merged_at = {(m[0], m[1]): m for m in grid.merged}
        for (r, c), v in sorted(grid.cells.items()):
            if (r, c) in covered:
                continue
            v = _value(v)  # xlwt formulas have no cached value: write the value
            style = (
                head
                if (r, c) in grid.header_cells
                else pct
                if (r, c) in grid.percent_cells
                else plain
            )
            if isinstance(v, dt.datetime | dt.date):
                style = date
            if (r, c) in merged_at:
                r0, c0, r1, c1 = merged_at[(r, c)]
                ws.write_merge(r0, r1, c0, c1, v, style)
            else:
                ws.write(r, c, v, style)
        for c, w in grid.widths.items():
            ws.col(c).width = int(w * 256)
        for c in grid.hidden_cols:
            ws.col(c).hidden = True
        for r in grid.hidden_rows:
            ws.row(r).hidden = True
        if grid.hidden:
            ws.visibility = 1
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"'
)
ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
    'manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" manifest:version="1.2" '
    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    '<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def _write_ods(book: Book, path: Path) -> None:
    """A minimal OpenDocument spreadsheet (fixed XML, so the bytes are reproducible)."""
    body = "".join(_ods_table(grid) for grid in book.sheets)
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {ODS_NS} office:version="1.2">'
        "<office:body><office:spreadsheet>" + body + "</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    meta = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-meta {ODS_NS} office:version="1.2">'
        f"<office:meta><dc:title>{escape(book.title)}</dc:title>"
        f"<meta:creation-date>{book.modified:%Y-%m-%dT%H:%M:%S}</meta:creation-date>"
        f"<dc:date>{book.modified:%Y-%m-%dT%H:%M:%S}</dc:date></office:meta></office:document-meta>"
    )
    with zipfile.ZipFile(path, "w") as z:
        info = zipfile.ZipInfo("mimetype", date_time=FIXED_ZIP_TIME)
        info.compress_type = zipfile.ZIP_STORED
        z.writestr(info, "application/vnd.oasis.opendocument.spreadsheet")
        for name, text in (
            ("content.xml", content),
            ("meta.xml", meta),
            ("META-INF/manifest.xml", ODS_MANIFEST),
        ):
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text.encode("utf-8"))


def _ods_table(grid: Grid) -> str:
    """One sheet as a ``table:table`` element (merged ranges spanned, covered cells marked)."""
    covered = grid.covered()
    spans = {(m[0], m[1]): m for m in grid.merged}
    body = [f"<table:table table:name={quoteattr(grid.name)}>"]
    for r in range(grid.n_rows):
        vis = ' table:visibility="collapse"' if r in grid.hidden_rows else ""
        body.append(f"<table:table-row{vis}>")
        for c in range(grid.n_cols):
            if (r, c) in covered:
                body.append("<table:covered-table-cell/>")
                continue
            attrs = ""
            if (r, c) in spans:
                r0, c0, r1, c1 = spans[(r, c)]
                attrs = (
                    f' table:number-columns-spanned="{c1 - c0 + 1}"'
                    f' table:number-rows-spanned="{r1 - r0 + 1}"'
                )
            body.append(_ods_cell(_value(grid.cells.get((r, c))), attrs))
        body.append("</table:table-row>")
    body.append("</table:table>")
    return "".join(body)


def _ods_cell(v: object, attrs: str) -> str:
    """One ``table:table-cell`` of a date, a number or text."""
    if v is None:
        return f"<table:table-cell{attrs}/>"
    if isinstance(v, dt.datetime | dt.date):
        iso = v.strftime("%Y-%m-%d")
        return (
            f'<table:table-cell{attrs} office:value-type="date" '
            f'office:date-value="{iso}"><text:p>{v:%d/%m/%Y}</text:p></table:table-cell>'
        )
    if isinstance(v, int | float) and not isinstance(v, bool):
        return (
            f'<table:table-cell{attrs} office:value-type="float" office:value="{v!r}">'
            f"<text:p>{v!r}</text:p></table:table-cell>"
        )
    lines = "".join(f"<text:p>{escape(x)}</text:p>" for x in str(v).split("\n"))
    return f'<table:table-cell{attrs} office:value-type="string">{lines}</table:table-cell>'


def _html(book: Book) -> str:
    """A web-system export: one HTML table per sheet (merged ranges as colspan/rowspan)."""
    parts = [
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">',
        f"<title>{html.escape(book.title)}</title></head><body>",
        "<!-- DỮ LIỆU TỔNG HỢP (synthetic) -->",
    ]
    for grid in book.sheets:
        if grid.hidden:
            continue
        covered = grid.covered()
        spans = {(m[0], m[1]): m for m in grid.merged}
        parts.append(f'<table border="1" data-sheet="{html.escape(grid.name)}">')
        for r in range(grid.n_rows):
            parts.append("<tr>")
            for c in range(grid.n_cols):
                if (r, c) in covered:
                    continue
                v = _value(grid.cells.get((r, c)))
                attrs = ""
                if (r, c) in spans:
                    r0, c0, r1, c1 = spans[(r, c)]
                    if c1 > c0:
                        attrs += f' colspan="{c1 - c0 + 1}"'
                    if r1 > r0:
                        attrs += f' rowspan="{r1 - r0 + 1}"'
                if isinstance(v, dt.datetime | dt.date):
                    v = v.strftime("%d/%m/%Y")
                text = "" if v is None else html.escape(str(v)).replace("\n", "<br>")
                parts.append(f"<td{attrs}>{text}</td>")
            parts.append("</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
