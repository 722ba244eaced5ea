"""One untrusted workbook file → a Workbook of dense Sheets (cells, merges, visibility).

The format is decided by content, never by the file name (`sniff`); limits are checked
before any engine sees the file (`guards`); each format has one engine module, chosen
from `ENGINES` below: python-calamine first, then xlrd (.xls) or openpyxl (.xlsx) when
calamine fails or sees nothing (measured-facts: engines disagree on some real files).
Macros are never run, formulas never evaluated, external links never followed.

Formats (`Workbook.format`): "xlsx", "xlsm", "xls", "ods", "html" (a web page table saved
as .xls), "xml2003" (Excel's XML Spreadsheet 2003, also a web export), "csv" (delimited
text, including Excel's UTF-16 "Unicode text").
"""

from __future__ import annotations

from pathlib import Path

from ketnghia_analysis.core.fmt import fmt_number
from ketnghia_analysis.core.limits import Limits
from ketnghia_analysis.reading.cells import delimited, html_tables, ods, ooxml, xls, xml2003
from ketnghia_analysis.reading.cells.guards import box_error
from ketnghia_analysis.reading.cells.model import FormatReader, ReadError, Sheet, Workbook
from ketnghia_analysis.reading.cells.sniff import sniff_format

__all__ = [
    "ENGINES",
    "FormatReader",
    "Limits",
    "ReadError",
    "Sheet",
    "Workbook",
    "read_workbook",
    "sniff_format",
]

# The one place where a sniffed format meets the module that reads it.
ENGINES: dict[str, FormatReader] = {
    "xlsx": ooxml.read,
    "xlsm": ooxml.read,
    "xls": xls.read,
    "ods": ods.read,
    "html": html_tables.read,
    "xml2003": xml2003.read,
    "csv": delimited.read,
}


def read_workbook(path: str | Path, limits: Limits | None = None) -> Workbook:
    """Read one untrusted file into a Workbook; raises ReadError only.

    Parameters
    ----------
    path : str or Path
        Path of the file (the extension is ignored).
    limits : Limits, optional
        Size limits checked before any engine opens the file.

    Returns
    -------
    Workbook
        Every sheet as a dense grid from A1, merged ranges, hidden sheets, rows and
        columns, and formulas without cached values (xlsx/xlsm). A sheet beyond the
        limits is left out and listed in `Workbook.refused`; a file left with no data
        but such sheets is rejected (FILE_LIMIT, naming the first).
    """
    path = Path(path)
    limits = limits or Limits()
    try:
        return _read_workbook(path, limits)
    except ReadError:
        raise
    except (KeyboardInterrupt, SystemExit):
        raise
    except MemoryError as exc:
        raise ReadError("FILE_LIMIT", "Không đủ bộ nhớ để đọc tệp.") from exc
    except BaseException as exc:
        # The contract is "raises ReadError only": a bug of ours, or an engine
        # error not caught closer to it, still rejects this one file. The words
        # "lỗi không mong đợi" let the fuzz test tell these apart.
        raise ReadError(
            "FILE_CORRUPT",
            f"Không đọc được tệp: lỗi không mong đợi ({type(exc).__name__}: "
            f"{str(exc)[:200]}).".replace("\n", " "),
        ) from exc


def _read_workbook(path: Path, limits: Limits) -> Workbook:
    """Check the size, sniff the format, read with its engine, reject a file without data."""
    _check_file_size(path, limits)
    try:
        data = path.read_bytes()  # within the size limit: read once, sniffed and read
    except OSError as exc:
        raise ReadError("FILE_UNREADABLE", f"Không mở được tệp: {exc.strerror}.") from exc
    fmt = sniff_format(path, data)
    book = ENGINES[fmt](path, data, fmt, limits)
    if book.refused and all(s.is_empty() for s in book.sheets):
        # Nothing left but the sheets beyond the limits: the file is rejected, as before.
        raise box_error(*book.refused[0])
    if not book.sheets:
        raise ReadError("FILE_EMPTY", "Tệp không có trang tính nào.")
    if all(s.is_empty() for s in book.sheets):
        raise ReadError("FILE_EMPTY", "Tệp không có dữ liệu: mọi trang tính đều trống.")
    return book


def _check_file_size(path: Path, limits: Limits) -> None:
    """Reject a file that cannot be opened or is heavier than the limit."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ReadError("FILE_UNREADABLE", f"Không mở được tệp: {exc.strerror}.") from exc
    if size > limits.max_file_bytes:
        raise ReadError(
            "FILE_LIMIT",
            f"Tệp nặng {fmt_number(size / 2**20, 1)} MB, vượt giới hạn {fmt_number(limits.max_file_bytes / 2**20)} MB.",
        )
