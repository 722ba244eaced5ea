"""Tests of ketnghia_analysis.reading.values: numbers, counts, percents, years, dates, units."""

from __future__ import annotations

import datetime as dt
import math
import pickle
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketnghia_analysis.reading.dates import (
    parse_date,
    parse_year,
)
from ketnghia_analysis.reading.percents import (
    parse_percent_column,
)
from ketnghia_analysis.reading.units import (
    money_scale,
)
from ketnghia_analysis.reading.values import (
    NOT_ASSESSED,
    ValueParseError,
    is_blank,
    parse_count_column,
    parse_number,
    parse_number_column,
)

# --- blanks and errors -----------------------------------------------------------------


def test_is_blank():
    assert is_blank(None)
    assert is_blank("")
    assert is_blank(" \u00a0\u200b\t")
    assert is_blank(float("nan"))
    assert not is_blank(0)
    assert not is_blank(0.0)
    assert not is_blank("-")
    assert not is_blank("0")


def test_error_is_value_error_with_code_and_quoted_value():
    with pytest.raises(ValueError) as info:
        parse_number("mười hai")
    err = info.value
    assert isinstance(err, ValueParseError)
    assert err.code == "VALUE_NOT_NUMERIC"
    assert "mười hai" in str(err)
    assert err.value == "mười hai"


def test_not_assessed_is_a_singleton_and_not_a_bool():
    assert pickle.loads(pickle.dumps(NOT_ASSESSED)) is NOT_ASSESSED
    with pytest.raises(TypeError):
        bool(NOT_ASSESSED)


# --- single numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "vi", "en"),
    [
        ("1.234", 1234.0, 1.234),
        ("1,234", 1.234, 1234.0),
        ("1 234", 1234.0, 1234.0),
        ("1\u00a0234", 1234.0, 1234.0),
        ("1.234,5", 1234.5, 1234.5),
        ("1,234.5", 1234.5, 1234.5),
        ("12,5", 12.5, 12.5),
        ("12.5", 12.5, 12.5),
        ("0,125", 0.125, 0.125),
        ("1.234.567", 1234567.0, 1234567.0),
        ("1,234,567", 1234567.0, 1234567.0),
        ("1234,567", 1234.567, 1234.567),
        ("-1.234,5", -1234.5, -1234.5),
        (1234.0, 1234.0, 1234.0),
        (7, 7.0, 7.0),
        ("  42 ", 42.0, 42.0),
        ("-", 0.0, 0.0),
        ("–", 0.0, 0.0),
        ("—", 0.0, 0.0),
        ("", None, None),
        (None, None, None),
        ("   ", None, None),
        ("x", None, None),
        ("X", None, None),
        ("không đánh giá", None, None),
    ],
)
def test_parse_number(raw, vi, en):
    assert parse_number(raw) == vi
    assert parse_number(raw, convention="en") == en


@pytest.mark.parametrize(
    "raw",
    ["abc", "5 - 6 hộ", "1.23.4", "1,2,3", "1.234,5.6", "12..5", True, "12%", float("inf")],
)
def test_parse_number_rejects(raw):
    with pytest.raises(ValueParseError) as info:
        parse_number(raw)
    assert info.value.code == "VALUE_NOT_NUMERIC"


# --- number columns --------------------------------------------------------------------


def test_column_vietnamese_by_default():
    col = parse_number_column(["1.234", "2.000", None, 5.0])
    assert col.convention == "vi"
    assert col.values == [1234.0, 2000.0, None, 5.0]
    assert col.errors == {}


def test_column_english_evidence_decides_ambiguous_cells():
    col = parse_number_column(["1,234", "2,500.75", "3,000"])
    assert col.convention == "en"
    assert col.values == [1234.0, 2500.75, 3000.0]


def test_column_vietnamese_evidence_makes_comma_decimal():
    col = parse_number_column(["1,234", "12,5", "0,75"])
    assert col.convention == "vi"
    assert col.values == [1.234, 12.5, 0.75]
    assert col.evidence == {"vi": 2}


