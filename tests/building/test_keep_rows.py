"""Keep rows (issue #20): a bad value nulls its cell with a warning and the row stays; a row is
set aside only when its identity is lost or none of its values is usable; the rules across
fields never read an unread cell as 0; an info note never quarantines."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from ketnghia_analysis.building import rulebook, schemas
from ketnghia_analysis.core.address import a1
from ketnghia_analysis.core.issues import Issue
from ketnghia_analysis.reference.contract import columns


def _tiny_returns():
    """The hand-made forms of test_normalise.py (tests are not a package: loaded by path)."""
    path = Path(__file__).with_name("test_normalise.py")
    spec = importlib.util.spec_from_file_location("_tiny_returns_of_test_normalise", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_t = _tiny_returns()
NTM_COLS, POV_COLS, form, ntm_records = _t.NTM_COLS, _t.POV_COLS, _t.form, _t.ntm_records
only, poverty_records, quarantined_rows, run = (
    _t.only,
    _t.poverty_records,
    _t.quarantined_rows,
    _t.run,
)
normaliser = _t.normaliser  # the fixture


def unread(records: pd.DataFrame, row: int, column: str, raw: str, code="VALUE_NOT_NUMERIC"):
    """Cell (Excel row, column) as the reader leaves a value it cannot read: the record holds
    None and the form carries the reader's error at that cell."""
    i = int((records["source_row"] == row).to_numpy().nonzero()[0][0])
    records[column] = records[column].astype(object)
    records.loc[i, column] = None
    cols = NTM_COLS if column in NTM_COLS and column != "commune" else POV_COLS
    return Issue(
        severity="error",
        code=code,
        message=f"Giá trị “{raw}” không phải là số",
        source_file="516/bc_2023.xlsx",
        source_sheet="Biểu 02",
        cell=a1(row - 1, cols[column]),
        value=raw,
        row=row,
    )


def with_issues(f, *issues):
    f.issues = list(issues)
    return f


def test_a_bad_value_nulls_its_cell_and_keeps_the_row(normaliser):
    records = poverty_records()
    finding = unread(records, 10, "households_total", "1.2O4")  # C10
    result = run(normaliser, [with_issues(form("poverty", records, POV_COLS), finding)])
    issue = only(result, "VALUE_NOT_NUMERIC")
    assert (issue.severity, issue.cell, issue.value) == ("warning", "C10", "1.2O4")
    assert "để trống" in issue.message and issue.message.endswith("[VALUE_NOT_NUMERIC]")
    assert quarantined_rows(result) == set()
    assert result.submission["rows_accepted"] == 10
    assert result.submission["cells_nulled"] == 1
    row = result.tables["poverty"].set_index("source_row").loc[10]
    assert pd.isna(row["households_total"]) and pd.isna(row["poverty_rate_end"])
    assert row["poor_end"] == 355  # the row's other values are kept


def test_values_the_rules_find_bad_are_nulled_in_the_tables(normaliser):
    records = poverty_records()
    records["near_poor_end"] = records["near_poor_end"].astype(object)
    records.loc[4, "near_poor_end"] = -3  # row 8, J: a number the reader let through
    result = run(normaliser, [form("poverty", records, POV_COLS)])
    assert only(result, "VALUE_NEGATIVE").severity == "warning"
    assert quarantined_rows(result) == set()
    poverty = result.tables["poverty"].set_index("source_row")
    assert pd.isna(poverty.loc[8, "near_poor_end"]) and poverty.loc[9, "near_poor_end"] == 100
    assert result.submission["cells_nulled"] == 1


def test_a_row_with_no_usable_value_is_quarantined(normaliser):
    records = poverty_records()
    value_columns = [c for c in POV_COLS if c != "commune"]
    findings = [unread(records, 6, c, "?x") for c in value_columns[:2]]
    for c in value_columns[2:]:  # the rest of the row left blank
        records[c] = records[c].astype(object)
        records.loc[2, c] = None
    result = run(normaliser, [with_issues(form("poverty", records, POV_COLS), *findings)])
    bad = [i for i in result.issues if i.code == "VALUE_NOT_NUMERIC"]
    assert {i.severity for i in bad} == {"error"} and len(bad) == 2
    assert quarantined_rows(result) == {6}
    assert result.quarantine.iloc[0]["codes"] == "VALUE_NOT_NUMERIC"
    assert result.submission["cells_nulled"] == 0  # nothing of the row is in the tables


def test_an_unread_flow_is_unknown_not_zero(normaliser):
    """poverty_new unreadable: the identity cannot be checked, so it is no error."""
    records = poverty_records()
    finding = unread(records, 7, "poverty_new", "3 hộ?")
    result = run(normaliser, [with_issues(form("poverty", records, POV_COLS), finding)])
    assert [i.code for i in result.issues] == ["VALUE_NOT_NUMERIC"]
    assert quarantined_rows(result) == set()


def test_a_total_over_an_unread_cell_is_not_a_mismatch(normaliser):
    records = poverty_records()
    finding = unread(records, 5, "households_total", "n/a")
    totals = pd.DataFrame(
        [{"commune": "Tổng cộng", "households_total": 10450, "poor_end": 3550, "source_row": 14}]
    )
    f = with_issues(form("poverty", records, POV_COLS, totals=totals), finding)
    result = run(normaliser, [f])
    assert [i.code for i in result.issues] == ["VALUE_NOT_NUMERIC"]


def test_an_unread_mark_leaves_its_criterion_unknown(normaliser):
    records = ntm_records()  # 15 marks met, reported 15
    finding = unread(records, 5, "c03", "Đ?", code="VALUE_BAD_MARK")  # a met mark, unread
    result = run(
        normaliser, [with_issues(form("ntm", records, NTM_COLS, sheet="Biểu 03"), finding)]
    )
    assert [(i.code, i.severity) for i in result.issues] == [("VALUE_BAD_MARK", "warning")]
    criteria = result.tables["ntm_criteria"]
    assert len(criteria) == 10 * 19 - 1  # no row says criterion 3 of row 5 is not met
    assert not ((criteria["source_row"] == 5) & (criteria["criterion"] == 3)).any()
    status = result.tables["ntm_status"].set_index("source_row")
    assert status.loc[5, "criteria_met"] == 15  # 14 counted + 1 unread: the reported 15 fits


def test_an_info_note_never_quarantines(normaliser):
    records = poverty_records()
    note = Issue(
        severity="info",
        code="VALUE_RATE_FRACTION",
        message="Cột I: tỷ lệ ghi dạng thập phân, đã đọc là 35,5 %",
        source_file="516/bc_2023.xlsx",
        source_sheet="Biểu 02",
        cell="I4",
        row=4,
    )
    result = run(normaliser, [with_issues(form("poverty", records, POV_COLS), note)])
    assert [(i.code, i.severity) for i in result.issues] == [("VALUE_RATE_FRACTION", "info")]
    assert quarantined_rows(result) == set() and result.submission["cells_nulled"] == 0


def test_the_contract_takes_notes_and_nulled_cells():
    assert "cells_nulled" in columns("submissions")
    frame = schemas.conform(
        pd.DataFrame([{"severity": "info", "code": "X_NOTE", "message": "Ghi chú [X_NOTE]"}]),
        "issues",
    )
    assert schemas.validate(frame, "issues").empty
    assert set(rulebook.SEVERITY_ORDER) == {"error", "warning", "info"}


@pytest.mark.parametrize("code", ["VALUE_NEGATIVE", "VALUE_NOT_NUMERIC"])
def test_value_rules_are_warnings_in_the_catalogue(code):
    assert rulebook.RULES[code][0] == "warning"
