"""The estimators (did, regressions) and their evaluation (effects): hand-computed
two-by-twos, then the planted effect of the sample world.

Hand examples (rates as fractions):

    commune  g (first twinned)  2019  2020  2021
    T1       2021               0.50  0.48  0.40
    T2       2021               0.60  0.57  0.50
    C1       never              0.30  0.29  0.27
    C2       2022               0.40  0.38  0.37

ATT(2021, 2021) = mean(-0.08, -0.07) - mean(-0.02, -0.01) = -0.06 (base year 2020; C2 is not
yet twinned in 2021, so it is a control).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ketnghia_analysis.analysis import did, effects, pretrends, regressions

HAND = {
    "T1": (2021, [0.50, 0.48, 0.40]),
    "T2": (2021, [0.60, 0.57, 0.50]),
    "C1": (None, [0.30, 0.29, 0.27]),
    "C2": (2022, [0.40, 0.38, 0.37]),
}


def _panel(spec: dict, years: list[int]) -> pd.DataFrame:
    rows = []
    for code, (g, values) in spec.items():
        for year, y in zip(years, values, strict=True):
            g_value = np.nan if g is None else float(g)
            rows.append(
                {
                    "commune_code": code,
                    "year": year,
                    "y": y,
                    "g": g_value,
                    "d": int(g is not None and year >= g),
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture()
def hand_panel() -> pd.DataFrame:
    return _panel(HAND, [2019, 2020, 2021])


def _cell(cells: pd.DataFrame, g: int, t: int) -> float:
    row = cells[(cells["g"] == g) & (cells["t"] == t)]
    assert len(row) == 1
    return float(row["att"].iloc[0])


def test_att_gt_hand(hand_panel):
    gt = did.att_gt(hand_panel)
    assert _cell(gt.cells, 2021, 2021) == pytest.approx(-0.06)
    # placebo 2020 (base 2019): treated -0.025, controls C1 -0.01 and C2 -0.02
    assert _cell(gt.cells, 2021, 2020) == pytest.approx(-0.01)
    # cohort 2022 is first twinned after the last year of data: like never-twinned communes
    # (as in R's did), it only serves as a control and has no cells of its own
    assert set(gt.cells["g"]) == {2021}


def test_callaway_santanna_hand(hand_panel):
    res = did.callaway_santanna(hand_panel)
    assert res["estimate"] == pytest.approx(-0.06)
    # influence: ±0.0025 for each of the 4 communes; var = 4 * 0.0025² * 4/3
    assert res["std_error"] == pytest.approx(math.sqrt(4 * 0.0025**2 * 4 / 3))
    assert res["n_treated"] == 2
    assert res["n_control"] == 2
    es = res["event_study"].set_index("event_time")
    assert es.loc[-1, "estimate"] == pytest.approx(-0.01)  # the placebo ATT(2021, 2020)
    assert list(es.index) == [-1, 0]
    assert es.loc[0, "estimate"] == pytest.approx(-0.06)
    assert 0.0 <= res["pre_trend_p"] <= 1.0


def test_always_treated_are_dropped():
    spec = dict(HAND)
    spec["A0"] = (2019, [0.9, 0.1, 0.9])  # twinned before the first year of data
    res = did.callaway_santanna(_panel(spec, [2019, 2020, 2021]))
    assert res["estimate"] == pytest.approx(-0.06)


def test_twfe_and_naive_two_by_two():
    spec = {
        "T1": (2020, [0.50, 0.40]),
        "T2": (2020, [0.60, 0.52]),
        "C1": (None, [0.30, 0.28]),
        "C2": (None, [0.40, 0.40]),
    }
    panel = _panel(spec, [2019, 2020])
    # TWFE with two periods is the difference in differences: -0.09 - (-0.01)
    assert regressions.twfe(panel)["estimate"] == pytest.approx(-0.08)
    # naive, years from the first pairing (2020): mean(0.40, 0.52) - mean(0.28, 0.40)
    assert regressions.naive(panel)["estimate"] == pytest.approx(0.12)
    assert did.callaway_santanna(panel)["estimate"] == pytest.approx(-0.08)


def test_twfe_matches_dummy_regression_on_unbalanced_panel():
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(3)
    spec = {
        f"u{i}": (g, list(rng.normal(0.3, 0.05, 4)))
        for i, g in enumerate([2020, 2020, 2021, 2021, 2022, None, None, None, None])
    }
    panel = _panel(spec, [2019, 2020, 2021, 2022]).drop(index=[5, 17])  # unbalanced
    ours = regressions.twfe(panel)
    fit = smf.ols("y ~ d + C(commune_code) + C(year)", panel).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(panel["commune_code"])[0]}
    )
    assert ours["estimate"] == pytest.approx(fit.params["d"], abs=1e-9)
    assert ours["std_error"] == pytest.approx(fit.bse["d"], rel=1e-6)


# --------------------------------------------------------------------------- sample world


def _simulate(seed: int, effect: float) -> dict[str, pd.DataFrame]:
    """The sample world: processed tables with a planted effect (the ground truth)."""
    from ketnghia_analysis.sample import simulate

    return simulate(seed=seed, effect=effect)


@pytest.fixture(scope="module")
def world():
    return _simulate(seed=2024, effect=-0.03)


@pytest.fixture(scope="module")
def world_null():
    return _simulate(seed=2024, effect=0.0)


def test_headline_recovers_planted_effect(world):
    out = effects.evaluate(world)
    assert list(out.columns) == effects.EFFECT_COLUMNS
    head = out.iloc[0]
    assert (head["outcome"], head["estimator"]) == ("poverty_rate_end", "callaway_santanna")
    assert abs(head["estimate"] - -0.03) <= 0.01
    # the default sample raises every commune's rate by one common jump in 2022: the
    # headline's shift chain and the row that assumes the common jump both cover the effect
    assert head["ci_low"] <= -0.03 <= head["ci_high"]
    common = out[(out["outcome"] == "poverty_rate_end") & (out["standard"] == "unchained")]
    common = common[common["estimator"] == "callaway_santanna"].iloc[0]
    assert common["ci_low"] <= -0.03 <= common["ci_high"]
    assert head["n_treated"] >= 10 and head["n_control"] >= 10
    assert 0 <= head["pre_trend_p"] <= 1
    # the naive comparison is visibly biased (twinning went to the poorest communes)
    naive = out[(out["outcome"] == "poverty_rate_end") & (out["estimator"] == "naive")]
    assert (naive["estimate"] - -0.03).abs().min() > 0.05
    assert set(out["outcome"]) == set(effects.OUTCOMES)
    assert out["note"].str.len().gt(0).all()


def test_rows_headline_first_then_robustness_then_foils(world):
    out = effects.evaluate(world)
    for _outcome, rows in out.groupby("outcome", sort=False):
        roles = rows["role"].tolist()
        assert roles[0] == "headline" and roles.count("headline") == 1
        assert roles == sorted(roles, key=["headline", "robustness", "foil"].index)
        head = rows.iloc[0]
        assert head["estimator"] == "callaway_santanna"
        assert (head["aggregation"], head["cluster"]) == ("group", "district")
        assert set(rows.loc[rows["role"] == "foil", "estimator"]) == {"twfe", "naive"}
        cs = rows[rows["estimator"] == "callaway_santanna"]
        assert {"commune", "district"} <= set(cs["cluster"])
        assert {"group", "simple", "event"} <= set(cs["aggregation"])
    pov = out[out["outcome"] == "poverty_rate_end"]
    assert pov.iloc[0]["standard"] == "chained"
    assert "chuỗi nối" in pov.iloc[0]["note"]
    assert "cú nhảy" in pov.iloc[0]["note"]  # the fit of the measured jumps
    assert {"2016-2020", "2022-2025"} <= set(pov["standard"])  # the within-standard rows
    assert {"chained_ratio", "unchained"} <= set(pov["standard"])
    assert {"commune", "harmonised", "unit_2025"} <= set(pov["units"])
    assert (out["n_unknown"] == 0).all()
    assert out.loc[out["outcome"] == "exit_rate", "standard"].iloc[0] == "unchained"


def test_ratio_chained_rates_are_rescaled_by_each_communes_own_jump():
    """Two communes, the same old-standard rate: the new standard doubles one's poor and
    raises the other's by half. Ratio-chained, both series continue the old one."""
    rows = []
    for code, factor in (("A", 2.0), ("B", 1.5)):
        for year, poor in ((2020, 200), (2021, 100), (2022, 100), (2023, 80)):
            new = year >= 2022
            rows.append(
                {
                    "year": year,
                    "commune_code": code,
                    "households_total": 1000,
                    "poor_start": (200 if year == 2021 else 100) * (factor if year == 2022 else 1),
                    "poor_end": poor * (factor if new else 1),
                    "poverty_exits": 0,
                }
            )
    from ketnghia_analysis.analysis.indicators.panels import unit_outcome_panel

    tables = {"poverty": pd.DataFrame(rows)}
    raw = unit_outcome_panel(tables, "poverty_rate_end").set_index(["commune_code", "year"])["y"]
    chained = unit_outcome_panel(tables, "poverty_rate_end", chain="ratio")
    chained = chained.set_index(["commune_code", "year"])["y"]
    assert raw[("A", 2022)] == pytest.approx(0.2) and raw[("B", 2022)] == pytest.approx(0.15)
    for code in ("A", "B"):
        assert chained[(code, 2021)] == pytest.approx(0.1)
        assert chained[(code, 2022)] == pytest.approx(0.1)  # no jump left
        assert chained[(code, 2023)] == pytest.approx(0.08)


