"""The simulated province: who is twinned, and the poverty, NTM, support and model tables.

`simulate` returns the *world* in processed form (the tables of
../shared/spec/tables.md without provenance). It is the ground truth that
`render` writes into messy workbooks and that the estimator tests check
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

import numpy as np
import pandas as pd

from ketnghia_analysis.reference import gazetteer

FIRST_YEAR, LAST_YEAR = 2019, 2024
SIM_YEARS = tuple(range(FIRST_YEAR, LAST_YEAR + 1))
NEW_STANDARD_YEAR = 2022
DIRECTIVE_YEAR = 2022  # Chỉ thị 16-CT/TU (9/2021) shapes support from the 2022 returns on

# Province targets (poverty rate, fraction). Published: 2019, 2021 (new standard:
# our 2022 start), 2022, 2023 (domain.md). 2020, 2021 (old standard) and 2024 are
# our interpolations, not published figures.
TARGET_END_RATE = {
    2019: 0.0606,
    2020: 0.0525,
    2021: 0.0455,
    2022: 0.0663,
    2023: 0.0557,
    2024: 0.0460,
}
TARGET_START_2022 = 0.0759
TARGET_HOUSEHOLDS = {2019: 423_267, 2021: 436_310, 2022: 439_300, 2023: 442_673}

# Mountain group offsets (added to alpha, the commune's 2019 level). 2018 is the
# start of 2019. The new standard adds MOUNTAIN_JUMP from the 2022 start on.
MOUNTAIN_JUMP = 0.08
MOUNTAIN_OFFSET = {
    2018: 0.022,
    2019: 0.0,
    2020: -0.024,
    2021: -0.046,
    2022: -0.046 + MOUNTAIN_JUMP - 0.032,
    2023: -0.046 + MOUNTAIN_JUMP - 0.066,
    2024: -0.046 + MOUNTAIN_JUMP - 0.092,
}
MOUNTAIN_NOISE_SD = 0.01

# NTM criterion base difficulty (latent capacity units); hard ones last.
CRITERION_DIFFICULTY = {
    1: 2.0, 2: 11.0, 3: 9.0, 4: 3.0, 5: 12.0, 6: 12.5, 7: 10.0, 8: 4.0, 9: 11.5,
    10: 18.0, 11: 17.5, 12: 8.0, 13: 17.0, 14: 6.5, 15: 7.0, 16: 7.5, 17: 18.5, 18: 5.0, 19: 3.5,
}  # fmt: skip
CHANGED_2022 = (3, 11, 12, 13)

MODEL_CATALOGUE = (
    ("Mô hình nuôi bò sinh sản", "chăn nuôi"),
    ("Mô hình nuôi heo đen bản địa", "chăn nuôi"),
    ("Mô hình nuôi gà thả vườn", "chăn nuôi"),
    ("Mô hình nuôi dê", "chăn nuôi"),
    ("Mô hình nuôi cá nước ngọt", "chăn nuôi"),
    ("Mô hình trồng lúa nước năng suất cao", "trồng trọt"),
    ("Mô hình trồng chuối mốc", "trồng trọt"),
    ("Mô hình trồng bưởi", "trồng trọt"),
    ("Mô hình trồng sâm Ngọc Linh", "dược liệu"),
    ("Mô hình trồng ba kích tím", "dược liệu"),
    ("Mô hình trồng đảng sâm", "dược liệu"),
    ("Mô hình trồng quế Trà My", "lâm nghiệp"),
    ("Mô hình trồng rừng keo", "lâm nghiệp"),
    ("Mô hình du lịch cộng đồng", "du lịch cộng đồng"),
    ("Mô hình dệt thổ cẩm", "ngành nghề"),
    ("Mô hình đan lát truyền thống", "ngành nghề"),
    ("Mô hình tổ hợp tác sản xuất", "khác"),
)
SUPPORT_NOTES = (
    "Hỗ trợ quà Tết",
    "Trao học bổng cho học sinh",
    "Xây nhà Đại đoàn kết",
    "Theo Chỉ thị 16-CT/TU",
    "Hỗ trợ giống cây, con",
)


def check_years(years) -> list[int]:
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


def _units() -> dict[int, pd.DataFrame]:
    """Units valid on 31 December of each simulated year (gazetteer)."""
    out = {}
    for y in SIM_YEARS:
        u = gazetteer.communes_in_year(y).reset_index(drop=True)
        keep = ["commune_code", "commune_name", "commune_type", "district_code", "district_name"]
        out[y] = pd.DataFrame({c: u[c].astype(object).tolist() for c in keep})
    return out


def _frame(units: dict[int, pd.DataFrame], rng: np.random.Generator) -> pd.DataFrame:
    """One row per commune code seen 2019-2024 with its latent attributes."""
    allc = gazetteer.communes().set_index("commune_code")
    codes = sorted(set().union(*(set(u["commune_code"]) for u in units.values())))
    f = pd.DataFrame({"commune_code": codes})
    first_type = {}
    for y in SIM_YEARS:
        for code, ctype in zip(units[y]["commune_code"], units[y]["commune_type"], strict=True):
            first_type.setdefault(code, ctype)
    f["commune_type"] = [first_type[c] for c in codes]
    f["district_code"] = [str(allc.at[c, "district_code"]) for c in codes]
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
    urban = f["commune_type"].ne("xã").to_numpy()
    n = len(f)
    u = rng.random(n)
    lo_hi = {
        ("kv3", False): (0.31, 0.50),
        ("kv3", True): (0.20, 0.28),
        ("kv12", False): (0.21, 0.32),
        ("kv12", True): (0.11, 0.16),
        ("mtn", False): (0.08, 0.16),
        ("mtn", True): (0.08, 0.10),
        ("plain", False): (0.010, 0.036),
        ("plain", True): (0.006, 0.016),
    }
    hh_med = {
        ("kv3", False): 650,
        ("kv3", True): 1200,
        ("kv12", False): 900,
        ("kv12", True): 1900,
        ("mtn", False): 1100,
        ("mtn", True): 2100,
        ("plain", False): 2500,
        ("plain", True): 3300,
    }
    keys = list(zip(f["klass"], urban, strict=True))
    f["alpha"] = [lo_hi[k][0] + u[i] * (lo_hi[k][1] - lo_hi[k][0]) for i, k in enumerate(keys)]
    size = np.exp(rng.normal(0.0, 0.3, n))
    hh = np.array([hh_med[k] for k in keys]) * size
    plains = f["group"].eq("plains").to_numpy()
    # Scale the plains so that the 2019 province total is the published one.
    hh[plains] *= (TARGET_HOUSEHOLDS[2019] - hh[~plains].sum()) / hh[plains].sum()
    f["hh2019"] = hh
    f["hh_drift"] = rng.normal(0.0, 0.004, n)
    # NTM latent capacity in 2019 and yearly growth.
    cap_lo_hi = {"kv3": (3.0, 11.0), "kv12": (6.0, 14.0), "mtn": (9.0, 19.5), "plain": (19.5, 26.5)}
    u2 = rng.random(n)
    f["ntm_cap"] = [
        cap_lo_hi[k][0] + u2[i] * (cap_lo_hi[k][1] - cap_lo_hi[k][0])
        for i, k in enumerate(f["klass"])
    ]
    f["ntm_growth"] = np.where(plains, 0.6, 0.9) + rng.normal(0, 0.1, n)
    return f


def _pairs(f: pd.DataFrame, units: dict[int, pd.DataFrame], rng: np.random.Generator):
    """Twinning pairs: poorer mountain communes paired earlier; many never."""
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

    registry = gazetteer.partners().sort_values("partner_id").reset_index(drop=True)
    dnames = gazetteer.districts().set_index("district_code")["district_name"]
    local = {}  # partner_id -> district_code for district armed units
    for pid, name in zip(registry["partner_id"], registry["partner_name"], strict=True):
        for dcode, dname in dnames.items():
            short = dname.split(" ", 1)[1] if " " in dname else dname
            if "huyện " + short in name and "Ủy ban" not in name:
                local[pid] = dcode
    general = [p for p in registry["partner_id"] if p not in local]
    pool = list(rng.permutation(general))
    # Pairs named in the domain brief (Sở KH&ĐT with Zuôich; TP Tam Kỳ with La Dêê and Laêê).
    known = {"20701": "P001", "20704": "P043", "20698": "P043"}
    known = {c: p for c, p in known.items() if p in set(registry["partner_id"])}
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
            start = fy if k == 0 else int(min(LAST_YEAR, fy + rng.integers(0, 4)))
            rows.append((code, pid, start))
    pairs = pd.DataFrame(rows, columns=["commune_code", "partner_id", "pair_start_year"])
    return pairs.sort_values(["commune_code", "pair_start_year", "partner_id"]).reset_index(
        drop=True
    )


def _merged(f: pd.DataFrame) -> dict[str, str]:
    """Old code -> successor code for the units merged away during 2019-2024."""
    return {
        c: s for c, s in zip(f["commune_code"], f["merged_into"], strict=True) if isinstance(s, str)
    }


def _households(f: pd.DataFrame, units) -> dict[int, dict[str, int]]:
    """Households per unit and year; merged communes add their predecessors' households."""
    g = {2019: 1.0}
    g[2021] = TARGET_HOUSEHOLDS[2021] / TARGET_HOUSEHOLDS[2019]
    g[2020] = (1.0 + g[2021]) / 2
    g[2022] = TARGET_HOUSEHOLDS[2022] / TARGET_HOUSEHOLDS[2019]
    g[2023] = TARGET_HOUSEHOLDS[2023] / TARGET_HOUSEHOLDS[2019]
    g[2024] = g[2023] * 1.007
    base = dict(zip(f["commune_code"], f["hh2019"], strict=True))
    drift = dict(zip(f["commune_code"], f["hh_drift"], strict=True))
    merged = _merged(f)
    out = {}
    for y in SIM_YEARS:
        present = list(units[y]["commune_code"])
        size = {c: base[c] for c in present}
        for old, new in merged.items():
            if old not in size and new in size:
                size[new] += base[old]
        out[y] = {c: int(round(size[c] * g[y] * (1 + drift[c] * (y - 2019)))) for c in present}
    return out


