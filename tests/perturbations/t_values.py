"""Transforms of the values: numbers, years, rates, zeros, Excel errors and criteria marks.

Each rewrites cells from the truth record of their row, in another writing of the same
value, so the return stays consistent (same truth) whatever the base cell looked like.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from openpyxl.cell.cell import Cell

from perturbations.book import COUNTS, MONEY, TRUTH_COLUMN, YEARS, Book, Form, Layout
from perturbations.registry import transform


def truth_of(form: Form, name: str, rec: dict[str, Any]) -> Any:
    """The truth of a canonical field in a row's record (criteria: the mark as a bool)."""
    if form.kind == "ntm" and name.startswith("c") and name[1:].isdigit():
        return rec["criteria"].get(int(name[1:]))
    return rec.get(TRUTH_COLUMN.get(name, name))


def present(value: Any) -> bool:
    return value is not None and value == value  # not None, not NaN


def cells_of(book: Book, fields: Mapping[str, tuple[str, ...]]) -> Iterator[tuple[Form, str]]:
    """(form, field) for every listed field the book's forms have."""
    for form in book.layout.forms:
        for name in fields.get(form.kind, ()):
            if name in form.columns:
                yield form, name


def rewrite(
    book: Book, fields: Mapping[str, tuple[str, ...]], render: Callable[[Any, Form, str], Any]
) -> None:
    """Every cell of the fields: value ← render(truth, form, field) (truth missing: kept)."""
    for form, name in cells_of(book, fields):
        for cell, rec in book.data_cells(form, name):
            value = truth_of(form, name, rec)
            if present(value):
                cell.value = render(value, form, name)


def vn_decimal(x: float, places: int = 6) -> str:
    """'128,9': the Vietnamese decimal comma, no trailing zeros."""
    text = f"{x:.{places}f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def grouped(n: int, sep: str) -> str:
    """1234 → '1.234' with `sep` between groups of three."""
    return f"{int(n):,}".replace(",", sep)


def money_in_file(value: float, form: Form, name: str) -> float:
    """The truth (million VND) in the column's own unit."""
    return round(float(value) / form.money.get(name, 1.0), 6)


def has_big_counts(layout: Layout) -> bool:
    form = layout.form("poverty")
    return form is not None and "households_total" in form.columns


def has_million_money(layout: Layout) -> bool:
    form = layout.form("support")
    return form is not None and any(form.money.get(m) == 1.0 for m in MONEY["support"])


# ---------------------------------------------------------------------------------------
# Counts and money
# ---------------------------------------------------------------------------------------
UNITS = {
    "households_total": "hộ",
    "poor_start": "hộ",
    "poverty_exits": "hộ",
    "poverty_relapses": "hộ",
    "poverty_new": "hộ",
    "poor_end": "hộ",
    "near_poor_end": "hộ",
    "poor_ethnic_minority_end": "hộ",
    "beneficiary_households": "hộ",
    "households": "hộ",
    "officials_trained": "lượt",
    "workers_trained": "người",
    "models_supported": "mô hình",
    "houses_supported": "căn",
    "criteria_met": "tiêu chí",
}


@transform("count_with_unit")
def count_with_unit(book: Book, rng: random.Random) -> None:
    """'106 hộ': every count typed with its unit word."""
    rewrite(book, COUNTS, lambda v, f, n: f"{int(v)} {UNITS.get(n, 'hộ')}")


@transform("money_with_unit", needs=("support",), when=has_million_money)
def money_with_unit(book: Book, rng: random.Random) -> None:
    """'128,9 tr.đ': money in triệu đồng typed with its unit, decimal comma."""
    suffix = rng.choice([" tr.đ", " triệu", " trđ", " triệu đồng"])
    rewrite(
        book,
        MONEY,
        lambda v, f, n: (
            vn_decimal(money_in_file(v, f, n)) + suffix
            if f.money.get(n) == 1.0
            else money_in_file(v, f, n)
        ),
    )


