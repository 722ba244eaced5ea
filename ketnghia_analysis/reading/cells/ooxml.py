"""Engine "xlsx"/"xlsm": calamine, openpyxl when calamine fails or sees an empty sheet, plus the XML scan.

Limits are checked on the package and on each worksheet's XML before any engine
opens the file; engines disagree on some real files (measured-facts), so a sheet
is never concluded empty on one engine's word. Macros are never run, formulas
never evaluated, external links never followed.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ketnghia_analysis.core.address import a1, parse_a1
from ketnghia_analysis.core.limits import Limits
from ketnghia_analysis.reading.cells.calamine_engine import calamine_sheets
from ketnghia_analysis.reading.cells.errors import place_errors
from ketnghia_analysis.reading.cells.guards import (
    box_excess,
    check_zip,
    guarded,
    package_errors,
    reject_dtd,
)
from ketnghia_analysis.reading.cells.model import ReadError, Sheet, Workbook
from ketnghia_analysis.reading.cells.ooxml_scan import SheetScan, scan_sheet_xml
from ketnghia_analysis.reading.cells.package import (
    member_bytes,
    open_package,
    parse_iso,
    read_small,
    zip_lookup,
)

__all__ = ["read"]


@dataclass(frozen=True)
class _Package:
    """What the package tells before any engine runs: per sheet its scan and state, and
    the sheets whose bounding box is beyond the limits (name, why), never read."""

    scans: dict[str, SheetScan]
    states: dict[str, str]
    modified: datetime | None
    refused: list[tuple[str, str]]


def read(path: Path, data: bytes, fmt: str, limits: Limits) -> Workbook:
    """Read an OOXML workbook: check and scan the package, read the cells, apply the scans."""
    package = _read_package(data, limits)
    skip = frozenset(name for name, _ in package.refused)
    sheets, engine, notes = _read_cells(data, package.scans, skip)
    for sheet in sheets:
        scan = package.scans.get(sheet.name)
        if scan is None:
            continue
        _apply_scan(sheet, scan, package.states.get(sheet.name, "visible"))
        note = _stale_dimension_note(sheet.name, scan, limits)
        if note:
            notes.append(note)
    if fmt == "xlsm":
        notes.append("Tệp có macro (.xlsm): chỉ đọc dữ liệu, macro không được chạy.")
    return Workbook(path, fmt, sheets, package.modified, engine, notes, package.refused)


# ------------------------------------------------------------------ the package


def _read_package(data: bytes, limits: Limits) -> _Package:
    """Check the ZIP and its XML parts, then scan each worksheet's XML and measure its box."""
    zf = open_package(data, "Tệp Excel bị cắt cụt hoặc hỏng.")
    with zf, package_errors():
        check_zip(zf, limits)
        reject_dtd(zf)
        parts = zip_lookup(zf)
        scans: dict[str, SheetScan] = {}
        states: dict[str, str] = {}
        refused: list[tuple[str, str]] = []
        for name, state, part in guarded("Đọc cấu trúc tệp", _sheet_parts, zf):
            states[name] = state
            info = parts.get((part or "").lower())
            if info is None:
                continue
            scan = _scan_sheet(zf, info, name)
            why = box_excess(scan.n_rows, scan.n_cols, limits)
            if why is None:
                scans[name] = scan
            else:
                refused.append((name, why))
        modified = _modified(zf)
    return _Package(scans, states, modified, refused)


