"""The accepted rows of one form → its rows of the processed tables, with provenance, as
plain columns (`results.Columns`: lists of Python values, None for missing)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ketnghia_analysis.building.bad_values import nulled_of
from ketnghia_analysis.building.official_forms import HN, LETTERS, MAPPING, OFFICIAL_KINDS
from ketnghia_analysis.building.official_units import is_district_row
from ketnghia_analysis.building.results import Columns
from ketnghia_analysis.building.row_rules import (
    CRITERIA,
    criteria_met_of,
    marks_met,
    placeholder_total,
)
from ketnghia_analysis.building.rulebook import Context, as_number, as_numbers
from ketnghia_analysis.core.columns import POVERTY_COUNTS, SUPPORT_COUNTS
from ketnghia_analysis.core.missing import is_missing
from ketnghia_analysis.reading.model import PlainRows
from ketnghia_analysis.reference.standards import criteria_set, poverty_standard

if TYPE_CHECKING:  # the frames of a form given as frames; the workers never import pandas
    import pandas as pd


def flagged(value: object) -> bool:
    """A not_assessed mark: missing is False, anything else its truth value."""
    return not is_missing(value) and bool(value)


def _floats(values: Any, n: int) -> np.ndarray:
    """A column (array, list or None) as float64, NaN for missing or not a number, as
    ``pd.to_numeric(errors="coerce")`` reads it."""
    if values is None:
        return np.full(n, np.nan)
    if isinstance(values, list):  # a column of the records' values (no frame)
        return as_numbers(values)
    if isinstance(values, np.ndarray) and values.dtype.kind in "biuf":
        return values.astype("float64")
    import pandas as pd
    from pandas.api.types import is_numeric_dtype

    if not is_numeric_dtype(values.dtype):
        values = pd.to_numeric(values, errors="coerce")
    if isinstance(values, np.ndarray):
        return values.astype("float64")
    return values.to_numpy(dtype="float64", na_value=np.nan)


#: The types of values that `plain` keeps as they are (None is the missing value itself).
_NEVER_MISSING = frozenset({str, int, bool, type(None)})


def plain(values: Any, n: int) -> list[Any]:
    """A column for `Columns`: an array (numpy or pandas) or a list as Python values with
    None for every missing value, or a scalar (None included) repeated ``n`` times; the
    values of a float64 column of the records (`KeptFloats`) as they are.

    >>> import pandas as pd
    >>> plain(np.array([1.5, np.nan]), 2), plain(pd.array([3, None], dtype="Int64"), 2)
    ([1.5, None], [3, None])
    >>> plain("2016-2020", 2), plain(None, 1), plain([pd.NA, "x"], 2)
    (['2016-2020', '2016-2020'], [None], [None, 'x'])
    """
    if values is None or isinstance(values, (str, int, float)):
        return [values] * n
    if type(values) is KeptFloats:
        return list(values)
    if isinstance(values, list):
        return _none_for_missing(values)
    if isinstance(values, np.ndarray):
        if values.dtype.kind == "f":
            out = values.astype(object)
            out[np.isnan(values)] = None
            return out.tolist()
        if values.dtype.kind in "iub":
            return values.tolist()
        return _none_for_missing(values.tolist())
    return values.to_numpy(dtype=object, na_value=None).tolist()


def _none_for_missing(values: list[Any]) -> list[Any]:
    """The values (a new list), None for every missing one. str, int and bool are never
    missing: no call for them, and none at all for a list of only these and None."""
    if _NEVER_MISSING.issuperset(map(type, values)):
        return list(values)
    return [
        v if (t := type(v)) is str or t is int or t is bool else None if is_missing(v) else v
        for v in values
    ]


class KeptFloats(list[float]):
    """The values of a float64 column of a form's records, NaN for missing, as the frame's
    column gave them to `plain`: with their NaN (pandas' ``NumpyExtensionArray.to_numpy``
    ignores ``na_value=None``), which the tables then null. A list, so that the workers
    keep them without pandas.

    >>> plain(KeptFloats([1.5, float("nan")]), 2)
    [1.5, nan]
    """


@dataclass
class AcceptedRows:
    """The accepted rows of one form, as `Normaliser.form_result` hands them to `tables`.

    Not a DataFrame: a form has 15-25 rows, and every pandas call (50-500 µs whatever the
    size) cost more than the rows. `tables` takes the columns it needs as arrays and gives
    each output table as plain columns (no DataFrame at all: issue #18).
    """

    frame: pd.DataFrame | None  # the form's records, every row (read only); None: `records`
    positions: np.ndarray | None  # of the accepted rows in `frame`; None: every row
    records: list[dict]  # the accepted rows as dicts (records_of), added columns included
    added: dict[str, Any] = field(default_factory=dict)  # added columns, every row
    plain: PlainRows | None = None  # with no frame: the form's records as plain columns

    def __len__(self) -> int:
        return len(self.records)

    def select(self, keep: list[int]) -> AcceptedRows:
        """The rows at these positions (of the accepted rows)."""
        if len(keep) == len(self.records):
            return self
        picked = np.asarray(keep, dtype=np.intp)
        return AcceptedRows(
            self.frame,
            picked if self.positions is None else self.positions[picked],
            [self.records[i] for i in keep],
            self.added,
            self.plain,
        )

    def column(self, name: str) -> Any:
        """A column of these rows as an array (the dtype of the records frame, or of the
        added column), or, with no frame, as the list of the records' values; None when the
        form has no such column."""
        if name in self.added:
            values = self.added[name]
        elif self.frame is None:
            if self.plain is None or name not in self.plain.columns:
                return None
            if name in self.plain.floats:  # as a frame's float64 column gives it
                return KeptFloats(
                    np.nan if rec[name] is None else float(rec[name]) for rec in self.records
                )
            return [rec[name] for rec in self.records]
        elif name in self.frame.columns:
            values = self.frame[name].array
        else:
            return None
        return values if self.positions is None else values.take(self.positions)

    def table(self, columns: dict[str, Any]) -> Columns:
        """One output table as plain columns: arrays, lists or scalars (repeated)."""
        n = len(self.records)
        return {name: plain(values, n) for name, values in columns.items()}


def _head(accepted: AcceptedRows, ctx: Context) -> dict[str, Any]:
    return {
        "year": int(ctx.year),  # type: ignore[arg-type]
        "district_code": ctx.district_code,
        "commune_code": accepted.column("commune_code"),
    }


def _provenance(ctx: Context) -> dict[str, Any]:
    return {"source_file": ctx.source_file, "source_sheet": ctx.source_sheet}


def _poverty(accepted: AcceptedRows, ctx: Context) -> dict[str, Columns]:
    column, n = accepted.column, len(accepted)
    end = _floats(column("poor_end"), n)
    total = _floats(column("households_total"), n)
    return {
        "poverty": accepted.table(
            {
                **_head(accepted, ctx),
                "commune_name": column("commune_name"),
                **{col: column(col) for col in POVERTY_COUNTS},
                "poverty_rate_end": end / np.where(total > 0, total, np.nan),
                "poverty_standard": poverty_standard(int(ctx.year)),  # type: ignore[arg-type]
                "source_form": HN,
                **_provenance(ctx),
                "source_row": column("source_row"),
            }
        )
    }


def _ntm(accepted: AcceptedRows, ctx: Context) -> dict[str, Columns]:
    """Assessed communes only: a ward marked "không đánh giá" becomes no row."""
    keep = accepted.select(
        [i for i, rec in enumerate(accepted.records) if not flagged(rec.get("not_assessed"))]
    )
    recs = keep.records
    year = int(ctx.year)  # type: ignore[arg-type]
    recognized = [
        None if is_missing(rec.get("recognized_year")) else rec["recognized_year"] for rec in recs
    ]
    status = keep.table(
        {
            "year": year,
            "district_code": ctx.district_code,
            "commune_code": keep.column("commune_code"),
            "criteria_met": [criteria_met_of(rec) for rec in recs],
            "criteria_set": criteria_set(year),
            "ntm_level": keep.column("ntm_level"),
            "recognized_year": recognized,
            **_provenance(ctx),
            "source_row": keep.column("source_row"),
        }
    )
    return {"ntm_status": status, "ntm_criteria": _criteria_rows(recs, year, ctx)}


def _criteria_rows(recs: list[dict], year: int, ctx: Context) -> Columns:
    """One row per commune and criterion, built column by column. A mark left null for a
    bad value gives no row: whether that criterion is met is unknown (``met`` is never
    null)."""
    codes = plain([rec["commune_code"] for rec in recs], len(recs))
    rows = plain([rec["source_row"] for rec in recs], len(recs))
    commune_code: list[Any] = []
    source_row: list[Any] = []
    criterion: list[int] = []
    met: list[bool] = []
    for rec, code, row in zip(recs, codes, rows, strict=True):
        numbers, marks = _read_criteria(rec)
        commune_code += [code] * len(numbers)
        source_row += [row] * len(numbers)
        criterion += numbers
        met += marks
    size = len(criterion)
    return {
        "year": [year] * size,
        "district_code": [ctx.district_code] * size,
        "commune_code": commune_code,
        "criterion": criterion,
        "met": met,
        "source_file": [ctx.source_file] * size,
        "source_sheet": [ctx.source_sheet] * size,
        "source_row": source_row,
    }


#: The numbers of the criteria (1-based), as ntm_criteria.criterion holds them.
_EVERY_CRITERION = [i + 1 for i in range(len(CRITERIA))]


def _read_criteria(rec: dict) -> tuple[list[int], list[bool]]:
    """The numbers of the criteria whose mark was read on this record, and whether each is
    met."""
    marks, unread = marks_met(rec), nulled_of(rec)
    if not unread:
        return _EVERY_CRITERION, marks
    read = [i for i, col in enumerate(CRITERIA) if col not in unread]
    return [i + 1 for i in read], [marks[i] for i in read]


def _support(accepted: AcceptedRows, ctx: Context) -> dict[str, Columns]:
    column = accepted.column
    return {
        "support": accepted.table(
            {
                **_head(accepted, ctx),
                "partner_id": column("partner_id"),
                "partner_name": column("_partner_canonical"),
                "partner_type": column("_partner_type"),
                "partner_label": column("partner_name"),
                "pair_start_year": column("pair_start_year"),
                "cash_mvnd": column("cash"),
                "in_kind_mvnd": column("in_kind"),
                **{col: column(col) for col in (*SUPPORT_COUNTS, "note")},
                **_provenance(ctx),
                "source_row": column("source_row"),
            }
        )
    }


def _models(accepted: AcceptedRows, ctx: Context) -> dict[str, Columns]:
    column = accepted.column
    return {
        "models": accepted.table(
            {
                **_head(accepted, ctx),
                "partner_id": column("partner_id"),
                "partner_label": column("partner_name"),
                "model_name": column("model_name"),
                "model_type": column("model_type"),
                "start_year": column("start_year"),
                "households": column("households"),
                "status": column("status"),
                **_provenance(ctx),
                "source_row": column("source_row"),
            }
        )
    }


def _official(accepted: AcceptedRows, ctx: Context, kind: str) -> dict[str, Columns]:
    """An official form's rows: its units to poverty, its district rows to
    poverty_districts; each row holds the poverty columns this form carries (`MAPPING`),
    ``source_form`` its letter, and ``_cells`` the address of each value, for the join
    across forms (`form_join`)."""
    letter = LETTERS[kind]
    units: list[dict[str, Any]] = []
    districts: list[dict[str, Any]] = []
    for rec in accepted.records:
        row = _official_row(rec, letter, ctx)
        if is_district_row(rec):
            districts.append(row)
        else:
            units.append(
                {
                    **row,
                    "commune_code": rec.get("commune_code"),
                    "commune_name": rec.get("commune_name"),
                }
            )
    return {"poverty": _by_column(units), "poverty_districts": _by_column(districts)}


def _official_row(rec: dict[str, Any], letter: str, ctx: Context) -> dict[str, Any]:
    """One record of an official form as the poverty columns it carries. An empty count is
    0 (the forms leave zeros empty) unless its column is not in the form or its cell was left
    null for a bad value; form A's placeholder totals are left null (`placeholder_total`)."""
    unread, row = nulled_of(rec), rec.get("source_row")

    def value(column: str) -> Any:
        number = as_number(rec.get(column))
        if number is not None:
            return int(round(number))
        base = column.removesuffix("_people")
        return 0 if base in ctx.columns and column not in unread else None

    values = {col: value(source) for col, source in MAPPING[letter].items()}
    cells = {col: ctx.cell(source, row) for col, source in MAPPING[letter].items()}
    if letter == "B":
        to_near, above = values["exits_to_near_poor"], values["exits_above_near_poor"]
        values["poverty_exits"] = None if None in (to_near, above) else to_near + above
    if letter == "A":
        for total in ("households_total", "people_total"):
            if placeholder_total(rec, total):
                values[total] = None
    year = int(ctx.year)  # type: ignore[arg-type]
    return {
        "year": year,
        "district_code": rec.get("_district_code"),
        **values,
        "poverty_standard": poverty_standard(year),
        "source_form": letter,
        **_provenance(ctx),
        "source_row": None if row is None or is_missing(row) else int(row),
        "_cells": cells,
    }


def _by_column(rows: list[dict[str, Any]]) -> Columns:
    """Rows (dicts with the same keys) as plain columns."""
    if not rows:
        return {}
    return {name: [row.get(name) for row in rows] for name in rows[0]}


#: form → the function giving its rows of the processed tables.
TABULATORS: dict[str, Callable[[AcceptedRows, Context], dict[str, Columns]]] = {
    "poverty": _poverty,
    "ntm": _ntm,
    "support": _support,
    "models": _models,
    **{kind: functools.partial(_official, kind=kind) for kind in OFFICIAL_KINDS},
}


def form_tables(kind: str, accepted: AcceptedRows, ctx: Context) -> dict[str, Columns]:
    """Accepted rows of a form → its rows of the processed tables, as plain columns.

    The reader has parsed every value (NTM level and model status are codes already).
    """
    return TABULATORS[kind](accepted, ctx)
