"""Reader: one file → ReturnRead. One focused test per variation of the catalogue
(../shared/spec/returns.md), on tiny workbooks built here, and the end-to-end comparison
with the sample generator's truth tables."""

from __future__ import annotations

import unicodedata
from datetime import date

import pandas as pd
import pytest
from workbooks import (
    POVERTY_HEADER,
    POVERTY_ROWS,
    TITLE_POVERTY,
    sheet,
    write_with,
)

from ketnghia_analysis.reading.forms import recognise_sheet
from ketnghia_analysis.reading.reader import read_form, read_return


def read_rows(rows, merged=None, uncached=None, hidden_rows=None, name="Sheet1"):
    """Read one in-memory sheet as a form."""
    s = sheet(rows, name=name, merged=merged, uncached=uncached, hidden_rows=hidden_rows)
    v = recognise_sheet(s)
    assert v.kind == "form", v.reason
    return read_form(v, "t.xlsx")


HN_HEAD = [
    ["STT", "Xã, thị trấn", "Tổng số hộ", "Số hộ nghèo cuối năm", "Tỷ lệ hộ nghèo cuối năm (%)"]
]
HN_HEAD_FRACTION = [["STT", "Xã, thị trấn", "Tổng số hộ", "Số hộ nghèo cuối năm", "Tỷ lệ hộ nghèo"]]


def hn(*rows, head=HN_HEAD):
    return read_rows([["Biểu 02/HN"]] + head + [list(r) for r in rows])


# ---------------------------------------------------------------------------
# Layout
# ---------------------------------------------------------------------------


def test_poverty_form_values_provenance_and_cells():
    ft = read_rows(TITLE_POVERTY + POVERTY_HEADER + POVERTY_ROWS)
    assert ft.form == "poverty" and ft.header_rows == (6, 6)
    rec = ft.records
    assert rec["commune"].tolist() == ["Xã Trà Mai", "Trà Don"]
    assert rec["households_total"].tolist() == [1200, 800]
    assert rec["poverty_new"].tolist() == [3, 0]  # "-" is zero
    assert rec["poverty_rate_end"].round(6).tolist() == [0.2958, 0.325]
    assert rec["source_row"].tolist() == [7, 8]
    assert str(rec["poor_end"].dtype) == "Int64" and rec["poverty_rate_end"].dtype == "float64"
    assert ft.cell("poor_end", 8) == "H8"
    assert ft.raw["poverty_new"].tolist() == ["3", "-"]
    assert (ft.rows_read, ft.rows_structural) == (8, 6)
    assert ft.issues == []


def test_title_none():
    ft = read_rows(POVERTY_HEADER + POVERTY_ROWS)
    assert ft.header_rows == (1, 1) and len(ft.records) == 2


@pytest.mark.parametrize(
    "numbering",
    [
        ["(1)", "(2)", "(3)", "(4)", "(5)"],  # numbering_parens
        ["A", "B", "1", "2", "3"],  # numbering_letters
        [1, 2, 3, 4, 5],  # numbering_digits
    ],
)
def test_numbering_row_is_structural(numbering):
    ft = hn(numbering, [1, "Trà Mai", 100, 10, 10])
    assert ft.row_kinds[3] == "numbering"
    assert ft.records["households_total"].tolist() == [100]


def test_columns_shuffled_missing_and_extra():
    # columns_shuffled, columns_missing, columns_extra
    head = [
        [
            "Tỷ lệ hộ nghèo cuối năm (%)",
            "Số khẩu nghèo",
            "Tên xã",
            "Số hộ nghèo cuối năm",
            "Tái nghèo",
        ]
    ]
    rows = [["10", 400, "Trà Mai", 10, 1], ["5", 200, "Trà Don", 5, 0]]
    ft = read_rows([["Biểu 02/HN"]] + head + rows)
    assert ft.columns == {"poverty_rate_end": 0, "commune": 2, "poor_end": 3, "poverty_relapses": 4}
    assert ft.records["poor_end"].tolist() == [10, 5]
    assert ft.records["households_total"].isna().all()  # missing column: NA
    assert "Số khẩu nghèo" not in str(ft.header_labels)  # extra column ignored


def test_sections_subtotals_and_totals_top_and_bottom():
    rows = [
        [None, "Tổng cộng", 300, 30, 10],
        ["I", "Các xã khu vực III"],
        [1, "Trà Mai", 100, 10, 10],
        [None, "Cộng", 100, 10, 10],
        [None, "II. Các xã còn lại"],
        [2, "Trà Don", 200, 20, 10],
        [None, "Cộng", 200, 20, 10],
    ]
    ft = hn(*rows)
    kinds = [ft.row_kinds[r] for r in range(3, 10)]
    assert kinds == ["total", "section", "data", "subtotal", "section", "data", "subtotal"]
    assert ft.totals["kind"].tolist() == ["total", "subtotal", "subtotal"]
    assert ft.totals["households_total"].tolist() == [300, 100, 200]
    assert ft.records["commune"].tolist() == ["Trà Mai", "Trà Don"]


def test_total_formula_uncached_is_recomputed():
    rows = (
        [["Biểu 02/HN"]]
        + HN_HEAD
        + [[1, "Trà Mai", 100, 10], [2, "Trà Don", 200, 20], [None, "Tổng cộng"]]
    )
    ft = read_rows(rows, uncached={(4, 2): "=SUM(C3:C4)", (4, 3): "=C4/10+D3"})
    assert ft.totals["households_total"].tolist() == [300]
    assert ft.totals["poor_end"].tolist() == [30]
    assert ft.totals["recomputed"].tolist() == [True]
    assert [i.code for i in ft.issues] == ["TOTAL_RECOMPUTED"]


