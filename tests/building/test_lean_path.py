"""The lean data path (issue #18): workers hand over plain columns, the build stacks them
once, and the compiled checks agree with the pandera schemas they are compiled from."""

from __future__ import annotations

import pickle
import pickletools
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ketnghia_analysis.building import assemble, schemas, table_checks
from ketnghia_analysis.building.results import OUTPUT_TABLES, n_rows
from ketnghia_analysis.building.tabulate import plain
from ketnghia_analysis.building.worker import process_file
from ketnghia_analysis.reference.contract import TABLES

# Years of the sample holding quarantined rows (2021), a superseded file (2024), a year
# split over two files (2023), and the broken files (khac/).
PICKED = ("2021", "2023", "2024", "khac")


@pytest.fixture(scope="module")
def results(sample_raw: Path) -> list:
    files = sorted(
        p
        for folder in PICKED
        for p in (sample_raw / folder).rglob("*")
        if p.is_file() and not p.name.startswith(("~$", "README"))
    )
    assert len(files) >= 40
    return [process_file((str(p), str(sample_raw))) for p in files]


def _globals(blob: bytes) -> set[str]:
    """The modules a pickle imports to load."""
    found: set[str] = set()
    strings: list[str] = []
    for op, arg, _ in pickletools.genops(blob):
        if op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
            strings.append(str(arg))
        elif op.name == "STACK_GLOBAL":
            found.add(strings[-2].split(".")[0])
        elif op.name == "GLOBAL":
            found.add(str(arg).split(" ")[0].split(".")[0])
    return found


def test_a_file_result_is_plain_python_data(results):
    """No DataFrame crosses from a worker: the rows are lists of Python values, and the
    pickle loads without pandas or numpy."""
    ingested = [r for r in results if r.submission["status"] == "ingested"]
    assert ingested and any(r.quarantine_rows for r in results)
    for result in ingested:
        for columns in result.plain_tables.values():
            sizes = {len(values) for values in columns.values()}
            assert len(sizes) == 1, result.source_file
            for values in columns.values():
                assert all(v is None or type(v) in (str, int, float, bool) for v in values)
        modules = _globals(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
        assert not modules & {"pandas", "numpy"}, (result.source_file, modules)


def _reference_stack(live: list) -> dict[str, pd.DataFrame]:
    """The pandas way: each file's rows as a DataFrame, concatenated, later file winning."""
    tables = {}
    per_file = [(r, r.tables) for r in live]
    for name in OUTPUT_TABLES:
        frames = [t[name] for r, t in per_file if n_rows(r.plain_tables.get(name, {}))]
        frame = pd.concat(frames, ignore_index=True)
        if assemble.KEYS.get(name):
            frame = frame.drop_duplicates(assemble.KEYS[name], keep="last")
        tables[name] = schemas.conform(frame, name)
    return tables


def test_stacked_plain_columns_equal_the_concatenated_frames(results):
    marked, _ = assemble.supersede(results)
    live = sorted((r for r in marked if r.submission["status"] == "ingested"), key=assemble.recency)
    assert len(live) < len(results)  # the superseded file is left out
    lean, reference = assemble._stack_forms(live), _reference_stack(live)
    for name in OUTPUT_TABLES:
        assert len(lean[name]), name
        pd.testing.assert_frame_equal(lean[name], reference[name], check_exact=True)


# -- plain(): an array as Python values conforms to the same column as the array itself --
_INTS = st.lists(st.one_of(st.none(), st.integers(-(10**6), 10**6)), max_size=12)
_FLOATS = st.lists(
    st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False), st.just(float("nan"))),
    max_size=12,
)
_TEXTS = st.lists(st.one_of(st.none(), st.text(max_size=5)), max_size=12)
_MIXED = st.lists(
    st.one_of(
        st.none(),
        st.just(pd.NA),
        st.just(np.nan),
        st.text(max_size=3),
        st.integers(),
        st.floats(allow_nan=False),
        st.booleans(),
    ),
    max_size=12,
)


def _same_cast(array, kinds: tuple[str, ...]) -> None:
    """The column the build makes of ``plain(array)`` is the one it made of the array."""
    values = plain(array, len(array))
    assert all(v is None or not pd.isna(v) for v in values)
    for kind in kinds:
        expected = schemas._cast(pd.Series(array), kind)
        got = schemas._cast(pd.Series(schemas._typed(values, kind)), kind)
        pd.testing.assert_series_equal(got, expected, check_exact=True, check_index=False)


@settings(max_examples=40, deadline=None)
@given(_INTS)
def test_plain_nullable_ints(values):
    _same_cast(pd.array(values, dtype="Int64"), ("count", "money", "text"))


@settings(max_examples=40, deadline=None)
@given(_FLOATS)
def test_plain_floats(values):
    array = np.array([np.nan if v is None else v for v in values], dtype="float64")
    _same_cast(array, ("count", "money", "fraction"))


@settings(max_examples=40, deadline=None)
@given(_TEXTS)
def test_plain_texts(values):
    _same_cast(pd.array(values, dtype="str"), ("text", "code"))


@settings(max_examples=40, deadline=None)
@given(_MIXED)
def test_plain_objects(values):
    _same_cast(np.array(values, dtype=object), ("text",))


# -- the compiled checks and pandera agree, on valid tables and on each kind of violation --
def _valid_poverty() -> pd.DataFrame:
    return schemas.conform(
        pd.DataFrame(
            {
                "year": [2023, 2023, 2024],
                "district_code": ["516", "516", "516"],
                "commune_code": ["20944", "20935", "20944"],
                "poor_end": [10, None, 5],
                "poverty_rate_end": [0.1, 1.0, None],
                "poverty_standard": ["2022-2025"] * 3,
                "source_file": ["a.xlsx"] * 3,
            }
        ),
        "poverty",
    )


