"""A sheet beyond a limit loses only itself (issue #19, item 5): `read_workbook` leaves it
out, never hands it to an engine that would allocate it, lists it in `Workbook.refused`
with the limit it exceeds, and reads the file's other sheets. A file with nothing else is
still rejected whole, with the reason it had before."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import hostile_files as hf
import pytest
from workbooks import write_with

from ketnghia_analysis.core.limits import Limits
from ketnghia_analysis.reading.cells import ReadError, ods, ooxml, read_workbook
from ketnghia_analysis.reading.sandbox import Failure, run_isolated

SMALL = Limits(max_rows=100)
BEYOND = "có ô ở dòng 150, vượt giới hạn 100 dòng"
GOOD_ROWS = [["Xã", "Số hộ"], ["Trà Mai", 1200], ["Trà Don", 800]]


def far_rows(row: int = 150) -> list[list[object]]:
    """A sheet with a cell at A1 and one at B`row`."""
    return [["ghi chú"], *([[]] * (row - 2)), [None, 7]]


def two_sheets(tmp_path: Path, writer: str, suffix: str) -> Path:
    sheets = [{"name": "Số liệu", "rows": GOOD_ROWS}, {"name": "Phụ lục", "rows": far_rows()}]
    return write_with(tmp_path, f"hai_trang{suffix}", writer, sheets)


@pytest.mark.parametrize(
    ("writer", "suffix"),
    [("xlsxwriter", ".xlsx"), ("openpyxl", ".xlsx"), ("xlwt", ".xls"), ("ods", ".ods")],
)
def test_a_sheet_beyond_the_row_limit_is_left_out_alone(tmp_path, writer, suffix):
    wb = read_workbook(two_sheets(tmp_path, writer, suffix), SMALL)
    assert [s.name for s in wb.sheets] == ["Số liệu"]
    assert wb.sheets[0].rows[1] == ["Trà Mai", 1200]
    assert wb.refused == [("Phụ lục", BEYOND)]


def test_a_sheet_beyond_the_column_limit_is_left_out_alone(tmp_path):
    sheets = [
        {"name": "Số liệu", "rows": GOOD_ROWS},
        {"name": "Rộng", "rows": [["a", *([None] * 8), "z"]]},
    ]
    wb = read_workbook(write_with(tmp_path, "rong.xlsx", "xlsxwriter", sheets), Limits(max_cols=5))
    assert [s.name for s in wb.sheets] == ["Số liệu"]
    assert wb.refused == [("Rộng", "có ô ở cột J (cột thứ 10), vượt giới hạn 5 cột")]


def test_an_html_table_beyond_the_limits_is_left_out_alone(tmp_path):
    big = "<table>" + "".join(f"<tr><td>{r}</td><td>x</td></tr>" for r in range(150)) + "</table>"
    good = "<table><tr><td>Xã</td><td>Số hộ</td></tr><tr><td>Trà Mai</td><td>1200</td></tr></table>"
    path = tmp_path / "web.xls"
    path.write_text(f"<html><body>{good}{big}</body></html>", encoding="utf-8")
    wb = read_workbook(path, SMALL)
    assert [s.name for s in wb.sheets] == ["Bảng 1"]
    assert wb.sheets[0].rows == [["Xã", "Số hộ"], ["Trà Mai", "1200"]]
    # The page is parsed as a stream: the table is refused at its first cell beyond the limit.
    assert wb.refused == [("Bảng 2", "có ô ở dòng 101, vượt giới hạn 100 dòng")]


def test_an_html_span_beyond_the_limits_is_refused_before_its_cells_are_marked(tmp_path):
    good = "<table><tr><td>Xã</td><td>Số hộ</td></tr><tr><td>Trà Mai</td><td>1200</td></tr></table>"
    bomb = "<table><tr><td rowspan='60000' colspan='1000'>x</td><td>y</td></tr></table>"
    path = tmp_path / "span.xls"
    path.write_text(f"<html><body>{good}{bomb}</body></html>", encoding="utf-8")
    wb = read_workbook(path)  # 60,000 × 1,000 cells: beyond 20 million, none marked
    assert [s.name for s in wb.sheets] == ["Bảng 1"]
    assert wb.refused == [
        ("Bảng 2", "trải trên 60.000 × 1.000 = 60.000.000 ô, vượt giới hạn 20.000.000 ô")
    ]


def test_an_xml2003_worksheet_beyond_the_limits_is_left_out_alone(tmp_path):
    def worksheet(name: str, rows: str) -> str:
        return f'<Worksheet ss:Name="{name}"><Table>{rows}</Table></Worksheet>'

    cell = '<Cell><Data ss:Type="String">{}</Data></Cell>'
    xml = (
        '<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">'
        + worksheet(
            "Phụ lục",
            "<Row>" + cell.format("a") + '</Row><Row ss:Index="150">' + cell.format("b") + "</Row>",
        )
        + worksheet("Số liệu", "<Row>" + cell.format("Xã") + cell.format("Trà Mai") + "</Row>")
        + "</Workbook>"
    )
    path = tmp_path / "xml2003.xls"
    path.write_text(xml, encoding="utf-8")
    wb = read_workbook(path, SMALL)
    assert [(s.name, s.rows) for s in wb.sheets] == [("Số liệu", [["Xã", "Trà Mai"]])]
    assert wb.refused == [("Phụ lục", BEYOND)]


def test_an_ods_table_beyond_the_limits_never_reaches_calamine(tmp_path, monkeypatch):
    """calamine builds every ODS table when it opens the file: the table is cut out first."""
    seen: list[bytes] = []
    real = ods.calamine_sheets

    def spy(data, *skip):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            seen.append(zf.read("content.xml"))
        return real(data, *skip)

    monkeypatch.setattr(ods, "calamine_sheets", spy)
    wb = read_workbook(two_sheets(tmp_path, "ods", ".ods"), SMALL)
    assert wb.refused == [("Phụ lục", BEYOND)]
    assert len(seen) == 1 and "Số liệu".encode() in seen[0]
    assert "Phụ lục".encode() not in seen[0] and b"ghi ch" not in seen[0]


def test_openpyxl_fallback_leaves_the_refused_sheet_out_too(tmp_path, monkeypatch):
    def panic(data, *skip):
        raise RuntimeError("calamine hỏng")

    monkeypatch.setattr(ooxml, "calamine_sheets", panic)
    wb = read_workbook(two_sheets(tmp_path, "xlsxwriter", ".xlsx"), SMALL)
    assert wb.engine == "openpyxl"
    assert [s.name for s in wb.sheets] == ["Số liệu"]
    assert wb.refused == [("Phụ lục", BEYOND)]


def test_a_file_of_refused_sheets_only_is_rejected_as_before(tmp_path):
    with pytest.raises(ReadError) as err:
        read_workbook(hf.write_far_cell(tmp_path / "xa.xlsx"))
    assert err.value.code == "FILE_LIMIT"
    assert err.value.message == "Trang 'Data' có ô ở dòng 1.048.576, vượt giới hạn 250.000 dòng."


def test_a_refused_sheet_beside_empty_sheets_rejects_the_file_for_the_limit(tmp_path):
    sheets = [{"name": "Trống", "rows": []}, {"name": "Phụ lục", "rows": far_rows()}]
    with pytest.raises(ReadError) as err:
        read_workbook(write_with(tmp_path, "a.xlsx", "xlsxwriter", sheets), SMALL)
    assert err.value.code == "FILE_LIMIT"
    assert err.value.message == f"Trang 'Phụ lục' {BEYOND}."


def test_a_csv_beyond_the_limits_is_still_rejected(tmp_path):
    """A CSV is one sheet: leaving it out leaves nothing."""
    path = tmp_path / "dai.csv"
    path.write_text("".join(f"{r};x\n" for r in range(150)), encoding="utf-8")
    with pytest.raises(ReadError) as err:
        read_workbook(path, SMALL)
    assert err.value.code == "FILE_LIMIT"


def test_the_far_cell_beside_a_good_sheet_in_the_sandbox(tmp_path):
    """write_far_cell's sheet (XFD1048576: calamine would ask for 512 GiB and abort) as the
    second sheet of a good workbook: the worker survives and reads the good sheet."""
    path = two_sheets(tmp_path, "xlsxwriter", ".xlsx")
    hf.add_far_cell_sheet(path)
    ((_, outcome),) = list(
        run_isolated(hf.read_summary, [path], workers=1, memory_mb=1024, timeout_s=60)
    )
    assert not isinstance(outcome, Failure), outcome
    assert outcome == ("xlsx", [("Số liệu", 3, 2)])
