"""Pandera schemas of the processed tables (../shared/spec/tables.md), titled in Vietnamese,
and the casts to the contract's dtypes.

The schemas are the one statement of every table's dtypes, ranges, labels and codebook;
pandera is imported only when one is built (``schema``, ``validate``): the build screens its
tables with the same checks compiled into vectorised tests (`building/table_checks.py`) and asks
pandera only about a table that fails them.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ketnghia_analysis.core.missing import is_missing
from ketnghia_analysis.reference import glossary
from ketnghia_analysis.reference.contract import DTYPES, TABLE_TITLES, TABLES, columns

if TYPE_CHECKING:
    import pandera.pandas as pa


def empty(table: str) -> pd.DataFrame:
    """A zero-row table with the contract's columns and dtypes (a copy of the one made
    once per process: casting empty columns costs ~10 ms a table)."""
    return _empty(table).copy()


@functools.cache
def _empty(table: str) -> pd.DataFrame:
    return conform(pd.DataFrame({c: [] for c in columns(table)}), table)


def conform_columns(plain: dict[str, list[Any]], table: str) -> pd.DataFrame:
    """Plain columns (name → values, None for missing) as a table of the contract: the
    table `conform` makes of the arrays the values were taken from.

    Each list starts as the array its kind reads exactly (integers as Int64, numbers as
    float64), else as objects: pandas' own guess would read the integers of a column with
    a null as floats ("0.0" in a text column, and counts beyond 2**53 rounded)."""
    kinds = {col.name: col.kind for col in TABLES[table][0]}
    return conform(
        pd.DataFrame({name: _typed(values, kinds.get(name)) for name, values in plain.items()}),
        table,
    )


#: Kinds built through Arrow when every value is of the exact Python type, and its type.
_ARROW_EXACT: dict[str, tuple[type, Any]] = {
    "count": (int, pa.int64()),
    "year": (int, pa.int64()),
    "int": (int, pa.int64()),
    "bool": (bool, pa.bool_()),
    "nbool": (bool, pa.bool_()),
}


def _typed(values: list[Any], kind: str | None) -> Any:
    """The array of a column of plain values, through Arrow where its type fits every value
    (3-4x faster than pandas' own conversion of a list, issue #18), else pandas', else the
    objects that `conform` casts one by one."""
    try:
        if kind in ("code", "text"):  # Arrow refuses a value that is not text (NaN, NA: null)
            return pd.array(pa.array(values, type=pa.large_string(), from_pandas=True), dtype="str")
        # Arrow would truncate 1.5 to 1 (counts are rounded) or read 1 as True: only
        # values of the exact type go through it.
        exact = _ARROW_EXACT.get(kind or "")
        if exact is not None and set(map(type, values)) <= {exact[0], type(None)}:
            array = pa.array(values, type=exact[1])
            if kind in ("count", "year"):
                return pd.Int64Dtype().__from_arrow__(array)
            if kind == "nbool":
                return pd.BooleanDtype().__from_arrow__(array)
            if not array.null_count:  # no nulls in int64, bool: a None is cast by `conform`
                return array.to_numpy(zero_copy_only=False, writable=True)
    except (TypeError, ValueError, OverflowError):  # e.g. an integer beyond int64
        pass
    try:
        if kind in ("count", "year"):
            return pd.array(values, dtype="Int64")
        if kind in ("money", "fraction"):
            return np.array(values, dtype="float64")
        if kind in ("code", "text"):
            return pd.array(values, dtype="str")  # what `_cast` gives, without its scan
    except (TypeError, ValueError):  # not all numbers: `conform` reads them one by one
        pass
    return pd.Series(values, dtype=object)


def conform(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Order the columns of the contract first (missing → null) and cast them to their dtypes.

    The dtypes come from the contract's kinds (`reference.contract.DTYPES`). The cast is
    ours, not pandera's ``coerce``: counts are rounded and an unparseable leftover becomes
    null here, then `validate` reports whatever breaks a check, where ``coerce`` would stop
    at the first value it cannot cast.
    """
    cols, _ = TABLES[table]
    out = frame.copy(deep=False)  # copy-on-write: the caller's frame is never changed
    for col in cols:
        if col.name not in out.columns:
            out[col.name] = None
        series = out[col.name]
        cast = _cast(series, col.kind)
        if cast is not series:  # a column already of its dtype is not set again
            out[col.name] = cast
    extra = [c for c in out.columns if c not in {col.name for col in cols}]
    return out[[c.name for c in cols] + extra].reset_index(drop=True)


def _cast(series: pd.Series, kind: str) -> pd.Series:
    dtype = DTYPES[kind]
    if kind in _EXACT and series.dtype == dtype:  # already cast (a table conformed twice)
        return series
    if kind in ("code", "text"):
        if series.dtype == "str":
            return series
        if series.dtype == object and any(isinstance(v, (list, tuple, dict)) for v in series):
            series = series.map(lambda v: v if is_missing(v) else str(v))
        return series.astype("str")  # None, NaN and NA stay missing
    if kind in ("count", "year"):
        return pd.to_numeric(series, errors="coerce").round().astype("Int64")
    if kind == "int":
        return pd.to_numeric(series, errors="coerce").astype("int64")
    if kind in ("money", "fraction"):
        return pd.to_numeric(series, errors="coerce").astype("float64")
    if kind == "bool":
        return series.astype("bool")
    if kind == "nbool":
        return series.astype("boolean")
    if kind == "date":
        return pd.to_datetime(series, errors="coerce").astype(dtype)
    if kind == "timestamp":
        return pd.to_datetime(series, errors="coerce", utc=True).astype(dtype)
    return series.astype(object)


#: Kinds whose cast leaves a series of the contract's dtype as it is (counts are whole).
_EXACT = frozenset({"count", "year", "int", "money", "fraction", "bool", "nbool"})


def schema(table: str) -> pa.DataFrameSchema:
    """The pandera schema of a processed table; each column's title is its Vietnamese label."""
    import pandera.pandas as pa

    cols, key = TABLES[table]
    spec = {}
    for col in cols:
        info = column_info(col.name)
        spec[col.name] = pa.Column(
            None if col.kind in ("list", "date", "timestamp") else DTYPES[col.kind],
            checks=[_check(name, argument) for name, argument in col.checks],
            nullable=col.nullable,
            title=info["label"],
            description=info["description"] or None,
            metadata={"unit": info["unit"], "kind": col.kind},
        )
    return pa.DataFrameSchema(
        spec,
        name=table,
        title=TABLE_TITLES.get(table),
        unique=key or None,
        strict=False,
    )


def _check(name: str, argument: Any) -> pa.Check:
    """The pandera check a contract check names."""
    import pandera.pandas as pa

    if name == "in_range":
        return pa.Check.in_range(*argument)
    return getattr(pa.Check, name)(argument)


def column_info(name: str) -> dict:
    """A column's Vietnamese label, unit and description (the glossary's, else its name):
    the title, metadata and description of its pandera column, and its codebook row."""
    try:
        return glossary.entry(name)
    except KeyError:
        return {"label": name, "unit": "", "description": ""}


def validate(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Every schema failure of a table at once (lazy), as rows.

    Returns
    -------
    DataFrame with columns column, check, failure_case, index (empty when valid).
    """
    import pandera.pandas as pa

    try:
        schema(table).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.copy()
        keep = [c for c in ("column", "check", "failure_case", "index") if c in cases.columns]
        return cases[keep].reset_index(drop=True)
    return pd.DataFrame(columns=["column", "check", "failure_case", "index"])
