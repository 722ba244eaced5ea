"""One finding per cause (issue #20): the same bad value in 40 cells of one column is one line
in the feedback workbook, issues.xlsx and `ketnghia check`, while issues.parquet keeps every
cell; notes are shown as "Ghi chú" and never fail a check."""

from __future__ import annotations

import io
import shutil

import openpyxl
import pandas as pd
import pytest
from filled_template import fill_template

from ketnghia_analysis.building import schemas
from ketnghia_analysis.building.build import build
from ketnghia_analysis.building.check import check_files
from ketnghia_analysis.building.feedback import write_district_feedback, write_issues_xlsx
from ketnghia_analysis.building.grouping import group_issues
from ketnghia_analysis.reading.template import write_template

N = 40
BAD = "xem phụ lục"  # typed in the cash column of every row: not a number, no number in it


@pytest.fixture(scope="module")
def return_40(tmp_path_factory):
    """Nam Trà My 2024, filled, with 40 support rows whose cash cell (column E) is words."""
    folder = tmp_path_factory.mktemp("forty")
    path = write_template("516", 2024, folder / "BC ket nghia 2024 - Nam Tra My.xlsx")
    fill_template(path, poor_start=355, supports=False)
    book = openpyxl.load_workbook(path)
    ws = book["Biểu 01-KN"]
    for i in range(N):
        row = (f"Đồn Biên phòng {600 + i}", "lực lượng vũ trang", "Xã Trà Mai", 2021, BAD, 10)
        for c, value in enumerate(row, start=1):
            ws.cell(7 + i, c).value = value
    book.save(path)
    return path


def _issue_lines(text: str, code: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("  [") and code in line]


def test_check_says_forty_bad_cells_of_one_column_in_one_line(return_40):
    stream = io.StringIO()
    code = check_files([return_40], stream=stream, isolate=False)
    text = stream.getvalue()
    lines = _issue_lines(text, "VALUE_NOT_NUMERIC")
    assert len(lines) == 1, text
    assert "E7, E8, E9 … và 37 ô khác" in lines[0] and f"{N} ô" in lines[0]
    assert lines[0].startswith("  [cảnh báo]")
    assert code == 0  # the rows are kept: warnings only
    assert "40 ô để trống vì giá trị sai" in text
    assert "0 lỗi" in text and "ghi chú" in text


