"""Threats to the evaluation that the sample can plant (issue #16); all off by default.

Each option of ``ketnghia sample`` changes the simulated world in one documented way:

* ``lose_support`` (fraction): every support row (and model row) of that fraction of the
  twinned communes is lost. Half of them (alternately, in code order) are *quarantined*
  (the build rejects the rows: they are in quarantine, not in support), the others are
  *not sent* (no trace in any table). Nothing else changes: the commune is still twinned.
* ``late_start``: in about a third of the twinned communes first paired within the
  returns' years, every support row writes ``pair_start_year`` one year late.
* ``proportional_jump``: the 2022–2025 standard multiplies each mountain commune's rate by
  its own factor (``PROPORTIONAL_JUMP`` ± 3 %), instead of adding one common jump. The
  2022 ``poor_start`` against the 2021 ``poor_end`` measures that factor. In old-standard
  terms the mountain rates then fall by ``OLD_STANDARD_DECLINE`` a year after 2021, the same
  for every commune (parallel; small, so that no rate meets its floor and bends the trends);
  the effect is added in those terms, before the factor.
* ``growing_effects``: the effect grows with the years since pairing (``EFFECT_GROWTH``)
  and differs by cohort (``COHORT_SCALE``).
* ``selection_on_trends``: poorer mountain communes improve faster, twinned or not:
  ``−TREND_SLOPE × (alpha − mean alpha)`` a year from 2019.
* ``district_shocks``: one shock per district and year (sd ``DISTRICT_SHOCK_SD``) on the
  rates of every mountain commune of the district.

The draws of a threat come from its own random stream, so the default world is unchanged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

PROPORTIONAL_JUMP = 1.3  # new-standard rate / old-standard rate in mountain communes
PROPORTIONAL_JUMP_SD = 0.03
OLD_STANDARD_DECLINE = 0.004  # a year after 2021, old-standard terms (proportional jump)
TREND_SLOPE = 0.06  # a commune 10 points poorer falls 0.6 points a year faster
DISTRICT_SHOCK_SD = 0.01
COHORT_SCALE = {2020: 1.4, 2021: 1.2, 2022: 0.9, 2023: 0.7}  # other cohorts: 1.0
LATE_SHARE = 1 / 3


def effect_growth(years_since: int) -> float:
    """Share of the planted effect ``years_since`` years after pairing (growing effects).

    >>> [effect_growth(e) for e in range(6)]
    [0.5, 0.75, 1.0, 1.25, 1.5, 1.5]
    """
    return min(0.5 + 0.25 * years_since, 1.5)


@dataclass(frozen=True)
class Threats:
    """Which threats a world plants (every field off by default)."""

    lose_support: float = 0.0
    late_start: bool = False
    proportional_jump: bool = False
    growing_effects: bool = False
    selection_on_trends: bool = False
    district_shocks: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.lose_support <= 1.0:
            raise ValueError(
                f"--lose-support phải nằm trong [0, 1], không phải {self.lose_support} "
                "/ the fraction of twinned communes must be within 0-1"
            )

    def active(self) -> list[str]:
        """Names of the threats planted, in declaration order."""
        return [name for name, value in asdict(self).items() if value]

    def as_dict(self) -> dict:
        return asdict(self)


NONE = Threats()


def planted_effect(effect: float, threats: Threats, first: int, year: int) -> float:
    """The effect on the rate of a commune first paired in ``first``, in ``year`` (old standard).

    >>> planted_effect(-0.03, Threats(), 2020, 2023)
    -0.03
    >>> round(planted_effect(-0.04, Threats(growing_effects=True), 2020, 2020), 4)
    -0.028
    """
    if not threats.growing_effects:
        return effect
    return effect * effect_growth(year - first) * COHORT_SCALE.get(first, 1.0)


@dataclass(frozen=True)
class RateThreats:
    """The draws of the rate threats: jump factors, trend slopes and district shocks."""

    multiplier: dict[str, float]  # commune -> new-standard factor (proportional jump)
    trend: dict[str, float]  # commune -> yearly change added from 2019 (selection)
    shock: dict[tuple[str, int], float]  # (district, year) -> shock


def rate_threats(f: pd.DataFrame, threats: Threats, rng: np.random.Generator) -> RateThreats:
    """Draw the commune factors, trends and district-year shocks the threats need."""
    codes = list(f["commune_code"])
    mountain = f["group"].eq("mountain").to_numpy()
    multiplier: dict[str, float] = {}
    if threats.proportional_jump:
        draws = PROPORTIONAL_JUMP * np.exp(rng.normal(0, PROPORTIONAL_JUMP_SD, len(codes)))
        multiplier = {c: float(m) for c, m in zip(codes, draws, strict=True)}
    trend: dict[str, float] = {}
    if threats.selection_on_trends:
        mean_alpha = float(f.loc[mountain, "alpha"].mean())
        trend = {
            c: -TREND_SLOPE * (float(a) - mean_alpha)
            for c, a, m in zip(codes, f["alpha"], mountain, strict=True)
            if m
        }
    shock: dict[tuple[str, int], float] = {}
    if threats.district_shocks:
        for dcode in sorted(set(f["district_code"])):
            for year in range(2018, 2025):
                shock[(str(dcode), year)] = float(rng.normal(0, DISTRICT_SHOCK_SD))
    return RateThreats(multiplier, trend, shock)


def lose_support(
    support: pd.DataFrame,
    models: pd.DataFrame,
    pairs: pd.DataFrame,
    fraction: float,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Drop every support and model row of ``fraction`` of the twinned communes.

    Returns the support and model rows left and the lost rows (the support table's columns
    plus ``mode``: ``quarantined`` or ``not_sent``, alternating in commune-code order).
    """
    twinned = sorted(set(pairs["commune_code"]))
    n_lost = int(round(fraction * len(twinned)))
    if n_lost == 0:
        return support, models, support.iloc[0:0].assign(mode=pd.Series(dtype=object))
    chosen = sorted(str(c) for c in rng.choice(twinned, size=n_lost, replace=False))
    mode = {c: ("quarantined" if i % 2 == 0 else "not_sent") for i, c in enumerate(chosen)}
    gone = support["commune_code"].isin(mode)
    lost = support[gone].copy()
    lost["mode"] = lost["commune_code"].map(mode)
    kept_models = models[~models["commune_code"].isin(mode)].reset_index(drop=True)
    return support[~gone].reset_index(drop=True), kept_models, lost.reset_index(drop=True)


def late_start(
    support: pd.DataFrame, pairs: pd.DataFrame, first_year: int, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write ``pair_start_year`` one year late in every row of a third of the communes first
    paired from ``first_year`` on; returns the support rows and the communes made late
    (commune_code, pair_start_year, written)."""
    first = pairs.groupby("commune_code")["pair_start_year"].min()
    eligible = sorted(str(c) for c, g in first.items() if g >= first_year)
    n_late = int(round(LATE_SHARE * len(eligible)))
    chosen = set(rng.choice(eligible, size=n_late, replace=False).tolist()) if n_late else set()
    out = support.copy()
    late = out["commune_code"].isin(chosen)
    out.loc[late, "pair_start_year"] = out.loc[late, "pair_start_year"] + 1
    record = pd.DataFrame(
        {
            "commune_code": sorted(chosen),
            "first_pair_year": [int(first[c]) for c in sorted(chosen)],
            "written": [int(first[c]) + 1 for c in sorted(chosen)],
        }
    )
    return out, record
