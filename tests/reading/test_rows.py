"""Row stage: classification and merged label cells."""

from __future__ import annotations

from workbooks import sheet

from ketnghia_analysis.reading.grid import Grid
from ketnghia_analysis.reading.headers import HeaderBlock
from ketnghia_analysis.reading.rows import (
    classify_rows,
    fill_merged_down,
    is_footer_text,
    is_subtotal_label,
    is_total_label,
)

HEADER = ["STT", "Xã, thị trấn", "Tổng số hộ", "Số hộ nghèo cuối năm"]


def _kinds(rows, merged=None, numbering=None):
    grid = Grid(sheet(rows, merged=merged))
    return classify_rows(grid, HeaderBlock(1, 1, numbering), [1], [2, 3])


def test_every_kind():
    rows = [
        ["BIỂU 02/HN"],  # title
        HEADER,  # header
        ["A", "B", "1", "2"],  # numbering
        [None, "Tổng cộng", 300, 30],  # total at the top
        ["I", "Các xã khu vực III"],  # section (Roman numeral in the STT column)
        [1, "Trà Mai", 100, 10],
        [2, "X. Trà Don", 100, 10],  # "X." is xã, not a Roman ten
        [None, "Cộng khu vực III", 200, 20],  # subtotal
        ["II. Các xã khu vực I"],  # section
        [3, "TT Trà My", 100, 10],
        [],
        ["Ghi chú: số liệu sơ bộ"],
        [None, None, "Nam Trà My, ngày 15 tháng 12 năm 2023"],
        [None, "Người lập biểu", None, "TM. ỦY BAN NHÂN DÂN"],
        [None, None, None, "KT. CHỦ TỊCH"],
        [None, "Nguyễn Văn A", None, "Trần Thị B"],
    ]
    assert _kinds(rows) == [
        "title",
        "header",
        "numbering",
        "total",
        "section",
        "data",
        "data",
        "subtotal",
        "section",
        "data",
        "blank",
        "note",
        "footer",
        "footer",
        "footer",
        "footer",
    ]


def test_total_and_subtotal_labels():
    assert is_total_label("tong cong")
    assert is_total_label("cong")
    assert is_total_label("toan huyen")
    assert is_total_label("tong cong toan huyen")
    assert not is_total_label("tra mai")
    assert is_subtotal_label("cong khu vuc iii")
    assert is_subtotal_label("cong xa tra mai")
    assert not is_subtotal_label("tong cong")


def test_footer_text():
    assert is_footer_text("nguoi lap bieu")
    assert is_footer_text("tm uy ban nhan dan")
    assert is_footer_text("nam tra my ngay 15 thang 12 nam 2023")
    assert is_footer_text("ngay thang nam 2023")
    assert not is_footer_text("tra mai")


def test_commune_named_like_a_section_word_is_data():
    rows = [
        ["x"],
        HEADER,
        [1, "A Vương", 100, 10],
        [2, "Tam Xuân 1", 50, 5],
        [3, "H. Đại Lộc", 1, 1],
    ]
    assert _kinds(rows)[2:] == ["data", "data", "data"]
    rows = [["x"], HEADER, ["A. Các xã khu vực III"], [1, "Trà Mai", 1, 1]]
    assert _kinds(rows)[2:] == ["section", "data"]


def test_data_row_with_blank_values_is_still_data():
    rows = [["x"], HEADER, [1, "Trà Mai", None, None]]
    assert _kinds(rows)[2] == "data"


def test_bare_stt_row_is_blank():
    rows = [["x"], HEADER, [1, "Trà Mai", 1, 1], [2]]
    assert _kinds(rows)[3] == "blank"


def test_merged_commune_fills_down_inside_merge_only():
    rows = [
        ["Đơn vị kết nghĩa", "Xã được kết nghĩa", "Kinh phí hỗ trợ"],
        ["Sở Tài chính", "Trà Mai", 10],
        ["Sở Y tế", None, 20],
        ["Sở Xây dựng", None, 30],
        ["Sở Nội vụ", None, 40],  # outside the merge: stays empty
    ]
    grid = Grid(sheet(rows, merged=[(1, 1, 3, 1), (1, 2, 2, 2)]))
    kept = fill_merged_down(grid, 1, fill_cols={0, 1}, number_cols={2})
    assert [grid.values[r][1] for r in range(1, 5)] == ["Trà Mai", "Trà Mai", "Trà Mai", None]
    assert grid.values[2][2] == 20  # amounts are never copied
    assert kept == [(1, 2, 2)]
