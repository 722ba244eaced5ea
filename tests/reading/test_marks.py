"""NTM criterion marks decided by evidence (reading/marks.py): words, then reported counts."""

from __future__ import annotations

import unicodedata
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workbooks import sheet

from ketnghia_analysis.reading.forms import recognise_sheet
from ketnghia_analysis.reading.marks import (
    decide,
    decision_note,
    needs_note,
    parse_mark,
    read_grid,
    token_key,
    word_meaning,
)
from ketnghia_analysis.reading.parsers import ColumnContext, SheetSite, parse_mark_grid
from ketnghia_analysis.reading.reader import read_form
from ketnghia_analysis.reading.values import NOT_ASSESSED, ValueParseError
from ketnghia_analysis.reference.synonyms import load_synonyms

N = 19
VOCAB = load_synonyms().values["mark"]

# --- one cell, by its words ----------------------------------------------------------

MET = ["Đạt", "đạt", "ĐẠT", "x", "X", "✓", "✔", "√", "+", "1", "1.0", 1, 1.0, True, "có",
       "Có", " Đạt ", "dat", "Đạt chuẩn", "Đ", "đ.", "Rồi", "Hoàn thành", "đạt (2023)",
       "Đã đạt", "Đạt 18/19"]  # fmt: skip
NOT_MET = ["Chưa đạt", "chưa đạt", "CHƯA ĐẠT", "CĐ", "cđ", "C.Đ", "-", "–", "—", "0", "0,0",
           0, 0.0, False, "không", "Không", None, "", "  ", "Không đạt", "Chưa đạt chuẩn",
           "K", "Ko đạt", "Chưa", "Chưa hoàn thành", "KĐ", "chua dat", "Không có"]  # fmt: skip


@pytest.mark.parametrize("raw", MET)
def test_mark_met(raw):
    assert parse_mark(raw) is True


@pytest.mark.parametrize("raw", NOT_MET)
def test_mark_not_met(raw):
    assert parse_mark(raw) is False


@pytest.mark.parametrize("raw", ["không đánh giá", "Không đánh giá (phường)", "KĐG", "kđg."])
def test_mark_not_assessed(raw):
    assert parse_mark(raw) is NOT_ASSESSED
    assert parse_mark(unicodedata.normalize("NFD", raw)) is NOT_ASSESSED


@pytest.mark.parametrize("raw", ["2", 2, 0.5, "?", "xx", "A", "v", "•"])
def test_mark_the_words_do_not_know(raw):
    with pytest.raises(ValueParseError) as info:
        parse_mark(raw)
    assert info.value.code == "VALUE_BAD_MARK"


@pytest.mark.parametrize("raw", ["#N/A", "#REF!", "#div/0!", "#VALUE!"])
def test_an_excel_error_is_no_mark(raw):
    with pytest.raises(ValueParseError) as info:
        parse_mark(raw)
    assert info.value.code == "VALUE_EXCEL_ERROR"


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from([(m, True) for m in MET if isinstance(m, str)]
                    + [(m, False) for m in NOT_MET if isinstance(m, str) and m.strip()]),
    st.sampled_from(["NFC", "NFD"]),
    st.sampled_from(["", " ", "\u00a0", "\u200b", "\u00a0\u200b "]),
    st.sampled_from(["", ".", ";", " !"]),
)  # fmt: skip
def test_mark_ignores_form_spaces_and_trailing_punctuation(case, form, pad, tail):
    raw, met = case
    typed = pad + unicodedata.normalize(form, raw) + tail + pad
    assert token_key(typed) == token_key(raw)
    assert parse_mark(typed) is met


def test_a_negation_is_never_read_as_met():
    # "Chưa đạt", "Không đạt" contain "đạt"; the negation wins wherever it stands
    for raw in ("Chưa đạt", "Không đạt", "chưa đạt chuẩn", "Đạt? Chưa", "k đạt", "CĐC"):
        assert word_meaning(token_key(raw), VOCAB) is False, raw


# --- a grid: the pairs districts write, both ways round --------------------------------

