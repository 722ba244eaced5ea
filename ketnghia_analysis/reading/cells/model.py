"""The neutral cell grid every format engine hands on: ReadError, Sheet, Workbook."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from ketnghia_analysis.core.limits import Limits

__all__ = ["FormatReader", "ReadError", "Sheet", "Workbook", "not_spreadsheet"]


class ReadError(Exception):
    """A file-level rejection with a stable code and a one-line Vietnamese reason.

    Codes: FILE_EMPTY, FILE_NOT_SPREADSHEET, FILE_ENCRYPTED, FILE_TRUNCATED,
    FILE_LIMIT, FILE_CORRUPT, FILE_UNSUPPORTED (.xlsb), FILE_UNREADABLE (cannot
    open), and from the sandbox FILE_CRASHED, FILE_TIMEOUT.
    """

    def __init__(self, code: str, message: str):
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.message} [{self.code}]"


def not_spreadsheet(what: str) -> ReadError:
    """The rejection of a file whose content is `what` rather than a table.

    >>> str(not_spreadsheet("tệp PDF"))
    'Tệp không phải bảng tính: nội dung là tệp PDF. [FILE_NOT_SPREADSHEET]'
    """
    return ReadError(
        "FILE_NOT_SPREADSHEET",
        f"Tệp không phải bảng tính: nội dung là {what}.",
    )


@dataclass
class Sheet:
    """One sheet as a dense grid from A1 (see docs/architecture.md)."""

    name: str
    index: int
    visible: bool
    rows: list[list[object]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)
    formula_cells: set[tuple[int, int]] = field(default_factory=set)
    uncached_formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    # Cells holding an Excel error value; its text ("#DIV/0!") is in `rows` too.
    error_cells: dict[tuple[int, int], str] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    @property
    def n_cols(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def is_empty(self) -> bool:
        """True when no cell holds a value (uncached formulas count as content)."""
        if self.uncached_formulas:
            return False
        return all(v is None for row in self.rows for v in row)


@dataclass
class Workbook:
    """A whole file: its sheets in workbook order and how it was read.

    `refused` holds (sheet name, Vietnamese reason naming the limit, e.g. "có ô ở dòng
    300.001, vượt giới hạn 250.000 dòng") of each sheet left out for a bounding box beyond
    `Limits`: such a sheet is never handed to an engine that would allocate it, and the
    file's other sheets are read (issue #19).
    """

    path: Path
    format: str
    sheets: list[Sheet]
    modified: datetime | None = None
    engine: str = ""
    notes: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


class FormatReader(Protocol):
    """The contract of a format engine: one sniffed file's bytes → Workbook or ReadError.

    `fmt` is the sniffed format (one engine may serve several, as OOXML serves
    "xlsx" and "xlsm"); `limits` are checked before any library allocates a sheet.
    """

    def __call__(self, path: Path, data: bytes, fmt: str, limits: Limits) -> Workbook: ...
