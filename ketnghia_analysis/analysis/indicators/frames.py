"""The commune frame every indicator groups by, and the arithmetic helpers they share."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

LEVEL_KEYS: dict[str, list[str]] = {
    "commune": ["district_code", "district_name", "commune_code", "commune_name"],
    "district": ["district_code", "district_name"],
    "province": [],
    "unit_2025": ["unit_2025_code", "unit_2025_name"],
}

COMMUNE_ATTRIBUTES = [
    "commune_code",
    "commune_name",
    "commune_type",
    "district_code",
    "district_name",
    "mountainous",
    "border",
    "ethnic_region",
    "unit_2025_code",
    "unit_2025_name",
]

# Grouping keys held as booleans: a commune missing from the frame counts as False.
_FLAG_KEYS = ("mountainous", "border", "similar", "ever_twinned")


def ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """``numerator / denominator`` as float; NaN where either is missing or the denominator is 0.

    >>> ratio(pd.Series([1, 2, None]), pd.Series([4, 0, 5])).tolist()
    [0.25, nan, nan]
    """
    num = pd.to_numeric(numerator, errors="coerce").astype("Float64").astype(float)
    den = pd.to_numeric(denominator, errors="coerce").astype("Float64").astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    out[~(den > 0)] = np.nan
    return out


def level_keys(level: str) -> list[str]:
    """The identifier columns of a level of aggregation.

    >>> level_keys("district")
    ['district_code', 'district_name']
    """
    if level not in LEVEL_KEYS:
        raise ValueError(f"level phải là một trong {sorted(LEVEL_KEYS)}, không phải {level!r}")
    return list(LEVEL_KEYS[level])


def group_sum(df: pd.DataFrame, keys: list[str], columns: list[str]) -> pd.DataFrame:
    """Sum columns by keys (NA when every value of a group is missing); keys may be empty."""
    if keys:
        out = df.groupby(keys, observed=True, dropna=False, sort=True)[columns].sum(min_count=1)
        return out.reset_index()
    return df[columns].sum(min_count=1).to_frame().T


def _communes_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The communes table of ``tables``, completed from the gazetteer where it lacks columns."""
    from ketnghia_analysis.reference import gazetteer

    if "communes" in tables and len(tables["communes"]):
        communes = tables["communes"]
    else:
        communes = gazetteer.communes()
    out = communes[[c for c in COMMUNE_ATTRIBUTES if c in communes.columns]].copy()
    out["commune_code"] = out["commune_code"].astype(str)
    missing = [c for c in COMMUNE_ATTRIBUTES if c not in out.columns]
    if missing:
        ref = gazetteer.communes()[["commune_code", *missing]].copy()
        ref["commune_code"] = ref["commune_code"].astype(str)
        out = out.merge(ref, on="commune_code", how="left")
    return out[COMMUNE_ATTRIBUTES].drop_duplicates("commune_code")


def twinning_status(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """First year each commune has a twinning partner, and how many partners it had.

    ``first_pair_year = min(pair_start_year)`` over the commune's support rows (when a row
    leaves ``pair_start_year`` blank, the year of the row stands in);
    ``partners = number of distinct partner_id``.

    Returns
    -------
    DataFrame
        commune_code, first_pair_year (Int64), partners (Int64).
    """
    support = tables.get("support")
    if support is None or support.empty:
        return pd.DataFrame(
            {
                "commune_code": pd.Series(dtype=str),
                "first_pair_year": pd.Series(dtype="Int64"),
                "partners": pd.Series(dtype="Int64"),
            }
        )
    df = support.copy()
    df["commune_code"] = df["commune_code"].astype(str)
    start = pd.to_numeric(df.get("pair_start_year"), errors="coerce")
    start = start.fillna(pd.to_numeric(df["year"], errors="coerce"))
    df["_start"] = start
    out = df.groupby("commune_code", sort=True).agg(
        first_pair_year=("_start", "min"), partners=("partner_id", "nunique")
    )
    out["first_pair_year"] = out["first_pair_year"].round().astype("Int64")
    out["partners"] = out["partners"].astype("Int64")
    return out.reset_index()


def commune_frame(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Commune attributes with twinning status: the grouping keys of every indicator.

    ``similar = mountainous or ethnic_region in {I, II, III}`` (the kind of commune
    twinning targets); ``ever_twinned = first_pair_year is known``.

    Returns
    -------
    DataFrame
        commune_code, commune_name, commune_type, district_code, district_name,
        mountainous, border, ethnic_region, unit_2025_code, unit_2025_name,
        first_pair_year, partners, ever_twinned, similar.
    """
    frame = _communes_table(tables)
    status = twinning_status(tables)
    out = frame.merge(status, on="commune_code", how="outer")
    out["partners"] = out["partners"].fillna(0).astype("Int64")
    out["ever_twinned"] = out["first_pair_year"].notna()
    mountainous = out["mountainous"].astype("boolean").fillna(False).astype(bool)
    ethnic = out["ethnic_region"].notna() & (out["ethnic_region"].astype(str).str.strip() != "")
    out["similar"] = mountainous | ethnic
    return out


def attach(df: pd.DataFrame, tables: dict[str, pd.DataFrame], keys: Sequence[str]) -> pd.DataFrame:
    """Add the commune attributes the keys need (and ``twinned`` in the row's year)."""
    frame = commune_frame(tables)
    df = df.copy()
    df["commune_code"] = df["commune_code"].astype(str)
    wanted = [k for k in keys if k not in df.columns and k in frame.columns]
    if "twinned" in keys and "first_pair_year" not in df.columns:
        wanted.append("first_pair_year")
    wanted = list(dict.fromkeys(wanted))
    if wanted:
        df = df.merge(frame[["commune_code", *wanted]], on="commune_code", how="left")
    if "twinned" in keys:
        # twinned in a year = paired in that year or before (pair_start_year <= year)
        df["twinned"] = (
            df["first_pair_year"].notna() & (df["first_pair_year"] <= df["year"])
        ).astype(bool)
    for key in keys:
        if key in _FLAG_KEYS and key in df.columns:
            df[key] = df[key].astype("boolean").fillna(False).astype(bool)
    return df
