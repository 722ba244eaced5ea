"""Columns named by what they hold when their header says nothing known (issue #20).

Real workbooks written with openpyxl, read with `read_return`; each sheet is one the reader
used to reject (SHEET_UNRECOGNISED) or to read with columns missing. Content completes a
form its header and title already bring close; it never makes one out of nothing.
"""

from __future__ import annotations

import pandas as pd
import pytest
from workbooks import TITLE_POVERTY, sheet, write_xlsx

from ketnghia_analysis.reading.forms import recognise_forms, recognise_sheet
from ketnghia_analysis.reading.reader import read_return

KN_TITLE = [["UBND HUYỆN NAM TRÀ MY"], ["Biểu 01/KN"], ["KẾT QUẢ HỖ TRỢ KẾT NGHĨA NĂM 2023"]]
# "Bên hỗ trợ" and "Thời điểm" are no header of 01/KN: the unit names and the years say what
# the columns are.
KN_ODD_HEADERS = KN_TITLE + [
    ["STT", "Bên hỗ trợ", "Xã được kết nghĩa", "Thời điểm", "Kinh phí hỗ trợ (tr.đ)"],
    [1, "Sở Tài chính", "Trà Mai", 2021, 100],
    [2, "Công ty Điện lực Quảng Nam", "Trà Dơn", "2019 - nay", 50],
    [3, "Đồn Biên phòng Tà Vi", "Xã Trà Cang (*)", "Năm 2020", 20],
    [4, "Ban Dân tộc tỉnh", "Trà Mai", 2022, 10],
]


def _only(issues, code):
    found = [i for i in issues if i.code == code]
    assert len(found) == 1, [i.message for i in issues]
    return found[0]


def test_partner_and_year_read_by_content_with_one_info_finding(tmp_path):
    path = write_xlsx(
        tmp_path / "BC ket nghia 2023 - Nam Tra My.xlsx", [{"name": "KN", "rows": KN_ODD_HEADERS}]
    )
    ret = read_return(path, tmp_path)
    assert ret.status == "read" and [f.form for f in ret.forms] == ["support"]
    assert not [i for i in ret.issues if i.code == "SHEET_UNRECOGNISED"]
    records = ret.forms[0].records
    assert list(records["partner_name"])[:2] == ["Sở Tài chính", "Công ty Điện lực Quảng Nam"]
    assert list(records["pair_start_year"]) == [2021, 2019, 2020, 2022]
    note = _only(ret.issues, "HEADER_BY_CONTENT")
    assert note.severity == "info"
    assert (note.source_file, note.source_sheet, note.cell) == (path.name, "KN", "B4")
    assert "cột B ('Bên hỗ trợ') là 'Đơn vị kết nghĩa'" in note.message
    assert "cột D ('Thời điểm') là 'Năm bắt đầu kết nghĩa'" in note.message


def test_poverty_households_and_rate_found_by_the_rate_identity():
    header = [
        ["STT", "Xã, thị trấn", "Cột 3", "Số hộ nghèo đầu năm", "Số hộ nghèo cuối năm", "Cột 9"]
    ]
    rows = [
        [1, "Xã Trà Mai", 1200, 400, 355, 29.58],
        [2, "Trà Dơn", 800, 300, 260, "32,5"],
        [3, "Trà Cang", 1000, 100, 100, 10],
    ]
    v = recognise_sheet(sheet(TITLE_POVERTY + header + rows, "HN"))
    assert (v.kind, v.form) == ("form", "poverty")
    assert v.colmap.columns["households_total"] == 2
    assert v.colmap.columns["poverty_rate_end"] == 5
    assert v.colmap.method["households_total"] == "content"
    assert v.finding.code == "HEADER_BY_CONTENT" and v.finding.cell == "C6"
    assert "tỷ lệ = hộ nghèo / tổng số hộ" in v.finding.message


def test_ntm_criteria_grid_and_count_found_by_the_marks():
    header = ["STT", "Xã"] + [f"Chỉ tiêu {n}" for n in range(1, 20)] + ["Cộng", "Đạt chuẩn NTM"]
    rows = [
        [1, "Trà Mai"] + ["Đ"] * 19 + [19, 2020],
        [2, "Trà Dơn"] + ["Đ"] * 10 + ["CĐ"] * 9 + [10, None],
        [3, "Trà Cang"] + ["CĐ", "Đ"] * 6 + ["CĐ"] * 7 + [6, None],
    ]
    title = [["Biểu 03/NTM"], ["KẾT QUẢ THỰC HIỆN BỘ TIÊU CHÍ NÔNG THÔN MỚI NĂM 2023"]]
    v = recognise_sheet(sheet(title + [header] + rows, "NTM"))
    assert (v.kind, v.form) == ("form", "ntm")
    assert [v.colmap.columns[f"c{n:02d}"] for n in range(1, 20)] == list(range(2, 21))
    assert v.colmap.columns["criteria_met"] == 21
    assert "các cột C–U là 'Tiêu chí 1'–'Tiêu chí 19'" in v.finding.message
    assert "cột V ('Cộng') là 'Tổng số tiêu chí đạt'" in v.finding.message


