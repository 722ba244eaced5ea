"""Benchmarks of issue #18 (and the earlier ones of issues #4 and #9): every figure is a ratio
against a baseline measured in the same run.

Run with `make bench` (not part of `make test`). Each comparison alternates the contender and
its baselines (A B C A B C ...), takes the median of at least five rounds of each, and prints
the ratio beside its target with the load average measured while the row ran: a row whose
load was above the number of cores says "noisy" instead of a verdict. Every timed command
runs as its own process (what a user runs), so interpreter start-up and imports count for
everyone; peak memory is the largest sum of RSS over the process tree (build workers
included), sampled every 50 ms (one sample costs ~2 ms of CPU). Before measuring, the
package's bytecode is compiled, as Python does on a first import unless
PYTHONDONTWRITEBYTECODE is set (it is set on this VM).

Issue #18's table (the default steps):
1. cold: `ketnghia build --no-cache` vs `pandas.read_excel(sheet_name=None)` over the same
   files (≤ 0.5, stretch 0.35); beside it, rows 1* (`import pandas`), 1** (the same build
   stopped once every file is read: what the reading alone costs) and the calamine floor.
2. scale: the build's cost per added file from 1x to 8x the files vs the same for read_excel
   (≤ 0.5); the peak memory of the 8x build.
3. warm: one changed file rebuilt by a warm `Builder` (a long-lived process) vs read_excel
   over every file (≤ 0.1).
4, 5. rebuild: `ketnghia build` after one changed file, and with nothing changed, vs the
   first build (≤ 0.3; ≤ 0.1 kept from issue #9); rows 4* and 4** as 1* and 1**.
6. reports: `ketnghia report --all` vs papermill + nbconvert one report after another (kept:
   ≤ 0.45), with the first round's figure as the cold start.

Also available with --only: read (issue #4's reader check), scale10 (10x the files, issue #9's
4a), rows (one 10,000-row workbook, 4b/c).

Usage: .venv/bin/python benchmarks/run.py [--repeat 5] [--only cold,scale,warm,rebuild,reports]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PY = str(BIN / "python")
RAW_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
YEAR = 2024
ROWS_MIN_ROUNDS = 7  # benchmark 4b/c's default rounds (its 1,000-row side is ~0.1 s of CPU)
SAMPLE_S = 0.05  # memory sampling interval: ~2 ms of CPU per sample, ~4 % of one core
BIG_DISTRICT = "Duy Xuyên"  # the 10,000-row workbook repeats this district's communes


# ---------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------
@dataclass
class Run:
    seconds: float
    peak_mb: float
    returncode: int = 0


@dataclass
class Row:
    name: str
    contender: list[float]
    baseline: list[float]
    target: float
    note: str = ""
    peak_mb: float | None = None
    adjusted: float | None = None  # ratio after a stated correction (benchmark 4a)
    floor: bool = False  # not a contender: what the target leaves after a fixed part
    load: float | None = None  # mean 1-minute load average while the row was measured

    @property
    def contender_s(self) -> float:
        return statistics.median(self.contender)

    @property
    def baseline_s(self) -> float:
        return statistics.median(self.baseline)

    @property
    def ratio(self) -> float:
        return self.contender_s / self.baseline_s

    @property
    def ok(self) -> bool:
        if self.floor:  # a floor row passes when its fixed part alone fits in the target
            return self.ratio <= self.target
        worst = max(self.ratio, self.adjusted or 0.0)
        return worst <= self.target and (self.peak_mb is None or self.peak_mb < 1024)


class LoadWatch:
    """The 1-minute load average sampled every `every` seconds while a step runs (our own
    processes count in it: a two-worker build adds up to ~2 on its own)."""

    def __init__(self, every: float = 0.5) -> None:
        self.every = every
        self.samples: list[float] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            self.samples.append(os.getloadavg()[0])
            if self._done.wait(self.every):
                return

    def __enter__(self) -> LoadWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    @property
    def mean(self) -> float | None:
        return statistics.mean(self.samples) if self.samples else None


def _tree_rss(proc) -> int:
    total = 0
    try:
        total += proc.memory_info().rss
        for child in proc.children(recursive=True):
            try:
                total += child.memory_info().rss
            except Exception:  # noqa: BLE001 - a child that ended between the calls
                pass
    except Exception:  # noqa: BLE001 - the process itself ended
        pass
    return total


def measure(cmd: list[str], *, cwd: Path | None = None, env: dict | None = None) -> Run:
    """Run a command; wall seconds and peak RSS (MB) summed over its process tree."""
    import psutil

    start = time.perf_counter()
    popen = subprocess.Popen(
        cmd,
        cwd=cwd,
        env={**os.environ, "MPLBACKEND": "Agg", **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        proc = psutil.Process(popen.pid)
        while not done.is_set():
            peak = max(peak, _tree_rss(proc))
            time.sleep(SAMPLE_S)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = popen.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if popen.returncode not in (0, 1):  # build exit 1 = built with error-level issues
        tail = err.decode(errors="replace").strip().splitlines()[-3:]
        print(f"  ! {' '.join(cmd[:3])}… exit {popen.returncode}: {' | '.join(tail)}")
    return Run(seconds, peak / 2**20, popen.returncode)


def alternate(named: dict[str, Callable[[], Run]], repeat: int) -> dict[str, list[Run]]:
    """Run each callable once per round, in order, for `repeat` rounds (A B C A B C ...)."""
    runs: dict[str, list[Run]] = {name: [] for name in named}
    for i in range(repeat):
        for name, fn in named.items():
            run = fn()
            runs[name].append(run)
            print(f"  round {i + 1}: {name:<14} {run.seconds:7.2f} s  {run.peak_mb:6.0f} MB")
    return runs


def secs(runs: list[Run]) -> list[float]:
    return [r.seconds for r in runs]


def peak(runs: list[Run]) -> float:
    return max(r.peak_mb for r in runs)


# ---------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------
def return_files(raw: Path) -> list[Path]:
    return sorted(
        p
        for p in raw.rglob("*")
        if p.is_file() and p.suffix.lower() in RAW_SUFFIXES and "truth" not in p.parts
    )


NAIVE = """
import sys, pandas as pd
for path in open(sys.argv[1], encoding="utf-8").read().splitlines():
    try:
        pd.read_excel(path, sheet_name=None, header=None)
    except Exception:
        pass
