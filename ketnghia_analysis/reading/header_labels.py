"""Header labels to canonical columns: one folded label path scored against the synonym
table of ``reference/synonyms.yaml`` (exact, synonym, criterion), then every column of a
flattened header mapped (`map_columns`: best matches first, then fuzzy with its confidence).

Step 4 of the header stage (`headers.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ketnghia_analysis.reading.grid import clean_text, fold_text, has_phrase
from ketnghia_analysis.reference.synonyms import ColumnSpec, FormSpec, expand_abbreviations

# ---------------------------------------------------------------------------
# Matching one label against the table
# ---------------------------------------------------------------------------

_NUM_LEAF = re.compile(r"^0*(\d{1,2})$")
_NUM_PREFIX = re.compile(r"^0*(\d{1,2})(?:\s+(.*))?$")


def _criterion_of(parts: list[str], spec: FormSpec) -> int | None:
    """Criterion number (1-19) named by a folded header path, or None."""
    if not spec.criteria_prefixes and not spec.criteria_names:
        return None
    leaf = parts[-1]
    ancestors = " ".join(parts[:-1])
    under_group = len(parts) > 1 and any(has_phrase(ancestors, g) for g in spec.criteria_group)
    for p in spec.criteria_prefixes:
        if leaf.startswith(p):
            rest = leaf[len(p) :].strip()
            m = _NUM_PREFIX.match(rest)
            if m:
                n = int(m.group(1))
                if 1 <= n <= 19:
                    return n
    m = _NUM_PREFIX.match(leaf)
    if m and 1 <= int(m.group(1)) <= 19:
        n = int(m.group(1))
        # "1. Quy hoạch" alone: a number followed by the criterion's own name
        if under_group or any(
            (m.group(2) or "").startswith(nm) for nm in spec.criteria_names.get(n, [])
        ):
            return n
    if not under_group:
        # a criterion's name alone as the whole header
        return _criterion_names(spec).get(leaf) if len(parts) == 1 else None
    for n, names in spec.criteria_names.items():
        # a criterion's name (or its beginning) under the group
        if any(leaf == nm or leaf.startswith(nm + " ") for nm in names):
            return n
    return None


def _criterion_names(spec: FormSpec) -> dict[str, int]:
    """Folded name of a criterion → its number (the first that has it), cached per form."""
    hit: dict[str, int] | None = spec.cache.get("__criterion_names__")
    if hit is None:
        hit = spec.cache["__criterion_names__"] = {}
        for n, names in spec.criteria_names.items():
            for nm in names:
                hit.setdefault(nm, n)
    return hit


def match_label(parts: list[str] | tuple[str, ...], col: ColumnSpec) -> tuple[float, str]:
    """Score of a folded header path for one canonical column.

    Returns (score, method); score 0 means no match. Exact whole-header matches score
    above 1000, synonym matches the total length of the matched phrases.
    """
    return _match(parts, _prepare(col))


@dataclass(frozen=True)
class _Phrases:
    """A column's phrases ready for `_match`: padded with spaces for whole-word search."""

    exclude: tuple[str, ...]  # " x "
    synonyms: tuple[tuple[tuple[str, ...], tuple[str, ...], float], ...]  # entry, " p ", length
    whole: frozenset[str]  # exact phrases and one-phrase synonyms: the whole header or leaf


def _prepare(col: ColumnSpec) -> _Phrases:
    return _Phrases(
        tuple(f" {x} " for x in col.exclude),
        tuple(
            (entry, tuple(f" {p} " for p in entry), float(sum(len(p) for p in entry)))
            for entry in col.synonyms
        ),
        frozenset([e[0] for e in col.synonyms if len(e) == 1] + list(col.exact)),
    )


