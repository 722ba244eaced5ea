"""Formulas without cached values (files written by scripts): a small evaluator over a grid.

Only what district returns use is evaluated: numbers, cell references and ranges on the
same sheet, + - * /, parentheses, SUM, ROUND, ABS, MIN, MAX and AVERAGE. Anything else (a
reference to another sheet, an unknown function) gives None, and the reader adds a total
up from its data rows instead.

A number typed as text in a referenced cell is read the way its column writes numbers
("1,234.5" in a column of English-written amounts is 1234.5, and "123.456" there 123.456):
the convention is decided once per column from the column's own cells, as the column
parser decides it (`values.parse_number_column`), so a recomputed total adds up the same
numbers the rows are read as.
"""

from __future__ import annotations

import re
from typing import Any

from ketnghia_analysis.core.address import parse_a1
from ketnghia_analysis.reading.grid import Grid
from ketnghia_analysis.reading.values import parse_number_column

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<ref>(?:'[^']+'!|[A-Za-z0-9_]+!)?\$?[A-Za-z]{1,3}\$?\d+"
    r"(?::\$?[A-Za-z]{1,3}\$?\d+)?)|(?P<fn>[A-Za-z]+)\s*\(|(?P<op>[-+*/(),;]))"
)


def tokenize(formula: str) -> list[tuple[str, str]] | None:
    """(kind, text) tokens of a formula ("=" optional), None if a character is not understood.

    >>> tokenize("=SUM(C7:C9)+1")
    [('fn', 'SUM'), ('ref', 'C7:C9'), ('op', ')'), ('op', '+'), ('num', '1')]
    """
    s = formula.strip()
    if s.startswith("="):
        s = s[1:]
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(s):
        if s[pos].isspace():
            pos += 1
            continue
        m = _TOKEN.match(s, pos)
        if not m or m.end() == pos:
            return None
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


def _parse_ref(ref: str) -> tuple[int, int, int, int] | None:
    """0-based (row0, col0, row1, col1) of a reference on the same sheet, else None."""
    if "!" in ref:
        return None  # another sheet: not evaluated
    ref = ref.replace("$", "")
    parts = ref.split(":")
    out = []
    for p in parts:
        if not re.match(r"^([A-Za-z]{1,3})(\d+)$", p):
            return None
        out.append(parse_a1(p))
    if len(out) == 1:
        out.append(out[0])
    (r0, c0), (r1, c1) = out
    return min(r0, r1), min(c0, c1), max(r0, r1), max(c0, c1)


