"""Vietnamese number formatting for reports: dot thousands, comma decimal, "–" for missing.

Used by notebooks, report tables and chart axes (matplotlib is imported only inside the
tick-formatter factories).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ketnghia_analysis.core.missing import is_missing

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.ticker import FuncFormatter

__all__ = [
    "MISSING",
    "fmt_number",
    "fmt_percent",
    "fmt_money",
    "fmt_points",
    "number_formatter",
    "percent_formatter",
]

#: Shown for a missing value (None, NaN, pandas NA).
MISSING = "–"


def fmt_number(x: Any, decimals: int = 0) -> str:
    """Format a number the Vietnamese way: "1.234", "1.234,5", "-1.234,5"; missing → "–".

    Rounding is half away from zero on the decimal representation; a value that rounds
    to zero shows without a minus sign.

    Examples
    --------
    >>> fmt_number(1234), fmt_number(1234.5, 1), fmt_number(-1234.5, 1), fmt_number(0.125, 3)
    ('1.234', '1.234,5', '-1.234,5', '0,125')
    >>> fmt_number(1234567.891, 2), fmt_number(2.5), fmt_number(-0.04, 1)
    ('1.234.567,89', '3', '0,0')
    >>> fmt_number(None), fmt_number(float("nan"))
    ('–', '–')
    """
    if is_missing(x):
        return MISSING
    if decimals < 0:
        raise ValueError("decimals phải ≥ 0")
    from decimal import ROUND_HALF_UP, Decimal

    value = Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    if value == 0:
        value = abs(value)
    text = f"{abs(value):,.{decimals}f}"  # "1,234.5"
    text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return ("-" if value < 0 else "") + text


def fmt_percent(fraction: object, decimals: int = 1) -> str:
    """Format a fraction as a Vietnamese percentage: 0.125 → "12,5%".

    >>> fmt_percent(0.125), fmt_percent(0.5, 0), fmt_percent(1.0), fmt_percent(None)
    ('12,5%', '50%', '100,0%', '–')
    """
    if is_missing(fraction):
        return MISSING
    return fmt_number(float(fraction) * 100, decimals) + "%"  # type: ignore[arg-type]


def fmt_money(mvnd: object, decimals: int = 1) -> str:
    """Format money in million VND: 1234.5 → "1.234,5 tr.đ".

    >>> fmt_money(1234.5), fmt_money(12, 0), fmt_money(None)
    ('1.234,5 tr.đ', '12 tr.đ', '–')
    """
    if is_missing(mvnd):
        return MISSING
    return fmt_number(mvnd, decimals) + " tr.đ"


def fmt_points(x_fraction: object, decimals: int = 1) -> str:
    """Format a change of a rate in percentage points: -0.03 → "-3,0 điểm %".

    A positive change carries a plus sign.

    >>> fmt_points(-0.03), fmt_points(0.015), fmt_points(0), fmt_points(None)
    ('-3,0 điểm %', '+1,5 điểm %', '0,0 điểm %', '–')
    """
    if is_missing(x_fraction):
        return MISSING
    text = fmt_number(float(x_fraction) * 100, decimals)  # type: ignore[arg-type]
    if not text.startswith("-") and any(c in "123456789" for c in text):
        text = "+" + text
    return text + " điểm %"


def number_formatter(decimals: int = 0) -> FuncFormatter:
    """Matplotlib tick formatter showing Vietnamese numbers ("1.234").

    >>> number_formatter()(1234.0, 0)
    '1.234'
    """
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _pos: fmt_number(x, decimals))


def percent_formatter(decimals: int = 0) -> FuncFormatter:
    """Matplotlib tick formatter for axes holding fractions (0.25 → "25%").

    >>> percent_formatter()(0.25, 0), percent_formatter(1)(0.125, 0)
    ('25%', '12,5%')
    """
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _pos: fmt_percent(x, decimals))
