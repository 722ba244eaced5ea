"""Form stage, the sheets that are no form: why not, or the error that figures were left unread.

A sheet that is no form is skipped only with a reason a person would accept: hidden, empty
or a chart, a pivot table, instructions (long sentences and few figures, even when they name
the forms: "Biểu 01/KN: ghi các đơn vị…"), a cover page, or text without figures. A visible
sheet holding rows of figures that no form fits is never skipped in silence: it gets an
error, SHEET_UNRECOGNISED, naming the closest form, the header cells recognised and the
columns missing ("Trang 'Ket nghia' có 14 dòng số liệu nhưng không nhận ra biểu mẫu: gần
giống 01/KN (nhận ra 2/12 cột), thiếu cột: Đơn vị kết nghĩa"), and its data rows go to
quarantine with their cells as written (`UnreadSheet`), so the file's accounting shows them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ketnghia_analysis.core.address import a1
from ketnghia_analysis.core.issues import Issue
from ketnghia_analysis.reading.grid import Grid, cell_text, has_phrase
from ketnghia_analysis.reading.headers import ColumnMap, HeaderBlock, is_numbering_row
from ketnghia_analysis.reading.model import UnreadSheet
from ketnghia_analysis.reference.form_codes import FORM_CODES
from ketnghia_analysis.reference.synonyms import FormSpec, Synonyms

#: Rows of figures that make a sheet with no recognised header data that must not be lost
#: (a cover page or a note has a figure or two per line, never rows of them).
MIN_DATA_ROWS = 3
#: A sentence of instructions: a text cell of at least this many words.
SENTENCE_WORDS = 8
#: Share of the canonical columns found above which a sheet is "close to" a form.
NEAR_SCORE = 0.3

# A figure as typed: a number, or text that is one, with a unit or a word around it
# ("1.234", "12,5%", "106 hộ", "128,9 tr.đ").
_FIGURE = re.compile(r"^[\s+\-−(]*\d[\d.,\s'\u00a0]*\)?\s*(%|[^\W\d_][\w.]{0,5}\.?)?$")


def is_figure(v: object) -> bool:
    """A value that is a figure: a number or text that writes one.

    >>> [is_figure(x) for x in (12.0, "1.234", "106 hộ", "Trà Mai", True, "12,5%")]
    [True, True, True, False, False, True]
    """
    if isinstance(v, bool):
        return False
    if isinstance(v, int | float):
        return True
    return isinstance(v, str) and bool(_FIGURE.match(v.strip()))


@dataclass(frozen=True)
class SheetProfile:
    """What a sheet holds, whatever it is: rows of figures, sentences, non-blank rows."""

    data_rows: list[int]  # 0-based rows with two or more figures (not a numbering row)
    sentences: int  # text cells of SENTENCE_WORDS words or more (below the header, if any)
    nonblank_rows: int
    prose_rows: int = 0  # rows of one or two cells holding a sentence (a line of text)


def profile(grid: Grid, below: int = -1) -> SheetProfile:
    """Profile of a sheet; figures and sentences are counted below row `below` (0-based: the
    last header row of a near miss, whose title lines are no instructions)."""
    data_rows: list[int] = []
    sentences = prose = 0
    nonblank = 0
    for r in range(grid.n_rows):
        cells = grid.row_cells(r)
        if not cells:
            continue
        nonblank += 1
        if r <= below:
            continue
        row = grid.values[r]
        texts = [v for v in (row[c] for c in cells) if isinstance(v, str)]
        said = sum(1 for v in texts if len(v.split()) >= SENTENCE_WORDS)
        sentences += said
        prose += 1 if said and len(cells) <= 2 else 0
        if sum(1 for c in cells if is_figure(row[c])) >= 2 and not is_numbering_row(row):
            data_rows.append(r)
    return SheetProfile(data_rows, sentences, nonblank, prose)


def is_instructions(prof: SheetProfile) -> bool:
    """Instructions: lines of text (a sentence alone on its row), more of them than rows of
    figures; a table whose cells hold sentences (a list of findings) is no instructions."""
    return (
        prof.prose_rows >= 2
        and 2 * prof.prose_rows >= prof.sentences
        and len(prof.data_rows) < max(MIN_DATA_ROWS, prof.prose_rows)
    )


@dataclass(frozen=True)
class NearMiss:
    """The form a sheet comes closest to: its header and the columns it names."""

    form: str
    score: float
    block: HeaderBlock
    colmap: ColumnMap


def _countable(spec: FormSpec) -> list[str]:
    """The columns of a form as a person counts them: the 19 criteria count as one grid."""
    names = [n for n in spec.columns if not (n[0] == "c" and n[1:].isdigit())]
    return names + (["_criteria"] if len(names) < len(spec.columns) else [])


def _found(spec: FormSpec, cmap: ColumnMap) -> list[str]:
    grid_found = any(n[0] == "c" and n[1:].isdigit() for n in cmap.columns)
    return [n for n in cmap.columns if n in spec.columns and not n[1:].isdigit()] + (
        ["_criteria"] if grid_found else []
    )


def _missing_labels(spec: FormSpec, cmap: ColumnMap) -> list[str]:
    """Header names (as usually written) of the required columns the sheet lacks."""
    missing = [c for c in spec.required if c not in cmap.columns]
    if len(cmap.columns) < spec.min_columns:
        missing += [
            c for c in spec.columns if c not in cmap.columns and c not in missing and c[0] != "c"
        ][: max(0, spec.min_columns - len(cmap.columns) - len(missing))]
    return [spec.columns[c].label or c for c in missing]


def _header_cells(grid: Grid, near: NearMiss) -> list[str]:
    """The recognised header cells of a near miss, quoted with their address."""
    out = []
    for _name, c in sorted(near.colmap.columns.items(), key=lambda kv: kv[1])[:6]:
        label = near.colmap.labels.get(c, "")
        out.append(f"'{label}' ({a1(near.block.last, c)})")
    return out


def short_reason(n_rows: int, near: NearMiss | None, syn: Synonyms) -> str:
    """The short reason a sheet of figures was not read: the closest form and the columns it
    lacks (the finding, SHEET_UNRECOGNISED, also quotes the header cells found).

    >>> short_reason(14, None, None)
    'có 14 dòng số liệu nhưng không nhận ra biểu mẫu'
    """
    head = f"có {n_rows} dòng số liệu nhưng không nhận ra biểu mẫu"
    if near is None or near.score < NEAR_SCORE:
        return head
    missing = ", ".join(_missing_labels(syn.forms[near.form], near.colmap))
    return f"{head}, gần giống {FORM_CODES[near.form]}" + (
        f", thiếu cột: {missing}" if missing else ""
    )


def unrecognised_reason(
    n_rows: int, near: NearMiss | None, grid: Grid, syn: Synonyms
) -> tuple[str, str | None]:
    """(Vietnamese reason, missing columns) of a sheet of figures that no form fits."""
    head = f"có {n_rows} dòng số liệu nhưng không nhận ra biểu mẫu"
    if near is None or near.score < NEAR_SCORE:
        return head + ": không thấy tiêu đề cột của biểu nào (01/KN, 02/HN, 03/NTM, 04/MH)", None
    spec = syn.forms[near.form]
    found, total = len(_found(spec, near.colmap)), len(_countable(spec))
    missing = ", ".join(_missing_labels(spec, near.colmap))
    reason = f"{head}: gần giống {FORM_CODES[near.form]} (nhận ra {found}/{total} cột)"
    if missing:
        reason += f", thiếu cột: {missing}"
    cells = _header_cells(grid, near)
    if cells:
        reason += f"; tiêu đề tìm thấy: {', '.join(cells)}"
    return reason, missing or None


def _letter(c: int) -> str:
    return a1(0, c)[:-1]


def _raw_rows(grid: Grid, rows: list[int], near: NearMiss | None) -> list[dict[str, Any]]:
    """The cells of each data row as written, keyed by header label (else column letter)."""
    labels = near.colmap.labels if near is not None else {}
    out = []
    for r in rows:
        rec: dict[str, Any] = {}
        for c in grid.row_cells(r):
            key = labels.get(c) or _letter(c)
            rec[key if key not in rec else f"{key} ({_letter(c)})"] = cell_text(grid.values[r][c])
        rec["source_row"] = r + 1
        out.append(rec)
    return out


def unrecognised(
    sheet: Any, grid: Grid, prof: SheetProfile, near: NearMiss | None, syn: Synonyms
) -> tuple[str, UnreadSheet, Issue]:
    """(short reason, the rows left unread, SHEET_UNRECOGNISED) of a sheet of figures no form
    fits. The finding points at the first recognised header cell, else at the first data row,
    and names the closest form, the headers found and the columns missing.
    """
    name = str(sheet.name)
    reason, missing = unrecognised_reason(len(prof.data_rows), near, grid, syn)
    if near is not None and near.colmap.columns:
        cell = a1(near.block.last, min(near.colmap.columns.values()))
    else:
        r0 = prof.data_rows[0]
        cell = a1(r0, grid.row_cells(r0)[0])
    form = near.form if near is not None and near.score >= NEAR_SCORE else None
    suggestion = (
        f"Ghi tiêu đề cột theo biểu {FORM_CODES[form]} (lệnh ketnghia template), hoặc thêm "
        "cách ghi tiêu đề này vào reference/synonyms.yaml"
        if form
        else "Nếu đây là một biểu báo cáo, ghi số biểu và tiêu đề cột theo mẫu của tỉnh "
        "(lệnh ketnghia template); nếu không, chuyển trang này ra tệp khác"
    )
    issue = Issue(
        severity="error",
        code="SHEET_UNRECOGNISED",
        message=f"Trang '{name}' {reason}",
        source_file=None,
        source_sheet=name,
        cell=cell,
        expected=missing,
        suggestion=suggestion,
    )
    rows = _raw_rows(grid, prof.data_rows, near)
    short = short_reason(len(prof.data_rows), near, syn)
    return short, UnreadSheet(name, form, prof.nonblank_rows, rows), issue


def other_kind(
    text: str, prof: SheetProfile, near: NearMiss | None, syn: Synonyms
) -> tuple[str, str] | None:
    """(kind, reason) of a visible sheet that is no form and holds no data to lose, or None
    when its rows of figures must be reported (SHEET_UNRECOGNISED).

    `text` is the folded text of the sheet's first rows (the words that say what it is).
    """
    if any(has_phrase(text, w) for w in syn.sheets.get("pivot", [])):
        return "pivot", "bảng tổng hợp (pivot), không phải biểu mẫu"
    enough = MIN_DATA_ROWS if near is None or near.score < NEAR_SCORE else 1
    figures = len(prof.data_rows) >= enough
    if not figures and any(has_phrase(text, w) for w in syn.sheets.get("cover", [])):
        return "cover", "trang bìa / thông tin chung"
    says = [*syn.sheets.get("notes", []), *(n for f in syn.forms.values() for n in f.numbers)]
    if is_instructions(prof) and any(has_phrase(text, w) for w in says):
        # lines of text that speak of notes or of the forms: instructions, even when they
        # name every form ("Biểu 01/KN: ghi các đơn vị …")
        return "notes", "trang ghi chú, hướng dẫn"
    if figures:
        return None
    if any(has_phrase(text, w) for w in syn.sheets.get("notes", [])):
        return "notes", "trang ghi chú, hướng dẫn"
    reason = "không nhận ra biểu mẫu"
    if near is not None and near.score >= NEAR_SCORE:
        missing = ", ".join(_missing_labels(syn.forms[near.form], near.colmap))
        if missing:
            reason += f" (giống biểu {FORM_CODES[near.form]} nhưng thiếu cột: {missing})"
    return "unknown", reason
