"""Default folders of the project, in one place."""

from __future__ import annotations

import os
from pathlib import Path

# The project root is the folder holding pyproject.toml when run from a checkout;
# otherwise the current directory. KETNGHIA_HOME overrides both.
_PACKAGE_DIR = Path(__file__).resolve().parents[1]
REFERENCE_DIR = _PACKAGE_DIR / "reference"


def project_root() -> Path:
    env = os.environ.get("KETNGHIA_HOME")
    if env:
        return Path(env)
    candidate = _PACKAGE_DIR.parent
    if (candidate / "pyproject.toml").exists():
        return candidate
    return Path.cwd()


def raw_dir() -> Path:
    return project_root() / "data" / "raw"


def processed_dir() -> Path:
    return project_root() / "data" / "processed"


def reports_dir() -> Path:
    return project_root() / "reports"


def notebooks_dir() -> Path:
    return project_root() / "notebooks"