PAIRS = [("Đạt chuẩn", "Chưa đạt chuẩn"), ("Đạt", "Không đạt"), ("Đ", "CĐ"), ("Đ", "K"),
         ("có", "không"), ("x", None), ("X", "-"), ("✓", None), ("✔", None), ("√", None),
         ("1", "0"), (1, 0), ("+", "-"), ("Rồi", "Chưa"), ("Hoàn thành", "Chưa hoàn thành"),
         (True, False), ("Đạt", None)]  # fmt: skip
# Numbers beside the words: a remark, read by the words and said in a note.
REMARK_PAIRS = [("đạt (2023)", "chưa đạt"), ("Đạt 18/19", "Chưa đạt (17/19)")]
# Tokens no list knows (or knows the other way round): only the counts can settle them.
UNKNOWN_PAIRS = [("A", "B"), ("1", "2"), ("2", "1"), ("v", None), ("•", None), ("O", "X"),
                 ("T", "F"), ("●", "○")]  # fmt: skip

TRUTH = [
    [True] * 12 + [False] * 7,
    [False, True] * 9 + [True],
    [True] * 19,
    [False] * 5 + [True] * 14,
]


def columns_of(truth, met, not_met):
    """Criterion columns (19 lists of raw cells) writing a truth grid with a token pair."""
    return [[met if row[j] else not_met for row in truth] for j in range(N)]


def counts_of(truth):
    return [sum(row) for row in truth]


@pytest.mark.parametrize("met,not_met", PAIRS)
@pytest.mark.parametrize("first", ["met", "not_met"])
@pytest.mark.parametrize("with_counts", [True, False])
def test_pairs_are_read_by_their_words(met, not_met, first, with_counts):
    truth = TRUTH if first == "met" else [[not x for x in row] for row in TRUTH]
    g = read_grid(
        columns_of(truth, met, not_met), len(truth), counts_of(truth) if with_counts else None
    )
    # a row of dashes without a count is not assessed (test_a_row_of_dashes_…)
    dashed = {r for r, row in enumerate(truth) if not any(row) and not_met == "-"}
    dashed = set() if with_counts else dashed
    want = [[None if r in dashed else row[j] for r, row in enumerate(truth)] for j in range(N)]
    assert g.values == want and g.dashed == dashed
    assert g.decision.unsettled == () and g.decision.overturned == ()
    assert g.decision.how == "words"
    assert needs_note(g) is bool(dashed)  # the words said it all: no note


@pytest.mark.parametrize("met,not_met", PAIRS)
def test_a_grid_read_by_its_words_gives_no_finding(met, not_met):
    out = parse_mark_grid(grid_columns(columns_of(TRUTH, met, not_met)), counts_of(TRUTH), 4)
    assert [i for o in out.values() for i in o.issues] == []
    out = parse_mark_grid(grid_columns(columns_of(TRUTH, met, not_met)), None, 4)
    assert [i for o in out.values() for i in o.issues] == []


@pytest.mark.parametrize("met,not_met", UNKNOWN_PAIRS)
def test_tokens_the_words_do_not_settle_are_settled_by_the_counts(met, not_met):
    g = read_grid(columns_of(TRUTH, met, not_met), len(TRUTH), counts_of(TRUTH))
    assert g.values == [[row[j] for row in TRUTH] for j in range(N)]
    assert g.decision.unsettled == () and g.decision.how == "counts"
    assert (g.decision.agree, g.decision.checked) == (4, 4)


def test_counts_overturn_a_one_character_token_and_the_note_says_so():
    # this district ticks the criteria NOT met with "x", and writes "O" for met
    g = read_grid(columns_of(TRUTH, "O", "x"), len(TRUTH), counts_of(TRUTH))
    assert g.values == [[row[j] for row in TRUTH] for j in range(N)]
    assert g.decision.overturned == ("x",)
    assert g.decision.meaning == {"x": False, "o": True}
    assert decision_note(g, "C7:U10") == (
        "Lưới tiêu chí C7:U10: “O” = đạt, “x” = chưa đạt (theo số tiêu chí đạt ghi ở từng xã: "
        "khớp 4/4 xã; “x” thường nghĩa là đạt, nhưng số tiêu chí đạt cho thấy ngược lại)"
    )


