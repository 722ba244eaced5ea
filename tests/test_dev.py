"""dev.py: the set-up and tasks without make, and the Makefile that only calls it."""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {
    "demo",
    "test",
    "test-slow",
    "lint",
    "format",
    "fuzz",
    "mc",
    "bench",
    "lab",
    "sample",
    "build",
    "report",
    "clean",
}
# What `make test` ran before dev.py, in this order (written by hand from the old Makefile).
TEST_COMMANDS = [
    [".venv/bin/ruff", "check", "."],
    [".venv/bin/ruff", "format", "--check", "."],
    [".venv/bin/lint-imports"],
    [".venv/bin/mypy"],
    [".venv/bin/python", "-m", "pytest", "-m", "not slow", "-q", "-n", "2", "--dist", "loadfile"],
]


def _dev(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "dev.py"), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        timeout=60,
    )


def _load_dev():
    spec = importlib.util.spec_from_file_location("dev", ROOT / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_help_lists_every_target():
    done = _dev("--help")
    assert done.returncode == 0, done.stderr
    for target in TARGETS | {"help"}:
        assert re.search(rf"^\s+{re.escape(target)}\b", done.stdout, re.M), target


def test_every_makefile_target_calls_dev_py():
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    phony = set(re.search(r"^\.PHONY:(.*)$", text, re.M).group(1).split())
    assert phony == TARGETS | {"help"}
    recipes = dict(re.findall(r"^([a-z-]+):\n\t(.+)$", text, re.M))
    assert set(recipes) == phony
    for target, recipe in recipes.items():
        assert re.fullmatch(rf"@\$\(DEV\) {re.escape(target)}( --year \$\(YEAR\))?", recipe)
    assert re.search(r"^DEV := \$\(PYTHON\) dev\.py$", text, re.M)
    assert (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().endswith("make test")


def test_dev_test_runs_what_make_test_ran_in_order():
    done = _dev("test", "--dry-run")
    assert done.returncode == 0, done.stderr
    # the set-up commands come first when .venv is missing or older than pyproject.toml
    lines = [shlex.split(line) for line in done.stdout.splitlines()]
    assert lines[-len(TEST_COMMANDS) :] == TEST_COMMANDS


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this system")
def test_make_test_is_dev_py_test():
    # Under `make test` itself (as in CI) the variables of the outer make would make this
    # one print "Entering directory": run it as a first-level make.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    done = subprocess.run(
        ["make", "--no-print-directory", "-n", "test"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert done.stdout.split()[-2:] == ["dev.py", "test"]


def test_a_failing_step_stops_the_target():
    dev = _load_dev()
    runner = dev.Runner(dry_run=False)
    with pytest.raises(SystemExit) as stop:
        runner.run([sys.executable, "-c", "raise SystemExit(3)"])
    assert stop.value.code == 3
    runner.run([sys.executable, "-c", "raise SystemExit(1)"], ok=(0, 1))  # build's "issues"


def test_demo_samples_only_an_empty_raw_folder(tmp_path, monkeypatch):
    dev = _load_dev()
    monkeypatch.setattr(dev, "RAW", tmp_path / "raw")
    assert dev.raw_is_empty()  # missing
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "README.md").write_text("x")
    assert dev.raw_is_empty()
    (tmp_path / "raw" / "2024").mkdir()
    assert not dev.raw_is_empty()
