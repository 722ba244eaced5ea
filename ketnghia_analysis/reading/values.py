"""Parse the values of district returns: numbers, counts, percents, marks, years, dates, units.

Stage ``values`` of the reader (docs/architecture.md): it sees raw cell values (``str``,
``int``, ``float``, ``bool``, ``datetime``/``date`` or ``None``) and returns typed values.
Sentinels are isolated explicitly, never coerced silently (shared/STYLE.md):

* blank (``None``, ``""``, spaces, NaN): not reported → ``None``. In an NTM criterion
  column a blank means *not met* (shared/spec/returns.md) → ``False``;
* a dash (``-``, ``–``, ``—``, ``−``) in a count, money or percent column means zero;
* ``x`` / ``X`` in a number column is the statistical sign for "not applicable" →
  ``None``; in a criterion column it is a tick (met);
* ``...`` (not collected) → ``None``;
* "không đánh giá" (wards and townships are not assessed) → ``None`` in number columns,
  :data:`NOT_ASSESSED` in criterion columns.

Column parsers return a :class:`ColumnParse` that records, per row index, the error
(:class:`ValueParseError`, with a Vietnamese message that quotes the value and a stable
English ``code``) and which sentinel was met, so the reader can report each one.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ketnghia_analysis.core.missing import is_missing
from ketnghia_analysis.core.text import fold, normalize, strip_diacritics

__all__ = [
    "ValueParseError",
    "ColumnParse",
    "NOT_ASSESSED",
    "is_blank",
    "sentinel_of",
    "parse_number",
    "parse_number_column",
    "parse_count_column",
    "parse_percent_column",
    "parse_mark",
    "parse_year",
    "parse_date",
    "money_scale",
    "YEAR_MIN",
    "YEAR_MAX",
]

YEAR_MIN = 1990
YEAR_MAX = 2035


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


#: Value of :func:`parse_mark` for "không đánh giá" (wards, townships: not assessed).
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
        Index → "dash" (read as 0), "x", "not_collected", "not_assessed" (read as None).
        Blanks are not listed.
    evidence : dict[str, int]
        Number of cells that decided the convention on their own, per convention.
    """

    values: list
    errors: dict[int, ValueParseError] = field(default_factory=dict)
    convention: str = "vi"
    sentinels: dict[int, str] = field(default_factory=dict)
    evidence: dict[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------------------
# Blanks and sentinels
# ---------------------------------------------------------------------------

_DASHES = frozenset({"-", "–", "—", "−", "--", "---"})


def is_blank(value: object) -> bool:
    """True for a cell that holds nothing: None, NaN, pandas NA/NaT, "" or only spaces.

    >>> [is_blank(v) for v in (None, "", "  \\u00a0", float("nan"), 0, "-", "x")]
    [True, True, True, True, False, False, False]
    """
    if isinstance(value, str):
        return normalize(value) == ""
    return is_missing(value)


def sentinel_of(value: object) -> str | None:
    """Which sentinel a non-blank text cell is: "dash", "x", "not_collected",
    "not_assessed", or None for anything else.

    >>> [sentinel_of(v) for v in ("–", "X", "...", "Không đánh giá", "12", 0)]
    ['dash', 'x', 'not_collected', 'not_assessed', None, None]
    """
    if not isinstance(value, str):
        return None
    t = normalize(value)
    if t in _DASHES:
        return "dash"
    if t in ("x", "X"):
        return "x"
    if t in ("...", "…", ".."):
        return "not_collected"
    if fold(t) in ("khong danh gia", "kdg"):
        return "not_assessed"
    return None


def _quote(value: object) -> str:
    return f"“{value}”"


# ---------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------

_NUMBER_TEXT = re.compile(r"[+\-−]?[0-9][0-9., ]*")
_THOUSANDS_GROUPS = re.compile(r"[1-9][0-9]{0,2}(?:([., ])[0-9]{3})+|0")


def _classify(digits: str) -> tuple[str, str | None]:
    """Classify an unsigned number text made of digits, '.', ',' and single spaces.

    Returns (kind, evidence): kind is "int", "decimal:<sep>" (one decimal separator,
    no thousands), "full:<thousands><decimal>", "thousands:<sep>", "ambiguous:<sep>"
    or "bad"; evidence is "vi", "en" or None.
    """
    if digits.isdigit():
        return "int", None
    if " " in digits:
        # Spaces only ever group thousands ("1 234", "1 234,5").
        head, _, tail = digits.partition(",") if "," in digits else digits.partition(".")
        if not re.fullmatch(r"[1-9][0-9]{0,2}(?: [0-9]{3})+", head):
            return "bad", None
        if not tail and head == digits:
            return "thousands: ", None
        if not tail.isdigit():
            return "bad", None
        sep = digits[len(head)]
        return f"full: {sep}", ("vi" if sep == "," else "en")
    dots, commas = digits.count("."), digits.count(",")
    if dots and commas:
        dec = "," if digits.rfind(",") > digits.rfind(".") else "."
        thou = "." if dec == "," else ","
        head, _, tail = digits.rpartition(dec)
        if digits.count(dec) != 1 or not tail.isdigit():
            return "bad", None
        m = _THOUSANDS_GROUPS.fullmatch(head)
        if not m or set(head) - set("0123456789") - {thou}:
            return "bad", None
        return f"full:{thou}{dec}", ("vi" if dec == "," else "en")
    sep = "." if dots else ","
    parts = digits.split(sep)
    if any(not p.isdigit() for p in parts):
        return "bad", None
    if len(parts) > 2:
        if _THOUSANDS_GROUPS.fullmatch(digits):
            return f"thousands:{sep}", ("vi" if sep == "." else "en")
        return "bad", None
    head, tail = parts
    if len(tail) == 3 and 1 <= len(head) <= 3 and head[0] != "0":
        return f"ambiguous:{sep}", None
    return f"decimal:{sep}", ("vi" if sep == "," else "en")


def _to_float(digits: str, kind: str, convention: str, ambiguous: str) -> float:
    if kind == "int":
        return float(int(digits))
    name, _, seps = kind.partition(":")
    if name == "full":
        thou, dec = seps[0], seps[1]
        return float(digits.replace(thou, "").replace(dec, "."))
    if name == "thousands":
        return float(digits.replace(seps, ""))
    if name == "decimal":
        return float(digits.replace(seps, "."))
    # ambiguous: one separator followed by exactly three digits.
    sep = seps
    if ambiguous == "convention":
        is_thousands = (sep == ".") == (convention == "vi")
    else:
        is_thousands = ambiguous == "thousands"
    return float(digits.replace(sep, "")) if is_thousands else float(digits.replace(sep, "."))


def _split_text_number(text: str) -> tuple[int, str] | None:
    """(sign, unsigned digits) of a number typed as text, or None if it is not one."""
    t = normalize(text)
    if not _NUMBER_TEXT.fullmatch(t):
        return None
    sign = -1 if t[0] in "-−" else 1
    digits = t.lstrip("+-−").strip()
    if "  " in digits or digits.endswith((" ", ".", ",")):
        return None
    return sign, digits


def _not_numeric(value: object) -> ValueParseError:
    return ValueParseError(f"Giá trị {_quote(value)} không phải là số", "VALUE_NOT_NUMERIC", value)


def _parse_one(
    value: object, convention: str, ambiguous: str
) -> tuple[float | None, str | None, str | None]:
    """(number or None, sentinel, evidence) of one cell; raises ValueParseError."""
    if is_blank(value):
        return None, None, None
    if isinstance(value, bool):
        raise _not_numeric(value)
    if isinstance(value, numbers.Real):
        x = float(value)
        if math.isinf(x):
            raise _not_numeric(value)
        return x, None, None
    if not isinstance(value, str):
        raise _not_numeric(value)
    sentinel = sentinel_of(value)
    if sentinel == "dash":
        return 0.0, sentinel, None
    if sentinel is not None:
        return None, sentinel, None
    split = _split_text_number(value)
    if split is None:
        raise _not_numeric(value)
    sign, digits = split
    kind, evidence = _classify(digits)
    if kind == "bad":
        raise _not_numeric(value)
    return sign * _to_float(digits, kind, convention, ambiguous), None, evidence


def parse_number(value: object, convention: str = "vi") -> float | None:
    """Parse one number cell; ``convention`` settles "1.234" and "1,234".

    Unambiguous texts are read as written whatever the convention: several separators
    of one kind are thousands ("1.234.567"), both kinds give thousands then decimal
    ("1.234,5", "1,234.5"), one separator not followed by exactly three digits, or
    after a leading 0 or more than three digits, is decimal ("12,5", "0,125", "1234.5").
    A dash is zero; blank, "x", "..." and "không đánh giá" are None.

    Examples
    --------
    >>> parse_number("1.234"), parse_number("1.234", "en"), parse_number("1,234")
    (1234.0, 1.234, 1.234)
    >>> parse_number("1.234,5"), parse_number("1,234.5"), parse_number("1 234")
    (1234.5, 1234.5, 1234.0)
    >>> parse_number("12,5"), parse_number("0,125"), parse_number(1234.0), parse_number("-")
    (12.5, 0.125, 1234.0, 0.0)
    >>> parse_number("-1.234,5"), parse_number(" "), parse_number("x")
    (-1234.5, None, None)
    >>> parse_number("12 ha")
    Traceback (most recent call last):
    ...
    ketnghia_analysis.reading.values.ValueParseError: Giá trị “12 ha” không phải là số
    """
    if convention not in ("vi", "en"):
        raise ValueError(f"convention phải là 'vi' hoặc 'en', không phải {convention!r}")
    return _parse_one(value, convention, "convention")[0]


def _decide(evidence: dict[str, int]) -> str:
    return "en" if evidence.get("en", 0) > evidence.get("vi", 0) else "vi"


# A cell of a number column after the first pass: a number text waiting for the column's
# convention (sign, digits, kind), a value already known, or the error.
_Pending = tuple[int, str, str]


def _first_pass(
    value: object, ambiguous: str, evidence: dict[str, int]
) -> tuple[_Pending | float | None, str | None]:
    """(pending number text or value, sentinel) of one cell; counts its convention vote."""
    if isinstance(value, str) and not is_blank(value) and sentinel_of(value) is None:
        split = _split_text_number(value)
        if split is None:
            raise _not_numeric(value)
        kind, ev = _classify(split[1])
        if kind == "bad":
            raise _not_numeric(value)
        if ev:
            evidence[ev] = evidence.get(ev, 0) + 1
        return (split[0], split[1], kind), None
    x, sentinel, _ = _parse_one(value, "vi", ambiguous)
    return x, sentinel


def _parse_column(values: Sequence[object], ambiguous: str) -> ColumnParse:
    """Parse a number column in two passes: votes for the convention, then the values."""
    cells: list[_Pending | float | None] = []
    errors: dict[int, ValueParseError] = {}
    evidence: dict[str, int] = {}
    sentinels: dict[int, str] = {}
    for i, value in enumerate(values):
        try:
            cell, sentinel = _first_pass(value, ambiguous, evidence)
        except ValueParseError as e:
            errors[i] = e
            cells.append(None)
            continue
        if sentinel:
            sentinels[i] = sentinel
        cells.append(cell)
    convention = _decide(evidence)
    out = ColumnParse(values=[], convention=convention, sentinels=sentinels, evidence=evidence)
    out.errors.update(errors)
    for cell in cells:
        if isinstance(cell, tuple):
            sign, digits, kind = cell
            out.values.append(sign * _to_float(digits, kind, convention, ambiguous))
        else:
            out.values.append(cell)
    return out


def parse_number_column(values: Sequence[object]) -> ColumnParse:
    """Parse a column of numbers, deciding "1.234" (thousands or decimal?) from the column.

    Rule: every text cell that is unambiguous on its own votes — "1.234,5", "12,5",
    "1.234.567" for Vietnamese ("vi": dot thousands, comma decimal); "1,234.5", "12.5",
    "1,234,567" for English ("en"). The majority wins; no votes or a tie → "vi". Only
    the ambiguous cells (one separator followed by exactly three digits: "1.234",
    "1,234") depend on the decision. Numeric cells never vote.

    Examples
    --------
    >>> parse_number_column(["1.234", "12,5", None]).values
    [1234.0, 12.5, None]
    >>> col = parse_number_column(["1,234", "2,345.5", 7.0, "-"])
    >>> col.convention, col.values, col.sentinels
    ('en', [1234.0, 2345.5, 7.0, 0.0], {3: 'dash'})
    >>> parse_number_column(["1,234"]).values   # no evidence: Vietnamese, comma decimal
    [1.234]
    >>> col = parse_number_column(["5", "năm"])
    >>> col.values, col.errors[1].code
    ([5.0, None], 'VALUE_NOT_NUMERIC')
    """
    return _parse_column(values, "convention")


def parse_count_column(values: Sequence[object]) -> ColumnParse:
    """Parse a column of counts (households, persons, models) into ints.

    As :func:`parse_number_column`, except that an ambiguous "1.234" or "1,234" is
    always thousands (a count has no decimals). A non-integer (2.5) is an error
    VALUE_NOT_INTEGER, a negative number VALUE_NEGATIVE; a dash is 0.

    Examples
    --------
    >>> parse_count_column(["1.234", "1,234", 12.0, "-", "", "1 234"]).values
    [1234, 1234, 12, 0, None, 1234]
    >>> col = parse_count_column([2.5, -3, "x"])
    >>> col.values, sorted(e.code for e in col.errors.values()), col.sentinels
    ([None, None, None], ['VALUE_NEGATIVE', 'VALUE_NOT_INTEGER'], {2: 'x'})
    """
    col = _parse_column(values, "thousands")
    ints: list[int | None] = []
    for i, x in enumerate(col.values):
        if x is None:
            ints.append(None)
            continue
        raw = values[i]
        if abs(x - round(x)) > 1e-9 * max(1.0, abs(x)):
            col.errors[i] = ValueParseError(
                f"Giá trị {_quote(raw)} không phải là số nguyên", "VALUE_NOT_INTEGER", raw
            )
            ints.append(None)
        elif x < 0:
            col.errors[i] = ValueParseError(
                f"Giá trị {_quote(raw)} là số âm, số đếm không thể âm", "VALUE_NEGATIVE", raw
            )
            ints.append(None)
        else:
            ints.append(int(round(x)))
    col.values = ints
    return col


# ---------------------------------------------------------------------------
# Percentages
# ---------------------------------------------------------------------------


def parse_percent_column(
    values: Sequence[object],
    header_says_percent: bool = False,
    expected: Sequence[float | None] | None = None,
) -> ColumnParse:
    """Parse a column of rates into fractions 0–1 ("12,5%", 12.5, "12,5", 0.125 → 0.125).

    Decision, per column (``.convention``):

    * a cell with "%" is in percent points, always;
    * if any cell without "%" is greater than 1, all cells without "%" are percent
      points → "points";
    * otherwise (every bare value ≤ 1) the column is ambiguous: 0.125 may be a fraction
      (a cell formatted as percent in Excel shows "12,5%" but holds 0.125) or a rate of
      0.125 % (a city where every rate is under 1 %). If ``expected`` fractions are
      given (e.g. poor_end / households_total per row), the scale closer to them wins.
      Else if some cells carry "%" and some bare values are typed as text ("0,5"), or
      ``header_says_percent`` (the header says "(%)"), → "points"; else → "fraction"
      (so numeric 0.2 next to a text "12,5%" is a fraction: a percent-formatted cell). Because a percent-formatted column under a
      "(%)" header holds fractions, pass ``expected`` whenever the counts are known.

    One separator followed by three digits is read as decimal here ("0,125"; a rate
    has no thousands). A dash is 0. Values above 100 % → VALUE_OUT_OF_RANGE, negative →
    VALUE_NEGATIVE.

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
    convention = _percent_convention(values, cells, header_says_percent, expected)
    col = ColumnParse(values=[], convention=convention, sentinels=cells.sentinels)
    col.errors.update(cells.errors)
    for i, (x, p) in enumerate(zip(cells.numbers, cells.has_pct, strict=True)):
        frac, error = _fraction(x, p or convention == "points", values[i])
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


def _percent_cells(values: Sequence[object]) -> _PercentCells:
    """The number of each cell, "%" stripped (one separator + 3 digits is a decimal)."""
    out = _PercentCells()
    for i, value in enumerate(values):
        pct = False
        v = value
        if isinstance(value, str) and normalize(value).endswith("%"):
            pct = True
            v = normalize(value)[:-1].strip()
        try:
            x, sentinel, _ = _parse_one(v, "vi", "decimal")
            if sentinel:
                out.sentinels[i] = sentinel
        except ValueParseError:
            out.errors[i] = ValueParseError(
                f"Giá trị {_quote(value)} không phải là tỷ lệ", "VALUE_NOT_NUMERIC", value
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
) -> str:
    """ "points" or "fraction" for the cells without "%" (rule in `parse_percent_column`)."""
    parsed, has_pct = cells.numbers, cells.has_pct
    bare = [x for x, p in zip(parsed, has_pct, strict=True) if x is not None and not p]
    # "%" cells say the district types percent points: evidence for bare cells typed as
    # text, not for numeric cells (those are percent-formatted cells holding fractions).
    bare_text = any(
        isinstance(v, str) and x is not None and not p
        for v, x, p in zip(values, parsed, has_pct, strict=True)
    )
    says_points = (any(has_pct) and bare_text) or header_says_percent
    if any(x > 1 for x in bare) or (not bare and any(has_pct)):
        return "points"
    if expected is not None and bare:
        closer = _closer_scale(parsed, has_pct, expected)
        if closer is not None:
            return closer
    return "points" if says_points else "fraction"


def _fraction(
    x: float | None, in_points: bool, raw: object
) -> tuple[float | None, ValueParseError | None]:
    """(fraction 0-1, or None with the error) of one parsed rate."""
    if x is None:
        return None, None
    frac = x / 100 if in_points else x
    if frac < 0:
        return None, ValueParseError(f"Tỷ lệ {_quote(raw)} là số âm", "VALUE_NEGATIVE", raw)
    if frac > 1 + 1e-9:
        return None, ValueParseError(f"Tỷ lệ {_quote(raw)} lớn hơn 100%", "VALUE_OUT_OF_RANGE", raw)
    return frac, None


def _closer_scale(
    parsed: Sequence[float | None], has_pct: Sequence[bool], expected: Sequence[float | None]
) -> str | None:
    """ "fraction" or "points": which reading of the bare values is closer to expected."""
    err = {"fraction": 0.0, "points": 0.0}
    n = 0
    for x, p, e in zip(parsed, has_pct, expected, strict=False):
        if x is None or p or e is None or (isinstance(e, float) and math.isnan(e)):
            continue
        n += 1
        err["fraction"] += abs(x - e)
        err["points"] += abs(x / 100 - e)
    if n == 0 or err["fraction"] == err["points"]:
        return None
    return "fraction" if err["fraction"] < err["points"] else "points"


# ---------------------------------------------------------------------------
# NTM criterion marks
# ---------------------------------------------------------------------------

_MET_SYMBOLS = frozenset({"✓", "✔", "☑", "✅", "√", "+"})
_MET = frozenset({"dat", "x", "co", "d"})
_NOT_MET = frozenset({"chua dat", "cd", "khong", "chua", "k"})


def parse_mark(value: object) -> bool | _NotAssessed:
    """Parse an NTM criterion cell: met → True, not met → False, not assessed →
    :data:`NOT_ASSESSED`.

    Met: "Đạt", "x", "X", "✓", "✔", "√", "1", 1, True, "có". Not met: "Chưa đạt", "CĐ",
    "-", "0", 0, False, "không", and blank (the spec: a blank criterion cell means not
    met). "không đánh giá" → NOT_ASSESSED. Case, diacritics (typed without them or in
    NFD), spaces are ignored. Anything else → ValueParseError VALUE_BAD_MARK.

    Examples
    --------
    >>> [parse_mark(v) for v in ("Đạt", "x", "✓", 1.0, "có", "DAT")]
    [True, True, True, True, True, True]
    >>> [parse_mark(v) for v in ("Chưa đạt", "CĐ", "-", 0, None, " ", "Không")]
    [False, False, False, False, False, False, False]
    >>> parse_mark("Không đánh giá") is NOT_ASSESSED
    True
    >>> parse_mark("2")
    Traceback (most recent call last):
    ...
    ketnghia_analysis.reading.values.ValueParseError: Giá trị “2” không phải là dấu đạt/chưa đạt của tiêu chí
    """
    if is_blank(value):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Real):
        if value == 1:
            return True
        if value == 0:
            return False
    elif isinstance(value, str):
        t = normalize(value)
        if t in _MET_SYMBOLS:
            return True
        if t in _DASHES:
            return False
        if re.fullmatch(r"[01](?:[.,]0+)?", t):  # "1", "1.0", "0,0" typed as text
            return t[0] == "1"
        f = fold(t)
        if f in _MET:
            return True
        if f in _NOT_MET:
            return False
        if f in ("khong danh gia", "kdg"):
            return NOT_ASSESSED
    raise ValueParseError(
        f"Giá trị {_quote(value)} không phải là dấu đạt/chưa đạt của tiêu chí",
        "VALUE_BAD_MARK",
        value,
    )


# ---------------------------------------------------------------------------
# Years and dates
# ---------------------------------------------------------------------------

_EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 0 in the 1900 date system, for serials > 60


def _excel_serial(d: dt.date) -> int:
    """Excel 1900-system serial of a date (inverse of ``_from_serial``)."""
    n = (d - _EXCEL_EPOCH).days
    return n if n > 60 else n - 1


def _from_serial(serial: float, raw: object) -> dt.date:
    """Date of an Excel serial in the 1900 date system.

    Excel counts 1900-02-29, which did not exist (a bug kept from Lotus 1-2-3), as
    serial 60: serials 1–59 are 1900-01-01 … 1900-02-28, 61 onward are one day behind
    a plain count from 1899-12-31, and 60 itself is no date.
    """
    day = int(math.floor(serial))
    if day == 60 or day < 1 or day > 2958465:
        raise _bad_date(raw)
    if day < 60:
        return dt.date(1899, 12, 31) + dt.timedelta(days=day)
    return _EXCEL_EPOCH + dt.timedelta(days=day)


def _bad_year(value: object) -> ValueParseError:
    return ValueParseError(
        f"Giá trị {_quote(value)} không phải là năm hợp lệ ({YEAR_MIN}–{YEAR_MAX})",
        "VALUE_BAD_YEAR",
        value,
    )


def parse_year(value: object) -> int | None:
    """Parse a year cell: 2023, 2023.0, "2023", "năm 2023", "Năm 2023" → 2023.

    Only 1990–2035 is accepted. A date cell gives its year, except a date in 1905, which
    is a year typed into a date-formatted cell (Excel shows 2023 as 15/07/1905): its
    serial is the year. Blank → None.

    Examples
    --------
    >>> parse_year(2023.0), parse_year("Năm 2023"), parse_year(" 2023 "), parse_year(None)
    (2023, 2023, 2023, None)
    >>> parse_year(dt.datetime(1905, 7, 15)), parse_year(dt.date(2021, 12, 1))
    (2023, 2021)
    >>> parse_year("2023.5")
    Traceback (most recent call last):
    ...
    ketnghia_analysis.reading.values.ValueParseError: Giá trị “2023.5” không phải là năm hợp lệ (1990–2035)
    """
    if is_blank(value):
        return None
    year: int | None = None
    if isinstance(value, bool):
        raise _bad_year(value)
    if isinstance(value, dt.date):
        d = value.date() if isinstance(value, dt.datetime) else value
        serial = _excel_serial(d)
        year = serial if YEAR_MIN <= serial <= YEAR_MAX else d.year
    elif isinstance(value, numbers.Real):
        if float(value).is_integer():
            year = int(float(value))
    elif isinstance(value, str):
        m = re.fullmatch(
            r"(?:nam\s*:?\s*)?(\d{4})(?:\.0+)?", strip_diacritics(normalize(value)).lower()
        )
        if m:
            year = int(m.group(1))
    if year is None or not YEAR_MIN <= year <= YEAR_MAX:
        raise _bad_year(value)
    return year


def _bad_date(value: object) -> ValueParseError:
    return ValueParseError(
        f"Giá trị {_quote(value)} không phải là ngày hợp lệ", "VALUE_BAD_DATE", value
    )


_DMY = re.compile(r"(?<!\d)(\d{1,2})\s*([/.\-])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})(?!\d)")
_LONG = re.compile(r"ngay\s+(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+(\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")


def parse_date(value: object) -> dt.date | None:
    """Parse a date cell: date/datetime objects, Excel serials (1900 system), or text.

    Text forms: "15/12/2023", "15-12-2023", "15.12.2023" (day first, as in Vietnam;
    "15/12/23" → 2023), "ngày 15 tháng 12 năm 2023", ISO "2023-12-15" (with or without a
    time). The date may sit inside a longer text ("Quảng Nam, ngày 15 tháng 12 năm
    2023"; "Báo cáo số 123/BC-UBND ngày 15/12/2023"). Only years 1990–2035 are
    accepted: a smaller serial or a year outside that window is an error VALUE_BAD_DATE,
    as are impossible dates (31/02/2023) and serial 60 (Excel's 29/02/1900).

    Examples
    --------
    >>> parse_date(45275), parse_date(45275.75), parse_date("15/12/2023")
    (datetime.date(2023, 12, 15), datetime.date(2023, 12, 15), datetime.date(2023, 12, 15))
    >>> parse_date("Quảng Nam, ngày 15 tháng 12 năm 2023")
    datetime.date(2023, 12, 15)
    >>> parse_date("2023-12-15T00:00:00"), parse_date(dt.datetime(2023, 12, 15, 8, 30))
    (datetime.date(2023, 12, 15), datetime.date(2023, 12, 15))
    """
    if is_blank(value):
        return None
    d: dt.date | None = None
    if isinstance(value, bool):
        raise _bad_date(value)
    if isinstance(value, dt.datetime):
        d = value.date()
    elif isinstance(value, dt.date):
        d = value
    elif isinstance(value, numbers.Real):
        if math.isinf(value):
            raise _bad_date(value)
        d = _from_serial(float(value), value)
    elif isinstance(value, str):
        t = normalize(value)
        f = fold(t)
        try:
            if re.fullmatch(r"\d{5}(?:\.\d+)?", t):
                d = _from_serial(float(t), value)
            elif m := _ISO.search(t):
                d = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            elif m := _DMY.search(t):
                year = int(m.group(4))
                year = year + 2000 if year < 100 else year
                d = dt.date(year, int(m.group(3)), int(m.group(1)))
            elif m := _LONG.search(f):
                d = dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError:
            raise _bad_date(value) from None
    if d is None or not YEAR_MIN <= d.year <= YEAR_MAX:
        raise _bad_date(value)
    return d


# ---------------------------------------------------------------------------
# Money units
# ---------------------------------------------------------------------------

# Checked in this order; the first that matches gives the factor to million VND.
_UNIT_PATTERNS: list[tuple[float, re.Pattern[str]]] = [
    (1000.0, re.compile(r"\bt[ỷỉyi]\s*(?:đồng|đ|vnđ)\b|\(\s*t[ỷỉ]\s*\)")),
    (
        1.0,
        re.compile(r"\btriệu\b|\btrieu\b|\btr\s*\.?\s*đ|\btr\s*\.\s*d\b|\btrd\b|\(\s*tr\s*\)"),
    ),
    (
        0.001,
        re.compile(
            r"\b(?:nghìn|ngàn|nghin|ngan)\b|\b1[.,\s]?000\s*(?:đồng|đ|vnđ)(?!\w)"
            r"|\bng\s*\.\s*đ"
        ),
    ),
    # "đồng" but not "hội đồng" (council) or "đồng bào" (compatriots); a bare "đ" only
    # in parentheses or after a colon ("(đ)", "ĐVT: đ").
    (
        1e-6,
        re.compile(r"(?<!hội )\bđồng\b(?! bào)|\bvnđ(?!\w)|\(\s*đ\s*\)|:\s*đ\s*(?:$|[),;])"),
    ),
]


def money_scale(text: str | None) -> float | None:
    """Factor that converts money in the unit named by ``text`` to million VND.

    ``text`` is a header cell or an "ĐVT: ..." line. "triệu đồng", "Tr.đ", "trđ",
    "triệu" → 1.0; "nghìn đồng", "ngàn đồng", "1.000đ", "1.000 đồng", "nghìn" → 0.001;
    "đồng", "VNĐ", "VND" alone → 1e-6; "tỷ đồng" → 1000.0; no unit → None. Case and
    NFC/NFD are ignored; "Tỷ lệ" is not "tỷ đồng", and "Đông" (a place name) is not
    "đồng". Plain-ASCII "dong" counts only when the text has no diacritics at all.

    Examples
    --------
    >>> [money_scale(t) for t in ("ĐVT: triệu đồng", "Kinh phí (Tr.đ)", "trđ")]
    [1.0, 1.0, 1.0]
    >>> [money_scale(t) for t in ("ĐVT: nghìn đồng", "(1.000đ)", "Ngàn đồng")]
    [0.001, 0.001, 0.001]
    >>> [money_scale(t) for t in ("Đồng", "VNĐ", "tỷ đồng", "Tỷ lệ hộ nghèo (%)", "Đông Giang")]
    [1e-06, 1e-06, 1000.0, None, None]
    """
    if text is None or not isinstance(text, str):
        return None
    t = normalize(text).lower()
    t = re.sub(r"\bvnd\b", "vnđ", t)
    if t.isascii():
        t = re.sub(r"(?<=\d)d\b|\bdong\b", lambda m: "đồng" if m.group(0) == "dong" else "đ", t)
    for factor, pattern in _UNIT_PATTERNS:
        if pattern.search(t):
            return factor
    return None
