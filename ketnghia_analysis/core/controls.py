"""Control characters in text shown to people: removed from reports, shown in terminals.

A return can carry NUL, ESC and other control characters in its cells ("_x001B_" in the
XML) or in its file name, and a file name that is not valid UTF-8 reaches Python as lone
surrogates (PEP 383). In a report they are invisible at best; in a chart label they raise a
matplotlib warning (with an absolute path) that lands in the page: `strip_controls` removes
them (tab, newline and carriage return stay: they are layout). In a terminal, ESC starts
escape sequences (colours, cursor moves, a forged line, with CR too): `for_terminal`
writes every one out visibly, at the point where a line is printed.
"""

from __future__ import annotations

import re

# C0 controls except tab, newline and carriage return; DEL; C1 controls (U+0080–U+009F);
# lone surrogates (the bytes of a file name that is not UTF-8, PEP 383), which no page
# can even be encoded with.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def strip_controls(text: str) -> str:
    """``text`` without its control characters (tab, newline and carriage return kept).

    >>> strip_controls("Sở\\x1b[31m Tài chính\\x00")
    'Sở[31m Tài chính'
    >>> strip_controls("dòng 1\\ndòng 2"), strip_controls("bc\\udcff.xlsx")
    ('dòng 1\\ndòng 2', 'bc.xlsx')
    """
    return _CONTROLS.sub("", text)


def printable(value: object) -> object:
    """A string without its control characters; any other value as it is.

    >>> printable("a\\x00b"), printable(3)
    ('ab', 3)
    """
    return strip_controls(value) if isinstance(value, str) else value


def has_controls(text: str) -> bool:
    """True when ``text`` holds a control character that :func:`strip_controls` removes.

    >>> has_controls("a\\x1bb"), has_controls("a\\tb")
    (True, False)
    """
    return _CONTROLS.search(text) is not None


# C0 controls except tab and newline, DEL, C1 controls, and the surrogates that stand
# for the bytes of a file name that is not UTF-8 (PEP 383).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_ESCAPED_BYTE = range(0xDC80, 0xDD00)


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code in _ESCAPED_BYTE:  # one byte of an undecodable name
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def for_terminal(text: object) -> str:
    """`text` with every control character written out visibly (tab and newline kept).

    >>> for_terminal("Trà My\\x1b[31m\\x00")
    'Trà My\\\\x1b[31m\\\\x00'
    >>> for_terminal("bc\\udcff.xlsx"), for_terminal("a\\tb\\nc\\x7f\\x9b")
    ('bc\\\\xff.xlsx', 'a\\tb\\nc\\\\x7f\\\\x9b')
    """
    return _UNSAFE.sub(_shown, str(text))
