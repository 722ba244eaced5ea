"""A1 cell addresses from 0-based (row, column) indices and back, with XlsxWriter's helpers.

The one home of cell addresses: readers keep 0-based indices, findings name cells as Excel
shows them ("D12"). `xlsxwriter.utility` is used rather than openpyxl's helpers because
importing it costs ~0.05 s where `openpyxl.utils` imports the whole of openpyxl (~0.18 s),
in every reader worker and on the build's critical path (issue #18); its parser warns and
answers (0, 0) for text that is not an address, so the shape is checked here first.
"""

from __future__ import annotations

import re

from xlsxwriter.utility import xl_cell_to_rowcol, xl_col_to_name

__all__ = ["a1", "col_index", "parse_a1"]

#: Excel's largest address is XFD1048576; three letters as openpyxl accepts (up to ZZZ).
_LETTERS = re.compile(r"[A-Z]{1,3}")
_A1 = re.compile(r"([A-Z]{1,3})([1-9][0-9]*)")


def a1(row0: int, col0: int) -> str:
    """A1 address of a 0-based (row, column).

    >>> a1(0, 0), a1(11, 3), a1(0, 26), a1(1048575, 16383)
    ('A1', 'D12', 'AA1', 'XFD1048576')
    """
    if row0 < 0 or col0 < 0:
        raise ValueError(f"no cell at 0-based ({row0}, {col0})")
    return f"{xl_col_to_name(col0)}{row0 + 1}"


def col_index(letters: str | bytes) -> int:
    """0-based column of letters.

    >>> col_index("A"), col_index("Z"), col_index("aa"), col_index(b"XFD")
    (0, 25, 26, 16383)
    """
    if isinstance(letters, bytes):
        letters = letters.decode("ascii")
    upper = letters.upper()
    if not _LETTERS.fullmatch(upper):
        raise ValueError(f"not column letters: {letters!r}")
    column: int = xl_cell_to_rowcol(f"{upper}1")[1]
    return column


def parse_a1(ref: str) -> tuple[int, int]:
    """0-based (row, column) of an A1 address, `$` signs allowed.

    >>> parse_a1("D12"), parse_a1("$AA$1")
    ((11, 3), (0, 26))
    """
    text = ref.strip().replace("$", "").upper()
    if not _A1.fullmatch(text):
        raise ValueError(f"not an A1 address: {ref!r}")
    row, column = xl_cell_to_rowcol(text)
    return int(row), int(column)
