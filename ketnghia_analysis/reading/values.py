"""Parse the values of district returns: blanks and sentinels, numbers, counts, NTM marks.

Rates are parsed by `percents`, years and dates by `dates`, money units by `units`.

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

import math
import numbers
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ketnghia_analysis.core.missing import is_missing
from ketnghia_analysis.core.text import fold, normalize

__all__ = [
    "ValueParseError",
    "ColumnParse",
    "NOT_ASSESSED",
    "is_blank",
    "sentinel_of",
    "parse_number",
    "parse_number_column",
    "parse_count_column",
    "parse_mark",
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


DASHES = frozenset({"-", "–", "—", "−", "--", "---"})


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
    if t in DASHES:
        return "dash"
    if t in ("x", "X"):
        return "x"
    if t in ("...", "…", ".."):
        return "not_collected"
    if fold(t) in ("khong danh gia", "kdg"):
        return "not_assessed"
    return None


def quote(value: object) -> str:
    return f"“{value}”"


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
    return ValueParseError(f"Giá trị {quote(value)} không phải là số", "VALUE_NOT_NUMERIC", value)


def parse_cell(
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
    return parse_cell(value, convention, "convention")[0]


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
    x, sentinel, _ = parse_cell(value, "vi", ambiguous)
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
                f"Giá trị {quote(raw)} không phải là số nguyên", "VALUE_NOT_INTEGER", raw
            )
            ints.append(None)
        elif x < 0:
            col.errors[i] = ValueParseError(
                f"Giá trị {quote(raw)} là số âm, số đếm không thể âm", "VALUE_NEGATIVE", raw
            )
            ints.append(None)
        else:
            ints.append(int(round(x)))
    col.values = ints
    return col


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
        if t in DASHES:
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
        f"Giá trị {quote(value)} không phải là dấu đạt/chưa đạt của tiêu chí",
        "VALUE_BAD_MARK",
        value,
    )
