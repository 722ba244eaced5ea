"""What the reading stage hands on: `FormTable` per form sheet, `ReturnRead` per file.

Both are frozen: each is built once, complete, by the reader. The record frames they
carry have the canonical columns of their form (`FORM_COLUMNS`, the order of
../shared/spec/returns.md) with typed columns (`record_frame`). The reader hands them over
as plain columns (`PlainForm`): a frame is built only when something asks for it, and the
building stage takes the rows straight from the columns (issue #18). pandas is imported only
to build a frame: the reader workers read and normalise a return without it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from ketnghia_analysis.core.address import a1
from ketnghia_analysis.core.issues import Issue
from ketnghia_analysis.core.missing import is_missing
from ketnghia_analysis.reading.grid import cell_text
from ketnghia_analysis.reference.synonyms import FormSpec

if TYPE_CHECKING:
    import pandas as pd

# Canonical columns of each form, in the order of ../shared/spec/returns.md; then the
# commune's GSO code as the return writes it ("Mã xã"), where it has one.
FORM_COLUMNS: dict[str, list[str]] = {
    "support": [
        "partner_name",
        "partner_type",
        "commune",
        "pair_start_year",
        "cash",
        "in_kind",
        "models_supported",
        "beneficiary_households",
        "officials_trained",
        "workers_trained",
        "houses_supported",
        "note",
        "commune_code_reported",
    ],
    "poverty": [
        "commune",
        "households_total",
        "poor_start",
        "poverty_exits",
        "poverty_relapses",
        "poverty_new",
        "poor_end",
        "poverty_rate_end",
        "near_poor_end",
        "poor_ethnic_minority_end",
        "commune_code_reported",
    ],
    "ntm": ["commune"]
    + [f"c{n:02d}" for n in range(1, 20)]
    + ["criteria_met", "ntm_level", "recognized_year", "not_assessed", "commune_code_reported"],
    "models": [
        "model_name",
        "commune",
        "partner_name",
        "model_type",
        "start_year",
        "households",
        "status",
        "commune_code_reported",
    ],
}

# The official poverty-review forms (../shared/spec/official-forms.md): their counts in the
# order of the printed column numbers (A: 1, 2, 3, 4, 5, 6, 7, 9, 11; B, C: 1-9; D: 1-10).
OFFICIAL_VALUES: dict[str, list[str]] = {
    "review_result": [
        "households_total",
        "people_total",
        "poor_end",
        "poverty_rate_reported",
        "near_poor_end",
        "near_poor_rate_reported",
        "average_living_end",
        "poor_people_end",
        "near_poor_people_end",
    ],
    "poor_movement": [
        "poor_start",
        "exits_to_near_poor",
        "exits_above_near_poor",
        "poverty_other_decrease",
        "poverty_from_near_poor",
        "poverty_relapses",
        "poverty_new",
        "poverty_other_increase",
        "poor_end",
    ],
    "near_poor_movement": [
        "near_poor_start",
        "near_poor_exits",
        "near_poor_to_poor",
        "near_poor_other_decrease",
        "near_poor_from_poor",
        "near_poor_relapses",
        "near_poor_new",
        "near_poor_other_increase",
        "near_poor_end",
    ],
    "poverty_groups": [
        "poor_total",
        "poor_ethnic_minority_end",
        "poor_no_labour",
        "poor_merit",
        "poor_other",
        "near_poor_total",
        "near_poor_ethnic_minority",
        "near_poor_no_labour",
        "near_poor_merit",
        "near_poor_other",
    ],
}
#: Forms with a "Hộ" and a "Nhân khẩu" row per unit: the people row's counts are the
#: record's columns ending in `PEOPLE`.
PAIRED_FORMS = frozenset({"poor_movement", "near_poor_movement", "poverty_groups"})
PEOPLE = "_people"
#: The unit of each official record: the number as written, the label, "district" (a
#: district row of a province compilation) or "commune", the district row it sits under and
#: that district's code (None in a district compilation).
OFFICIAL_UNIT = ["stt", "commune", "level", "district_label", "district_code"]
for _form, _values in OFFICIAL_VALUES.items():
    _people = [v + PEOPLE for v in _values] if _form in PAIRED_FORMS else []
    FORM_COLUMNS[_form] = [*OFFICIAL_UNIT, *_values, *_people, "commune_code_reported"]


_FRAMES = ("records", "raw", "totals")


class _Frame:
    """A frame field of `FormTable`: the frame given, or (None given) the frame of the
    table's plain columns (`PlainForm.frame`), built on first access."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.slot = f"_{name}_frame"

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> None: ...
    @overload
    def __get__(self, obj: object, objtype: type | None = None) -> pd.DataFrame: ...
    def __get__(self, obj: object | None, objtype: type | None = None) -> Any:
        if obj is None:
            return None  # the field's default (dataclasses asks the class)
        frame = obj.__dict__.get(self.slot)
        if frame is not None:
            return frame
        plain = obj.__dict__.get("plain")
        if plain is None:
            raise AttributeError(f"FormTable.{self.name}: no frame and no plain columns")
        return plain.frame(self.name)

    def __set__(self, obj: object, value: pd.DataFrame | None) -> None:
        obj.__dict__[self.slot] = value


