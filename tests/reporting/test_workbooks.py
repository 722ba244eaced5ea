"""Report workbooks: every numeric column formatted by its glossary unit, no English codes,
the synthetic label in the title row (issue 17, items 1 and 3)."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from ketnghia_analysis.reference import glossary
from ketnghia_analysis.reporting.workbooks import write_workbook

YEAR = 2024
COUNT_UNITS = {"hộ", "xã", "mô hình", "lượt", "người", "nhà", "dòng", "đơn vị", "tiêu chí"}
# Words that are codes, not Vietnamese: estimator and comparison keys, severities, booleans.
CODE_WORDS = {"similar", "all", "naive", "twfe", "error", "warning", "True", "False", "nan"}
SNAKE = re.compile(r"^[a-z]+(_[a-z0-9]+)+$")  # such as poverty_rate_end


def _by_header() -> dict[str, dict]:
    """Header text (label with unit) → glossary entry with its name."""
    return {
        glossary.label(row["name"]): row
        for row in glossary.table().to_dict("records")  # later files override: same as label()
    }


def _format_fits(unit: str, name: str, fmt: str) -> bool:
    """Whether an Excel number format shows a value of this unit right (hand-written rules)."""
    if name == "year" or unit == "năm":
        return fmt == "0"
    if unit == "%":  # a fraction 0–1
        return fmt == "0.0%"
    if "%" in fmt:  # a percent sign on anything but a fraction is wrong
        return False
    if unit == "điểm %":
        return fmt.startswith("+0.0")
    if unit.startswith("triệu đồng"):
        return fmt in ("#,##0.0", "#,##0.00")
    if unit in COUNT_UNITS:
        return fmt == "#,##0"
    if unit == "đơn vị của chỉ tiêu":  # the effect sheet: in the unit its row names
        return "0.00" in fmt
    return fmt != "General"


def _check_book(path: Path) -> list[str]:
    """Every problem of one workbook: unformatted or misformatted numbers, English codes."""
    problems = []
    headers = _by_header()
    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        names = [c.value for c in sheet[2]]
        for row in sheet.iter_rows(min_row=3):
            for cell in row:
                value = cell.value
                if isinstance(value, str) and (value in CODE_WORDS or SNAKE.match(value)):
                    problems.append(f"{sheet.title}!{cell.coordinate}: code {value!r}")
                if isinstance(value, int | float) and not isinstance(value, bool):
                    header = names[cell.column - 1]
                    item = headers.get(header)
                    if item is None:
                        problems.append(f"{sheet.title}: header {header!r} not in the glossary")
                        continue
                    if not _format_fits(item["unit"], item["name"], cell.number_format):
                        problems.append(
                            f"{sheet.title}!{cell.coordinate} {header!r}: {cell.number_format!r}"
                        )
    return problems


def _report_books(reports) -> list[Path]:
    return sorted((reports.year_dir / "excel").glob("*.xlsx"))


def test_report_workbooks_format_every_number_by_its_unit(rendered_reports):
    books = _report_books(rendered_reports)
    assert {p.name for p in books} >= {f"tinh_{YEAR}.xlsx"}
    problems = [f"{p.name}: {m}" for p in books for m in _check_book(p)]
    assert problems == []


def test_effect_sheet_speaks_vietnamese_in_points(rendered_reports):
    book = openpyxl.load_workbook(rendered_reports.year_dir / "excel" / f"tinh_{YEAR}.xlsx")
    sheet = book["Ước lượng tác động"]
    head = [c.value for c in sheet[2]]
    first = {h: c.value for h, c in zip(head, sheet[3], strict=True)}
    assert first["Chỉ tiêu kết quả"] == "Tỷ lệ hộ nghèo cuối năm"
    assert first["Phương pháp ước lượng"] == "DiD so le (ước lượng chính)"
    assert first["Nhóm so sánh"] == "so với xã tương đương"
    assert first["Đơn vị của ước lượng"] == "điểm %"
    # the sample's planted effect is -3 points: stored as -0,03, shown as about -3 points
    assert -6 < first["Ước lượng tác động (đơn vị của chỉ tiêu)"] < -1


def test_province_district_sheet_states_its_coverage(rendered_reports):
    """Each district's poverty row says how many communes it rests on (issue 17, item 2)."""
    book = openpyxl.load_workbook(rendered_reports.year_dir / "excel" / f"tinh_{YEAR}.xlsx")
    sheet = book["Hộ nghèo theo huyện"]
    head = [c.value for c in sheet[2]]
    wanted = {
        "Số xã phải báo cáo (xã)": "#,##0",
        "Số xã có số liệu (xã)": "#,##0",
        "Độ phủ số liệu (%)": "0.0%",
    }
    assert set(wanted) <= set(head), head
    for header, fmt in wanted.items():
        column = head.index(header) + 1
        cells = [sheet.cell(row=r, column=column) for r in range(3, sheet.max_row + 1)]
        values = [c.value for c in cells if c.value is not None]
        assert values, header
        assert all(c.number_format == fmt for c in cells if c.value is not None), header
    rates = [
        sheet.cell(row=r, column=head.index("Độ phủ số liệu (%)") + 1).value
        for r in range(3, sheet.max_row + 1)
    ]
    assert all(0 <= v <= 1 for v in rates if v is not None)


def test_reports_carry_the_synthetic_label(rendered_reports):
    """The session's processed folder is no sibling of its raw folder: only the manifest's
    provenance tells that the data are the sample's."""
    html = rendered_reports.year_dir / f"tinh_{YEAR}.html"
    assert "DỮ LIỆU TỔNG HỢP" in html.read_text(encoding="utf-8")
    for path in _report_books(rendered_reports):
        book = openpyxl.load_workbook(path)
        for sheet in book.worksheets:
            assert "DỮ LIỆU TỔNG HỢP" in str(sheet["A1"].value), (path.name, sheet.title)


@pytest.mark.parametrize("synthetic", [True, False])
def test_hand_made_sheet(tmp_path, synthetic):
    frame = pd.DataFrame(
        {
            "year": [2024],
            "district_code": ["516"],
            "poor_end": pd.array([262], dtype="Int64"),
            "poverty_rate_end": [0.3864],
            "rate_change_points": [-2.36],
            "money_mvnd": [224.9],
            "standard_break": [False],
        }
    )
    path = tmp_path / "b.xlsx"
    write_workbook({"Hộ nghèo": frame}, path, title="Thử", synthetic=synthetic)
    assert _check_book(path) == []
    sheet = openpyxl.load_workbook(path)["Hộ nghèo"]
    assert ("DỮ LIỆU TỔNG HỢP" in sheet["A1"].value) is synthetic
    assert sheet["E3"].number_format == "+0.0;-0.0;0.0"  # -2,36 points, never "-236,0%"
    assert sheet["G3"].value == "không"