def test_footer_notes_signature_and_blank_rows():
    # footer_notes, footer_signature, footer_blank_rows
    rows = [
        [1, "Trà Mai", 100, 10, 10],
        [],
        ["Ghi chú: số liệu sơ bộ"],
        [None, None, None, "Nam Trà My, ngày 15 tháng 12 năm 2023"],
        [None, "NGƯỜI LẬP BIỂU", None, "TM. ỦY BAN NHÂN DÂN"],
        [None, None, None, "KT. CHỦ TỊCH"],
        [None, "Hồ Thị Lan", None, "Bríu Quân"],
    ]
    ft = hn(*rows)
    assert len(ft.records) == 1
    assert [ft.row_kinds.get(r) for r in range(3, 10)] == [
        "data",
        None,  # blank rows are not counted
        "note",
        "footer",
        "footer",
        "footer",
        "footer",
    ]
    assert (ft.rows_read, ft.rows_structural) == (8, 7)


def test_merged_commune_cells_fill_down_in_support_form():
    rows = [
        ["Biểu 01/KN"],
        [
            "STT",
            "Xã được kết nghĩa",
            "Đơn vị kết nghĩa",
            "Loại hình đơn vị",
            "Hỗ trợ bằng tiền (triệu đồng)",
        ],
        [1, "Xã Trà Mai", "Sở Tài Chính tỉnh Quảng Nam", "Sở, ban, ngành tỉnh", 10],
        [2, None, "STC", "doanh nghiệp", "1.234,5"],  # numbers_text_decimal_comma
        [3, "Xã Trà Don", "Sở Y tế", "LLVT", "-"],
    ]
    ft = read_rows(rows, merged=[(2, 1, 3, 1)])
    assert ft.form == "support"
    assert ft.records["commune"].tolist() == ["Xã Trà Mai", "Xã Trà Mai", "Xã Trà Don"]
    # partner spelling kept as written (the build resolves aliases); type normalised
    assert ft.records["partner_name"].tolist() == ["Sở Tài Chính tỉnh Quảng Nam", "STC", "Sở Y tế"]
    assert ft.records["partner_type"].tolist() == [
        "sở, ban, ngành tỉnh",
        "doanh nghiệp",
        "lực lượng vũ trang",
    ]
    assert ft.records["cash"].tolist() == [10.0, 1234.5, 0.0]


def test_hidden_rows_and_columns():
    rows = (
        [["Biểu 02/HN"]]
        + HN_HEAD
        + [["(1)", "(2)", "(3)", "(4)", "(5)"], [1, "Trà Mai", 100, 10, 10]]
    )
    ft = read_rows(rows, hidden_rows={2, 3})
    assert ft.row_kinds[3] == "numbering"  # a hidden numbering row is still structural
    assert ft.records["households_total"].tolist() == [100]  # a hidden data row is read ...
    assert [i.code for i in ft.issues] == ["HIDDEN_ROW"]  # ... and reported


# ---------------------------------------------------------------------------
# NTM
# ---------------------------------------------------------------------------

NTM_TOP = (
    ["STT", "Xã", "Tiêu chí"]
    + [None] * 18
    + ["Tổng số tiêu chí đạt", "Mức độ đạt chuẩn", "Năm công nhận"]
)
NTM_SUB = [None, None] + list(range(1, 20)) + [None, None, None]
NTM_MERGED = [
    (1, 0, 2, 0),
    (1, 1, 2, 1),
    (1, 2, 1, 20),
    (1, 21, 2, 21),
    (1, 22, 2, 22),
    (1, 23, 2, 23),
]


def ntm(*rows, merged=()):
    return read_rows(
        [["Biểu 03/NTM"], NTM_TOP, NTM_SUB] + [list(r) for r in rows],
        list(NTM_MERGED) + list(merged),
    )


@pytest.mark.parametrize(
    "met,not_met",
    [
        ("Đạt", "Chưa đạt"),  # marks_met_dat, marks_not_chua_dat
        ("đạt", "CĐ"),  # marks_not_cd
        ("x", "-"),  # marks_met_x, marks_not_dash
        ("X", 0),  # marks_not_zero
        ("✓", "không"),  # marks_met_check, marks_not_khong
        (1, None),  # marks_met_digit, marks_not_blank
        ("có", None),  # marks_met_co
    ],
)
def test_criterion_marks(met, not_met):
    ft = ntm([1, "Trà Mai"] + [met] * 18 + [not_met] + [18, None, None])
    rec = ft.records.iloc[0]
    assert [bool(rec[f"c{n:02d}"]) for n in range(1, 20)] == [True] * 18 + [False]
    assert rec["criteria_met"] == 18
    assert ft.issues == []  # read by its words and consistent with the count: nothing to say


def test_not_assessed_row():
    # ntm_not_assessed: a ward's row says "không đánh giá" across the criteria
    label = "Không đánh giá (phường, thị trấn)"
    ft = ntm(
        [1, "Thị trấn Trà My", label] + [None] * 18 + [None, None, None],
        [2, "Trà Mai"] + ["Đạt"] * 19 + [19, "Đạt chuẩn NTM", 2020],
        merged=[(3, 2, 3, 20)],
    )
    rec = ft.records
    assert rec["not_assessed"].tolist() == [True, False]
    assert rec.loc[0, [f"c{n:02d}" for n in range(1, 20)]].isna().all()
    assert rec.loc[1, "c19"]


