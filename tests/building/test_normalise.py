"""Each rule planted in a tiny hand-made return: exact code, cell address and row outcome."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pandas as pd
import pytest
from fake_returns import a_return

from ketnghia_analysis.building import row_rules, rulebook
from ketnghia_analysis.building.normalise import Normaliser, normalise_return
from ketnghia_analysis.reference import gazetteer
from ketnghia_analysis.reference.matching import CommuneMatcher
from ketnghia_analysis.reference.partners import PartnerRegistry

# Nam Trà My (516), 2023: ten communes, written as a district would type them.
COMMUNES_516 = [
    "Trà Leng",
    "Trà Dơn",
    "Trà Tập",
    "Trà Mai",
    "Trà Cang",
    "Trà Linh",
    "Trà Nam",
    "Trà Don",
    "Trà Vân",
    "Trà Vinh",
]
# Header in rows 1-3, data from row 4: commune in B, then C, D, ...
POV_COLS = {
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
FIRST_ROW = 4


def poverty_records() -> pd.DataFrame:
    """Ten correct rows: 400 − 50 + 2 + 3 = 355 poor at the end of the year."""
    rows = []
    for i, name in enumerate(COMMUNES_516):
        households = 1000 + 10 * i
        rows.append(
            {
                "commune": name,
                "households_total": households,
                "poor_start": 400,
                "poverty_exits": 50,
                "poverty_relapses": 2,
                "poverty_new": 3,
                "poor_end": 355,
                "poverty_rate_end": 355 / households,
                "near_poor_end": 100,
                "poor_ethnic_minority_end": 300,
                "source_row": FIRST_ROW + i,
            }
        )
    return pd.DataFrame(rows).astype({"poverty_rate_end": object, "households_total": object})


def form(kind: str, records: pd.DataFrame, columns: dict, totals=None, sheet="Biểu 02"):
    raw = records.astype(str)
    return SimpleNamespace(
        form=kind,
        sheet=sheet,
        header_rows=(1, 3),
        columns=columns,
        records=records,
        raw=raw,
        totals=totals if totals is not None else pd.DataFrame(),
        rows_read=len(records) + 3 + (0 if totals is None else len(totals)),
        rows_structural=3 + (0 if totals is None else len(totals)),
        issues=[],
    )


@pytest.fixture(scope="module")
def normaliser():
    return Normaliser(CommuneMatcher(), PartnerRegistry.load(), gazetteer.target_communes())


def run(normaliser, forms, **kw):
    result = normalise_return(a_return(forms, **kw), normaliser)
    sub = result.submission
    # nothing read is lost, whatever the rule
    assert (
        sub["rows_read"] == sub["rows_accepted"] + sub["rows_quarantined"] + sub["rows_structural"]
    )
    return result


def only(result, code):
    found = [i for i in result.issues if i.code == code]
    assert len(found) == 1, [(i.code, i.cell) for i in result.issues]
    return found[0]


def quarantined_rows(result) -> set[int]:
    if result.quarantine is None:
        return set()
    return set(result.quarantine["source_row"].astype(int))


def test_clean_return_has_no_issue(normaliser):
    result = run(normaliser, [form("poverty", poverty_records(), POV_COLS)])
    assert result.issues == []
    assert result.submission["rows_accepted"] == 10
    assert len(result.tables["poverty"]) == 10
    trà_mai = result.tables["poverty"].set_index("commune_code").loc["20944"]
    assert trà_mai["commune_name"] == "Xã Trà Mai"
    assert trà_mai["poverty_rate_end"] == pytest.approx(355 / 1030)
    assert trà_mai["poverty_standard"] == "2022-2025"


def test_poverty_identity(normaliser):
    records = poverty_records()
    records.loc[3, "poor_end"] = 360  # Trà Mai, row 7
    records.loc[3, "poverty_rate_end"] = 360 / 1030
    result = run(normaliser, [form("poverty", records, POV_COLS)])
    issue = only(result, "POVERTY_IDENTITY")
    assert (issue.severity, issue.cell, issue.value, issue.expected) == (
        "error",
        "H7",
        "360",
        "355",
    )
    assert issue.message.endswith("[POVERTY_IDENTITY]")
    assert quarantined_rows(result) == {7}
    assert result.submission["rows_accepted"] == 9
    assert "20944" not in set(result.tables["poverty"]["commune_code"])
    raw = json.loads(result.quarantine.iloc[0]["raw_values"])
    assert raw["poor_end"] == "360"


def test_poor_exceeds_households(normaliser):
    records = poverty_records()
    records.loc[0, "households_total"] = 300  # row 4
    records.loc[0, "poverty_rate_end"] = None
    result = run(normaliser, [form("poverty", records, POV_COLS)])
    issue = only(result, "POOR_EXCEEDS_HOUSEHOLDS")
    assert (issue.cell, issue.value) == ("H4", "355")
    assert quarantined_rows(result) == {4}


def test_exits_exceed_poor_start(normaliser):
    records = poverty_records()
    records.loc[1, ["poor_start", "poverty_new"]] = [40, 363]  # 40 − 50 + 2 + 363 = 355
    result = run(normaliser, [form("poverty", records, POV_COLS)])
    issue = only(result, "EXITS_EXCEED_POOR")
    assert (issue.cell, issue.value, issue.expected) == ("E5", "50", "≤ 40")
    assert [i.code for i in result.issues] == ["EXITS_EXCEED_POOR"]
    assert quarantined_rows(result) == {5}


def test_reported_rate_mismatch_is_a_warning(normaliser):
    records = poverty_records()
    records.loc[2, "poverty_rate_end"] = 0.5  # row 6, true 355/1020 = 34.80%
    result = run(normaliser, [form("poverty", records, POV_COLS)])
    issue = only(result, "POVERTY_RATE_MISMATCH")
    assert (issue.severity, issue.cell, issue.value, issue.expected) == (
        "warning",
        "I6",
        "50,00%",  # shown Vietnamese style
        "34,80%",
    )
    assert quarantined_rows(result) == set()
    rate = result.tables["poverty"].set_index("commune_code").loc["20941", "poverty_rate_end"]
    assert rate == pytest.approx(355 / 1020)  # the computed rate, not the reported one


def test_unknown_commune_with_suggestions(normaliser):
    records = poverty_records()
    records.loc[9, "commune"] = "Xã Trà Vinhh Mới"  # row 13
    result = run(normaliser, [form("poverty", records, POV_COLS)])
    issue = next(i for i in result.issues if i.code in ("UNKNOWN_COMMUNE", "AMBIGUOUS_COMMUNE"))
    assert issue.code == "UNKNOWN_COMMUNE"
    assert (issue.severity, issue.cell, issue.value) == ("error", "B13", "Xã Trà Vinhh Mới")
    assert issue.suggestion and "Trà Vinh" in issue.suggestion
    assert quarantined_rows(result) == {13}
    assert result.quarantine.iloc[0]["commune_label"] == "Xã Trà Vinhh Mới"


def test_a_name_of_another_year_is_kept_with_a_warning(normaliser):
    # 20560 became "Phường Điện Thắng Bắc" on 10/4/2023; a 2024 return still says "Xã".
    records = poverty_records().head(1)
    records.loc[0, "commune"] = "Xã Điện Thắng Bắc"  # row 4
    result = run(normaliser, [form("poverty", records, POV_COLS)], district="507", year=2024)
    issue = only(result, "COMMUNE_OLD_NAME")
    assert (issue.severity, issue.cell) == ("warning", "B4")
    assert "Phường Điện Thắng Bắc" in issue.suggestion
    assert quarantined_rows(result) == set()
    assert result.tables["poverty"]["commune_code"].tolist() == ["20560"]


def test_commune_listed_twice(normaliser):
    records = poverty_records()
    records.loc[5, "commune"] = "X. Trà Mai"  # row 9 repeats Trà Mai of row 7
    result = run(normaliser, [form("poverty", records, POV_COLS)])
    issue = only(result, "DUPLICATE_COMMUNE")
    assert (issue.cell, issue.row) == ("B9", 9)
    assert "dòng 7" in issue.message
    assert quarantined_rows(result) == {9}
    assert (result.tables["poverty"]["commune_code"] == "20944").sum() == 1


def test_negative_and_non_numeric_values(normaliser):
    records = poverty_records()
    records["near_poor_end"] = records["near_poor_end"].astype(object)
    records.loc[4, "near_poor_end"] = -3  # row 8, J
    records.loc[6, "households_total"] = "abc"  # row 10, C
    records.loc[6, "poverty_rate_end"] = None
    result = run(normaliser, [form("poverty", records, POV_COLS)])
    negative = only(result, "VALUE_NEGATIVE")
    text = only(result, "VALUE_NOT_NUMERIC")
    assert (negative.cell, negative.value) == ("J8", "-3")
    assert (text.cell, text.value) == ("C10", "abc")
    # issue #20: each cell null with a warning, the rows kept (their other values are good)
    assert (negative.severity, text.severity) == ("warning", "warning")
    assert quarantined_rows(result) == set()
    assert result.submission["cells_nulled"] == 2
    poverty = result.tables["poverty"].set_index("source_row")
    assert pd.isna(poverty.loc[8, "near_poor_end"]) and pd.isna(poverty.loc[10, "households_total"])


def test_total_row_vs_sum(normaliser):
    records = poverty_records()
    totals = pd.DataFrame(
        [{"commune": "Tổng cộng", "households_total": 10450, "poor_end": 3550, "source_row": 14}]
    )  # true households: 10 × 1000 + 450 = 10450; poor 3550: households typed 10451 below
    totals.loc[0, "households_total"] = 10451
    result = run(normaliser, [form("poverty", records, POV_COLS, totals=totals)])
    issue = only(result, "TOTAL_MISMATCH")
    assert (issue.severity, issue.cell, issue.value, issue.expected) == (
        "warning",
        "C14",
        "10.451",  # shown Vietnamese style
        "10.450",
    )
    assert quarantined_rows(result) == set()
    assert result.submission["rows_structural"] == 4


def planted_poverty_records() -> pd.DataFrame:
    """Ten rows with one finding of each poverty rule, a repeat, a negative and a text."""
    records = poverty_records()
    records.loc[0, "households_total"] = 300  # POOR_EXCEEDS_HOUSEHOLDS
    records.loc[1, ["poor_start", "poverty_new"]] = [40, 363]  # EXITS_EXCEED_POOR
    records.loc[2, "poverty_rate_end"] = 0.5  # POVERTY_RATE_MISMATCH
    records.loc[3, "poor_end"] = 360  # POVERTY_IDENTITY
    records["near_poor_end"] = records["near_poor_end"].astype(object)
    records.loc[4, "near_poor_end"] = -3  # VALUE_NEGATIVE
    records.loc[6, "households_total"] = "abc"  # VALUE_NOT_NUMERIC
    records["commune_code"] = [f"c{i}" for i in range(9)] + ["c3"]  # DUPLICATE_COMMUNE
    return records


def test_rules_take_a_frame_or_its_rows_as_dicts():
    # normalise.py turns each form into dicts once and passes those to every rule
    records = planted_poverty_records()
    totals = pd.DataFrame([{"commune": "Tổng cộng", "households_total": 1, "source_row": 14}])
    ctx = rulebook.Context("516/bc.xlsx", "B02", "516", 2023, POV_COLS)
    rules = {
        "numbers": lambda r: row_rules.check_numbers(r, ctx, rulebook.NUMERIC["poverty"]),
        "poverty": lambda r: row_rules.check_poverty(r, ctx),
        "duplicates": lambda r: row_rules.check_duplicates(r, ctx, ["commune_code"]),
        "totals": lambda r: row_rules.check_totals(r, totals, ctx, rulebook.NUMERIC["poverty"]),
    }
    for name, rule in rules.items():
        from_frame = rule(records)
        assert from_frame, name
        assert rule(rulebook.records_of(records)) == from_frame, name
    found = {i.code for rule in rules.values() for i in rule(records)}
    assert found == {
        "POOR_EXCEEDS_HOUSEHOLDS",
        "EXITS_EXCEED_POOR",
        "POVERTY_RATE_MISMATCH",
        "POVERTY_IDENTITY",
        "VALUE_NEGATIVE",
        "VALUE_NOT_NUMERIC",
        "DUPLICATE_COMMUNE",
        "TOTAL_MISMATCH",
    }
    assert all(rule([]) == [] for rule in rules.values())


NTM_COLS = {
    "commune": 1,
    **{f"c{i:02d}": i + 1 for i in range(1, 20)},
    "criteria_met": 21,
    "ntm_level": 22,
}


def ntm_records() -> pd.DataFrame:
    rows = []
    for i, name in enumerate(COMMUNES_516):
        marks = {f"c{k:02d}": k <= 15 for k in range(1, 20)}
        rows.append(
            {
                "commune": name,
                **marks,
                "criteria_met": 15,
                "ntm_level": None,
                "recognized_year": None,
                "source_row": 5 + i,
            }
        )
    return pd.DataFrame(rows).astype(
        {"ntm_level": object, "criteria_met": object, "recognized_year": object}
    )


def recognised(records: pd.DataFrame, i: int, year: int) -> None:
    """Row i as the reader gives "Đạt chuẩn NTM năm <year>": the level code and the year."""
    records.loc[i, "ntm_level"] = "dat_chuan"
    records.loc[i, "recognized_year"] = year


def test_ntm_count_mismatch_and_recognised_incomplete(normaliser):
    records = ntm_records()
    records.loc[0, "criteria_met"] = 16  # row 5: reported 16, 15 marks
    recognised(records, 1, 2023)  # row 6: recognised with 15
    recognised(records, 2, 2019)  # row 7: earlier, may fall below 19
    result = run(normaliser, [form("ntm", records, NTM_COLS, sheet="Biểu 03")])
    count = only(result, "NTM_TOTAL_MISMATCH")
    level = only(result, "NTM_RECOGNIZED_INCOMPLETE")
    assert (count.cell, count.value, count.expected, count.severity) == (
        "V5",
        "16",
        "15",
        "warning",
    )
    assert (level.cell, level.value, level.severity) == ("W6", "15", "warning")
    assert quarantined_rows(result) == set()
    status = result.tables["ntm_status"].set_index("commune_code")
    assert status.loc["20935", "criteria_met"] == 15  # counted, not reported
    assert status.loc["20938", "ntm_level"] == "dat_chuan"
    assert status.loc["20938", "recognized_year"] == 2023
    assert status.loc["20941", "recognized_year"] == 2019
    assert len(result.tables["ntm_criteria"]) == 10 * 19


def test_ntm_rule_takes_levels_as_a_series_or_a_list():
    records = ntm_records()
    recognised(records, 1, 2023)
    ctx = rulebook.Context("516/bc.xlsx", "Biểu 03", "516", 2023, NTM_COLS)
    levels = list(records["ntm_level"])
    from_frame = row_rules.check_ntm(records, ctx, pd.Series(levels, index=records.index))
    assert [(i.code, i.cell) for i in from_frame] == [("NTM_RECOGNIZED_INCOMPLETE", "W6")]
    assert row_rules.check_ntm(rulebook.records_of(records), ctx, levels) == from_frame


def test_not_assessed_and_quarantined_ntm_rows(normaliser):
    records = ntm_records()
    records["not_assessed"] = [False] * 9 + [True]  # row 14: a ward, "không đánh giá"
    records.loc[2, "commune"] = "Xã Không Có"  # row 7: UNKNOWN_COMMUNE
    result = run(normaliser, [form("ntm", records, NTM_COLS, sheet="Biểu 03")])
    assert quarantined_rows(result) == {7}
    sub = result.submission
    assert (sub["rows_accepted"], sub["rows_quarantined"]) == (8, 1)
    assert sub["rows_structural"] == 3 + 1
    assert len(result.tables["ntm_status"]) == 8
    assert len(result.tables["ntm_criteria"]) == 8 * 19
    assert 14 not in set(result.tables["ntm_status"]["source_row"])
    assert result.tables["ntm_criteria"]["criterion"].tolist()[:3] == [1, 2, 3]


SUPPORT_COLS = {"partner_name": 1, "partner_type": 2, "commune": 3, "pair_start_year": 4, "cash": 5}


def test_support_outside_target_area_is_a_warning(normaliser):
    records = pd.DataFrame(
        [
            {"partner_name": "STC", "partner_type": None, "commune": "Tân Thạnh", "pair_start_year": 2021, "cash": 50.0, "source_row": 6},
            {"partner_name": "Sở Tài Chính tỉnh Quảng Nam", "partner_type": None, "commune": "An Mỹ", "pair_start_year": 2021, "cash": 10.0, "source_row": 7},
        ]
    )  # fmt: skip
    result = run(normaliser, [form("support", records, SUPPORT_COLS, sheet="KN")], district="502")
    outside = [i for i in result.issues if i.code == "SUPPORT_OUTSIDE_TARGET"]
    assert [(i.cell, i.severity) for i in outside] == [("D6", "warning"), ("D7", "warning")]
    support = result.tables["support"]
    assert list(support["partner_id"]) == ["P002", "P002"]
    assert list(support["partner_name"]) == ["Sở Tài chính", "Sở Tài chính"]
    assert list(support["cash_mvnd"]) == [50.0, 10.0]


def test_a_support_row_without_partner_is_quarantined(normaliser):
    """One row names its partner, the next does not: only the second is an error."""
    records = pd.DataFrame(
        [
            {"partner_name": "STC", "partner_type": None, "commune": "Trà Mai", "pair_start_year": 2021, "cash": 50.0, "source_row": 6},
            {"partner_name": None, "partner_type": None, "commune": "Trà Don", "pair_start_year": 2021, "cash": 10.0, "source_row": 7},
        ]
    )  # fmt: skip
    result = run(normaliser, [form("support", records, SUPPORT_COLS, sheet="KN")], district="516")
    missing = only(result, "MISSING_PARTNER")
    assert (missing.cell, missing.severity) == ("B7", "error")
    assert quarantined_rows(result) == {7}
    assert list(result.tables["support"]["partner_id"]) == ["P002"]


def test_return_without_district_quarantines_its_rows(normaliser):
    result = run(normaliser, [form("poverty", poverty_records(), POV_COLS)], district=None)
    assert result.submission["rows_quarantined"] == 10
    assert {i.code for i in result.issues} == {"IDENTITY_UNKNOWN"}


def test_rule_catalogue_is_complete():
    for code, (severity, what) in rulebook.RULES.items():
        assert severity in rulebook.SEVERITY_ORDER, code
        assert code.isupper() and what


def test_fifteen_thousand_numbered_partners_are_not_collapsed(normaliser):
    """Issue #19: 15,000 units that differ only by their number, each twinned with Trà Mai,
    are 15,000 partners; none is taken for a duplicate of another."""
    n = 15_000
    records = pd.DataFrame(
        {
            "partner_name": [f"Đồn Biên phòng {i}" for i in range(1, n + 1)],
            "partner_type": [None] * n,
            "commune": ["Trà Mai"] * n,
            "pair_start_year": [2021] * n,
            "cash": [1.0] * n,
            "source_row": range(6, n + 6),
        }
    )
    result = run(normaliser, [form("support", records, SUPPORT_COLS, sheet="KN")], district="516")
    assert result.submission["rows_accepted"] == n
    assert not [i for i in result.issues if i.code == "DUPLICATE_COMMUNE"]
    assert result.tables["support"]["partner_id"].nunique() == n


def test_a_files_partner_ids_do_not_depend_on_what_its_worker_read_before():
    """A worker's registry outlives one file: what it met before must change nothing."""
    rows = [
        {"partner_name": "Đồn Biên phòng 661", "partner_type": "lực lượng vũ trang", "commune": "Trà Mai", "pair_start_year": 2021, "cash": 5.0, "source_row": 6},
        {"partner_name": "Đồn Biên phòngg 665", "partner_type": None, "commune": "Trà Mai", "pair_start_year": 2021, "cash": 5.0, "source_row": 7},
    ]  # fmt: skip
    before = [{**rows[0], "partner_name": "Đồn Biên phòng 665"}]

    def support_of(normaliser, *files):
        for records in files:
            frame = pd.DataFrame(records)
            result = run(normaliser, [form("support", frame, SUPPORT_COLS, sheet="KN")])
        return result.tables["support"][["partner_id", "partner_name", "partner_type"]]

    fresh = Normaliser(CommuneMatcher(), PartnerRegistry.load(), gazetteer.target_communes())
    used = Normaliser(CommuneMatcher(), PartnerRegistry.load(), gazetteer.target_communes())
    pd.testing.assert_frame_equal(support_of(fresh, rows), support_of(used, before, rows))
    assert support_of(fresh, rows)["partner_id"].nunique() == 2
