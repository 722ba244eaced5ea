"""Tiny-workbook builders for the reader's tests: Sheets from Python lists, and real files.

Every fixture is made by code here: `sheet(...)` builds a ``cells.Sheet`` directly (fast,
no file), `write_xlsx(...)` writes a real workbook with openpyxl (merges, hidden sheets,
formulas with or without cached values) for file-level tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ketnghia_analysis.reading.cells import Sheet

Rows = list[list[Any]]

# A title block as districts type it: administrative heading, motto, form number, title,
# "Kèm theo" line, unit line.
TITLE_POVERTY: Rows = [
    ["UBND HUYỆN NAM TRÀ MY", None, None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
    [None, None, None, None, "Độc lập - Tự do - Hạnh phúc"],
    ["Biểu 02/HN"],
    ["KẾT QUẢ RÀ SOÁT HỘ NGHÈO, HỘ CẬN NGHÈO NĂM 2023"],
    ["(Kèm theo Báo cáo số 123/BC-UBND ngày 15/12/2023 của UBND huyện Nam Trà My)"],
]

POVERTY_HEADER: Rows = [
    [
        "STT",
        "Xã, thị trấn",
        "Tổng số hộ",
        "Số hộ nghèo đầu năm",
        "Số hộ thoát nghèo trong năm",
        "Số hộ tái nghèo",
        "Số hộ nghèo phát sinh mới",
        "Số hộ nghèo cuối năm",
        "Tỷ lệ hộ nghèo cuối năm (%)",
        "Số hộ cận nghèo cuối năm",
        "Trong đó: hộ nghèo dân tộc thiểu số",
    ]
]

POVERTY_ROWS: Rows = [
    [1, "Xã Trà Mai", 1200, 400, 50, 2, 3, 355, "29,58", 120, 350],
    [2, "Trà Don", 800, 300, 40, 0, "-", 260, "32,5", 90, 255],
]


def sheet(
    rows: Rows,
    name: str = "Sheet1",
    index: int = 0,
    visible: bool = True,
    merged: list[tuple[int, int, int, int]] | None = None,
    hidden_rows: set[int] | None = None,
    uncached: dict[tuple[int, int], str] | None = None,
) -> Sheet:
    """A Sheet from a list of rows (ragged rows are padded with None)."""
    width = max((len(r) for r in rows), default=0)
    grid = [list(r) + [None] * (width - len(r)) for r in rows]
    return Sheet(
        name=name,
        index=index,
        visible=visible,
        rows=grid,
        merged=list(merged or []),
        hidden_rows=set(hidden_rows or ()),
        hidden_cols=set(),
        formula_cells=set((uncached or {}).keys()),
        uncached_formulas=dict(uncached or {}),
    )


def poverty_sheet(name: str = "Biểu 02", index: int = 0, title: bool = True) -> Sheet:
    rows = (TITLE_POVERTY if title else []) + POVERTY_HEADER + POVERTY_ROWS
    return sheet(rows, name=name, index=index)


def write_xlsx(
    path: Path,
    sheets: list[dict[str, Any]],
) -> Path:
    """Write a real .xlsx with openpyxl.

    Each sheet dict: ``name``, ``rows`` (values; strings starting with "=" are formulas,
    written without cached values, as scripts do), optional ``merged`` (A1 ranges such as
    "B3:B4"), ``hidden`` (bool), ``hidden_rows`` (1-based row numbers).
    """
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for sd in sheets:
        ws = wb.create_sheet(sd["name"])
        for row in sd["rows"]:
            ws.append(list(row))
        for rng in sd.get("merged", []):
            ws.merge_cells(rng)
        if sd.get("hidden"):
            ws.sheet_state = "hidden"
        for r in sd.get("hidden_rows", []):
            ws.row_dimensions[r].hidden = True
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_with(
    out: Path,
    relpath: str,
    writer: str,
    sheets: list[dict[str, Any]],
) -> Path:
    """Write a tiny workbook with the sample generator's writers (any catalogue format).

    `writer`: "xlsxwriter" (formulas with cached values), "openpyxl" (formulas without
    cached values), "xlsm", "xlwt" (.xls), "xls_as_xlsx", "ods", "html". Each sheet dict:
    ``name``, ``rows`` (a value ``("=SUM(C3:C4)", 30)`` is a formula with its value),
    optional ``merged`` [(r0, c0, r1, c1)], ``hidden``, ``hidden_rows``, ``hidden_cols``.
    """
    import datetime as dt

    from ketnghia_analysis.sample.grid import Book, Formula, write_book
    from ketnghia_analysis.sample.grid import Grid as SampleGrid

    grids = []
    for sd in sheets:
        g = SampleGrid(sd["name"])
        for r, row in enumerate(sd["rows"]):
            for c, v in enumerate(row):
                if isinstance(v, tuple):
                    v = Formula(v[0].lstrip("="), v[1])
                g.put(r, c, v)
        g.merged = list(sd.get("merged", []))
        g.hidden = bool(sd.get("hidden", False))
        g.hidden_rows = set(sd.get("hidden_rows", ()))
        g.hidden_cols = set(sd.get("hidden_cols", ()))
        grids.append(g)
    book = Book(relpath, writer, grids, dt.datetime(2024, 1, 1))
    return write_book(book, out)


# A kết nghĩa sheet whose partner column is headed in a way no synonym knows ("Bên hỗ
# trợ"), with a "Ghi chú" column: 14 rows of figures that no form fits (issue #20).
KN_UNKNOWN_PARTNER: Rows = [
    ["UBND HUYỆN NAM TRÀ MY"],
    ["Biểu 01/KN"],
    ["KẾT QUẢ HỖ TRỢ CỦA CÁC ĐƠN VỊ KẾT NGHĨA NĂM 2023"],
    ["STT", "Bên hỗ trợ", "Xã được kết nghĩa", "Tiền (tr.đ)", "Số hộ", "Ghi chú"],
] + [[i, f"Sở số {i}", "Trà Mai", 10 * i, i, None] for i in range(1, 15)]
