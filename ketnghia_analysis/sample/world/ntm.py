"""Simulated NTM rows: 19 criteria per assessed xã and year from a growing latent capacity."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ketnghia_analysis.reference.standards import break_year
from ketnghia_analysis.sample.world.calibration import (
    CRITERION_DIFFICULTY,
    FIRST_YEAR,
    SIM_YEARS,
)
from ketnghia_analysis.sample.world.communes import Units

Level = tuple[str, int]  # (ntm_level, recognized_year)


def ntm(
    f: pd.DataFrame, units: Units, pairs: pd.DataFrame, ntm_effect: float, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """NTM criteria (19 per assessed xã and year) and status rows."""
    first = pairs.groupby("commune_code")["pair_start_year"].min().to_dict()
    attr = f.set_index("commune_code")
    cap0 = attr["ntm_cap"].to_dict()
    growth = attr["ntm_growth"].to_dict()
    codes = list(f["commune_code"])
    base = np.array([CRITERION_DIFFICULTY[c] for c in range(1, 20)])
    diff = {c: base + rng.normal(0, 1.5, 19) for c in codes}
    rec_u = {c: rng.random(len(SIM_YEARS) + 2) for c in codes}
    crit_rows, status_rows = [], []
    level: dict[str, Level] = {}
    for yi, y in enumerate(SIM_YEARS):
        u = units[y]
        for code, ctype, dcode in zip(
            u["commune_code"], u["commune_type"], u["district_code"], strict=True
        ):
            if ctype != "xã":
                continue
            cap = cap0[code] + growth[code] * (y - 2019)
            treated = first.get(code, 9999) <= y
            if treated:
                cap += ntm_effect
            d = _difficulty(diff[code], y)
            met = cap > d
            n_met = int(met.sum())
            n_cf = int(((cap - ntm_effect) > d).sum()) if treated else n_met
            lev = _recognition(level.get(code), n_met, y, rec_u[code][yi], rec_u[code][-1])
            if lev is not None:
                level[code] = lev
            for c in range(19):
                crit_rows.append((y, str(dcode), str(code), c + 1, bool(met[c])))
            status_rows.append(
                {
                    "year": y,
                    "district_code": str(dcode),
                    "commune_code": str(code),
                    "criteria_met": n_met,
                    "criteria_set": "2016-2020" if y <= 2021 else "2021-2025",
                    "ntm_level": lev[0] if lev else None,
                    "recognized_year": lev[1] if lev else None,
                    "criteria_met_counterfactual": n_cf,
                    "treated": treated,
                }
            )
    crit = pd.DataFrame(
        crit_rows, columns=["year", "district_code", "commune_code", "criterion", "met"]
    )
    return crit, pd.DataFrame(status_rows)


def _changed_2022() -> list[int]:
    """Criteria whose content the 2021–2025 set changed (reference/criteria.csv)."""
    from ketnghia_analysis.reference import gazetteer

    crit = gazetteer.criteria()
    return sorted(int(c) for c in crit.loc[crit["changed_2022"], "criterion"].unique())


def _difficulty(diff: np.ndarray, year: int) -> np.ndarray:
    """Difficulty of the 19 criteria in ``year``: the 2021-2025 set is stricter."""
    d = diff.copy()
    if year >= break_year():
        d = d + 0.8
        d[[c - 1 for c in _changed_2022()]] += 3.0
    return d


def _recognition(lev: Level | None, n_met: int, y: int, u: float, u_first: float) -> Level | None:
    """NTM level after ``y``: recognised at 19 criteria, then nâng cao, then kiểu mẫu."""
    if lev is None and n_met == 19:
        if y == FIRST_YEAR:
            return ("dat_chuan", int(2013 + int(u_first * 7)))
        return ("dat_chuan", y)
    if lev is not None and n_met == 19 and y >= 2021:
        if lev[0] == "dat_chuan" and y - lev[1] >= 2 and u < 0.15:
            return ("nang_cao", y)
        if lev[0] == "nang_cao" and y >= 2023 and y - lev[1] >= 1 and u < 0.12:
            return ("kieu_mau", y)
    return lev