def test_a_row_of_dashes_without_a_count_is_not_assessed():
    # a ward written with a dash in every criterion and no total, beside a commune scored 0
    ft = ntm(
        [1, "Thị trấn Trà My"] + ["-"] * 19 + [None, None, None],
        [2, "Trà Mai"] + ["Đạt"] * 19 + [19, "Đạt chuẩn NTM", 2020],
        [3, "Trà Don"] + ["-"] * 19 + ["-", None, None],
    )
    rec = ft.records
    assert rec["not_assessed"].tolist() == [True, False, False]
    assert rec.loc[0, [f"c{n:02d}" for n in range(1, 20)]].isna().all()
    assert not rec.loc[2, [f"c{n:02d}" for n in range(1, 20)]].any()  # "-" counted 0: 0 met
    (note,) = ft.issues
    assert (note.severity, note.code, note.cell) == ("info", "MARK_MEANING", "C4")
    assert "dòng 4: mọi tiêu chí ghi dấu gạch ngang" in note.message


def test_ntm_level_and_year_forms():
    ft = ntm(
        [1, "A"] + ["Đạt"] * 19 + [19, "Đạt chuẩn NTM", 2020],
        [2, "B"] + ["Đạt"] * 19 + [19, "NTM nâng cao", "2023"],
        [3, "C"] + ["Đạt"] * 19 + [19, "NTM kiểu mẫu", None],
        [4, "D"] + ["Chưa đạt"] * 19 + [0, "Chưa đạt chuẩn", None],
    )
    assert ft.records["ntm_level"].tolist()[:3] == ["dat_chuan", "nang_cao", "kieu_mau"]
    assert pd.isna(ft.records["ntm_level"].iloc[3])
    assert ft.records["recognized_year"].tolist()[:2] == [2020, 2023]


def test_ntm_level_year_only_and_combined():
    top = ["STT", "Xã"] + [f"TC{n}" for n in range(1, 20)] + ["Số TC đạt", "Năm đạt chuẩn NTM"]
    ft = read_rows(
        [
            top,
            [1, "A"] + ["x"] * 19 + [19, 2020],
            [2, "B"] + ["x"] * 19 + [19, "NTM nâng cao (2022)"],
        ]
    )
    assert ft.records["ntm_level"].tolist() == ["dat_chuan", "nang_cao"]
    assert ft.records["recognized_year"].tolist() == [2020, 2022]
    top[-1] = "Đạt chuẩn NTM (năm công nhận)"
    ft = read_rows([top, [1, "A"] + ["x"] * 19 + [19, "Đạt chuẩn NTM năm 2019"]])
    assert (ft.records["ntm_level"].iloc[0], ft.records["recognized_year"].iloc[0]) == (
        "dat_chuan",
        2019,
    )


# ---------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("1.234", 1234),  # numbers_text_dot
        ("1 234", 1234),  # numbers_text_space
        ("1,234", 1234),  # numbers_text_comma
        (1234.0, 1234),
        ("-", 0),  # dash_zero
    ],
)
def test_number_texts(raw, expected):
    ft = hn([1, "Trà Mai", raw, 10, 1])
    assert ft.records["households_total"].tolist() == [expected]


@pytest.mark.parametrize(
    "cells,head,expected",
    [
        ([12.5, 30.0], HN_HEAD, [0.125, 0.3]),  # percent_number (header says %)
        ([0.125, 0.3], HN_HEAD_FRACTION, [0.125, 0.3]),  # percent_fraction
        (["12,5%", "30%"], HN_HEAD_FRACTION, [0.125, 0.3]),  # percent_text
        (["12,5", "30"], HN_HEAD, [0.125, 0.3]),
        ([0.5, 30.0], HN_HEAD, [0.005, 0.3]),  # one rule per column, not cell by cell
    ],
)
def test_percent_forms(cells, head, expected):
    ft = hn([1, "Trà Mai", 1000, 125, cells[0]], [2, "Trà Don", 1000, 300, cells[1]], head=head)
    assert ft.records["poverty_rate_end"].round(6).tolist() == expected


SUPPORT_HEAD = [
    "STT",
    "Đơn vị kết nghĩa",
    "Xã được kết nghĩa",
    "Hỗ trợ bằng tiền",
    "Hiện vật quy đổi",
]


@pytest.mark.parametrize(
    "unit_header,dvt,values,expected",
    [
        (" (triệu đồng)", None, [12.5, 3], [12.5, 3.0]),  # money_trieu, unit_in_header
        (" (1.000đ)", None, [12500, 3000], [12.5, 3.0]),  # money_nghin
        (" (đồng)", None, ["12.500.000", 3000000], [12.5, 3.0]),  # money_dong
        ("", "ĐVT: nghìn đồng", [12500, "3.000"], [12.5, 3.0]),  # unit_in_dvt_line, title_dvt
        ("", None, [12.5, 3], [12.5, 3.0]),  # no unit stated: triệu đồng
    ],
)
def test_money_units(unit_header, dvt, values, expected):
    head = [
        h + unit_header if h in ("Hỗ trợ bằng tiền", "Hiện vật quy đổi") else h
        for h in SUPPORT_HEAD
    ]
    rows = [
        ["Biểu 01/KN"],
        [None, None, None, dvt],
        head,
        [1, "Sở Y tế", "Trà Mai", values[0], values[1]],
    ]
    ft = read_rows(rows)
    assert [ft.records["cash"].iloc[0], ft.records["in_kind"].iloc[0]] == pytest.approx(expected)


