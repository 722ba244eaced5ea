"""Every indicator formula against a tiny hand-made province (expected values by hand).

The province: two districts, four communes, years 2020-2022.

    code   district  mountainous ethnic  unit_2025  twinned
    10001  901       yes         III     U1         2022 (partner P1)
    10002  901       yes         -       U1         2021 (P1), 2022 (P2)
    10003  902       no          -       U2         never
    10004  902       no          -       U2         never (a ward: no NTM)
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ketnghia_analysis.analysis import indicators as ind
from ketnghia_analysis.core.columns import POVERTY_COUNTS

A1, A2, B1, B2 = "10001", "10002", "10003", "10004"


def _poverty_row(year, code, district, hh, start, exits, rel, new, end, near, em):
    return {
        "year": year,
        "district_code": district,
        "commune_code": code,
        "households_total": hh,
        "poor_start": start,
        "poverty_exits": exits,
        "poverty_relapses": rel,
        "poverty_new": new,
        "poor_end": end,
        "near_poor_end": near,
        "poor_ethnic_minority_end": em,
        "poverty_rate_end": end / hh,
        "poverty_standard": "2016-2020" if year <= 2021 else "2022-2025",
    }


def _support_row(year, code, partner, ptype, start, cash, in_kind, officials=None, models=None):
    return {
        "year": year,
        "district_code": "901" if code in (A1, A2) else "902",
        "commune_code": code,
        "partner_id": partner,
        "partner_name": {"P1": "Sở Kế hoạch và Đầu tư", "P2": "Công ty X"}[partner],
        "partner_type": ptype,
        "pair_start_year": start,
        "cash_mvnd": cash,
        "in_kind_mvnd": in_kind,
        "models_supported": models,
        "beneficiary_households": None,
        "officials_trained": officials,
        "workers_trained": None,
        "houses_supported": None,
    }


@pytest.fixture()
def tables() -> dict[str, pd.DataFrame]:
    communes = pd.DataFrame(
        {
            "commune_code": [A1, A2, B1, B2],
            "commune_name": ["Xã A Một", "Xã A Hai", "Xã B Một", "Phường B Hai"],
            "commune_type": ["xã", "xã", "xã", "phường"],
            "district_code": ["901", "901", "902", "902"],
            "district_name": ["Huyện Núi", "Huyện Núi", "Huyện Đồng", "Huyện Đồng"],
            "mountainous": pd.array([True, True, pd.NA, pd.NA], dtype="boolean"),
            "border": pd.array([pd.NA] * 4, dtype="boolean"),
            "ethnic_region": ["III", None, None, None],
            "unit_2025_code": ["U1", "U1", "U2", "U2"],
            "unit_2025_name": ["Xã U Một", "Xã U Một", "Phường U Hai", "Phường U Hai"],
        }
    )
    P = _poverty_row
    poverty = pd.DataFrame(
        [
            P(2021, A1, "901", 100, 40, 10, 2, 3, 35, 10, 30),
            P(2021, A2, "901", 200, 50, 20, 0, 4, 34, 20, 20),
            P(2021, B1, "902", 300, 15, 6, 1, 2, 12, 9, 0),
            P(2021, B2, "902", 400, 8, 4, 0, 0, 4, None, 0),
            P(2022, A1, "901", 110, 44, 11, 1, 1, 35, 12, 33),
            P(2022, A2, "901", 200, 40, 10, 0, 0, 30, 20, 20),
            P(2022, B1, "902", 300, 20, 5, 0, 0, 15, 10, 0),
            P(2022, B2, "902", 400, 10, 2, 0, 0, 8, 8, 0),
        ]
    )
    for column in POVERTY_COUNTS:
        poverty[column] = poverty[column].astype("Int64")
    S = _support_row
    support = pd.DataFrame(
        [
            S(2021, A2, "P1", "sở, ban, ngành tỉnh", 2021, 50.0, None, officials=4),
            S(2022, A2, "P1", "sở, ban, ngành tỉnh", 2021, 60.0, 0.0, officials=None),
            S(2022, A2, "P2", "doanh nghiệp", 2022, 40.0, 10.0, models=1),
            S(2022, A1, "P1", "sở, ban, ngành tỉnh", 2022, 100.0, 20.0, officials=5, models=1),
        ]
    )
    status = pd.DataFrame(
        {
            "year": [2020, 2021, 2022, 2021, 2022, 2021, 2022],
            "district_code": ["901", "901", "901", "901", "901", "902", "902"],
            "commune_code": [A1, A1, A1, A2, A2, B1, B1],
            "criteria_met": pd.array([8, 10, 12, 15, 14, 19, 19], dtype="Int64"),
            "ntm_level": [None, None, None, None, None, "dat_chuan", "nang_cao"],
        }
    )
    met_upto = {A1: 10, A2: 15, B1: 19}  # 2021: A1 meets 1-10, A2 meets 1-15, B1 all
    criteria = pd.DataFrame(
        [
            {
                "year": 2021,
                "district_code": "901" if code != B1 else "902",
                "commune_code": code,
                "criterion": k,
                "met": k <= upto,
            }
            for code, upto in met_upto.items()
            for k in range(1, 20)
        ]
    )
    models = pd.DataFrame(
        [
            # M1 in A1 from 2019: running after 1 year, stopped after 2, not reported after 3
            (2019, A1, "P1", "M1", 2019, "new"),
            (2020, A1, "P1", "M1", 2019, "maintained"),
            (2021, A1, "P1", "M1", 2019, "stopped"),
            # M2 in A2 from 2020: replicated after 1 year, maintained after 2
            (2020, A2, "P1", "M2", 2020, "new"),
            (2021, A2, "P1", "M2", 2020, "replicated"),
            (2022, A2, "P1", "M2", 2020, "maintained"),
            # M3 in A2 from 2021: no row in 2022 (not reported)
            (2021, A2, "P2", "M3", 2021, "new"),
        ],
        columns=["year", "commune_code", "partner_id", "model_name", "start_year", "status"],
    )
    return {
        "communes": communes,
        "poverty": poverty,
        "support": support,
        "ntm_status": status,
        "ntm_criteria": criteria,
        "models": models,
    }


def _row(df: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=df.index)
    for key, value in where.items():
        mask &= df[key] == value
    assert mask.sum() == 1, (where, mask.sum())
    return df[mask].iloc[0]


# --------------------------------------------------------------------------- grouping keys


def test_twinning_status(tables):
    status = ind.twinning_status(tables).set_index("commune_code")
    assert status.loc[A1, "first_pair_year"] == 2022
    assert status.loc[A2, "first_pair_year"] == 2021
    assert status.loc[A2, "partners"] == 2
    assert B1 not in status.index


def test_commune_frame_similar_and_twinned(tables):
    frame = ind.commune_frame(tables).set_index("commune_code")
    assert frame["similar"].to_dict() == {A1: True, A2: True, B1: False, B2: False}
    assert frame["ever_twinned"].to_dict() == {A1: True, A2: True, B1: False, B2: False}


# --------------------------------------------------------------------------- poverty


def test_poverty_district_2021(tables):
    out = ind.poverty(tables, level="district")
    mountain = _row(out, year=2021, district_code="901")
    assert mountain["households_total"] == 300
    assert mountain["poor_end"] == 69
    assert mountain["poverty_rate_end"] == pytest.approx(69 / 300)  # 0.23
    assert mountain["near_poor_rate_end"] == pytest.approx(0.1)  # 30 / 300
    assert mountain["exit_rate"] == pytest.approx(30 / 90)
    assert mountain["relapse_rate"] == pytest.approx(2 / 210)  # 300 - 90 not poor at start
    assert mountain["new_poor_rate"] == pytest.approx(7 / 210)
    assert mountain["rate_change_points"] == pytest.approx(-7.0)  # 100 * (69 - 90) / 300
    assert mountain["ethnic_minority_share_poor"] == pytest.approx(50 / 69)
    assert mountain["poverty_standard"] == "2016-2020"
    assert not mountain["standard_break"]

    plains = _row(out, year=2021, district_code="902")
    assert plains["poverty_rate_end"] == pytest.approx(16 / 700)
    # B2 did not report near-poor: the rate uses B1 alone (9 / 300), not 9 / 700
    assert plains["near_poor_rate_end"] == pytest.approx(0.03)
    assert plains["exit_rate"] == pytest.approx(10 / 23)
    assert plains["relapse_rate"] == pytest.approx(1 / 677)
    assert plains["rate_change_points"] == pytest.approx(-1.0)


def test_poverty_province_and_standard_break(tables):
    out = ind.poverty(tables, level="province")
    assert list(out["year"]) == [2021, 2022]
    y2021 = _row(out, year=2021)
    assert y2021["households_total"] == 1000
    assert y2021["poverty_rate_end"] == pytest.approx(0.085)
    assert y2021["rate_change_points"] == pytest.approx(-2.8)  # 100 * (85 - 113) / 1000
    y2022 = _row(out, year=2022)
    assert y2022["poverty_standard"] == "2022-2025"
    assert y2022["standard_break"]
    assert y2022["poverty_rate_end"] == pytest.approx(88 / 1010)


def test_poverty_unit_2025_recomputes_rates_from_sums(tables):
    out = ind.poverty(tables, level="unit_2025")
    u1 = _row(out, year=2022, unit_2025_code="U1")
    # (35 + 30) / (110 + 200), not the mean of 35/110 and 30/200 (0.234)
    assert u1["poverty_rate_end"] == pytest.approx(65 / 310)
    assert u1["households_total"] == 310


def test_poverty_by_twinned_in_year(tables):
    out = ind.poverty(tables, level="province", by=("twinned",))
    assert _row(out, year=2021, twinned=True)["poverty_rate_end"] == pytest.approx(34 / 200)
    assert _row(out, year=2021, twinned=False)["poverty_rate_end"] == pytest.approx(51 / 800)
    assert _row(out, year=2022, twinned=True)["households_total"] == 310


def test_poverty_by_similar(tables):
    out = ind.poverty(tables, level="province", by=("similar",))
    assert _row(out, year=2021, similar=False)["poverty_rate_end"] == pytest.approx(16 / 700)


def test_ratio_zero_and_missing():
    out = ind.ratio(pd.Series([1, 1, None]), pd.Series([0, 4, 2]))
    assert math.isnan(out[0]) and out[1] == 0.25 and math.isnan(out[2])


# --------------------------------------------------------------------------- NTM


def test_ntm_district(tables):
    out = ind.ntm(tables, level="district")
    mountain = _row(out, year=2021, district_code="901")
    assert mountain["communes_assessed"] == 2
    assert mountain["criteria_met_mean"] == pytest.approx(12.5)
    assert mountain["recognized_dat_chuan"] == 0
    plains = _row(out, year=2022, district_code="902")
    assert plains["recognized_dat_chuan"] == 1  # nâng cao counts as đạt chuẩn too
    assert plains["recognized_nang_cao"] == 1
    assert plains["recognized_kieu_mau"] == 0
    assert plains["recognized_share"] == pytest.approx(1.0)
    assert plains["criteria_set"] == "2021-2025"


def test_criteria_shares(tables):
    out = ind.criteria_shares(tables, level="province")
    assert _row(out, year=2021, criterion=1)["share_met"] == pytest.approx(1.0)
    c11 = _row(out, year=2021, criterion=11)
    assert c11["share_met"] == pytest.approx(2 / 3)
    assert c11["changed_2022"]
    assert c11["name_vi"] == "Hộ nghèo"
    c16 = _row(out, year=2021, criterion=16)
    assert c16["share_met"] == pytest.approx(1 / 3)
    assert not c16["changed_2022"]


def test_bottlenecks(tables):
    out = ind.bottlenecks(tables, year=2021, top=5)
    assert list(out["criterion"]) == [16, 17, 18, 19, 11]
    assert list(out["communes_not_met"]) == [2, 2, 2, 2, 1]
    assert (out["communes_below_standard"] == 2).all()
    assert list(out["share_not_met"]) == pytest.approx([1, 1, 1, 1, 0.5])
    one = ind.bottlenecks(tables, year=2021, district_code="902")
    assert one.empty  # B1 meets all 19


def test_criteria_gained(tables):
    out = ind.criteria_gained(tables)
    a1 = out[out["commune_code"] == A1].set_index("year")
    assert pd.isna(a1.loc[2020, "gained"])  # no previous year
    assert a1.loc[2021, "gained"] == 2
    assert pd.isna(a1.loc[2022, "gained"])  # 2021 -> 2022 changes the criteria set
    assert a1.loc[2022, "set_changed"]


# --------------------------------------------------------------------------- support


def test_support_district(tables):
    out = ind.support(tables, level="district")
    y2022 = _row(out, year=2022, district_code="901")
    assert y2022["communes_supported"] == 2
    assert y2022["money_mvnd"] == pytest.approx(230.0)  # 120 (A1) + 60 + 0 + 40 + 10 (A2)
    assert y2022["cash_mvnd"] == pytest.approx(200.0)
    assert y2022["in_kind_mvnd"] == pytest.approx(30.0)
    assert y2022["money_per_commune_mvnd"] == pytest.approx(115.0)
    assert y2022["money_per_household_mvnd"] == pytest.approx(230 / 310)
    assert y2022["money_per_poor_household_mvnd"] == pytest.approx(230 / 84)
    assert y2022["models_supported"] == 2
    y2021 = _row(out, year=2021, district_code="901")
    assert y2021["money_mvnd"] == pytest.approx(50.0)  # in kind not reported
    assert y2021["money_per_household_mvnd"] == pytest.approx(0.25)
    assert y2021["money_per_poor_household_mvnd"] == pytest.approx(1.0)
    assert y2021["officials_trained"] == 4


def test_support_commune(tables):
    out = ind.support(tables, level="commune")
    a2 = _row(out, year=2022, commune_code=A2)
    assert a2["money_mvnd"] == pytest.approx(110.0)  # 60 + 0 (P1) + 40 + 10 (P2)
    assert a2["communes_supported"] == 1  # two partners, one commune
    assert a2["money_per_household_mvnd"] == pytest.approx(110 / 200)
    assert a2["money_per_poor_household_mvnd"] == pytest.approx(110 / 40)
    a1 = _row(out, year=2022, commune_code=A1)
    assert a1["money_mvnd"] == pytest.approx(120.0)
    assert a1["officials_trained"] == 5


def test_support_by_partner(tables):
    out = ind.support(tables, level="province", by=("partner_id",))
    p1 = _row(out, year=2022, partner_id="P1")
    assert p1["money_mvnd"] == pytest.approx(180.0)
    assert p1["money_per_household_mvnd"] == pytest.approx(180 / 310)
    p2 = _row(out, year=2022, partner_id="P2")
    assert p2["money_per_household_mvnd"] == pytest.approx(50 / 200)
    by_type = ind.support(tables, level="province", by=("partner_type",))
    assert _row(by_type, year=2022, partner_type="doanh nghiệp")["money_mvnd"] == 50.0


def test_model_survival(tables):
    out = ind.model_survival(tables).set_index("years_since_start")
    assert out.loc[1, "models_due"] == 3
    assert out.loc[1, "observed"] == 2
    assert out.loc[1, "not_reported"] == 1
    assert out.loc[1, "survival_rate"] == pytest.approx(1.0)
    assert out.loc[1, "replicated_rate"] == pytest.approx(0.5)
    assert out.loc[2, "models_due"] == 2
    assert out.loc[2, "stopped"] == 1
    assert out.loc[2, "survival_rate"] == pytest.approx(0.5)
    assert out.loc[3, "observed"] == 0
    assert math.isnan(out.loc[3, "survival_rate"])


# --------------------------------------------------------------------------- comparisons


def test_commune_excess_change(tables):
    out = ind.commune_excess_change(tables, comparison="all").set_index("commune_code")
    assert list(out.index) == [A1]  # A2 has no year before pairing (2020 not reported)
    a1 = out.loc[A1]
    assert a1["change"] == pytest.approx(35 / 110 - 35 / 100)
    assert a1["control_change"] == pytest.approx(0.01)  # B1 +3/300, B2 +4/400
    assert a1["n_controls"] == 2
    assert a1["excess_change"] == pytest.approx(35 / 110 - 0.35 - 0.01)
    similar = ind.commune_excess_change(tables, comparison="similar")
    assert similar["n_controls"].tolist() == [0]  # the only other mountain commune is twinned


def test_partner_scorecard_too_few(tables):
    out = ind.partner_scorecard(tables, min_communes=3).set_index("partner_id")
    assert out.loc["P1", "communes"] == 2
    assert out.loc["P1", "money_mvnd"] == pytest.approx(230.0)
    assert out.loc["P1", "officials_trained"] == 9
    assert out.loc["P2", "money_mvnd"] == pytest.approx(50.0)
    assert (out["verdict"] == "quá ít xã để đánh giá").all()


def test_reconcile_published(tables):
    out = ind.reconcile_published(tables)
    prov = out[out["scope"] == "province"].set_index("year")
    # published 2021 uses the new standard: compared with the 2022 start (44+40+20+10)
    assert prov.loc[2021, "aggregated_poor"] == 114
    assert prov.loc[2021, "aggregated_rate"] == pytest.approx(114 / 1010)
    assert "2022" in prov.loc[2021, "note"]
    assert prov.loc[2022, "aggregated_poor"] == 88
    assert prov.loc[2022, "difference"] == 88 - prov.loc[2022, "published_poor"]
    assert prov.loc[2022, "communes_reporting"] == 4


def test_reconcile_notes_incomplete_coverage(tables):
    out = ind.reconcile_published(tables)
    prov = out[out["scope"] == "province"].set_index("year")
    # four communes reported out of the province's units of 2022 (the gazetteer's 24x)
    assert prov.loc[2022, "communes_expected"] > 200
    assert "chỉ 4/" in prov.loc[2022, "note"]
    assert "Không có số liệu" in prov.loc[2019, "note"]  # no return for 2019 here


def test_every_indicator_column_has_a_vietnamese_label(tables):
    from ketnghia_analysis.analysis import effects
    from ketnghia_analysis.reference import glossary

    known = set(glossary.table()["name"])
    frames = [
        ind.commune_frame(tables),
        ind.poverty(tables, level="commune", by=("twinned", "similar")),
        ind.poverty(tables, level="unit_2025"),
        ind.ntm(tables),
        ind.criteria_shares(tables),
        ind.bottlenecks(tables, 2021),
        ind.criteria_gained(tables),
        ind.support(tables, level="province", by=("partner_id", "partner_type")),
        ind.model_survival(tables),
        ind.commune_excess_change(tables, comparison="all"),
        ind.partner_scorecard(tables),
        ind.reconcile_published(tables),
    ]
    columns = {c for frame in frames for c in frame.columns} | set(effects.EFFECT_COLUMNS)
    assert sorted(columns - known) == []


def test_coverage_counts_the_communes_of_the_unit_and_names_why_others_are_missing():
    from ketnghia_analysis.reference import gazetteer

    units = gazetteer.communes_in_year(2024)
    nam_tra_my = units[units["district_code"] == "516"]["commune_code"].astype(str).tolist()
    quarantined, reporting = nam_tra_my[0], nam_tra_my[1:]
    tables = {
        "poverty": pd.DataFrame(
            {
                "year": 2024,
                "district_code": "516",
                "commune_code": reporting,
                "households_total": pd.array([100] * len(reporting), dtype="Int64"),
            }
        ),
        "quarantine": pd.DataFrame(
            {
                "form": ["poverty"],
                "district_code": ["516"],
                "year": [2024],
                "commune_code": [quarantined],
                "codes": ["POVERTY_IDENTITY"],
            }
        ),
        "submissions": pd.DataFrame(
            {
                "district_code": ["516"],
                "year": [2024],
                "status": ["ingested"],
                "forms_found": ["poverty,ntm"],
            }
        ),
    }
    cov = ind.coverage(tables, level="district", year=2024).set_index("district_code")
    assert cov.loc["516", ["communes_expected", "communes_with_data"]].tolist() == [10, 9]
    assert not cov.loc["516", "complete"]
    assert cov.loc["515", "communes_with_data"] == 0  # Bắc Trà My sent nothing
    gaps = ind.coverage_gaps(tables, 2024)
    mine = gaps[gaps["district_code"] == "516"]
    assert mine[["commune_code", "reason", "detail"]].values.tolist() == [
        [quarantined, "quarantined", "POVERTY_IDENTITY"]
    ]
    assert set(gaps.loc[gaps["district_code"] == "515", "reason"]) == {"no_return"}
    province = ind.coverage(tables, level="province", year=2024)
    assert province["communes_expected"].item() == len(units)
