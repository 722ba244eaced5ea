"""Money units named in headers and "ĐVT:" lines → the factor to million VND."""

from __future__ import annotations

import re

from ketnghia_analysis.core.text import normalize

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
