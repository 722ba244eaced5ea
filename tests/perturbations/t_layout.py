"""Transforms of the layout of a form: rows and columns inserted, moved or removed, header
rows split or merged, total rows moved, relabelled, removed or added, merged cells."""

from __future__ import annotations

import random
from collections.abc import Callable

from openpyxl.utils import get_column_letter

from perturbations.book import COUNTS, Book, Form, Layout
from perturbations.registry import transform
from perturbations.t_text import header_cell


def last_col(book: Book, form: Form) -> int:
    return max(form.columns.values())


def each_form(fn: Callable[[Book, Form, random.Random], None]) -> Callable:
    """A transform applied to every form of the book."""

    def apply(book: Book, rng: random.Random) -> None:
        for form in list(book.layout.forms):
            fn(book, form, rng)

    return apply


# ---------------------------------------------------------------------------------------
# Blank rows and columns, shifted tables
# ---------------------------------------------------------------------------------------
@transform("blank_rows_between")
@each_form
def blank_rows_between(book: Book, form: Form, rng: random.Random) -> None:
    """One or two blank rows typed between data rows."""
    if len(form.rows) < 3:
        return
    for at in sorted(rng.sample(form.rows[1:], min(2, len(form.rows) - 1)), reverse=True):
        book.insert_rows(form, at, 1)


@transform("blank_rows_top")
@each_form
def blank_rows_top(book: Book, form: Form, rng: random.Random) -> None:
    """Blank rows above everything (the table starts lower on the sheet)."""
    book.insert_rows(form, 1, rng.randint(1, 4))


@transform("shift_right_to_c")
@each_form
def shift_right_to_c(book: Book, form: Form, rng: random.Random) -> None:
    """The whole sheet starts at column C (two empty columns on the left)."""
    book.insert_cols(form, 1, 2)


@transform("blank_column_inserted")
@each_form
def blank_column_inserted(book: Book, form: Form, rng: random.Random) -> None:
    """An empty column between the data columns (a column cleared instead of deleted)."""
    cols = sorted(form.columns.values())
    book.insert_cols(form, rng.choice(cols[1:]) if len(cols) > 1 else cols[0] + 1)


@transform("stt_cleared")
@each_form
def stt_cleared(book: Book, form: Form, rng: random.Random) -> None:
    """The first column (STT) left empty in the data rows."""
    used = set(form.columns.values())
    if 1 in used:
        return
    ws = book.sheet(form)
    for r in form.rows:
        ws.cell(r, 1).value = None


@transform("hidden_helper_column")
@each_form
def hidden_helper_column(book: Book, form: Form, rng: random.Random) -> None:
    """A hidden helper column after the names (a lookup key typed by the officer)."""
    col = form.columns.get("commune")
    if col is None:
        return
    book.insert_cols(form, col + 1)
    ws = book.sheet(form)
    ws.cell(form.header[0], col + 1).value = "cột phụ"
    for r in form.rows:
        name = ws.cell(r, col).value
        ws.cell(r, col + 1).value = str(name).strip().lower() if name else None
    ws.column_dimensions[get_column_letter(col + 1)].hidden = True


@transform("column_widths")
@each_form
def column_widths(book: Book, form: Form, rng: random.Random) -> None:
    """Column widths and row heights changed (only the look)."""
    ws = book.sheet(form)
    for c in range(1, last_col(book, form) + 1):
        ws.column_dimensions[get_column_letter(c)].width = rng.choice([3, 8.5, 15, 40])
    for r in form.rows:
        ws.row_dimensions[r].height = rng.choice([12, 15, 30])


@transform("autofilter_freeze")
@each_form
def autofilter_freeze(book: Book, form: Form, rng: random.Random) -> None:
    """A filter on the header row and frozen panes below it."""
    ws = book.sheet(form)
    last = get_column_letter(last_col(book, form))
    ws.auto_filter.ref = f"A{form.header[1]}:{last}{form.rows[-1] if form.rows else form.header[1]}"
    ws.freeze_panes = f"C{form.header[1] + 1}"


