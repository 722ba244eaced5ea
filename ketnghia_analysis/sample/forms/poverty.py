"""Biểu 02/HN, the poverty review: one row per commune, with its planted value errors."""

from __future__ import annotations

from dataclasses import dataclass

from ketnghia_analysis.core.address import a1
from ketnghia_analysis.sample.forms.labels import SPACE_VARIATION, commune_label, spaced
from ketnghia_analysis.sample.forms.layout import footer, head
from ketnghia_analysis.sample.forms.planted import plant_issue, quarantine_row
from ketnghia_analysis.sample.forms.style import Col, Ctx, FormOut, FormStyle
from ketnghia_analysis.sample.forms.table import finish_columns, sections, table
from ketnghia_analysis.sample.forms.values import fmt_count, fmt_percent
from ketnghia_analysis.sample.grid import Formula, Grid

# Optional columns whose absence leaves the truth value missing.
OPTIONAL_COUNTS = {"near_poor_end", "poor_ethnic_minority_end"}
# The row planted under UNKNOWN_COMMUNE: a settlement that is not a unit of the gazetteer.
UNKNOWN_UNIT = {
    "_label": "Khu dân cư Làng Thanh niên lập nghiệp",
    "households_total": 212,
    "poor_start": 30,
    "poverty_exits": 6,
    "poverty_relapses": 1,
    "poverty_new": 2,
    "poor_end": 27,
    "near_poor_end": 11,
    "poor_ethnic_minority_end": 3,
    "poverty_rate_end": 27 / 212,
    "x_persons": 100,
}


def poverty_form(
    sheet: str, rows: list[dict], st: FormStyle, ctx: Ctx, plants: dict | None = None
) -> FormOut:
    """Biểu 02/HN: one row per commune (households, poverty flows, rate, near-poor, DTTS).

    Parameters
    ----------
    sheet
        Sheet name.
    rows
        poverty truth rows (dicts) of the district-year, official names of the year.
    st, ctx
        Style and file context (placements, planted issues and quarantine are added to ctx).
    plants
        Planted value errors: {"POVERTY_IDENTITY" | "POVERTY_RATE_MISMATCH" |
        "VALUE_NOT_NUMERIC": commune_code, "UNKNOWN_COMMUNE" | "TOTAL_MISMATCH": "?"}.
        Rows with an error-level plant are left out of ``FormOut.rows`` (quarantined); the
        row of a bad value (VALUE_NOT_NUMERIC) is kept with that value null.
    """
    plants = plants or {}
    grid = Grid(sheet)
    cols = _columns(st, ctx.year, int(ctx.rng.integers(2)))
    extra = [
        Col("x_persons", {1: ("Số khẩu nghèo",), 2: ("Số khẩu nghèo",), 3: ("Số khẩu nghèo",)})
    ]
    cols, dropped = finish_columns(cols, st, ctx, sheet, extra)
    if st.shuffle and st.depth == 1:
        ctx.place.add("columns_shuffled", ctx.file, sheet, "")
    if st.extra:
        ctx.place.add("columns_extra", ctx.file, sheet, "Số khẩu nghèo")
    title = f"KẾT QUẢ RÀ SOÁT HỘ NGHÈO, HỘ CẬN NGHÈO NĂM {ctx.year}"
    r = head(grid, cols, st, ctx, "02/HN", title, "hộ" if st.title == "full" else None)
    recs = _records(rows, st, ctx, plants)
    col_of = {c.key: i for i, c in enumerate(cols)}
    cells = _PovertyCells(grid, st, ctx, plants, col_of)
    out, r = table(grid, cols, st, ctx, sections(recs, ctx, st), r, 1, cells, cells.total_rate)
    # Rows that carry a planted error are quarantined: not in truth.
    dropped_keys = {rec["_key"] for rec in recs if rec.get("_key_drop")}
    out = [(k, row) for k, row in out if k not in dropped_keys]
    if "TOTAL_MISMATCH" in plants and st.total and "households_total" in col_of:
        _plant_total_mismatch(grid, st, ctx, col_of["households_total"])
    if st.extra and st.hidden_extra and "x_persons" in col_of:
        c = col_of["x_persons"]
        grid.hidden_cols.add(c)
        ctx.place.add("hidden_cols", ctx.file, sheet, a1(0, c)[:-1])
    footer(grid, st, ctx, r, len(cols))
    return FormOut(grid, out, dropped & OPTIONAL_COUNTS)


