"""One finding per cause, for people: the findings of one code in one column of one sheet of
one file become one line, its first cells listed and their count given (an unknown mark in
the criteria grid: one line per token, whatever the column).

issues.parquet keeps every cell (analysts filter it); issues.xlsx, the feedback workbooks,
``ketnghia check`` and the build summary show and count the grouped lines, so that a district
reads its feedback in a minute even when one habit (a unit typed in every cell of a column)
touched forty cells.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pandas as pd

from ketnghia_analysis.core.missing import is_missing
from ketnghia_analysis.reference.contract import SEVERITIES

#: Cells named on a grouped line before "… và N ô khác".
SHOWN_CELLS = 3
#: A finding's cause: the same code, severity and column of one sheet of one file.
CAUSE = ("severity", "code", "district_code", "year", "source_file", "source_sheet")
#: The column added to a grouped frame: how many cells the line stands for.
COUNT = "cells"
#: Codes whose cause spans columns: one unknown mark in the criteria grid (c01-c19) is one
#: cause, whatever the column; its findings carry one message per token (reading/marks.py),
#: so the message, not the column, tells the causes of one sheet apart.
GRID_CODES = frozenset({"VALUE_BAD_MARK"})
_A1 = re.compile(r"([A-Z]+)(\d+)")


def column_letters(cell: object) -> str | None:
    """The column of an A1 address; None for no address.

    >>> column_letters("AB12"), column_letters(None), column_letters("D12, D13")
    ('AB', None, None)
    """
    match = _A1.fullmatch(str(cell)) if isinstance(cell, str) else None
    return match.group(1) if match else None


def cell_list(cells: list[str]) -> str:
    """The cells of a grouped line: the first few, then how many more.

    >>> cell_list(["D12"]), cell_list(["D12", "D13"])
    ('D12', 'D12, D13')
    >>> cell_list([f"D{r}" for r in range(12, 52)])
    'D12, D13, D14 … và 37 ô khác'
    """
    shown = ", ".join(cells[:SHOWN_CELLS])
    more = len(cells) - SHOWN_CELLS
    return f"{shown} … và {more} ô khác" if more > 0 else shown


def _part(value: object) -> Any:
    """A part of a cause: every missing value the same (NaN is not equal to itself)."""
    return None if is_missing(value) else value


def _line(members: list[dict[str, Any]], letters: str | None) -> dict[str, Any]:
    """The line of one cause: the first finding as its example, every cell counted."""
    first = dict(members[0])
    cells = list(dict.fromkeys(str(m["cell"]) for m in members))
    first[COUNT] = len(cells) if letters else 1
    if len(cells) > 1:
        first["cell"] = cell_list(cells)
        where = "Lưới tiêu chí" if first.get("code") in GRID_CODES else f"Cột {letters}"
        first["message"] = f"{where}, {len(cells)} ô cùng một lỗi; ví dụ: {first['message']}"
    return first


def _cause(rec: dict[str, Any], letters: str) -> tuple:
    """The cause of a finding at a cell: its code in its column of one sheet of one file
    (in the criteria grid: its code and message in that sheet, whatever the column)."""
    where = ("grid", _part(rec.get("message"))) if rec.get("code") in GRID_CODES else letters
    return (*(_part(rec.get(name)) for name in CAUSE), where)


def group_issues(issues: pd.DataFrame) -> pd.DataFrame:
    """The findings grouped by cause (see the module's docstring), in the order given: each
    line where its first finding stood. Findings without a cell stay one per line.

    The frame keeps the issues columns (``cell`` lists the cells, ``message`` is the first
    finding's with the count) and gains ``cells``, the number of cells of each line.
    """
    if issues.empty:
        return issues.assign(**{COUNT: pd.Series(dtype="int64")})
    rows = group_records(issues.to_dict("records"))
    frame = pd.DataFrame(rows, columns=[*issues.columns, COUNT])
    return frame.astype({COUNT: "int64"})


def group_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`group_issues` on findings as dicts (the rows of an issues frame), lines as dicts: the
    feedback workbooks group a build's findings once this way and split the lines by
    district, instead of a frame per sheet (issue #18)."""
    groups: dict[tuple, list[dict[str, Any]]] = {}
    letters_of: dict[tuple, str | None] = {}
    for i, rec in enumerate(records):
        letters = column_letters(rec.get("cell"))
        if letters is None:
            key: tuple = ("single", i)
        else:
            key = _cause(rec, letters)
        groups.setdefault(key, []).append(rec)
        letters_of[key] = letters
    return [_line(members, letters_of[key]) for key, members in groups.items()]


def count_by_severity(lines: pd.DataFrame | list[dict[str, Any]]) -> dict[str, int]:
    """Grouped lines (a frame, or dicts from `group_records`) per severity:
    {"error": n, "warning": n, "info": n}."""
    severities = (
        lines["severity"]
        if isinstance(lines, pd.DataFrame)
        else [line.get("severity") for line in lines]
    )
    counts = Counter(severities)
    return {sev: int(counts.get(sev, 0)) for sev in SEVERITIES}
