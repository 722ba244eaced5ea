"""Commune-by-year outcome panels (also chain-linked across the 2022 poverty standard, and on
harmonised or 2025 units), and each twinned commune's change against comparable ones."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ketnghia_analysis.analysis.indicators.frames import commune_frame, ratio
from ketnghia_analysis.analysis.indicators.jump import measured_jumps
from ketnghia_analysis.analysis.indicators.poverty import POVERTY_RATES, with_rate_terms
from ketnghia_analysis.reference.standards import break_year

#: Rates of a stock over the households whose jump at the 2022 standard the returns measure
#: (poor_start of the break year against poor_end of the year before), so they can be
#: chain-linked (the flows over the poor, such as exit_rate, are ratios within one standard;
#: the near-poor have no start-of-year count, so no measured jump).
CHAINABLE = ("poverty_rate_end",)
#: How a chain-linked rate crosses the break (``indicators.jump``): not at all, by each unit's
#: own measured jump subtracted, or by its ratio.
CHAINS = ("", "shift", "ratio")
#: The units a panel can be on: the communes of each year, the communes with every unit
#: merged into its successor summed for every year, or the Đà Nẵng units of 1 July 2025.
UNIT_LEVELS = ("commune", "harmonised", "unit_2025")
UNIT_COLUMNS = ["commune_code", "year", "y", "households_total", "members"]

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
    df = with_rate_terms(tables["poverty"])
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


def unit_map(units: str = "harmonised") -> dict[str, str]:
    """Commune code → the code of its unit: its last successor (``harmonised``: merged units
    followed to the commune that absorbed them) or its Đà Nẵng unit of 2025 (``unit_2025``).

    >>> unit_map()["20674"], unit_map()["20668"], unit_map("unit_2025")["20674"]
    ('20668', '20668', '20669')
    """
    from ketnghia_analysis.reference import gazetteer

    communes = gazetteer.communes()
    codes = communes["commune_code"].astype(str)
    if units == "unit_2025":
        return dict(zip(codes, communes["unit_2025_code"].astype(str), strict=True))
    if units != "harmonised":
        raise ValueError(f"units phải là một trong {UNIT_LEVELS}, không phải {units!r}")
    successor = {
        str(c): str(s)
        for c, s in zip(codes, communes["successor_code"], strict=True)
        if isinstance(s, str) and s
    }
    out = {}
    for code in codes:
        head, hops = code, 0
        while head in successor and hops < 10:
            head, hops = successor[head], hops + 1
        out[code] = head
    return out


def unit_outcome_panel(
    tables: dict[str, pd.DataFrame], outcome: str, units: str = "commune", chain: str = ""
) -> pd.DataFrame:
    """The outcome by unit and year, optionally chain-linked across the poverty standard.

    On ``harmonised`` or ``unit_2025`` units a poverty rate is recomputed from the counts
    summed over the unit's communes of that year (gazetteer units valid on 31 December);
    a unit-year where one of them lacks a count has no value. ``chain`` (only for the stock
    rates of :data:`CHAINABLE`; see :mod:`indicators.jump`): "shift" subtracts each unit's
    own measured jump ``poor_start(B)/households(B) − poor_end(B−1)/households(B−1)`` from
    its rates from the break year ``B`` on (``reference.standards.break_year``, 2022);
    "ratio" multiplies them by ``poor_end(B−1) / poor_start(B)`` (old standard's terms);
    "" leaves them as reported. Both counts are in the returns; a unit without them has no
    chained value from ``B`` on.

    Returns
    -------
    DataFrame
        commune_code (the unit's code), year, y, households_total, members (communes summed).
    """
    if chain not in CHAINS:
        raise ValueError(f"chain phải là một trong {CHAINS}, không phải {chain!r}")
    if units == "commune" and not chain:
        out = commune_outcome_panel(tables, outcome)
        return out.assign(members=1)[UNIT_COLUMNS]
    if outcome not in POVERTY_RATES or (chain and outcome not in CHAINABLE):
        raise ValueError(f"Không ghép hoặc nối chuỗi được biến kết quả {outcome!r}")
    counts = _unit_counts(tables, outcome, units)
    counts["y"] = ratio(counts["_num"], counts["_den"])
    if chain == "ratio":
        counts["y"] = counts["y"] * _chain_factor(counts)
    elif chain == "shift":
        counts["y"] = counts["y"] - _chain_shift(counts)
    counts["members"] = counts["members"].astype(int)
    return counts[UNIT_COLUMNS].reset_index(drop=True)


def unit_jumps(tables: dict[str, pd.DataFrame], units: str = "commune") -> pd.DataFrame:
    """Each unit's measured 2022 jump and its rate before it (``jump.measured_jumps``)."""
    return measured_jumps(_unit_counts(tables, "poverty_rate_end", units))


def _unit_counts(tables: dict[str, pd.DataFrame], outcome: str, units: str) -> pd.DataFrame:
    """Numerator, denominator, poor_start and poor_end of the outcome summed by unit-year;
    NaN where a commune of the unit valid that year lacks the value."""
    from ketnghia_analysis.analysis.indicators.coverage import expected_communes

    num, den = POVERTY_RATES[outcome]
    df = with_rate_terms(tables["poverty"])
    df["commune_code"] = df["commune_code"].astype(str)
    df["year"] = df["year"].astype(int)
    df["_at_risk"] = pd.to_numeric(df["households_total"]) - pd.to_numeric(df["poor_start"])
    values = {"_num": num, "_den": den, "households_total": "households_total"}
    values |= {"poor_start": "poor_start", "poor_end": "poor_end"}
    for new, old in values.items():
        df[new] = pd.to_numeric(df[old], errors="coerce").astype("Float64").astype(float)
    df = df.drop_duplicates(["commune_code", "year"], keep="last")
    if units == "commune":  # each commune on its own: no unit to complete
        return df.assign(members=1)[["commune_code", "year", *values, "members"]]
    mapping = unit_map(units)
    parts = []
    for year in sorted(df["year"].unique()):
        expected = expected_communes(int(year))[["commune_code"]]
        frame = expected.merge(df[df["year"] == year], on="commune_code", how="left")
        frame["year"] = int(year)
        frame["unit"] = frame["commune_code"].map(lambda c: mapping.get(c, c))
        parts.append(frame)
    frame = pd.concat(parts, ignore_index=True)
    grouped = frame.groupby(["unit", "year"], sort=True)
    columns = list(values)
    out = grouped[columns].sum(min_count=1)
    complete = grouped[columns].count().eq(grouped.size(), axis=0)
    out = out.where(complete).reset_index().rename(columns={"unit": "commune_code"})
    out["members"] = grouped.size().to_numpy()
    return out


def _chain_shift(counts: pd.DataFrame) -> pd.Series:
    """Per row: 0 before the break year, the unit's measured jump from it on (NaN without
    both counts)."""
    jumps = measured_jumps(counts).set_index("commune_code")["jump"]
    mapped = counts["commune_code"].map(jumps).astype(float)
    return pd.Series(np.where(counts["year"] >= break_year(), mapped, 0.0), index=counts.index)


def _chain_factor(counts: pd.DataFrame) -> pd.Series:
    """Per row: 1 before the break year, the unit's ``poor_end(B−1) / poor_start(B)`` from
    it on (NaN when either is missing or poor_start(B) is 0)."""
    first_new = break_year()
    before = counts.loc[counts["year"] == first_new - 1].set_index("commune_code")["poor_end"]
    after = counts.loc[counts["year"] == first_new].set_index("commune_code")["poor_start"]
    factor = ratio(before, after.reindex(before.index)) if len(before) else pd.Series(dtype=float)
    mapped = counts["commune_code"].map(factor).astype(float)
    return pd.Series(np.where(counts["year"] >= first_new, mapped, 1.0), index=counts.index)
