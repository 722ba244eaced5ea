"""A form's data rows: column choice, sections, subtotal and total rows with SUM formulas."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ketnghia_analysis.core.address import a1
from ketnghia_analysis.sample.forms.style import Col, Ctx, FormStyle
from ketnghia_analysis.sample.forms.values import MONEY_DIV
from ketnghia_analysis.sample.grid import Formula, Grid

Group = tuple[str | None, list[dict]]  # (section title or None, records)
CellFn = Callable[[dict, Col, int, int], object]  # (record, column, row, col) -> cell value
Provenance = list[tuple[tuple, int]]  # (truth key, 1-based Excel row)

SECTION_ORDER = (
    "Các xã khu vực III",
    "Các xã, thị trấn khu vực I, II",
    "Các xã còn lại",
    "Các xã",
    "Các phường, thị trấn",
)


def finish_columns(
    cols: list[Col], st: FormStyle, ctx: Ctx, sheet: str, extra_cols: list[Col]
) -> tuple[list[Col], set[str]]:
    """Drop missing optional columns, add extra ones, shuffle (one-row headers only)."""
    dropped = {c.key for c in cols if c.key in st.missing}
    cols = [c for c in cols if c.key not in dropped]
    if dropped:
        ctx.place.add("columns_missing", ctx.file, sheet, ",".join(sorted(dropped)))
    if st.extra and extra_cols:
        pos = len(cols) if ctx.rng.random() < 0.5 else len(cols) - 1
        cols = cols[:pos] + extra_cols + cols[pos:]
    if st.shuffle and st.depth == 1:
        head, body = cols[:2], cols[2:]
        perm = ctx.rng.permutation(len(body))
        body = [body[int(i)] for i in perm]
        if [c.key for c in body] != [c.key for c in cols[2:]]:
            cols = head + body
    return cols, dropped


def sections(records: list[dict], ctx: Ctx, st: FormStyle) -> list[Group]:
    """Records grouped in the sections of a district's return (one group if no sections)."""
    if not st.sections:
        return [(None, records)]
    buckets: dict[str, list[dict]] = {}
    for rec in records:
        k = ctx.klass.get(rec["_code"], "plain")
        ctype = ctx.commune_type.get(rec["_code"], "xã")
        if k == "kv3":
            title = "Các xã khu vực III"
        elif k == "kv12":
            title = "Các xã, thị trấn khu vực I, II"
        elif ctype == "xã":
            title = "Các xã còn lại" if k == "mtn" else "Các xã"
        else:
            title = "Các phường, thị trấn"
        buckets.setdefault(title, []).append(rec)
    groups: list[Group] = [(t, buckets[t]) for t in SECTION_ORDER if t in buckets]
    return groups if len(groups) >= 2 else [(None, records)]


def table(
    grid: Grid,
    cols: list[Col],
    st: FormStyle,
    ctx: Ctx,
    groups: Sequence[Group],
    r: int,
    label_col: int,
    cell_fn: CellFn,
    total_extra: Callable[[dict[str, float]], dict[str, object] | None] | None = None,
) -> tuple[Provenance, int]:
    """Data rows in sections with subtotals and a total at the top or bottom.

    ``groups`` is [(section title or None, [record, ...])]; each record carries ``_key``
    (truth key) and canonical values; ``cell_fn(record, col, r, c)`` gives the cell value.
    Returns the provenance of the rows written and the next free row.
    """
    out: Provenance = []
    summed = [c.key for c in cols if c.total]
    grand = {k: 0.0 for k in summed}
    total_row = None
    if st.total == "top":
        total_row = r
        r += 1
        ctx.place.add("total_top", ctx.file, grid.name, str(total_row + 1))
    sub_rows: list[int] = []
    data_rows_all: list[int] = []
    stt = 0
    for si, (title, records) in enumerate(groups):
        if title is not None:
            _section_row(grid, ctx, r, si, title, label_col)
            r += 1
        sec = {k: 0.0 for k in summed}
        sec_rows = []
        for rec in records:
            stt += 1
            _data_row(grid, cols, rec, r, stt, cell_fn)
            for k in summed:
                val = rec.get(k)
                if isinstance(val, int | float) and not isinstance(val, bool):
                    sec[k] += val
            if rec.get("_key") is not None:
                out.append((rec["_key"], r + 1))
            sec_rows.append(r)
            r += 1
        for k in summed:
            grand[k] += sec[k]
        data_rows_all += sec_rows
        if title is not None and st.subtotals:
            total_cells(grid, cols, r, sec_rows, sec, st, ctx, "Cộng", label_col)
            ctx.place.add("subtotal_rows", ctx.file, grid.name, str(r + 1))
            sub_rows.append(r)
            r += 1
    if st.total == "bottom":
        total_row = r
        r += 1
        ctx.place.add("total_bottom", ctx.file, grid.name, str(total_row + 1))
    if total_row is not None:
        rows = sub_rows if sub_rows else data_rows_all
        extra = total_extra(grand) if total_extra else None
        total_cells(grid, cols, total_row, rows, grand, st, ctx, st.total_label, label_col, extra)
    return out, r


def _section_row(grid: Grid, ctx: Ctx, r: int, si: int, title: str, label_col: int) -> None:
    """A section title row: "I" then the title, or "II. title" in the label column."""
    roman = ("I", "II", "III", "IV")[si]
    if si % 2 == 0:
        grid.put(r, 0, roman)
        grid.put(r, label_col, title)
    else:
        grid.put(r, label_col, f"{roman}. {title}")
    ctx.place.add("section_rows", ctx.file, grid.name, str(r + 1))


def _data_row(grid: Grid, cols: list[Col], rec: dict, r: int, stt: int, cell_fn: CellFn) -> None:
    """One record: its running number (STT) and a cell per column."""
    if rec.get("_stt", True):
        grid.put(r, 0, stt)
    for c, col in enumerate(cols):
        v = cell_fn(rec, col, r, c)
        if v is not None:
            grid.put(r, c, v)


def total_cells(
    grid: Grid,
    cols: list[Col],
    r: int,
    rows: list[int],
    sums: dict[str, float],
    st: FormStyle,
    ctx: Ctx,
    label: str,
    label_col: int,
    extra_value: dict[str, object] | None = None,
) -> None:
    """A total/subtotal row: label, and per summed column a SUM formula or the value."""
    grid.put(r, label_col, label)
    for c, col in enumerate(cols):
        if extra_value and col.key in extra_value:
            grid.put(r, c, extra_value[col.key])
            continue
        if not col.total:
            continue
        value: float = sums.get(col.key, 0)
        if col.kind == "money":
            value = round(value * MONEY_DIV[st.money_unit], 6)
            value = int(round(value)) if st.money_unit != "trieu" or value == int(value) else value
        else:
            value = int(value)
        if st.formulas == "values" or not rows:
            grid.put(r, c, value)
            continue
        letters = a1(0, c)[:-1]
        if rows == list(range(rows[0], rows[-1] + 1)):
            text = f"SUM({letters}{rows[0] + 1}:{letters}{rows[-1] + 1})"
        else:
            text = "+".join(f"{letters}{x + 1}" for x in rows)
        grid.put(r, c, Formula(text, value))
        ctx.place.add(
            "total_formula_uncached" if st.formulas == "uncached" else "total_formula_cached",
            ctx.file,
            grid.name,
            a1(r, c),
        )
