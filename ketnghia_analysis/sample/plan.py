"""The district-years of a run, and which catalogue variation and planted issue goes where."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ketnghia_analysis.sample.forms.labels import MINORITY_SPELLINGS
from ketnghia_analysis.sample.styles import FORM_OF
from ketnghia_analysis.sample.variations import CATALOGUE

# Variations forced on a whole file (format, encoding, extra sheets, file name), planned first.
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
# Planted value errors (code, severity), each on its own quiet district-year.
PLANTED = (
    ("POVERTY_IDENTITY", "error"),
    ("POVERTY_IDENTITY", "error"),
    ("POVERTY_RATE_MISMATCH", "warning"),
    ("NTM_TOTAL_MISMATCH", "warning"),
    ("TOTAL_MISMATCH", "warning"),
    ("UNKNOWN_COMMUNE", "error"),
    ("VALUE_NOT_NUMERIC", "warning"),  # the cell null, the row kept (issue #20)
)
# Variations that need a district-year with something particular.
NEEDS: dict[str, Callable[[Slot], bool]] = {
    "name_arabic_numeral": lambda s: s.has_roman,
    "name_minority_spelling": lambda s: s.has_minority,
    "name_abbrev_tt": lambda s: s.has_tt,
    "ntm_not_assessed": lambda s: s.has_tt,
    "section_rows": lambda s: s.has_sections,
    "subtotal_rows": lambda s: s.has_sections,
    "forms_split_files": lambda s: s.has_pairs,
    "corrected_resubmission": lambda s: s.has_pairs,
}
# Variations that change a whole file: a district-year that has one gets no planted issue.
BUSY = {"forms_split_files", "corrected_resubmission", "format_ods", "format_html_xls",
        "format_xls", "format_xls_named_xlsx", "text_tcvn3", "text_vni", "hidden_stale_sheet",
        "total_formula_uncached", "format_xlsm", "text_nfd", "text_old_tone",
        "text_all_caps", "name_arabic_numeral"}  # fmt: skip


@dataclass(frozen=True)
class Slot:
    """One district-year and what is forced on it (``plan`` fills ``force`` and ``plants``)."""

    year: int
    district_code: str
    district_name: str
    has_pairs: bool
    has_tt: bool
    has_roman: bool
    has_sections: bool
    has_minority: bool = False
    force: list[str] = field(default_factory=list)
    plants: list[str] = field(default_factory=list)


def slots(
    units_by_year: dict[int, pd.DataFrame], klass: dict[str, str], paired: set[tuple[int, str]]
) -> list[Slot]:
    """One slot per year and district, in year then district-code order."""
    out: list[Slot] = []
    for y, u in units_by_year.items():
        for dcode, part in u.groupby("district_code", sort=True):
            names = list(part["commune_name"])
            ks = {klass.get(c, "plain") for c in part["commune_code"]}
            out.append(
                Slot(
                    year=y,
                    district_code=str(dcode),
                    district_name=str(part["district_name"].iloc[0]),
                    has_pairs=(y, str(dcode)) in paired,
                    has_tt=bool(part["commune_type"].eq("thị trấn").any()),
                    has_roman=any(n.endswith((" I", " II")) for n in names),
                    has_minority=any(n.endswith(tuple(MINORITY_SPELLINGS)) for n in names),
                    has_sections=len(ks) >= 2 or part["commune_type"].nunique() >= 2,
                )
            )
    return out


def plan(slots: list[Slot], rng: np.random.Generator) -> None:
    """Give every catalogue variation (and each planted issue) its own district-year."""
    order = [slots[int(i)] for i in rng.permutation(len(slots))]
    used: dict[int, int] = {}

    def take(pred: Callable[[Slot], bool], limit: int = 1) -> Slot | None:
        for s in order:
            if pred(s) and used.get(id(s), 0) < limit:
                used[id(s)] = used.get(id(s), 0) + 1
                return s
        return None

    for name in list(FILE_FORCED) + [k for k in CATALOGUE if k not in FILE_FORCED]:
        if name == "format_xlsx":
            continue
        pred = NEEDS.get(name)
        if pred is None and FORM_OF.get(name) in ("support", "models"):
            pred = _has_pairs
        slot = take(pred or _any) or take(pred or _any, limit=3)
        if slot is not None:
            slot.force.append(name)
    quiet = [s for s in order if not BUSY & set(s.force)]
    for i, (code, _sev) in enumerate(PLANTED):
        if i < len(quiet):
            quiet[i].plants.append(code)


def _has_pairs(s: Slot) -> bool:
    return s.has_pairs


def _any(s: Slot) -> bool:
    return True
