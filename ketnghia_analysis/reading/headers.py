"""Header stage: find the header block of a form sheet, flatten it, map columns to canonical names.

Header handling is a chain of small steps over the sheet's `Grid`, in the spirit of
tidyxl/unpivotr's "behead":

1. `row_scores`          how many canonical columns each top row names;
2. `find_header_block`   the anchor row, extended up to group rows and down to sub-headers
                         (at most 3 rows), stopping at the numbering row, then over rows
                         that continue its labels (words typed over two rows, no merge:
                         kept when the joined labels name more columns, or as many with
                         the numbering row right under them);
3. `flatten_header`      one label per column, "Group / Sub-header", a merged group label
                         filled only inside its merge (or, without merges, inside its parent),
                         a continued label joined into one;
4. `map_columns`         canonical names through the synonym table of
                         ``reference/synonyms.yaml`` (exact, synonym, then fuzzy with its
                         confidence; `header_labels.py`, re-exported here);
5. `column_units`        money scale to million VND from the header or an "ĐVT:" line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import cast

from ketnghia_analysis.reading.grid import Grid, cell_text, clean_text, fold_text
from ketnghia_analysis.reading.header_labels import (
    ColumnMap,
    label_matches,
    map_columns,
    match_label,
    names_nothing,
)
from ketnghia_analysis.reading.units import money_scale
from ketnghia_analysis.reference.synonyms import FormSpec

__all__ = [
    "ColumnMap",
    "HeaderBlock",
    "column_money_scale",
    "find_header_block",
    "flatten_header",
    "header_says_percent",
    "is_numbering_row",
    "label_matches",
    "map_columns",
    "match_label",
    "row_scores",
    "unit_line_scale",
]

HEADER_SEARCH_ROWS = 20
MAX_HEADER_ROWS = 3
# Rows continuing the labels above them (words typed over two rows), beyond those.
MAX_JOINED_ROWS = 2


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
    if first_col is not None and (first_col >= len(values) or values[first_col] is None):
        return False
    try:
        return _numbers_columns(values)
    except Exception:
        if sum(1 for v in values if v is not None) < 3:
            return False  # too few cells to be a numbering row, whatever they hold
        raise


def _numbers_columns(values: list[object]) -> bool:
    """Three or more cells, every one a column number in increasing order (or a formula
    of them); cell by cell, stopping at the first that is not."""
    n = 0
    last = -1.0
    for v in values:
        if v is None:
            continue
        n += 1
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
    return n >= 3


def _names_of_text(spec: FormSpec, f: str) -> frozenset[str]:
    """Canonical columns a folded cell text names on its own for `row_scores` (the first
    match, and "_criteria_group" for the criteria group's label), cached per form."""
    cache = _texts_cache(spec)
    hit = cache.get(f)
    if hit is None:
        found: set[str] = set()
        if spec.criteria_group and any(
            f == g or f.startswith(g + " ") for g in spec.criteria_group
        ):
            found.add("_criteria_group")
        if not names_nothing(spec, f):
            for _s, name, _m in label_matches(spec, (f,)):
                found.add(name)
                break
        hit = frozenset(found)
        if len(cache) < 50_000:
            cache[f] = hit
    return hit


def _texts_cache(spec: FormSpec) -> dict[str, frozenset[str]]:
    """The cache of `_names_of_text` of a form: folded text → the columns it names."""
    cache: dict[str, frozenset[str]] | None = spec.cache.get("__texts__")
    if cache is None:
        cache = spec.cache["__texts__"] = {}
    return cache


def row_scores(grid: Grid, spec: FormSpec, rows: int = HEADER_SEARCH_ROWS) -> list[int]:
    """Number of distinct canonical columns each of the top rows names on its own."""
    cache: dict[tuple[str, ...], int] = spec.cache.setdefault("__rows__", {})
    texts_cache = _texts_cache(spec)
    scores = []
    for r in range(min(grid.n_rows, rows)):
        texts = grid.row_texts(r)
        score = cache.get(texts)
        if score is None:
            found: set[str] = set()
            for f in texts:
                # most texts are known, and name nothing (looked up inline: ~40,000 a build)
                names = texts_cache.get(f)
                if names is None:
                    names = _names_of_text(spec, f)
                if names:
                    found |= names
            score = len(found)
            if len(cache) < 50_000:
                cache[texts] = score
        scores.append(score)
    return scores


def _once_per_sheet(fn: Callable[..., bool]) -> Callable[..., bool]:
    """Memoise a test of a sheet's rows that no form changes (`Grid.memo`): every form tried
    on a sheet asks it of the same rows (recognition is over before any cell is filled)."""
    name = fn.__name__

    def memoised(grid: Grid, *rows: int) -> bool:
        key = (name, *rows)
        hit = grid.memo.get(key)
        if hit is None:
            hit = grid.memo[key] = fn(grid, *rows)
        return cast(bool, hit)

    return memoised


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


@_once_per_sheet
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
    if not grid.merged:
        # no merge information (CSV, HTML, some .ods): a text-only row that names a
        # canonical column or a group is a header row
        return _text_only_row(grid, u) and spec_score is not None and spec_score(u) > 0
    return _merged_over(grid, u, h0)


def _several_cells(grid: Grid, u: int) -> bool:
    return u >= 0 and not grid.row_is_blank(u) and _distinct_cells(grid, u) >= 2


@_once_per_sheet
def _text_only_row(grid: Grid, u: int) -> bool:
    """Row u holds two cells or more, text only, and is no numbering row."""
    if not _several_cells(grid, u):
        return False
    row = grid.values[u]
    if any(v is not None and not isinstance(v, str) for v in row):
        return False
    return not is_numbering_row(row)


@_once_per_sheet
def _merged_over(grid: Grid, u: int, h0: int) -> bool:
    """Does row u (two cells or more) start a merged cell that reaches down to row h0, or
    one over several columns above a label of row h0?"""
    if not _several_cells(grid, u):
        return False
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
    # 0-based rows whose words continue the labels of the row above (typed over two rows)
    joined: frozenset[int] = frozenset()


# A cell that writes a number ("678", "1 074", "12,5%"): a data row, never a header's words.
_FIGURE_TEXT = re.compile(r"[+\-−]?\d[\d.,\u00a0 '’]*%?")


def _words_only(grid: Grid, r: int) -> bool:
    """Row r holds words only: text cells, none writing a number, none merged over several
    columns, and it is no numbering row."""
    cells = grid.row_cells(r)
    if not cells:
        return False
    for c in cells:
        v = grid.value(r, c)
        if not isinstance(v, str) or _FIGURE_TEXT.fullmatch(v.strip()):
            return False
        m = grid.merge_of(r, c)
        if m and m[3] > m[1]:
            return False
    return not is_numbering_row(grid.values[r])


def _one_column_label(grid: Grid, r: int, c: int) -> bool:
    """Does header row r label column c alone (its own text, or a merge down one column)?"""
    m = grid.merge_of(r, c)
    if m is None:
        return grid.value(r, c) is not None
    return m[1] == m[3] and grid.value(m[0], m[1]) is not None


def _mapped(grid: Grid, spec: FormSpec, h0: int, h1: int, joined: frozenset[int]) -> int:
    """How many canonical columns the block [h0, h1] names (without fuzzy matching), once
    per form and block (each step of `find_header_block` asks it of the block so far)."""
    key = ("_mapped", spec.form, h0, h1, joined)
    hit = grid.memo.get(key)
    if hit is None:
        parts = flatten_header(grid, h0, h1, joined)
        hit = grid.memo[key] = len(map_columns(parts, spec, fuzzy=False).columns)
    return cast(int, hit)


@_once_per_sheet
def _typed_over_two_rows(grid: Grid, h0: int, h1: int, r: int) -> bool:
    """Could row r, just below or just above the block [h0, h1], hold the last words of its
    labels? It holds words only, every one under a one-column label of the row above."""
    if not 0 <= r < grid.n_rows or not _words_only(grid, r):
        return False
    upper, lower = (h1, r) if r > h1 else (r, h0)
    return all(_one_column_label(grid, upper, c) for c in grid.row_cells(lower))


def _continues_labels(
    grid: Grid, spec: FormSpec, h0: int, h1: int, joined: frozenset[int], r: int
) -> bool:
    """Does row r, just below or just above the block [h0, h1], hold labels typed over two
    rows (the last words of each label in the cell below, no merge)?

    The evidence: the row holds words only; every label of the lower row sits under a
    label of the upper row; and the joined labels name more canonical columns than the
    block alone — or, below the block, as many, with the numbering row right under them.
    A data row (figures, commune names with marks) never names more.
    """
    if not _typed_over_two_rows(grid, h0, h1, r):
        return False
    below = r > h1
    lower = r if below else h0
    lo, hi = (h0, r) if below else (r, h1)
    before = _mapped(grid, spec, h0, h1, joined)
    after = _mapped(grid, spec, lo, hi, joined | {lower})
    if after > before:
        return True
    if not below or after < before or r + 1 >= grid.n_rows:
        return False
    return is_numbering_row(grid.values[r + 1], _first_header_col(grid, lo, hi))


def find_header_block(grid: Grid, spec: FormSpec) -> HeaderBlock | None:
    """Locate the header rows of a form sheet (under any number of title rows).

    From the row naming the most canonical columns: up over group rows, down over
    sub-header rows (at most the form's `header_rows`, else `MAX_HEADER_ROWS`), then over rows
    that continue its labels (words typed over two rows, at most `MAX_JOINED_ROWS`; see
    `_continues_labels`).
    """
    scores = row_scores(grid, spec)
    if not scores or max(scores) == 0:
        return None
    best = max(scores)
    b = scores.index(best)
    h0 = h1 = b
    joined: frozenset[int] = frozenset()

    def score_of(r: int) -> int:
        if r < len(scores):
            return scores[r]
        return 0

    def room() -> bool:
        return h1 - h0 + 1 - len(joined) < (spec.header_rows or MAX_HEADER_ROWS)

    while room() and _is_group_above(grid, h0 - 1, h0, h1, score_of):
        h0 -= 1
    while room() and _is_continuation(grid, h0, h1, h1 + 1):
        h1 += 1
    while len(joined) < MAX_JOINED_ROWS:
        if _continues_labels(grid, spec, h0, h1, joined, h1 + 1):
            h1 += 1
            joined |= {h1}
        elif _continues_labels(grid, spec, h0, h1, joined, h0 - 1):
            joined |= {h0}
            h0 -= 1
            while room() and _is_group_above(grid, h0 - 1, h0, h1, score_of):
                h0 -= 1
        else:
            break
    return HeaderBlock(h0, h1, h1 + 1 if _numbered_below(grid, h0, h1) else None, joined)


@_once_per_sheet
def _numbered_below(grid: Grid, h0: int, h1: int) -> bool:
    """Is the row under the header rows [h0, h1] a numbering row?"""
    first = _first_header_col(grid, h0, h1)
    return h1 + 1 < grid.n_rows and is_numbering_row(grid.values[h1 + 1], first)


# ---------------------------------------------------------------------------
# Step 3: flatten
# ---------------------------------------------------------------------------


def flatten_header(grid: Grid, h0: int, h1: int, joined: Collection[int] = ()) -> list[list[str]]:
    """One list of label parts per column, top to bottom, merged groups filled inside.

    A merged cell's label fills every cell of its merge (inside the header block only);
    without merges, a blank cell right of a group label is filled when both columns have
    sub-labels below and the same parents above (pandas' rule: fill only inside the group). Repeated
    consecutive parts (a label merged down over several rows) appear once. In a row of
    `joined` (a label's last words typed in the cell below), a cell under a one-column
    label ends that label ("Số hộ thoát" + "nghèo trong năm": one part), not a sub-label.
    Computed once per block of a sheet (every form tried on it flattens the same rows).
    """
    key = ("flatten_header", h0, h1, frozenset(joined))
    hit = grid.memo.get(key)
    if hit is None:
        hit = grid.memo[key] = _flatten(grid, h0, h1, joined)
    return [list(p) for p in cast("list[list[str]]", hit)]


def _flatten(grid: Grid, h0: int, h1: int, joined: Collection[int]) -> list[list[str]]:
    width = grid.n_cols
    filled: list[list[str]] = []
    for r in range(h0, h1 + 1):
        line: list[str] = []
        row = grid.values[r] if 0 <= r < grid.n_rows else [None] * width
        for c in range(width):
            v = row[c]
            if v is None:
                m = grid.merge_of(r, c)
                if m and h0 <= m[0] <= h1:
                    v = grid.value(m[0], m[1])
            line.append(cell_text(v))
        filled.append(line)
    for k in range(1, len(filled)):
        if h0 + k in joined:
            _join_labels(grid, filled, h0 + k, k)
    # without merges: fill a blank cell from its left neighbour when both columns have
    # sub-labels further down (the left one heads a group) and share the same parents
    n = len(filled)
    # deeper[k][c]: column c has a label in a line below line k
    deeper = [[False] * width for _k in range(n)]
    for k in range(n - 2, -1, -1):
        below, nxt = deeper[k + 1], filled[k + 1]
        deeper[k] = [below[c] or bool(nxt[c]) for c in range(width)]
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


def _join_labels(grid: Grid, filled: list[list[str]], r: int, k: int) -> None:
    """Append the words of header row r (line k of `filled`) to the one-column labels above
    them, in every line the label fills (a label merged down is one label)."""
    for c in grid.row_cells(r):
        own, upper = filled[k][c], filled[k - 1][c]
        if not own or not upper or own == upper or not _one_column_label(grid, r - 1, c):
            continue
        text = f"{upper} {own}"
        j = k - 1
        while j > 0 and filled[j - 1][c] == upper:
            j -= 1
        for i in range(j, k + 1):
            filled[i][c] = text


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
