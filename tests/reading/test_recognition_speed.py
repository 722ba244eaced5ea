"""Recognising forms without repeated work (issue #18): each distinct text of a sheet is
cleaned and decoded once, a header block is flattened once for every form tried on it,
a row of header texts is scored once per form, abbreviations are written out once per
text. The decisions themselves are the golden test's and the perturbation sweep's."""

from __future__ import annotations

import itertools
import re

from counting import counting
from hypothesis import given, settings
from hypothesis import strategies as st
from workbooks import POVERTY_HEADER, POVERTY_ROWS, TITLE_POVERTY, sheet

from ketnghia_analysis.reading import grid as grid_module
from ketnghia_analysis.reading import headers
from ketnghia_analysis.reading.grid import Grid
from ketnghia_analysis.reading.headers import (
    find_header_block,
    flatten_header,
    is_numbering_row,
    row_scores,
)
from ketnghia_analysis.reference import synonyms
from ketnghia_analysis.reference.synonyms import expand_abbreviations, load_synonyms

_fresh = itertools.count()


def test_grid_cleans_each_distinct_text_once(monkeypatch):
    n = next(_fresh)
    texts = [f"Xã Trà Mai {n}", f"  Thôn  {n} ", f"Số hộ nghèo {n}"]
    rows = [[k, texts[k % 3], texts[(k + 1) % 3], 1.5 * k] for k in range(60)]
    calls = counting(monkeypatch, grid_module, "clean_text")
    grid = Grid(sheet(rows))
    assert sorted(a[0] for a in calls) == sorted(texts)  # 3 texts in 120 cells
    assert grid.values[0][1] == f"Xã Trà Mai {n}"
    assert grid.values[0][2] == f"Thôn {n}"
    assert grid.values[1][3] == 1.5


def test_legacy_sheet_decodes_each_text_once_across_sheets(monkeypatch):
    n = next(_fresh)
    # TCVN3: "Trà My", "Tổng số hộ", and "Phó Ninh" (no evidence of its own: "Phú Ninh")
    rows = [[f"Trµ My {n}", f"Tæng sè hé {n}"], [f"Phó Ninh {n}", 12.0]] * 10
    calls = counting(monkeypatch, grid_module, "fix_mojibake_many")
    first = Grid(sheet(rows))
    assert [first.values[0][0], first.values[0][1], first.values[1][0]] == [
        f"Trà My {n}",
        f"Tổng số hộ {n}",
        f"Phú Ninh {n}",
    ]
    seen = len(calls)
    second = Grid(sheet(rows, name="Sheet2"))
    assert second.values == first.values
    assert len(calls) == seen  # the same texts in another sheet: nothing decoded again


def test_header_block_is_flattened_once_per_sheet(monkeypatch):
    grid = Grid(sheet(TITLE_POVERTY + POVERTY_HEADER + POVERTY_ROWS))
    block = find_header_block(grid, load_synonyms().forms["poverty"])
    assert block is not None
    calls = counting(monkeypatch, headers, "cell_text")
    one = flatten_header(grid, block.first, block.last, block.joined)
    assert calls  # the header's cells were read
    seen = len(calls)
    two = flatten_header(grid, block.first, block.last, set(block.joined))
    assert len(calls) == seen  # another form trying the same block reads nothing again
    assert one == two and one[1] == ["Xã, thị trấn"]
    one[1].append("changed")  # each caller gets its own lists
    assert flatten_header(grid, block.first, block.last, block.joined)[1] == ["Xã, thị trấn"]


def test_header_rows_are_scored_once_per_form(monkeypatch):
    spec = load_synonyms().forms["poverty"]
    n = next(_fresh)
    rows = TITLE_POVERTY + POVERTY_HEADER + [[1, f"Xã Trà Mai {n}", 1200, 400]]
    expected = row_scores(Grid(sheet(rows)), spec)
    assert expected[len(TITLE_POVERTY)] >= 8  # the header row names its columns
    calls = counting(monkeypatch, headers, "label_matches")
    assert row_scores(Grid(sheet(rows, name="Bản sao")), spec) == expected
    assert calls == []  # the same rows in another sheet (or file): no text matched again