"""

FLOOR = """
import sys
from python_calamine import CalamineWorkbook
for path in open(sys.argv[1], encoding="utf-8").read().splitlines():
    try:
        wb = CalamineWorkbook.from_path(path)
        for name in wb.sheet_names:
            sheet = wb.get_sheet_by_name(name)
            sheet.to_python(skip_empty_area=False)
            sheet.merged_cell_ranges
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
"""


# What any build that uses pandas pays before reading a byte: start Python, import pandas.
IMPORT_PANDAS = "import pandas"


def _part_row(
    number: str, label: str, part: list[Run], base: list[Run], target: float, after: str
) -> Row:
    """Floor row `number` + `label`: the share of target `number` that a fixed part alone
    takes, measured in the same rounds, and what it leaves of the target."""
    budget = target * statistics.median(secs(base))
    spare = budget - statistics.median(secs(part))
    return Row(
        f"{number}{label}",
        secs(part),
        secs(base),
        target,
        f"target {number} allows {budget:.2f} s in all; {spare:.2f} s left after {after}",
        floor=True,
    )


def floor_row(number: str, imports: list[Run], base: list[Run], target: float, what: str) -> Row:
    """The share of a target that `import pandas` alone takes."""
    label = f"*. python -c 'import pandas' vs {what}"
    return _part_row(number, label, imports, base, target, "the import")


# The same `ketnghia build` command line, stopped as soon as every file is read (the cache
# loaded, the changed files read by the sandboxed workers, their results in this process),
# and without the warm-up thread (pandas, the rehearsal): what the reading costs up to its last
# file, start-up included. No assembly or writing design removes it; a different start-up
# of the readers could trim it (docs/performance.md, issue #18).
READ_ONLY_BUILD = """
import os, sys
from ketnghia_analysis import cli
from ketnghia_analysis.building import buildstate
start_readers = buildstate.prestart_readers
def start_then_patch():
    start_readers()  # as the command line does: the fork server first, then the build's imports
    from ketnghia_analysis.building import build as b, collect as c
    c.warm_up_assembly = lambda previous=None: None
    read = b.collect
    def read_then_stop(*a, **k):
        read(*a, **k)
        os._exit(0)
    b.collect = read_then_stop
buildstate.prestart_readers = start_then_patch
sys.exit(cli.main(sys.argv[1:]))
"""


def reading_cmd(raw: Path, out: Path, *, cache: bool) -> list[str]:
    """`build_cmd` stopped once the files are read (`READ_ONLY_BUILD`)."""
    return [PY, "-c", READ_ONLY_BUILD, *build_cmd(raw, out, cache=cache)[1:]]


def reading_row(number: str, reading: list[Run], base: list[Run], target: float, what: str) -> Row:
    """The share of a target that the reading alone takes (`READ_ONLY_BUILD`): what it leaves
    for the assembly, the writing and the process's end."""
    label = f"**. the build's reading alone vs {what}"
    return _part_row(
        number, label, reading, base, target, "the reading for assembly, writing and exit"
    )


def file_list(files: list[Path], where: Path) -> Path:
    where.write_text("\n".join(str(p) for p in files), encoding="utf-8")
    return where


