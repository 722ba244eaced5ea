"""The units of each simulated year, their latent attributes, merges and households."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ketnghia_analysis.reference import gazetteer
from ketnghia_analysis.sample.world.calibration import (
    ALPHA_RANGE,
    CAPACITY_RANGE,
    HOUSEHOLD_MEDIAN,
    LAST_YEAR,
    SIM_YEARS,
    TARGET_HOUSEHOLDS,
)

Units = dict[int, pd.DataFrame]


def units_by_year() -> Units:
    """Units valid on 31 December of each simulated year (gazetteer)."""
    out = {}
    for y in SIM_YEARS:
        u = gazetteer.communes_in_year(y).reset_index(drop=True)
        keep = ["commune_code", "commune_name", "commune_type", "district_code", "district_name"]
        out[y] = pd.DataFrame({c: u[c].astype(object).tolist() for c in keep})
    return out


def commune_frame(units: Units, rng: np.random.Generator) -> pd.DataFrame:
    """One row per commune code seen 2019-2024 with its latent attributes."""
    allc = gazetteer.communes().set_index("commune_code")
    codes = sorted(set().union(*(set(u["commune_code"]) for u in units.values())))
    f = pd.DataFrame({"commune_code": codes})
    first_type: dict[str, str] = {}
    for y in SIM_YEARS:
        for code, ctype in zip(units[y]["commune_code"], units[y]["commune_type"], strict=True):
            first_type.setdefault(code, ctype)
    f["commune_type"] = [first_type[c] for c in codes]
    f["district_code"] = [str(allc.at[c, "district_code"]) for c in codes]
    _classify(f, allc, codes)
    _latent(f, rng)
    return f


def _classify(f: pd.DataFrame, allc: pd.DataFrame, codes: list[str]) -> None:
    """Comparison group, klass (kv3 / kv12 / mtn / plain) and the unit merged into, in place."""
    mountainous = allc["mountainous"].astype("boolean").fillna(False)
    f["mountainous"] = [bool(mountainous.at[c]) for c in codes]
    er = allc["ethnic_region"].astype("object")
    f["ethnic_region"] = [er.at[c] if isinstance(er.at[c], str) else None for c in codes]
    f["group"] = np.where(f["mountainous"] | f["ethnic_region"].notna(), "mountain", "plains")
    f["klass"] = np.select(
        [
            f["ethnic_region"] == "III",
            f["ethnic_region"].isin(["I", "II"]),
            f["group"] == "mountain",
        ],
        ["kv3", "kv12", "mtn"],
        "plain",
    )
    succ = allc["successor_code"].astype("object")
    vto = allc["valid_to"]
    f["merged_into"] = [
        str(succ.at[c])
        if isinstance(succ.at[c], str) and pd.notna(vto.at[c]) and vto.at[c].year < LAST_YEAR
        else None
        for c in codes
    ]


def _latent(f: pd.DataFrame, rng: np.random.Generator) -> None:
    """Draw the 2019 poverty level, households and NTM capacity of every commune, in place."""
    urban = f["commune_type"].ne("xã").to_numpy()
    n = len(f)
    u = rng.random(n)
    keys = list(zip(f["klass"], urban, strict=True))
    f["alpha"] = [
        ALPHA_RANGE[k][0] + u[i] * (ALPHA_RANGE[k][1] - ALPHA_RANGE[k][0])
        for i, k in enumerate(keys)
    ]
    size = np.exp(rng.normal(0.0, 0.3, n))
    hh = np.array([HOUSEHOLD_MEDIAN[k] for k in keys]) * size
    plains = f["group"].eq("plains").to_numpy()
    # Scale the plains so that the 2019 province total is the published one.
    hh[plains] *= (TARGET_HOUSEHOLDS[2019] - hh[~plains].sum()) / hh[plains].sum()
    f["hh2019"] = hh
    f["hh_drift"] = rng.normal(0.0, 0.004, n)
    u2 = rng.random(n)
    f["ntm_cap"] = [
        CAPACITY_RANGE[k][0] + u2[i] * (CAPACITY_RANGE[k][1] - CAPACITY_RANGE[k][0])
        for i, k in enumerate(f["klass"])
    ]
    f["ntm_growth"] = np.where(plains, 0.6, 0.9) + rng.normal(0, 0.1, n)


def merged_into(f: pd.DataFrame) -> dict[str, str]:
    """Old code -> successor code for the units merged away during 2019-2024."""
    return {
        c: s for c, s in zip(f["commune_code"], f["merged_into"], strict=True) if isinstance(s, str)
    }


def households(f: pd.DataFrame, units: Units) -> dict[int, dict[str, int]]:
    """Households per unit and year; merged communes add their predecessors' households."""
    g = {2019: 1.0}
    g[2021] = TARGET_HOUSEHOLDS[2021] / TARGET_HOUSEHOLDS[2019]
    g[2020] = (1.0 + g[2021]) / 2
    g[2022] = TARGET_HOUSEHOLDS[2022] / TARGET_HOUSEHOLDS[2019]
    g[2023] = TARGET_HOUSEHOLDS[2023] / TARGET_HOUSEHOLDS[2019]
    g[2024] = g[2023] * 1.007
    base = dict(zip(f["commune_code"], f["hh2019"], strict=True))
    drift = dict(zip(f["commune_code"], f["hh_drift"], strict=True))
    merged = merged_into(f)
    out = {}
    for y in SIM_YEARS:
        present = list(units[y]["commune_code"])
        size = {c: base[c] for c in present}
        for old, new in merged.items():
            if old not in size and new in size:
                size[new] += base[old]
        out[y] = {c: int(round(size[c] * g[y] * (1 + drift[c] * (y - 2019)))) for c in present}
    return out
