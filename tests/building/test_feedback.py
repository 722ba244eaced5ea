"""issues.xlsx and per-district feedback files: headers, order, safety."""

import openpyxl
import pandas as pd

from ketnghia_analysis.building import schemas
from ketnghia_analysis.building.feedback import (
    feedback_name,
    safe_sheet_name,
    safe_stem,
    write_district_feedback,
    write_issues_xlsx,
)

HEADERS = ["Mức độ", "Mã lỗi", "Nội dung", "Tệp", "Trang tính", "Ô", "Số ô", "Giá trị", "Gợi ý"]


def issues() -> pd.DataFrame:
    rows = [
        ("warning", "POVERTY_RATE_MISMATCH", "Tỷ lệ sai [POVERTY_RATE_MISMATCH]", "516", 2023, "b.xlsx", "B02", "I10", "50%", None, None),
        ("error", "POVERTY_IDENTITY", "Sai [POVERTY_IDENTITY]", "516", 2023, "b.xlsx", "B02", "H9", "=SUM(A1:A3)", "355", "@cmd"),
        ("error", "UNKNOWN_COMMUNE", "Không rõ [UNKNOWN_COMMUNE]", "516", 2023, "a.xlsx", "B02", "B12", "+Trà", None, "-gợi ý"),
        ("error", "VALUE_NOT_NUMERIC", "Chữ [VALUE_NOT_NUMERIC]", "502", 2022, "c.xlsx", "S1", "C4", "abc", None, None),
        ("error", "FILE_EMPTY", "Tệp trống [FILE_EMPTY]", None, None, "d.xlsx", None, None, None, None, None),
    ]  # fmt: skip
    cols = ["severity", "code", "message", "district_code", "year", "source_file", "source_sheet", "cell", "value", "expected", "suggestion"]  # fmt: skip
    return schemas.conform(pd.DataFrame(rows, columns=cols), "issues")


def test_issues_workbook_one_sheet_per_district(tmp_path):
    path = write_issues_xlsx(issues(), tmp_path / "issues.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Chung", "502 Thành phố Tam Kỳ", "516 Huyện Nam Trà My"]
    sheet = book[book.sheetnames[2]]
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref is not None
    assert sheet.column_dimensions["C"].width > 50
    # sorted by file, then cell: a.xlsx B12, then b.xlsx H9 before I10
    assert [(r[3].value, r[5].value) for r in sheet.iter_rows(min_row=2)] == [
        ("a.xlsx", "B12"),
        ("b.xlsx", "H9"),
        ("b.xlsx", "I10"),
    ]
    assert sheet["A2"].value == "Lỗi" and sheet["A4"].value == "Cảnh báo"


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    path = write_issues_xlsx(issues(), tmp_path / "issues.xlsx")
    sheet = openpyxl.load_workbook(path).worksheets[2]
    formula_cell = sheet["H3"]
    assert formula_cell.value == "=SUM(A1:A3)" and formula_cell.data_type == "s"
    assert sheet["I3"].value == "@cmd" and sheet["I3"].data_type == "s"
    assert sheet["H2"].value == "+Trà" and sheet["H2"].data_type == "s"
    assert sheet["I2"].value == "-gợi ý" and sheet["I2"].data_type == "s"


def test_feedback_file_per_district_and_year(tmp_path):
    written = write_district_feedback(issues(), tmp_path / "feedback")
    names = sorted(p.name for p in written)
    assert names == ["502-thanh-pho-tam-ky_2022.xlsx", "516-huyen-nam-tra-my_2023.xlsx"]
    sheet = openpyxl.load_workbook(tmp_path / "feedback" / names[1])["Vấn đề"]
    assert sheet.max_row == 4  # header + 3 issues of 516/2023
    assert all(p.parent == (tmp_path / "feedback").resolve() for p in written)


def test_safe_names():
    assert safe_stem("../../x/..\\evil") == "x-evil"
    assert safe_stem("NUL") == "_nul"
    assert safe_stem("Thị xã Điện Bàn") == "thi-xa-dien-ban"
    assert feedback_name("../516", "2023/../..", "Huyện") == "516-huyen_2023.xlsx"
    used: set[str] = set()
    assert safe_sheet_name("a/b[c]:d*e?", used) == "a b c  d e"
    assert safe_sheet_name("A/B[C]:D*E?", used) == "A B C  D E (2)"
    assert len(safe_sheet_name("x" * 40, used)) == 31
