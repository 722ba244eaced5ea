"""Biểu 01/KN, the twinning support: one row per partner and commune, money in a chosen unit."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ketnghia_analysis.core.address import a1
from ketnghia_analysis.sample.forms.labels import commune_label, partner_label
from ketnghia_analysis.sample.forms.layout import footer, head
from ketnghia_analysis.sample.forms.style import Col, Ctx, FormOut, FormStyle
from ketnghia_analysis.sample.forms.table import finish_columns, table
from ketnghia_analysis.sample.forms.values import (
    MONEY_HEADER,
    MONEY_LABEL,
    fmt_count,
    fmt_money,
)
from ketnghia_analysis.sample.grid import Grid

# Optional columns whose absence leaves the truth value missing.
OPTIONAL = {"beneficiary_households", "houses_supported", "note"}


def support_form(sheet: str, rows: list[dict], names: dict, st: FormStyle, ctx: Ctx) -> FormOut:
    """Biểu 01/KN: one row per partner and commune; commune cell merged over its partners.

    Money is written in ``st.money_unit`` (triệu / nghìn / đồng) with the unit in the
    header or an "ĐVT:" line; the world's amounts are whole nghìn đồng, so every unit
    converts back to the truth exactly.
    """
    grid = Grid(sheet)
    cols = _columns(st, int(ctx.rng.integers(2)))
    extra_paths = {d: ("Điện thoại liên hệ",) for d in (1, 2, 3)}
    cols, dropped = finish_columns(cols, st, ctx, sheet, [Col("x_phone", extra_paths, "text")])
    if st.extra:
        ctx.place.add("columns_extra", ctx.file, sheet, "Điện thoại liên hệ")
    if st.shuffle and st.depth == 1:
        ctx.place.add("columns_shuffled", ctx.file, sheet, "")
    ctx.place.add(f"money_{st.money_unit}", ctx.file, sheet, "")
    ctx.place.add(
        "unit_in_header" if st.unit_where == "header" else "unit_in_dvt_line", ctx.file, sheet, ""
    )
    title = f"KẾT QUẢ THỰC HIỆN CÔNG TÁC KẾT NGHĨA, HỖ TRỢ CÁC XÃ MIỀN NÚI NĂM {ctx.year}"
    dvt = MONEY_LABEL[st.money_unit] if st.unit_where == "dvt" else None
    st_title = replace(st, title="short") if dvt and st.title == "none" else st
    r = head(grid, cols, st, ctx, "01/KN", title, dvt, title_style=st_title)
    recs, labels = _records(rows, names, st, ctx)
    commune_col = [c.key for c in cols].index("commune")
    cells = _SupportCells(grid, st, ctx, labels, {}, {})
    st_table = replace(st, sections=False, subtotals=False)
    label_col = commune_col if commune_col > 0 else 1
    out, r = table(grid, cols, st_table, ctx, [(None, recs)], r, label_col, cells)
    if st.merge_communes:
        _merge_communes(grid, ctx, commune_col, cells.first_row_of, cells.last_row_of)
    footer(grid, st, ctx, r, len(cols))
    return FormOut(grid, out, dropped & OPTIONAL)


def _columns(st: FormStyle, v: int) -> list[Col]:
    """The template's columns; ``v`` picks one of two wordings of the one-row header."""
    unit_h = f" {MONEY_HEADER[st.money_unit]}" if st.unit_where == "header" else ""
    money_group = "Kinh phí hỗ trợ" + unit_h
    commune = Col(
        "commune",
        {
            1: (("Xã được kết nghĩa", "Địa phương kết nghĩa")[v],),
            2: ("Xã, thị trấn",),
            3: ("Xã được kết nghĩa",),
        },
        "text",
    )
    partner = Col(
        "partner_name",
        {
            1: (("Đơn vị kết nghĩa", "Cơ quan, đơn vị kết nghĩa")[v],),
            2: ("Đơn vị giúp đỡ",),
            3: ("Đơn vị kết nghĩa",),
        },
        "text",
    )
    ptype = Col(
        "partner_type", {1: ("Loại hình đơn vị",), 2: ("Khối",), 3: ("Loại hình đơn vị",)}, "text"
    )
    cols = [Col("stt", {1: ("STT",), 2: ("STT",), 3: ("STT",)}, "text")]
    cols += [commune, partner, ptype] if st.commune_first else [partner, ptype, commune]
    cols += [
        Col("pair_start_year", {1: (("Năm bắt đầu kết nghĩa", "Năm ký kết")[v],), 2: ("Năm ký kết",), 3: ("Năm bắt đầu / kết nghĩa",)}, "year"),
        Col("cash_mvnd", {1: (("Hỗ trợ bằng tiền", "Kinh phí hỗ trợ")[v] + unit_h,), 2: (money_group, "Bằng tiền"), 3: ("Kết quả hỗ trợ trong năm", money_group, "Bằng tiền")}, "money", True),
        Col("in_kind_mvnd", {1: (("Hỗ trợ hiện vật (quy ra tiền)", "Hiện vật quy đổi")[v] + unit_h,), 2: (money_group, "Hiện vật quy đổi"), 3: ("Kết quả hỗ trợ trong năm", money_group, "Hiện vật (quy ra tiền)")}, "money", True),
        Col("models_supported", {1: ("Số mô hình phát triển kinh tế / được hỗ trợ",), 2: ("Số mô hình phát triển kinh tế được hỗ trợ",), 3: ("Kết quả hỗ trợ trong năm", "Số mô hình phát triển kinh tế được hỗ trợ")}, "count", True),
        Col("beneficiary_households", {1: (("Số hộ được hưởng lợi", "Số hộ thụ hưởng")[v],), 2: ("Số hộ thụ hưởng",), 3: ("Kết quả hỗ trợ trong năm", "Số hộ được hưởng lợi")}, "count", True),
        Col("officials_trained", {1: ("Số lượt cán bộ, công chức xã / được đào tạo, bồi dưỡng",), 2: ("Đào tạo", "Số lượt cán bộ, công chức xã được đào tạo, bồi dưỡng"), 3: ("Kết quả hỗ trợ trong năm", "Đào tạo", "Cán bộ, công chức xã được đào tạo, bồi dưỡng")}, "count", True),
        Col("workers_trained", {1: ("Số lao động được đào tạo nghề, / giải quyết việc làm",), 2: ("Đào tạo", "Số lao động được đào tạo nghề, giải quyết việc làm"), 3: ("Kết quả hỗ trợ trong năm", "Đào tạo", "Lao động được đào tạo nghề, giải quyết việc làm")}, "count", True),
        Col("houses_supported", {1: ("Số nhà ở được hỗ trợ xây mới, sửa chữa / (nhà Đại đoàn kết)",), 2: ("Số nhà ở được hỗ trợ xây mới, sửa chữa",), 3: ("Kết quả hỗ trợ trong năm", "Số nhà Đại đoàn kết được hỗ trợ")}, "count", True),
        Col("note", {1: ("Ghi chú",), 2: ("Ghi chú",), 3: ("Ghi chú",)}, "text"),
    ]  # fmt: skip
    return cols


