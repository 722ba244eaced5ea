"""The blank return: canonical headers, communes of the year, lists, protection; a filled
template builds with zero issues."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from filled_template import NAM_TRA_MY, fill_template

from ketnghia_analysis.reading.template import write_template

SHEETS = ["Danh mục", "Biểu 01-KN", "Biểu 02-HN", "Biểu 03-NTM", "Biểu 04-MH"]


@pytest.fixture(scope="module")
def blank(tmp_path_factory) -> Path:
    return write_template("516", 2024, tmp_path_factory.mktemp("tpl") / "bieu_516_2024.xlsx")


def test_four_forms_and_the_canonical_headers(blank):
    book = openpyxl.load_workbook(blank)
    assert book.sheetnames == SHEETS
    assert book["Danh mục"].sheet_state == "hidden"
    poverty = book["Biểu 02-HN"]
    assert poverty["A1"].value == "UBND HUYỆN NAM TRÀ MY"
    assert poverty["A4"].value == "KẾT QUẢ RÀ SOÁT HỘ NGHÈO, HỘ CẬN NGHÈO NĂM 2024"
    assert [c.value for c in poverty[6]][:7] == [
        "Xã, thị trấn",
        "Tổng số hộ",
        "Số hộ nghèo đầu năm",
        "Số hộ thoát nghèo trong năm",
        "Số hộ tái nghèo",
        "Số hộ nghèo phát sinh mới",
        "Số hộ nghèo cuối năm",
    ]
    assert book["Biểu 01-KN"]["A6"].value == "Đơn vị kết nghĩa"
    assert book["Biểu 04-MH"]["G6"].value == "Tình trạng"
    ntm = book["Biểu 03-NTM"]
    assert ntm["B6"].value == "Tiêu chí" and ntm["B7"].value == 1 and ntm["T7"].value == 19


def test_prefilled_with_the_communes_of_the_year(blank, tmp_path):
    book = openpyxl.load_workbook(blank)
    names = [book["Biểu 02-HN"].cell(r, 1).value for r in range(7, 17)]
    assert names == NAM_TRA_MY
    assert book["Biểu 02-HN"].cell(17, 1).value is None
    # Quế Sơn: Quế Cường and Phú Thọ became Quế Mỹ in 2020 (NQ 863/NQ-UBTVQH14)
    names_2019 = _communes(write_template("509", 2019, tmp_path / "a.xlsx"))
    names_2020 = _communes(write_template("509", 2020, tmp_path / "b.xlsx"))
    assert "Xã Quế Cường" in names_2019 and "Xã Quế Cường" not in names_2020
    assert "Xã Quế Mỹ" in names_2020 and "Xã Quế Mỹ" not in names_2019


def _communes(path: Path) -> list[str]:
    ws = openpyxl.load_workbook(path)["Biểu 02-HN"]
    names = [ws.cell(r, 1).value for r in range(7, ws.max_row + 1) if ws.cell(r, 1).value]
    return [n for n in names if n != "Tổng cộng"]


def test_drop_down_lists_and_protection(blank):
    book = openpyxl.load_workbook(blank)
    support = book["Biểu 01-KN"]
    sources = {
        str(dv.sqref).split(":")[0]: dv.formula1
        for dv in support.data_validations.dataValidation
        if dv.type == "list"
    }
    assert sources["B7"] == "'Danh mục'!$B$2:$B$7"  # the six partner types
    ntm = book["Biểu 03-NTM"]
    lists = [dv for dv in ntm.data_validations.dataValidation if dv.type == "list"]
    assert any("B8:T" in str(dv.sqref) for dv in lists)  # marks over criteria 1-19
    models = book["Biểu 04-MH"]
    assert any("G7" in str(dv.sqref) for dv in models.data_validations.dataValidation)
    lists_sheet = book["Danh mục"]
    assert [lists_sheet.cell(r, 1).value for r in (2, 3)] == ["Đạt", "Chưa đạt"]
    assert [lists_sheet.cell(r, 4).value for r in range(2, 6)] == [
        "Đang duy trì",
        "Đã nhân rộng",
        "Dừng",
        "Mới triển khai",
    ]
    for name in SHEETS[1:]:
        ws = book[name]
        assert ws.protection.sheet, name
        assert ws["A6"].protection.locked  # header row
    poverty = book["Biểu 02-HN"]
    assert poverty["A7"].protection.locked  # commune names are protected
    assert not poverty["B7"].protection.locked  # figures are typed in


def test_unknown_district_is_refused(tmp_path):
    with pytest.raises(ValueError, match="999"):
        write_template("999", 2024, tmp_path / "x.xlsx")


def test_filled_template_builds_with_zero_issues(blank, tmp_path):
    from ketnghia_analysis.building.build import build

    raw = tmp_path / "raw"
    raw.mkdir()
    target = raw / "bieu_516_2024.xlsx"
    target.write_bytes(blank.read_bytes())
    fill_template(target)
    result = build(raw, tmp_path / "out", workers=1, progress=False, isolate=False)
    assert result.exit_code == 0, result.message
    issues = result.tables["issues"]
    assert issues.empty, issues[["code", "cell", "message"]].to_string()
    assert len(result.tables["poverty"]) == 10
    assert len(result.tables["ntm_status"]) == 10
    assert list(result.tables["support"]["partner_id"]) == ["P002", "P004"]
    assert list(result.tables["models"]["status"]) == ["maintained"]


def _validations(sheet) -> dict[str, str]:
    """Cell range → validation type of a sheet."""
    return {str(v.sqref): v.type for v in sheet.data_validations.dataValidation}


def test_household_counts_accept_whole_numbers_only(blank):
    book = openpyxl.load_workbook(blank)
    kinds = _validations(book["Biểu 02-HN"])
    for letter in "BCDEFGIJ":  # every count of households; H is the rate (a formula)
        assert kinds.get(f"{letter}7:{letter}16") == "whole", letter
    assert not any(key.startswith("H") for key in kinds)
    support = _validations(book["Biểu 01-KN"])
    assert support["E7:E156"] == "decimal"  # money: triệu đồng with decimals
    assert support["H7:H156"] == "whole"  # beneficiary households
    assert _validations(book["Biểu 04-MH"])["F7:F156"] == "whole"


def test_the_rate_is_a_formula_and_there_is_a_total_row(blank):
    ws = openpyxl.load_workbook(blank)["Biểu 02-HN"]
    for r in range(7, 17):
        formula = ws.cell(r, 8).value
        assert isinstance(formula, str) and formula.startswith("=")
        assert f"G{r}/B{r}*100" in formula
        assert ws.cell(r, 8).protection.locked  # computed, not typed
    assert ws.cell(17, 1).value is None  # a blank row keeps the communes apart
    assert ws["A18"].value == "Tổng cộng"
    assert "SUM(B7:B16)" in ws["B18"].value and "SUM(G7:G16)" in ws["G18"].value
    assert "G18/B18*100" in ws["H18"].value


def test_a_filled_template_reads_its_computed_rate_and_skips_the_total(blank, tmp_path):
    from ketnghia_analysis.building.collect import process_file

    target = tmp_path / "bieu.xlsx"
    target.write_bytes(blank.read_bytes())
    fill_template(target)
    result = process_file((str(target), str(tmp_path)))
    poverty = result.tables["poverty"]
    assert len(poverty) == 10  # the total row is no commune
    assert poverty["households_total"].sum() == sum(1000 + r for r in range(7, 17))