def _agree(frame: pd.DataFrame, table: str) -> bool:
    verdict = table_checks.passes(frame, table)
    assert verdict == schemas.validate(frame, table).empty
    return verdict


def _set(frame: pd.DataFrame, column: str, value, dtype=None) -> pd.DataFrame:
    frame = frame.copy()
    series = frame[column].astype(object)
    series.iloc[1] = value
    frame[column] = series.astype(dtype or frame[column].dtype)
    return frame


BROKEN = {
    "ge": lambda f: _set(f, "poor_end", -1),
    "in_range high": lambda f: _set(f, "poverty_rate_end", 1.5),
    "in_range low": lambda f: _set(f, "year", 1974),
    "isin": lambda f: _set(f, "poverty_standard", "2030"),
    "str_matches": lambda f: _set(f, "commune_code", "2094a"),
    "not nullable": lambda f: _set(f, "source_file", None),
    "dtype": lambda f: f.assign(poor_end=f["poor_end"].astype("float64")),
    "missing column": lambda f: f.drop(columns=["poverty_standard"]),
    "unique key": lambda f: _set(f, "commune_code", "20944").assign(year=2023),
}


def test_compiled_checks_pass_valid_tables():
    assert _agree(_valid_poverty(), "poverty")
    for table in TABLES:
        assert _agree(schemas.empty(table), table), table


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_compiled_checks_fail_where_pandera_fails(kind):
    assert not _agree(BROKEN[kind](_valid_poverty()), "poverty")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(1970, 2105), min_size=1, max_size=6),
    st.lists(st.integers(-3, 30), min_size=1, max_size=6),
    st.lists(st.one_of(st.none(), st.integers(-3, 30)), min_size=1, max_size=6),
    st.lists(st.sampled_from(["20944", "20935", "x1", ""]), min_size=1, max_size=6),
)
def test_compiled_checks_agree_with_pandera_on_random_tables(years, criteria, rows, codes):
    n = min(len(years), len(criteria), len(rows), len(codes))
    frame = schemas.conform(
        pd.DataFrame(
            {
                "year": years[:n],
                "district_code": ["516"] * n,
                "commune_code": codes[:n],
                "criterion": criteria[:n],
                "met": [True] * n,
                "source_file": ["a.xlsx"] * n,
                "source_row": rows[:n],
            }
        ),
        "ntm_criteria",
    )
    _agree(frame, "ntm_criteria")


def test_the_build_validates_without_pandera(results, monkeypatch):
    """A valid build never asks pandera: `schema_issues` answers from the compiled checks."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("pandera was asked")

    tables, _ = assemble.assemble(results)
    monkeypatch.setattr(schemas, "validate", refuse)
    del tables["issues"]
    assert assemble.schema_issues(tables) == []


# -- _typed (through Arrow where every value has the exact type) casts as the objects do --
_KINDS = ("count", "year", "int", "money", "fraction", "code", "text", "bool", "nbool")
_SAME_TYPE = st.one_of(
    st.lists(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)), max_size=12),
    st.lists(st.one_of(st.none(), st.booleans()), max_size=12),
    st.lists(st.one_of(st.none(), st.just(np.nan), st.text(max_size=4)), max_size=12),
)


def _typed_before(values: list, kind: str):
    """`schemas._typed` as it was before issue #18 went through Arrow (the reference)."""
    try:
        if kind in ("count", "year"):
            return pd.array(values, dtype="Int64")
        if kind in ("money", "fraction"):
            return np.array(values, dtype="float64")
        if kind in ("code", "text"):
            return pd.array(values, dtype="str")
    except (TypeError, ValueError):
        pass
    return pd.Series(values, dtype=object)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_SAME_TYPE, _MIXED), st.sampled_from(_KINDS))
@example([1.5, None], "count")
@example([2, 1, None], "nbool")
@example([1, 0], "bool")
@example([None, 2**53 + 1], "count")
def test_typed_columns_cast_as_before(values, kind):
    """Issue #18: Arrow builds a column only from values of its exact type (it would truncate
    1.5 to 1 and read 1 as True); whatever the values, the cast column is the one the build
    made before (integers beyond 2**53 stay exact, as pandas' Int64 kept them)."""
    with warnings.catch_warnings():  # e.g. an integer beyond 2**53 through float, both ways
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            expected = schemas._cast(pd.Series(_typed_before(values, kind)), kind)
        except (TypeError, ValueError, OverflowError):
            return  # values this kind cannot hold at all: not a column the build makes
        got = schemas._cast(pd.Series(schemas._typed(values, kind)), kind)
    pd.testing.assert_series_equal(got, expected, check_exact=True, check_index=False)


def test_a_table_already_of_the_contract_is_conformed_as_before():
    """Issue #18: `_conform` only re-indexes a table that has the contract's columns and
    dtypes; the result is the one the full cast gives (rows dropped: index not a range)."""
    frame = _valid_poverty().iloc[[2, 0]]
    assert assemble._of_contract(frame, "poverty")
    full = schemas.conform(frame, "poverty")[schemas.columns("poverty")]
    pd.testing.assert_frame_equal(assemble._conform(frame, "poverty"), full, check_exact=True)
    assert not assemble._of_contract(frame.astype({"year": "float64"}), "poverty")
    assert not assemble._of_contract(frame.assign(extra=1), "poverty")
