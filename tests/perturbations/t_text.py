"""Transforms of the text: commune names, Unicode forms and spaces, legacy encodings,
a "Mã xã" column, and the wording of the header cells."""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable, Iterator

from openpyxl.cell.cell import Cell

from ketnghia_analysis.core.legacy import encode_legacy
from ketnghia_analysis.core.text import strip_diacritics
from perturbations.book import Book, Form
from perturbations.registry import transform


def name_cells(book: Book, form: Form) -> Iterator[tuple[Cell, dict]]:
    """(commune cell, truth record) of every data row whose commune cell holds text."""
    for cell, rec in book.data_cells(form, "commune"):
        if isinstance(cell.value, str) and cell.value.strip():
            yield cell, rec


def edit_names(book: Book, edit: Callable[[str], str], every: bool = True, rng=None) -> None:
    """Apply `edit` to the commune names of every form (or to one to three rows of each)."""
    for form in book.layout.forms:
        cells = list(name_cells(book, form))
        if not every and rng is not None:
            cells = rng.sample(cells, min(len(cells), rng.randint(1, 3)))
        for cell, _ in cells:
            cell.value = edit(cell.value)


def header_cell(book: Book, form: Form, name: str) -> Cell | None:
    """The lowest non-empty header cell above the field's column (its own label)."""
    col = form.columns.get(name)
    if col is None:
        return None
    ws = book.sheet(form)
    for r in range(form.header[1], form.header[0] - 1, -1):
        if isinstance(ws.cell(r, col).value, str) and ws.cell(r, col).value.strip():
            return ws.cell(r, col)
    return None


def text_cells(book: Book) -> Iterator[Cell]:
    for ws in book.wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and not cell.value.startswith("="):
                    yield cell


# ---------------------------------------------------------------------------------------
# Commune names
# ---------------------------------------------------------------------------------------
@transform("name_footnote_paren_star")
def name_footnote_paren_star(book: Book, rng: random.Random) -> None:
    """'Xã Trà Dơn (*)': a footnote mark after some names."""
    edit_names(book, lambda s: s.rstrip() + " (*)", every=False, rng=rng)


@transform("name_footnote_number")
def name_footnote_number(book: Book, rng: random.Random) -> None:
    """'Xã Trà Dơn (1)': a numbered footnote after some names."""
    n = iter(range(1, 100))
    edit_names(book, lambda s: s.rstrip() + f" ({next(n)})", every=False, rng=rng)


@transform("name_footnote_asterisk")
def name_footnote_asterisk(book: Book, rng: random.Random) -> None:
    """'Trà Dơn*' or 'Trà Dơn **': asterisks after some names."""
    edit_names(book, lambda s: s.rstrip() + rng.choice(["*", " *", "**"]), every=False, rng=rng)


@transform("name_upper")
def name_upper(book: Book, rng: random.Random) -> None:
    """'XÃ TRÀ DƠN': names in capitals."""
    edit_names(book, str.upper)


UNIT_WORDS = re.compile(r"^\s*(xã|thị trấn|phường)\s+", re.IGNORECASE)


@transform("name_abbrev_x")
def name_abbrev_x(book: Book, rng: random.Random) -> None:
    """'X. Trà Dơn', 'TT. Khâm Đức', 'P. Cẩm Phô': the unit word abbreviated."""

    def edit(s: str) -> str:
        m = UNIT_WORDS.match(s)
        if not m:
            return s
        short = {"xã": "X.", "thị trấn": "TT.", "phường": "P."}[m.group(1).lower()]
        return f"{short} {s[m.end() :]}"

    edit_names(book, edit)


@transform("text_nfd")
def text_nfd(book: Book, rng: random.Random) -> None:
    """Every text cell in decomposed Unicode (a Mac, or a copy from a PDF)."""
    for cell in text_cells(book):
        cell.value = unicodedata.normalize("NFD", cell.value)


@transform("text_nbsp")
def text_nbsp(book: Book, rng: random.Random) -> None:
    """Non-breaking spaces between the words of names (a copy from Word or the web)."""
    edit_names(book, lambda s: s.replace(" ", "\u00a0"))


