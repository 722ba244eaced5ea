"""Kinds of number and their Vietnamese text: values, heatmap cells, tick labels."""

from __future__ import annotations

import pandas as pd
import pytest

from ketnghia_analysis.reporting import kinds


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (1234.5, "number", "1.234,5"),
        (1234, "number", "1.234"),
        (0.125, "percent", "12,5%"),
        (-0.024, "diff", "-2,4 điểm %"),
        (-1.6, "points", "-1,6 điểm %"),
        (1.5, "points", "+1,5 điểm %"),
        (1234.5, "money", "1.234,5 tr.đ"),
        (None, "number", "–"),
        (float("nan"), "percent", "–"),
        (pd.NA, "number", "–"),
    ],
)
def test_fmt_value(value, kind, expected):
    assert kinds.fmt_value(value, kind) == expected


def test_short_values_for_heatmap_cells():
    assert kinds.short_value(0.3941, "percent") == "39,4%"
    assert kinds.short_value(-1.63, "points") == "-1,6"
    assert kinds.short_value(1234.56, "money") == "1.235"
    assert kinds.short_value(None, "percent") == ""


def test_tick_formatters_are_vietnamese():
    assert kinds.formatter("percent")(0.25, 0) == "25%"
    assert kinds.formatter("number")(12345, 0) == "12.345"
    assert kinds.formatter("diff")(-0.025, 0) == "-2,5"


def test_kind_guessed_from_column_name():
    assert kinds.kind_of("poverty_rate_end") == "percent"
    assert kinds.kind_of("share_met") == "percent"
    assert kinds.kind_of("money_mvnd") == "money"
    assert kinds.kind_of("rate_change_points") == "points"
    assert kinds.kind_of("poor_end") == "number"
