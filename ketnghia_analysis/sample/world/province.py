"""Simulate the province: who is twinned, and the poverty, NTM, support and model tables.

`simulate` returns the *world* in processed form (the tables of
../shared/spec/tables.md without provenance). It is the ground truth that
`forms` write into messy workbooks and that the estimator tests check
against. Everything here is SYNTHETIC (dữ liệu tổng hợp), calibrated to the
published figures of ../shared/domain.md, never real returns.

Model (one commune i, year t; rates are fractions)
--------------------------------------------------
    rate_it = alpha_i + offset_{g,t} + effect * D_it + noise_it

* ``g`` is the comparison group: "mountain" (mountain districts or a commune
  of the ethnic-minority area list) or "plains". Counterfactual trends are
  parallel *within* each group (additive group-year offsets), so a staggered
  difference-in-differences within the mountain group recovers ``effect``.
* ``D_it`` = 1 from the first pairing year of the commune on.
* The 2022-2025 standard (first applied in the end-2021 review) adds a
  group-level jump to the 2022 start count: about x1.2-1.4 in mountain communes.
* Plains offsets are solved so that the province totals match the published
  rates of 2019, 2021 (new standard, = 2022 start), 2022 and 2023.
* Selection: the poorest mountain communes are paired first (some before
  2019), many mountain communes never.
* NTM: a latent capacity grows each year (+ ``ntm_effect`` after pairing);
  criterion c is met when capacity exceeds the commune's difficulty of c;
  criteria 10, 11, 13, 17 are the hardest; the 2021-2025 set (from 2022) is
  stricter, most of all on criteria 3, 11, 12, 13 (a dip).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ketnghia_analysis.reference import gazetteer
from ketnghia_analysis.sample.world.calibration import (
    FIRST_YEAR,
    LAST_YEAR,
    MOUNTAIN_JUMP,
    MOUNTAIN_NOISE_SD,
)
from ketnghia_analysis.sample.world.communes import commune_frame, units_by_year
from ketnghia_analysis.sample.world.ntm import ntm
from ketnghia_analysis.sample.world.official import official_flows
from ketnghia_analysis.sample.world.pairs import twin_pairs
from ketnghia_analysis.sample.world.poverty import poverty
from ketnghia_analysis.sample.world.schemas import conform
from ketnghia_analysis.sample.world.support import models_and_support
from ketnghia_analysis.sample.world.threats import NONE, Threats, late_start, lose_support


def check_years(years: Iterable[int]) -> list[int]:
    """The requested years as a sorted list, or ValueError outside 2019-2024.

    >>> check_years(range(2019, 2022))
    [2019, 2020, 2021]
    """
    out = sorted({int(y) for y in years})
    if not out:
        raise ValueError("không có năm nào / no years given")
    if out[0] < FIRST_YEAR or out[-1] > LAST_YEAR:
        raise ValueError(
            f"năm ngoài khoảng {FIRST_YEAR}-{LAST_YEAR} (cấp huyện bỏ từ 1/7/2025): {out} "
            "/ years outside the district-return period"
        )
    return out


def simulate(
    seed: int = 2024,
    years: Iterable[int] = range(FIRST_YEAR, LAST_YEAR + 1),
    effect: float = -0.03,
    ntm_effect: float = 1.5,
    threats: Threats = NONE,
) -> dict[str, pd.DataFrame]:
    """Simulate the province and return its tables in processed form (no provenance).

    Parameters
    ----------
    seed
        Seed of the one random stream (split with ``SeedSequence`` per stage).
    years
        Years to return, within 2019-2024 (always simulated: a year's values do not depend
        on which years are asked for).
    effect
        Planted effect of twinning on the poverty rate (-0.03 = -3 points) from pairing on.
    ntm_effect
        Planted shift of the latent NTM capacity after pairing (about +1 to +2 criteria).
    threats
        Threats to plant (``world.threats``; none by default, their own stream).

    Returns
    -------
    dict
        ``poverty``, ``ntm_criteria``, ``ntm_status``, ``support``, ``models``, ``partners``
        (spec columns and dtypes), ``pairs`` (commune_code, partner_id, pair_start_year),
        ``communes`` (commune_code, group, klass, first_pair_year), ``official`` (forms A–D)
        and ``counterfactual`` (year, commune_code, rate, rate_counterfactual, treated, effect,
        effect_old); with threats, ``lost_support`` (rows lost, with ``mode``) and
        ``late_start`` (communes written one year late).
    """
    want = check_years(years)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(7)]
    units = units_by_year()
    f = commune_frame(units, streams[0])
    pair_rows = twin_pairs(f, units, streams[1])
    pov, cf = poverty(f, units, pair_rows, effect, streams[2], threats, streams[5])
    first = pair_rows.groupby("commune_code")["pair_start_year"].min()
    pov, official = official_flows(pov, f, first.to_dict(), seed)
    crit, status = ntm(f, units, pair_rows, ntm_effect, streams[3])
    models, support = models_and_support(units, pair_rows, streams[4])
    support, models, planted = _table_threats(
        support, models, pair_rows, threats, min(want), streams[6]
    )
    communes = f[["commune_code", "district_code", "commune_type", "group", "klass"]].copy()
    communes["first_pair_year"] = pd.array(communes["commune_code"].map(first), dtype="Int64")

    def pick(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["year"].isin(want)]

    registry = gazetteer.partners()
    out = {
        "poverty": conform(pick(pov), "poverty"),
        "ntm_criteria": conform(pick(crit), "ntm_criteria"),
        "ntm_status": conform(pick(status), "ntm_status"),
        "support": conform(pick(support), "support"),
        "models": conform(pick(models), "models"),
        "partners": registry[["partner_id", "partner_name", "partner_type", "aliases"]].copy(),
        "pairs": pair_rows,
        "communes": communes,
        "counterfactual": pick(cf).reset_index(drop=True),
        "official": pick(official).reset_index(drop=True),
        "ntm_counterfactual": pick(status)[
            ["year", "commune_code", "criteria_met", "criteria_met_counterfactual", "treated"]
        ].reset_index(drop=True),
    }
    out |= {name: pick(t) if "year" in t else t for name, t in planted.items()}
    out["params"] = pd.DataFrame(
        [
            {"name": "seed", "value": seed},
            {"name": "effect", "value": effect},
            {"name": "ntm_effect_latent", "value": ntm_effect},
            {"name": "mountain_jump", "value": MOUNTAIN_JUMP},
            {"name": "noise_sd", "value": MOUNTAIN_NOISE_SD},
        ]
    )
    return out


def _table_threats(
    support: pd.DataFrame,
    models: pd.DataFrame,
    pairs: pd.DataFrame,
    threats: Threats,
    first_year: int,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, pd.DataFrame]]:
    """Support and model rows after the threats on the returns' rows (lost rows, late start
    years), and the record of what was planted (``lost_support``, ``late_start``)."""
    planted: dict[str, pd.DataFrame] = {}
    if threats.lose_support:
        support, models, planted["lost_support"] = lose_support(
            support, models, pairs, threats.lose_support, rng
        )
    if threats.late_start:
        support, planted["late_start"] = late_start(support, pairs, first_year, rng)
    return support, models, planted
