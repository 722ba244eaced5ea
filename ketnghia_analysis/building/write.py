"""Writing a build: every output into a temporary folder, then swapped into place with the manifest last."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ketnghia_analysis.building.buildstate import (
    MANIFEST,
    Counts,
    sha256_of,
)
from ketnghia_analysis.reference.contract import TABLE_NAMES

#: The Parquet files of a build, one per table of the contract.
TABLE_FILES = TABLE_NAMES


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------
def write_all(
    tables: dict[str, pd.DataFrame], tmp: Path, hook: Callable[[str], None] | None = None
) -> list[Path]:
    from ketnghia_analysis.building import codebook, feedback

    written = []
    for name in TABLE_FILES:
        frame = tables[name]
        path = tmp / f"{name}.parquet"
        frame.to_parquet(path, index=False, engine="pyarrow")
        written.append(path)
    if hook:
        hook("write")  # the tables are in tmp, the workbooks not yet
    written.append(feedback.write_issues_xlsx(tables["issues"], tmp / "issues.xlsx"))
    written += feedback.write_district_feedback(tables["issues"], tmp / "feedback")
    try:
        written += codebook.write_codebook(tmp)
    except Exception as exc:  # noqa: BLE001 - the codebook must not stop a build
        print(f"Không ghi được codebook: {exc}", file=sys.stderr)
    return written


def swap(
    tmp: Path, out: Path, inputs: str | None = None, counts: Counts | None = None
) -> list[Path]:
    """Move every file of tmp into out (os.replace per file); the manifest goes last.

    The manifest records the inputs' fingerprint, the sha256 of every file and the counts
    of the summary: a later build with the same inputs and intact files has nothing to do.
    """
    final = []
    manifest: dict[str, Any] = {
        "built_at": datetime.now(UTC).isoformat(),
        "inputs": inputs,
        "counts": asdict(counts) if counts is not None else None,
        "files": {},
    }
    for path in sorted(tmp.rglob("*")):  # the tables, the workbooks and feedback/*
        if path.is_file():
            manifest["files"][path.relative_to(tmp).as_posix()] = sha256_of(path)
    old_fb = None
    if (tmp / "feedback").is_dir():
        if (out / "feedback").exists():
            old_fb = out / f".feedback-old-{os.getpid()}"
            os.replace(out / "feedback", old_fb)
        os.replace(tmp / "feedback", out / "feedback")
        final.append(out / "feedback")
    for path in sorted(tmp.glob("*")):
        if path.is_file():
            os.replace(path, out / path.name)
            final.append(out / path.name)
    mtmp = tmp / MANIFEST
    mtmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(mtmp, out / MANIFEST)
    if old_fb is not None:
        shutil.rmtree(old_fb, ignore_errors=True)
    return final


def clean_stale(out: Path) -> None:
    for stale in list(out.glob(".tmp-*")) + list(out.glob(".feedback-old-*")):
        pid = stale.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid)):
            continue
        shutil.rmtree(stale, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    except OSError:
        return False
    return True
