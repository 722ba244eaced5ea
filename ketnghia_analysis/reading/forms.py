"""Form stage: recognise which sheet holds which form (01/KN, 02/HN, 03/NTM, 04/MH).

A form is recognised by its content — the form number and words of its title block and,
above all, how many of its canonical columns the header names (``synonyms.yaml``) —
never by the sheet's name or position. Other sheets are classified (cover, notes, pivot,
empty or chart, hidden, instructions, text without figures) and skipped with a Vietnamese
reason (`other_sheets.py`); a visible sheet of figures that no form fits is an error,
SHEET_UNRECOGNISED, and its rows are kept for quarantine. Hidden sheets are never read as
data. A sheet of instructions is not a form even when it copies a form's header as an
example. A sheet that its header and title bring close to a form, or a form read by its
header, may head some columns in words no synonym knows: their contents name them
(`header_content.py`, one HEADER_BY_CONTENT note per sheet); content never makes a form of a
sheet no header brings close.

Duplicates: when the same form appears in two visible sheets listing mostly the same
communes (a draft and a final copy), the sheet whose name or title says it is final
("final", "chính thức", "hoàn chỉnh") wins, a sheet marked as a draft ("nháp", "draft",
"cũ", "dự thảo") loses, and otherwise the later sheet wins (it is usually the newest copy).
A DUPLICATE_FORM warning names both sheets. Two sheets of one form with different communes
(a form split by area) are both read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, cast

from ketnghia_analysis.core.issues import Issue
from ketnghia_analysis.reading.grid import Grid, clean_text, fold_text
from ketnghia_analysis.reading.header_content import complete_by_content
from ketnghia_analysis.reading.headers import (
    ColumnMap,
    HeaderBlock,
    find_header_block,
    flatten_header,
    map_columns,
)
from ketnghia_analysis.reading.model import UnreadSheet
from ketnghia_analysis.reading.other_sheets import (
    NEAR_SCORE,
    NearMiss,
    is_instructions,
    other_kind,
    profile,
    unrecognised,
)
from ketnghia_analysis.reference.form_codes import FORM_CODES
from ketnghia_analysis.reference.synonyms import FormSpec, Synonyms, load_synonyms

_FINAL = re.compile(r"\b(final|chinh thuc|hoan chinh|ban chinh|ban cuoi|gui tinh|dieu chinh|sua)\b")
_DRAFT = re.compile(r"\b(nhap|ban nhap|draft|du thao|cu|old|tam|backup|copy|ban sao|thu)\b")


@dataclass(frozen=True)
class SheetVerdict:
    """What a sheet is, and everything the reader needs to read it if it is a form."""

    sheet: Any  # cells.Sheet
    grid: Grid | None
    # "form" | "hidden" | "cover" | "notes" | "pivot" | "empty" | "unknown" | "duplicate"
    # | "unrecognised" (figures no form fits: an error)
    kind: str
    form: str | None = None
    score: float = 0.0
    block: HeaderBlock | None = None
    colmap: ColumnMap | None = None
    parts: list[list[str]] | None = None
    reason: str | None = None  # Vietnamese, for skipped sheets
    title_text: str = ""  # folded text above the header (for identity)
    unread: UnreadSheet | None = None  # "unrecognised": the data rows left unread
    # "unrecognised": SHEET_UNRECOGNISED; "form": HEADER_BY_CONTENT (columns read by content)
    finding: Issue | None = None


@dataclass(frozen=True)
class Recognition:
    """The forms of a workbook, recognised.

    Attributes
    ----------
    forms : the verdicts of the sheets to read (one per form, or per part of a split form)
    skipped : (sheet name, Vietnamese reason) for every other sheet
    issues : DUPLICATE_FORM warnings, SHEET_UNRECOGNISED errors
    verdicts : every sheet's verdict (for identity: cover sheets, titles)
    unread : the rows of the sheets of figures that no form fits
    """

    forms: list[SheetVerdict]
    skipped: list[tuple[str, str]]
    issues: list[Issue]
    verdicts: list[SheetVerdict]
    unread: list[UnreadSheet] = field(default_factory=list)


def _title_text(grid: Grid, upto: int) -> str:
    """Folded text of the rows above the header (all of them when no header was found)."""
    key = ("title_text", min(upto, grid.n_rows))
    hit = grid.memo.get(key)
    if hit is None:
        hit = grid.memo[key] = " | ".join([f for r in range(key[1]) for f in grid.row_folded(r)])
    return cast(str, hit)


@dataclass(frozen=True)
class _Candidate:
    """One form tried on a sheet: its score, whether it is acceptable, its header."""

    form: str
    score: float
    ok: bool
    block: HeaderBlock
    parts: list[list[str]]
    colmap: ColumnMap


def _hidden_cols(sheet: Any) -> set[int]:
    return set(getattr(sheet, "hidden_cols", ()) or ())


def _acceptable(cmap: ColumnMap, spec: FormSpec) -> bool:
    """Enough canonical columns, the required ones among them."""
    return len(cmap.columns) >= spec.min_columns and all(c in cmap.columns for c in spec.required)


def _score_form(grid: Grid, form: str, syn: Synonyms) -> _Candidate | None:
    """One form tried on one sheet (without fuzzy matching); None without a header."""
    spec = syn.forms[form]
    block = find_header_block(grid, spec)
    if block is None:
        return None
    parts = flatten_header(grid, block.first, block.last, block.joined)
    cmap = map_columns(
        parts, spec, syn.fuzzy_threshold, fuzzy=False, hidden=_hidden_cols(grid.sheet)
    )
    score = len(cmap.columns) / max(len(spec.columns), 1)
    title = _title_text(grid, block.first)
    if _named(title, spec.numbers):
        score += 0.5
    score += 0.1 * min(3, len(_named(title, spec.title)))
    return _Candidate(form, score, _acceptable(cmap, spec), block, parts, cmap)


def _named(text: str, phrases: list[str]) -> list[str]:
    """The phrases a folded text names as whole words (`has_phrase`, the text padded once:
    a title is long and every form's phrases are looked for in it)."""
    padded = f" {text} "
    return [p for p in phrases if p and f" {p} " in padded]


def _try_forms(grid: Grid, syn: Synonyms) -> tuple[_Candidate | None, _Candidate | None]:
    """(best acceptable form, best partial match) of a sheet.

    The form number in the title ("Biểu số 02/HN") says which form to try first; when it
    is confirmed by the header, the other forms need not be tried.
    """
    best: _Candidate | None = None
    partial: _Candidate | None = None
    top = _title_text(grid, min(grid.n_rows, 12))
    named = [f for f, spec in syn.forms.items() if _named(top, spec.numbers)]
    for form in named + [f for f in syn.forms if f not in named]:
        found = _score_form(grid, form, syn)
        if found is None:
            continue
        if found.ok and (best is None or found.score > best.score):
            best = found
        elif not found.ok and (partial is None or found.score > partial.score):
            partial = found
        if best is not None and len(named) == 1 and best.form == named[0]:
            break
    return best, partial


# A title of instructions ("HƯỚNG DẪN GHI BIỂU", "Cách ghi"), not a form citing one
# ("Kèm theo Hướng dẫn số 12/HD-UBND").
_INSTRUCTION_TITLE = re.compile(r"^(?:huong dan(?! so)|cach ghi|giai thich)\b")


def _instructions(grid: Grid, upto: int) -> bool:
    """A header found under a title of instructions ("Hướng dẫn ghi biểu … Ví dụ:") on a sheet
    of sentences, not of figures: an example, not a form."""
    if not any(_INSTRUCTION_TITLE.match(f) for r in range(upto) for f in grid.row_folded(r)):
        return False
    return is_instructions(profile(grid))


def _form_verdict(
    sheet: Any,
    grid: Grid,
    found: _Candidate,
    syn: Synonyms,
    by_content: tuple[ColumnMap, Issue] | None = None,
) -> SheetVerdict:
    """A recognised form, its columns mapped with fuzzy matching, or completed by their
    contents (`by_content`: the column map and its finding); hidden: not read."""
    if by_content is not None:
        cmap = by_content[0]
    else:
        spec = syn.forms[found.form]
        cmap = map_columns(found.parts, spec, syn.fuzzy_threshold, hidden=_hidden_cols(sheet))
    title = _title_text(grid, found.block.first)
    if getattr(sheet, "visible", True) and _instructions(grid, found.block.first):
        reason = (
            f"trang hướng dẫn (có mẫu tiêu đề biểu {FORM_CODES[found.form]}), không phải số liệu"
        )
        return SheetVerdict(sheet, grid, "notes", reason=reason, title_text=title)
    if not getattr(sheet, "visible", True):
        reason = f"trang tính ẩn: bản nháp hoặc bản cũ của biểu {FORM_CODES[found.form]}, không đọc"
        return SheetVerdict(
            sheet,
            grid,
            "hidden",
            form=found.form,
            score=found.score,
            reason=reason,
            title_text=title,
        )
    if by_content is None:
        # a form read by its header may still head a column in words no synonym knows
        spec = syn.forms[found.form]
        by_content = complete_by_content(
            grid, found.block, spec, cmap, syn, lambda _cmap: True, _hidden_cols(sheet)
        )
    cmap, finding = by_content if by_content is not None else (cmap, None)
    return SheetVerdict(
        sheet,
        grid,
        "form",
        found.form,
        found.score,
        found.block,
        cmap,
        found.parts,
        title_text=title,
        finding=finding,
    )


def _other_verdict(sheet: Any, grid: Grid, near: NearMiss | None, syn: Synonyms) -> SheetVerdict:
    """A sheet that is no form: hidden, or classified with its reason (other_sheets.py); a
    visible sheet of figures that no form fits is "unrecognised", with its finding."""
    text = _title_text(grid, min(grid.n_rows, 60))
    if not getattr(sheet, "visible", True):
        return SheetVerdict(
            sheet, grid, "hidden", reason="trang tính ẩn, không đọc", title_text=text
        )
    if near is not None and near.score < NEAR_SCORE:
        near = None  # a word or two of a header: no form is close
    prof = profile(grid, near.block.last if near is not None else -1)
    other = other_kind(text, prof, near, syn)
    if other is not None:
        return SheetVerdict(sheet, grid, other[0], reason=other[1], title_text=text)
    reason, unread, issue = unrecognised(sheet, grid, prof, near, syn)
    return SheetVerdict(
        sheet,
        grid,
        "unrecognised",
        form=unread.form,
        reason=reason,
        title_text=text,
        unread=unread,
        finding=issue,
    )


def recognise_sheet(sheet: Any, syn: Synonyms | None = None) -> SheetVerdict:
    """Classify one sheet: a form (with its header) or a skipped sheet with its reason."""
    syn = syn or load_synonyms()
    grid = Grid(sheet)
    if all(grid.row_is_blank(r) for r in range(grid.n_rows)):
        if not getattr(sheet, "visible", True):
            return SheetVerdict(sheet, grid, "hidden", reason="trang tính ẩn (trống)")
        return SheetVerdict(sheet, grid, "empty", reason="trang trống (hoặc trang biểu đồ)")
    best, partial = _try_forms(grid, syn)
    near = None
    if best is None and partial is not None:
        # a header with typos may name its required columns only through fuzzy matching
        spec = syn.forms[partial.form]
        cmap = map_columns(partial.parts, spec, syn.fuzzy_threshold, hidden=_hidden_cols(sheet))
        if _acceptable(cmap, spec):
            best = partial
        near = NearMiss(partial.form, partial.score, partial.block, cmap)
    if best is not None:
        return _form_verdict(sheet, grid, best, syn)
    if partial is not None and near is not None and _close(partial, near, sheet):
        spec = syn.forms[partial.form]
        done = complete_by_content(
            grid,
            partial.block,
            spec,
            near.colmap,
            syn,
            lambda cmap: _acceptable(cmap, spec),
            _hidden_cols(sheet),
        )
        if done is not None:
            return _form_verdict(sheet, grid, partial, syn, done)
    return _other_verdict(sheet, grid, near, syn)


def _close(partial: _Candidate, near: NearMiss, sheet: Any) -> bool:
    """Is a visible sheet close enough to a form for its contents to complete its header?
    Its header and title bring it near (NEAR_SCORE), with two columns named, or one and the
    form's number in the title; content never makes a form out of one word."""
    if not getattr(sheet, "visible", True) or partial.score < NEAR_SCORE:
        return False
    # one named column scores at most 1/4: 0.5 and more is the form's number in the title
    return len(near.colmap.columns) >= 2 or partial.score >= 0.5


def _finality(v: SheetVerdict) -> int:
    """How final a sheet says it is: "chính thức" +2, "nháp" -2 (by name and title)."""
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
    if v.colmap is None or v.grid is None or v.block is None:
        return set()
    cols = [v.colmap.columns[n] for n in label_columns if n in v.colmap.columns]
    if not cols:
        return set()
    c = v.colmap.columns.get("commune", cols[0])
    return {v.grid.folded(r, c) for r in range(v.block.last + 1, v.grid.n_rows)} - {""}


def _same_rows(a: SheetVerdict, b: SheetVerdict, label_columns: list[str]) -> bool:
    """Do two sheets of the same form list mostly the same rows (a copy, not a split)?"""
    la, lb = _row_labels(a, label_columns), _row_labels(b, label_columns)
    if not la or not lb:
        return True
    return len(la & lb) >= 0.5 * min(len(la), len(lb))


def _duplicate(v: SheetVerdict, winner: SheetVerdict, source_file: str | None) -> Issue:
    """DUPLICATE_FORM: `v` holds the same form as `winner`, which is read instead."""
    code = FORM_CODES[v.form or ""]
    return Issue(
        severity="warning",
        code="DUPLICATE_FORM",
        message=(
            f"Biểu {code} có ở hai trang tính ('{v.sheet.name}' và "
            f"'{winner.sheet.name}'); chỉ đọc trang '{winner.sheet.name}'"
        ),
        source_file=source_file,
        source_sheet=v.sheet.name,
        suggestion=f"Xóa trang '{v.sheet.name}' nếu là bản nháp",
    )


def _losers(group: list[SheetVerdict], syn: Synonyms) -> list[tuple[SheetVerdict, SheetVerdict]]:
    """(copy, winner) of the copies of one form that lose to the most final (else the
    last) sheet. Two sheets listing different rows are one form split over two sheets:
    both are read."""
    winner = max(group, key=lambda v: (_finality(v), getattr(v.sheet, "index", 0)))
    label_columns = syn.forms[winner.form or ""].label_columns
    return [(v, winner) for v in group if v is not winner and _same_rows(v, winner, label_columns)]


def _as_duplicate(v: SheetVerdict, winner: SheetVerdict) -> SheetVerdict:
    """The verdict of a copy that is not read, with its reason."""
    reason = (
        f"biểu {FORM_CODES[v.form or '']} trùng với trang '{winner.sheet.name}'; "
        f"dùng trang '{winner.sheet.name}'"
    )
    return replace(v, kind="duplicate", reason=reason)


def recognise_forms(
    sheets: list[Any], source_file: str | None = None, syn: Synonyms | None = None
) -> Recognition:
    """Recognise the forms of a workbook; of two copies of a form, only one is read."""
    syn = syn or load_synonyms()
    verdicts = [recognise_sheet(s, syn) for s in sheets]
    by_form: dict[str, list[SheetVerdict]] = {}
    for v in verdicts:
        if v.kind == "form" and v.form:
            by_form.setdefault(v.form, []).append(v)
    winner_of: dict[int, SheetVerdict] = {}
    issues: list[Issue] = []
    for group in by_form.values():
        for v, winner in _losers(group, syn) if len(group) > 1 else []:
            winner_of[id(v)] = winner
            issues.append(_duplicate(v, winner, source_file))
    final = [_as_duplicate(v, winner_of[id(v)]) if id(v) in winner_of else v for v in verdicts]
    forms = [v for v in final if v.kind == "form"]
    skipped = [(str(v.sheet.name), v.reason or "") for v in final if v.kind != "form"]
    unread = [v.unread for v in final if v.unread is not None]
    issues += [
        replace(v.finding, source_file=source_file)
        for v in final
        if v.finding and v.kind in ("form", "unrecognised")
    ]
    return Recognition(forms, skipped, issues, final, unread)
