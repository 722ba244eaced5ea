"""Write the sample returns of every district and year, then the truth tables (`write_sample`)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ketnghia_analysis.sample import render as R
from ketnghia_analysis.sample.grid import Book, Grid, write_book
from ketnghia_analysis.sample.variations import CATALOGUE, Placements
from ketnghia_analysis.sample.world import check_years, conform, simulate

FORM_ORDER = ("support", "poverty", "ntm", "models")
SHEET_NAMES = {
    "support": ("Biểu 01", "B01-KN", "Ket nghia {y}", "01 KN", "Kết nghĩa"),
    "poverty": ("Biểu 02", "B02-HN", "Ho ngheo {y}", "02 HN", "Hộ nghèo"),
    "ntm": ("Biểu 03", "B03-NTM", "NTM {y}", "Tieu chi NTM", "Nông thôn mới"),
    "models": ("Biểu 04", "B04-MH", "Mo hinh", "04 MH", "Mô hình KT"),
}
OPTIONAL = {
    "poverty": ("near_poor_end", "poor_ethnic_minority_end", "poverty_rate_end"),
    "support": ("note", "beneficiary_households", "houses_supported"),
    "models": ("households",),
    "ntm": (),
}
# Variations forced at the level of one form (the others are file-level or come for free).
FORM_OF = {
    "merged_commune_cells": "support",
    "partner_alias": "support",
    "money_trieu": "support",
    "money_nghin": "support",
    "money_dong": "support",
    "unit_in_header": "support",
    "unit_in_dvt_line": "support",
    "numbers_text_decimal_comma": "support",
    "hidden_cols": "poverty",
    "percent_number": "poverty",
    "percent_fraction": "poverty",
    "percent_text": "poverty",
    "text_all_caps": "poverty",
    "text_nbsp": "poverty",
    "text_zero_width": "poverty",
    "text_double_spaces": "poverty",
    "section_rows": "poverty",
    "subtotal_rows": "poverty",
    "name_arabic_numeral": "poverty",
    "name_minority_spelling": "poverty",
    "name_abbrev_tt": "poverty",
    "ntm_not_assessed": "ntm",
    "ntm_level_year": "ntm",
    "criteria_numbers": "ntm",
    "criteria_names": "ntm",
    "criteria_tc": "ntm",
    **{k: "ntm" for k in R.MET_STYLES},
    **{k: "ntm" for k in R.NOT_STYLES},
}
FILE_FORCED = (
    "forms_split_files",
    "corrected_resubmission",
    "format_xlsm",
    "format_xls",
    "format_ods",
    "format_html_xls",
    "format_xls_named_xlsx",
    "text_tcvn3",
    "text_vni",
    "text_nfd",
    "text_old_tone",
    "hidden_stale_sheet",
    "total_formula_uncached",
    "cover_sheet",
    "notes_sheet",
    "date_serial",
    "date_text",
    "date_datetime",
    "filename_copy_suffix",
    "filename_final",
    "filename_v2",
    "filename_ascii",
    "filename_diacritics",
)
PLANTED = (
    ("POVERTY_IDENTITY", "error"),
    ("POVERTY_IDENTITY", "error"),
    ("POVERTY_RATE_MISMATCH", "warning"),
    ("NTM_TOTAL_MISMATCH", "warning"),
    ("TOTAL_MISMATCH", "warning"),
    ("UNKNOWN_COMMUNE", "error"),
    ("VALUE_NOT_NUMERIC", "error"),
)


@dataclass
class SampleManifest:
    """What `write_sample` wrote."""

    out: Path
    files: list[str]
    districts: list[str]
    years: list[int]
    seed: int
    effect: float
    broken: bool
    rejected: list[str] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)
    truth_tables: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """Vietnamese multi-line summary (files, districts, years, synthetic warning)."""
        y = f"{self.years[0]}-{self.years[-1]}" if len(self.years) > 1 else str(self.years[0])
        lines = [
            "DỮ LIỆU TỔNG HỢP (synthetic) — không phải số liệu thật.",
            f"Đã ghi {len(self.files)} tệp báo cáo vào {self.out}",
            f"  {len(self.districts)} huyện, thị xã, thành phố; năm {y}; hạt giống (seed) {self.seed}; "
            f"tác động cài sẵn {self.effect * 100:+.1f} điểm % lên tỷ lệ hộ nghèo",
        ]
        if self.superseded:
            lines.append(
                f"  {len(self.superseded)} tệp bị thay thế bởi bản nộp lại: "
                + ", ".join(self.superseded)
            )
        if self.rejected:
            lines.append(f"  {len(self.rejected)} tệp hỏng (--broken): " + ", ".join(self.rejected))
        tables = ", ".join(f"{k} {v}" for k, v in self.truth_tables.items())
        lines.append(f"Bảng đúng (truth/): {tables}")
        lines.append("Xem README.md trong thư mục này. DỮ LIỆU TỔNG HỢP (synthetic).")
        return "\n".join(lines)


# ----------------------------------------------------------------------------- styles


def _choice(rng: np.random.Generator, options, p=None):
    i = int(rng.choice(len(options), p=p))
    return options[i]


def draw_style(rng: np.random.Generator, form: str) -> R.FormStyle:
    """A random form style (every option with a fair chance)."""
    st = R.FormStyle()
    st.title = _choice(rng, ("none", "short", "full"), [0.15, 0.25, 0.6])
    st.depth = _choice(rng, (1, 2, 3), [0.35, 0.45, 0.2])
    st.linebreaks = rng.random() < 0.3
    st.numbering = _choice(rng, (None, "parens", "letters", "digits"), [0.45, 0.2, 0.2, 0.15])
    st.hide_numbering = bool(st.numbering) and rng.random() < 0.15
    st.shuffle = rng.random() < 0.3
    opt = OPTIONAL[form]
    if opt and rng.random() < 0.2:
        st.missing = (opt[int(rng.integers(len(opt)))],)
    st.extra = rng.random() < 0.2
    st.hidden_extra = st.extra and rng.random() < 0.4
    st.sections = rng.random() < 0.35
    st.subtotals = st.sections and rng.random() < 0.5
    st.total = _choice(rng, ("top", "bottom", None), [0.2, 0.5, 0.3])
    st.total_label = _choice(
        rng, ("Tổng cộng", "Toàn huyện") if st.subtotals else ("Tổng cộng", "Cộng", "Toàn huyện")
    )
    st.formulas = _choice(rng, ("values", "cached"), [0.4, 0.6])
    st.footer = _choice(rng, ("none", "notes", "full"), [0.2, 0.2, 0.6])
    st.blank_before_footer = int(rng.integers(0, 4))
    st.numtext = _choice(rng, (None, "dot", "space", "comma"), [0.6, 0.15, 0.1, 0.15])
    st.dash_zero = rng.random() < 0.3
    st.percent = _choice(rng, ("number", "fraction", "text", "text_plain"), [0.4, 0.2, 0.25, 0.15])
    st.money_unit = _choice(rng, ("trieu", "nghin", "dong"), [0.6, 0.25, 0.15])
    st.unit_where = _choice(rng, ("header", "dvt"), [0.6, 0.4])
    st.met = _choice(rng, tuple(R.MET_STYLES))
    st.notmet = _choice(rng, tuple(R.NOT_STYLES))
    st.crit_header = _choice(rng, ("criteria_numbers", "criteria_names", "criteria_tc"))
    st.level_style = _choice(rng, ("two_cols", "combined", "year"), [0.5, 0.3, 0.2])
    st.not_assessed = rng.random() < 0.4
    st.label_mode = _choice(
        rng, ("official", "lower", "bare", "abbrev", "mixed"), [0.4, 0.15, 0.2, 0.1, 0.15]
    )
    st.caps = rng.random() < 0.08
    st.spaces = _choice(rng, (None, "nbsp", "zw", "double"), [0.7, 0.1, 0.1, 0.1])
    st.commune_first = rng.random() < 0.6
    st.merge_communes = rng.random() < 0.7
    return _consistent(st)


def _consistent(st: R.FormStyle) -> R.FormStyle:
    """Rules that keep a style honest: no SUM over numbers typed as text; '1' is not also '-'."""
    if st.numtext:
        st.formulas = "values" if st.formulas != "uncached" else "uncached"
    if st.met == "marks_met_digit" and st.notmet in ("marks_not_blank", "marks_not_dash"):
        st.notmet = "marks_not_zero"
    if st.subtotals and st.total_label == "Cộng":
        st.total_label = "Tổng cộng"
    return st


FORCE_PATCH = {
    "title_none": {"title": "none"},
    "title_national": {"title": "full"},
    "title_ubnd": {"title": "full"},
    "title_kem_theo": {"title": "full"},
    "title_dvt": {"title": "full"},
    "header_1row": {"depth": 1},
    "header_2rows": {"depth": 2},
    "header_3rows": {"depth": 3},
    "header_linebreak": {"depth": 1, "linebreaks": True},
    "numbering_parens": {"numbering": "parens"},
    "numbering_letters": {"numbering": "letters"},
    "numbering_digits": {"numbering": "digits"},
    "columns_shuffled": {"depth": 1, "shuffle": True},
    "columns_missing": {"missing": ("near_poor_end",)},
    "columns_extra": {"extra": True},
    "section_rows": {"sections": True},
    "subtotal_rows": {
        "sections": True,
        "subtotals": True,
        "total": "bottom",
        "total_label": "Tổng cộng",
    },
    "total_top": {"total": "top"},
    "total_bottom": {"total": "bottom"},
    "total_formula_cached": {"formulas": "cached", "numtext": None, "total": "bottom"},
    "footer_notes": {"footer": "notes"},
    "footer_signature": {"footer": "full"},
    "footer_blank_rows": {"blank_before_footer": 2},
    "merged_commune_cells": {"merge_communes": True},
    "hidden_rows": {"numbering": "parens", "hide_numbering": True},
    "hidden_cols": {"extra": True, "hidden_extra": True},
    "criteria_numbers": {"crit_header": "criteria_numbers"},
    "criteria_names": {"crit_header": "criteria_names"},
    "criteria_tc": {"crit_header": "criteria_tc"},
    "ntm_not_assessed": {"not_assessed": True},
    "ntm_level_year": {"level_style": "year"},
    "numbers_text_dot": {"numtext": "dot"},
    "numbers_text_space": {"numtext": "space"},
    "numbers_text_comma": {"numtext": "comma"},
    "numbers_text_decimal_comma": {"numtext": "dot", "money_unit": "trieu"},
    "dash_zero": {"dash_zero": True},
    "percent_number": {"percent": "number"},
    "percent_fraction": {"percent": "fraction"},
    "percent_text": {"percent": "text"},
    "money_trieu": {"money_unit": "trieu"},
    "money_nghin": {"money_unit": "nghin"},
    "money_dong": {"money_unit": "dong"},
    "unit_in_header": {"unit_where": "header"},
    "unit_in_dvt_line": {"unit_where": "dvt", "title": "full"},
    "text_all_caps": {"caps": True},
    "text_nbsp": {"spaces": "nbsp"},
    "text_zero_width": {"spaces": "zw"},
    "text_double_spaces": {"spaces": "double"},
    "name_unit_word": {"label_mode": "official"},
    "name_lowercase_unit": {"label_mode": "lower"},
    "name_bare": {"label_mode": "bare"},
    "name_abbrev_x": {"label_mode": "abbrev"},
    "name_abbrev_tt": {"label_mode": "abbrev"},
    "name_arabic_numeral": {"label_mode": "bare"},
    "name_minority_spelling": {"label_mode": "lower"},
    "partner_alias": {"alias": 1.0},
    **{k: {"met": k} for k in R.MET_STYLES},
    **{k: {"notmet": k} for k in R.NOT_STYLES},
}


# ----------------------------------------------------------------------------- plan


@dataclass
class Slot:
    """One district-year and what is forced on it."""

    year: int
    district_code: str
    district_name: str
    has_pairs: bool
    has_tt: bool
    has_roman: bool
    has_sections: bool
    has_minority: bool = False
    has_zero: bool = True
    force: list[str] = field(default_factory=list)
    plants: list[str] = field(default_factory=list)


def _plan(slots: list[Slot], rng: np.random.Generator) -> None:
    """Give every catalogue variation (and each planted issue) its own district-year."""
    order = [slots[int(i)] for i in rng.permutation(len(slots))]
    used: dict[int, int] = {}

    def take(pred, limit: int = 1) -> Slot | None:
        for s in order:
            if pred(s) and used.get(id(s), 0) < limit:
                used[id(s)] = used.get(id(s), 0) + 1
                return s
        return None

    needs = {
        "name_arabic_numeral": lambda s: s.has_roman,
        "name_minority_spelling": lambda s: s.has_minority,
        "name_abbrev_tt": lambda s: s.has_tt,
        "ntm_not_assessed": lambda s: s.has_tt,
        "section_rows": lambda s: s.has_sections,
        "subtotal_rows": lambda s: s.has_sections,
        "forms_split_files": lambda s: s.has_pairs,
        "corrected_resubmission": lambda s: s.has_pairs,
    }
    for name in list(FILE_FORCED) + [k for k in CATALOGUE if k not in FILE_FORCED]:
        if name in ("format_xlsx",):
            continue
        pred = needs.get(name)
        if pred is None and FORM_OF.get(name) in ("support", "models"):
            pred = lambda s: s.has_pairs  # noqa: E731
        pred = pred or (lambda s: True)
        slot = take(pred) or take(pred, limit=3)
        if slot is not None:
            slot.force.append(name)
    busy = {"forms_split_files", "corrected_resubmission", "format_ods", "format_html_xls",
            "format_xls", "format_xls_named_xlsx", "text_tcvn3", "text_vni", "hidden_stale_sheet",
            "total_formula_uncached", "format_xlsm", "text_nfd", "text_old_tone",
            "text_all_caps", "name_arabic_numeral"}  # fmt: skip
    quiet = [s for s in order if not busy & set(s.force)]
    for i, (code, _sev) in enumerate(PLANTED):
        if i < len(quiet):
            quiet[i].plants.append(code)


# ----------------------------------------------------------------------------- writing


def _file_name(
    ctx_name: str, ascii_name: str, year: int, style: str, suffix: str, tag: str = ""
) -> str:
    compact = ascii_name.replace(" ", "")
    names = {
        "ascii": f"BC ket nghia {year} - {ascii_name}{tag}",
        "diacritics": f"Báo cáo kết nghĩa năm {year} - {ctx_name}{tag}",
        "compact": f"{compact}_KN_{year}{tag}",
        "copy": f"Bao cao {year} {ctx_name}{tag} (1)",
        "final": f"Bieu mau ket nghia {year} {ascii_name}{tag} final",
        "v2": f"BC_KN_{year}_{compact}{tag}_v2",
    }
    return names[style] + suffix


def write_sample(
    out: Path,
    years=range(2019, 2025),
    seed: int = 2024,
    effect: float = -0.03,
    broken: bool = False,
) -> SampleManifest:
    """Write synthetic returns for every district and year, and their truth tables.

    Parameters
    ----------
    out
        Output folder (created). Returns go to ``out/<year>/``, the truth to
        ``out/truth/``, and a bilingual ``out/README.md``. Files this generator
        wrote before (``out/20*/``, ``out/khac/``, ``out/truth/``) are replaced.
    years
        Years 2019-2024 (district returns stop with the 2024 review).
    seed
        Random seed: the same seed writes the same files and truth.
    effect
        Planted effect of twinning on the poverty rate (fraction, -0.03 = -3 points).
    broken
        Also write broken files (truncated, empty, not a spreadsheet,
        password-protected, not a return, renamed CSV): truth lists them as rejected.

    Returns
    -------
    SampleManifest
        What was written; ``summary()`` is the Vietnamese text printed by the CLI.
    """
    from ketnghia_analysis.core.text import strip_diacritics
    from ketnghia_analysis.reference import gazetteer

    out = Path(out)
    years = check_years(years)
    world = simulate(seed=seed, years=years, effect=effect)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    _prepare(out)

    communes = world["communes"].set_index("commune_code")
    klass = communes["klass"].to_dict()
    registry = world["partners"]
    aliases = {p: list(a) for p, a in zip(registry["partner_id"], registry["aliases"], strict=True)}
    pnames = dict(zip(registry["partner_id"], registry["partner_name"], strict=True))
    ptypes = dict(zip(registry["partner_id"], registry["partner_type"], strict=True))

    units_by_year = {y: gazetteer.communes_in_year(y) for y in years}

    def split(frame: pd.DataFrame, sort: list[str]) -> dict[tuple[int, str], list[dict]]:
        out: dict[tuple[int, str], list[dict]] = {}
        frame = frame.sort_values(["year", "district_code", *sort])
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")
        for rec in records:
            out.setdefault((int(rec["year"]), str(rec["district_code"])), []).append(rec)
        return out

    by_slot = {
        "poverty": split(world["poverty"], ["commune_code"]),
        "ntm_status": split(world["ntm_status"], ["commune_code"]),
        "support": split(world["support"], ["commune_code", "partner_id"]),
        "models": split(world["models"], ["commune_code", "partner_id", "model_name"]),
    }
    crit_by: dict[tuple[int, str, str], list[bool]] = {}
    cr = world["ntm_criteria"].sort_values(["year", "commune_code", "criterion"])
    for y_, d_, c_, m_ in zip(
        cr["year"].tolist(),
        cr["district_code"].tolist(),
        cr["commune_code"].tolist(),
        cr["met"].tolist(),
        strict=True,
    ):
        crit_by.setdefault((int(y_), d_, c_), []).append(bool(m_))
    units_rows: dict[tuple[int, str], list[dict]] = {}
    for y in years:
        u = units_by_year[y].sort_values("commune_code")
        for code, name, ctype_, dcode_ in zip(
            u["commune_code"].tolist(),
            u["commune_name"].tolist(),
            u["commune_type"].tolist(),
            u["district_code"].tolist(),
            strict=True,
        ):
            units_rows.setdefault((y, str(dcode_)), []).append(
                {"commune_code": code, "commune_name": name, "commune_type": ctype_}
            )
    slots: list[Slot] = []
    for y in years:
        u = units_by_year[y]
        for dcode, part in u.groupby("district_code", sort=True):
            names = list(part["commune_name"])
            ks = {klass.get(c, "plain") for c in part["commune_code"]}
            slots.append(
                Slot(
                    year=y,
                    district_code=str(dcode),
                    district_name=str(part["district_name"].iloc[0]),
                    has_pairs=(y, str(dcode)) in by_slot["support"],
                    has_tt=bool(part["commune_type"].eq("thị trấn").any()),
                    has_roman=any(n.endswith((" I", " II")) for n in names),
                    has_minority=any(n.endswith(tuple(R.MINORITY_SPELLINGS)) for n in names),
                    has_sections=len(ks) >= 2 or part["commune_type"].nunique() >= 2,
                )
            )
    _plan(slots, rng)

    place = Placements()
    provenance: dict[tuple, tuple[str, str, int]] = {}
    dropped_cols: dict[tuple, set[str]] = {}
    submissions: list[dict] = []
    issues: list[dict] = []
    quarantine: list[dict] = []
    used_names: set[str] = set()

    for slot in slots:
        y, dcode = slot.year, slot.district_code
        force = set(slot.force)
        unit_rows = units_rows[(y, dcode)]
        ctype = {r["commune_code"]: r["commune_type"] for r in unit_rows}
        names = {r["commune_code"]: r["commune_name"] for r in unit_rows}
        pov = by_slot["poverty"].get((y, dcode), [])
        stat = by_slot["ntm_status"].get((y, dcode), [])
        crit = {r["commune_code"]: crit_by[(y, dcode, r["commune_code"])] for r in stat}
        sup = by_slot["support"].get((y, dcode), [])
        mod = by_slot["models"].get((y, dcode), [])
        forms = ["poverty", "ntm"] + (["support", "models"] if sup else [])
        if sup and not mod:
            forms.remove("models")

        # Report date and number; a resubmission comes ten days later.
        day = dt.date(y, 12, 1) + dt.timedelta(days=int(rng.integers(0, 40)))
        report_no = int(rng.integers(20, 400))
        short = (
            slot.district_name.split(" ", 1)[1]
            if slot.district_name.startswith(("Huyện", "Thành phố", "Thị xã"))
            else slot.district_name
        )
        if slot.district_name.startswith(("Thành phố", "Thị xã")):
            short = slot.district_name.split(" ", 2)[2]
        ascii_short = strip_diacritics(short)

        # Styles per form (random, then the forced variations of this slot).
        styles = {f: draw_style(rng, f) for f in forms}
        for name in sorted(force):
            patch = FORCE_PATCH.get(name)
            if patch is None:
                continue
            target = FORM_OF.get(name)
            if target is None:
                target = "poverty" if name not in ("total_formula_cached",) else "poverty"
            if target not in styles:
                continue
            if name == "columns_missing":
                patch = {"missing": (OPTIONAL[target][0],)}
            styles[target] = replace(styles[target], **patch)
        for f in forms:
            styles[f] = _consistent(styles[f])
            if f == "ntm":
                styles[f].total = None
        plants = {p: None for p in slot.plants}
        if "TOTAL_MISMATCH" in plants:
            styles["poverty"] = replace(
                styles["poverty"], total="bottom", formulas="values", numtext=None
            )
        if {"POVERTY_IDENTITY", "UNKNOWN_COMMUNE", "VALUE_NOT_NUMERIC"} & set(plants):
            # No total row where a data row is quarantined: the total would not match the
            # accepted rows, an issue we did not mean to plant.
            styles["poverty"] = replace(
                styles["poverty"], total=None, sections=False, subtotals=False
            )
        if "POVERTY_RATE_MISMATCH" in plants:
            styles["poverty"] = replace(styles["poverty"], missing=())
        # Which commune carries each planted issue.
        plant_target: dict[str, dict] = {"poverty": {}, "ntm": {}}
        pov_codes = [r["commune_code"] for r in pov]
        ntm_codes = [r["commune_code"] for r in stat]
        for p in plants:
            if p == "NTM_TOTAL_MISMATCH" and ntm_codes:
                plant_target["ntm"][p] = ntm_codes[int(rng.integers(len(ntm_codes)))]
            elif p == "UNKNOWN_COMMUNE":
                plant_target["poverty"][p] = "?"
            elif p == "TOTAL_MISMATCH":
                plant_target["poverty"][p] = "?"
            elif p != "NTM_TOTAL_MISMATCH":
                plant_target["poverty"][p] = pov_codes[int(rng.integers(len(pov_codes)))]

        # File-level choices.
        writer = "xlsxwriter"
        for fmt_name, w in (
            ("format_xls", "xlwt"),
            ("format_xlsm", "xlsm"),
            ("format_ods", "ods"),
            ("format_html_xls", "html"),
            ("format_xls_named_xlsx", "xls_as_xlsx"),
            ("total_formula_uncached", "openpyxl"),
        ):
            if fmt_name in force:
                writer = w
        if writer == "xlsxwriter" and not slot.plants:
            writer = _choice(
                rng, ("xlsxwriter", "openpyxl", "xlwt", "xlsm"), [0.86, 0.03, 0.08, 0.03]
            )
        if writer == "openpyxl":
            for f in forms:
                if styles[f].total and not styles[f].numtext:
                    styles[f].formulas = "uncached"
        text_mode = None
        for m in ("text_tcvn3", "text_vni", "text_nfd", "text_old_tone"):
            if m in force:
                text_mode = m[5:]
        if text_mode is None and not slot.plants and rng.random() < 0.08:
            text_mode = _choice(rng, ("nfd", "old_tone", "tcvn3", "vni"))
        if text_mode == "old_tone":  # the title block and signature carry "HÒA", "ỦY BAN"
            for f in forms:
                styles[f] = replace(styles[f], title="full", footer="full")
        name_style = _choice(
            rng,
            ("ascii", "diacritics", "compact", "copy", "final", "v2"),
            [0.35, 0.3, 0.15, 0.07, 0.07, 0.06],
        )
        for fs, key in (
            ("filename_copy_suffix", "copy"),
            ("filename_final", "final"),
            ("filename_v2", "v2"),
            ("filename_ascii", "ascii"),
            ("filename_diacritics", "diacritics"),
        ):
            if fs in force:
                name_style = key
        suffix = {
            "xlsxwriter": ".xlsx",
            "openpyxl": ".xlsx",
            "xlsm": ".xlsm",
            "xlwt": ".xls",
            "ods": ".ods",
            "html": ".xls",
            "xls_as_xlsx": ".xlsx",
        }[writer]
        cover = "cover_sheet" in force or rng.random() < 0.25
        date_style = next(
            (d for d in ("date_serial", "date_text", "date_datetime") if d in force), None
        )
        if date_style:
            cover = True
        date_style = date_style or _choice(rng, ("date_serial", "date_text", "date_datetime"))
        notes = "notes_sheet" in force or rng.random() < 0.1
        stale = "hidden_stale_sheet" in force or (
            writer in ("xlsxwriter", "openpyxl") and rng.random() < 0.05
        )
        if writer == "html":
            cover = notes = stale = False
        split = "forms_split_files" in force and len(forms) >= 3
        resubmit = "corrected_resubmission" in force

        # Which forms go to which file(s).
        if writer == "html":
            # A web-system export holds the poverty table; the rest comes in a normal workbook.
            parts = [["poverty"], [f for f in forms if f != "poverty"]]
            writers = ["html", "xlsxwriter"]
        elif split:
            parts = [
                [f for f in forms if f in ("support", "models")],
                [f for f in forms if f in ("poverty", "ntm")],
            ]
            writers = [writer, writer]
        else:
            parts = [list(forms)]
            writers = [writer]
        versions = (
            [("early", day - dt.timedelta(days=10)), ("final", day)]
            if resubmit
            else [("final", day)]
        )

        for vi, (version, vday) in enumerate(versions):
            for pi, (part, w) in enumerate(zip(parts, writers, strict=True)):
                sfx = suffix if w == writer else ".xlsx"
                tag = ""
                if len(parts) > 1:
                    short_forms = {"support": "KN", "poverty": "HN", "ntm": "NTM", "models": "MH"}
                    tag = " - " + " ".join(short_forms[f] for f in FORM_ORDER if f in part)
                if resubmit and version == "final":
                    tag += " (bổ sung, thay thế)"
                dname = slot.district_name
                fname = _file_name(
                    dname,
                    ascii_short if name_style != "diacritics" else short,
                    y,
                    name_style,
                    sfx,
                    tag,
                )
                if name_style == "diacritics":
                    fname = _file_name(short, short, y, "diacritics", sfx, tag)
                elif name_style in ("copy",):
                    fname = _file_name(short, ascii_short, y, "copy", sfx, tag)
                rel = f"{y}/{fname}"
                k = 2
                while rel in used_names:
                    rel = f"{y}/{Path(fname).stem} ({k}){sfx}"
                    k += 1
                used_names.add(rel)
                ctx = R.Ctx(
                    file=rel, district_code=dcode, district_name=slot.district_name, year=y,
                    report_date=vday, report_no=report_no + vi * 7, rng=rng,
                    place=place if version == "final" else Placements(),
                    klass=klass, commune_type=ctype, aliases=aliases, partner_names=pnames,
                    partner_types=ptypes,
                )  # fmt: skip
                if version == "early":
                    place.add("corrected_resubmission", rel, "", "superseded")
                elif resubmit:
                    place.add("corrected_resubmission", rel, "", "supersedes")
                if len(parts) > 1 and w != "html":
                    place.add("forms_split_files", rel, "", ",".join(part))
                sheets: list[Grid] = []
                if cover and pi == len(parts) - 1 and w != "html":
                    sheets.append(R.cover_sheet(ctx, date_style))
                outs: dict[str, R.FormOut] = {}
                sheet_names: set[str] = set()
                ordered = list(part)
                if len(ordered) > 1 and rng.random() < 0.4:
                    ordered = [ordered[int(i)] for i in rng.permutation(len(ordered))]
                for f in ordered:
                    opts = SHEET_NAMES[f]
                    sname = opts[int(rng.integers(len(opts)))].format(y=y)
                    if rng.random() < 0.1:
                        sname = f"Sheet{len(sheets) + 1}"
                    while sname in sheet_names:
                        sname += "_"
                    sheet_names.add(sname)
                    st = styles[f]
                    if w in ("xlwt", "ods", "html", "xls_as_xlsx") and st.formulas == "uncached":
                        st = replace(st, formulas="cached")
                    if version == "early":
                        st = replace(st)
                    if f == "poverty":
                        rows = pov if version == "final" else _stale(pov, rng)
                        fo = R.poverty_form(
                            sname,
                            rows,
                            st,
                            ctx,
                            plant_target["poverty"] if version == "final" else None,
                        )
                    elif f == "ntm":
                        fo = R.ntm_form(
                            sname,
                            stat,
                            crit,
                            st,
                            ctx,
                            unit_rows,
                            plant_target["ntm"] if version == "final" else None,
                        )
                    elif f == "support":
                        rows = sup if version == "final" else sup[:-1] if len(sup) > 1 else sup
                        fo = R.support_form(sname, rows, names, st, ctx)
                    else:
                        fo = R.models_form(sname, mod, names, st, ctx)
                    outs[f] = fo
                    sheets.append(fo.grid)
                if stale and pi == 0 and version == "final" and "poverty" in part:
                    scratch = replace(ctx, place=Placements(), issues=[], quarantine=[])
                    g = R.poverty_form(
                        "Biểu 02 (nháp)", _stale(pov, rng), styles["poverty"], scratch
                    ).grid
                    g.hidden = True
                    sheets.append(g)
                    place.add("hidden_stale_sheet", rel, g.name, "")
                if notes and pi == 0 and w != "html":
                    sheets.append(R.notes_sheet(ctx))
                if text_mode and w != "html":
                    for g in sheets:
                        R.encode_grid(g, text_mode)
                    place.add(f"text_{text_mode}", rel, "", "")
                if w == "html":
                    # A web export has no sheet names: readers call its tables "Bảng 1", "Bảng 2", …
                    visible = [g for g in sheets if not g.hidden]
                    rename = {g.name: f"Bảng {i + 1}" for i, g in enumerate(visible)}
                    for g in visible:
                        g.name = rename[g.name]
                    for item in ctx.issues + ctx.quarantine:
                        item["source_sheet"] = rename.get(
                            item["source_sheet"], item["source_sheet"]
                        )
                    place.rename_sheets(rel, rename)
                book = Book(
                    rel,
                    w,
                    sheets,
                    dt.datetime(vday.year, vday.month, vday.day, 8, 30) + dt.timedelta(minutes=pi),
                    title=f"Báo cáo kết nghĩa năm {y} - DỮ LIỆU TỔNG HỢP (synthetic)",
                )
                path = write_book(book, out)
                fmt_var = {
                    "xlsxwriter": "format_xlsx",
                    "openpyxl": "format_xlsx",
                    "xlsm": "format_xlsm",
                    "xlwt": "format_xls",
                    "ods": "format_ods",
                    "html": "format_html_xls",
                    "xls_as_xlsx": "format_xls_named_xlsx",
                }[w]
                place.add(fmt_var, rel, "", "")
                stem = Path(rel).name
                if stem != strip_diacritics(stem):
                    place.add("filename_diacritics", rel, "", "")
                else:
                    place.add("filename_ascii", rel, "", "")
                for marker, var in (
                    (" (1)", "filename_copy_suffix"),
                    ("final", "filename_final"),
                    ("v2", "filename_v2"),
                ):
                    if marker in stem:
                        place.add(var, rel, "", "")
                submissions.append(
                    {
                        "source_file": rel,
                        "size_bytes": path.stat().st_size,
                        "district_code": dcode,
                        "year": y,
                        "forms_found": ",".join(f for f in FORM_ORDER if f in outs),
                        "status": "ingested" if version == "final" else "superseded",
                        "reason": None,
                    }
                )
                if version == "final":
                    issues.extend(ctx.issues)
                    quarantine.extend(ctx.quarantine)
                    for fo in outs.values():
                        for key, row in fo.rows:
                            provenance[key] = (rel, fo.grid.name, row)
                            if fo.dropped:
                                dropped_cols[key] = fo.dropped

    if broken:
        submissions.extend(_write_broken(out, years[-1], place))

    truth = _truth(world, provenance, dropped_cols)
    _write_truth(out, truth, submissions, issues, quarantine, place, world, seed, years, effect)
    _write_readme(out, seed, years, effect, broken)
    files = sorted(s["source_file"] for s in submissions)
    return SampleManifest(
        out=out,
        files=files,
        districts=sorted({s.district_code for s in slots}),
        years=years,
        seed=seed,
        effect=effect,
        broken=broken,
        rejected=sorted(s["source_file"] for s in submissions if s["status"] == "rejected"),
        superseded=sorted(s["source_file"] for s in submissions if s["status"] == "superseded"),
        truth_tables={k: len(v) for k, v in truth.items()},
    )


def _prepare(out: Path) -> None:
    """Create ``out``; replace an earlier sample there, but never touch other data.

    A folder that already holds files (other than a README.md) and no
    ``truth/world.json`` of ours may hold real returns: refuse rather than mix
    synthetic files into them.
    """
    out.mkdir(parents=True, exist_ok=True)
    marker = out / "truth" / "world.json"
    ours = False
    if marker.is_file():
        try:
            ours = json.loads(marker.read_text(encoding="utf-8")).get("synthetic") is True
        except (OSError, ValueError):
            ours = False
    if not ours:
        others = [p for p in out.iterdir() if p.name not in ("README.md", ".gitkeep")]
        if others:
            raise ValueError(
                f"thư mục {out} đã có dữ liệu không do 'ketnghia sample' tạo ra "
                f"({others[0].name}, …): chọn thư mục trống / output folder is not empty"
            )
        return
    for old in [*out.glob("20[0-9][0-9]"), out / "khac", out / "truth"]:
        if old.is_dir():
            shutil.rmtree(old)


def _stale(rows: list[dict], rng: np.random.Generator) -> list[dict]:
    """An earlier draft of the poverty rows: a few counts differ (identity still holds)."""
    out = []
    for row in rows:
        r = dict(row)
        if rng.random() < 0.3:
            d = int(rng.integers(1, 6))
            r["poverty_exits"] = max(0, r["poverty_exits"] - d)
            r["poor_end"] = (
                r["poor_start"] - r["poverty_exits"] + r["poverty_relapses"] + r["poverty_new"]
            )
        out.append(r)
    return out


def _truth(world, provenance, dropped_cols) -> dict[str, pd.DataFrame]:
    """World rows that were written (final versions, not quarantined), with provenance."""

    def attach(frame: pd.DataFrame, table: str, keyfn) -> pd.DataFrame:
        keys = [keyfn(r) for r in frame.itertuples(index=False)]
        mask = [k in provenance for k in keys]
        f = frame[mask].copy()
        kept = [k for k, m in zip(keys, mask, strict=True) if m]
        f["source_file"] = [provenance[k][0] for k in kept]
        f["source_sheet"] = [provenance[k][1] for k in kept]
        f["source_row"] = [provenance[k][2] for k in kept]
        for i, k in enumerate(kept):
            for col in dropped_cols.get(k, ()):
                f.iloc[i, f.columns.get_loc(col)] = None
        f = conform(f, table, provenance=True)
        return f.sort_values(
            [
                "source_file",
                "source_sheet",
                "source_row",
                *(["criterion"] if table == "ntm_criteria" else []),
            ]
        ).reset_index(drop=True)

    return {
        "poverty": attach(
            world["poverty"], "poverty", lambda r: ("poverty", r.year, r.commune_code)
        ),
        "ntm_status": attach(
            world["ntm_status"], "ntm_status", lambda r: ("ntm", r.year, r.commune_code)
        ),
        "ntm_criteria": attach(
            world["ntm_criteria"], "ntm_criteria", lambda r: ("ntm", r.year, r.commune_code)
        ),
        "support": attach(
            world["support"], "support", lambda r: ("support", r.year, r.commune_code, r.partner_id)
        ),
        "models": attach(
            world["models"],
            "models",
            lambda r: ("models", r.year, r.commune_code, r.partner_id, r.model_name),
        ),
    }


def _write_truth(
    out, truth, submissions, issues, quarantine, place, world, seed, years, effect
) -> None:
    tdir = out / "truth"
    tdir.mkdir(parents=True, exist_ok=True)
    for name, frame in truth.items():
        frame.to_parquet(tdir / f"{name}.parquet", index=False)
    partners = world["partners"].copy()
    partners["aliases"] = partners["aliases"].map(list)
    partners.to_parquet(tdir / "partners.parquet", index=False)
    subs = pd.DataFrame(submissions)
    subs = (
        pd.DataFrame(
            {
                "source_file": subs["source_file"].astype(object),
                "size_bytes": pd.array(subs["size_bytes"], dtype="Int64"),
                "district_code": subs["district_code"].astype(object),
                "year": pd.array(subs["year"], dtype="Int64"),
                "forms_found": subs["forms_found"].astype(object),
                "status": subs["status"].astype(object),
                "reason": subs["reason"].astype(object),
            }
        )
        .sort_values("source_file")
        .reset_index(drop=True)
    )
    subs.to_parquet(tdir / "submissions.parquet", index=False)
    cols = ["code", "severity", "source_file", "source_sheet", "cell", "note"]
    pd.DataFrame(issues, columns=cols).to_csv(tdir / "planted_issues.csv", index=False)
    pd.DataFrame(quarantine, columns=["source_file", "source_sheet", "source_row", "codes"]).to_csv(
        tdir / "quarantine.csv", index=False
    )
    (tdir / "variations.json").write_text(
        json.dumps(place.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8"
    )
    cf = world["counterfactual"]
    treated = cf[cf["treated"]]
    ntm_cf = world.get("ntm_counterfactual")
    meta = {
        "synthetic": True,
        "note": "DỮ LIỆU TỔNG HỢP (synthetic): simulated by ketnghia_analysis.sample, not real data.",
        "seed": seed,
        "years": years,
        "effect_poverty_rate": effect,
        "effect_poverty_rate_realised": float(
            (treated["rate"] - treated["rate_counterfactual"]).mean()
        )
        if len(treated)
        else None,
        "ntm_effect_latent": float(
            world["params"].set_index("name").at["ntm_effect_latent", "value"]
        ),
        "ntm_effect_criteria_realised": None
        if ntm_cf is None
        else float(
            (lambda t: (t["criteria_met"] - t["criteria_met_counterfactual"]).mean())(
                ntm_cf[ntm_cf["treated"]]
            )
        ),
        "comparison_group": "mountain = mountainous district or ethnic-region (KV I-III) commune; trends parallel within it",
        "money_rounding": "money in million VND rounded to 6 decimals (values are whole nghìn đồng)",
        "first_pair_year": {
            c: int(y)
            for c, y in world["communes"]
            .dropna(subset=["first_pair_year"])[["commune_code", "first_pair_year"]]
            .itertuples(index=False)
        },
        "pairs": [[c, p, int(y)] for c, p, y in world["pairs"].itertuples(index=False)],
        "forms_found_format": "comma-separated canonical form names in form-number order: support,poverty,ntm,models",
    }
    (tdir / "world.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8"
    )


def _write_broken(out: Path, year: int, place: Placements) -> list[dict]:
    """Broken and hostile files (``--broken``), each rejected by a correct build."""
    import io

    from ketnghia_analysis.sample.grid import Book, Grid

    folder = out / "khac"
    folder.mkdir(parents=True, exist_ok=True)
    when = dt.datetime(year + 1, 1, 10, 9, 0)
    rows = []

    def record(name: str, variation: str, reason: str) -> None:
        path = folder / name
        stamp = when.replace(tzinfo=dt.UTC).timestamp()
        os.utime(path, (stamp, stamp))
        rel = f"khac/{name}"
        place.add(variation, rel, "", "")
        rows.append(
            {
                "source_file": rel,
                "size_bytes": path.stat().st_size,
                "district_code": None,
                "year": None,
                "forms_found": None,
                "status": "rejected",
                "reason": reason,
            }
        )

    g = Grid("Sheet1")
    for r in range(40):
        for c in range(8):
            g.put(r, c, f"Dòng {r} cột {c}" if c == 0 else r * c)
    book = Book("khac/_tmp.xlsx", "xlsxwriter", [g], when)
    tmp = write_book(book, out)
    data = tmp.read_bytes()
    tmp.unlink()
    (folder / "BC ket nghia Dai Loc bi loi.xlsx").write_bytes(data[: len(data) // 2])
    record("BC ket nghia Dai Loc bi loi.xlsx", "broken_truncated", "tệp bị cắt cụt (truncated)")
    (folder / "Bao cao trong.xlsx").write_bytes(b"")
    record("Bao cao trong.xlsx", "broken_empty", "tệp rỗng (0 byte)")
    (folder / "Công văn gửi kèm.xlsx").write_bytes(
        b"%PDF-1.4\n% DU LIEU TONG HOP (synthetic)\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
    )
    record(
        "Công văn gửi kèm.xlsx", "broken_not_spreadsheet", "không phải bảng tính (tệp PDF đổi đuôi)"
    )
    # Password-protected: an encrypted OOXML package (msoffcrypto-tool).
    plain = io.BytesIO()
    book = Book("khac/_tmp2.xlsx", "xlsxwriter", [g], when)
    tmp = write_book(book, out)
    plain.write(tmp.read_bytes())
    tmp.unlink()
    plain.seek(0)
    try:
        from msoffcrypto.format.ooxml import OOXMLFile

        enc = io.BytesIO()
        OOXMLFile(plain).encrypt("ketnghia", enc)
        (folder / "BC Phu Ninh 2024 (mat khau).xlsx").write_bytes(enc.getvalue())
        record("BC Phu Ninh 2024 (mat khau).xlsx", "broken_password", "tệp có mật khẩu (encrypted)")
    except Exception:  # pragma: no cover - optional dependency missing
        pass
    # A workbook that is not a return (a meeting attendance list).
    g2 = Grid("Danh sách")
    g2.put(0, 0, "DANH SÁCH ĐẠI BIỂU DỰ HỘI NGHỊ TỔNG KẾT (dữ liệu tổng hợp, synthetic)")
    for r, (n, u) in enumerate(
        (("Nguyễn Văn A", "Sở Tài chính"), ("Trần Thị B", "Ban Dân tộc tỉnh")), start=2
    ):
        g2.put(r, 0, r - 1)
        g2.put(r, 1, n)
        g2.put(r, 2, u)
    write_book(Book("khac/Danh sach dai bieu hoi nghi.xlsx", "xlsxwriter", [g2], when), out)
    record(
        "Danh sach dai bieu hoi nghi.xlsx",
        "broken_not_return",
        "không phải biểu báo cáo (không nhận ra biểu mẫu nào)",
    )
    (folder / "export_ho_ngheo.xls").write_text(
        "ma_xa;ten_xa;so_ho\n20944;Trà Mai;812\n# synthetic\n", encoding="utf-8"
    )
    record(
        "export_ho_ngheo.xls",
        "broken_csv_renamed",
        "tệp CSV đổi đuôi .xls, không đọc được như bảng tính",
    )
    return rows


README = """# Báo cáo mẫu — DỮ LIỆU TỔNG HỢP (synthetic) / Sample returns — SYNTHETIC DATA

