"""Partner registry: fold the spellings of one twinning unit into one partner_id.

A spelling is resolved on its own, against the shipped registry only (reference/partners.csv
and its aliases): never against the names other returns brought in, so that the id of a
name does not depend on the order of the files or on which other names a build holds. Two
names whose numbers, place names (communes and districts of the gazetteer) or unit words
differ are different units, however close their letters ("Đồn Biên phòng 661" / "665").
Close pairs that are not merged are listed for an analyst (`PartnerRegistry.review`).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from ketnghia_analysis.core.legacy import fix_mojibake, legacy_candidates
from ketnghia_analysis.core.text import normalize
from ketnghia_analysis.reference import gazetteer

if TYPE_CHECKING:
    import pandas as pd

# Conservative fuzzy matching: a spelling joins a known partner only when it is
# very close AND clearly closer to it than to any other partner.
FUZZY_MIN = 92.0
FUZZY_MARGIN = 4.0

# Words that do not distinguish a unit: "Sở Tài Chính tỉnh Quảng Nam" is "Sở Tài chính".
_TRAILING = re.compile(r"\s*(?:-|,)?\s*(?:(?:tinh|tp\.?|thanh pho)\s+)?quang nam\s*$")


def fold(text: object) -> str:
    """Fold a partner spelling to a comparison key: no tone marks, lower case, single spaces.

    >>> fold("Sở Tài Chính tỉnh Quảng Nam")
    'so tai chinh'
    >>> fold("  Sở  KH&ĐT ")
    'so kh&dt'
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    value = (
        unicodedata.normalize("NFD", fix_mojibake(str(text)))
        .replace("\u0111", "d")
        .replace("\u0110", "D")
    )
    value = "".join(ch for ch in value if unicodedata.category(ch) != "Mn")
    value = value.lower().replace("\u00a0", " ").replace("\u200b", "")
    value = re.sub(r"[^\w&]+", " ", value)
    value = re.sub(r"\s+", " ", value).strip()
    value = _TRAILING.sub("", value).strip()
    return value


def clean(text: object) -> str:
    """The spelling as shown to people: TCVN3/VNI mojibake decoded, NFC, single spaces."""
    return normalize(fix_mojibake(str(text)))


def _new_id(key: str) -> str:
    """Stable across builds and independent of file order: a hash of the folded name.

    Ten hex digits: among 15,000 new names in one build the chance that two share an id is
    about one in 10,000 (six digits gave several collisions, which merged distinct units).
    """
    return "PX" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:10].upper()


# ---------------------------------------------------------------------------------------
# What makes two names two units: numbers, places, unit words
# ---------------------------------------------------------------------------------------
#: Folded words and phrases that name the kind or level of a unit → their canonical form;
#: None marks phrases that only contain such a word ("xã hội" is not a commune).
UNIT_WORDS: dict[str, str | None] = {
    "tinh": "tinh",
    "huyen": "huyen",
    "xa": "xa",
    "phuong": "phuong",
    "thi tran": "thi tran",
    "thi xa": "thi xa",
    "tx": "thi xa",
    "thanh pho": "thanh pho",
    "tp": "thanh pho",
    "xa hoi": None,
    "thpt": "thpt",
    "trung hoc pho thong": "thpt",
    "thcs": "thcs",
    "trung hoc co so": "thcs",
    "th": "th",
    "tieu hoc": "th",
    "mn": "mn",
    "mam non": "mn",
    "mau giao": "mg",
    "ptdtnt": "ptdtnt",
    "pho thong dan toc noi tru": "ptdtnt",
    "ptdtbt": "ptdtbt",
    "pho thong dan toc ban tru": "ptdtbt",
    "don": "don",
    "tram": "tram",
    "dai doi": "dai doi",
    "tieu doan": "tieu doan",
    "trung doan": "trung doan",
    "su doan": "su doan",
    "lu doan": "lu doan",
    "chi nhanh": "chi nhanh",
    "phong giao dich": "phong giao dich",
    "chi cuc": "chi cuc",
    "cuc": "cuc",
    "trung tam": "trung tam",
    "truong": "truong",
    "benh vien": "benh vien",
    "cong ty": "cong ty",
    "ban": "ban",
    "hoi": "hoi",
}
#: Administrative level words: a one-word place name ("Xã Tư") counts only right after one.
_LEVELS = frozenset({"tinh", "huyen", "xa", "phuong", "thi tran", "thi xa", "thanh pho"})
_PLACE_TYPE = re.compile(r"^(?:xa|phuong|thi tran|huyen|thi xa|thanh pho|tinh) ")
_LONGEST = 5  # words of the longest phrase looked for


