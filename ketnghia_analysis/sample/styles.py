"""Form styles of a district-year: drawn at random, then patched so forced variations appear."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, TypeVar

import numpy as np

from ketnghia_analysis.sample.forms.style import MET_STYLES, NOT_STYLES, FormStyle

T = TypeVar("T")

# Optional columns of each form (``columns_missing`` drops one of them).
OPTIONAL = {
    "poverty": ("near_poor_end", "poor_ethnic_minority_end", "poverty_rate_end"),
    "support": ("note", "beneficiary_households", "houses_supported"),
    "models": ("households",),
    "ntm": (),
}
# The form a forced variation is patched into (the others are file-level or come for free).
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
    **{k: "ntm" for k in MET_STYLES},
    **{k: "ntm" for k in NOT_STYLES},
}
# The style fields that make each forced variation appear.
FORCE_PATCH: dict[str, dict[str, Any]] = {
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
    **{k: {"met": k} for k in MET_STYLES},
    **{k: {"notmet": k} for k in NOT_STYLES},
}
# Planted issues that quarantine a poverty row: no total row then, since the total would not
# match the accepted rows (an issue we did not mean to plant).
QUARANTINING = {"POVERTY_IDENTITY", "UNKNOWN_COMMUNE", "VALUE_NOT_NUMERIC"}


def choice(rng: np.random.Generator, options: Sequence[T], p: Sequence[float] | None = None) -> T:
    """One of ``options`` (with probabilities ``p``), drawn as an index so any type works."""
    i = int(rng.choice(len(options), p=p))
    return options[i]


def draw_style(rng: np.random.Generator, form: str) -> FormStyle:
    """A random form style (every option with a fair chance)."""
    title = choice(rng, ("none", "short", "full"), [0.15, 0.25, 0.6])
    depth = choice(rng, (1, 2, 3), [0.35, 0.45, 0.2])
    linebreaks = rng.random() < 0.3
    numbering = choice(rng, (None, "parens", "letters", "digits"), [0.45, 0.2, 0.2, 0.15])
    hide_numbering = bool(numbering) and rng.random() < 0.15
    shuffle = rng.random() < 0.3
    opt = OPTIONAL[form]
    missing: tuple[str, ...] = ()
    if opt and rng.random() < 0.2:
        missing = (opt[int(rng.integers(len(opt)))],)
    extra = rng.random() < 0.2
    hidden_extra = extra and rng.random() < 0.4
    sections = rng.random() < 0.35
    subtotals = sections and rng.random() < 0.5
    total = choice(rng, ("top", "bottom", None), [0.2, 0.5, 0.3])
    labels = ("Tổng cộng", "Toàn huyện") if subtotals else ("Tổng cộng", "Cộng", "Toàn huyện")
    st = FormStyle(
        title=title,
        depth=depth,
        linebreaks=linebreaks,
        numbering=numbering,
        hide_numbering=hide_numbering,
        shuffle=shuffle,
        missing=missing,
        extra=extra,
        hidden_extra=hidden_extra,
        sections=sections,
        subtotals=subtotals,
        total=total,
        total_label=choice(rng, labels),
        formulas=choice(rng, ("values", "cached"), [0.4, 0.6]),
        footer=choice(rng, ("none", "notes", "full"), [0.2, 0.2, 0.6]),
        blank_before_footer=int(rng.integers(0, 4)),
        numtext=choice(rng, (None, "dot", "space", "comma"), [0.6, 0.15, 0.1, 0.15]),
        dash_zero=rng.random() < 0.3,
        percent=choice(rng, ("number", "fraction", "text", "text_plain"), [0.4, 0.2, 0.25, 0.15]),
        money_unit=choice(rng, ("trieu", "nghin", "dong"), [0.6, 0.25, 0.15]),
        unit_where=choice(rng, ("header", "dvt"), [0.6, 0.4]),
        met=choice(rng, tuple(MET_STYLES)),
        notmet=choice(rng, tuple(NOT_STYLES)),
        crit_header=choice(rng, ("criteria_numbers", "criteria_names", "criteria_tc")),
        level_style=choice(rng, ("two_cols", "combined", "year"), [0.5, 0.3, 0.2]),
        not_assessed=rng.random() < 0.4,
        label_mode=choice(
            rng, ("official", "lower", "bare", "abbrev", "mixed"), [0.4, 0.15, 0.2, 0.1, 0.15]
        ),
        caps=rng.random() < 0.08,
        spaces=choice(rng, (None, "nbsp", "zw", "double"), [0.7, 0.1, 0.1, 0.1]),
        commune_first=rng.random() < 0.6,
        merge_communes=rng.random() < 0.7,
    )
    return consistent(st)


def consistent(st: FormStyle) -> FormStyle:
    """Rules that keep a style honest: no SUM over numbers typed as text; '1' is not also '-'."""
    if st.numtext:
        st = replace(st, formulas="values" if st.formulas != "uncached" else "uncached")
    if st.met == "marks_met_digit" and st.notmet in ("marks_not_blank", "marks_not_dash"):
        st = replace(st, notmet="marks_not_zero")
    if st.subtotals and st.total_label == "Cộng":
        st = replace(st, total_label="Tổng cộng")
    return st


def slot_styles(
    rng: np.random.Generator, forms: list[str], force: set[str], plants: list[str]
) -> dict[str, FormStyle]:
    """The style of each form of a district-year: drawn, forced variations, planted issues."""
    styles = {f: draw_style(rng, f) for f in forms}
    for name in sorted(force):
        patch = FORCE_PATCH.get(name)
        target = FORM_OF.get(name, "poverty")
        if patch is None or target not in styles:
            continue
        if name == "columns_missing":
            patch = {"missing": (OPTIONAL[target][0],)}
        styles[target] = replace(styles[target], **patch)
    for f in forms:
        styles[f] = consistent(styles[f])
        if f == "ntm":
            styles[f] = replace(styles[f], total=None)
    if "TOTAL_MISMATCH" in plants:
        styles["poverty"] = replace(
            styles["poverty"], total="bottom", formulas="values", numtext=None
        )
    if QUARANTINING & set(plants):
        styles["poverty"] = replace(styles["poverty"], total=None, sections=False, subtotals=False)
    if "POVERTY_RATE_MISMATCH" in plants:
        styles["poverty"] = replace(styles["poverty"], missing=())
    return styles
