"""Benchmarks of issue #9: every figure is a ratio against a baseline measured in the same run.

Run with `make bench` (not part of `make test`). Each comparison alternates the contender and
its baseline (A B A B ...), takes the median of at least three runs of each, and prints the
ratio beside its target, with absolute times and peak memory for context.

Usage: .venv/bin/python benchmarks/run.py [--repeat 3] [--only build,floor,rebuild,scale,reports]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RAW_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}


@dataclass
class Row:
    name: str
    contender_s: float
    baseline_s: float
    target: float
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.contender_s / self.baseline_s

    @property
    def ok(self) -> bool:
        return self.ratio <= self.target


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def alternate(contender: Callable[[], object], baseline: Callable[[], object], repeat: int):
    """Median seconds of contender and baseline, run alternately (A B A B ...)."""
    a, b = [], []
    for _ in range(repeat):
        a.append(timed(contender))
        b.append(timed(baseline))
    return statistics.median(a), statistics.median(b)


def peak_rss_mb_of(cmd: list[str]) -> tuple[float, float]:
    """Run a command in a child process; return (seconds, peak RSS in MB of the children)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(cmd, check=False, capture_output=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(after, before) / 1024


def return_files(raw: Path) -> list[Path]:
    return sorted(
        p
        for p in raw.rglob("*")
        if p.is_file() and p.suffix.lower() in RAW_SUFFIXES and "truth" not in p.parts
    )


def naive_read(files: list[Path]) -> None:
    """What an analyst scripts by hand: pandas.read_excel(sheet_name=None), default engines."""
    import pandas as pd

    for path in files:
        try:
            pd.read_excel(path, sheet_name=None, header=None)
        except Exception:  # the naive way simply fails on HTML-as-.xls and broken files
            pass


def floor_read(files: list[Path]) -> None:
    """The bare cost of reading every cell (and merged ranges) with python-calamine."""
    from python_calamine import CalamineWorkbook

    for path in files:
        try:
            wb = CalamineWorkbook.from_path(str(path))
            for name in wb.sheet_names:
                sheet = wb.get_sheet_by_name(name)
                sheet.to_python(skip_empty_area=False)
                sheet.merged_cell_ranges
        except BaseException as exc:  # noqa: BLE001 - calamine panics are BaseExceptions
            if isinstance(exc, KeyboardInterrupt):
                raise


def run_build(raw: Path, out: Path, *, use_cache: bool) -> None:
    from ketnghia_analysis.build import build

    build(raw, out, workers=os.cpu_count(), progress=False, use_cache=use_cache)


def bench_build(raw: Path, work: Path, repeat: int) -> list[Row]:
    files = return_files(raw)
    rows = []
    out = work / "processed-cold"

    def cold() -> None:
        shutil.rmtree(out, ignore_errors=True)
        run_build(raw, out, use_cache=False)

    build_s, naive_s = alternate(cold, lambda: naive_read(files), repeat)
    rows.append(
        Row("1. build vs pandas.read_excel (naive)", build_s, naive_s, 0.25, f"{len(files)} files")
    )
    build_s2, floor_s = alternate(cold, lambda: floor_read(files), repeat)
    rows.append(Row("2. build vs calamine floor", build_s2, floor_s, 3.0))
    return rows


def bench_rebuild(raw: Path, work: Path, repeat: int) -> list[Row]:
    copy = work / "raw-copy"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(raw, copy)
    out = work / "processed-warm"

    def first() -> None:
        shutil.rmtree(out, ignore_errors=True)
        run_build(copy, out, use_cache=True)

    first_s = statistics.median(timed(first) for _ in range(repeat))
    again_s = statistics.median(
        timed(lambda: run_build(copy, out, use_cache=True)) for _ in range(repeat)
    )
    files = return_files(copy)
    victim, donor = files[0], files[1]

    def one_changed() -> None:
        # Change one file's bytes (a copy of another return under the same name), then rebuild.
        shutil.copyfile(donor, victim)
        run_build(copy, out, use_cache=True)

    changed = []
    for _ in range(repeat):
        shutil.copyfile(raw / victim.relative_to(copy), victim)
        run_build(copy, out, use_cache=True)
        changed.append(timed(one_changed))
    return [
        Row("3a. rebuild, nothing changed vs first build", again_s, first_s, 0.1),
        Row("3b. rebuild, one file changed vs first build", statistics.median(changed), first_s, 0.2),
    ]


def bench_scale(raw: Path, work: Path, repeat: int) -> list[Row]:
    big = work / "raw-10x"
    shutil.rmtree(big, ignore_errors=True)
    for i in range(10):
        for path in return_files(raw):
            target = big / f"batch{i:02d}" / path.relative_to(raw)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    cmd_small = [str(BIN / "ketnghia"), "build", "--raw", str(raw), "--no-progress", "--no-cache"]
    cmd_big = [str(BIN / "ketnghia"), "build", "--raw", str(big), "--no-progress", "--no-cache"]
    small, big_t, peak = [], [], 0.0
    for _ in range(repeat):
        s, _ = peak_rss_mb_of([*cmd_small, "--out", str(work / "p-small")])
        b, mem = peak_rss_mb_of([*cmd_big, "--out", str(work / "p-big")])
        small.append(s)
        big_t.append(b)
        peak = max(peak, mem)
    return [
        Row(
            "4. 10x the files vs 1x (time)",
            statistics.median(big_t),
            statistics.median(small),
            11.0,
            f"peak RSS {peak:.0f} MB (target < 1024)",
        )
    ]


def bench_reports(processed: Path, work: Path, repeat: int, year: int) -> list[Row]:
    from ketnghia_analysis.report import plan_reports

    jobs = plan_reports(year=year, all_districts=True, processed=processed)
    out = work / "reports"

    def ours() -> None:
        subprocess.run(
            [str(BIN / "ketnghia"), "report", "--year", str(year), "--all"]
            + ["--processed", str(processed), "--out", str(out)],
            check=False,
            capture_output=True,
        )

    def cli_sequential() -> None:
        for job in jobs:
            executed = work / "cli" / f"{job.name}.ipynb"
            executed.parent.mkdir(parents=True, exist_ok=True)
            params = [x for k, v in job.parameters.items() for x in ("-r", k, str(v))]
            subprocess.run(
                [str(BIN / "papermill"), str(job.notebook), str(executed), "-k", "ketnghia"]
                + params,
                check=False,
                capture_output=True,
                cwd=job.notebook.parent,
            )
            subprocess.run(
                [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
                check=False,
                capture_output=True,
            )

    ours_s, cli_s = alternate(ours, cli_sequential, repeat)
    return [Row(f"5. report --all ({len(jobs)} reports) vs sequential CLI", ours_s, cli_s, 0.45)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="build,rebuild,scale,reports")
    parser.add_argument("--year", type=int, default=2024)
    args = parser.parse_args(argv)
    only = set(args.only.split(","))

    from ketnghia_analysis.sample import write_sample

    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="ketnghia-bench-") as tmp:
        work = Path(tmp)
        raw = work / "raw"
        write_sample(raw, years=range(2019, 2025), seed=2024)
        if "build" in only:
            rows += bench_build(raw, work, args.repeat)
        if "rebuild" in only:
            rows += bench_rebuild(raw, work, args.repeat)
        if "scale" in only:
            rows += bench_scale(raw, work, max(1, args.repeat - 2))
        if "reports" in only:
            processed = work / "processed-reports"
            run_build(raw, processed, use_cache=False)
            rows += bench_reports(processed, work, max(1, args.repeat - 2), args.year)

    print(f"\nmachine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'benchmark':<52} {'ours s':>8} {'base s':>8} {'ratio':>6} {'target':>7}  ok")
    for row in rows:
        print(
            f"{row.name:<52} {row.contender_s:8.2f} {row.baseline_s:8.2f} "
            f"{row.ratio:6.2f} {'≤' + format(row.target, 'g'):>7}  {'yes' if row.ok else 'NO'}"
            + (f"  ({row.note})" if row.note else "")
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