# ---------------------------------------------------------------------------------------
# Rows reordered, commune cells merged
# ---------------------------------------------------------------------------------------
def runs(rows: list[int]) -> list[list[int]]:
    """Maximal runs of consecutive rows."""
    out: list[list[int]] = []
    for r in rows:
        if out and out[-1][-1] == r - 1:
            out[-1].append(r)
        else:
            out.append([r])
    return out


@transform("rows_reordered")
@each_form
def rows_reordered(book: Book, form: Form, rng: random.Random) -> None:
    """The communes of a block of consecutive rows in another order (sorted or shuffled)."""
    run = max(runs(form.rows), key=len, default=[])
    if len(run) < 2 or form.kind == "support":  # merged partner rows stay together
        return
    order = run[:]
    rng.shuffle(order)
    new_of = dict(zip(order, run, strict=True))
    book.reshape(form, row_of=lambda r: new_of.get(r, r), formulas=False)


@transform("merged_commune_cells", needs=("support",))
def merged_commune_cells(book: Book, rng: random.Random) -> None:
    """The commune cell merged over its partner rows (01/KN)."""
    form = book.layout.require("support")
    col = form.columns["commune"]
    ws = book.sheet(form)
    for run in runs(form.rows):
        start = run[0]
        for prev, r in zip(run, run[1:] + [None], strict=True):
            same = r is not None and ws.cell(r, col).value == ws.cell(start, col).value
            if not same:
                if prev > start:
                    for x in range(start + 1, prev + 1):
                        ws.cell(x, col).value = None
                    ws.merge_cells(start_row=start, start_column=col, end_row=prev, end_column=col)
                start = r if r is not None else start


# ---------------------------------------------------------------------------------------
# Header rows
# ---------------------------------------------------------------------------------------
@transform("header_group_row")
@each_form
def header_group_row(book: Book, form: Form, rng: random.Random) -> None:
    """A row of group headers above the header: the value columns under one merged label,
    the others merged down over both rows."""
    cols = sorted(form.columns.values())
    if len(cols) < 4:
        return
    top = form.header[0]
    book.insert_rows(form, top)
    ws = book.sheet(form)
    group = cols[2:]
    ws.cell(top, group[0]).value = rng.choice(
        ["Kết quả thực hiện", "Trong đó", "Số liệu năm báo cáo"]
    )
    ws.merge_cells(start_row=top, start_column=group[0], end_row=top, end_column=group[-1])
    for c in range(1, group[0]):
        below = ws.cell(top + 1, c)
        if below.value is not None and not _merged(ws, top + 1, c):
            ws.cell(top, c).value, below.value = below.value, None
            ws.merge_cells(start_row=top, start_column=c, end_row=form.header[1], end_column=c)
    form.header = (top, form.header[1])


def _merged(ws, r: int, c: int) -> bool:
    return any(
        m.min_row <= r <= m.max_row and m.min_col <= c <= m.max_col for m in ws.merged_cells.ranges
    )


@transform("header_continued_below")
@each_form
def header_continued_below(book: Book, form: Form, rng: random.Random) -> None:
    """Long labels typed over two rows: the last words in the cell below, no merge."""
    last = form.header[1]
    book.insert_rows(form, last + 1)
    ws = book.sheet(form)
    for name in form.columns:
        cell = header_cell(book, form, name)
        if cell is None or cell.row != last or _merged(ws, cell.row, cell.column):
            continue
        words = str(cell.value).split()
        if len(words) >= 4:
            cut = len(words) // 2
            cell.value = " ".join(words[:cut])
            ws.cell(last + 1, cell.column).value = " ".join(words[cut:])
    form.header = (form.header[0], last + 1)


