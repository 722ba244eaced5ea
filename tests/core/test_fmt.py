"""Tests of ketnghia_analysis.core.fmt: Vietnamese number formatting."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketnghia_analysis.core.fmt import (
    fmt_money,
    fmt_number,
    fmt_percent,
    fmt_points,
    number_formatter,
    percent_formatter,
)
from ketnghia_analysis.reading.values import parse_number


@pytest.mark.parametrize(
    ("x", "decimals", "text"),
    [
        (0, 0, "0"),
        (7, 0, "7"),
        (999, 0, "999"),
        (1000, 0, "1.000"),
        (1234, 0, "1.234"),
        (1234.5, 1, "1.234,5"),
        (-1234.5, 1, "-1.234,5"),
        (1234567, 0, "1.234.567"),
        (0.125, 3, "0,125"),
        (12.5, 0, "13"),
        (0.05, 1, "0,1"),
        (-0.01, 1, "0,0"),
        (1e9, 2, "1.000.000.000,00"),
        (None, 0, "–"),
        (float("nan"), 1, "–"),
    ],
)
def test_fmt_number(x, decimals, text):
    assert fmt_number(x, decimals) == text


def test_fmt_number_pandas_na():
    pd = pytest.importorskip("pandas")
    assert fmt_number(pd.NA) == "–"
    assert fmt_percent(pd.NA) == "–"


def test_fmt_percent_money_points():
    assert fmt_percent(0.125) == "12,5%"
    assert fmt_percent(0.0312, 2) == "3,12%"
    assert fmt_percent(0.5, 0) == "50%"
    assert fmt_money(1234.5) == "1.234,5 tr.đ"
    assert fmt_money(0.25, 2) == "0,25 tr.đ"
    assert fmt_points(-0.03) == "-3,0 điểm %"
    assert fmt_points(0.012) == "+1,2 điểm %"
    assert fmt_points(None) == "–"


def test_tick_formatters():
    assert number_formatter()(1234567.0, 0) == "1.234.567"
    assert number_formatter(1)(2.25, 0) == "2,3"
    assert percent_formatter()(0.4, 0) == "40%"
    assert percent_formatter(1)(0.125, 1) == "12,5%"


@settings(max_examples=200, deadline=None)
@given(
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False),
    st.integers(min_value=0, max_value=4),
)
def test_parse_number_reads_fmt_number(x, decimals):
    text = fmt_number(x, decimals)
    back = parse_number(text)
    assert back is not None
    # The formatted value is x rounded to `decimals` places.
    assert math.isclose(back, x, abs_tol=0.5 * 10**-decimals + 1e-6 * max(1.0, abs(x)))
    assert "," not in text if decimals == 0 else text.count(",") == 1


def test_importing_fmt_does_not_import_matplotlib():
    import subprocess
    import sys

    code = (
        "import sys, ketnghia_analysis.core.fmt, ketnghia_analysis.reading.values, ketnghia_analysis.core.text;"
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
