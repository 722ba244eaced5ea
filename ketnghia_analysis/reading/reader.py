"""Reader: one file → ReturnRead (forms with typed records, provenance and issues).

`read_return` never raises: a file that cannot be read becomes a ReturnRead with status
"rejected" and a one-line Vietnamese reason; any unexpected failure (including Rust panics
of the readers, which are BaseException subclasses) is caught the same way, so the batch
goes on. Steps per form sheet: recognised form (forms.py) → header block and column map
(headers.py) → uncached formulas recomputed → merged label cells filled down → rows
classified (rows.py) → each column parsed as a whole (values.py) → records, raw text,
totals and issues.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ketnghia_analysis.core.address import a1
from ketnghia_analysis.core.issues import Issue
from ketnghia_analysis.core.missing import is_missing
from ketnghia_analysis.reading.forms import FORM_CODES, SheetVerdict, recognise_forms
from ketnghia_analysis.reading.headers import (
    Synonyms,
    cell_text,
    column_money_scale,
    fold_text,
    header_says_percent,
    load_synonyms,
    unit_line_scale,
)
from ketnghia_analysis.reading.rows import (
    DATA,
    FILL_DOWN_KINDS,
    FOOTER,
    STRUCTURAL,
    SUBTOTAL,
    TOTAL,
    classify_rows,
    evaluate_uncached,
    fill_merged_down,
)

# Canonical columns of each form, in the order of ../shared/spec/returns.md.
FORM_COLUMNS: dict[str, list[str]] = {
    "support": [
        "partner_name",
        "partner_type",
        "commune",
        "pair_start_year",
        "cash",
        "in_kind",
        "models_supported",
        "beneficiary_households",
        "officials_trained",
        "workers_trained",
        "houses_supported",
        "note",
    ],
    "poverty": [
        "commune",
        "households_total",
        "poor_start",
        "poverty_exits",
        "poverty_relapses",
        "poverty_new",
        "poor_end",
        "poverty_rate_end",
        "near_poor_end",
        "poor_ethnic_minority_end",
    ],
    "ntm": ["commune"]
    + [f"c{n:02d}" for n in range(1, 20)]
    + ["criteria_met", "ntm_level", "recognized_year", "not_assessed"],
    "models": [
        "model_name",
        "commune",
        "partner_name",
        "model_type",
        "start_year",
        "households",
        "status",
    ],
}

_UNSEEN = object()

NUMBER_KINDS = frozenset({"count", "money", "percent", "mark", "year"})


@dataclass
class FormTable:
    """One recognised form sheet, read (see docs/architecture.md)."""

    form: str
    sheet: str
    header_rows: tuple[int, int]
    columns: dict[str, int]
    records: pd.DataFrame
    raw: pd.DataFrame
    totals: pd.DataFrame
    rows_read: int
    rows_structural: int
    issues: list[Issue] = field(default_factory=list)
    row_kinds: dict[int, str] = field(default_factory=dict)  # 1-based row → kind (non-blank)
    header_labels: dict[str, str] = field(default_factory=dict)  # canonical → flattened header
    header_confidence: dict[str, float] = field(default_factory=dict)
    money_scale: dict[str, float] = field(default_factory=dict)  # money column → factor used

    def cell(self, column: str, source_row: int) -> str | None:
        """A1 address of a record's cell: ``table.cell("poor_end", 12) == "H12"``."""
        if column not in self.columns or source_row is None or pd.isna(source_row):
            return None
        return a1(int(source_row) - 1, self.columns[column])


@dataclass
class ReturnRead:
    """One file, read (or rejected), with its identity, forms and issues."""

    source_file: str
    sha256: str
    size_bytes: int
    format: str | None
    status: str
    reason: str | None
    district_code: str | None
    year: int | None
    report_date: date | None
    modified: datetime | None
    forms: list[FormTable]
    skipped_sheets: list[tuple[str, str]]
    issues: list[Issue]


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