def test_a_word_is_not_overturned_by_the_counts():
    # "Chưa đạt" means not met, whatever the (inconsistent) counts say
    truth = [[True] * 10 + [False] * 9] * 3
    g = read_grid(columns_of(truth, "Đạt", "Chưa đạt"), 3, [9, 9, 9])
    assert g.values[0] == [True] * 3 and g.values[18] == [False] * 3
    assert (g.decision.how, g.decision.agree, g.decision.checked) == ("words", 0, 3)
    # the counts contradict the words: the reading is said (the mismatch is a building rule)
    assert decision_note(g, "C7:U9") == (
        "Lưới tiêu chí C7:U9: “Đạt” = đạt, “Chưa đạt” = chưa đạt (theo chữ ghi trong ô; "
        "khớp số tiêu chí đạt ghi ở 0/3 xã)"
    )


def test_one_typing_error_in_five_reported_counts_is_tolerated():
    truth = [[j < k for j in range(N)] for k in (3, 7, 9, 12, 15, 18)]
    reported = counts_of(truth)
    reported[2] += 2  # a wrong "số tiêu chí đạt", reported later as NTM_TOTAL_MISMATCH
    g = read_grid(columns_of(truth, "A", "B"), len(truth), reported)
    assert g.values == [[row[j] for row in truth] for j in range(N)]
    assert (g.decision.agree, g.decision.checked) == (5, 6)


def test_a_tie_in_the_counts_is_not_guessed():
    # every row holds as many "A" as "B" (the 19th criterion left blank): nothing settles
    truth_row = ["A", "B"] * 9 + [None]
    g = read_grid([[truth_row[j]] * 2 for j in range(N)], 2, [9, 9])
    assert set(g.decision.unsettled) == {"a", "b"}
    assert g.values[0] == [None, None] and g.values[18] == [False, False]


def test_a_three_token_grid_with_wards_and_a_total_row():
    cols = [["Đạt", "CĐ", "Không đánh giá", 12] for _ in range(N)]
    cols[3][1] = None  # a blank beside other tokens is not met
    cols[4][0] = "Đạt*"  # a footnote mark: the same token once folded
    g = read_grid(cols, 3, [19, 0, None, None])
    assert g.values[0] == [True, False, None, None]  # the total row's 12 is a count, no mark
    assert g.values[3] == [True, False, None, None]
    assert g.values[4] == [True, False, None, None] and len(g.tokens) == 2
    assert g.not_assessed == frozenset({2})
    assert g.decision.unsettled == ()


def test_decide_uses_the_rows_with_a_reported_count_only():
    rows = [{"a": 3, "b": 16}, {"a": 19}]
    assert decide(rows, [3, None], {"a": None, "b": None}).meaning == {"a": True, "b": False}
    lost = decide([{"a": 3, "b": 16}], [None], {"a": None, "b": False})
    assert lost.unsettled == ("a",) and lost.meaning == {"b": False}


# --- findings: once per grid, never per cell -------------------------------------------

SITE = SheetSite("huyen/bc.xlsx", "NTM")


def grid_columns(cols, first_row=6, first_col=2):
    syn = load_synonyms()
    rows = list(range(first_row, first_row + len(cols[0])))
    return {
        f"c{j + 1:02d}": (col, ColumnContext(f"c{j + 1:02d}", first_col + j, rows, "", SITE, syn))
        for j, col in enumerate(cols)
    }


def test_the_decision_is_one_info_note_naming_the_grid():
    out = parse_mark_grid(grid_columns(columns_of(TRUTH, "A", "B")), counts_of(TRUTH), 4)
    issues = [i for o in out.values() for i in o.issues]
    (note,) = issues
    assert (note.severity, note.code, note.cell, note.source_sheet) == (
        "info",
        "MARK_MEANING",
        "C7",
        "NTM",
    )
    assert note.message == (
        "Lưới tiêu chí C7:U10: “A” = đạt, “B” = chưa đạt (theo số tiêu chí đạt ghi ở từng xã: "
        "khớp 4/4 xã)"
    )


