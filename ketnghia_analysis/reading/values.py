"""Parse the values of district returns: blanks and sentinels, numbers, counts.

Rates are parsed by `percents`, years and dates by `dates`, money units by `units`,
NTM criterion marks by `marks`.

Stage ``values`` of the reader (docs/architecture.md): it sees raw cell values (``str``,
``int``, ``float``, ``bool``, ``datetime``/``date`` or ``None``) and returns typed values.
Sentinels are isolated explicitly, never coerced silently (shared/STYLE.md):

* blank (``None``, ``""``, spaces, NaN): not reported → ``None``. In an NTM criterion
  column a blank means *not met* (shared/spec/returns.md) → ``False``;
* a dash (``-``, ``–``, ``—``, ``−``) in a count, money or percent column means zero;
* ``x`` / ``X`` in a number column is the statistical sign for "not applicable" →
  ``None``; in a criterion column it is a tick (met);
* ``...`` (not collected) → ``None``;
* an Excel error value (``#DIV/0!``, ``#REF!``, ``#N/A`` ...) → ``None``, listed as the
  sentinel "excel_error" so the caller says why the cell is missing;
* "không đánh giá" (wards and townships are not assessed) → ``None`` in number columns,
  :data:`NOT_ASSESSED` in criterion columns.

Column parsers return a :class:`ColumnParse` that records, per row index, the error
(:class:`ValueParseError`, with a Vietnamese message that quotes the value and a stable
English ``code``) and which sentinel was met, so the reader can report each one.
Numbers are read as people write them: with thousands separators decided per column
(`separators`), inside text with a unit or a word ("106 hộ", `text_numbers`).
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field

from ketnghia_analysis.core.missing import is_missing
from ketnghia_analysis.core.text import fold, normalize
from ketnghia_analysis.reading.separators import Pending, classify, decide, to_float
from ketnghia_analysis.reading.text_numbers import is_excel_error, split_number

__all__ = [
    "ValueParseError",
    "ColumnParse",
    "NOT_ASSESSED",
    "is_blank",
    "sentinel_of",
    "parse_number",
    "parse_number_column",
    "parse_count_column",
    "blanks_meaning_zero",
]


class ValueParseError(ValueError):
    """A cell value that cannot be parsed.

    Attributes
    ----------
    message : str
        Vietnamese sentence that quotes the value.
    code : str
        Stable English code: VALUE_NOT_NUMERIC, VALUE_NEGATIVE, VALUE_NOT_INTEGER,
        VALUE_OUT_OF_RANGE, VALUE_BAD_MARK, VALUE_BAD_YEAR, VALUE_BAD_DATE.
    value : object
        The raw value.
    """

    def __init__(self, message: str, code: str, value: object = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.value = value

    def __repr__(self) -> str:
        return f"ValueParseError({self.message!r}, {self.code!r})"


class _NotAssessed:
    """Singleton: the commune was not assessed ("không đánh giá")."""

    _instance: _NotAssessed | None = None

    def __new__(cls) -> _NotAssessed:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_ASSESSED"

    def __bool__(self) -> bool:
        raise TypeError("NOT_ASSESSED không phải đúng/sai: kiểm tra bằng `is NOT_ASSESSED`")

    def __reduce__(self) -> str:
        return "NOT_ASSESSED"


#: Value of `marks.parse_mark` for "không đánh giá" (wards, townships: not assessed).
NOT_ASSESSED = _NotAssessed()


@dataclass
class ColumnParse:
    """Result of parsing one column.

    Attributes
    ----------
    values : list
        One parsed value per input value (``None`` where blank, a sentinel meaning
        "no number", or an error).
    errors : dict[int, ValueParseError]
        Index in the input → error.
    convention : str
        Numbers: "vi" (dot thousands, comma decimal) or "en" (comma thousands, dot
        decimal). Percents: "points" (12,5 means 12.5 %) or "fraction" (0.125).
    sentinels : dict[int, str]
        Index → "dash" (read as 0), "x", "not_collected", "excel_error", "not_assessed"
        (read as None). Blanks are not listed.
    evidence : dict[str, int]
        Number of cells that decided the convention on their own, per convention.
    decided_by : str
        What decided the convention when it mattered. Numbers: "votes", "total",
        "magnitude", "default" (`separators.decide`). Rates: "sign" ("%" in the cells),
        "size" (a bare value above 1), "counts", "header", "formatted" (numbers next to
        "12,5%" text), "default".
    ambiguous : list[int]
        Indices of the cells whose reading depended on the decision ("1.234"; rates: the
        cells without "%").
    words : dict[int, str]
        Index → the words written around the number ("106 hộ" → "hộ").
    """

    values: list
    errors: dict[int, ValueParseError] = field(default_factory=dict)
    convention: str = "vi"
    sentinels: dict[int, str] = field(default_factory=dict)
    evidence: dict[str, int] = field(default_factory=dict)
    decided_by: str = ""
    ambiguous: list[int] = field(default_factory=list)
    words: dict[int, str] = field(default_factory=dict)


DASHES = frozenset({"-", "–", "—", "−", "--", "---"})

# Short texts repeat across a return ("-", "0", "x", "Đạt"): each is normalized once.
_normal_short = functools.lru_cache(maxsize=8192)(normalize)


def _normal(text: str) -> str:
    """`normalize(text)`, remembered for short texts."""
    return _normal_short(text) if len(text) <= 32 else normalize(text)


def is_blank(value: object) -> bool:
    """True for a cell that holds nothing: None, NaN, pandas NA/NaT, "" or only spaces.

    >>> [is_blank(v) for v in (None, "", "  \\u00a0", float("nan"), 0, "-", "x")]
    [True, True, True, True, False, False, False]
    """
    if isinstance(value, str):
        return _normal(value) == ""
    return is_missing(value)


def sentinel_of(value: object) -> str | None:
    """Which sentinel a non-blank text cell is: "dash", "x", "not_collected",
    "excel_error" ("#DIV/0!", "#REF!", "#N/A", ...), "not_assessed", or None.

    >>> [sentinel_of(v) for v in ("–", "X", "...", "#DIV/0!", "Không đánh giá", "12", 0)]
    ['dash', 'x', 'not_collected', 'excel_error', 'not_assessed', None, None]
    """
    if not isinstance(value, str):
        return None
    return _text_sentinel(_normal(value))


def quote(value: object) -> str:
    return f"“{value}”"


def _not_numeric(value: object) -> ValueParseError:
    return ValueParseError(f"Giá trị {quote(value)} không phải là số", "VALUE_NOT_NUMERIC", value)


def _text_sentinel(t: str) -> str | None:
    """Sentinel of a normalized non-blank text (see `sentinel_of`)."""
    if t in DASHES:
        return "dash"
    if t[0].isdigit():  # the usual cell, a number: no sentinel starts with a digit
        return None
    if t in ("x", "X"):
        return "x"
    if t in ("...", "…", ".."):
        return "not_collected"
    if is_excel_error(t):
        return "excel_error"
    if fold(t) in ("khong danh gia", "kdg"):
        return "not_assessed"
    return None


def parse_cell(
    value: object, convention: str, ambiguous: str
) -> tuple[float | None, str | None, str | None, str]:
    """(number or None, sentinel, evidence, words around the number) of one cell.

    Raises ValueParseError VALUE_NOT_NUMERIC for anything that is not one number.
    """
    kind_of = type(value)
    if kind_of is float or kind_of is int:
        x = float(value)  # type: ignore[arg-type]
        if math.isnan(x):
            return None, None, None, ""
        if math.isinf(x):
            raise _not_numeric(value)
        return x, None, None, ""
    if not isinstance(value, str):
        if is_missing(value):
            return None, None, None, ""
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return parse_cell(float(value), convention, ambiguous)
        raise _not_numeric(value)
    t = _normal(value)
    if not t:
        return None, None, None, ""
    sentinel = _text_sentinel(t)
    if sentinel is not None:
        return (0.0 if sentinel == "dash" else None), sentinel, None, ""
    found = split_number(t)
    if found is None:
        raise _not_numeric(value)
    kind, evidence = classify(found.digits)
    if kind == "bad":
        raise _not_numeric(value)
    x = found.sign * to_float(found.digits, kind, convention, ambiguous)
    return x, None, evidence, found.words


def parse_number(value: object, convention: str = "vi") -> float | None:
    """Parse one number cell; ``convention`` settles "1.234" and "1,234".

    Unambiguous texts are read as written whatever the convention: several separators
    of one kind are thousands ("1.234.567"), both kinds give thousands then decimal
    ("1.234,5", "1,234.5"), one separator not followed by exactly three digits, or
    after a leading 0 or more than three digits, is decimal ("12,5", "0,125", "1234.5").
    Spaces and apostrophes group thousands ("1 234", "1'234"). A number with a unit or
    a word around it is the number ("106 hộ", "khoảng 50"). A dash is zero; blank, "x",
    "...", "không đánh giá" and Excel errors ("#DIV/0!") are None.

    Examples
    --------
    >>> parse_number("1.234"), parse_number("1.234", "en"), parse_number("1,234")
    (1234.0, 1.234, 1.234)
    >>> parse_number("1.234,5"), parse_number("1,234.5"), parse_number("1 234")
    (1234.5, 1234.5, 1234.0)
    >>> parse_number("12,5"), parse_number("0,125"), parse_number(1234.0), parse_number("-")
    (12.5, 0.125, 1234.0, 0.0)
    >>> parse_number("-1.234,5"), parse_number(" "), parse_number("x"), parse_number("#REF!")
    (-1234.5, None, None, None)
    >>> parse_number("106 hộ"), parse_number("128,9 tr.đ"), parse_number("1'234")
    (106.0, 128.9, 1234.0)
    >>> parse_number("5 - 6 hộ")
    Traceback (most recent call last):
    ...
    ketnghia_analysis.reading.values.ValueParseError: Giá trị “5 - 6 hộ” không phải là số
    """
    if convention not in ("vi", "en"):
        raise ValueError(f"convention phải là 'vi' hoặc 'en', không phải {convention!r}")
    return parse_cell(value, convention, "convention")[0]


# What `_read_text` answers for a text that is not one number.
_NOT_A_NUMBER = ("not a number",)


def _read_text(
    value: str,
) -> tuple[Pending | float | None, str | None, str, str | None] | tuple[str]:
    """(pending number text or value, sentinel, words, vote) of a text cell, or
    `_NOT_A_NUMBER`: what the first pass learns from a text, a function of the text alone."""
    t = normalize(value)
    if not t:
        return None, None, "", None
    sentinel = _text_sentinel(t)
    if sentinel is not None:
        return (0.0 if sentinel == "dash" else None), sentinel, "", None
    found = split_number(t)
    if found is None:
        return _NOT_A_NUMBER
    kind, ev = classify(found.digits)
    if kind == "bad":
        return _NOT_A_NUMBER
    return (found.sign, found.digits, kind), None, found.words, ev


# Short texts repeat across a return ("-", "0", "12" typed as text): read each once.
_read_short_text = functools.lru_cache(maxsize=8192)(_read_text)
# ... and so do the numbers they hold, read in the column's convention.
_to_float = functools.lru_cache(maxsize=8192)(to_float)


def _first_pass(
    value: object, ambiguous: str, evidence: dict[str, int]
) -> tuple[Pending | float | None, str | None, str]:
    """(pending number text or value, sentinel, words) of one cell; counts its vote.

    A number or None never reaches here (`_parse_column` reads them itself).
    """
    if isinstance(value, str):
        read = _read_short_text(value) if len(value) <= 32 else _read_text(value)
        if read is _NOT_A_NUMBER:
            raise _not_numeric(value)
        cell, sentinel, words, ev = read  # type: ignore[misc]
        if ev:
            evidence[ev] = evidence.get(ev, 0) + 1
        return cell, sentinel, words
    x, sentinel, _ev, words = parse_cell(value, "vi", ambiguous)
    return x, sentinel, words


def _parse_column(values: Sequence[object], ambiguous: str, kinds: Sequence[str]) -> ColumnParse:
    """Parse a number column in two passes: votes for the convention, then the values.

    Numbers and blanks, most of the cells, are read inline (as `parse_cell` reads them).
    """
    cells: list[Pending | float | None] = []
    pending: list[int] = []  # indices of the number texts waiting for the convention
    out = ColumnParse(values=[])
    for i, value in enumerate(values):
        kind_of = type(value)
        if kind_of is float or kind_of is int:
            x = float(value)  # type: ignore[arg-type]
            if math.isfinite(x):
                cells.append(x)
            else:  # NaN is blank, infinity no number
                if math.isinf(x):
                    out.errors[i] = _not_numeric(value)
                cells.append(None)
            continue
        if value is None:
            cells.append(None)
            continue
        try:
            cell, sentinel, words = _first_pass(value, ambiguous, out.evidence)
        except ValueParseError as e:
            out.errors[i] = e
            cells.append(None)
            continue
        if sentinel:
            out.sentinels[i] = sentinel
        if words:
            out.words[i] = words
        if isinstance(cell, tuple):
            pending.append(i)
        cells.append(cell)
    out.ambiguous = [i for i in pending if cells[i][2].startswith("ambiguous")]  # type: ignore[index]
    if ambiguous == "convention":
        decision = decide(out.evidence, cells, kinds)
        out.convention, out.decided_by = decision.convention, decision.by
    else:
        out.convention = "en" if out.evidence.get("en", 0) > out.evidence.get("vi", 0) else "vi"
    for i in pending:
        sign, digits, kind = cells[i]  # type: ignore[misc]
        cells[i] = sign * _to_float(digits, kind, out.convention, ambiguous)
    out.values = cells
    return out


def parse_number_column(values: Sequence[object], kinds: Sequence[str] = ()) -> ColumnParse:
    """Parse a column of numbers, deciding "1.234" (thousands or decimal?) from the column.

    Rule (`separators.decide`): every text cell that is unambiguous on its own votes —
    "1.234,5", "12,5", "1.234.567" for Vietnamese ("vi": dot thousands, comma decimal);
    "1,234.5", "12.5", "1,234,567" for English ("en"). The majority wins. Without votes
    (or on a tie) the ambiguous cells (one separator followed by exactly three digits:
    "1.234", "1,234") are read the way that makes the data rows add up to the total row
    (``kinds``: the kind of each row, "data" / "total" / ...), else the way closer in
    size to the column's other numbers, else Vietnamese. Numeric cells never vote.
    ``decided_by`` and ``ambiguous`` say what decided and which cells it concerned.

    Examples
    --------
    >>> parse_number_column(["1.234", "12,5", None]).values
    [1234.0, 12.5, None]
    >>> col = parse_number_column(["1,234", "2,345.5", 7.0, "-"])
    >>> col.convention, col.values, col.sentinels
    ('en', [1234.0, 2345.5, 7.0, 0.0], {3: 'dash'})
    >>> parse_number_column(["1,234"]).values   # no evidence: Vietnamese, comma decimal
    [1.234]
    >>> col = parse_number_column(["1.500", "734", "2.234"], ["data", "data", "total"])
    >>> col.values, col.decided_by
    ([1500.0, 734.0, 2234.0], 'total')
    >>> col = parse_number_column(["5", "năm", "7 hộ"])
    >>> col.values, col.errors[1].code, col.words
    ([5.0, None, 7.0], 'VALUE_NOT_NUMERIC', {2: 'hộ'})
    """
    return _parse_column(values, "convention", kinds)


def parse_count_column(values: Sequence[object]) -> ColumnParse:
    """Parse a column of counts (households, persons, models) into ints.

    As :func:`parse_number_column`, except that an ambiguous "1.234" or "1,234" is
    always thousands (a count has no decimals). A number within 1e-9 (relative) of a
    whole number is that number (106.00000000000001, and -1e-14 is 0: float noise of a
    formula's result pasted as a value). A non-integer (2.5) is an error
    VALUE_NOT_INTEGER, a negative number VALUE_NEGATIVE; a dash is 0.

    Examples
    --------
    >>> parse_count_column(["1.234", "1,234", 12.0, "-", "", "1 234"]).values
    [1234, 1234, 12, 0, None, 1234]
    >>> parse_count_column([106.00000000000001, 1e-14, -1e-14, -0.0]).values
    [106, 0, 0, 0]
    >>> col = parse_count_column([2.5, -3, "x"])
    >>> col.values, sorted(e.code for e in col.errors.values()), col.sentinels
    ([None, None, None], ['VALUE_NEGATIVE', 'VALUE_NOT_INTEGER'], {2: 'x'})
    """
    col = _parse_column(values, "thousands", ())
    ints: list[int | None] = []
    for i, x in enumerate(col.values):
        if x is None:
            ints.append(None)
            continue
        if type(x) is float and x.is_integer() and x >= 0:  # the usual count, exact
            ints.append(int(x))
            continue
        raw = values[i]
        n = round(x)  # binary noise of a pasted formula result: 106.00000000000001, -1e-14
        if abs(x - n) > 1e-9 * max(1.0, abs(x)):
            col.errors[i] = ValueParseError(
                f"Giá trị {quote(raw)} không phải là số nguyên", "VALUE_NOT_INTEGER", raw
            )
            ints.append(None)
        elif n < 0:
            col.errors[i] = ValueParseError(
                f"Giá trị {quote(raw)} là số âm, số đếm không thể âm", "VALUE_NEGATIVE", raw
            )
            ints.append(None)
        else:
            ints.append(int(n))
    col.values = ints
    return col


def blanks_meaning_zero(
    col: ColumnParse, raw: Sequence[object], eligible: Sequence[bool]
) -> list[int]:
    """Indices of the blank cells of a count column that mean 0, decided for the column.

    A return may write zero as "-" or leave it blank (shared/spec/returns.md), and a blank
    may also mean "not reported" (tables.md). The column's own cells decide: a column that
    writes a zero somewhere (0, "0 hộ", "-") writes its zeros, so its blanks are not
    reported (None); a column that writes none but holds a number above 0 leaves its
    zeros blank, so its blanks are 0 — only on the rows ``eligible`` says hold numbers in
    other columns (a row with nothing at all is not reported). A column with no number
    above 0 is not reported. Errors and sentinels ("x", "...") are never blanks.

    >>> col = parse_count_column([3, None, 5, None])
    >>> blanks_meaning_zero(col, [3, None, 5, None], [True, True, True, False])
    [1]
    >>> blanks_meaning_zero(parse_count_column([3, None, "-"]), [3, None, "-"], [True] * 3)
    []
    """
    values = col.values
    if 0 in values or not any(x is not None and x > 0 for x in values):
        return []
    return [
        i
        for i, (x, v) in enumerate(zip(values, raw, strict=True))
        if x is None
        and i not in col.errors
        and i not in col.sentinels
        and is_blank(v)
        and i < len(eligible)
        and eligible[i]
    ]
