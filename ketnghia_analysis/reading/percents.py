"""Rates in a column: percent points or fractions, decided once per column (by the cells, the header and the counts beside it)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from ketnghia_analysis.core.text import normalize
from ketnghia_analysis.reading.values import ColumnParse, ValueParseError, parse_cell, quote


def parse_percent_column(
    values: Sequence[object],
    header_says_percent: bool = False,
    expected: Sequence[float | None] | None = None,
) -> ColumnParse:
    """Parse a column of rates into fractions 0–1 ("12,5%", 12.5, "12,5", 0.125 → 0.125).

    Decision, per column (``.convention``):

    * a cell with "%" is in percent points, always; so is a bare value above 1 (a
      fraction cannot exceed 1);
    * a bare value ≤ 1 is ambiguous: 0.125 may be a fraction (a cell formatted as percent
      in Excel shows "12,5%" but holds 0.125) or a rate of 0.125 % (a city where every
      rate is under 1 %). If ``expected`` fractions are given (e.g. poor_end /
      households_total per row), the scale closer to them wins for all these cells, even
      when other cells of the column are above 1 (fractions pasted as values under a
      total row typed "8,04") → "counts";
    * else, if any bare value is greater than 1, all bare values are percent points →
      "points" ("size");
    * else if some cells carry "%" and some bare values are typed as text ("0,5"), or
      ``header_says_percent`` (the header says "(%)"), → "points"; else → "fraction"
      (so numeric 0.2 next to a text "12,5%" is a fraction: a percent-formatted cell). Because a percent-formatted column under a
      "(%)" header holds fractions, pass ``expected`` whenever the counts are known.

    One separator followed by three digits is read as decimal here ("0,125"; a rate
    has no thousands). A dash is 0, an Excel error ("#DIV/0!") None with the sentinel
    "excel_error". Values above 100 % → VALUE_OUT_OF_RANGE, negative → VALUE_NEGATIVE.
    ``decided_by`` says what settled the scale of the cells without "%" ("size",
    "sign", "counts", "header", "formatted", "default"; "" when nothing depended on it), and
    ``ambiguous`` lists those cells.

    Examples
    --------
    >>> col = parse_percent_column(["12,5%", 12.5, "12,5", "-"])
    >>> col.convention, col.values
    ('points', [0.125, 0.125, 0.125, 0.0])
    >>> parse_percent_column([0.125, "0,2"]).values
    [0.125, 0.2]
    >>> parse_percent_column([0.5, 0.25], header_says_percent=True).values
    [0.005, 0.0025]
    >>> parse_percent_column([0.5, 0.25], True, expected=[0.5, 0.26]).convention
    'fraction'
    """
    cells = _percent_cells(values)
    convention, by = _percent_convention(values, cells, header_says_percent, expected)
    col = ColumnParse(values=[], convention=convention, sentinels=cells.sentinels)
    col.errors.update(cells.errors)
    col.words, col.decided_by = cells.words, by
    col.ambiguous = [
        i
        for i, (x, p) in enumerate(zip(cells.numbers, cells.has_pct, strict=True))
        if x is not None and not p and x <= 1
    ]
    for i, (x, p) in enumerate(zip(cells.numbers, cells.has_pct, strict=True)):
        points = p or convention == "points" or (x is not None and x > 1)
        frac, error = _fraction(x, points, values[i])
        if error is not None:
            col.errors[i] = error
        col.values.append(frac)
    return col


@dataclass
class _PercentCells:
    """First reading of a rate column: the number in each cell and whether it had "%"."""

    numbers: list[float | None] = field(default_factory=list)
    has_pct: list[bool] = field(default_factory=list)
    errors: dict[int, ValueParseError] = field(default_factory=dict)
    sentinels: dict[int, str] = field(default_factory=dict)
    words: dict[int, str] = field(default_factory=dict)


def _percent_cells(values: Sequence[object]) -> _PercentCells:
    """The number of each cell, "%" stripped (one separator + 3 digits is a decimal)."""
    out = _PercentCells()
    for i, value in enumerate(values):
        pct = False
        v = value
        if isinstance(value, str) and "%" in value:  # "41,63%", "41,63 %", "41,63% số hộ"
            pct = True
            v = normalize(value.replace("%", " "))
        try:
            x, sentinel, _, words = parse_cell(v, "vi", "decimal")
            if sentinel:
                out.sentinels[i] = sentinel
            if words:
                out.words[i] = words
        except ValueParseError:
            out.errors[i] = ValueParseError(
                f"Giá trị {quote(value)} không phải là tỷ lệ", "VALUE_NOT_NUMERIC", value
            )
            x = None
        out.numbers.append(x)
        out.has_pct.append(pct and x is not None)
    return out


def _percent_convention(
    values: Sequence[object],
    cells: _PercentCells,
    header_says_percent: bool,
    expected: Sequence[float | None] | None,
) -> tuple[str, str]:
    """(convention, what decided it) for the cells without "%" (rule in
    `parse_percent_column`)."""
    parsed, has_pct = cells.numbers, cells.has_pct
    bare = [x for x, p in zip(parsed, has_pct, strict=True) if x is not None and not p]
    # "%" cells say the district types percent points: evidence for bare cells typed as
    # text, not for numeric cells (those are percent-formatted cells holding fractions).
    bare_text = any(
        isinstance(v, str) and x is not None and not p
        for v, x, p in zip(values, parsed, has_pct, strict=True)
    )
    if not bare and any(has_pct):
        return "points", "sign"
    above_one = any(x > 1 for x in bare)
    # the counts settle the cells ≤ 1 (a cell above 1 is points whatever the decision);
    # when they agree with the cells above 1, the size alone was enough
    if expected is not None and any(0 < x <= 1 for x in bare):
        closer = _closer_scale(parsed, has_pct, expected)
        if closer is not None:
            return closer, "size" if above_one and closer == "points" else "counts"
    if above_one:
        return "points", "size"
    matters = any(x != 0 for x in bare)
    if header_says_percent:
        return "points", "header" if matters else ""
    if any(has_pct):
        # bare text next to "12,5%" is points; a bare number there is a percent-formatted cell
        return ("points", "sign" if matters else "") if bare_text else ("fraction", "formatted")
    return "fraction", "default" if matters else ""


def _fraction(
    x: float | None, in_points: bool, raw: object
) -> tuple[float | None, ValueParseError | None]:
    """(fraction 0-1, or None with the error) of one parsed rate."""
    if x is None:
        return None, None
    frac = x / 100 if in_points else x
    if frac < 0:
        return None, ValueParseError(f"Tỷ lệ {quote(raw)} là số âm", "VALUE_NEGATIVE", raw)
    if frac > 1 + 1e-9:
        return None, ValueParseError(f"Tỷ lệ {quote(raw)} lớn hơn 100%", "VALUE_OUT_OF_RANGE", raw)
    return frac, None


def _closer_scale(
    parsed: Sequence[float | None], has_pct: Sequence[bool], expected: Sequence[float | None]
) -> str | None:
    """ "fraction" or "points": which reading of the bare values ≤ 1 is closer to expected."""
    err = {"fraction": 0.0, "points": 0.0}
    n = 0
    for x, p, e in zip(parsed, has_pct, expected, strict=False):
        if x is None or p or x > 1 or e is None or (isinstance(e, float) and math.isnan(e)):
            continue
        n += 1
        err["fraction"] += abs(x - e)
        err["points"] += abs(x / 100 - e)
    if n == 0 or err["fraction"] == err["points"]:
        return None
    return "fraction" if err["fraction"] < err["points"] else "points"
