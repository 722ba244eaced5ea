"""The normaliser takes a form's rows from the reader's plain columns (issue #18): every
finding, value, quarantine row and count is what the same form given as frames gives."""

from __future__ import annotations

import copy
import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fake_returns import a_return
from workbooks import POVERTY_HEADER, sheet

from ketnghia_analysis.building.normalise import Normaliser, _AddedColumns, normalise_return
from ketnghia_analysis.building.tabulate import plain
from ketnghia_analysis.reading.forms import recognise_sheet
from ketnghia_analysis.reading.reader import read_form, read_return
from ketnghia_analysis.reference import gazetteer
from ketnghia_analysis.reference.matching import CommuneMatcher
from ketnghia_analysis.reference.partners import PartnerRegistry


@pytest.fixture(scope="module")
def normaliser() -> Normaliser:
    return Normaliser(CommuneMatcher(), PartnerRegistry.load(), gazetteer.target_communes())


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two results differ, in value or in type (NaN equals NaN, pd.NA only pd.NA)."""
    if type(a) is not type(b):
        return [f"{path}: {a!r} != {b!r}"]
    if isinstance(a, dict):
        if list(a) != list(b):
            return [f"{path}: keys {list(a)} != {list(b)}"]
        return [d for k in a for d in differences(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list | tuple):
        if len(a) != len(b):
            return [f"{path}: {len(a)} != {len(b)} items"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in differences(x, y, f"{path}[{i}]")
        ]
    if isinstance(a, float) and math.isnan(a):
        return [] if math.isnan(b) else [f"{path}: nan != {b!r}"]
    if a is pd.NA or b is pd.NA:
        return [] if a is b else [f"{path}: {a!r} != {b!r}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def as_frames(ft: Any) -> Any:
    """The same form given as frames only (a frame the plain columns did not build wins)."""
    frames = dataclasses.replace(
        ft, records=ft.records.copy(), raw=ft.raw.copy(), totals=ft.totals.copy()
    )
    assert frames.plain is None
    return frames


def result(ret: Any, normaliser: Normaliser) -> dict[str, Any]:
    out = dataclasses.asdict(normalise_return(ret, normaliser))
    out["submission"].pop("read_at")
    return out


def same_either_way(ret: Any, normaliser: Normaliser) -> dict[str, Any]:
    """The result of a return read as plain columns, checked equal to its frames' result."""
    assert ret.forms and all(ft.plain is not None for ft in ret.forms)
    plain = result(ret, normaliser)
    other = copy.copy(ret)  # a ReturnRead or a hand-made one
    object.__setattr__(other, "forms", [as_frames(f) for f in ret.forms])
    frames = result(other, normaliser)
    assert differences(plain, frames) == []
    return plain


def read_rows(rows: list[list[Any]], **kw: Any) -> Any:
    v = recognise_sheet(sheet(rows, **kw))
    assert v.kind == "form", v.reason
    return read_form(v, "516/bc_2023.xlsx")


