"""A blank return (`ketnghia template`) filled in as a district officer would: a test helper."""

from __future__ import annotations

from pathlib import Path

import openpyxl

NAM_TRA_MY = [
    "Xã Trà Leng",
    "Xã Trà Dơn",
    "Xã Trà Tập",
    "Xã Trà Mai",
    "Xã Trà Cang",
    "Xã Trà Linh",
    "Xã Trà Nam",
    "Xã Trà Don",
    "Xã Trà Vân",
    "Xã Trà Vinh",
]


def fill_template(path: Path, poor_start: int = 400, supports: bool = True) -> Path:
    """Fill a template as a district officer would (openpyxl, typed values).

    Every commune: households 1000 + row, poor at start `poor_start`, − 50 exits + 2
    relapses + 3 new → `poor_start − 45` at the end, the rate in percent.
    """
    book = openpyxl.load_workbook(path)
    ws = book["Biểu 02-HN"]
    r = 7
    while ws.cell(r, 1).value:
        households, end = 1000 + r, poor_start - 45
        values = [households, poor_start, 50, 2, 3, end, round(end / households * 100, 2), 120, 300]
        for c, value in enumerate(values, start=2):
            ws.cell(r, c).value = value
        r += 1
    _fill_total(ws, first=7, last=r - 1)
    ws = book["Biểu 03-NTM"]
    r = 8
    while ws.cell(r, 1).value:
        met = 12 + r % 5
        for c in range(2, 21):
            ws.cell(r, c).value = "Đạt" if c - 1 <= met else "Chưa đạt"
        ws.cell(r, 21).value = met
        r += 1
    if supports:
        ws = book["Biểu 01-KN"]
        rows = [
            ("Sở Tài chính", "sở, ban, ngành tỉnh", "Xã Trà Mai", 2021, 120.5, 30.25, 2, 45, 6, 12, 1, "Theo Chỉ thị 16-CT/TU"),
            ("Sở Y tế", "sở, ban, ngành tỉnh", "Xã Trà Cang", 2022, 80, 10, 1, 30, 3, 5, 0, None),
        ]  # fmt: skip
        for i, row in enumerate(rows):
            for c, value in enumerate(row, start=1):
                ws.cell(7 + i, c).value = value
        ws = book["Biểu 04-MH"]
        row = (
            "Mô hình nuôi bò sinh sản",
            "Xã Trà Mai",
            "Sở Tài chính",
            "chăn nuôi",
            2022,
            20,
            "Đang duy trì",
        )
        for c, value in enumerate(row, start=1):
            ws.cell(7, c).value = value
    book.save(path)
    return path


def _fill_total(ws, first: int, last: int) -> None:
    """The "Tổng cộng" row as Excel would store it: the sums as values (openpyxl keeps the
    template's formulas without their values)."""
    row = last + 2
    if ws.cell(row, 1).value != "Tổng cộng":
        return
    sums = {c: sum(ws.cell(r, c).value or 0 for r in range(first, last + 1)) for c in range(2, 11)}
    for c, value in sums.items():
        ws.cell(row, c).value = value
    ws.cell(row, 8).value = round(sums[7] / sums[2] * 100, 2)
