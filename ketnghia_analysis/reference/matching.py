"""Commune label → GSO commune code, for the year and district of a return.

Labels in the returns are typed by hand: "Xã Trà Mai", "X. Trà Mai", "TRÀ MAI", "Tra Mai",
TCVN3/VNI mojibake ("Trµ Mai"), old tone placement ("Hoà"), Roman or Arabic numerals
("Tam Xuân I" / "Tam Xuân 1"), minority names written with or without spaces ("Laêê" /
"La Êê", "P Rao" / "Prao") and apostrophes of every kind ("Ch'ơm", "Ch’ơm").

The matcher tries, in order, fast dictionary lookups on

1. the label as written and with its unit prefix removed ("Xã", "X.", "TT", "Thị trấn",
   "P.", "Phường"; "P Rao" is itself a name, so the unprefixed form is tried first),
2. the same keys without spaces,

and only then rapidfuzz on the folded names of the district (or the province when no
district is given). Names valid in the return's year win; a name the code carried in
another year gives the code with confidence < 1 and ``method="renamed"``; the name of a
unit merged away gives its successor with ``method="merged"``, so the build can warn.
A local spelling registered in ``commune_aliases.csv`` (tried after the official names,
before rapidfuzz) gives its commune with ``method="alias"`` and confidence 1.0.

``CommuneMatcher.match`` never raises.
"""

from __future__ import annotations

import bisect
import csv
import functools
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from ketnghia_analysis.core import text
from ketnghia_analysis.reference import gazetteer
from ketnghia_analysis.reference.commune_keys import (
    canon,
    label_keys,
    label_variants,
    lookup_keys,
    same_text,
    split_type,
)
from ketnghia_analysis.reference.commune_labels import clean_label, code_digits
from ketnghia_analysis.reference.gazetteer import Table

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CommuneMatcher",
    "Match",
    "alias_rows",
    "clean_label",
    "commune_aliases",
    "label_keys",
]

# Local spellings of commune names, editable by analysts (docs/reference-data.md).
ALIASES_FILE = Path(__file__).with_name("commune_aliases.csv")
_ALIAS_COLUMNS = ["commune_code", "alias", "note"]

# Confidence of matches that are right but not in the year's own name.
RENAMED_CONFIDENCE = 0.9
MERGED_CONFIDENCE = 0.85
# Fuzzy acceptance: best score (0–100) and margin over the next distinct code.
FUZZY_MIN_SCORE = 80.0
FUZZY_MIN_MARGIN = 5.0
FUZZY_MAX_CONFIDENCE = 0.99

# Memoised labels per matcher (a province has ~250 units; a national batch ~10,000 labels).
_MEMO_SIZE = 200_000


@dataclass(frozen=True)
class Match:
    """Result of matching one label.

    ``method`` is "exact", "folded" or "alias" (a registered local spelling; confidence 1.0), "renamed" or "merged" (a name of
    another year, confidence < 1), "fuzzy" (< 1), "ambiguous" or "none" (code None,
    ``suggestions`` lists candidates as (code, name, score 0–1)).
    """

    code: str | None
    name: str | None
    confidence: float
    method: str
    suggestions: list[tuple[str, str, float]] = field(default_factory=list)


