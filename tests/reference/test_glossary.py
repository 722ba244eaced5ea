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