def test_value_errors_carry_cell_raw_value_and_vietnamese_message():
    ft = hn([1, "Trà Mai", "1.2O4", 10, 1], [2, "Trà Don", 100, 2.5, 1])
    by = {i.code: i for i in ft.issues if i.severity != "info"}  # notes: RATE_SCALE_DECIDED
    assert set(by) == {"VALUE_NOT_NUMERIC", "VALUE_NOT_INTEGER"}
    i = by["VALUE_NOT_NUMERIC"]
    assert (i.source_sheet, i.cell, i.value, i.row, i.severity) == (
        "Sheet1",
        "C3",
        "1.2O4",
        3,
        "error",
    )
    assert "không phải là số" in i.message
    assert ft.records["households_total"].isna().tolist() == [True, False]
    assert by["VALUE_NOT_INTEGER"].cell == "D4"


def test_models_status_and_bad_status():
    rows = [
        ["Biểu 04/MH"],
        [
            "STT",
            "Tên mô hình",
            "Xã",
            "Đơn vị hỗ trợ",
            "Loại mô hình",
            "Năm triển khai",
            "Số hộ tham gia",
            "Tình trạng",
        ],
        [1, "Nuôi bò", "Trà Mai", "Sở Y tế", "chăn nuôi", 2021, 10, "đang duy trì"],
        [2, "Trồng quế", "Trà Mai", "STC", "lâm nghiệp", "2019", 5, "Đã nhân rộng"],
        [3, "Dệt thổ cẩm", "Trà Don", "STC", "ngành nghề", 2020, 4, "dừng"],
        [4, "Du lịch", "Trà Don", "STC", "du lịch cộng đồng", 2024, 8, "mới triển khai"],
        [5, "Cá", "Trà Don", "STC", "chăn nuôi", 2024, 8, "tốt"],
    ]
    ft = read_rows(rows)
    assert ft.records["status"].tolist()[:4] == ["maintained", "replicated", "stopped", "new"]
    assert ft.records["start_year"].tolist()[:2] == [2021, 2019]
    assert [(i.code, i.cell) for i in ft.issues] == [("VALUE_BAD_STATUS", "H7")]


# ---------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "label",
    [
        unicodedata.normalize("NFD", "Xã Trà Mai"),  # text_nfd
        "Xã\u00a0Trà Mai",  # text_nbsp
        "X\u200bã Trà Mai",  # text_zero_width
        "Xã  Trà Mai ",  # text_double_spaces
        "Xã Trà Mai",  # name_unit_word
    ],
)
def test_text_cleaning_of_labels(label):
    ft = hn([1, label, 100, 10, 10])
    assert ft.records["commune"].tolist() == ["Xã Trà Mai"]


def test_old_tone_caps_and_legacy_encodings():
    ft = hn(
        [1, "Xã Hoà Bình", 1, 1, 1],  # text_old_tone
        [2, "TRÀ MAI", 1, 1, 1],  # text_all_caps (kept; the matcher folds case)
        [3, "Trµ Mai", 1, 1, 1],  # text_tcvn3
        [4, "X. Traø Don", 1, 1, 1],  # text_vni, name_abbrev_x
    )
    assert ft.records["commune"].tolist() == ["Xã Hòa Bình", "TRÀ MAI", "Trà Mai", "X. Trà Don"]


def test_tcvn3_sheet_decoded_as_a_whole():
    # "cã" alone is no evidence; the sheet's other cells say TCVN3, so it is "có" (met)
    top = ["STT", "Tªn x·"] + [f"TC{n}" for n in range(1, 20)] + ["Tæng sè tiªu chÝ ®¹t"]
    ft = read_rows([top, [1, "Trµ Mai"] + ["cã"] * 19 + [19]])
    assert ft.records["commune"].tolist() == ["Trà Mai"]
    assert ft.records["c01"].tolist() == [True]


# ---------------------------------------------------------------------------
# Files: formats, identity, duplicates, broken files
# ---------------------------------------------------------------------------

FILE_ROWS = (
    TITLE_POVERTY
    + POVERTY_HEADER
    + [
        [1, "Xã Trà Mai", 1200, 400, 50, 2, 3, 355, 29.58, 120, 350],
        [2, "Trà Don", 800, 300, 40, 0, 0, 260, 32.5, 90, 255],
        [None, "Tổng cộng", ("=SUM(C7:C8)", 2000), ("=SUM(D7:D8)", 700)],
    ]
)


@pytest.mark.parametrize(
    "writer,suffix",
    [
        ("xlsxwriter", ".xlsx"),  # format_xlsx, total_formula_cached
        ("xlsm", ".xlsm"),  # format_xlsm
        ("openpyxl", ".xlsx"),  # total_formula_uncached
        ("xlwt", ".xls"),  # format_xls
        ("xls_as_xlsx", ".xlsx"),  # format_xls_named_xlsx
        ("ods", ".ods"),  # format_ods
        ("html", ".xls"),  # format_html_xls
    ],
)
def test_formats(tmp_path, writer, suffix):
    path = write_with(
        tmp_path,
        f"BC ket nghia 2023 - Nam Tra My{suffix}",
        writer,
        [{"name": "Biểu 02", "rows": FILE_ROWS, "merged": [(3, 0, 3, 10)]}],
    )
    r = read_return(path, tmp_path)
    assert (r.status, r.district_code, r.year) == ("read", "516", 2023), r.reason
    assert r.report_date == date(2023, 12, 15)
    (ft,) = r.forms
    assert ft.records["poor_end"].tolist() == [355, 260]
    assert ft.records["poverty_rate_end"].round(4).tolist() == [0.2958, 0.325]
    assert ft.totals["households_total"].tolist() == [2000]
    assert ft.totals["recomputed"].tolist() == [writer == "openpyxl"]