class FormulaEvaluator:
    """Evaluate simple formulas (+ - * /, SUM, ROUND, ABS, MIN, MAX) over a grid.

    Referenced cells are numbers, numeric text (read in the convention of its column,
    `text_number`) or other uncached formulas (evaluated recursively). Anything else
    gives None.
    """

    def __init__(self, grid: Grid, formulas: dict[tuple[int, int], str]):
        self.grid = grid
        self.formulas = formulas
        self.memo: dict[tuple[int, int], float | None] = {}
        self.active: set[tuple[int, int]] = set()
        self.columns: dict[int, list[float | None]] = {}  # column → its numbers, when needed

    def text_number(self, r: int, c: int) -> float | None:
        """The number the text cell (r, c) holds (None: not a number), read as its column
        is read: the column is parsed once, as a whole (`values.parse_number_column`), so
        "1.234" is thousands or decimal the way the column's other cells say."""
        if c not in self.columns:
            cells = [self.grid.value(rr, c) for rr in range(self.grid.n_rows)]
            self.columns[c] = parse_number_column(cells).values
        return self.columns[c][r]

    def cell(self, r: int, c: int) -> float | None:
        """Value of cell (r, c): its formula evaluated, a number, or numeric text."""
        if (r, c) in self.formulas:
            if (r, c) in self.memo:
                return self.memo[(r, c)]
            if (r, c) in self.active:
                return None  # circular
            self.active.add((r, c))
            try:
                x = self.evaluate(self.formulas[(r, c)])
            finally:
                self.active.discard((r, c))
            self.memo[(r, c)] = x
            return x
        v = self.grid.value(r, c)
        if v is None:
            return 0.0
        if isinstance(v, bool):
            return None
        if isinstance(v, int | float):
            return float(v)
        return self.text_number(r, c)

    def evaluate(self, formula: str) -> float | None:
        """Value of one formula, None when it cannot be computed.

        Re-entrant: a reference to another uncached formula evaluates that one first, inside
        this call, so the parser's position is saved and restored around it.
        """
        tokens = tokenize(formula)
        if tokens is None:
            return None
        saved = getattr(self, "_toks", None), getattr(self, "_i", 0)
        self._toks = tokens
        self._i = 0
        try:
            v = self._expr()
            if self._i != len(tokens) or v is None or isinstance(v, list):
                return None
            return v
        except (ValueError, IndexError, ZeroDivisionError, TypeError):
            return None
        finally:
            self._toks, self._i = saved  # type: ignore[assignment]

    # recursive descent ------------------------------------------------------
    def _peek(self) -> tuple[str, str] | None:
        return self._toks[self._i] if self._i < len(self._toks) else None

    def _take(self) -> tuple[str, str]:
        t = self._toks[self._i]
        self._i += 1
        return t

    def _expr(self) -> Any:
        v = self._term()
        while (t := self._peek()) and t[0] == "op" and t[1] in "+-":
            self._take()
            w = self._term()
            if v is None or w is None:
                return None
            v = v + w if t[1] == "+" else v - w
        return v

    def _term(self) -> Any:
        v = self._factor()
        while (t := self._peek()) and t[0] == "op" and t[1] in "*/":
            self._take()
            w = self._factor()
            if v is None or w is None:
                return None
            v = v * w if t[1] == "*" else v / w
        return v

    def _factor(self) -> Any:
        kind, text = self._take()
        if kind == "op" and text == "-":
            v = self._factor()
            return None if v is None else -v
        if kind == "op" and text == "+":
            return self._factor()
        if kind == "num":
            return float(text)
        if kind == "op" and text == "(":
            v = self._expr()
            if self._take() != ("op", ")"):
                raise ValueError("parenthesis")
            return v
        if kind == "ref":
            rng = _parse_ref(text)
            if rng is None:
                return None
            r0, c0, r1, c1 = rng
            if (r0, c0) == (r1, c1):
                return self.cell(r0, c0)
            vals = [self.cell(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]
            return vals
        if kind == "fn":
            args: list[Any] = []
            if self._peek() != ("op", ")"):
                while True:
                    args.append(self._expr())
                    t = self._take()
                    if t == ("op", ")"):
                        break
                    if t not in (("op", ","), ("op", ";")):
                        raise ValueError("args")
            else:
                self._take()
            return self._call(text.upper(), args)
        raise ValueError(f"unexpected {text}")

    @staticmethod
    def _flat(args: list[Any]) -> list[float] | None:
        out: list[float] = []
        for a in args:
            items = a if isinstance(a, list) else [a]
            for x in items:
                if x is None:
                    return None
                out.append(x)
        return out

    def _call(self, fn: str, args: list[Any]) -> float | None:
        flat = self._flat(args)
        if flat is None:
            return None
        if fn == "SUM":
            return float(sum(flat))
        if fn == "MIN" and flat:
            return min(flat)
        if fn == "MAX" and flat:
            return max(flat)
        if fn == "ABS" and len(flat) == 1:
            return abs(flat[0])
        if fn == "ROUND" and len(flat) in (1, 2):
            return round(flat[0], int(flat[1]) if len(flat) == 2 else 0)
        if fn == "AVERAGE" and flat:
            return sum(flat) / len(flat)
        return None


def evaluate_uncached(
    grid: Grid, formulas: dict[tuple[int, int], str]
) -> dict[tuple[int, int], float | None]:
    """Values of formula cells without a cached value (None where not computable)."""
    ev = FormulaEvaluator(grid, formulas)
    return {rc: ev.cell(*rc) for rc in formulas}