@dataclass(frozen=True)
class FormTable:
    """One recognised form sheet, read (see docs/architecture.md).

    `records`, `raw` and `totals` are DataFrames. The reader gives none of them (None) and
    the same rows as `plain` columns instead: a frame is then built on first access (and kept),
    and the building stage reads the rows from `plain` without any frame. A frame given
    that `plain` did not build (``dataclasses.replace(table, records=...)``) wins: the
    other frames are built and `plain` is dropped, so that `plain`, when present, always
    holds exactly the rows of the frames.
    """

    form: str
    sheet: str
    header_rows: tuple[int, int]
    columns: dict[str, int]
    rows_read: int
    rows_structural: int
    records: _Frame = _Frame()
    raw: _Frame = _Frame()
    totals: _Frame = _Frame()
    issues: list[Issue] = field(default_factory=list)
    row_kinds: dict[int, str] = field(default_factory=dict)  # 1-based row → kind (non-blank)
    header_labels: dict[str, str] = field(default_factory=dict)  # canonical → flattened header
    header_confidence: dict[str, float] = field(default_factory=dict)
    money_scale: dict[str, float] = field(default_factory=dict)  # money column → factor used
    # Official forms B-D: the 1-based "Hộ" row of a record → its "Nhân khẩu" row
    paired_rows: dict[int, int] = field(default_factory=dict)
    plain: PlainForm | None = None  # the rows as plain columns (the reader's hand-over)

    def __post_init__(self) -> None:
        plain = self.plain
        given = {name: self.__dict__[f"_{name}_frame"] for name in _FRAMES}
        if plain is None:
            missing = [name for name, frame in given.items() if frame is None]
            if missing:
                raise ValueError(f"FormTable: no frame and no plain columns for {missing}")
            return
        if all(frame is None or frame is plain.built(name) for name, frame in given.items()):
            return
        for name, frame in given.items():  # a frame replaced: the plain columns are stale
            if frame is None:
                self.__dict__[f"_{name}_frame"] = plain.frame(name)
        object.__setattr__(self, "plain", None)

    def record_values(self, column: str) -> list[Any] | None:
        """A column of the records as Python values (``records[column].tolist()``), None
        when the records have no such column; from the plain columns when there are
        (pandas' NA as None)."""
        if self.plain is not None:
            values = self.plain.records.columns.get(column)
            return None if values is None else list(values)
        records = self.records
        return records[column].tolist() if column in records.columns else None

    def cell(self, column: str, source_row: int) -> str | None:
        """A1 address of a record's cell: ``table.cell("poor_end", 12) == "H12"``.

        A column ending in "_people" (official forms B-D) is the same column in the record's
        "Nhân khẩu" row: ``table.cell("poor_end_people", 12) == "M13"``.
        """
        if is_missing(source_row):
            return None
        row = int(source_row)
        if column not in self.columns and column.endswith(PEOPLE):
            people = self.paired_rows.get(row)
            column = column.removesuffix(PEOPLE)
            if people is None or column not in self.columns:
                return None
            row = people
        if column not in self.columns:
            return None
        return a1(row - 1, self.columns[column])


