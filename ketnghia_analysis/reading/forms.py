"""Form stage: recognise which sheet holds which form (01/KN, 02/HN, 03/NTM, 04/MH).

A form is recognised by its content — the form number and words of its title block and,
above all, how many of its canonical columns the header names (``synonyms.yaml``) —
never by the sheet's name or position. Other sheets are classified (cover, notes, pivot,
empty or chart, hidden, unknown) and skipped with a Vietnamese reason. Hidden sheets are
never read as data.

Duplicates: when the same form appears in two visible sheets listing mostly the same
communes (a draft and a final copy), the sheet whose name or title says it is final
("final", "chính thức", "hoàn chỉnh") wins, a sheet marked as a draft ("nháp", "draft",
"cũ", "dự thảo") loses, and otherwise the later sheet wins (it is usually the newest copy).
A DUPLICATE_FORM warning names both sheets. Two sheets of one form with different communes
(a form split by area) are both read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ketnghia_analysis.core.issues import Issue
from ketnghia_analysis.reading.headers import (
    ColumnMap,
    FormSpec,
    Grid,
    HeaderBlock,
    Synonyms,
    find_header_block,
    flatten_header,
    has_phrase,
    load_synonyms,
    map_columns,
)

FORM_CODES = {"support": "01/KN", "poverty": "02/HN", "ntm": "03/NTM", "models": "04/MH"}

_FINAL = re.compile(r"\b(final|chinh thuc|hoan chinh|ban chinh|ban cuoi|gui tinh|dieu chinh|sua)\b")
_DRAFT = re.compile(r"\b(nhap|ban nhap|draft|du thao|cu|old|tam|backup|copy|ban sao|thu)\b")


@dataclass
class SheetVerdict:
    """What a sheet is, and everything the reader needs to read it if it is a form."""

    sheet: Any  # cells.Sheet
    grid: Grid | None
    kind: str  # "form" | "hidden" | "cover" | "notes" | "pivot" | "empty" | "unknown" | "duplicate"
    form: str | None = None
    score: float = 0.0
    block: HeaderBlock | None = None
    colmap: ColumnMap | None = None
    parts: list[list[str]] | None = None
    reason: str | None = None  # Vietnamese, for skipped sheets
    title_text: str = ""  # folded text above the header (for identity)


def _title_text(grid: Grid, upto: int) -> str:
    """Folded text of the rows above the header (all of them when no header was found)."""
    out = []
    for r in range(0, min(upto, grid.n_rows)):
        for c in grid.row_cells(r):
            f = grid.folded(r, c)
            if f:
                out.append(f)
    return " | ".join(out)


def _score_form(grid: Grid, spec: FormSpec, syn: Synonyms) -> tuple[float, bool, Any]:
    """(score, acceptable, (block, parts, colmap)) of one form on one sheet."""
    block = find_header_block(grid, spec)
    if block is None:
        return 0.0, False, None
    parts = flatten_header(grid, block.first, block.last)
    hidden = set(getattr(grid.sheet, "hidden_cols", ()) or ())
    cmap = map_columns(parts, spec, syn.fuzzy_threshold, fuzzy=False, hidden=hidden)
    n = len(cmap.columns)
    score = n / max(len(spec.columns), 1)
    title = _title_text(grid, block.first)
    if any(has_phrase(title, num) for num in spec.numbers):
        score += 0.5
    score += 0.1 * min(3, sum(1 for w in spec.title if has_phrase(title, w)))
    ok = n >= spec.min_columns and all(c in cmap.columns for c in spec.required)
    return score, ok, (block, parts, cmap)


def recognise_sheet(sheet: Any, syn: Synonyms | None = None) -> SheetVerdict:
    """Classify one sheet: a form (with its header) or a skipped sheet with its reason."""
    syn = syn or load_synonyms()
    grid = Grid(sheet)
    nonblank = any(not grid.row_is_blank(r) for r in range(grid.n_rows))
    if not nonblank:
        v = SheetVerdict(sheet, grid, "empty", reason="trang trống (hoặc trang biểu đồ)")
        if not getattr(sheet, "visible", True):
            v.kind, v.reason = "hidden", "trang tính ẩn (trống)"
        return v
    best: tuple[float, str, Any] | None = None
    partial: tuple[float, str, Any] | None = None
    # the form number in the title ("Biểu số 02/HN") says which form to try first; when it
    # is confirmed by the header, the other forms need not be tried
    top = _title_text(grid, min(grid.n_rows, 12))
    named = [f for f, spec in syn.forms.items() if any(has_phrase(top, n) for n in spec.numbers)]
    order = named + [f for f in syn.forms if f not in named]
    for form in order:
        score, ok, found = _score_form(grid, syn.forms[form], syn)
        if ok and (best is None or score > best[0]):
            best = (score, form, found)
        elif not ok and found and (partial is None or score > partial[0]):
            partial = (score, form, found)
        if best is not None and len(named) == 1 and best[1] == named[0]:
            break
    if best is None and partial is not None:
        # a header with typos may name its required columns only through fuzzy matching
        score, form, (block, parts, _cmap) = partial
        spec = syn.forms[form]
        hidden = set(getattr(sheet, "hidden_cols", ()) or ())
        cmap = map_columns(parts, spec, syn.fuzzy_threshold, hidden=hidden)
        if len(cmap.columns) >= spec.min_columns and all(c in cmap.columns for c in spec.required):
            best = (score, form, (block, parts, cmap))
    visible = getattr(sheet, "visible", True)
    if best is not None:
        score, form, (block, parts, cmap) = best
        hidden = set(getattr(sheet, "hidden_cols", ()) or ())
        cmap = map_columns(parts, syn.forms[form], syn.fuzzy_threshold, hidden=hidden)  # + fuzzy
        title = _title_text(grid, block.first)
        if not visible:
            return SheetVerdict(
                sheet,
                grid,
                "hidden",
                form=form,
                score=score,
                reason=f"trang tính ẩn: bản nháp hoặc bản cũ của biểu {FORM_CODES[form]}, không đọc",
                title_text=title,
            )
        return SheetVerdict(sheet, grid, "form", form, score, block, cmap, parts, None, title)
    text = _title_text(grid, min(grid.n_rows, 60))
    if not visible:
        return SheetVerdict(
            sheet, grid, "hidden", reason="trang tính ẩn, không đọc", title_text=text
        )
    for kind, reason in (
        ("cover", "trang bìa / thông tin chung"),
        ("pivot", "bảng tổng hợp (pivot), không phải biểu mẫu"),
        ("notes", "trang ghi chú, hướng dẫn"),
    ):
        if any(has_phrase(text, w) for w in syn.sheets.get(kind, [])):
            return SheetVerdict(sheet, grid, kind, reason=reason, title_text=text)
    reason = "không nhận ra biểu mẫu"
    if partial is not None and partial[0] >= 0.3:
        _s, form, (_b, _p, cmap) = partial
        missing = [c for c in syn.forms[form].required if c not in cmap.columns]
        if missing:
            reason += f" (giống biểu {FORM_CODES[form]} nhưng thiếu cột: {', '.join(missing)})"
    return SheetVerdict(sheet, grid, "unknown", reason=reason, title_text=text)


def _finality(v: SheetVerdict) -> int:
    from ketnghia_analysis.reading.headers import clean_text, fold_text

    name = fold_text(clean_text(str(getattr(v.sheet, "name", ""))))
    text = f"{name} | {v.title_text[:400]}"
    score = 0
    if _FINAL.search(name):
        score += 2
    if _DRAFT.search(name):
        score -= 2
    if re.search(r"\b(du thao|ban nhap)\b", text):
        score -= 1
    return score


def _row_labels(v: SheetVerdict, label_columns: list[str]) -> set[str]:
    """Folded labels (commune, partner, model) below the header of a form sheet."""
    cols = [v.colmap.columns[n] for n in label_columns if n in v.colmap.columns]
    if not cols or v.grid is None or v.block is None:
        return set()
    c = v.colmap.columns.get("commune", cols[0])
    return {v.grid.folded(r, c) for r in range(v.block.last + 1, v.grid.n_rows)} - {""}


def _same_rows(a: SheetVerdict, b: SheetVerdict, label_columns: list[str]) -> bool:
    """Do two sheets of the same form list mostly the same rows (a copy, not a split)?"""
    la, lb = _row_labels(a, label_columns), _row_labels(b, label_columns)
    if not la or not lb:
        return True
    return len(la & lb) >= 0.5 * min(len(la), len(lb))


def recognise_forms(
    sheets: list[Any], source_file: str | None = None, syn: Synonyms | None = None
) -> tuple[list[SheetVerdict], list[tuple[str, str]], list[Issue], list[SheetVerdict]]:
    """Recognise the forms of a workbook.

    Returns
    -------
    forms : the verdicts of the sheets to read (one per form)
    skipped : (sheet name, Vietnamese reason) for every other sheet
    issues : DUPLICATE_FORM warnings
    verdicts : every sheet's verdict (for identity: cover sheets, titles)
    """
    syn = syn or load_synonyms()
    verdicts = [recognise_sheet(s, syn) for s in sheets]
    issues: list[Issue] = []
    by_form: dict[str, list[SheetVerdict]] = {}
    for v in verdicts:
        if v.kind == "form" and v.form:
            by_form.setdefault(v.form, []).append(v)
    for form, group in by_form.items():
        if len(group) < 2:
            continue
        winner = max(group, key=lambda v: (_finality(v), getattr(v.sheet, "index", 0)))
        for v in group:
            if v is winner:
                continue
            if not _same_rows(v, winner, syn.forms[form].label_columns):
                continue  # one form split over two sheets (e.g. by area): both are read
            v.kind = "duplicate"
            v.reason = (
                f"biểu {FORM_CODES[form]} trùng với trang '{winner.sheet.name}'; "
                f"dùng trang '{winner.sheet.name}'"
            )
            issues.append(
                Issue(
                    severity="warning",
                    code="DUPLICATE_FORM",
                    message=(
                        f"Biểu {FORM_CODES[form]} có ở hai trang tính ('{v.sheet.name}' và "
                        f"'{winner.sheet.name}'); chỉ đọc trang '{winner.sheet.name}'"
                    ),
                    source_file=source_file,
                    source_sheet=v.sheet.name,
                    suggestion=f"Xóa trang '{v.sheet.name}' nếu là bản nháp",
                )
            )
    forms = [v for v in verdicts if v.kind == "form"]
    skipped = [(str(v.sheet.name), v.reason or "") for v in verdicts if v.kind != "form"]
    return forms, skipped, issues, verdicts