def test_cover_notes_and_hidden_stale_sheets(tmp_path):
    cover = [
        ["THÔNG TIN CHUNG"],
        ["Đơn vị báo cáo:", "UBND huyện Nam Trà My"],
        ["Năm báo cáo:", 2023],
    ]
    stale = [[c if c != 355 else 999 for c in row] for row in FILE_ROWS]
    path = write_with(
        tmp_path,
        "bao cao.xlsx",
        "xlsxwriter",
        [
            {"name": "Thông tin chung", "rows": cover},
            {"name": "Biểu 02", "rows": FILE_ROWS},
            {"name": "Biểu 02 (nháp)", "rows": stale, "hidden": True},
            {"name": "Ghi chú", "rows": [["HƯỚNG DẪN GHI BIỂU"], ["1. ..."]]},
        ],
    )
    r = read_return(path, tmp_path)
    assert (r.district_code, r.year) == ("516", 2023)
    assert [f.sheet for f in r.forms] == ["Biểu 02"]
    assert dict(r.skipped_sheets) == {
        "Thông tin chung": "trang bìa / thông tin chung",
        "Biểu 02 (nháp)": "trang tính ẩn: bản nháp hoặc bản cũ của biểu 02/HN, không đọc",
        "Ghi chú": "trang ghi chú, hướng dẫn",
    }
    assert 999 not in r.forms[0].records["poor_end"].tolist()


def test_duplicate_visible_form(tmp_path):
    path = write_with(
        tmp_path,
        "BC 2023 Nam Tra My.xlsx",
        "xlsxwriter",
        [{"name": "HN cu", "rows": FILE_ROWS}, {"name": "HN", "rows": FILE_ROWS}],
    )
    r = read_return(path, tmp_path)
    assert [f.sheet for f in r.forms] == ["HN"]
    assert [i.code for i in r.issues] == ["DUPLICATE_FORM"]


def test_identity_conflict_between_title_and_file_name(tmp_path):
    path = write_with(
        tmp_path,
        "BC ket nghia 2023 - Bac Tra My.xlsx",
        "xlsxwriter",
        [{"name": "HN", "rows": FILE_ROWS}],
    )
    r = read_return(path, tmp_path)
    assert r.status == "read" and r.district_code is None and r.year == 2023
    (iss,) = [i for i in r.issues if i.code == "IDENTITY_CONFLICT"]
    assert iss.severity == "error" and "tên tệp" in iss.message and "tiêu đề biểu" in iss.message


@pytest.mark.parametrize(
    "name,content,code",
    [
        ("empty.xlsx", b"", "FILE_EMPTY"),  # broken_empty
        ("cv.xlsx", b"%PDF-1.4 hello", "FILE_NOT_SPREADSHEET"),  # broken_not_spreadsheet
        ("cut.xlsx", b"PK\x03\x04" + b"\x00" * 40, "FILE_TRUNCATED"),  # broken_truncated
    ],
)
def test_broken_files_are_rejected_with_one_line(tmp_path, name, content, code):
    p = tmp_path / name
    p.write_bytes(content)
    r = read_return(p, tmp_path)
    assert r.status == "rejected" and r.forms == []
    assert r.reason and "\n" not in r.reason
    assert [i.code for i in r.issues] == [code]


def test_workbook_without_forms_is_rejected(tmp_path):
    path = write_with(
        tmp_path,
        "ds.xlsx",
        "xlsxwriter",
        [{"name": "DS", "rows": [["Họ tên", "Chức vụ"], ["A", "B"]]}],
    )
    r = read_return(path, tmp_path)
    assert (r.status, r.issues[0].code) == ("rejected", "NO_FORMS")
    assert "không nhận ra biểu mẫu" in r.reason


def test_panics_do_not_escape(tmp_path, monkeypatch):
    class PanicException(BaseException):  # what pyo3 raises for a Rust panic
        pass

    def boom(path, *a, **k):
        raise PanicException("index out of bounds")

    monkeypatch.setattr("ketnghia_analysis.reading.cells.read_workbook", boom)
    p = tmp_path / "x.xlsx"
    p.write_bytes(b"PK")
    r = read_return(p, tmp_path)
    assert r.status == "rejected" and r.issues[0].code == "FILE_CRASHED"
    assert "PanicException" in r.reason


# ---------------------------------------------------------------------------
# End to end: every truth value recovered by reading alone
# ---------------------------------------------------------------------------


