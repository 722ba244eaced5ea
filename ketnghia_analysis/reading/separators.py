"""Thousands and decimal separators of numbers typed as text, decided once per column.

A number text is classified on its own (`classify`): many are unambiguous ("1.234,5" is
Vietnamese, "1,234.5" English, "12,5" a decimal), some are not: one separator followed by
exactly three digits ("1.234", "1,234") is a thousands group in one convention and a
decimal in the other. `decide` settles a column: the unambiguous cells vote; without
votes, the column's total row (the reading whose data rows add up to it wins), then the
column's other numbers (the reading that puts the ambiguous cells among them); Vietnamese
by default.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["VI", "EN", "Decision", "Pending", "classify", "to_float", "decide"]

VI, EN = "vi", "en"

# Every apostrophe that groups thousands ("1'234", Swiss style) is read as a space.
APOSTROPHES = str.maketrans({"'": " ", "’": " ", "‘": " ", "`": " ", "´": " "})

_GROUPS = re.compile(r"[1-9][0-9]{0,2}(?:([., ])[0-9]{3})+|0")
_SPACE_GROUPS = re.compile(r"[1-9][0-9]{0,2}(?: [0-9]{3})+")

#: Numbers a column needs besides its ambiguous cells before their size can decide.
MIN_KNOWN = 3

#: A number text waiting for its column's convention: (sign, unsigned digits, kind).
Pending = tuple[int, str, str]


def _with_spaces(digits: str) -> tuple[str, str | None]:
    """Kind of a number grouped by spaces ("1 234", "1 234,5", "1 234.5")."""
    dec = "," if "," in digits else "."
    head, _, tail = digits.partition(dec)
    if not _SPACE_GROUPS.fullmatch(head):
        return "bad", None
    if head == digits:
        return "thousands: ", None
    if not tail.isdigit():
        return "bad", None
    return f"full: {dec}", (VI if dec == "," else EN)


def _with_both(digits: str) -> tuple[str, str | None]:
    """Kind of a number holding dots and commas ("1.234,5", "1,234.5")."""
    dec = "," if digits.rfind(",") > digits.rfind(".") else "."
    thou = "." if dec == "," else ","
    head, _, tail = digits.rpartition(dec)
    if digits.count(dec) != 1 or not tail.isdigit():
        return "bad", None
    if not _GROUPS.fullmatch(head) or set(head) - set("0123456789") - {thou}:
        return "bad", None
    return f"full:{thou}{dec}", (VI if dec == "," else EN)


def classify(digits: str) -> tuple[str, str | None]:
    """Classify an unsigned number text made of digits, '.', ',' and single spaces.

    Returns (kind, evidence): kind is "int", "decimal:<sep>" (one decimal separator,
    no thousands), "full:<thousands><decimal>", "thousands:<sep>", "ambiguous:<sep>"
    or "bad"; evidence is "vi", "en" or None.

    >>> [classify(t) for t in ("1234", "12,5", "1.234", "1.234,5", "1 234")]
    [('int', None), ('decimal:,', 'vi'), ('ambiguous:.', None), ('full:.,', 'vi'), ('thousands: ', None)]
    """
    if digits.isdigit():
        return "int", None
    if " " in digits:
        return _with_spaces(digits)
    dots, commas = digits.count("."), digits.count(",")
    if dots and commas:
        return _with_both(digits)
    sep = "." if dots else ","
    parts = digits.split(sep)
    if any(not p.isdigit() for p in parts):
        return "bad", None
    if len(parts) > 2:
        if _GROUPS.fullmatch(digits):
            return f"thousands:{sep}", (VI if sep == "." else EN)
        return "bad", None
    head, tail = parts
    if len(tail) == 3 and 1 <= len(head) <= 3 and head[0] != "0":
        return f"ambiguous:{sep}", None
    return f"decimal:{sep}", (VI if sep == "," else EN)


def is_thousands(sep: str, convention: str) -> bool:
    """Whether an ambiguous separator groups thousands in a convention ('.' in "vi")."""
    return (sep == ".") == (convention == VI)


def to_float(digits: str, kind: str, convention: str, ambiguous: str) -> float:
    """The number of a classified text; ``ambiguous`` is "convention" (the column's
    convention decides "1.234"), "thousands" (counts) or "decimal" (rates)."""
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
    if ambiguous == "convention":
        thousands = is_thousands(seps, convention)
    else:
        thousands = ambiguous == "thousands"
    return float(digits.replace(seps, "")) if thousands else float(digits.replace(seps, "."))


@dataclass(frozen=True)
class Decision:
    """A column's convention and what decided it: "votes" (its unambiguous cells),
    "total" (its total row), "magnitude" (the size of its other numbers) or "default"."""

    convention: str
    by: str


def _reading(cells: Sequence[Pending | float | None], convention: str) -> list[float | None]:
    out: list[float | None] = []
    for cell in cells:
        if isinstance(cell, tuple):
            sign, digits, kind = cell
            out.append(sign * to_float(digits, kind, convention, "convention"))
        else:
            out.append(cell)
    return out


def _adds_up(values: Sequence[float | None], kinds: Sequence[str]) -> bool | None:
    """Whether the data rows add up to every total row (None: no total row to tell)."""
    data = sum(v for v, k in zip(values, kinds, strict=False) if k == "data" and v is not None)
    totals = [v for v, k in zip(values, kinds, strict=False) if k == "total" and v is not None]
    if not totals:
        return None
    return all(abs(t - data) <= 0.005 * abs(t) + 0.011 for t in totals)


def _by_total(cells: Sequence[Pending | float | None], kinds: Sequence[str]) -> str | None:
    vi, en = _adds_up(_reading(cells, VI), kinds), _adds_up(_reading(cells, EN), kinds)
    if vi is None or vi == en:
        return None
    return VI if vi else EN


def _by_range(cells: Sequence[Pending | float | None], kinds: Sequence[str]) -> str | None:
    """The reading that puts every ambiguous cell among the column's other numbers
    (within half the smallest and twice the largest of at least three), when the other
    reading puts none there. Only data rows count when the row kinds are known."""
    known: list[float] = []
    ambiguous: list[Pending] = []
    for i, cell in enumerate(cells):
        if kinds and i < len(kinds) and kinds[i] != "data":
            continue
        if isinstance(cell, tuple) and cell[2].startswith("ambiguous"):
            ambiguous.append(cell)
            continue
        x = to_float(cell[1], cell[2], VI, "convention") if isinstance(cell, tuple) else cell
        if x is not None and x != 0 and math.isfinite(x):
            known.append(abs(x))
    if len(known) < MIN_KNOWN or not ambiguous:
        return None
    lo, hi = min(known) / 2, max(known) * 2
    inside = {
        conv: [lo <= to_float(d, k, conv, "convention") <= hi for _s, d, k in ambiguous]
        for conv in (VI, EN)
    }
    for conv, other in ((VI, EN), (EN, VI)):
        if all(inside[conv]) and not any(inside[other]):
            return conv
    return None


def decide(
    evidence: dict[str, int],
    cells: Sequence[Pending | float | None],
    kinds: Sequence[str] = (),
) -> Decision:
    """The convention of a number column (module docstring).

    ``cells`` are the column's cells after a first reading (a `Pending` number text, a
    number, or None); ``kinds`` the kind of each row ("data", "total", "subtotal"...).

    >>> decide({}, [(1, "500", "int"), (1, "734", "int"), (1, "1.234", "ambiguous:.")],
    ...        ["data", "data", "total"])
    Decision(convention='vi', by='total')
    >>> decide({}, [1.5, 2.25, 3.0, (1, "1,234", "ambiguous:,")])
    Decision(convention='vi', by='magnitude')
    >>> decide({}, [5.0, (1, "1.234", "ambiguous:.")])   # too little to tell
    Decision(convention='vi', by='default')
    >>> decide({"en": 2}, [(1, "1,234", "ambiguous:,")]).convention
    'en'
    """
    votes_vi, votes_en = evidence.get(VI, 0), evidence.get(EN, 0)
    if votes_vi != votes_en:
        return Decision(EN if votes_en > votes_vi else VI, "votes")
    if not any(isinstance(c, tuple) and c[2].startswith("ambiguous") for c in cells):
        return Decision(VI, "votes")
    if kinds:
        by_total = _by_total(cells, kinds)
        if by_total is not None:
            return Decision(by_total, "total")
    by_size = _by_range(cells, kinds)
    if by_size is not None:
        return Decision(by_size, "magnitude")
    return Decision(VI, "default")
