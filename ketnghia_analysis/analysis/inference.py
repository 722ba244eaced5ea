"""Commune-clustered inference shared by the estimators: OLS with CR1 variance, Wald tests."""

from __future__ import annotations

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