def _columns(st: FormStyle, year: int, variants: int) -> list[Col]:
    """The template's columns with their header paths for one, two and three header rows."""
    rate_label = "Tỷ lệ hộ nghèo cuối năm" + ("" if st.percent == "fraction" else " (%)")
    rate_sub = "Tỷ lệ" + ("" if st.percent == "fraction" else " (%)")
    top = f"Kết quả rà soát năm {year}"
    return [
        Col("stt", {1: ("STT",), 2: ("STT",), 3: ("STT",)}, "text"),
        Col("commune", {1: (("Xã, thị trấn", "Tên xã")[variants],), 2: ("Đơn vị",), 3: ("Xã, thị trấn",)}, "text"),
        Col("households_total", {1: (("Tổng số hộ", "Tổng số hộ / dân cư")[variants],), 2: ("Tổng số hộ dân cư",), 3: ("Tổng số hộ",)}, total=True),
        Col("poor_start", {1: (("Số hộ nghèo đầu năm", "Hộ nghèo / đầu kỳ")[variants],), 2: ("Số hộ nghèo", "Đầu năm"), 3: (top, "Hộ nghèo đầu năm")}, total=True),
        Col("poverty_exits", {1: (("Số hộ thoát nghèo / trong năm", "Thoát nghèo")[variants],), 2: ("Số hộ nghèo", "Thoát nghèo"), 3: (top, "Diễn biến trong năm", "Thoát nghèo")}, total=True),
        Col("poverty_relapses", {1: (("Số hộ tái nghèo", "Tái nghèo")[variants],), 2: ("Số hộ nghèo", "Tái nghèo"), 3: (top, "Diễn biến trong năm", "Tái nghèo")}, total=True),
        Col("poverty_new", {1: (("Số hộ nghèo / phát sinh mới", "Phát sinh mới")[variants],), 2: ("Số hộ nghèo", "Phát sinh mới"), 3: (top, "Diễn biến trong năm", "Phát sinh mới")}, total=True),
        Col("poor_end", {1: (("Số hộ nghèo cuối năm", "Hộ nghèo / cuối kỳ")[variants],), 2: ("Số hộ nghèo", "Cuối năm"), 3: (top, "Hộ nghèo cuối năm", "Số hộ")}, total=True),
        Col("poverty_rate_end", {1: (rate_label,), 2: ("Số hộ nghèo", rate_sub), 3: (top, "Hộ nghèo cuối năm", rate_sub)}, "percent"),
        Col("near_poor_end", {1: ("Số hộ cận nghèo / cuối năm",), 2: ("Số hộ cận nghèo cuối năm",), 3: (top, "Hộ cận nghèo cuối năm")}, total=True),
        Col("poor_ethnic_minority_end", {1: ("Trong đó: hộ nghèo / dân tộc thiểu số",), 2: ("Trong đó: hộ nghèo DTTS",), 3: (top, "Trong đó: hộ nghèo dân tộc thiểu số")}, total=True),
    ]  # fmt: skip


def _records(rows: list[dict], st: FormStyle, ctx: Ctx, plants: dict) -> list[dict]:
    """One record per commune (label, truth key), the planted unknown unit, planted errors."""
    recs = []
    for row in rows:
        label, var = commune_label(
            row["commune_name"],
            ctx.commune_type.get(row["commune_code"], "xã"),
            st.label_mode,
            ctx.rng,
        )
        rec = dict(row)
        rec["_code"] = row["commune_code"]
        rec["_key"] = ("poverty", row["year"], row["commune_code"])
        rec["_label"], rec["_var"] = label, var
        rec["x_persons"] = int(row["poor_end"] * 4.1)
        recs.append(rec)
    for kind, target in plants.items():
        if kind == "UNKNOWN_COMMUNE":
            fake = dict(recs[-1])
            fake.update(_code=target, _key=None, _var=None, _stt=True, _unknown=True)
            fake.update(UNKNOWN_UNIT)
            recs.append(fake)
    for rec in recs:
        rec["_rate"] = rec["poor_end"] / rec["households_total"]
        if rec.get("_key") and plants.get("POVERTY_IDENTITY") == rec["_code"]:
            rec["_true_new"] = rec["poverty_new"]
            rec["poverty_new"] = rec["poverty_new"] + 4
        if rec.get("_key") and plants.get("VALUE_NOT_NUMERIC") == rec["_code"]:
            rec["households_total"] = "1.2O4"
    return recs


