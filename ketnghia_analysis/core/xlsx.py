"""Workbooks the project writes (xlsxwriter): text from data stays text, never a formula or link.

xlsxwriter's defaults turn a string starting with "=" into a live formula (a partner
named ``=HYPERLINK("http://x","click")`` or ``=cmd|' /C calc'!A0`` would run in the
reader's Excel) and a string starting with "http://" into a link. Every workbook of the
project is opened here, with those conversions off; a formula the project means to write
(the template's totals) goes through ``write_formula`` explicitly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

import xlsxwriter

#: xlsxwriter options that store every string as text.
TEXT_ONLY: dict[str, bool] = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def text_only_options(**extra: Any) -> dict[str, Any]:
    """xlsxwriter workbook options with :data:`TEXT_ONLY` (``extra`` adds e.g. ``in_memory``).

    >>> text_only_options(in_memory=True)["strings_to_formulas"]
    False
    """
    return {**extra, **TEXT_ONLY}


def open_workbook(path: Path | str | BinaryIO, **extra: Any) -> xlsxwriter.Workbook:
    """A new xlsxwriter workbook at ``path`` (or into a binary buffer, with ``in_memory``)
    that stores every string as text."""
    target = str(path) if isinstance(path, str | Path) else path
    return xlsxwriter.Workbook(target, text_only_options(**extra))
