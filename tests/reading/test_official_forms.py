"""The official poverty-review forms A-D (../shared/spec/official-forms.md): recognised and
read at every compilation level, one test per layout feature, on tiny workbooks built here."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from openpyxl.utils import get_column_letter
from workbooks import POVERTY_HEADER, POVERTY_ROWS, TITLE_POVERTY, sheet, write_xlsx

from ketnghia_analysis.reading.forms import recognise_sheet
from ketnghia_analysis.reading.headers import is_numbering_row
from ketnghia_analysis.reading.model import record_frame
from ketnghia_analysis.reading.official_rows import unit_levels
from ketnghia_analysis.reading.official_template import header_grid, write_official_template
from ketnghia_analysis.reading.reader import read_form, read_return
from ketnghia_analysis.reference.synonyms import load_synonyms

TITLE = {
    "review_result": "TỔNG HỢP KẾT QUẢ RÀ SOÁT HỘ NGHÈO, HỘ CẬN NGHÈO NĂM 2023",
    "poor_movement": "TỔNG HỢP DIỄN BIẾN HỘ NGHÈO NĂM 2023",
    "near_poor_movement": "TỔNG HỢP DIỄN BIẾN HỘ CẬN NGHÈO NĂM 2023",
    "poverty_groups": "PHÂN TÍCH HỘ NGHÈO, HỘ CẬN NGHÈO THEO CÁC NHÓM ĐỐI TƯỢNG NĂM 2023",
}

# Form B as a province copy heads it: other wordings than the template's, the numbering
# row with the formula of column 9.
B_HEAD = [
    ["TT", "Phường/Xã", "Phân tổ", "Tổng số hộ nghèo đầu kỳ", "Diễn biến giảm số hộ nghèo",
     None, None, "Diễn biến tăng số hộ nghèo", None, None, None, "Tổng số hộ nghèo cuối kỳ"],
    [None, None, None, None, "Số hộ thoát nghèo", None,
     "Số hộ khác: thay đổi nhân khẩu, hộ nghèo đơn thân chết, chuyển đi nơi khác, tách hộ",
     "Số hộ cận nghèo trở thành hộ nghèo", "Số hộ nghèo bổ sung trong kỳ", None,
     "Số hộ khác: thay đổi nhân khẩu, chuyển đến, tách hộ", None],
    [None, None, None, None, "Trở thành hộ cận nghèo", "Vượt chuẩn cận nghèo", None, None,
     "Tái nghèo", "Phát sinh mới", None, None],
    ["A", "B", "C", 1, 2, 3, 4, 5, 6, 7, 8, "9=1-2-3-4+5+6+7+8"],
]  # fmt: skip
B_MERGED = [(0, 0, 2, 0), (0, 1, 2, 1), (0, 2, 2, 2), (0, 3, 2, 3), (0, 4, 0, 6), (1, 4, 1, 5),
            (1, 6, 2, 6), (0, 7, 0, 10), (1, 7, 2, 7), (1, 8, 1, 9), (1, 10, 2, 10),
            (0, 11, 2, 11)]  # fmt: skip


def title_block(form: str, unit: str = "HUYỆN NAM TRÀ MY", title: str | None = None) -> list:
    return [
        ["ỦY BAN NHÂN DÂN", None, None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
        [unit, None, None, None, "Độc lập - Tự do - Hạnh phúc"],
        [TITLE[form] if title is None else title],
    ]


def paired(units: list[tuple], top: int) -> tuple[list, list]:
    """Rows of (stt, name, household counts, people counts) units as pairs under merged TT
    and name cells, from 0-based row `top`; (rows, merges)."""
    rows, merges = [], []
    for k, (stt, name, hh, people) in enumerate(units):
        r = top + 2 * k
        rows += [[stt, name, "Hộ", *hh], [None, None, "Nhân khẩu", *people]]
        merges += [(r, 0, r + 1, 0), (r, 1, r + 1, 1)]
    return rows, merges


def form_sheet(form: str, body: list, head=None, head_merged=None, title=None, merged=()):
    """A sheet of `form`: title block, header (the template's unless given), `body` rows;
    `merged` are merges of the body, counted from its first row."""
    if head is None:
        head, head_merged = header_grid(form)
    top = title_block(form) if title is None else title
    n = len(top)
    rows = top + head + body
    merges = [(a + n, b, c + n, d) for a, b, c, d in head_merged or []]
    merges += [(a + n + len(head), b, c + n + len(head), d) for a, b, c, d in merged]
    return sheet(rows, merged=merges)


def read_sheet(s):
    v = recognise_sheet(s)
    assert v.kind == "form", v.reason
    return read_form(v, "t.xlsx")


TRA_MAI = (
    1,
    "Xã Trà Mai",
    [400, 30, 20, 5, 3, 2, 1, 0, 351],
    [1500, 110, 80, 9, 10, 7, 3, 0, 1321],
)
TRA_DON = (2, "Xã Trà Don", [300, 20, 10, 0, 2, 0, 3, 1, 276], [1100, 70, 40, 0, 8, 0, 9, 4, 1012])
TOTAL_B = (None, "Tổng cộng", [700, 50, 30, 5, 5, 2, 4, 1, 627],
           [2600, 180, 120, 9, 18, 7, 12, 4, 2333])  # fmt: skip


# ---------------------------------------------------------------------------
# Paired rows, the formula row, a district compilation
# ---------------------------------------------------------------------------


def test_paired_rows_become_one_record_with_people_columns():
    body, merged = paired([TRA_MAI, TRA_DON, TOTAL_B], 0)
    ft = read_sheet(form_sheet("poor_movement", body, B_HEAD, B_MERGED, merged=merged))
    assert ft.form == "poor_movement"
    rec = ft.records
    assert rec["commune"].tolist() == ["Xã Trà Mai", "Xã Trà Don"]
    assert rec["source_row"].tolist() == [8, 10]  # the "Hộ" rows
    assert rec["exits_above_near_poor"].tolist() == [20, 10]
    assert rec["poor_end"].tolist() == [351, 276]
    assert rec["poor_end_people"].tolist() == [1321, 1012]
    assert rec["poverty_relapses_people"].tolist() == [7, 0]
    assert str(rec["poor_end_people"].dtype) == "Int64"
    assert rec["level"].tolist() == ["commune", "commune"]
    assert rec["district_label"].isna().all()
    assert ft.paired_rows == {8: 9, 10: 11, 12: 13}
    assert ft.cell("poor_end", 10) == "L10" and ft.cell("poor_end_people", 10) == "L11"
    assert "breakdown" not in rec.columns
    # the total pair is one total, its people counts beside
    assert ft.totals["kind"].tolist() == ["total"]
    assert ft.totals["poor_end_people"].tolist() == [2333]
    # nothing read is dropped: the people rows are structure, the records are the pairs
    assert ft.row_kinds[7] == "numbering" and ft.row_kinds[9] == "paired"
    assert ft.rows_read == len(rec) + ft.rows_structural


def test_formula_row_is_the_numbering_row():
    numbering = ["A", "B", 1, 2, 3, "4=3/1*100", 5, "6=5/1*100", 7, "8=7/1*100", 9, "10=9/2*100"]
    assert is_numbering_row(numbering, 0)
    assert is_numbering_row(B_HEAD[-1], 0)
    body = [[1, "Xã Trà Mai", 1200, 5000, 355, 29.58, 120, 10, 50, 4, 1400, 28]]
    ft = read_sheet(form_sheet("review_result", body))
    assert ft.header_rows == (4, 6) and ft.row_kinds[7] == "numbering"
    assert ft.records["households_total"].tolist() == [1200]


def test_review_result_district_compilation():
    body = [
        [1, "Xã Trà Mai", 1200, 5000, 355, 29.58, 120, 10, 50, 4, 1400, 28, 400, 8, 180, 3.6],
        [2, "Thị trấn Tắc Pỏ", 800, 3000, 0, 0, 90, 11.25, 60, 7.5, 0, 0, 300, 10, 210, 7],
        [None, "Tổng cộng", 2000, 8000, 355, 17.75, 210, 10.5, 110, 5.5, 1400, 17.5, 700,
         8.75, 390, 4.9],
    ]  # fmt: skip
    ft = read_sheet(form_sheet("review_result", body))
    rec = ft.records
    assert ft.form == "review_result" and rec["commune"].tolist()[1] == "Thị trấn Tắc Pỏ"
    assert rec["people_total"].tolist() == [5000, 3000]
    assert rec["poor_end"].tolist() == [355, 0]
    assert rec["poverty_rate_reported"].round(4).tolist() == [0.2958, 0.0]
    assert rec["near_poor_end"].tolist() == [120, 90]
    assert rec["average_living_end"].tolist() == [50, 60]
    assert rec["poor_people_end"].tolist() == [1400, 0]
    assert rec["near_poor_people_end"].tolist() == [400, 300]
    assert rec["level"].tolist() == ["commune", "commune"]
    assert ft.totals["households_total"].tolist() == [2000]
    assert ft.paired_rows == {}


def test_near_poor_movement_and_groups_are_told_apart():
    c_units = [
        (1, "Xã Trà Mai", [120, 15, 3, 1, 20, 2, 6, 0, 129], [480, 60, 12, 4, 80, 8, 24, 0, 516])
    ]
    d_units = [(1, "Xã Trà Mai", [355, 300, 20, 2, 33], [1321, 1100, 30, 5, 186])]
    c = read_sheet(form_sheet("near_poor_movement", *_body(c_units)))
    d = read_sheet(form_sheet("poverty_groups", *_body(d_units)))
    assert c.form == "near_poor_movement" and d.form == "poverty_groups"
    assert c.records["near_poor_exits"].tolist() == [15]
    assert c.records["near_poor_to_poor"].tolist() == [3]
    assert c.records["near_poor_from_poor"].tolist() == [20]
    assert c.records["near_poor_end_people"].tolist() == [516]
    assert d.records["poor_ethnic_minority_end"].tolist() == [300]
    assert d.records["poor_no_labour_people"].tolist() == [30]
    assert d.records["near_poor_total"].isna().all()


def _body(units):
    rows, merges = paired(units, 0)
    return rows, None, None, None, merges


def test_pairs_without_a_breakdown_column_by_the_merged_name():
    head = [["TT", "Phường/Xã", "Tổng số hộ nghèo đầu kỳ", "Vượt chuẩn cận nghèo",
             "Trở thành hộ cận nghèo", "Tái nghèo", "Phát sinh mới", "Tổng số hộ nghèo cuối kỳ"]]  # fmt: skip
    body = [[1, "Xã Trà Mai", 400, 20, 30, 2, 1, 353], [None, None, 1500, 80, 110, 7, 3, 1320]]
    ft = read_sheet(
        form_sheet("poor_movement", body, head, [], merged=[(0, 0, 1, 0), (0, 1, 1, 1)])
    )
    assert ft.records["poor_end"].tolist() == [353]
    assert ft.records["poor_end_people"].tolist() == [1320]
    assert ft.paired_rows == {5: 6}


# ---------------------------------------------------------------------------
# Province compilation: district rows, then their communes
# ---------------------------------------------------------------------------

PROVINCE_B = [
    (1, "Huyện Nam Trà My", [700, 50, 30, 5, 5, 2, 4, 1, 627], [2600, 180, 120, 9, 18, 7, 12, 4, 2333]),
    ("1.1", "Xã Trà Mai", *TRA_MAI[2:]),
    ("1.2", "Xã Trà Don", *TRA_DON[2:]),
    (2, "Huyện Đông Giang", [90, 9, 1, 0, 0, 0, 0, 0, 80], [300, 30, 4, 0, 0, 0, 0, 0, 266]),
    (2.1, "Xã Ba", [90, 9, 1, 0, 0, 0, 0, 0, 80], [300, 30, 4, 0, 0, 0, 0, 0, 266]),
]  # fmt: skip


def test_province_compilation_levels_and_district_of_each_row():
    body, merged = paired(PROVINCE_B, 0)
    top = title_block("poor_movement", unit="TỈNH QUẢNG NAM")
    ft = read_sheet(form_sheet("poor_movement", body, B_HEAD, B_MERGED, top, merged))
    rec = ft.records
    assert rec["level"].tolist() == ["district", "commune", "commune", "district", "commune"]
    assert rec["stt"].tolist() == ["1", "1.1", "1.2", "2", "2.1"]
    assert rec["district_label"].tolist()[1:3] == ["Huyện Nam Trà My"] * 2
    assert rec["district_code"].tolist() == ["516", "516", "516", "505", "505"]
    assert rec.loc[0, "poor_end_people"] == 2333  # the district's sums are kept


def test_province_compilation_identity_is_the_province(tmp_path):
    body, merged = paired(PROVINCE_B, 0)
    top = title_block("poor_movement", unit="TỈNH QUẢNG NAM")
    rows = top + B_HEAD + body
    n = len(top)
    merges = [(a + n, b, c + n, d) for a, b, c, d in B_MERGED]
    merges += [(a + n + 4, b, c + n + 4, d) for a, b, c, d in merged]
    path = write_xlsx(tmp_path / "tinh" / "Bieu B tinh.xlsx", [_sheet("Sheet1", rows, merges)])
    ret = read_return(path, tmp_path)
    assert ret.status == "read" and [f.form for f in ret.forms] == ["poor_movement"]
    assert (ret.district_code, ret.year) == ("49", 2023)
    assert not [i for i in ret.issues if i.severity == "error"]


def test_unit_levels_by_label_when_numbers_are_plain():
    levels, labels, codes = unit_levels(
        ["1", "2", "3", "4"], ["Huyện Đông Giang", "Xã Ba", "Huyện Đại Lộc", "Xã Đại Sơn"]
    )
    assert levels == ["district", "commune", "district", "commune"]
    assert codes == ["505", "505", "506", "506"] and labels[3] == "Huyện Đại Lộc"


# ---------------------------------------------------------------------------
# Placeholder denominators
# ---------------------------------------------------------------------------


def test_placeholder_denominator_rate_is_not_an_error():
    body = [
        [1, "Xã Trà Mai", 10, 100, 204, 2040, 120, 1200, 50, 500, 800, 800, 400, 400, 180, 180],
        [2, "Xã Trà Don", 800, 3000, 260, 32.5, 90, 11.25, 60, 7.5, 900, 30, 300, 10, 210, 7],
    ]
    ft = read_sheet(form_sheet("review_result", body))
    rec = ft.records
    assert rec["households_total"].tolist() == [10, 800]  # counts are the data
    assert rec["poor_end"].tolist() == [204, 260]
    assert pd_isna(rec["poverty_rate_reported"].iloc[0])
    assert rec["poverty_rate_reported"].iloc[1] == pytest.approx(0.325)
    assert not [i for i in ft.issues if i.severity == "error"]
    unused = [i for i in ft.issues if i.code == "RATE_NOT_USED"]
    assert sorted(i.cell for i in unused) == ["F8", "H8"] and unused[0].severity == "info"
    assert "tính lại" in unused[0].message


def pd_isna(x):
    import pandas as pd

    return bool(pd.isna(x))


# ---------------------------------------------------------------------------
# Files: one form per workbook, forms split across files, identity
# ---------------------------------------------------------------------------


def _sheet(name, rows, merges):
    ranges = [f"{get_column_letter(c0 + 1)}{r0 + 1}:{get_column_letter(c1 + 1)}{r1 + 1}"
              for r0, c0, r1, c1 in merges]  # fmt: skip
    return {"name": name, "rows": rows, "merged": ranges}


def _official_file(path: Path, form: str, body, merged=(), title: str | None = None) -> Path:
    head, head_merged = header_grid(form)
    top = title_block(form, title=title)
    rows = top + head + body
    n = len(top)
    merges = [(a + n, b, c + n, d) for a, b, c, d in head_merged]
    merges += [(a + n + len(head), b, c + n + len(head), d) for a, b, c, d in merged]
    return write_xlsx(path, [_sheet("Sheet1", rows, merges)])


def test_forms_split_across_files_one_form_per_workbook(tmp_path):
    """A and B of one district, each in its own workbook: no year in the titles (it is in the
    folder), the district in the title; each file holds its one form."""
    a_body = [
        [1, "Xã Trà Mai", 1200, 5000, 351, 29.25, 129, 10.75, 50, 4, 1321, 26, 516, 10, 180, 3.6]
    ]
    b_body, b_merged = paired([TRA_MAI], 0)
    a = _official_file(tmp_path / "2023" / "A.xlsx", "review_result", a_body,
                       title="TỔNG HỢP KẾT QUẢ RÀ SOÁT HỘ NGHÈO, HỘ CẬN NGHÈO")  # fmt: skip
    b = _official_file(tmp_path / "2023" / "B.xlsx", "poor_movement", b_body, b_merged,
                       title="TỔNG HỢP DIỄN BIẾN HỘ NGHÈO")  # fmt: skip
    ra, rb = read_return(a, tmp_path), read_return(b, tmp_path)
    assert [f.form for f in ra.forms] == ["review_result"]
    assert [f.form for f in rb.forms] == ["poor_movement"]
    for r in (ra, rb):
        assert (r.district_code, r.year) == ("516", 2023), r.issues
        assert r.forms[0].sheet == "Sheet1"
    assert ra.forms[0].records["poor_end"].tolist() == rb.forms[0].records["poor_end"].tolist()


def test_year_of_the_folder_only_for_official_forms(tmp_path):
    rows = [r for r in TITLE_POVERTY if not any("2023" in str(x) for x in r)]
    path = write_xlsx(
        tmp_path / "2023" / "bc.xlsx",
        [{"name": "HN", "rows": rows + POVERTY_HEADER + POVERTY_ROWS}],
    )
    ret = read_return(path, tmp_path)
    assert ret.forms[0].form == "poverty" and ret.year is None  # 02/HN: the folder says nothing


def test_ket_nghia_poverty_form_is_still_02hn():
    v = recognise_sheet(sheet(TITLE_POVERTY + POVERTY_HEADER + POVERTY_ROWS))
    assert v.form == "poverty"


# ---------------------------------------------------------------------------
# Template
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("letter", "form"),
    [("A", "review_result"), ("B", "poor_movement"), ("C", "near_poor_movement"),
     ("D", "poverty_groups")],
)  # fmt: skip
def test_official_template_reads_back(tmp_path, letter, form):
    path = write_official_template(letter, "516", 2023, tmp_path / f"{letter}.xlsx")
    ret = read_return(path, tmp_path)
    assert ret.status == "read" and (ret.district_code, ret.year) == ("516", 2023)
    ft = ret.forms[0]
    assert ft.form == form
    assert set(ft.columns) >= {"stt", "commune"} and len(ft.columns) >= 11
    assert len(ft.records) == 10 and ft.records["level"].eq("commune").all()
    assert len(ft.paired_rows) == (11 if letter != "A" else 0)
    assert ft.rows_read == len(ft.records) + ft.rows_structural


def test_four_header_rows_under_a_banner():
    """A banner ("Kết quả rà soát") over the whole of form A: four header rows."""
    head, merges = header_grid("review_result")
    width = len(head[0])
    banner = ["TT", "Phường/Xã", "Kết quả rà soát"] + [None] * (width - 3)
    lower = [[None, None, *row[2:]] for row in head[:-1]] + [head[-1]]
    shifted = [(a + 1, b, c + 1, d) for a, b, c, d in merges if b > 1]
    head_merged = [(0, 0, 3, 0), (0, 1, 3, 1), (0, 2, 0, width - 1), *shifted]
    body = [[1, "Xã Trà Mai", 1200, 5000, 355, 29.58, 120, 10, 50, 4, 1400, 28, 400, 8, 180, 3.6]]
    ft = read_sheet(form_sheet("review_result", body, [banner, *lower], head_merged))
    assert ft.header_rows == (4, 7) and ft.row_kinds[8] == "numbering"
    assert ft.records["poverty_rate_reported"].round(4).tolist() == [0.2958]
    assert ft.records["near_poor_people_end"].tolist() == [400]
    assert len(ft.records) == 1


# ---------------------------------------------------------------------------
# Plain columns (issue #18): the rows shaped without a frame
# ---------------------------------------------------------------------------

UNUSED_B = (3, None, [None] * 9, [None] * 9)  # a numbered form row left empty: dropped
LONE_PEOPLE = [None, "Xã Trà Leng", "Nhân khẩu", 90, 9, 1, 0, 0, 0, 0, 0, 80]  # no "Hộ" row


def _shaped_tables():
    """Official tables of every shaping: province compilation with district rows, a total
    pair, an unused row, a lone people row, rates (one a placeholder's), forms C and D."""
    body, merged = paired([*PROVINCE_B, UNUSED_B, TOTAL_B], 0)
    top = title_block("poor_movement", unit="TỈNH QUẢNG NAM")
    province = form_sheet("poor_movement", body + [LONE_PEOPLE], B_HEAD, B_MERGED, top, merged)
    a_body = [
        [1, "Xã Trà Mai", 10, 100, 204, 2040, 120, 1200, 50, 500, 800, 800, 400, 400, 180, 180],
        [2, "Xã Trà Don", 800, 3000, 260, 32.5, 90, 11.25, 60, 7.5, 900, 30, 300, 10, 210, 7],
        [None, "Tổng cộng", 810, 3100, 464, 57.3, 210, 25.9, 110, 13.6, 1700, 54.8, 700, 22.6,
         390, 12.6],
    ]  # fmt: skip
    c_units = [(1, "Xã Trà Mai", [120, 15, 3, 1, 20, 2, 6, 0, 129], [480, 60, 12, 4, 80, 8, 24,
                0, 516])]  # fmt: skip
    d_units = [(1, "Xã Trà Mai", [355, 300, 20, 2, 33], [1321, 1100, 30, 5, 186])]
    return [
        read_sheet(province),
        read_sheet(form_sheet("review_result", a_body)),
        read_sheet(form_sheet("near_poor_movement", *_body(c_units))),
        read_sheet(form_sheet("poverty_groups", *_body(d_units))),
    ]


def _same(a: object, b: object) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)  # type: ignore[arg-type]
    return bool(a == b)


def _rows_of(frame) -> list[dict]:
    """A frame's rows as ``frame.to_numpy(dtype=object)`` gives them, pandas' NA as None."""
    import pandas as pd

    names = list(frame.columns)
    return [
        {n: None if v is pd.NA else v for n, v in zip(names, row, strict=True)}
        for row in frame.to_numpy(dtype=object).tolist()
    ]


def test_official_forms_are_shaped_as_plain_columns_without_a_frame():
    """The reader workers never import pandas: an official form's rows are shaped (pairs,
    district rows, dropped rows) on the plain columns, its frames built only if asked for,
    with the types of the form's typed frame and exactly the plain rows."""
    tables = _shaped_tables()
    assert [ft.form for ft in tables] == [
        "poor_movement",
        "review_result",
        "near_poor_movement",
        "poverty_groups",
    ]
    for ft in tables:
        assert ft.plain is not None and ft.plain.built_frames == {}, ft.form
    province = tables[0]
    assert province.record_values("level") == ["district", "commune", "commune", "district",
                                               "commune", "commune"]  # fmt: skip
    assert province.record_values("poor_end_people")[-1] == 80  # the lone people row's
    assert province.record_values("poor_end")[-1] is None
    assert province.record_values("source_row") == [8, 10, 12, 14, 16, 22]
    assert 18 not in province.row_kinds and province.paired_rows[18] == 19  # the unused row
    assert province.plain.totals.columns["kind"] == ["total"]
    assert province.plain.totals.columns["poor_end_people"] == [2333]
    for ft in tables:
        typed = record_frame(load_synonyms().forms[ft.form], {}, [])
        for name, part in (("records", ft.plain.records), ("totals", ft.plain.totals)):
            frame = getattr(ft, name)
            assert list(frame.columns) == list(part.columns), (ft.form, name)
            expected = {c: str(t) for c, t in typed.dtypes.items()}
            assert {c: expected.get(c, str(t)) for c, t in frame.dtypes.items()} == {
                c: str(t) for c, t in frame.dtypes.items()
            }, (ft.form, name)
            rows = _rows_of(frame)
            assert len(rows) == len(part.rows()), (ft.form, name)
            assert rows or name == "totals", ft.form  # C and D have no total row
            for got, want in zip(part.rows(), rows, strict=True):
                assert all(_same(got[k], want[k]) for k in want), (ft.form, name, got, want)
