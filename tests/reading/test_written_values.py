"""Values as people write them (issue #20): numbers with words and units, separators of
every kind, years in any shape, Excel errors, rate scale — and one note per column."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketnghia_analysis.reading.dates import parse_date, parse_year, read_year
from ketnghia_analysis.reading.parsers import ColumnContext, SheetSite, parse_column
from ketnghia_analysis.reading.percents import parse_percent_column
from ketnghia_analysis.reading.values import (
    ValueParseError,
    parse_count_column,
    parse_number,
    parse_number_column,
)
from ketnghia_analysis.reference.synonyms import load_synonyms

SITE = SheetSite("huyen/bc.xlsx", "HN")


def ctx(name, label="", n=3, earlier=None, kinds=(), filled=()):
    rows = list(range(6, 6 + n))
    syn = load_synonyms()
    return ColumnContext(name, 7, rows, label, SITE, syn, None, earlier or {}, kinds, filled)


def codes(out):
    return [(i.severity, i.code) for i in out.issues]


# --- numbers inside text ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("106 hộ", 106.0),
        ("128,9 tr.đ", 128.9),
        ("1.234 triệu", 1234.0),
        ("khoảng 50", 50.0),
        ("50 (hộ)", 50.0),
        ("~50", 50.0),
        ("12 ha", 12.0),
        ("1'234", 1234.0),
        ("1’234,5", 1234.5),
        ("(-5)", -5.0),
    ],
)
def test_a_number_with_its_words_is_the_number(raw, number):
    assert parse_number(raw) == number


@pytest.mark.parametrize(
    "raw", ["5 - 6 hộ", "từ 5 đến 6", "không có", "15/12/2023", "3 hộ 2 người"]
)
def test_text_with_two_numbers_or_none_stays_an_error(raw):
    col = parse_number_column(["106 hộ", raw])
    assert col.values == [106.0, None]
    assert col.errors[1].code == "VALUE_NOT_NUMERIC"


def test_counts_with_words_are_read_and_said_once_per_column():
    out = parse_column("count", ["106 hộ", "50 (hộ)", 7], ctx("poor_end"))
    assert out.values == [106, 50, 7]
    assert codes(out) == [("info", "NUMBER_IN_TEXT")]
    (note,) = out.issues
    assert note.cell == "H7" and "Cột H: 2 ô" in note.message and "“106 hộ”" in note.message


def test_a_cell_naming_another_money_unit_is_converted_and_said_once():
    out = parse_column(
        "money",
        ["128,9 tr.đ", "500", "2 triệu đồng", "1,5 tỷ", "700 nghìn"],
        ctx("cash", "Hỗ trợ (nghìn đồng)", n=5),
    )
    assert out.values == pytest.approx([128.9, 0.5, 2.0, 1500.0, 0.7])
    assert codes(out) == [("info", "UNIT_CONVERTED"), ("info", "NUMBER_IN_TEXT")]
    assert "nghìn đồng" in out.issues[0].message and "3 ô" in out.issues[0].message


# --- separators --------------------------------------------------------------------------


def test_the_total_row_decides_an_ambiguous_money_column():
    # no cell says which convention: 1,500 + 734 = 2,234 only with comma thousands
    col = parse_number_column(["1,500", "734", "2,234"], ["data", "data", "total"])
    assert (col.convention, col.decided_by) == ("en", "total")
    assert col.values == [1500.0, 734.0, 2234.0]


def test_the_other_values_decide_when_there_is_no_total():
    col = parse_number_column(["1.234", 2.5, 3.75, 1.8])
    assert (col.convention, col.decided_by) == ("en", "magnitude")
    assert col.values[0] == pytest.approx(1.234)


def test_the_separator_decision_is_one_note_naming_its_evidence():
    raw = ["1,500", "734", "2,234"]
    out = parse_column(
        "money", raw, ctx("cash", "Hỗ trợ (triệu đồng)", kinds=("data", "data", "total"))
    )
    assert out.values == [1500.0, 734.0, 2234.0]
    assert codes(out) == [("info", "NUMBER_CONVENTION_DECIDED")]
    message = out.issues[0].message
    assert "2 ô" in message and "dòng tổng cộng" in message and "hàng nghìn" in message


def test_every_thousands_separator_in_counts():
    col = parse_count_column(["1'234", "1\u00a0234", "1\u202f234", "2 345 hộ", "1’000"])
    assert col.values == [1234, 1234, 1234, 2345, 1000]
    assert col.errors == {}


# --- Excel errors ------------------------------------------------------------------------


def test_excel_errors_are_missing_with_a_reason():
    col = parse_number_column(["#DIV/0!", "#REF!", "#N/A", "#VALUE!", "Err:502", "5"])
    assert col.values == [None] * 5 + [5.0]
    assert col.errors == {}
    assert set(col.sentinels.values()) == {"excel_error"}


def test_an_excel_error_keeps_the_row_a_warning_in_a_source_column_info_in_a_total():
    out = parse_column(
        "count", ["#REF!", 5, "#DIV/0!"], ctx("poor_end", kinds=("data", "data", "total"))
    )
    assert out.values == [None, 5, None]
    assert codes(out) == [("warning", "VALUE_EXCEL_ERROR"), ("info", "VALUE_EXCEL_ERROR")]
    assert out.issues[0].cell == "H7" and "#REF!" in out.issues[0].message


def test_an_excel_error_in_a_rate_is_an_info_note():
    out = parse_column("percent", ["#DIV/0!", "12,5"], ctx("poverty_rate_end", n=2))
    assert out.values == [None, 0.125]
    assert codes(out) == [("info", "VALUE_EXCEL_ERROR")]


# --- years -------------------------------------------------------------------------------

YEAR_SHAPES = [
    ("2017 - nay", 2017),
    ("2017-nay", 2017),
    ("từ 2021", 2021),
    ("Từ năm 2021", 2021),
    ("T2021", 2021),
    ("2.017", 2017),
    ("2,017", 2017),
    ("2 017", 2017),
    (42809, 2017),  # 15/03/2017 as an Excel serial
    ("01/2019", 2019),
    ("3/2019", 2019),
    ("tháng 3/2019", 2019),
    ("tháng 3 năm 2019", 2019),
    ("15/03/2017", 2017),
    ("2017-03-15", 2017),
    ("2019-2020", 2019),
    ("2019 - 2020", 2019),
    ("2019-20", 2019),
    ("2021 (tiếp tục)", 2021),
    (1980, 1980),
]


@pytest.mark.parametrize(("raw", "year"), YEAR_SHAPES)
def test_years_in_every_shape(raw, year):
    assert parse_year(raw) == year


@pytest.mark.parametrize(
    "raw", ["2017 (dừng 2020)", "2019, 2021", 1970, "2040", "2021-2019", "13/2019"]
)
def test_years_that_are_not_one_year_stay_findings(raw):
    out = parse_column("year", ["2017 - nay", raw], ctx("pair_start_year", n=2))
    assert out.values == [2017, None]
    assert [i.code for i in out.issues if i.severity == "error"] == ["VALUE_BAD_YEAR"]


def test_years_written_as_text_are_said_once_per_column():
    out = parse_column(
        "year", ["2017 - nay", 2018, "từ 2021", "#REF!"], ctx("pair_start_year", n=4)
    )
    assert out.values == [2017, 2018, 2021, None]
    assert codes(out) == [("warning", "VALUE_EXCEL_ERROR"), ("info", "YEAR_IN_TEXT")]
    assert "2 ô" in out.issues[1].message and "năm 2017" in out.issues[1].message
    plain = parse_column("year", [2017, "2018"], ctx("pair_start_year", n=2))
    assert plain.issues == []


def test_read_year_says_how_the_year_was_written():
    assert [read_year(v)[1] for v in (2017, "2017 - nay", 42809, dt.date(2017, 1, 1))] == [
        "",
        "text",
        "serial",
        "date",
    ]


# --- rate scale --------------------------------------------------------------------------


def test_a_fraction_column_is_decided_by_the_counts_and_said_once():
    earlier = {"poor_end": [4163, 2000], "households_total": [10000, 10000]}
    out = parse_column(
        "percent", [0.4163, 0.2], ctx("poverty_rate_end", "Tỷ lệ hộ nghèo (%)", 2, earlier)
    )
    assert out.values == pytest.approx([0.4163, 0.2])
    assert codes(out) == [("info", "RATE_SCALE_DECIDED")]
    message = out.issues[0].message
    assert message.startswith("Cột H: tỷ lệ ghi dạng thập phân (0,4163), đã đọc là 41,63 %")


def test_small_rates_in_points_are_decided_by_the_counts():
    earlier = {"poor_end": [5, 3], "households_total": [1000, 1000]}
    out = parse_column("percent", [0.5, 0.3], ctx("poverty_rate_end", "Tỷ lệ", 2, earlier))
    assert out.values == pytest.approx([0.005, 0.003])
    assert "điểm phần trăm" in out.issues[0].message and "số hộ nghèo" in out.issues[0].message


def test_an_evident_rate_column_gets_no_note():
    for evident in ([41.63, 20.0], ["41,63%", "20%"]):
        assert parse_column("percent", evident, ctx("poverty_rate_end", n=2)).issues == []
    ambiguous = parse_column("percent", [0.4163, 0.2], ctx("poverty_rate_end", n=2))
    assert codes(ambiguous) == [("info", "RATE_SCALE_DECIDED")]


def test_a_rate_with_its_sign_among_words():
    col = parse_percent_column(["41,63 % số hộ", "khoảng 20%"])
    assert col.values == pytest.approx([0.4163, 0.2])
    assert col.errors == {}


def test_percent_column_decisions_are_recorded():
    col = parse_percent_column(["41,63%", 0.2, "#DIV/0!"])
    assert col.values == pytest.approx([0.4163, 0.2, None])
    assert (col.decided_by, col.ambiguous) == ("formatted", [1])


def test_the_counts_decide_fractions_beside_a_total_typed_in_points():
    """=poor/households pasted as values (0.0964, with or without a percent format: the cell
    holds the fraction) under a total row typed 8,04: the counts decide the fractions, the
    cell above 1 is percent points (a fraction cannot exceed 1). Before: 0.10 %."""
    earlier = {"poor_end": [175, 292, 1412], "households_total": [1816, 1253, 17571]}
    kinds = ("data", "data", "total")
    out = parse_column(
        "percent",
        [0.0963656388, 0.2330407023, 8.04],
        ctx("poverty_rate_end", "Tỷ lệ (%)", 3, earlier, kinds),
    )
    assert out.values == pytest.approx([0.0963656388, 0.2330407023, 0.0804])
    assert codes(out) == [("info", "RATE_SCALE_DECIDED")]
    assert "dạng thập phân" in out.issues[0].message and "2 ô" in out.issues[0].message


def test_a_points_column_with_a_few_small_rates_gets_no_note():
    """12,5 and 0,85 (0.85 %) in a points column: the counts agree with the size, no note."""
    earlier = {"poor_end": [125, 85, 300], "households_total": [1000, 10000, 1000]}
    out = parse_column("percent", [12.5, 0.85, 30.0], ctx("poverty_rate_end", "Tỷ lệ", 3, earlier))
    assert out.values == pytest.approx([0.125, 0.0085, 0.3])
    assert out.issues == []


# --- counts: float noise, blanks for zero ---------------------------------------------


def test_float_noise_of_a_pasted_formula_is_the_whole_number():
    col = parse_count_column([106.00000000000001, 1e-14, -1e-14, 105.99999999999999])
    assert (col.values, col.errors) == ([106, 0, 0, 106], {})
    bad = parse_count_column([2.5, -1.0, 1e-6])
    assert sorted(e.code for e in bad.errors.values()) == [
        "VALUE_NEGATIVE",
        "VALUE_NOT_INTEGER",
        "VALUE_NOT_INTEGER",
    ]


def test_blanks_of_a_count_column_that_writes_no_zero_are_zeros_said_once():
    kinds = ("data",) * 4 + ("total",)
    out = parse_column("count", [3, None, 5, "", None], ctx("houses_supported", n=5, kinds=kinds))
    assert out.values == [3, 0, 5, 0, None]  # a blank total is not computed, not 0
    assert codes(out) == [("info", "BLANK_READ_AS_ZERO")]
    note = out.issues[0]
    assert note.cell == "H8" and note.message.startswith("Cột H: 2 ô để trống được đọc là 0")


def test_blanks_of_a_count_column_that_writes_zeros_are_not_reported():
    for zero in (0, "-", "0 hộ"):
        out = parse_column("count", [3, None, zero], ctx("houses_supported", n=3))
        assert out.values == [3, None, 0]
        assert [c for _s, c in codes(out)] in ([], ["NUMBER_IN_TEXT"])


@pytest.mark.parametrize(
    ("name", "raw", "filled"),
    [
        ("houses_supported", [None, None, None], (True, True, True)),  # nothing reported
        ("houses_supported", [3, None, 5], (True, False, True)),  # a row with no number
        ("houses_supported", [3, "x", "..."], (True, True, True)),  # said, not blank
        ("households_total", [1816, None, 1253], (True, True, True)),  # never 0
        ("criteria_met", [12, None, 19], (True, True, True)),  # the marks count them
    ],
)
def test_blanks_that_stay_not_reported(name, raw, filled):
    out = parse_column("count", raw, ctx(name, n=3, filled=filled))
    assert [v for v, r in zip(out.values, raw, strict=True) if r is None] == [None] * raw.count(
        None
    )
    assert "BLANK_READ_AS_ZERO" not in [c for _s, c in codes(out)]


# --- properties --------------------------------------------------------------------------

SEPARATORS = [".", ",", " ", "\u00a0", "\u202f", "'", "’"]
WORDS = [("", ""), ("", " hộ"), ("khoảng ", ""), ("~", ""), ("", " (hộ)"), ("", " người")]


def _grouped(n: int, sep: str) -> str:
    return f"{n:,}".replace(",", sep)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**9), st.sampled_from(SEPARATORS), st.sampled_from(WORDS))
def test_every_written_count_parses_back(n, sep, words):
    before, after = words
    col = parse_count_column([f"{before}{_grouped(n, sep)}{after}"])
    assert col.errors == {}
    assert col.values == [n]


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 10**8),
    st.integers(1, 99),
    st.sampled_from([(".", ","), (",", "."), (" ", ","), ("\u00a0", ","), ("'", ".")]),
    st.sampled_from(["", " tr.đ", " triệu"]),
)
def test_every_written_amount_parses_back(whole, cents, seps, unit):
    thousands, decimal = seps
    text = f"{_grouped(whole, thousands)}{decimal}{cents:02d}{unit}"
    assert parse_number_column([text]).values == [pytest.approx(whole + cents / 100)]


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1975, 2035),
    st.sampled_from(
        ["{y}", "Năm {y}", "{y} - nay", "từ {y}", "{a}.{b}", "{y}-{z}", "tháng 5/{y}", "{y}.0"]
    ),
)
def test_every_written_year_parses_back(y, shape):
    text = shape.format(y=y, a=str(y)[0], b=str(y)[1:], z=y + 1)
    assert parse_year(text) == y


junk = st.one_of(
    st.text(max_size=12),
    st.text(alphabet="0123456789.,' -−+%#/~()hộtrđ\u00a0", max_size=14),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**12), 10**12),
    st.none(),
    st.booleans(),
    st.dates(),
)


@settings(max_examples=300, deadline=None)
@given(junk)
def test_parsers_raise_only_their_error(value):
    for parse in (parse_number, parse_year, parse_date):
        try:
            parse(value)
        except ValueParseError:
            pass
    parse_count_column([value])
    parse_number_column([value, "1.234"], ["data", "total"])
    parse_percent_column([value])
