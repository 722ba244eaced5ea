"""The 2022 poverty-standard jump each unit's returns measure, and which model of it the data
support: one common addition, or a jump in proportion to the unit's level.

The returns give both sides of the break at the same moment: ``poor_end`` of the year before
the break (old standard) and ``poor_start`` of the break year (new standard). A unit's
measured jump is ``j = poor_start(B) / households(B) − poor_end(B−1) / households(B−1)``.

Two ways to carry a rate across the break (``panels.unit_outcome_panel``):

- the **shift chain** subtracts each unit's own ``j`` from its rates from ``B`` on. Exact
  when the new standard adds a jump (common or not: each unit's own is removed); when it
  multiplies the rate by a common factor ``f``, the changes after the break are ``f`` times
  the old-standard changes for every unit alike, so trends stay parallel (in new-standard
  points from the break on);
- the **ratio chain** multiplies each unit's rates from ``B`` on by ``poor_end(B−1) /
  poor_start(B)``. Exact under a proportional jump (old-standard terms); under an additive
  jump the factor depends on the unit's level, so later changes of poorer and richer units
  are rescaled unequally and the trends of twinned (poorer) and comparison units part.

The shift chain is robust in both worlds and is the headline; the fit of ``j`` on the level
(:func:`jump_model`) says which world the data look like.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ketnghia_analysis.reference.standards import break_year

#: A slope (or intercept) is taken as present when its t statistic exceeds this.
T_PRESENT = 2.0


def measured_jumps(counts: pd.DataFrame) -> pd.DataFrame:
    """Per unit: ``level`` (poor_end / households of the year before the break) and ``jump``
    (poor_start / households of the break year minus ``level``); NaN where a count is
    missing or households are 0.

    ``counts``: commune_code, year, poor_start, poor_end, households_total.
    """
    b = break_year()
    before = counts[counts["year"] == b - 1].set_index("commune_code")
    after = counts[counts["year"] == b].set_index("commune_code")
    codes = before.index.intersection(after.index)
    hh_before = before.loc[codes, "households_total"].astype(float).replace(0, np.nan)
    hh_after = after.loc[codes, "households_total"].astype(float).replace(0, np.nan)
    level = before.loc[codes, "poor_end"].astype(float) / hh_before
    start = after.loc[codes, "poor_start"].astype(float) / hh_after
    out = pd.DataFrame({"level": level, "jump": start - level})
    out.index.name = "commune_code"
    return out.reset_index()


@dataclass(frozen=True)
class JumpModel:
    """The fit ``jump = intercept + slope × level`` across units, and what it says."""

    intercept: float
    slope: float
    intercept_se: float
    slope_se: float
    n: int
    kind: str  # "common", "proportional", "mixed" or "unknown" (too few units)

    def sentence(self) -> str:
        """The fit in words, for the note of the headline (Vietnamese)."""
        if self.kind == "unknown":
            return "Không đủ xã có cả hai số đo quanh năm đổi chuẩn để ước lượng cú nhảy."
        text = (
            f"Cú nhảy đo được ở {self.n} xã (hộ nghèo đầu năm {break_year()} theo chuẩn mới "
            f"trừ cuối năm {break_year() - 1} theo chuẩn cũ, trên tổng số hộ): "
            f"{_pts(self.intercept)} điểm % + {_num(self.slope)} × tỷ lệ năm {break_year() - 1}"
        )
        return text + f" ({KIND_VI[self.kind]})."


KIND_VI = {
    "common": "một mức cộng chung, không phụ thuộc mức nghèo của xã",
    "proportional": "tỷ lệ với mức nghèo của xã",
    "mixed": "vừa cộng chung vừa tỷ lệ với mức nghèo",
}


def _pts(value: float) -> str:
    return f"{100 * value:.1f}".replace(".", ",")


def _num(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def jump_model(jumps: pd.DataFrame) -> JumpModel:
    """OLS of ``jump`` on ``level`` (:func:`measured_jumps`) with heteroskedasticity-robust
    (HC1) standard errors. ``kind``: "common" when the slope is not distinguishable from 0,
    "proportional" when the slope is and the intercept is not, "mixed" when both are;
    "unknown" with fewer than 5 units.

    >>> lv = np.linspace(0.05, 0.4, 20)
    >>> jump_model(pd.DataFrame({"level": lv, "jump": 0.3 * lv + 1e-4 * np.sin(40 * lv)})).kind
    'proportional'
    >>> jump_model(pd.DataFrame({"level": lv, "jump": 0.08 + 1e-3 * np.sin(40 * lv)})).kind
    'common'
    """
    ok = jumps.dropna(subset=["level", "jump"])
    n = len(ok)
    if n < 5 or ok["level"].nunique() < 2:
        return JumpModel(np.nan, np.nan, np.nan, np.nan, n, "unknown")
    x = np.column_stack([np.ones(n), ok["level"].to_numpy(float)])
    y = ok["jump"].to_numpy(float)
    xtx_inv = np.linalg.inv(x.T @ x)
    beta = xtx_inv @ x.T @ y
    resid = y - x @ beta
    meat = (x * resid[:, None]).T @ (x * resid[:, None])
    cov = xtx_inv @ meat @ xtx_inv * n / max(n - 2, 1)
    se = np.sqrt(np.maximum(np.diag(cov), 1e-30))
    crit = max(T_PRESENT, float(stats.t.ppf(0.975, max(n - 2, 1))))
    slope_on = abs(beta[1]) > crit * se[1]
    intercept_on = abs(beta[0]) > crit * se[0]
    kind = "common" if not slope_on else ("mixed" if intercept_on else "proportional")
    return JumpModel(float(beta[0]), float(beta[1]), float(se[0]), float(se[1]), n, kind)
