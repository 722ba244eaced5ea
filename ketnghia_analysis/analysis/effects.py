"""Effects: did twinning work? Staggered difference in differences and its foils.

Headline: Callaway & Sant'Anna (2021) group-time ATTs, unconditional (no covariates),
not-yet-treated and never-treated communes of the same kind as controls, aggregated to one
average effect on the treated; standard errors from the influence functions summed by
commune (clustered by commune). Alongside it, on the same sample: two-way fixed effects
(TWFE, biased under staggered adoption with effects that change over time) and the naive
comparison of twinned with non-twinned communes (biased: the poorest communes were chosen).

The group-time ATT is a two-by-two difference in means, so it is implemented here in a
few lines of numpy rather than through a library (see README, "Dependencies").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from ketnghia_analysis.analysis import indicators

EFFECT_COLUMNS = [
    "outcome",
    "estimator",
    "comparison",
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "n_treated",
    "n_control",
    "pre_trend_p",
    "note",
]

OUTCOMES = ("poverty_rate_end", "exit_rate", "criteria_met")
Z95 = float(stats.norm.ppf(0.975))

COMPARISON_VI = {
    "similar": "xã cùng loại (miền núi hoặc vùng DTTS) chưa hoặc không kết nghĩa",
    "all": "mọi xã chưa hoặc không kết nghĩa trong tỉnh",
}

OUTCOME_NOTES = {
    "poverty_rate_end": (
        "Đơn vị: tỷ lệ (0–1). Chuẩn nghèo đổi năm 2022: giả định cú nhảy như nhau ở mọi xã "
        "(hiệu ứng năm hấp thụ)."
    ),
    "exit_rate": (
        "Đơn vị: tỷ lệ (0–1) hộ thoát nghèo / hộ nghèo đầu năm. Chuẩn nghèo đổi năm 2022."
    ),
    "criteria_met": (
        "Đơn vị: số tiêu chí (0–19). Bộ tiêu chí đổi năm 2022 (tiêu chí 3, 11, 12, 13 đổi nội dung)."
    ),
}


# --------------------------------------------------------------------------- data


def treatment_panel(
    tables: dict[str, pd.DataFrame], outcome: str = "poverty_rate_end", comparison: str = "similar"
) -> pd.DataFrame:
    """Commune-year panel for the estimators: commune_code, year, y, g (first pair year; NaN =
    never twinned in the data), d (twinned in that year: ``g <= year``).

    ``comparison="similar"`` keeps the communes that are mountainous or in an
    ethnic-minority region (khu vực I–III), treated and controls alike; ``"all"`` keeps
    every commune.
    """
    if comparison not in COMPARISON_VI:
        raise ValueError(f"comparison phải là 'similar' hoặc 'all', không phải {comparison!r}")
    frame = indicators.commune_frame(tables)
    panel = indicators.commune_outcome_panel(tables, outcome).dropna(subset=["y"])
    panel = panel.merge(
        frame[["commune_code", "first_pair_year", "similar"]], on="commune_code", how="left"
    )
    if comparison == "similar":
        panel = panel[panel["similar"].fillna(False).astype(bool)]
    panel["g"] = pd.to_numeric(panel["first_pair_year"], errors="coerce").astype(float)
    panel["d"] = (panel["g"] <= panel["year"]).astype(int)
    return panel[["commune_code", "year", "y", "g", "d"]].reset_index(drop=True)


# --------------------------------------------------------------------------- Callaway–Sant'Anna


@dataclass
class GroupTime:
    """Group-time ATTs with their influence functions (rows = communes)."""

    cells: pd.DataFrame  # g, t, event_time, att, n_treated, n_control, post
    psi: np.ndarray  # (n_units, n_cells): contribution of each commune to each ATT(g,t)
    units: np.ndarray  # commune codes, row order of psi
    cohort_size: dict[float, int] = field(default_factory=dict)
    control_units: list[set] = field(default_factory=list)
    treated_units: list[set] = field(default_factory=list)


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
    rows, psis, ctrl_sets, treat_sets = [], [], [], []
    cohort_size = {}
    for cohort in cohorts:
        is_g = keep & (g_inf == cohort)
        cohort_size[cohort] = int(is_g.sum())
        for t in years:
            base = int(cohort - 1) if t >= cohort else int(t - 1)
            if base not in col or base == t:
                continue
            dy = y[:, col[int(t)]] - y[:, col[base]]
            ok = ~np.isnan(dy) & keep
            treated = ok & is_g
            control = ok & (g_inf > max(t, base)) & ~is_g
            n_t, n_c = int(treated.sum()), int(control.sum())
            if n_t == 0 or n_c == 0:
                continue
            m_t, m_c = dy[treated].mean(), dy[control].mean()
            psi = np.zeros(len(units))
            psi[treated] = (dy[treated] - m_t) / n_t
            psi[control] = -(dy[control] - m_c) / n_c
            rows.append(
                {
                    "g": int(cohort),
                    "t": int(t),
                    "event_time": int(t - cohort),
                    "att": m_t - m_c,
                    "n_treated": n_t,
                    "n_control": n_c,
                    "post": bool(t >= cohort),
                }
            )
            psis.append(psi)
            ctrl_sets.append(set(units[control]))
            treat_sets.append(set(units[treated]))
    cells = pd.DataFrame(
        rows, columns=["g", "t", "event_time", "att", "n_treated", "n_control", "post"]
    )
    psi_matrix = np.column_stack(psis) if psis else np.zeros((len(units), 0))
    return GroupTime(cells, psi_matrix, units, cohort_size, ctrl_sets, treat_sets)


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
    out = pd.DataFrame(
        rows,
        columns=[
            "event_time",
            "estimate",
            "std_error",
            "ci_low",
            "ci_high",
            "n_treated",
            "n_cohorts",
        ],
    )
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
    rank = np.linalg.matrix_rank(cov)
    if rank == 0:
        return np.nan
    wald = float(theta @ np.linalg.pinv(cov) @ theta)
    return float(stats.chi2.sf(wald, df=rank))


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


# --------------------------------------------------------------------------- foils


def _cluster_ols(
    y: np.ndarray, x: np.ndarray, clusters: np.ndarray, absorbed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """OLS coefficients and the commune-clustered (CR1) covariance.

    ``absorbed`` = number of fixed effects already removed from ``y`` and ``x`` (counted in
    the degrees of freedom as a dummy-variable regression would).
    """
    xtx_inv = np.linalg.pinv(x.T @ x)
    beta = xtx_inv @ x.T @ y
    resid = y - x @ beta
    codes, index = np.unique(clusters, return_inverse=True)
    scores = np.zeros((len(codes), x.shape[1]))
    np.add.at(scores, index, x * resid[:, None])
    n, k, n_clusters = len(y), np.linalg.matrix_rank(x) + absorbed, len(codes)
    factor = n_clusters / max(n_clusters - 1, 1) * (n - 1) / max(n - k, 1)
    cov = factor * xtx_inv @ (scores.T @ scores) @ xtx_inv
    return beta, cov


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


def twfe(panel: pd.DataFrame) -> dict:
    """Two-way fixed effects: ``y_it = α_i + λ_t + β·D_it + ε_it``, SE clustered by commune.

    β = Σ D̃·ỹ / Σ D̃² after removing commune and year means (D̃, ỹ); CR1 clustered variance
    with the degrees of freedom of the dummy-variable regression. Same sample as the
    headline (always-twinned communes dropped). Under staggered pairing with effects that
    grow or differ by cohort, β mixes in "forbidden" comparisons (early twinned communes
    used as controls for later ones) and can be biased.
    """
    first_year = panel["year"].min()
    df = panel[~(panel["g"] <= first_year)].dropna(subset=["y"])
    if df["d"].nunique() < 2:
        return {"estimate": np.nan, "std_error": np.nan, "n_treated": 0, "n_control": 0}
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
    first_year = panel["year"].min()
    df = panel[~(panel["g"] <= first_year)].dropna(subset=["y"]).reset_index(drop=True)
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
    beta, cov = _cluster_ols(y, x, units, absorbed=absorbed)
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
        sub = cov[np.ix_(lead, lead)]
        rank = np.linalg.matrix_rank(sub)
        if rank:
            wald = float(beta[lead] @ np.linalg.pinv(sub) @ beta[lead])
            p_value = float(stats.chi2.sf(wald, df=rank))
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
        return {"estimate": np.nan, "std_error": np.nan, "n_treated": 0, "n_control": 0}
    df = panel[panel["year"] >= cohorts.min()].dropna(subset=["y"])
    if df["d"].nunique() < 2:
        return {"estimate": np.nan, "std_error": np.nan, "n_treated": 0, "n_control": 0}
    x = np.column_stack([np.ones(len(df)), df["d"].to_numpy(float)])
    beta, cov = _cluster_ols(df["y"].to_numpy(float), x, df["commune_code"].to_numpy())
    return {
        "estimate": float(beta[1]),
        "std_error": float(np.sqrt(cov[1, 1])),
        "n_treated": int(df.loc[df["d"] == 1, "commune_code"].nunique()),
        "n_control": int(df.loc[df["d"] == 0, "commune_code"].nunique()),
    }


# --------------------------------------------------------------------------- public API


def _row(outcome: str, estimator: str, comparison: str, res: dict, note: str) -> dict:
    est, se = res.get("estimate", np.nan), res.get("std_error", np.nan)
    return {
        "outcome": outcome,
        "estimator": estimator,
        "comparison": comparison,
        "estimate": est,
        "std_error": se,
        "ci_low": est - Z95 * se,
        "ci_high": est + Z95 * se,
        "n_treated": res.get("n_treated", 0),
        "n_control": res.get("n_control", 0),
        "pre_trend_p": res.get("pre_trend_p", np.nan),
        "note": note,
    }


def _excluded_note(tables: dict[str, pd.DataFrame], panel: pd.DataFrame, comparison: str) -> str:
    """Say which twinned communes the headline cannot use, and why."""
    frame = indicators.commune_frame(tables)
    parts = []
    if comparison == "similar":
        outside = int((frame["ever_twinned"] & ~frame["similar"]).sum())
        if outside:
            parts.append(f"{outside} xã kết nghĩa không thuộc miền núi/vùng DTTS không được tính")
    early = panel.loc[panel["g"] <= panel["year"].min(), "commune_code"].nunique()
    if early:
        parts.append(
            f"{early} xã kết nghĩa từ trước năm đầu có số liệu ({int(panel['year'].min())}) "
            "không có năm trước để so sánh, không được tính"
        )
    return (" " + "; ".join(parts) + ".") if parts else ""


def evaluate(
    tables: dict[str, pd.DataFrame],
    outcomes: tuple[str, ...] = OUTCOMES,
    comparison: str = "similar",
) -> pd.DataFrame:
    """Effect of twinning on each outcome: headline staggered DiD, TWFE and naive rows.

    The first row (``poverty_rate_end``, ``callaway_santanna``) is the headline. Estimates
    are in the outcome's own unit (a fraction for rates: −0.03 = 3 percentage points).
    When ``comparison="similar"`` a naive row against every commune of the province is added
    for ``poverty_rate_end``, to show how far the crude comparison drifts.

    Returns
    -------
    DataFrame
        outcome, estimator, comparison, estimate, std_error, ci_low, ci_high, n_treated,
        n_control, pre_trend_p, note.
    """
    who = COMPARISON_VI[comparison] if comparison in COMPARISON_VI else comparison
    rows = []
    for outcome in outcomes:
        try:
            panel = treatment_panel(tables, outcome, comparison)
        except KeyError as exc:  # the table of this outcome is absent
            rows.append(
                _row(
                    outcome, "callaway_santanna", comparison, {}, f"Thiếu bảng {exc} để ước lượng."
                )
            )
            continue
        tail = OUTCOME_NOTES.get(outcome, "")
        cs = callaway_santanna(panel)
        note = (
            "DiD so le Callaway–Sant'Anna (2021), trung bình các ATT(g,t) theo cỡ nhóm; "
            f"nhóm so sánh: {who}; sai số chuẩn cụm theo xã. {tail}"
        )
        note += _excluded_note(tables, panel, comparison)
        if cs["n_treated"] < 5:
            note += " Quá ít xã kết nghĩa để kết luận."
        if pd.notna(cs["pre_trend_p"]) and cs["pre_trend_p"] < 0.05:
            note += (
                " Cảnh báo: xu hướng trước kết nghĩa khác nhau (p < 0,05), ước lượng kém tin cậy."
            )
        rows.append(_row(outcome, "callaway_santanna", comparison, cs, note.strip()))
        rows.append(
            _row(
                outcome,
                "twfe",
                comparison,
                twfe(panel),
                "Hồi quy hai chiều cố định (xã, năm): có thể lệch khi kết nghĩa bắt đầu so le "
                "và tác động khác nhau theo năm; chỉ để đối chiếu.",
            )
        )
        rows.append(
            _row(
                outcome,
                "naive",
                comparison,
                naive(panel),
                "So sánh thô (xã kết nghĩa trừ xã khác, các năm sau khi bắt đầu kết nghĩa): "
                "bị lệch do chọn xã nghèo hơn để kết nghĩa; không dùng để kết luận.",
            )
        )
        if comparison == "similar" and outcome == "poverty_rate_end":
            rows.append(
                _row(
                    outcome,
                    "naive",
                    "all",
                    naive(treatment_panel(tables, outcome, "all")),
                    "So sánh thô với mọi xã trong tỉnh: lệch nhiều nhất vì xã kết nghĩa là xã "
                    "miền núi, nghèo hơn hẳn.",
                )
            )
    out = pd.DataFrame(rows, columns=EFFECT_COLUMNS)
    for column in ("n_treated", "n_control"):
        out[column] = out[column].astype("Int64")
    return out


def event_study(
    tables: dict[str, pd.DataFrame], outcome: str = "poverty_rate_end", comparison: str = "similar"
) -> pd.DataFrame:
    """Effects by years since pairing (event_time 0 = first twinned year; negative = placebo).

    Returns
    -------
    DataFrame
        event_time, estimate, std_error, ci_low, ci_high, n_treated; ``attrs["pre_trend_p"]``
        holds the p-value of the joint test that the placebo estimates are 0.
    """
    cs = callaway_santanna(treatment_panel(tables, outcome, comparison))
    es = cs["event_study"]
    out = es[["event_time", "estimate", "std_error", "ci_low", "ci_high", "n_treated"]].copy()
    out.attrs = {"pre_trend_p": cs["pre_trend_p"]}
    return out


def dose_response(
    tables: dict[str, pd.DataFrame], outcome: str = "poverty_rate_end", comparison: str = "similar"
) -> pd.DataFrame:
    """Support per household against the change in the outcome, twinned commune by commune.

    ``money_per_household_mvnd`` = money received (cash + in kind) from the pairing year to
    the commune's last year, divided by its mean number of households over those years;
    ``excess_change`` = the commune's change since the year before pairing minus that of
    comparable communes (:func:`indicators.commune_excess_change`). ``attrs`` holds the OLS
    slope (change per million VND per household), its robust SE and the caveat.

    Caveat: support is not assigned at random; larger amounts go where needs are greatest,
    so the slope is an association, not a causal dose–response.
    """
    excess = indicators.commune_excess_change(tables, outcome=outcome, comparison=comparison)
    sup = tables["support"].copy()
    sup["commune_code"] = sup["commune_code"].astype(str)
    sup["money_mvnd"] = sup[["cash_mvnd", "in_kind_mvnd"]].sum(axis=1, min_count=1)
    pov = indicators.commune_outcome_panel(tables, "poverty_rate_end")
    rows = []
    for rec in excess.itertuples():
        window = (sup["commune_code"] == rec.commune_code) & sup["year"].between(
            rec.first_pair_year, rec.end_year
        )
        money = sup.loc[window, "money_mvnd"].sum()
        hh = pov.loc[
            (pov["commune_code"] == rec.commune_code)
            & pov["year"].between(rec.first_pair_year, rec.end_year),
            "households_total",
        ].mean()
        rows.append(
            {
                "commune_code": rec.commune_code,
                "first_pair_year": rec.first_pair_year,
                "money_mvnd": money,
                "money_per_household_mvnd": money / hh if hh and hh > 0 else np.nan,
                "excess_change": rec.excess_change,
            }
        )
    out = pd.DataFrame(
        rows,
        columns=[
            "commune_code",
            "first_pair_year",
            "money_mvnd",
            "money_per_household_mvnd",
            "excess_change",
        ],
    )
    ok = out.dropna(subset=["money_per_household_mvnd", "excess_change"])
    slope = se = np.nan
    if len(ok) >= 3 and ok["money_per_household_mvnd"].nunique() > 1:
        x = np.column_stack([np.ones(len(ok)), ok["money_per_household_mvnd"].to_numpy(float)])
        beta, cov = _cluster_ols(
            ok["excess_change"].to_numpy(float), x, ok["commune_code"].to_numpy()
        )
        slope, se = float(beta[1]), float(np.sqrt(cov[1, 1]))
    out.attrs = {
        "slope": slope,
        "slope_se": se,
        "note": "Tương quan, không phải quan hệ nhân quả: xã khó khăn hơn thường nhận hỗ trợ "
        "nhiều hơn; thay đổi qua năm 2022 gồm cả thay đổi chuẩn nghèo (giả định chung mọi xã).",
    }
    return out


def _points(value: float) -> str:
    """A fraction as signed percentage points with a Vietnamese decimal comma."""
    return f"{100 * value:+.2f}".replace(".", ",")


def evaluate_to_csv(
    processed_dir: str | Path, out_csv: str | Path, comparison: str = "similar"
) -> int:
    """Run :func:`evaluate` on a processed folder and write effects.csv; return the exit code.

    0 on success; 2 with a Vietnamese message when the folder is missing or holds no table.
    """
    from ketnghia_analysis.analysis.tables import load

    try:
        tables = load(processed_dir)
    except FileNotFoundError as exc:
        print(f"Lỗi: {exc}")
        return 2
    if "poverty" not in tables or tables["poverty"].empty:
        print(f"Lỗi: thư mục {processed_dir} không có bảng poverty (hộ nghèo) có dữ liệu.")
        return 2
    result = evaluate(tables, comparison=comparison)
    out_csv = Path(out_csv)
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    result.to_csv(out_csv, index=False, encoding="utf-8")
    head = result.iloc[0]
    if pd.notna(head["estimate"]):
        print(
            "Tác động của kết nghĩa lên tỷ lệ hộ nghèo cuối năm (DiD so le, "
            f"{COMPARISON_VI.get(comparison, comparison)}): {_points(head['estimate'])} điểm % "
            f"(KTC 95%: {_points(head['ci_low'])} đến {_points(head['ci_high'])}); "
            f"{head['n_treated']} xã kết nghĩa, {head['n_control']} xã so sánh."
        )
    else:
        print("Không ước lượng được tác động: không có xã kết nghĩa nào có năm trước kết nghĩa.")
    print(f"Đã ghi {len(result)} dòng vào {out_csv}")
    return 0