def compare_with_truth(root) -> dict[str, list]:
    """Read every file of a sample and compare every truth value; return the mismatches."""
    from ketnghia_analysis.reading.grid import clean_text, fold_text
    from ketnghia_analysis.reference.matching import CommuneMatcher

    files = sorted(
        p for p in root.rglob("*") if p.is_file() and "truth" not in p.relative_to(root).parts
    )
    files = [p for p in files if p.name != "README.md"]
    reads = {r.source_file: r for r in (read_return(p, root) for p in files)}
    truth = {
        t: pd.read_parquet(root / "truth" / f"{t}.parquet")
        for t in ("poverty", "ntm_status", "ntm_criteria", "support", "models", "partners")
    }
    planted = pd.read_csv(root / "truth" / "planted_issues.csv")
    planted_cells = {
        (a, b, c)
        for a, b, c in planted[["source_file", "source_sheet", "cell"]].itertuples(index=False)
    }
    index = {}
    for r in reads.values():
        for f in r.forms:
            for rec in f.records.to_dict("records"):
                index[(r.source_file, f.sheet, int(rec["source_row"]))] = (r, f, rec)
                # HTML tables have no sheet names: the reader calls them "Bảng 1"; the
                # generator keeps its intended name. Index such files by form as well.
                if r.format == "html":
                    index[(r.source_file, f.form, int(rec["source_row"]))] = (r, f, rec)
    aliases = {
        p.partner_id: {fold_text(clean_text(x)) for x in [*p.aliases, p.partner_name]}
        for p in truth["partners"].itertuples()
    }
    matcher = CommuneMatcher()
    bad: dict[str, list] = {}

    def check(what, ok, info):
        if not ok:
            bad.setdefault(what, []).append(info)

    def same(a, b):
        if pd.isna(a) and pd.isna(b):
            return True
        if pd.isna(a) or pd.isna(b):
            return False
        if isinstance(a, float) or isinstance(b, float):
            return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(b)))
        return a == b

    specs = {
        "poverty": ("poverty", ["households_total", "poor_start", "poverty_exits", "poverty_relapses", "poverty_new", "poor_end", "near_poor_end", "poor_ethnic_minority_end"]),
        "ntm_status": ("ntm", ["criteria_met", "ntm_level", "recognized_year"]),
        "support": ("support", ["partner_type", "pair_start_year", "cash_mvnd", "in_kind_mvnd", "models_supported", "beneficiary_households", "officials_trained", "workers_trained", "houses_supported", "note"]),
        "models": ("models", ["model_name", "model_type", "start_year", "households", "status"]),
    }  # fmt: skip
    n_values = 0
    for table, (form, cols) in specs.items():
        for row in truth[table].to_dict("records"):
            key = (row["source_file"], row["source_sheet"], int(row["source_row"]))
            hit = index.get(key) or index.get((key[0], form, key[2]))
            check(f"{table}: row not read", hit is not None, key)
            if hit is None:
                continue
            r, f, rec = hit
            check(
                f"{table}: identity",
                (r.district_code, r.year) == (row["district_code"], row["year"]),
                key,
            )
            for col in cols:
                got = rec.get({"cash_mvnd": "cash", "in_kind_mvnd": "in_kind"}.get(col, col))
                cell = f.cell(
                    {"cash_mvnd": "cash", "in_kind_mvnd": "in_kind"}.get(col, col), key[2]
                )
                if (key[0], key[1], cell) in planted_cells:
                    continue  # a planted error: the reader reports what the cell says
                n_values += 1
                check(f"{table}.{col}", same(got, row[col]), (key, got, row[col]))
            m = matcher.match(rec.get("commune"), row["district_code"], row["year"])
            check(f"{table}.commune", m.code == row["commune_code"], (key, rec.get("commune")))
            # The table's rate is computed from the counts: where a planted bad count left
            # it unknown, the reader's reported rate has nothing to be compared with.
            if (
                table == "poverty"
                and "poverty_rate_end" in f.columns
                and pd.notna(row["poverty_rate_end"])
            ):
                if (key[0], key[1], f.cell("poverty_rate_end", key[2])) not in planted_cells:
                    n_values += 1
                    check(
                        "poverty.rate",
                        abs(rec["poverty_rate_end"] - row["poverty_rate_end"]) < 6e-5,
                        key,
                    )
            if table in ("support", "models"):
                spelled = fold_text(clean_text(str(rec.get("partner_name"))))
                check(
                    f"{table}.partner",
                    spelled in aliases[row["partner_id"]],
                    (key, rec.get("partner_name")),
                )
    for row in truth["ntm_criteria"].itertuples():
        key = (row.source_file, row.source_sheet, int(row.source_row))
        hit = index.get(key) or index.get((key[0], "ntm", key[2]))
        n_values += 1
        check(
            "ntm_criteria.met", hit is not None and hit[2][f"c{row.criterion:02d}"] == row.met, key
        )
    bad["_n_values"] = [n_values]
    bad["_reads"] = [reads]
    return bad


def check_structural(root, reads) -> list:
    """Every planted structural row is classified as such."""
    import json
    import re

    variations = json.loads((root / "truth" / "variations.json").read_text(encoding="utf-8"))
    want = {
        "section_rows": {"section", "subtotal"},
        "subtotal_rows": {"subtotal"},
        "total_top": {"total"},
        "total_bottom": {"total"},
        "numbering_parens": {"numbering"},
        "numbering_letters": {"numbering"},
        "numbering_digits": {"numbering"},
        "footer_notes": {"note"},
        "footer_signature": {"footer"},
    }
    forms = {}
    for r in reads.values():
        for f in r.forms:
            forms[(r.source_file, f.sheet)] = f
            if r.format == "html":
                forms[(r.source_file, "*")] = f
    wrong = []
    for var, kinds in want.items():
        for file, sheet_name, where in variations.get(var, []):
            f = forms.get((file, sheet_name)) or forms.get((file, "*"))
            row = int(re.sub(r"^[A-Z]+", "", where))
            if f is None or f.row_kinds.get(row) not in kinds:
                wrong.append(
                    (var, file, sheet_name, row, None if f is None else f.row_kinds.get(row))
                )
    return wrong


def test_default_sample_values_recovered(sample_raw):
    """The acceptance test: the generator's default run, every truth value, by reading alone."""
    out = sample_raw
    bad = compare_with_truth(out)
    n = bad.pop("_n_values")[0]
    reads = bad.pop("_reads")[0]
    assert n > 30000
    assert bad == {}
    assert check_structural(out, reads) == []


