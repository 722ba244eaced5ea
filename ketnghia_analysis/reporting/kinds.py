"""Kinds of number (percent, points, money, count): guessed from a column name, shown in Vietnamese.

Vietnamese style throughout: "." between thousands, "," before decimals (1.234,5; 12,5%).
"""

from __future__ import annotations

import matplotlib.ticker as mticker

from ketnghia_analysis.core import fmt
from ketnghia_analysis.core.missing import is_missing

# Which kind of number a column holds, for axis and table formatting.
KIND_PERCENT = "percent"
KIND_NUMBER = "number"
KIND_MONEY = "money"
KIND_POINTS = "points"  # already in percentage points (e.g. rate_change_points = -1,6)
KIND_DIFF = "diff"  # a difference of two fractions, shown ×100 in points (effects on rates)

_PERCENT_HINTS = ("_rate", "_share", "share_", "rate_")


def kind_of(name: str) -> str:
    """Guess how to format a column from its name (rates are fractions 0–1).

    >>> kind_of("poverty_rate_end"), kind_of("money_mvnd"), kind_of("poor_end")
    ('percent', 'money', 'number')
    """
    if name.endswith("_points"):
        return KIND_POINTS
    if any(hint in name for hint in _PERCENT_HINTS) or name.endswith("_rate_end"):
        return KIND_PERCENT
    if name.endswith("_mvnd"):
        return KIND_MONEY
    return KIND_NUMBER


def fmt_value(value: object, kind: str = KIND_NUMBER, decimals: int | None = None) -> str:
    """One value as Vietnamese text: 1.234 · 1.234,5 · 12,5% · +1,2 điểm % · 1.234,5 tr.đ.

    ``kind`` "diff" is a difference of fractions (shown ×100 in points); "points" is
    already in points (e.g. ``rate_change_points``).

    >>> fmt_value(1234.5), fmt_value(0.125, KIND_PERCENT), fmt_value(None)
    ('1.234,5', '12,5%', '–')
    """
    if is_missing(value):
        return fmt.MISSING
    number = float(value)  # type: ignore[arg-type]  # not missing: a number
    if kind == KIND_PERCENT:
        return fmt.fmt_percent(number, 1 if decimals is None else decimals)
    if kind in (KIND_POINTS, KIND_DIFF):
        fraction = number if kind == KIND_DIFF else number / 100
        return fmt.fmt_points(fraction, 1 if decimals is None else decimals)
    if kind == KIND_MONEY:
        return fmt.fmt_money(number, 1 if decimals is None else decimals)
    if decimals is None:
        decimals = 0 if number.is_integer() else 1
    return fmt.fmt_number(number, decimals)


def short_value(value: object, kind: str = KIND_NUMBER, decimals: int | None = None) -> str:
    """Compact form for heatmap cells: 12,5% · -1,6 · 1.234 (no unit words).

    >>> short_value(-1.63, KIND_POINTS), short_value(None)
    ('-1,6', '')
    """
    if is_missing(value):
        return ""
    number = float(value)  # type: ignore[arg-type]  # not missing: a number
    if kind == KIND_PERCENT:
        return fmt.fmt_percent(number, 1 if decimals is None else decimals)
    if kind == KIND_DIFF:
        number *= 100
    if kind in (KIND_POINTS, KIND_DIFF):
        return fmt.fmt_number(number, 1 if decimals is None else decimals)
    if decimals is None:
        decimals = 0 if number.is_integer() or abs(number) >= 100 else 1
    return fmt.fmt_number(number, decimals)


def formatter(kind: str = KIND_NUMBER, decimals: int | None = None) -> mticker.Formatter:
    """A matplotlib tick formatter in Vietnamese style for this kind of number."""
    if kind == KIND_PERCENT:
        return fmt.percent_formatter(0 if decimals is None else decimals)
    if kind in (KIND_POINTS, KIND_DIFF):
        scale = 100 if kind == KIND_DIFF else 1
        places = 1 if decimals is None else decimals
        return mticker.FuncFormatter(lambda v, _p: fmt.fmt_number(scale * v, places))
    return fmt.number_formatter(0 if decimals is None else decimals)
