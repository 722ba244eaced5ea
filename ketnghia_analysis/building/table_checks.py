"""The contract's checks compiled into vectorised tests: does a processed table pass its
pandera schema? Answered without importing pandera (issue #18).

The pandera schemas (`building/schemas.py`) stay the one statement of the checks and the
one report of a failure: the build asks pandera only about a table that fails here. So the
tests here may be stricter than pandera's (a table they reject costs only pandera's time),
never laxer: a table passes only when every column of the contract is present, has the
contract's dtype exactly, holds no null where the contract forbids one, and its non-null
values pass every check (``ge``, ``in_range`` bounds included, ``isin``, ``str_matches``
from the start of the text), and no two rows share the table's unique key.
tests/building/test_lean_path.py checks that both agree on valid and broken tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ketnghia_analysis.reference.contract import DTYPES, TABLES, Col

#: Kinds whose dtype pandera does not check (the schema leaves it None).
UNTYPED = ("list", "date", "timestamp")


def _ge(values: pd.Series, bound: Any) -> bool:
    return bool(np.all(values.to_numpy() >= bound))


def _in_range(values: pd.Series, bounds: Any) -> bool:
    low, high = bounds
    array = values.to_numpy()
    return bool(np.all((array >= low) & (array <= high)))


def _isin(values: pd.Series, allowed: Any) -> bool:
    return bool(values.isin(list(allowed)).all())


def _str_matches(values: pd.Series, pattern: Any) -> bool:
    # as pandera's check: Series.str.match (from the start), with the same regex engine
    return bool(values.str.match(pattern).all())


#: contract check name → its vectorised test on the non-null values of a column.
CHECKS: dict[str, Callable[[pd.Series, Any], bool]] = {
    "ge": _ge,
    "in_range": _in_range,
    "isin": _isin,
    "str_matches": _str_matches,
}


#: Kinds whose values the checks compare as numbers (``ge``, ``in_range``, ``isin``).
NUMERIC = frozenset({"count", "year", "int", "money", "fraction"})

#: The numeric checks on a numpy array of the non-null values (no Series per check).
NUMERIC_CHECKS: dict[str, Callable[[np.ndarray, Any], bool]] = {
    "ge": lambda values, bound: bool(np.all(values >= bound)),
    "in_range": lambda values, bounds: bool(np.all((values >= bounds[0]) & (values <= bounds[1]))),
    "isin": lambda values, allowed: bool(np.all(np.isin(values, list(allowed)))),
}


def _numeric_passes(series: pd.Series, col: Col) -> bool | None:
    """`column_passes` of a numeric column on its numpy values; None when the column is not
    one (or a check is not numeric): the Series path decides."""
    if col.kind not in NUMERIC or any(name not in NUMERIC_CHECKS for name, _ in col.checks):
        return None
    array = series.array
    if isinstance(array, pd.arrays.IntegerArray):
        values, nulls = array.to_numpy(dtype="int64", na_value=0), array.isna()
    elif isinstance(series.dtype, np.dtype) and series.dtype.kind in "if":
        values = series.to_numpy()
        nulls = np.isnan(values) if values.dtype.kind == "f" else np.zeros(len(values), bool)
    else:
        return None
    if nulls.any():
        if not col.nullable:
            return False
        values = values[~nulls]
    if not len(values):
        return True
    return all(NUMERIC_CHECKS[name](values, argument) for name, argument in col.checks)


def column_passes(series: pd.Series, col: Col) -> bool:
    """Whether one column passes its dtype, nullability and checks."""
    if col.kind not in UNTYPED and str(series.dtype) != DTYPES[col.kind]:
        return False
    numeric = _numeric_passes(series, col)
    if numeric is not None:
        return numeric
    nulls = series.isna().to_numpy()
    if nulls.any():
        if not col.nullable:
            return False
        series = series[~nulls]
    if series.empty:
        return True
    try:
        return all(CHECKS[name](series, argument) for name, argument in col.checks)
    except (TypeError, ValueError):  # values the test cannot compare: pandera decides
        return False


def passes(frame: pd.DataFrame, table: str) -> bool:
    """Whether a table passes every check of its schema (see the module's docstring)."""
    cols, key = TABLES[table]
    if any(col.name not in frame.columns for col in cols):
        return False
    if not all(column_passes(frame[col.name], col) for col in cols):
        return False
    return not (key and len(frame) > 1 and frame.duplicated(key).any())
