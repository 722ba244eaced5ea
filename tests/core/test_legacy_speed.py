"""Legacy-encoding detection and Vietnamese text helpers, made cheaper (issue #18).

Two kinds of tests: the work is done once per distinct text or word (counted through the
helpers it calls), and each fast path gives exactly what the plain algorithm it replaces
gives (a reference copy of that algorithm here, over generated text).
"""

from __future__ import annotations

import itertools
import re
import unicodedata

from counting import counting
from hypothesis import given, settings
from hypothesis import strategies as st

from ketnghia_analysis.core import legacy, text
from ketnghia_analysis.core.legacy import encode_legacy
from ketnghia_analysis.core.text import UNICODE_ONLY_LETTERS, VIETNAMESE_LETTERS

_fresh = itertools.count()


def _fresh_syllable() -> str:
    """A Latin-1 Vietnamese word never seen before in this process (no memo holds it)."""
    n = next(_fresh)
    onsets = ["Ph", "Tr", "Th", "Kh", "Nh", "Ch", "Gi", "Ng", "B", "C", "D", "H", "L", "M"]
    vowels = ["à", "á", "è", "é", "ì", "í", "ò", "ó", "ù", "ú", "ý", "ã", "õ", "â", "ê", "ô"]
    return (
        onsets[n % len(onsets)]
        + vowels[(n // len(onsets)) % len(vowels)]
        + "n" * (1 + n // (len(onsets) * len(vowels)))
    )


def test_candidates_of_a_text_are_decoded_once(monkeypatch):
    """Matchers ask for the legacy readings of the same label for every district and form."""
    label = f"{_fresh_syllable()} Ninh"
    calls = counting(monkeypatch, legacy, "decode_legacy")
    first = legacy.legacy_candidates(label)
    again = legacy.legacy_candidates(label)
    assert first == again
    assert len(calls) == len(legacy.LEGACY_ENCODINGS)
    again.append(("x", "y"))  # each call returns its own list
    assert legacy.legacy_candidates(label) == first
    assert legacy.legacy_candidates("Phó Ninh") == [("tcvn3", "Phú Ninh"), ("vni", "Phĩ Ninh")]


def test_a_word_repeated_in_a_text_is_checked_once(monkeypatch):
    word = _fresh_syllable()
    calls = counting(monkeypatch, legacy, "strip_diacritics")
    assert legacy._plausible(f"{word} {word} {word}")
    assert legacy._plausible(f"{word}, {word}")
    assert len(calls) == 1


def test_a_text_in_unicode_letters_is_judged_once(monkeypatch):
    """Genuine Unicode text (ư, ơ, ạ…) is no mojibake: decided once per distinct text."""
    label = f"Hội {_fresh_syllable()}"
    calls = counting(monkeypatch, legacy, "_looks_genuine")
    assert [legacy.detect_legacy(label) for _ in range(3)] == [None] * 3
    assert [legacy.legacy_candidates(label) for _ in range(3)] == [[]] * 3
    assert len(calls) <= 2


# ---------------------------------------------------------------------------
# Fast paths equal to the plain algorithms
# ---------------------------------------------------------------------------

_LATIN1 = [chr(i) for i in range(0xA0, 0x100)]
_ALPHABET = (
    sorted(VIETNAMESE_LETTERS)
    + _LATIN1
    + list("ŒœŠšŸŽžƒˆ˜–—‘’‚“”„†‡•…‰‹›€™")
    + list(" \u00a0\u2003\n\t.,-'0123456789()/\u200b")
    + ["\u0300", "\u0301", "\u0309", "\u0303", "\u0323", "\u031b", "\u0302", "\u034f", "\u20dd"]
)
texts = st.text(st.sampled_from(_ALPHABET), max_size=24)
# Vietnamese text and its legacy mojibake, in every case
words = st.text(st.sampled_from(sorted(VIETNAMESE_LETTERS) + [" "]), min_size=1, max_size=16)
mojibake = st.builds(
    lambda w, enc, case: encode_legacy(getattr(w, case)(), enc),
    words,
    st.sampled_from(legacy.LEGACY_ENCODINGS),
    st.sampled_from(["lower", "upper", "title", "strip"]),
)


def _recase_reference(raw: str, decoded: str) -> str:
    """`legacy._tcvn3_recase` as first written (character by character)."""
    ascii_letters = [c for c in raw if c.isascii() and c.isalpha()]
    inner_capital = any(any(c.isascii() and c.isupper() for c in w[1:]) for w in raw.split())
    if inner_capital and all(c.isupper() for c in ascii_letters):
        return decoded.upper()
    if len(raw) != len(decoded):
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


@settings(max_examples=400, deadline=None)
@given(st.one_of(texts, mojibake))
def test_tcvn3_decoding_equals_the_character_by_character_one(s):
    dec = legacy._tables("tcvn3")[1]
    plain = "".join(dec.get(c, c) for c in s)
    assert s.translate(legacy._tcvn3_translation()) == plain
    assert legacy._tcvn3_recase(s, plain) == _recase_reference(s, plain)
    assert legacy._tcvn3_recase(s, plain.lower()) == _recase_reference(s, plain.lower())
    assert legacy.decode_legacy(s, "tcvn3") == unicodedata.normalize(
        "NFC", _recase_reference(s, plain)
    )


@settings(max_examples=400, deadline=None)
@given(st.one_of(texts, mojibake))
def test_prefilters_equal_the_plain_checks(s):
    genuine = any(c in UNICODE_ONLY_LETTERS or unicodedata.combining(c) for c in s)
    assert legacy._looks_genuine(s) == genuine
    dec = legacy._tables("tcvn3")[1]
    assert s.translate(legacy._tcvn3_blanks()) == "".join(" " if c in dec else c for c in s)


def _normalize_reference(s: str) -> str:
    """`text.normalize` with every word handed to the tone placement (no pre-test)."""
    if s.isascii():
        return " ".join(s.split())
    s = unicodedata.normalize("NFC", re.sub("[\u200b\u200c\u200d\ufeff\u2060]", "", s))
    s = " ".join(s.split())
    return unicodedata.normalize(
        "NFC", re.sub(r"[^\W\d_]+", lambda m: text._retone_word(m.group(0)), s)
    )


old_style = st.text(
    st.sampled_from(list("oOuUqQhHkKtT aeyAEY1") + sorted(text._OLD_STYLE_LAST)), max_size=16
)


@settings(max_examples=500, deadline=None)
@given(st.one_of(texts, old_style))
def test_normalize_and_strip_diacritics_equal_the_plain_algorithms(s):
    assert text.normalize(s) == _normalize_reference(s)
    d = unicodedata.normalize("NFD", s)
    plain = "".join(ch for ch in d if not unicodedata.combining(ch))
    assert text.strip_diacritics(s) == plain.replace("đ", "d").replace("Đ", "D")


def test_old_style_tones_are_still_moved():
    assert text.normalize("Hoà Thuỷ khoẻ, QUÝ Hoàng xoà1") == "Hòa Thủy khỏe, QUÝ Hoàng xòa1"
    assert text.strip_diacritics("a\u034fb Đức") == "a\u034fb Duc"  # the joiner is no mark
