"""The benchmark runner's bookkeeping (benchmarks/run.py): order, ratios, verdicts.

The benchmarks themselves run on demand (`make bench`); these tests only check the
arithmetic and the table they print, with made-up timings.
"""

import importlib.util
import re
import statistics
import sys
import time
from pathlib import Path

import pytest

RUN_PY = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("kn_bench_run", RUN_PY)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being made
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def runs(bench, *seconds):
    return [bench.Run(s, 100.0) for s in seconds]


def test_alternate_runs_contenders_in_turn(bench, capsys):
    order = []

    def fake(name, seconds):
        def go():
            order.append(name)
            return bench.Run(seconds, 1.0)

        return go

    result = bench.alternate({"a": fake("a", 1.0), "b": fake("b", 2.0)}, repeat=3)
    assert order == ["a", "b", "a", "b", "a", "b"]
    assert bench.secs(result["b"]) == [2.0, 2.0, 2.0]
    assert "round 3: b" in capsys.readouterr().out


def test_ratio_is_of_medians_and_ok_checks_target_adjusted_and_memory(bench):
    row = bench.Row("x", [1.0, 9.0, 2.0], [4.0, 4.0, 100.0], 0.5)
    assert row.ratio == pytest.approx(2.0 / 4.0)
    assert row.ok
    assert not bench.Row("x", [2.1], [4.0], 0.5).ok
    assert not bench.Row("x", [1.0], [4.0], 0.5, adjusted=0.6).ok
    assert not bench.Row("x", [1.0], [4.0], 0.5, peak_mb=1024).ok


def test_floor_row_says_what_the_import_leaves_of_a_target(bench):
    fits = bench.floor_row("1", runs(bench, 0.7, 0.8, 0.6), runs(bench, 4.0, 3.0, 5.0), 0.25, "y")
    assert fits.floor and fits.ok
    assert fits.ratio == pytest.approx(0.7 / 4.0)
    assert "target 1 allows 1.00 s in all; 0.30 s left after the import" in fits.note

    over = bench.floor_row("2", runs(bench, 0.7), runs(bench, 0.15), 3.0, "z")
    assert not over.ok
    assert "allows 0.45 s in all; -0.25 s left" in over.note


def test_reading_row_says_what_the_reading_leaves_of_a_target(bench):
    row = bench.reading_row("1", runs(bench, 1.2, 1.3, 1.25), runs(bench, 3.0, 2.8, 2.9), 0.5, "y")
    assert row.floor and row.ok and row.name == "1**. the build's reading alone vs y"
    assert "target 1 allows 1.45 s in all; 0.20 s left after the reading" in row.note


def test_the_reading_alone_reads_every_file_and_writes_no_table(bench, sample_raw, tmp_path):
    """`READ_ONLY_BUILD` is the build's own command line stopped once the files are read:
    each file's result reaches the cache, and nothing after the reading runs."""
    import shutil
    import subprocess

    raw = tmp_path / "raw"
    files = sorted(p for p in sample_raw.rglob("*.xlsx") if "truth" not in p.parts)[:3]
    for path in files:
        target = raw / path.relative_to(sample_raw)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    out = tmp_path / "out"
    done = subprocess.run(
        bench.reading_cmd(raw, out, cache=True), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert len(list((out / ".cache").glob("*.pkl"))) == len(files) == 3
    assert not list(out.glob("*.parquet")) and not (out / "_build.json").exists()


def test_table_marks_targets_and_floors(bench):
    rows = [
        bench.Row("met", [1.0], [4.0], 0.5),
        bench.Row("missed", [3.0], [4.0], 0.5),
        bench.floor_row("1", runs(bench, 0.7), runs(bench, 4.0), 0.25, "y"),
        bench.floor_row("2", runs(bench, 0.7), runs(bench, 0.15), 3.0, "z"),
    ]
    lines = bench.table(rows).splitlines()
    verdicts = [re.search(r"≤[\d.]+\s+(\S+)", line).group(1) for line in lines[2:]]
    assert verdicts == ["yes", "NO", "fits", "over"]


def test_a_row_measured_under_load_is_noisy_not_judged(bench):
    met = bench.Row("met", [1.0], [4.0], 0.5, load=1.9)
    missed = bench.Row("missed", [3.0], [4.0], 0.5, load=1.9)
    assert (bench._verdict(met, cores=2), bench._verdict(missed, cores=2)) == ("yes", "NO")
    for row in (met, missed, bench.floor_row("1", runs(bench, 0.7), runs(bench, 4.0), 0.25, "y")):
        row.load = 2.5
        assert bench._verdict(row, cores=2) == "noisy"
        assert bench._verdict(row, cores=4) in ("yes", "NO", "fits")
    lines = bench.table([met, bench.Row("unmeasured", [1.0], [4.0], 0.5)], cores=2).splitlines()
    assert re.search(r"≤0.5\s+noisy\s+2.5", lines[2])
    assert re.search(r"≤0.5\s+yes\s+-", lines[3])


def test_the_load_watch_samples_while_a_step_runs(bench):
    with bench.LoadWatch(every=0.01) as load:
        time.sleep(0.05)
    assert len(load.samples) >= 2 and load.mean == pytest.approx(statistics.mean(load.samples))
    assert bench.LoadWatch().mean is None


def test_the_commit_is_named_only_for_a_git_checkout(bench, tmp_path):
    import subprocess

    assert bench._commit(tmp_path) == "unknown (not a git checkout)"  # e.g. a `git archive`
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    (tmp_path / "a.txt").write_text("1")
    subprocess.run([*git, "add", "a.txt"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "one"], check=True)
    commit = subprocess.run(
        [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert bench._commit(tmp_path) == commit
    (tmp_path / "a.txt").write_text("2")
    assert bench._commit(tmp_path) == f"{commit} + uncommitted changes"
    inner = tmp_path / "copy"  # a folder inside another checkout is not that checkout
    inner.mkdir()
    assert bench._commit(inner) == "unknown (not a git checkout)"
