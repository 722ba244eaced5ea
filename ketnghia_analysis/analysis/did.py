"""The Callaway & Sant'Anna (2021) staggered difference in differences, in numpy.

Group-time ATTs (not-yet-treated or never-treated controls; unconditional, or doubly robust
with time-invariant covariates: ``drdid``), their aggregation (``aggregation``: simple,
group, event time, each with the influence of the estimated cohort weights), clustered
inference (``inference``: by district with t(G − 1) critical values, or by commune;
multiplier-bootstrap simultaneous bands for the event study) and the pre-trend diagnostics
(``pretrends``). Checked against csdid 0.4.3, a port of R's ``did``, on a fixed panel
(``tests/analysis/test_did.py``): the same ATT(g,t), aggregates and standard errors.

**Unbalanced panels.** A commune enters a two-by-two cell only if its outcome is known in
both years of the cell (the panel is balanced cell by cell); the cohort weights of the
aggregations are the cohort shares among all communes kept. R's ``did`` either drops every
commune with a missing year (``panel=TRUE``) or treats the data as repeated cross-sections
(``allow_unbalanced_panel=TRUE``); on a balanced panel all three agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ketnghia_analysis.analysis import aggregation as cell_aggregation
from ketnghia_analysis.analysis import pretrends
from ketnghia_analysis.analysis.drdid import dr_att
from ketnghia_analysis.analysis.inference import Clusters, sup_t_critical

CELL_COLUMNS = ["g", "t", "event_time", "att", "n_treated", "n_control", "post"]
EVENT_COLUMNS = [
    "event_time",
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "band_low",
    "band_high",
    "n_treated",
    "n_cohorts",
]
CONTROLS = ("notyet", "never")
CLUSTERS = ("district", "commune")
#: How the standard error of the aggregate is formed: from the influence functions (R's
#: ``did``, with the term for estimating the cohort weights), or by the delete-one-cluster
#: jackknife with the province's cohort sizes as fixed weights (:func:`jackknife_se`).
SE_METHODS = ("influence", "jackknife")
BOOTSTRAP_REPS = 999

NO_DISTRICT_NOTE = "Bảng không có mã huyện: sai số chuẩn cụm theo xã thay vì theo huyện."


@dataclass(frozen=True)
class GroupTime:
    """Group-time ATTs with their influence functions (rows = communes kept).

    ``psi[i, k]`` is commune ``i``'s contribution to ATT(g,t) number ``k``, divided by the
    number of communes: the sum of squares of a column is the variance of that cell.
    """

    cells: pd.DataFrame  # g, t, event_time, att, n_treated, n_control, post
    psi: np.ndarray  # (n_units, n_cells)
    units: np.ndarray  # commune codes, row order of psi
    unit_g: np.ndarray = field(default_factory=lambda: np.zeros(0))  # first pair year, inf
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


@dataclass(frozen=True)
class _Wide:
    """The panel as arrays: one row per commune kept, one column per year."""

    units: np.ndarray
    years: np.ndarray
    y: np.ndarray  # communes × years, NaN = missing
    g: np.ndarray  # first pair year, inf = never twinned (or after the last year)
    x: np.ndarray | None  # covariates with a leading column of ones, or None
    labels: pd.DataFrame  # per commune: district_code when the panel has it


def att_gt(
    panel: pd.DataFrame, covariates: list[str] | None = None, control: str = "notyet"
) -> GroupTime:
    """Callaway & Sant'Anna (2021) ATT(g, t), one per cohort ``g`` and year ``t``.

    Base year ``b = g − 1`` when ``t ≥ g`` and ``b = t − 1`` when ``t < g`` (placebo,
    R's "varying" base period). Controls: communes not yet twinned in ``max(t, b)`` or never
    twinned (``control="notyet"``), or only the never twinned (``"never"``); a commune first
    twinned after the last year of data is never twinned here. Without covariates

        ATT(g, t) = mean_{G = g}(y_t − y_b) − mean_{C}(y_t − y_b),

    with the influence function ``(Δy_i − mean_T) / n_T`` if treated, ``−(Δy_i − mean_C) /
    n_C`` if control (scaled by the share of the cell's communes, as R's ``did``); with
    covariates the doubly robust estimator of Sant'Anna & Zhao (2020). Cohorts first twinned
    in or before the first year of data (no year before pairing) are dropped.

    Parameters
    ----------
    panel
        commune_code, year, y, g (NaN = never twinned) and any ``covariates`` columns
        (time-invariant; text columns become indicators).
    """
    if control not in CONTROLS:
        raise ValueError(f"control phải là một trong {CONTROLS}, không phải {control!r}")
    return _att_gt_arrays(_wide(panel, covariates), control)


def _covariate_matrix(per_unit: pd.DataFrame, covariates: list[str]) -> np.ndarray:
    """Ones and the covariates (text and category columns as indicators, first level left
    out), one row per commune."""
    parts = []
    for name in covariates:
        column = per_unit[name]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            parts.append(column.astype(float).to_frame())
        else:
            parts.append(pd.get_dummies(column.astype(str), prefix=name, drop_first=True))
    x = pd.concat(parts, axis=1).to_numpy(dtype=float)
    return np.column_stack([np.ones(len(per_unit)), x])


def _wide(panel: pd.DataFrame, covariates: list[str] | None = None) -> _Wide:
    """Drop always-twinned communes (and those with a missing covariate); pivot to arrays."""
    per_unit = panel.drop_duplicates("commune_code").set_index("commune_code")
    g = per_unit["g"].to_numpy(dtype=float)
    wide = panel.pivot_table(index="commune_code", columns="year", values="y", aggfunc="last")
    years = np.array(sorted(wide.columns), dtype=int)
    first, last = years.min(), years.max()
    g = np.where(np.isnan(g) | (g > last), np.inf, g)
    keep = g > first  # always-treated communes have no year before pairing
    if covariates:
        keep &= per_unit[covariates].notna().all(axis=1).to_numpy()
    per_unit = per_unit[keep]
    y = wide.reindex(index=per_unit.index, columns=years).to_numpy(dtype=float)
    x = _covariate_matrix(per_unit, covariates) if covariates else None
    labels = per_unit[[c for c in ("district_code",) if c in per_unit.columns]]
    return _Wide(per_unit.index.to_numpy(), years, y, g[keep], x, labels)


def _att_gt_arrays(w: _Wide, control: str = "notyet") -> GroupTime:
    """ATT(g, t) cells and influence functions from the arrays of :func:`_wide`."""
    col = {int(year): j for j, year in enumerate(w.years)}
    cohorts = sorted(v for v in set(w.g) if np.isfinite(v))
    cells: list[_Cell] = []
    cohort_size = {}
    for cohort in cohorts:
        is_g = w.g == cohort
        cohort_size[cohort] = int(is_g.sum())
        for t in w.years:
            cell = _cell(w, is_g, col, cohort, int(t), control)
            if cell is not None:
                cells.append(cell)
    frame = pd.DataFrame([c.row for c in cells], columns=CELL_COLUMNS)
    n = len(w.units)
    psi = np.column_stack([c.psi for c in cells]) if cells else np.zeros((n, 0))
    return GroupTime(
        frame,
        psi,
        w.units,
        w.g,
        cohort_size,
        [set(w.units[c.control]) for c in cells],
        [set(w.units[c.treated]) for c in cells],
    )


def _cell(
    w: _Wide, is_g: np.ndarray, col: dict[int, int], cohort: float, t: int, control: str
) -> _Cell | None:
    """ATT(cohort, t) and its influence function; None without a base year or a side."""
    base = int(cohort - 1) if t >= cohort else t - 1
    if base not in col or base == t:
        return None
    dy = w.y[:, col[t]] - w.y[:, col[base]]
    ok = ~np.isnan(dy)
    treated = ok & is_g
    if control == "never":
        controls = ok & np.isinf(w.g)
    else:
        controls = ok & (w.g > max(t, base)) & ~is_g
    n_t, n_c = int(treated.sum()), int(controls.sum())
    if n_t == 0 or n_c == 0:
        return None
    psi = np.zeros(len(dy))
    if w.x is None:
        m_t, m_c = dy[treated].mean(), dy[controls].mean()
        att = m_t - m_c
        psi[treated] = (dy[treated] - m_t) / n_t
        psi[controls] = -(dy[controls] - m_c) / n_c
    else:
        both = treated | controls
        att, inf = dr_att(dy[both], treated[both].astype(float), w.x[both])
        psi[both] = inf / both.sum()
    row = {
        "g": int(cohort),
        "t": t,
        "event_time": int(t - cohort),
        "att": float(att),
        "n_treated": n_t,
        "n_control": n_c,
        "post": bool(t >= cohort),
    }
    return _Cell(row, psi, treated, controls)


def _clusters(gt: GroupTime, labels: pd.DataFrame, cluster: str) -> tuple[Clusters, str]:
    """The clusters asked for, or communes (with a note) when the panel has no district."""
    if cluster not in CLUSTERS:
        raise ValueError(f"cluster phải là một trong {CLUSTERS}, không phải {cluster!r}")
    if cluster == "district" and "district_code" in labels.columns:
        district = labels["district_code"]
        if district.notna().all():
            return Clusters.of("district", district.astype(str).to_numpy()), ""
    note = NO_DISTRICT_NOTE if cluster == "district" else ""
    return Clusters.of("commune", np.arange(len(gt.units))), note


def _arrays(gt: GroupTime) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """att, cohort and event time of each cell, as float arrays."""
    c = gt.cells
    return (
        c["att"].to_numpy(dtype=float),
        c["g"].to_numpy(dtype=float),
        c["event_time"].to_numpy(dtype=float),
    )


def event_study(
    gt: GroupTime, clusters: Clusters, alpha: float = 0.05, reps: int = BOOTSTRAP_REPS
) -> tuple[pd.DataFrame, np.ndarray]:
    """Event-study aggregation θ(e) = Σ_g w_g ATT(g, g+e), w_g ∝ cohort size, with pointwise
    intervals and simultaneous bands (multiplier bootstrap sup-t, fixed seed; with district
    clusters the larger of the district and the commune critical values, the latter scaled
    by t(G − 1)/z: ten districts estimate the joint spread of nine event times poorly).

    Negative ``e`` are placebo estimates (years before pairing, short differences).
    ``reps=0``: no bootstrap (band_low and band_high NaN), for rows that show no band.

    Returns
    -------
    DataFrame, ndarray
        event_time, estimate, std_error, ci_low, ci_high, band_low, band_high, n_treated,
        n_cohorts; and the influence functions (communes × event times).
    """
    if gt.cells.empty:
        return pd.DataFrame(columns=EVENT_COLUMNS), np.zeros((len(gt.units), 0))
    att, g, e = _arrays(gt)
    times, estimates, influence, _ = cell_aggregation.event_times(att, gt.psi, g, e, gt.unit_g)
    se = clusters.std_error(influence)
    crit = clusters.critical(alpha)
    ok = se > 0
    band = np.nan
    if ok.any() and reps > 0:
        band = sup_t_critical(influence[:, ok], clusters, alpha, reps)
        if clusters.kind == "district":  # few clusters estimate the joint spread poorly
            communes = Clusters.of("commune", np.arange(len(gt.units)))
            scale = clusters.critical(alpha) / communes.critical(alpha)
            band = max(band, scale * sup_t_critical(influence[:, ok], communes, alpha, reps))
    rows = []
    for j, time in enumerate(times):
        cells = np.flatnonzero(e == time)
        treated = set().union(*(gt.treated_units[k] for k in cells))
        rows.append(
            {
                "event_time": int(time),
                "estimate": estimates[j],
                "std_error": se[j],
                "ci_low": estimates[j] - crit * se[j],
                "ci_high": estimates[j] + crit * se[j],
                "band_low": estimates[j] - band * se[j],
                "band_high": estimates[j] + band * se[j],
                "n_treated": len(treated),
                "n_cohorts": len(cells),
            }
        )
    return pd.DataFrame(rows, columns=EVENT_COLUMNS), influence


def _pre_trends(
    gt: GroupTime, es: pd.DataFrame, es_influence: np.ndarray, clusters: Clusters
) -> dict:
    """The cell-level and the event-time Wald tests of parallel pre-trends."""
    fallback = Clusters.of("commune", np.arange(len(gt.units)))
    pre = ~gt.cells["post"].to_numpy(dtype=bool) if len(gt.cells) else np.zeros(0, bool)
    p_cell, used = pretrends.joint_test(
        gt.cells.loc[pre, "att"].to_numpy(dtype=float), gt.psi[:, pre], clusters, fallback
    )
    pre_e = (es["event_time"] < 0).to_numpy()
    p_event, used_event = pretrends.joint_test(
        es.loc[pre_e, "estimate"].to_numpy(dtype=float), es_influence[:, pre_e], clusters, fallback
    )
    p_mean = pretrends.mean_test(
        es.loc[pre_e, "estimate"].to_numpy(dtype=float), es_influence[:, pre_e], clusters
    )
    cell_g = gt.cells["g"].to_numpy(dtype=float)
    att = gt.cells["att"].to_numpy(dtype=float)
    return {
        "pre_trend_p": p_cell,
        "pre_trend_p_cohort": pretrends.cohort_test(att, gt.psi, cell_g, pre, gt.cohort_size),
        "pre_trend_p_event": p_event,
        "pre_trend_p_mean": p_mean,
        "pre_trend_cluster": used,
        "pre_trend_event_cluster": used_event,
    }


def callaway_santanna(
    panel: pd.DataFrame,
    *,
    aggregation: str = "group",
    cluster: str = "district",
    covariates: list[str] | None = None,
    control: str = "notyet",
    alpha: float = 0.05,
    bands: bool = True,
    se: str = "influence",
) -> dict:
    """Average effect of twinning on the twinned communes, with its diagnostics.

    The headline is ``aggregation="group"`` (each cohort's mean post-pairing effect, weighted
    by cohort size: every twinned commune counts once whatever its number of years twinned);
    ``"simple"`` and ``"event"`` are the alternatives (see ``aggregation``). Standard errors
    come from the influence functions, including the estimation of the cohort weights,
    summed by district with the CR1 factor G/(G−1) and a t(G − 1) critical value (few
    districts: the normal value would give intervals too narrow), or by commune with the
    normal value. Without a ``district_code`` column the clusters are communes and
    ``cluster_note`` says so. ``bands=False`` skips the bootstrap of the event study's
    simultaneous bands (NaN), which only the rows that draw an event study need.
    ``se="jackknife"``: the aggregate's standard error is :func:`jackknife_se` (the
    headline's; ``std_error_influence`` keeps R's), the critical value the same.

    Returns
    -------
    dict
        estimate, std_error, std_error_influence, se_method, ci_low, ci_high, crit, df (None
        for normal), n_treated,
        n_control, n_clusters, cluster ("district"|"commune"), cluster_note, aggregation,
        pre_trend_p (Wald on every pre-period ATT(g,t), as R's did), pre_trend_p_event (on
        the event-time placebos), pre_trend_p_mean (t test of their mean),
        pre_trend_p_cohort (small-sample: Hotelling per cohort, Bonferroni; see
        ``pretrends.cohort_test``), pre_trend_cluster and pre_trend_event_cluster (the
        clusters each test used: district clusters need more districts than tested
        estimates, see ``inference.small_sample_wald_p``), event_study (DataFrame with
        simultaneous band_low/band_high), cells (ATT(g,t) with std_error), sensitivity
        (breakdown M̄, sentence, …).
    """
    w = _wide(panel, covariates)
    gt = _att_gt_arrays(w, control)
    clusters, note = _clusters(gt, w.labels, cluster)
    att, g, e = _arrays(gt)
    if se not in SE_METHODS:
        raise ValueError(f"se phải là một trong {SE_METHODS}, không phải {se!r}")
    agg = aggregation_of(gt, aggregation)
    finite = np.isfinite(agg.estimate)
    se_if = float(clusters.std_error(agg.influence)[0]) if finite else np.nan
    std_error = se_if
    if se == "jackknife" and finite:
        std_error = jackknife_se(w, gt, agg.cell_weights, clusters, control)
    crit = clusters.critical(alpha)
    es, es_influence = event_study(gt, clusters, alpha, BOOTSTRAP_REPS if bands else 0)
    used = np.flatnonzero(agg.cell_weights > 0)
    cells = gt.cells.assign(std_error=clusters.std_error(gt.psi) if len(att) else [])
    pre = es.loc[es["event_time"] < 0, "estimate"].to_numpy(dtype=float)
    return {
        "estimate": agg.estimate,
        "std_error": std_error,
        "std_error_influence": se_if,
        "se_method": se,
        "ci_low": agg.estimate - crit * std_error,
        "ci_high": agg.estimate + crit * std_error,
        "crit": crit,
        "df": clusters.df,
        "n_treated": len(set().union(*(gt.treated_units[k] for k in used))),
        "n_control": len(set().union(*(gt.control_units[k] for k in used))),
        "n_clusters": clusters.n_clusters,
        "cluster": clusters.kind,
        "cluster_note": note,
        "aggregation": aggregation,
        **_pre_trends(gt, es, es_influence, clusters),
        "event_study": es,
        "cells": cells,
        "sensitivity": pretrends.sensitivity(
            agg.estimate, std_error, crit, pre, agg.cell_weights, e
        ),
    }


def jackknife_se(
    w: _Wide, gt: GroupTime, cell_weights: np.ndarray, clusters: Clusters, control: str
) -> float:
    """Delete-one-cluster jackknife (CV3) standard error of the aggregate whose weights over
    the cells of ``gt`` are ``cell_weights``: ``sqrt((G − 1)/G Σ_c (θ₋c − θ̄)²)``, each θ₋c
    the ATT(g, t) re-estimated without cluster ``c`` and averaged with the same weights
    (renormalised over the cells left).

    Why not the influence functions: the weights stay the province's cohort sizes, because
    the estimand is the effect on its own twinned communes, whose cohorts are known, not
    sampled (R's term for estimating them widened the interval by half when effects differ
    by cohort: 100 % coverage in the Monte-Carlo); and with ten districts of unequal size
    the influence-function (CV1) error without that term is about 15 % too small (90 %
    coverage). CV3 with t(G − 1) is the few-cluster choice of MacKinnon, Nielsen & Webb
    (2023). NaN with fewer than 3 clusters or when a deletion leaves no cell.
    """
    keys = dict(zip(zip(gt.cells["g"], gt.cells["t"], strict=True), cell_weights, strict=True))
    estimates = []
    for c in range(clusters.n_clusters):
        keep = clusters.index != c
        x = None if w.x is None else w.x[keep]
        sub = _Wide(w.units[keep], w.years, w.y[keep], w.g[keep], x, w.labels.iloc[keep])
        cells = _att_gt_arrays(sub, control).cells
        weights = np.array([keys.get(k, 0.0) for k in zip(cells["g"], cells["t"], strict=True)])
        if not weights.sum() > 0:
            return np.nan
        estimates.append(float(weights @ cells["att"].to_numpy(float) / weights.sum()))
    g = len(estimates)
    if g < 3:
        return np.nan
    theta = np.array(estimates)
    return float(np.sqrt((g - 1) / g * np.sum((theta - theta.mean()) ** 2)))


def aggregation_of(gt: GroupTime, kind: str = "group") -> cell_aggregation.Aggregate:
    """The ``kind`` aggregate ("simple", "group" or "event") of the cells of ``gt``."""
    if kind not in cell_aggregation.AGGREGATIONS:
        raise ValueError(
            f"aggregation phải là một trong {cell_aggregation.AGGREGATIONS}, không phải {kind!r}"
        )
    att, g, e = _arrays(gt)
    return cell_aggregation.aggregate(kind, att, gt.psi, g, e, gt.unit_g)


def bootstrap_se(
    panel: pd.DataFrame, reps: int = 199, seed: int = 0, aggregation: str = "group"
) -> float:
    """Commune bootstrap SE of the overall ATT: a check on the analytic SE.

    Communes are drawn with replacement (all their years together), each draw keeping its
    own first pairing year; the SE is the standard deviation of the ``reps`` overall ATTs.
    Slower than the influence-function SE (one ATT(g,t) fit per draw) and not used in
    effects.csv; a statistician can call it to confirm the interval.
    """
    rng = np.random.default_rng(seed)
    w = _wide(panel)
    n = len(w.g)
    draws = []
    for _ in range(reps):
        picked = rng.integers(0, n, size=n)
        drawn = _Wide(np.arange(n), w.years, w.y[picked], w.g[picked], None, w.labels.iloc[:0])
        gt = _att_gt_arrays(drawn)
        if gt.cells.empty:
            continue
        estimate = aggregation_of(gt, aggregation).estimate
        if np.isfinite(estimate):
            draws.append(estimate)
    return float(np.std(draws, ddof=1)) if len(draws) > 1 else np.nan