def ketnghia(*args: str) -> list[str]:
    return [str(BIN / "ketnghia"), *args]


def build_cmd(raw: Path, out: Path, *, cache: bool) -> list[str]:
    cmd = ketnghia("build", "--raw", str(raw), "--out", str(out), "--no-progress")
    return cmd if cache else [*cmd, "--no-cache"]


READER = """
import sys
from pathlib import Path
from ketnghia_analysis.reading.reader import read_return
root = Path(sys.argv[2])
for path in open(sys.argv[1], encoding="utf-8").read().splitlines():
    read_return(Path(path), root)
"""

OPENPYXL = """
import sys, pandas as pd
for path in open(sys.argv[1], encoding="utf-8").read().splitlines():
    try:
        pd.read_excel(path, sheet_name=None, header=None, engine="openpyxl")
    except Exception:
        pass
"""


# ---------------------------------------------------------------------------------------
# 0. Reading a province-year (issue #4): the reader vs pandas.read_excel with openpyxl
# ---------------------------------------------------------------------------------------
def bench_read(raw: Path, work: Path, repeat: int) -> list[Row]:
    """Issue #4: the reader vs read_excel with openpyxl "over the same files", i.e. the
    year's .xlsx/.xlsm (openpyxl cannot open .xls); the reader over all of them for context."""
    files = [p for p in return_files(raw) if p.parent.name == str(YEAR)]
    xlsx = [p for p in files if p.suffix.lower() in (".xlsx", ".xlsm")]
    listing = file_list(files, work / "year-files.txt")
    listing_xlsx = file_list(xlsx, work / "year-xlsx.txt")
    runs = alternate(
        {
            "reader": lambda: measure([PY, "-c", READER, str(listing_xlsx), str(raw)]),
            "openpyxl": lambda: measure([PY, "-c", OPENPYXL, str(listing_xlsx)]),
            "reader, all": lambda: measure([PY, "-c", READER, str(listing), str(raw)]),
        },
        repeat,
    )
    note = (
        f"{YEAR}: the {len(xlsx)} .xlsx/.xlsm files; the reader over all {len(files)} "
        f"(.xls too) took {statistics.median(secs(runs['reader, all'])):.2f} s; "
        "processes, imports included"
    )
    return [
        Row(
            "0. read a province-year vs read_excel(openpyxl)",
            secs(runs["reader"]),
            secs(runs["openpyxl"]),
            1.0,
            note,
        )
    ]


# ---------------------------------------------------------------------------------------
# 1, 2. Build vs naive and vs floor
# ---------------------------------------------------------------------------------------
def bench_build(raw: Path, work: Path, repeat: int) -> list[Row]:
    files = return_files(raw)
    listing = file_list(files, work / "files.txt")
    out = work / "processed-cold"

    def cold() -> Run:
        shutil.rmtree(out, ignore_errors=True)
        return measure(build_cmd(raw, out, cache=False))

    def reading() -> Run:
        shutil.rmtree(out, ignore_errors=True)
        return measure(reading_cmd(raw, out, cache=False))

    runs = alternate(
        {
            "build": cold,
            "reading alone": reading,
            "naive": lambda: measure([PY, "-c", NAIVE, str(listing)]),
            "floor": lambda: measure([PY, "-c", FLOOR, str(listing)]),
            "import pandas": lambda: measure([PY, "-c", IMPORT_PANDAS]),
        },
        repeat,
    )
    note = f"{len(files)} files; stretch target 0.35; peak MB build {peak(runs['build']):.0f}, "
    note += f"naive {peak(runs['naive']):.0f}, floor {peak(runs['floor']):.0f}"
    return [
        Row(
            "1. cold build vs pandas.read_excel",
            secs(runs["build"]),
            secs(runs["naive"]),
            0.5,
            note,
        ),
        Row(
            "1f. cold build vs calamine floor (context)",
            secs(runs["build"]),
            secs(runs["floor"]),
            3.0,
        ),
        floor_row("1", runs["import pandas"], runs["naive"], 0.5, "read_excel"),
        reading_row("1", runs["reading alone"], runs["naive"], 0.5, "read_excel"),
    ]


# ---------------------------------------------------------------------------------------
# 2. Per added file at scale
# ---------------------------------------------------------------------------------------
def copies(raw: Path, where: Path, n: int) -> Path:
    """`n` copies of the raw folder's returns in sub-folders copy00/… of `where` (each
    district-year then arrives n times: every file is read, one copy stays live)."""
    shutil.rmtree(where, ignore_errors=True)
    for i in range(n):
        for path in return_files(raw):
            target = where / f"copy{i:02d}" / path.relative_to(raw)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    return where