@transform("text_zero_width")
def text_zero_width(book: Book, rng: random.Random) -> None:
    """A zero-width space inside names and header labels (a copy from a web page)."""

    def edit(s: str) -> str:
        i = rng.randint(1, max(1, len(s) - 1))
        return s[:i] + rng.choice(["\u200b", "\ufeff", "\u200c"]) + s[i:]

    edit_names(book, edit)
    for form in book.layout.forms:
        for name in form.columns:
            cell = header_cell(book, form, name)
            if cell is not None and rng.random() < 0.5:
                cell.value = edit(cell.value)


@transform("text_padding")
def text_padding(book: Book, rng: random.Random) -> None:
    """Leading, trailing and doubled spaces in names and header labels."""

    def edit(s: str) -> str:
        return rng.choice([" ", "  ", ""]) + s.replace(" ", "  ", 1) + rng.choice([" ", "   "])

    edit_names(book, edit)
    for form in book.layout.forms:
        for name in form.columns:
            cell = header_cell(book, form, name)
            if cell is not None:
                cell.value = edit(cell.value)


def _legacy_sheet(encoding: str) -> Callable[[Book, random.Random], None]:
    def apply(book: Book, rng: random.Random) -> None:
        form = rng.choice(book.layout.forms)
        for row in book.sheet(form).iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and not cell.value.startswith("="):
                    cell.value = encode_legacy(unicodedata.normalize("NFC", cell.value), encoding)

    return apply


transform("text_tcvn3_sheet")(_legacy_sheet("tcvn3"))
transform("text_vni_sheet")(_legacy_sheet("vni"))


# ---------------------------------------------------------------------------------------
# A "Mã xã" column
# ---------------------------------------------------------------------------------------
def misspell(name: str, rng: random.Random) -> str:
    """A name typed carelessly: tones dropped and one inner letter lost or doubled."""
    s = strip_diacritics(name)
    letters = [i for i, ch in enumerate(s) if ch.isalpha() and 0 < i < len(s) - 1]
    if not letters:
        return s
    i = rng.choice(letters)
    return s[:i] + s[i + 1 :] if rng.random() < 0.5 else s[:i] + s[i] + s[i:]


def _code_column(misspelt: bool) -> Callable[[Book, random.Random], None]:
    def apply(book: Book, rng: random.Random) -> None:
        for form in book.layout.forms:
            col = form.columns.get("commune")
            if col is None:
                continue
            records = {r: book.record(form, r) for r in form.rows}
            book.insert_cols(form, col)
            ws = book.sheet(form)
            ws.cell(form.header[0], col).value = "Mã xã"
            as_text = rng.random() < 0.5
            for r in form.rows:
                rec = records.get(r)
                if rec is None:
                    continue
                code = str(rec["commune_code"])
                ws.cell(r, col).value = code if as_text else int(code)
                name = ws.cell(r, col + 1)
                if misspelt and isinstance(name.value, str) and rng.random() < 0.6:
                    name.value = misspell(name.value, rng)

    return apply


transform("code_column_added")(_code_column(misspelt=False))
transform("code_column_misspelt_names")(_code_column(misspelt=True))


