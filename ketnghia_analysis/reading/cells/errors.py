"""Excel error values (#DIV/0!, #N/A ...) put back into the grid, whichever engine read it.

python-calamine returns an error cell as an empty string (dimastbk/python-calamine#105, and
for .ods tafia/calamine#720), xlrd as a code; a blank in a criteria grid means "not met",
so an error read as a blank is a silent misreading. Each engine finds its file's error
cells (the OOXML ``t="e"`` cells in `ooxml_scan`, xlrd's XL_CELL_ERROR, LibreOffice's
``calcext:value-type="error"``, XML 2003 ``ss:Type="Error"``, HTML ``x:err``) and
`place_errors` writes their text, spelt as Excel does, where the cell is: the value parsers
then say why the cell is missing (VALUE_EXCEL_ERROR).
"""

from __future__ import annotations

import re

from ketnghia_analysis.reading.cells.model import Sheet

__all__ = ["ERROR_TEXTS", "error_text", "place_errors"]

# Excel's error values, as Excel spells them.
ERROR_TEXTS = (
    "#NULL!",
    "#DIV/0!",
    "#VALUE!",
    "#REF!",
    "#NAME?",
    "#NUM!",
    "#N/A",
    "#GETTING_DATA",
    "#SPILL!",
    "#CALC!",
    "#FIELD!",
    "#BLOCKED!",
    "#CONNECT!",
    "#BUSY!",
    "#UNKNOWN!",
)
_CANONICAL = {t.upper(): t for t in ERROR_TEXTS}
_LIBREOFFICE = re.compile(r"err:(\d{3})", re.IGNORECASE)


def error_text(raw: str) -> str | None:
    """The error value of an error cell's stored text, spelt as Excel does; None when empty.

    LibreOffice's own codes keep its spelling ("Err:502"); an unknown error is kept as
    written, so that it is not read as a blank.

    >>> [error_text(t) for t in ("#DIV/0!", " #n/a ", "Err:502", "#LẠ!", "")]
    ['#DIV/0!', '#N/A', 'Err:502', '#LẠ!', None]
    """
    text = raw.strip()
    if not text:
        return None
    if (known := _CANONICAL.get(text.upper())) is not None:
        return known
    if m := _LIBREOFFICE.fullmatch(text):
        return f"Err:{m.group(1)}"
    return text


def place_errors(sheet: Sheet, errors: dict[tuple[int, int], str]) -> None:
    """Write each error cell's text at its place in the grid and record it in
    `sheet.error_cells`; the grid grows when an error lies beyond it (calamine's grid ends
    at the last cell it saw a value in, and it sees none in an error cell).

    >>> s = Sheet("Biểu 03", 0, True, [["Xã", "Tỷ lệ"], ["Trà Mai", None]])
    >>> place_errors(s, {(1, 1): "#DIV/0!", (2, 0): "#N/A"})
    >>> s.rows
    [['Xã', 'Tỷ lệ'], ['Trà Mai', '#DIV/0!'], ['#N/A', None]]
    """
    if not errors:
        return
    rows = sheet.rows
    n_rows = max(len(rows), max(r for r, _ in errors) + 1)
    width = max(sheet.n_cols, max(c for _, c in errors) + 1)
    while len(rows) < n_rows:
        rows.append([])
    grow = any(c >= len(rows[r]) for r, c in errors)
    if grow:
        for row in rows:
            if len(row) < width:
                row.extend([None] * (width - len(row)))
    for (r, c), text in errors.items():
        rows[r][c] = text
    sheet.error_cells.update(errors)
