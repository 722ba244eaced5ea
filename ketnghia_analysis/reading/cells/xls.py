"""Engine "xls" (Excel 97-2003): calamine for the cells, xlrd for hidden rows, merges,
error values and empty sheets.

calamine returns empty sheets for some .xls files that xlrd reads in full, and
reports no hidden rows or columns (measured-facts) and an error cell (#DIV/0!) as
empty: xlrd reads every file too, and fills in what calamine missed. Neither engine
tells a sheet's box before reading it, so a sheet beyond the limits is measured once
read and left out (`Workbook.refused`); BIFF8 caps a sheet at 65,536 rows × 256
columns, within the default limits.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any

from ketnghia_analysis.core.limits import Limits
from ketnghia_analysis.reading.cells.calamine_engine import blank, calamine_sheets
from ketnghia_analysis.reading.cells.errors import place_errors
from ketnghia_analysis.reading.cells.guards import box_excess, guarded, leave_out_oversized
from ketnghia_analysis.reading.cells.model import ReadError, Sheet, Workbook

__all__ = ["read"]

# BIFF error codes → Excel's spelling (xlrd.biffh.error_text_from_code, which lacks
# 0x2B #GETTING_DATA); a code outside the list is read as "#N/A" (not available),
# still an error, never a blank.
_XLRD_ERRORS = {
    0x00: "#NULL!",
    0x07: "#DIV/0!",
    0x0F: "#VALUE!",
    0x17: "#REF!",
    0x1D: "#NAME?",
    0x24: "#NUM!",
    0x2A: "#N/A",
    0x2B: "#GETTING_DATA",
}


def read(path: Path, data: bytes, fmt: str, limits: Limits) -> Workbook:
    """Read an .xls with both engines and keep the best of each, sheet by sheet."""
    notes: list[str] = []
    try:
        sheets, more = guarded("python-calamine", calamine_sheets, data)
        notes.extend(more)
        calamine_error = None
    except ReadError as exc:
        sheets, calamine_error = [], exc
    # xlrd's cells are wanted where calamine saw none (every sheet when it failed); of the
    # other sheets only xlrd's formatting, merges and errors are used.
    wanted = (
        None if calamine_error is not None else frozenset(s.name for s in sheets if s.is_empty())
    )
    by_xlrd, formatting, refused = _xlrd_or_note(data, limits, calamine_error, notes, wanted)
    if calamine_error is not None:
        sheets, engine = by_xlrd, "xlrd"
        notes.append(f"calamine không đọc được tệp ({calamine_error.message}); đã đọc bằng xlrd.")
    else:
        engine = _merge_xlrd(sheets, {s.name: s for s in by_xlrd}, notes)
    if by_xlrd and not formatting:
        notes.append("xlrd không đọc được định dạng: không biết dòng/cột ẩn.")
    # A sheet either engine measures beyond the limits is left out (xlrd counts styled
    # blank cells, calamine does not).
    sheets, measured = leave_out_oversized(
        [s for s in sheets if s.name not in dict(refused)], limits
    )
    refused += measured
    return Workbook(path, "xls", sheets, _ole_modified(data), engine, notes, refused)


def _xlrd_or_note(
    data: bytes,
    limits: Limits,
    calamine_error: ReadError | None,
    notes: list[str],
    wanted: frozenset[str] | None,
) -> tuple[list[Sheet], bool, list[tuple[str, str]]]:
    """xlrd's sheets (cells only for the sheets `wanted`, None: all), whether it read the
    formatting, and the sheets it left out for their box; when xlrd fails, a note if
    calamine read the file, else one ReadError."""
    try:
        return guarded("xlrd", _xlrd_sheets, data, limits, wanted)
    except ReadError as exc:
        if calamine_error is not None and exc.code == "FILE_LIMIT":
            raise
        if calamine_error is not None:
            raise ReadError(
                "FILE_CORRUPT",
                f"Không đọc được tệp .xls: {calamine_error.message} {exc.message}",
            ) from None
        notes.append(f"xlrd không đọc được tệp ({exc.message}): không biết dòng/cột ẩn.")
        return [], False, []


def _merge_xlrd(sheets: list[Sheet], xl: dict[str, Sheet], notes: list[str]) -> str:
    """Complete calamine's sheets with xlrd's (by name); returns the engine label."""
    engine = "calamine"
    for i, s in enumerate(sheets):
        alt = xl.get(s.name)
        if alt is None:
            continue
        # Engines disagree: calamine returns empty sheets for some .xls files
        # that xlrd reads in full (measured-facts).
        if s.is_empty() and not alt.is_empty():
            alt.index = s.index
            sheets[i] = alt
            engine = "calamine+xlrd"
            notes.append(f"calamine trả về trang '{s.name}' trống, đã đọc lại bằng xlrd.")
            continue
        s.hidden_rows, s.hidden_cols = alt.hidden_rows, alt.hidden_cols
        place_errors(s, alt.error_cells)
        if not s.merged and alt.merged:
            s.merged = alt.merged
        if alt.visible is False:
            s.visible = False
    return engine


def _xlrd_book(data: bytes, formatting: bool) -> Any:
    import xlrd

    return xlrd.open_workbook(
        file_contents=data, formatting_info=formatting, on_demand=True, logfile=io.StringIO()
    )


def _xlrd_value(cell: Any, datemode: int) -> object:
    """A cell value as calamine would report it (dates without time as dates); an error
    cell as its text ("#DIV/0!"), which calamine does not report."""
    return _xlrd_typed(cell.ctype, cell.value, datemode)


def _xlrd_row(sh: Any, r: int, datemode: int) -> list[object]:
    """Row `r` of an xlrd sheet as `_xlrd_value` reads each cell, from the row's types and
    values (`sh.cell` builds an object and looks up the format of every cell)."""
    import xlrd

    types, values = sh.row_types(r), sh.row_values(r)
    if len(types) != sh.ncols or len(values) != sh.ncols:  # ragged: cell by cell
        return [_xlrd_value(sh.cell(r, c), datemode) for c in range(sh.ncols)]
    text, number = xlrd.XL_CELL_TEXT, xlrd.XL_CELL_NUMBER
    empty = (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK)
    return [
        (None if v == "" else v)
        if t == text or t == number
        else None
        if t in empty
        else _xlrd_typed(t, v, datemode)
        for t, v in zip(types, values, strict=True)
    ]


def _xlrd_typed(ctype: int, value: Any, datemode: int) -> object:
    """`_xlrd_value` of a cell's type and value."""
    import xlrd

    if ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if ctype == xlrd.XL_CELL_ERROR:
        return _XLRD_ERRORS.get(value, "#N/A")
    if ctype == xlrd.XL_CELL_DATE:
        try:
            dt = xlrd.xldate_as_datetime(value, datemode)
        except Exception:
            return value
        return dt.date() if dt.time() == datetime.min.time() else dt
    if ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(value)
    return blank(value)