@dataclass(frozen=True)
class _PovertyCells:
    """The cell value of each record and column, planting the form's value errors."""

    grid: Grid
    st: FormStyle
    ctx: Ctx
    plants: dict
    col_of: dict[str, int]

    def __call__(self, rec: dict, col: Col, r: int, c: int) -> object:
        k = col.key
        if k == "stt":
            return None
        if k == "commune":
            return self._commune(rec, r, c)
        if k == "poverty_rate_end":
            return self._rate(rec, r, c)
        if k == "households_total" and self._planted("VALUE_NOT_NUMERIC", rec):
            return self._not_numeric(rec, r, c)
        if k == "poverty_new" and self._planted("POVERTY_IDENTITY", rec):
            self._identity(rec, r, c)
        return fmt_count(rec.get(k), self.st, self.ctx, self.grid.name, r, c)

    def total_rate(self, grand: dict[str, float]) -> dict[str, object] | None:
        """The rate of the total row, from the summed households and poor."""
        if "poverty_rate_end" not in self.col_of or not grand.get("households_total"):
            return None
        rate = grand["poor_end"] / grand["households_total"]
        fraction = self.st.percent == "fraction"
        return {"poverty_rate_end": round(rate, 4) if fraction else round(rate * 100, 2)}

    def _planted(self, kind: str, rec: dict) -> bool:
        return bool(self.plants.get(kind) == rec["_code"] and rec.get("_key"))

    def _commune(self, rec: dict, r: int, c: int) -> str:
        st, ctx, sheet = self.st, self.ctx, self.grid.name
        label = rec["_label"]
        if rec.get("_var"):
            ctx.place.add(rec["_var"], ctx.file, sheet, a1(r, c))
        if st.caps:
            label = label.upper()
            ctx.place.add("text_all_caps", ctx.file, sheet, a1(r, c))
        if st.spaces:
            label = spaced(label, st.spaces)
            ctx.place.add(SPACE_VARIATION[st.spaces], ctx.file, sheet, a1(r, c))
        if rec.get("_unknown"):
            note = "nhãn xã không có trong danh mục"
            plant_issue(ctx, "UNKNOWN_COMMUNE", "error", sheet, r, c, note)
            quarantine_row(ctx, "UNKNOWN_COMMUNE", sheet, r)
        return label

    def _rate(self, rec: dict, r: int, c: int) -> object:
        rate = rec["_rate"]
        if self._planted("POVERTY_RATE_MISMATCH", rec):
            note = f"tỷ lệ ghi {rate * 100 + 2.5:.2f}% ≠ {rate * 100:.2f}%"
            plant_issue(self.ctx, "POVERTY_RATE_MISMATCH", "warning", self.grid.name, r, c, note)
            rate = rate + 0.025
        return fmt_percent(rate, self.st, self.ctx, self.grid, r, c)

    def _not_numeric(self, rec: dict, r: int, c: int) -> str:
        """A bad value keeps its row: the households (and the rate computed from them) are
        null in the truth, the row's other values stand (issue #20)."""
        note = "số hộ ghi '1.2O4' (chữ O thay số 0)"
        nulled = (rec["_key"], ("households_total", "poverty_rate_end"))
        plant_issue(self.ctx, "VALUE_NOT_NUMERIC", "warning", self.grid.name, r, c, note, nulled)
        return "1.2O4"

    def _identity(self, rec: dict, r: int, c: int) -> None:
        sheet = self.grid.name
        note = (
            f"phát sinh mới ghi {rec.get('poverty_new')} thay vì {rec['_true_new']}: "
            "cuối năm ≠ đầu năm − thoát + tái + mới"
        )
        pc = self.col_of.get("poor_end", c)
        plant_issue(self.ctx, "POVERTY_IDENTITY", "error", sheet, r, pc, note)
        quarantine_row(self.ctx, "POVERTY_IDENTITY", sheet, r)
        rec["_key_drop"] = True


def _plant_total_mismatch(grid: Grid, st: FormStyle, ctx: Ctx, c: int) -> None:
    """TOTAL_MISMATCH: the total row's households 10 more than the sum of the communes."""
    for (rr, cc), v in list(grid.cells.items()):
        if cc == 1 and v == st.total_label:
            old = grid.cells[(rr, c)]
            true = old.value if isinstance(old, Formula) else old
            assert isinstance(true, int | float)
            grid.put(rr, c, int(true) + 10)
            note = f"dòng tổng ghi {int(true) + 10}, cộng các xã = {int(true)}"
            plant_issue(ctx, "TOTAL_MISMATCH", "warning", grid.name, rr, c, note)
