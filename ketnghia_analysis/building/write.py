"""Writing a build: every output into a temporary folder, then swapped into place (under the
tables lock readers share) with the manifest last."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from ketnghia_analysis.building.buildstate import Counts
from ketnghia_analysis.core import snapshot
from ketnghia_analysis.core.snapshot import MANIFEST
from ketnghia_analysis.reference.contract import TABLE_NAMES

if TYPE_CHECKING:  # imported by the build before pandas (`warm_up`)
    import pandas as pd

#: The Parquet files of a build, one per table of the contract.
TABLE_FILES = TABLE_NAMES


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------
def write_all(
    tables: dict[str, pd.DataFrame],
    tmp: Path,
    hook: Callable[[str], None] | None = None,
    previous: Path | None = None,
) -> list[Path]:
    """Every output into tmp; the workbooks whose content is that of the previous build in
    `previous` (the out folder; None: write all) are taken from it (`unchanged.Reuse`)."""
    from ketnghia_analysis.building import codebook, feedback
    from ketnghia_analysis.building.unchanged import Reuse

    written = []
    for name in TABLE_FILES:
        path = tmp / f"{name}.parquet"
        write_parquet(tables[name], path)
        written.append(path)
    if hook:
        hook("write")  # the tables are in tmp, the workbooks not yet
    reuse = Reuse(previous, tmp)
    issues = feedback.sort_issues(tables["issues"])  # once, for every workbook
    written.append(feedback.write_issues_xlsx(issues, tmp / "issues.xlsx", reuse, presorted=True))
    written += feedback.write_district_feedback(issues, tmp / "feedback", reuse, presorted=True)
    try:
        written += codebook.write_codebook(tmp, reuse)
    except Exception as exc:  # noqa: BLE001 - the codebook must not stop a build
        print(f"Không ghi được codebook: {exc}", file=sys.stderr)
    written.append(reuse.finish())
    return written


def write_parquet(frame: pd.DataFrame, path: Path | BinaryIO) -> None:
    """``frame.to_parquet(path, index=False, engine="pyarrow")``, byte for byte, without
    pandas' file handling and pyarrow's thread pool for the columns (a table of the build
    converts faster in one thread: ~1 ms a table, issue #18)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False, nthreads=1)
    if frame.attrs:  # as pandas: the frame's attrs in the schema's metadata
        metadata = {**table.schema.metadata, "PANDAS_ATTRS": json.dumps(frame.attrs)}
        table = table.replace_schema_metadata(metadata)
    pq.write_table(table, path, compression="snappy")


#: What the sample generator leaves in the raw folder beside its returns.
SAMPLE_TRUTH = "truth"
SAMPLE_README = "README.md"
_SAMPLE_README_MARKS = ("ketnghia sample", "DỮ LIỆU TỔNG HỢP")


def provenance(raw: Path) -> dict[str, Any]:
    """Where the inputs of a build come from, for the manifest: the synthetic sample (its
    ``truth/`` folder or its README in the raw folder) or real returns.

    >>> provenance(Path("/nonexistent"))
    {'synthetic': False, 'source': 'báo cáo của các huyện'}
    """
    readme = raw / SAMPLE_README
    synthetic = (raw / SAMPLE_TRUTH).is_dir()
    if not synthetic and readme.is_file():
        try:
            text = readme.read_text(encoding="utf-8", errors="replace")[:4000]
        except OSError:
            text = ""
        synthetic = any(mark in text for mark in _SAMPLE_README_MARKS)
    source = "ketnghia sample" if synthetic else "báo cáo của các huyện"
    return {"synthetic": synthetic, "source": source}


def swap(
    tmp: Path,
    out: Path,
    inputs: str | None = None,
    counts: Counts | None = None,
    provenance: dict[str, Any] | None = None,
) -> list[Path]:
    """Move every file of tmp into out (os.replace per file); the manifest goes last.

    The manifest records the inputs' fingerprint, the sha256 of every file, the size and
    time of every table and the counts of the summary: a later build with the same inputs
    and intact files has nothing to do, and a reader can tell a folder whose swap was cut
    short. The moves hold the tables lock of out exclusively (``core/snapshot.py``): they
    wait for the readers (``kn.load``, a report run taking its copy), saying so after a
    second, and no reader starts before the manifest is in place. ``provenance`` (see
    :func:`provenance`) says whether the inputs are the synthetic sample: reports read it
    from there, wherever the folder was built.
    """
    manifest = _manifest(tmp, inputs, counts)
    if provenance is not None:
        manifest["provenance"] = provenance
    with snapshot.swapping(out, notice=lambda: _say_waiting(out)):
        final, old_fb = _move_all(tmp, out)
        manifest["stats"] = {
            path.name: snapshot.file_stat(path) for path in final if path.suffix == ".parquet"
        }
        mtmp = tmp / MANIFEST
        mtmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(mtmp, out / MANIFEST)
    if old_fb is not None:
        shutil.rmtree(old_fb, ignore_errors=True)
    return final


def _manifest(tmp: Path, inputs: str | None, counts: Counts | None) -> dict[str, Any]:
    """The manifest of the files in tmp (before the move: hashing takes no lock)."""
    manifest: dict[str, Any] = {
        "built_at": datetime.now(UTC).isoformat(),
        "inputs": inputs,
        "counts": asdict(counts) if counts is not None else None,
        "files": {},
    }
    for path in sorted(tmp.rglob("*")):  # the tables, the workbooks and feedback/*
        if path.is_file():
            manifest["files"][path.relative_to(tmp).as_posix()] = snapshot.file_sha256(path)
    return manifest


def _move_all(tmp: Path, out: Path) -> tuple[list[Path], Path | None]:
    """Move feedback/ and every file of tmp into out; the files moved and the old
    feedback folder to remove once the manifest is in place."""
    final = []
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
    return final, old_fb


def _say_waiting(out: Path) -> None:
    """Tell the user why the swap waits (readers hold the tables lock of out)."""
    print(
        f"Đang chờ các chương trình đang đọc bảng trong {out} (sổ tay, báo cáo) đọc xong "
        "để thay bảng mới…",
        file=sys.stderr,
        flush=True,
    )


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
