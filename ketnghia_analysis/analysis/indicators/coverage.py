"""Coverage: how many communes of a unit a figure rests on, and why the others are missing.

A total summed over the communes that reported silently shrinks when one commune's row is
quarantined or its district sends nothing; every total therefore comes with its coverage
(communes with data / communes of the unit that year) and the list of what is missing.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ketnghia_analysis.analysis.indicators.frames import level_keys, ratio

# form → (table, column that must be reported for a commune to count as "with data")
COVERAGE_FORMS: dict[str, tuple[str, str]] = {
    "poverty": ("poverty", "households_total"),
    "ntm": ("ntm_status", "criteria_met"),
}

# Why a commune has no data, from the widest cause to the narrowest (the first that holds).
REASONS = ("no_return", "rejected", "form_absent", "quarantined", "value_missing", "not_in_return")

Tables = Mapping[str, pd.DataFrame]


def expected_communes(year: int, form: str = "poverty") -> pd.DataFrame:
    """The communes a figure of ``year`` should cover: the gazetteer's units valid on
    31 December; NTM only for rural communes (``commune_type == "xã"``: wards and towns are
    not assessed)."""
    from ketnghia_analysis.reference import gazetteer

    units = gazetteer.communes_in_year(int(year))
    if form == "ntm":
        units = units[units["commune_type"] == "xã"]
    columns = [
        "commune_code",
        "commune_name",
        "district_code",
        "district_name",
        "unit_2025_code",
        "unit_2025_name",
    ]
    out = units[columns].copy()
    out["commune_code"] = out["commune_code"].astype(str)
    out["district_code"] = out["district_code"].astype(str)
    return out.reset_index(drop=True)


def _reported(tables: Tables, form: str, year: int) -> set[str]:
    """Codes of the communes whose row of the year holds the form's key value."""
    table, column = COVERAGE_FORMS[form]
    frame = tables.get(table)
    if frame is None or frame.empty:
        return set()
    rows = frame[(frame["year"] == year) & frame[column].notna()]
    return set(rows["commune_code"].astype(str))


def _present(tables: Tables, form: str, year: int) -> set[str]:
    """Codes of the communes with a row of the year (with or without the key value)."""
    frame = tables.get(COVERAGE_FORMS[form][0])
    if frame is None or frame.empty:
        return set()
    return set(frame.loc[frame["year"] == year, "commune_code"].astype(str))


def _quarantined(tables: Tables, form: str, year: int) -> dict[str, str]:
    """Commune code → the rule codes of its quarantined rows of the year ("A, B")."""
    frame = tables.get("quarantine")
    if frame is None or frame.empty:
        return {}
    rows = frame[(frame["year"] == year) & (frame["form"] == form) & frame["commune_code"].notna()]
    out: dict[str, set[str]] = {}
    for code, codes in zip(
        rows["commune_code"].astype(str), rows["codes"].astype(str), strict=True
    ):
        out.setdefault(code, set()).update(c.strip() for c in codes.replace(";", ",").split(","))
    return {code: ", ".join(sorted(c for c in codes if c)) for code, codes in out.items()}


def _district_returns(tables: Tables, form: str, year: int) -> dict[str, str]:
    """District code → state of its return for the year: "ok", "form_absent" or "rejected"
    (a district absent from the mapping sent nothing)."""
    frame = tables.get("submissions")
    if frame is None or frame.empty:
        return {}
    rows = frame[(frame["year"] == year) & frame["district_code"].notna()]
    state: dict[str, str] = {}
    for _, row in rows.iterrows():
        code = str(row["district_code"])
        if row["status"] == "ingested":
            forms = str(row.get("forms_found") or "").split(",")
            found = "ok" if form in forms else "form_absent"
            state[code] = "ok" if state.get(code) == "ok" else found
        elif row["status"] == "rejected":
            state.setdefault(code, "rejected")
    return state


def coverage_gaps(tables: Tables, year: int, form: str = "poverty") -> pd.DataFrame:
    """The communes of the year with no data for the form, and why.

    ``reason`` is the first that holds of: ``no_return`` (the district sent no return that
    year), ``rejected`` (its return was refused), ``form_absent`` (the return lacks the
    form), ``quarantined`` (the commune's row was set aside; ``detail`` holds the rule
    codes), ``value_missing`` (a row without the key value), ``not_in_return`` (no row).

    Returns
    -------
    DataFrame
        year, district_code, district_name, commune_code, commune_name, reason, detail.
    """
    year = int(year)
    expected = expected_communes(year, form)
    reported = _reported(tables, form, year)
    missing = expected[~expected["commune_code"].isin(reported)].copy()
    present = _present(tables, form, year)
    quarantined = _quarantined(tables, form, year)
    returns = _district_returns(tables, form, year)
    reasons, details = [], []
    for commune, district in zip(missing["commune_code"], missing["district_code"], strict=True):
        state = returns.get(district, "no_return")
        if state != "ok":
            reasons.append(state)
            details.append("")
        elif commune in quarantined:
            reasons.append("quarantined")
            details.append(quarantined[commune])
        else:
            reasons.append("value_missing" if commune in present else "not_in_return")
            details.append("")
    missing["reason"] = reasons
    missing["detail"] = details
    missing.insert(0, "year", year)
    columns = ["year", "district_code", "district_name", "commune_code", "commune_name"]
    return missing[[*columns, "reason", "detail"]].reset_index(drop=True)


def coverage(
    tables: Tables, level: str = "district", year: int | None = None, form: str = "poverty"
) -> pd.DataFrame:
    """Coverage of each unit: communes with data over communes of the unit that year.

    ``coverage_rate = communes_with_data / communes_expected``; ``complete`` is True only
    at 100 %. ``year`` None = every year of the form's table. Expected communes are the
    gazetteer's units valid that year (:func:`expected_communes`); the missing ones and
    their reasons are :func:`coverage_gaps`.

    Returns
    -------
    DataFrame
        year, keys…, communes_expected, communes_with_data, communes_missing,
        coverage_rate, complete.
    """
    keys = level_keys(level)
    frame = tables.get(COVERAGE_FORMS[form][0])
    if year is not None:
        years = [int(year)]
    elif frame is not None and not frame.empty:
        years = sorted(int(y) for y in frame["year"].dropna().unique())
    else:
        years = []
    parts = []
    for each in years:
        units = expected_communes(each, form)
        units["year"] = each
        units["with_data"] = units["commune_code"].isin(_reported(tables, form, each))
        parts.append(units)
    columns = ["year", *keys, "communes_expected", "communes_with_data"]
    if not parts:
        return pd.DataFrame(columns=[*columns, "communes_missing", "coverage_rate", "complete"])
    units = pd.concat(parts, ignore_index=True)
    out = (
        units.groupby(["year", *keys], sort=True)
        .agg(communes_expected=("commune_code", "size"), communes_with_data=("with_data", "sum"))
        .reset_index()
    )
    out["communes_expected"] = out["communes_expected"].astype("Int64")
    out["communes_with_data"] = out["communes_with_data"].astype("Int64")
    out["communes_missing"] = out["communes_expected"] - out["communes_with_data"]
    out["coverage_rate"] = ratio(out["communes_with_data"], out["communes_expected"])
    out["complete"] = (out["communes_missing"] == 0).astype(bool)
    return out[[*columns, "communes_missing", "coverage_rate", "complete"]]