def test_harmonised_units_sum_the_merged_commune_into_its_successor(world):
    from ketnghia_analysis.analysis.indicators.panels import unit_outcome_panel

    pov = world["poverty"]
    both = pov[(pov["year"] == 2019) & pov["commune_code"].isin(["20668", "20674"])]
    expected = both["poor_end"].sum() / both["households_total"].sum()
    panel = unit_outcome_panel(world, "poverty_rate_end", "harmonised")
    rows = panel.set_index(["commune_code", "year"])
    assert rows.loc[("20668", 2019), "y"] == pytest.approx(expected)
    assert rows.loc[("20668", 2019), "members"] == 2
    assert "20674" not in set(panel["commune_code"])
    units_2025 = unit_outcome_panel(world, "poverty_rate_end", "unit_2025")
    assert units_2025["commune_code"].nunique() < panel["commune_code"].nunique()


def test_null_effect_is_covered(world_null):
    # the default sample's 2022 jump is common to all communes: the headline's shift chain
    # removes it exactly, as does the unchained row that assumes it
    out = effects.evaluate(world_null, outcomes=("poverty_rate_end",))
    assert out.iloc[0]["ci_low"] <= 0.0 <= out.iloc[0]["ci_high"]
    row = out[(out["standard"] == "unchained") & (out["estimator"] == "callaway_santanna")]
    assert row.iloc[0]["ci_low"] <= 0.0 <= row.iloc[0]["ci_high"]


