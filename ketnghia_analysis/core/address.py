"""A1 cell addresses from 0-based (row, column) indices and back, with openpyxl's helpers.

The one home of cell addresses: readers keep 0-based indices, findings name cells as Excel
shows them ("D12").
"""

from __future__ import annotations

from openpyxl.utils.cell import (
    column_index_from_string,
    coordinate_from_string,
    get_column_letter,
)
from openpyxl.utils.exceptions import CellCoordinatesException

__all__ = ["a1", "col_index", "parse_a1"]


def a1(row0: int, col0: int) -> str:
    """A1 address of a 0-based (row, column).

    >>> a1(0, 0), a1(11, 3), a1(0, 26), a1(1048575, 16383)
    ('A1', 'D12', 'AA1', 'XFD1048576')
    """
    return f"{get_column_letter(col0 + 1)}{row0 + 1}"


def col_index(letters: str | bytes) -> int:
    """0-based column of letters.

    >>> col_index("A"), col_index("Z"), col_index("aa"), col_index(b"XFD")
    (0, 25, 26, 16383)
    """
    if isinstance(letters, bytes):
        letters = letters.decode("ascii")
    index: int = column_index_from_string(letters.upper())
    return index - 1


def parse_a1(ref: str) -> tuple[int, int]:
    """0-based (row, column) of an A1 address, `$` signs allowed.

    >>> parse_a1("D12"), parse_a1("$AA$1")
    ((11, 3), (0, 26))
    """
    try:
        letters, row = coordinate_from_string(ref.strip().replace("$", "").upper())
    except (ValueError, CellCoordinatesException):
        raise ValueError(f"not an A1 address: {ref!r}") from None
    return row - 1, col_index(letters)
