"""The 2022 poverty standard on hand-made panels (issue #16): which chain keeps the
difference in differences exact when the new standard adds one jump, and when it multiplies
every rate by one factor; and the fit of the measured jumps that tells the two apart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ketnghia_analysis.analysis.indicators.jump import jump_model, measured_jumps
from ketnghia_analysis.analysis.indicators.panels import unit_jumps, unit_outcome_panel

HOUSEHOLDS = 100_000  # large: rounding to whole households is negligible
YEARS = range(2019, 2025)
LEVELS = np.linspace(0.08, 0.40, 12)  # 2019 rates; the last six (poorest) are twinned
DELTA = -0.03  # planted effect, old-standard points
TREND = -0.02  # common yearly change, old-standard points
JUMP, FACTOR = 0.08, 1.3


def _old_rate(level: float, year: int, twinned_from: int | None) -> float:
    """Old-standard rate at the end of ``year``: parallel trends plus the effect."""
    effect = DELTA if twinned_from is not None and year >= twinned_from else 0.0
    return level + TREND * (year - 2019) + effect


def _tables(world: str, twinned_from: int) -> dict[str, pd.DataFrame]:
    """The poverty table of a province whose new standard (from 2022) adds ``JUMP`` to
    every rate (``world="additive"``) or multiplies it by ``FACTOR`` ("proportional")."""

    def new(rate: float) -> float:
        return rate + JUMP if world == "additive" else rate * FACTOR

    rows = []
    for k, level in enumerate(LEVELS):
        g = twinned_from if k >= 6 else None
        for year in YEARS:
            end = _old_rate(level, year, g)
            start = _old_rate(level, year - 1, g)
            if year >= 2022:
                end = new(end)
            if year >= 2023:
                start = new(start)
            if year == 2022:  # the break: last year's old-standard rate, under the new one
                start = new(start)
            rows.append(
                {
                    "year": year,
                    "commune_code": f"C{k:02d}",
                    "households_total": HOUSEHOLDS,
                    "poor_start": round(start * HOUSEHOLDS),
                    "poor_end": round(end * HOUSEHOLDS),
                }
            )
    return {"poverty": pd.DataFrame(rows)}


def _did(tables: dict[str, pd.DataFrame], chain: str, base: int, year: int) -> float:
    """Twinned minus other communes' change of the chained rate from ``base`` to ``year``."""
    panel = unit_outcome_panel(tables, "poverty_rate_end", chain=chain)
    wide = panel.pivot(index="commune_code", columns="year", values="y")
    change = wide[year] - wide[base]
    twinned = np.arange(len(wide)) >= 6
    return float(change[twinned].mean() - change[~twinned].mean())


def test_the_jump_fit_tells_an_added_jump_from_a_proportional_one():
    additive = jump_model(unit_jumps(_tables("additive", 2021)))
    assert additive.kind == "common"
    assert additive.intercept == pytest.approx(JUMP, abs=1e-4)
    assert additive.slope == pytest.approx(0.0, abs=1e-3)
    proportional = jump_model(unit_jumps(_tables("proportional", 2021)))
    assert proportional.kind == "proportional"
    assert proportional.slope == pytest.approx(FACTOR - 1, abs=1e-3)
    assert "tỷ lệ với mức nghèo" in proportional.sentence()
    assert "cộng chung" in additive.sentence()


def test_an_added_jump_leaves_the_shift_chain_exact_and_bends_the_ratio_chain():
    tables = _tables("additive", 2021)  # paired before the break, measured after it
    assert _did(tables, "shift", 2020, 2024) == pytest.approx(DELTA, abs=1e-4)
    assert _did(tables, "", 2020, 2024) == pytest.approx(DELTA, abs=1e-4)  # common jump
    # the ratio rescales the later declines of poorer communes less: trends part
    assert abs(_did(tables, "ratio", 2020, 2024) - DELTA) > 0.005
    # and no placebo difference before pairing, on either side of the break, when shifted
    late = _tables("additive", 2024)
    assert _did(late, "shift", 2020, 2023) == pytest.approx(0.0, abs=1e-4)
    assert abs(_did(late, "ratio", 2020, 2023)) > 0.005


def test_a_proportional_jump_keeps_both_chains_parallel_and_the_raw_rates_not():
    early = _tables("proportional", 2021)
    # paired before the break: both chains give the old-standard effect
    assert _did(early, "shift", 2020, 2024) == pytest.approx(DELTA, abs=1e-4)
    assert _did(early, "ratio", 2020, 2024) == pytest.approx(DELTA, abs=1e-4)
    assert abs(_did(early, "", 2020, 2024) - DELTA) > 0.01  # the jump grows with the level
    # paired after the break: the shift chain measures it in new-standard points
    late = _tables("proportional", 2023)
    assert _did(late, "shift", 2022, 2024) == pytest.approx(FACTOR * DELTA, abs=1e-4)
    assert _did(late, "ratio", 2022, 2024) == pytest.approx(DELTA, abs=1e-4)
    # placebo across the break (before pairing): parallel in both chains
    assert _did(late, "shift", 2020, 2022) == pytest.approx(0.0, abs=1e-4)
    assert _did(late, "ratio", 2020, 2022) == pytest.approx(0.0, abs=1e-4)


def test_measured_jumps_need_both_counts():
    counts = pd.DataFrame(
        {
            "commune_code": ["A", "A", "B"],
            "year": [2021, 2022, 2021],
            "households_total": [100, 100, 100],
            "poor_start": [np.nan, 30, np.nan],
            "poor_end": [20, 25, 10],
        }
    )
    jumps = measured_jumps(counts).set_index("commune_code")
    assert jumps.loc["A", "level"] == pytest.approx(0.2)
    assert jumps.loc["A", "jump"] == pytest.approx(0.1)
    assert "B" not in jumps.index
    assert jump_model(jumps.reset_index()).kind == "unknown"  # too few communes
