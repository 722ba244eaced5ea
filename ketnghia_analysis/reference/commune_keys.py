"""What commune matching makes of a label on its own, whatever the district and year.

A typed label gives its spellings (mojibake fixed, then each legacy decoding), each
spelling its lookup keys (folded, numerals unified, unit prefix stripped) and each key its
form without spaces; :func:`same_text` says whether a spelling is an official name as
written. None of it depends on the gazetteer, so it is computed once per label and cached:
a build matches the same labels in many districts and years (issue #18).
"""

from __future__ import annotations

import functools
import re

from ketnghia_analysis.core import legacy, text
from ketnghia_analysis.reference.commune_labels import clean_label

__all__ = ["canon", "label_keys", "label_variants", "lookup_keys", "same_text", "split_type"]

# Labels cached per process (a province has ~250 units; a national batch ~10,000 labels).
_CACHE_SIZE = 200_000

# Folded unit prefixes, longest first ("thi tran" before "t...").
_PREFIXES = ("thi tran", "phuong", "xa", "tt", "p", "x")
_PREFIX_TYPE = {
    "thi tran": "thị trấn",
    "tt": "thị trấn",
    "phuong": "phường",
    "p": "phường",
    "xa": "xã",
    "x": "xã",
}
_TYPE_WORDS = (("Thị trấn", "thị trấn"), ("Phường", "phường"), ("Xã", "xã"))
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5"}


def canon(key: str) -> str:
    """Unify numerals in a folded key: "tam xuan i" → "tam xuan 1"."""
    return " ".join(_ROMAN.get(t, t) for t in key.split())


def split_type(name: str) -> tuple[str | None, str]:
    """Official name → (type, name without the type word)."""
    for word, typ in _TYPE_WORDS:
        if name.startswith(word + " "):
            return typ, name[len(word) + 1 :]
    return None, name


@functools.lru_cache(maxsize=_CACHE_SIZE)
def label_variants(raw: str) -> tuple[str, ...]:
    """The spellings a typed label may stand for: as written (mojibake fixed, marks around
    the name removed), then each distinct legacy decoding.

    >>> label_variants("Xã Trà Dơn (*)")
    ('Xã Trà Dơn',)
    """
    variants = [clean_label(text.normalize(legacy.fix_mojibake(raw)))]
    for _, decoded in legacy.legacy_candidates(raw):
        decoded = clean_label(text.normalize(decoded))
        if decoded not in variants:
            variants.append(decoded)
    return tuple(variants)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def lookup_keys(label: str) -> tuple[tuple[str, str, str | None], ...]:
    """:func:`label_keys` with each key's form without spaces: (key, compact key, type)."""
    full = canon(text.fold(label))
    keys: list[tuple[str, str, str | None]] = [(full, full.replace(" ", ""), None)]
    for p in _PREFIXES:
        if full.startswith(p + " ") and len(full) > len(p) + 1:
            rest = full[len(p) + 1 :]
            keys.append((rest, rest.replace(" ", ""), _PREFIX_TYPE[p]))
            break
    return tuple(keys)


def label_keys(label: str) -> list[tuple[str, str | None]]:
    """Candidate lookup keys of a (normalized) label, most literal first.

    Each key comes with the unit type its stripped prefix implies (None if none).

    Examples
    --------
    >>> label_keys("X. Trà Mai")
    [('x tra mai', None), ('tra mai', 'xã')]
    >>> label_keys("P Rao")
    [('p rao', None), ('rao', 'phường')]
    >>> label_keys("Xã Tam Xuân I")
    [('xa tam xuan 1', None), ('tam xuan 1', 'xã')]
    """
    return [(key, typ) for key, _, typ in lookup_keys(label)]


_SPACES = re.compile(r"\s+")


@functools.lru_cache(maxsize=_CACHE_SIZE)
def same_text(label: str, bare: str, name: str, fold_case: bool = False) -> bool:
    """True when the label, without its unit prefix, is the official name as written
    (``name``, or ``bare`` without its type word; diacritics kept; case ignored when
    ``fold_case``).

    >>> same_text("X. Trà Mai", "Trà Mai", "Xã Trà Mai"), same_text("xã trà mai", "Trà Mai", "Xã Trà Mai")
    (True, False)
    """
    lab = _SPACES.sub(" ", label).strip()
    if fold_case:
        lab, bare, name = lab.casefold(), bare.casefold(), name.casefold()
    for word in ("Thị trấn", "Phường", "Xã", "TT.", "TT", "X.", "P."):
        w = word.casefold() if fold_case else word
        if lab.startswith(w + " "):
            lab = lab[len(w) + 1 :].strip()
            break
    # a zero-width character typed in place of a space leaves the words joined
    return lab in (bare, name) or lab.replace(" ", "") in (
        bare.replace(" ", ""),
        name.replace(" ", ""),
    )
