"""Workbooks opened by core.xlsx store every string as text: no formula, link or number."""

from __future__ import annotations

import openpyxl

from ketnghia_analysis.core.xlsx import open_workbook

PAYLOADS = ['=HYPERLINK("http://x","click")', "=cmd|' /C calc'!A0", "http://example.com", "0123"]


def test_strings_written_with_write_stay_text(tmp_path):
    path = tmp_path / "a.xlsx"
    book = open_workbook(path)
    sheet = book.add_worksheet("Trang")
    for r, payload in enumerate(PAYLOADS):
        sheet.write(r, 0, payload)  # write(): xlsxwriter's type guessing applies
    sheet.write_formula(len(PAYLOADS), 0, "=1+1")  # a formula meant as one stays one
    book.close()
    cells = openpyxl.load_workbook(path)["Trang"]["A"]
    assert [(c.value, c.data_type) for c in cells[:-1]] == [(p, "s") for p in PAYLOADS]
    assert all(c.hyperlink is None for c in cells)
    assert cells[-1].data_type == "f"