@transform("money_english_text", needs=("support",), when=has_million_money)
def money_english_text(book: Book, rng: random.Random) -> None:
    """'1,234.5': money typed in the English convention (an export of another system)."""

    def render(v: Any, f: Form, n: str) -> Any:
        x = money_in_file(v, f, n)
        if f.money.get(n) != 1.0:
            return x
        whole, _, frac = f"{x:.6f}".rstrip("0").rstrip(".").partition(".")
        return grouped(int(whole), ",") + (f".{frac}" if frac else "")

    rewrite(book, MONEY, render)


def _separated(sep: str) -> Callable[[Book, random.Random], None]:
    def apply(book: Book, rng: random.Random) -> None:
        rewrite(book, COUNTS, lambda v, f, n: grouped(int(v), sep))

    return apply


for _name, _sep in (
    ("thousands_dot_text", "."),
    ("thousands_space_text", " "),
    ("thousands_nbsp_text", "\u00a0"),
    ("thousands_apostrophe_text", "'"),
    ("thousands_comma_text", ","),
):
    transform(_name, needs=("poverty",), when=has_big_counts)(_separated(_sep))


@transform("number_format_thousands")
def number_format_thousands(book: Book, rng: random.Random) -> None:
    """Counts as numbers shown '#,##0' and money '#,##0.00' (only the display changes)."""
    formats: list[tuple[Mapping[str, tuple[str, ...]], str]] = [
        (COUNTS, "#,##0"),
        (MONEY, "#,##0.00"),
    ]
    for fields, fmt in formats:
        for form, name in cells_of(book, fields):
            for cell, rec in book.data_cells(form, name):
                value = truth_of(form, name, rec)
                if present(value):
                    cell.value = money_in_file(value, form, name) if fields is MONEY else int(value)
                    cell.number_format = fmt


@transform("numbers_as_text")
def numbers_as_text(book: Book, rng: random.Random) -> None:
    """Every count, year and money cell stored as text ('106', '2017', '128,9')."""
    rewrite(book, COUNTS, lambda v, f, n: str(int(v)))
    rewrite(book, YEARS, lambda v, f, n: str(int(v)))
    rewrite(book, MONEY, lambda v, f, n: vn_decimal(money_in_file(v, f, n)))


@transform("literal_apostrophe")
def literal_apostrophe(book: Book, rng: random.Random) -> None:
    """ "'106": the apostrophe that forces text, kept in the value by a CSV or web export."""
    rewrite(book, COUNTS, lambda v, f, n: f"'{int(v)}")


@transform("count_float_noise")
def count_float_noise(book: Book, rng: random.Random) -> None:
    """106.00000000000001: counts pasted from formulas carry binary float noise."""
    rewrite(book, COUNTS, lambda v, f, n: int(v) + (int(v) or 1) * 1e-14 * rng.choice([1, -1]))


# ---------------------------------------------------------------------------------------
# Zeros
# ---------------------------------------------------------------------------------------
def _zeros(render: Callable[[], Any]) -> Callable[[Book, random.Random], None]:
    def apply(book: Book, rng: random.Random) -> None:
        rewrite(book, COUNTS, lambda v, f, n: render() if int(v) == 0 else int(v))

    return apply


transform("zero_en_dash")(_zeros(lambda: "–"))
transform("zero_blank")(_zeros(lambda: None))
transform("zero_negative")(_zeros(lambda: -0.0))


# ---------------------------------------------------------------------------------------
# Years
# ---------------------------------------------------------------------------------------
def _years(render: Callable[[int, random.Random], Any]) -> Callable[[Book, random.Random], None]:
    def apply(book: Book, rng: random.Random) -> None:
        rewrite(book, YEARS, lambda v, f, n: render(int(v), rng))

    return apply


HAS_YEARS = ("support",)
transform("year_nam_prefix", needs=HAS_YEARS)(_years(lambda y, r: f"Năm {y}"))
transform("year_range_nay", needs=HAS_YEARS)(
    _years(lambda y, r: r.choice([f"{y} - nay", f"{y}-nay", f"{y} đến nay"]))
)
transform("year_tu_prefix", needs=HAS_YEARS)(_years(lambda y, r: f"từ {y}"))
transform("year_thousands_dot", needs=HAS_YEARS)(_years(lambda y, r: grouped(y, ".")))
transform("year_float", needs=HAS_YEARS)(_years(lambda y, r: float(y)))


