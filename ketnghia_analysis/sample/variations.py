"""The variation catalogue of ../shared/spec/returns.md and where a run planted each one.

`CATALOGUE` names every variation the generator plants (the keys of
``truth/variations.json``). `Placements` records ``[file, sheet, cell-or-row]``
for each; `plan.plan` spreads the catalogue over the district-years of a run.
"""

from __future__ import annotations

from collections import defaultdict

CATALOGUE: dict[str, str] = {
    # Layout
    "title_none": "no title rows above the header",
    "title_national": "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM / Độc lập - Tự do - Hạnh phúc block",
    "title_ubnd": "'UBND HUYỆN …' line",
    "title_kem_theo": "'Kèm theo Báo cáo số …/BC-UBND ngày dd/mm/yyyy' line",
    "title_dvt": "'ĐVT: …' unit line above the header",
    "header_1row": "header of one row",
    "header_2rows": "header of two rows with merged group headers",
    "header_3rows": "header of three rows with merged group headers",
    "header_linebreak": "line breaks inside header cells",
    "numbering_parens": "numbering row (1), (2), …",
    "numbering_letters": "numbering row A, B, 1, 2, …",
    "numbering_digits": "numbering row 1, 2, 3, …",
    "columns_shuffled": "columns in a non-template order",
    "columns_missing": "optional columns missing",
    "columns_extra": "extra, non-canonical columns",
    "section_rows": "section rows 'I. Các xã khu vực III', …",
    "subtotal_rows": "subtotal rows ('Cộng') per section",
    "total_top": "total row at the top of the data",
    "total_bottom": "total row at the bottom of the data",
    "total_formula_cached": "=SUM formulas with cached values",
    "total_formula_uncached": "=SUM formulas without cached values",
    "footer_notes": "footer notes 'Ghi chú: …'",
    "footer_signature": "place/date, 'Người lập biểu', 'TM. ỦY BAN NHÂN DÂN', 'KT. CHỦ TỊCH', names",
    "footer_blank_rows": "blank rows between the data and the footer",
    "merged_commune_cells": "commune cell merged over its partner rows (01/KN)",
    "hidden_rows": "hidden rows",
    "hidden_cols": "hidden columns",
    "hidden_stale_sheet": "a hidden draft copy of a form with stale values",
    "cover_sheet": "visible cover sheet 'Thông tin chung'",
    "notes_sheet": "a notes sheet",
    "forms_split_files": "one district-year's forms split across two files",
    "corrected_resubmission": "same district-year submitted twice; the later supersedes",
    # NTM specifics
    "criteria_numbers": "criterion sub-headers 1–19",
    "criteria_names": "criterion sub-headers as names",
    "criteria_tc": "criterion sub-headers TC1…TC19",
    "marks_met_dat": "met written 'Đạt' / 'đạt'",
    "marks_met_x": "met written 'x' / 'X'",
    "marks_met_check": "met written '✓'",
    "marks_met_digit": "met written 1",
    "marks_met_co": "met written 'có'",
    "marks_not_chua_dat": "not met written 'Chưa đạt'",
    "marks_not_cd": "not met written 'CĐ'",
    "marks_not_dash": "not met written '-'",
    "marks_not_zero": "not met written 0",
    "marks_not_khong": "not met written 'không'",
    "marks_not_blank": "not met left blank",
    "ntm_not_assessed": "ward/township row marked 'không đánh giá'",
    "ntm_level_year": "NTM level given as a year of recognition",
    # Values
    "numbers_text_dot": "numbers as text '1.234'",
    "numbers_text_space": "numbers as text '1 234'",
    "numbers_text_comma": "numbers as text '1,234'",
    "numbers_text_decimal_comma": "numbers as text '1.234,5'",
    "dash_zero": "'-' for zero",
    "percent_number": "percent as 12,5 (number, header '%')",
    "percent_fraction": "percent as 0,125",
    "percent_text": "percent as text '12,5%'",
    "money_trieu": "money in triệu đồng",
    "money_nghin": "money in nghìn đồng",
    "money_dong": "money in đồng",
    "unit_in_header": "money unit stated in the header cell",
    "unit_in_dvt_line": "money unit stated in an 'ĐVT:' line",
    "date_serial": "date as an Excel serial number",
    "date_text": "date as text dd/mm/yyyy",
    "date_datetime": "date as a datetime cell",
    # Text
    "text_nfd": "decomposed Unicode (NFD)",
    "text_old_tone": "old tone placement ('Hoà', 'Thuỷ')",
    "text_nbsp": "non-breaking spaces",
    "text_zero_width": "zero-width spaces",
    "text_double_spaces": "doubled and trailing spaces",
    "text_all_caps": "ALL CAPS labels",
    "text_tcvn3": "TCVN3 (ABC) mojibake",
    "text_vni": "VNI mojibake",
    "name_unit_word": "commune with the unit word 'Xã …'",
    "name_lowercase_unit": "commune with 'xã …' in lower case",
    "name_bare": "commune name without the unit word",
    "name_abbrev_x": "commune as 'X. …'",
    "name_abbrev_tt": "township as 'TT …'",
    "name_arabic_numeral": "'Tam Xuân 1' for 'Tam Xuân I'",
    "name_minority_spelling": "minority-language names spelled another way ('Zuôih', 'La Êê', 'Ch’ơm')",
    "partner_alias": "partner written with an alias spelling",
    # Files
    "format_xlsx": ".xlsx",
    "format_xlsm": ".xlsm",
    "format_xls": "binary .xls",
    "format_ods": ".ods",
    "format_html_xls": "HTML table saved as .xls",
    "format_xls_named_xlsx": "binary .xls saved under an .xlsx name",
    "filename_diacritics": "file name with diacritics",
    "filename_ascii": "file name without diacritics",
    "filename_copy_suffix": "file name with ' (1)'",
    "filename_final": "file name with 'final'",
    "filename_v2": "file name with 'v2'",
}

