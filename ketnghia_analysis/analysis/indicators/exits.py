"""Sustainable poverty exit: how households leave poverty and who falls into it, from the
official review forms (Biểu B diễn biến hộ nghèo, Biểu A kết quả rà soát).

Only the official forms split the exits (into near-poverty, or above the near-poor line)
and count the near-poor who fell into poverty and the persons in poverty; a commune-year
joined from Biểu 02/HN alone has these columns null. So every figure here rests on the
communes whose rows carry its terms, and comes with the count of those communes
(``communes_exit_split``, ``communes_people``) and, through :func:`exit_coverage`, with
the communes of the unit that year.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ketnghia_analysis.analysis.indicators.coverage import coverage
from ketnghia_analysis.analysis.indicators.frames import attach, group_sum, level_keys, ratio
from ketnghia_analysis.analysis.indicators.panels import commune_outcome_panel
from ketnghia_analysis.analysis.indicators.poverty import with_rate_terms

#: The counts summed by :func:`exits` (each over the communes that report it).
EXIT_COUNTS = (
    "poverty_exits",
    "exits_above_near_poor",
    "exits_to_near_poor",
    "poverty_from_near_poor",
    "poverty_relapses",
    "poverty_new",
    "poor_people_end",
    "people_total",
)

#: name → (numerator, denominator); ``_at_risk`` = households_total − poor_start and
#: ``_fell_in`` = poverty_from_near_poor + poverty_relapses + poverty_new (households that
#: became poor during the year, leaving aside moves and household splits).
EXIT_RATES: dict[str, tuple[str, str]] = {
    "sustainable_exit_share": ("exits_above_near_poor", "poverty_exits"),
    "near_poor_exit_share": ("exits_to_near_poor", "poverty_exits"),
    "from_near_poor_share": ("poverty_from_near_poor", "_fell_in"),
    "relapse_rate": ("poverty_relapses", "_at_risk"),
    "new_poor_rate": ("poverty_new", "_at_risk"),
    "people_poverty_rate": ("poor_people_end", "people_total"),
}

#: Official columns :func:`with_rate_terms` does not already make numeric.
_TERMS = ("exits_to_near_poor", "poverty_from_near_poor", "people_total", "poor_people_end")


def exits(
    tables: dict[str, pd.DataFrame], level: str = "district", by: Sequence[str] = ()
) -> pd.DataFrame:
    """Sustainable exit and the flows into poverty by year, level and groups.

    Counts are summed over the communes that report them; rates are recomputed from the
    sums over the communes that report both terms (never averaged):

    - ``sustainable_exit_share = Σ exits_above_near_poor / Σ poverty_exits``: of the
      households that left poverty, the share that rose above the near-poor line too
    - ``near_poor_exit_share = Σ exits_to_near_poor / Σ poverty_exits``: the share that
      only became near-poor (the two shares add up to 1 where the split is known)
    - ``from_near_poor_share = Σ poverty_from_near_poor / Σ (poverty_from_near_poor +
      poverty_relapses + poverty_new)``: of the households that fell into poverty during
      the year, the share that were near-poor
    - ``relapse_rate``, ``new_poor_rate``: as in ``indicators.poverty`` (over the
      households not poor at the start of the year)
    - ``people_poverty_rate = Σ poor_people_end / Σ people_total``: persons in poverty

    ``communes_exit_split`` counts the communes whose exits are split (official Biểu B);
    ``communes_people`` those with persons in poverty (Biểu A or B).

    Returns
    -------
    DataFrame
        year, keys…, communes_exit_split, communes_people, counts of
        :data:`EXIT_COUNTS`, rates of :data:`EXIT_RATES`.
    """
    keys = [*level_keys(level), *by]
    df = _commune_terms(attach(tables["poverty"], tables, keys))
    parts = [f"{name}__{term}" for name in EXIT_RATES for term in ("num", "den")]
    flags = ["communes_exit_split", "communes_people"]
    out = group_sum(df, ["year", *keys], [*flags, *EXIT_COUNTS, *parts])
    for name in EXIT_RATES:
        out[name] = ratio(out[f"{name}__num"], out[f"{name}__den"])
    for column in [*flags, *EXIT_COUNTS]:
        out[column] = pd.to_numeric(out[column]).round().astype("Int64")
    columns = ["year", *keys, *flags, *EXIT_COUNTS, *EXIT_RATES]
    return out[columns].sort_values(["year", *keys]).reset_index(drop=True)


def _commune_terms(df: pd.DataFrame) -> pd.DataFrame:
    """Per commune-year: numeric counts and each rate's terms kept only where both are
    reported (``<rate>__num``, ``<rate>__den``)."""
    df = with_rate_terms(df)
    for column in _TERMS:
        if column not in df.columns:
            df[column] = pd.NA
        df[column] = pd.to_numeric(df[column], errors="coerce").astype("Float64")
    df["_at_risk"] = df["households_total"] - df["poor_start"]
    df["_fell_in"] = df["poverty_from_near_poor"] + df["poverty_relapses"] + df["poverty_new"]
    for name, (num, den) in EXIT_RATES.items():
        both = df[num].notna() & df[den].notna()
        df[f"{name}__num"] = df[num].where(both)
        df[f"{name}__den"] = df[den].where(both)
    df["communes_exit_split"] = df["exits_above_near_poor"].notna().astype(int)
    df["communes_people"] = df["poor_people_end"].notna().astype(int)
    return df


def exit_coverage(
    tables: dict[str, pd.DataFrame], level: str = "district", year: int | None = None
) -> pd.DataFrame:
    """Coverage of the exit split: communes whose exits are split (official Biểu B) over
    the communes of the unit that year (the gazetteer's, as ``indicators.coverage``).

    ``year`` None = every year of the poverty table.

    Returns
    -------
    DataFrame
        The columns of ``indicators.coverage``: year, keys…, communes_expected,
        communes_with_data, communes_missing, coverage_rate, complete.
    """
    frame = tables.get("poverty")
    if frame is None:
        return coverage({}, level, year)
    split = with_rate_terms(frame)
    # ``coverage`` counts the communes whose households_total is reported: give it the split
    return coverage(
        {"poverty": split.assign(households_total=split["exits_above_near_poor"])}, level, year
    )


def sustainable_exit_rate(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The commune-year outcome ``sustainable_exit_share`` (exits_above_near_poor /
    poverty_exits; missing where the exits are not split or there were none), ready for
    the effect estimators: ``effects.evaluate(tables, outcomes=("sustainable_exit_share",))``
    builds its panels from the same formula (``POVERTY_RATES``).

    Returns
    -------
    DataFrame
        commune_code, year, y, households_total.
    """
    return commune_outcome_panel(tables, "sustainable_exit_share")
