"""Monte-Carlo benchmark of the headline effect (issue #16): bias, RMSE and 95 % coverage.

For each planted threat (and none), ``--draws`` worlds are simulated with seeds 0, 1, …
(``ketnghia_analysis.sample.simulate(threats=…)``); the processed tables a perfect build
would produce are made straight from each world (``sample.world.processed``, no Excel
files), and ``ketnghia_analysis.analysis.effects.evaluate`` is run on them. Its first row is
the headline (``--rows headline``, the default: about 2 s a draw) or every staggered-DiD row
of the poverty rate (``--rows estimates``). The true value is the world's own ATT
(``sample.world.target``) in the row's series (:data:`TARGET_UNITS`: the shift chain's terms
for the headline, old-standard terms for the ratio chain, the rate as measured otherwise)
and aggregation. Not part of ``make test``.

Acceptance (issue #16): coverage 93–97 % under every threat but selection on trends, where
the pre-trend diagnostics must flag at least 90 % of draws (the flag of the headline's note,
``analysis.pretrends.flagged``: 2 × min(event-time Wald p, per-cohort Hotelling p) < 0.05;
its share under no threat is the false-alarm rate); bias within ±0.3 points under lost
support rows and the proportional jump. Rows on the 2025 units are not scored.

Usage: .venv/bin/python benchmarks/mc.py [--draws 200] [--workers 2] [--only none,late_start]
[--rows headline|estimates] [--first-seed N] [--combine a/mc.csv b/mc.csv]
Writes benchmarks/results/mc.csv (one row per draw) and mc.md (the table).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
LOSE_FRACTION = 0.25
SCENARIOS: dict[str, dict[str, Any]] = {
    "none": {},
    "lose_support": {"lose_support": LOSE_FRACTION},
    "late_start": {"late_start": True},
    "proportional_jump": {"proportional_jump": True},
    "growing_effects": {"growing_effects": True},
    "selection_on_trends": {"selection_on_trends": True},
    "district_shocks": {"district_shocks": True},
}
COVERAGE_RANGE = (0.93, 0.97)
BIAS_LIMIT = 0.003  # ±0.3 points, for lost support rows and the proportional jump
BIAS_CHECKED = ("lose_support", "proportional_jump")
FLAG_SHARE = 0.90  # selection on trends: share of draws the pre-trend test must flag
EFFECT = -0.03


#: The truth each series aims at (``sample.world.target`` units): the shift chain (the
#: headline) its own terms, the ratio chain the old standard's, the others the rate as
#: measured.
TARGET_UNITS = {"chained": "shifted", "chained_ratio": "old_standard"}
#: Rows without a target here: the 2025 units merge untwinned communes into twinned ones,
#: so their effect is diluted by an amount the commune-level truth does not give.
UNSCORED_UNITS = ("unit_2025",)


def target_of(truth: dict, row: dict) -> tuple[float, float, str, str]:
    """The true value an effects.csv row estimates (and the ratio-chained one), its units
    and aggregation; NaN for the rows left unscored (:data:`UNSCORED_UNITS`)."""
    standard = str(row.get("standard") or "unchained")
    units = TARGET_UNITS.get(standard, "rate")
    cells = {"2016-2020": "old", "2022-2025": "new"}.get(standard, "all")
    aggregation = str(row.get("aggregation") or "simple")
    aggregation = {"dynamic": "event", "event_time": "event"}.get(aggregation, aggregation)
    att = truth["att"]
    target = att[units][cells].get(aggregation)
    chained = att["chained"][cells].get(aggregation) if "chained" in att else None
    target = math.nan if target is None or row.get("units") in UNSCORED_UNITS else target
    chained = math.nan if chained is None else chained
    return target, chained, units, aggregation


def spec_label(row: dict) -> str:
    """What distinguishes an effects.csv row: aggregation, cluster, standard, units and
    whether it adjusts for covariates."""
    keys = ("aggregation", "cluster", "standard", "units")
    parts = [row[c] for c in keys if isinstance(row.get(c), str) and row[c]]
    if isinstance(row.get("covariates"), str) and row["covariates"]:
        parts.append("covariates")
    return " ".join(parts) or "simple commune"


def one_draw(task: tuple[str, int, str]) -> list[dict]:
    """Simulate one world under a scenario, evaluate it, and compare every staggered-DiD row
    of the poverty rate (the headline first) with its truth."""
    from ketnghia_analysis.analysis.effects import evaluate
    from ketnghia_analysis.analysis.pretrends import flagged
    from ketnghia_analysis.sample import simulate
    from ketnghia_analysis.sample.world.processed import processed_tables
    from ketnghia_analysis.sample.world.target import effect_truth
    from ketnghia_analysis.sample.world.threats import Threats

    scenario, seed, which = task
    threats = Threats(**SCENARIOS[scenario])
    world = simulate(seed=seed, effect=EFFECT, threats=threats)
    truth = effect_truth(world, threats)
    tables = processed_tables(world)
    out = evaluate(tables, outcomes=("poverty_rate_end",), rows=which)
    records = out.to_dict("records")
    rows = []
    for k, row in enumerate(records):
        if k and (
            row["outcome"] != "poverty_rate_end" or row["estimator"] != records[0]["estimator"]
        ):
            continue
        target, chained, units, aggregation = target_of(truth, row)
        est, low, high = (float(row[c]) for c in ("estimate", "ci_low", "ci_high"))
        rows.append(
            {
                "scenario": scenario,
                "seed": seed,
                "headline": k == 0,
                "spec": spec_label(row),
                "target": target,
                "target_chained_terms": chained,
                "target_units": units,
                "aggregation": aggregation,
                "estimate": est,
                "std_error": float(row["std_error"]),
                "ci_low": low,
                "ci_high": high,
                "covered": bool(low <= target <= high) if math.isfinite(target) else math.nan,
                "pre_trend_p": float(row.get("pre_trend_p", math.nan)),
                "pre_trend_p_event": float(row.get("pre_trend_p_event", math.nan)),
                "pre_trend_p_mean": float(row.get("pre_trend_p_mean", math.nan)),
                "pre_trend_p_cohort": float(row.get("pre_trend_p_cohort", math.nan)),
                "breakdown": float(row.get("breakdown", math.nan)),
                "flagged": flagged(row),
                "n_unknown": row.get("n_unknown"),
            }
        )
    return rows


def summarise(rows: list[dict]) -> list[dict]:
    """Bias, RMSE, coverage and pre-trend flags by scenario, with the acceptance verdict."""
    out = []
    for scenario in SCENARIOS:
        mine = [
            r
            for r in rows
            if r["scenario"] == scenario and r["headline"] and math.isfinite(r["estimate"])
        ]
        if not mine:
            continue
        n = len(mine)
        errors = [r["estimate"] - r["target"] for r in mine]
        bias = sum(errors) / n
        rmse = math.sqrt(sum(e * e for e in errors) / n)
        coverage = sum(r["covered"] for r in mine) / n
        flagged = sum(bool(r["flagged"]) for r in mine) / n
        out.append(
            {
                "scenario": scenario,
                "draws": n,
                "target": sum(r["target"] for r in mine) / n,
                "bias_pts": 100 * bias,
                "rmse_pts": 100 * rmse,
                "mean_se_pts": 100 * sum(r["std_error"] for r in mine) / n,
                "coverage": coverage,
                "pretrend_flagged": flagged,
                "verdict": verdict(scenario, bias, coverage, flagged),
            }
        )
    return out


def verdict(scenario: str, bias: float, coverage: float, flagged: float) -> str:
    """ "yes" when the scenario meets its acceptance target, else what misses."""
    misses = []
    if scenario == "selection_on_trends":
        if flagged < FLAG_SHARE:
            misses.append(f"flagged {flagged:.0%} < {FLAG_SHARE:.0%}")
    elif not COVERAGE_RANGE[0] <= coverage <= COVERAGE_RANGE[1]:
        misses.append(f"coverage {coverage:.1%} outside 93–97 %")
    if scenario in BIAS_CHECKED and abs(bias) > BIAS_LIMIT:
        misses.append(f"|bias| {100 * abs(bias):.2f} > 0.30 pt")
    return "yes" if not misses else "NO: " + "; ".join(misses)


def table(summary: list[dict]) -> str:
    """The summary as a markdown table."""
    head = (
        "| threat | draws | true ATT (pt) | bias (pt) | RMSE (pt) | mean SE (pt) "
        "| 95 % coverage | pre-trend flagged | meets target |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = [
        f"| {s['scenario']} | {s['draws']} | {100 * s['target']:+.2f} | {s['bias_pts']:+.2f} "
        f"| {s['rmse_pts']:.2f} | {s['mean_se_pts']:.2f} | {s['coverage']:.1%} "
        f"| {s['pretrend_flagged']:.0%} | {s['verdict']} |"
        for s in summary
    ]
    return head + "\n".join(lines) + "\n"


def spec_table(rows: list[dict]) -> str:
    """Every staggered-DiD row of the poverty rate (headline and robustness) by threat:
    bias, RMSE and coverage against its own target."""
    frame = pd.DataFrame(rows)
    frame = frame[np.isfinite(frame["estimate"]) & np.isfinite(frame["target"])]
    frame["error"] = frame["estimate"] - frame["target"]
    frame["error_chained"] = frame["estimate"] - frame["target_chained_terms"]
    lines = [
        "| threat | row (aggregation cluster standard units) | draws | bias (pt) "
        "| bias vs ratio-chain terms (pt) | RMSE (pt) | coverage |",
        "|---|---|---|---|---|---|---|",
    ]
    for (scenario, spec), part in frame.groupby(["scenario", "spec"], sort=False):
        rmse = 100 * float(np.sqrt((part["error"] ** 2).mean()))
        lines.append(
            f"| {scenario} | {spec} | {len(part)} | {100 * part['error'].mean():+.2f} "
            f"| {100 * part['error_chained'].mean():+.2f} | {rmse:.2f} "
            f"| {part['covered'].mean():.1%} |"
        )
    return "\n".join(lines) + "\n"


def run(tasks: list[tuple[str, int, str]], workers: int) -> list[dict]:
    """Every draw of ``tasks`` on a process pool, with progress on stderr."""
    started = time.perf_counter()
    rows: list[dict] = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for done, draw in enumerate(pool.map(one_draw, tasks, chunksize=4), start=1):
            rows += draw
            if done % 20 == 0 or done == len(tasks):
                minutes = (time.perf_counter() - started) / 60
                print(f"{done}/{len(tasks)} draws, {minutes:.1f} min", file=sys.stderr)
    return rows


def combined(paths: list[Path]) -> list[dict]:
    """The rows of earlier runs' mc.csv (runs with different ``--first-seed``), one per
    scenario, seed and row."""
    frame = pd.concat([pd.read_csv(path) for path in paths], ignore_index=True)
    frame = frame.drop_duplicates(["scenario", "seed", "spec"], keep="last")
    return frame.to_dict("records")


def write(rows: list[dict], out: Path, minutes: float) -> list[dict]:
    """Print and write mc.csv and mc.md; return the summary."""
    summary = summarise(rows)
    text, specs = table(summary), spec_table(rows)
    print(text)
    print(specs)
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(out / "mc.csv", index=False)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    draws = max((s["draws"] for s in summary), default=0)
    (out / "mc.md").write_text(
        f"# Monte-Carlo of the headline effect ({stamp}, {draws} draws a threat, "
        f"{minutes:.1f} min)\n\nHeadline (first row of evaluate; pre-trend flag: "
        f"``pretrends.flagged``):\n\n{text}\n"
        f"Every staggered-DiD row of the poverty rate in the run:\n\n{specs}",
        encoding="utf-8",
    )
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated threats")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--rows",
        choices=("headline", "estimates"),
        default="headline",
        help="headline only (fast) or every staggered-DiD row of the poverty rate",
    )
    parser.add_argument(
        "--combine", type=Path, nargs="+", help="summarise these mc.csv files, simulate nothing"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.combine:
        rows = combined(args.combine)
    else:
        chosen = [s.strip() for s in args.only.split(",") if s.strip()]
        unknown = sorted(set(chosen) - set(SCENARIOS))
        if unknown:
            parser.error(f"unknown threats {unknown}; choose from {list(SCENARIOS)}")
        seeds = range(args.first_seed, args.first_seed + args.draws)
        rows = run([(s, seed, args.rows) for s in chosen for seed in seeds], args.workers)
    summary = write(rows, args.out, (time.perf_counter() - started) / 60)
    return 0 if all(s["verdict"] == "yes" for s in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
