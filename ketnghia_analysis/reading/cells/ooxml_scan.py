"""One streaming pass over a worksheet's XML for what calamine does not report.

Hidden rows and columns, formula cells, formulas without a cached value (files written by
scripts) with their text, e.g. ``{(6, 2): "=SUM(C4:C6)"}``, the error cells (``t="e"``,
which calamine returns empty) with their value, e.g. ``{(11, 3): "#DIV/0!"}``, and the
real bounding box of the cells, measured before any engine allocates it. Bytes and
regular expressions only: never a DOM, never entity expansion. A byte-level parser, so
some functions are longer than one screen: each is one pass whose state would be harder
to follow split up.
"""

from __future__ import annotations

import bisect
import functools
import html
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

from ketnghia_analysis.core.address import a1, col_index
from ketnghia_analysis.reading.cells.errors import error_text
from ketnghia_analysis.reading.cells.package import open_member, stream_utf8

__all__ = ["SheetScan", "scan_sheet_xml"]


@dataclass
class SheetScan:
    """What one pass over a worksheet XML learns that calamine does not expose."""

    dimension: str | None = None
    n_rows: int = 0  # bounding box from A1 of every cell and row element seen
    n_cols: int = 0
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)
    formula_cells: set[tuple[int, int]] = field(default_factory=set)
    uncached: dict[tuple[int, int], str] = field(default_factory=dict)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    has_cells: bool = False
    zero_height: bool = False
    listed_rows: set[int] = field(default_factory=set)


_P = rb"(?:[A-Za-z_][\w.-]*:)?"  # optional namespace prefix (Strict OOXML, "x:" writers)

_COL_TAG = re.compile(rb"<" + _P + rb"col\b([^>]*)>")
_DIM_TAG = re.compile(rb"<" + _P + rb'dimension\b[^>]*\bref="([^"]*)"')
_FMT_TAG = re.compile(rb"<" + _P + rb"sheetFormatPr\b([^>]*)>")
_SHEETDATA_START = re.compile(rb"<(" + _P + rb")sheetData\b")
_V_TAG = re.compile(rb"<" + _P + rb"v\b[^>]*?(?:/>|>([^<]*)<)")
_ATTR_R = re.compile(rb'\sr="([0-9]+)"')
_ATTR_HIDDEN = re.compile(rb'\shidden="(?:1|true)"')
_ATTR_T = re.compile(rb'\st="([^"]*)"')
_ATTR_T_ERROR = re.compile(rb"""\st=["']e["']""")
_ATTR_REF = re.compile(rb'\sr="([A-Za-z]{1,3})([0-9]+)"')
_ATTR_MIN = re.compile(rb'\smin="([0-9]+)"')
_ATTR_MAX = re.compile(rb'\smax="([0-9]+)"')
_ATTR_SI = re.compile(rb'\ssi="([0-9]+)"')
_ATTR_TYPE_SHARED = re.compile(rb'\st="shared"')
_XML_ENTITY = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|amp|lt|gt|quot|apos);")

_MAX_ROW_PIECE = 64 * 1024 * 1024  # one <row> longer than this is cut at a tag
_SAMPLE_BYTES = 256 * 1024  # where `_bound_columns` takes its first guess

# `col_index` of the letters of a reference, remembered: a sheet names a few columns many
# times, and each conversion costs more than a scan of a small piece (errors raise as before).
_col = functools.lru_cache(maxsize=1024)(col_index)

# Shared-formula masters seen so far: si → (formula text, its cell).
_Masters = dict[int, tuple[str, tuple[int, int]]]


def _xml_unescape(text: str) -> str:
    """Resolve the five XML entities and character references (nothing else).

    >>> _xml_unescape("IF(A1&gt;0,&quot;x&quot;,&#39;y&#39;)")
    'IF(A1>0,"x",\\'y\\')'
    """
    return _XML_ENTITY.sub(lambda m: html.unescape(m.group(0)), text)


