"""Size limits applied to an untrusted workbook before any engine opens it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Bounds on what one received file may contain.

    The defaults leave a wide margin above the largest real return (a district
    file has a few thousand rows) while keeping one hostile file from taking
    gigabytes of memory: python-calamine allocates the dense bounding box of a
    sheet, so one cell at XFD1048576 asks for 512 GiB and aborts the process.

    Attributes
    ----------
    max_file_bytes : int
        Size of the file on disk.
    max_uncompressed_bytes : int
        Sum of the declared uncompressed sizes of the entries of a ZIP
        container (xlsx, xlsm, ods).
    max_compression_ratio : float
        Uncompressed / compressed size of one ZIP entry (zip bomb guard),
        checked for entries above `ratio_min_bytes`.
    ratio_min_bytes : int
        Entries smaller than this are not ratio-checked: small, repetitive
        XML parts (styles) legitimately compress more than 200:1.
    max_zip_entries : int
        Number of entries of a ZIP container.
    max_rows, max_cols, max_cells : int
        Bounding box of the cells of one sheet (rows x columns from A1).
    """

    max_file_bytes: int = 50 * 1024 * 1024
    max_uncompressed_bytes: int = 500 * 1024 * 1024
    max_compression_ratio: float = 200.0
    ratio_min_bytes: int = 1024 * 1024
    max_zip_entries: int = 10_000
    max_rows: int = 250_000
    max_cols: int = 1_000
    max_cells: int = 20_000_000
