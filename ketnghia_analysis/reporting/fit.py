"""Tables that fit a 1280-px screen: constant columns said once, units in headers, long rows split.

A district table of 24 columns repeated the year, the district's code and name on every row
and wrote "tr.đ" or "điểm %" in every cell; the page cut it at the right edge.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from ketnghia_analysis.core.controls import printable
from ketnghia_analysis.core.missing import is_missing
from ketnghia_analysis.reference.glossary import label
from ketnghia_analysis.reporting.kinds import kind_of, short_value

# Beyond this many columns a table is split in two, each repeating its first (name) column.
MAX_COLUMNS = 12
# Codes are for machines: shown only when no name column says the same.
_CODE_OF_NAME = {"commune_code": "commune_name", "district_code": "district_name"}
_ALWAYS_DROPPED = ("level",)


def constant_columns(frame: pd.DataFrame) -> list[str]:
    """Columns with one value on every row (of a table with more than one row).

    >>> constant_columns(pd.DataFrame({"year": [2024, 2024], "poor": [1, 2]}))
    ['year']
    """
    if len(frame) < 2:
        return []
    return [c for c in frame.columns if frame[c].nunique(dropna=False) == 1]


def _cell(value: object, column: str) -> str:
    """A cell without unit words (the header has the unit): 12,5% · -2,4 · 1.326,5."""
    if isinstance(value, bool | np.bool_):
        return "có" if value else "không"
    if isinstance(value, int | float | np.number) and column != "year":
        return short_value(value, kind_of(column))
    return "" if is_missing(value) else str(printable(str(value)))


def fit_parts(data: pd.DataFrame) -> tuple[list[str], list[pd.DataFrame]]:
    """(the constant facts as "label: value", the table in one or two parts of text cells)."""
    frame = data.reset_index(drop=True)
    drop = [c for c in _ALWAYS_DROPPED if c in frame.columns]
    drop += [code for code, name in _CODE_OF_NAME.items() if {code, name} <= set(frame.columns)]
    constant = [c for c in constant_columns(frame) if c not in drop]
    facts = [f"{label(c)}: {_cell(frame[c].iloc[0], c)}" for c in constant]
    frame = frame.drop(columns=drop + constant)
    text = pd.DataFrame(
        {c: [_cell(v, c) for v in frame[c].astype("object")] for c in frame.columns},
        index=pd.RangeIndex(1, len(frame) + 1, name="STT"),
    ).rename(columns={c: label(c) for c in frame.columns})
    if text.shape[1] <= MAX_COLUMNS:
        return facts, [text]
    first = text.columns[0]
    half = 1 + (text.shape[1] - 1 + 1) // 2
    return facts, [text.iloc[:, :half], text[[first, *text.columns[half:]]]]


class FittedTable:
    """A table as the report shows it: one line of common facts, then one or two tables."""

    def __init__(self, data: pd.DataFrame) -> None:
        self.facts, self.parts = fit_parts(data)

    def _repr_html_(self) -> str:
        facts = (
            f'<p class="kn-facts">{html.escape(" · ".join(self.facts))}</p>' if self.facts else ""
        )
        tables = "".join(
            f'<div class="kn-table">{part.to_html(escape=True)}</div>' for part in self.parts
        )
        return facts + tables

    def __repr__(self) -> str:
        return "\n\n".join([" · ".join(self.facts), *(str(p) for p in self.parts)])


def fit_table(data: pd.DataFrame) -> FittedTable:
    """The table for a report page (see the module docstring); display it as a cell's result."""
    return FittedTable(data)
