"""The neutral cell table of a sheet (`Grid`): text decoded and normalised, folded keys, merges.

Every later step of the reader looks at a sheet through a `Grid`: the dense grid of
``cells.Sheet`` with every text cell decoded (TCVN3/VNI mojibake, decided sheet-wide) and
normalised, a folded comparison key per cell, and the merged ranges indexed by cell.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from ketnghia_analysis.core.legacy import detect_legacy_many, fix_mojibake, fix_mojibake_many
from ketnghia_analysis.core.text import fold, normalize

# ---------------------------------------------------------------------------
# Text helpers (cached: folding Vietnamese is slow and header words repeat a lot)
# ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=200_000)
def clean_text(s: str) -> str:
    """Decode legacy mojibake and normalise a text cell (NFC, spaces, tone placement).

    >>> clean_text("  Trµ  My ")
    'Trà My'
    """
    if s.isascii():
        return " ".join(s.split())
    if _surely_unicode(s) or not _legacy_evidence(s):
        return normalize(s)
    return normalize(fix_mojibake(s))


# Code points of Windows-1252 above Latin-1: legacy mojibake can only contain these.
_CP1252_HIGH = frozenset(map(ord, "ŒœŠšŸŽžƒˆ˜–—‘’‚“”„†‡•…‰‹›€™"))


# Latin-1 letters that genuine Vietnamese uses; any other Latin-1 or Windows-1252 symbol
# ("µ", "¸", "ø", "æ", "¬") in a word is what legacy mojibake looks like.
_VN_LATIN1 = frozenset("ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúý\u00a0")


def _char_class(chars: Iterable[str], negated: bool = False) -> re.Pattern[str]:
    """A regular expression matching one character of `chars` (or, negated, any other)."""
    return re.compile(f"[{'^' if negated else ''}{''.join(sorted(map(re.escape, chars)))}]")


# The two tests below look at every character of a text: one regular expression each
# (a loop over the characters in Python costs several times more on a sheet's texts).
_LEGACY_CHAR = _char_class(
    {chr(o) for o in range(0x80, 0x100) if chr(o) not in _VN_LATIN1} | set(map(chr, _CP1252_HIGH))
)
_UNICODE_ONLY_CHAR = _char_class(
    {chr(o) for o in range(0x100)} | set(map(chr, _CP1252_HIGH)) | set("\u200b\u200c\u200d\ufeff"),
    negated=True,
)


def _legacy_evidence(s: str) -> bool:
    """True when `s` has a character that only legacy mojibake would put in Vietnamese text:
    a Latin-1 symbol that is no Vietnamese letter, or a Windows-1252 one above Latin-1.

    Only such cells are worth the (slow) legacy detection of ``text.fix_mojibake``.
    """
    return _LEGACY_CHAR.search(s) is not None


def _surely_unicode(s: str) -> bool:
    """True when `s` holds a character no legacy (TCVN3/VNI) mojibake can contain: one
    above Latin-1 that is neither Windows-1252 nor a zero-width space or joiner.

    Mojibake is Windows-1252 text; a Vietnamese letter such as "ư", "đ", "ế" or a
    combining mark (NFD) proves the text is real Unicode, and decoding is skipped (it is
    the slow part of cleaning a cell).
    """
    return _UNICODE_ONLY_CHAR.search(s) is not None


@functools.lru_cache(maxsize=200_000)
def fold_text(s: str) -> str:
    """Comparison key of a cleaned text: lower ASCII, no diacritics, no punctuation.

    >>> fold_text("Tỷ lệ hộ nghèo (%)")
    'ty le ho ngheo'
    """
    return fold(s)


def cell_text(v: Any) -> str:
    """A cell value as display text: whole floats without ".0", dates as dd/mm/yyyy.

    >>> cell_text(12.0), cell_text(1.5), cell_text(None), cell_text("a")
    ('12', '1.5', '', 'a')
    """
    if v.__class__ is str:  # the usual cell: its own text
        return v
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if v.is_integer():
            return str(int(v))
        return repr(v)
    if isinstance(v, datetime):
        if v.hour or v.minute or v.second:
            return v.strftime("%d/%m/%Y %H:%M:%S")
        return v.strftime("%d/%m/%Y")
    if isinstance(v, date):
        return v.strftime("%d/%m/%Y")
    return str(v)


def any_value(row: list[object], cols: Iterable[int]) -> bool:
    """Whether any of the columns `cols` of a row holds a value (not None)."""
    for c in cols:  # a loop, not any(): the first filled column ends it
        if row[c] is not None:
            return True
    return False


def has_phrase(label: str, phrase: str) -> bool:
    """Whole-word containment of a folded phrase in a folded label.

    >>> has_phrase("so ho ngheo cuoi nam", "ho ngheo"), has_phrase("so ho can ngheo", "ho ngheo")
    (True, False)
    """
    if not phrase:
        return False
    return f" {phrase} " in f" {label} "


@functools.lru_cache(maxsize=200_000)
def _legacy_candidate(s: str) -> bool:
    """Could legacy decoding change `s` (not ASCII, no letter only Unicode holds)?"""
    return not s.isascii() and not _surely_unicode(s)


@functools.lru_cache(maxsize=200_000)
def _decoded(s: str, encoding: str) -> str:
    """`s` decoded as a cell of a sheet known to be in `encoding` (cell by cell, cached)."""
    return str(fix_mojibake_many([s], encoding)[0])


def _legacy_map(texts: set[str]) -> dict[str, str]:
    """Decodings of a sheet typed in a legacy encoding (TCVN3/VNI), decided sheet-wide.

    `texts`: the sheet's distinct text cells. A lone cell such as "cã" (TCVN3 "có")
    carries no evidence on its own; once the sheet's encoding is known from its other
    cells, every cell is decoded.
    """
    cands = [v for v in texts if _legacy_candidate(v)]
    if not cands:
        return {}
    evidence = sorted(v for v in cands if _legacy_evidence(v))
    if not evidence:
        return {}
    enc = detect_legacy_many(evidence)
    if enc is None:
        return {}
    return {a: b for a in cands if (b := _decoded(a, enc)) != a}


@functools.lru_cache(maxsize=200_000)
def _clean_cell(s: str) -> str | None:
    """A text cell cleaned (`clean_text`), None when blank."""
    if not s or s.isspace():
        return None
    return clean_text(s) or None


# ---------------------------------------------------------------------------
# The neutral cell table
# ---------------------------------------------------------------------------


class Grid:
    """A sheet's cells, cleaned: text decoded and normalised, merges indexed.

    Parameters
    ----------
    sheet : cells.Sheet (or any object with ``name``, ``rows`` and ``merged``)

    Attributes
    ----------
    values : list[list[object]]  cleaned values (str cells cleaned; blank strings → None)
    n_rows, n_cols : int
    merged : list of (row0, col0, row1, col1), 0-based inclusive
    """

    def __init__(self, sheet: Any):
        self.sheet = sheet
        self.name: str = getattr(sheet, "name", "")
        rows = sheet.rows or []
        self.n_rows = len(rows)
        self.n_cols = width = max(map(len, rows), default=0)
        # every distinct text of the sheet cleaned once (decoded sheet-wide when legacy);
        # the distinct values are gathered first, in C: most cells are blank or numbers
        texts = {v for v in set(itertools.chain.from_iterable(rows)) if isinstance(v, str)}
        legacy = _legacy_map(texts)
        cleaned = {
            v: (None if not v or v.isspace() else (clean_text(legacy[v]) or None))
            if v in legacy
            else _clean_cell(v)
            for v in texts
        }
        # a text cell becomes its cleaned text, any other value stays (`cleaned.get(v, v)`)
        values: list[list[object]] = [list(map(cleaned.get, row, row)) for row in rows]
        for out in values:
            if len(out) < width:
                out.extend([None] * (width - len(out)))
        self.values = values
        merged = getattr(sheet, "merged", None) or []
        self.merged: list[tuple[int, int, int, int]] = [(m[0], m[1], m[2], m[3]) for m in merged]
        self._merge_at: dict[tuple[int, int], tuple[int, int, int, int]] | None = None
        # Caches of what recognising the forms derives from the cells as read (recognition
        # is over before any cell is filled in: `rows.fill_merged_down`, formulas).
        self._row_texts: dict[int, tuple[str, ...]] = {}
        self._row_folded: dict[int, list[str]] = {}
        self.memo: dict[object, object] = {}  # per-sheet results shared by the forms tried

    def value(self, r: int, c: int) -> object:
        """Cleaned value at (r, c), None outside the grid or for empty cells."""
        if 0 <= r < self.n_rows and 0 <= c < self.n_cols:
            return self.values[r][c]
        return None

    def text(self, r: int, c: int) -> str:
        """Cell as display text ('' for empty)."""
        return cell_text(self.value(r, c))

    def folded(self, r: int, c: int) -> str:
        """Folded comparison key of the cell ('' for empty)."""
        # Called ~130,000 times per province build (issue #9): index the row directly.
        if 0 <= r < self.n_rows and 0 <= c < self.n_cols:
            v = self.values[r][c]
        else:
            return ""
        if v is None:
            return ""
        if v.__class__ is str:
            return fold_text(v)
        return fold_text(v) if isinstance(v, str) else cell_text(v)

    def merge_of(self, r: int, c: int) -> tuple[int, int, int, int] | None:
        """The merged range covering (r, c), if any."""
        if self._merge_at is None:
            idx: dict[tuple[int, int], tuple[int, int, int, int]] = {}
            for m in self.merged:
                r0, c0, r1, c1 = m
                # Guard against absurd ranges (whole columns): index only what the grid holds.
                for rr in range(r0, min(r1, self.n_rows - 1) + 1):
                    for cc in range(c0, min(c1, self.n_cols - 1) + 1):
                        idx[(rr, cc)] = m
            self._merge_at = idx
        return self._merge_at.get((r, c))

    def row_texts(self, r: int) -> tuple[str, ...]:
        """Folded texts of row r that could name a column (not numbers), cached."""
        hit = self._row_texts.get(r)
        if hit is None:
            # numbers and dates never name a column
            folded = [fold_text(v) for v in self.values[r] if isinstance(v, str)]
            hit = self._row_texts[r] = tuple(f for f in folded if f and not f[0].isdigit())
        return hit

    def row_folded(self, r: int) -> list[str]:
        """Folded keys of the non-empty cells of row r, left to right (`folded`), cached."""
        hit = self._row_folded.get(r)
        if hit is None:
            keys = [
                (fold_text(v) if isinstance(v, str) else cell_text(v))
                for v in self.values[r]
                if v is not None
            ]
            hit = self._row_folded[r] = [f for f in keys if f]
        return hit

    def row_is_blank(self, r: int) -> bool:
        """True when row r holds no value at all."""
        for v in self.values[r]:  # a loop, not all(): most rows stop at their first cell
            if v is not None:
                return False
        return True

    def row_cells(self, r: int) -> list[int]:
        """Columns of the non-empty cells of row r."""
        return [c for c, v in enumerate(self.values[r]) if v is not None]
