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

from ketnghia_analysis.analysis import did, effects, regressions

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
    assert head["ci_low"] <= -0.03 <= head["ci_high"]
    assert head["n_treated"] >= 10 and head["n_control"] >= 10
    assert 0 <= head["pre_trend_p"] <= 1
    # the naive comparison is visibly biased (twinning went to the poorest communes)
    naive = out[(out["outcome"] == "poverty_rate_end") & (out["estimator"] == "naive")]
    assert (naive["estimate"] - -0.03).abs().min() > 0.05
    assert set(out["outcome"]) == set(effects.OUTCOMES)
    assert out["note"].str.len().gt(0).all()


def test_null_effect_is_covered(world_null):
    head = effects.evaluate(world_null, outcomes=("poverty_rate_end",)).iloc[0]
    assert head["ci_low"] <= 0.0 <= head["ci_high"]


def test_event_study_and_pre_trend_detects_diverging_trends(world):
    es = effects.event_study(world)
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
    panel = effects.treatment_panel(world)
    bent = panel.copy()
    bent.loc[bent["g"].notna(), "y"] += 0.01 * (bent["year"] - 2019)
    assert did.callaway_santanna(bent)["pre_trend_p"] < 0.01


def test_bootstrap_agrees_with_analytic_se(world):
    panel = effects.treatment_panel(world)
    analytic = did.callaway_santanna(panel)["std_error"]
    boot = did.bootstrap_se(panel, reps=60, seed=1)
    assert boot == pytest.approx(analytic, rel=0.35)


def test_twfe_event_study_leads(world):
    es = regressions.twfe_event_study(effects.treatment_panel(world))
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
                effects.treatment_panel(_simulate(seed=seed, effect=effect))
            )
            covered += res["ci_low"] <= effect <= res["ci_high"]
        assert covered >= 17, (effect, covered)
