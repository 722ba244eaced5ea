"""The synonym table of ``synonyms.yaml``: canonical columns of each form, value vocabularies.

Header wording varies from district to district; which words name which canonical column,
and which words name a model status, an NTM level or a partner type, is data an analyst
can extend in ``synonyms.yaml`` without touching code. Every phrase is kept folded
(``core.text.fold``: lower case, no diacritics, no punctuation) for comparison. Officers'
abbreviations ("SL", "HN", "KP", "tr.đ") are data too (``abbreviations:``), written out before
a header is compared (`expand_abbreviations`); ``content:`` holds the words that make a value
look like a unit's name (reading/header_content.py).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ketnghia_analysis.core.text import fold, normalize

SYNONYMS_PATH = Path(__file__).resolve().parent / "synonyms.yaml"

#: NTM criteria are numbered 1 to 19 (columns c01..c19).
N_CRITERIA = 19


@dataclass(frozen=True)
class ColumnSpec:
    """How headers name one canonical column, and the kind of values it holds."""

    name: str
    kind: str  # count, money, percent, year, mark, level, status, category, label, text
    synonyms: list[tuple[str, ...]]  # folded; a tuple = all of these phrases
    exclude: list[str]
    exact: list[str]
    label: str = ""  # the usual header as written (the first synonym), for messages


@dataclass(frozen=True)
class FormSpec:
    """One form (01/KN, 02/HN, 03/NTM, 04/MH): its title words and canonical columns."""

    form: str
    code: str
    numbers: list[str]
    title: list[str]
    required: list[str]
    min_columns: int
    label_columns: list[str]
    columns: dict[str, ColumnSpec]
    criteria_group: list[str] = field(default_factory=list)
    criteria_prefixes: list[str] = field(default_factory=list)
    criteria_names: dict[int, list[str]] = field(default_factory=dict)
    abbreviations: dict[str, str] = field(default_factory=dict)  # folded "sl" → "so luong"
    header_rows: int | None = None  # most header rows (None: the reader's default, 3)
    cache: dict = field(default_factory=dict, repr=False, compare=False)  # label → matches


@dataclass(frozen=True)
class Synonyms:
    """The whole table: forms, value vocabularies, words of the other sheets."""

    forms: dict[str, FormSpec]
    values: dict[str, Any]  # folded value vocabularies (status, ntm_level, partner_type, ...)
    sheets: dict[str, list[str]]
    fuzzy_threshold: float
    abbreviations: dict[str, str] = field(default_factory=dict)  # folded: "kp" → "kinh phi"
    content: dict[str, list[str]] = field(default_factory=dict)  # words of a column's values


def fold_phrase(text: object) -> str:
    """Folded comparison key of a phrase of the table.

    >>> fold_phrase("Tỷ lệ hộ nghèo (%)"), fold_phrase("  Số hộ  nghèo ")
    ('ty le ho ngheo', 'so ho ngheo')
    """
    return fold(normalize(str(text)))


def _fold_all(items: list[Any] | None) -> list[str]:
    return [fold_phrase(x) for x in items or []]


def _column_spec(name: str, cd: dict) -> ColumnSpec:
    first = (cd.get("synonyms") or cd.get("exact") or [name])[0]
    label = " … ".join(map(str, first)) if isinstance(first, list) else str(first)
    synonyms = [
        tuple(_fold_all(entry)) if isinstance(entry, list) else (fold_phrase(entry),)
        for entry in cd.get("synonyms") or []
    ]
    return ColumnSpec(
        name=name,
        kind=cd.get("kind", "text"),
        synonyms=synonyms,
        exclude=_fold_all(cd.get("exclude")),
        exact=_fold_all(cd.get("exact")),
        label=label,
    )


def _form_spec(form: str, fd: dict, abbreviations: dict[str, str]) -> FormSpec:
    cols = {name: _column_spec(name, cd) for name, cd in (fd.get("columns") or {}).items()}
    crit = fd.get("criteria") or {}
    if crit:
        for n in range(1, N_CRITERIA + 1):
            cols[f"c{n:02d}"] = ColumnSpec(f"c{n:02d}", "mark", [], [], [], f"Tiêu chí {n}")
    return FormSpec(
        form=form,
        code=str(fd.get("code", "")),
        numbers=_fold_all(fd.get("numbers")),
        title=_fold_all(fd.get("title")),
        required=list(fd.get("required") or []),
        min_columns=int(fd.get("min_columns", 3)),
        label_columns=list(fd.get("label_columns") or []),
        columns=cols,
        criteria_group=_fold_all(crit.get("group")),
        criteria_prefixes=sorted(_fold_all(crit.get("prefixes")), key=len, reverse=True),
        criteria_names={int(k): _fold_all(v) for k, v in (crit.get("names") or {}).items()},
        abbreviations=abbreviations,
        header_rows=int(fd["header_rows"]) if fd.get("header_rows") else None,
    )


def _vocabulary(vd: Any) -> Any:
    """A value vocabulary: code → folded phrases, or a plain list of folded phrases."""
    if isinstance(vd, dict):
        return {k: _fold_all(v) for k, v in vd.items()}
    return _fold_all(vd)


def parse_synonyms(data: dict) -> Synonyms:
    """Build the folded synonym table from the YAML structure (see synonyms.yaml)."""
    abbrev = {fold_phrase(k): fold_phrase(v) for k, v in (data.get("abbreviations") or {}).items()}
    forms = {form: _form_spec(form, fd, abbrev) for form, fd in (data.get("forms") or {}).items()}
    values = {key: _vocabulary(vd) for key, vd in (data.get("values") or {}).items()}
    sheets = {k: _fold_all(v) for k, v in (data.get("sheets") or {}).items()}
    content = {k: _fold_all(v) for k, v in (data.get("content") or {}).items()}
    threshold = float(data.get("fuzzy_threshold", 88))
    return Synonyms(forms, values, sheets, threshold, abbrev, content)


def expand_abbreviations(folded: str, table: dict[str, str]) -> str:
    """A folded header with its abbreviations written out (longest first, whole words).

    >>> expand_abbreviations("sl ho ngheo ck", {"sl": "so luong", "ck": "cuoi ky"})
    'so luong ho ngheo cuoi ky'
    >>> expand_abbreviations("kp tr d", {"kp": "kinh phi", "tr d": "trieu dong"})
    'kinh phi trieu dong'

    Memoised per table (the eight forms share one table and look at the same headers);
    a table is not changed once loaded.
    """
    memo = _EXPANDED.get(id(table))
    if memo is None or memo[0] is not table:
        if len(_EXPANDED) >= 64:
            _EXPANDED.clear()
        memo = _EXPANDED[id(table)] = (table, {})
    hit = memo[1].get(folded)
    if hit is None:
        hit = _expand(folded, table)
        if len(memo[1]) < 200_000:
            memo[1][folded] = hit
    return hit


#: id(table) → (table, folded header → expanded): `expand_abbreviations` memoised; the
#: table is held so that its id is not reused while its entry lives.
_EXPANDED: dict[int, tuple[dict[str, str], dict[str, str]]] = {}


def _expand(folded: str, table: dict[str, str]) -> str:
    tokens = folded.split()
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for n in (3, 2, 1):
            key = " ".join(tokens[i : i + n])
            if i + n <= len(tokens) and key in table:
                out.append(table[key])
                i += n
                break
        else:
            out.append(tokens[i])
            i += 1
    return " ".join(out)


@functools.lru_cache(maxsize=8)
def load_synonyms(path: str | None = None) -> Synonyms:
    """Load (once) the synonym table; `path` defaults to reference/synonyms.yaml."""
    import yaml

    p = Path(path) if path else SYNONYMS_PATH
    with open(p, encoding="utf-8") as fh:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        return parse_synonyms(yaml.load(fh, Loader=loader))  # noqa: S506 - a safe loader
