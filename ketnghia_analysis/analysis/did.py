"""The Callaway & Sant'Anna (2021) staggered difference in differences, in numpy.

Group-time ATTs (unconditional, not-yet-treated and never-treated controls), their
aggregation to one average effect on the treated and to an event study, the joint
pre-trend test and a commune-clustered bootstrap. Standard errors come from the influence
functions summed by commune. The group-time ATT is a two-by-two difference in means, so it
is implemented here in a few lines rather than through a library (see README,
"Dependencies").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ketnghia_analysis.analysis.inference import Z95, wald_p_value

CELL_COLUMNS = ["g", "t", "event_time", "att", "n_treated", "n_control", "post"]
EVENT_COLUMNS = [
    "event_time",
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "n_treated",
    "n_cohorts",
]


@dataclass(frozen=True)
class GroupTime:
    """Group-time ATTs with their influence functions (rows = communes)."""

    cells: pd.DataFrame  # g, t, event_time, att, n_treated, n_control, post
    psi: np.ndarray  # (n_units, n_cells): contribution of each commune to each ATT(g,t)
    units: np.ndarray  # commune codes, row order of psi
    cohort_size: dict[float, int] = field(default_factory=dict)
    control_units: list[set] = field(default_factory=list)
    treated_units: list[set] = field(default_factory=list)


@dataclass(frozen=True)
class _Cell:
    """One ATT(g, t): its row of ``GroupTime.cells``, influence function and communes."""

    row: dict
    psi: np.ndarray
    treated: np.ndarray  # boolean masks over the communes
    control: np.ndarray


def att_gt(panel: pd.DataFrame) -> GroupTime:
    """Callaway & Sant'Anna (2021) ATT(g, t), unconditional, not-yet-treated controls.

    For cohort ``g`` (communes first twinned in year ``g``) and year ``t``, with base year
    ``b = g − 1`` when ``t ≥ g`` and ``b = t − 1`` when ``t < g`` (placebo, "varying" base):

        ATT(g, t) = mean_{G = g}(y_t − y_b) − mean_{C}(y_t − y_b),
        C = communes with G > t or never twinned, G ≠ g,

    each mean over the communes observed in both years. The influence function of commune
    ``i`` is ``(Δy_i − mean_T) / n_T`` if treated, ``−(Δy_i − mean_C) / n_C`` if control;
    summing it by commune across cells gives commune-clustered variances. Cohorts first
    twinned in or before the first year of data (no year before pairing) are dropped.

    Parameters
    ----------
    panel
        commune_code, year, y, g (NaN = never twinned).
    """
    return _att_gt_arrays(*_wide(panel))


def _wide(panel: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Communes, years, outcome matrix (communes × years, NaN = missing), first pair year
    (inf = never twinned)."""
    wide = panel.pivot_table(index="commune_code", columns="year", values="y", aggfunc="last")
    years = np.array(sorted(wide.columns), dtype=int)
    wide = wide[years]
    units = wide.index.to_numpy()
    g_of = panel.drop_duplicates("commune_code").set_index("commune_code")["g"]
    g = g_of.reindex(units).to_numpy(dtype=float)
    return units, years, wide.to_numpy(dtype=float), np.where(np.isnan(g), np.inf, g)


def _att_gt_arrays(
    units: np.ndarray, years: np.ndarray, y: np.ndarray, g_inf: np.ndarray
) -> GroupTime:
    """ATT(g, t) cells and influence functions from the arrays of :func:`_wide`."""
    first_year, last_year = years.min(), years.max()
    keep = g_inf > first_year  # always-treated communes have no year before pairing
    col = {int(year): j for j, year in enumerate(years)}
    cohorts = sorted(v for v in set(g_inf[keep]) if np.isfinite(v) and v <= last_year)
    cells: list[_Cell] = []
    cohort_size = {}
    for cohort in cohorts:
        is_g = keep & (g_inf == cohort)
        cohort_size[cohort] = int(is_g.sum())
        for t in years:
            cell = _cell(y, g_inf, keep, is_g, col, cohort, t)
            if cell is not None:
                cells.append(cell)
    frame = pd.DataFrame([c.row for c in cells], columns=CELL_COLUMNS)
    psi = np.column_stack([c.psi for c in cells]) if cells else np.zeros((len(units), 0))
    return GroupTime(
        frame,
        psi,
        units,
        cohort_size,
        [set(units[c.control]) for c in cells],
        [set(units[c.treated]) for c in cells],
    )


def _cell(
    y: np.ndarray,
    g_inf: np.ndarray,
    keep: np.ndarray,
    is_g: np.ndarray,
    col: dict[int, int],
    cohort: float,
    t: int,
) -> _Cell | None:
    """ATT(cohort, t) and its influence function; None without a base year or a side."""
    base = int(cohort - 1) if t >= cohort else int(t - 1)
    if base not in col or base == t:
        return None
    dy = y[:, col[int(t)]] - y[:, col[base]]
    ok = ~np.isnan(dy) & keep
    treated = ok & is_g
    control = ok & (g_inf > max(t, base)) & ~is_g
    n_t, n_c = int(treated.sum()), int(control.sum())
    if n_t == 0 or n_c == 0:
        return None
    m_t, m_c = dy[treated].mean(), dy[control].mean()
    psi = np.zeros(len(y))
    psi[treated] = (dy[treated] - m_t) / n_t
    psi[control] = -(dy[control] - m_c) / n_c
    row = {
        "g": int(cohort),
        "t": int(t),
        "event_time": int(t - cohort),
        "att": m_t - m_c,
        "n_treated": n_t,
        "n_control": n_c,
        "post": bool(t >= cohort),
    }
    return _Cell(row, psi, treated, control)


