"""Sustainable poverty exit against a tiny hand-made province (expected values by hand).

Year 2023, two districts, four communes; three communes come from the official review
forms (exits split, persons counted), one from Biểu 02/HN alone (those columns null).

    code   district  twinned since  exits: above / into near-poor  from near-poor  source
    10001  901       2022           6 / 4                          5               A+B
    10002  901       2021           15 / 5                         1               A+B
    10003  902       never          2 / 4                          3               A+B
    10004  902       never          4 exits, not split             -               02/HN
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ketnghia_analysis.analysis import indicators as ind
from ketnghia_analysis.reference import gazetteer

A1, A2, B1, B2 = "10001", "10002", "10003", "10004"
OFFICIAL = (
    "exits_above_near_poor",
    "exits_to_near_poor",
    "poverty_from_near_poor",
    "people_total",
    "poor_people_end",
)


def _row(code, district, hh, start, rel, new, end, official=None, exits=None):
    above, to_near, from_near, people, poor_people = official or (None,) * 5
    return {
        "year": 2023,
        "district_code": district,
        "commune_code": code,
        "households_total": hh,
        "poor_start": start,
        "poverty_exits": exits if official is None else above + to_near,
        "poverty_relapses": rel,
        "poverty_new": new,
        "poor_end": end,
        "exits_above_near_poor": above,
        "exits_to_near_poor": to_near,
        "poverty_from_near_poor": from_near,
        "people_total": people,
        "poor_people_end": poor_people,
        "source_form": "02/HN" if official is None else "A+B",
    }


@pytest.fixture()
def tables() -> dict[str, pd.DataFrame]:
    communes = pd.DataFrame(
        {
            "commune_code": [A1, A2, B1, B2],
            "commune_name": ["Xã A Một", "Xã A Hai", "Xã B Một", "Phường B Hai"],
            "commune_type": ["xã", "xã", "xã", "phường"],
            "district_code": ["901", "901", "902", "902"],
            "district_name": ["Huyện Núi", "Huyện Núi", "Huyện Đồng", "Huyện Đồng"],
            "mountainous": pd.array([True, True, pd.NA, pd.NA], dtype="boolean"),
            "border": pd.array([pd.NA] * 4, dtype="boolean"),
            "ethnic_region": ["III", None, None, None],
            "unit_2025_code": ["U1", "U1", "U2", "U2"],
            "unit_2025_name": ["Xã U Một", "Xã U Một", "Phường U Hai", "Phường U Hai"],
        }
    )
    poverty = pd.DataFrame(
        [
            _row(A1, "901", 100, 40, 2, 3, 40, (6, 4, 5, 400, 150)),
            _row(A2, "901", 200, 50, 0, 4, 35, (15, 5, 1, 800, 120)),
            _row(B1, "902", 300, 15, 1, 2, 15, (2, 4, 3, 1200, 50)),
            _row(B2, "902", 400, 8, 0, 0, 4, exits=4),
        ]
    )
    for column in poverty.columns:
        if column not in ("year", "district_code", "commune_code", "source_form"):
            poverty[column] = poverty[column].astype("Int64")
    support = pd.DataFrame(
        {
            "year": [2022, 2021],
            "district_code": ["901", "901"],
            "commune_code": [A1, A2],
            "partner_id": ["P1", "P1"],
            "pair_start_year": [2022, 2021],
        }
    )
    return {"communes": communes, "poverty": poverty, "support": support}


def _one(frame: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for key, value in where.items():
        mask &= frame[key] == value
    assert mask.sum() == 1, where
    return frame[mask].iloc[0]


def test_district_sustainable_exit_and_flows(tables):
    out = ind.exits(tables, level="district")
    mountain = _one(out, district_code="901")
    assert mountain["communes_exit_split"] == 2
    assert mountain["exits_above_near_poor"] == 21
    assert mountain["exits_to_near_poor"] == 9
    assert mountain["sustainable_exit_share"] == pytest.approx(21 / 30)
    assert mountain["near_poor_exit_share"] == pytest.approx(9 / 30)
    # fell into poverty: (5 + 2 + 3) + (1 + 0 + 4); of them near-poor 5 + 1
    assert mountain["from_near_poor_share"] == pytest.approx(6 / 15)
    assert mountain["relapse_rate"] == pytest.approx(2 / (60 + 150))
    assert mountain["new_poor_rate"] == pytest.approx(7 / (60 + 150))
    assert mountain["poor_people_end"] == 270
    assert mountain["people_poverty_rate"] == pytest.approx(270 / 1200)


def test_a_02hn_commune_never_enters_the_split_rates(tables):
    """B2's 4 exits are not split: they count among the exits but not in the shares."""
    plain = _one(ind.exits(tables, level="district"), district_code="902")
    assert plain["communes_exit_split"] == 1
    assert plain["poverty_exits"] == 10
    assert plain["sustainable_exit_share"] == pytest.approx(2 / 6)
    assert plain["from_near_poor_share"] == pytest.approx(3 / 6)
    # its relapse and new-poor terms are reported, so it is in those rates
    assert plain["relapse_rate"] == pytest.approx(1 / (285 + 392))
    assert plain["communes_people"] == 1
    assert plain["people_poverty_rate"] == pytest.approx(50 / 1200)


