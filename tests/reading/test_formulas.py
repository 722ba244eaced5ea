"""Formulas without cached values: the evaluator over a grid."""

from __future__ import annotations

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
    out = evaluate_uncached(grid, formulas, lambda s: 1234.0 if s == "1.234" else None)
    assert out == {(2, 1): 30.0, (2, 2): 1244.0, (2, 3): 10.0, (0, 3): None}
    ev = FormulaEvaluator(grid, {(0, 0): "=A1+1"}, lambda s: None)
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
        assert evaluate_uncached(grid, order, lambda s: None) == {(0, 0): 7.0, (0, 1): 6.0}