def test_column_errors_by_index_and_sentinels():
    col = parse_number_column(["10", "mười", "-", "x", "...", ""])
    assert col.values == [10.0, None, 0.0, None, None, None]
    assert list(col.errors) == [1]
    assert col.errors[1].code == "VALUE_NOT_NUMERIC"
    assert col.sentinels == {2: "dash", 3: "x", 4: "not_collected"}


def test_count_column():
    col = parse_count_column(["1.234", "1,234", 3.0, "-", "", "x", 2.5, -1, "a"])
    assert col.values == [1234, 1234, 3, 0, None, None, None, None, None]
    assert {i: e.code for i, e in col.errors.items()} == {
        6: "VALUE_NOT_INTEGER",
        7: "VALUE_NEGATIVE",
        8: "VALUE_NOT_NUMERIC",
    }
    assert all(isinstance(v, int) for v in col.values if v is not None)


# --- percents --------------------------------------------------------------------------


def test_percent_three_styles_agree():
    expected = [0.125, 0.3, 0.0, None]
    points = parse_percent_column(["12,5", "30", "-", ""])
    signs = parse_percent_column(["12,5%", "30 %", "0%", None])
    fractions = parse_percent_column([0.125, 0.3, 0, None])
    numbers = parse_percent_column([12.5, 30.0, 0.0, None])
    for col in (points, signs, fractions, numbers):
        assert col.values == pytest.approx(expected)
    assert points.convention == "points"
    assert signs.convention == "points"
    assert fractions.convention == "fraction"
    assert numbers.convention == "points"


def test_percent_small_rates_need_header_or_expected():
    # A city where every rate is under 1 %: 0,5 means 0.5 %.
    assert parse_percent_column(["0,5", "0,25"]).values == pytest.approx([0.5, 0.25])
    hinted = parse_percent_column(["0,5", "0,25"], header_says_percent=True)
    assert hinted.convention == "points"
    assert hinted.values == pytest.approx([0.005, 0.0025])
    # Counts settle it: 5 poor of 1000 households is 0.5 %.
    by_counts = parse_percent_column(["0,5", "0,25"], expected=[0.005, 0.0025])
    assert by_counts.convention == "points"
    # ... and a percent-formatted column under a "(%)" header holds fractions.
    formatted = parse_percent_column([0.5, 0.25], header_says_percent=True, expected=[0.5, 0.25])
    assert formatted.values == pytest.approx([0.5, 0.25])


def test_percent_mixed_sign_and_fraction_cells():
    col = parse_percent_column(["12,5%", 0.2])
    assert col.values == pytest.approx([0.125, 0.2])


def test_percent_errors():
    col = parse_percent_column(["150", "-5", "abc", "50"])
    assert {i: e.code for i, e in col.errors.items()} == {
        0: "VALUE_OUT_OF_RANGE",
        1: "VALUE_NEGATIVE",
        2: "VALUE_NOT_NUMERIC",
    }
    assert col.values == [None, None, None, 0.5]


# --- years and dates -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "year"),
    [
        (2023, 2023),
        (2023.0, 2023),
        ("2023", 2023),
        ("năm 2023", 2023),
        ("Năm 2023", 2023),
        ("NĂM  2019", 2019),
        ("2023.0", 2023),
        (None, None),
        ("", None),
        (dt.date(2021, 12, 1), 2021),
        (dt.datetime(1905, 7, 15), 2023),  # 2023 typed into a date-formatted cell
    ],
)
def test_parse_year(raw, year):
    assert parse_year(raw) == year


@pytest.mark.parametrize("raw", [1974, 2036, 2023.5, "23", "2024-2023", "năm ngoái", True])
def test_parse_year_rejects(raw):
    with pytest.raises(ValueParseError) as info:
        parse_year(raw)
    assert info.value.code == "VALUE_BAD_YEAR"


