"""The threats `ketnghia sample` can plant (issue #16): each changes the world as documented,
the default world does not change, and the truth records the true effect."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ketnghia_analysis.cli import build_parser
from ketnghia_analysis.sample import simulate
from ketnghia_analysis.sample.world import threats as th
from ketnghia_analysis.sample.world.processed import processed_tables
from ketnghia_analysis.sample.world.target import effect_truth

SEED = 5


@pytest.fixture(scope="module")
def base():
    return simulate(seed=SEED)


def world(**kw):
    return simulate(seed=SEED, threats=th.Threats(**kw))


def _rates(w):
    return w["poverty"].set_index(["year", "commune_code"])["poverty_rate_end"]


def _first_years(w):
    return (
        w["communes"]
        .dropna(subset=["first_pair_year"])
        .set_index("commune_code")["first_pair_year"]
    )


def test_no_threat_keeps_the_default_world(base):
    same = simulate(seed=SEED, threats=th.Threats())
    for name in ("poverty", "ntm_status", "support", "models", "pairs"):
        pd.testing.assert_frame_equal(same[name], base[name])
    assert "lost_support" not in same and "late_start" not in same


def test_default_truth_is_the_planted_effect(base):
    truth = effect_truth(base)
    for how in ("simple", "group", "event"):
        assert truth["att"]["rate"]["all"][how] == pytest.approx(-0.03, abs=5e-4)
        assert truth["att"]["old_standard"]["all"][how] == pytest.approx(-0.03, abs=5e-4)
    assert truth["headline_target"] == pytest.approx(-0.03, abs=5e-4)
    # an added jump carries none of the effect: the shift chain's terms are the rate's
    assert truth["att"]["shifted"] == truth["att"]["rate"]
    # chained terms shrink the post-2022 cells by each commune's measured jump
    assert -0.03 < truth["att"]["chained"]["all"]["group"] < -0.015
    cells = pd.DataFrame(truth["cells"])
    assert set(cells["g"]) == {2020, 2021, 2022, 2023}
    assert (cells["t"] >= cells["g"]).all()


def test_lose_support_drops_every_row_of_the_chosen_communes(base):
    w = world(lose_support=0.25)
    lost = w["lost_support"]
    codes = set(lost["commune_code"])
    twinned = set(base["pairs"]["commune_code"])
    assert len(codes) == round(0.25 * len(twinned))
    assert not codes & set(w["support"]["commune_code"])
    assert not codes & set(w["models"]["commune_code"])
    assert set(lost["mode"]) == {"quarantined", "not_sent"}
    assert len(w["support"]) + len(lost) == len(base["support"])
    # the world itself does not change: same rates, same truth
    pd.testing.assert_series_equal(_rates(w), _rates(base))
    truth = effect_truth(w, th.Threats(lose_support=0.25))
    assert truth["threats"]["lose_support"] == 0.25
    assert {r["commune_code"] for r in truth["lost_support"]} == codes
    # quarantined rows reach the quarantine table (and a finding), not-sent rows nowhere
    tables = processed_tables(w)
    quarantined = set(lost.loc[lost["mode"] == "quarantined", "commune_code"])
    assert set(tables["quarantine"]["commune_code"]) == quarantined
    assert (tables["quarantine"]["form"] == "support").all()
    assert set(tables["issues"]["code"]) == {"VALUE_NOT_NUMERIC"}
    assert tables["issues"]["message"].str.contains("VALUE_NOT_NUMERIC").all()


def test_late_start_writes_the_pairing_year_one_year_late(base):
    w = world(late_start=True)
    late = w["late_start"]
    assert len(late) >= 5
    assert (late["written"] == late["first_pair_year"] + 1).all()
    sup, old = w["support"], base["support"]
    moved = sup["commune_code"].isin(late["commune_code"])
    assert (sup.loc[moved, "pair_start_year"] == old.loc[moved, "pair_start_year"] + 1).all()
    assert sup.loc[~moved, "pair_start_year"].equals(old.loc[~moved, "pair_start_year"])
    pd.testing.assert_series_equal(_first_years(w), _first_years(base))


def test_proportional_jump_scales_each_commune_by_its_own_factor(base):
    w = world(proportional_jump=True)
    pov = w["poverty"].set_index(["year", "commune_code"])
    mountain = set(base["communes"].loc[base["communes"]["group"] == "mountain", "commune_code"])
    both = [c for c in pov.loc[2021].index if c in pov.loc[2022].index and c in mountain]
    ratio = pov.loc[2022].loc[both, "poor_start"] / pov.loc[2021].loc[both, "poor_end"]
    ratio = ratio[pov.loc[2021].loc[both, "poor_end"] >= 50]  # rounding of small counts
    assert ratio.median() == pytest.approx(th.PROPORTIONAL_JUMP, rel=0.03)
    assert ratio.std() > 0.01  # each its own factor
    # the default world adds one jump: the ratio falls with the commune's level
    old = base["poverty"].set_index(["year", "commune_code"])
    jump = old.loc[2022].loc[both, "poor_start"] / old.loc[2021].loc[both, "poor_end"]
    level = old.loc[2021].loc[both, "poverty_rate_end"]
    assert np.corrcoef(jump[level > 0.05], level[level > 0.05])[0, 1] < -0.5
    truth = effect_truth(w, th.Threats(proportional_jump=True))
    att = truth["att"]
    # -0.03 in old-standard terms (less where a rate meets its floor), larger as measured
    assert -0.031 < att["old_standard"]["all"]["group"] < -0.025
    assert att["old_standard"]["old"]["group"] == pytest.approx(-0.03, abs=5e-4)
    assert att["rate"]["all"]["group"] < att["old_standard"]["all"]["group"] - 0.003
    # the headline's shift chain: a commune paired before the break keeps its old-standard
    # effect, one paired from the break on is measured in new-standard points
    cells = pd.DataFrame(truth["cells"])
    early, late = cells[cells["g"] < 2022], cells[cells["g"] >= 2022]
    np.testing.assert_allclose(early["att_shifted"], early["att_old_standard"], atol=1e-3)
    np.testing.assert_allclose(late["att_shifted"], late["att_rate"], atol=1e-12)
    assert (late["att_rate"] < late["att_old_standard"]).all()
    assert truth["headline_target"] == att["shifted"]["all"]["group"]


def test_growing_effects_grow_with_years_and_differ_by_cohort():
    w = world(growing_effects=True)
    cells = pd.DataFrame(effect_truth(w, th.Threats(growing_effects=True))["cells"])
    for g, part in cells.groupby("g"):
        expected = [-0.03 * th.effect_growth(e) * th.COHORT_SCALE[g] for e in part["event_time"]]
        assert part["att_rate"].to_numpy() == pytest.approx(expected, abs=1e-3)
    first = cells[cells["event_time"] == 0].set_index("g")["att_rate"]
    assert first[2020] < first[2023] - 0.005  # cohorts differ
    truth = effect_truth(w, th.Threats(growing_effects=True))["att"]["rate"]["all"]
    assert truth["event"] < truth["simple"] - 0.002 and truth["group"] != truth["simple"]


def test_selection_on_trends_makes_poorer_communes_fall_faster(base):
    w = world(selection_on_trends=True)
    cf_new = w["counterfactual"].set_index(["year", "commune_code"])["rate_counterfactual"]
    cf_old = base["counterfactual"].set_index(["year", "commune_code"])["rate_counterfactual"]
    communes = base["communes"].set_index("commune_code")
    mountain = communes.index[communes["group"] == "mountain"]
    diff = (cf_new.loc[2021] - cf_old.loc[2021]).reindex(mountain).dropna()
    first = _first_years(base)
    twinned = diff.index.isin(first.index)
    # in 2021 the (poorer) twinned communes lie below their default path, the others above
    assert diff[twinned].mean() < 0 < diff[~twinned].mean()
    assert effect_truth(w)["att"]["rate"]["all"]["group"] == pytest.approx(-0.03, abs=5e-4)


def test_district_shocks_are_common_within_a_district_year(base):
    w = world(district_shocks=True)
    cf_new = w["counterfactual"].set_index(["year", "commune_code"])["rate_counterfactual"]
    cf_old = base["counterfactual"].set_index(["year", "commune_code"])["rate_counterfactual"]
    communes = base["communes"].set_index("commune_code")
    mountain = communes[communes["group"] == "mountain"]
    diff = (cf_new.loc[2020] - cf_old.loc[2020]).reindex(mountain.index)
    # away from the clipping floor every commune of a district moves by the same shock
    ok = cf_old.loc[2020].reindex(mountain.index) > 0.05
    spread = diff[ok].groupby(mountain.loc[ok, "district_code"]).agg(["std", "count"])
    assert (spread.loc[spread["count"] >= 2, "std"] < 1e-9).all()
    assert diff[ok].abs().max() > 0.002


def test_threat_options_reach_the_sample(tmp_path, monkeypatch):
    seen = {}

    def fake_write_sample(out, **kw):
        seen.update(kw)

        class Manifest:
            def summary(self):
                return "ok"

        return Manifest()

    monkeypatch.setattr("ketnghia_analysis.sample.write_sample", fake_write_sample)
    from ketnghia_analysis.cli import main

    argv = ["sample", "--out", str(tmp_path), "--lose-support", "0.3", "--late-start",
            "--proportional-jump", "--growing-effects", "--selection-on-trends",
            "--district-shocks"]  # fmt: skip
    assert main(argv) == 0
    assert seen["threats"] == th.Threats(0.3, True, True, True, True, True)
    args = build_parser().parse_args(["sample"])
    assert args.lose_support == 0.0 and not args.late_start and not args.district_shocks
    assert main(["sample", "--out", str(tmp_path), "--lose-support", "1.5"]) == 2


@pytest.mark.slow
def test_write_sample_records_the_truth_of_its_threats(tmp_path):
    from ketnghia_analysis.sample import write_sample

    threats = th.Threats(lose_support=0.5, proportional_jump=True)
    write_sample(tmp_path / "raw", years=range(2021, 2023), seed=3, threats=threats)
    truth = json.loads((tmp_path / "raw" / "truth" / "effect.json").read_text(encoding="utf-8"))
    assert truth["threats"] == threats.as_dict()
    lost = {r["commune_code"] for r in truth["lost_support"]}
    support = pd.read_parquet(tmp_path / "raw" / "truth" / "support.parquet")
    assert lost and not lost & set(support["commune_code"])


def test_one_year_has_no_cohort_to_estimate():
    w = simulate(seed=SEED, years=[2021])
    truth = effect_truth(w)
    assert truth["cells"] == []
    assert truth["att"]["rate"]["all"]["group"] is None
    json.dumps(truth, allow_nan=False)
