"""Transforms of the sheets and the workbook: sheets renamed and reordered, sheets that are
not forms added (instructions, empty, chart, summary, cover), properties and file name."""

from __future__ import annotations

import datetime as dt
import random

from openpyxl.chart import BarChart, Reference

from perturbations.book import Book
from perturbations.registry import transform

ASCII_NAMES = {"support": "Ket nghia", "poverty": "Ho ngheo", "ntm": "NTM", "models": "Mo hinh"}


def _rename(book: Book, names: list[str]) -> None:
    """Give the forms' sheets these names (first a temporary name, to avoid clashes)."""
    forms = list(book.layout.forms)
    for i, form in enumerate(forms):
        book.rename_sheet(form, f"tmp{i}")
    for form, name in zip(forms, names, strict=False):
        book.rename_sheet(form, name)


@transform("sheet_renamed_generic")
def sheet_renamed_generic(book: Book, rng: random.Random) -> None:
    """Form sheets named 'Sheet1', 'Sheet2', … (a new workbook, pasted into)."""
    _rename(book, [f"Sheet{i}" for i in range(1, len(book.layout.forms) + 1)])


@transform("sheet_renamed_ascii")
def sheet_renamed_ascii(book: Book, rng: random.Random) -> None:
    """Sheets named without diacritics ('Ket nghia', 'Ho ngheo', 'NTM', 'Mo hinh')."""
    _rename(book, [ASCII_NAMES[f.kind] for f in book.layout.forms])


@transform("sheet_renamed_misleading")
def sheet_renamed_misleading(book: Book, rng: random.Random) -> None:
    """Sheets named 'Biểu 1', 'Biểu 2', … in the workbook's order, whatever form they hold."""
    order = sorted(book.layout.forms, key=lambda f: book.wb.sheetnames.index(f.sheet))
    for i, form in enumerate(order):
        book.rename_sheet(form, f"tmp{i}")
    for i, form in enumerate(order, start=1):
        book.rename_sheet(form, f"Biểu {i}")


@transform("sheet_order_reversed")
def sheet_order_reversed(book: Book, rng: random.Random) -> None:
    """The sheets in another order."""
    book.wb._sheets.reverse()
    book.wb.active = 0


INSTRUCTIONS = [
    "HƯỚNG DẪN GHI BIỂU",
    "1. Biểu 01/KN: ghi mỗi cặp đơn vị kết nghĩa – xã một dòng; tiền ghi theo triệu đồng.",
    "2. Biểu 02/HN: số liệu theo kết quả rà soát hộ nghèo, hộ cận nghèo cuối năm.",
    "3. Biểu 03/NTM: mỗi tiêu chí ghi 'Đạt' hoặc để trống; cột cuối ghi tổng số tiêu chí đạt.",
    "4. Biểu 04/MH: mỗi mô hình một dòng, ghi năm triển khai và số hộ tham gia.",
    "Số liệu gửi về Ban Dân tộc tỉnh trước ngày 15/12 hằng năm.",
]


@transform("instructions_sheet_added")
def instructions_sheet_added(book: Book, rng: random.Random) -> None:
    """A first sheet 'Hướng dẫn' that names the forms (the province's template note)."""
    ws = book.wb.create_sheet(rng.choice(["Hướng dẫn", "HD ghi bieu", "Huong dan"]), 0)
    for i, line in enumerate(INSTRUCTIONS, start=1):
        ws.cell(i, 1).value = line


@transform("empty_sheets_added")
def empty_sheets_added(book: Book, rng: random.Random) -> None:
    """Empty sheets left from a new workbook ('Sheet3'), one only formatted."""
    book.wb.create_sheet("Sheet9")
    ws = book.wb.create_sheet("Trang tính1")
    ws.column_dimensions["A"].width = 30
    ws.cell(5, 2).number_format = "0.00"


def _chart(book: Book) -> BarChart:
    form = next(f for f in book.layout.forms if len(f.columns) > 2)
    ws = book.sheet(form)
    col = next(c for n, c in form.columns.items() if n != "commune")
    chart = BarChart()
    chart.title = "Biểu đồ"
    rows = form.rows or [form.header[1] + 1]
    chart.add_data(Reference(ws, min_col=col, min_row=rows[0], max_row=rows[-1]))
    return chart


@transform("chartsheet_added")
def chartsheet_added(book: Book, rng: random.Random) -> None:
    """A chart sheet ('Biểu đồ') drawn from a form's column."""
    cs = book.wb.create_chartsheet("Biểu đồ")
    cs.add_chart(_chart(book))


@transform("chart_on_form_sheet")
def chart_on_form_sheet(book: Book, rng: random.Random) -> None:
    """A chart placed on a form sheet, beside the table."""
    form = book.layout.forms[0]
    book.sheet(form).add_chart(_chart(book), "P3")


@transform("summary_sheet_added", needs=("poverty",))
def summary_sheet_added(book: Book, rng: random.Random) -> None:
    """A small 'Tổng hợp' sheet with a few district totals (not a form)."""
    form = book.layout.require("poverty")
    poor = sum(int(rec.get("poor_end") or 0) for _, rec in book.data_cells(form, "commune"))
    ws = book.wb.create_sheet("Tổng hợp")
    rows: list[list[object]] = [
        ["TỔNG HỢP CHUNG"],
        ["Chỉ tiêu", "Giá trị"],
        ["Số xã báo cáo", len(form.rows)],
        ["Số hộ nghèo cuối năm toàn huyện", poor],
    ]
    for r, values in enumerate(rows, start=1):
        for c, v in enumerate(values, start=1):
            ws.cell(r, c).value = v


@transform("cover_sheet_added")
def cover_sheet_added(book: Book, rng: random.Random) -> None:
    """A first sheet 'Thông tin chung' with the year and the officer (no district)."""
    years = {rec["year"] for rec in book.truth.values()}
    ws = book.wb.create_sheet("Thông tin chung", 0)
    lines = [
        ("THÔNG TIN CHUNG", None),
        ("Năm báo cáo", int(next(iter(years)))),
        ("Người lập biểu", "Nguyễn Văn A"),
        ("Điện thoại", "0235 3812 345"),
    ]
    for r, (a, b) in enumerate(lines, start=1):
        ws.cell(r, 1).value = a
        ws.cell(r, 2).value = b


@transform("properties_cleared")
def properties_cleared(book: Book, rng: random.Random) -> None:
    """The workbook's author and title emptied, its dates those of a wrong clock (saved by
    another program)."""
    p = book.wb.properties
    p.creator = p.lastModifiedBy = p.title = None
    p.created = p.modified = dt.datetime(2010, 1, 1)


@transform("print_setup")
def print_setup(book: Book, rng: random.Random) -> None:
    """Print areas, repeated title rows and landscape pages on every form sheet."""
    for form in book.layout.forms:
        ws = book.sheet(form)
        ws.print_title_rows = f"{form.header[0]}:{form.header[1]}"
        ws.page_setup.orientation = "landscape"
        ws.print_area = f"A1:{ws.cell(ws.max_row, ws.max_column).coordinate}"


@transform("file_renamed_generic")
def file_renamed_generic(book: Book, rng: random.Random) -> None:
    """The file renamed without district or year ('Bao cao ket nghia (final).xlsx')."""
    book.name = rng.choice(["Bao cao ket nghia (final).xlsx", "BC_gui_tinh.xlsx", "Book1.xlsx"])