def test_province_unit_2025_and_commune_levels(tables):
    province = ind.exits(tables, level="province").iloc[0]
    assert province["sustainable_exit_share"] == pytest.approx(23 / 36)
    assert province["communes_exit_split"] == 3
    units = ind.exits(tables, level="unit_2025").set_index("unit_2025_code")
    assert units.loc["U1", "sustainable_exit_share"] == pytest.approx(21 / 30)
    communes = ind.exits(tables, level="commune").set_index("commune_code")
    assert communes.loc[A1, "sustainable_exit_share"] == pytest.approx(0.6)
    assert math.isnan(communes.loc[B2, "sustainable_exit_share"])


def test_twinned_against_the_others(tables):
    groups = ind.exits(tables, level="province", by=("twinned",)).set_index("twinned")
    assert groups.loc[True, "sustainable_exit_share"] == pytest.approx(21 / 30)
    assert groups.loc[False, "sustainable_exit_share"] == pytest.approx(2 / 6)
    assert groups.loc[False, "communes_exit_split"] == 1


def test_a_table_without_the_official_columns_gives_empty_figures(tables):
    """An older build (or the default sample): no official column at all; no error."""
    tables["poverty"] = tables["poverty"].drop(columns=[*OFFICIAL, "source_form"])
    out = ind.exits(tables, level="district")
    assert out["communes_exit_split"].tolist() == [0, 0]
    assert out["sustainable_exit_share"].isna().all()
    assert out["relapse_rate"].notna().all()
    panel = ind.sustainable_exit_rate(tables)
    assert len(panel) == 4 and panel["y"].isna().all()


def test_sustainable_exit_rate_is_the_commune_panel_outcome(tables):
    panel = ind.sustainable_exit_rate(tables).set_index("commune_code")
    assert list(panel.columns) == ["year", "y", "households_total"]
    assert panel.loc[A2, "y"] == pytest.approx(0.75)
    assert math.isnan(panel.loc[B2, "y"])
    assert ind.POVERTY_RATES["sustainable_exit_share"] == ("exits_above_near_poor", "poverty_exits")


def test_exit_coverage_counts_only_the_communes_with_split_exits():
    units = gazetteer.communes_in_year(2023)
    district = str(units["district_code"].iloc[0])
    codes = units.loc[units["district_code"].astype(str) == district, "commune_code"].astype(str)
    codes = codes.tolist()[:3]
    rows = [
        _row(codes[0], district, 100, 10, 0, 0, 10, (1, 1, 0, 400, 30)),
        _row(codes[1], district, 100, 10, 0, 0, 10, (2, 0, 0, 400, 30)),
        _row(codes[2], district, 100, 10, 0, 0, 10, exits=2),  # 02/HN only
    ]
    tables = {"poverty": pd.DataFrame(rows)}
    out = _one(ind.exit_coverage(tables, level="district", year=2023), district_code=district)
    expected = int((units["district_code"].astype(str) == district).sum())
    assert out["communes_expected"] == expected
    assert out["communes_with_data"] == 2
    assert bool(out["complete"]) is (expected == 2)


def test_every_exit_column_has_a_vietnamese_label(tables):
    from ketnghia_analysis.reference import glossary

    known = set(glossary.table()["name"])
    columns = set(ind.exits(tables, level="commune", by=("twinned",)).columns)
    assert columns - known == set()
