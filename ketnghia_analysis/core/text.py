"""Vietnamese text: NFC, spaces, tone placement, folding.

Support module used by every stage that compares Vietnamese text (headers, commune
labels, partner names) and by the sample generator (which plants legacy mojibake).

Tone placement rule (``normalize``)
-----------------------------------
Vietnamese has two conventions for where the tone mark sits in the open syllables
whose nucleus is *oa*, *oe* or *uy*: the old style puts it on the second vowel
("Hoà", "Khoẻ", "Thuỷ"), the new style on the first ("Hòa", "Khỏe", "Thủy").
We take the **new style as canonical**. A syllable is rewritten only when

* its vowel letters are exactly ``oa``, ``oe`` or ``uy`` (case-insensitive, no
  circumflex/breve/horn on them),
* nothing follows them (no final consonant: "Hoàng", "Toàn", "Huỳnh" keep their
  mark where it is, which both styles agree on),
* the onset does not end in ``q`` ("quý", "Quỳ": *u* belongs to the onset *qu*, the
  nucleus is *y* alone, and the mark is already right), and
* the tone mark sits on the second vowel.

"gi" needs no special case: no Vietnamese syllable has *gi* followed by *oa*,
*oe* or *uy* without a final consonant.

Legacy 8-bit encodings (TCVN3, VNI) are decoded and encoded by `core.legacy`.
"""

from __future__ import annotations

import functools
import re
import unicodedata

__all__ = ["normalize", "fold", "strip_diacritics", "VIETNAMESE_LETTERS"]

# ---------------------------------------------------------------------------
# Vietnamese letters
# ---------------------------------------------------------------------------

# Combining tone marks: huyền (grave), sắc (acute), hỏi (hook), ngã (tilde), nặng (dot below).
_TONE_MARKS = {"\u0300": 2, "\u0301": 1, "\u0309": 3, "\u0303": 4, "\u0323": 5}
_TONE_BY_NUMBER = {v: k for k, v in _TONE_MARKS.items()}
_BASE_VOWELS = "aăâeêioôơuưy"
# Tone order used by both code tables: none, sắc, huyền, hỏi, ngã, nặng.
_TONE_ORDER = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")


def with_tone(base: str, tone_index: int) -> str:
    """A base letter with one of the six tones (0 none, then sắc, huyền, hỏi, ngã, nặng)."""
    return unicodedata.normalize("NFC", base + _TONE_ORDER[tone_index])


def _all_letters() -> str:
    lower: list[str] = []
    for v in _BASE_VOWELS:
        lower.extend(with_tone(v, t) for t in range(6))
    lower.append("đ")
    letters = "".join(lower) + "".join(c.upper() for c in lower)
    return letters