def test_abbreviations_are_written_out_once_per_text(monkeypatch):
    calls = counting(monkeypatch, synonyms, "_expand")
    table = {"sl": "so luong", "ck": "cuoi ky"}
    text = f"sl ho ngheo ck {next(_fresh)}"
    first = expand_abbreviations(text, table)
    assert first.startswith("so luong ho ngheo cuoi ky")
    assert expand_abbreviations(text, table) == first
    assert len(calls) == 1
    # another table (another synonyms.yaml) is its own: never the first table's answer
    assert expand_abbreviations(text, {"sl": "so lieu"}).startswith("so lieu ho ngheo ck")


# The numbering-row test as it was before it was made to stop at the first cell that
# is no column number: the rewrite must decide every row the same way.
_TOKEN = re.compile(r"^\(?\s*(\d{1,2}|[A-Za-z]|[IVXivx]{1,4})\s*\)?\.?$")
_FORMULA = re.compile(r"^[\(\)\d\s=+\-*/x:.,]+$")


def _numbering_row_before(values: list[object], first_col: int | None = None) -> bool:
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
        m = _TOKEN.match(s)
        if m:
            g = m.group(1)
            if g.isdigit():
                if int(g) <= last:
                    return False
                last = float(int(g))
            continue
        if _FORMULA.match(s) and ("(" in s or "=" in s):
            continue
        return False
    return True


_CELLS = st.one_of(
    st.none(),
    st.integers(-2, 70),
    st.sampled_from([1.0, 2.0, 2.5, 3.0, 10**400, float("nan"), True]),
    st.sampled_from(["(1)", "(2)", "3", "A", "B", "IV", "(4)=(1)+(2)", "Trà Mai", " 5 ", ""]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_CELLS, max_size=8), st.one_of(st.none(), st.integers(0, 9)))
def test_numbering_row_decides_as_before(values, first_col):
    try:
        before: object = _numbering_row_before(values, first_col)
    except OverflowError as exc:
        before = type(exc)
    try:
        now: object = is_numbering_row(values, first_col)
    except OverflowError as exc:
        now = type(exc)
    assert now == before


def test_same_header_is_mapped_once_per_form(monkeypatch):
    from ketnghia_analysis.reading import header_labels

    syn = load_synonyms()
    spec = syn.forms["poverty"]
    n = next(_fresh)
    header = [["STT"], ["Xã, thị trấn"], ["Tổng số hộ"], ["Số hộ nghèo cuối năm"], [f"Cột {n}"]]
    calls = counting(monkeypatch, header_labels, "_map_columns")
    one = header_labels.map_columns(header, spec, syn.fuzzy_threshold)
    two = header_labels.map_columns([list(p) for p in header], spec, syn.fuzzy_threshold)
    assert len(calls) == 1  # the same header in another sheet or file: mapped once
    assert one == two and one.columns["commune"] == 1 and one.columns["poor_end"] == 3
    one.columns["commune"] = 9  # each caller gets its own map
    assert header_labels.map_columns(header, spec, syn.fuzzy_threshold).columns["commune"] == 1
    # without fuzzy matching, or with another column hidden, it is another question
    header_labels.map_columns(header, spec, syn.fuzzy_threshold, fuzzy=False)
    header_labels.map_columns(header, spec, syn.fuzzy_threshold, hidden={1})
    assert len(calls) == 3


def _words_of_table():
    syn = load_synonyms()
    words = {"xa", "tra", "mai", "nam", "2023", "ubnd", "huyen", "cong", "tong", "ghi", "chu"}
    for spec in syn.forms.values():
        for col in spec.columns.values():
            for phrase in [*(p for e in col.synonyms for p in e), *col.exact, *col.exclude]:
                words.update(phrase.split())
        words.update(w for k in spec.abbreviations for w in k.split())
    return sorted(words)


