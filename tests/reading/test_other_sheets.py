"""Sheets that are no form: a reason a person accepts, or an error when figures would be lost.

Real workbooks written with openpyxl; each case is one that the reader used to skip in
silence (issue #20: in 70 of 90 accepted returns the kết nghĩa sheet was not read, with not
one finding).
"""

from __future__ import annotations

from workbooks import (
    KN_UNKNOWN_PARTNER,
    POVERTY_HEADER,
    POVERTY_ROWS,
    TITLE_POVERTY,
    sheet,
    write_xlsx,
)

from ketnghia_analysis.reading.forms import recognise_forms, recognise_sheet
from ketnghia_analysis.reading.reader import read_return

POVERTY = TITLE_POVERTY + POVERTY_HEADER + POVERTY_ROWS


def test_a_sheet_of_figures_no_form_fits_is_an_error_naming_the_missing_columns(tmp_path):
    path = write_xlsx(
        tmp_path / "BC ket nghia 2023 - Nam Tra My.xlsx",
        [{"name": "Ho ngheo", "rows": POVERTY}, {"name": "Ket nghia", "rows": KN_UNKNOWN_PARTNER}],
    )
    ret = read_return(path, tmp_path)
    assert ret.status == "read"
    (issue,) = [i for i in ret.issues if i.code == "SHEET_UNRECOGNISED"]
    assert issue.severity == "error"
    assert (issue.source_file, issue.source_sheet, issue.cell) == (
        "BC ket nghia 2023 - Nam Tra My.xlsx",
        "Ket nghia",
        "C4",  # the first header cell recognised: "Xã được kết nghĩa"
    )
    assert issue.message.startswith(
        "Trang 'Ket nghia' có 14 dòng số liệu nhưng không nhận ra biểu mẫu: gần giống 01/KN"
    )
    assert "thiếu cột: Đơn vị kết nghĩa" in issue.message
    assert "'Xã được kết nghĩa' (C4)" in issue.message
    (unread,) = ret.unrecognised
    assert (unread.sheet, unread.form, len(unread.rows)) == ("Ket nghia", "support", 14)
    assert unread.rows[0]["source_row"] == 5
    assert unread.rows[0]["Bên hỗ trợ"] == "Sở số 1"
    assert unread.rows_read == 18  # 3 title rows, the header, 14 data rows


def test_sheet_without_any_known_header_is_still_reported_with_its_rows():
    rows = [["Bảng số liệu"], ["A", "B", "C"]] + [[f"x{i}", i, 2 * i] for i in range(5)]
    found = recognise_forms([sheet(POVERTY, "HN", 0), sheet(rows, "Sheet2", 1)], "f.xlsx")
    (issue,) = [i for i in found.issues if i.code == "SHEET_UNRECOGNISED"]
    assert "không thấy tiêu đề cột của biểu nào" in issue.message
    assert issue.cell == "A3" and issue.source_file == "f.xlsx"
    assert len(found.unread[0].rows) == 5 and found.unread[0].form is None


def test_cover_notes_and_text_sheets_are_skipped_with_reasons_and_no_finding():
    cover = [["THÔNG TIN CHUNG"], ["Đơn vị báo cáo:", "UBND huyện Nam Trà My"], ["Năm", 2023]]
    instructions = [
        ["HƯỚNG DẪN GHI BIỂU"],
        ["Biểu 01/KN: ghi các đơn vị kết nghĩa với từng xã, mỗi cặp một dòng riêng."],
        ["Biểu 02/HN: ghi số hộ nghèo theo kết quả rà soát cuối năm của từng xã."],
        ["Biểu 03/NTM: ghi Đạt hoặc Chưa đạt cho từng tiêu chí của từng xã trong năm."],
        ["Cột 5 = Cột 2 - Cột 3 + Cột 4", 5, 2],
    ]
    found = recognise_forms(
        [sheet(POVERTY, "HN", 0), sheet(cover, "Bìa", 1), sheet(instructions, "HD", 2)]
    )
    assert found.issues == [] and found.unread == []
    assert dict(found.skipped) == {
        "Bìa": "trang bìa / thông tin chung",
        "HD": "trang ghi chú, hướng dẫn",
    }


def test_instructions_with_an_example_header_are_not_a_form():
    # the instructions copy the form's header and one example row: an example, not data
    rows = (
        [
            ["HƯỚNG DẪN GHI BIỂU 02/HN"],
            ["Ghi mỗi xã, thị trấn trên một dòng, theo kết quả rà soát cuối năm được phê duyệt."],
            ["Tỷ lệ hộ nghèo ghi theo phần trăm, lấy hai chữ số sau dấu phẩy như ví dụ dưới đây."],
            ["Ví dụ cách ghi một dòng của biểu như sau, không gửi kèm trang này với báo cáo:"],
        ]
        + POVERTY_HEADER
        + POVERTY_ROWS[:1]
    )
    v = recognise_sheet(sheet(rows, "Hướng dẫn"))
    assert v.kind == "notes"
    assert "trang hướng dẫn" in v.reason
    # a real form citing "Hướng dẫn số …" in its title is still a form
    cited = [["Kèm theo Hướng dẫn số 12/HD-UBND ngày 1/12/2023 của UBND tỉnh Quảng Nam"]]
    v = recognise_sheet(sheet(cited + POVERTY_HEADER + POVERTY_ROWS, "HN"))
    assert (v.kind, v.form) == ("form", "poverty")


def test_a_table_of_sentences_is_not_instructions():
    # a list of findings typed as a table (sentences in cells, figures beside them)
    rows = [["STT", "Nội dung", "Số", "Năm"]] + [
        [i, f"Nội dung số {i} được ghi thành một câu khá dài để giải thích kết quả", i, 2023]
        for i in range(1, 6)
    ]
    v = recognise_sheet(sheet(rows, "Tổng hợp"))
    assert v.kind == "unrecognised" and len(v.unread.rows) == 5


def test_the_skipped_reason_is_short_and_the_finding_has_the_detail():
    found = recognise_forms(
        [sheet(POVERTY, "HN", 0), sheet(KN_UNKNOWN_PARTNER, "Ket nghia", 1)], "f.xlsx"
    )
    assert dict(found.skipped)["Ket nghia"] == (
        "có 14 dòng số liệu nhưng không nhận ra biểu mẫu, gần giống 01/KN, "
        "thiếu cột: Đơn vị kết nghĩa"
    )
    (issue,) = found.issues
    assert "tiêu đề tìm thấy: 'Xã được kết nghĩa' (C4)" in issue.message
