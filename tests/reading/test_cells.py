"""reading.cells: the same small return read exactly from every format, sniffing by content,
engine fallbacks. Hostile files are in test_hostile.py."""

from __future__ import annotations

import shutil
from datetime import date

import hostile_files as hf
import pytest

from ketnghia_analysis.reading.cells import (
    Limits,
    ReadError,
    ooxml,
    read_workbook,
    sniff_format,
    xls,
)

TITLE_ROW = ["BÁO CÁO HỘ NGHÈO NĂM 2023", None, None, None, None, None]
DATE_ROW = [None, "Ngày báo cáo", date(2023, 12, 15), None, None, None]
HEADER_ROW = ["STT", "Xã", "Tổng số hộ", "Hộ nghèo", "Tỷ lệ", "Ghi chú"]
DATA_ROWS = [
    [1, "Trà Mai", 1200, 150, 0.125, None],
    [2, "Trà Don", 800, 96, 0.12, "x"],
    [3, "Trà Cang", 500, 75, 0.15, None],
]
MERGED = [(0, 0, 0, 5), (6, 0, 6, 1)]  # A1:F1 and A7:B7


def _check_reference_sheets(wb, totals):
    """The layout written by hostile_files.write_good_* (see its docstring)."""
    main, draft = wb.sheets
    assert (main.name, main.index, main.visible) == ("Biểu 02", 0, True)
    assert (draft.name, draft.visible) == ("Nháp", False)
    assert draft.rows == [["bản nháp"]]
    assert main.rows[:6] == [TITLE_ROW, DATE_ROW, HEADER_ROW, *DATA_ROWS]
    assert main.rows[6] == ["Tổng", None, *totals, None, None]
    assert len(main.rows) == 7
    assert sorted(main.merged) == MERGED
    assert main.hidden_rows == {5}
    assert main.hidden_cols == {5}


def test_xlsx_written_by_openpyxl(tmp_path):
    path = hf.write_good_xlsx(tmp_path / "bao_cao.xlsx")
    wb = read_workbook(path)
    assert (wb.format, wb.engine) == ("xlsx", "calamine")
    # Formulas written by a script carry no cached value: calamine shows nothing,
    # the XML pass recovers the formula text.
    _check_reference_sheets(wb, totals=[None, None])
    main = wb.sheets[0]
    assert main.uncached_formulas == {(6, 2): "=SUM(C4:C6)", (6, 3): "=SUM(D4:D6)"}
    assert main.formula_cells == {(6, 2), (6, 3)}
    assert wb.modified is not None  # docProps/core.xml
    assert wb.notes == []


def test_xls_written_by_xlwt(tmp_path):
    wb = read_workbook(hf.write_good_xls(tmp_path / "bao_cao.xls"))
    assert wb.format == "xls"
    _check_reference_sheets(wb, totals=[2500, 321])
    assert wb.sheets[0].uncached_formulas == {}


def test_ods_written_by_odfpy(tmp_path):
    wb = read_workbook(hf.write_good_ods(tmp_path / "bao_cao.ods"))
    assert wb.format == "ods"
    _check_reference_sheets(wb, totals=[2500, 321])


def test_xls_named_xlsx_and_xlsx_named_xls(tmp_path):
    xls_as_xlsx = tmp_path / "that_la_xls.xlsx"
    shutil.copy(hf.write_good_xls(tmp_path / "a.xls"), xls_as_xlsx)
    assert sniff_format(xls_as_xlsx) == "xls"
    _check_reference_sheets(read_workbook(xls_as_xlsx), totals=[2500, 321])
    xlsx_as_xls = tmp_path / "that_la_xlsx.xls"
    shutil.copy(hf.write_good_xlsx(tmp_path / "b.xlsx"), xlsx_as_xls)
    assert sniff_format(xlsx_as_xls) == "xlsx"
    _check_reference_sheets(read_workbook(xlsx_as_xls), totals=[None, None])


def test_html_table_saved_as_xls(tmp_path):
    wb = read_workbook(hf.write_html_xls(tmp_path / "xuat_tu_web.xls"))
    assert (wb.format, wb.engine) == ("html", "html.parser")
    (sheet,) = wb.sheets
    # Cell text is kept as typed (numbers parsed downstream); rowspan/colspan are merges.
    assert sheet.rows == [
        TITLE_ROW,
        [None, "Ngày báo cáo", "15/12/2023", None, None, None],
        HEADER_ROW,
        ["1", "Trà Mai", "1.200", "150", "12,5%", None],
        ["2", None, "800", "96", "12%", "x"],
        ["3", "Trà Cang", "500", "75", "15%", None],
    ]
    assert sorted(sheet.merged) == [(0, 0, 0, 5), (3, 1, 4, 1)]
    assert sheet.hidden_rows == {5}  # <tr style="display: none">