def test_excel_errors_are_missing_with_their_reason_not_marks():
    cols = columns_of(TRUTH, "Đạt", "Chưa đạt")
    cols[2][1] = "#N/A"  # a looked-up mark whose lookup failed
    cols[5][3] = "#REF!"
    totals = [[*c, 3] for c in cols]  # a total row: communes meeting each criterion
    totals[7][4] = "#DIV/0!"
    out = parse_mark_grid(grid_columns(totals), [*counts_of(TRUTH), None], 4)
    found = [(i.severity, i.code, i.cell, i.value) for o in out.values() for i in o.issues]
    assert found == [
        ("warning", "VALUE_EXCEL_ERROR", "E8", "#N/A"),
        ("warning", "VALUE_EXCEL_ERROR", "H10", "#REF!"),
        ("info", "VALUE_EXCEL_ERROR", "J11", "#DIV/0!"),  # a derived cell
    ]
    assert out["c03"].values == [True, None, True, False, None]
    assert out["c06"].values[3] is None and out["c08"].values[4] is None
    # nor can the counts give an error value a meaning: its cells are no token
    g = read_grid(columns_of(TRUTH, "#N/A", "Chưa đạt"), 4, counts_of(TRUTH))
    assert g.tokens.keys() == {"chua dat"} and len(g.errors) == 12 + 10 + 19 + 14
    assert g.values[0] == [None, False, None, False] and g.decision.unsettled == ()


@pytest.mark.parametrize("met", ["Đạt 18/19", "Đạt (18/19 TC)", "đạt (2023)"])
def test_numbers_beside_the_words_are_a_remark_and_said(met):
    out = parse_mark_grid(grid_columns(columns_of(TRUTH, met, "Chưa đạt")), counts_of(TRUTH), 4)
    assert [o.values for o in out.values()] == [[row[j] for row in TRUTH] for j in range(N)]
    (note,) = [i for o in out.values() for i in o.issues]
    assert note.code == "MARK_MEANING" and f"“{met}” = đạt" in note.message
    assert f"số ghi kèm chữ (“{met}”) được coi là ghi chú, ô đọc theo chữ" in note.message
    assert "khớp số tiêu chí đạt ghi ở 4/4 xã" in note.message


def test_a_row_of_dashes_without_a_count_is_not_assessed():
    rows = [["Đạt"] * 12 + ["-"] * 7, ["-"] * N, ["-"] * N, ["–"] * N]
    cols = [[row[j] for row in rows] for j in range(N)]
    g = read_grid(cols, 4, [12, None, 0, None])  # row 2 reports 0: the spec's reading, 0 met
    assert g.dashed == {1, 3} and g.not_assessed == {1, 3}
    assert [c[1] for c in g.values] == [None] * N and [c[2] for c in g.values] == [False] * N
    assert decision_note(g, "C7:U10", [7, 8, 9, 10]).endswith(
        "(theo chữ ghi trong ô; khớp số tiêu chí đạt ghi ở 2/2 xã; dòng 8, 10: mọi tiêu chí "
        "ghi dấu gạch ngang và không ghi số tiêu chí đạt, coi là không đánh giá "
        "(như phường, thị trấn))"
    )
    # a few criterion columns alone are no evidence of a ward: the dashes are not met
    few = read_grid(cols[:5], 4, None)
    assert few.dashed == frozenset() and [c[1] for c in few.values] == [False] * 5


def test_counts_that_settle_nothing_give_an_error_at_each_cell_with_one_message():
    truth = [[j < 12 for j in range(N)], [j < 4 for j in range(N)]]
    out = parse_mark_grid(grid_columns(columns_of(truth, "A", "B")), [30, 25], 2)
    errors = [i for o in out.values() for i in o.issues if i.severity == "error"]
    assert {e.code for e in errors} == {"VALUE_BAD_MARK"}
    a_cells = [e.cell for e in errors if e.value == "A"]
    assert len(a_cells) == 16 and len(errors) == 38 and a_cells[:2] == ["C7", "C8"]
    messages = {e.value: e.message for e in errors}  # one message per token
    assert len({e.message for e in errors}) == 2
    assert "(“A” có ở 16 ô của lưới tiêu chí: C7, D7, E7, F7, G7 và 11 ô khác)" in messages["A"]
    assert all(v is None for o in out.values() for v in o.values)