def _match(parts: list[str] | tuple[str, ...], col: _Phrases) -> tuple[float, str]:
    full = " ".join(parts)
    leaf = parts[-1]
    if not full:
        return 0.0, "none"
    padded = f" {full} "
    for x in col.exclude:
        if x in padded:
            return 0.0, "none"
    # The whole header (or its leaf) written as a phrase: above 1000, more than any synonym
    # scores (the length of its phrases).
    if leaf in col.whole or full in col.whole:
        return 1000.0 + max(len(x) for x in (leaf, full) if x in col.whole), "exact"
    padded_leaf = f" {leaf} "
    best = 0.0
    method = "none"
    for entry, padded_entry, length in col.synonyms:
        # plain loops, not all()/any(): this runs for every candidate column of every label
        for q in padded_entry:
            if q not in padded:
                break
        else:
            s = length
            # A phrase found in the leaf is more telling than one in the group label.
            in_leaf = sum(
                len(p) for p, q in zip(entry, padded_entry, strict=True) if q in padded_leaf
            )
            s += 0.5 * in_leaf / max(len(leaf), 1)
            if s > best:
                best, method = s, "synonym"
    return best, method


def _word_index(spec: FormSpec) -> dict[str, set[str]]:
    """First word of every phrase → the canonical columns it may name (a fast pre-filter),
    cached per form."""
    hit = spec.cache.get("__words__")
    if hit is not None:
        return hit
    index: dict[str, set[str]] = {}
    for name, col in spec.columns.items():
        if col.kind == "mark" and name[1:].isdigit():
            continue
        for entry in col.synonyms:
            for p in entry:
                if p:
                    index.setdefault(p.split()[0], set()).add(name)
        for x in col.exact:
            if x:
                index.setdefault(x.split()[0], set()).add(name)
    spec.cache["__words__"] = index
    return index


def names_nothing(spec: FormSpec, label: str) -> bool:
    """True when a folded one-part label surely names no column of the form (then
    `label_matches` gives nothing): the form has no criteria, and no word of the label,
    as written or with its abbreviations written out, starts a phrase of the form.
    A cheap test for the many cells that are no header (titles, names, notes)."""
    if spec.criteria_prefixes or spec.criteria_names:
        return False
    index = _word_index(spec)
    if not index.keys().isdisjoint(label.split()):
        return False
    longer = expand_abbreviations(label, spec.abbreviations)
    return longer == label or index.keys().isdisjoint(longer.split())


def label_matches(spec: FormSpec, parts: tuple[str, ...]) -> list[tuple[float, str, str]]:
    """Every (score, canonical column, method) a folded header path matches (cached per form),
    as written and with its abbreviations written out ("SL hộ" → "số lượng hộ"), the better.

    A criterion header (c01..c19) gives only that criterion.
    """
    hit = spec.cache.get(parts)
    if hit is not None:
        return hit
    out = _label_matches(spec, parts)
    longer = tuple([expand_abbreviations(p, spec.abbreviations) for p in parts])
    if longer != parts:
        known = {name for _s, name, _m in out}
        out += [t for t in _label_matches(spec, longer) if t[1] not in known]
    if len(spec.cache) < 50_000:
        spec.cache[parts] = out
    return out


def _label_matches(spec: FormSpec, parts: tuple[str, ...]) -> list[tuple[float, str, str]]:
    cache = spec.cache
    out: list[tuple[float, str, str]] = []
    n = _criterion_of(list(parts), spec)
    if n is not None:
        out.append((900.0, f"c{n:02d}", "criterion"))
    else:
        index = _word_index(spec)
        words = set(" ".join(parts).split())
        names: set[str] = set()
        for w in words:
            if w in index:
                names |= index[w]
        order = cache.get("__order__")
        if order is None:
            order = cache["__order__"] = {name: i for i, name in enumerate(spec.columns)}
        prepared = cache.get("__phrases__")
        if prepared is None:
            prepared = cache["__phrases__"] = {}
        for name in sorted(names, key=order.__getitem__):
            phrases = prepared.get(name)
            if phrases is None:
                phrases = prepared[name] = _prepare(spec.columns[name])
            sc, m = _match(parts, phrases)
            if sc > 0:
                out.append((sc, name, m))
    return out