@dataclass(frozen=True)
class Signature:
    """The parts of a name that must agree for two spellings to be one unit.

    >>> signature("truong thpt so 1 nam giang") == signature("truong thpt so 2 nam giang")
    False
    """

    numbers: tuple[str, ...]
    places: frozenset[str]
    units: frozenset[str]


@functools.cache
def place_names() -> frozenset[str]:
    """Folded names of the gazetteer's communes (every name of every year) and districts,
    without their type word: "Huyện Nam Giang" → "nam giang"."""
    names = [
        *(row["name"] for row in gazetteer.commune_name_rows()),
        *(row["commune_name"] for row in gazetteer.commune_rows()),
        *(row["district_name"] for row in gazetteer.district_rows()),
    ]
    return frozenset(_PLACE_TYPE.sub("", fold(name)) for name in names) - {""}


def _phrases(tokens: list[str], table: dict | frozenset) -> list[tuple[int, str]]:
    """(position, phrase) of the phrases of `table` in `tokens`, longest first, no overlap."""
    found: list[tuple[int, str]] = []
    i = 0
    while i < len(tokens):
        for n in range(min(_LONGEST, len(tokens) - i), 0, -1):
            phrase = " ".join(tokens[i : i + n])
            if phrase in table:
                found.append((i, phrase))
                i += n
                break
        else:
            i += 1
    return found


def signature(key: str) -> Signature:
    """The numbers, places and unit words of a folded name.

    >>> s = signature("nhcsxh huyen nam giang")
    >>> sorted(s.places), sorted(s.units)
    (['nam giang'], ['huyen'])
    >>> signature("don bien phong 0661").numbers
    ('661',)
    """
    tokens = key.split()
    units = _phrases(tokens, UNIT_WORDS)
    level_ends = {i + len(p.split()) for i, p in units if UNIT_WORDS[p] in _LEVELS}
    places = {p for i, p in _phrases(tokens, place_names()) if " " in p or i in level_ends}
    return Signature(
        numbers=tuple(str(int(n)) for n in re.findall(r"\d+", key)),
        places=frozenset(places),
        units=frozenset(u for _, p in units if (u := UNIT_WORDS[p]) is not None),
    )


# ---------------------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Resolution:
    """How one spelling was resolved."""

    partner_id: str
    partner_name: str
    partner_type: str | None
    method: str  # "exact" | "fuzzy" | "new"
    score: float = 100.0


@dataclass(frozen=True)
class _Match:
    """What a spelling denotes: a pure function of the spelling and the shipped registry."""

    key: str
    text: str
    partner_id: str
    method: str
    score: float
    similar: str | None = None  # a known partner close to a new name, not merged


def _type_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _preferred(spellings: Counter[str]) -> str:
    """The spelling shown for a new partner: the most frequent, then not all capitals, then
    the first in alphabetical order (never the first met: that depends on file order)."""
    return min(spellings, key=lambda s: (-spellings[s], s.isupper(), s))


