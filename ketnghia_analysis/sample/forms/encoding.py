"""File-wide text damage: decomposed Unicode, old tone placement, TCVN3 and VNI mojibake."""

from __future__ import annotations

import re
import unicodedata

from ketnghia_analysis.core.legacy import encode_legacy
from ketnghia_analysis.sample.grid import Grid

_OLD_TONE = {"òa": "oà", "óa": "oá", "ỏa": "oả", "õa": "oã", "ọa": "oạ", "òe": "oè", "óe": "oé",
             "ỏe": "oẻ", "õe": "oẽ", "ọe": "oẹ", "ùy": "uỳ", "úy": "uý", "ủy": "uỷ", "ũy": "uỹ",
             "ụy": "uỵ"}  # fmt: skip
_OLD_TONE_RE = re.compile("(" + "|".join(_OLD_TONE) + r")(?![^\W\d_])", re.IGNORECASE)


def old_tone(s: str) -> str:
    """Move tone marks to the old position in open syllables ("Hòa" → "Hoà").

    >>> old_tone("Xã Trà Thủy, Hòa Hương, Hoàng")
    'Xã Trà Thuỷ, Hoà Hương, Hoàng'
    """

    def sub(m: re.Match) -> str:
        t = m.group(0)
        new = _OLD_TONE[t.lower()]
        return new.upper() if t.isupper() else (new[0].upper() + new[1:] if t[0].isupper() else new)

    return _OLD_TONE_RE.sub(sub, s)


def encode_grid(grid: Grid, mode: str) -> None:
    """File-wide text transformation: NFD, old tone placement, TCVN3 or VNI mojibake."""
    if mode == "nfd":
        grid.map_text(lambda s: unicodedata.normalize("NFD", s))
    elif mode == "old_tone":
        grid.map_text(old_tone)
    elif mode in ("tcvn3", "vni"):

        def enc(s: str) -> str:
            try:
                return encode_legacy(s, mode)
            except Exception:  # a character without a legacy code stays as it is
                return s

        grid.map_text(enc)
