"""The reader hands each form over as plain columns (issue #18): the same values the typed
frames hold, each as the frame gives it to Python (pandas' NA as None: the reader workers
never import pandas), and the frames built only when asked for."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from workbooks import POVERTY_HEADER, POVERTY_ROWS, TITLE_POVERTY, sheet

from ketnghia_analysis.reading.forms import recognise_sheet
from ketnghia_analysis.reading.model import FormTable, plain_rows, record_frame
from ketnghia_analysis.reading.reader import read_form, read_return
from ketnghia_analysis.reference.synonyms import load_synonyms


def same(a: object, b: object) -> bool:
    """Equal values of the same type (NaN equals NaN, pd.NA only pd.NA)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)  # type: ignore[arg-type]
    if a is pd.NA:
        return b is pd.NA
    return bool(a == b)


def same_rows(plain: list[dict], frame: pd.DataFrame) -> bool:
    """Rows as dicts equal, key by key and value by value, to the rows of a frame as
    ``frame.to_numpy(dtype=object)`` gives them, pandas' NA as None."""
    names = list(frame.columns)
    rows = [
        {name: None if value is pd.NA else value for name, value in zip(names, row, strict=True)}
        for row in frame.to_numpy(dtype=object).tolist()
    ]
    return len(plain) == len(rows) and all(
        list(p) == list(r) and all(same(p[k], r[k]) for k in p)
        for p, r in zip(plain, rows, strict=True)
    )


def read_rows(rows, **kw) -> FormTable:
    v = recognise_sheet(sheet(rows, **kw))
    assert v.kind == "form", v.reason
    return read_form(v, "t.xlsx")


def poverty() -> FormTable:
    return read_rows(TITLE_POVERTY + POVERTY_HEADER + POVERTY_ROWS + [[None, "Tổng cộng", 2000]])


def test_every_form_of_the_sample_hands_over_the_rows_of_its_frames(sample_raw: Path):
    files = sorted(p for p in (sample_raw / "2023").rglob("*") if p.is_file())
    forms = [ft for p in files for ft in read_return(p, sample_raw).forms]
    assert {ft.form for ft in forms} == {"poverty", "ntm", "support", "models"}
    for ft in forms:
        plain = ft.plain
        assert plain is not None and plain.built("records") is None  # nothing built yet
        assert same_rows(plain.records.rows(), ft.records), (ft.sheet, "records")
        assert same_rows(plain.totals.rows(), ft.totals), (ft.sheet, "totals")
        assert same_rows(plain.raw.row_dicts(), ft.raw), (ft.sheet, "raw")
        assert ft.records is plain.built("records")  # built once, then kept


def test_the_totals_and_the_raw_cells_are_plain_too():
    ft = poverty()
    assert ft.plain is not None
    (total,) = ft.plain.totals.rows()
    assert list(total)[0] == "kind" and list(total)[-1] == "recomputed"
    assert (total["kind"], total["households_total"], total["recomputed"]) == ("total", 2000, False)
    assert total["poor_end"] is None and math.isnan(total["poverty_rate_end"])
    raw = ft.plain.raw.row_dicts()
    assert [r["poverty_new"] for r in raw] == ["3", "-"]
    assert [r["source_row"] for r in raw] == [7, 8]
    assert ft.raw["poverty_new"].tolist() == ["3", "-"]  # the frame, built when asked for


SPEC = load_synonyms().forms["poverty"]
EDGE_VALUES = [
    {"commune": ["Trà Mai", None], "poor_end": [3, None], "poverty_rate_end": [0.5, None]},
    {"commune": ["a", "b"], "poor_end": [3.0, 3.7], "households_total": [True, np.int64(4)]},
    {"commune": [1, "b"]},  # not text: pandas converts it
    {"commune": ["a\ud800", "b"]},  # a lone surrogate
    {"commune": [np.str_("Trà Mai"), "b"]},
    {"poor_end": [2**63, 1]},  # beyond int64
    {"poor_end": [-(2**63), 2**63 - 1]},  # the bounds of int64
    {"poverty_rate_end": ["x", 1.0]},
    {"poor_end": [1, "x"]},
    {"poor_end": [float("nan"), 1]},
    {"poverty_rate_end": [10**400, 1]},
    {"commune": ["a", "b", "c"]},  # a column longer than the rows
]


@pytest.mark.parametrize("values", EDGE_VALUES)
def test_plain_rows_give_the_values_or_the_error_of_the_frame(values):
    def outcome(build):
        try:
            return build(), None
        except Exception as exc:  # noqa: BLE001 - the error itself is compared
            return None, (type(exc), str(exc))

    frame, frame_error = outcome(lambda: record_frame(SPEC, dict(values), [5, 6]))
    plain, plain_error = outcome(lambda: plain_rows(SPEC, dict(values), [5, 6]))
    assert plain_error == frame_error
    if frame is not None:
        assert plain is not None and same_rows(plain.rows(), frame)
        pd.testing.assert_frame_equal(plain.make_frame(), frame)


def test_a_frame_given_wins_and_drops_the_plain_columns():
    ft = poverty()
    assert ft.plain is not None
    records = ft.records.iloc[:1].reset_index(drop=True)
    other = dataclasses.replace(ft, records=records)
    assert other.plain is None and other.records is records
    pd.testing.assert_frame_equal(other.totals, ft.totals)
    assert other.record_values("commune") == ["Xã Trà Mai"]
    # replacing anything else keeps them: the frames built so far are the plain columns'
    kept = dataclasses.replace(ft, issues=[])
    assert kept.plain is ft.plain
    assert kept.record_values("commune") == ["Xã Trà Mai", "Trà Don"]


def test_a_table_of_frames_only_is_read_as_before():
    ft = poverty()
    frames = {"records": ft.records.copy(), "raw": ft.raw.copy(), "totals": ft.totals.copy()}
    fields = {f.name: getattr(ft, f.name) for f in dataclasses.fields(FormTable)}
    table = FormTable(**{**fields, **frames, "plain": None})
    assert table.records is frames["records"] and table.plain is None
    assert table.record_values("households_total") == [1200, 800]
    assert table.record_values("level") is None
    with pytest.raises(ValueError, match="no frame and no plain columns"):
        FormTable(**{**fields, "records": None, "plain": None})