def _scan_sheet(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> SheetScan:
    """`scan_sheet_xml`, with rejections naming the sheet rather than its part."""
    try:
        return scan_sheet_xml(zf, info)
    except ReadError as exc:
        exc.message = exc.message.replace(f"'{info.filename}'", f"'{name}'")
        raise ReadError(exc.code, exc.message) from None
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise ReadError("FILE_TRUNCATED", f"Trang '{name}' bị hỏng hoặc cắt cụt ({exc}).") from exc


def _local(tag: str) -> str:
    """The local name of a namespaced XML tag.

    >>> _local("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}sheet")
    'sheet'
    """
    return tag.rsplit("}", 1)[-1]


def _workbook_part(zf: zipfile.ZipFile, parts: dict[str, zipfile.ZipInfo]) -> str:
    """Path of the workbook part, from the package relationships (default xl/workbook.xml)."""
    from defusedxml import ElementTree as SafeET

    wb_path = "xl/workbook.xml"
    rels_root = parts.get("_rels/.rels")
    if rels_root is not None:
        for rel in SafeET.fromstring(read_small(zf, rels_root)).iter():
            if _local(rel.tag) == "Relationship" and rel.get("Type", "").endswith(
                "/officeDocument"
            ):
                wb_path = rel.get("Target", wb_path).lstrip("/")
    return wb_path


def _relationship_targets(
    zf: zipfile.ZipFile, parts: dict[str, zipfile.ZipInfo], wb_path: str
) -> dict[str, str]:
    """Relationship id → part path, from the workbook's relationships part."""
    from defusedxml import ElementTree as SafeET

    base = posixpath.dirname(wb_path)
    rel_info = parts.get(posixpath.join(base, "_rels", posixpath.basename(wb_path) + ".rels"))
    targets: dict[str, str] = {}
    if rel_info is not None:
        for rel in SafeET.fromstring(read_small(zf, rel_info)).iter():
            if _local(rel.tag) == "Relationship":
                target = rel.get("Target", "")
                full = (
                    target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
                )
                targets[rel.get("Id", "")] = posixpath.normpath(full)
    return targets


def _sheet_parts(zf: zipfile.ZipFile) -> list[tuple[str, str, str | None]]:
    """(sheet name, state, part path) of each sheet of an OOXML workbook, in order."""
    from defusedxml import ElementTree as SafeET

    parts = zip_lookup(zf)
    wb_path = _workbook_part(zf, parts)
    wb_info = parts.get(wb_path.lower())
    if wb_info is None:
        return []
    targets = _relationship_targets(zf, parts, wb_path)
    out = []
    for el in SafeET.fromstring(read_small(zf, wb_info)).iter():
        if _local(el.tag) != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
        out.append((el.get("name", ""), el.get("state", "visible"), targets.get(rid or "")))
    return out


def _modified(zf: zipfile.ZipFile) -> datetime | None:
    """The last-modified time of the document properties, if any."""
    info = zip_lookup(zf).get("docprops/core.xml")
    if info is None or info.file_size > 1024 * 1024:
        return None
    m = re.search(rb"<dcterms:modified[^>]*>([^<]+)<", member_bytes(zf, info))
    return parse_iso(m.group(1).decode("ascii", "replace")) if m else None


# ---------------------------------------------------------------------- engines


def _openpyxl_value(value: object) -> object:
    """A cell value as calamine would report it.

    openpyxl gives datetime for every date cell; calamine gives a date when
    there is no time part: keep one convention whichever engine read the file.

    >>> _openpyxl_value(datetime(2023, 12, 15)), _openpyxl_value("")
    (datetime.date(2023, 12, 15), None)
    """
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date()
    return None if value == "" else value


def _openpyxl_sheets(data: bytes, skip: Collection[str] = ()) -> list[Sheet]:
    """Read an OOXML workbook with openpyxl (normal mode sees merged cells).

    openpyxl keeps the cells it loads sparse; the dense grid, which a far cell would make
    huge, is never built for the sheets named in `skip` (beyond the limits).
    """
    import openpyxl

    # openpyxl parses with defusedxml when installed; refuse to run without it.
    if not getattr(openpyxl, "DEFUSEDXML", False):
        raise ReadError("FILE_CORRUPT", "openpyxl chạy không có defusedxml: từ chối đọc dự phòng.")
    # A file object skips openpyxl's extension check (content decides the format).
    book = openpyxl.load_workbook(
        io.BytesIO(data), read_only=False, data_only=True, keep_vba=False, keep_links=False
    )
    sheets = []
    for idx, ws in enumerate(book.worksheets):
        if ws.title in skip:
            continue
        grid = [
            [_openpyxl_value(v) for v in row]
            for row in ws.iter_rows(
                min_row=1, max_row=ws.max_row, max_col=ws.max_column, values_only=True
            )
        ]
        if len(grid) == 1 and all(v is None for v in grid[0]):
            grid = []
        merged = [
            (r.min_row - 1, r.min_col - 1, r.max_row - 1, r.max_col - 1)
            for r in ws.merged_cells.ranges
        ]
        sheets.append(
            Sheet(
                name=ws.title,
                index=idx,
                visible=ws.sheet_state == "visible",
                rows=grid,
                merged=merged,
            )
        )
    book.close()
    return sheets


def _read_cells(
    data: bytes, scans: dict[str, SheetScan], skip: frozenset[str]
) -> tuple[list[Sheet], str, list[str]]:
    """The sheets but those in `skip`, the engines that read them and notes: calamine,
    openpyxl where needed."""
    try:
        sheets, notes = guarded("python-calamine", calamine_sheets, data, skip)
    except ReadError as first:
        return _openpyxl_instead(data, first, skip)
    engine = _reread_empty_sheets(data, sheets, scans, notes, skip)
    return sheets, engine, notes


def _openpyxl_instead(
    data: bytes, first: ReadError, skip: frozenset[str]
) -> tuple[list[Sheet], str, list[str]]:
    """Every sheet but those in `skip` read by openpyxl after calamine failed with `first`."""
    try:
        sheets = guarded("openpyxl", _openpyxl_sheets, data, skip)
    except ReadError as second:
        raise ReadError(
            first.code if first.code != "FILE_CORRUPT" else second.code,
            f"Không đọc được tệp: {first.message} Đọc lại bằng openpyxl cũng lỗi: {second.message}",
        ) from None
    note = f"calamine không đọc được tệp ({first.message}); đã đọc lại bằng openpyxl."
    return sheets, "openpyxl", [note]


def _reread_empty_sheets(
    data: bytes,
    sheets: list[Sheet],
    scans: dict[str, SheetScan],
    notes: list[str],
    skip: frozenset[str],
) -> str:
    """Replace the sheets calamine saw empty but whose XML holds values; returns the engine.

    Never conclude a sheet is empty on one engine's word (measured-facts).
    """
    suspicious = [
        s.name for s in sheets if s.is_empty() and scans.get(s.name, SheetScan()).has_cells
    ]
    if not suspicious:
        return "calamine"
    try:
        again = {s.name: s for s in guarded("openpyxl", _openpyxl_sheets, data, skip)}
    except ReadError as exc:
        notes.append(f"calamine trả về trang trống; đọc lại bằng openpyxl cũng lỗi: {exc.message}")
        again = {}
    engine = "calamine"
    for i, s in enumerate(sheets):
        alt = again.get(s.name)
        if s.name in suspicious and alt is not None and not alt.is_empty():
            alt.index = s.index
            sheets[i] = alt
            engine = "calamine+openpyxl"
            notes.append(f"calamine trả về trang '{s.name}' trống, đã đọc lại bằng openpyxl.")
    return engine


# ---------------------------------------------------------------- the scan applied


def _pad_grid(sheet: Sheet, cells: dict[tuple[int, int], str]) -> None:
    """Grow the grid to cover formulas without a cached value (calamine's grid
    ends at the last cell holding a value), so rows[r][c] exists for each."""
    n_rows = max(len(sheet.rows), max(r for r, _ in cells) + 1)
    width = max(sheet.n_cols, max(c for _, c in cells) + 1)
    while len(sheet.rows) < n_rows:
        sheet.rows.append([])
    for row in sheet.rows:
        if len(row) < width:
            row.extend([None] * (width - len(row)))


def _apply_scan(sheet: Sheet, scan: SheetScan, state: str) -> None:
    """Formulas, error values, hidden rows/columns and the sheet state, which the engines
    do not report (calamine reads an error cell as empty; openpyxl's text is the same)."""
    sheet.formula_cells = scan.formula_cells
    sheet.uncached_formulas = scan.uncached
    if scan.uncached:
        _pad_grid(sheet, scan.uncached)
    place_errors(sheet, scan.errors)
    # Hidden rows/columns beyond the grid ("hide all unused columns" writes
    # one <col min="20" max="16384" hidden="1">) say nothing about the data.
    n_rows, width = len(sheet.rows), sheet.n_cols
    sheet.hidden_cols = {c for c in scan.hidden_cols if c < width}
    sheet.hidden_rows = {r for r in scan.hidden_rows if r < n_rows}
    if scan.zero_height:
        sheet.hidden_rows |= set(range(n_rows)) - scan.listed_rows
    if state != "visible":
        sheet.visible = False


def _stale_dimension_note(name: str, scan: SheetScan, limits: Limits) -> str | None:
    """A note when the sheet declares a range beyond the limits that its cells do not fill."""
    if not (scan.dimension and ":" in scan.dimension):
        return None
    try:
        r1, c1 = parse_a1(scan.dimension.split(":")[1])
    except ValueError:
        return None
    if r1 + 1 > limits.max_rows or c1 + 1 > limits.max_cols:
        return (
            f"Trang '{name}' khai báo vùng {scan.dimension} nhưng chỉ có dữ liệu đến "
            f"{a1(max(scan.n_rows - 1, 0), max(scan.n_cols - 1, 0))}: đã bỏ qua khai báo."
        )
    return None