def _aggregate(gt: GroupTime, mask: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Cohort-size-weighted mean of the selected ATT(g,t): estimate, clustered SE, influence."""
    cells = gt.cells[mask]
    if cells.empty:
        return np.nan, np.nan, np.zeros(len(gt.units))
    weights = cells["g"].map(lambda c: gt.cohort_size[float(c)]).to_numpy(dtype=float)
    weights = weights / weights.sum()
    estimate = float(np.dot(weights, cells["att"]))
    influence = gt.psi[:, np.flatnonzero(mask)] @ weights
    n = len(gt.units)
    se = float(np.sqrt(np.sum(influence**2) * n / max(n - 1, 1)))
    return estimate, se, influence


def cs_event_study(gt: GroupTime) -> pd.DataFrame:
    """Event-study aggregation: θ(e) = Σ_g w_g ATT(g, g+e), w_g ∝ cohort size.

    Negative ``e`` are placebo estimates (years before pairing, short differences).

    Returns
    -------
    DataFrame
        event_time, estimate, std_error, ci_low, ci_high, n_treated, n_cohorts.
    """
    rows, influences = [], []
    for e in sorted(gt.cells["event_time"].unique()):
        mask = (gt.cells["event_time"] == e).to_numpy()
        estimate, se, influence = _aggregate(gt, mask)
        treated = set().union(*(gt.treated_units[i] for i in np.flatnonzero(mask)))
        rows.append(
            {
                "event_time": int(e),
                "estimate": estimate,
                "std_error": se,
                "ci_low": estimate - Z95 * se,
                "ci_high": estimate + Z95 * se,
                "n_treated": len(treated),
                "n_cohorts": int(mask.sum()),
            }
        )
        influences.append(influence)
    out = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    out.attrs["influence"] = np.column_stack(influences) if influences else None
    return out


def pre_trend_test(es: pd.DataFrame) -> float:
    """p-value of the joint Wald test that every pre-period (placebo) estimate is 0.

    ``W = θ_pre' V⁻¹ θ_pre ~ χ²(k)`` with ``V`` the commune-clustered covariance of the
    pre-period estimates (from their influence functions). NaN without pre-periods.
    """
    influence = es.attrs.get("influence")
    pre = (es["event_time"] < 0).to_numpy()
    if influence is None or not pre.any():
        return np.nan
    theta = es.loc[pre, "estimate"].to_numpy(dtype=float)
    psi = influence[:, pre]
    n = psi.shape[0]
    cov = psi.T @ psi * n / max(n - 1, 1)
    return wald_p_value(theta, cov)


def callaway_santanna(panel: pd.DataFrame) -> dict:
    """Overall ATT (simple aggregation of post-pairing ATT(g,t), weights ∝ cohort size).

    Returns
    -------
    dict
        estimate, std_error, ci_low, ci_high, n_treated, n_control, pre_trend_p,
        event_study (DataFrame), cells (DataFrame of ATT(g,t)).
    """
    gt = att_gt(panel)
    post = gt.cells["post"].to_numpy(dtype=bool) if len(gt.cells) else np.zeros(0, dtype=bool)
    estimate, se, _ = _aggregate(gt, post)
    es = cs_event_study(gt)
    treated = set().union(*(gt.treated_units[i] for i in np.flatnonzero(post)))
    controls = set().union(*(gt.control_units[i] for i in np.flatnonzero(post)))
    return {
        "estimate": estimate,
        "std_error": se,
        "ci_low": estimate - Z95 * se,
        "ci_high": estimate + Z95 * se,
        "n_treated": len(treated),
        "n_control": len(controls),
        "pre_trend_p": pre_trend_test(es),
        "event_study": es,
        "cells": gt.cells,
    }


def bootstrap_se(panel: pd.DataFrame, reps: int = 199, seed: int = 0) -> float:
    """Commune-clustered bootstrap SE of the overall ATT: a check on the analytic SE.

    Communes are drawn with replacement (all their years together), each draw keeping its
    own first pairing year; the SE is the standard deviation of the ``reps`` overall ATTs.
    Slower than the influence-function SE (one ATT(g,t) fit per draw) and not used in
    effects.csv; a statistician can call it to confirm the interval.
    """
    rng = np.random.default_rng(seed)
    _, years, y, g_inf = _wide(panel)
    n = len(g_inf)
    draws = []
    for _ in range(reps):
        picked = rng.integers(0, n, size=n)
        gt = _att_gt_arrays(np.arange(n), years, y[picked], g_inf[picked])
        if gt.cells.empty:
            continue
        estimate, _, _ = _aggregate(gt, gt.cells["post"].to_numpy(dtype=bool))
        if np.isfinite(estimate):
            draws.append(estimate)
    return float(np.std(draws, ddof=1)) if len(draws) > 1 else np.nan
