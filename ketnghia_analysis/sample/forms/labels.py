"""Commune and partner labels as districts type them: unit words, abbreviations, aliases, spaces."""

from __future__ import annotations

import numpy as np

from ketnghia_analysis.core.address import a1
from ketnghia_analysis.sample.forms.style import Ctx

_ROMAN = {" I": " 1", " II": " 2", " III": " 3"}
# Minority-language names spelled another way (curly apostrophes, split or joined words,
# the spelling of the domain brief: "Zuôih", "La Êê").
MINORITY_SPELLINGS = {
    "Ch'ơm": "Ch’ơm",
    "Tr'Hy": "Tr’Hy",
    "Laêê": "La Êê",
    "Zuôich": "Zuôih",
    "P Rao": "Prao",
    "A Rooi": "ARooi",
}
SPACE_VARIATION = {"nbsp": "text_nbsp", "zw": "text_zero_width", "double": "text_double_spaces"}


def commune_label(name: str, ctype: str, mode: str, rng: np.random.Generator) -> tuple[str, str]:
    """A commune label in one of the styles of returns.md, and the variation it shows."""
    if mode == "mixed":
        mode = ("official", "lower", "bare", "abbrev")[int(rng.integers(4))]
    unit = {"xã": "Xã ", "phường": "Phường ", "thị trấn": "Thị trấn "}.get(ctype, "")
    bare = name[len(unit) :] if unit and name.startswith(unit) else name
    variation = "name_unit_word"
    if mode == "lower":
        label, variation = unit.lower() + bare, "name_lowercase_unit"
    elif mode == "bare":
        label, variation = bare, "name_bare"
    elif mode == "abbrev":
        abbrev = {"xã": "X. ", "phường": "P. ", "thị trấn": "TT "}.get(ctype, "")
        label = abbrev + bare
        variation = "name_abbrev_tt" if ctype == "thị trấn" else "name_abbrev_x"
    else:
        label = name
    if mode != "official":
        for official, other in MINORITY_SPELLINGS.items():
            if label.endswith(official):
                return label[: -len(official)] + other, "name_minority_spelling"
        for roman, digit in sorted(_ROMAN.items(), key=lambda kv: -len(kv[0])):
            if label.endswith(roman):
                label = label[: -len(roman)] + digit
                variation = "name_arabic_numeral"
                break
    return label, variation


def spaced(label: str, how: str | None) -> str:
    """``label`` with a non-breaking, zero-width or doubled (and trailing) space.

    >>> spaced("Xã Trà Mai", "double")
    'Xã  Trà Mai '
    """
    if how == "nbsp":
        return label.replace(" ", "\u00a0", 1)
    if how == "zw":
        return label[:1] + "\u200b" + label[1:]
    if how == "double":
        return label.replace(" ", "  ", 1) + " "
    return label


def partner_label(
    partner_id: str, official: str, alias: float, ctx: Ctx, sheet: str, r: int, c: int
) -> str:
    """The partner's name, or with probability ``alias`` one of its alias spellings."""
    aliases = ctx.aliases.get(partner_id, [])
    if aliases and ctx.rng.random() < alias:
        ctx.place.add("partner_alias", ctx.file, sheet, a1(r, c))
        return aliases[int(ctx.rng.integers(len(aliases)))]
    return official