def _poverty(f, units, pairs, effect, rng):
    """Poverty rows (processed form) and the counterfactual rates."""
    hh = _households(f, units)
    first = pairs.groupby("commune_code")["pair_start_year"].min().to_dict()
    attr = f.set_index("commune_code")
    merged = _merged(f)
    codes = list(f["commune_code"])
    alpha = attr["alpha"].to_dict()
    hh2019 = attr["hh2019"].to_dict()
    # Merged units carry the households-weighted level of their parts from 2020 on.
    alpha_merged = dict(alpha)
    for old, new in merged.items():
        w_old, w_new = hh2019[old], hh2019[new]
        alpha_merged[new] = (alpha[old] * w_old + alpha[new] * w_new) / (w_old + w_new)
    mountain = attr["group"].eq("mountain").to_dict()
    klass_of = attr["klass"].to_dict()
    plains_off = _plains_offsets(f, units, hh, first, effect, alpha, alpha_merged)

    def level(code: str, year: int) -> float:
        a = alpha[code] if year <= 2019 else alpha_merged[code]
        if mountain[code]:
            return a + MOUNTAIN_OFFSET[year]
        return a + plains_off[year]

    noise = {c: rng.normal(0, 1, len(SIM_YEARS) + 1).clip(-2.0, 2.0) for c in codes}
    jump_noise = {c: float(np.clip(rng.normal(0, 0.004), -0.01, 0.01)) for c in codes}
    flows_u = {c: rng.random((len(SIM_YEARS), 4)) for c in codes}
    near_u = {c: rng.random(len(SIM_YEARS)) for c in codes}

    def rate(code: str, year: int, treated_effect: bool = True) -> float:
        lev = level(code, year)
        # Symmetric, truncated noise: smaller where the level is low, so rates stay positive
        # without clipping (clipping would bend the parallel trends).
        if mountain[code]:
            sd = MOUNTAIN_NOISE_SD * min(1.0, max(lev, 0.01) / 0.05)
        else:
            sd = 0.08 * max(alpha[code], 0.005)
        d = first.get(code, 9999) <= year
        r = lev + sd * noise[code][year - 2018]
        if treated_effect and d:
            r += effect
        if mountain[code]:
            return float(np.clip(r, 0.005, 0.95))
        return float(np.clip(r, 0.002, 0.058))

    rows, cf_rows = [], []
    prev_end: dict[str, int] = {}
    for yi, y in enumerate(SIM_YEARS):
        u = units[y]
        this_end = {}
        for code, name, dcode in zip(
            u["commune_code"], u["commune_name"], u["district_code"], strict=True
        ):
            h = hh[y][code]
            r_end = rate(code, y)
            end = int(round(r_end * h))
            if y == FIRST_YEAR:
                start = int(round(rate(code, 2018) * h))
            elif y == NEW_STANDARD_YEAR:
                prev_rate = prev_end[code] / hh[y - 1][code]
                jump = MOUNTAIN_JUMP if mountain[code] else plains_off["jump"]
                start = int(round(max(prev_rate + jump + jump_noise[code], 0.0) * h))
            else:
                start = prev_end[code] + sum(
                    prev_end.get(o, 0)
                    for o, n in merged.items()
                    if n == code and o not in set(u["commune_code"])
                )
            fu = flows_u[code][yi]
            if mountain[code]:
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
            klass = klass_of[code]
            if klass in ("kv3", "kv12"):
                em = int(round(end * (0.93 + 0.07 * fu[3])))
            elif klass == "mtn":
                em = int(round(end * (0.2 + 0.5 * fu[3])))
            else:
                em = int(round(end * 0.03 * fu[3])) if fu[3] < 0.3 else 0
            near_rate = (
                (0.06 + 0.09 * near_u[code][yi])
                if mountain[code]
                else (0.015 + 0.035 * near_u[code][yi])
            )
            if y >= NEW_STANDARD_YEAR:
                near_rate *= 1.3
            rows.append(
                {
                    "year": y,
                    "district_code": str(dcode),
                    "commune_code": str(code),
                    "commune_name": name,
                    "households_total": h,
                    "poor_start": start,
                    "poverty_exits": exits,
                    "poverty_relapses": relapse,
                    "poverty_new": new,
                    "poor_end": end,
                    "near_poor_end": int(round(h * near_rate)),
                    "poor_ethnic_minority_end": em,
                }
            )
            cf_rows.append(
                {
                    "year": y,
                    "commune_code": str(code),
                    "rate": end / h,
                    "rate_counterfactual": rate(code, y, treated_effect=False),
                    "treated": first.get(code, 9999) <= y,
                }
            )
            this_end[code] = end
        prev_end = this_end
    pov = pd.DataFrame(rows)
    pov["poverty_rate_end"] = pov["poor_end"] / pov["households_total"]
    pov["poverty_standard"] = np.where(pov["year"] <= 2021, "2016-2020", "2022-2025")
    return pov, pd.DataFrame(cf_rows), plains_off