BROKEN: dict[str, str] = {
    "broken_truncated": "a truncated .xlsx",
    "broken_empty": "an empty file",
    "broken_not_spreadsheet": "a text/PDF file renamed .xlsx",
    "broken_password": "a password-protected .xlsx",
    "broken_not_return": "a workbook that is not a return",
    "broken_csv_renamed": "a CSV export renamed .xls",
}


class Placements:
    """Where each variation was planted: variation → [[file, sheet, cell-or-row], …]."""

    # At most this many cells are recorded per variation, file and sheet (marks fill thousands).
    PER_SHEET = 3

    def __init__(self) -> None:
        self._by: dict[str, list[list[str]]] = defaultdict(list)
        self._count: dict[tuple[str, str, str], int] = defaultdict(int)

    def add(self, variation: str, file: str, sheet: str = "", where: str = "") -> None:
        """Record ``variation`` at ``where`` (a cell, a row, or "") of ``file`` and ``sheet``."""
        if variation not in CATALOGUE and variation not in BROKEN:
            raise KeyError(variation)
        key = (variation, file, sheet)
        if self._count[key] >= self.PER_SHEET:
            return
        entry = [file, sheet, where]
        if entry not in self._by[variation][-self.PER_SHEET :]:
            self._count[key] += 1
            self._by[variation].append(entry)

    def rename_sheets(self, file: str, rename: dict[str, str]) -> None:
        """Follow the sheets of ``file`` renamed after their variations were recorded."""
        for entries in self._by.values():
            for e in entries:
                if e[0] == file and e[1] in rename:
                    e[1] = rename[e[1]]

    def as_dict(self) -> dict[str, list[list[str]]]:
        """Variation → places, variations in name order (``truth/variations.json``)."""
        return {k: self._by[k] for k in sorted(self._by)}