@transform("year_as_date", needs=HAS_YEARS)
def year_as_date(book: Book, rng: random.Random) -> None:
    """The signing date typed where the year is asked, as a date cell."""
    for form, name in cells_of(book, YEARS):
        for cell, rec in book.data_cells(form, name):
            value = truth_of(form, name, rec)
            if present(value):
                cell.value = dt.datetime(int(value), rng.randint(1, 12), rng.randint(1, 28))
                cell.number_format = "dd/mm/yyyy"


# ---------------------------------------------------------------------------------------
# Rates
# ---------------------------------------------------------------------------------------
RATE = {"poverty": ("poverty_rate_end",)}


def has_rate(layout: Layout) -> bool:
    form = layout.form("poverty")
    return form is not None and "poverty_rate_end" in form.columns


def _pct(v: float) -> float:
    return round(float(v) * 100, 8)


def _rates(
    render: Callable[[float], Any], fmt: str | None = None
) -> Callable[[Book, random.Random], None]:
    def apply(book: Book, rng: random.Random) -> None:
        rewrite(book, RATE, lambda v, f, n: render(float(v)))
        if fmt:
            for form, name in cells_of(book, RATE):
                for cell, _ in book.data_cells(form, name):
                    cell.number_format = fmt

    return apply


RATES = (
    ("rate_fraction_general", lambda v: round(v, 10), None),
    ("rate_fraction_percent_format", lambda v: round(v, 10), "0.00%"),
    ("rate_text_percent", lambda v: vn_decimal(_pct(v), 4) + "%", None),
    ("rate_text_dot_decimal", lambda v: f"{_pct(v):.4f}".rstrip("0").rstrip("."), None),
    ("rate_float_noise", lambda v: _pct(v) + 1e-12, None),
)
for _name, _render, _fmt in RATES:
    transform(_name, needs=("poverty",), when=has_rate)(_rates(_render, _fmt))


@transform("rate_excel_error", needs=("poverty",), when=has_rate)
def rate_excel_error(book: Book, rng: random.Random) -> None:
    """#DIV/0!, #N/A or #VALUE! in one to three rate cells (a derived cell, recomputable)."""
    form = book.layout.require("poverty")
    cells = [cell for cell, _ in book.data_cells(form, "poverty_rate_end")]
    for cell in rng.sample(cells, min(len(cells), rng.randint(1, 3))):
        cell.value = rng.choice(["#DIV/0!", "#N/A", "#VALUE!"])
    book.may_be_missing.add(("poverty", "poverty_rate_end"))


@transform("total_excel_error", when=lambda lay: any(f.totals for f in lay.forms))
def total_excel_error(book: Book, rng: random.Random) -> None:
    """#REF! in the numeric cells of the total rows (a column deleted after the SUM)."""
    for form in book.layout.forms:
        ws = book.sheet(form)
        for r in form.totals:
            for c in range(3, ws.max_column + 1):
                cell: Cell = ws.cell(r, c)
                if isinstance(cell.value, int | float) or str(cell.value or "").startswith("="):
                    cell.value = "#REF!"


# ---------------------------------------------------------------------------------------
# Criteria marks: one consistent pair per file
# ---------------------------------------------------------------------------------------
CRITERIA = {"ntm": tuple(f"c{n:02d}" for n in range(1, 20))}
MARK_PAIRS = {
    "marks_dat_chuan": ("Đạt chuẩn", "Chưa đạt chuẩn"),
    "marks_d_cd": ("Đ", "CĐ"),
    "marks_dat_khong_dat": ("Đạt", "Không đạt"),
    "marks_co_khong": ("có", "không"),
    "marks_x_blank": ("x", None),
    "marks_check_blank": ("✓", None),
    "marks_heavy_check_blank": ("✔", None),
    "marks_one_zero": (1, 0),
}


def _marks(met: Any, not_met: Any) -> Callable[[Book, random.Random], None]:
    def apply(book: Book, rng: random.Random) -> None:
        rewrite(book, CRITERIA, lambda v, f, n: met if v else not_met)

    return apply


for _name, (_met, _not) in MARK_PAIRS.items():
    transform(_name, needs=("ntm",))(_marks(_met, _not))
