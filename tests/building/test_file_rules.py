"""Rules across files and years: continuity, mergers, a commune's history, missing communes."""

from __future__ import annotations

import pandas as pd

from ketnghia_analysis.building import file_rules, rulebook
from ketnghia_analysis.reference import gazetteer


def poverty_history(values: dict[int, tuple[int, int]], code="20944") -> pd.DataFrame:
    rows = []
    for year, (start, end) in values.items():
        rows.append(
            {
                "year": year,
                "district_code": "516",
                "commune_code": code,
                "commune_name": "Xã Trà Mai",
                "households_total": 1000,
                "poor_start": start,
                "poor_end": end,
                "poverty_standard": "2016-2020" if year <= 2021 else "2022-2025",
                "source_file": f"bc_{year}.xlsx",
                "source_sheet": "B02",
                "source_row": 7,
            }
        )
    return pd.DataFrame(rows)


def test_previous_year_end_vs_start_except_across_the_standard_break():
    frame = poverty_history(
        {2020: (420, 400), 2021: (390, 380), 2022: (500, 450), 2023: (450, 430)}
    )
    columns = {("bc_2021.xlsx", "B02"): {"poor_start": 3}}
    issues = file_rules.check_continuity(frame, columns)
    # 2021 starts at 390 but 2020 ended at 400; 2022 (new standard) may jump; 2023 is fine
    assert [(i.code, i.year, i.cell, i.value, i.expected) for i in issues] == [
        ("PREV_YEAR_MISMATCH", 2021, "D7", "390", "400")
    ]
    assert issues[0].severity == "warning"


def test_merger_year_is_not_a_continuity_break():
    # Quế Mỹ (20665) absorbed Quế Cường (valid to 31/12/2019): 2020 starts larger
    frame = poverty_history({2019: (60, 50), 2020: (101, 90)}, code="20665")
    breaks = file_rules.merger_years(gazetteer.communes())
    assert 2020 in breaks["20665"]
    assert file_rules.check_continuity(frame, None, breaks) == []
    assert len(file_rules.check_continuity(frame, None, {})) == 1


def test_value_far_outside_the_communes_history():
    frame = poverty_history(
        {2019: (400, 380), 2020: (380, 3700), 2021: (370, 350), 2022: (360, 340)}
    )
    issues = file_rules.check_history(frame, columns=("poor_end",))
    # 2022 (new standard) is compared with no other year of its own standard
    assert [(i.code, i.year, i.value) for i in issues] == [("HISTORY_OUTLIER", 2020, "3.700")]
    calm = poverty_history({2019: (400, 380), 2020: (380, 120), 2021: (370, 350)})
    assert file_rules.check_history(calm, columns=("poor_end",)) == []  # a fall of 3× is possible


def test_missing_communes_of_the_district():
    expected = pd.DataFrame(
        {
            "commune_code": ["20935", "20938", "20941"],
            "commune_name": ["Xã Trà Leng", "Xã Trà Dơn", "Xã Trà Tập"],
        }
    )
    ctx = rulebook.Context("516/bc.xlsx", "B02", "516", 2023)
    issues = file_rules.check_missing(["20935", "20941"], expected, ctx, "Biểu 02/HN")
    assert [(i.code, i.severity, i.expected) for i in issues] == [
        ("MISSING_COMMUNE", "warning", "Xã Trà Dơn")
    ]