**Tiếng Việt.** Các tệp trong thư mục này là báo cáo kết nghĩa *giả lập* của các huyện
tỉnh Quảng Nam, do lệnh `ketnghia sample` tạo ra (hạt giống seed = {seed}, năm {years},
tác động cài sẵn {effect_pts:+.1f} điểm % lên tỷ lệ hộ nghèo từ năm kết nghĩa). Đây **không phải
số liệu thật**. Danh sách xã, huyện lấy từ danh mục hành chính thật (gazetteer); mọi con số
đều được mô phỏng. Các tệp cố ý "lộn xộn" như báo cáo thật (tiêu đề, tiêu đề cột nhiều dòng,
ô gộp, số dạng văn bản, mã TCVN3/VNI, tệp .xls/.ods/HTML, bản nộp lại...) để kiểm tra chương
trình đọc. Thư mục `truth/` chứa các bảng đúng mà một lần xây dựng hoàn hảo phải tạo ra.

**English.** Everything here is *synthetic*: district returns of Quảng Nam's twinning
programme simulated by `ketnghia sample` (seed {seed}, years {years}, planted effect
{effect_pts:+.1f} percentage points on the poverty rate from the pairing year on). Unit
lists come from the real gazetteer; every number is simulated. The files are deliberately
messy in all the ways listed in the variation catalogue of returns.md.

