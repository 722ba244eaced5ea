"""The staggered DiD estimator (analysis/did.py and its aggregation, inference and pre-trend
modules): against an independent implementation on a fixed panel, then hand-computed cases.

Reference: csdid 0.4.3, a port of R's did 2.5, on ``fixtures/did_panel.csv`` (150 communes in
10 districts, 2019–2024; how the numbers were made: ``fixtures/did_reference.py``). csdid's
analytic standard errors carry no small-sample factor; ours multiply by sqrt(G / (G − 1))
(the CR1 factor of clustered regressions), G the number of clusters.

Hand panel (rates as fractions), never-twinned C1 and C2 flat:

    commune  g     2019  2020  2021
    A1       2020  0.50  0.45  0.35
    A2       2020  0.60  0.55  0.45
    B1       2021  0.50  0.50  0.42
    C1       -     0.30  0.30  0.30
    C2       -     0.40  0.40  0.40

ATT(2020, 2020) = -0.05 (B1, not yet twinned, is a control); ATT(2020, 2021) = -0.15;
ATT(2021, 2021) = -0.08 (base 2020); placebo ATT(2021, 2020) = 0.
group  = 2/3 · mean(-0.05, -0.15) + 1/3 · (-0.08) = -0.28/3
simple = (2 · -0.05 + 2 · -0.15 + 1 · -0.08) / 5 = -0.096
event  = mean(θ(0), θ(1)) = mean((2 · -0.05 - 0.08) / 3, -0.15) = -0.105
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ketnghia_analysis.analysis import did, pretrends
from ketnghia_analysis.analysis.inference import Clusters, sup_t_critical

FIXTURES = Path(__file__).parent / "fixtures"

HAND = {
    "A1": (2020, [0.50, 0.45, 0.35]),
    "A2": (2020, [0.60, 0.55, 0.45]),
    "B1": (2021, [0.50, 0.50, 0.42]),
    "C1": (None, [0.30, 0.30, 0.30]),
    "C2": (None, [0.40, 0.40, 0.40]),
}


def _panel(spec: dict, years: list[int]) -> pd.DataFrame:
    rows = [
        {"commune_code": code, "year": year, "y": y, "g": np.nan if g is None else float(g)}
        for code, (g, values) in spec.items()
        for year, y in zip(years, values, strict=True)
    ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads((FIXTURES / "did_reference.json").read_text())


@pytest.fixture(scope="module")
def fixed_panel() -> pd.DataFrame:
    panel = pd.read_csv(FIXTURES / "did_panel.csv")
    panel = panel.rename(columns={"unit": "commune_code", "district": "district_code"})
    panel["g"] = panel["g"].replace(0, np.nan).astype(float)  # csdid's 0 = never twinned
    return panel


def _cr1(res: dict) -> float:
    g = res["n_clusters"]
    return math.sqrt(g / (g - 1))


# ------------------------------------------------------------------ against the reference


def test_headline_matches_reference(fixed_panel, reference):
    """Acceptance: the headline (group aggregation) ATT to 1e-6 and its SE to 2 %."""
    res = did.callaway_santanna(fixed_panel, cluster="commune")
    assert res["aggregation"] == "group"
    assert res["estimate"] == pytest.approx(reference["unit"]["group"]["att"], abs=1e-6)
    assert res["std_error"] == pytest.approx(reference["unit"]["group"]["se"], rel=0.02)


@pytest.mark.parametrize("aggregation", ["simple", "group", "event"])
@pytest.mark.parametrize(("cluster", "key"), [("commune", "unit"), ("district", "district")])
def test_aggregates_match_reference(fixed_panel, reference, aggregation, cluster, key):
    # the standard errors include the estimation of the cohort weights (R's wif)
    res = did.callaway_santanna(fixed_panel, aggregation=aggregation, cluster=cluster)
    ref = reference[key][aggregation]
    assert res["cluster"] == cluster
    assert res["estimate"] == pytest.approx(ref["att"], abs=1e-9)
    assert res["std_error"] / _cr1(res) == pytest.approx(ref["se"], rel=1e-6)


def test_cells_and_event_study_match_reference(fixed_panel, reference):
    res = did.callaway_santanna(fixed_panel, cluster="commune")
    cells = res["cells"].set_index(["g", "t"])
    assert len(cells) == len(reference["cells"])
    for ref in reference["cells"]:
        cell = cells.loc[(ref["g"], ref["t"])]
        assert cell["att"] == pytest.approx(ref["att"], abs=1e-9)
        assert cell["std_error"] / _cr1(res) == pytest.approx(ref["se"], rel=1e-6)
    es = res["event_study"].set_index("event_time")
    for e, ref in reference["unit"]["event_study"].items():
        assert es.loc[int(e), "estimate"] == pytest.approx(ref["att"], abs=1e-9)
        assert es.loc[int(e), "std_error"] / _cr1(res) == pytest.approx(ref["se"], rel=1e-6)


@pytest.mark.parametrize("aggregation", ["simple", "group", "event"])
def test_doubly_robust_covariates_match_reference(fixed_panel, reference, aggregation):
    res = did.callaway_santanna(
        fixed_panel, aggregation=aggregation, cluster="commune", covariates=["mountain", "size"]
    )
    ref = reference["dr_unit"][aggregation]
    assert res["estimate"] == pytest.approx(ref["att"], abs=1e-9)
    assert res["std_error"] / _cr1(res) == pytest.approx(ref["se"], rel=1e-6)
    # the covariates matter on this panel (trends depend on them)
    plain = did.callaway_santanna(fixed_panel, aggregation=aggregation, cluster="commune")
    assert abs(plain["estimate"] - res["estimate"]) > 1e-3


def test_cell_level_pre_trend_test_matches_reference(fixed_panel, reference):
    res = did.callaway_santanna(fixed_panel, cluster="commune")
    pre = int((~res["cells"]["post"]).sum())
    n = res["n_clusters"]
    # csdid rounds the p-value to 5 decimals and has no n/(n-1) factor in the covariance
    wald = stats.chi2.isf(reference["pre_trend_p"], pre)
    assert res["pre_trend_p"] == pytest.approx(stats.chi2.sf(wald * (n - 1) / n, pre), rel=0.01)
    # the test on event-time averages is a different, weaker test on this panel
    assert res["pre_trend_p"] < 0.01 < res["pre_trend_p_event"]


# ------------------------------------------------------------------------------ by hand


def test_aggregations_by_hand():
    panel = _panel(HAND, [2019, 2020, 2021])
    expected = {"group": -0.28 / 3, "simple": -0.096, "event": -0.105}
    for aggregation, value in expected.items():
        res = did.callaway_santanna(panel, aggregation=aggregation)
        assert res["estimate"] == pytest.approx(value, abs=1e-12), aggregation
    es = did.callaway_santanna(panel)["event_study"].set_index("event_time")["estimate"]
    assert es.to_dict() == pytest.approx({-1: 0.0, 0: -0.06, 1: -0.15})


def test_weight_estimation_term_by_hand():
    # every cell is exact (no spread within a cohort): the whole standard error of the group
    # aggregate comes from estimating the cohort shares 2/5 and 1/5. Its influence function
    # is (θ_g − θ) / (3/5) / 5 for a commune of cohort g, 0 for the never twinned:
    # -1/450 for A1 and A2, +1/225 for B1.
    res = did.callaway_santanna(_panel(HAND, [2019, 2020, 2021]), cluster="commune")
    assert res["std_error"] == pytest.approx(math.sqrt(5 / 4 * (2 / 450**2 + 1 / 225**2)))


def test_jackknife_keeps_the_cohort_sizes_fixed_and_re_estimates_without_each_cluster():
    # exact cells, two communes in each cohort: deleting any one commune leaves every
    # ATT(g, t) as it was, so with the province's cohort sizes as fixed weights the
    # jackknife error is 0 (the estimand is the effect on these communes: nothing about it
    # is sampled) ...
    panel = _panel(HAND | {"B2": HAND["B1"]}, [2019, 2020, 2021])
    res = did.callaway_santanna(panel, cluster="commune", se="jackknife")
    assert res["se_method"] == "jackknife" and res["std_error"] == pytest.approx(0.0, abs=1e-15)
    assert res["std_error_influence"] > 0  # R's, with the weight-estimation term
    # ... and with noise it is sqrt((G − 1)/G Σ (θ₋c − θ̄)²) over the deletions, brute force
    noisy = panel.copy()
    noisy["y"] += np.random.default_rng(1).normal(0, 0.01, len(noisy))
    noisy["district_code"] = noisy["commune_code"].map(
        {"A1": "d1", "A2": "d2", "B1": "d3", "B2": "d1", "C1": "d1", "C2": "d2"}
    )
    noisy = pd.concat(
        [noisy, noisy.assign(commune_code=noisy["commune_code"] + "x", district_code="d4")]
    )
    res = did.callaway_santanna(noisy, se="jackknife")
    weights = did.aggregation_of(did.att_gt(noisy)).cell_weights
    full = did.att_gt(noisy).cells.assign(w=weights).set_index(["g", "t"])["w"]
    deleted = []
    for district in ("d1", "d2", "d3", "d4"):
        cells = did.att_gt(noisy[noisy["district_code"] != district]).cells
        w = cells.set_index(["g", "t"]).index.map(full).to_numpy(float)
        deleted.append(float(w @ cells["att"].to_numpy() / w.sum()))
    deleted = np.array(deleted)
    expected = math.sqrt(3 / 4 * np.sum((deleted - deleted.mean()) ** 2))
    assert res["std_error"] == pytest.approx(expected, rel=1e-12)
    assert res["ci_high"] - res["estimate"] == pytest.approx(stats.t.ppf(0.975, 3) * expected)
    with pytest.raises(ValueError, match="se"):
        did.callaway_santanna(panel, se="bootstrap")


def test_never_treated_controls():
    res = did.callaway_santanna(_panel(HAND, [2019, 2020, 2021]), control="never")
    cells = res["cells"].set_index(["g", "t"])["att"]
    assert cells[(2020, 2020)] == pytest.approx(-0.05)
    assert set(res["cells"]["n_control"]) == {2}  # C1 and C2 only, never B1


def test_unbalanced_panel_is_balanced_cell_by_cell():
    # A1 has no 2019 value: it leaves every cell with base 2019, and only those
    panel = _panel(HAND, [2019, 2020, 2021])
    panel.loc[(panel["commune_code"] == "A1") & (panel["year"] == 2019), "y"] = np.nan
    res = did.callaway_santanna(panel.dropna(subset=["y"]), aggregation="simple")
    cells = res["cells"].set_index(["g", "t"])
    assert cells.loc[(2020, 2020), "n_treated"] == 1
    assert cells.loc[(2021, 2021), "n_control"] == 2
    # cohort weights stay the cohort shares of all communes (A1 still counts in 2020's 2/5)
    assert res["estimate"] == pytest.approx(-0.096)


def test_district_clusters_use_t_with_g_minus_1_degrees_of_freedom():
    panel = _panel(HAND, [2019, 2020, 2021])
    panel["district_code"] = panel["commune_code"].map(
        {"A1": "1", "A2": "2", "B1": "1", "C1": "2", "C2": "3"}
    )
    res = did.callaway_santanna(panel)
    assert (res["cluster"], res["n_clusters"], res["df"]) == ("district", 3, 2)
    assert res["crit"] == pytest.approx(stats.t.ppf(0.975, 2))
    assert res["ci_high"] - res["estimate"] == pytest.approx(res["crit"] * res["std_error"])
    alone = did.callaway_santanna(panel.drop(columns="district_code"))
    assert (alone["cluster"], alone["df"]) == ("commune", None)
    assert alone["crit"] == pytest.approx(1.959964, abs=1e-6)
    assert "huyện" in alone["cluster_note"]


def test_simultaneous_band_critical_value():
    rng = np.random.default_rng(5)
    n = 4000
    clusters = Clusters.of("commune", np.arange(n))
    independent = rng.normal(size=(n, 9)) / n
    # the 95 % quantile of the largest of 9 independent |N(0,1)|
    expected = stats.norm.ppf((1 + 0.95 ** (1 / 9)) / 2)
    assert sup_t_critical(independent, clusters, reps=999) == pytest.approx(expected, abs=0.12)
    same = np.repeat(independent[:, :1], 9, axis=1)
    assert sup_t_critical(same, clusters, reps=999) == pytest.approx(1.96, abs=0.12)


def test_event_study_band_is_wider_than_pointwise(fixed_panel):
    es = did.callaway_santanna(fixed_panel)["event_study"]
    assert (es["band_low"] < es["ci_low"]).all() and (es["band_high"] > es["ci_high"]).all()


def test_sensitivity_breakdown(fixed_panel):
    res = did.callaway_santanna(fixed_panel)
    sens = res["sensitivity"]
    es = res["event_study"]
    max_pre = es.loc[es["event_time"] < 0, "estimate"].abs().max()
    room = abs(res["estimate"]) - res["crit"] * res["std_error"]
    assert sens["breakdown"] == pytest.approx(room / (max_pre * sens["horizon"]))
    assert 1 < sens["horizon"] < 5  # mean of (e + 1) over the headline's cells
    assert "lần mức lệch lớn nhất" in sens["sentence"]
    # a deviation as large as M̄ times the largest placebo brings the interval to 0
    shift = sens["breakdown"] * max_pre * sens["horizon"]
    assert abs(res["estimate"]) - shift == pytest.approx(res["crit"] * res["std_error"])


def test_sensitivity_words():
    hand = did.callaway_santanna(_panel(HAND, [2019, 2020, 2021]))
    assert hand["sensitivity"]["horizon"] == pytest.approx(4 / 3)
    assert hand["sensitivity"]["breakdown"] == math.inf  # the placebo is exactly 0
    assert pretrends.breakdown(-0.01, 0.01, 1.96, 0.01, 1.0) == 0.0
    assert "đã chứa 0" in pretrends.sentence(0.0)
    assert "mong manh" in pretrends.sentence(0.5)
    assert "0,5 lần" in pretrends.sentence(0.5)


def _null_world(seed: int) -> pd.DataFrame:
    """100 communes, parallel trends, no effect; cohorts 2022–2024 of about 8 communes."""
    rng = np.random.default_rng(seed)
    years = np.arange(2019, 2025)
    g = rng.choice([2022.0, 2023.0, 2024.0, np.nan], size=100, p=[0.08, 0.08, 0.08, 0.76])
    y = rng.normal(0.3, 0.05, (100, 1)) - 0.02 * (years - 2019) + rng.normal(0, 0.01, (100, 6))
    return pd.DataFrame(
        {
            "commune_code": np.repeat(np.arange(100), 6),
            "year": np.tile(years, 100),
            "y": y.ravel(),
            "g": np.repeat(g, 6),
        }
    )


def test_small_cohort_pre_trend_test_keeps_its_size():
    # with cohorts of about 8 communes the χ² cell-level test (R's) raises false alarms far
    # more often than 5 %; the per-cohort Hotelling test with Bonferroni does not
    cell = cohort = 0
    for seed in range(60):
        res = did.callaway_santanna(_null_world(seed), cluster="commune")
        cell += res["pre_trend_p"] < 0.05
        cohort += res["pre_trend_p_cohort"] < 0.05
    assert cohort <= 6 < cell


def test_headline_district_jackknife_matches_reference(fixed_panel, reference):
    """Acceptance: the headline (group aggregation, district clusters, the jackknife standard
    error that ``effects`` asks for) ATT to 1e-6 and its SE to 2 % of the delete-one-district
    jackknife computed with csdid's ATT(g,t) (``did_reference.district_jackknife``)."""
    ref = reference["district_jackknife"]
    res = did.callaway_santanna(
        fixed_panel, aggregation="group", cluster="district", se="jackknife", bands=False
    )
    assert (res["se_method"], res["cluster"], res["n_clusters"]) == ("jackknife", "district", 10)
    assert res["n_clusters"] == ref["n_clusters"]
    assert res["estimate"] == pytest.approx(ref["att"], abs=1e-6)
    assert res["std_error"] == pytest.approx(ref["se"], rel=0.02)
    assert res["crit"] == pytest.approx(stats.t.ppf(0.975, ref["n_clusters"] - 1))