#: Every precomposed Vietnamese letter that is not plain ASCII, plus ASCII letters.
VIETNAMESE_LETTERS = frozenset(
    _all_letters() + "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)

# Letters that only Vietnamese Unicode text contains (never Windows-1252 mojibake).
UNICODE_ONLY_LETTERS = frozenset(c for c in VIETNAMESE_LETTERS if ord(c) > 0xFF)

# ---------------------------------------------------------------------------
# normalize / fold
# ---------------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+")
_APOSTROPHE_CHARS = "'\u2019\u2018\u02bc`\u00b4\u02bb\u2032"
# Dropped by fold: combining marks (tones, hats), apostrophes, zero-width characters.
_FOLD_DROP = re.compile(f"[\u0300-\u036f{_APOSTROPHE_CHARS}\u200b\u200c\u200d\ufeff\u2060]")
_ZERO_WIDTH_RE = re.compile("[\u200b\u200c\u200d\ufeff\u2060]")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
# Combining diacritics (tones, circumflex, breve, horn...): U+0300-U+036F but U+034F, the
# grapheme joiner, which has no combining class and stays.
_DIACRITICS = re.compile("[\u0300-\u034e\u0350-\u036f]")


@functools.lru_cache(maxsize=4096)
def split_letter(c: str) -> tuple[str, int]:
    """Split one NFC letter into (letter without tone, tone number 0-5).

    Memoised: the detection of legacy encodings splits the same few letters again and again.
    """
    d = unicodedata.normalize("NFD", c)
    tone = 0
    rest = []
    for ch in d:
        if ch in _TONE_MARKS:
            tone = _TONE_MARKS[ch]
        else:
            rest.append(ch)
    return unicodedata.normalize("NFC", "".join(rest)), tone


def _retone_word(word: str) -> str:
    """Move the tone of an old-style oa/oe/uy open syllable onto the first vowel."""
    if len(word) < 2 or word[-1] not in _OLD_STYLE_LAST:
        return word
    parts = [split_letter(c) for c in word]
    bases = "".join(b.lower() for b, _ in parts)
    if bases[-2:] not in ("oa", "oe", "uy"):
        return word
    onset = bases[:-2]
    if onset.endswith("q") or any(ch in _BASE_VOWELS for ch in onset):
        return word
    if parts[-1][1] == 0 or parts[-2][1] != 0:
        return word
    tone = parts[-1][1]
    first = unicodedata.normalize("NFC", parts[-2][0] + _TONE_BY_NUMBER[tone])
    return word[:-2] + first + parts[-1][0]


# Last letters of an old-style syllable: a, e, y carrying a tone mark (any case).
_OLD_STYLE_LAST = frozenset(with_tone(v, t) for v in "aey" for t in range(1, 6)) | frozenset(
    with_tone(v, t).upper() for v in "aey" for t in range(1, 6)
)


# `_retone_word` changes only a word ending in an untoned o/u followed by a toned a/e/y
# ("Hoà", "Thuỷ"): only such words are handed to it (the words `_WORD` finds, whole).
_OLD_STYLE_CLASS = "".join(sorted(_OLD_STYLE_LAST))
_OLD_STYLE_END = re.compile(f"[oOuU][{_OLD_STYLE_CLASS}](?![^\\W\\d_])")
_OLD_STYLE_WORD = re.compile(f"(?<![^\\W\\d_])[^\\W\\d_]*[oOuU][{_OLD_STYLE_CLASS}](?![^\\W\\d_])")


def normalize(s: str) -> str:
    """Canonical form of a Vietnamese text cell.

    NFC; zero-width characters (U+200B/C/D, U+FEFF, U+2060) removed; every Unicode
    space or line break (NBSP, figure and thin spaces, ideographic space, ``\\n``) and
    runs of them become one space; stripped; tone marks in new-style placement
    (module docstring). Soft hyphens (U+00AD) are kept: TCVN3 uses that code for *ư*.
    Idempotent.

    Examples
    --------
    >>> normalize("  Xã\\u00a0Điện   Hoà\\u200b ")
    'Xã Điện Hòa'
    >>> normalize("Thuỷ") == normalize("Thủy") == "Thủy"
    True
    >>> normalize("KHOẺ"), normalize("Hoàng"), normalize("Quý"), normalize("Nguyễn")
    ('KHỎE', 'Hoàng', 'Quý', 'Nguyễn')
    >>> normalize(unicodedata.normalize("NFD", "Quế Sơn")) == "Quế Sơn"
    True
    """
    if s.isascii():
        return " ".join(s.split())
    if _ZERO_WIDTH_RE.search(s):
        s = _ZERO_WIDTH_RE.sub("", s)
    s = unicodedata.normalize("NFC", s)
    s = " ".join(s.split())
    if _OLD_STYLE_END.search(s):
        s = unicodedata.normalize("NFC", _OLD_STYLE_WORD.sub(lambda m: _retone_word(m.group(0)), s))
    return s


def strip_diacritics(s: str) -> str:
    """Remove every diacritic and map đ/Đ to d/D.

    >>> strip_diacritics("Đông Giang, Trà My")
    'Dong Giang, Tra My'
    """
    if s.isascii():
        return s
    d = _DIACRITICS.sub("", unicodedata.normalize("NFD", s))
    if not d.isascii():  # other combining marks than the Vietnamese ones (rare)
        d = "".join(ch for ch in d if not unicodedata.combining(ch))
    return d.replace("đ", "d").replace("Đ", "D")


def fold(s: str) -> str:
    """Comparison key: normalized, lower case, no diacritics, no apostrophes, no punctuation.

    Apostrophes of every kind (``' ’ ‘ ʼ ` ´``) are removed so "Ch'ơm" and "Chơm"
    meet; any other non-alphanumeric character becomes a space; spaces collapse.

    Examples
    --------
    >>> fold("Ch’Ơm"), fold("Ch'ơm"), fold("  X. Trà-Mai ")
    ('chom', 'chom', 'x tra mai')
    >>> fold("Điện Hoà") == fold("ĐIỆN HÒA") == "dien hoa"
    True
    """
    # Tone placement and NFC do not matter once every mark is dropped: go straight to NFD.
    t = _FOLD_DROP.sub("", unicodedata.normalize("NFD", s).lower()).replace("đ", "d")
    return _NON_ALNUM.sub(" ", t).strip()
