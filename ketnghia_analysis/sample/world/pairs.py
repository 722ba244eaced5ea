"""Twinning pairs: which mountain communes are paired, when, and with which partners."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ketnghia_analysis.reference import gazetteer
from ketnghia_analysis.sample.world.calibration import LAST_YEAR
from ketnghia_analysis.sample.world.communes import Units

# Pairs named in the domain brief (Sở KH&ĐT with Zuôich; TP Tam Kỳ with La Dêê and Laêê).
KNOWN_PAIRS = {"20701": "P001", "20704": "P043", "20698": "P043"}


def twin_pairs(f: pd.DataFrame, units: Units, rng: np.random.Generator) -> pd.DataFrame:
    """Twinning pairs: poorer mountain communes paired earlier; many never."""
    first_year = _first_years(f, units, rng)
    registry = gazetteer.partners().sort_values("partner_id").reset_index(drop=True)
    local = _district_partners(registry)
    general = [p for p in registry["partner_id"] if p not in local]
    pool = list(rng.permutation(general))
    known = {c: p for c, p in KNOWN_PAIRS.items() if p in set(registry["partner_id"])}
    pool = [p for p in pool if p not in set(known.values())]
    rows = []
    district_of = dict(zip(f["commune_code"].tolist(), f["district_code"].tolist(), strict=True))
    for code in sorted(first_year):
        dcode = district_of[code]
        n_p = 2 if rng.random() < 0.4 else 1
        chosen = [known[code]] if code in known else []
        own = [p for p, d in local.items() if d == dcode]
        if own and not chosen and rng.random() < 0.3:
            chosen.append(own[0])
        while len(chosen) < n_p:
            if not pool:
                pool = list(rng.permutation(general))
            p = pool.pop()
            if p not in chosen:
                chosen.append(p)
        fy = first_year[code]
        for k, pid in enumerate(chosen):
            start = fy if k == 0 else min(LAST_YEAR, fy + int(rng.integers(0, 4)))
            rows.append((code, pid, start))
    out = pd.DataFrame(rows, columns=["commune_code", "partner_id", "pair_start_year"])
    return out.sort_values(["commune_code", "pair_start_year", "partner_id"]).reset_index(drop=True)


def _first_years(f: pd.DataFrame, units: Units, rng: np.random.Generator) -> dict[str, int]:
    """First pairing year of each twinned commune: the poorest first, some before 2019."""
    alive = set(units[LAST_YEAR]["commune_code"])
    elig = f[(f["group"] == "mountain") & (f["commune_type"] == "xã")]
    elig = elig[elig["commune_code"].isin(alive)].copy()
    elig["score"] = elig["alpha"] + rng.normal(0, 0.035, len(elig))
    elig = elig.sort_values(["score", "commune_code"], ascending=[False, True])
    n_twin = min(66, int(round(0.66 * len(elig))))
    twinned = elig.head(n_twin)
    n_pre = int(round(0.35 * n_twin))
    n_rest = n_twin - n_pre
    cohorts = (
        [2020] * int(round(0.1 * n_rest))
        + [2021] * int(round(0.3 * n_rest))
        + [2022] * int(round(0.3 * n_rest))
    )
    cohorts += [2023] * (n_rest - len(cohorts))
    pre_years = rng.choice([2012, 2013, 2014, 2016, 2017, 2018], size=n_pre)
    first_year = dict(zip(twinned["commune_code"][:n_pre], pre_years.tolist(), strict=True))
    first_year.update(zip(twinned["commune_code"][n_pre:], cohorts, strict=True))
    return first_year


def _district_partners(registry: pd.DataFrame) -> dict[str, str]:
    """partner_id -> district_code for the armed units of one district."""
    dnames = gazetteer.districts().set_index("district_code")["district_name"]
    local = {}
    for pid, name in zip(registry["partner_id"], registry["partner_name"], strict=True):
        for dcode, dname in dnames.items():
            short = dname.split(" ", 1)[1] if " " in dname else dname
            if "huyện " + short in name and "Ủy ban" not in name:
                local[pid] = dcode
    return local
