"""Commune-by-year outcome panels, and each twinned commune's change against comparable ones."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ketnghia_analysis.analysis.indicators.frames import commune_frame, ratio
from ketnghia_analysis.analysis.indicators.poverty import POVERTY_RATES

EXCESS_COLUMNS = [
    "commune_code",
    "first_pair_year",
    "base_year",
    "end_year",
    "change",
    "control_change",
    "n_controls",
    "excess_change",
]


def commune_outcome_panel(tables: dict[str, pd.DataFrame], outcome: str) -> pd.DataFrame:
    """One row per commune and year with the outcome (rates recomputed from counts).

    ``poverty_rate_end = poor_end / households_total``; ``exit_rate = poverty_exits /
    poor_start``; ``criteria_met`` as in ntm_status (wards and townships are not assessed).

    Returns
    -------
    DataFrame
        commune_code, year, y, households_total.
    """
    if outcome == "criteria_met":
        df = _criteria_outcome(tables)
    else:
        df = _poverty_outcome(tables, outcome)
    df["commune_code"] = df["commune_code"].astype(str)
    df["year"] = df["year"].astype(int)
    df["households_total"] = pd.to_numeric(df.get("households_total"), errors="coerce").astype(
        float
    )
    df = df[["commune_code", "year", "y", "households_total"]]
    return df.drop_duplicates(["commune_code", "year"], keep="last").reset_index(drop=True)


def _criteria_outcome(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """``y`` = criteria met, with the commune's households from the poverty table."""
    df = tables["ntm_status"][["commune_code", "year", "criteria_met"]].copy()
    df["y"] = pd.to_numeric(df["criteria_met"], errors="coerce").astype(float)
    pov = tables["poverty"][["commune_code", "year", "households_total"]].copy()
    pov["commune_code"] = pov["commune_code"].astype(str)
    df["commune_code"] = df["commune_code"].astype(str)
    return df.merge(pov, on=["commune_code", "year"], how="left")


def _poverty_outcome(tables: dict[str, pd.DataFrame], outcome: str) -> pd.DataFrame:
    """``y`` = a poverty rate recomputed from its counts, or a column of the poverty table."""
    df = tables["poverty"].copy()
    if outcome in POVERTY_RATES:
        num, den = POVERTY_RATES[outcome]
        df["_at_risk"] = pd.to_numeric(df["households_total"]) - pd.to_numeric(df["poor_start"])
        df["y"] = ratio(df[num], df[den])
        if outcome == "poverty_rate_end" and "poverty_rate_end" in df.columns:
            df["y"] = df["y"].fillna(pd.to_numeric(df["poverty_rate_end"], errors="coerce"))
    elif outcome in df.columns:
        df["y"] = pd.to_numeric(df[outcome], errors="coerce").astype(float)
    else:
        raise ValueError(f"Không biết biến kết quả {outcome!r}")
    return df


def commune_excess_change(
    tables: dict[str, pd.DataFrame],
    outcome: str = "poverty_rate_end",
    comparison: str = "similar",
) -> pd.DataFrame:
    """For each twinned commune: its change since the year before pairing, minus the change
    of comparable communes over the same years (a per-commune difference in differences).

    For commune ``i`` paired in ``g`` and last observed in ``T``:
    ``change = y_i(T) − y_i(g−1)``; ``control_change`` = mean of ``y_j(T) − y_j(g−1)`` over
    communes ``j`` of the comparison group (``similar``: same kind, mountainous or in an
    ethnic-minority region; ``all``: every commune) not yet twinned in ``T``;
    ``excess_change = change − control_change``. The poverty standard changed in 2022 for
    every commune alike; the difference removes a common jump, not one that differs
    between poorer and richer communes.

    Returns
    -------
    DataFrame
        commune_code, first_pair_year, base_year, end_year, change, control_change,
        n_controls, excess_change.
    """
    frame = commune_frame(tables)
    panel = commune_outcome_panel(tables, outcome).dropna(subset=["y"])
    wide = panel.pivot(index="commune_code", columns="year", values="y")
    first = frame.set_index("commune_code")["first_pair_year"].reindex(wide.index)
    if comparison == "similar":
        pool = set(frame.loc[frame["similar"], "commune_code"])
    else:
        pool = set(frame["commune_code"])
    rows = []
    for code, g in first.dropna().items():
        row = _excess_row(wide, first, pool, str(code), int(g))
        if row is not None:
            rows.append(row)
    return pd.DataFrame(rows, columns=EXCESS_COLUMNS)


def _excess_row(wide: pd.DataFrame, first: pd.Series, pool: set, code: str, g: int) -> dict | None:
    """One twinned commune's row of :func:`commune_excess_change` (None when it has no year
    before pairing or none after)."""
    base = g - 1
    observed = wide.loc[code].dropna()
    if base not in observed.index or observed.index.max() < g:
        return None
    end = int(observed.index.max())
    change = observed[end] - observed[base]
    later = first.isna() | (first > end)
    ctrl = wide.loc[later & wide.index.isin(pool) & (wide.index != code)]
    if base in ctrl.columns and end in ctrl.columns:
        diffs = (ctrl[end] - ctrl[base]).dropna()
    else:
        diffs = pd.Series(dtype=float)
    control_change = diffs.mean() if len(diffs) else np.nan
    return {
        "commune_code": code,
        "first_pair_year": g,
        "base_year": base,
        "end_year": end,
        "change": change,
        "control_change": control_change,
        "n_controls": len(diffs),
        "excess_change": change - control_change,
    }
