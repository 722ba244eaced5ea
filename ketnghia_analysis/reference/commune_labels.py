"""The marks around a commune's name or code in a return, and how to see past them.

Officers add footnote marks to names ("Xã Trà Dơn (*)", "Trà Dơn(1)", "Trà Dơn **", "¹"),
the district after them ("- huyện Nam Trà My"), a list number before them ("1. Trà Mai"); a
GSO code is typed as a number (20938.0) or as text behind an apostrophe ("'20938"). None of
it is part of the name or the code (issue #20); `reference.matching` looks past it.
"""

from __future__ import annotations

import math
import re

__all__ = ["clean_label", "code_digits"]

# Marks around a name that are not part of it: footnote marks at the end ("(*)", "(1)", "*",
# "**", "¹"), the district after it ("- huyện Nam Trà My", ", H. Nam Trà My", "(huyện …)"),
# a list bullet or number before it ("- ", "1. ", "a) ").
_FOOTNOTES = re.compile(
    r"(?:\s*(?:\(\s*(?:\*+|\d{1,2}|[a-z])\s*\)|\*+|[\u00b9\u00b2\u00b3\u2070-\u2079]+))+\s*$"
)
_DISTRICT_TAIL = re.compile(
    r"\s*(?:[-\u2013\u2014,;(]\s*|\s)(?:huyện|thị xã|thành phố|h\.|tx\.?|tp\.?)\s+[^()]+\)?\s*$",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^(?:[-\u2013\u2014\u2022+*]+|\d{1,3}\s*[.)]|[a-z]\))\s+")


def clean_label(label: str) -> str:
    """A commune label without the marks around the name (normalised text in, text out).

    >>> [clean_label(x) for x in ("Xã Trà Dơn (*)", "Trà Dơn**", "Trà Dơn ¹", "1. Trà Mai")]
    ['Xã Trà Dơn', 'Trà Dơn', 'Trà Dơn', 'Trà Mai']
    >>> clean_label("Xã Trà Dơn - huyện Nam Trà My"), clean_label("Tam Xuân 1")
    ('Xã Trà Dơn', 'Tam Xuân 1')
    """
    out = _BULLET.sub("", label)
    for _ in range(2):  # "Trà Dơn (*) - huyện Nam Trà My", "Trà Dơn - huyện X (1)"
        out = _DISTRICT_TAIL.sub("", _FOOTNOTES.sub("", out))
    return out.strip() or label


_CODE = re.compile(r"^[\s'\u2019`]*(\d{4,5})(?:\.0+)?\s*$")


def code_digits(value: object) -> str | None:
    """Five digits of a typed GSO code (a number, text, text behind an apostrophe), or None.

    >>> code_digits(20938.0), code_digits("'20938"), code_digits("2093"), code_digits("x")
    ('20938', '20938', '02093', None)
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if math.isnan(value) or not value.is_integer():
            return None
        value = int(value)
    m = _CODE.match(str(value))
    return m.group(1).zfill(5) if m else None
