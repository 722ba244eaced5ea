"""The truth of a run: the world's rows that were written, with provenance, and ``truth/``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ketnghia_analysis.sample.forms.planted import nulled_fields
from ketnghia_analysis.sample.official import OfficialWritten, placed
from ketnghia_analysis.sample.official_truth import districts_truth, poverty_truth
from ketnghia_analysis.sample.returns import Written
from ketnghia_analysis.sample.world.schemas import conform

# Truth key of a world row of each table (the key a form records with the row's provenance).
KEYS: dict[str, Callable[[Any], tuple]] = {
    "poverty": lambda r: ("poverty", r.year, r.commune_code),
    "ntm_status": lambda r: ("ntm", r.year, r.commune_code),
    "ntm_criteria": lambda r: ("ntm", r.year, r.commune_code),
    "support": lambda r: ("support", r.year, r.commune_code, r.partner_id),
    "models": lambda r: ("models", r.year, r.commune_code, r.partner_id, r.model_name),
}


def truth_tables(
    world: dict[str, pd.DataFrame], written: Written, official: OfficialWritten | None = None
) -> dict[str, pd.DataFrame]:
    """World rows that were written (final versions, not quarantined), with provenance; the
    poverty rows joined from 02/HN and the official forms, and the latter's district rows."""
    out = {
        table: _attach(world[table], table, key, written)
        for table, key in KEYS.items()
        if table != "poverty"
    }
    return {
        "poverty": poverty_truth(world["poverty"], written, official),
        **out,
        "poverty_districts": districts_truth(official),
    }


def _attach(
    frame: pd.DataFrame, table: str, keyfn: Callable[[Any], tuple], written: Written
) -> pd.DataFrame:
    """The rows of ``frame`` that a file carries, with its file, sheet and row."""
    provenance = written.provenance
    nulled = nulled_fields(written.issues)
    keys = [keyfn(r) for r in frame.itertuples(index=False)]
    mask = [k in provenance for k in keys]
    f = frame[mask].copy()
    kept = [k for k, m in zip(keys, mask, strict=True) if m]
    f["source_file"] = [provenance[k][0] for k in kept]
    f["source_sheet"] = [provenance[k][1] for k in kept]
    f["source_row"] = [provenance[k][2] for k in kept]
    for i, k in enumerate(kept):
        for col in set(written.dropped_cols.get(k, ())) | nulled.get(k, set()):
            if col in f.columns:
                f.iloc[i, f.columns.get_loc(col)] = None
    f = conform(f, table, provenance=True)
    order = ["source_file", "source_sheet", "source_row"]
    if table == "ntm_criteria":
        order.append("criterion")
    return f.sort_values(order).reset_index(drop=True)


def write_truth(
    out: Path,
    truth: dict[str, pd.DataFrame],
    written: Written,
    world: dict[str, pd.DataFrame],
    seed: int,
    years: list[int],
    effect: float,
    official: OfficialWritten | None = None,
) -> None:
    """Write ``out/truth/``: tables, partners, submissions, issues, quarantine, variations, world
    (and with the official forms, ``official.json``: where each of their layout features is)."""
    tdir = out / "truth"
    tdir.mkdir(parents=True, exist_ok=True)
    for name, frame in truth.items():
        frame.to_parquet(tdir / f"{name}.parquet", index=False)
    partners = world["partners"].copy()
    partners["aliases"] = partners["aliases"].map(list)
    partners.to_parquet(tdir / "partners.parquet", index=False)
    _submissions(written.submissions).to_parquet(tdir / "submissions.parquet", index=False)
    cols = ["code", "severity", "source_file", "source_sheet", "cell", "note"]
    pd.DataFrame(written.issues, columns=cols).to_csv(tdir / "planted_issues.csv", index=False)
    pd.DataFrame(
        written.quarantine, columns=["source_file", "source_sheet", "source_row", "codes"]
    ).to_csv(tdir / "quarantine.csv", index=False)
    (tdir / "variations.json").write_text(
        json.dumps(written.place.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8"
    )
    if official is not None:
        (tdir / "official.json").write_text(
            json.dumps(placed(official), ensure_ascii=False, indent=1), encoding="utf-8"
        )
    meta = _world_meta(world, seed, years, effect)
    (tdir / "world.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8"
    )


def _submissions(rows: list[dict]) -> pd.DataFrame:
    """The submissions table: one row per file, ingested, superseded or rejected."""
    subs = pd.DataFrame(rows)
    return (
        pd.DataFrame(
            {
                "source_file": subs["source_file"].astype(object),
                "size_bytes": pd.array(subs["size_bytes"], dtype="Int64"),
                "district_code": subs["district_code"].astype(object),
                "year": pd.array(subs["year"], dtype="Int64"),
                "forms_found": subs["forms_found"].astype(object),
                "status": subs["status"].astype(object),
                "reason": subs["reason"].astype(object),
            }
        )
        .sort_values("source_file")
        .reset_index(drop=True)
    )


def _world_meta(world: dict[str, pd.DataFrame], seed: int, years: list[int], effect: float) -> dict:
    """``world.json``: seed, planted and realised effects, pairing years and pairs."""
    cf = world["counterfactual"]
    treated = cf[cf["treated"]]
    ntm_cf = world.get("ntm_counterfactual")
    ntm_realised = None
    if ntm_cf is not None:
        t = ntm_cf[ntm_cf["treated"]]
        ntm_realised = float((t["criteria_met"] - t["criteria_met_counterfactual"]).mean())
    first = world["communes"].dropna(subset=["first_pair_year"])
    return {
        "synthetic": True,
        "note": "DỮ LIỆU TỔNG HỢP (synthetic): simulated by ketnghia_analysis.sample, not real data.",
        "seed": seed,
        "years": years,
        "effect_poverty_rate": effect,
        "effect_poverty_rate_realised": float(
            (treated["rate"] - treated["rate_counterfactual"]).mean()
        )
        if len(treated)
        else None,
        "ntm_effect_latent": float(
            world["params"].set_index("name").at["ntm_effect_latent", "value"]
        ),
        "ntm_effect_criteria_realised": ntm_realised,
        "comparison_group": "mountain = mountainous district or ethnic-region (KV I-III) commune; trends parallel within it",
        "money_rounding": "money in million VND rounded to 6 decimals (values are whole nghìn đồng)",
        "first_pair_year": {
            c: int(y) for c, y in first[["commune_code", "first_pair_year"]].itertuples(index=False)
        },
        "pairs": [[c, p, int(y)] for c, p, y in world["pairs"].itertuples(index=False)],
        "forms_found_format": "comma-separated canonical form names in form-number order: support,poverty,ntm,models",
    }