def _plains_offsets(f, units, hh, first, effect, alpha, alpha_merged) -> dict:
    """Plains offsets (and jump) that make the province match the target rates on average."""
    mountain = dict(zip(f["commune_code"], f["group"].eq("mountain"), strict=True))
    out: dict = {}

    def sums(year: int, offset_year: int, start_jump: float = 0.0):
        mp, ph, pa = 0.0, 0.0, 0.0
        for code, h in hh[year].items():
            a = alpha[code] if offset_year <= 2019 else alpha_merged[code]
            if mountain[code]:
                d = first.get(code, 9999) <= offset_year
                r = a + MOUNTAIN_OFFSET[offset_year] + start_jump + (effect if d else 0.0)
                mp += max(r, 0.005) * h
            else:
                ph += h
                pa += a * h
        return mp, ph, pa

    for y in SIM_YEARS:
        total = sum(hh[y].values())
        mp, ph, pa = sums(y, y)
        out[y] = (TARGET_END_RATE[y] * total - mp - pa) / ph
    mp, ph, pa = sums(2019, 2018)
    out[2018] = out[2019] + 0.004
    total = sum(hh[NEW_STANDARD_YEAR].values())
    mp, ph, pa = sums(NEW_STANDARD_YEAR, 2021, MOUNTAIN_JUMP)
    out["jump"] = (TARGET_START_2022 * total - mp - pa) / ph - out[2021]
    return out