def test_headline_rows_only_and_the_same_headline(world_null):
    full = effects.evaluate(world_null, outcomes=("poverty_rate_end",), rows="estimates")
    head = effects.evaluate(world_null, outcomes=("poverty_rate_end",), rows="headline")
    assert len(head) == 1 and set(full["role"]) == {"headline", "robustness"}
    pd.testing.assert_series_equal(head.iloc[0], full.iloc[0], check_names=False)
    with pytest.raises(ValueError, match="rows"):
        effects.evaluate(world_null, rows="some")


def test_event_study_and_pre_trend_detects_diverging_trends(world):
    es = effects.event_study(world, standard="unchained")
    assert list(es.columns) == [
        "event_time",
        "estimate",
        "std_error",
        "ci_low",
        "ci_high",
        "n_treated",
    ]
    post = es[es["event_time"].between(0, 2)]
    assert (post["estimate"] - -0.03).abs().max() < 0.015
    # plant a trend of +1 point a year in the twinned communes only: the test must see it
    panel = effects.treatment_panel(world, standard="unchained")
    bent = panel.copy()
    bent.loc[bent["g"].notna(), "y"] += 0.01 * (bent["year"] - 2019)
    assert did.callaway_santanna(bent, cluster="commune")["pre_trend_p"] < 0.01
    # with 10 district clusters the test has less power, but still sees it
    assert did.callaway_santanna(bent)["pre_trend_p"] < 0.05
    # the flag of the headline's note (event-time and per-cohort tests, Bonferroni)
    assert pretrends.flagged(did.callaway_santanna(bent))
    assert not pretrends.flagged(did.callaway_santanna(panel))
    assert "đã khác nhau" in pretrends.flag_sentence(did.callaway_santanna(bent))


def test_bootstrap_agrees_with_analytic_se(world):
    panel = effects.treatment_panel(world)
    analytic = did.callaway_santanna(panel)["std_error"]
    boot = did.bootstrap_se(panel, reps=60, seed=1)
    assert boot == pytest.approx(analytic, rel=0.35)


def test_twfe_event_study_leads(world):
    es = regressions.twfe_event_study(effects.treatment_panel(world, standard="unchained"))
    assert -1 not in set(es["event_time"])  # the reference year
    assert 0 <= es.attrs["pre_trend_p"] <= 1
    assert (es.loc[es["event_time"].between(0, 2), "estimate"] - -0.03).abs().max() < 0.015


def test_dose_response(world):
    out = effects.dose_response(world)
    assert {"commune_code", "money_per_household_mvnd", "excess_change"} <= set(out.columns)
    assert len(out) >= 10
    assert "note" in out.attrs and "slope" in out.attrs


def test_evaluate_to_csv(world, tmp_path, capsys):
    folder = tmp_path / "processed"
    folder.mkdir()
    for name in ("poverty", "ntm_status", "ntm_criteria", "support", "models"):
        world[name].to_parquet(folder / f"{name}.parquet")
    out_csv = tmp_path / "effects.csv"
    assert effects.evaluate_to_csv(folder, out_csv) == 0
    printed = capsys.readouterr().out
    assert "điểm %" in printed and "KTC 95%" in printed
    table = pd.read_csv(out_csv)
    assert list(table.columns) == effects.EFFECT_COLUMNS
    assert table.iloc[0]["estimator"] == "callaway_santanna"


def test_evaluate_to_csv_missing_folder(tmp_path, capsys):
    assert effects.evaluate_to_csv(tmp_path / "nowhere", tmp_path / "e.csv") == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert effects.evaluate_to_csv(empty, tmp_path / "e.csv") == 2
    assert "Lỗi" in capsys.readouterr().out


@pytest.mark.slow
def test_coverage_over_20_seeds():
    for effect in (-0.03, 0.0):
        covered = 0
        for seed in range(20):
            res = did.callaway_santanna(
                effects.treatment_panel(_simulate(seed=seed, effect=effect), standard="unchained")
            )
            covered += res["ci_low"] <= effect <= res["ci_high"]
        assert covered >= 17, (effect, covered)
