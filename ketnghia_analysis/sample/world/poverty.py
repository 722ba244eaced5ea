"""Simulated poverty rows: rates on parallel group trends plus the planted effect, and flows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ketnghia_analysis.reference.standards import break_year
from ketnghia_analysis.sample.world.calibration import (
    FIRST_YEAR,
    MOUNTAIN_JUMP,
    MOUNTAIN_NOISE_SD,
    MOUNTAIN_OFFSET,
    SIM_YEARS,
    TARGET_END_RATE,
    TARGET_START_2022,
)
from ketnghia_analysis.sample.world.communes import Units, households, merged_into
from ketnghia_analysis.sample.world.threats import (
    NONE,
    OLD_STANDARD_DECLINE,
    RateThreats,
    Threats,
    planted_effect,
    rate_threats,
)

Households = dict[int, dict[str, int]]


@dataclass(frozen=True)
class RateModel:
    """The poverty rate of every commune and year, with and without the planted effect."""

    alpha: dict[str, float]
    alpha_merged: dict[str, float]
    mountain: dict[str, bool]
    klass: dict[str, str]
    plains_offset: dict
    first: dict[str, int]
    effect: float
    noise: dict[str, np.ndarray]
    jump_noise: dict[str, float]
    flows_u: dict[str, np.ndarray]
    near_u: dict[str, np.ndarray]
    threats: Threats = NONE
    drawn: RateThreats = RateThreats({}, {}, {})
    district: dict[str, str] | None = None

    def level(self, code: str, year: int) -> float:
        """Expected rate: the commune's level plus its group's offset of the year (plus its
        own trend under ``selection_on_trends``)."""
        a = self.alpha[code] if year <= 2019 else self.alpha_merged[code]
        if self.mountain[code]:
            lev = a + MOUNTAIN_OFFSET[year]
            if self.drawn.trend:
                lev += self.drawn.trend[code] * (year - 2019)
            return lev
        return a + self.plains_offset[year]

    def multiplier(self, code: str, year: int) -> float | None:
        """The commune's new-standard factor from ``break_year()`` on (proportional jump)."""
        if year < break_year() or not self.mountain[code]:
            return None
        return self.drawn.multiplier.get(code)

    def rate(self, code: str, year: int, treated_effect: bool = True) -> float:
        """Rate at the end of ``year`` (the start of 2019 is ``year`` 2018)."""
        lev = self.level(code, year)
        factor = self.multiplier(code, year)
        if factor is not None:  # the old standard's level, scaled below
            before = break_year() - 1
            lev -= MOUNTAIN_OFFSET[year] - MOUNTAIN_OFFSET[before]
            lev -= OLD_STANDARD_DECLINE * (year - before)
        # Symmetric, truncated noise: smaller where the level is low, so rates stay positive
        # without clipping (clipping would bend the parallel trends).
        if self.mountain[code]:
            sd = MOUNTAIN_NOISE_SD * min(1.0, max(lev, 0.01) / 0.05)
        else:
            sd = 0.08 * max(self.alpha[code], 0.005)
        d = self.first.get(code, 9999) <= year
        r = lev + sd * self.noise[code][year - 2018]
        if treated_effect and d:
            r += planted_effect(self.effect, self.threats, self.first[code], year)
        if self.drawn.shock and self.mountain[code] and self.district is not None:
            r += self.drawn.shock[(self.district[code], year)]
        if factor is not None:
            r *= factor
        if self.mountain[code]:
            return float(np.clip(r, 0.005, 0.95))
        return float(np.clip(r, 0.002, 0.058))


