"""The poverty standard and the NTM criteria set of a year, from the reference CSVs.

The one home of the rule "a return year ≤ 2021 uses the 2016–2020 standard (extended
through 2021), a year ≥ 2022 the 2022–2025 one" (poverty_standards.csv), and of its NTM
twin (criteria_sets.csv). A year past the last period keeps the latest one; a year before
the first keeps the earliest.
"""

from __future__ import annotations

import csv
from functools import lru_cache

from ketnghia_analysis.core.paths import REFERENCE_DIR

__all__ = ["criteria_set", "criteria_sets", "poverty_standard", "poverty_standards", "break_year"]


@lru_cache(maxsize=4)
def _periods(filename: str, key: str) -> tuple[tuple[str, int, int], ...]:
    with open(REFERENCE_DIR / filename, encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        periods = [(r[key], int(r["first_year"]), int(r["last_year"])) for r in rows]
    return tuple(sorted(periods, key=lambda p: p[1]))


def _period_of(year: int, periods: tuple[tuple[str, int, int], ...]) -> str:
    year = int(year)
    for name, _first, last in periods:
        if year <= last:
            return name
    return periods[-1][0]


def poverty_standards() -> list[str]:
    """Every poverty standard, oldest first.

    >>> poverty_standards()
    ['2016-2020', '2022-2025']
    """
    return [name for name, _, _ in _periods("poverty_standards.csv", "standard")]


def poverty_standard(year: int) -> str:
    """Poverty standard of a return year.

    >>> poverty_standard(2019), poverty_standard(2021), poverty_standard(2022), poverty_standard(2030)
    ('2016-2020', '2016-2020', '2022-2025', '2022-2025')
    """
    return _period_of(year, _periods("poverty_standards.csv", "standard"))


def criteria_sets() -> list[str]:
    """Every NTM criteria set, oldest first.

    >>> criteria_sets()
    ['2016-2020', '2021-2025']
    """
    return [name for name, _, _ in _periods("criteria_sets.csv", "criteria_set")]


def criteria_set(year: int) -> str:
    """NTM criteria set of an assessment year.

    >>> criteria_set(2021), criteria_set(2022)
    ('2016-2020', '2021-2025')
    """
    return _period_of(year, _periods("criteria_sets.csv", "criteria_set"))


def break_year() -> int:
    """First year of the latest poverty standard (2022): levels before and after it differ.

    >>> break_year()
    2022
    """
    return _periods("poverty_standards.csv", "standard")[-1][1]
