"""Numbers as people write them in a cell: alone ("1.234"), or with a unit or a word
around them ("106 hộ", "128,9 tr.đ", "khoảng 50", "50 (hộ)", "~50", "+3").

`split_number` finds the one number of a (normalized) text cell and the words around it;
a text with no number, or with two ("5 - 6 hộ", "15/12/2023"), is not a number. Plain
numbers take a fast path with one regular expression; only other texts are searched.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ketnghia_analysis.reading.separators import APOSTROPHES

__all__ = ["TextNumber", "split_number", "is_excel_error"]

# A number alone: sign, digits and the separators (dot, comma, space, apostrophe).
_PLAIN = re.compile(r"[+\-−]?[0-9][0-9., '’]*")
# A number inside text: starts and ends with a digit.
_TOKEN = re.compile(r"[0-9](?:[0-9.,'’ ]*[0-9])?")
# Excel's error values (and LibreOffice's "Err:502") as they arrive in text cells.
_EXCEL_ERROR = re.compile(
    r"#(?:DIV/0!|REF!|N/A|VALUE!|NAME\?|NUM!|NULL!|SPILL!|CALC!|GETTING_DATA|FIELD!"
    r"|BLOCKED!|CONNECT!|BUSY!|UNKNOWN!)|ERR:\d{3}",
    re.IGNORECASE,
)


class TextNumber(NamedTuple):
    """The number of a text cell: its sign, its unsigned digits (separators kept, every
    apostrophe made a space) and the words around it ("" for a number alone)."""

    sign: int
    digits: str
    words: str = ""


def is_excel_error(text: str) -> bool:
    """True for an Excel error value: "#DIV/0!", "#REF!", "#N/A", "#VALUE!", "#NAME?",
    "#NUM!", "#NULL!" (and newer ones), or LibreOffice's "Err:502".

    >>> [is_excel_error(t) for t in ("#DIV/0!", "#n/a", "Err:502", "#", "DIV/0")]
    [True, True, True, False, False]
    """
    return text[:1] in "#Ee" and _EXCEL_ERROR.fullmatch(text) is not None


def _digits(raw: str) -> str | None:
    digits = raw.translate(APOSTROPHES)
    if "  " in digits or digits.endswith((" ", ".", ",")):
        return None
    return digits


def _sign_before(before: str) -> tuple[int, str]:
    """(sign, the text before it) when a "+" or "-" stands right before the number."""
    stripped = before.rstrip()
    if stripped.endswith(("-", "−", "+")):
        head = stripped[:-1]
        if not head or head[-1] in " (~:":
            return (1 if stripped[-1] == "+" else -1), head
    return 1, before


def split_number(text: str) -> TextNumber | None:
    """The one number of a normalized text cell, or None when it holds none or several.

    A "%" among the words makes it a rate, not a number (rates strip it first).

    Examples
    --------
    >>> split_number("-1.234,5")
    TextNumber(sign=-1, digits='1.234,5', words='')
    >>> split_number("106 hộ"), split_number("128,9 tr.đ").words
    (TextNumber(sign=1, digits='106', words='hộ'), 'tr.đ')
    >>> split_number("khoảng 50").digits, split_number("1'234").digits, split_number("(+3)").sign
    ('50', '1 234', 1)
    >>> split_number("5 - 6 hộ"), split_number("mười"), split_number("12%"), split_number("15/12/2023")
    (None, None, None, None)
    """
    if _PLAIN.fullmatch(text):
        sign = -1 if text[0] in "-−" else 1
        digits = _digits(text.lstrip("+-−").strip())
        return None if digits is None else TextNumber(sign, digits)
    found = _TOKEN.search(text)
    if found is None or _TOKEN.search(text, found.end()) is not None:
        return None
    sign, before = _sign_before(text[: found.start()])
    words = " ".join(f"{before} {text[found.end() :]}".split())
    digits = _digits(found.group(0))
    if digits is None or "%" in words:
        return None
    return TextNumber(sign, digits, words)
