"""The foils of the headline estimate: two-way fixed effects (static and by event time) and
the naive comparison of twinned with other communes, SEs clustered by commune."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ketnghia_analysis.analysis.inference import Z95, cluster_ols, wald_p_value

_NO_ESTIMATE = {"estimate": np.nan, "std_error": np.nan, "n_treated": 0, "n_control": 0}


def _demean_two_way(
    values: np.ndarray, units: np.ndarray, years: np.ndarray, tol: float = 1e-12
) -> np.ndarray:
    """Remove commune and year means (alternating projections; exact in one pass when balanced)."""
    out = values.astype(float).copy()
    for _ in range(1000):
        before = out.copy()
        for index in (units, years):
            sums = np.bincount(index, weights=out)
            counts = np.bincount(index)
            out -= (sums / counts)[index]
        if np.max(np.abs(out - before)) < tol:
            break
    return out


def _usable(panel: pd.DataFrame) -> pd.DataFrame:
    """The headline's sample: observed outcomes, always-twinned communes dropped."""
    first_year = panel["year"].min()
    return panel[~(panel["g"] <= first_year)].dropna(subset=["y"])


def twfe(panel: pd.DataFrame) -> dict:
    """Two-way fixed effects: ``y_it = α_i + λ_t + β·D_it + ε_it``, SE clustered by commune.

    β = Σ D̃·ỹ / Σ D̃² after removing commune and year means (D̃, ỹ); CR1 clustered variance
    with the degrees of freedom of the dummy-variable regression. Same sample as the
    headline (always-twinned communes dropped). Under staggered pairing with effects that
    grow or differ by cohort, β mixes in "forbidden" comparisons (early twinned communes
    used as controls for later ones) and can be biased.
    """
    df = _usable(panel)
    if df["d"].nunique() < 2:
        return dict(_NO_ESTIMATE)
    units = pd.factorize(df["commune_code"])[0]
    years = pd.factorize(df["year"])[0]
    x = _demean_two_way(df["d"].to_numpy(float), units, years)
    y = _demean_two_way(df["y"].to_numpy(float), units, years)
    sxx = float(x @ x)
    beta = float(x @ y) / sxx
    resid = y - beta * x
    scores = np.bincount(units, weights=x * resid)
    n, n_clusters = len(y), units.max() + 1
    k = 1 + n_clusters + years.max()  # D, commune dummies, year dummies but one
    factor = n_clusters / max(n_clusters - 1, 1) * (n - 1) / max(n - k, 1)
    se = float(np.sqrt(factor * np.sum(scores**2)) / sxx)
    treated = df.loc[df["d"] == 1, "commune_code"].nunique()
    return {
        "estimate": beta,
        "std_error": se,
        "pre_trend_p": twfe_event_study(panel).attrs["pre_trend_p"],
        "n_treated": int(treated),
        "n_control": int(df.loc[df["g"].isna() | (df["g"] > df["year"]), "commune_code"].nunique()),
    }


def twfe_event_study(panel: pd.DataFrame) -> pd.DataFrame:
    """Dynamic TWFE: ``y_it = α_i + λ_t + Σ_e β_e·1[t − g_i = e] + ε_it``, e = −1 left out.

    SE clustered by commune. ``attrs["pre_trend_p"]`` = joint Wald test of the leads
    (e ≤ −2) being 0. Like static TWFE, it can be contaminated under staggered pairing
    (Sun & Abraham 2021); it is reported only to put the TWFE row in context.
    """
    df = _usable(panel).reset_index(drop=True)
    event = (df["year"] - df["g"]).where(df["g"].notna())
    times = sorted(int(e) for e in event.dropna().unique() if e != -1)
    columns = ["event_time", "estimate", "std_error", "ci_low", "ci_high", "n_treated"]
    if not times:
        out = pd.DataFrame(columns=columns)
        out.attrs["pre_trend_p"] = np.nan
        return out
    units = pd.factorize(df["commune_code"])[0]
    years = pd.factorize(df["year"])[0]
    x = np.column_stack(
        [_demean_two_way((event == e).to_numpy(float), units, years) for e in times]
    )
    y = _demean_two_way(df["y"].to_numpy(float), units, years)
    absorbed = units.max() + 1 + years.max()
    beta, cov = cluster_ols(y, x, units, absorbed=absorbed)
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    counts = [int(df.loc[event == e, "commune_code"].nunique()) for e in times]
    out = pd.DataFrame(
        {
            "event_time": times,
            "estimate": beta,
            "std_error": se,
            "ci_low": beta - Z95 * se,
            "ci_high": beta + Z95 * se,
            "n_treated": counts,
        }
    )
    lead = np.array([e <= -2 for e in times])
    p_value = np.nan
    if lead.any():
        p_value = wald_p_value(beta[lead], cov[np.ix_(lead, lead)])
    out.attrs["pre_trend_p"] = p_value
    return out


def naive(panel: pd.DataFrame) -> dict:
    """Naive comparison: mean outcome of twinned communes minus that of the others, pooled
    over the years after the first pairing (``y_it = a + b·D_it``), SE clustered by commune.

    It ignores that twinning went to the poorest communes, so ``b`` carries the gap in
    levels that existed before any support.
    """
    cohorts = panel["g"].dropna()
    if cohorts.empty:
        return dict(_NO_ESTIMATE)
    df = panel[panel["year"] >= cohorts.min()].dropna(subset=["y"])
    if df["d"].nunique() < 2:
        return dict(_NO_ESTIMATE)
    x = np.column_stack([np.ones(len(df)), df["d"].to_numpy(float)])
    beta, cov = cluster_ols(df["y"].to_numpy(float), x, df["commune_code"].to_numpy())
    return {
        "estimate": float(beta[1]),
        "std_error": float(np.sqrt(cov[1, 1])),
        "n_treated": int(df.loc[df["d"] == 1, "commune_code"].nunique()),
        "n_control": int(df.loc[df["d"] == 0, "commune_code"].nunique()),
    }
