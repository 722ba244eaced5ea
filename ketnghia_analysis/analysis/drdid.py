"""One two-by-two difference in differences with covariates: Sant'Anna & Zhao (2020) doubly
robust estimator for panel data, as R's ``DRDID::drdid_panel`` (R's ``did`` default
``est_method="dr"``), with its influence function.

A logit propensity score of being in the treated cohort given the covariates, and a linear
regression of the change in the outcome on the covariates among the controls; the estimate is
consistent if either model is right. With an intercept only it is the difference of the mean
changes (``did._cell`` takes that short path).
"""

from __future__ import annotations

import numpy as np

TRIM_LEVEL = 0.995  # controls with a propensity score above this are left out (as DRDID)


def logit_fit(x: np.ndarray, d: np.ndarray, max_iter: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Logistic regression of ``d`` on ``x`` by Newton–Raphson: fitted probabilities and the
    inverse information ``(X' W X)⁻¹`` (``vcov`` of R's ``glm``).

    >>> p, _ = logit_fit(np.ones((4, 1)), np.array([1.0, 0.0, 0.0, 0.0]))
    >>> [round(float(v), 6) for v in p]
    [0.25, 0.25, 0.25, 0.25]
    """
    beta = np.zeros(x.shape[1])
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ beta, -30, 30)))
        info = x.T @ (x * (p * (1 - p))[:, None])
        step = np.linalg.pinv(info) @ (x.T @ (d - p))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    p = 1.0 / (1.0 + np.exp(-np.clip(x @ beta, -30, 30)))
    info = x.T @ (x * (p * (1 - p))[:, None])
    return p, np.linalg.pinv(info)


def dr_att(dy: np.ndarray, d: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray]:
    """ATT and influence function (per unit of the two-by-two, not divided by its size) of
    the doubly robust DiD of Sant'Anna & Zhao (2020), panel data.

    Parameters
    ----------
    dy
        Change in the outcome from the base year to the year of the cell, one per commune.
    d
        1 for the treated cohort, 0 for the controls.
    x
        Covariates with a leading column of ones (communes × k).
    """
    n = len(dy)
    ps, vcov_ps = logit_fit(x, d)
    ps = np.minimum(ps, 1 - 1e-6)
    trim = np.where(d == 1, ps < 1.01, ps < TRIM_LEVEL)
    w_treat = trim * d
    w_cont = trim * ps * (1 - d) / (1 - ps)
    # outcome regression on the controls
    w_ols = 1 - d
    xtx = (w_ols[:, None] * x).T @ x
    beta = np.linalg.pinv(xtx) @ ((w_ols[:, None] * x).T @ dy)
    resid = dy - x @ beta
    att_treat = w_treat * resid
    att_cont = w_cont * resid
    eta_treat = att_treat.mean() / w_treat.mean()
    eta_cont = att_cont.mean() / w_cont.mean()
    # estimation effects of the two working models
    lin_ols = (w_ols * resid)[:, None] * x @ np.linalg.pinv(xtx / n)
    lin_ps = ((d - ps)[:, None] * x) @ (vcov_ps * n)
    inf_treat = (att_treat - w_treat * eta_treat - lin_ols @ (w_treat[:, None] * x).mean(0)) / (
        w_treat.mean()
    )
    m2 = (w_cont * (resid - eta_cont))[:, None] * x
    inf_cont = (
        att_cont - w_cont * eta_cont + lin_ps @ m2.mean(0) - lin_ols @ (w_cont[:, None] * x).mean(0)
    ) / w_cont.mean()
    return float(eta_treat - eta_cont), inf_treat - inf_cont
