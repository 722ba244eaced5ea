"""Excel error cells (#DIV/0!, #N/A ...) reach the parsers from every engine (issue #20).

python-calamine returns an error cell as "" (dimastbk/python-calamine#105; for .ods
tafia/calamine#720): read as a blank, a "#N/A" in a criteria grid was a silent "not met".
Each engine must put the error's text at its cell; the build then says why the cell is
missing (VALUE_EXCEL_ERROR) and keeps the row.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import hostile_files as hf
import openpyxl
import pandas as pd
import pytest
from filled_template import fill_template
from workbooks import write_with

from ketnghia_analysis.building.build import build
from ketnghia_analysis.reading.cells import ooxml, read_workbook
from ketnghia_analysis.reading.template import write_template


def _error_xlsx(path: Path) -> Path:
    """openpyxl writes a text that is an error value as an error cell (t="e"); the last
    row holds nothing but an error, beyond the last cell calamine reports."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Biểu 02"
    ws.append(["Xã", "Tổng số hộ", "Tỷ lệ"])
    ws.append(["Trà Mai", 1200, "#DIV/0!"])
    ws.append(["Trà Cang", 500, 0.15])
    ws["B4"] = "#REF!"
    wb.save(path)
    return path


def test_xlsx_error_cells_hold_their_text(tmp_path):
    path = _error_xlsx(tmp_path / "loi.xlsx")
    with zipfile.ZipFile(path) as zf:  # what calamine reads as empty
        assert b'<c r="C2" t="e"><v>#DIV/0!</v></c>' in zf.read("xl/worksheets/sheet1.xml")
    wb = read_workbook(path)
    assert wb.engine == "calamine"
    sheet = wb.sheets[0]
    assert sheet.rows == [
        ["Xã", "Tổng số hộ", "Tỷ lệ"],
        ["Trà Mai", 1200.0, "#DIV/0!"],
        ["Trà Cang", 500.0, 0.15],
        [None, "#REF!", None],
    ]
    assert sheet.error_cells == {(1, 2): "#DIV/0!", (3, 1): "#REF!"}


def test_xlsx_error_cells_when_openpyxl_reads_instead(tmp_path, monkeypatch):
    def fail(data, *skip):
        raise ValueError("calamine không đọc được")

    monkeypatch.setattr(ooxml, "calamine_sheets", fail)
    wb = read_workbook(_error_xlsx(tmp_path / "loi.xlsx"))
    assert wb.engine == "openpyxl"
    assert wb.sheets[0].rows[1][2] == "#DIV/0!"
    assert wb.sheets[0].error_cells == {(1, 2): "#DIV/0!", (3, 1): "#REF!"}


def test_formula_whose_cached_value_is_an_error(tmp_path):
    # xlsxwriter stores a formula with its cached value, as Excel does: <f>..</f><v>#DIV/0!</v>.
    rows = [
        ["Xã", "Hộ nghèo", "Tổng số hộ", "Tỷ lệ"],
        ["Trà Mai", 150, 0, ("=B2/C2", "#DIV/0!")],
        ["Trà Cang", 75, 500, ("=B3/C3", 0.15)],
    ]
    path = write_with(tmp_path, "loi.xlsx", "xlsxwriter", [{"name": "Biểu 02", "rows": rows}])
    sheet = read_workbook(path).sheets[0]
    assert sheet.rows[1] == ["Trà Mai", 150.0, 0.0, "#DIV/0!"]
    assert sheet.rows[2][3] == 0.15
    assert sheet.error_cells == {(1, 3): "#DIV/0!"}
    assert sheet.formula_cells == {(1, 3), (2, 3)}
    assert sheet.uncached_formulas == {}  # its value is the error: nothing to recompute


