"""The unit-year panel the effect estimators take: outcome, first pairing year from the
register, district and commune covariates.

Who is twinned comes from the pairing register (:mod:`register`), never from the absence of
support rows: a unit whose first pairing year is unknown is left out of both groups and
counted. The outcome comes from ``indicators.unit_outcome_panel``: chain-linked across the
2022 poverty standard for the stock rates (the default: each unit's measured jump
subtracted; or rescaled by its ratio), as reported, or within one standard's years; on
communes, harmonised units or the 2025 units.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ketnghia_analysis.analysis import indicators, register
from ketnghia_analysis.analysis.indicators.panels import CHAINABLE, unit_map, unit_outcome_panel
from ketnghia_analysis.reference.standards import poverty_standard, poverty_standards

#: Time-invariant commune covariates (yes/no as 0/1; baseline households as a log).
COVARIATES = ["mountainous", "border", "ethnic_1", "ethnic_2", "ethnic_3", "baseline_households"]
COMPARISONS = ("similar", "all")
#: The chain of each chain-linked ``standard`` (``indicators.jump``): "chained", the
#: headline's, subtracts each unit's own measured 2022 jump; "chained_ratio" rescales by it.
CHAIN_OF = {"chained": "shift", "chained_ratio": "ratio"}
PANEL_COLUMNS = ["commune_code", "year", "y", "g", "d", "district_code", *COVARIATES]


def default_standard(outcome: str) -> str:
    """The headline's standard: chain-linked for the stock rates, as reported otherwise.

    >>> default_standard("poverty_rate_end"), default_standard("exit_rate")
    ('chained', 'unchained')
    """
    return "chained" if outcome in CHAINABLE else "unchained"


def treatment_panel(
    tables: dict[str, pd.DataFrame],
    outcome: str = "poverty_rate_end",
    comparison: str = "similar",
    *,
    standard: str | None = None,
    units: str = "commune",
    pairings: pd.DataFrame | None = None,
    cache: dict | None = None,
) -> pd.DataFrame:
    """Unit-year panel for the estimators: commune_code, year, y, g (first pair year; NaN =
    never twinned), d (twinned in that year: ``g <= year``), district_code and the
    covariates of :data:`COVARIATES`.

    ``g`` comes from the pairing register (:mod:`register`): communes whose first pairing
    year is unknown are left out of both groups (their number is ``attrs["n_unknown"]``),
    and the years a commune's status is unknown (its district's Biểu 01/KN missing) are
    dropped (``attrs["n_unknown_years"]``). ``standard``: "chained" (each unit's own
    measured 2022 jump subtracted from its stock rates from 2022 on; the default for them),
    "chained_ratio" (its rates rescaled by its own jump ratio), "unchained", or a
    standard's name to keep only its years. ``units``: "commune", "harmonised" or "unit_2025" (a unit is
    twinned from its first commune's pairing year; unknown if any commune is).
    ``comparison="similar"`` keeps the units that are mountainous or in an ethnic-minority
    region (khu vực I–III); ``"all"`` keeps every one. ``cache``: a dict one caller keeps
    for several panels of the same tables and pairings (``effects.evaluate``), so that the
    register and the unit covariates are computed once; never share it across tables.
    """
    if comparison not in COMPARISONS:
        raise ValueError(f"comparison phải là 'similar' hoặc 'all', không phải {comparison!r}")
    standard = standard or default_standard(outcome)
    panel = unit_outcome_panel(tables, outcome, units, chain=CHAIN_OF.get(standard, ""))
    panel = _within_standard(panel.dropna(subset=["y"]), standard)
    years = sorted(int(y) for y in panel["year"].unique())
    memo = {} if cache is None else cache
    key = (units, tuple(years))
    if ("status", *key) not in memo:
        if "communes" not in memo:
            memo["communes"] = indicators.commune_frame(tables)
        communes = memo["communes"]
        first = min(years) if years else None
        if ("groups", first) not in memo:
            memo[("groups", first)] = register.treatment_groups(tables, pairings, first, communes)
        groups = memo[("groups", first)]
        status = register.commune_year_status(tables, years, pairings, groups, communes)
        memo[("status", *key)] = _unit_status(status, units)
        memo[("frame", *key)] = _unit_frame(communes, groups, units)
    panel = panel.merge(memo[("status", *key)], on=["commune_code", "year"], how="left")
    frame = memo[("frame", *key)]
    panel = panel.merge(frame, on="commune_code", how="left")
    if comparison == "similar":
        panel = panel[panel["similar"].fillna(False).astype(bool)]
    unknown_units = panel.loc[panel["group_status"] == "unknown", "commune_code"].unique()
    n_unknown_years = int(
        ((panel["status"] == "unknown") & (panel["group_status"] != "unknown")).sum()
    )
    panel = panel[(panel["group_status"] != "unknown") & (panel["status"] != "unknown")]
    panel["g"] = pd.to_numeric(panel["g"], errors="coerce").astype(float)
    panel["d"] = (panel["g"] <= panel["year"]).astype(int)
    if ("baseline", units) not in memo:
        memo[("baseline", units)] = _baseline(tables, units)
    panel["baseline_households"] = np.log(
        panel["commune_code"].map(memo[("baseline", units)]).clip(lower=1)
    )
    out = panel[PANEL_COLUMNS].reset_index(drop=True)
    out.attrs = {"n_unknown": len(unknown_units), "n_unknown_years": n_unknown_years}
    return out


def _within_standard(panel: pd.DataFrame, standard: str) -> pd.DataFrame:
    """The panel's years of one poverty standard, when ``standard`` names one."""
    if standard not in poverty_standards():
        return panel
    keep = [poverty_standard(int(year)) == standard for year in panel["year"]]
    return panel[keep]


