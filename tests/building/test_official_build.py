"""Acceptance of issue #15 end to end: `ketnghia sample --official` built back to its truth.

Two years (2021: one province compilation per form; 2022: district compilations, some
districts sending only 02/HN), generated and built once for the module.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ketnghia_analysis.building.build import build
from ketnghia_analysis.sample import write_sample

KEY = ["source_file", "source_sheet", "source_row"]
OFFICIAL_COLUMNS = [
    "people_total",
    "exits_to_near_poor",
    "exits_above_near_poor",
    "poverty_other_decrease",
    "poverty_from_near_poor",
    "poverty_other_increase",
    "poor_people_end",
    "near_poor_people_end",
    "source_form",
]


@pytest.fixture(scope="module")
def official(tmp_path_factory) -> tuple[Path, Path]:
    raw = tmp_path_factory.mktemp("official") / "raw"
    write_sample(raw, years=(2021, 2022), official=True)
    out = raw.parent / "out"
    build(raw, out, workers=2, progress=False)
    return raw, out


def _mismatches(raw: Path, out: Path, table: str) -> tuple[int, int, dict[str, int]]:
    truth = pd.read_parquet(raw / "truth" / f"{table}.parquet")
    got = pd.read_parquet(out / f"{table}.parquet")
    assert list(got.columns) == list(truth.columns), table
    both = truth.merge(got, on=KEY, how="outer", suffixes=("_t", "_g"), indicator=True)
    missing = int((both["_merge"] == "left_only").sum())
    extra = int((both["_merge"] == "right_only").sum())
    both = both[both["_merge"] == "both"]
    wrong = {}
    for column in truth.columns.drop(KEY):
        t, g = both[f"{column}_t"].astype(object), both[f"{column}_g"].astype(object)
        same = [
            (pd.isna(a) and pd.isna(b))
            or (not pd.isna(a) and not pd.isna(b) and (a == b or abs(float(a) - float(b)) < 1e-9))
            if not isinstance(a, str) and not isinstance(b, str)
            else a == b
            for a, b in zip(t, g, strict=True)
        ]
        if not all(same):
            wrong[column] = len(same) - sum(same)
    return missing, extra, wrong


def test_the_poverty_table_equals_the_truth_with_the_official_columns(official):
    raw, out = official
    assert _mismatches(raw, out, "poverty") == (0, 0, {})
    poverty = pd.read_parquet(out / "poverty.parquet")
    assert poverty[OFFICIAL_COLUMNS[:-1]].notna().any().all()  # the forms filled every column
    assert {"02/HN", "A+B+C+D"} <= set(poverty["source_form"])


def test_district_rows_are_never_commune_rows(official):
    raw, out = official
    poverty = pd.read_parquet(out / "poverty.parquet")
    districts = pd.read_parquet(out / "poverty_districts.parquet")
    assert len(districts) > 0
    assert _mismatches(raw, out, "poverty_districts") == (0, 0, {})
    communes = pd.read_parquet(out / "communes.parquet")
    assert poverty["commune_code"].isin(communes["commune_code"]).all()
    assert not poverty.set_index(KEY).index.isin(districts.set_index(KEY).index).any()


def test_the_planted_disagreement_is_found_at_both_cells(official):
    raw, out = official
    planted = pd.read_csv(raw / "truth" / "planted_issues.csv")
    issues = pd.read_parquet(out / "issues.parquet")
    key = ["code", "severity", "source_file", "source_sheet", "cell"]
    found = planted.merge(issues[key].drop_duplicates(), on=key, how="left", indicator=True)
    assert (found["_merge"] == "both").all(), found[found["_merge"] != "both"][key]
    disagree = issues[issues["code"] == "FORMS_DISAGREE"]
    assert len(disagree) == 2  # one finding at each of the two cells, each naming both
    assert disagree["source_file"].nunique() == 2