@dataclass
class PartnerRegistry:
    """The registry of twinning units, and the spellings met in returns.

    Parameters
    ----------
    known : DataFrame or rows (an iterable of mappings, such as ``gazetteer.partner_rows()``)
        partner_id, partner_name, partner_type, aliases (list of str or '|'-joined text).
    """

    known: gazetteer.Table
    _keys: dict[str, str] = field(default_factory=dict, init=False)
    _groups: dict[Signature, list[str]] = field(default_factory=dict, init=False)
    _rows: dict[str, dict] = field(default_factory=dict, init=False)
    _memo: dict[str, _Match | None] = field(default_factory=dict, init=False)
    _spellings: dict[str, Counter[str]] = field(default_factory=dict, init=False)
    _types: dict[str, Counter[str]] = field(default_factory=dict, init=False)
    _matches: dict[tuple[str, str], _Match] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        for rec in gazetteer.records(self.known):
            pid = str(rec["partner_id"]).strip()
            aliases = rec.get("aliases")
            if isinstance(aliases, str):
                aliases = [a for a in aliases.split("|") if a.strip()]
            elif aliases is None or (isinstance(aliases, float) and math.isnan(aliases)):
                aliases = []
            aliases = [clean(a) for a in aliases]
            self._rows[pid] = {
                "partner_id": pid,
                "partner_name": clean(rec["partner_name"]),
                "partner_type": _type_text(rec.get("partner_type")),
                "aliases": list(dict.fromkeys(aliases)),
            }
            for spelling in [rec["partner_name"], *aliases]:
                key = fold(spelling)
                if key and key not in self._keys:
                    self._keys[key] = pid
                    self._groups.setdefault(signature(key), []).append(key)

    @classmethod
    def load(cls, path: Path | None = None) -> PartnerRegistry:
        """The shipped registry (gazetteer.partners(), else reference/partners.csv), or the
        registry of the file at `path`. Each call gives a registry of its own, with no
        spelling counted yet."""
        if path is None:
            return _shipped().fresh()
        import pandas as pd

        frame = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False)
        return cls(frame)

    def fresh(self) -> PartnerRegistry:
        """A registry of the same known partners with nothing resolved yet. The parsed
        names are shared (only `__post_init__` writes them), not parsed again: a build
        gets the shipped registry in ~0 ms instead of ~40 ms (issue #18)."""
        registry = copy.copy(self)
        registry._memo, registry._spellings, registry._types = {}, {}, {}
        registry._matches = {}
        return registry

    def resolve(self, spelling: object, partner_type: object = None) -> Resolution | None:
        """The partner a spelling denotes, counted among the spellings of the build; an
        unknown partner is added, never dropped.

        The id depends only on the spelling and the shipped registry, never on the names
        resolved before. Returns None only for a blank spelling.
        """
        match = self._matched(spelling)
        if match is None:
            return None
        pid = match.partner_id
        self._spellings.setdefault(pid, Counter())[match.text] += 1
        ptype = _type_text(partner_type)
        if ptype is not None:
            self._types.setdefault(pid, Counter())[ptype] += 1
        self._matches.setdefault((pid, match.text), match)
        name, kind = self.canonical(pid)
        return Resolution(pid, name, kind, match.method, match.score)

    def lookup(self, spelling: object, partner_type: object = None) -> Resolution | None:
        """Like `resolve`, but nothing is recorded and a new partner keeps this spelling and
        type: the answer for one row, the same in any file and any worker."""
        match = self._matched(spelling)
        if match is None:
            return None
        if match.partner_id in self._rows:
            name, kind = self.canonical(match.partner_id)
        else:
            name, kind = match.text, _type_text(partner_type)
        return Resolution(match.partner_id, name, kind, match.method, match.score)

    def _matched(self, spelling: object) -> _Match | None:
        memo_key = spelling if isinstance(spelling, str) else repr(spelling)
        if memo_key not in self._memo:
            self._memo[memo_key] = self._match(spelling)
        return self._memo[memo_key]

    def canonical(self, partner_id: str) -> tuple[str, str | None]:
        """(name, type) of a partner: the registry's for a known partner; for a new one the
        preferred spelling seen and the most frequent type given (ties: alphabetical)."""
        row = self._rows.get(partner_id)
        if row is not None:
            return row["partner_name"], row["partner_type"]
        types = self._types.get(partner_id)
        kind = min(types, key=lambda t: (-types[t], t)) if types else None
        return _preferred(self._spellings[partner_id]), kind

    def _match(self, spelling: object) -> _Match | None:
        key = fold(spelling)
        if not key:
            return None
        text = clean(spelling)
        pid = self._keys.get(key)
        if pid is None:
            # short legacy-font texts ("BCHQS tænh") carry too little evidence for
            # fix_mojibake: try each decoding against the known spellings
            for _, decoded in legacy_candidates(str(spelling)):
                pid = self._keys.get(fold(decoded))
                if pid is not None:
                    text = clean(decoded)
                    break
        if pid is not None:
            return _Match(key, text, pid, "exact", 100.0)
        return self._fuzzy(key, text)

    def _fuzzy(self, key: str, text: str) -> _Match:
        """A known partner very close to the name, with the same numbers, places and unit
        words, and clearly closer than any other; else a new partner (with the closest known
        one as `similar` when it is close but not clearly the one)."""
        new = _Match(key, text, _new_id(key), "new", 0.0)
        choices = self._groups.get(signature(key), [])
        best = process.extract(key, choices, scorer=fuzz.ratio, limit=5) if choices else []
        if not best or best[0][1] < FUZZY_MIN:
            return new
        top_id = self._keys[best[0][0]]
        rivals = [s for k, s, _ in best[1:] if self._keys[k] != top_id]
        if rivals and best[0][1] - rivals[0] < FUZZY_MARGIN:
            return dataclasses.replace(new, similar=top_id)
        return _Match(key, text, top_id, "fuzzy", float(best[0][1]))

    def table(self) -> pd.DataFrame:
        """partners.parquet: partner_id, partner_name, partner_type, aliases (spellings seen)."""
        import pandas as pd

        rows = []
        for pid in [*self._rows, *sorted(set(self._spellings) - set(self._rows))]:
            name, kind = self.canonical(pid)
            known = self._rows[pid]["aliases"] if pid in self._rows else []
            seen = sorted(s for s in self._spellings.get(pid, ()) if s != name)
            aliases = list(dict.fromkeys([*known, *seen]))
            rows.append(
                {"partner_id": pid, "partner_name": name, "partner_type": kind, "aliases": aliases}
            )
        frame = pd.DataFrame(
            rows, columns=["partner_id", "partner_name", "partner_type", "aliases"]
        )
        return frame.sort_values("partner_id", kind="stable").reset_index(drop=True)

    def review(self) -> pd.DataFrame:
        """What an analyst should confirm, in id order: each new partner (with a close name it
        was not merged with, if any) and each spelling matched fuzzily to a known partner."""
        import pandas as pd

        close = _close_new_names(
            {m.key: m.partner_id for m in self._matches.values() if m.method == "new"}
        )
        rows: list[tuple[str, str, str, str | None]] = []
        for (pid, text), match in sorted(self._matches.items()):
            if match.method == "fuzzy":
                rows.append((pid, text, f"fuzzy {match.score:.0f}", None))
            elif match.method == "new" and text == self.canonical(pid)[0]:
                rows.append((pid, text, "new", match.similar or close.get(pid)))
        return pd.DataFrame(rows, columns=["partner_id", "partner_name", "method", "similar"])


