"""Simulated support rows (one per pair and year) and the economic models they fund."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ketnghia_analysis.reference import gazetteer
from ketnghia_analysis.sample.world.calibration import (
    DIRECTIVE_YEAR,
    LAST_YEAR,
    MODEL_CATALOGUE,
    SIM_YEARS,
    SUPPORT_NOTES,
)
from ketnghia_analysis.sample.world.communes import Units

MODEL_FIELDS = ("model_name", "model_type", "start_year", "households", "status")


def models_and_support(
    units: Units, pairs: pd.DataFrame, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
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
            models = _age_models(models, rng)
            _start_models(models, used_names, y, post, rng)
            values = _support_values(post, rng)
            if y not in SIM_YEARS or (code, y) not in district_of:
                continue
            key = {
                "year": y,
                "district_code": district_of[(code, y)],
                "commune_code": code,
                "partner_id": pid,
            }
            for m in models:
                model_rows.append({**key, **{k: m[k] for k in MODEL_FIELDS}})
            support_rows.append(
                {
                    **key,
                    "partner_name": reg_name[pid],
                    "partner_type": reg_type[pid],
                    "pair_start_year": start,
                    "models_supported": sum(m["status"] != "stopped" for m in models),
                    **values,
                }
            )
    return pd.DataFrame(model_rows), pd.DataFrame(support_rows)


def _age_models(models: list[dict], rng: np.random.Generator) -> list[dict]:
    """Existing models move on a year: maintained, replicated (more households) or stopped."""
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
    return [m for m in models if not m.get("gone")]


def _start_models(
    models: list[dict], used_names: set[str], y: int, post: bool, rng: np.random.Generator
) -> None:
    """New models of year ``y`` (more after the 2022 directive), appended to ``models``."""
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


def _support_values(post: bool, rng: np.random.Generator) -> dict:
    """Money (million VND, whole nghìn đồng), people trained, houses and note of one pair-year."""
    cash = float(np.round(np.exp(rng.normal(np.log(280 if post else 150), 0.5)) * 2) / 2)
    if rng.random() < 0.12:
        cash = 0.0
    in_kind = float(np.round(np.exp(rng.normal(np.log(70 if post else 110), 0.6)), 3))
    officials = int(rng.poisson(6 if post else 2))
    workers = int(rng.poisson(14 if post else 4))
    houses = int(rng.poisson(1.1 if post else 0.6))
    benef = int(rng.integers(20, 160))
    note = SUPPORT_NOTES[int(rng.integers(len(SUPPORT_NOTES)))] if rng.random() < 0.2 else None
    return {
        "cash_mvnd": cash,
        "in_kind_mvnd": in_kind,
        "beneficiary_households": benef,
        "officials_trained": officials,
        "workers_trained": workers,
        "houses_supported": houses,
        "note": note,
    }