def _xlrd_sheets(
    data: bytes, limits: Limits, wanted: frozenset[str] | None = None
) -> tuple[list[Sheet], bool, list[tuple[str, str]]]:
    """All sheets with xlrd, their grid only when `wanted` names them (None: all);
    formatting_info (hidden rows/columns, merges) when it parses; the sheets beyond the
    limits are left out (name, why) before their grid is built."""
    import xlrd

    try:
        book = _xlrd_book(data, formatting=True)
        formatting = True
    except NotImplementedError:
        book = _xlrd_book(data, formatting=False)
        formatting = False
    sheets = []
    refused: list[tuple[str, str]] = []
    for idx in range(book.nsheets):
        sh = book.sheet_by_index(idx)
        why = box_excess(sh.nrows, sh.ncols, limits)  # before building the grid
        if why is not None:
            refused.append((sh.name, why))
            book.unload_sheet(idx)
            continue
        grid: list[list[object]] = []
        if wanted is None or sh.name in wanted:
            grid = [_xlrd_row(sh, r, book.datemode) for r in range(sh.nrows)]
        errors = {
            (r, c): _XLRD_ERRORS.get(sh.cell_value(r, c), "#N/A")
            for r in range(sh.nrows)
            if xlrd.XL_CELL_ERROR in sh.row_types(r)
            for c, t in enumerate(sh.row_types(r))
            if t == xlrd.XL_CELL_ERROR
        }
        merged = [(rlo, clo, rhi - 1, chi - 1) for rlo, rhi, clo, chi in sh.merged_cells]
        hidden_rows = {r for r, info in sh.rowinfo_map.items() if info.hidden}
        hidden_cols = {c for c, info in sh.colinfo_map.items() if info.hidden}
        sheets.append(
            Sheet(
                name=sh.name,
                index=idx,
                visible=sh.visibility == 0,
                rows=grid,
                merged=merged,
                hidden_rows=hidden_rows,
                hidden_cols=hidden_cols,
                error_cells=errors,
            )
        )
        book.unload_sheet(idx)
    return sheets, formatting, refused


def _ole_modified(data: bytes) -> datetime | None:
    """The last-saved time of the OLE summary information, if any."""
    try:
        import olefile

        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            meta = ole.get_metadata()
        value = meta.last_saved_time
        return value if isinstance(value, datetime) else None
    except Exception:
        return None