HN = [
    ["Biểu 02/HN"],
    POVERTY_HEADER[0][:9],  # STT, commune … rate
    [1, "Trà Mai", 1200, 400, 50, 2, 3, 355, "29,58"],
    [2, "Trà Don", 800, 300, "ba mươi", 0, "-", 260, "40"],  # text, a wrong rate
    [3, "Trà Cang", 900, 300, 40, 1, 1, 250, None],  # the identity does not hold
    [4, "Trà Mai", 500, 100, 10, 0, 0, 90, None],  # a duplicate
    [5, "Trà Xyz", 500, 100, 10, 0, 0, 90, None],  # no such commune
    [6, "Trà Linh", "?", "n/a", "x", "-x", "??", "...", None],  # nothing usable
    [7, "Trà Nam", 600, -5, 10, 0, 0, 90, None],  # negative
    [None, "Tổng cộng", 4000, 1200, 160, 3, 4, 1045, None],  # does not add up
]
NTM_TOP = (
    ["STT", "Xã", "Tiêu chí"]
    + [None] * 18
    + ["Tổng số tiêu chí đạt", "Mức độ đạt chuẩn", "Năm công nhận"]
)
NTM = [
    ["Biểu 03/NTM"],
    NTM_TOP,
    [None, None, *range(1, 20), None, None, None],
    [1, "Thị trấn Trà My", "Không đánh giá (phường, thị trấn)"] + [None] * 21,
    [2, "Trà Mai"] + ["Đạt"] * 19 + [19, "Đạt chuẩn NTM", 2023],
    [3, "Trà Don"] + ["x"] * 10 + ["?"] + ["-"] * 8 + [12, None, None],  # a bad mark, a total
    [4, "Trà Cang"] + ["x"] * 15 + ["-"] * 4 + [15, "Đạt chuẩn NTM", 2023],  # too few
]
NTM_MERGED = [(1, 0, 2, 0), (1, 1, 2, 1), (1, 2, 1, 20), (1, 21, 2, 21), (1, 22, 2, 22)]
KN = [
    ["Biểu 01/KN"],
    ["STT", "Xã được kết nghĩa", "Đơn vị kết nghĩa", "Loại hình đơn vị", "Hỗ trợ bằng tiền"],
    [1, "Trà Mai", "Sở Tài Chính tỉnh Quảng Nam", "Sở, ban, ngành tỉnh", 10],
    [2, "Trà Don", None, "doanh nghiệp", "1.234,5"],  # no partner
    [3, "Trà Don", "Sở Y tế", "LLVT", -3],
    [4, "Trà Don", "Sở Y tế", "LLVT", 4],  # a duplicate pair
    [None, "Cộng", None, None, 100],
]
MH = [
    ["Biểu 04/MH"],
    ["STT", "Tên mô hình", "Xã", "Đơn vị hỗ trợ", "Năm triển khai", "Số hộ", "Tình trạng"],
    [1, "Nuôi bò", "Trà Mai", "Sở Y tế", 2021, 10, "đang duy trì"],
    [2, "Trồng quế", None, "STC", "2019", "năm", "Đã nhân rộng"],
    [3, "Cá", "Trà Don", "STC", "hai nghìn", 8, "tốt"],
]


@pytest.fixture(scope="module")
def forms() -> list[Any]:
    return [
        read_rows(HN, name="Biểu 02"),
        read_rows(NTM, name="Biểu 03", merged=NTM_MERGED + [(3, 2, 3, 20)]),
        read_rows(KN, name="Biểu 01"),
        read_rows(MH, name="Biểu 04"),
    ]


def test_rules_values_and_quarantine_are_the_same_from_plain_columns(forms, normaliser):
    out = same_either_way(a_return(forms), normaliser)
    codes = {i["code"] for i in out["issues"]}
    # the rules all had something to say, on every path through the rows
    assert {
        "POVERTY_IDENTITY",
        "DUPLICATE_COMMUNE",
        "UNKNOWN_COMMUNE",
        "TOTAL_MISMATCH",
        "NTM_TOTAL_MISMATCH",
        "NTM_RECOGNIZED_INCOMPLETE",
        "MISSING_PARTNER",
    } <= codes
    assert any(c.startswith("VALUE_") for c in codes)
    assert out["quarantine_rows"] and out["submission"]["cells_nulled"] > 0
    assert out["submission"]["rows_structural"] >= 1  # the ward not assessed


def test_a_return_of_unknown_identity_quarantines_the_same_rows(forms, normaliser):
    out = same_either_way(
        a_return(forms, district=None, source_file="516/bc_2023.xlsx"), normaliser
    )
    assert {i["code"] for i in out["issues"]} == {"IDENTITY_UNKNOWN"}
    assert len(out["quarantine_rows"]) == sum(len(ft.records) for ft in forms) > 10


@pytest.mark.parametrize("year", ["2022", "2023"])  # each has quarantined rows
def test_the_sample_normalises_the_same_from_plain_columns(sample_raw: Path, normaliser, year):
    files = sorted(p for p in (sample_raw / year).rglob("*") if p.is_file())
    read = [r for r in (read_return(p, sample_raw) for p in files) if r.status == "read"]
    quarantined = sum(len(same_either_way(r, normaliser)["quarantine_rows"]) for r in read)
    assert len(read) >= 15 and quarantined > 0


@pytest.mark.parametrize(
    "values", [["a", None], ["a", "b"], [None, "x", ""], [None, None], [], [1, None], ["a", 1]]
)
def test_added_text_columns_hold_what_pandas_made_of_them(values):
    """Partner ids, names and types are added to the records without a Series when they are
    text: the records and the tables get what pandas' Series gave them."""
    recs: list[dict] = [{} for _ in values]
    added = _AddedColumns(recs)
    added.add("x", list(values), infer=True)
    column = pd.Series(values if values else np.array([]))
    assert differences([rec["x"] for rec in recs], column.tolist()) == []
    assert (
        differences(plain(added.arrays["x"], len(values)), plain(column.array, len(values))) == []
    )