def scan_sheet_xml(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> SheetScan:
    """One streaming pass over a worksheet part; no DOM, no entity expansion.

    Finds what calamine does not report (hidden rows/columns, formula cells and
    formulas without a cached value, as openpyxl-written files have) and the real
    bounding box of the cells, which the caller checks before calamine allocates it
    (one cell at XFD1048576 makes it ask for 512 GiB and abort; `ooxml` leaves such a
    sheet out).

    The full bounding box would need every cell reference parsed (as slow as
    calamine itself on 3 million cells), so it is bounded with a few passes
    whose patterns start with a literal: the numbers of the rows that hold
    cells, then one pass matching only references beyond the bound so far (a
    later column letter, two or more letters, more row digits than any row).
    Cells without a value (``<c r="XFD1048576" s="1"/>``) are ignored, as
    calamine ignores them. The loop over chunks is one pass with its state
    (carry, prefix, current row) in view, hence its length.
    """
    scan = SheetScan()
    prefix: bytes | None = None
    in_data = False
    done = False
    row0 = -1  # current row (0-based) for implicit row numbers
    shared_masters: _Masters = {}
    carry = b""
    with open_member(zf, info) as fh:
        chunks = stream_utf8(fh, info.file_size, info.filename)
        eof = False
        while not done:
            try:
                chunk = next(chunks)
            except StopIteration:
                eof = True
                chunk = b""
            buf = carry + chunk
            if not buf:
                break
            if eof:
                piece, carry = buf, b""
            else:
                if prefix is None and (sd := _SHEETDATA_START.search(buf)):
                    prefix = sd.group(1)
                cut = _row_cut(buf, prefix or b"")
                if cut is None:
                    carry = buf
                    continue
                piece, carry = buf[:cut], buf[cut:]
            if not in_data:
                sd = _scan_head(piece, scan)
                if sd is None:
                    continue
                in_data = True
                prefix = sd.group(1)
                piece = piece[sd.end() :]
            end = piece.find(b"</" + (prefix or b"") + b"sheetData>")
            if end >= 0:
                piece = piece[:end]
                done = True
            row0 = _scan_rows(piece, prefix or b"", scan, row0, shared_masters)
            if eof:
                break
    return scan


def _row_cut(buf: bytes, prefix: bytes) -> int | None:
    """Where to cut a buffer so that no row (and no formula cell) straddles two pieces.

    Before the last row start; None to wait for more bytes; at the last tag when
    one row is longer than `_MAX_ROW_PIECE`.

    >>> _row_cut(b'<row r="1"><c/></row><row r="2">', b"")
    21
    >>> _row_cut(b'<row r="1"><c', b"") is None
    True
    """
    row_tag = b"<" + prefix + b"row"
    cut = max(buf.rfind(row_tag + b" "), buf.rfind(row_tag + b">"))
    if cut <= 0:
        if len(buf) < _MAX_ROW_PIECE:
            return None
        cut = buf.rfind(b"<")
    return cut


def _scan_head(piece: bytes, scan: SheetScan) -> re.Match[bytes] | None:
    """Read what precedes sheetData (dimension, zero-height rows, hidden columns).

    Returns the match of the sheetData start tag, or None when it is not in `piece`.
    """
    if scan.dimension is None and (m := _DIM_TAG.search(piece)):
        scan.dimension = m.group(1).decode("ascii", "replace")
    if m := _FMT_TAG.search(piece):
        scan.zero_height = bool(re.search(rb'zeroHeight="(?:1|true)"', m.group(1)))
    sd = _SHEETDATA_START.search(piece)
    head = piece if sd is None else piece[: sd.start()]
    for m in _COL_TAG.finditer(head):
        attrs = m.group(1)
        if _ATTR_HIDDEN.search(attrs):
            lo = _ATTR_MIN.search(attrs)
            hi = _ATTR_MAX.search(attrs)
            if lo and hi:
                first, last = int(lo.group(1)), min(int(hi.group(1)), 16384)
                scan.hidden_cols.update(range(first - 1, last))
    return sd


@functools.lru_cache(maxsize=16)
def _prefixed(prefix: bytes) -> dict[str, re.Pattern[bytes]]:
    """Patterns for one namespace prefix, each starting with a literal.

    A literal start lets the regex engine skip ahead with a fast search: the
    generic optional-prefix pattern is ten times slower on 100 MB of XML.
    """
    lit = re.escape(b"<" + prefix)
    return {
        "row": re.compile(lit + rb"row\b([^>]*)>"),
        # (r, the rest of the tag: ends with "/" when the row is empty and self-closing,
        # the first cell's tag unless it is a value-less "<c .../>")
        "row_r": re.compile(
            lit + rb'row\s+r="([0-9]+)"([^>]*)>(\s*' + lit + rb"c(?:\s[^>]*)?(?<!/)>)?"
        ),
        "first_cell": re.compile(rb"\s*" + lit + rb"c(?:\s[^>]*)?(?<!/)>"),
        "row_hidden": re.compile(lit + rb'row\b([^>]*?\shidden="(?:1|true)"[^>]*)>'),
        "f": re.compile(lit + rb"f\b([^>]*?)(/?)>"),
    }


def _scan_rows(
    piece: bytes, prefix: bytes, scan: SheetScan, row0: int, shared_masters: _Masters
) -> int:
    """Scan whole rows of sheetData; returns the last row index seen.

    Written for speed on 3 million cells (a 200,000-row sheet): every pattern
    starts with a literal and most find nothing in an ordinary file.
    """
    pats = _prefixed(prefix)
    numbered = pats["row_r"].findall(piece)
    rows: tuple[list[int], list[int]] | None = None
    if numbered and len(numbered) == piece.count(b"<" + prefix + b"row"):
        row0 = _scan_numbered_rows(piece, pats, scan, numbered, row0)
    else:
        row0, rows = _scan_unnumbered_rows(piece, pats, scan, row0)
    # Cells holding something (a value, an inline string, a formula), not merely
    # styled: only those make an empty calamine sheet suspicious.
    lt = b"<" + prefix
    if not scan.has_cells and (lt + b"v>" in piece or lt + b"is>" in piece or lt + b"f" in piece):
        scan.has_cells = True
    _bound_columns(piece, prefix, scan)
    if b"<" + prefix + b"f" in piece:
        rows = rows or _row_starts(piece, pats)
        _scan_formulas(piece, prefix, scan, rows[0], rows[1], shared_masters)
    # Every error value starts with "#" (#DIV/0!, #N/A): one byte, found at memchr speed,
    # where a search for t="e" costs a tenth of the whole scan.
    if b"#" in piece:
        _scan_errors(piece, prefix, scan, rows or (lambda: _row_starts(piece, pats)))
    return row0


def _scan_numbered_rows(
    piece: bytes,
    pats: dict[str, re.Pattern[bytes]],
    scan: SheetScan,
    numbered: list[tuple[bytes, bytes, bytes]],
    row0: int,
) -> int:
    """Rows that all carry their number: the row bound and hidden rows from `numbered`."""
    row0 = max(row0, max(map(int, [r for r, _, _ in numbered])) - 1)
    # Only rows holding cells count towards the box: Excel writes empty,
    # formatted <row> elements far below the data, which calamine ignores.
    with_cells = [int(r) for r, rest, first in numbered if first and not rest.endswith(b"/")]
    if with_cells:
        scan.n_rows = max(scan.n_rows, max(with_cells))
    hidden_rows = pats["row_hidden"].finditer(piece) if b"hidden" in piece else ()
    for m in hidden_rows:
        r = _ATTR_R.search(m.group(1))
        if r:
            scan.hidden_rows.add(int(r.group(1)) - 1)
    if scan.zero_height:
        scan.listed_rows.update(int(r) - 1 for r, _, _ in numbered)
    return row0


def _scan_unnumbered_rows(
    piece: bytes, pats: dict[str, re.Pattern[bytes]], scan: SheetScan, row0: int
) -> tuple[int, tuple[list[int], list[int]]]:
    """Rows without numbers (some writers), counted one by one.

    Returns the last row index and (row start offsets + the end of `piece`, row indices).
    """
    starts: list[int] = []
    rows_at: list[int] = []
    first_cell = pats["first_cell"]
    for m in pats["row"].finditer(piece):
        attrs = m.group(1)
        r = _ATTR_R.search(attrs)
        row0 = int(r.group(1)) - 1 if r else row0 + 1
        starts.append(m.start())
        rows_at.append(row0)
        if not attrs.endswith(b"/") and first_cell.match(piece, m.end()):
            scan.n_rows = max(scan.n_rows, row0 + 1)
        if b"hidden" in attrs and _ATTR_HIDDEN.search(attrs):
            scan.hidden_rows.add(row0)
        if scan.zero_height:
            scan.listed_rows.add(row0)
    starts.append(len(piece))
    return row0, (starts, rows_at)


def _row_starts(piece: bytes, pats: dict[str, re.Pattern[bytes]]) -> tuple[list[int], list[int]]:
    """Row start offsets (+ the end of `piece`) and row indices, for locating formula cells."""
    starts: list[int] = []
    rows_at: list[int] = []
    for m in pats["row"].finditer(piece):
        r = _ATTR_R.search(m.group(1))
        starts.append(m.start())
        rows_at.append(int(r.group(1)) - 1 if r else (rows_at[-1] + 1 if rows_at else 0))
    starts.append(len(piece))
    return starts, rows_at


def _bound_columns(piece: bytes, prefix: bytes, scan: SheetScan) -> None:
    """Grow the column (and row) bound without parsing every reference.

    A 200,000-row sheet has 3 million references; one pass matches only those
    beyond the bound so far: a later single letter, two or more letters (few
    cells in our forms), or more row digits than any row element has.
    """
    cell_open = b"<" + prefix + b"c "
    cell_bare = b"<" + prefix + b"c>"
    n_cols = scan.n_cols
    if cell_bare in piece:
        # Cells without references: bounded by the largest count in a row.
        longest = max(seg.count(cell_bare) + seg.count(cell_open) for seg in piece.split(b"</"))
        n_cols = max(n_cols, longest)
    # First guess from a small sample, so that the pass below matches few cells.
    n_cols = _sample_columns(piece, n_cols)
    beyond = _beyond(n_cols, len(str(max(scan.n_rows, 1))))
    for m in beyond.finditer(piece):
        tag_end = piece.find(b">", m.end())
        if tag_end > 0 and piece[tag_end - 1] == 0x2F:  # "/>": no value, calamine ignores it
            continue
        n_cols = max(n_cols, _col(m.group(1)) + 1)
        scan.n_rows = max(scan.n_rows, int(m.group(2)))
    scan.n_cols = n_cols


def _sample_columns(piece: bytes, n_cols: int) -> int:
    """`n_cols` raised to the last column holding a value among the references (1 to 3
    letters) of the first 256 KiB, when below 26: the largest of them or, when there is
    one of two letters or more, 26 or more (the pass after it then matches the same).

    A search for a later column only, restarted past each one found: a few matches
    where collecting every reference made one object per cell.
    """
    at = 0
    while n_cols < 26 and (m := _later_ref(n_cols).search(piece, at, _SAMPLE_BYTES)):
        n_cols = max(n_cols, _col(m.group(1)) + 1)
        at = m.end()
    return n_cols


@functools.lru_cache(maxsize=32)
def _later_ref(n_cols: int) -> re.Pattern[bytes]:
    """References, in cells with content, to a column beyond `n_cols` (< 26) as one letter
    of either case, or to any column as two or three letters."""
    return re.compile(
        rb' r="([%c-Z%c-z]|[A-Za-z]{2,3})[0-9]+"[^>]*(?<!/)>' % (65 + n_cols, 97 + n_cols)
    )


@functools.lru_cache(maxsize=256)
def _beyond(n_cols: int, digits: int) -> re.Pattern[bytes]:
    """References beyond `n_cols` columns or with more than `digits` row digits: a later
    single letter, two or more letters, or a longer row number."""
    single = rb"[%s-Z]|" % bytes([65 + n_cols]) if n_cols < 26 else b""
    return re.compile(
        rb' r="(%s[A-Za-z]{2,}|[A-Za-z](?=[0-9]{%d,}"))([0-9]+)"' % (single, digits + 1)
    )


def _scan_formulas(
    piece: bytes,
    prefix: bytes,
    scan: SheetScan,
    starts: list[int],
    rows_at: list[int],
    shared_masters: _Masters,
) -> None:
    """Record formula cells and the formulas that carry no cached value."""
    cell_open = b"<" + prefix + b"c "
    for m in _prefixed(prefix)["f"].finditer(piece):
        cstart = piece.rfind(cell_open, 0, m.start())
        if cstart < 0:
            continue
        cattrs = piece[cstart : piece.find(b">", cstart)]
        cell = _formula_cell(piece, prefix, cattrs, cstart, starts, rows_at)
        if cell is None:
            continue
        scan.formula_cells.add(cell)
        text = _formula_text(piece, m, cell, shared_masters)
        if not _has_cached_value(piece, prefix, m.end(), cattrs):
            scan.uncached[cell] = "=" + (text or "")


def _scan_errors(
    piece: bytes,
    prefix: bytes,
    scan: SheetScan,
    rows: tuple[list[int], list[int]] | Callable[[], tuple[list[int], list[int]]],
) -> None:
    """Record the error cells (``<c r="D12" t="e"><v>#DIV/0!</v></c>``, a formula's cached
    error too) with their value.

    Only the values starting with "#" are looked at (few, if any), then their cell's tag;
    `rows` (row starts and indices, or how to find them) is needed only for a cell
    without a reference.
    """
    cell_open, value_open = b"<" + prefix + b"c", b"<" + prefix + b"v>#"
    at = piece.find(value_open)
    while at >= 0:
        start = at + len(value_open) - 1
        cstart = piece.rfind(cell_open, 0, at)
        tag_end = piece.find(b">", cstart)
        cattrs = piece[cstart + len(cell_open) : tag_end]
        at = piece.find(value_open, start)
        if cstart < 0 or cattrs[:1] not in (b" ", b"\t", b"\n", b"\r") or b"<" in cattrs:
            continue  # not inside a cell tag
        if not _ATTR_T_ERROR.search(cattrs):
            continue  # a text ("#" typed, or a formula's text result)
        if (ref := _ATTR_REF.search(cattrs)) is not None:
            cell: tuple[int, int] | None = (int(ref.group(2)) - 1, _col(ref.group(1)))
        else:
            rows = rows() if callable(rows) else rows
            cell = _formula_cell(piece, prefix, cattrs, cstart, *rows)
        end = piece.find(b"<", start)
        raw = piece[start:end] if 0 <= end - start <= 64 else b""
        text = error_text(_xml_unescape(raw.decode("utf-8", "replace")))
        if cell is not None and text is not None:
            scan.errors[cell] = text


def _formula_cell(
    piece: bytes,
    prefix: bytes,
    cattrs: bytes,
    cstart: int,
    starts: list[int],
    rows_at: list[int],
) -> tuple[int, int] | None:
    """(row, column) of the cell whose tag starts at `cstart`, from its reference or position."""
    ref = _ATTR_REF.search(cattrs)
    if ref:
        return (int(ref.group(2)) - 1, _col(ref.group(1)))
    k = bisect.bisect_right(starts, cstart) - 1
    if k < 0 or k >= len(rows_at):
        return None
    # Implicit column: count the cells of the row before this one.
    col = piece.count(b"<" + prefix + b"c ", starts[k], cstart) + piece.count(
        b"<" + prefix + b"c>", starts[k], cstart
    )
    return (rows_at[k], col)


def _formula_text(
    piece: bytes, m: re.Match[bytes], cell: tuple[int, int], shared_masters: _Masters
) -> str | None:
    """The text of the formula whose <f> tag is `m`; a shared child's is moved from its master."""
    fattrs = m.group(1)
    text = None
    if not m.group(2):  # <f ...>text</f>
        fend = piece.find(b"<", m.end())
        text = _xml_unescape(piece[m.end() : fend].decode("utf-8", "replace"))
        if _ATTR_TYPE_SHARED.search(fattrs) and (si := _ATTR_SI.search(fattrs)):
            shared_masters[int(si.group(1))] = (text, cell)
    elif _ATTR_TYPE_SHARED.search(fattrs) and (si := _ATTR_SI.search(fattrs)):
        master = shared_masters.get(int(si.group(1)))
        if master:
            text = _translate_shared(master[0], master[1], cell)
    return text


def _has_cached_value(piece: bytes, prefix: bytes, after: int, cattrs: bytes) -> bool:
    """True when the formula cell ending after offset `after` carries a cached value."""
    cend = piece.find(b"</" + prefix + b"c>", after)
    if cend < 0:
        cend = len(piece)
    v = _V_TAG.search(piece, after, cend)
    t = _ATTR_T.search(cattrs)
    ctype = t.group(1) if t else b"n"
    return v is not None and (bool(v.group(1)) or ctype in (b"str", b"inlineStr"))


def _translate_shared(formula: str, origin: tuple[int, int], cell: tuple[int, int]) -> str:
    """Formula text of a shared-formula child, references moved like Excel does.

    >>> _translate_shared("SUM(C4:C6)", (6, 2), (6, 3))
    'SUM(D4:D6)'
    """
    try:
        from openpyxl.formula.translate import Translator

        return Translator("=" + formula, origin=a1(*origin)).translate_formula(a1(*cell))[1:]
    except Exception:  # an untranslatable formula keeps the master's text
        return formula