def test_raw_ooxml_error_cells(tmp_path):
    """Prefixed tags, cells without references, the attribute in any place or quote; a
    value-less error cell, and the words t="e" inside a text, are not errors."""
    body = (
        '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>a t="e" b</x:t></x:is></x:c>'
        '<x:c t=\'e\' r="B1"><x:v>#N/A</x:v></x:c><x:c r="C1" t="e"/></x:row>'
        '<x:row r="2"><x:c><x:v>7</x:v></x:c><x:c t="e"><x:f>1/0</x:f><x:v>#DIV/0!</x:v>'
        "</x:c></x:row>"
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<x:sheetData>{body}</x:sheetData></x:worksheet>"
    )
    sheet = read_workbook(hf.write_raw_xlsx(tmp_path / "x.xlsx", xml)).sheets[0]
    assert sheet.rows == [['a t="e" b', "#N/A"], [7.0, "#DIV/0!"]]
    assert sheet.error_cells == {(0, 1): "#N/A", (1, 1): "#DIV/0!"}


def test_xls_error_cells_from_xlrd(tmp_path):
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Biểu 03")
    ws.write(0, 0, "Xã")
    ws.write(0, 1, "TC1")
    ws.write(1, 0, "Trà Mai")
    ws.row(1).set_cell_error(1, 42)  # BIFF codes: 42 #N/A, 7 #DIV/0!, 23 #REF!
    ws.write(2, 0, "Trà Cang")
    ws.row(2).set_cell_error(1, 7)
    ws.row(3).set_cell_error(2, 23)
    path = tmp_path / "loi.xls"
    wb.save(str(path))
    book = read_workbook(path)
    assert book.engine == "calamine"  # calamine's cells, completed by xlrd
    sheet = book.sheets[0]
    assert sheet.rows == [
        ["Xã", "TC1", None],
        ["Trà Mai", "#N/A", None],
        ["Trà Cang", "#DIV/0!", None],
        [None, None, "#REF!"],
    ]
    assert sheet.error_cells == {(1, 1): "#N/A", (2, 1): "#DIV/0!", (3, 2): "#REF!"}


def _libreoffice_ods(path: Path) -> Path:
    """Error cells as LibreOffice writes them: an empty string marked calcext error, the
    error in the text; the second is repeated over two columns."""

    def value(v: int) -> str:
        return (
            f'<table:table-cell office:value-type="float" office:value="{v}">'
            f"<text:p>{v}</text:p></table:table-cell>"
        )

    def error(text: str, repeat: int = 1) -> str:
        return (
            f'<table:table-cell table:number-columns-repeated="{repeat}" '
            'table:formula="of:=[.A1]/0" office:value-type="string" office:string-value="" '
            f'calcext:value-type="error"><text:p>{text}</text:p></table:table-cell>'
        )

    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">'
        '<office:body><office:spreadsheet><table:table table:name="Biểu 02">'
        f"<table:table-row>{value(1)}{error('#DIV/0!')}</table:table-row>"
        '<table:table-row><table:table-cell table:number-columns-repeated="1"/>'
        f"{error('Err:502', repeat=2)}</table:table-row>"
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    # A minimal package (mimetype, manifest) whose content is replaced by ours.
    return hf.replace_part(hf.write_ods_repeated_rows(path, repeat=1), "content.xml", content)


def test_ods_error_cells_as_libreoffice_writes_them(tmp_path):
    sheet = read_workbook(_libreoffice_ods(tmp_path / "loi.ods")).sheets[0]
    assert sheet.rows == [[1.0, "#DIV/0!", None], [None, "Err:502", "Err:502"]]
    assert sheet.error_cells == {(0, 1): "#DIV/0!", (1, 1): "Err:502", (1, 2): "Err:502"}