_WORDS = _words_of_table()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=6), st.sampled_from(range(8)))
def test_a_label_said_to_name_nothing_matches_nothing(words, k):
    from ketnghia_analysis.reading.header_labels import label_matches, names_nothing

    spec = list(load_synonyms().forms.values())[k]
    label = " ".join(words)
    if names_nothing(spec, label):
        assert label_matches(spec, (label,)) == []


def _match_label_before(parts, col):
    """`match_label` as it was before its phrases were padded once per column."""
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
            s += 0.5 * sum(len(p) for p in entry if f" {p} " in padded_leaf) / max(len(leaf), 1)
            if s > best:
                best, method = s, "synonym"
    for x in col.exact:
        if leaf == x or full == x:
            s = 1000.0 + len(x)
            if s > best:
                best, method = s, "exact"
    return best, method


_PHRASES = sorted(
    {
        p
        for spec in load_synonyms().forms.values()
        for col in spec.columns.values()
        for p in [*(p for e in col.synonyms for p in e), *col.exact, *col.exclude]
    }
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(_PHRASES + _WORDS), min_size=1, max_size=3).map(" ".join),
        min_size=1,
        max_size=3,
    )
)
def test_label_scores_as_before(parts):
    from ketnghia_analysis.reading.header_labels import match_label

    for spec in load_synonyms().forms.values():
        for col in spec.columns.values():
            assert match_label(parts, col) == _match_label_before(parts, col)


def _flatten_before(grid, h0, h1, joined):
    """`flatten_header` as it was before it was computed once per block (the reference)."""
    width = grid.n_cols
    filled = []
    for r in range(h0, h1 + 1):
        line = []
        for c in range(width):
            v = grid.value(r, c)
            if v is None:
                m = grid.merge_of(r, c)
                if m and h0 <= m[0] <= h1:
                    v = grid.value(m[0], m[1])
            line.append(headers.cell_text(v))
        filled.append(line)
    for k in range(1, len(filled)):
        if h0 + k in joined:
            headers._join_labels(grid, filled, h0 + k, k)
    n = len(filled)
    deeper = [[any(filled[j][c] for j in range(k + 1, n)) for c in range(width)] for k in range(n)]
    for k in range(n - 1):
        line = filled[k]
        for c in range(1, width):
            if line[c] or not line[c - 1] or not deeper[k][c] or not deeper[k][c - 1]:
                continue
            if grid.merge_of(h0 + k, c) is not None:
                continue
            if any(filled[j][c] != filled[j][c - 1] for j in range(k)):
                continue
            line[c] = line[c - 1]
    parts = []
    for c in range(width):
        p = []
        for k in range(len(filled)):
            s = filled[k][c]
            if s and (not p or p[-1] != s):
                p.append(s)
        parts.append(p)
    return parts


@st.composite
def _header_blocks(draw):
    n_rows, width = draw(st.integers(1, 5)), draw(st.integers(1, 6))
    cell = st.sampled_from([None, None, "Xã", "Số hộ", "nghèo", "Tổng", "(1)", 2.0])
    rows = [[draw(cell) for _c in range(width)] for _r in range(n_rows)]
    merged = []
    for _i in range(draw(st.integers(0, 3))):
        r0, c0 = draw(st.integers(0, n_rows - 1)), draw(st.integers(0, width - 1))
        r1, c1 = draw(st.integers(r0, n_rows - 1)), draw(st.integers(c0, width - 1))
        merged.append((r0, c0, r1, c1))
    h0 = draw(st.integers(0, n_rows - 1))
    h1 = draw(st.integers(h0, n_rows - 1))
    joined = draw(st.sets(st.integers(h0, h1)))
    return sheet(rows, merged=merged), h0, h1, joined


@settings(max_examples=300, deadline=None)
@given(_header_blocks())
def test_header_flattened_as_before(block):
    one_sheet, h0, h1, joined = block
    grid = Grid(one_sheet)
    assert flatten_header(grid, h0, h1, joined) == _flatten_before(Grid(one_sheet), h0, h1, joined)