def test_html_layout_table_and_excel_numbers(tmp_path):
    page = (
        "<!DOCTYPE html><html><body><table><tr><td>Logo</td></tr><tr><td>"
        "<table><tr><td>Xã</td><td x:num='1200'>1.200</td></tr>"
        "<tr><td>Trà Mai</td><td>5</td></tr></table>"
        "</td></tr></table></body></html>"
    )
    path = tmp_path / "web.xls"
    path.write_text(page, encoding="utf-8")
    (sheet,) = read_workbook(path).sheets  # the outer layout table is not data
    assert sheet.rows == [["Xã", 1200.0], ["Trà Mai", "5"]]


def test_xml_spreadsheet_2003_saved_as_xls(tmp_path):
    wb = read_workbook(hf.write_xml2003_xls(tmp_path / "web_2003.xls"))
    assert wb.format == "xml2003"
    _check_reference_sheets(wb, totals=[2500, 321])
    assert wb.sheets[0].formula_cells == {(6, 2)}


def test_xml_spreadsheet_2003_with_entities_is_refused(tmp_path):
    path = tmp_path / "lol.xls"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>',
        encoding="utf-8",
    )
    with pytest.raises(ReadError) as err:
        read_workbook(path)
    assert err.value.code == "FILE_CORRUPT"


def test_csv_renamed_xls(tmp_path):
    wb = read_workbook(hf.write_csv_as_xls(tmp_path / "export.xls"))
    assert wb.format == "csv"
    (sheet,) = wb.sheets
    assert sheet.rows[0] == HEADER_ROW
    assert sheet.rows[1] == ["1", "Trà Mai", "1200", "150", "0.125", None]
    assert len(sheet.rows) == 4


def test_csv_in_windows_vietnamese_code_page(tmp_path):
    path = tmp_path / "cp1258.csv"
    # cp1258 writes tone marks as combining characters: "Trà" is T r a + U+0300 (0xCC),
    # which is not valid UTF-8, so the reader must fall back to the code page.
    path.write_bytes("Xa\u0303,S\u00f4\u0301 ho\u0323\nTra\u0300 Mai,12\n".encode("cp1258"))
    rows = read_workbook(path).sheets[0].rows
    assert rows == [["Xa\u0303", "S\u00f4\u0301 ho\u0323"], ["Tra\u0300 Mai", "12"]]


@pytest.mark.parametrize(
    ("builder", "fmt"),
    [
        (hf.write_good_xlsx, "xlsx"),
        (hf.write_good_xls, "xls"),
        (hf.write_good_ods, "ods"),
        (hf.write_html_xls, "html"),
        (hf.write_csv_as_xls, "csv"),
        (hf.write_xlsm, "xlsm"),
        (hf.write_xml2003_xls, "xml2003"),
        (hf.write_unicode_text_xls, "csv"),
    ],
)
def test_sniff_ignores_the_extension(tmp_path, builder, fmt):
    assert sniff_format(builder(tmp_path / "ten_bat_ky.dat")) == fmt


def test_xlsm_is_read_as_data_macros_ignored(tmp_path):
    wb = read_workbook(hf.write_xlsm(tmp_path / "macro.xlsm"))
    assert wb.format == "xlsm"
    assert wb.sheets[0].rows == [["Xã", 42.0]]
    assert any("macro" in note for note in wb.notes)


def test_shared_and_string_formulas(tmp_path):
    wb = read_workbook(hf.write_uncached_shared_formulas(tmp_path / "f.xlsx"))
    sheet = wb.sheets[0]
    # A3 is the master of a shared formula; B3 is its child (references shifted);
    # C3 has a cached 9; D3 is a text formula whose cached value is "" (not uncached).
    assert sheet.uncached_formulas == {(2, 0): "=A1+A2", (2, 1): "=B1+B2"}
    assert sheet.formula_cells == {(2, 0), (2, 1), (2, 2), (2, 3)}
    assert sheet.rows[2] == [None, None, 9.0, None]


def test_hidden_rows_from_zero_height_default(tmp_path):
    # sheetFormatPr zeroHeight="1": rows are hidden unless listed (Excel's "hide all below").
    body = (
        '<row r="1"><c r="A1"><v>1</v></c></row><row r="3"><c r="A3"><v>3</v></c></row>'
        '<row r="4" hidden="1"><c r="A4"><v>4</v></c></row>'
    )
    xml = hf.sheet_xml(body, "A1:A4", head='<sheetFormatPr defaultRowHeight="15" zeroHeight="1"/>')
    sheet = read_workbook(hf.write_raw_xlsx(tmp_path / "z.xlsx", xml)).sheets[0]
    assert sheet.hidden_rows == {1, 3}