@pytest.mark.parametrize(
    ("raw", "date"),
    [
        (45275, dt.date(2023, 12, 15)),
        (45275.5, dt.date(2023, 12, 15)),
        ("45275", dt.date(2023, 12, 15)),
        (43466, dt.date(2019, 1, 1)),
        ("15/12/2023", dt.date(2023, 12, 15)),
        ("15-12-2023", dt.date(2023, 12, 15)),
        ("15.12.2023", dt.date(2023, 12, 15)),
        ("5/1/2024", dt.date(2024, 1, 5)),
        ("15/12/23", dt.date(2023, 12, 15)),
        ("ngày 15 tháng 12 năm 2023", dt.date(2023, 12, 15)),
        ("Quảng Nam, ngày 05 tháng 01 năm 2024", dt.date(2024, 1, 5)),
        ("Kèm theo Báo cáo số 123/BC-UBND ngày 15/12/2023", dt.date(2023, 12, 15)),
        ("2023-12-15", dt.date(2023, 12, 15)),
        ("2023-12-15 00:00:00", dt.date(2023, 12, 15)),
        (dt.datetime(2023, 12, 15, 14, 0), dt.date(2023, 12, 15)),
        (dt.date(2023, 12, 15), dt.date(2023, 12, 15)),
        (None, None),
    ],
)
def test_parse_date(raw, date):
    assert parse_date(raw) == date


@pytest.mark.parametrize("raw", ["31/02/2023", "hôm qua", 60, 12, "15/12/1850", True, -3])
def test_parse_date_rejects(raw):
    with pytest.raises(ValueParseError) as info:
        parse_date(raw)
    assert info.value.code == "VALUE_BAD_DATE"


def test_excel_1900_leap_year_bug():
    from ketnghia_analysis.reading.dates import _from_serial

    assert _from_serial(1, 1) == dt.date(1900, 1, 1)
    assert _from_serial(59, 59) == dt.date(1900, 2, 28)
    assert _from_serial(61, 61) == dt.date(1900, 3, 1)
    with pytest.raises(ValueParseError):
        _from_serial(60, 60)


# --- money units -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "scale"),
    [
        ("ĐVT: triệu đồng", 1.0),
        ("ĐVT: Triệu đồng", 1.0),
        ("Kinh phí hỗ trợ (Tr.đ)", 1.0),
        ("trđ", 1.0),
        ("(triệu)", 1.0),
        ("TRIỆU ĐỒNG", 1.0),
        ("ĐVT: nghìn đồng", 0.001),
        ("ngàn đồng", 0.001),
        ("Hỗ trợ bằng tiền (1.000đ)", 0.001),
        ("1.000 đồng", 0.001),
        ("nghìn", 0.001),
        ("ĐVT: đồng", 1e-6),
        ("VNĐ", 1e-6),
        ("VND", 1e-6),
        ("(đồng)", 1e-6),
        ("ĐVT: tỷ đồng", 1000.0),
        ("Tỷ lệ hộ nghèo (%)", None),
        ("UBND huyện Đông Giang", None),
        ("Số hộ", None),
        ("", None),
        (None, None),
    ],
)
def test_money_scale(text, scale):
    assert money_scale(text) == scale
    if text:
        assert money_scale(unicodedata.normalize("NFD", text)) == scale


# --- property tests --------------------------------------------------------------------


def _group(digits: str, sep: str) -> str:
    out = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return sep.join(out)


def _typed(x: float, decimals: int, style: str) -> str:
    """How a district would type x: "vi" 1.234,5 / "en" 1,234.5 / "space" 1 234,5."""
    thou, dec = {"vi": (".", ","), "en": (",", "."), "space": (" ", ",")}[style]
    text = f"{abs(x):.{decimals}f}"
    whole, _, frac = text.partition(".")
    out = _group(whole, thou) + (dec + frac if frac else "")
    return ("-" if x < 0 else "") + out


