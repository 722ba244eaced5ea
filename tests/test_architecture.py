"""The package's shape (issue #14): stage folders, one-way imports, readable modules.

* the import-linter contracts of pyproject.toml hold, and a back-edge planted in a copy of
  the package makes `lint-imports` fail (so the contract is not one that cannot fail);
* no module over 600 lines and no function over 80 lines, except the byte-level format
  parsers and rule cascades listed below, each with the reason it is one piece.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ketnghia_analysis"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
STAGES = ("core", "reference", "reading", "building", "analysis", "reporting")

MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
#: module (relative to the package) → why it may be longer.
LONG_MODULES: dict[str, str] = {}
#: "module:function" → why it is one piece.
LONG_FUNCTIONS: dict[str, str] = {}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_the_folders_are_the_pipeline():
    for stage in STAGES:
        init = PACKAGE / stage / "__init__.py"
        assert init.exists(), stage
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and "Reads" in doc, f"{stage}/__init__.py must say what it reads"
    flat = [p.name for p in PACKAGE.glob("*.py")]
    assert sorted(flat) == ["__init__.py", "__main__.py", "cli.py"]


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")
def test_layers_hold_and_a_back_edge_breaks_them(tmp_path):
    def lint(cwd: Path) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(LINT_IMPORTS), "--no-cache"],
            cwd=cwd,
            capture_output=True,
            text=True,
            env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
            check=False,
        )

    assert lint(ROOT).returncode == 0, lint(ROOT).stdout[-2000:]
    copy = tmp_path / "project"
    shutil.copytree(
        PACKAGE, copy / "ketnghia_analysis", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    fmt = copy / "ketnghia_analysis" / "core" / "fmt.py"
    fmt.write_text(fmt.read_text() + "\nfrom ketnghia_analysis.reporting import charts  # noqa\n")
    broken = lint(copy)
    assert broken.returncode != 0
    assert "ketnghia_analysis.core.fmt -> ketnghia_analysis.reporting" in broken.stdout


def test_no_module_is_too_long():
    long = {}
    for path in _modules():
        rel = path.relative_to(PACKAGE).as_posix()
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > MAX_MODULE_LINES and rel not in LONG_MODULES:
            long[rel] = n
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


def test_no_function_is_too_long():
    long = {}
    for path in _modules():
        rel = path.relative_to(PACKAGE).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES and f"{rel}:{node.name}" not in LONG_FUNCTIONS:
                    long[f"{rel}:{node.name}"] = n
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_the_exceptions_still_exist():
    """An exception for a module or function that is gone (or short now) is removed."""
    stale = []
    for rel in LONG_MODULES:
        path = PACKAGE / rel
        if (
            not path.exists()
            or len(path.read_text(encoding="utf-8").splitlines()) <= MAX_MODULE_LINES
        ):
            stale.append(rel)
    for key in LONG_FUNCTIONS:
        rel, name = key.split(":")
        path = PACKAGE / rel
        found = path.exists() and any(
            isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            and n.name == name
            and n.end_lineno - n.lineno + 1 > MAX_FUNCTION_LINES
            for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        )
        if not found:
            stale.append(key)
    assert not stale, f"exceptions no longer needed: {stale}"