def test_hidden_columns(tmp_path):
    # hidden_cols: a hidden extra column is neither mapped nor harmful
    rows = [r + [None] for r in FILE_ROWS[:5]] + [POVERTY_HEADER[0] + ["Số khẩu nghèo"]]
    rows += [r + [1234] for r in FILE_ROWS[6:8]]
    path = write_with(
        tmp_path,
        "BC 2023 Nam Tra My.xlsx",
        "xlsxwriter",
        [{"name": "HN", "rows": rows, "hidden_cols": [11]}],
    )
    r = read_return(path, tmp_path)
    (ft,) = r.forms
    assert 11 not in ft.columns.values()
    assert ft.records["poor_end"].tolist() == [355, 260]


def test_password_protected_file_is_rejected(tmp_path):
    # broken_password
    import io

    from msoffcrypto.format.ooxml import OOXMLFile

    plain = write_with(tmp_path, "plain.xlsx", "xlsxwriter", [{"name": "HN", "rows": FILE_ROWS}])
    out = io.BytesIO()
    with open(plain, "rb") as fh:
        OOXMLFile(fh).encrypt("matkhau", out)
    p = tmp_path / "BC Phu Ninh 2024 (mat khau).xlsx"
    p.write_bytes(out.getvalue())
    r = read_return(p, tmp_path)
    assert (r.status, [i.code for i in r.issues]) == ("rejected", ["FILE_ENCRYPTED"])
    assert "mật khẩu" in r.reason


def test_csv_export_renamed_xls_is_not_a_return(tmp_path):
    # broken_csv_renamed: a web system's CSV export saved as .xls
    p = tmp_path / "export_ho_ngheo.xls"
    p.write_text("ma_xa,so_ho\n20944,1200\n", encoding="utf-8")
    r = read_return(p, tmp_path)
    assert r.status == "rejected" and r.forms == []
    assert r.reason and "\n" not in r.reason


def test_communes_of_another_district_are_a_conflict(tmp_path):
    rows = TITLE_POVERTY + POVERTY_HEADER
    for i, name in enumerate(["Xã Trà Sơn", "Xã Trà Kót", "Xã Trà Nú", "Xã Trà Đông"], start=1):
        rows = rows + [[i, name, 100, 10, 1, 0, 0, 9, 9, 1, 1]]
    path = write_with(tmp_path, "bao cao.xlsx", "xlsxwriter", [{"name": "HN", "rows": rows}])
    r = read_return(path, tmp_path)
    assert r.district_code is None
    (iss,) = [i for i in r.issues if i.code == "IDENTITY_CONFLICT"]
    assert "Huyện Bắc Trà My (515)" in iss.message and "danh sách xã" in iss.message


def test_communes_listed_give_the_district_when_nothing_else_does(tmp_path):
    rows = POVERTY_HEADER + [
        [i, name, 100, 10, 1, 0, 0, 9, 9, 1, 1]
        for i, name in enumerate(["Trà Sơn", "Trà Kót", "Trà Nú"], start=1)
    ]
    path = write_with(tmp_path, "bao cao 2023.xlsx", "xlsxwriter", [{"name": "HN", "rows": rows}])
    r = read_return(path, tmp_path)
    assert (r.district_code, r.year) == ("515", 2023)
    assert r.report_date is None


@pytest.mark.parametrize(
    "label",
    [
        "xã Trà Mai",  # name_lowercase_unit
        "Trà Mai",  # name_bare
        "TT Khâm Đức",  # name_abbrev_tt
        "Tam Xuân 1",  # name_arabic_numeral
        "Ch'ơm",  # name_minority_spelling (also "Zuôih", "La Êê")
        "Zuôih",
    ],
)
def test_commune_labels_are_kept_as_written(label):
    # the build matches labels with the gazetteer; the reader keeps the (cleaned) text
    ft = hn([1, label, 100, 10, 10])
    assert ft.records["commune"].tolist() == [label]


@pytest.mark.parametrize(
    "value",
    [
        45275,  # date_serial
        "15/12/2023",  # date_text
        __import__("datetime").datetime(2023, 12, 15),  # date_datetime
    ],
)
def test_cover_report_date_forms(tmp_path, value):
    cover = [
        ["THÔNG TIN CHUNG"],
        ["Đơn vị báo cáo:", "UBND huyện Nam Trà My"],
        ["Ngày báo cáo:", value],
    ]
    rows = [
        r
        for r in FILE_ROWS
        if r
        and r[0] != "(Kèm theo Báo cáo số 123/BC-UBND ngày 15/12/2023 của UBND huyện Nam Trà My)"
    ]
    path = write_with(
        tmp_path,
        "x.xlsx",
        "xlsxwriter",
        [{"name": "Thông tin chung", "rows": cover}, {"name": "HN", "rows": rows}],
    )
    r = read_return(path, tmp_path)
    assert r.report_date == date(2023, 12, 15)