def test_prefixed_namespace_and_cells_without_references(tmp_path):
    body = (
        '<x:row r="2"><x:c r="B2" t="inlineStr"><x:is><x:t>Xã</x:t></x:is></x:c>'
        '<x:c r="C2"><x:f>1+1</x:f></x:c></x:row>'
        '<x:row r="3" hidden="1"><x:c><x:v>7</x:v></x:c><x:c><x:v>8</x:v></x:c></x:row>'
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<x:sheetData>{body}</x:sheetData></x:worksheet>"
    )
    sheet = read_workbook(hf.write_raw_xlsx(tmp_path / "x.xlsx", xml)).sheets[0]
    assert sheet.rows == [[None, None, None], [None, "Xã", None], [7.0, 8.0, None]]
    assert sheet.hidden_rows == {2}
    assert sheet.uncached_formulas == {(1, 2): "=1+1"}


def test_declared_dimension_alone_is_not_a_reason_to_reject(tmp_path):
    wb = read_workbook(hf.write_declared_dimension_only(tmp_path / "dim.xlsx"))
    assert wb.sheets[0].rows == [[1.0, 2.0]]
    assert any("A1:XFD1048576" in note for note in wb.notes)


def test_empty_workbook_is_file_empty(tmp_path):
    import openpyxl

    path = tmp_path / "trong.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(ReadError) as err:
        read_workbook(path)
    assert err.value.code == "FILE_EMPTY"


class _FakePanic(BaseException):
    """Stands for pyo3's PanicException, which is a BaseException."""


def test_calamine_panic_on_xlsx_falls_back_to_openpyxl(tmp_path, monkeypatch):
    def panic(data, *skip):
        raise _FakePanic("called `Option::unwrap()` on a `None` value")

    monkeypatch.setattr(ooxml, "calamine_sheets", panic)
    wb = read_workbook(hf.write_good_xlsx(tmp_path / "a.xlsx"))
    assert wb.engine == "openpyxl"
    assert any("openpyxl" in note for note in wb.notes)
    _check_reference_sheets(wb, totals=[None, None])
    # Visibility and formulas still come from the XML pass.
    assert wb.sheets[0].uncached_formulas == {(6, 2): "=SUM(C4:C6)", (6, 3): "=SUM(D4:D6)"}


def test_calamine_empty_xls_sheet_is_read_again_with_xlrd(tmp_path, monkeypatch):
    real = xls.calamine_sheets

    def empty_sheets(data, *skip):
        sheets, notes = real(data, *skip)
        for s in sheets:
            s.rows = []
        return sheets, notes

    monkeypatch.setattr(xls, "calamine_sheets", empty_sheets)
    wb = read_workbook(hf.write_good_xls(tmp_path / "a.xls"))
    assert wb.engine == "calamine+xlrd"
    assert sum("xlrd" in note for note in wb.notes) == 2
    main = wb.sheets[0]
    assert main.rows[3] == [1, "Trà Mai", 1200, 150, 0.125, None]
    assert main.rows[1][2] == date(2023, 12, 15)
    assert sorted(main.merged) == MERGED


def test_calamine_failure_on_xls_uses_xlrd(tmp_path, monkeypatch):
    def panic(data, *skip):
        raise _FakePanic("boom")

    monkeypatch.setattr(xls, "calamine_sheets", panic)
    wb = read_workbook(hf.write_good_xls(tmp_path / "a.xls"))
    assert wb.engine == "xlrd"
    _check_reference_sheets(wb, totals=[2500, 321])


def test_both_engines_failing_is_one_read_error(tmp_path, monkeypatch):
    def panic(data, *skip):
        raise _FakePanic("boom")

    monkeypatch.setattr(ooxml, "calamine_sheets", panic)
    monkeypatch.setattr(ooxml, "_openpyxl_sheets", panic)
    with pytest.raises(ReadError) as err:
        read_workbook(hf.write_good_xlsx(tmp_path / "a.xlsx"))
    assert err.value.code == "FILE_CORRUPT"
    assert "openpyxl" in err.value.message