@dataclass(frozen=True)
class UnreadSheet:
    """A visible sheet with rows of figures that no form fits (SHEET_UNRECOGNISED).

    Nothing read is dropped in silence: its data rows go to quarantine with their cells as
    written, its other non-blank rows count as structure.
    """

    sheet: str
    form: str | None  # the closest form, if any header of one was found
    rows_read: int  # non-blank rows
    rows: list[dict[str, Any]]  # each data row: header label (or column letter) → text,
    # and "source_row" (1-based)


@dataclass(frozen=True)
class ReturnRead:
    """One file, read (or rejected), with its identity, forms and issues."""

    source_file: str
    sha256: str
    size_bytes: int
    format: str | None
    status: str  # "read" | "rejected"
    reason: str | None  # Vietnamese, one line, when rejected
    district_code: str | None
    year: int | None
    report_date: date | None
    modified: datetime | None
    forms: list[FormTable]
    skipped_sheets: list[tuple[str, str]]  # (sheet name, Vietnamese reason)
    issues: list[Issue]
    unrecognised: list[UnreadSheet] = field(default_factory=list)  # sheets of figures, no form


# ---------------------------------------------------------------------------
# Typed record frames
# ---------------------------------------------------------------------------


@functools.cache
def _str_dtype() -> Any:
    import pandas as pd

    return pd.array([], dtype="str").dtype


def str_array(vals: list[Any]) -> pd.api.extensions.ExtensionArray:
    """``pd.array(vals, dtype="str")`` for a list of str and None, ~4x faster.

    Building the Arrow array directly skips pandas' element-wise validation, which was the
    largest single cost of making the record frames (2,747 string columns per province
    build; issue #9). Anything else (a non-str value) falls back to pandas.

    >>> import pandas as pd
    >>> str_array(["Trà Mai", None]).dtype == pd.array([], dtype="str").dtype
    True
    """
    import pandas as pd

    try:
        import pyarrow as pa

        array = pa.array(vals, type=pa.large_string())
        return pd.arrays.ArrowStringArray(array, dtype=_str_dtype())
    except (TypeError, ValueError, ImportError):  # a non-str value: pandas converts it
        return pd.array(vals, dtype="str")


def int_array(vals: list[Any]) -> pd.api.extensions.ExtensionArray:
    """Nullable Int64 array of ints and None."""
    import pandas as pd

    mask = np.array([x is None for x in vals], dtype=bool)
    data = np.array([0 if x is None else int(x) for x in vals], dtype="int64")
    return pd.arrays.IntegerArray(data, mask)


def _bool_array(vals: list[Any]) -> pd.api.extensions.ExtensionArray:
    import pandas as pd

    mask = np.array([x is None for x in vals], dtype=bool)
    data = np.array([bool(x) if x is not None else False for x in vals], dtype=bool)
    return pd.arrays.BooleanArray(data, mask)


def _float_array(vals: list[Any]) -> np.ndarray:
    return np.array([np.nan if x is None else float(x) for x in vals], dtype="float64")


def _typed_column(name: str, kind: str | None, vals: list[Any]) -> Any:
    """One column of a record frame, typed by its kind (see synonyms.yaml)."""
    if name == "recognized_year" or kind in ("count", "year"):
        return int_array(vals)
    if kind in ("money", "percent"):
        return _float_array(vals)
    if kind == "mark":
        return _bool_array(vals)
    if name == "not_assessed":
        return np.array([bool(x) for x in vals], dtype=bool)
    return str_array(vals)


def record_frame(
    spec: FormSpec,
    parsed: dict[str, list[Any]],
    rows: list[int],
    first: dict[str, list[Any]] | None = None,
    last: dict[str, list[Any]] | None = None,
) -> pd.DataFrame:
    """Typed DataFrame of the form's canonical columns (missing ones as empty columns).

    `rows` are the 0-based sheet rows of the values (``source_row`` is 1-based); `first`
    and `last` are extra columns put before and after the canonical ones.
    """
    n = len(rows)
    data: dict[str, Any] = dict(first or {})
    for name in FORM_COLUMNS[spec.form]:
        col = spec.columns.get(name) or spec.columns.get(name.removesuffix(PEOPLE))
        data[name] = _typed_column(name, col.kind if col else None, parsed.get(name, [None] * n))
    data["source_row"] = int_array([r + 1 for r in rows])
    data.update(last or {})
    import pandas as pd

    return pd.DataFrame(data, copy=False)  # the arrays are fresh: no need to copy them