def _ntm(f, units, pairs, ntm_effect, rng):
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
    level: dict[str, tuple[str, int]] = {}
    for yi, y in enumerate(SIM_YEARS):
        u = units[y]
        for code, ctype, dcode in zip(
            u["commune_code"], u["commune_type"], u["district_code"], strict=True
        ):
            if ctype != "xã":
                continue
            cap = cap0[code] + growth[code] * (y - 2019)
            if first.get(code, 9999) <= y:
                cap += ntm_effect
            d = diff[code].copy()
            if y >= NEW_STANDARD_YEAR:
                d = d + 0.8
                d[[c - 1 for c in CHANGED_2022]] += 3.0
            met = cap > d
            n_met = int(met.sum())
            treated = first.get(code, 9999) <= y
            n_cf = int(((cap - ntm_effect) > d).sum()) if treated else n_met
            ru = rec_u[code]
            lev = level.get(code)
            if lev is None and n_met == 19:
                if y == FIRST_YEAR:
                    lev = ("dat_chuan", int(2013 + int(ru[-1] * 7)))
                else:
                    lev = ("dat_chuan", y)
            elif lev is not None and n_met == 19 and y >= 2021:
                if lev[0] == "dat_chuan" and y - lev[1] >= 2 and ru[yi] < 0.15:
                    lev = ("nang_cao", y)
                elif lev[0] == "nang_cao" and y >= 2023 and y - lev[1] >= 1 and ru[yi] < 0.12:
                    lev = ("kieu_mau", y)
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


