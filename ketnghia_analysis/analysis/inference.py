"""Clustered inference shared by the estimators: OLS with CR1 variance, Wald tests, and for
influence functions (``did``) cluster-robust covariances, small-sample critical values and
the multiplier bootstrap of simultaneous bands."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

Z95 = float(stats.norm.ppf(0.975))


def cluster_ols(
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


def wald_p_value(theta: np.ndarray, cov: np.ndarray) -> float:
    """p-value of the joint test that every ``theta`` is 0: ``θ' V⁺ θ ~ χ²(rank V)``.

    NaN when the covariance has rank 0.

    >>> round(wald_p_value(np.array([1.96]), np.array([[1.0]])), 3)
    0.05
    """
    rank = np.linalg.matrix_rank(cov)
    if rank == 0:
        return np.nan
    wald = float(theta @ np.linalg.pinv(cov) @ theta)
    return float(stats.chi2.sf(wald, df=rank))


# ----------------------------------------------------------------- influence-function inference


@dataclass(frozen=True)
class Clusters:
    """Cluster of each unit (row of an influence matrix), and how the intervals are formed.

    ``kind`` is "district" or "commune". District clusters take a t critical value with
    ``G − 1`` degrees of freedom (few clusters); commune clusters the normal one.
    """

    kind: str
    index: np.ndarray  # cluster number of each unit, 0 … n_clusters − 1
    n_clusters: int

    @classmethod
    def of(cls, kind: str, labels: np.ndarray) -> Clusters:
        """Clusters from one label per unit."""
        _, index = np.unique(labels, return_inverse=True)
        return cls(kind, index, int(index.max()) + 1 if len(index) else 0)

    @property
    def df(self) -> int | None:
        """Degrees of freedom of the t critical value (None: normal)."""
        return self.n_clusters - 1 if self.kind == "district" else None

    def critical(self, alpha: float = 0.05) -> float:
        """Two-sided critical value: t(G − 1) for district clusters, normal otherwise."""
        if self.df is None:
            return float(stats.norm.ppf(1 - alpha / 2))
        return float(stats.t.ppf(1 - alpha / 2, max(self.df, 1)))

    def sums(self, influence: np.ndarray) -> np.ndarray:
        """Influence functions summed by cluster (clusters × columns)."""
        psi = influence.reshape(len(influence), -1)
        out = np.zeros((self.n_clusters, psi.shape[1]))
        np.add.at(out, self.index, psi)
        return out

    def covariance(self, influence: np.ndarray) -> np.ndarray:
        """Cluster-robust covariance of the estimates whose influence functions (already
        divided by the number of units) are the columns: ``G/(G−1) Σ_c S_c S_c'``."""
        s = self.sums(influence)
        g = self.n_clusters
        return s.T @ s * g / max(g - 1, 1)

    def std_error(self, influence: np.ndarray) -> np.ndarray:
        """Standard error of each column."""
        return np.sqrt(np.diag(self.covariance(influence)))


def multiplier_weights(n_clusters: int, reps: int, seed: int) -> np.ndarray:
    """Bootstrap multipliers (reps × clusters), mean 0 and variance 1: Webb's six-point weights
    when there are at most 12 clusters (Rademacher has too few distinct draws then),
    Rademacher otherwise (as R's ``did``)."""
    rng = np.random.default_rng(seed)
    if n_clusters <= 12:
        points = np.sqrt(np.array([0.5, 1.0, 1.5]))
        return rng.choice(np.concatenate([-points, points]), size=(reps, n_clusters))
    return rng.choice(np.array([-1.0, 1.0]), size=(reps, n_clusters))


def sup_t_critical(
    influence: np.ndarray,
    clusters: Clusters,
    alpha: float = 0.05,
    reps: int = 999,
    seed: int = 0,
) -> float:
    """Critical value of simultaneous bands over the columns (R's ``did`` ``cband=TRUE``).

    Multiplier bootstrap at the cluster level: each draw is ``Σ_c v_c S_c``, scaled by each
    column's robust bootstrap spread (interquartile range, as R's ``mboot``); the critical
    value is the ``1 − alpha`` quantile of the largest absolute scaled draw, multiplied by
    ``critical / z`` so that with district clusters the band is never narrower than the
    pointwise t interval. NaN without a column of positive spread.
    """
    sums = clusters.sums(influence)
    draws = multiplier_weights(clusters.n_clusters, reps, seed) @ sums
    q25, q75 = np.quantile(draws, [0.25, 0.75], axis=0)
    spread = (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))
    ok = spread > 0
    if not ok.any():
        return np.nan
    top = np.max(np.abs(draws[:, ok]) / spread[ok], axis=1)
    z = float(stats.norm.ppf(1 - alpha / 2))
    return float(np.quantile(top, 1 - alpha)) * clusters.critical(alpha) / z


def small_sample_wald_p(theta: np.ndarray, cov: np.ndarray, clusters: Clusters) -> float:
    """p-value of the joint test that every ``theta`` is 0.

    Commune clusters: ``W ~ χ²(rank V)`` (as R's ``did``). District clusters: Hotelling's
    small-sample form ``W (G − q) / (q (G − 1)) ~ F(q, G − q)`` with ``q`` the number of
    tested estimates; NaN when ``G − q < 2`` (the cluster sums add up to about zero, so the
    covariance has rank at most ``G − 1`` and the test would have no power; the caller then
    tests with commune clusters).
    """
    if clusters.kind != "district":
        return wald_p_value(theta, cov)
    q, g = len(theta), clusters.n_clusters
    if q == 0 or g - q < 2:
        return np.nan
    wald = float(theta @ np.linalg.pinv(cov) @ theta)
    return float(stats.f.sf(wald * (g - q) / (q * (g - 1)), q, g - q))
