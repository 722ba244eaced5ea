"""A sheet beyond the box limits loses only itself, through the reader, the normaliser and
the sandboxed build (issue #19, item 5): the file's form is ingested, and the refused sheet
is one error that names it and the limit."""

from __future__ import annotations

import hostile_files as hf
import pandas as pd
import pytest
from workbooks import POVERTY_HEADER, POVERTY_ROWS, TITLE_POVERTY, write_with

from ketnghia_analysis.building.build import build
from ketnghia_analysis.building.normalise import Normaliser, normalise_return
from ketnghia_analysis.core.limits import Limits
from ketnghia_analysis.reading.reader import read_return
from ketnghia_analysis.reference import gazetteer
from ketnghia_analysis.reference.matching import CommuneMatcher
from ketnghia_analysis.reference.partners import PartnerRegistry

FORM = {"name": "Biểu 02", "rows": TITLE_POVERTY + POVERTY_HEADER + POVERTY_ROWS}
FAR = {"name": "Phụ lục", "rows": [["ghi chú"], *([[]] * 148), [None, 7]]}  # B150


@pytest.fixture(scope="module")
def normaliser():
    return Normaliser(CommuneMatcher(), PartnerRegistry.load(), gazetteer.target_communes())


def refused_issue(issues, sheet: str = "Phụ lục"):
    found = [i for i in issues if i.code == "FILE_LIMIT"]
    assert len(found) == 1, [(i.code, i.message) for i in issues]
    assert (found[0].severity, found[0].source_sheet) == ("error", sheet)
    return found[0]


@pytest.mark.parametrize(
    ("writer", "suffix"),
    [("xlsxwriter", ".xlsx"), ("xlwt", ".xls"), ("ods", ".ods"), ("html", ".xls")],
)
def test_a_sheet_beyond_the_row_limit_loses_only_itself(tmp_path, normaliser, writer, suffix):
    path = write_with(tmp_path, f"nam_tra_my_2023{suffix}", writer, [FORM, FAR])
    got = read_return(path, tmp_path, limits=Limits(max_rows=100))
    assert got.status == "read", got.reason
    assert [f.form for f in got.forms] == ["poverty"]
    issue = refused_issue(got.issues, "Bảng 2" if writer == "html" else "Phụ lục")
    assert "có ô ở dòng 1" in issue.message and "vượt giới hạn 100 dòng" in issue.message
    assert "các trang khác của tệp vẫn được đọc" in issue.message
    assert issue.source_sheet in dict(got.skipped_sheets)

    result = normalise_return(got, normaliser)
    assert result.submission["status"] == "ingested"
    assert result.submission["rows_accepted"] == len(POVERTY_ROWS)
    assert len(result.tables["poverty"]) == len(POVERTY_ROWS)
    assert refused_issue(result.issues, issue.source_sheet).district_code == "516"


def test_within_the_limits_no_sheet_is_refused(tmp_path):
    path = write_with(tmp_path, "nam_tra_my_2023.xlsx", "xlsxwriter", [FORM, FAR])
    got = read_return(path, tmp_path)
    assert got.status == "read"
    assert not [i for i in got.issues if i.code == "FILE_LIMIT"]


def test_a_file_of_one_refused_sheet_is_rejected_with_the_same_reason(tmp_path):
    got = read_return(hf.write_far_cell(tmp_path / "xa.xlsx"), tmp_path)
    assert got.status == "rejected"
    assert got.reason == "Trang 'Data' có ô ở dòng 1.048.576, vượt giới hạn 250.000 dòng."


def test_the_far_cell_beside_a_form_through_the_sandboxed_build(tmp_path):
    """write_far_cell's sheet (XFD1048576) next to a good form, built in worker processes as
    `ketnghia build` does: no process dies, the form is ingested, the sheet is one error."""
    raw = tmp_path / "raw"
    path = write_with(raw, "2023/nam_tra_my_2023.xlsx", "xlsxwriter", [FORM, FAR])
    hf.add_far_cell_sheet(path)
    result = build(raw, tmp_path / "out", workers=1, progress=False, use_cache=False)
    assert result.exit_code == 1, result.message  # built, with an error-level issue
    subs = pd.read_parquet(tmp_path / "out" / "submissions.parquet").set_index("source_file")
    row = subs.loc["2023/nam_tra_my_2023.xlsx"]
    assert (row["status"], row["rows_accepted"]) == ("ingested", len(POVERTY_ROWS))
    issues = pd.read_parquet(tmp_path / "out" / "issues.parquet")
    mine = issues[issues["code"] == "FILE_LIMIT"]
    assert list(mine["source_sheet"]) == ["Phụ lục"]
    assert "có ô ở dòng 1.048.576, vượt giới hạn 250.000 dòng" in mine["message"].iloc[0]
