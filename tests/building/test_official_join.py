"""The official poverty-review forms A–D in the build (issue #15): one poverty row per
commune-year from whichever forms arrived, source_form, the precedence of the official forms
over Biểu 02/HN, FORMS_DISAGREE with both cells, district rows kept out of poverty, and the
forms' own rules (generalised identity, placeholder denominators), on hand-made returns as
the reader hands them over (records, columns, paired rows)."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest
from fake_returns import a_return

from ketnghia_analysis.building.assemble import assemble
from ketnghia_analysis.building.normalise import Normaliser, normalise_return
from ketnghia_analysis.building.official_forms import A_COUNTS, B_FLOWS, C_FLOWS
from ketnghia_analysis.reference import gazetteer
from ketnghia_analysis.reference.matching import CommuneMatcher
from ketnghia_analysis.reference.partners import PartnerRegistry

FIRST = 8  # first data row: the title block, 3 header rows and the column-number row above
# Trà Mai (20944) and Trà Cang (20947), Nam Trà My (516)
TRA_MAI, TRA_CANG = "20944", "20947"


def columns_of(names: tuple[str, ...], first: int = 3) -> dict[str, int]:
    """TT in A, the unit in B, (Phân tổ in C for paired forms), then the numbered columns."""
    return {"commune": 1, **{name: first + i for i, name in enumerate(names)}}


def official_form(kind: str, rows: list[dict], names: tuple[str, ...], paired: bool = True):
    """A FormTable as the reader hands it over: one record per unit, the "Hộ" row's number
    as source_row and, for a paired form, its "Nhân khẩu" row the next one."""
    records = pd.DataFrame(rows)
    for col in ("level", "district_label", "stt"):
        if col not in records.columns:
            records[col] = "commune" if col == "level" else None
    return SimpleNamespace(
        form=kind,
        sheet="Sheet1",
        header_rows=(4, 7),
        columns=columns_of(names, 3 if paired else 2),
        records=records,
        raw=records.astype(str),
        totals=pd.DataFrame(),
        rows_read=len(rows) * (2 if paired else 1) + 7,
        rows_structural=len(rows) * (1 if paired else 0) + 7,
        issues=[],
        paired_rows={int(r["source_row"]): int(r["source_row"]) + 1 for r in rows}
        if paired
        else {},
    )


def b_row(commune: str, row: int, start=400, to_near=30, above=20, end=None, **kw) -> dict:
    """Form B for one unit: 400 − 30 − 20 − 1 + 4 + 2 + 3 + 0 = 358 (people: × 4)."""
    flows = dict(zip(B_FLOWS, (start, to_near, above, 1, 4, 2, 3, 0), strict=False))
    flows["poor_end"] = start - to_near - above - 1 + 4 + 2 + 3 if end is None else end
    flows.update(kw)
    people = {f"{k}_people": v * 4 for k, v in flows.items()}
    return {"commune": commune, **flows, **people, "source_row": row}


def a_row(commune: str, row: int, households=1000, poor=358, near=120, **kw) -> dict:
    values = dict(
        zip(A_COUNTS, (households, 4100, poor, near, 200, poor * 4, near * 4), strict=True)
    )
    values["poverty_rate_reported"] = poor / households
    return {"commune": commune, **values, **kw, "source_row": row}


def c_row(commune: str, row: int, end=120) -> dict:
    flows = dict(zip(C_FLOWS, (110, 10, 4, 0, 30, 1, 3, 0), strict=False))
    flows["near_poor_end"] = end
    return {"commune": commune, **flows, **{f"{k}_people": v * 4 for k, v in flows.items()},
            "source_row": row}  # fmt: skip


def hn_form(rows: list[dict]):
    """Biểu 02/HN as the reader hands it over."""
    cols = {
        "commune": 1,
        "households_total": 2,
        "poor_start": 3,
        "poverty_exits": 4,
        "poverty_relapses": 5,
        "poverty_new": 6,
        "poor_end": 7,
        "poverty_rate_end": 8,
        "near_poor_end": 9,
        "poor_ethnic_minority_end": 10,
    }
    records = pd.DataFrame(rows)
    return SimpleNamespace(
        form="poverty",
        sheet="Biểu 02",
        header_rows=(1, 3),
        columns=cols,
        records=records,
        raw=records.astype(str),
        totals=pd.DataFrame(),
        rows_read=len(rows) + 3,
        rows_structural=3,
        issues=[],
    )


def hn_row(commune: str, row: int, end=355) -> dict:
    return {
        "commune": commune,
        "households_total": 990,
        "poor_start": 400,
        "poverty_exits": 50,
        "poverty_relapses": 2,
        "poverty_new": end - 352,
        "poor_end": end,
        "poverty_rate_end": end / 990,
        "near_poor_end": 100,
        "poor_ethnic_minority_end": 300,
        "source_row": row,
    }


@pytest.fixture(scope="module")
def normaliser():
    return Normaliser(CommuneMatcher(), PartnerRegistry.load(), gazetteer.target_communes())


def build(normaliser, *returns):
    results = [normalise_return(ret, normaliser) for ret in returns]
    for res in results:
        sub = res.submission
        assert sub["rows_read"] == (
            sub["rows_accepted"] + sub["rows_quarantined"] + sub["rows_structural"]
        )
    tables, issues = assemble(results)
    return tables, issues


def row_of(tables, code: str) -> pd.Series:
    poverty = tables["poverty"].set_index("commune_code")
    return poverty.loc[code]


def codes(issues, code: str) -> list:
    return [i for i in issues if i.code == code]


def test_b_alone_gives_a_row_with_the_movement_and_no_total(normaliser):
    b = official_form("poor_movement", [b_row("Xã Trà Mai", FIRST)], B_FLOWS)
    tables, issues = build(normaliser, a_return(source_file="516/B_2023.xlsx", forms=[b]))
    row = row_of(tables, TRA_MAI)
    assert row["source_form"] == "B"
    assert (row["poor_start"], row["poor_end"], row["poverty_exits"]) == (400, 358, 50)
    assert (row["exits_to_near_poor"], row["exits_above_near_poor"]) == (30, 20)
    assert (row["poverty_other_decrease"], row["poverty_from_near_poor"]) == (1, 4)
    assert (row["poverty_relapses"], row["poverty_new"], row["poverty_other_increase"]) == (
        2,
        3,
        0,
    )
    assert row["poor_people_end"] == 358 * 4
    assert pd.isna(row["households_total"]) and pd.isna(row["poverty_rate_end"])
    assert (row["source_file"], row["source_row"]) == ("516/B_2023.xlsx", FIRST)
    assert not codes(issues, "POVERTY_IDENTITY_OFFICIAL") and not codes(issues, "FORMS_DISAGREE")
    subs = tables["submissions"]
    assert list(subs["forms_found"]) == ["poor_movement"]


def test_a_b_c_from_three_files_join_into_one_row(normaliser):
    a = official_form("review_result", [a_row("Trà Mai", FIRST)], A_COUNTS, paired=False)
    b = official_form("poor_movement", [b_row("Xã Trà Mai", FIRST + 2)], B_FLOWS)
    c = official_form("near_poor_movement", [c_row("TRÀ MAI", FIRST + 4)], C_FLOWS)
    tables, issues = build(
        normaliser,
        a_return(source_file="516/C_2023.xlsx", forms=[c]),
        a_return(source_file="516/A_2023.xlsx", forms=[a]),
        a_return(source_file="516/B_2023.xlsx", forms=[b]),
    )
    assert len(tables["poverty"]) == 1
    row = row_of(tables, TRA_MAI)
    assert row["source_form"] == "A+B+C"
    assert (row["households_total"], row["people_total"]) == (1000, 4100)
    assert (row["poor_end"], row["near_poor_end"], row["poverty_exits"]) == (358, 120, 50)
    assert (row["poor_people_end"], row["near_poor_people_end"]) == (358 * 4, 480)
    assert row["poverty_rate_end"] == pytest.approx(0.358)
    # provenance: form B's household row
    assert (row["source_file"], row["source_sheet"], row["source_row"]) == (
        "516/B_2023.xlsx",
        "Sheet1",
        FIRST + 2,
    )
    assert not codes(issues, "FORMS_DISAGREE"), codes(issues, "FORMS_DISAGREE")


def test_b9_differing_from_a3_is_found_at_both_cells(normaliser):
    a = official_form("review_result", [a_row("Trà Mai", FIRST, poor=360)], A_COUNTS, paired=False)
    b = official_form("poor_movement", [b_row("Trà Mai", FIRST + 2)], B_FLOWS)
    tables, issues = build(
        normaliser,
        a_return(source_file="516/A_2023.xlsx", forms=[a]),
        a_return(source_file="516/B_2023.xlsx", forms=[b]),
    )
    assert row_of(tables, TRA_MAI)["poor_end"] == 358  # B(9) wins over A(3)
    found = [i for i in codes(issues, "FORMS_DISAGREE") if "hộ nghèo cuối năm" in i.message]
    found = [i for i in found if "nhân khẩu" not in i.message.lower()]
    # A's poor_end in column index 4 (E), B's poor_end = 9th flow at index 11 (L)
    a_cell, b_cell = f"E{FIRST}", f"L{FIRST + 2}"
    where = {(i.source_file, i.source_sheet, i.cell) for i in found}
    assert where == {("516/A_2023.xlsx", "Sheet1", a_cell), ("516/B_2023.xlsx", "Sheet1", b_cell)}
    for issue in found:
        assert issue.severity == "warning"
        for text in ("516/A_2023.xlsx", a_cell, "516/B_2023.xlsx", b_cell, "360", "358"):
            assert text in issue.message
        assert issue.district_code == "516" and issue.year == 2023


def test_official_form_wins_over_02hn_and_02hn_fills_the_rest(normaliser):
    """Precedence (README): the official form's value for every column it carries; 02/HN
    only where no official form has the column; the disagreement is a finding."""
    b = official_form("poor_movement", [b_row("Trà Mai", FIRST)], B_FLOWS)
    hn = hn_form([hn_row("Trà Mai", 4, end=355), hn_row("Trà Cang", 5)])
    tables, issues = build(
        normaliser,
        a_return(source_file="516/B_2023.xlsx", forms=[b]),
        a_return(source_file="516/bc_2023.xlsx", forms=[hn]),
    )
    mai, cang = row_of(tables, TRA_MAI), row_of(tables, TRA_CANG)
    assert mai["source_form"] == "B+02/HN" and cang["source_form"] == "02/HN"
    assert (mai["poor_end"], mai["poverty_exits"], mai["poverty_new"]) == (358, 50, 3)
    assert (mai["households_total"], mai["near_poor_end"]) == (990, 100)  # from 02/HN
    assert mai["poor_ethnic_minority_end"] == 300
    assert mai["poverty_rate_end"] == pytest.approx(358 / 990)
    assert mai["source_file"] == "516/B_2023.xlsx"
    # 02/HN alone: the official columns are null
    assert cang["poor_end"] == 355 and pd.isna(cang["exits_above_near_poor"])
    assert pd.isna(cang["people_total"])
    disagree = {(i.source_file, i.cell) for i in codes(issues, "FORMS_DISAGREE")}
    assert ("516/bc_2023.xlsx", "H4") in disagree and ("516/B_2023.xlsx", f"L{FIRST}") in disagree
    assert not any(i.severity == "error" for i in issues), [i.code for i in issues]


def test_the_same_order_of_files_either_way(normaliser):
    """The join does not depend on which file comes first."""
    b = official_form("poor_movement", [b_row("Trà Mai", FIRST)], B_FLOWS)
    hn = hn_form([hn_row("Trà Mai", 4, end=355)])
    one, _ = build(
        normaliser,
        a_return(source_file="x/B.xlsx", forms=[b]),
        a_return(source_file="x/H.xlsx", forms=[hn]),
    )
    two, _ = build(
        normaliser,
        a_return(source_file="x/H.xlsx", forms=[hn]),
        a_return(source_file="x/B.xlsx", forms=[b]),
    )
    pd.testing.assert_frame_equal(one["poverty"], two["poverty"])


def province_rows(district_poor_end: int) -> list[dict]:
    """A province compilation of form B: district 1 (Nam Trà My) holding its two communes'
    sums, then the communes 1.1 and 1.2."""
    mai, cang = b_row("Xã Trà Mai", FIRST + 2), b_row("Xã Trà Cang", FIRST + 4, start=200)
    district = {k: (mai[k] + cang[k] if isinstance(mai[k], int) else mai[k]) for k in mai} | {
        "commune": "Huyện Nam Trà My",
        "level": "district",
        "stt": "1",
        "source_row": FIRST,
    }
    district["poor_end"] = district_poor_end
    for rec, stt in ((mai, "1.1"), (cang, "1.2")):
        rec |= {"level": "commune", "district_label": "Huyện Nam Trà My", "stt": stt}
    return [district, mai, cang]


def test_province_compilation_district_rows_never_in_poverty(normaliser):
    rows = province_rows(district_poor_end=358 + 158)
    b = official_form("poor_movement", rows, B_FLOWS)
    tables, issues = build(
        normaliser, a_return(source_file="tinh/B_2023.xlsx", forms=[b], district="49")
    )
    poverty = tables["poverty"]
    assert sorted(poverty["commune_code"]) == [TRA_MAI, TRA_CANG]
    assert set(poverty["district_code"]) == {"516"}
    districts = tables["poverty_districts"]
    assert list(districts["district_code"]) == ["516"] and list(districts["poor_end"]) == [516]
    assert list(districts["source_row"]) == [FIRST]
    assert not codes(issues, "DISTRICT_SUM_MISMATCH")
    assert not [i for i in issues if i.severity == "error"], [(i.code, i.cell) for i in issues]


def test_district_row_differing_from_its_communes_is_a_warning_at_its_cell(normaliser):
    b = official_form("poor_movement", province_rows(district_poor_end=520), B_FLOWS)
    tables, issues = build(
        normaliser, a_return(source_file="tinh/B_2023.xlsx", forms=[b], district="49")
    )
    found = [i for i in codes(issues, "DISTRICT_SUM_MISMATCH") if i.cell == f"L{FIRST}"]
    assert len(found) == 1 and found[0].severity == "warning"
    assert (found[0].value, found[0].expected) == ("520", "516")
    assert len(tables["poverty"]) == 2  # the communes are kept


def test_unbalanced_movement_warns_and_keeps_the_row_people_at_their_row(normaliser):
    rec = b_row("Trà Mai", FIRST, end=350)  # 400 − 51 + 9 = 358, written 350
    rec["poor_end_people"] = 1400  # 358 × 4 = 1432
    b = official_form("poor_movement", [rec], B_FLOWS)
    tables, issues = build(normaliser, a_return(source_file="516/B_2023.xlsx", forms=[b]))
    found = codes(issues, "POVERTY_IDENTITY_OFFICIAL")
    assert {(i.cell, i.severity) for i in found} == {
        (f"L{FIRST}", "warning"),
        (f"L{FIRST + 1}", "warning"),  # the "Nhân khẩu" row
    }
    assert row_of(tables, TRA_MAI)["poor_end"] == 350  # the counts as written


def test_placeholder_denominator_warns_on_the_total_and_keeps_the_counts(normaliser):
    rec = a_row("Trà Mai", FIRST, households=10, poor=204, near=20)
    assert rec["poverty_rate_reported"] == pytest.approx(20.4)  # 2040 %
    a = official_form("review_result", [rec], A_COUNTS, paired=False)
    tables, issues = build(normaliser, a_return(source_file="516/A_2023.xlsx", forms=[a]))
    found = codes(issues, "RATE_DENOMINATOR_PLACEHOLDER")
    assert [(i.cell, i.severity) for i in found] == [(f"C{FIRST}", "warning")]
    assert not codes(issues, "POVERTY_RATE_MISMATCH")
    row = row_of(tables, TRA_MAI)
    assert (row["poor_end"], row["near_poor_end"]) == (204, 20)
    assert pd.isna(row["households_total"]) and pd.isna(row["poverty_rate_end"])
    assert row["people_total"] == 4100


def test_reported_rate_is_recomputed_never_trusted(normaliser):
    a = official_form(
        "review_result",
        [a_row("Trà Mai", FIRST, poverty_rate_reported=0.5)],
        A_COUNTS,
        paired=False,
    )
    tables, issues = build(normaliser, a_return(source_file="516/A_2023.xlsx", forms=[a]))
    assert [i.severity for i in codes(issues, "POVERTY_RATE_MISMATCH")] == ["warning"]
    assert row_of(tables, TRA_MAI)["poverty_rate_end"] == pytest.approx(0.358)


def test_02hn_only_rows_have_source_form_and_null_official_columns(normaliser):
    hn = hn_form([hn_row("Trà Mai", 4)])
    tables, _ = build(normaliser, a_return(source_file="516/bc_2023.xlsx", forms=[hn]))
    row = row_of(tables, TRA_MAI)
    assert row["source_form"] == "02/HN"
    assert all(pd.isna(row[c]) for c in ("people_total", "exits_to_near_poor", "poor_people_end"))
    assert tables["poverty_districts"].empty