def rate_model(
    f: pd.DataFrame,
    hh: Households,
    first: dict[str, int],
    effect: float,
    rng: np.random.Generator,
    threats: Threats = NONE,
    threat_rng: np.random.Generator | None = None,
) -> RateModel:
    """Levels, group offsets and the random draws (noise, flows, near-poor) of every commune;
    the threats' draws come from ``threat_rng`` (the default world draws nothing more)."""
    attr = f.set_index("commune_code")
    codes = list(f["commune_code"])
    alpha = attr["alpha"].to_dict()
    hh2019 = attr["hh2019"].to_dict()
    # Merged units carry the households-weighted level of their parts from 2020 on.
    alpha_merged = dict(alpha)
    for old, new in merged_into(f).items():
        w_old, w_new = hh2019[old], hh2019[new]
        alpha_merged[new] = (alpha[old] * w_old + alpha[new] * w_new) / (w_old + w_new)
    plains_off = _plains_offsets(f, hh, first, effect, alpha, alpha_merged, threats)
    drawn = RateThreats({}, {}, {})
    if threats.active():
        drawn = rate_threats(f, threats, threat_rng or np.random.default_rng(0))
    return RateModel(
        alpha=alpha,
        alpha_merged=alpha_merged,
        mountain=attr["group"].eq("mountain").to_dict(),
        klass=attr["klass"].to_dict(),
        plains_offset=plains_off,
        first=first,
        effect=effect,
        noise={c: rng.normal(0, 1, len(SIM_YEARS) + 1).clip(-2.0, 2.0) for c in codes},
        jump_noise={c: float(np.clip(rng.normal(0, 0.004), -0.01, 0.01)) for c in codes},
        flows_u={c: rng.random((len(SIM_YEARS), 4)) for c in codes},
        near_u={c: rng.random(len(SIM_YEARS)) for c in codes},
        threats=threats,
        drawn=drawn,
        district=attr["district_code"].astype(str).to_dict(),
    )