def bench_per_file(raw: Path, work: Path, repeat: int, n_copies: int = 8) -> list[Row]:
    """Issue #18 row 2: (build of n× − build of 1×) / added files, vs the same for read_excel."""
    big = copies(raw, work / f"raw-{n_copies}x", n_copies)
    small_files, big_files = return_files(raw), return_files(big)
    added = len(big_files) - len(small_files)
    lists = {
        "1x": file_list(small_files, work / "files-1x.txt"),
        f"{n_copies}x": file_list(big_files, work / f"files-{n_copies}x.txt"),
    }

    def cold(folder: Path, out: Path) -> Callable[[], Run]:
        def go() -> Run:
            shutil.rmtree(out, ignore_errors=True)
            return measure(build_cmd(folder, out, cache=False))

        return go

    runs = alternate(
        {
            "build 1x": cold(raw, work / "p-1x"),
            f"build {n_copies}x": cold(big, work / f"p-{n_copies}x"),
            "naive 1x": lambda: measure([PY, "-c", NAIVE, str(lists["1x"])]),
            f"naive {n_copies}x": lambda: measure([PY, "-c", NAIVE, str(lists[f"{n_copies}x"])]),
        },
        repeat,
    )

    def per_file(kind: str) -> list[float]:
        pairs = zip(secs(runs[f"{kind} {n_copies}x"]), secs(runs[f"{kind} 1x"]), strict=True)
        return [(b - s) / added for b, s in pairs]

    row = Row(
        f"2. per added file ({len(small_files)}→{len(big_files)}) vs read_excel",
        per_file("build"),
        per_file("naive"),
        0.5,
        f"ms per file: build {1000 * statistics.median(per_file('build')):.1f}, read_excel "
        f"{1000 * statistics.median(per_file('naive')):.1f}",
        peak_mb=peak(runs[f"build {n_copies}x"]),
    )
    return [row]


# ---------------------------------------------------------------------------------------
# 3. One changed file, warm: a Builder in a long-lived process
# ---------------------------------------------------------------------------------------
# The child builds once, says "ready", then for each "go" on stdin changes the victim's bytes
# (a zip comment) and times builder.build(); the parent runs read_excel between two rounds.
WARM_CHILD = """
import json, sys, time, zipfile
from pathlib import Path
from ketnghia_analysis.building.warm import Builder
raw, out, victim = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
builder = Builder(raw, out)
builder.build()
print("ready", flush=True)
for i, line in enumerate(sys.stdin):
    if line.strip() != "go":
        break
    with zipfile.ZipFile(victim, "a") as zf:
        zf.comment = f"warm {i} {time.time_ns()}".encode()
    started = time.perf_counter()
    result = builder.build()
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "read": result.read_files}), flush=True)
builder.close()
"""


