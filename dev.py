"""Set-up and everyday tasks without make: `python dev.py demo`, `python dev.py test`, ...

Every Makefile target calls this file (`make test` is `python3 dev.py test`), so the two
cannot drift apart. Standard library only: it runs before `.venv` exists, with whichever
Python 3.11+ starts it, and creates `.venv` with that interpreter. On Windows run it as
`py dev.py demo`; the programs of the virtual environment are then in `.venv\\Scripts\\`.
`python dev.py TARGET --dry-run` prints the commands without running them.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed"  # newer than pyproject.toml: the environment is up to date
PYPROJECT = ROOT / "pyproject.toml"
RAW = ROOT / "data" / "raw"
DEFAULT_YEAR = 2024
KEPT = "README.md"  # the one file `clean` and the empty-raw test leave alone


def tool(name: str) -> Path:
    """A program of the virtual environment (.venv/bin/NAME, .venv\\Scripts\\NAME.exe)."""
    return BIN / (f"{name}.exe" if os.name == "nt" else name)


def shown(command: Sequence[str | Path]) -> str:
    """A command as it is printed: paths inside the repository relative to it."""
    words = []
    for word in command:
        if isinstance(word, Path) and word.is_relative_to(ROOT):
            word = word.relative_to(ROOT)
        words.append(str(word))
    return subprocess.list2cmdline(words) if os.name == "nt" else shlex.join(words)


class Runner:
    """Runs (or, dry, only prints) commands from the repository root, stopping at a failure."""

    def __init__(self, dry_run: bool) -> None:
        self.dry_run = dry_run

    def run(
        self,
        command: Sequence[str | Path],
        *,
        ok: tuple[int, ...] = (0,),
        env: dict[str, str] | None = None,
        quiet: bool = False,
    ) -> None:
        """Print the command, run it, and exit with its code unless that code is in `ok`."""
        prefix = "".join(f"{key}={value} " for key, value in (env or {}).items())
        print(prefix + shown(command), flush=True)
        if self.dry_run:
            return
        code = subprocess.run(
            [str(word) for word in command],
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL if quiet else None,
        ).returncode
        if code not in ok:
            raise SystemExit(code)


# ------------------------------------------------------------------------ the targets


def setup(r: Runner) -> None:
    """Create .venv, install the package with its dev extras, register the kernel."""
    if STAMP.exists() and STAMP.stat().st_mtime >= PYPROJECT.stat().st_mtime:
        return
    python = tool("python")
    r.run([sys.executable, "-m", "venv", VENV])
    r.run([python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    r.run([python, "-m", "pip", "install", "--quiet", "-e", ".[dev]"])
    r.run(
        [python, "-m", "ipykernel", "install", "--sys-prefix", "--name", "ketnghia"]
        + ["--display-name", "Python (ketnghia)"],
        quiet=True,
    )
    if not r.dry_run:
        STAMP.touch()


def raw_is_empty() -> bool:
    """Whether data/raw holds nothing but README.md."""
    return not RAW.is_dir() or all(p.name == KEPT for p in RAW.rglob("*"))


def demo(r: Runner, year: int) -> None:
    setup(r)
    if raw_is_empty():
        print("data/raw trống: tạo báo cáo mẫu TỔNG HỢP (synthetic) bằng 'ketnghia sample'")
        r.run([tool("ketnghia"), "sample", "--out", "data/raw", "--broken", "--official"])
    else:
        print("data/raw đã có dữ liệu: dùng các tệp hiện có")
    # exit code 1 of build only means "built, with error-level issues"
    r.run([tool("ketnghia"), "build", "--raw", "data/raw", "--out", "data/processed"], ok=(0, 1))
    r.run(
        [tool("ketnghia"), "report", "--year", str(year), "--all"]
        + ["--processed", "data/processed", "--out", "reports"]
    )


def lint(r: Runner) -> None:
    setup(r)
    r.run([tool("ruff"), "check", "."])
    r.run([tool("ruff"), "format", "--check", "."])
    r.run([tool("lint-imports")])
    r.run([tool("mypy")])


def test(r: Runner) -> None:
    lint(r)
    r.run([tool("python"), "-m", "pytest", "-m", "not slow", "-q", "-n", "2", "--dist", "loadfile"])


def test_slow(r: Runner) -> None:
    setup(r)
    r.run([tool("python"), "-m", "pytest", "-m", "slow", "-q"])


def fuzz(r: Runner) -> None:
    """The cell-reader fuzzer (mutated bytes), then the variation fuzzer of issue #20
    (consistent returns edited as real returns differ; each example is a build)."""
    setup(r)
    r.run(
        [tool("python"), "-m", "pytest", "-q", "tests/reading/test_fuzz.py"],
        env={"KETNGHIA_FUZZ_EXAMPLES": "2000"},
    )
    r.run(
        [
            tool("python"),
            "-m",
            "pytest",
            "-q",
            "tests/building/test_perturbation_combinations.py",
        ],
        env={"KETNGHIA_FUZZ_EXAMPLES": "500"},
    )


def mc(r: Runner) -> None:
    """The Monte-Carlo of the effect estimate under each planted threat (issue #16)."""
    setup(r)
    r.run([tool("python"), "benchmarks/mc.py", "--draws", "200", "--workers", "2"])


def bench(r: Runner) -> None:
    setup(r)
    r.run([tool("python"), "benchmarks/run.py"])


def format_code(r: Runner) -> None:
    setup(r)
    r.run([tool("ruff"), "format", "."])
    r.run([tool("ruff"), "check", "--fix", "."])


def lab(r: Runner) -> None:
    setup(r)
    r.run([tool("jupyter"), "lab", "notebooks/"])


def sample(r: Runner) -> None:
    setup(r)
    r.run([tool("ketnghia"), "sample", "--out", "data/raw", "--broken", "--official"])


def build(r: Runner) -> None:
    setup(r)
    r.run([tool("ketnghia"), "build", "--raw", "data/raw", "--out", "data/processed"])


def report(r: Runner, year: int) -> None:
    setup(r)
    r.run([tool("ketnghia"), "report", "--year", str(year), "--all"])


def clean(r: Runner) -> None:
    """Remove the processed tables, the reports and .venv; never data/raw."""
    doomed = [
        child
        for folder in (ROOT / "data" / "processed", ROOT / "reports")
        if folder.is_dir()
        for child in sorted(folder.iterdir())
        if child.name != KEPT
    ]
    for path in [*doomed, VENV]:
        print(f"xoá {path.relative_to(ROOT)}")
        if r.dry_run:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()


# name → (what it does, the function; True when it takes --year)
TARGETS: dict[str, tuple[str, Callable[..., None], bool]] = {
    "demo": (
        "set up, generate sample returns if data/raw is empty, build, render reports",
        demo,
        True,
    ),
    "test": (
        "set up if needed, lint, check the layering, and run the whole test suite "
        "(slow checks excluded)",
        test,
        False,
    ),
    "test-slow": ("the slow checks (estimator coverage over many seeds)", test_slow, False),
    "lint": ("ruff lint and format check, the layering contract, mypy", lint, False),
    "format": ("apply ruff formatting and safe fixes", format_code, False),
    "fuzz": (
        "longer fuzzing: mutated bytes for the cell reader, perturbed returns for the build",
        fuzz,
        False,
    ),
    "mc": (
        "Monte-Carlo of the effect estimate under each planted threat (bias, coverage)",
        mc,
        False,
    ),
    "bench": ("the benchmarks (ratios against baselines measured in the same run)", bench, False),
    "lab": ("open JupyterLab on the notebooks with the ketnghia kernel", lab, False),
    "sample": ("(re)generate the synthetic sample returns into data/raw", sample, False),
    "build": ("build data/processed from data/raw", build, False),
    "report": (f"render every report of --year (default {DEFAULT_YEAR})", report, True),
    "clean": (
        "remove the processed tables, the reports and the virtual environment (never data/raw)",
        clean,
        False,
    ),
}


def print_targets() -> None:
    """The `help` target: every target, as `make` and as `python dev.py` know it."""
    print("Targets (make TARGET, or python dev.py TARGET; on Windows: py dev.py TARGET):")
    for name, (text, _, _) in TARGETS.items():
        print(f"  {name:<10} {text}")


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="dev.py",
        description="Set up .venv and run the project's tasks (what the Makefile targets do).",
    )
    sub = main.add_subparsers(dest="target", metavar="TARGET", required=True)
    sub.add_parser("help", help="list the targets")
    for name, (text, _, takes_year) in TARGETS.items():
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
        if takes_year:
            p.add_argument("--year", type=int, default=DEFAULT_YEAR, help="the reports' year")
    return main


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # Vietnamese messages on any console
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    args = parser().parse_args(argv)
    if args.target == "help":
        print_targets()
        return 0
    _, action, takes_year = TARGETS[args.target]
    runner = Runner(args.dry_run)
    try:
        if takes_year:
            action(runner, args.year)
        else:
            action(runner)
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
