"""A district code typed as a number (516) works wherever a library function takes one."""

from __future__ import annotations

import pandas.testing as pdt

import ketnghia_analysis as kn
from ketnghia_analysis.analysis import indicators
from ketnghia_analysis.reporting import scoping


def test_int_and_text_district_codes_select_the_same_rows(processed_dir):
    tables = kn.load(processed_dir)
    as_text = indicators.bottlenecks(tables, 2024, district_code="516")
    as_int = indicators.bottlenecks(tables, 2024, district_code=516)  # type: ignore[arg-type]
    assert len(as_text) > 0
    pdt.assert_frame_equal(as_int, as_text)
    rows = scoping.in_scope(tables["poverty"], 516)  # type: ignore[arg-type]
    assert len(rows) > 0 and set(rows["district_code"]) == {"516"}
    assert scoping.scope_name(tables, 516) == scoping.scope_name(tables, "516") != "Toàn tỉnh"  # type: ignore[arg-type]
