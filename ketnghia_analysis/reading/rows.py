"""Row stage: classify every row of a form sheet, fill merged data cells, recompute formulas.

Kinds: ``title`` and ``header`` (above the data), ``numbering`` (column numbers under the
header), ``data``, ``section`` ("I. Các xã khu vực III"), ``total`` ("Tổng cộng", "Cộng",
"Toàn huyện"), ``subtotal`` ("Cộng khu vực III"), ``note`` ("Ghi chú: ..."), ``footer``
(place and date, "Người lập biểu", "TM. ỦY BAN NHÂN DÂN", names) and ``blank``.
Every kind except ``data`` and ``blank`` is structural. Merged label cells of the data are
filled down inside their merge first (`fill_merged_down`).
"""

from __future__ import annotations

import functools
import re

from ketnghia_analysis.reading.grid import Grid, any_value, fold_text
from ketnghia_analysis.reading.headers import HeaderBlock, is_numbering_row

DATA = "data"
SECTION = "section"
TOTAL = "total"
SUBTOTAL = "subtotal"
NUMBERING = "numbering"
FOOTER = "footer"
NOTE = "note"
BLANK = "blank"
TITLE = "title"
HEADER = "header"
STRUCTURAL = frozenset({SECTION, TOTAL, SUBTOTAL, NUMBERING, FOOTER, NOTE, TITLE, HEADER})

# Kinds of canonical columns whose merged data cells are filled down (labels, not amounts:
# a commune merged over its partner rows belongs to each of them; an amount does not).
FILL_DOWN_KINDS = frozenset({"label", "text", "category", "year", "status", "level"})

_TOTAL = re.compile(
    r"^(?:tong cong|tong so|tong|cong|cong chung|tong cong chung)?"
    r"(?:\s*(?:toan\s+)?(?:huyen|thi xa|thanh pho|tx|tp|tinh)(?:\s.*)?)?$"
)
_TOTAL_WORDS = re.compile(
    r"^(?:tong cong|tong so|tong|cong|toan (?:huyen|thi xa|thanh pho|tinh))\b"
)
_SUBTOTAL = re.compile(
    r"^(?:tong cong|tong so|tong|cong|tieu cong|cong nhom|cong khu vuc|trong do)\b\s*\S"
)
_ROMAN = re.compile(r"^(?P<num>[IVX]{1,5}|[A-H])\s*[.)/:\-]\s*\S")
_ROMAN_BARE = re.compile(r"^(?P<num>I{1,3}|IV|VI{0,3}|IX)\s+\S")
_ROMAN_CELL = re.compile(r"^(?:[IVX]{1,5}|[A-H])\.?$")
_SECTION_WORDS = re.compile(r"^(?:cac xa|khu vuc|nhom|xa khu vuc|vung|cac don vi|khoi)\b")
_NOTE = re.compile(r"^(?:ghi chu|luu y|nguon|chu thich|chu y|ghi chu:)\b")
_FOOTER = re.compile(
    r"^(?:nguoi lap(?: bieu)?|lap bieu|tm\.? ?(?:uy ban nhan dan|ubnd)|tm |kt\.? ?chu tich|kt |"
    r"chu tich|pho chu tich|thu truong|ky ten|ky ghi ro ho ten|ky va ghi ro|da ky|"
    r"xac nhan|giam doc|truong phong|uy ban nhan dan huyen|noi nhan)\b"
)
_PLACE_DATE = re.compile(r"\bngay\s*(?:\d{1,2}|\s)?\s*thang\s*(?:\d{1,2})?\s*nam\s*\d{0,4}\s*$")


_NUMBERISH = re.compile(r"^[\s+\-−]?\d[\d.,\s]*%?$")


def _is_numberish(v: object) -> bool:
    """A number, or text that looks like one ("1.234", "12,5%")."""
    if isinstance(v, bool):
        return False
    if isinstance(v, int | float):
        return True
    return isinstance(v, str) and bool(_NUMBERISH.match(v.strip()))