def test_commune_and_code_found_in_the_gazetteer():
    # the commune column headed "Danh mục", the code column "Số hiệu": neither is
    # a header of 02/HN, but the names and codes are the gazetteer's
    header = [["STT", "Số hiệu", "Danh mục", "Tổng số hộ", "Số hộ nghèo đầu năm"]]
    header[0] += ["Số hộ nghèo cuối năm", "Tỷ lệ hộ nghèo cuối năm (%)"]
    rows = [
        [1, "20944", "Xã Trà Mai", 1200, 400, 355, 29.58],
        [2, 20947, "Trà Dơn", 800, 300, 260, 32.5],
    ]
    v = recognise_sheet(sheet(TITLE_POVERTY + header + rows, "HN"))
    assert (v.kind, v.form) == ("form", "poverty")
    assert (v.colmap.columns["commune"], v.colmap.columns["commune_code_reported"]) == (2, 1)
    assert "là 'Xã, thị trấn' (tên xã có trong danh mục)" in v.finding.message


def test_two_columns_that_both_fit_are_not_guessed():
    # two columns of years: which one is the pairing's start is not for the reader to guess
    rows = KN_TITLE + [
        ["STT", "Đơn vị kết nghĩa", "Xã được kết nghĩa", "Cột 4", "Cột 5", "Kinh phí hỗ trợ"],
        [1, "Sở Tài chính", "Trà Mai", 2019, 2023, 100],
        [2, "Sở Y tế", "Trà Dơn", 2020, 2023, 50],
    ]
    v = recognise_sheet(sheet(rows, "KN"))
    assert (v.kind, v.form) == ("form", "support")
    assert "pair_start_year" not in v.colmap.columns and v.finding is None


def test_a_column_of_end_years_is_not_taken_for_the_start():
    rows = KN_TITLE + [
        ["STT", "Đơn vị kết nghĩa", "Xã được kết nghĩa", "Năm kết thúc", "Kinh phí hỗ trợ"],
        [1, "Sở Tài chính", "Trà Mai", 2023, 100],
        [2, "Sở Y tế", "Trà Dơn", 2024, 50],
    ]
    v = recognise_sheet(sheet(rows, "KN"))
    assert "pair_start_year" not in v.colmap.columns and v.finding is None
    rows[3][3] = "Thời gian"  # the same years under a neutral header: the start
    v = recognise_sheet(sheet(rows, "KN"))
    assert v.colmap.columns["pair_start_year"] == 3


@pytest.mark.parametrize(
    "rows",
    [
        # a list of communes with their codes: names and codes, no figures of any form
        [["DANH SÁCH XÃ"], ["STT", "Mã xã", "Tên xã"], [1, "20944", "Trà Mai"]]
        + [[2, "20947", "Trà Dơn"], [3, "20950", "Trà Cang"]],
        # an export of a database: code, name, a count; no model name for 04/MH, no identity
        # to say which count is which for 02/HN
        [["ma_xa", "ten_xa", "so_ho"], ["20944", "Trà Mai", "812"], ["20947", "Trà Dơn", "640"]],
        # units and communes under headers no form knows, no title: one word is not a form
        [["Bảng phân công"], ["STT", "Bên A", "Bên B", "Số"]]
        + [[i, f"Sở số {i}", "Trà Mai", i] for i in range(1, 6)],
    ],
)
def test_content_never_makes_a_form_out_of_nothing(rows):
    v = recognise_sheet(sheet(rows, "Sheet1"))
    assert v.kind != "form"
    assert v.finding is None or v.finding.code == "SHEET_UNRECOGNISED"


def test_sample_returns_are_read_by_their_headers_alone(sample_raw):
    """The sample writes the standard labels: no sheet of an accepted return is read by its
    content or left unrecognised, and each return's forms are the truth's."""
    from ketnghia_analysis.core.limits import Limits
    from ketnghia_analysis.reading.cells import read_workbook

    truth = pd.read_parquet(sample_raw / "truth" / "submissions.parquet")
    accepted = truth[truth["status"] != "rejected"]
    assert len(accepted) > 100
    for rel, forms in zip(accepted["source_file"], accepted["forms_found"], strict=True):
        found = recognise_forms(read_workbook(sample_raw / rel, Limits()).sheets, rel)
        codes = {i.code for i in found.issues}
        assert not codes & {"SHEET_UNRECOGNISED", "HEADER_BY_CONTENT"}, rel
        assert {v.form for v in found.forms} == set(forms.split(",")), rel
