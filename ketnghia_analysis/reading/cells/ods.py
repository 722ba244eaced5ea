"""Engine "ods" (OpenDocument): calamine for the cells, one pass over content.xml for the rest.

calamine reports no merged ranges or hidden rows for ODS; merges are the cells'
spans. It reads an error cell as empty (tafia/calamine#720): LibreOffice writes one as
an empty string marked ``calcext:value-type="error"`` with the error ("#DIV/0!",
"Err:502") in its text, which the pass puts back. Repeated empty rows (LibreOffice ends
a sheet with ~1,048,000 of them) do not count towards the bounding box. calamine builds
every table's dense grid when it opens the file, so a table beyond the limits is cut out
of content.xml first (calamine reads a copy of the package without it) and listed in
`Workbook.refused`.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ketnghia_analysis.core.limits import Limits
from ketnghia_analysis.reading.cells.calamine_engine import calamine_sheets
from ketnghia_analysis.reading.cells.errors import error_text, place_errors
from ketnghia_analysis.reading.cells.guards import (
    box_excess,
    check_zip,
    guarded,
    package_errors,
    reject_dtd,
)
from ketnghia_analysis.reading.cells.model import Sheet, Workbook
from ketnghia_analysis.reading.cells.package import (
    open_package,
    parse_iso,
    stream_utf8,
    zip_lookup,
)

__all__ = ["read"]

_ODS_TOKEN = re.compile(
    rb"<(/?)table:(table|table-row|table-column|table-cell|covered-table-cell)(?=[\s/>])([^>]*?)(/?)>"
)
_ODS_ATTR = re.compile(rb'table:([\w-]+)="([^"]*)"')
_ERROR_TYPE = re.compile(rb"""[\s:]value-type=["']error["']""")
_CELL_END = b"</table:table-cell>"
_TAG = re.compile(rb"<[^>]*>")
_MAX_REPEATED_ERRORS = 10_000  # one repeated error cell standing for more is not kept


@dataclass
class _OdsScan:
    """What content.xml tells of one table that calamine does not."""

    n_rows: int = 0
    n_cols: int = 0
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    span: tuple[int, int] = (0, 0)  # byte range of the <table:table> element in content.xml


def read(path: Path, data: bytes, fmt: str, limits: Limits) -> Workbook:
    """Check and scan the package, cut out the tables beyond the limits, read the cells
    with calamine, apply the scan."""
    zf = open_package(data, "Tệp .ods bị cắt cụt hoặc hỏng.")
    with zf, package_errors():
        check_zip(zf, limits)
        reject_dtd(zf)
        scans = guarded("Đọc nội dung .ods", _scan_ods, zf, limits)
        refused = [
            (name, why)
            for name, sc in scans.items()
            if (why := box_excess(sc.n_rows, sc.n_cols, limits)) is not None
        ]
        if refused:
            data = _without_tables(zf, [scans[name].span for name, _ in refused])
        modified = _modified(zf)
    notes: list[str] = []
    sheets, more = guarded("python-calamine", calamine_sheets, data)
    notes.extend(more)
    for s in sheets:
        if (scan := scans.get(s.name)) is not None:
            _apply_scan(s, scan)
    return Workbook(path, "ods", sheets, modified, "calamine", notes, refused)


def _without_tables(zf: zipfile.ZipFile, spans: list[tuple[int, int]]) -> bytes:
    """A copy of the package whose content.xml lacks the byte ranges `spans` (whole
    <table:table> elements), so that calamine never allocates those tables."""
    info = zip_lookup(zf)["content.xml"]
    content = b"".join(stream_utf8(zf.open(info), info.file_size, info.filename))
    kept, at = [], 0
    for start, end in sorted(spans):
        kept.append(content[at:start])
        at = end
    kept.append(content[at:])
    # stream_utf8 turned a UTF-16 part into UTF-8: its declaration must say so too.
    declared = re.compile(rb"""encoding=["']utf-16[\w-]*["']""", re.IGNORECASE)
    kept[0] = declared.sub(b'encoding="UTF-8"', kept[0], count=1)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as copy:
        for member in zf.infolist():
            body = b"".join(kept) if member is info else zf.read(member)
            # A fresh ZipInfo: writing updates offsets, which must stay those of `zf`.
            fresh = zipfile.ZipInfo(member.filename, member.date_time)
            copy.writestr(fresh, body, compress_type=member.compress_type)
    return out.getvalue()


def _modified(zf: zipfile.ZipFile) -> datetime | None:
    """The <dc:date> of meta.xml, if any."""
    meta = zip_lookup(zf).get("meta.xml")
    if meta is None or meta.file_size >= 1024 * 1024:
        return None
    m = re.search(rb"<dc:date>([^<]+)<", zf.read(meta))
    return parse_iso(m.group(1).decode("ascii", "replace")) if m else None


def _apply_scan(sheet: Sheet, scan: _OdsScan) -> None:
    """Merges and the hidden rows/columns inside the grid."""
    sheet.merged = scan.merged
    n = len(sheet.rows)
    sheet.hidden_rows = {r for r in scan.hidden_rows if r < n}
    width = sheet.n_cols
    sheet.hidden_cols = {c for c in scan.hidden_cols if c < width}
    place_errors(sheet, scan.errors)


def _scan_ods(zf: zipfile.ZipFile, limits: Limits) -> dict[str, _OdsScan]:
    """Merges, hidden rows/columns and the content bounding box of each ODS table."""
    info = zip_lookup(zf).get("content.xml")
    if info is None:
        return {}
    data = b"".join(stream_utf8(zf.open(info), info.file_size, info.filename))
    walker = _OdsWalker(limits)
    for m in _ODS_TOKEN.finditer(data):
        if m.group(2) == b"table" and walker.cur is not None and m.group(1) == b"/":
            walker.cur.span = (walker.cur.span[0], m.end())
        if m.group(2) == b"table-cell" and not m.group(1) and not m.group(4):
            if b"error" in m.group(3) and _ERROR_TYPE.search(m.group(3)):
                walker.error(_cell_text(data, m.end()), m.group(3))
        walker.token(m.group(1) == b"/", m.group(2), m.group(3), m.group(4) == b"/")
        if m.group(2) == b"table" and m.group(1) != b"/" and walker.cur is not None:
            walker.cur.span = (m.start(), m.end())  # a self-closed table ends here
    return walker.out


class _OdsWalker:
    """The table:* elements of content.xml in document order, one handler per element."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.out: dict[str, _OdsScan] = {}
        self.cur: _OdsScan | None = None
        self.row = self.col = 0
        self.row_rep = 1
        self.row_has = False
        self.handlers: dict[bytes, Callable[[bool, dict[bytes, bytes], bytes, bool], None]] = {
            b"table-column": self.column,
            b"table-row": self.table_row,
            b"table-cell": self.cell,
            b"covered-table-cell": self.covered_cell,
        }

    def token(self, closing: bool, tag: bytes, attrs: bytes, selfclose: bool) -> None:
        """Hand one start, end or empty element to its handler (outside tables: ignored)."""
        a = dict(_ODS_ATTR.findall(attrs)) if attrs else {}
        if tag == b"table":
            self.table(closing, a)
        elif self.cur is not None:
            self.handlers[tag](closing, a, attrs, selfclose)

    def table(self, closing: bool, a: dict[bytes, bytes]) -> None:
        """A table starts a scan of its own, named like the sheet."""
        if closing:
            self.cur = None
            return
        self.cur = _OdsScan()
        self.out[a.get(b"name", b"").decode("utf-8", "replace")] = self.cur
        self.row = self.col = 0

    def column(self, closing: bool, a: dict[bytes, bytes], attrs: bytes, selfclose: bool) -> None:
        """A column declaration (possibly repeated), hidden or not."""
        if closing:
            return
        assert self.cur is not None
        rep = min(int(a.get(b"number-columns-repeated", b"1") or 1), 16384)
        if a.get(b"visibility", b"visible") != b"visible":
            stop = min(self.col + rep, self.limits.max_cols + 1)
            self.cur.hidden_cols.update(range(self.col, stop))
        self.col += rep

    def table_row(
        self, closing: bool, a: dict[bytes, bytes], attrs: bytes, selfclose: bool
    ) -> None:
        """A row (possibly repeated): hidden rows, and the box when one of its cells has content."""
        assert self.cur is not None
        if not closing:
            self.col = 0
            self.row_rep = max(1, int(a.get(b"number-rows-repeated", b"1") or 1))
            self.row_has = False
            if a.get(b"visibility", b"visible") != b"visible":
                stop = min(self.row + self.row_rep, self.limits.max_rows + 1)
                self.cur.hidden_rows.update(range(self.row, stop))
        if closing or selfclose:
            if self.row_has:
                self.cur.n_rows = max(self.cur.n_rows, self.row + self.row_rep)
            self.row += self.row_rep

    def cell(self, closing: bool, a: dict[bytes, bytes], attrs: bytes, selfclose: bool) -> None:
        """A cell; its spans, when larger than one, are a merged range."""
        if closing:
            return
        assert self.cur is not None
        rep = _repeated(a)
        cs = int(a.get(b"number-columns-spanned", b"1") or 1)
        rs = int(a.get(b"number-rows-spanned", b"1") or 1)
        if cs > 1 or rs > 1:
            self.cur.merged.append((self.row, self.col, self.row + rs - 1, self.col + cs - 1))
        self._take_columns(rep, not selfclose or b"value-type" in attrs)

    def covered_cell(
        self, closing: bool, a: dict[bytes, bytes], attrs: bytes, selfclose: bool
    ) -> None:
        """A cell covered by a merged range: it still takes its columns."""
        if not closing:
            self._take_columns(_repeated(a), not selfclose or b"value-type" in attrs)

    def error(self, text: str, attrs: bytes) -> None:
        """An error cell at the current position (its repeats too, unless they are many
        more than a return holds), within the limits."""
        if self.cur is None or (value := error_text(text)) is None:
            return
        rep = _repeated(dict(_ODS_ATTR.findall(attrs)))
        if rep * self.row_rep > _MAX_REPEATED_ERRORS:
            return
        rows = range(self.row, min(self.row + self.row_rep, self.limits.max_rows))
        cols = range(self.col, min(self.col + rep, self.limits.max_cols))
        self.cur.errors.update(((r, c), value) for r in rows for c in cols)

    def _take_columns(self, rep: int, has_content: bool) -> None:
        assert self.cur is not None
        if has_content:
            self.row_has = True
            self.cur.n_cols = max(self.cur.n_cols, self.col + rep)
        self.col += rep


def _cell_text(data: bytes, start: int) -> str:
    """The text of the cell whose start tag ends at `start` (its paragraphs, tags removed).

    >>> _cell_text(b"<table:table-cell><text:p>#DIV/0!</text:p></table:table-cell>", 18)
    '#DIV/0!'
    """
    end = data.find(_CELL_END, start)
    body = data[start : end if end >= 0 else len(data)]
    return html.unescape(_TAG.sub(b"", body).decode("utf-8", "replace"))


def _repeated(a: dict[bytes, bytes]) -> int:
    """How many columns a cell element stands for.

    >>> _repeated({b"number-columns-repeated": b"3"}), _repeated({})
    (3, 1)
    """
    return max(1, int(a.get(b"number-columns-repeated", b"1") or 1))
