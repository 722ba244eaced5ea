"""A return opened for perturbing: its workbook, where its forms are, and each row's truth.

`Layout` is found once per base file by reading it with the product's reader (the sample
build is already checked value by value against truth, so the layout of an unperturbed
file is trustworthy): each form's sheet, header rows, the column of each canonical field,
its data rows and its total rows. `Book` carries an openpyxl workbook, a copy of that
layout and the truth record of every data row; `reshape` moves cells the way Excel does
when rows or columns are inserted, deleted or moved (values, styles, merged ranges,
hidden rows and columns, and the references inside formulas), and keeps the layout in step.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.dimensions import DimensionHolder
from openpyxl.worksheet.worksheet import Worksheet

#: Truth column of a canonical field, where the names differ (money is million VND in truth).
TRUTH_COLUMN = {"cash": "cash_mvnd", "in_kind": "in_kind_mvnd"}
#: The fields of each form whose values are counts (integers) in the returns.
COUNTS = {
    "poverty": (
        "households_total",
        "poor_start",
        "poverty_exits",
        "poverty_relapses",
        "poverty_new",
        "poor_end",
        "near_poor_end",
        "poor_ethnic_minority_end",
    ),
    "support": (
        "models_supported",
        "beneficiary_households",
        "officials_trained",
        "workers_trained",
        "houses_supported",
    ),
    "models": ("households",),
    "ntm": ("criteria_met",),
}
YEARS = {"support": ("pair_start_year",), "models": ("start_year",)}
MONEY = {"support": ("cash", "in_kind")}


@dataclass
class Form:
    """Where one form sits in its sheet (rows and columns 1-based, as Excel counts)."""

    kind: str  # "support" | "poverty" | "ntm" | "models"
    sheet: str
    header: tuple[int, int]  # first and last header row
    columns: dict[str, int]  # canonical field → column
    rows: list[int]  # data rows, in sheet order
    totals: list[int]  # total and subtotal rows
    money: dict[str, float] = field(default_factory=dict)  # money field → factor to million VND
    numbering: list[int] = field(default_factory=list)  # numbering rows under the header

    def remap(self, row_of: Callable[[int], int | None], col_of: Callable[[int], int | None]):
        """Follow a reshape of the sheet (rows or columns dropped by it leave the layout)."""
        first, last = row_of(self.header[0]), row_of(self.header[1])
        self.header = (first or self.header[0], last or first or self.header[1])
        self.columns = {
            k: c for k, c in ((k, col_of(v)) for k, v in self.columns.items()) if c is not None
        }
        self.rows = sorted(r for r in map(row_of, self.rows) if r is not None)
        self.totals = sorted(r for r in map(row_of, self.totals) if r is not None)
        self.numbering = sorted(r for r in map(row_of, self.numbering) if r is not None)


@dataclass
class Layout:
    """The forms of one base file."""

    forms: list[Form]

    def form(self, kind: str) -> Form | None:
        return next((f for f in self.forms if f.kind == kind), None)

    def require(self, kind: str) -> Form:
        """The form of this kind (the transform's `needs` promised it)."""
        form = self.form(kind)
        if form is None:
            raise KeyError(kind)
        return form

    def kinds(self) -> set[str]:
        return {f.kind for f in self.forms}


def find_layout(path: Path, raw_root: Path) -> Layout:
    """The layout of an unperturbed return, as the product's reader sees it."""
    from ketnghia_analysis.reading.reader import read_return

    ret = read_return(path, raw_root)
    forms = []
    for t in ret.forms:
        kinds = t.row_kinds
        forms.append(
            Form(
                kind=t.form,
                sheet=t.sheet,
                header=(int(t.header_rows[0]), int(t.header_rows[1])),
                columns={k: int(v) + 1 for k, v in t.columns.items()},
                rows=sorted(int(r) for r in t.records["source_row"]),
                totals=sorted(r for r, k in kinds.items() if k in ("total", "subtotal")),
                money=dict(t.money_scale),
                numbering=sorted(r for r, k in kinds.items() if k == "numbering"),
            )
        )
    return Layout(forms)


@dataclass
class Book:
    """A workbook being perturbed, with the layout and truth of its forms."""

    wb: Any  # openpyxl Workbook
    layout: Layout
    truth: dict[tuple[str, int], dict[str, Any]]  # (form kind, base row) → truth record
    name: str  # the file name (a transform may rename the file)
    base_row: dict[tuple[str, int], int] = field(default_factory=dict)  # (kind, row) → base row
    may_be_missing: set[tuple[str, str]] = field(default_factory=set)  # (table, column)

    def __post_init__(self) -> None:
        if not self.base_row:
            self.base_row = {(f.kind, r): r for f in self.layout.forms for r in f.rows}

    def sheet(self, form: Form) -> Worksheet:
        return self.wb[form.sheet]

    def record(self, form: Form, row: int) -> dict[str, Any] | None:
        """The truth record of a data row (None for a row truth does not hold)."""
        base = self.base_row.get((form.kind, row))
        return None if base is None else self.truth.get((form.kind, base))

    def data_cells(self, form: Form, name: str) -> Iterator[tuple[Cell, dict[str, Any]]]:
        """(cell, truth record) of the field `name` in every data row truth holds."""
        col = form.columns.get(name)
        if col is None:
            return
        ws = self.sheet(form)
        for r in form.rows:
            rec = self.record(form, r)
            if rec is not None:
                yield ws.cell(r, col), rec

    def reshape(
        self,
        form: Form,
        row_of: Callable[[int], int | None] = lambda r: r,
        col_of: Callable[[int], int | None] = lambda c: c,
        formulas: bool = True,
    ) -> None:
        """Move the cells of the form's sheet and keep every layout on that sheet in step
        (formulas=False: references are left alone, as when Excel sorts the rows)."""
        reshape(self.sheet(form), row_of, col_of, formulas)
        for f in self.layout.forms:
            if f.sheet == form.sheet:
                moved = {}
                for r in f.rows:
                    new = row_of(r)
                    if new is not None:
                        moved[(f.kind, new)] = self.base_row[(f.kind, r)]
                f.remap(row_of, col_of)
                others = {k: v for k, v in self.base_row.items() if k[0] != f.kind}
                self.base_row = {**others, **moved}

    def insert_rows(self, form: Form, at: int, n: int = 1) -> None:
        """Insert `n` blank rows before row `at`."""
        self.reshape(form, row_of=lambda r: r if r < at else r + n)

    def insert_cols(self, form: Form, at: int, n: int = 1) -> None:
        """Insert `n` blank columns before column `at`."""
        self.reshape(form, col_of=lambda c: c if c < at else c + n)

    def rename_sheet(self, form: Form, title: str) -> None:
        old = form.sheet
        self.wb[old].title = title
        for f in self.layout.forms:
            if f.sheet == old:
                f.sheet = title


# ---------------------------------------------------------------------------------------
# Moving cells as Excel does
# ---------------------------------------------------------------------------------------
_REF = re.compile(r"(?<![A-Za-z_])(\$?)([A-Z]{1,3})(\$?)(\d+)(?![\d(])")


def shift_formula(text: str, row_of: Callable, col_of: Callable) -> str:
    """The formula with every A1 reference moved (a dropped reference becomes #REF!).

    >>> shift_formula("=SUM(F3:F17)", lambda r: r + 1, lambda c: c)
    '=SUM(F4:F18)'
    """
    from openpyxl.utils import column_index_from_string

    def move(m: re.Match) -> str:
        r, c = row_of(int(m.group(4))), col_of(column_index_from_string(m.group(2)))
        if r is None or c is None:
            return "#REF!"
        return f"{m.group(1)}{get_column_letter(c)}{m.group(3)}{r}"

    return _REF.sub(move, text)


def reshape(ws: Worksheet, row_of: Callable, col_of: Callable, formulas: bool = True) -> None:
    """Move every cell of `ws` from (r, c) to (row_of(r), col_of(c)); None drops it."""
    merged = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
    for m in list(ws.merged_cells.ranges):
        ws.unmerge_cells(str(m))
    cells = {}
    for (r, c), cell in list(ws._cells.items()):
        nr, nc = row_of(r), col_of(c)
        if nr is None or nc is None:
            continue
        cell.row, cell.column = nr, nc
        if formulas and isinstance(cell.value, str) and cell.value.startswith("="):
            cell.value = shift_formula(cell.value, row_of, col_of)
        cells[(nr, nc)] = cell
    ws._cells = cells
    for r1, c1, r2, c2 in merged:
        a, b, x, y = row_of(r1), col_of(c1), row_of(r2), col_of(c2)
        if None not in (a, b, x, y) and (a, b) != (x, y):
            ws.merge_cells(start_row=a, start_column=b, end_row=x, end_column=y)
    _move_dimensions(ws, row_of, col_of)


def _move_dimensions(ws: Worksheet, row_of: Callable, col_of: Callable) -> None:
    """Hidden flags, heights and widths follow their rows and columns."""
    rows = {r: (d.hidden, d.height) for r, d in ws.row_dimensions.items()}
    ws.row_dimensions.clear()
    for r, (hidden, height) in rows.items():
        nr = row_of(r)
        if nr is not None and (hidden or height):
            ws.row_dimensions[nr].hidden = hidden
            ws.row_dimensions[nr].height = height
    cols = {}
    for d in ws.column_dimensions.values():
        if d.min is None:
            continue
        for c in range(d.min, (d.max or d.min) + 1):
            cols[c] = (d.hidden, d.width if d.customWidth else None)
    ws.column_dimensions = DimensionHolder(worksheet=ws, default_factory=ws._add_column)
    for c, (hidden, width) in cols.items():
        nc = col_of(c)
        if nc is not None and (hidden or width):
            dim = ws.column_dimensions[get_column_letter(nc)]
            dim.hidden = hidden
            if width:
                dim.width = width


def copy_style(src: Cell, dst: Cell) -> None:
    """Give `dst` the look of `src` (font, border, fill, number format, alignment)."""
    if src.has_style:
        dst._style = copy.copy(src._style)