def alias_rows(path: Path | None = None) -> list[dict[str, str]]:
    """The rows of :func:`commune_aliases` as dicts, without pandas."""
    with (path or ALIASES_FILE).open(encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    rows = [
        {k: (row.get(k) or "").strip() for k in _ALIAS_COLUMNS} for row in csv.DictReader(lines)
    ]
    return [row for row in rows if row["commune_code"] != "" and row["alias"] != ""]


def commune_aliases(path: Path | None = None) -> pd.DataFrame:
    """The registered local spellings: commune_code, alias, note (text; blank rows dropped).

    Leading ``#`` lines of the file are comments.
    """
    import pandas as pd

    return pd.DataFrame(alias_rows(path), columns=_ALIAS_COLUMNS, dtype="object")


def _year_of(value: object, default: int) -> int:
    """The year of a date cell (``datetime.date``, Timestamp, text …); default when missing."""
    try:
        if value is None or value != value:  # None, NaN, NaT
            return default
    except TypeError:  # pd.NA
        return default
    year = getattr(value, "year", None)
    if isinstance(year, int):
        return year
    import pandas as pd

    return default if pd.isna(value) else pd.Timestamp(value).year


@dataclass
class _Name:
    code: str
    name: str  # official name with type word
    bare: str  # without the type word, normalized
    typ: str | None
    first_year: int
    last_year: int  # inclusive; 9999 when still valid


class CommuneMatcher:
    """Match commune labels to GSO codes.

    Each table is a DataFrame or rows (an iterable of mappings column → value); the
    defaults are the gazetteer's plain rows, so building the matcher needs no pandas.

    Parameters
    ----------
    names : DataFrame or rows, optional
        commune_code, name, valid_from, valid_to (default: ``gazetteer.commune_name_rows()``).
    communes : DataFrame or rows, optional
        commune_code, district_code, valid_from, valid_to, successor_code (default:
        ``gazetteer.commune_rows()``).
    districts : DataFrame or rows, optional
        district_code, valid_to, successor_code (default: ``gazetteer.district_rows()``);
        lets a 2025 label of a Nông Sơn commune match under Quế Sơn too.
    aliases : DataFrame or rows, optional
        commune_code, alias: local spellings (default: :func:`alias_rows`).

    Examples
    --------
    >>> m = CommuneMatcher()
    >>> m.match("X. Trà Mai", "516", 2021).code
    '20944'
    >>> m.match("Phước Hòa", None, 2021).method
    'ambiguous'
    """

    def __init__(
        self,
        names: Table | None = None,
        communes: Table | None = None,
        districts: Table | None = None,
        aliases: Table | None = None,
    ) -> None:
        self._memo: dict[tuple, Match] = {}
        self._candidate_memo: dict[tuple, tuple[dict[int, str], dict[int, str]]] = {}
        if names is None:
            names = gazetteer.commune_name_rows()
        if communes is None:
            communes = gazetteer.commune_rows()
        if districts is None:
            try:
                districts = gazetteer.district_rows()
            except Exception:  # noqa: BLE001 - custom tables without districts
                districts = ()

        self._district: dict[str, str] = {}
        self._unit_years: dict[str, tuple[int, int]] = {}
        self._successor: dict[str, str] = {}
        for r in gazetteer.records(communes):
            code = str(r["commune_code"])
            self._district[code] = str(r["district_code"])
            self._unit_years[code] = (_year_of(r["valid_from"], 0), _year_of(r["valid_to"], 9999))
            succ = r.get("successor_code")
            if isinstance(succ, str) and succ.strip():
                self._successor[code] = succ.strip()
        # district code → (successor district, first year it applies)
        self._district_successor: dict[str, tuple[str, int]] = {}
        for r in gazetteer.records(districts):
            succ = r.get("successor_code")
            if isinstance(succ, str) and succ.strip():
                self._district_successor[str(r["district_code"])] = (
                    succ.strip(),
                    _year_of(r["valid_to"], 9998) + 1,
                )
        self._known_districts = set(self._district.values())

        self._names: list[_Name] = []
        for r in gazetteer.records(names):
            name = text.normalize(str(r["name"]))
            typ, bare = split_type(name)
            self._names.append(
                _Name(
                    code=str(r["commune_code"]),
                    name=str(r["name"]),
                    bare=bare,
                    typ=typ,
                    first_year=_year_of(r["valid_from"], 0),
                    last_year=_year_of(r["valid_to"], 9999),
                )
            )
        # folded bare key → name records; same without spaces
        self._by_key: dict[str, list[int]] = defaultdict(list)
        self._by_compact: dict[str, list[int]] = defaultdict(list)
        for i, n in enumerate(self._names):
            k = canon(text.fold(n.bare))
            self._by_key[k].append(i)
            self._by_compact[k.replace(" ", "")].append(i)
        self._keys = [canon(text.fold(n.bare)) for n in self._names]
        self._names_of: dict[str, list[_Name]] = defaultdict(list)
        for n in self._names:
            self._names_of[n.code].append(n)
        self._aliases = self._alias_index(alias_rows() if aliases is None else aliases)
        # Every year at which a validity comparison (_name_valid, _unit_valid, _in_district)
        # can change its answer: the memo of `match` keys on the span between two of them.
        cuts = {n.first_year for n in self._names} | {n.last_year + 1 for n in self._names}
        cuts |= {first for first, _ in self._unit_years.values()}
        cuts |= {last + 1 for _, last in self._unit_years.values()}
        cuts |= {first for _, first in self._district_successor.values()}
        self._cuts = sorted(cuts)

    @staticmethod
    def _alias_index(aliases: Table) -> dict[str, set[str]]:
        """Folded key of every registered spelling (with and without prefix and spaces) → codes."""
        index: dict[str, set[str]] = defaultdict(set)
        for row in gazetteer.records(aliases):
            code, alias = row["commune_code"], row["alias"]
            for key, _ in label_keys(text.normalize(str(alias))):
                index[key].add(str(code).strip())
                index[key.replace(" ", "")].add(str(code).strip())
        return dict(index)

    def _alias(self, label: str, district: str | None, year: int | None) -> Match | None:
        """The commune of a registered local spelling, followed to its successor if merged."""
        for key, compact, _ in lookup_keys(label):
            for k in (key, compact):
                resolved = (self._resolve(c, year) for c in self._aliases.get(k, ()))
                codes = {c for c in resolved if c and self._in_district(c, district, year)}
                if len(codes) == 1:
                    code = codes.pop()
                    return Match(code, self.name_in_year(code, year), 1.0, "alias", [])
                if codes:
                    return self._ambiguous(sorted(codes), year)
        return None

    # ---- helpers ------------------------------------------------------------------------
    def _in_district(self, code: str, district: str | None, year: int | None) -> bool:
        if district is None:
            return True
        own = self._district.get(code)
        if own == district:
            return True
        succ = self._district_successor.get(own or "")
        return bool(succ and succ[0] == district and (year is None or year >= succ[1]))

    def _unit_valid(self, code: str, year: int | None) -> bool:
        if year is None:
            return True
        first, last = self._unit_years.get(code, (0, 9999))
        return first <= year <= last

    def _name_valid(self, n: _Name, year: int | None) -> bool:
        return year is None or n.first_year <= year <= n.last_year

    def by_code(self, code: object, district_code: object, year: object) -> Match | None:
        """The commune of a GSO code as a return types it ("20938", 20938.0, "'20938"), when
        the code exists in the gazetteer, in the district, in the year (a unit merged away
        gives its successor, ``method="merged"``); None otherwise.

        >>> CommuneMatcher().by_code(20938.0, "516", 2023).name
        'Xã Trà Dơn'
        >>> CommuneMatcher().by_code("99999", "516", 2023) is None
        True
        """
        digits = code_digits(code)
        if digits is None or digits not in self._district:
            return None
        district, yr = self._clean_district(district_code), self._clean_year(year)
        target = self._resolve(digits, yr)
        if target is None or not self._in_district(target, district, yr):
            return None
        name = self.name_in_year(target, yr)
        if target == digits:
            return Match(target, name, 1.0, "code", [])
        return Match(target, name, MERGED_CONFIDENCE, "merged", [])

    def name_in_year(self, code: str, year: int | None) -> str | None:
        """Official name of ``code`` in ``year`` (the one valid on 31 December)."""
        own = self._names_of.get(code, [])
        cands = [n for n in own if self._name_valid(n, year)] or own
        if not cands:
            return None
        return max(cands, key=lambda n: n.first_year).name

    def _resolve(self, code: str, year: int | None) -> str | None:
        """Follow successors until a unit valid in ``year``."""
        seen: set[str] = set()
        while not self._unit_valid(code, year):
            if code in seen or code not in self._successor:
                return None
            seen.add(code)
            code = self._successor[code]
        return code

    # ---- matching -----------------------------------------------------------------------
    def match(self, label: object, district_code: object, year: object) -> Match:
        """Match one label; never raises (garbage → ``Match(None, …, method="none")``).

        Results are memoised per (label, district, span of years): a build matches the same
        labels again and again (identity clues, then each form; the same district every
        year; issue #9). A year only enters matching through validity comparisons with the
        gazetteer's years, so the years between two consecutive boundaries give the same
        result. What depends on the label alone is cached apart (``commune_keys``), so a
        label seen in another district or span costs ~10 µs, a new one ~40 µs (issue #18).
        Each call returns its own copy, so a caller may change it freely.
        """
        try:
            district, yr = self._clean_district(district_code), self._clean_year(year)
        except Exception:  # noqa: BLE001 - a district code that is neither text nor number
            return Match(None, None, 0.0, "none", [])
        span = None if yr is None else bisect.bisect_right(self._cuts, yr)
        try:
            key = (type(label), label, district, span)
            hit = self._memo.get(key)
        except Exception:  # noqa: BLE001 - an unhashable label: match it without the memo
            key, hit = None, None
        if hit is None:
            try:
                hit = self._match(label, district, yr)
            except Exception:  # noqa: BLE001 - a matcher must not stop a build
                hit = Match(None, None, 0.0, "none", [])
            if key is not None and len(self._memo) < _MEMO_SIZE:
                self._memo[key] = hit
        return Match(hit.code, hit.name, hit.confidence, hit.method, list(hit.suggestions))

    def _match(self, label: object, district: str | None, yr: int | None) -> Match:
        if label is None or (isinstance(label, float) and math.isnan(label)):
            return Match(None, None, 0.0, "none", self._suggest("", district, yr))
        variants = label_variants(str(label))

        for variant in variants:
            found = self._lookup(variant, district, yr)
            if found is not None:
                return found
        for variant in variants:
            found = self._alias(variant, district, yr)
            if found is not None:
                return found
        return self._fuzzy(variants[0], district, yr)

    @staticmethod
    def _clean_year(year: object) -> int | None:
        if year is None:
            return None
        try:
            y = int(year)  # type: ignore[call-overload]
        except (TypeError, ValueError, OverflowError):
            return None
        return y

    def _clean_district(self, district_code: object) -> str | None:
        if district_code is None:
            return None
        if isinstance(district_code, float):
            if math.isnan(district_code):
                return None
            district_code = int(district_code)
        d = str(district_code).strip()
        return d if d in self._known_districts else None

    def _lookup(self, label: str, district: str | None, year: int | None) -> Match | None:
        for key, compact, prefix_type in lookup_keys(label):
            for index, k in ((self._by_key, key), (self._by_compact, compact)):
                hits = [
                    i
                    for i in index.get(k, [])
                    if self._in_district(self._names[i].code, district, year)
                ]
                if hits:
                    return self._decide(label, hits, prefix_type, district, year)
        return None

    def _decide(
        self,
        label: str,
        hits: list[int],
        prefix_type: str | None,
        district: str | None,
        year: int | None,
    ) -> Match | None:
        recs = [self._names[i] for i in hits]
        current = [n for n in recs if self._name_valid(n, year) and self._unit_valid(n.code, year)]
        if current:
            codes = sorted({n.code for n in current})
            if len(codes) > 1:
                # a label that keeps its diacritics may separate names that fold alike
                for fold_case in (False, True):
                    exact = sorted(
                        {n.code for n in current if same_text(label, n.bare, n.name, fold_case)}
                    )
                    if len(exact) == 1:
                        codes = exact
                        break
            if len(codes) == 1:
                code = codes[0]
                # In the year of a change of type both names are current (20560 was "Xã …"
                # until 9/4/2023 and "Phường …" from 10/4/2023): prefer the one whose type
                # word the label carries, so neither is reported as an old name.
                own = [x for x in current if x.code == code]
                n = next((x for x in own if prefix_type and x.typ == prefix_type), own[0])
                if (
                    prefix_type
                    and n.typ
                    and prefix_type != n.typ
                    and any(
                        o.code == code and o.typ == prefix_type and o.bare == n.bare for o in recs
                    )
                ):
                    # "Xã Điện Thắng Bắc" in 2024: the name of the years before it became
                    # a phường (a wrong type word alone is only a typing habit).
                    return Match(
                        code, self.name_in_year(code, year), RENAMED_CONFIDENCE, "renamed", []
                    )
                method = "exact" if same_text(label, n.bare, n.name) else "folded"
                return Match(code, self.name_in_year(code, year), 1.0, method, [])
            return self._ambiguous(codes, year)
        # names of other years: renamed (same code still valid) or merged (successor)
        resolved: dict[str, str] = {}
        for n in recs:
            target = self._resolve(n.code, year)
            if target is None:
                continue
            if not self._in_district(target, district, year):
                continue
            method = "renamed" if target == n.code else "merged"
            if resolved.get(target) != "renamed":
                resolved[target] = method
        if len(resolved) == 1:
            code, method = next(iter(resolved.items()))
            conf = RENAMED_CONFIDENCE if method == "renamed" else MERGED_CONFIDENCE
            return Match(code, self.name_in_year(code, year), conf, method, [])
        if len(resolved) > 1:
            return self._ambiguous(sorted(resolved), year)
        return None

    def _ambiguous(self, codes: list[str], year: int | None) -> Match:
        sugg = [(c, self.name_in_year(c, year) or "", 1.0) for c in codes]
        return Match(None, None, 0.0, "ambiguous", sugg)

    def _candidates(
        self, district: str | None, year: int | None
    ) -> tuple[dict[int, str], dict[int, str]]:
        """Index → folded key, and the same without spaces, of every name of the district (or
        province) valid in year; memoised per district and span of years (see `match`)."""
        key = (district, None if year is None else bisect.bisect_right(self._cuts, year))
        found = self._candidate_memo.get(key)
        if found is None:
            cands = self._valid_names(district, year)
            found = (cands, {i: k.replace(" ", "") for i, k in cands.items()})
            self._candidate_memo[key] = found
        return found

    def _valid_names(self, district: str | None, year: int | None) -> dict[int, str]:
        out = {}
        for i, n in enumerate(self._names):
            if not self._in_district(n.code, district, year):
                continue
            if not (self._name_valid(n, year) and self._unit_valid(n.code, year)):
                continue
            out[i] = self._keys[i]
        if not out:  # year outside the gazetteer: every name of the district
            out = {
                i: self._keys[i]
                for i, n in enumerate(self._names)
                if self._in_district(n.code, district, year)
            }
        return out

    def _scores(self, key: str, district: str | None, year: int | None) -> list[tuple[str, float]]:
        """(code, best score 0–100) for the candidates, best first."""
        cands, compact = self._candidates(district, year)
        if not cands or not key:
            return [(self._names[i].code, 0.0) for i in list(cands)[:3]]
        best: dict[str, float] = {}
        for choices, query in ((cands, key), (compact, key.replace(" ", ""))):
            for _, score, i in process.extract(
                query, choices, scorer=fuzz.token_sort_ratio, limit=None
            ):
                code = self._names[i].code
                best[code] = max(best.get(code, 0.0), float(score))
        return sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))

    def _suggest(
        self, key: str, district: str | None, year: int | None
    ) -> list[tuple[str, str, float]]:
        return [
            (code, self.name_in_year(code, year) or "", round(score / 100.0, 3))
            for code, score in self._scores(key, district, year)[:3]
        ]

    def _fuzzy(self, label: str, district: str | None, year: int | None) -> Match:
        ranked: dict[str, float] = {}
        for key, _, _ in lookup_keys(label):
            for code, score in self._scores(key, district, year):
                ranked[code] = max(ranked.get(code, 0.0), score)
        order = sorted(ranked.items(), key=lambda kv: (-kv[1], kv[0]))
        sugg = [
            (code, self.name_in_year(code, year) or "", round(score / 100.0, 3))
            for code, score in order[:3]
        ]
        if order:
            top_code, top = order[0]
            second = order[1][1] if len(order) > 1 else 0.0
            if top >= FUZZY_MIN_SCORE and top - second >= FUZZY_MIN_MARGIN:
                conf = min(top / 100.0, FUZZY_MAX_CONFIDENCE)
                return Match(top_code, self.name_in_year(top_code, year), conf, "fuzzy", sugg)
        return Match(None, None, 0.0, "none", sugg)


@functools.cache
def shipped_matcher() -> CommuneMatcher:
    """The matcher of the shipped gazetteer, built once per process: the reader's identity
    clues and the normaliser share it (its memo is of pure answers; issue #18)."""
    return CommuneMatcher()
