"""A hostile return, built and reported: every workbook stores its text as text, and no
control character (NUL, ESC) or Python warning reaches the report pages.

The return is the blank template (`ketnghia template`) filled as a district would, plus
partner names, notes, model names and a commune typed as formulas, DDE links and URLs,
one partner name and the file name carrying ESC and NUL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from filled_template import fill_template
from hostile_files import escape_control_markers

from ketnghia_analysis.building.build import build
from ketnghia_analysis.reading.template import write_template
from ketnghia_analysis.reporting.runner import run_reports

YEAR = 2024
PAYLOADS = [
    '=HYPERLINK("http://x","click")',
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "+1+1",
    "-2+3",
    "http://example.com",
]
# Cell text of the partner with control characters: openpyxl refuses them, so the XML
# escapes ("_x001B_" = ESC, "_x0000_" = NUL) replace these markers after saving.
ESCAPED_PARTNER = "Sở ⟨ESC⟩[31mKế hoạch ⟨NUL⟩"
FILE_NAME = "516 Nam Tra My 2024 \x1b[31mđỏ\x1b[0m.xlsx"
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Crafted:
    """The processed folder and the reports of the crafted return."""

    processed: Path
    reports: Path
    report_code: int


def _text(cell: openpyxl.cell.Cell, value: object) -> None:
    """Type ``value`` into a cell as text: openpyxl would make "=…" a formula."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


def _support_rows() -> list[tuple]:
    """Partners named by the payloads (notes too), one with controls, one unknown commune."""
    rows = [
        (p, "sở, ban, ngành tỉnh", "Xã Trà Mai", 2021, 10 + i, 1, 1, 5, 1, 1, 0, p)
        for i, p in enumerate(PAYLOADS)
    ]
    rows.append(
        (ESCAPED_PARTNER, "sở, ban, ngành tỉnh", "Xã Trà Mai", 2021, 5, 1, 1, 5, 1, 1, 0, "ghi chú")
    )
    rows.append(("Sở Xây dựng", "sở, ban, ngành tỉnh", PAYLOADS[1], 2021, 5, 1, 1, 5, 1, 1, 0, ""))
    return rows


def _write_return(path: Path) -> Path:
    """The filled template with the payloads typed in, controls put into its XML."""
    fill_template(write_template("516", YEAR, path))
    book = openpyxl.load_workbook(path)
    for r, row in enumerate(_support_rows(), start=9):
        for c, value in enumerate(row, start=1):
            _text(book["Biểu 01-KN"].cell(r, c), value)
    for r, name in enumerate(PAYLOADS, start=8):
        model = (name, "Xã Trà Mai", "Sở Tài chính", "chăn nuôi", 2022, 20, "Đang duy trì")
        for c, value in enumerate(model, start=1):
            _text(book["Biểu 04-MH"].cell(r, c), value)
    book.save(path)
    escape_control_markers(path)
    return path


@pytest.fixture(scope="module")
def crafted(tmp_path_factory) -> Crafted:
    """The crafted return built (in process) and its province and district reports."""
    base = tmp_path_factory.mktemp("crafted")
    raw = base / "raw"
    (raw / str(YEAR)).mkdir(parents=True)
    _write_return(raw / str(YEAR) / FILE_NAME)
    processed, reports = base / "processed", base / "reports"
    build(raw, processed, workers=1, progress=False, isolate=False)
    code = run_reports(
        YEAR, district="516", processed=processed, out=reports, workers=2, progress=False
    )
    return Crafted(processed, reports, code)


def _workbooks(crafted: Crafted) -> list[Path]:
    """Every workbook the build and the report run wrote."""
    return sorted(crafted.processed.rglob("*.xlsx")) + sorted(crafted.reports.rglob("*.xlsx"))


def _cells(path: Path):
    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            yield from row


def test_every_workbook_written_stores_the_payloads_as_text(crafted):
    names = {p.relative_to(p.parents[1]).as_posix() for p in _workbooks(crafted)}
    assert {"processed/issues.xlsx", "processed/codebook.xlsx"} <= names
    assert {"excel/tinh_2024.xlsx", "excel/huyen_516_2024.xlsx"} <= names
    assert any(name.startswith("feedback/") for name in names)
    for path in _workbooks(crafted):
        live = [
            (c.parent.title, c.coordinate, c.value)
            for c in _cells(path)
            if c.data_type == "f" or c.hyperlink is not None
        ]
        assert live == [], path.name
    report = crafted.reports / str(YEAR) / "excel" / "huyen_516_2024.xlsx"
    texts = {c.value for c in _cells(report) if c.data_type == "s"}
    assert set(PAYLOADS) <= texts  # every payload reached the report, as a string


def test_no_control_character_or_warning_reaches_the_report_pages(crafted):
    assert crafted.report_code == 0
    pages = sorted((crafted.reports / str(YEAR)).glob("*.html"))
    assert {p.name for p in pages} >= {"tinh_2024.html", "huyen_516_2024.html"}
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert _CONTROLS.findall(text) == [], page.name
        assert "Warning" not in text and "Glyph" not in text, page.name
    district = (crafted.reports / str(YEAR) / "huyen_516_2024.html").read_text(encoding="utf-8")
    assert "Sở [31mKế hoạch" in district  # the partner is still shown, without its controls
