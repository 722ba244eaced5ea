"""Glossary: labels with units, every processed column covered, extra glossary files loaded."""

import pandas as pd
import pytest

from ketnghia_analysis.building import schemas
from ketnghia_analysis.reference import glossary


def test_label_with_unit():
    assert glossary.label("poverty_rate_end") == "Tỷ lệ hộ nghèo cuối năm (%)"
    assert glossary.label("cash_mvnd") == "Hỗ trợ bằng tiền (triệu đồng)"
    assert glossary.label("commune_code") == "Mã xã"


def test_unknown_name_label_falls_back_and_entry_raises():
    assert glossary.label("no_such_column") == "no_such_column"
    with pytest.raises(KeyError):
        glossary.entry("no_such_column")


def test_every_processed_column_has_an_entry():
    names = set(glossary.table()["name"])
    for table in schemas.TABLES:
        missing = set(schemas.columns(table)) - names
        assert not missing, (table, missing)


def test_entry_fields():
    item = glossary.entry("poor_end")
    assert item == {
        "label": "Số hộ nghèo cuối năm",
        "unit": "hộ",
        "description": item["description"],
    }
    assert "thoát nghèo" in item["description"]


def test_other_glossary_files_are_loaded(tmp_path):
    (tmp_path / "glossary.csv").write_text(
        "name,label,unit,description\nyear,Năm,,Năm báo cáo\n", encoding="utf-8"
    )
    (tmp_path / "glossary_indicators.csv").write_text(
        "# indicators\nname,label,unit,description\nexit_rate,Tỷ lệ thoát nghèo,%,thoát / đầu năm\n",
        encoding="utf-8",
    )
    assert glossary.label("exit_rate", tmp_path) == "Tỷ lệ thoát nghèo (%)"
    assert glossary.label("year", tmp_path) == "Năm"
    table = glossary.table(tmp_path)
    assert isinstance(table, pd.DataFrame) and list(table.columns) == glossary.COLUMNS
    assert len(table) == 2


def test_data_label_states_the_stored_unit_of_rates():
    """Rates are stored as fractions 0–1: the analyst's label must not say "(%)" for them
    (issue 17); the shown label keeps "%" because charts and workbooks format them so."""
    assert glossary.data_label("poverty_rate_end") == (
        "Tỷ lệ hộ nghèo cuối năm (phân số 0–1, ×100 = %)"
    )
    assert glossary.data_label("rate_change_points") == glossary.label("rate_change_points")
    assert glossary.data_label("cash_mvnd") == "Hỗ trợ bằng tiền (triệu đồng)"
    assert glossary.data_label("no_such_column") == "no_such_column"


def test_every_percent_unit_is_a_fraction_in_the_data():
    """Every column whose glossary unit is "%" holds a fraction 0–1 in the indicators."""
    from ketnghia_analysis.analysis import indicators

    table = glossary.table()
    percent = set(table.loc[table["unit"] == "%", "name"])
    frame = indicators.poverty(_tiny_tables(), level="district")
    shown = percent & set(frame.columns)
    assert shown >= {"poverty_rate_end", "exit_rate"}
    for column in shown:
        values = frame[column].dropna()
        assert ((values >= 0) & (values <= 1)).all(), column


def _tiny_tables() -> dict:
    """Two communes of one district, one year (hand-written numbers)."""
    poverty = pd.DataFrame(
        {
            "year": [2024, 2024],
            "district_code": ["516", "516"],
            "commune_code": ["20935", "20938"],
            "households_total": pd.array([1000, 500], dtype="Int64"),
            "poor_start": pd.array([400, 100], dtype="Int64"),
            "poverty_exits": pd.array([50, 10], dtype="Int64"),
            "poverty_relapses": pd.array([2, 0], dtype="Int64"),
            "poverty_new": pd.array([3, 1], dtype="Int64"),
            "poor_end": pd.array([355, 91], dtype="Int64"),
            "near_poor_end": pd.array([120, 40], dtype="Int64"),
            "poor_ethnic_minority_end": pd.array([300, 80], dtype="Int64"),
            "poverty_rate_end": [0.355, 0.182],
            "poverty_standard": ["2022-2025", "2022-2025"],
        }
    )
    return {"poverty": poverty}


def test_kn_label_names_the_stored_unit_of_a_fraction():
    """`kn.label` is for analysts reading the tables: a rate is stored as a fraction, so its
    label must not say "(%)" (issue 17); charts keep the display label."""
    import ketnghia_analysis as kn

    text = kn.label("poverty_rate_end")
    assert not text.endswith("(%)")
    assert "phân số 0–1" in text
    assert kn.label("poor_end") == glossary.label("poor_end") == "Số hộ nghèo cuối năm (hộ)"
    assert glossary.label("poverty_rate_end").endswith("(%)")