- `<year>/` — the returns (one or more files per district and year).
- `khac/` — broken files (only with `--broken`): each must be rejected with a one-line reason.
- `truth/*.parquet` — poverty, ntm_status, ntm_criteria, support, models, partners,
  submissions: exactly what a perfect `ketnghia build` produces (with `source_file`,
  `source_sheet`, `source_row`). Money is million VND rounded to 6 decimals.
- `truth/variations.json` — where each variation was planted; `truth/planted_issues.csv`
  — value errors the build must report; `truth/quarantine.csv` — rows it must reject;
  `truth/world.json` — planted effects, pairing years and pairs.

The build skips `truth/` and this README.
"""


README_MARK = "# Báo cáo mẫu — DỮ LIỆU TỔNG HỢP (synthetic)"


def _write_readme(out: Path, seed: int, years: list[int], effect: float, broken: bool) -> None:
    """Write ``out/README.md`` and ``out/truth/README.md``.

    A README.md that is not ours (the project's own data/raw/README.md) is kept:
    the sample's README then lives in ``truth/README.md`` only.
    """
    y = f"{years[0]}-{years[-1]}" if len(years) > 1 else str(years[0])
    text = README.format(seed=seed, years=y, effect_pts=effect * 100)
    if broken:
        text += "\nRun with `--broken`: `khac/` holds the broken files.\n"
    (out / "truth" / "README.md").write_text(text, encoding="utf-8")
    top = out / "README.md"
    if top.exists() and not top.read_text(encoding="utf-8", errors="replace").startswith(
        README_MARK
    ):
        return
    top.write_text(text, encoding="utf-8")