def _models_and_support(f, units, pairs, rng):
    """Economic models (one row per model and year) and support rows (one per pair and year)."""
    reg = gazetteer.partners()
    reg_name = dict(zip(reg["partner_id"].tolist(), reg["partner_name"].tolist(), strict=True))
    reg_type = dict(zip(reg["partner_id"].tolist(), reg["partner_type"].tolist(), strict=True))
    district_of = {}
    for y in SIM_YEARS:
        for code, dcode in zip(units[y]["commune_code"], units[y]["district_code"], strict=True):
            district_of[(code, y)] = str(dcode)
    model_rows, support_rows = [], []
    for code, pid, start in pairs.itertuples(index=False):
        models: list[dict] = []
        used_names: set[str] = set()
        for y in range(start, LAST_YEAR + 1):
            post = y >= DIRECTIVE_YEAR
            # Existing models move on.
            for m in models:
                if m["status"] == "stopped":
                    m["gone"] = True
                    continue
                u = rng.random()
                if m["status"] == "replicated":
                    m["status"] = "stopped" if u < 0.05 else "replicated"
                elif u < 0.10:
                    m["status"] = "stopped"
                elif u < 0.24:
                    m["status"] = "replicated"
                    m["households"] = int(round(m["households"] * 1.5))
                else:
                    m["status"] = "maintained"
            models = [m for m in models if not m.get("gone")]
            for _ in range(int(rng.poisson(0.6 if post else 0.25))):
                name, mtype = MODEL_CATALOGUE[int(rng.integers(len(MODEL_CATALOGUE)))]
                k = 2
                base_name = name
                while name in used_names:
                    name = f"{base_name} (thôn {k})"
                    k += 1
                used_names.add(name)
                models.append(
                    {
                        "model_name": name,
                        "model_type": mtype,
                        "start_year": y,
                        "households": int(rng.integers(5, 41)),
                        "status": "new",
                    }
                )
            cash = float(np.round(np.exp(rng.normal(np.log(280 if post else 150), 0.5)) * 2) / 2)
            if rng.random() < 0.12:
                cash = 0.0
            in_kind = float(np.round(np.exp(rng.normal(np.log(70 if post else 110), 0.6)), 3))
            officials = int(rng.poisson(6 if post else 2))
            workers = int(rng.poisson(14 if post else 4))
            houses = int(rng.poisson(1.1 if post else 0.6))
            benef = int(rng.integers(20, 160))
            note = (
                SUPPORT_NOTES[int(rng.integers(len(SUPPORT_NOTES)))] if rng.random() < 0.2 else None
            )
            if y not in SIM_YEARS or (code, y) not in district_of:
                continue
            dcode = district_of[(code, y)]
            for m in models:
                model_rows.append(
                    {
                        "year": y,
                        "district_code": dcode,
                        "commune_code": code,
                        "partner_id": pid,
                        **{
                            k: m[k]
                            for k in (
                                "model_name",
                                "model_type",
                                "start_year",
                                "households",
                                "status",
                            )
                        },
                    }
                )
            support_rows.append(
                {
                    "year": y,
                    "district_code": dcode,
                    "commune_code": code,
                    "partner_id": pid,
                    "partner_name": reg_name[pid],
                    "partner_type": reg_type[pid],
                    "pair_start_year": start,
                    "cash_mvnd": cash,
                    "in_kind_mvnd": in_kind,
                    "models_supported": sum(m["status"] != "stopped" for m in models),
                    "beneficiary_households": benef,
                    "officials_trained": officials,
                    "workers_trained": workers,
                    "houses_supported": houses,
                    "note": note,
                }
            )
    return pd.DataFrame(model_rows), pd.DataFrame(support_rows)