# ---------------------------------------------------------------------------
# Step 4: map columns to canonical names
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnMap:
    columns: dict[str, int]  # canonical → 0-based column
    confidence: dict[str, float]  # canonical → 1.0 exact/synonym, <1 fuzzy
    method: dict[str, str]  # canonical → "exact" | "synonym" | "criterion" | "fuzzy"
    labels: dict[int, str]  # column → flattened label "Group / Sub"
    unmapped: list[int]  # columns with a label but no canonical name


def _fuzzy_choices(spec: FormSpec) -> list[tuple[str, list[str]]]:
    """(canonical column, its one-phrase synonyms of 5+ letters) for fuzzy matching."""
    hit = spec.cache.get("__fuzzy__")
    if hit is None:
        hit = []
        for name, col in spec.columns.items():
            if col.kind == "mark" and name[1:].isdigit():
                continue
            phrases = [e[0] for e in col.synonyms if len(e) == 1] + col.exact
            hit.append((name, [x for x in phrases if len(x) >= 5]))
        spec.cache["__fuzzy__"] = hit
    return hit


#: `_folded_paths` of the headers mapped: every form tried on a sheet maps the same labels.
_FOLDED_PATHS: dict[tuple[tuple[str, ...], ...], dict[int, list[str]]] = {}


def _folded_paths(parts: tuple[tuple[str, ...], ...]) -> dict[int, list[str]]:
    """Folded non-empty label parts of each labelled column (shared: not to be changed)."""
    hit = _FOLDED_PATHS.get(parts)
    if hit is None:
        folded = {c: [fold_text(clean_text(x)) for x in p] for c, p in enumerate(parts) if p}
        folded = {c: [x for x in p if x] for c, p in folded.items()}
        hit = {c: p for c, p in folded.items() if p}
        if len(_FOLDED_PATHS) < 20_000:
            _FOLDED_PATHS[parts] = hit
    return hit


#: Columns under one group label that are each a criterion's name on their own, which make
#: the group a criteria group whatever its words ("Kết quả thực hiện" over "Điện", …).
CRITERIA_GROUP_EVIDENCE = 3


def _is_criterion(spec: FormSpec, parts: tuple[str, ...]) -> bool:
    return any(m == "criterion" for _s, _n, m in label_matches(spec, parts))


def _criteria_by_group(folded: dict[int, list[str]], spec: FormSpec) -> dict[int, list[str]]:
    """Criteria named under a group label no synonym knows as the criteria group.

    A group is recognised by its columns, not its words: when `CRITERIA_GROUP_EVIDENCE` or
    more columns under one group label are each a criterion's name alone ("Điện", "Giao
    thông", "Thu nhập" under "Kết quả thực hiện"), those columns are read by their own
    label. Columns the group's words already read as criteria are left as they are.
    """
    if not spec.criteria_names:
        return folded
    under: dict[tuple[str, ...], list[int]] = {}
    for c, p in folded.items():
        if len(p) > 1 and _is_criterion(spec, (p[-1],)) and not _is_criterion(spec, tuple(p)):
            under.setdefault(tuple(p[:-1]), []).append(c)
    cols = [c for group in under.values() if len(group) >= CRITERIA_GROUP_EVIDENCE for c in group]
    if not cols:
        return folded
    return {c: ([p[-1]] if c in cols else p) for c, p in folded.items()}


def _pick(
    ranked: list[tuple[float, int, str, str]], taken: dict[str, int]
) -> list[tuple[float, int, str, str]]:
    """Winners among (score, column, canonical name, method): best first, then leftmost.

    Each canonical name and each column is given once; `taken` holds earlier winners.
    """
    names, cols = set(taken), set(taken.values())
    won = []
    for t in sorted(ranked, key=lambda t: (-t[0], t[1])):
        _score, c, name, _m = t
        if name in names or c in cols:
            continue
        names.add(name)
        cols.add(c)
        won.append(t)
    return won