# ---------------------------------------------------------------------------------------
# Close new names: uncertain pairs go to review, never to a merge
# ---------------------------------------------------------------------------------------
_WINDOW = 4  # neighbours compared in each sorted order


def _close_new_names(new: dict[str, str]) -> dict[str, str]:
    """new partner id → the id of another new partner with a very close name and the same
    signature, for review. Names are compared with their neighbours in alphabetical order
    and in the order of their reversed letters (a typo at the end, or at the start), so
    the work grows linearly with the number of names, whatever their order of arrival."""
    groups: dict[Signature, list[str]] = {}
    for key in new:
        groups.setdefault(signature(key), []).append(key)
    close: dict[str, str] = {}
    for keys in groups.values():
        for order in (sorted(keys), sorted(keys, key=lambda k: k[::-1])):
            for i, key in enumerate(order):
                for other in order[i + 1 : i + 1 + _WINDOW]:
                    if fuzz.ratio(key, other) >= FUZZY_MIN:
                        a, b = new[key], new[other]
                        close[a] = min(close.get(a, b), b)
                        close[b] = min(close.get(b, a), a)
    return close


@functools.cache
def _shipped() -> PartnerRegistry:
    """The shipped registry, parsed once per process; callers take `fresh` copies."""
    return PartnerRegistry(gazetteer.partner_rows())
