"""python-calamine, the first engine of every binary format: all worksheets of a file's bytes."""

from __future__ import annotations

import io
from collections.abc import Collection

from ketnghia_analysis.reading.cells.model import Sheet

__all__ = ["blank", "calamine_sheets"]

_BLANKS: dict[object, object] = {"": None}


def blank(value: object) -> object:
    """None for an empty string, as every engine reports an empty cell.

    >>> blank(""), blank(0), blank("Trà Mai")
    (None, 0, 'Trà Mai')
    """
    return None if value == "" else value


def calamine_sheets(data: bytes, skip: Collection[str] = ()) -> tuple[list[Sheet], list[str]]:
    """Read every worksheet with python-calamine from the file's bytes, sheet by sheet.

    `from_filelike` detects the format by content (`from_path` trusts the
    extension and fails on an .xls saved as .xlsx). The sheets named in `skip` (beyond
    the limits) are never loaded: for xlsx calamine allocates a sheet's dense box only
    when the sheet is asked for (one cell at XFD1048576 would ask for 512 GiB).
    """
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    notes: list[str] = []
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    sheets = []
    for idx, meta in enumerate(book.sheets_metadata):
        if meta.typ not in (SheetTypeEnum.WorkSheet, SheetTypeEnum.DialogSheet):
            notes.append(f"Bỏ qua trang '{meta.name}' (không phải trang dữ liệu: {meta.typ.name}).")
            continue
        if meta.name in skip:
            continue
        cs = book.get_sheet_by_index(idx)
        # skip_empty_area=False: indices from A1, like the merged ranges (measured-facts).
        # `blank` of every cell of every file, as a C loop: "" → None, any other value
        # (all hashable) → itself.
        grid: list[list[object]] = [
            list(map(_BLANKS.get, row, row)) for row in cs.to_python(skip_empty_area=False)
        ]
        merged = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in (cs.merged_cell_ranges or [])]
        sheets.append(
            Sheet(
                name=meta.name,
                index=idx,
                visible=meta.visible == SheetVisibleEnum.Visible,
                rows=grid,
                merged=merged,
            )
        )
    book.close()
    return sheets, notes