# ---------------------------------------------------------------------------
# Plain columns: the rows of the frames without the frames
# ---------------------------------------------------------------------------


def _texts(vals: list[Any]) -> bool:
    """Are these str or None only, and every str one Arrow takes (no lone surrogate)?"""
    if not all(x is None or type(x) is str for x in vals):
        return False
    try:
        "".join([x for x in vals if x is not None]).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _plain_column(name: str, kind: str | None, vals: list[Any]) -> list[Any] | None:
    """The values of ``_typed_column(name, kind, vals)`` as the frame hands them to Python
    (``DataFrame.to_numpy(dtype=object)``), pandas' NA as None: int or None, float or nan,
    bool or None, bool, str or nan. None when only building the column can tell (text that
    is not all str, an integer beyond int64): the caller builds the frame then."""
    if name == "recognized_year" or kind in ("count", "year"):
        ints = [None if x is None else int(x) for x in vals]
        if any(x is not None and not -(2**63) <= x < 2**63 for x in ints):
            return None
        return ints
    if kind in ("money", "percent"):
        return [np.nan if x is None else float(x) for x in vals]
    if kind == "mark":
        return [None if x is None else bool(x) for x in vals]
    if name == "not_assessed":
        return [bool(x) for x in vals]
    if _texts(vals):
        return [np.nan if x is None else x for x in vals]
    return None


def _of_frame(frame: pd.DataFrame, make: Callable[[], pd.DataFrame], made: _Made) -> PlainRows:
    """The rows of a frame, each value as ``frame.to_numpy(dtype=object)`` gives it, pandas'
    NA as None."""
    import pandas as pd

    cells = frame.to_numpy(dtype=object)
    columns = {
        str(name): [None if v is pd.NA else v for v in cells[:, j].tolist()]
        for j, name in enumerate(frame.columns)
    }
    floats = {str(name) for name, dtype in frame.dtypes.items() if dtype == np.float64}
    return PlainRows(columns, make, frozenset(floats), made)


@dataclass(frozen=True)
class _Made:
    """What rows are made from (`plain_rows`): the form's spec, and the names of the columns
    put before and after the canonical ones."""

    spec: FormSpec
    first: tuple[str, ...] = ()
    last: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlainRows:
    """Rows of a form (its records or its totals) as plain columns, in the order of the
    columns of their frame; each value as the typed frame hands it to Python, except that
    pandas' NA is None (the rows are made without pandas)."""

    columns: dict[str, list[Any]]
    make_frame: Callable[[], pd.DataFrame]  # the typed frame of these rows (`record_frame`)
    floats: frozenset[str]  # the float64 columns of that frame
    made: _Made = field(repr=False, compare=False)  # what `plain_rows` made them from

    def rows(self) -> list[dict[str, Any]]:
        """One dict per row, column → value (``records_of`` of the frame, NA as None)."""
        names = list(self.columns)
        return [
            dict(zip(names, row, strict=True)) for row in zip(*self.columns.values(), strict=True)
        ]

    def remade(self, columns: dict[str, list[Any]]) -> PlainRows:
        """Other rows of these columns (the official forms' rows reshaped), made as the
        reader makes rows (`plain_rows`): each value typed by its column (missing given as
        None or NaN), the frame `record_frame` of them. Columns not given stay empty.

        >>> from ketnghia_analysis.reference.synonyms import load_synonyms
        >>> rows = plain_rows(load_synonyms().forms["review_result"], {}, [])
        >>> new = rows.remade({"commune": ["Xã Trà Mai"], "poor_end": [7.0], "source_row": [9]})
        >>> new.columns["commune"], new.columns["poor_end"], new.columns["poverty_rate_reported"]
        (['Xã Trà Mai'], [7], [nan])
        """
        first, last = self.made.first, self.made.last
        skip = {*first, *last, "source_row"}
        parsed = {
            name: [None if is_missing(x) else x for x in values]
            for name, values in columns.items()
            if name not in skip
        }
        return plain_rows(
            self.made.spec,
            parsed,
            [int(r) - 1 for r in columns["source_row"]],
            {name: columns[name] for name in first},
            {name: columns[name] for name in last},
        )