# ---------------------------------------------------------------------------------------
# Header wording
# ---------------------------------------------------------------------------------------
REWORDED = {
    "households_total": ["Tổng số hộ dân cư trên địa bàn", "Tổng số hộ dân"],
    "poor_start": ["Hộ nghèo đầu kỳ", "Số hộ nghèo năm trước chuyển sang"],
    "poverty_exits": ["Số hộ thoát nghèo", "Giảm (thoát nghèo)"],
    "poverty_relapses": ["Hộ tái nghèo", "Số hộ tái nghèo trong năm"],
    "poverty_new": ["Số hộ nghèo mới phát sinh", "Hộ nghèo phát sinh"],
    "poor_end": ["Tổng số hộ nghèo cuối năm", "Hộ nghèo cuối kỳ"],
    "poverty_rate_end": ["Tỷ lệ hộ nghèo (%)", "Tỉ lệ hộ nghèo cuối năm (%)"],
    "near_poor_end": ["Hộ cận nghèo cuối kỳ", "Tổng số hộ cận nghèo"],
    "poor_ethnic_minority_end": ["Hộ nghèo là người dân tộc thiểu số", "Trong đó hộ nghèo DTTS"],
    "partner_name": ["Cơ quan, đơn vị kết nghĩa", "Đơn vị giúp đỡ"],
    "partner_type": ["Khối", "Loại hình"],
    "pair_start_year": ["Năm ký kết", "Thời gian bắt đầu kết nghĩa"],
    "beneficiary_households": ["Số hộ thụ hưởng", "Số hộ dân được hưởng lợi"],
    "officials_trained": ["Số lượt cán bộ xã được đào tạo, bồi dưỡng"],
    "workers_trained": ["Số lao động được đào tạo nghề, giải quyết việc làm"],
    "houses_supported": ["Số nhà Đại đoàn kết được hỗ trợ", "Nhà ở được hỗ trợ xây mới, sửa chữa"],
    "models_supported": ["Số mô hình kinh tế được hỗ trợ"],
    "criteria_met": ["Tổng số tiêu chí đã đạt", "Số tiêu chí đạt"],
    "model_name": ["Tên mô hình kinh tế"],
    "households": ["Số hộ tham gia mô hình"],
    "start_year": ["Năm thực hiện", "Năm bắt đầu"],
    "status": ["Tình trạng hiện nay"],
}
ABBREVIATED = {
    "households_total": ["TS hộ", "Tổng hộ"],
    "poor_start": ["Hộ nghèo ĐN", "HN đầu năm"],
    "poor_end": ["HN cuối năm", "SL hộ nghèo cuối năm"],
    "near_poor_end": ["SL hộ cận nghèo", "Hộ cận nghèo"],
    "poor_ethnic_minority_end": ["HN DTTS", "Trong đó: HN DTTS"],
    "poverty_rate_end": ["TL hộ nghèo (%)", "Tỷ lệ HN (%)"],
    "beneficiary_households": ["SL hộ hưởng lợi", "Hộ hưởng lợi"],
    "officials_trained": ["Lượt CBCC xã được ĐT, BD"],
    "workers_trained": ["LĐ được ĐTN, GQVL"],
    "houses_supported": ["Nhà ĐĐK", "Số nhà ĐĐK"],
    "models_supported": ["SL mô hình", "Số MH PTKT"],
    "cash": ["KP hỗ trợ bằng tiền", "Tiền mặt"],
    "in_kind": ["Hiện vật quy ra tiền", "HV quy đổi"],
    "criteria_met": ["Số TC đạt", "TC đạt"],
    "households": ["SL hộ", "Số hộ TG"],
}
UNIT_PART = re.compile(r"\((?:[^()]*(?:đồng|đ|%)[^()]*)\)", re.IGNORECASE)


def _reword(table: dict[str, list[str]]) -> Callable[[Book, random.Random], None]:
    def apply(book: Book, rng: random.Random) -> None:
        for form in book.layout.forms:
            for name, choices in table.items():
                cell = header_cell(book, form, name)
                if cell is None:
                    continue
                new = rng.choice(choices)
                units = [u for u in UNIT_PART.findall(cell.value) if u not in new]
                cell.value = " ".join([new, *units])

    return apply


transform("header_reworded")(_reword(REWORDED))
transform("header_abbreviated")(_reword(ABBREVIATED))


@transform("header_upper")
def header_upper(book: Book, rng: random.Random) -> None:
    """Header labels in capitals ('TỔNG SỐ HỘ')."""
    for form in book.layout.forms:
        ws = book.sheet(form)
        for r in range(form.header[0], form.header[1] + 1):
            for cell in ws[r]:
                if isinstance(cell.value, str):
                    cell.value = cell.value.upper()


@transform("header_linebreaks")
def header_linebreaks(book: Book, rng: random.Random) -> None:
    """Line breaks (Alt+Enter) typed inside header labels."""
    for form in book.layout.forms:
        for name in form.columns:
            cell = header_cell(book, form, name)
            words = str(cell.value).split(" ") if cell is not None else []
            if cell is not None and len(words) >= 3:
                i = rng.randint(1, len(words) - 1)
                cell.value = (
                    " ".join(words[:i]) + rng.choice(["\n", "\r\n", " \n"]) + " ".join(words[i:])
                )
