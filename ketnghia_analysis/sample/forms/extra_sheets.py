"""The sheets around the forms: a cover sheet with the report date, and a notes sheet."""

from __future__ import annotations

import datetime as dt

from ketnghia_analysis.sample.forms.layout import SIGNERS
from ketnghia_analysis.sample.forms.style import Ctx
from ketnghia_analysis.sample.grid import Grid


def cover_sheet(ctx: Ctx, date_style: str, name: str = "Thông tin chung") -> Grid:
    """Visible cover sheet with district, year and report date (serial, text or datetime)."""
    g = Grid(name)
    d = ctx.report_date
    if date_style == "date_serial":
        value: object = (dt.date(d.year, d.month, d.day) - dt.date(1899, 12, 30)).days
    elif date_style == "date_text":
        value = f"{d:%d/%m/%Y}"
    else:
        value = dt.datetime(d.year, d.month, d.day)
    rows = [
        ("THÔNG TIN CHUNG VỀ BÁO CÁO KẾT NGHĨA", None),
        (None, None),
        ("Đơn vị báo cáo:", "UBND " + ctx.district_name[0].lower() + ctx.district_name[1:]),
        ("Mã đơn vị hành chính:", ctx.district_code),
        ("Năm báo cáo:", ctx.year),
        ("Ngày báo cáo:", value),
        ("Số báo cáo:", f"{ctx.report_no}/BC-UBND"),
        ("Người lập biểu:", SIGNERS[int(ctx.rng.integers(len(SIGNERS)))]),
        (None, None),
        ("Ghi chú:", "DỮ LIỆU TỔNG HỢP (synthetic) - không phải số liệu thật"),
    ]
    for r, (a, b) in enumerate(rows):
        g.put(r, 0, a)
        g.put(r, 1, b)
    g.widths = {0: 26, 1: 40}
    ctx.place.add("cover_sheet", ctx.file, name, "A1")
    ctx.place.add(date_style, ctx.file, name, "B6")
    return g


def notes_sheet(ctx: Ctx) -> Grid:
    """A notes sheet "Ghi chú" with filling instructions."""
    g = Grid("Ghi chú")
    lines = [
        "HƯỚNG DẪN GHI BIỂU",
        "1. Số liệu hộ nghèo theo kết quả rà soát cuối năm.",
        "2. Tiêu chí NTM: ghi Đạt hoặc Chưa đạt cho từng tiêu chí.",
        "3. Kinh phí ghi theo đơn vị tính ở đầu biểu.",
        "Dữ liệu TỔNG HỢP (synthetic), tạo bởi lệnh ketnghia sample.",
    ]
    for r, line in enumerate(lines):
        g.put(r, 0, line)
    ctx.place.add("notes_sheet", ctx.file, g.name, "A1")
    return g