def _synonym_candidates(
    folded: dict[int, list[str]], spec: FormSpec, hidden: set[int] | frozenset[int]
) -> list[tuple[float, int, str, str]]:
    """(score, column, canonical name, method) of every exact, synonym or criterion match.

    A hidden column loses a tie against a visible one (an old copy kept hidden).
    """
    return [
        (sc - (0.25 if c in hidden else 0.0), c, name, m)
        for c, p in folded.items()
        for sc, name, m in label_matches(spec, tuple(p))
    ]


def _fuzzy_candidates(
    folded: dict[int, list[str]],
    rest: list[int],
    spec: FormSpec,
    taken: dict[str, int],
    cutoff: float,
) -> list[tuple[float, int, str, str]]:
    """(score 0-100, column, canonical name, "fuzzy") of the columns still unmapped."""
    from rapidfuzz import fuzz, process

    choices = [
        (phrase, name)
        for name, phrases in _fuzzy_choices(spec)
        if name not in taken
        for phrase in phrases
    ]
    texts = [x[0] for x in choices]
    out: list[tuple[float, int, str, str]] = []
    for c in rest if choices else []:
        p = folded[c]
        if _NUM_LEAF.match(p[-1]):
            continue
        for t in {p[-1], " ".join(p)}:
            hit = process.extractOne(t, texts, scorer=fuzz.ratio, score_cutoff=cutoff)
            if hit is not None:
                out.append((hit[1], c, choices[hit[2]][1], "fuzzy"))
    return out


def map_columns(
    parts: list[list[str]],
    spec: FormSpec,
    fuzzy_threshold: float = 88,
    fuzzy: bool = True,
    hidden: set[int] | frozenset[int] = frozenset(),
) -> ColumnMap:
    """Canonical name of each column from its flattened label (see synonyms.yaml).

    Exact, synonym and criterion matches first; then, for the columns left, a fuzzy
    match (typos, missing words) with its confidence. `fuzzy=False` skips the fuzzy
    fallback (used while guessing which form a sheet is). `hidden`: hidden columns, which
    lose a tie against a visible column with the same header (an old copy of a column
    kept hidden next to the current one).

    Memoised per form on the header's labels (districts copy one template: the same
    header is mapped once); every caller gets its own copy.
    """
    paths = tuple(map(tuple, parts))
    key = (paths, float(fuzzy_threshold), bool(fuzzy), frozenset(hidden))
    cache: dict[tuple[object, ...], ColumnMap] = spec.cache.setdefault("__maps__", {})
    hit = cache.get(key)
    if hit is None:
        hit = _map_columns(paths, spec, fuzzy_threshold, fuzzy, hidden)
        if len(cache) < 20_000:
            cache[key] = hit
    return ColumnMap(
        dict(hit.columns),
        dict(hit.confidence),
        dict(hit.method),
        dict(hit.labels),
        list(hit.unmapped),
    )


def _map_columns(
    parts: tuple[tuple[str, ...], ...],
    spec: FormSpec,
    fuzzy_threshold: float,
    fuzzy: bool,
    hidden: set[int] | frozenset[int],
) -> ColumnMap:
    folded = _criteria_by_group(_folded_paths(parts), spec)
    columns: dict[str, int] = {}
    confidence: dict[str, float] = {}
    method: dict[str, str] = {}
    for _score, c, name, m in _pick(_synonym_candidates(folded, spec, hidden), columns):
        columns[name], confidence[name], method[name] = c, 1.0, m
    rest = [c for c in folded if c not in columns.values()] if fuzzy else []
    if rest:
        fz = _fuzzy_candidates(folded, rest, spec, columns, fuzzy_threshold)
        for score, c, name, m in _pick(fz, columns):
            columns[name], confidence[name], method[name] = c, round(score / 100.0, 3), m
    labels = {c: " / ".join(p) for c, p in enumerate(parts) if p}
    unmapped = [c for c in folded if c not in columns.values()]
    return ColumnMap(columns, confidence, method, labels, unmapped)
