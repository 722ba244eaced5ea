"""A bad value keeps its row: the cell is null with a warning, and the row is set aside only
when none of its values is usable (issue #20, "keep rows").

A value finding (code ``VALUE_*``: not a number, negative, out of range, not a mark, a year
or a status…) concerns one cell of a value column. The reader (or ``check_numbers``) has
left that cell's value out; here the whole form decides what the finding means for its row:

- the row still holds a usable value: the finding is a **warning**, the cell is null in the
  tables (counted in ``submissions.cells_nulled``) and the row is accepted;
- every value of the row is bad or blank: the finding is an **error** and the row goes to
  quarantine with its raw cells (nothing of it could be used).

The columns that make a row's identity (commune, partner) are never values: a row whose
commune or partner cannot be established is quarantined by its own rules.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ketnghia_analysis.core.address import parse_a1
from ketnghia_analysis.core.issues import Issue
from ketnghia_analysis.core.missing import is_missing

if TYPE_CHECKING:
    import pandas as pd

#: Columns of a form that name the row or describe it in words: never values of the row.
NOT_VALUES = frozenset(
    {
        "commune",
        "partner_name",
        "partner_type",
        "model_name",
        "model_type",
        "note",
        "not_assessed",
        "source_row",
        "stt",
    }
)
#: What a district reads after a value finding on a row that is kept.
KEPT_NOTE = "Ô này được để trống trong số liệu tổng hợp; các ô khác của dòng vẫn được nhận."
#: … and on a row that is set aside.
SET_ASIDE_NOTE = "Dòng không còn giá trị nào đọc được nên chưa được nhận."
#: Key of the record dicts holding the columns nulled on that row.
NULLED = "_nulled"


def is_value_finding(issue: Issue) -> bool:
    """A finding about one unreadable value in a data cell (VALUE_*, on a row, at a cell)."""
    return (
        issue.code.startswith("VALUE_")
        and issue.row is not None
        and issue.cell is not None
        and issue.severity != "info"
    )


@dataclass
class BadValues:
    """What the bad values of one form did: findings decided, cells nulled, frame updated."""

    issues: list[Issue]
    nulled: dict[int, set[str]] = field(default_factory=dict)  # Excel row → columns nulled
    unusable: set[int] = field(default_factory=set)  # Excel rows with no usable value
    records: pd.DataFrame | None = None  # the form's records with the cells nulled

    def cells_nulled(self, rows: Iterable[Any]) -> int:
        """Cells nulled on these Excel rows (the accepted ones)."""
        if not self.nulled:  # most forms
            return 0
        return sum(len(self.nulled.get(int(r), ())) for r in rows if not is_missing(r))


def _column_names(columns: dict[str, int]) -> dict[int, str]:
    return {int(index): name for name, index in columns.items()}


def _column_of(issue: Issue, names: dict[int, str]) -> str | None:
    try:
        return names.get(parse_a1(str(issue.cell))[1])
    except ValueError:
        return None


def _usable(rec: dict, columns: Iterable[str], nulled: set[str]) -> bool:
    """Whether the row holds at least one value that was read (a False mark is a value)."""
    return any(c not in nulled and not is_missing(rec.get(c)) for c in columns)


def _decided(issue: Issue, unusable: bool) -> Issue:
    """The finding with its severity for this row, and what it means for the row."""
    severity, note = ("error", SET_ASIDE_NOTE) if unusable else ("warning", KEPT_NOTE)
    message, suffix = issue.message, f" [{issue.code}]"
    body = message[: -len(suffix)] if message.endswith(suffix) else message
    body = body.rstrip()
    if not body.endswith((".", "!", "?")):
        body += "."
    return dataclasses.replace(issue, severity=severity, message=f"{body} {note}{suffix}")


def decide_bad_values(
    recs: list[dict], issues: list[Issue], columns: dict[str, int], records: pd.DataFrame | None
) -> BadValues:
    """Decide every value finding of one form (see the module's docstring).

    ``recs`` are the form's records as dicts (``records_of(records)``): the nulled cells
    become None there, and each record with nulled cells gets the set of those columns
    under ``NULLED`` (the rules across fields skip what they cannot know). ``records`` is
    copied only when a value the reader let through (a negative amount…) must be nulled;
    None (the records came as plain columns: the dicts are all there is) stays None.
    """
    findings = [issue for issue in issues if is_value_finding(issue)]
    if not findings:  # most forms
        return BadValues(issues)
    names = _column_names(columns)
    nulled: dict[int, set[str]] = {}
    for issue in findings:
        column = _column_of(issue, names)
        if column is not None and column not in NOT_VALUES:
            nulled.setdefault(int(issue.row), set()).add(column)  # type: ignore[arg-type]
    if not nulled:
        return BadValues(issues)
    by_row = {
        int(r["source_row"]): i for i, r in enumerate(recs) if not is_missing(r["source_row"])
    }
    values = [c for c in columns if c not in NOT_VALUES]
    unusable = {
        row
        for row, cols in nulled.items()
        if row in by_row and not _usable(recs[by_row[row]], values, cols)
    }
    decided = [
        _decided(i, int(i.row) in unusable)  # type: ignore[arg-type]
        if is_value_finding(i) and int(i.row) in nulled  # type: ignore[arg-type]
        else i
        for i in issues
    ]
    frame_cells: list[tuple[int, str]] = []
    for row, cols in nulled.items():
        if row not in by_row:
            continue  # a total or section row: not a record
        pos = by_row[row]
        rec = recs[pos]
        for col in cols:
            if not is_missing(rec.get(col)):
                frame_cells.append((pos, col))
            rec[col] = None
        rec[NULLED] = frozenset(cols)
    return BadValues(decided, nulled, unusable, _null_frame(records, frame_cells))


def _null_frame(records: pd.DataFrame | None, cells: list[tuple[int, str]]) -> pd.DataFrame | None:
    """The records with these cells (position, column) missing; None when nothing changes
    (or no frame)."""
    if records is None:
        return None
    cells = [(pos, col) for pos, col in cells if col in records.columns]
    if not cells:
        return None
    frame = records.copy()
    for pos, col in cells:
        dtype = frame[col].dtype
        if isinstance(dtype, np.dtype) and dtype.kind not in "fO":
            frame[col] = frame[col].astype(object)  # a plain int or bool column holds no NA
        missing = np.nan if frame[col].dtype.kind == "f" else None
        frame.iat[pos, frame.columns.get_loc(col)] = missing
    return frame


def nulled_of(rec: dict) -> frozenset[str]:
    """The columns nulled on this record (empty for most rows)."""
    value = rec.get(NULLED)
    return value if isinstance(value, frozenset) else frozenset()