SCHEMAS: dict[str, dict[str, str]] = {
    "poverty": {
        "year": "int64", "district_code": "str", "commune_code": "str", "commune_name": "str",
        "households_total": "Int64", "poor_start": "Int64", "poverty_exits": "Int64",
        "poverty_relapses": "Int64", "poverty_new": "Int64", "poor_end": "Int64",
        "near_poor_end": "Int64", "poor_ethnic_minority_end": "Int64",
        "poverty_rate_end": "float64", "poverty_standard": "str",
    },
    "ntm_criteria": {
        "year": "int64", "district_code": "str", "commune_code": "str", "criterion": "Int64",
        "met": "bool",
    },
    "ntm_status": {
        "year": "int64", "district_code": "str", "commune_code": "str", "criteria_met": "Int64",
        "criteria_set": "str", "ntm_level": "str", "recognized_year": "Int64",
    },
    "support": {
        "year": "int64", "district_code": "str", "commune_code": "str", "partner_id": "str",
        "partner_name": "str", "partner_type": "str", "pair_start_year": "Int64",
        "cash_mvnd": "float64", "in_kind_mvnd": "float64", "models_supported": "Int64",
        "beneficiary_households": "Int64", "officials_trained": "Int64", "workers_trained": "Int64",
        "houses_supported": "Int64", "note": "str",
    },
    "models": {
        "year": "int64", "district_code": "str", "commune_code": "str", "partner_id": "str",
        "model_name": "str", "model_type": "str", "start_year": "Int64", "households": "Int64",
        "status": "str",
    },
}  # fmt: skip
PROVENANCE = {"source_file": "str", "source_sheet": "str", "source_row": "Int64"}


