"""What the reading stage hands on: `FormTable` per form sheet, `ReturnRead` per file.

Both are frozen: each is built once, complete, by the reader. The record frames they
carry have the canonical columns of their form (`FORM_COLUMNS`, the order of
../shared/spec/returns.md) with typed columns (`record_frame`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from ketnghia_analysis.core.address import a1
from ketnghia_analysis.core.issues import Issue
from ketnghia_analysis.reference.synonyms import FormSpec

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


@dataclass(frozen=True)
class FormTable:
    """One recognised form sheet, read (see docs/architecture.md)."""

    form: str
    sheet: str
    header_rows: tuple[int, int]
    columns: dict[str, int]
    records: pd.DataFrame
    raw: pd.DataFrame
    totals: pd.DataFrame
    rows_read: int
    rows_structural: int
    issues: list[Issue] = field(default_factory=list)
    row_kinds: dict[int, str] = field(default_factory=dict)  # 1-based row → kind (non-blank)
    header_labels: dict[str, str] = field(default_factory=dict)  # canonical → flattened header
    header_confidence: dict[str, float] = field(default_factory=dict)
    money_scale: dict[str, float] = field(default_factory=dict)  # money column → factor used
    # Official forms B-D: the 1-based "Hộ" row of a record → its "Nhân khẩu" row
    paired_rows: dict[int, int] = field(default_factory=dict)

    def cell(self, column: str, source_row: int) -> str | None:
        """A1 address of a record's cell: ``table.cell("poor_end", 12) == "H12"``.

        A column ending in "_people" (official forms B-D) is the same column in the record's
        "Nhân khẩu" row: ``table.cell("poor_end_people", 12) == "M13"``.
        """
        if source_row is None or pd.isna(source_row):
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

_STR = pd.array([], dtype="str")


def str_array(vals: list[Any]) -> pd.api.extensions.ExtensionArray:
    """``pd.array(vals, dtype="str")`` for a list of str and None, ~4x faster.

    Building the Arrow array directly skips pandas' element-wise validation, which was the
    largest single cost of making the record frames (2,747 string columns per province
    build; issue #9). Anything else (a non-str value) falls back to pandas.

    >>> str_array(["Trà Mai", None]).dtype == pd.array([], dtype="str").dtype
    True
    """
    try:
        import pyarrow as pa

        return pd.arrays.ArrowStringArray(pa.array(vals, type=pa.large_string()), dtype=_STR.dtype)
    except (TypeError, ValueError, ImportError):  # a non-str value: pandas converts it
        return pd.array(vals, dtype="str")


def int_array(vals: list[Any]) -> pd.api.extensions.ExtensionArray:
    """Nullable Int64 array of ints and None."""
    mask = np.array([x is None for x in vals], dtype=bool)
    data = np.array([0 if x is None else int(x) for x in vals], dtype="int64")
    return pd.arrays.IntegerArray(data, mask)


def _bool_array(vals: list[Any]) -> pd.api.extensions.ExtensionArray:
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
    return pd.DataFrame(data, copy=False)  # the arrays are fresh: no need to copy them