def test_forms_split_files_and_resubmissions_are_read_file_by_file(tmp_path):
    # forms_split_files, corrected_resubmission: each file is read on its own with its
    # identity; combining and superseding is the build's job (submissions log)
    support = [
        ["UBND HUYỆN NAM TRÀ MY"],
        ["Biểu 01/KN - năm 2023"],
        ["STT", "Đơn vị kết nghĩa", "Xã được kết nghĩa", "Hỗ trợ bằng tiền", "Hiện vật quy đổi"],
        [1, "Sở Y tế", "Trà Mai", 10, 2],
    ]
    a = write_with(
        tmp_path,
        "2023/BC 2023 Nam Tra My - HN.xlsx",
        "xlsxwriter",
        [{"name": "HN", "rows": FILE_ROWS}],
    )
    b = write_with(
        tmp_path,
        "2023/BC 2023 Nam Tra My - KN.xlsx",
        "xlsxwriter",
        [{"name": "KN", "rows": support}],
    )
    c = write_with(
        tmp_path,
        "2023/BC 2023 Nam Tra My - HN (bổ sung).xlsx",
        "xlsxwriter",
        [{"name": "HN", "rows": FILE_ROWS}],
    )
    reads = [read_return(p, tmp_path) for p in (a, b, c)]
    assert [(r.district_code, r.year) for r in reads] == [("516", 2023)] * 3
    assert [[f.form for f in r.forms] for r in reads] == [["poverty"], ["support"], ["poverty"]]
    assert reads[0].source_file == "2023/BC 2023 Nam Tra My - HN.xlsx"
    # the fingerprint is of the bytes: the resubmission (same bytes) shares it, another doesn't
    assert all(len(r.sha256) == 64 for r in reads)
    assert reads[0].sha256 == reads[2].sha256 != reads[1].sha256


def test_every_catalogue_variation_has_a_focused_test():
    from pathlib import Path

    from ketnghia_analysis.sample.variations import BROKEN, CATALOGUE

    here = Path(__file__).parent
    # this file up to this test (whose own text must not count), and the other test files
    own = (here / "test_reader.py").read_text(encoding="utf-8")
    own = own.split("def test_every_catalogue_variation_has_a_focused_test")[0]
    others = ("test_headers.py", "test_rows.py", "test_forms.py", "test_identity.py")
    text = own + "".join((here / f).read_text(encoding="utf-8") for f in others)
    # variations tested under another name in the tests above
    aliases = {
        "title_national": "CỘNG HÒA XÃ HỘI CHỦ NGHĨA",
        "title_ubnd": "UBND HUYỆN",
        "title_kem_theo": "Kèm theo Báo cáo",
        "header_1row": "test_header_under_title_rows",
        "header_2rows": "test_two_row_header_with_merged_group",
        "header_3rows": "test_three_row_header",
        "header_linebreak": "test_line_breaks_and_caps_in_headers",
        "criteria_numbers": "list(range(1, 20))",
        "criteria_names": '"Quy hoạch"',
        "criteria_tc": 'f"TC{n}"',
        "hidden_stale_sheet": "test_hidden_form_is_never_read",
        "cover_sheet": "test_cover_sheet",
        "notes_sheet": "Hướng dẫn ghi biểu",
        "partner_alias": '"STC"',
        "filename_diacritics": "Báo cáo kết nghĩa Tây Giang",
        "filename_ascii": "BC ket nghia 2023 - Nam Tra My",
        "filename_copy_suffix": "(1)",
        "filename_final": "_final",
        "filename_v2": "Nam Tra My v2",
        "broken_password": "FILE_ENCRYPTED",
        "broken_not_return": "test_workbook_without_forms_is_rejected",
        "broken_csv_renamed": "FILE_NOT_SPREADSHEET",
    }
    missing = [
        v for v in [*CATALOGUE, *BROKEN] if v not in text and aliases.get(v, "\0") not in text
    ]
    assert missing == []


def test_total_formula_that_cannot_be_evaluated_is_summed_from_rows():
    rows = [["Biểu 02/HN"]] + HN_HEAD
    rows += [["I", "Các xã khu vực III"], [1, "Trà Mai", 100, 10], [2, "Trà Don", 200, 20]]
    rows += [[None, "Cộng"], ["II", "Các xã còn lại"], [3, "Trà Leng", 50, 5], [None, "Cộng"]]
    rows += [[None, "Tổng cộng"]]
    uncached = {(5, 2): "=Sheet2!C9", (8, 2): '=INDIRECT("C8")', (9, 2): "=Sheet2!C1"}
    ft = read_rows(rows, uncached=uncached)
    assert ft.totals["kind"].tolist() == ["subtotal", "subtotal", "total"]
    assert ft.totals["households_total"].tolist() == [300, 50, 350]
    assert ft.totals["recomputed"].tolist() == [True, True, True]
    assert all("cộng lại các dòng số liệu" in i.message for i in ft.issues)


def test_one_unreadable_sheet_does_not_lose_the_others(tmp_path, monkeypatch):
    import ketnghia_analysis.reading.reader as reader

    real = reader.read_form

    def flaky(v, *a, **k):
        if v.form == "support":
            raise ValueError("boom")
        return real(v, *a, **k)

    monkeypatch.setattr(reader, "read_form", flaky)
    support = [
        ["Biểu 01/KN"],
        ["STT", "Đơn vị kết nghĩa", "Xã được kết nghĩa", "Hỗ trợ bằng tiền", "Hiện vật quy đổi"],
        [1, "Sở Y tế", "Trà Mai", 10, 2],
    ]
    path = write_with(
        tmp_path,
        "BC ket nghia 2023 - Nam Tra My.xlsx",
        "xlsxwriter",
        [{"name": "KN", "rows": support}, {"name": "HN", "rows": FILE_ROWS}],
    )
    r = read_return(path, tmp_path)
    assert r.status == "read" and [f.form for f in r.forms] == ["poverty"]
    assert [i.code for i in r.issues] == ["FORM_UNREADABLE"]
    assert dict(r.skipped_sheets)["KN"].startswith("lỗi khi đọc biểu 01/KN")