def test_keyboard_interrupt_is_not_swallowed(tmp_path, monkeypatch):
    def interrupt(data, *skip):
        raise KeyboardInterrupt

    monkeypatch.setattr(ooxml, "calamine_sheets", interrupt)
    with pytest.raises(KeyboardInterrupt):
        read_workbook(hf.write_good_xlsx(tmp_path / "a.xlsx"))


def test_openpyxl_parses_with_defusedxml():
    import openpyxl

    assert openpyxl.DEFUSEDXML is True


def test_limits_are_configurable(tmp_path):
    # Biểu 02 reaches row 7: beyond max_rows=5 it is left out, the sheet "Nháp" is read
    # (issue #19: a sheet beyond a limit loses only itself).
    path = hf.write_good_xlsx(tmp_path / "a.xlsx")
    wb = read_workbook(path, Limits(max_rows=5))
    assert [s.name for s in wb.sheets] == ["Nháp"]
    assert wb.refused == [("Biểu 02", "có ô ở dòng 7, vượt giới hạn 5 dòng")]
    with pytest.raises(ReadError) as err:
        read_workbook(path, Limits(max_file_bytes=100))
    assert err.value.code == "FILE_LIMIT"


def test_read_error_pickles_with_its_code():
    import pickle

    err = pickle.loads(pickle.dumps(ReadError("FILE_EMPTY", "Tệp trống.")))
    assert (err.code, err.message) == ("FILE_EMPTY", "Tệp trống.")
    assert str(err) == "Tệp trống. [FILE_EMPTY]"


def test_formatted_empty_rows_and_cells_far_below_are_not_data(tmp_path):
    # Excel keeps <row> elements for formatted rows and value-less styled cells;
    # calamine ignores them, so the limits must too (this file is legitimate).
    body = (
        '<row r="1"><c r="A1"><v>1</v></c></row>'
        '<row r="900000" s="2" customFormat="1"/>'
        '<row r="1048576" s="2" customFormat="1"><c r="XFD1048576" s="1"/></row>'
    )
    path = hf.write_raw_xlsx(tmp_path / "dinh_dang.xlsx", hf.sheet_xml(body, "A1"))
    assert read_workbook(path).sheets[0].rows == [[1.0]]


def test_unicode_text_export_is_read_as_csv(tmp_path):
    wb = read_workbook(hf.write_unicode_text_xls(tmp_path / "unicode.xls"))
    assert wb.format == "csv"
    assert wb.sheets[0].rows[:2] == [HEADER_ROW, ["1", "Trà Mai", "1200", "150", "0.125", None]]


def test_ods_repeated_empty_rows_do_not_count(tmp_path):
    # LibreOffice ends a sheet with ~1,048,000 repeated empty rows: not data.
    path = hf.write_ods_repeated_rows(tmp_path / "a.ods", repeat=3)
    assert read_workbook(path).sheets[0].rows == [[1.0], [1.0], [1.0]]


def test_calamine_empty_xlsx_sheet_is_read_again_with_openpyxl(tmp_path, monkeypatch):
    real = ooxml.calamine_sheets

    def empty_first_sheet(data, *skip):
        sheets, notes = real(data, *skip)
        sheets[0].rows = []
        return sheets, notes

    monkeypatch.setattr(ooxml, "calamine_sheets", empty_first_sheet)
    wb = read_workbook(hf.write_good_xlsx(tmp_path / "a.xlsx"))
    assert wb.engine == "calamine+openpyxl"
    assert any("Biểu 02" in note and "openpyxl" in note for note in wb.notes)
    _check_reference_sheets(wb, totals=[None, None])


def test_styled_empty_sheet_is_not_read_twice(tmp_path, monkeypatch):
    body = '<row r="1"><c r="A1" s="1"/><c r="B1" s="1"/></row>'
    path = hf.write_raw_xlsx(tmp_path / "kieu.xlsx", hf.sheet_xml(body, "A1:B1"))

    def must_not_run(data, *skip):
        raise AssertionError("openpyxl re-read for a sheet with no values")

    monkeypatch.setattr(ooxml, "_openpyxl_sheets", must_not_run)
    with pytest.raises(ReadError) as err:
        read_workbook(path)
    assert err.value.code == "FILE_EMPTY"


def test_hidden_columns_beyond_the_data_are_dropped(tmp_path):
    head = '<cols><col min="2" max="2" hidden="1"/><col min="4" max="16384" hidden="1"/></cols>'
    body = '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c><c r="E1"><v>5</v></c></row>'
    path = hf.write_raw_xlsx(tmp_path / "an_cot.xlsx", hf.sheet_xml(body, "A1:E1", head=head))
    assert read_workbook(path).sheets[0].hidden_cols == {1, 3, 4}
