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


def support_rows(rows: list[tuple[str, str, int, int | None]]) -> pd.DataFrame:
    """(commune, partner, year, pair_start_year) → support rows of district 516."""
    return pd.DataFrame(
        [
            {
                "year": year,
                "district_code": "516",
                "commune_code": code,
                "partner_id": partner,
                "partner_name": f"Đơn vị {partner}",
                "pair_start_year": start,
                "source_file": f"bc_{year}.xlsx",
                "source_sheet": "01-KN",
                "source_row": 8 + i,
            }
            for i, (code, partner, year, start) in enumerate(rows)
        ]
    )


RECEIVED = {("516", y): (f"bc_{y}.xlsx", "01-KN") for y in range(2019, 2025)}


def test_pairing_findings_blank_start_missing_commune_and_gap():
    support = support_rows(
        [
            ("20944", "P1", 2021, None),  # blank start every year
            ("20944", "P1", 2022, None),
            ("20947", "P2", 2020, 2020),  # absent in 2022 although twinned: missing
            ("20947", "P2", 2021, 2020),
            ("20950", "P3", 2020, 2019),  # twinned from 2019 but no row in 2019: missing
            ("20950", "P3", 2021, 2019),
            ("20950", "P4", 2021, 2021),
            ("20950", "P3", 2023, 2019),  # P3 skips 2022 while P4 has a row: a gap
            ("20950", "P4", 2022, 2021),
            ("20950", "P4", 2023, 2021),
            ("20950", "P4", 2024, 2021),
            ("20950", "P3", 2024, 2019),
        ]
    )
    columns = {("bc_2021.xlsx", "01-KN"): {"pair_start_year": 5, "partner_name": 1}}
    quarantined = {("516", 2023): {"20947"}}  # its 2023 row is set aside: not missing
    issues = file_rules.check_pairings(support, RECEIVED, quarantined, columns)
    found = sorted((i.code, i.year, i.cell, i.expected) for i in issues)
    assert ("PAIR_START_BLANK", 2021, "F8", None) in found
    missing = [(code, year, exp) for code, year, _, exp in found if code == "MISSING_COMMUNE"]
    assert missing == [
        ("MISSING_COMMUNE", 2019, "20950"),
        ("MISSING_COMMUNE", 2022, "20947"),
        ("MISSING_COMMUNE", 2023, "20944"),  # twinned from 2021, no row after 2022
        ("MISSING_COMMUNE", 2024, "20944"),
        ("MISSING_COMMUNE", 2024, "20947"),
    ]
    gaps = [i for i in issues if i.code == "PAIRING_GAP"]
    assert [(i.year, i.source_file, i.row) for i in gaps] == [(2023, "bc_2023.xlsx", 15)]
    assert "2022" in gaps[0].message and "[PAIRING_GAP]" in gaps[0].message
    for code in ("PAIR_START_BLANK", "PAIRING_GAP"):
        assert rulebook.RULES[code][0] == "warning"
    # every finding names its file and sheet
    assert all(i.source_file and i.source_sheet for i in issues)


def test_a_commune_merged_away_is_not_expected_in_support():
    # Quế Phước (20674) was merged into Quế Lâm at the end of 2019
    support = support_rows([("20674", "P1", 2019, 2018)])
    support["district_code"] = "519"
    received = {("519", y): (f"bc_{y}.xlsx", "01-KN") for y in (2019, 2020)}
    plain = file_rules.check_pairings(support, received)
    assert [(i.code, i.year) for i in plain] == [("MISSING_COMMUNE", 2020)]
    assert file_rules.check_pairings(support, received, gazetteer=gazetteer) == []
