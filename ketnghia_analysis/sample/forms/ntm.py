"""Biểu 03/NTM, the new-countryside criteria: one row per assessed xã, 19 marks and a level."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ketnghia_analysis.core.address import a1
from ketnghia_analysis.sample.forms.labels import commune_label
from ketnghia_analysis.sample.forms.layout import footer, head
from ketnghia_analysis.sample.forms.planted import plant_issue
from ketnghia_analysis.sample.forms.style import (
    MET_STYLES,
    NOT_STYLES,
    Col,
    Ctx,
    FormOut,
    FormStyle,
)
from ketnghia_analysis.sample.forms.table import finish_columns, sections, table
from ketnghia_analysis.sample.grid import Grid

CRITERION_NAMES = (
    "Quy hoạch", "Giao thông", "Thủy lợi", "Điện", "Trường học", "Cơ sở vật chất văn hóa",
    "Cơ sở hạ tầng thương mại nông thôn", "Thông tin và Truyền thông", "Nhà ở dân cư",
    "Thu nhập", "Hộ nghèo", "Lao động có việc làm", "Tổ chức sản xuất", "Giáo dục và Đào tạo",
    "Y tế", "Văn hóa", "Môi trường và an toàn thực phẩm", "Hệ thống chính trị",
    "Quốc phòng và An ninh",
)  # fmt: skip
CRITERION_GROUPS = (
    ("I. Quy hoạch", 1, 1),
    ("II. Hạ tầng kinh tế - xã hội", 2, 9),
    ("III. Kinh tế và tổ chức sản xuất", 10, 13),
    ("IV. Văn hóa - Xã hội - Môi trường", 14, 17),
    ("V. Hệ thống chính trị", 18, 19),
)
LEVEL_VI = {"dat_chuan": "Đạt chuẩn NTM", "nang_cao": "NTM nâng cao", "kieu_mau": "NTM kiểu mẫu"}
NOT_ASSESSED = "Không đánh giá (phường, thị trấn)"
# The level columns of each level style: [(key, {depth: header path}, kind)].
LEVEL_COLUMNS: dict[str, list[tuple[str, dict[int, tuple[str, ...]], str]]] = {
    "two_cols": [
        ("ntm_level", {1: ("Mức độ đạt chuẩn",), 2: ("Kết quả công nhận", "Mức đạt"), 3: ("Kết quả công nhận", "Mức đạt")}, "text"),
        ("recognized_year", {1: ("Năm công nhận",), 2: ("Kết quả công nhận", "Năm công nhận"), 3: ("Kết quả công nhận", "Năm công nhận")}, "year"),
    ],
    "combined": [
        ("ntm_level", {1: ("Đạt chuẩn NTM (năm công nhận)",), 2: ("Đạt chuẩn NTM / NTM nâng cao / NTM kiểu mẫu",), 3: ("Đạt chuẩn NTM",)}, "text"),
    ],
    "year": [
        ("ntm_level", {1: ("Năm đạt chuẩn NTM",), 2: ("Năm được công nhận đạt chuẩn NTM",), 3: ("Năm đạt chuẩn",)}, "text"),
    ],
}  # fmt: skip


def criterion_names(year: int) -> tuple[str, ...]:
    """Names of the 19 criteria of the set in force in ``year`` (gazetteer, else the 2016 names)."""
    try:
        from ketnghia_analysis.reference import gazetteer

        c = gazetteer.criteria()
        c = c[c["criteria_set"] == ("2016-2020" if year <= 2021 else "2021-2025")]
        names = tuple(c.sort_values("criterion")["name_vi"].astype(str))
        if len(names) == 19:
            return names
    except Exception:  # the reference table is optional for the layout
        pass
    return CRITERION_NAMES


def ntm_form(
    sheet: str,
    status: list[dict],
    criteria: dict,
    st: FormStyle,
    ctx: Ctx,
    units: list[dict],
    plants: dict | None = None,
) -> FormOut:
    """Biểu 03/NTM: one row per assessed xã (19 marks, total, level, year of recognition).

    Parameters
    ----------
    sheet
        Sheet name.
    status
        ntm_status truth rows of the district-year (assessed xã only).
    criteria
        commune_code → the 19 met flags.
    st, ctx
        Style and file context.
    units
        Every unit of the district-year (official names): wards and townships get a
        "không đánh giá" row when ``st.not_assessed``.
    plants
        {"NTM_TOTAL_MISMATCH": commune_code}: write a wrong reported total there.
    """
    grid = Grid(sheet)
    group = ("Tiêu chí", "Kết quả thực hiện các tiêu chí")[int(ctx.rng.integers(2))]
    cols = _columns(st, ctx, group)
    extra = [Col("x_note", {1: ("Ghi chú",), 2: ("Ghi chú",), 3: ("Ghi chú",)}, "text")]
    cols, _ = finish_columns(cols, st, ctx, sheet, extra)
    if st.extra:
        ctx.place.add("columns_extra", ctx.file, sheet, "Ghi chú")
    ctx.place.add(st.crit_header, ctx.file, sheet, "")
    title = f"KẾT QUẢ THỰC HIỆN BỘ TIÊU CHÍ QUỐC GIA VỀ XÃ NÔNG THÔN MỚI NĂM {ctx.year}"
    r = head(grid, cols, st, ctx, "03/NTM", title, None)
    recs = _records(status, units, st, ctx)
    last_mark = max(i for i, col in enumerate(cols) if _criterion(col.key))
    cells = _NtmCells(grid, st, ctx, criteria, plants or {}, last_mark)
    out, r = table(grid, cols, replace(st, total=None), ctx, sections(recs, ctx, st), r, 1, cells)
    footer(grid, st, ctx, r, len(cols))
    return FormOut(grid, out, set())


def _criterion(key: str) -> bool:
    """Whether a column key is one of the 19 criteria ("c01" … "c19")."""
    return key.startswith("c") and key[1:].isdigit()


def _columns(st: FormStyle, ctx: Ctx, group: str) -> list[Col]:
    """STT, commune, the 19 criteria, the number met and the level column(s) of the style."""
    ch = st.crit_header
    names = criterion_names(ctx.year)
    cols = [
        Col("stt", {1: ("STT",), 2: ("STT",), 3: ("STT",)}, "text"),
        Col("commune", {1: ("Xã",), 2: ("Tên xã",), 3: ("Xã",)}, "text"),
    ]
    for i in range(1, 20):
        g3 = next(g for g, a, b in CRITERION_GROUPS if a <= i <= b)
        if ch == "criteria_numbers":
            one, sub = f"Tiêu chí {i}", str(i)
        elif ch == "criteria_names":
            one, sub = names[i - 1], names[i - 1]
        else:
            one, sub = f"TC{i}", f"TC{i}"
        cols.append(Col(f"c{i:02d}", {1: (one,), 2: (group, sub), 3: (group, g3, sub)}, "mark"))
    met_label = ("Tổng số tiêu chí đạt", "Số TC đạt")[int(ctx.rng.integers(2))]
    cols.append(
        Col(
            "criteria_met",
            {1: (met_label,), 2: ("Tổng số tiêu chí đạt",), 3: ("Số TC đạt",)},
        )
    )
    cols += [Col(key, paths, kind) for key, paths, kind in LEVEL_COLUMNS[st.level_style]]
    return cols


def _records(status: list[dict], units: list[dict], st: FormStyle, ctx: Ctx) -> list[dict]:
    """A record per assessed xã, and a "không đánh giá" one per ward or township if styled so."""
    by_code = {s["commune_code"]: s for s in status}
    recs = []
    for u in units:
        code = u["commune_code"]
        label, var = commune_label(u["commune_name"], u["commune_type"], st.label_mode, ctx.rng)
        if code in by_code:
            s = by_code[code]
            rec = {"_code": code, "_key": ("ntm", s["year"], code), "_label": label, "_var": var}
            recs.append({**rec, **s})
        elif u["commune_type"] != "xã" and st.not_assessed:
            recs.append({"_code": code, "_key": None, "_label": label, "_var": var, "_na": True})
    return recs


@dataclass(frozen=True)
class _NtmCells:
    """The cell value of each record and column: marks, the number met, level and year."""

    grid: Grid
    st: FormStyle
    ctx: Ctx
    criteria: dict
    plants: dict
    last_mark: int  # column of criterion 19

    def __call__(self, rec: dict, col: Col, r: int, c: int) -> object:
        k, st, ctx, sheet = col.key, self.st, self.ctx, self.grid.name
        if k == "stt":
            return None
        if k == "commune":
            if rec.get("_var"):
                ctx.place.add(rec["_var"], ctx.file, sheet, a1(r, c))
            return rec["_label"]
        if rec.get("_na"):
            if k == "c01":
                self.grid.merge(r, c, r, self.last_mark, NOT_ASSESSED)
                ctx.place.add("ntm_not_assessed", ctx.file, sheet, a1(r, c))
                return NOT_ASSESSED
            return None
        if _criterion(k):
            if self.criteria[rec["_code"]][int(k[1:]) - 1]:
                met_vals = MET_STYLES[st.met]
                ctx.place.add(st.met, ctx.file, sheet, a1(r, c))
                return met_vals[int(ctx.rng.integers(len(met_vals)))]
            ctx.place.add(st.notmet, ctx.file, sheet, a1(r, c))
            return NOT_STYLES[st.notmet]
        if k == "criteria_met":
            return self._criteria_met(rec, r, c)
        if k == "ntm_level":
            return self._level(rec, r, c)
        if k == "recognized_year":
            year = rec.get("recognized_year")
            if year is None or (isinstance(year, float) and np.isnan(year)):
                return None
            return int(year)
        return None  # the extra "Ghi chú" column stays empty

    def _criteria_met(self, rec: dict, r: int, c: int) -> int:
        n = rec["criteria_met"]
        if self.plants.get("NTM_TOTAL_MISMATCH") != rec["_code"]:
            return n
        wrong = n + 2 if n <= 17 else n - 2
        note = f"tổng ghi {wrong}, đếm được {n}"
        plant_issue(self.ctx, "NTM_TOTAL_MISMATCH", "warning", self.grid.name, r, c, note)
        return wrong

    def _level(self, rec: dict, r: int, c: int) -> object:
        level = rec.get("ntm_level")
        year: Any = rec.get("recognized_year")
        if level is None:
            return None if self.ctx.rng.random() < 0.6 else "Chưa đạt chuẩn"
        if self.st.level_style == "two_cols":
            return LEVEL_VI[level]
        if self.st.level_style == "combined":
            return f"{LEVEL_VI[level]} năm {year}"
        if level == "dat_chuan":
            self.ctx.place.add("ntm_level_year", self.ctx.file, self.grid.name, a1(r, c))
            return int(year)
        return f"{LEVEL_VI[level]} ({year})"