def _records(
    rows: list[dict], names: dict, st: FormStyle, ctx: Ctx
) -> tuple[list[dict], dict[str, tuple[str, str]]]:
    """Records by commune, start year and partner; the label of each commune, drawn once."""
    recs = []
    order = sorted(rows, key=lambda x: (x["commune_code"], x["pair_start_year"], x["partner_id"]))
    labels = {}
    for row in order:
        code = row["commune_code"]
        if code not in labels:
            labels[code] = commune_label(
                names[code], ctx.commune_type.get(code, "xã"), st.label_mode, ctx.rng
            )
        rec = dict(row)
        rec["_code"] = code
        rec["_key"] = ("support", row["year"], code, row["partner_id"])
        recs.append(rec)
    return recs, labels


@dataclass(frozen=True)
class _SupportCells:
    """The cell value of each record and column; remembers each commune's rows for merging."""

    grid: Grid
    st: FormStyle
    ctx: Ctx
    labels: dict[str, tuple[str, str]]
    first_row_of: dict[str, int]
    last_row_of: dict[str, int]

    def __call__(self, rec: dict, col: Col, r: int, c: int) -> object:
        k, st, ctx, sheet = col.key, self.st, self.ctx, self.grid.name
        if k in ("stt", "x_phone"):
            return None
        if k == "commune":
            return self._commune(rec["_code"], r, c)
        if k == "partner_name":
            return partner_label(rec["partner_id"], rec["partner_name"], st.alias, ctx, sheet, r, c)
        if k == "partner_type":
            return rec["partner_type"]
        if k == "pair_start_year":
            return int(rec["pair_start_year"])
        if k in ("cash_mvnd", "in_kind_mvnd"):
            return fmt_money(rec[k], st, ctx, sheet, r, c)
        if k == "note":
            return rec.get("note")
        return fmt_count(rec.get(k), st, ctx, sheet, r, c)

    def _commune(self, code: str, r: int, c: int) -> str | None:
        self.first_row_of.setdefault(code, r)
        self.last_row_of[code] = r
        if self.st.merge_communes and self.first_row_of[code] != r:
            return None
        label, var = self.labels[code]
        self.ctx.place.add(var, self.ctx.file, self.grid.name, a1(r, c))
        return label


def _merge_communes(
    grid: Grid, ctx: Ctx, col: int, first_row_of: dict[str, int], last_row_of: dict[str, int]
) -> None:
    """Merge each commune's cell over the rows of its partners."""
    for code, r0 in first_row_of.items():
        r1 = last_row_of[code]
        if r1 > r0:
            grid.merged.append((r0, col, r1, col))
            where = f"{a1(r0, col)}:{a1(r1, col)}"
            ctx.place.add("merged_commune_cells", ctx.file, grid.name, where)