def poverty(
    f: pd.DataFrame,
    units: Units,
    pairs: pd.DataFrame,
    effect: float,
    rng: np.random.Generator,
    threats: Threats = NONE,
    threat_rng: np.random.Generator | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Poverty rows (processed form) and the counterfactual rates (with ``effect``, the
    planted effect on the rate as measured, unrounded)."""
    hh = households(f, units)
    first = pairs.groupby("commune_code")["pair_start_year"].min().to_dict()
    model = rate_model(f, hh, first, effect, rng, threats, threat_rng)
    merged = merged_into(f)
    rows, cf_rows = [], []
    prev_end: dict[str, int] = {}
    for yi, y in enumerate(SIM_YEARS):
        u = units[y]
        present = set(u["commune_code"])
        this_end = {}
        for code, name, dcode in zip(
            u["commune_code"], u["commune_name"], u["district_code"], strict=True
        ):
            h = hh[y][code]
            end = int(round(model.rate(code, y) * h))
            if y == FIRST_YEAR:
                start = int(round(model.rate(code, 2018) * h))
            elif y == break_year():
                start = _break_start(model, code, prev_end[code] / hh[y - 1][code], h)
            else:
                start = prev_end[code] + sum(
                    prev_end.get(o, 0) for o, n in merged.items() if n == code and o not in present
                )
            rows.append(
                {
                    "year": y,
                    "district_code": str(dcode),
                    "commune_code": str(code),
                    "commune_name": name,
                    **_counts(model, code, y, yi, h, start, end),
                }
            )
            cf_rows.append(
                {
                    "year": y,
                    "commune_code": str(code),
                    "rate": end / h,
                    "rate_counterfactual": model.rate(code, y, treated_effect=False),
                    "treated": first.get(code, 9999) <= y,
                    **_effects(model, code, y),
                }
            )
            this_end[code] = end
        prev_end = this_end
    pov = pd.DataFrame(rows)
    pov["poverty_rate_end"] = pov["poor_end"] / pov["households_total"]
    pov["poverty_standard"] = np.where(pov["year"] <= 2021, "2016-2020", "2022-2025")
    return pov, pd.DataFrame(cf_rows)


def _effects(model: RateModel, code: str, y: int) -> dict[str, float]:
    """The planted effect on the rate as measured (unrounded) and in old-standard terms."""
    effect = model.rate(code, y) - model.rate(code, y, treated_effect=False)
    factor = model.multiplier(code, y)
    return {"effect": effect, "effect_old": effect / factor if factor else effect}


def _break_start(model: RateModel, code: str, prev_rate: float, h: int) -> int:
    """Poor households at the start of the break year: last year's rate under the new
    standard (one jump per group, or the commune's own factor under ``proportional_jump``)."""
    factor = model.multiplier(code, break_year())
    if factor is not None:
        return int(round(max(prev_rate * factor, 0.0) * h))
    jump = MOUNTAIN_JUMP if model.mountain[code] else model.plains_offset["jump"]
    return int(round(max(prev_rate + jump + model.jump_noise[code], 0.0) * h))


def _counts(
    model: RateModel, code: str, y: int, yi: int, h: int, start: int, end: int
) -> dict[str, int]:
    """Households, the poverty flows of the year, near-poor and ethnic-minority poor."""
    fu = model.flows_u[code][yi]
    if model.mountain[code]:
        relapse = int(round(start * (0.005 + 0.02 * fu[0])))
        new = int(round(start * (0.03 + 0.07 * fu[1])))
    else:
        relapse = int(round(start * 0.02 * fu[0]))
        new = int(round(start * (0.02 + 0.10 * fu[1])))
    exits = start + relapse + new - end
    min_exit = int(round(start * (0.02 + 0.03 * fu[2])))
    if exits < min_exit:
        new += min_exit - exits
        exits = min_exit
    klass = model.klass[code]
    if klass in ("kv3", "kv12"):
        em = int(round(end * (0.93 + 0.07 * fu[3])))
    elif klass == "mtn":
        em = int(round(end * (0.2 + 0.5 * fu[3])))
    else:
        em = int(round(end * 0.03 * fu[3])) if fu[3] < 0.3 else 0
    nu = model.near_u[code][yi]
    near_rate = (0.06 + 0.09 * nu) if model.mountain[code] else (0.015 + 0.035 * nu)
    if y >= break_year():
        near_rate *= 1.3
    return {
        "households_total": h,
        "poor_start": start,
        "poverty_exits": exits,
        "poverty_relapses": relapse,
        "poverty_new": new,
        "poor_end": end,
        "near_poor_end": int(round(h * near_rate)),
        "poor_ethnic_minority_end": em,
    }


def _plains_offsets(
    f: pd.DataFrame,
    hh: Households,
    first: dict[str, int],
    effect: float,
    alpha: dict[str, float],
    alpha_merged: dict[str, float],
    threats: Threats = NONE,
) -> dict:
    """Plains offsets (and jump) that make the province match the target rates on average."""
    mountain = dict(zip(f["commune_code"], f["group"].eq("mountain"), strict=True))
    out: dict = {}

    def sums(year: int, offset_year: int, start_jump: float = 0.0) -> tuple[float, float, float]:
        mp, ph, pa = 0.0, 0.0, 0.0
        for code, h in hh[year].items():
            a = alpha[code] if offset_year <= 2019 else alpha_merged[code]
            if mountain[code]:
                d = first.get(code, 9999) <= offset_year
                e = planted_effect(effect, threats, first[code], offset_year) if d else 0.0
                r = a + MOUNTAIN_OFFSET[offset_year] + start_jump + e
                mp += max(r, 0.005) * h
            else:
                ph += h
                pa += a * h
        return mp, ph, pa

    for y in SIM_YEARS:
        total = sum(hh[y].values())
        mp, ph, pa = sums(y, y)
        out[y] = (TARGET_END_RATE[y] * total - mp - pa) / ph
    out[2018] = out[2019] + 0.004
    total = sum(hh[break_year()].values())
    mp, ph, pa = sums(break_year(), 2021, MOUNTAIN_JUMP)
    out["jump"] = (TARGET_START_2022 * total - mp - pa) / ph - out[2021]
    return out