@transform("header_merged_vertical")
@each_form
def header_merged_vertical(book: Book, form: Form, rng: random.Random) -> None:
    """Each header label merged down over an extra (empty) header row."""
    last = form.header[1]
    book.insert_rows(form, last + 1)
    ws = book.sheet(form)
    for c in range(1, last_col(book, form) + 1):
        if ws.cell(last, c).value is not None and not _merged(ws, last, c):
            ws.merge_cells(start_row=last, start_column=c, end_row=last + 1, end_column=c)
    form.header = (form.header[0], last + 1)


@transform("numbering_row_added", when=lambda lay: any(not f.numbering for f in lay.forms))
@each_form
def numbering_row_added(book: Book, form: Form, rng: random.Random) -> None:
    """A numbering row '(1) (2) …' or 'A B 1 2 …' under the header."""
    if form.numbering:
        return
    at = form.header[1] + 1
    book.insert_rows(form, at)
    ws = book.sheet(form)
    style = rng.choice(["({})", "{}"])
    for i, c in enumerate(range(1, last_col(book, form) + 1), start=1):
        ws.cell(at, c).value = style.format(i)
    form.numbering.append(at)


# ---------------------------------------------------------------------------------------
# Total rows
# ---------------------------------------------------------------------------------------
def bottom_total(form: Form) -> int | None:
    """The one total row under the data (no subtotals), if that is the form's shape."""
    if len(form.totals) == 1 and form.rows and form.totals[0] > form.rows[-1]:
        return form.totals[0]
    return None


def has_bottom_total(layout: Layout) -> bool:
    return any(bottom_total(f) for f in layout.forms)


@transform("total_row_to_top", when=has_bottom_total)
@each_form
def total_row_to_top(book: Book, form: Form, rng: random.Random) -> None:
    """The total row moved from under the data to just above it."""
    total = bottom_total(form)
    if total is None:
        return
    first = form.rows[0]

    def row_of(r: int) -> int:
        if r == total:
            return first
        return r + 1 if first <= r < total else r

    book.reshape(form, row_of=row_of)


@transform("total_row_removed", when=lambda lay: any(f.totals for f in lay.forms))
@each_form
def total_row_removed(book: Book, form: Form, rng: random.Random) -> None:
    """The total and subtotal rows deleted."""
    for total in sorted(form.totals, reverse=True):

        def row_of(r: int, t: int = total) -> int | None:
            return None if r == t else (r - 1 if r > t else r)

        book.reshape(form, row_of=row_of)


@transform("total_label_reworded", when=lambda lay: any(f.totals for f in lay.forms))
@each_form
def total_label_reworded(book: Book, form: Form, rng: random.Random) -> None:
    """The total row labelled otherwise ('Cộng', 'TỔNG CỘNG', 'Toàn huyện', 'Tổng số')."""
    ws = book.sheet(form)
    for r in form.totals:
        label = next(
            (c for c in ws[r] if isinstance(c.value, str) and not c.value.startswith("=")), None
        )
        if label is not None:
            label.value = rng.choice(
                ["Cộng", "TỔNG CỘNG", "Toàn huyện", "Tổng số", "Cộng toàn huyện"]
            )


@transform("total_row_added", when=lambda lay: any(not f.totals for f in lay.forms))
@each_form
def total_row_added(book: Book, form: Form, rng: random.Random) -> None:
    """A total row typed under the data where there was none: the sums of the counts."""
    if form.totals or not form.rows or form.kind == "ntm":
        return
    at = form.rows[-1] + 1
    book.insert_rows(form, at)
    ws = book.sheet(form)
    label_col = form.columns.get("commune", 2)
    ws.cell(at, label_col).value = rng.choice(["Tổng cộng", "Cộng", "Toàn huyện"])
    for name in COUNTS.get(form.kind, ()):
        col = form.columns.get(name)
        if col is None:
            continue
        total = sum(int(rec.get(name) or 0) for _, rec in book.data_cells(form, name))
        ws.cell(at, col).value = total
    form.totals.append(at)