@functools.lru_cache(maxsize=100_000)
def label_key(raw: str) -> str:
    """Folded label that keeps "công" (công ty) apart from "cộng" (sum).

    >>> label_key("Tổng cộng"), label_key("Tổng công ty Điện lực"), label_key("CỘNG")
    ('tong cong', 'tong c0ng ty dien luc', 'cong')
    """
    if raw.isascii():
        return fold_text(raw)
    return fold_text(raw.lower().replace("công", "c0ng"))


def _lead_text(row: list[object]) -> tuple[str, str]:
    """(raw, key) text of the first text cell of a row, left to right."""
    for v in row:
        if isinstance(v, str):
            return v, label_key(v)
    return "", ""


def is_total_label(folded: str) -> bool:
    """A grand-total label.

    >>> [is_total_label(x) for x in ["tong cong", "cong", "toan huyen", "cong khu vuc iii"]]
    [True, True, True, False]
    """
    return bool(folded) and bool(_TOTAL.match(folded)) and bool(_TOTAL_WORDS.match(folded))


def is_subtotal_label(folded: str) -> bool:
    """A subtotal label ("Cộng khu vực III", "Cộng xã Trà Mai", "Trong đó: ...")."""
    return bool(_SUBTOTAL.match(folded)) and not is_total_label(folded)


def is_footer_text(folded: str) -> bool:
    """Footer lines: signatures, titles of signatories, place and date."""
    return bool(_FOOTER.match(folded)) or bool(_PLACE_DATE.search(folded))


@functools.lru_cache(maxsize=100_000)
def _total_kind(lead: str) -> str | None:
    """TOTAL or SUBTOTAL for a row whose lead text (`label_key`) labels one, else None
    (cached: the same labels close the sections of every return)."""
    if is_total_label(lead):
        return TOTAL
    if is_subtotal_label(lead):
        return SUBTOTAL
    return None


def _has_footer_cell(row: list[object]) -> bool:
    """Whether a row holds a footer line (`_footer_cell`) in any of its text cells."""
    for v in row:
        if isinstance(v, str) and _footer_cell(v):
            return True
    return False


@functools.lru_cache(maxsize=100_000)
def _footer_cell(text: str) -> bool:
    """`is_footer_text` of a text cell (cached: rows repeat their words)."""
    return is_footer_text(fold_text(text))


def fill_merged_down(
    grid: Grid, first_data_row: int, fill_cols: set[int], number_cols: set[int]
) -> list[tuple[int, int, int]]:
    """Fill merged data cells down inside their merge (label columns only).

    Returns the merges of amount columns that were NOT filled, as (row0, row1, col):
    their value stays in the first row of the merge.
    """
    kept: list[tuple[int, int, int]] = []
    for r0, c0, r1, _c1 in grid.merged:
        if r0 < first_data_row or r1 <= r0:
            continue
        if c0 in number_cols:
            kept.append((r0, min(r1, grid.n_rows - 1), c0))
            continue
        if c0 not in fill_cols:
            continue
        v = grid.value(r0, c0)
        if v is None:
            continue
        for r in range(r0 + 1, min(r1, grid.n_rows - 1) + 1):
            if grid.values[r][c0] is None:
                grid.values[r][c0] = v
    return kept


