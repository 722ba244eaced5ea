"""The one missing-value test of the package (checked without importing pandas)."""

from __future__ import annotations

import math
import numbers


def is_missing(value: object) -> bool:
    """True for a value that is not there: None, NaN, pandas NA or NaT (blank text is not).

    >>> [is_missing(v) for v in (None, float("nan"), 0, "", "x", [1])]
    [True, True, False, False, False, False]
    """
    if value is None:
        return True
    # The usual cell values first, by exact type (this runs for every cell of every
    # return): the abstract-class check below costs several times as much.
    kind = type(value)
    if kind is float or kind is int:
        return math.isnan(value)  # type: ignore[arg-type]
    if kind is str or kind is bool:
        return False
    if kind.__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isnan(value)