def bench_warm(raw: Path, work: Path, repeat: int) -> list[Row]:
    copy = work / "raw-warm"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(raw, copy)
    out = work / "processed-warm-builder"
    shutil.rmtree(out, ignore_errors=True)
    victim = next(p for p in return_files(copy) if p.suffix == ".xlsx")
    listing = file_list(return_files(copy), work / "files-warm.txt")
    child = subprocess.Popen(
        [PY, "-c", WARM_CHILD, str(copy), str(out), str(victim)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert child.stdin is not None and child.stdout is not None
    warm, naive = [], []
    try:
        if child.stdout.readline().strip() != "ready":
            print("  ! the warm builder did not start")
            return []
        for i in range(repeat):
            child.stdin.write("go\n")
            child.stdin.flush()
            answer = json.loads(child.stdout.readline())
            warm.append(answer["seconds"])
            naive.append(measure([PY, "-c", NAIVE, str(listing)]).seconds)
            print(
                f"  round {i + 1}: warm rebuild {warm[-1]:.2f} s ({answer['read']} file read), "
                f"read_excel {naive[-1]:.2f} s"
            )
    finally:
        child.stdin.close()
        child.wait(60)
    return [
        Row(
            "3. one changed file, warm Builder vs read_excel",
            warm,
            naive,
            0.1,
            f"changed: {victim.relative_to(copy)}; builder.build() timed in its process",
        )
    ]


# ---------------------------------------------------------------------------------------
# 3. Rebuild
# ---------------------------------------------------------------------------------------
def touch_bytes(path: Path, stamp: str) -> None:
    """Change a workbook's bytes, not its content: a new zip comment (a resubmission)."""
    with zipfile.ZipFile(path, "a") as zf:
        zf.comment = f"resubmitted {stamp}".encode()


def bench_rebuild(raw: Path, work: Path, repeat: int) -> list[Row]:
    copy = work / "raw-copy"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(raw, copy)
    out = work / "processed-warm"
    victim = next(p for p in return_files(copy) if p.suffix == ".xlsx")
    first, again, changed, imports, reading = [], [], [], [], []
    for i in range(repeat):
        shutil.rmtree(out, ignore_errors=True)
        first.append(measure(build_cmd(copy, out, cache=True)))
        again.append(measure(build_cmd(copy, out, cache=True)))
        touch_bytes(victim, f"{i}-{time.time_ns()}a")
        reading.append(measure(reading_cmd(copy, out, cache=True)))  # caches the file only
        touch_bytes(victim, f"{i}-{time.time_ns()}")
        changed.append(measure(build_cmd(copy, out, cache=True)))
        imports.append(measure([PY, "-c", IMPORT_PANDAS]))
        print(
            f"  round {i + 1}: first {first[-1].seconds:.2f} s, unchanged "
            f"{again[-1].seconds:.2f} s, one changed {changed[-1].seconds:.2f} s "
            f"(its reading alone {reading[-1].seconds:.2f} s), "
            f"import pandas {imports[-1].seconds:.2f} s"
        )
    return [
        Row(
            "4. one changed file, cold CLI vs first build",
            secs(changed),
            secs(first),
            0.3,
            f"changed: {victim.relative_to(copy)}",
        ),
        floor_row("4", imports, first, 0.3, "first build"),
        reading_row("4", reading, first, 0.3, "first build"),
        Row("5. nothing changed vs first build", secs(again), secs(first), 0.1, "kept"),
    ]


# ---------------------------------------------------------------------------------------
# 4. Scale
# ---------------------------------------------------------------------------------------
# A child process runs the `ketnghia build` command line with timers around the assembly
# and writing stages (to show how much of the 10x batch's time they are), then prints them.
STAGED_BUILD = """
import json, sys, time
from ketnghia_analysis import cli
from ketnghia_analysis.building import assemble as a, build as b
spent = {"assemble": 0.0, "write": 0.0}
def timed(name, fn):
    def inner(*a, **k):
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            spent[name] += time.perf_counter() - t
    return inner
a.assemble = timed("assemble", a.assemble)  # build imports it when the files are read
b.write_all = timed("write", b.write_all)
code = cli.main(sys.argv[2:])
open(sys.argv[1], "w").write(json.dumps(spent))
sys.exit(code)
"""


def staged_build(raw: Path, out: Path, stages: Path) -> tuple[Run, dict[str, float]]:
    shutil.rmtree(out, ignore_errors=True)
    stages.unlink(missing_ok=True)  # a child that dies must not leave an older round's times
    run = measure(
        [PY, "-c", STAGED_BUILD, str(stages), "build", "--raw", str(raw), "--out", str(out)]
        + ["--no-progress", "--no-cache"]
    )
    try:
        spent = json.loads(stages.read_text())
    except (OSError, ValueError):
        spent = {"assemble": 0.0, "write": 0.0}
    if not spent["assemble"]:  # the child died before assembling: its times mean nothing
        raise RuntimeError(f"the staged build of {raw} did not assemble (see {stages})")
    return run, spent


def write_big_poverty(path: Path, n_rows: int, year: int = YEAR) -> None:
    """A Biểu 02/HN workbook of n_rows commune rows (real names of one district, repeated),
    laid out like the sample's: form code, title, one header row, numbered rows, a total."""
    import xlsxwriter

    from ketnghia_analysis.reference import gazetteer

    districts = gazetteer.districts()
    district = districts[districts["district_name"].str.contains(BIG_DISTRICT)].iloc[0]
    units = gazetteer.communes_in_year(year)
    names = units.loc[units["district_code"] == district["district_code"], "commune_name"]
    names = list(names)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Biểu 02")
    ws.write(0, 0, "Biểu số 02/HN")
    title = f"KẾT QUẢ RÀ SOÁT HỘ NGHÈO, HỘ CẬN NGHÈO NĂM {year} - "
    ws.merge_range(1, 0, 1, 10, title + str(district["district_name"]).upper())
    header = [
        "STT",
        "Xã, phường, thị trấn",
        "Tổng số hộ",
        "Số hộ nghèo đầu năm",
        "Số hộ thoát nghèo trong năm",
        "Số hộ tái nghèo",
        "Số hộ nghèo phát sinh mới",
        "Số hộ nghèo cuối năm",
        "Tỷ lệ hộ nghèo cuối năm (%)",
        "Số hộ cận nghèo cuối năm",
        "Trong đó: hộ nghèo dân tộc thiểu số",
    ]
    ws.write_row(2, 0, header)
    totals = [0] * 9
    for i in range(n_rows):
        households = 1000 + (i * 37) % 3000
        start = 20 + i % 60
        exits, relapses, new = i % 9, i % 2, i % 5
        end = start - exits + relapses + new
        values = [households, start, exits, relapses, new, end]
        ws.write_row(3 + i, 0, [i + 1, names[i % len(names)], *values])
        ws.write(3 + i, 8, round(100 * end / households, 2))
        ws.write_row(3 + i, 9, [50 + i % 40, 0])
        for j, x in enumerate([*values, 0, 50 + i % 40, 0]):
            totals[j] += x
    ws.write_row(3 + n_rows, 1, ["Tổng cộng", *totals[:6]])
    ws.write_row(3 + n_rows, 9, totals[7:])
    wb.close()


ROWS_CHILD = """
import gc, json, sys, time
from pathlib import Path
from ketnghia_analysis.building.worker import process_file
from ketnghia_analysis.reading.reader import read_return
small, big, repeat = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
process_file((str(small), str(small.parent)))  # warm up: imports, reference data
# CPU seconds of this one process (the machine is shared); the 1,000-row workbook is read
# ten times per round so that both sides of the ratio are about the same size (a 0.1 s
# measurement swings too much under load).
# Each measurement starts from a collected heap: a previous result kept alive (9,986
# quarantined rows and their issues) slows the garbage collector during the next one.
clock = time.process_time
out = {"read_small": [], "read_big": [], "all_small": [], "all_big": []}
for _ in range(repeat):
    gc.collect(); t = clock()
    for _ in range(10):
        read_return(small, small.parent)
    out["read_small"].append((clock() - t) / 10)
    gc.collect(); t = clock(); read_return(big, big.parent); out["read_big"].append(clock() - t)
    for key, path in (("small", small), ("big", big)):
        gc.collect(); t = clock(); res = process_file((str(path), str(path.parent)))
        out["all_" + key].append(clock() - t)
        out["sub_" + key] = {k: str(v) for k, v in res.submission.items()}
        res = None
print(json.dumps(out))
"""


def bench_scale(raw: Path, work: Path, repeat: int) -> list[Row]:
    files = return_files(raw)
    big = work / "raw-10x"
    shutil.rmtree(big, ignore_errors=True)
    for i in range(10):
        for path in files:
            target = big / f"dot{i:02d}" / path.relative_to(raw)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    small_runs, big_runs, assemble_1x = [], [], []
    for i in range(repeat):
        s, s_stages = staged_build(raw, work / "p-1x", work / "stages-1x.json")
        b, b_stages = staged_build(big, work / "p-10x", work / "stages-10x.json")
        small_runs.append(s)
        big_runs.append(b)
        assemble_1x.append(s_stages["assemble"] + s_stages["write"])
        print(
            f"  round {i + 1}: 1x {s.seconds:.2f} s {s.peak_mb:.0f} MB (assembly+write "
            f"{assemble_1x[-1]:.2f} s); 10x {b.seconds:.2f} s {b.peak_mb:.0f} MB (assembly+write "
            f"{b_stages['assemble'] + b_stages['write']:.2f} s)"
        )
    row_files = Row(
        "4a. 10x the files vs 1x",
        secs(big_runs),
        secs(small_runs),
        11.0,
        f"{10 * len(files)} vs {len(files)} files",
        peak_mb=peak(big_runs),
    )
    # The 10x batch's live rows are the 1x batch's (copies are resubmissions): had the
    # assembly grown 10x too, the 10x build would have taken 9 more assemblies.
    row_files.adjusted = (row_files.contender_s + 9 * statistics.median(assemble_1x)) / (
        row_files.baseline_s
    )

    return [row_files]


def bench_rows(raw: Path, work: Path, repeat: int) -> list[Row]:
    small_wb, big_wb = work / "rows-1k" / "bieu02-1k.xlsx", work / "rows-10k" / "bieu02-10k.xlsx"
    for path, n in ((small_wb, 1_000), (big_wb, 10_000)):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_big_poverty(path, n)
    proc = subprocess.run(
        [PY, "-c", ROWS_CHILD, str(small_wb), str(big_wb), str(max(3, repeat))],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        figures = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        print("  ! rows benchmark failed:", proc.stderr[-500:])
        return []
    mem = measure(build_cmd(big_wb.parent, work / "p-10k", cache=False))
    sub = figures["sub_big"]
    print(
        f"  10k workbook: read {statistics.median(figures['read_big']):.2f} s vs 1k "
        f"{statistics.median(figures['read_small']):.2f} s; read+normalise "
        f"{statistics.median(figures['all_big']):.2f} s vs "
        f"{statistics.median(figures['all_small']):.2f} s; rows accepted "
        f"{sub.get('rows_accepted')}, quarantined {sub.get('rows_quarantined')}; "
        f"ketnghia build {mem.seconds:.2f} s, peak {mem.peak_mb:.0f} MB"
    )
    return [
        Row(
            "4b. 10,000-row workbook vs 1,000 rows (read, CPU)",
            figures["read_big"],
            figures["read_small"],
            11.0,
            "reader only",
        ),
        Row(
            "4c. 10,000 rows vs 1,000 (read+normalise, CPU)",
            figures["all_big"],
            figures["all_small"],
            11.0,
            f"build of the 10k workbook {mem.seconds:.1f} s",
            peak_mb=mem.peak_mb,
        ),
    ]


# ---------------------------------------------------------------------------------------
# 5. Reports
# ---------------------------------------------------------------------------------------
# The floor: every report's notebook code, parameters injected after the parameters cell,
# run as plain Python in one interpreter; open figures are rendered to PNG after each cell
# (what the inline backend does in a kernel), then closed.
SCRIPTS = """
import contextlib, io, json, os, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import nbformat
jobs = json.load(open(sys.argv[1], encoding="utf-8"))
for job in jobs:
    nb = nbformat.read(job["notebook"], as_version=4)
    os.chdir(os.path.dirname(job["notebook"]))
    ns = {"__name__": "__main__"}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        code = "\\n".join(l for l in cell.source.splitlines() if not l.lstrip().startswith(("%", "!")))
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(code, job["name"], "exec"), ns)
            if "parameters" in cell.metadata.get("tags", []):
                ns.update(job["parameters"])
        for num in plt.get_fignums():
            plt.figure(num).savefig(io.BytesIO(), format="png")
        plt.close("all")
"""


def bench_reports(raw: Path, work: Path, repeat: int, year: int) -> list[Row]:
    from ketnghia_analysis.reporting import jobs as report_jobs

    processed = work / "processed-reports"
    measure(build_cmd(raw, processed, cache=False))
    notebooks = ROOT / "notebooks"
    districts = report_jobs.validate(year, None, True, processed)
    jobs = report_jobs.plan(year, districts, processed, work / "reports-plan", notebooks)
    listing = work / "jobs.json"
    listing.write_text(
        json.dumps(
            [{"name": j.name, "notebook": j.notebook, "parameters": j.parameters} for j in jobs]
        ),
        encoding="utf-8",
    )

    def ours() -> Run:
        out = work / "reports-ours"
        shutil.rmtree(out, ignore_errors=True)
        return measure(
            ketnghia("report", "--year", str(year), "--all", "--processed", str(processed))
            + ["--out", str(out), "--workers", "2"]
        )

    def cli_sequential() -> Run:
        out = work / "reports-cli"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        total, top = 0.0, 0.0
        for job in jobs:
            executed = out / f"{job.name}.ipynb"
            params: list[str] = []
            for key, value in job.parameters.items():
                # -p keeps the year an int; -r keeps codes as text ("05" stays "05")
                params += ["-p" if isinstance(value, int) else "-r", key, str(value)]
            cmd = [str(BIN / "papermill"), job.notebook, str(executed), "-k", report_jobs.KERNEL]
            cmd += ["--cwd", str(notebooks), "--no-progress-bar", *params]
            run = measure(cmd)
            html = [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input"]
            run2 = measure([*html, str(executed)])
            total += run.seconds + run2.seconds
            top = max(top, run.peak_mb, run2.peak_mb)
        return Run(total, top)

    runs = alternate(
        {
            "report --all": ours,
            "sequential CLI": cli_sequential,
            "plain scripts": lambda: measure([PY, "-c", SCRIPTS, str(listing)]),
        },
        repeat,
    )
    cold_start = runs["report --all"][0].seconds
    note = (
        f"{len(jobs)} reports; cold start (first round) {cold_start:.1f} s; peak MB ours "
        f"{peak(runs['report --all']):.0f}"
    )
    return [
        Row(
            "6. report --all vs sequential papermill CLI",
            *_pair(runs, "sequential CLI"),
            0.45,
            note,
        ),
        Row("6f. report --all vs plain-script floor (context)", *_pair(runs, "plain scripts"), 1.2),
    ]


def _pair(runs: dict[str, list[Run]], baseline: str) -> tuple[list[float], list[float]]:
    return secs(runs["report --all"]), secs(runs[baseline])


# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------
def _commit(root: Path = ROOT) -> str:
    """The checkout's commit ("abc1234", "+ uncommitted changes" when it differs from it),
    or "unknown (not a git checkout)" for a copy without its .git (e.g. `git archive`)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--show-toplevel", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        )
        top, _, commit = head.stdout.strip().partition("\n")
        if head.returncode != 0 or Path(top).resolve() != root.resolve():
            return "unknown (not a git checkout)"
        dirty = subprocess.run(
            ["git", "-C", str(root), "diff", "--quiet", "HEAD", "--"],
            capture_output=True,
            check=False,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},  # read only: no index refresh
        ).returncode
        return commit + (" + uncommitted changes" if dirty == 1 else "")
    except OSError:
        return "unknown (git not found)"


CORES = os.cpu_count() or 1


def _verdict(row: Row, cores: int = CORES) -> str:
    """yes / NO (fits / over for a floor row); "noisy" when the load average while the row
    ran was above the number of cores: the figure is shown, not judged."""
    if row.load is not None and row.load > cores:
        return "noisy"
    if row.floor:
        return "fits" if row.ok else "over"
    return "yes" if row.ok else "NO"


def table(rows: list[Row], cores: int = CORES) -> str:
    lines = [
        f"{'benchmark':<50} {'ours s':>7} {'base s':>7} {'ratio':>6} {'target':>7}  ok     load",
        "-" * 95,
    ]
    for row in rows:
        extra = []
        if row.adjusted is not None:
            extra.append(f"assembly scaled too: {row.adjusted:.2f}")
        if row.peak_mb is not None:
            extra.append(f"peak {row.peak_mb:.0f} MB, target < 1024")
        if row.note:
            extra.append(row.note)
        lines.append(
            f"{row.name:<50} {row.contender_s:7.2f} {row.baseline_s:7.2f} {row.ratio:6.2f} "
            f"{'≤' + format(row.target, 'g'):>7}  {_verdict(row, cores):<5} "
            f"{'-' if row.load is None else format(row.load, '4.1f'):>4}"
            + (f"  ({'; '.join(extra)})" if extra else "")
        )
    return "\n".join(lines)


#: Issue #18's steps, run by default; the earlier benchmarks on demand (--only).
DEFAULT_STEPS = "cold,scale,warm,rebuild,reports"
MIN_ROUNDS = 5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=MIN_ROUNDS, help=f"rounds of each (median; ≥ {MIN_ROUNDS})"
    )
    parser.add_argument(
        "--repeat-scale",
        type=int,
        default=None,
        help=f"rounds of scale, scale10 and rows (default: --repeat; ≥ {ROWS_MIN_ROUNDS} for rows)",
    )
    parser.add_argument("--repeat-reports", type=int, default=None, help="default: --repeat")
    parser.add_argument(
        "--only", default=DEFAULT_STEPS, help=f"{DEFAULT_STEPS} (default); also read,scale10,rows"
    )
    parser.add_argument("--copies", type=int, default=8, help="the scale step's n× (default 8)")
    parser.add_argument("--year", type=int, default=YEAR)
    parser.add_argument("--keep", type=Path, default=None, help="work folder to keep")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    if args.repeat < MIN_ROUNDS:
        print(f"note: {args.repeat} round(s), fewer than the {MIN_ROUNDS} a verdict needs")

    from ketnghia_analysis.sample import write_sample

    # Every timed process imports the package: give it cached bytecode, like the libraries
    # pip installed (compiled at install time) and like any run after the first.
    compileall.compile_dir(ROOT / "ketnghia_analysis", quiet=1)
    rows: list[Row] = []
    repeats: set[int] = set()
    started = datetime.now(UTC)
    scale_rounds = args.repeat_scale or args.repeat
    with tempfile.TemporaryDirectory(prefix="ketnghia-bench-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        raw = work / "raw"
        if not raw.exists():
            write_sample(raw, years=range(2019, 2025), seed=2024)
        steps = [
            ("cold", bench_build, args.repeat),
            ("scale", lambda r, w, n: bench_per_file(r, w, n, args.copies), scale_rounds),
            ("warm", bench_warm, args.repeat),
            ("rebuild", bench_rebuild, args.repeat),
            (
                "reports",
                lambda r, w, n: bench_reports(r, w, n, args.year),
                args.repeat_reports or args.repeat,
            ),
            ("read", bench_read, args.repeat),
            ("scale10", bench_scale, scale_rounds),
            # 4b/c divide CPU seconds of ~0.1 s: more rounds for a steadier median (~5 s each)
            ("rows", bench_rows, args.repeat_scale or max(args.repeat, ROWS_MIN_ROUNDS)),
        ]
        for name, step, repeat in steps:
            if name in only:
                print(f"[{name}] {repeat} round(s)", flush=True)
                repeats.add(repeat)
                with LoadWatch() as load:
                    new = step(raw, work, repeat)
                for row in new:
                    row.load = load.mean
                rows += new

    print()
    print(
        f"machine: {platform.platform()}, {CORES} cores, Python "
        f"{platform.python_version()}; commit {_commit()}; {started:%Y-%m-%d %H:%M} UTC; "
        f"median of {'/'.join(str(n) for n in sorted(repeats))} alternated rounds; load = mean "
        f"1-minute load average during the row (ours included), 'noisy' above {CORES}"
    )
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
