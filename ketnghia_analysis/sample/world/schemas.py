"""The processed tables' columns and dtypes, and `conform`, which casts a frame to them."""

from __future__ import annotations

import numpy as np
import pandas as pd

SCHEMAS: dict[str, dict[str, str]] = {
    "poverty": {
        "year": "int64", "district_code": "str", "commune_code": "str", "commune_name": "str",
        "households_total": "Int64", "poor_start": "Int64", "poverty_exits": "Int64",
        "poverty_relapses": "Int64", "poverty_new": "Int64", "poor_end": "Int64",
        "near_poor_end": "Int64", "poor_ethnic_minority_end": "Int64",
        "poverty_rate_end": "float64", "poverty_standard": "str",
        "people_total": "Int64", "exits_to_near_poor": "Int64", "exits_above_near_poor": "Int64",
        "poverty_other_decrease": "Int64", "poverty_from_near_poor": "Int64",
        "poverty_other_increase": "Int64", "poor_people_end": "Int64",
        "near_poor_people_end": "Int64", "source_form": "str",
    },
    "poverty_districts": {
        "year": "int64", "district_code": "str", "households_total": "Int64",
        "poor_start": "Int64", "poverty_exits": "Int64", "poverty_relapses": "Int64",
        "poverty_new": "Int64", "poor_end": "Int64", "near_poor_end": "Int64",
        "poor_ethnic_minority_end": "Int64", "people_total": "Int64",
        "exits_to_near_poor": "Int64", "exits_above_near_poor": "Int64",
        "poverty_other_decrease": "Int64", "poverty_from_near_poor": "Int64",
        "poverty_other_increase": "Int64", "poor_people_end": "Int64",
        "near_poor_people_end": "Int64", "source_form": "str",
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


def _text(s: pd.Series) -> pd.Series:
    """``object`` column of ``str`` with None for every kind of missing value."""
    return pd.Series(
        [
            None if (v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA) else str(v)
            for v in s.tolist()
        ],
        index=s.index,
        dtype="object",
    )


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
            out[col] = _text(s)
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
