"""The poverty truth joined from the forms that carried each commune-year (02/HN and A–D).

Precedence (README, docs/sample.md): an official form's value wins for every column it
carries; 02/HN fills only the columns no official form of that commune-year carries (its
missing columns and bad values stay null there, as without ``--official``). The row's
provenance is the B form's "Hộ" row, else A's, C's, D's, else the 02/HN row; ``source_form``
lists every form that carried the commune-year, "+" between them, in the order A, B, C, D,
02/HN. A placeholder denominator (A1 of 10 or 100) is not a count: households come from
02/HN there.
"""

from __future__ import annotations

import pandas as pd

from ketnghia_analysis.sample.forms.planted import nulled_fields
from ketnghia_analysis.sample.official import OfficialWritten
from ketnghia_analysis.sample.returns import Written
from ketnghia_analysis.sample.world.official import TRUTH_COLUMNS
from ketnghia_analysis.sample.world.schemas import SCHEMAS, conform

CARRIED: dict[str, set[str]] = {
    "A": {"households_total", "people_total", "poor_end", "near_poor_end", "poor_people_end",
          "near_poor_people_end", "poverty_rate_end"},
    "B": {"poor_start", "poverty_exits", "exits_to_near_poor", "exits_above_near_poor",
          "poverty_other_decrease", "poverty_from_near_poor", "poverty_relapses", "poverty_new",
          "poverty_other_increase", "poor_end", "poor_people_end"},
    "C": {"near_poor_end", "near_poor_people_end"},
    "D": {"poor_ethnic_minority_end", "poor_end", "near_poor_end", "poor_people_end",
          "near_poor_people_end"},
}  # fmt: skip
PROVENANCE_ORDER = ("B", "A", "C", "D")
HN_COLUMNS = (
    "households_total", "poor_start", "poverty_exits", "poverty_relapses", "poverty_new",
    "poor_end", "near_poor_end", "poor_ethnic_minority_end", "poverty_rate_end",
)  # fmt: skip


def poverty_truth(
    frame: pd.DataFrame, written: Written, official: OfficialWritten | None
) -> pd.DataFrame:
    """The world's poverty rows some accepted form carried, joined as the module says."""
    nulled = nulled_fields(written.issues)
    rows = []
    for rec in frame.to_dict("records"):
        year, code = int(rec["year"]), str(rec["commune_code"])
        key = ("poverty", year, code)
        forms = official.commune.get((year, code), {}) if official else {}
        letters = [x for x in "ABCD" if x in forms]
        hn = written.provenance.get(key)
        if not letters and hn is None:
            continue
        carried: set[str] = set().union(*(CARRIED[x] for x in letters))
        if official and (year, code) in official.placeholder:
            carried -= {"households_total", "poverty_rate_end"}
        missing = set(written.dropped_cols.get(key, ())) | nulled.get(key, set())
        for col in HN_COLUMNS:
            if col not in carried and (hn is None or col in missing):
                rec[col] = None
        for col in TRUTH_COLUMNS:
            if col not in carried:
                rec[col] = None
        first = next((x for x in PROVENANCE_ORDER if x in forms), None)
        where = forms[first] if first else hn
        assert where is not None
        rec["source_file"], rec["source_sheet"], rec["source_row"] = where
        rec["source_form"] = "+".join(letters + (["02/HN"] if hn else []))
        rows.append(rec)
    cols = list(SCHEMAS["poverty"]) + ["source_file", "source_sheet", "source_row"]
    f = conform(pd.DataFrame(rows, columns=cols), "poverty", provenance=True)
    return f.sort_values(["source_file", "source_sheet", "source_row"]).reset_index(drop=True)


def districts_truth(official: OfficialWritten | None) -> pd.DataFrame:
    """The district rows of the province compilations (``poverty_districts``)."""
    rows: list[dict] = []
    if official is None:
        official = OfficialWritten()
    for (year, dcode), values in official.district_values.items():
        forms = official.district[(year, dcode)]
        letters = [x for x in "ABCD" if x in forms]
        first = next(x for x in PROVENANCE_ORDER if x in forms)
        src = dict(zip(("source_file", "source_sheet", "source_row"), forms[first], strict=True))
        rows.append(
            {
                **values,
                "year": year,
                "district_code": dcode,
                "source_form": "+".join(letters),
                **src,
            }
        )
    cols = list(SCHEMAS["poverty_districts"]) + ["source_file", "source_sheet", "source_row"]
    f = conform(pd.DataFrame(rows, columns=cols), "poverty_districts", provenance=True)
    return f.sort_values(["year", "district_code"]).reset_index(drop=True)