def test_unknown_tokens_without_a_count_column_are_reported_at_their_cells():
    cols = columns_of(TRUTH, "Đạt", "??")
    out = parse_mark_grid(grid_columns(cols), None, 4)
    assert [(i.code, i.value, i.cell) for i in out["c01"].issues] == [
        ("VALUE_BAD_MARK", "??", "C8"),  # no note: "Đạt" needs none, "??" has its error
        ("VALUE_BAD_MARK", "??", "C10"),
    ]
    assert "không có cột số tiêu chí đạt để đối chiếu" in out["c01"].issues[0].message
    assert out["c01"].values == [True, None, True, None]
    assert out["c19"].values == [None, True, True, True]


# --- the reader reads the grid as a whole ----------------------------------------------

NTM_TOP = ["STT", "Xã"] + [f"TC{n}" for n in range(1, 20)] + ["Số TC đạt"]


def test_the_reader_settles_a_grid_by_its_reported_counts():
    rows = [[i + 1, name] + ["A" if j < k else "B" for j in range(N)] + [k]
            for i, (name, k) in enumerate([("Trà Mai", 15), ("Trà Don", 11), ("Trà Giáp", 19)])]  # fmt: skip
    v = recognise_sheet(sheet([["Biểu 03/NTM"], NTM_TOP] + rows))
    ft = read_form(v, "t.xlsx")
    marks = ft.records[[f"c{n:02d}" for n in range(1, 20)]].astype(bool)
    assert marks.sum(axis=1).tolist() == [15, 11, 19]
    assert [(i.severity, i.code) for i in ft.issues] == [("info", "MARK_MEANING")]
    assert "“A” = đạt, “B” = chưa đạt" in ft.issues[0].message


# --- property: decide recovers the truth, or says it cannot ----------------------------

grids = st.integers(1, 8).flatmap(
    lambda n: st.lists(st.lists(st.booleans(), min_size=N, max_size=N), min_size=n, max_size=n)
)


def unknown(text):
    """A token no list knows (so only the counts can give it a meaning)."""
    return word_meaning(token_key(text), VOCAB) is None


# Made-up tokens: one to three letters or signs that mean nothing by themselves.
made_up = st.text("ABEFGHIJLMNOPQSTUVWYZ@#•○", min_size=1, max_size=3).filter(unknown)
unknown_pairs = st.tuples(made_up, made_up | st.none()).filter(
    lambda p: p[1] is None or token_key(p[0]) != token_key(p[1])
)


@settings(max_examples=150, deadline=None)
@given(grids, st.sampled_from(PAIRS + REMARK_PAIRS + UNKNOWN_PAIRS) | unknown_pairs)
def test_property_consistent_counts_recover_the_truth(truth, pair):
    met, not_met = pair
    g = read_grid(columns_of(truth, met, not_met), len(truth), counts_of(truth))
    assert g.values == [[row[j] for row in truth] for j in range(N)]
    assert g.decision.unsettled == ()


def achievable(row_tokens):
    """Every count some assignment of the row's tokens could give."""
    sums = {0}
    for n in row_tokens.values():
        sums |= {s + n for s in sums}
    return sums


@settings(max_examples=150, deadline=None)
@given(grids, unknown_pairs)
def test_property_inconsistent_counts_give_findings_not_guesses(truth, pair):
    met, not_met = pair
    cols = columns_of(truth, met, not_met)
    per_row = [
        Counter(k for c in cols if (k := token_key(c[r])) is not None) for r in range(len(truth))
    ]
    reported = [min(set(range(20)) - achievable(r), default=20) for r in per_row]
    out = parse_mark_grid(grid_columns(cols), reported, len(truth))
    flagged = {
        (i.cell, i.value) for o in out.values() for i in o.issues if i.code == "VALUE_BAD_MARK"
    }
    expected = {
        (f"{chr(ord('C') + j)}{7 + r}", cols[j][r])
        for j in range(N)
        for r in range(len(truth))
        if cols[j][r] is not None
    }
    assert flagged == expected
    for j, name in enumerate(out):
        assert out[name].values == [None if c is not None else False for c in cols[j]]