amounts = st.integers(min_value=-(10**9), max_value=10**9)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(amounts, st.integers(0, 3)), min_size=1, max_size=12),
    st.sampled_from(["vi", "en", "space"]),
    st.booleans(),
)
def test_number_column_round_trip(cells, style, as_numbers):
    numbers = [n / 10**d for n, d in cells]
    typed: list[object] = [_typed(x, d, style) for x, (_, d) in zip(numbers, cells, strict=True)]
    # One cell typed unambiguously (a decimal part of 2 digits) anchors the convention.
    anchor = 1234.56
    typed.append(_typed(anchor, 2, style))
    numbers.append(anchor)
    if as_numbers:  # some cells stored as numbers, as Excel does
        typed[0] = numbers[0]
    col = parse_number_column(typed)
    assert col.errors == {}
    assert col.values == pytest.approx(numbers, rel=1e-12, abs=1e-9)
    assert col.convention == ("en" if style == "en" else "vi")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 10**7), min_size=1, max_size=10), st.sampled_from(["vi", "en"]))
def test_count_column_round_trip(counts, style):
    typed = [_typed(c, 0, style) for c in counts]
    col = parse_count_column(typed)
    assert col.errors == {}
    assert col.values == counts


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 1000), min_size=1, max_size=10))
def test_percent_styles_give_same_fractions(permille):
    fractions = [p / 1000 for p in permille]
    points_text = [_typed(p / 10, 1, "vi") for p in permille]
    with_sign = [t + "%" for t in points_text]
    hint = max(fractions) <= 0.01  # every rate under 1 %: only the header can tell
    a = parse_percent_column(points_text, header_says_percent=hint)
    b = parse_percent_column(with_sign)
    c = parse_percent_column(fractions)
    for col in (a, b, c):
        assert col.errors == {}
        assert col.values == pytest.approx(fractions, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.integers(1990, 2035), st.sampled_from(["int", "float", "str", "nam", "Nam", "pad"]))
def test_year_property(year, form):
    raw = {
        "int": year,
        "float": float(year),
        "str": str(year),
        "nam": f"năm {year}",
        "Nam": f"Năm {year}",
        "pad": f"\u00a0{year} ",
    }[form]
    assert parse_year(raw) == year


@settings(max_examples=100, deadline=None)
@given(st.dates(dt.date(1990, 1, 1), dt.date(2035, 12, 31)))
def test_date_property(d):
    serial = (d - dt.date(1899, 12, 30)).days
    assert parse_date(serial) == d
    assert parse_date(float(serial) + 0.25) == d
    assert parse_date(f"{d.day:02d}/{d.month:02d}/{d.year}") == d
    assert parse_date(f"{d.day}-{d.month}-{d.year}") == d
    assert parse_date(f"ngày {d.day} tháng {d.month} năm {d.year}") == d
    assert parse_date(d.isoformat()) == d
    assert not math.isnan(serial)


def test_percent_sign_cells_make_bare_text_cells_points():
    col = parse_percent_column(["12,5%", "0,5"])
    assert col.convention == "points"
    assert col.values == pytest.approx([0.125, 0.005])


@pytest.mark.parametrize(
    ("text", "scale"),
    [
        ("ĐVT: 1000 đồng", 0.001),
        ("Đơn vị tính: 1.000 VNĐ", 0.001),
        ("(Tr. đồng)", 1.0),
        ("trieu dong", 1.0),
        ("nghin dong", 0.001),
        ("1000d", 0.001),
        ("ty dong", 1000.0),
        ("dong", 1e-6),
        ("Kinh phí (đ)", 1e-6),
        ("ĐVT: đ", 1e-6),
        ("Số hộ nghèo đồng bào DTTS", None),
        ("Hội đồng nhân dân", None),
        ("Nhà Đ.Đ.K", None),
    ],
)
def test_money_scale_more_spellings(text, scale):
    assert money_scale(text) == scale