def classify_rows(
    grid: Grid,
    block: HeaderBlock,
    label_cols: list[int],
    value_cols: list[int],
) -> list[str]:
    """Kind of every row of the sheet (see module docstring).

    Parameters
    ----------
    grid : the sheet's cell table (merged label cells already filled down)
    block : the header block
    label_cols : columns of the row labels (commune, partner, model)
    value_cols : columns holding values (numbers, marks, years) of mapped canonical columns
    """
    kinds: list[str] = []
    first_col = None
    for c in range(grid.n_cols):
        if any(grid.value(r, c) is not None for r in range(block.first, block.last + 1)):
            first_col = c
            break
    label_upto = max(label_cols) if label_cols else 1
    value_at = [c for c in set(value_cols) if c < grid.n_cols]  # every row has n_cols cells
    label_at = [c for c in set(label_cols) if c < grid.n_cols]
    footer = False
    for r, row in enumerate(grid.values):
        if grid.row_is_blank(r):
            kinds.append(BLANK)
            continue
        if r < block.first:
            kinds.append(TITLE)
            continue
        if r <= block.last:
            kinds.append(HEADER)
            continue
        if r == block.numbering_row or is_numbering_row(row, first_col):
            kinds.append(NUMBERING)
            continue
        has_values = any_value(row, value_at)
        has_label = any_value(row, label_at)
        raw, lead = _lead_text(row)
        if footer:
            kinds.append(NOTE if _NOTE.match(lead) else FOOTER)
            continue
        if _has_footer_cell(row) and not any(_is_numberish(row[c]) for c in value_at):
            footer = True
            kinds.append(FOOTER)
            continue
        if (_NOTE.match(lead) or raw.startswith("*") or raw.startswith("(*)")) and not has_values:
            kinds.append(NOTE)
            continue
        total = _total_kind(lead)
        if total is not None:
            kinds.append(total)
            continue
        if _is_section(grid, r, raw, lead, label_upto, has_values):
            kinds.append(SUBTOTAL if has_values else SECTION)
            continue
        if has_label or has_values:
            kinds.append(DATA)
            continue
        # only unmapped columns hold something: a bare "STT" number is an empty template
        # row (no content: blank); any text is a stray note
        others = [row[c] for c in grid.row_cells(r)]
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in others):
            kinds.append(BLANK)
        else:
            kinds.append(NOTE)
    _one_grand_total(grid, kinds)
    return kinds


def _total_strength(folded: str) -> int:
    if re.match(r"^(tong cong|tong so|toan )", folded) or re.search(
        r"\b(huyen|thi xa|thanh pho)\b", folded
    ):
        return 2
    if folded.startswith("tong"):
        return 1
    return 0  # "Cộng"


def _one_grand_total(grid: Grid, kinds: list[str]) -> None:
    """Keep one grand total; the other total-labelled rows are subtotals.

    Sections often close with a bare "Cộng" while the grand total says "Tổng cộng": the
    strongest label wins; among equals, a total above every data row (total at the top)
    or else the last one.
    """
    totals = [r for r, k in enumerate(kinds) if k == TOTAL]
    if len(totals) < 2:
        return  # a single total is the grand total, whatever its label
    n_sections = sum(1 for k in kinds if k == SECTION)
    if len(totals) == n_sections:
        # exactly one "Cộng" per section and nothing stronger: each closes its section
        closing = [_total_strength(_lead_text(grid.values[r])[1]) for r in totals]
        if max(closing) == 0:
            for r in totals:
                kinds[r] = SUBTOTAL
            return
    first_data = next((r for r, k in enumerate(kinds) if k == DATA), len(kinds))
    strength = {r: _total_strength(_lead_text(grid.values[r])[1]) for r in totals}
    best = max(strength.values())
    cands = [r for r in totals if strength[r] == best]
    top = [r for r in cands if r < first_data]
    grand = top[0] if top else cands[-1]
    for r in totals:
        if r != grand:
            kinds[r] = SUBTOTAL


@functools.lru_cache(maxsize=100_000)
def _section_number(raw: str) -> str | None:
    """The Roman numeral or letter a lead text opens with ("I. ...", "A) ..."), if any."""
    m = _ROMAN.match(raw) or _ROMAN_BARE.match(raw)
    return m.group("num") if m else None


def _is_section(grid: Grid, r: int, raw: str, lead: str, label_upto: int, has_values: bool) -> bool:
    num = _section_number(raw)
    if num is not None:
        if num in ("A", "B", "C", "D", "E", "F", "G", "H"):
            # "A. Các xã ..." is a section; "H. Đại Lộc" (huyện) with figures is a data row
            return not has_values
        if num != "X":
            return True
        # "X. Trà Mai" is a commune abbreviation (X. = xã), not section ten
        return bool(_SECTION_WORDS.match(lead[1:].strip()))
    row = grid.values[r]
    # a Roman numeral or letter alone in the STT column, with a label beside it
    for c in range(0, min(label_upto, grid.n_cols - 1) + 1):
        v = row[c]
        if v is None:
            continue
        if isinstance(v, str) and _ROMAN_CELL.match(v.strip()):
            return any(isinstance(row[j], str) for j in range(c + 1, grid.n_cols))
        break
    if not has_values and _SECTION_WORDS.match(lead):
        return True
    return False