def test_xml2003_error_cells(tmp_path):
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">'
        '<Worksheet ss:Name="Biểu 02"><Table>'
        '<Row><Cell><Data ss:Type="String">Trà Mai</Data></Cell>'
        '<Cell ss:Formula="=RC[-1]/0"><Data ss:Type="Error">#DIV/0!</Data></Cell></Row>'
        '<Row><Cell ss:Index="2"><Data ss:Type="Error">#N/A</Data></Cell></Row>'
        "</Table></Worksheet></Workbook>"
    )
    path = tmp_path / "web.xls"
    path.write_text(xml, encoding="utf-8")
    sheet = read_workbook(path).sheets[0]
    assert sheet.rows == [["Trà Mai", "#DIV/0!"], [None, "#N/A"]]
    assert sheet.error_cells == {(0, 1): "#DIV/0!", (1, 1): "#N/A"}


def test_html_error_cells_from_excel_export(tmp_path):
    # Excel's "Web page" export marks an error in x:err; the text shown may be anything.
    page = (
        "<html><body><table><tr><td>Xã</td><td>Tỷ lệ</td></tr>"
        "<tr><td>Trà Mai</td><td x:err='#DIV/0!' x:fmla='=B2/0'></td></tr>"
        "<tr><td>Trà Cang</td><td x:num='0.15'>15%</td></tr></table></body></html>"
    )
    path = tmp_path / "web.xls"
    path.write_text(page, encoding="utf-8")
    (sheet,) = read_workbook(path).sheets
    assert sheet.rows == [["Xã", "Tỷ lệ"], ["Trà Mai", "#DIV/0!"], ["Trà Cang", 0.15]]
    assert sheet.error_cells == {(1, 1): "#DIV/0!"}


# ------------------------------------------------------------------ end to end


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A filled template with "#N/A" in criterion 4 of the first commune (E8 of 03/NTM)
    and "#DIV/0!" in the poverty rate of the first commune (H7 of 02/HN), built."""
    root = tmp_path_factory.mktemp("loi_excel")
    path = write_template("516", 2023, root / "raw" / "BC ket nghia 2023 - Nam Tra My.xlsx")
    fill_template(path)
    book = openpyxl.load_workbook(path)
    assert book["Biểu 03-NTM"]["E7"].value == 4 and book["Biểu 03-NTM"]["E8"].value == "Đạt"
    book["Biểu 03-NTM"]["E8"] = "#N/A"
    assert str(book["Biểu 02-HN"]["H6"].value).startswith("Tỷ lệ")
    book["Biểu 02-HN"]["H7"] = "#DIV/0!"
    book.save(path)
    result = build(root / "raw", root / "out", workers=1, progress=False, isolate=False)
    assert result.exit_code == 0, result.message
    return root / "out"


def test_error_cells_of_a_return_are_said_once_and_the_rows_kept(built):
    issues = pd.read_parquet(built / "issues.parquet")
    found = issues[issues["code"] == "VALUE_EXCEL_ERROR"]
    by_cell = {(r.source_sheet, r.cell): r.severity for r in found.itertuples()}
    # The rate is derived (recomputed from the counts): a note; the criterion is a source.
    assert by_cell == {("Biểu 02-HN", "H7"): "info", ("Biểu 03-NTM", "E8"): "warning"}
    assert "#N/A" in found[found["cell"] == "E8"]["message"].iloc[0]
    # Not read as a blank "not met": no false mismatch with the reported count.
    assert "NTM_TOTAL_MISMATCH" not in set(issues["code"])
    assert not (issues["severity"] == "error").any()


def test_an_error_criterion_is_unknown_not_unmet(built):
    crit = pd.read_parquet(built / "ntm_criteria.parquet")
    first = crit[crit["source_row"] == 8]
    assert len(first) == 18 and 4 not in set(first["criterion"])  # its row kept
    assert len(crit) == 10 * 19 - 1
    subs = pd.read_parquet(built / "submissions.parquet")
    assert subs["rows_quarantined"].tolist() == [0]
    poverty = pd.read_parquet(built / "poverty.parquet")
    assert len(poverty) == 10 and poverty["poverty_rate_end"].notna().all()
