"""Size limits applied to an untrusted workbook before any engine opens it."""

from __future__ import annotations

from dataclasses import dataclass

#: Address space a reader worker may take beyond what it maps at start, in MB (issue #8):
#: the workers of `ketnghia build` and `ketnghia check` get this limit.
WORKER_MEMORY_MB = 1024

#: Why a form was left out when it needed more memory than a worker has (Vietnamese).
MEMORY_LIMIT_TEXT = (
    f"cần nhiều bộ nhớ hơn giới hạn {WORKER_MEMORY_MB:,} MB của tiến trình đọc".replace(",", ".")
)


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
    max_form_rows : int
        Rows of one recognised form sheet that are read and normalised; a form beyond it
        is not read (FORM_TOO_LARGE), the file's other forms are. Measured (issue #19): a
        245,000-row Biểu 01/KN whose every row is quarantined (the costliest case: one
        finding and one quarantine row each) is read, normalised and pickled within
        `WORKER_MEMORY_MB` (peak RSS 1.26 GB from 1.45 GB of address space at start, 45 s);
        200,000 keeps a fifth in reserve, in memory and in time (the 120 s per file of
        `building.collect.WORKER_TIMEOUT_S`).
    """

    max_file_bytes: int = 50 * 1024 * 1024
    max_uncompressed_bytes: int = 500 * 1024 * 1024
    max_compression_ratio: float = 200.0
    ratio_min_bytes: int = 1024 * 1024
    max_zip_entries: int = 10_000
    max_rows: int = 250_000
    max_cols: int = 1_000
    max_cells: int = 20_000_000
    max_form_rows: int = 200_000
