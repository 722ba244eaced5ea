"""Biểu 04/MH, the economic models: one row per model, its partner and its status."""

from __future__ import annotations

from dataclasses import replace

from ketnghia_analysis.core.address import a1
from ketnghia_analysis.sample.forms.labels import commune_label, partner_label
from ketnghia_analysis.sample.forms.layout import footer, head
from ketnghia_analysis.sample.forms.style import Col, Ctx, FormOut, FormStyle
from ketnghia_analysis.sample.forms.table import finish_columns, table
from ketnghia_analysis.sample.forms.values import fmt_count
from ketnghia_analysis.sample.grid import Grid

STATUS_VI = {
    "maintained": "đang duy trì",
    "replicated": "đã nhân rộng",
    "stopped": "dừng",
    "new": "mới triển khai",
}
COLUMNS = [
    Col("stt", {1: ("STT",), 2: ("STT",), 3: ("STT",)}, "text"),
    Col("model_name", {1: ("Tên mô hình",), 2: ("Tên mô hình",), 3: ("Tên mô hình",)}, "text"),
    Col("commune", {1: ("Xã",), 2: ("Địa bàn", "Xã"), 3: ("Địa bàn", "Xã")}, "text"),
    Col("partner_name", {1: ("Đơn vị hỗ trợ",), 2: ("Đơn vị kết nghĩa hỗ trợ",), 3: ("Đơn vị kết nghĩa hỗ trợ",)}, "text"),
    Col("model_type", {1: ("Loại mô hình",), 2: ("Lĩnh vực",), 3: ("Loại mô hình",)}, "text"),
    Col("start_year", {1: ("Năm triển khai",), 2: ("Kết quả", "Năm triển khai"), 3: ("Kết quả thực hiện", "Năm triển khai")}, "year"),
    Col("households", {1: ("Số hộ tham gia",), 2: ("Kết quả", "Số hộ tham gia"), 3: ("Kết quả thực hiện", "Số hộ tham gia")}, "count", True),
    Col("status", {1: ("Tình trạng",), 2: ("Kết quả", "Tình trạng"), 3: ("Kết quả thực hiện", "Tình trạng hiện nay")}, "text"),
]  # fmt: skip


def models_form(sheet: str, rows: list[dict], names: dict, st: FormStyle, ctx: Ctx) -> FormOut:
    """Biểu 04/MH: one row per economic model; status in Vietnamese ("đang duy trì", …)."""
    grid = Grid(sheet)
    cols, dropped = finish_columns(list(COLUMNS), st, ctx, sheet, [])
    title = f"DANH SÁCH MÔ HÌNH PHÁT TRIỂN KINH TẾ ĐƯỢC HỖ TRỢ THÔNG QUA KẾT NGHĨA NĂM {ctx.year}"
    r = head(grid, cols, st, ctx, "04/MH", title, None)
    recs = []
    for row in sorted(
        rows, key=lambda x: (x["commune_code"], x["partner_id"], x["start_year"], x["model_name"])
    ):
        code = row["commune_code"]
        rec = dict(row)
        rec["_code"] = code
        rec["_key"] = ("models", row["year"], code, row["partner_id"], row["model_name"])
        rec["_label"], rec["_var"] = commune_label(
            names[code], ctx.commune_type.get(code, "xã"), st.label_mode, ctx.rng
        )
        recs.append(rec)

    def cell(rec: dict, col: Col, r: int, c: int) -> object:
        k = col.key
        if k == "stt":
            return None
        if k == "commune":
            ctx.place.add(rec["_var"], ctx.file, sheet, a1(r, c))
            return rec["_label"]
        if k == "partner_name":
            official = ctx.partner_names[rec["partner_id"]]
            return partner_label(rec["partner_id"], official, st.alias, ctx, sheet, r, c)
        if k == "status":
            return STATUS_VI[rec["status"]]
        if k == "start_year":
            return int(rec["start_year"])
        if k in ("model_name", "model_type"):
            return rec[k]
        return fmt_count(rec.get(k), st, ctx, sheet, r, c)

    st_table = replace(st, sections=False, subtotals=False)
    out, r = table(grid, cols, st_table, ctx, [(None, recs)], r, 1, cell)
    footer(grid, st, ctx, r, len(cols))
    return FormOut(grid, out, dropped & {"households"})
