"""Header stage: find the header block of a form sheet, flatten it, map columns to canonical names.

Header handling is a chain of small steps over the sheet's `Grid`, in the spirit of
tidyxl/unpivotr's "behead":

1. `row_scores`          how many canonical columns each top row names;
2. `find_header_block`   the anchor row, extended up to group rows and down to sub-headers
                         (at most 3 rows), stopping at the numbering row;
3. `flatten_header`      one label per column, "Group / Sub-header", a merged group label
                         filled only inside its merge (or, without merges, inside its parent);
4. `map_columns`         canonical names through the synonym table of
                         ``reference/synonyms.yaml`` (exact, synonym, then fuzzy with its
                         confidence);
5. `column_units`        money scale to million VND from the header or an "ĐVT:" line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ketnghia_analysis.reading.grid import Grid, cell_text, clean_text, fold_text, has_phrase
from ketnghia_analysis.reading.units import money_scale
from ketnghia_analysis.reference.synonyms import ColumnSpec, FormSpec

HEADER_SEARCH_ROWS = 20
MAX_HEADER_ROWS = 3


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
    under_group = any(has_phrase(ancestors, g) for g in spec.criteria_group)
    for p in spec.criteria_prefixes:
        if leaf.startswith(p):
            rest = leaf[len(p) :].strip()
            m = _NUM_PREFIX.match(rest)
            if m:
                n = int(m.group(1))
                if 1 <= n <= 19:
                    return n
    m = _NUM_PREFIX.match(leaf)
    if m and under_group:
        n = int(m.group(1))
        if 1 <= n <= 19:
            return n
    for n, names in spec.criteria_names.items():
        # a criterion's name: under the group, or alone as the whole header
        if any(leaf == nm or (under_group and leaf.startswith(nm + " ")) for nm in names):
            if under_group or len(parts) == 1:
                return n
    return None


def match_label(parts: list[str] | tuple[str, ...], col: ColumnSpec) -> tuple[float, str]:
    """Score of a folded header path for one canonical column.

    Returns (score, method); score 0 means no match. Exact whole-header matches score
    above 1000, synonym matches the total length of the matched phrases.
    """
    full = " ".join(parts)
    leaf = parts[-1]
    if not full:
        return 0.0, "none"
    padded = f" {full} "
    if any(f" {x} " in padded for x in col.exclude):
        return 0.0, "none"
    padded_leaf = f" {leaf} "
    best = 0.0
    method = "none"
    for entry in col.synonyms:
        if len(entry) == 1 and (leaf == entry[0] or full == entry[0]):
            s = 1000.0 + len(entry[0])
            if s > best:
                best, method = s, "exact"
            continue
        if all(f" {p} " in padded for p in entry):
            s = float(sum(len(p) for p in entry))
            # A phrase found in the leaf is more telling than one in the group label.
            s += 0.5 * sum(len(p) for p in entry if f" {p} " in padded_leaf) / max(len(leaf), 1)
            if s > best:
                best, method = s, "synonym"
    for x in col.exact:
        if leaf == x or full == x:
            s = 1000.0 + len(x)
            if s > best:
                best, method = s, "exact"
    return best, method


def _word_index(spec: FormSpec) -> dict[str, set[str]]:
    """First word of every phrase → the canonical columns it may name (a fast pre-filter)."""
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
    return index


def label_matches(spec: FormSpec, parts: tuple[str, ...]) -> list[tuple[float, str, str]]:
    """Every (score, canonical column, method) a folded header path matches (cached per form).

    A criterion header (c01..c19) gives only that criterion.
    """
    cache = spec.cache
    hit = cache.get(parts)
    if hit is not None:
        return hit
    out: list[tuple[float, str, str]] = []
    n = _criterion_of(list(parts), spec)
    if n is not None:
        out.append((900.0, f"c{n:02d}", "criterion"))
    else:
        index = cache.get("__words__")
        if index is None:
            index = _word_index(spec)
            cache["__words__"] = index
        words = set(" ".join(parts).split())
        names: set[str] = set()
        for w in words:
            names |= index.get(w, set())
        for name in sorted(names, key=list(spec.columns).index):
            col = spec.columns[name]
            sc, m = match_label(parts, col)
            if sc > 0:
                out.append((sc, name, m))
    if len(cache) < 50_000:
        cache[parts] = out
    return out


# ---------------------------------------------------------------------------
# Step 1-2: find the header block
# ---------------------------------------------------------------------------

_NUMBERING_TOKEN = re.compile(r"^\(?\s*(\d{1,2}|[A-Za-z]|[IVXivx]{1,4})\s*\)?\.?$")
_NUMBERING_FORMULA = re.compile(r"^[\(\)\d\s=+\-*/x:.,]+$")


def is_numbering_row(values: list[object], first_col: int | None = None) -> bool:
    """A column-numbering row under a header: "(1) (2) (3)", "A B 1 2 3", "1 2 3 4".

    `first_col` is the leftmost header column: a numbering row numbers it too (a row of
    criterion numbers 1-19 under a group header does not).

    >>> is_numbering_row(["(1)", "(2)", "(3)", "(4)=(1)+(2)"])
    True
    >>> is_numbering_row(["A", "B", 1.0, 2.0, 3.0])
    True
    >>> is_numbering_row([1.0, "Trà Mai", 1234.0, 45.0])
    False
    """
    tokens = [(c, v) for c, v in enumerate(values) if v is not None]
    if len(tokens) < 3:
        return False
    if first_col is not None and (first_col >= len(values) or values[first_col] is None):
        return False
    last = -1.0
    for _c, v in tokens:
        if isinstance(v, bool):
            return False
        if isinstance(v, int | float):
            if not float(v).is_integer() or not 0 <= v <= 60:
                return False
            if v <= last:
                return False
            last = float(v)
            continue
        if not isinstance(v, str):
            return False
        s = v.strip()
        m = _NUMBERING_TOKEN.match(s)
        if m:
            g = m.group(1)
            if g.isdigit():
                if int(g) <= last:
                    return False
                last = float(int(g))
            continue
        if _NUMBERING_FORMULA.match(s) and ("(" in s or "=" in s):
            continue
        return False
    return True


def row_scores(grid: Grid, spec: FormSpec, rows: int = HEADER_SEARCH_ROWS) -> list[int]:
    """Number of distinct canonical columns each of the top rows names on its own."""
    scores = []
    for r in range(min(grid.n_rows, rows)):
        found: set[str] = set()
        for f in grid.row_texts(r):
            if spec.criteria_group and any(
                f == g or f.startswith(g + " ") for g in spec.criteria_group
            ):
                found.add("_criteria_group")
            for _s, name, _m in label_matches(spec, (f,)):
                found.add(name)
                break
        scores.append(len(found))
    return scores


def _distinct_cells(grid: Grid, r: int) -> int:
    """Non-empty cells of row r, a merged range counting once."""
    seen = set()
    for c in grid.row_cells(r):
        m = grid.merge_of(r, c)
        seen.add(m if m else (r, c))
    return len(seen)


def _first_header_col(grid: Grid, h0: int, h1: int) -> int | None:
    for c in range(grid.n_cols):
        for r in range(h0, h1 + 1):
            if grid.value(r, c) is not None:
                return c
    return None


def _group_columns(grid: Grid, r: int) -> tuple[set[int], set[int]]:
    """(group columns, leaf columns) of header row r.

    A group is a merged range wider than one column, or (without merges) a text cell
    followed by empty cells. Leaf columns hold a one-column label.
    """
    groups: set[int] = set()
    leaves: set[int] = set()
    row = grid.values[r]
    c = 0
    while c < grid.n_cols:
        if row[c] is None:
            m = grid.merge_of(r, c)
            if m and m[3] > m[1] and m[0] <= r:
                groups.add(c)
            c += 1
            continue
        m = grid.merge_of(r, c)
        if m and m[3] > m[1]:
            groups.update(range(m[1], min(m[3], grid.n_cols - 1) + 1))
            c = m[3] + 1
            continue
        if m is None:
            # Without a merge, a label followed by blanks may head a group; it is decided
            # by the row below (see `_is_continuation`).
            j = c + 1
            while j < grid.n_cols and row[j] is None and grid.merge_of(r, j) is None:
                j += 1
            if j > c + 1:
                groups.update(range(c, j))
                leaves.add(c)  # ambiguous: a leaf unless the row below fills the blanks
                c = j
                continue
        leaves.add(c)
        c += 1
    return groups, leaves


def _is_continuation(grid: Grid, h0: int, h1: int, d: int) -> bool:
    """Is row d a further header row under the block [h0, h1]?"""
    if d >= grid.n_rows or grid.row_is_blank(d):
        return False
    row = grid.values[d]
    first = _first_header_col(grid, h0, h1)
    if is_numbering_row(row, first):
        return False
    # (a) a merged header cell of the block reaches down into row d
    for c in range(grid.n_cols):
        m = grid.merge_of(d, c)
        if m and h0 <= m[0] <= h1 and m[2] >= d:
            return True
    # (b) row d holds labels only under group cells, none under one-column labels
    groups: set[int] = set()
    leaves: set[int] = set()
    for r in range(h0, h1 + 1):
        g, lv = _group_columns(grid, r)
        groups |= g
        leaves |= lv
    cells = [c for c, v in enumerate(row) if v is not None]
    if not cells:
        return False
    for c in cells:
        if c not in groups:
            return False
        if c in leaves and not any(grid.value(r, c) is not None for r in range(h0, h1 + 1)):
            return False
    # the one-column labels of the block (not heads of groups) must be blank in row d
    pure_leaves = {c for c in leaves if c not in groups}
    if any(row[c] is not None for c in pure_leaves):
        return False
    return any(isinstance(row[c], str) or isinstance(row[c], int | float) for c in cells)


def _is_group_above(
    grid: Grid, u: int, h0: int, h1: int, spec_score: Callable[[int], int] | None = None
) -> bool:
    """Is row u (just above the block) a group header row over it?"""
    if u < 0 or grid.row_is_blank(u) or _distinct_cells(grid, u) < 2:
        return False
    if not grid.merged:
        # no merge information (CSV, HTML, some .ods): a text-only row that names a
        # canonical column or a group is a header row
        row = grid.values[u]
        if any(v is not None and not isinstance(v, str) for v in row):
            return False
        if is_numbering_row(row):
            return False
        return spec_score is not None and spec_score(u) > 0
    for c in grid.row_cells(u):
        m = grid.merge_of(u, c)
        if m and m[0] == u and m[2] >= h0:
            return True
    for c in range(grid.n_cols):
        m = grid.merge_of(u, c)
        if m and m[0] == u and m[3] > m[1]:
            if any(grid.value(h0, cc) is not None for cc in range(m[1], m[3] + 1)):
                return True
    return False


@dataclass(frozen=True)
class HeaderBlock:
    first: int  # 0-based first header row
    last: int  # 0-based last header row
    numbering_row: int | None  # 0-based row of column numbers under the header, if any


def find_header_block(grid: Grid, spec: FormSpec) -> HeaderBlock | None:
    """Locate the header rows of a form sheet (under any number of title rows)."""
    scores = row_scores(grid, spec)
    if not scores or max(scores) == 0:
        return None
    best = max(scores)
    b = scores.index(best)
    h0 = h1 = b

    def score_of(r: int) -> int:
        if r < len(scores):
            return scores[r]
        return 0

    while h1 - h0 < MAX_HEADER_ROWS - 1 and _is_group_above(grid, h0 - 1, h0, h1, score_of):
        h0 -= 1
    while h1 - h0 < MAX_HEADER_ROWS - 1 and _is_continuation(grid, h0, h1, h1 + 1):
        h1 += 1
    numbering = None
    first = _first_header_col(grid, h0, h1)
    if h1 + 1 < grid.n_rows and is_numbering_row(grid.values[h1 + 1], first):
        numbering = h1 + 1
    return HeaderBlock(h0, h1, numbering)


# ---------------------------------------------------------------------------
# Step 3: flatten
# ---------------------------------------------------------------------------


def flatten_header(grid: Grid, h0: int, h1: int) -> list[list[str]]:
    """One list of label parts per column, top to bottom, merged groups filled inside.

    A merged cell's label fills every cell of its merge (inside the header block only);
    without merges, a blank cell right of a group label is filled when both columns have
    sub-labels below and the same parents above (pandas' rule: fill only inside the group). Repeated
    consecutive parts (a label merged down over several rows) appear once.
    """
    width = grid.n_cols
    filled: list[list[str]] = []
    for r in range(h0, h1 + 1):
        line: list[str] = []
        for c in range(width):
            v = grid.value(r, c)
            if v is None:
                m = grid.merge_of(r, c)
                if m and h0 <= m[0] <= h1:
                    v = grid.value(m[0], m[1])
            line.append(cell_text(v))
        filled.append(line)
    # without merges: fill a blank cell from its left neighbour when both columns have
    # sub-labels further down (the left one heads a group) and share the same parents
    n = len(filled)
    deeper = [[any(filled[j][c] for j in range(k + 1, n)) for c in range(width)] for k in range(n)]
    for k in range(n - 1):
        r = h0 + k
        line = filled[k]
        for c in range(1, width):
            if line[c] or not line[c - 1] or not deeper[k][c] or not deeper[k][c - 1]:
                continue
            if grid.merge_of(r, c) is not None:
                continue
            if any(filled[j][c] != filled[j][c - 1] for j in range(k)):
                continue
            line[c] = line[c - 1]
    parts: list[list[str]] = []
    for c in range(width):
        p: list[str] = []
        for k in range(len(filled)):
            s = filled[k][c]
            if s and (not p or p[-1] != s):
                p.append(s)
        parts.append(p)
    return parts


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


def _folded_paths(parts: list[list[str]]) -> dict[int, list[str]]:
    """Folded non-empty label parts of each labelled column."""
    folded = {c: [fold_text(clean_text(x)) for x in p] for c, p in enumerate(parts) if p}
    folded = {c: [x for x in p if x] for c, p in folded.items()}
    return {c: p for c, p in folded.items() if p}


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
    """
    folded = _folded_paths(parts)
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


# ---------------------------------------------------------------------------
# Step 5: units
# ---------------------------------------------------------------------------


def unit_line_scale(grid: Grid, upto_row: int) -> tuple[float | None, str | None]:
    """Money scale from an "ĐVT: ..." / "Đơn vị tính: ..." line above or in the header."""

    for r in range(0, min(upto_row + 1, grid.n_rows)):
        for c in grid.row_cells(r):
            f = grid.folded(r, c)
            if f.startswith("dvt") or f.startswith("don vi tinh") or " dvt " in f" {f} ":
                s = money_scale(grid.text(r, c))
                if s is not None:
                    return s, grid.text(r, c)
    return None, None


def column_money_scale(label: str) -> float | None:
    """Scale to million VND stated in a header label, e.g. "(1.000đ)" → 0.001."""

    return money_scale(label)


def header_says_percent(label: str) -> bool:
    """True when a header label states a percentage ("(%)", "Tỷ lệ ... %")."""
    return "%" in label or "phan tram" in fold_text(clean_text(label))
