"""Poverty indicators: counts and rates recomputed from summed counts, tagged with their standard."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ketnghia_analysis.analysis.indicators.frames import attach, group_sum, level_keys, ratio
from ketnghia_analysis.core.columns import POVERTY_COUNTS
from ketnghia_analysis.reference.standards import poverty_standard

# name -> (numerator, denominator); the denominator "at_risk" is households_total - poor_start.
POVERTY_RATES: dict[str, tuple[str, str]] = {
    "poverty_rate_end": ("poor_end", "households_total"),
    "near_poor_rate_end": ("near_poor_end", "households_total"),
    "exit_rate": ("poverty_exits", "poor_start"),
    "relapse_rate": ("poverty_relapses", "_at_risk"),
    "new_poor_rate": ("poverty_new", "_at_risk"),
    "ethnic_minority_share_poor": ("poor_ethnic_minority_end", "poor_end"),
    # official form B only (null on 02/HN rows): an outcome of the commune panels and of
    # ``effects.evaluate``; the sustainable-exit indicators themselves are ``exits.exits``
    "sustainable_exit_share": ("exits_above_near_poor", "poverty_exits"),
    "_net_change": ("_net_change_count", "households_total"),
}

_RATE_COLUMNS = [
    "poverty_rate_end",
    "near_poor_rate_end",
    "exit_rate",
    "relapse_rate",
    "new_poor_rate",
    "rate_change_points",
    "ethnic_minority_share_poor",
]


def poverty(
    tables: dict[str, pd.DataFrame], level: str = "district", by: Sequence[str] = ()
) -> pd.DataFrame:
    """Poverty counts and rates by year, level and groups, each tagged with its standard.

    Counts are summed; rates are recomputed from the sums over the communes that report
    both terms:

    - ``poverty_rate_end = Σ poor_end / Σ households_total``
    - ``near_poor_rate_end = Σ near_poor_end / Σ households_total``
    - ``exit_rate = Σ poverty_exits / Σ poor_start`` (exits / poor at start of year)
    - ``relapse_rate = Σ poverty_relapses / Σ (households_total − poor_start)``
    - ``new_poor_rate = Σ poverty_new / Σ (households_total − poor_start)``
      (the denominator is the households not poor at the start of the year)
    - ``rate_change_points = 100 × Σ (poor_end − poor_start) / Σ households_total``:
      the net change during the year, in percentage points; both terms come from the same
      annual review, so it never crosses the 2021/2022 change of standard
    - ``ethnic_minority_share_poor = Σ poor_ethnic_minority_end / Σ poor_end``

    ``standard_break`` is True on the first year of a new poverty standard: the levels of
    that year are not comparable with the year before.

    Returns
    -------
    DataFrame
        year, keys…, communes_reporting, counts…, rates…, poverty_standard, standard_break.
    """
    keys = [*level_keys(level), *by]
    df = _commune_terms(attach(tables["poverty"], tables, keys))
    parts = [f"{name}__{term}" for name in POVERTY_RATES for term in ("num", "den")]
    out = group_sum(df, ["year", *keys], ["communes_reporting", *POVERTY_COUNTS, *parts])
    for name in POVERTY_RATES:
        out[name] = ratio(out[f"{name}__num"], out[f"{name}__den"])
    out["rate_change_points"] = 100 * out.pop("_net_change")
    out = out.drop(columns=parts)
    for column in POVERTY_COUNTS:
        out[column] = out[column].round().astype("Int64")
    out = _with_standards(out, df)
    columns = [
        "year",
        *keys,
        "communes_reporting",
        *POVERTY_COUNTS,
        *_RATE_COLUMNS,
        "poverty_standard",
        "standard_break",
    ]
    return out[columns].sort_values(["year", *keys]).reset_index(drop=True)


def with_rate_terms(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of a poverty table whose counts and rate terms are numeric (``Float64``); a
    column the table lacks (an older build, a table made by hand) is added empty."""
    df = df.copy()
    terms = {num for num, _den in POVERTY_RATES.values() if not num.startswith("_")}
    for column in dict.fromkeys([*POVERTY_COUNTS, *sorted(terms)]):
        if column not in df.columns:
            df[column] = pd.NA
        df[column] = pd.to_numeric(df[column], errors="coerce").astype("Float64")
    return df


def _commune_terms(df: pd.DataFrame) -> pd.DataFrame:
    """Per commune-year: numeric counts, the standard, and each rate's terms kept only
    where both are reported (``<rate>__num``, ``<rate>__den``)."""
    df = with_rate_terms(df)
    df["_at_risk"] = df["households_total"] - df["poor_start"]
    df["_net_change_count"] = df["poor_end"] - df["poor_start"]
    if "poverty_standard" not in df.columns:
        df["poverty_standard"] = df["year"].map(poverty_standard)
    for name, (num, den) in POVERTY_RATES.items():
        both = df[num].notna() & df[den].notna()
        df[f"{name}__num"] = df[num].where(both)
        df[f"{name}__den"] = df[den].where(both)
    df["communes_reporting"] = df["households_total"].notna().astype(int)
    return df


def _with_standards(out: pd.DataFrame, df: pd.DataFrame) -> pd.DataFrame:
    """Add each year's poverty standard(s) and ``standard_break`` (first year of a new one)."""
    standards = (
        df.groupby("year")["poverty_standard"]
        .agg(lambda s: "; ".join(sorted(set(s.dropna().astype(str)))))
        .rename("poverty_standard")
    )
    out = out.merge(standards, left_on="year", right_index=True, how="left")
    by_year = standards.sort_index()
    breaks = by_year.ne(by_year.shift()) & by_year.shift().notna()
    out["standard_break"] = out["year"].map(breaks).fillna(False).astype(bool)
    return out