def _unit_status(status: pd.DataFrame, units: str) -> pd.DataFrame:
    """Twinning status of each unit-year from the communes' (``register.commune_year_status``):
    twinned if a commune of it is, else unknown if one is unknown, else not twinned."""
    status = status.copy()
    if units != "commune":
        status["commune_code"] = status["commune_code"].map(_units_of(units))
    rank = status["status"].map({register.TWINNED: 2, register.UNKNOWN: 1}).fillna(0)
    best = rank.groupby([status["commune_code"], status["year"]]).max().reset_index()
    best["status"] = best["status"].map({2: register.TWINNED, 1: register.UNKNOWN, 0: ""})
    return best[["commune_code", "year", "status"]]


def _units_of(units: str) -> dict[str, str]:
    """Commune → unit code (identity on communes)."""
    return {} if units == "commune" else unit_map(units)


def _unit_frame(frame: pd.DataFrame, groups: pd.DataFrame, units: str) -> pd.DataFrame:
    """Per unit: g (the first pairing year of its communes), group_status (unknown when one
    of its communes is), district_code, similar and the commune covariates (any commune),
    from ``indicators.commune_frame`` and ``register.treatment_groups``."""
    frame = frame[[c for c in frame.columns if c not in ("first_pair_year", "partners")]]
    frame = frame.merge(groups[["commune_code", "g", "status"]], on="commune_code", how="left")
    frame["unknown"] = frame["status"] == "unknown"
    frame["mountainous"] = frame["mountainous"].astype("boolean").fillna(False).astype(bool)
    frame["border"] = frame["border"].astype("boolean").fillna(False).astype(bool)
    for k, klass in enumerate(("I", "II", "III"), start=1):
        frame[f"ethnic_{k}"] = frame["ethnic_region"].astype("string").str.strip().eq(klass)
    mapping = _units_of(units)
    frame["unit"] = frame["commune_code"].map(lambda c: mapping.get(c, c))
    flags = ["mountainous", "border", "ethnic_1", "ethnic_2", "ethnic_3", "similar", "unknown"]
    frame[flags] = frame[flags].fillna(False).astype(bool)
    out = frame.groupby("unit", sort=True).agg(
        g=("g", "min"),
        district_code=("district_code", "first"),
        **{flag: (flag, "max") for flag in flags},
    )
    out["group_status"] = np.where(out["unknown"], "unknown", "")
    out["g"] = out["g"].where(~out["unknown"])
    for flag in ("mountainous", "border", "ethnic_1", "ethnic_2", "ethnic_3"):
        out[flag] = out[flag].astype(float)
    out = out.drop(columns="unknown").reset_index().rename(columns={"unit": "commune_code"})
    return out


def _baseline(tables: dict[str, pd.DataFrame], units: str) -> pd.Series:
    """Households of each unit in its first year in the poverty table (the covariate
    ``baseline_households`` is its log; NaN without one)."""
    households = unit_outcome_panel(tables, "poverty_rate_end", units).dropna(
        subset=["households_total"]
    )
    return households.sort_values("year").groupby("commune_code")["households_total"].first()


#: A yes/no covariate needs this many units of each value among the twinned and among the
#: others: without overlap the propensity score is 0 or 1 and the estimate explodes.
MIN_OVERLAP = 3


def usable_covariates(panel: pd.DataFrame) -> list[str]:
    """The covariates of :data:`COVARIATES` the panel can adjust for: known for every unit,
    not constant, and for a yes/no one, at least :data:`MIN_OVERLAP` units of each value on
    both sides (twinned and not).

    >>> p = pd.DataFrame({"commune_code": list("abcdefgh"), "g": [1, 1, 1, 1] + [None] * 4,
    ...     "border": [0, 1, 0, 1, 0, 1, 0, 1.0]} | {c: 0.0 for c in COVARIATES if c != "border"})
    >>> usable_covariates(p)
    []
    """
    units = panel.drop_duplicates("commune_code")
    treated = units["g"].notna()
    out = []
    for column in COVARIATES:
        values = units[column]
        if values.isna().any() or values.nunique() < 2:
            continue
        if set(values.unique()) <= {0.0, 1.0}:
            cells = pd.crosstab(treated, values)
            if cells.shape != (2, 2) or int(cells.to_numpy().min()) < MIN_OVERLAP:
                continue
        out.append(column)
    return out
