"""Formulas without cached values: the evaluator over a grid."""

from __future__ import annotations

import pytest
from workbooks import sheet

from ketnghia_analysis.reading.formulas import FormulaEvaluator, evaluate_uncached, tokenize
from ketnghia_analysis.reading.grid import Grid


def test_formula_evaluator():
    rows = [
        [None, 10, "1.234", None],
        [None, 20, 5, None],
        [None, None, None, None],
    ]
    grid = Grid(sheet(rows))
    formulas = {
        (2, 1): "=SUM(B1:B2)",
        (2, 2): "=C1+C2*2",
        (2, 3): "=ROUND(B3/3, 1)",
        (0, 3): "=Sheet2!A1",
    }
    out = evaluate_uncached(grid, formulas)
    assert out == {(2, 1): 30.0, (2, 2): 1244.0, (2, 3): 10.0, (0, 3): None}
    ev = FormulaEvaluator(grid, {(0, 0): "=A1+1"})
    assert ev.cell(0, 0) is None  # circular


def test_tokenize_rejects_what_it_does_not_understand():
    assert tokenize("=A1&B1") is None
    assert tokenize("=ROUND(B3/3, 1)") == [
        ("fn", "ROUND"), ("ref", "B3"), ("op", "/"), ("num", "3"), ("op", ","), ("num", "1"),
        ("op", ")"),
    ]  # fmt: skip


def test_a_formula_referring_to_another_uncached_formula_in_any_order():
    """A1 = B1 + 1 and B1 = 2 * 3, neither cached: A1 is 7 whichever is evaluated first."""
    grid = Grid(sheet([[None, None]]))
    chain = {(0, 0): "=B1+1", (0, 1): "=2*3"}
    for order in (chain, dict(reversed(list(chain.items())))):
        assert evaluate_uncached(grid, order) == {(0, 0): 7.0, (0, 1): 6.0}


def test_a_sum_reads_its_text_operands_the_way_their_column_writes_numbers():
    """Amounts typed "1,234.5" (English convention): the uncached SUM under them adds
    1234.5 + 123.456 + 2000, as the column is read, not 1.2345 + 123456 + 2 (issue #20)."""
    rows = [
        ["Kinh phí (triệu đồng)", "Số hộ"],
        ["1,234.5", "1.234"],
        ["123.456", "2.000"],
        ["2,000", 15],
        [None, None],
    ]
    grid = Grid(sheet(rows))
    out = evaluate_uncached(grid, {(4, 0): "=SUM(A2:A4)", (4, 1): "=SUM(B2:B4)"})
    assert out[(4, 0)] == pytest.approx(1234.5 + 123.456 + 2000)
    assert out[(4, 1)] == 1234 + 2000 + 15  # a Vietnamese column: "1.234" is thousands


def test_a_text_operand_that_is_no_number_leaves_the_formula_uncomputed():
    grid = Grid(sheet([["abc", 5, None]]))
    assert evaluate_uncached(grid, {(0, 2): "=A1+B1"}) == {(0, 2): None}
