"""Legacy 8-bit Vietnamese encodings (TCVN3, VNI Windows): decoding, encoding, detection.

Legacy 8-bit encodings
----------------------
Before Unicode, Vietnamese offices typed with the ABC keyboard in **TCVN3**
(TCVN 5712:1993, VN3; fonts .VnTime, .VnArial...) or with **VNI Windows** (fonts
VNI-Times...). Excel stores what the keyboard sent as Windows-1252 characters, so
such text read today shows up as mojibake: TCVN3 "Trµ My" for "Trà My", VNI
"Traø My". The code tables below are transcribed from the published charts and
checked against the tables of the open-source keyboard xvnkb (Đào Hải Lâm,
GPL; ``tcvn.h``, ``vni.h`` and ``utf.h`` in github.com/lamdao/xvnkb), which list
every letter in the order *base, sắc, huyền, hỏi, ngã, nặng*.

* TCVN3 is one byte per precomposed *lowercase* letter (0xA8–0xFE) plus seven
  plain capitals Ă Â Ê Ô Ơ Ư Đ (0xA1–0xA7). Capitals **with** a tone mark do not
  exist in the .VnTime fonts: typists switch to the capitals-only fonts
  (.VnTimeH), which draw a capital at each lowercase code point. The bytes are
  therefore those of the lowercase letter. ``encode_legacy`` does the same, and
  ``decode_legacy`` restores capitals when the text is evidently set in capitals
  (rule in ``_tcvn3_recase``). A title-case word that *starts* with a toned
  capital ("Ái Nghĩa") is ambiguous in TCVN3 and decodes with a lowercase initial
  ("ái Nghĩa"); fold-based matching is unaffected.
* VNI Windows writes a base letter followed by one byte for the mark(s):
  "aø" = "à", "aâ" = "â", "aá" = "ấ"; "ô" (0xF4) is *ơ*, "ö" (0xF6) is *ư*,
  "ñ" (0xF1) is *đ*, and i/y have some one-byte forms ("í", "ì", "æ", "ó", "ò",
  "î"). Capitals use capital mark bytes ("AØ" = "À"), so the VNI table is exact
  for every Vietnamese letter.
* Bytes 0x80–0x9F (where the extended TCVN 5712 VN1 table puts toned capitals)
  are **not** decoded: in Windows-1252 they are genuine punctuation ("–", "’").

Detection (``detect_legacy``, ``fix_mojibake``) never touches text that holds a letter
only Unicode has (ơ ư ă đ ạ ả ...) or combining marks. Otherwise it needs evidence
inside words (characters Vietnamese never uses but a table does: "µ", "ø", "§"; pairs
such as "aâ"; words whose syllable structure the decoding repairs) and a decoding made
of well-formed syllables. About 7 % of single names are ambiguous on their own ("Phó
Ninh" is valid Unicode and TCVN3 for "Phú Ninh") and are left unchanged; decode whole
sheets or columns with ``fix_mojibake_many`` (one encoding per group) or try
``legacy_candidates`` against a list of known names.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

from ketnghia_analysis.core.text import (
    UNICODE_ONLY_LETTERS,
    VIETNAMESE_LETTERS,
    split_letter,
    strip_diacritics,
    with_tone,
)

__all__ = [
    "encode_legacy",
    "decode_legacy",
    "detect_legacy",
    "detect_legacy_many",
    "fix_mojibake",
    "fix_mojibake_many",
    "legacy_candidates",
    "LEGACY_ENCODINGS",
]

LEGACY_ENCODINGS = ("tcvn3", "vni")

# ---------------------------------------------------------------------------
# Legacy code tables (as they appear when the bytes are read as Windows-1252)
# ---------------------------------------------------------------------------

# TCVN3 (VN3): for each lowercase letter, the bytes of base, sắc, huyền, hỏi, ngã, nặng.
# A byte b is written here as chr(b) (identical in Windows-1252 and Latin-1 for >= 0xA0).
_TCVN3_ROWS = {
    "a": (None, 0xB8, 0xB5, 0xB6, 0xB7, 0xB9),
    "ă": (0xA8, 0xBE, 0xBB, 0xBC, 0xBD, 0xC6),
    "â": (0xA9, 0xCA, 0xC7, 0xC8, 0xC9, 0xCB),
    "e": (None, 0xD0, 0xCC, 0xCE, 0xCF, 0xD1),
    "ê": (0xAA, 0xD5, 0xD2, 0xD3, 0xD4, 0xD6),
    "i": (None, 0xDD, 0xD7, 0xD8, 0xDC, 0xDE),
    "o": (None, 0xE3, 0xDF, 0xE1, 0xE2, 0xE4),
    "ô": (0xAB, 0xE8, 0xE5, 0xE6, 0xE7, 0xE9),
    "ơ": (0xAC, 0xED, 0xEA, 0xEB, 0xEC, 0xEE),
    "u": (None, 0xF3, 0xEF, 0xF1, 0xF2, 0xF4),
    "ư": (0xAD, 0xF8, 0xF5, 0xF6, 0xF7, 0xF9),
    "y": (None, 0xFD, 0xFA, 0xFB, 0xFC, 0xFE),
}
_TCVN3_SINGLES = {"đ": 0xAE, "Ă": 0xA1, "Â": 0xA2, "Ê": 0xA3, "Ô": 0xA4, "Ơ": 0xA5, "Ư": 0xA6}
_TCVN3_SINGLES["Đ"] = 0xA7

# VNI Windows: base letter + mark bytes. Lowercase marks: sắc ù, huyền ø, hỏi û, ngã õ,
# nặng ï; circumflex â (+ tone: á à å ã ä); breve ê (+ tone: é è ú ü ë).
_VNI_TONES = ("", "ù", "ø", "û", "õ", "ï")
_VNI_HAT_TONES = ("â", "á", "à", "å", "ã", "ä")
_VNI_BREVE_TONES = ("ê", "é", "è", "ú", "ü", "ë")
_VNI_I = ("i", "í", "ì", "æ", "ó", "ò")  # one-byte i forms
_VNI_Y_NANG = "î"  # ỵ is one byte; ý ỳ ỷ ỹ are y + tone byte


def _build_tcvn3() -> tuple[dict[str, str], dict[str, str]]:
    enc: dict[str, str] = {}
    for base, codes in _TCVN3_ROWS.items():
        for t, code in enumerate(codes):
            if code is None:
                continue
            letter = with_tone(base, t)
            enc[letter] = chr(code)
            # Toned capitals: the lowercase code, as the .VnTimeH capitals fonts draw it.
            enc.setdefault(letter.upper(), chr(code))
    for letter, code in _TCVN3_SINGLES.items():
        enc[letter] = chr(code)
    dec = {}
    for letter, ch in enc.items():
        if letter.islower() or letter in _TCVN3_SINGLES:
            dec[ch] = letter
    return enc, dec


def _build_vni() -> tuple[dict[str, str], dict[str, str]]:
    enc: dict[str, str] = {}
    for t in range(6):
        enc[with_tone("a", t)] = "a" + _VNI_TONES[t]
        enc[with_tone("â", t)] = "a" + _VNI_HAT_TONES[t]
        enc[with_tone("ă", t)] = "a" + _VNI_BREVE_TONES[t]
        enc[with_tone("e", t)] = "e" + _VNI_TONES[t]
        enc[with_tone("ê", t)] = "e" + _VNI_HAT_TONES[t]
        enc[with_tone("o", t)] = "o" + _VNI_TONES[t]
        enc[with_tone("ô", t)] = "o" + _VNI_HAT_TONES[t]
        enc[with_tone("ơ", t)] = "ô" + _VNI_TONES[t]
        enc[with_tone("u", t)] = "u" + _VNI_TONES[t]
        enc[with_tone("ư", t)] = "ö" + _VNI_TONES[t]
        enc[with_tone("i", t)] = _VNI_I[t]
        enc[with_tone("y", t)] = "y" + _VNI_TONES[t] if t != 5 else _VNI_Y_NANG
    enc["đ"] = "ñ"
    for letter, code in list(enc.items()):
        enc[letter.upper()] = code.upper()
    # Plain letters map to themselves: drop them from the table.
    enc = {k: v for k, v in enc.items() if k != v}
    dec = {v: k for k, v in enc.items()}
    # Decode-only variants: a capital base followed by a lowercase mark byte
    # ("Aø" for "À"), which appears when a typist mixes fonts or case.
    for letter, code in list(enc.items()):
        if letter.isupper() and len(code) == 2:
            variant = code[0] + code[1].lower()
            dec.setdefault(variant, letter)
    return enc, dec


_TABLES: dict[str, tuple[dict[str, str], dict[str, str]]] = {}


def _tables(encoding: str) -> tuple[dict[str, str], dict[str, str]]:
    if encoding not in LEGACY_ENCODINGS:
        raise ValueError(f"Bảng mã không hỗ trợ: {encoding!r} (chỉ có 'tcvn3', 'vni')")
    if encoding not in _TABLES:
        _TABLES[encoding] = _build_tcvn3() if encoding == "tcvn3" else _build_vni()
    return _TABLES[encoding]


_VNI_DECODE_RE: re.Pattern[str] | None = None


def _vni_decode_re() -> re.Pattern[str]:
    global _VNI_DECODE_RE
    if _VNI_DECODE_RE is None:
        keys = sorted(_tables("vni")[1], key=len, reverse=True)
        _VNI_DECODE_RE = re.compile("|".join(map(re.escape, keys)))
    return _VNI_DECODE_RE


def encode_legacy(s: str, encoding: str) -> str:
    """Unicode → the mojibake a legacy-encoded cell shows when read as Windows-1252.

    Characters that are not Vietnamese letters pass through unchanged. In TCVN3 a
    capital with a tone mark gets its lowercase code (the .VnTimeH convention).

    Examples
    --------
    >>> encode_legacy("Trà My", "tcvn3"), encode_legacy("Đông Giang", "tcvn3")
    ('Trµ My', '§«ng Giang')
    >>> encode_legacy("Trà My", "vni"), encode_legacy("Đông Giang", "vni")
    ('Traø My', 'Ñoâng Giang')
    """
    enc = _tables(encoding)[0]
    s = unicodedata.normalize("NFC", s)
    return "".join(enc.get(c, c) for c in s)


def decode_legacy(s: str, encoding: str) -> str:
    """Mojibake of a legacy-encoded cell → Unicode (NFC). Unconditional: see ``fix_mojibake``.

    Examples
    --------
    >>> decode_legacy("Trµ My", "tcvn3"), decode_legacy("§«ng Giang", "tcvn3")
    ('Trà My', 'Đông Giang')
    >>> decode_legacy("UBND HUYÖN NAM TRµ MY", "tcvn3")
    'UBND HUYỆN NAM TRÀ MY'
    >>> decode_legacy("Traø My", "vni"), decode_legacy("Ñoâng Giang", "vni")
    ('Trà My', 'Đông Giang')
    """
    dec = _tables(encoding)[1]
    if encoding == "tcvn3":
        out = s.translate(_tcvn3_translation())
        return unicodedata.normalize("NFC", _tcvn3_recase(s, out))
    out = _vni_decode_re().sub(lambda m: dec[m.group(0)], s)
    return unicodedata.normalize("NFC", out)


@functools.cache
def _tcvn3_translation() -> dict[int, str]:
    """The TCVN3 decoding table for ``str.translate`` (one code, one letter)."""
    return {ord(code): letter for code, letter in _tables("tcvn3")[1].items()}


# An ASCII capital after the first character of a word; an ASCII lowercase letter.
_INNER_CAPITAL = re.compile(r"(?<=\S)[A-Z]")
_ASCII_LOWER = re.compile("[a-z]")


def _tcvn3_recase(raw: str, decoded: str) -> str:
    """Restore capitals lost by the .VnTimeH convention.

    If every ASCII letter of the cell is a capital and some word has a capital after
    its first character, the whole cell is set in capitals ("TRµ MÜ" → "TRÀ MỸ"; but
    "Tµ P¬¬" is title case, "Tà Pơơ"). Otherwise a word is set in capitals when it has no
    lowercase ASCII letter and has a capital ASCII letter after its first character
    ("§¾K" → "ĐẮK"); a single leading capital ("Hµ") is title case and stays "Hà".
    """
    if not _INNER_CAPITAL.search(raw):  # no word has a capital after its first character
        return decoded
    if not _ASCII_LOWER.search(raw):
        return decoded.upper()
    if len(raw) != len(decoded):  # one code per character: lengths always agree
        return decoded
    out = list(decoded)
    for m in re.finditer(r"\S+", raw):
        word = m.group(0)
        if any(c.isascii() and c.islower() for c in word):
            continue
        if any(c.isascii() and c.isupper() for c in word[1:]):
            for i in range(m.start(), m.end()):
                out[i] = out[i].upper()
    return "".join(out)


# ---------------------------------------------------------------------------
# Detection
# ---------------------------------------------------------------------------

# Windows-1252 characters that the legacy tables use but Vietnamese Unicode text never
# contains as letters. Their presence inside a word is the evidence of mojibake.
_TCVN3_STRONG = frozenset("¡¢£¤¥¦§¨©ª«¬\xad®µ¶·¸¹»¼½¾ÆÇËÎÏÐÑÖ×ØÜÞßäåæçëîïñö÷øûüþ")
_VNI_STRONG = frozenset("øûïåäëüæîñöØÛÏÅÄËÜÆÎÑÖ")
# Two-character VNI sequences impossible in Vietnamese Unicode ("aâ" = â, "aø" = à ...).
# "oà", "oá", "oã" are left out: they are old-style Unicode too ("Hoà", "Khoá").
# "aê" is left out too: it occurs in minority-language names written as one word ("Laêê").
_VNI_STRONG_PAIRS = re.compile(
    r"[aeAE][âáàåãä]|[AE][ÂÁÀÅÃÄ]|o[âåä]|O[ÂÅÄÀÁÃâåä]|a[éèúüë]|A[ÉÈÚÜËéèúüë]"
    r"|[aeouyôö][ùõ]|[AEOUYÔÖ][ÙÕùõ]"
)
# TCVN3 writes ấ ẩ ẫ è ề ể ễ ế í as Latin-1 capitals: a capital right after a lowercase
# letter inside a word ("QuÕ", "CÈm") is TCVN3 evidence (VNI puts capital marks only
# after capital letters).
_TCVN3_CAPITAL_AFTER_LOWER = re.compile(r"[a-zà-ÿ][ÈÉÊÌÒÓÔÕÝ]")
# In a word set in capitals with the .VnTimeH fonts, the toned letters keep their
# lowercase codes: a lowercase Latin-1 letter after two ASCII capitals or between two
# ("CéNG", "GHI CHó") is TCVN3 evidence (VNI uses capital mark bytes after capitals).
_TCVN3_LOWER_IN_CAPITALS = re.compile(r"(?<=[A-Z]{2})[à-ÿ]|(?<=[A-Z])[à-ÿ](?=[A-Z])")
_CONSONANTS = "bcdfghjklmnpqrstvwxz"
# One to three syllables written as one word ("Avương", "Bhalêê").
_SYLLABLES = re.compile(rf"(?:[{_CONSONANTS}]*[aeiouy]{{1,3}}[{_CONSONANTS}]*){{1,3}}")


def _in_word(s: str, i: int) -> bool:
    """True when position i has a letter (or a legacy code) as a neighbour."""

    def is_wordish(j: int) -> bool:
        return 0 <= j < len(s) and (s[j].isalpha() or s[j] in _TCVN3_STRONG)

    return is_wordish(i - 1) or is_wordish(i + 1)


def _evidence(s: str, encoding: str) -> int:
    strong = _TCVN3_STRONG if encoding == "tcvn3" else _VNI_STRONG
    n = sum(1 for i, c in enumerate(s) if c in strong and _in_word(s, i))
    if encoding == "vni":
        n += len(_VNI_STRONG_PAIRS.findall(s))
    else:
        n += len(_TCVN3_CAPITAL_AFTER_LOWER.findall(s))
        n += len(_TCVN3_LOWER_IN_CAPITALS.findall(s))
    return n


def _plausible(text: str) -> bool:
    """Does decoded text look like Vietnamese (valid letters, one tone per syllable)?"""
    return all(word.isascii() or _plausible_word(word) for word in _WORDS.findall(text))


_WORDS = re.compile(r"\w+")


@functools.lru_cache(maxsize=65536)
def _plausible_word(word: str) -> bool:
    """`_plausible` for one non-ASCII word (memoised: the same words recur in every sheet)."""
    if any(c not in VIETNAMESE_LETTERS for c in word if not c.isdigit()):
        return False
    if any(c.isdigit() for c in word):
        return False
    folded = strip_diacritics(word).lower()
    has_vowel = any(c in "aeiouy" for c in folded)
    if has_vowel and not _SYLLABLES.fullmatch(folded):
        return False
    # At most one tone mark per vowel run (one syllable, or names written as one
    # word such as "Avương").
    tones = [split_letter(c)[1] > 0 for c in word]
    for run in re.finditer(r"[aeiouy]+", folded):
        if sum(tones[run.start() : run.end()]) > 1:
            return False
    if not has_vowel and (
        word != word.upper() or any(c not in "đĐ" and not c.isascii() for c in word)
    ):
        return False  # only abbreviations in capitals ("ĐVT", "HĐND") lack a vowel
    return True


# Vowel nuclei of Vietnamese syllables (tone marks removed), plus the doubled vowels of
# minority-language names in Quảng Nam ("La Êê", "Ma Cooih"). Used to rank decodings and
# as evidence (decoding repairs a word that is not Vietnamese), never to reject one.
_NUCLEI = frozenset(
    "a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iê iu oa oă oe oi ôi ơi oo ua uâ "
    "uê ui uô uơ uy ưa ưi ưu ươ yê iêu yêu oai oay oao oeo uây uôi uya uyê uyu ươi ươu "
    "êê ooi".split()
)
# Nuclei ending in a glide (i/y/o/u): no final consonant may follow.
_GLIDE_FINAL = frozenset(
    "ai ao au ay âu ây eo êu iu oi ôi ơi ui ưi ưu iêu yêu oai oay oao oeo uây uôi uyu "
    "ươi ươu ooi".split()
)
_VOWEL_RUN = re.compile(r"[aăâeêioôơuưy]+")


@functools.lru_cache(maxsize=65536)
def _word_penalty(word: str, spelling: bool = True) -> int:
    """1 when a word breaks Vietnamese syllable structure, else 0.

    Structure = one vowel cluster that is a Vietnamese nucleus, no final consonant after
    a glide, no open *ă*/*â*. With ``spelling``, also the k/c, gh/ngh and q rules, which
    genuine minority-language names break ("Trà Kót", "Sông Kôn"), the rhyme rules
    (nh/ch only after a, ê, i, y; no "ing", "ơng") and the rule that no tone mark sits
    on a final glide: those only rank decodings and never count as evidence.
    """
    parts = [split_letter(c) for c in word.lower()]
    plain = "".join(b for b, _ in parts)
    if len(plain) != len(parts):  # a letter that is not one code point: not Vietnamese
        return 1
    runs = list(_VOWEL_RUN.finditer(plain))
    if len(runs) != 1:
        return int(len(runs) > 1)
    run = runs[0]
    onset, nucleus, coda = plain[: run.start()], run.group(0), plain[run.end() :]
    if (
        onset.endswith(("q", "g"))
        and len(nucleus) > 1
        and nucleus[0] == ("u" if onset.endswith("q") else "i")
    ):
        onset, nucleus = onset + nucleus[0], nucleus[1:]
    if nucleus not in _NUCLEI:
        return 1
    if coda and nucleus in _GLIDE_FINAL:
        return 1
    if not coda and nucleus in ("ă", "â"):
        return 1
    if not spelling:
        return 0
    first = nucleus[0]
    if onset == "k" and first not in "ieêy":
        return 1
    if onset == "c" and first in "ieêy":
        return 1
    if onset in ("gh", "ngh") and first not in "ieê":
        return 1
    if onset.startswith("q") and not onset.startswith("qu"):
        return 1
    if coda in ("nh", "ch") and nucleus[-1] not in "aêiy":
        return 1  # "anh", "ênh", "inh", "uynh" only: "ơnh" is not a rhyme
    if coda in ("ng", "c") and nucleus in ("i", "y", "ơ"):
        return 1  # "ing", "ơng" are not rhymes ("ương" is)
    if nucleus in _GLIDE_FINAL and parts[run.end() - 1][1]:
        return 1  # a tone mark never sits on a final glide ("traỉ" is not a syllable)
    return 0


def _nucleus_penalty(text: str, spelling: bool = True) -> int:
    """Number of non-ASCII words that break Vietnamese syllable structure (or spelling)."""
    return sum(
        _word_penalty(word, spelling) for word in _LETTER_RUNS.findall(text) if not word.isascii()
    )


_LETTER_RUNS = re.compile(r"[^\W\d_]+")


def _looks_genuine(s: str) -> bool:
    """Unicode-only Vietnamese letters or combining marks: not Windows-1252 mojibake."""
    if max(s, default="\x00") <= "\xff":  # both are beyond Latin-1
        return False
    return any(c in UNICODE_ONLY_LETTERS or unicodedata.combining(c) for c in s)


# VNI writes í and ì as themselves: they are explained by the VNI table.
_VNI_SELF = frozenset("íìÍÌ")


def _unexplained(s: str, encoding: str) -> int:
    """Non-ASCII letters of s (and Latin-1 signs inside words, such as "÷" or "¬") that the
    encoding's table does not produce.

    Real mojibake is made only of table codes: "Tæng sè hé" is all TCVN3 codes, while as
    VNI its "è" and "é" (VNI marks that follow only an *a*) would be left unexplained.
    """
    if encoding == "tcvn3":
        rest = s.translate(_tcvn3_blanks())
    else:
        rest = _vni_decode_re().sub(" ", s)
    return sum(
        1
        for i, c in enumerate(rest)
        if not c.isascii()
        and c not in _VNI_SELF
        and (c.isalpha() or ("\xa1" <= c <= "\xff" and _in_word(rest, i)))
    )


@functools.cache
def _tcvn3_blanks() -> dict[int, str]:
    """Every TCVN3 code → a space, for ``str.translate``."""
    return {ord(code): " " for code in _tables("tcvn3")[1]}


def _scores(s: str) -> dict[str, tuple[int, int, int]]:
    """(−spelling penalty, evidence, 0) per encoding that explains every non-ASCII letter
    of s and whose decoding is plausible; the highest tuple wins.

    Evidence = legacy-only characters or pairs inside words, plus the number of words
    whose syllable structure the decoding repairs ("Héi" → "Hội"; spelling rules such
    as "Kú" → "Kỳ" only rank, since genuine names break them).
    """
    out = {}
    base_penalty = None
    for encoding in LEGACY_ENCODINGS:
        decoded = decode_legacy(s, encoding)
        if decoded == s or not _plausible(decoded):
            continue
        if base_penalty is None:
            base_penalty = _nucleus_penalty(s, spelling=False)
        structural = _nucleus_penalty(decoded, spelling=False)
        if structural:
            # Alone, a cell is decoded only into well-formed syllables ("Müller" is not
            # TCVN3 "Mỹller"); names written as one word ("Avương") are decoded by
            # ``fix_mojibake_many`` once their sheet's encoding is known.
            continue
        penalty = _nucleus_penalty(decoded)
        ev = _evidence(s, encoding) + base_penalty
        unexplained = _unexplained(s, encoding)
        if ev and not unexplained:
            out[encoding] = (-penalty, ev, 0)
    return out


@functools.lru_cache(maxsize=65536)
def _detect_cached(s: str) -> str | None:
    if _looks_genuine(s):
        return None
    scores = _scores(s)
    if not scores:
        return None
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0]


def detect_legacy(s: str) -> str | None:
    """Which legacy encoding a cell's text is in: "tcvn3", "vni" or None (not confident).

    Confident means: the text has no letter that only Unicode can hold (ơ, ư, ă, đ, ạ ...),
    it contains characters or pairs that Vietnamese never uses but the code table does,
    *inside a word* ("Trµ", "Traø"; an isolated "½" or "×" is not evidence), and
    decoding gives valid Vietnamese syllables with one tone each. If both tables
    qualify (a table qualifies only if it explains every non-ASCII letter: "Tæng sè hé"
    is TCVN3 throughout, while as VNI its "è" and "é" would be left over), the one
    whose decoding breaks fewer spelling rules wins ("Traø": VNI "Trà", not TCVN3
    "Traứ"), then the one with more evidence; a tie returns None.

    Examples
    --------
    >>> detect_legacy("Trµ My"), detect_legacy("Traø My"), detect_legacy("Trà My")
    ('tcvn3', 'vni', None)
    >>> detect_legacy("Hoà"), detect_legacy("3 × 4"), detect_legacy("½ ha")
    (None, None, None)
    """
    if not isinstance(s, str) or s.isascii():
        return None
    return _detect_cached(s)


def fix_mojibake(s: str) -> str:
    """Decode s when ``detect_legacy`` is confident; otherwise return it unchanged.

    >>> fix_mojibake("Trµ My"), fix_mojibake("Traø My"), fix_mojibake("Trà My")
    ('Trà My', 'Trà My', 'Trà My')
    """
    encoding = detect_legacy(s)
    return s if encoding is None else decode_legacy(s, encoding)


def detect_legacy_many(texts: Iterable[object]) -> str | None:
    """One encoding for a group of cells (a sheet or a column), or None.

    Returns the encoding that at least one cell is confidently detected in, provided no
    cell is confidently detected in the other one.

    >>> detect_legacy_many(["Phó Ninh", "Trµ My", 12, None])
    'tcvn3'
    """
    found = {detect_legacy(t) for t in texts if isinstance(t, str)}
    found.discard(None)
    return found.pop() if len(found) == 1 else None


def fix_mojibake_many(texts: Iterable[object], encoding: str | None = None) -> list[object]:
    """Decode every cell of a group known (or detected) to be in one legacy encoding.

    Cells in a TCVN3 sheet may carry no evidence on their own ("Phó Ninh" is TCVN3 for
    "Phú Ninh"): once the group's encoding is known, every text cell that is not
    evidently Unicode and whose decoding is plausible Vietnamese is decoded, unless the
    decoding breaks more spelling rules than the cell as it is and the cell has no
    evidence of the encoding: a Unicode "Tây Giang" left in a TCVN3 sheet stays (as
    TCVN3 it would read "Tõy Giang"). Non-text values pass through. Residual risk: a
    Unicode cell of Latin-1 letters whose decoding is also well spelled ("Phó") is
    decoded.

    >>> fix_mojibake_many(["Phó Ninh", "Trµ My", 12, "Hội An", "Tây Giang"])
    ['Phú Ninh', 'Trà My', 12, 'Hội An', 'Tây Giang']
    """
    texts = list(texts)
    if encoding is None:
        encoding = detect_legacy_many(texts)
    if encoding is None:
        return texts
    out: list[object] = []
    for t in texts:
        if isinstance(t, str) and not t.isascii() and not _looks_genuine(t):
            decoded = decode_legacy(t, encoding)
            ok = _plausible(decoded) and (
                _evidence(t, encoding) > 0 or _nucleus_penalty(decoded) <= _nucleus_penalty(t)
            )
            out.append(decoded if ok else t)
        else:
            out.append(t)
    return out


def legacy_candidates(s: str) -> list[tuple[str, str]]:
    """Every plausible decoding of s as (encoding, text), for matchers that can check
    candidates against a list of known names (e.g. "Phó Ninh" → TCVN3 "Phú Ninh").

    >>> legacy_candidates("Phó Ninh")
    [('tcvn3', 'Phú Ninh'), ('vni', 'Phĩ Ninh')]
    """
    if not isinstance(s, str) or s.isascii():
        return []
    return list(_candidates_cached(s))


@functools.lru_cache(maxsize=65536)
def _candidates_cached(s: str) -> tuple[tuple[str, str], ...]:
    """`legacy_candidates` of a text (memoised: matchers ask for the same labels again)."""
    if _looks_genuine(s):
        return ()
    out = []
    for encoding in LEGACY_ENCODINGS:
        decoded = decode_legacy(s, encoding)
        if decoded != s and _plausible(decoded):
            out.append((encoding, decoded))
    return tuple(out)