def test_feedback_has_one_line_and_the_tables_keep_the_rows(return_40, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(return_40, raw / return_40.name)
    out = tmp_path / "out"
    result = build(raw, out, workers=1, progress=False, isolate=False)
    issues = pd.read_parquet(out / "issues.parquet")
    assert (issues["code"] == "VALUE_NOT_NUMERIC").sum() == N  # the parquet keeps every cell
    support = pd.read_parquet(out / "support.parquet")
    assert len(support) == N and support["cash_mvnd"].isna().all()
    assert (support["in_kind_mvnd"] == 10).all()
    subs = pd.read_parquet(out / "submissions.parquet")
    assert subs["cells_nulled"].tolist() == [N]
    assert result.exit_code == 0
    (feedback,) = (out / "feedback").glob("516-*_2024.xlsx")
    sheet = openpyxl.load_workbook(feedback)["Vấn đề"]
    header = [c.value for c in sheet[1]]
    rows = [
        dict(zip(header, (c.value for c in r), strict=True)) for r in sheet.iter_rows(min_row=2)
    ]
    bad = [r for r in rows if r["Mã lỗi"] == "VALUE_NOT_NUMERIC"]
    assert len(bad) == 1
    assert (bad[0]["Ô"], bad[0]["Số ô"], bad[0]["Giá trị"]) == (
        "E7, E8, E9 … và 37 ô khác",
        N,
        BAD,
    )
    assert bad[0]["Mức độ"] == "Cảnh báo"


def _issues(rows: list[tuple]) -> pd.DataFrame:
    cols = ["severity", "code", "message", "district_code", "year", "source_file", "source_sheet", "cell", "value"]  # fmt: skip
    return schemas.conform(pd.DataFrame(rows, columns=cols), "issues")


def test_causes_are_one_code_in_one_column_of_one_sheet():
    rows = [
        ("warning", "VALUE_NOT_NUMERIC", "m [VALUE_NOT_NUMERIC]", "516", 2024, "a.xlsx", "S", f"E{r}", "x")
        for r in range(7, 12)
    ]  # fmt: skip
    rows += [
        ("warning", "VALUE_NOT_NUMERIC", "m [VALUE_NOT_NUMERIC]", "516", 2024, "a.xlsx", "S", "F7", "x"),
        ("warning", "VALUE_NOT_NUMERIC", "m [VALUE_NOT_NUMERIC]", "516", 2024, "a.xlsx", "T", "E7", "x"),
        ("warning", "VALUE_NOT_NUMERIC", "m [VALUE_NOT_NUMERIC]", "516", 2024, "b.xlsx", "S", "E7", "x"),
        ("warning", "VALUE_NEGATIVE", "n [VALUE_NEGATIVE]", "516", 2024, "a.xlsx", "S", "E12", "-1"),
        ("warning", "MISSING_COMMUNE", "thiếu A [MISSING_COMMUNE]", "516", 2024, "a.xlsx", "S", None, None),
        ("warning", "MISSING_COMMUNE", "thiếu B [MISSING_COMMUNE]", "516", 2024, "a.xlsx", "S", None, None),
    ]  # fmt: skip
    lines = group_issues(_issues(rows))
    assert len(lines) == 7
    first = lines.iloc[0]
    assert (first["cell"], first["cells"]) == ("E7, E8, E9 … và 2 ô khác", 5)
    assert first["message"].startswith("Cột E, 5 ô cùng một lỗi; ví dụ: m")
    assert lines["cells"].tolist() == [5, 1, 1, 1, 1, 1, 1]
    assert lines["message"].tolist()[-2:] == [
        "thiếu A [MISSING_COMMUNE]",
        "thiếu B [MISSING_COMMUNE]",
    ]


def test_notes_are_shown_as_notes_after_warnings(tmp_path):
    rows = [
        ("info", "RATE_SCALE", "Cột H: tỷ lệ ghi dạng thập phân [RATE_SCALE]", "516", 2024, "a.xlsx", "S", "H7", "0,4163"),
        ("warning", "TOTAL_MISMATCH", "Dòng tổng [TOTAL_MISMATCH]", "516", 2024, "a.xlsx", "S", "H7", "1"),
    ]  # fmt: skip
    path = write_issues_xlsx(_issues(rows), tmp_path / "issues.xlsx")
    sheet = openpyxl.load_workbook(path)["516 Huyện Nam Trà My"]
    assert [sheet["A2"].value, sheet["A3"].value] == ["Cảnh báo", "Ghi chú"]
    (feedback,) = write_district_feedback(_issues(rows), tmp_path / "feedback")
    guide = [c.value for c in openpyxl.load_workbook(feedback)["Hướng dẫn"]["A"]]
    assert "số ghi chú (cách đọc đã chọn, không phải lỗi): 1" in guide[1]


def test_an_unknown_mark_across_the_criteria_grid_is_one_line(tmp_path):
    # "?" typed in the 19 criterion cells of one commune: 19 findings, one cause
    path = write_template("516", 2024, tmp_path / "BC ket nghia 2024 - Nam Tra My.xlsx")
    fill_template(path)
    book = openpyxl.load_workbook(path)
    ws = book["Biểu 03-NTM"]
    for c in range(2, 21):
        ws.cell(9, c).value = "?"
    book.save(path)
    stream = io.StringIO()
    check_files([path], stream=stream, isolate=False)
    text = stream.getvalue()
    lines = _issue_lines(text, "VALUE_BAD_MARK")
    assert len(lines) == 1, text
    assert "B9, C9, D9 … và 16 ô khác" in lines[0] and "19 ô" in lines[0]
    assert "Lưới tiêu chí, 19 ô cùng một lỗi" in lines[0]
    # two unknown tokens are two causes; other codes stay one line per column
    rows = [
        ("warning", "VALUE_BAD_MARK", f"“{t}” [VALUE_BAD_MARK]", "516", 2024, "a.xlsx", "S", f"{c}9", t)
        for t, c in [("?", "B"), ("?", "C"), ("v", "D"), ("?", "E"), ("v", "F")]
    ]  # fmt: skip
    lines = group_issues(_issues(rows))
    assert lines["cells"].tolist() == [3, 2]
    assert lines["cell"].tolist() == ["B9, C9, E9", "D9, F9"]
