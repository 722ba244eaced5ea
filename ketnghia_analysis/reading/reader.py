"""Reader: one file → ReturnRead (forms with typed records, provenance and issues).

`read_return` never raises: a file that cannot be read becomes a ReturnRead with status
"rejected" and a one-line Vietnamese reason; any unexpected failure (including Rust panics
of the readers, which are BaseException subclasses) is caught the same way, so the batch
goes on. Per file: cells (cells/) → recognised forms (forms.py) → each form sheet read
(`read_form`) → identity (identity.py). Per form sheet: uncached formulas recomputed
(formulas.py) → merged label cells filled down and rows classified (rows.py) → each column
parsed as a whole by the parser of its kind (parsers.py) → totals, and the records, totals
and raw cells as plain columns (model.py `PlainForm`: the frames are built only if asked for).
Every finding is created complete, with the file it concerns; the building stage adds
the district and year that identity decides.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ketnghia_analysis.core.issues import Issue
from ketnghia_analysis.core.limits import MEMORY_LIMIT_TEXT, Limits
from ketnghia_analysis.reading.form_limits import form_too_large, sheets_refused, too_many_rows
from ketnghia_analysis.reading.forms import SheetVerdict, recognise_forms
from ketnghia_analysis.reading.formulas import evaluate_uncached
from ketnghia_analysis.reading.grid import Grid, any_value, fold_text
from ketnghia_analysis.reading.headers import ColumnMap, HeaderBlock, unit_line_scale
from ketnghia_analysis.reading.identity import Identity, decide, file_clues
from ketnghia_analysis.reading.model import (
    FORM_COLUMNS,
    FormTable,
    PlainForm,
    ReturnRead,
    plain_raw,
    plain_rows,
)
from ketnghia_analysis.reading.official_rows import official_table
from ketnghia_analysis.reading.parsers import (
    PARSE_FIRST,
    ColumnContext,
    ParsedColumn,
    SheetSite,
    is_not_assessed,
    parse_column,
    parse_mark_grid,
)
from ketnghia_analysis.reading.rows import (
    DATA,
    FILL_DOWN_KINDS,
    STRUCTURAL,
    SUBTOTAL,
    TOTAL,
    classify_rows,
    fill_merged_down,
)
from ketnghia_analysis.reference.form_codes import FORM_CODES
from ketnghia_analysis.reference.synonyms import N_CRITERIA, FormSpec, Synonyms, load_synonyms

__all__ = ["FORM_COLUMNS", "FormTable", "ReturnRead", "read_form", "read_return"]

NUMBER_KINDS = frozenset({"count", "money", "percent", "mark", "year"})
# Kinds whose totals can be added up from the data rows.
ADDABLE_KINDS = frozenset({"count", "money"})
CRITERIA = [f"c{n:02d}" for n in range(1, N_CRITERIA + 1)]


# ---------------------------------------------------------------------------
# The file level
# ---------------------------------------------------------------------------


def _relative(path: Path, raw_root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(Path(raw_root).resolve()).as_posix()
    except (ValueError, OSError):
        return Path(path).name


def _digest(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def _rejected(
    rel: str,
    sha: str,
    size: int,
    fmt: str | None,
    code: str,
    reason: str,
    *,
    skipped: list[tuple[str, str]] | None = None,
    modified: datetime | None = None,
    ident: Identity | None = None,
) -> ReturnRead:
    """A rejected file, with its one-line reason as its only issue."""
    reason = " ".join(str(reason).split())  # one line
    issue = Issue(severity="error", code=code, message=reason, source_file=rel)
    return ReturnRead(
        source_file=rel,
        sha256=sha,
        size_bytes=size,
        format=fmt,
        status="rejected",
        reason=reason,
        district_code=ident.district_code if ident else None,
        year=ident.year if ident else None,
        report_date=ident.report_date if ident else None,
        modified=modified,
        forms=[],
        skipped_sheets=list(skipped or []),
        issues=[issue],
    )


def read_return(path: Path, raw_root: Path, *, limits: Limits | None = None) -> ReturnRead:
    """Read one return file. Never raises (except KeyboardInterrupt).

    Parameters
    ----------
    path : the file
    raw_root : the raw folder; ``source_file`` is the path relative to it (POSIX)
    limits : the bounds on the file and its forms (default: `Limits()`)
    """
    path = Path(path)
    rel = _relative(path, raw_root)
    sha, size = "", 0
    try:
        sha, size = _digest(path)
    except BaseException as exc:  # noqa: BLE001
        if isinstance(exc, KeyboardInterrupt):
            raise
        return _rejected(rel, sha, size, None, "FILE_UNREADABLE", f"Không mở được tệp: {exc}")
    try:
        return _read(path, rel, sha, size, limits or Limits())
    except BaseException as exc:  # noqa: BLE001 - includes pyo3 PanicException
        if isinstance(exc, KeyboardInterrupt):
            raise
        name = type(exc).__name__
        msg = str(exc).splitlines()[0][:200] if str(exc) else ""
        reason = f"Lỗi không lường trước khi đọc tệp ({name}: {msg})"
        return _rejected(rel, sha, size, None, "FILE_CRASHED", reason)


def _read(path: Path, rel: str, sha: str, size: int, limits: Limits) -> ReturnRead:
    """Read workbook → recognise forms → read each form → identity → the ReturnRead."""
    from ketnghia_analysis.reading.cells import ReadError, read_workbook

    try:
        wb = read_workbook(path, limits)
    except ReadError as exc:
        return _rejected(rel, sha, size, None, exc.code, exc.message)
    syn = load_synonyms()
    found = recognise_forms(wb.sheets, rel, syn)
    read = _read_forms(found.forms, rel, syn, limits)
    ident = decide(file_clues(path, found.verdicts, read.verdicts, read.forms, rel), rel)
    left_out, refusals = sheets_refused(wb.refused, rel)  # sheets beyond the limits
    skipped = left_out + found.skipped + read.skipped
    if not read.forms:
        names = ", ".join(f"'{n}' ({why})" for n, why in skipped) or "không có trang nào"
        reason = f"Không tìm thấy biểu mẫu nào (01/KN, 02/HN, 03/NTM, 04/MH) trong tệp: {names}"
        return _rejected(
            rel,
            sha,
            size,
            wb.format,
            "NO_FORMS",
            reason,
            skipped=skipped,
            modified=wb.modified,
            ident=ident,
        )
    return ReturnRead(
        source_file=rel,
        sha256=sha,
        size_bytes=size,
        format=wb.format,
        status="read",
        reason=None,
        district_code=ident.district_code,
        year=ident.year,
        report_date=ident.report_date,
        modified=wb.modified,
        forms=read.forms,
        skipped_sheets=skipped,
        issues=refusals + found.issues + read.issues + ident.issues,
        unrecognised=found.unread,
    )


@dataclass(frozen=True)
class _FormsRead:
    """The form sheets of a file that could be read, and those that could not."""

    forms: list[FormTable]
    verdicts: list[SheetVerdict]  # the verdict of each form read, in the same order
    skipped: list[tuple[str, str]]  # (sheet, Vietnamese reason) of the sheets that failed
    issues: list[Issue]  # FORM_UNREADABLE, FORM_TOO_LARGE


def _read_forms(
    verdicts: list[SheetVerdict], rel: str, syn: Synonyms, limits: Limits
) -> _FormsRead:
    """Read every recognised form sheet; one bad or oversized sheet must not lose the others."""
    forms: list[FormTable] = []
    read: list[SheetVerdict] = []
    skipped: list[tuple[str, str]] = []
    issues: list[Issue] = []
    for v in verdicts:
        name = str(v.sheet.name)
        too_large = too_many_rows(v.grid.n_rows if v.grid is not None else 0, limits)
        try:
            if too_large is None:
                forms.append(read_form(v, rel, syn))
                read.append(v)
        except MemoryError:
            too_large = MEMORY_LIMIT_TEXT
        except Exception as exc:  # noqa: BLE001 - one bad sheet must not lose the others
            why = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
            code = FORM_CODES[v.form or ""]
            skipped.append((str(v.sheet.name), f"lỗi khi đọc biểu {code} ({why})"))
            message = f"Không đọc được biểu {code} ở trang tính này ({why})"
            issues.append(
                Issue(
                    severity="error",
                    code="FORM_UNREADABLE",
                    message=message,
                    source_file=rel,
                    source_sheet=str(v.sheet.name),
                )
            )
        if too_large is not None:
            skipped.append((name, f"biểu {FORM_CODES[v.form or '']} {too_large}"))
            issues.append(form_too_large(v.form or "", name, rel, too_large))
    return _FormsRead(forms, read, skipped, issues)


# ---------------------------------------------------------------------------
# One form sheet
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rows:
    """The rows of a form sheet by kind: data rows, then totals (and subtotals)."""

    kinds: list[str]  # kind of every sheet row (0-based)
    data: list[int]
    totals: list[int]
    parsed: list[int]  # rows whose values are parsed: data rows, then total rows
    label_cols: list[int]

    @property
    def label_col(self) -> int:
        """The first label column (where a row's findings point when no column is at fault)."""
        return self.label_cols[0] if self.label_cols else 0


@dataclass(frozen=True)
class _Columns:
    """The parsed columns of a form sheet (data rows, then total rows)."""

    values: dict[str, list[Any]]
    scales: dict[str, float]  # money column → factor to million VND
    issues: list[Issue]
    not_assessed: frozenset[int]  # indices of rows some column says are not assessed


def _form_parts(v: SheetVerdict) -> tuple[Grid, HeaderBlock, ColumnMap, str]:
    """(grid, header block, column map, form) of a verdict recognised as a form."""
    if v.grid is None or v.block is None or v.colmap is None or v.form is None:
        raise ValueError(f"trang tính '{v.sheet.name}' không phải là biểu mẫu đã nhận ra")
    return v.grid, v.block, v.colmap, v.form


def read_form(v: SheetVerdict, source_file: str, syn: Synonyms | None = None) -> FormTable:
    """Read one recognised form sheet into a FormTable."""
    syn = syn or load_synonyms()
    grid, block, cmap, form = _form_parts(v)
    spec = syn.forms[form]
    site = SheetSite(source_file, str(v.sheet.name))
    cols = dict(cmap.columns)
    kind_of = {name: spec.columns[name].kind for name in cols}
    uncached = dict(getattr(v.sheet, "uncached_formulas", {}) or {})

    issues = _fuzzy_header_findings(cmap, block, site)
    recomputed = _recompute_formulas(grid, uncached)
    issues += _fill_merged_cells(grid, block, cols, kind_of, site)
    rows = _classify(grid, block, spec, cols)
    issues += _hidden_row_findings(grid, getattr(v.sheet, "hidden_rows", None), rows, site)
    columns = _parse_columns(grid, block, cmap, kind_of, rows, syn, site)
    issues += columns.issues
    parsed = columns.values
    if form == "ntm":
        parsed = _with_not_assessed(grid, rows, parsed, columns.not_assessed, syn)
    added_up = _add_up_totals(rows, parsed, cols, kind_of, uncached)
    recomputed |= added_up
    totals_recomputed = [any((r, c) in recomputed for c in cols.values()) for r in rows.totals]
    plain = _plain(spec, parsed, rows, totals_recomputed, grid, cols)
    issues += _total_findings(rows, totals_recomputed, {r for r, _c in added_up}, site)
    issues += _formula_findings(rows, recomputed, uncached, site)
    table = FormTable(
        form=form,
        sheet=site.sheet,
        header_rows=(block.first + 1, block.last + 1),
        columns=cols,
        rows_read=len(rows.kinds) - rows.kinds.count("blank"),
        rows_structural=sum(rows.kinds.count(k) for k in STRUCTURAL),
        issues=issues,
        row_kinds={r + 1: k for r, k in enumerate(rows.kinds) if k != "blank"},
        header_labels={n: cmap.labels.get(c, "") for n, c in cols.items()},
        header_confidence=dict(cmap.confidence),
        money_scale=columns.scales,
        plain=plain,
    )
    return official_table(table, grid)  # forms A-D: paired rows, district rows (no-op else)


def _fuzzy_header_findings(cmap: ColumnMap, block: HeaderBlock, site: SheetSite) -> list[Issue]:
    """HEADER_FUZZY: a header understood through fuzzy matching, with its confidence."""
    out = []
    for name, conf in cmap.confidence.items():
        if cmap.method.get(name) != "fuzzy":
            continue
        c = cmap.columns[name]
        label = cmap.labels.get(c)
        message = f"Tiêu đề cột '{label or ''}' được hiểu là '{name}' (độ tin cậy {conf:.0%})"
        out.append(site.issue("HEADER_FUZZY", message, block.last, c, label, "warning"))
    return out


def _recompute_formulas(grid: Grid, uncached: dict[tuple[int, int], str]) -> set[tuple[int, int]]:
    """Formulas without cached values (files written by scripts) computed into the grid.

    Returns the cells that got a value.
    """
    recomputed: set[tuple[int, int]] = set()
    if not uncached:
        return recomputed
    for (r, c), x in evaluate_uncached(grid, uncached).items():
        if r < grid.n_rows and c < grid.n_cols and grid.values[r][c] is None and x is not None:
            grid.values[r][c] = x
            recomputed.add((r, c))
    return recomputed


def _fill_merged_cells(
    grid: Grid, block: HeaderBlock, cols: dict[str, int], kind_of: dict[str, str], site: SheetSite
) -> list[Issue]:
    """Merged data cells: labels fill down inside their merge; amounts stay in the first row.

    Returns a MERGED_VALUE warning for every merged amount.
    """
    fill_cols = {c for n, c in cols.items() if kind_of[n] in FILL_DOWN_KINDS}
    number_cols = {c for n, c in cols.items() if kind_of[n] in NUMBER_KINDS}
    out = []
    for r0, r1, c in fill_merged_down(grid, block.last + 1, fill_cols, number_cols):
        message = (
            f"Ô số liệu gộp từ dòng {r0 + 1} đến dòng {r1 + 1}: giá trị chỉ tính cho dòng {r0 + 1}"
        )
        out.append(site.issue("MERGED_VALUE", message, r0, c, grid.value(r0, c), "warning"))
    return out


def _classify(grid: Grid, block: HeaderBlock, spec: FormSpec, cols: dict[str, int]) -> _Rows:
    """Kind of every row (rows.py), with the data and total rows picked out."""
    label_cols = [cols[n] for n in spec.label_columns if n in cols]
    value_cols = [c for n, c in cols.items() if n not in spec.label_columns]
    kinds = classify_rows(grid, block, label_cols, value_cols)
    data = [r for r, k in enumerate(kinds) if k == DATA]
    totals = [r for r, k in enumerate(kinds) if k in (TOTAL, SUBTOTAL)]
    return _Rows(kinds, data, totals, data + totals, label_cols)


def _hidden_row_findings(grid: Grid, hidden_rows: Any, rows: _Rows, site: SheetSite) -> list[Issue]:
    """HIDDEN_ROW: hidden data rows are read (data is data) but reported."""
    hidden = set(hidden_rows or set())
    c0 = rows.label_col
    return [
        site.issue(
            "HIDDEN_ROW",
            f"Dòng {r + 1} bị ẩn nhưng có số liệu: vẫn được đọc",
            r,
            c0,
            grid.value(r, c0),
            "warning",
        )
        for r in rows.data
        if r in hidden
    ]


def _parse_rank(kind: str) -> int:
    """Parse order of a kind: counts before the percents that check against them."""
    return PARSE_FIRST.index(kind) if kind in PARSE_FIRST else len(PARSE_FIRST)


def _parse_columns(
    grid: Grid,
    block: HeaderBlock,
    cmap: ColumnMap,
    kind_of: dict[str, str],
    rows: _Rows,
    syn: Synonyms,
    site: SheetSite,
) -> _Columns:
    """Parse every mapped column with the parser of its kind (parsers.py)."""
    unit_scale = None
    if "money" in kind_of.values():
        unit_scale = unit_line_scale(grid, block.last)[0]
    values: dict[str, list[Any]] = {}
    levels: dict[str, ParsedColumn] = {}
    scales: dict[str, float] = {}
    issues: list[Issue] = []
    not_assessed: set[int] = set()
    criteria: dict[str, tuple[list[Any], ColumnContext]] = {}
    row_kinds = tuple([rows.kinds[r] for r in rows.parsed])  # totals settle "1.234"
    cells = [grid.values[r] for r in rows.parsed]
    amounts = [
        c for n, c in cmap.columns.items() if kind_of[n] in ADDABLE_KINDS and c < grid.n_cols
    ]
    filled = tuple([any_value(row, amounts) for row in cells])
    for name in sorted(cmap.columns, key=lambda n: _parse_rank(kind_of[n])):
        c = cmap.columns[name]
        raw: list[object] = [row[c] for row in cells] if c < grid.n_cols else [None] * len(cells)
        label = cmap.labels.get(c, "")
        ctx = ColumnContext(
            name, c, rows.parsed, label, site, syn, unit_scale, dict(values), row_kinds, filled
        )
        if kind_of[name] == "mark":  # the criteria grid is read as a whole, after the counts
            criteria[name] = (raw, ctx)
            continue
        out = parse_column(kind_of[name], raw, ctx)
        issues += out.issues
        not_assessed |= out.not_assessed
        if out.scale is not None:
            scales[name] = out.scale
        if out.years is not None:
            levels[name] = out
        else:
            values[name] = out.values
    for name, out in parse_mark_grid(criteria, values.get("criteria_met"), len(rows.data)).items():
        issues += out.issues
        not_assessed |= out.not_assessed
        values[name] = out.values
    if levels:
        values.update(_combine_levels(levels, len(rows.parsed)))
    return _Columns(values, scales, issues, frozenset(not_assessed))


def _combine_levels(levels: dict[str, ParsedColumn], n: int) -> dict[str, list[Any]]:
    """ "Mức đạt" gives the level, "Năm công nhận" the year; either fills the other's gaps."""
    blank: list[Any] = [None] * n
    own = levels.get("ntm_level")
    other = levels.get("recognized_year")
    lv_own, yr_from_lv = (own.values, own.years or blank) if own else (blank, blank)
    lv_from_yr, yr_own = (other.values, other.years or blank) if other else (blank, blank)
    return {
        "ntm_level": [a if a is not None else b for a, b in zip(lv_own, lv_from_yr, strict=True)],
        "recognized_year": [
            a if a is not None else b for a, b in zip(yr_own, yr_from_lv, strict=True)
        ],
    }


def _with_not_assessed(
    grid: Grid, rows: _Rows, parsed: dict[str, list[Any]], flagged: frozenset[int], syn: Synonyms
) -> dict[str, list[Any]]:
    """NTM: a row that says "không đánh giá" anywhere is not assessed; its criteria are None."""
    cells = [grid.values[r] for r in rows.parsed]
    # the texts that say it, each asked once: the marks and names repeat down the sheet
    saying = {
        v
        for v in set(itertools.chain.from_iterable(cells))
        if isinstance(v, str) and is_not_assessed(fold_text(v), syn)
    }
    not_assessed = [i in flagged or not saying.isdisjoint(row) for i, row in enumerate(cells)]
    out = dict(parsed)
    if any(not_assessed):
        for name in CRITERIA:
            if name in out:
                out[name] = [None if not_assessed[i] else x for i, x in enumerate(out[name])]
    out["not_assessed"] = not_assessed
    return out


def _total_scope(kinds: list[str], r: int, data_rows: list[int]) -> list[int]:
    """Data rows a total (all of them) or a subtotal (its section) adds up."""
    if kinds[r] != SUBTOTAL:
        return data_rows
    start = 0
    for j in range(r - 1, -1, -1):
        if kinds[j] in ("section", SUBTOTAL, TOTAL, "header", "numbering"):
            start = j + 1
            break
    return [d for d in data_rows if start <= d < r]


def _add_up_totals(
    rows: _Rows,
    parsed: dict[str, list[Any]],
    cols: dict[str, int],
    kind_of: dict[str, str],
    uncached: dict[tuple[int, int], str],
) -> set[tuple[int, int]]:
    """Totals whose formula had no cached value and could not be evaluated (another sheet,
    an unknown function): added up from the data rows they cover, in `parsed`.

    Returns the cells so filled.
    """
    index = {d: i for i, d in enumerate(rows.data)}
    filled: set[tuple[int, int]] = set()
    for i, r in enumerate(rows.totals):
        k = len(rows.data) + i
        for name, c in cols.items():
            if kind_of[name] not in ADDABLE_KINDS or (r, c) not in uncached:
                continue
            if parsed[name][k] is not None:
                continue
            vals = [parsed[name][index[d]] for d in _total_scope(rows.kinds, r, rows.data)]
            parsed[name][k] = sum(x for x in vals if x is not None)
            filled.add((r, c))
    return filled


def _plain(
    spec: FormSpec,
    parsed: dict[str, list[Any]],
    rows: _Rows,
    totals_recomputed: list[bool],
    grid: Grid,
    cols: dict[str, int],
) -> PlainForm:
    """The typed values of the data rows (records) and of the total rows (totals), and the
    raw cells of the data rows, as plain columns (the frames only when asked for)."""
    n = len(rows.data)
    records = plain_rows(spec, {k: x[:n] for k, x in parsed.items()}, rows.data)
    totals = plain_rows(
        spec,
        {k: x[n:] for k, x in parsed.items()},
        rows.totals,
        first={"kind": [rows.kinds[r] for r in rows.totals]},
        last={"recomputed": totals_recomputed},
    )
    return PlainForm(records, totals, plain_raw(grid.values, rows.data, cols))


def _total_findings(
    rows: _Rows, totals_recomputed: list[bool], added_up: set[int], site: SheetSite
) -> list[Issue]:
    """TOTAL_RECOMPUTED: a total row whose formula had no cached value."""
    out = []
    for r, recomputed in zip(rows.totals, totals_recomputed, strict=True):
        if recomputed:
            how = "cộng lại các dòng số liệu" if r in added_up else "tính lại từ công thức"
            message = f"Dòng tổng {r + 1} là công thức chưa có giá trị lưu sẵn: đã {how}"
            out.append(site.issue("TOTAL_RECOMPUTED", message, r, rows.label_col, None, "warning"))
    return out


def _formula_findings(
    rows: _Rows,
    recomputed: set[tuple[int, int]],
    uncached: dict[tuple[int, int], str],
    site: SheetSite,
) -> list[Issue]:
    """FORMULA_RECOMPUTED: a data cell whose formula had no cached value, computed here."""
    data = set(rows.data)
    out = []
    for r, c in sorted((r, c) for r, c in recomputed if r in data):
        formula = uncached.get((r, c))
        message = f"Ô là công thức chưa có giá trị lưu sẵn ({formula or ''}): đã tính lại"
        out.append(site.issue("FORMULA_RECOMPUTED", message, r, c, formula, "warning"))
    return out