def plain_rows(
    spec: FormSpec,
    parsed: dict[str, list[Any]],
    rows: list[int],
    first: dict[str, list[Any]] | None = None,
    last: dict[str, list[Any]] | None = None,
) -> PlainRows:
    """The rows ``record_frame(spec, parsed, rows, first, last)`` would hold, without the
    frame. `first` and `last` hold str and bool values (as a frame keeps them). Anything
    out of the usual builds the frame as before (the same values, or the same error)."""
    n = len(rows)
    make = functools.partial(record_frame, spec, parsed, rows, first, last)
    made = _Made(spec, tuple(first or ()), tuple(last or ()))
    columns: dict[str, list[Any]] = {k: list(v) for k, v in (first or {}).items()}
    floats = set()
    for name in FORM_COLUMNS[spec.form]:
        col = spec.columns.get(name) or spec.columns.get(name.removesuffix(PEOPLE))
        values = _plain_column(name, col.kind if col else None, parsed.get(name, [None] * n))
        if values is None:
            return _of_frame(make(), make, made)
        columns[name] = values
        if col and col.kind in ("money", "percent") and name != "recognized_year":
            floats.add(name)
    columns["source_row"] = [r + 1 for r in rows]
    columns.update({k: list(v) for k, v in (last or {}).items()})
    if any(len(values) != n for values in columns.values()):
        return _of_frame(make(), make, made)  # pandas says what is wrong
    return PlainRows(columns, make, frozenset(floats), made)


@dataclass(frozen=True)
class PlainRaw:
    """The cells of a form's data rows as read (text), for quarantine: the raw frame's rows."""

    names: list[str]  # canonical columns, in the order of the sheet's column map
    columns: list[int]  # their 0-based sheet columns
    rows: list[int]  # 0-based sheet rows
    cells: list[tuple[Any, ...]]  # the values of each row (as the grid held them)

    def row_dicts(self) -> list[dict[str, Any]]:
        """One dict per data row: column → text (``cell_text``), and "source_row"."""
        out = []
        for r, row in zip(self.rows, self.cells, strict=True):
            rec: dict[str, Any] = {
                name: cell_text(row[c]) if c < len(row) else ""
                for name, c in zip(self.names, self.columns, strict=True)
            }
            rec["source_row"] = r + 1
            out.append(rec)
        return out

    def frame(self) -> pd.DataFrame:
        """The raw frame: one object block, and "source_row" (Int64)."""
        import pandas as pd

        raw_cells = np.empty((len(self.rows), len(self.names)), dtype=object)
        for i, rec in enumerate(self.row_dicts()):
            for j, name in enumerate(self.names):
                raw_cells[i, j] = rec[name]
        raw_frame = pd.DataFrame(raw_cells, columns=self.names, dtype=object)
        raw_frame["source_row"] = int_array([r + 1 for r in self.rows])
        return raw_frame


def plain_raw(values: list[list[Any]], data_rows: list[int], cols: dict[str, int]) -> PlainRaw:
    """The raw cells of the data rows of a grid (`values`, rows of cells), kept as they are
    now (the texts are made when asked for)."""
    return PlainRaw(
        list(cols), list(cols.values()), list(data_rows), [tuple(values[r]) for r in data_rows]
    )


@dataclass(frozen=True)
class PlainForm:
    """A form's records, totals and raw cells as plain columns (the reader's hand-over);
    each frame built only when asked for (`FormTable.records` …), then kept."""

    records: PlainRows
    totals: PlainRows
    raw: PlainRaw
    built_frames: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False, compare=False)

    def frame(self, name: str) -> pd.DataFrame:
        """The frame "records", "totals" or "raw", built on first call."""
        if name not in self.built_frames:
            part = getattr(self, name)
            frame = part.make_frame() if isinstance(part, PlainRows) else part.frame()
            self.built_frames[name] = frame
        return self.built_frames[name]

    def built(self, name: str) -> pd.DataFrame | None:
        """The frame if built already."""
        return self.built_frames.get(name)