def _rejected(rel: str, sha: str, size: int, fmt: str | None, code: str, reason: str) -> ReturnRead:
    reason = " ".join(str(reason).split())  # one line
    issue = Issue(severity="error", code=code, message=reason, source_file=rel)
    return ReturnRead(
        rel, sha, size, fmt, "rejected", reason, None, None, None, None, [], [], [issue]
    )


def read_return(path: Path, raw_root: Path) -> ReturnRead:
    """Read one return file. Never raises (except KeyboardInterrupt).

    Parameters
    ----------
    path : the file
    raw_root : the raw folder; ``source_file`` is the path relative to it (POSIX)
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
        return _read(path, rel, sha, size)
    except BaseException as exc:  # noqa: BLE001 - includes pyo3 PanicException
        if isinstance(exc, KeyboardInterrupt):
            raise
        name = type(exc).__name__
        msg = str(exc).splitlines()[0][:200] if str(exc) else ""
        return _rejected(
            rel,
            sha,
            size,
            None,
            "FILE_CRASHED",
            f"Lỗi không lường trước khi đọc tệp ({name}: {msg})",
        )


def _read(path: Path, rel: str, sha: str, size: int) -> ReturnRead:
    from ketnghia_analysis.reading.cells import ReadError, read_workbook
    from ketnghia_analysis.reading.identity import (
        Clue,
        commune_clues,
        cover_clues,
        decide,
        district_in_filename,
        footer_date_clues,
        title_clues,
        year_in_filename,
    )

    try:
        wb = read_workbook(path)
    except ReadError as exc:
        return _rejected(rel, sha, size, None, exc.code, exc.message)
    syn = load_synonyms()
    verdicts_forms, skipped, issues, verdicts = recognise_forms(wb.sheets, rel, syn)
    forms: list[FormTable] = []
    read_verdicts: list[SheetVerdict] = []
    for v in verdicts_forms:
        try:
            forms.append(read_form(v, rel, syn))
            read_verdicts.append(v)
        except Exception as exc:  # noqa: BLE001 - one bad sheet must not lose the others
            why = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
            skipped.append((str(v.sheet.name), f"lỗi khi đọc biểu {FORM_CODES[v.form]} ({why})"))
            issues.append(
                Issue(
                    severity="error",
                    code="FORM_UNREADABLE",
                    message=f"Không đọc được biểu {FORM_CODES[v.form]} ở trang tính này ({why})",
                    source_file=rel,
                    source_sheet=str(v.sheet.name),
                )
            )
    verdicts_forms = read_verdicts

    # identity
    clues: list[Clue] = []
    for v in verdicts:
        if v.kind == "cover" and v.grid is not None:
            clues += cover_clues(v.grid)
    for v, ft in zip(verdicts_forms, forms, strict=True):
        clues += title_clues(v.grid, v.block.first)
        footer_rows = [r - 1 for r, k in ft.row_kinds.items() if k == FOOTER]
        clues += footer_date_clues(v.grid, footer_rows)
    stem = path.stem
    for code in dict.fromkeys(district_in_filename(stem)):
        clues.append(Clue("district", code, "filename", None, None, path.name))
    y = year_in_filename(stem)
    if y is not None:
        clues.append(Clue("year", y, "filename", None, None, path.name))
    if forms:
        # last resort, and a check: the communes listed must belong to the district named
        years = [c.value for c in clues if c.what == "year"]
        labels: list[str] = []
        for ft in sorted(
            forms, key=lambda f: ["poverty", "ntm", "support", "models"].index(f.form)
        ):
            if "commune" in ft.records.columns:
                # plain Python over the column (a Series dropna/astype per form cost more)
                labels += [str(x) for x in ft.records["commune"].tolist() if not is_missing(x)]
        clues += commune_clues(labels, years[0] if len(set(years)) == 1 else None)
    ident = decide(clues, rel)
    issues += ident.issues

    if not forms:
        names = ", ".join(f"'{n}' ({why})" for n, why in skipped) or "không có trang nào"
        rr = _rejected(
            rel,
            sha,
            size,
            wb.format,
            "NO_FORMS",
            f"Không tìm thấy biểu mẫu nào (01/KN, 02/HN, 03/NTM, 04/MH) trong tệp: {names}",
        )
        rr.skipped_sheets = skipped
        rr.modified = wb.modified
        rr.district_code, rr.year, rr.report_date = (
            ident.district_code,
            ident.year,
            ident.report_date,
        )
        return rr
    for iss in issues + [i for f in forms for i in f.issues]:
        iss.source_file = iss.source_file or rel
        iss.district_code = iss.district_code or ident.district_code
        iss.year = iss.year or ident.year
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
        forms=forms,
        skipped_sheets=skipped,
        issues=issues,
    )


# ---------------------------------------------------------------------------
# One form sheet
# ---------------------------------------------------------------------------


def _issue(
    code: str,
    message: str,
    source_file: str,
    sheet: str,
    r0: int | None,
    c0: int | None,
    value: object = None,
    severity: str = "error",
    suggestion: str | None = None,
    expected: str | None = None,
) -> Issue:
    return Issue(
        severity=severity,
        code=code,
        message=message,
        source_file=source_file,
        source_sheet=sheet,
        cell=a1(r0, c0) if r0 is not None and c0 is not None else None,
        value=None if value is None else cell_text(value),
        expected=expected,
        suggestion=suggestion,
        row=None if r0 is None else r0 + 1,
    )


def _number_of(v: object) -> float | None:
    from ketnghia_analysis.reading.values import parse_number

    try:
        return parse_number(v)
    except Exception:  # noqa: BLE001 - unparseable text in a formula's range
        return None


def _vocab_lookup(folded: str, vocab: dict[str, list[str]]) -> str | None:
    """Key of the longest vocabulary phrase found (whole words) in a folded text."""
    best, best_len = None, -1
    for key, phrases in vocab.items():
        for p in phrases:
            if p and (folded == p or f" {p} " in f" {folded} ") and len(p) > best_len:
                best, best_len = key, len(p)
    return best


def read_form(v: SheetVerdict, source_file: str, syn: Synonyms | None = None) -> FormTable:
    """Read one recognised form sheet into a FormTable."""
    from ketnghia_analysis.reading import values as vp

    syn = syn or load_synonyms()
    spec = syn.forms[v.form]
    grid = v.grid
    block = v.block
    cmap = v.colmap
    sheet = v.sheet
    sheet_name = str(sheet.name)
    issues: list[Issue] = []
    cols = dict(cmap.columns)
    kind_of = {name: spec.columns[name].kind for name in cols}

    # fuzzy header matches are reported with their confidence
    for name, conf in cmap.confidence.items():
        if cmap.method.get(name) == "fuzzy":
            c = cols[name]
            issues.append(
                _issue(
                    "HEADER_FUZZY",
                    f"Tiêu đề cột '{cmap.labels.get(c, '')}' được hiểu là '{name}' "
                    f"(độ tin cậy {conf:.0%})",
                    source_file,
                    sheet_name,
                    block.last,
                    c,
                    cmap.labels.get(c),
                    severity="warning",
                )
            )

    # formulas without cached values (files written by scripts): recompute them
    recomputed: set[tuple[int, int]] = set()
    uncached = dict(getattr(sheet, "uncached_formulas", {}) or {})
    if uncached:
        vals = evaluate_uncached(grid, uncached, _number_of)
        for (r, c), x in vals.items():
            if r < grid.n_rows and c < grid.n_cols and grid.values[r][c] is None and x is not None:
                grid.values[r][c] = x
                recomputed.add((r, c))

    # merged data cells: labels fill down inside their merge; amounts stay in the first row
    fill_cols = {c for n, c in cols.items() if kind_of[n] in FILL_DOWN_KINDS}
    number_cols = {c for n, c in cols.items() if kind_of[n] in NUMBER_KINDS}
    kept = fill_merged_down(grid, block.last + 1, fill_cols, number_cols)
    for r0, r1, c in kept:
        issues.append(
            _issue(
                "MERGED_VALUE",
                f"Ô số liệu gộp từ dòng {r0 + 1} đến dòng {r1 + 1}: giá trị chỉ tính cho dòng {r0 + 1}",
                source_file,
                sheet_name,
                r0,
                c,
                grid.value(r0, c),
                severity="warning",
            )
        )

    label_cols = [cols[n] for n in spec.label_columns if n in cols]
    value_cols = [c for n, c in cols.items() if n not in spec.label_columns]
    kinds = classify_rows(grid, block, label_cols, value_cols)
    data_rows = [r for r, k in enumerate(kinds) if k == DATA]
    total_rows = [r for r, k in enumerate(kinds) if k in (TOTAL, SUBTOTAL)]
    rows_read = sum(1 for k in kinds if k != "blank")
    rows_structural = sum(1 for k in kinds if k in STRUCTURAL)

    # hidden data rows are read (data is data) but reported
    hidden_rows = set(getattr(sheet, "hidden_rows", set()) or set())
    for r in data_rows:
        if r in hidden_rows:
            c0 = label_cols[0] if label_cols else 0
            issues.append(
                _issue(
                    "HIDDEN_ROW",
                    f"Dòng {r + 1} bị ẩn nhưng có số liệu: vẫn được đọc",
                    source_file,
                    sheet_name,
                    r,
                    c0,
                    grid.value(r, c0),
                    severity="warning",
                )
            )

    all_rows = data_rows + total_rows
    n_data = len(data_rows)
    parsed: dict[str, list[Any]] = {}
    scales: dict[str, float] = {}
    not_assessed = [False] * len(all_rows)
    unit_scale, _unit_text = (None, None)
    if any(kind_of[n] == "money" for n in cols):
        unit_scale, _unit_text = unit_line_scale(grid, block.last)

    level_cols: dict[str, tuple[list[Any], list[Any]]] = {}
    mark_cache: dict[Any, Any] = {}

    def report(err: Any, r: int, c: int, raw: object) -> None:
        issues.append(
            _issue(err.code, err.message, source_file, sheet_name, r, c, raw, severity="error")
        )

    order = sorted(
        cols, key=lambda n: {"count": 0, "money": 1, "percent": 2, "year": 3}.get(kind_of[n], 4)
    )
    for name in order:
        c = cols[name]
        kind = kind_of[name]
        raw = [grid.values[r][c] if c < grid.n_cols else None for r in all_rows]
        if kind in ("count", "money"):
            col = vp.parse_count_column(raw) if kind == "count" else vp.parse_number_column(raw)
            out = list(col.values)
            for i, err in col.errors.items():
                report(err, all_rows[i], c, raw[i])
            for i, s in col.sentinels.items():
                if s == "not_assessed":
                    not_assessed[i] = True
            if kind == "money":
                label = cmap.labels.get(c, "")
                scale = column_money_scale(label)
                if scale is None:
                    scale = unit_scale if unit_scale is not None else 1.0
                scales[name] = scale
                out = [None if x is None else x * scale for x in out]
            parsed[name] = out
        elif kind == "percent":
            expected = None
            if "poor_end" in parsed and "households_total" in parsed:
                expected = [
                    (pe / ht) if (pe is not None and ht) else None
                    for pe, ht in zip(parsed["poor_end"], parsed["households_total"], strict=True)
                ]
            col = vp.parse_percent_column(
                raw, header_says_percent(cmap.labels.get(c, "")), expected=expected
            )
            for i, err in col.errors.items():
                report(err, all_rows[i], c, raw[i])
            parsed[name] = list(col.values)
        elif kind == "year":
            out = []
            for i, x in enumerate(raw):
                try:
                    out.append(vp.parse_year(x))
                except vp.ValueParseError as err:
                    if vp.sentinel_of(x) in ("dash", "x", "not_collected"):
                        out.append(None)
                        continue
                    report(err, all_rows[i], c, x)
                    out.append(None)
            parsed[name] = out
        elif kind == "mark":
            out = []
            for i, x in enumerate(raw):
                # marks come from a tiny vocabulary: parse each distinct value once
                key = (type(x), x) if not isinstance(x, float) or x == x else (float, "nan")
                m = mark_cache.get(key, _UNSEEN)
                if m is _UNSEEN:
                    if isinstance(x, str) and _is_not_assessed(fold_text(x), syn):
                        m = vp.NOT_ASSESSED
                    else:
                        try:
                            m = vp.parse_mark(x)
                        except vp.ValueParseError as err:
                            m = err
                    mark_cache[key] = m
                if isinstance(m, vp.ValueParseError):
                    report(m, all_rows[i], c, x)
                    out.append(None)
                elif m is vp.NOT_ASSESSED:
                    not_assessed[i] = True
                    out.append(None)
                else:
                    out.append(bool(m))
            parsed[name] = out
        elif kind == "level":
            levels, years = [], []
            for i, x in enumerate(raw):
                lv, yr, na, bad = _parse_level(x, syn)
                if na:
                    not_assessed[i] = True
                if bad:
                    issues.append(
                        _issue(
                            "VALUE_BAD_LEVEL",
                            f"Giá trị “{cell_text(x)}” không phải là mức đạt chuẩn nông thôn mới "
                            "(Đạt chuẩn NTM / NTM nâng cao / NTM kiểu mẫu / năm công nhận)",
                            source_file,
                            sheet_name,
                            all_rows[i],
                            c,
                            x,
                        )
                    )
                levels.append(lv)
                years.append(yr)
            level_cols[name] = (levels, years)
        elif kind == "status":
            out = []
            vocab = syn.values.get("status", {})
            for i, x in enumerate(raw):
                if x is None or vp.is_blank(x):
                    out.append(None)
                    continue
                key = _vocab_lookup(fold_text(cell_text(x)), vocab)
                if key is None:
                    issues.append(
                        _issue(
                            "VALUE_BAD_STATUS",
                            f"Giá trị “{cell_text(x)}” không phải là tình trạng mô hình (đang duy "
                            "trì / đã nhân rộng / dừng / mới triển khai)",
                            source_file,
                            sheet_name,
                            all_rows[i],
                            c,
                            x,
                        )
                    )
                out.append(key)
            parsed[name] = out
        elif kind == "category" and name == "partner_type":
            vocab = syn.values.get("partner_type", {})
            out = []
            for x in raw:
                if x is None:
                    out.append(None)
                    continue
                t = cell_text(x)
                out.append(_vocab_lookup(fold_text(t), vocab) or t)
            parsed[name] = out
        else:  # label, text, other categories: the cleaned text as written
            parsed[name] = [None if x is None else cell_text(x) for x in raw]

    if level_cols:
        # "Mức đạt" gives the level, "Năm công nhận" the year; either fills the other's gaps
        lv_own, yr_from_lv = level_cols.get("ntm_level", (None, None))
        lv_from_yr, yr_own = level_cols.get("recognized_year", (None, None))
        n_all = len(all_rows)
        levels = [
            a if a is not None else b
            for a, b in zip(lv_own or [None] * n_all, lv_from_yr or [None] * n_all, strict=True)
        ]
        years = [
            a if a is not None else b
            for a, b in zip(yr_own or [None] * n_all, yr_from_lv or [None] * n_all, strict=True)
        ]
        parsed["ntm_level"] = levels
        parsed["recognized_year"] = years
    if v.form == "ntm":
        crit = [f"c{n:02d}" for n in range(1, 20)]
        # a row that says "không đánh giá" anywhere in its criteria is not assessed at all
        for i, r in enumerate(all_rows):
            row_text = [
                grid.folded(r, cc)
                for cc in range(grid.n_cols)
                if isinstance(grid.values[r][cc], str)
            ]
            if any(_is_not_assessed(t, syn) for t in row_text):
                not_assessed[i] = True
        for name in crit:
            if name in parsed:
                parsed[name] = [None if not_assessed[i] else x for i, x in enumerate(parsed[name])]
        parsed["not_assessed"] = list(not_assessed)

    # a total whose formula has no cached value and could not be evaluated (another
    # sheet, an unknown function) is recomputed from the data rows it covers
    from_rows: set[int] = set()
    for i, r in enumerate(total_rows):
        k = n_data + i
        for name, c in cols.items():
            if kind_of[name] not in ("count", "money") or (r, c) not in uncached:
                continue
            if parsed[name][k] is not None:
                continue
            scope = _total_scope(kinds, r, data_rows)
            vals = [parsed[name][data_rows.index(d)] for d in scope]
            parsed[name][k] = sum(x for x in vals if x is not None)
            recomputed.add((r, c))
            from_rows.add(r)

    records = _frame(v.form, {k: x[:n_data] for k, x in parsed.items()}, data_rows)
    totals = _frame(
        v.form,
        {k: x[n_data:] for k, x in parsed.items()},
        total_rows,
        first={"kind": [kinds[r] for r in total_rows]},
        last={"recomputed": [any((r, c) in recomputed for c in cols.values()) for r in total_rows]},
    )
    for i, r in enumerate(total_rows):
        if totals.at[i, "recomputed"]:
            how = "cộng lại các dòng số liệu" if r in from_rows else "tính lại từ công thức"
            issues.append(
                _issue(
                    "TOTAL_RECOMPUTED",
                    f"Dòng tổng {r + 1} là công thức chưa có giá trị lưu sẵn: đã {how}",
                    source_file,
                    sheet_name,
                    r,
                    label_cols[0] if label_cols else 0,
                    severity="warning",
                )
            )
    data_recomputed = sorted((r, c) for r, c in recomputed if r in set(data_rows))
    for r, c in data_recomputed:
        issues.append(
            _issue(
                "FORMULA_RECOMPUTED",
                f"Ô là công thức chưa có giá trị lưu sẵn ({uncached.get((r, c), '')}): đã tính lại",
                source_file,
                sheet_name,
                r,
                c,
                uncached.get((r, c)),
                severity="warning",
            )
        )

    # raw text of every data row (for quarantine): one object block, built in one go
    names = list(cols)
    raw_cells = np.empty((len(data_rows), len(names)), dtype=object)
    for i, r in enumerate(data_rows):
        row = grid.values[r]
        for j, name in enumerate(names):
            c = cols[name]
            raw_cells[i, j] = cell_text(row[c]) if c < len(row) else ""
    raw_frame = pd.DataFrame(raw_cells, columns=names, dtype=object)
    raw_frame["source_row"] = _int_array([r + 1 for r in data_rows])

    return FormTable(
        form=v.form,
        sheet=sheet_name,
        header_rows=(block.first + 1, block.last + 1),
        columns=cols,
        records=records,
        raw=raw_frame,
        totals=totals,
        rows_read=rows_read,
        rows_structural=rows_structural,
        issues=issues,
        row_kinds={r + 1: k for r, k in enumerate(kinds) if k != "blank"},
        header_labels={n: cmap.labels.get(c, "") for n, c in cols.items()},
        header_confidence=dict(cmap.confidence),
        money_scale=scales,
    )


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


def _is_not_assessed(folded: str, syn: Synonyms) -> bool:
    """ "Không đánh giá (phường, thị trấn)" and its variants."""
    return any(
        folded == p or folded.startswith(p + " ") for p in syn.values.get("not_assessed", [])
    )


_YEAR_RX = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")


def _parse_level(x: object, syn: Synonyms) -> tuple[str | None, int | None, bool, bool]:
    """NTM level cell → (level, recognised year, not assessed, unparseable)."""
    from ketnghia_analysis.reading import values as vp

    if x is None or vp.is_blank(x):
        return None, None, False, False
    if isinstance(x, int | float) and not isinstance(x, bool):
        try:
            y = vp.parse_year(x)
        except vp.ValueParseError:
            return None, None, False, True
        return "dat_chuan", y, False, False
    if isinstance(x, datetime | date):
        return "dat_chuan", x.year, False, False
    t = cell_text(x)
    f = fold_text(t)
    if _is_not_assessed(f, syn):
        return None, None, True, False
    if vp.sentinel_of(t) in ("dash", "x", "not_collected") or f.startswith("chua"):
        return None, None, False, False
    m = _YEAR_RX.search(t)
    year = int(m.group(1)) if m else None
    level = _vocab_lookup(f, syn.values.get("ntm_level", {}))
    if level is None and year is not None:
        level = "dat_chuan"
    if level is None:
        return None, year, False, True
    return level, year, False, False


_STR = pd.array([], dtype="str")


def _str_array(vals: list[Any]) -> pd.api.extensions.ExtensionArray:
    """``pd.array(vals, dtype="str")`` for a list of str and None, ~5x faster.

    Building the Arrow array directly skips pandas' element-wise validation, which was the
    largest single cost of making the record frames (2,747 string columns per province
    build: 92 µs each against 17 µs; issue #9). Anything else falls back to pandas.
    """
    storage = getattr(_STR, "_pa_array", None)
    if storage is not None:
        try:
            import pyarrow as pa

            return type(_STR)(pa.array(vals, type=storage.type), dtype=_STR.dtype)
        except (TypeError, ValueError, ImportError):  # a non-str value: pandas converts it
            pass
    return pd.array(vals, dtype="str")


def _int_array(vals: list[Any]) -> pd.api.extensions.ExtensionArray:
    mask = np.array([x is None for x in vals], dtype=bool)
    data = np.array([0 if x is None else int(x) for x in vals], dtype="int64")
    return pd.arrays.IntegerArray(data, mask)


def _bool_array(vals: list[Any]) -> pd.api.extensions.ExtensionArray:
    mask = np.array([x is None for x in vals], dtype=bool)
    data = np.array([bool(x) if x is not None else False for x in vals], dtype=bool)
    return pd.arrays.BooleanArray(data, mask)


def _frame(
    form: str,
    parsed: dict[str, list[Any]],
    rows: list[int],
    first: dict[str, list[Any]] | None = None,
    last: dict[str, list[Any]] | None = None,
) -> pd.DataFrame:
    """Typed DataFrame of the form's canonical columns (missing ones as empty columns)."""
    from ketnghia_analysis.reading.headers import load_synonyms as _ls

    spec = _ls().forms[form]
    n = len(rows)
    data: dict[str, Any] = dict(first or {})
    for name in FORM_COLUMNS[form]:
        vals = parsed.get(name, [None] * n)
        kind = spec.columns[name].kind if name in spec.columns else None
        if name == "recognized_year" or kind in ("count", "year"):
            data[name] = _int_array(vals)
        elif kind in ("money", "percent"):
            data[name] = np.array(
                [np.nan if x is None else float(x) for x in vals], dtype="float64"
            )
        elif kind == "mark":
            data[name] = _bool_array(vals)
        elif name == "not_assessed":
            data[name] = np.array([bool(x) for x in vals], dtype=bool)
        else:
            data[name] = _str_array(vals)
    data["source_row"] = _int_array([r + 1 for r in rows])
    data.update(last or {})
    return pd.DataFrame(data, copy=False)  # the arrays are fresh: no need to copy them