def conform(frame: pd.DataFrame, table: str, provenance: bool = False) -> pd.DataFrame:
    """Exactly the spec's columns in order, with the contract dtypes.

    Text columns are ``object`` holding ``str`` (missing = None); counts ``Int64``;
    money ``float64`` rounded to 6 decimals; years ``int64``; flags ``bool``.
    """
    schema = dict(SCHEMAS[table])
    if provenance:
        schema.update(PROVENANCE)
    out = pd.DataFrame(index=frame.index)
    for col, dtype in schema.items():
        s = (
            frame[col]
            if col in frame.columns
            else pd.Series([None] * len(frame), index=frame.index)
        )
        if dtype == "str":
            out[col] = pd.Series(
                [
                    None
                    if (v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA)
                    else str(v)
                    for v in s.tolist()
                ],
                index=frame.index,
                dtype="object",
            )
        elif dtype == "Int64":
            out[col] = pd.array(pd.to_numeric(s, errors="coerce"), dtype="Int64")
        elif dtype == "float64":
            out[col] = pd.to_numeric(s, errors="coerce").astype("float64")
            if col.endswith("_mvnd"):
                out[col] = out[col].round(6)
        elif dtype == "bool":
            out[col] = s.astype(bool)
        else:
            out[col] = s.astype(dtype)
    return out.reset_index(drop=True)


def simulate(
    seed: int = 2024,
    years=range(FIRST_YEAR, LAST_YEAR + 1),
    effect: float = -0.03,
    ntm_effect: float = 1.5,
) -> dict[str, pd.DataFrame]:
    """Simulate the province and return its tables in processed form (no provenance).

    Parameters
    ----------
    seed
        Seed of the one random stream (split with ``SeedSequence`` per stage).
    years
        Years to return, within 2019-2024. The world is always simulated for
        2019-2024, so a year's values do not depend on which years are asked for.
    effect
        Planted effect of twinning on the poverty rate (fraction; -0.03 = -3 points)
        from the first pairing year on.
    ntm_effect
        Planted shift of the latent NTM capacity after pairing (about +1 to +2 criteria).

    Returns
    -------
    dict
        ``poverty``, ``ntm_criteria``, ``ntm_status``, ``support``, ``models`` and
        ``partners`` (spec columns and dtypes) plus ``pairs`` (commune_code,
        partner_id, pair_start_year), ``communes`` (commune_code, group, klass,
        first_pair_year) and ``counterfactual`` (year, commune_code, rate,
        rate_counterfactual, treated).
    """
    want = check_years(years)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)]
    units = _units()
    f = _frame(units, streams[0])
    pairs = _pairs(f, units, streams[1])
    pov, cf, _ = _poverty(f, units, pairs, effect, streams[2])
    crit, status = _ntm(f, units, pairs, ntm_effect, streams[3])
    models, support = _models_and_support(f, units, pairs, streams[4])
    first = pairs.groupby("commune_code")["pair_start_year"].min()
    communes = f[["commune_code", "district_code", "commune_type", "group", "klass"]].copy()
    communes["first_pair_year"] = pd.array(
        [first.get(c) for c in communes["commune_code"]], dtype="Int64"
    )

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
        "pairs": pairs,
        "communes": communes,
        "counterfactual": pick(cf).reset_index(drop=True),
        "ntm_counterfactual": pick(status)[
            ["year", "commune_code", "criteria_met", "criteria_met_counterfactual", "treated"]
        ].reset_index(drop=True),
    }
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
