"""The true effect a staggered DiD aims at, from the world's planted effects (truth/effect.json).

ATT(g, t) is the mean planted effect on the poverty rate (``counterfactual.effect``: the rate
with the effect minus the rate without it, before rounding to households) over the communes
first paired in ``g``, for ``t >= g``. Only cohorts the estimator can use count: first paired
after the first year of data (a year before pairing exists) and by the last year.

Units: ``rate`` is the rate as measured. ``old_standard`` is the effect in the old (2016–2020)
standard's terms: the same as ``rate`` when the new standard adds one jump (the default
world), the measured effect divided by the commune's factor under ``proportional_jump``.
This is what a chain-linked headline claims to estimate. ``chained`` is the measured effect
times each commune's measured chain factor from the break year on (``poor_end`` of the year
before over ``poor_start`` of the break year, as ``indicators.unit_outcome_panel`` chains):
what a DiD on the ratio-chained outcome recovers when trends are parallel in its terms.
``shifted`` is the estimand of the headline's shift chain (each commune's measured 2022 jump
subtracted from its rates from the break year on, ``indicators.jump``): the measured effect
minus the part of the effect the measured jump carries (none under an additive jump;
``(f − 1)`` times the effect of the year before the break under a factor ``f``), so a
constant effect of a commune paired before the break counts in old-standard points and one
paired from the break on in new-standard points. Cells: ``all`` (every post-pairing cell), ``old`` (years before the break)
and ``new`` (base year and year both from the break on).

Aggregations, as R's ``did::aggte`` (weights ∝ cohort size):
``simple`` = Σ n_g ATT(g,t) / Σ n_g over the cells; ``group`` = the cohort-size-weighted mean
of each cohort's mean over its cells; ``event`` = the mean over e ≥ 0 of
θ(e) = Σ_g n_g ATT(g, g+e) / Σ_g n_g.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ketnghia_analysis.reference.standards import break_year
from ketnghia_analysis.sample.world.threats import NONE, Threats

AGGREGATIONS = ("simple", "group", "event")
STANDARDS = ("all", "old", "new")
UNITS = ("rate", "old_standard", "chained", "shifted")


def att_cells(world: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """True ATT(g, t) of the world: g, t, event_time, n (cohort size), att_rate, att_chained."""
    cf = world["counterfactual"]
    years = sorted(int(y) for y in cf["year"].unique())
    first = world["communes"].dropna(subset=["first_pair_year"])
    cohort = {
        str(c): int(g)
        for c, g in zip(first["commune_code"], first["first_pair_year"], strict=True)
        if years[0] < int(g) <= years[-1]
    }
    columns = ["g", "t", "event_time", "n", *(f"att_{u}" for u in UNITS)]
    if not cohort:  # one year of data: no cohort has a year before pairing
        return pd.DataFrame(columns=columns)
    chain = _chain_factors(world["poverty"])
    eff = cf[cf["commune_code"].astype(str).isin(cohort)].copy()
    eff["g"] = eff["commune_code"].astype(str).map(cohort)
    eff = eff[eff["year"] >= eff["g"]]
    after = eff["year"] >= break_year()
    factor = eff["commune_code"].astype(str).map(chain).astype(float)
    eff["chained"] = np.where(after, eff["effect"] * factor, eff["effect"])
    jump_effect = eff["commune_code"].astype(str).map(_jump_effects(cf)).astype(float)
    eff["shifted"] = np.where(after, eff["effect"] - jump_effect.fillna(0.0), eff["effect"])
    cells = (
        eff.groupby(["g", "year"], sort=True)
        .agg(
            att_rate=("effect", "mean"),
            att_old_standard=("effect_old", "mean"),
            att_chained=("chained", "mean"),
            att_shifted=("shifted", "mean"),
        )
        .reset_index()
        .rename(columns={"year": "t"})
    )
    size = pd.Series(cohort).value_counts()
    cells["n"] = cells["g"].map(size).astype(int)
    cells["event_time"] = cells["t"] - cells["g"]
    return cells[columns]


def _jump_effects(cf: pd.DataFrame) -> dict[str, float]:
    """Commune -> the planted effect's share of its measured 2022 jump: the new standard maps
    the rate at the end of the year before the break (effect included) to the break year's
    start, so a jump of factor ``f`` carries ``(f − 1) × effect(B − 1)`` of the effect (0
    under an additive jump). ``f`` is the world's own new-standard factor, the measured
    effect over its old-standard terms in the break year (1 where they agree)."""
    b = break_year()
    cf = cf.assign(commune_code=cf["commune_code"].astype(str))
    before = cf[cf["year"] == b - 1].set_index("commune_code")["effect"]
    at = cf[cf["year"] == b].set_index("commune_code")
    old = at["effect_old"].astype(float)
    factor = (at["effect"].astype(float) / old.where(old != 0)).fillna(1.0)
    return {c: float((factor.get(c, 1.0) - 1.0) * before[c]) for c in before.index}


def _chain_factors(pov: pd.DataFrame) -> dict[str, float]:
    """Commune -> ``poor_end`` of the year before the break over ``poor_start`` of the break
    year (NaN without them): the chain factor of ``indicators.unit_outcome_panel``."""
    b = break_year()
    end = pov[pov["year"] == b - 1].set_index("commune_code")["poor_end"]
    start = pov[pov["year"] == b].set_index("commune_code")["poor_start"]
    out = {}
    for code in start.index.intersection(end.index):
        out[str(code)] = float(end[code] / start[code]) if start[code] else np.nan
    return out


def aggregate(cells: pd.DataFrame, column: str, how: str) -> float:
    """One aggregation of the ATT(g, t) in ``column`` (NaN without cells)."""
    if cells.empty:
        return float("nan")
    w = cells["n"].to_numpy(float)
    v = cells[column].to_numpy(float)
    if how == "simple":
        return float(np.dot(w, v) / w.sum())
    if how == "group":
        by = cells.groupby("g").agg(n=("n", "first"), theta=(column, "mean"))
        return float(np.dot(by["n"], by["theta"]) / by["n"].sum())
    if how == "event":
        parts = cells.assign(wv=w * v).groupby("event_time")[["wv", "n"]].sum()
        return float((parts["wv"] / parts["n"]).mean())
    raise ValueError(f"aggregation phải là một trong {AGGREGATIONS}, không phải {how!r}")


def _or_none(value: float) -> float | None:
    """None for NaN: effect.json stays strict JSON."""
    return None if np.isnan(value) else value


def _within(cells: pd.DataFrame, standard: str) -> pd.DataFrame:
    """The cells whose base year and year both lie under one standard (or all cells)."""
    if standard == "old":
        return cells[cells["t"] < break_year()]
    if standard == "new":
        return cells[cells["g"] - 1 >= break_year()]
    return cells


LOST_COLUMNS = ["year", "district_code", "commune_code", "partner_id", "pair_start_year", "mode"]


def effect_truth(world: dict[str, pd.DataFrame], threats: Threats = NONE) -> dict:
    """``truth/effect.json``: the threats planted and the true ATT under each aggregation,
    unit and set of cells; ``headline_target`` = the shift chain's terms (the headline's
    series), every cell, ``group``."""
    cells = att_cells(world)
    targets = {
        units: {
            standard: {how: _or_none(aggregate(_within(cells, standard), f"att_{units}", how))
                       for how in AGGREGATIONS}
            for standard in STANDARDS
        }
        for units in UNITS
    }  # fmt: skip
    out: dict = {
        "synthetic": True,
        "note": "DỮ LIỆU TỔNG HỢP (synthetic). True ATT of twinning on the poverty rate "
        "(fraction), from the planted effects; see ketnghia_analysis/sample/world/target.py.",
        "threats": threats.as_dict(),
        "headline_target": targets["shifted"]["all"]["group"],
        "att": targets,
        "cells": json.loads(cells.to_json(orient="records")),
    }
    if "lost_support" in world:
        out["lost_support"] = json.loads(
            world["lost_support"][LOST_COLUMNS].to_json(orient="records")
        )
    if "late_start" in world:
        out["late_start"] = json.loads(world["late_start"].to_json(orient="records"))
    return out


def write_effect(truth_dir: Path, world: dict[str, pd.DataFrame], threats: Threats = NONE) -> None:
    """Write ``truth_dir/effect.json`` (:func:`effect_truth`)."""
    text = json.dumps(effect_truth(world, threats), ensure_ascii=False, indent=1)
    (truth_dir / "effect.json").write_text(text, encoding="utf-8")
