"""Pre-trends of the staggered DiD: the joint tests that twinned and comparison communes moved
alike before pairing, and how large a violation of parallel trends would overturn the headline.

- ``cell_test``: Wald test that every pre-period ATT(g, t) is 0 (short differences, the
  "varying" base period), as R's ``did`` reports with ``att_gt``;
- ``event_test``: the same on the event-study placebo averages θ(e), e < 0 (fewer, averaged
  estimates: less power, kept beside the cell test for comparison);
- ``mean_test``: a t test of the mean of the placebo θ(e) (one estimate: with ten districts
  the most powerful against a steady drift, the usual shape of selection on trends);
- ``sensitivity``: a relative-magnitudes bound in the spirit of Rambachan & Roth (2023).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ketnghia_analysis.analysis.inference import Clusters, small_sample_wald_p

NO_ESTIMATE = "Không ước lượng được tác động, nên không có gì để đánh giá độ vững."


def joint_test(theta: np.ndarray, influence: np.ndarray, clusters: Clusters, fallback: Clusters):
    """p-value and the clusters used: ``clusters`` (district: small-sample F) when there are
    more clusters than estimates to test, else ``fallback`` (communes, χ²). (NaN, kind) when
    there is nothing to test."""
    if not len(theta):
        return np.nan, clusters.kind
    p = small_sample_wald_p(theta, clusters.covariance(influence), clusters)
    if np.isnan(p) and clusters.kind != fallback.kind:
        return small_sample_wald_p(theta, fallback.covariance(influence), fallback), fallback.kind
    return p, clusters.kind


def mean_test(theta: np.ndarray, influence: np.ndarray, clusters: Clusters) -> float:
    """Two-sided p-value of the mean of ``theta`` (the placebo θ(e), equal weights): t with
    the clusters' degrees of freedom (G − 1 for districts), normal for communes. NaN
    without placebos or spread.

    >>> c = Clusters.of("commune", np.arange(4))
    >>> round(mean_test(np.array([0.0]), np.array([[1.0], [-1.0], [0.5], [-0.5]]), c), 3)
    1.0
    """
    if not len(theta):
        return np.nan
    se = float(clusters.std_error(influence.mean(axis=1))[0])
    if not se > 0:
        return np.nan
    z = abs(float(theta.mean())) / se
    if clusters.df is None:
        return float(2 * stats.norm.sf(z))
    return float(2 * stats.t.sf(z, max(clusters.df, 1)))


def breakdown(
    estimate: float, std_error: float, critical: float, max_pre: float, horizon: float
) -> float:
    """Smallest M̄ at which the robust 95 % interval of the headline includes 0.

    Relative magnitudes (Rambachan & Roth 2023, Δ^RM): each year's deviation from parallel
    trends after pairing is at most M̄ times the largest one-year deviation seen before
    pairing (``max_pre``, the largest absolute placebo θ(e), e < 0, each a one-year
    difference). A post-pairing cell ATT(g, g + e) spans e + 1 years from its base, so the
    headline's bias is at most ``M̄ · max_pre · horizon``, ``horizon`` = Σ w (e + 1) over
    its cells. The robust interval is the usual one widened by that bound on both sides (a
    conservative, fixed-length version of their interval). 0 when the interval already
    includes 0; inf when no deviation was seen before pairing; NaN without pre-periods.

    >>> round(breakdown(-0.05, 0.01, 2.0, 0.01, 1.5), 6)
    2.0
    """
    if not np.isfinite(estimate) or not np.isfinite(std_error):
        return np.nan
    room = abs(estimate) - critical * std_error
    if room <= 0:
        return 0.0
    if not np.isfinite(max_pre):
        return np.nan
    if max_pre * horizon <= 0:
        return np.inf
    return float(room / (max_pre * horizon))


def _number(value: float) -> str:
    """One decimal with a Vietnamese decimal comma: 1.44 → '1,4'."""
    return f"{value:.1f}".replace(".", ",")


def sentence(m_bar: float) -> str:
    """What the breakdown value means, for a leader (Vietnamese).

    >>> sentence(1.44)
    'Kết luận chỉ đổi nếu xu hướng sau kết nghĩa lệch hơn 1,4 lần mức lệch lớn nhất thấy được trước kết nghĩa.'
    """
    if np.isnan(m_bar):
        return (
            "Không có năm trước kết nghĩa để đo độ lệch xu hướng, nên không đánh giá được "
            "kết luận vững đến đâu."
        )
    if m_bar == 0:
        return (
            "Khoảng tin cậy 95 % đã chứa 0: chưa kết luận được có tác động, kể cả khi xu hướng "
            "của hai nhóm xã song song hoàn toàn."
        )
    if np.isinf(m_bar):
        return (
            "Trước kết nghĩa không thấy độ lệch xu hướng nào; kết luận chỉ đổi nếu sau kết "
            "nghĩa xuất hiện độ lệch chưa từng thấy."
        )
    if m_bar < 1:
        return (
            f"Kết luận mong manh: chỉ cần xu hướng sau kết nghĩa lệch bằng {_number(m_bar)} lần "
            "mức lệch lớn nhất thấy được trước kết nghĩa là đủ đổi kết luận."
        )
    return (
        f"Kết luận chỉ đổi nếu xu hướng sau kết nghĩa lệch hơn {_number(m_bar)} lần mức lệch "
        "lớn nhất thấy được trước kết nghĩa."
    )


def sensitivity(
    estimate: float,
    std_error: float,
    critical: float,
    pre_estimates: np.ndarray,
    cell_weights: np.ndarray,
    event_time: np.ndarray,
) -> dict:
    """Breakdown value of the headline and its sentence.

    Returns
    -------
    dict
        breakdown (M̄), max_pre_deviation, horizon, sentence.
    """
    max_pre = float(np.max(np.abs(pre_estimates))) if len(pre_estimates) else np.nan
    horizon = float(np.sum(cell_weights * (event_time + 1)))
    m_bar = breakdown(estimate, std_error, critical, max_pre, horizon)
    words = sentence(m_bar) if np.isfinite(std_error) else NO_ESTIMATE
    return {
        "breakdown": m_bar,
        "max_pre_deviation": max_pre,
        "horizon": horizon,
        "sentence": words,
    }


def cohort_test(
    att: np.ndarray, psi: np.ndarray, cell_g: np.ndarray, pre: np.ndarray, cohort_size: dict
) -> float:
    """Small-sample joint test of the pre-period ATT(g, t): Hotelling's T² per cohort, then
    Bonferroni over the cohorts.

    Each cohort's placebo cells share its few treated communes, so the χ² reference of the
    cell-level Wald test is far too optimistic when cohorts are small (8 communes and 4
    placebo years: 27 % false alarms at the 5 % level in simulations). Here a cohort with
    ``n_g`` communes and ``q`` placebo cells gives ``W (n_g − q) / (q (n_g − 1)) ~ F(q,
    n_g − q)`` (commune-clustered covariance, without the n/(n − 1) factor); the p-value is
    the smallest one times the number of cohorts tested (capped at 1). Cohorts with
    ``n_g ≤ q`` cannot be tested. NaN when no cohort can.
    """
    p_values = []
    for g in sorted(set(cell_g[pre])):
        cells = pre & (cell_g == g)
        q, n_g = int(cells.sum()), cohort_size.get(float(g), 0)
        if n_g <= q:
            continue
        theta, s = att[cells], psi[:, cells]
        wald = float(theta @ np.linalg.pinv(s.T @ s) @ theta)
        p_values.append(float(stats.f.sf(wald * (n_g - q) / (q * (n_g - 1)), q, n_g - q)))
    if not p_values:
        return np.nan
    return min(1.0, min(p_values) * len(p_values))


#: The pre-trend flag's level, shared by the effects note and the Monte-Carlo benchmark.
FLAG_ALPHA = 0.05
#: The tests the flag combines (Bonferroni over them): the event-time Wald test and the
#: per-cohort Hotelling test; the cell-level Wald test of R's ``did`` is reported beside
#: them but not used (27 % false alarms with cohorts of a few communes).
FLAG_TESTS = ("pre_trend_p_event", "pre_trend_p_cohort")


def flag_p(result: dict) -> float:
    """The flag's p-value: the smallest p of :data:`FLAG_TESTS` times their number (capped at
    1; NaN when none could be computed)."""
    values = [result.get(name, np.nan) for name in FLAG_TESTS]
    values = [float(v) for v in values if v is not None and np.isfinite(v)]
    if not values:
        return np.nan
    return min(1.0, min(values) * len(values))


def flagged(result: dict) -> bool:
    """Whether the pre-trend diagnostics flag the estimate (:func:`flag_p` < ``FLAG_ALPHA``)."""
    p = flag_p(result)
    return bool(np.isfinite(p) and p < FLAG_ALPHA)


def flag_sentence(result: dict) -> str:
    """The pre-trend verdict for the note of the headline (Vietnamese)."""
    p = flag_p(result)
    if not np.isfinite(p):
        return "Không kiểm định được xu hướng trước kết nghĩa (thiếu năm trước kết nghĩa)."
    shown = f"{p:.3f}".replace(".", ",")
    if p < FLAG_ALPHA:
        return (
            f"Cảnh báo: trước kết nghĩa, xu hướng của xã kết nghĩa và xã so sánh đã khác nhau "
            f"(p = {shown}), nên ước lượng kém tin cậy."
        )
    return f"Không thấy xu hướng trước kết nghĩa khác nhau (p = {shown})."
