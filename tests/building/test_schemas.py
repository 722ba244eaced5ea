"""Pandera schemas: exact contract columns, Vietnamese titles, lazy collection of failures."""

import pandas as pd

from ketnghia_analysis.building import schemas

SPEC_POVERTY = (
    "year, district_code, commune_code, commune_name, households_total, poor_start, "
    "poverty_exits, poverty_relapses, poverty_new, poor_end, near_poor_end, "
    "poor_ethnic_minority_end, poverty_rate_end, poverty_standard, people_total, "
    "exits_to_near_poor, exits_above_near_poor, poverty_other_decrease, poverty_from_near_poor, "
    "poverty_other_increase, poor_people_end, near_poor_people_end, source_form, source_file, "
    "source_sheet, source_row"
)  # tables.md: the columns, then those of the official forms ("Also, …"), then provenance


def test_poverty_columns_are_the_contract():
    assert schemas.columns("poverty") == SPEC_POVERTY.split(", ")
    spec = ["rows_read", "rows_accepted", "rows_quarantined", "rows_structural", "read_at"]
    # the spec's columns in its order; columns added since (issue #20) may stand among them
    assert [c for c in schemas.columns("submissions") if c in spec] == spec
    assert "cells_nulled" in schemas.columns("submissions")
    assert schemas.columns("partners") == ["partner_id", "partner_name", "partner_type", "aliases"]


def test_titles_are_vietnamese_labels():
    schema = schemas.schema("poverty")
    assert schema.columns["poor_end"].title == "Số hộ nghèo cuối năm"
    assert schema.columns["poverty_rate_end"].title == "Tỷ lệ hộ nghèo cuối năm"


def test_empty_tables_are_valid():
    for table in schemas.TABLES:
        assert schemas.validate(schemas.empty(table), table).empty, table


def test_every_failure_is_collected():
    frame = schemas.conform(
        pd.DataFrame(
            {
                "year": [2023, 2023, 2023],
                "district_code": ["516", "516", "516"],
                "commune_code": ["20944", "20944", "20935"],
                "poor_end": [10, -1, 5],
                "poverty_rate_end": [0.1, 0.2, 1.5],
                "poverty_standard": ["2022-2025", "2022-2025", "2030"],
                "source_file": ["a.xlsx"] * 3,
            }
        ),
        "poverty",
    )
    failures = schemas.validate(frame, "poverty")
    checks = set(zip(failures["column"], failures["check"], strict=True))
    assert ("poor_end", "greater_than_or_equal_to(0)") in checks
    assert ("poverty_rate_end", "in_range(0, 1)") in checks
    assert any(c == "poverty_standard" for c, _ in checks)
    # the duplicated key (2023, 20944) is reported too, in the same pass
    assert any(check == "multiple_fields_uniqueness" for _, check in checks)


def test_conform_orders_and_types():
    frame = schemas.conform(pd.DataFrame({"source_file": ["x"], "year": [2023.0]}), "issues")
    assert list(frame.columns) == schemas.columns("issues")
    assert str(frame["year"].dtype) == "Int64"
