"""Tables for readers: Vietnamese numbers, glossary headers, rows numbered from 1."""

from __future__ import annotations

import pandas as pd

from ketnghia_analysis.reporting import readable


def test_show_table_formats_numbers_and_renames_headers():
    frame = pd.DataFrame({"year": [2024], "poor_end": [1234], "poverty_rate_end": [0.125]})
    shown = readable.show_table(frame)
    assert list(shown.columns) == [
        "Năm báo cáo",
        "Số hộ nghèo cuối năm (hộ)",
        "Tỷ lệ hộ nghèo cuối năm (%)",
    ]
    assert shown.iloc[0].tolist() == [2024, "1.234", "12,5%"]
    assert shown.index.name == "STT" and shown.index[0] == 1


def test_show_table_drops_control_characters_from_text():
    frame = pd.DataFrame(
        {
            "partner_name": ["Sở\x1b[31m Tài chính\x00", "Sở Y tế"],
            "partner_type": pd.Categorical(["sở\x07, ban, ngành tỉnh", "sở, ban, ngành tỉnh"]),
            "money_mvnd": [1.5, 2.0],
        }
    )
    shown = readable.show_table(frame, rename=False)
    assert shown["partner_name"].tolist() == ["Sở[31m Tài chính", "Sở Y tế"]
    assert shown["partner_type"].tolist() == ["sở, ban, ngành tỉnh"] * 2
