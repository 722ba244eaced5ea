"""Build safety: raw files untouched, a killed build leaves the previous tables, one build at
a time, worker failures reject only their file."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from filelock import FileLock
from filled_template import fill_template

from ketnghia_analysis.building.build import build
from ketnghia_analysis.building.buildstate import LOCK_NAME, MANIFEST
from ketnghia_analysis.building.collect import as_result
from ketnghia_analysis.reading.template import write_template


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file under a folder → (sha256, mtime in ns)."""
    return {
        p.relative_to(folder).as_posix(): (digest(p), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def raw_2024(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("raw")
    path = write_template("516", 2024, raw / "BC ket nghia 2024 - Nam Tra My.xlsx")
    fill_template(path, poor_start=355)
    (raw / "hong.xlsx").write_bytes(b"PK\x03\x04 truncated")
    return raw


def test_raw_files_are_unchanged_by_a_build(tmp_path, raw_2024):
    raw = tmp_path / "raw"
    shutil.copytree(raw_2024, raw)
    before = snapshot(raw)
    result = build(raw, tmp_path / "out", workers=1, progress=False)  # isolated workers
    assert result.exit_code == 1  # the truncated file
    assert snapshot(raw) == before
    assert sorted(p.name for p in raw.iterdir()) == [
        "BC ket nghia 2024 - Nam Tra My.xlsx",
        "hong.xlsx",
    ]


def test_manifest_matches_the_tables_written(tmp_path, raw_2024):
    out = tmp_path / "out"
    build(raw_2024, out, workers=1, progress=False, isolate=False)
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert "poverty.parquet" in manifest["files"]
    for name, sha in manifest["files"].items():
        assert digest(out / name) == sha, name
    assert not list(out.glob(".tmp-*"))


KILLED_BUILD = """
import sys, time
from pathlib import Path
from ketnghia_analysis.building.build import build

marker, stage = Path(sys.argv[3]), sys.argv[4]

def hook(name):
    if name == stage:
        marker.write_text(name)
        time.sleep(120)  # killed here

build(Path(sys.argv[1]), Path(sys.argv[2]), workers=1, progress=False, hook=hook, isolate=False)
"""


@pytest.mark.parametrize("stage", ["read", "write", "swap"])
def test_a_killed_build_leaves_the_previous_tables_intact(tmp_path, raw_2024, stage):
    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(raw_2024, raw)
    first = build(raw, out, workers=1, progress=False, isolate=False)
    assert first.exit_code == 1
    before = {k: v for k, v in snapshot(out).items() if not k.startswith(".")}
    # a second return arrives: the next build would change every table
    extra = write_template("516", 2023, raw / "BC ket nghia 2023 - Nam Tra My.xlsx")
    fill_template(extra, poor_start=400)
    marker = tmp_path / "marker"
    script = tmp_path / "killed.py"
    script.write_text(KILLED_BUILD, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(script), str(raw), str(out), str(marker), stage],
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        deadline = time.monotonic() + 240
        while not marker.exists():
            assert proc.poll() is None, "the build ended before reaching its stage"
            assert time.monotonic() < deadline, "the build never reached its stage"
            time.sleep(0.1)
        if stage in ("write", "swap"):
            assert list(out.glob(".tmp-*/poverty.parquet"))  # new tables written, not swapped
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    after = {k: v for k, v in snapshot(out).items() if not k.startswith(".")}
    assert after == before
    # the next build takes the lock the dead one held, cleans its folder and succeeds
    again = build(raw, out, workers=1, progress=False, isolate=False, lock_timeout=10)
    assert again.exit_code == 1
    assert len(again.tables["poverty"]) == 20
    assert not list(out.glob(".tmp-*"))


def test_a_second_build_on_the_same_output_stops_with_a_clear_message(tmp_path, raw_2024):
    out = tmp_path / "out"
    out.mkdir()
    with FileLock(str(out / LOCK_NAME)):
        start = time.monotonic()
        result = build(raw_2024, out, progress=False, lock_timeout=0.5)
        assert time.monotonic() - start < 10
    assert result.exit_code == 2
    assert "một lần xây dựng khác đang ghi" in result.summary()
    assert not (out / "poverty.parquet").exists()


def test_a_worker_failure_rejects_only_its_file(tmp_path):
    from ketnghia_analysis.reading.sandbox import Failure

    item = (str(tmp_path / "raw" / "x.xlsx"), str(tmp_path / "raw"))
    result = as_result(item, Failure("FILE_TIMEOUT", "Đọc tệp quá 120 giây nên đã dừng.", "t"))
    sub = result.submission
    assert (sub["source_file"], sub["status"]) == ("x.xlsx", "rejected")
    assert sub["reason"] == "Đọc tệp quá 120 giây nên đã dừng."
    assert result.issues[0].code == "FILE_TIMEOUT"
    assert result.transient  # not cached: the next build tries again


def test_output_inside_raw_is_refused(tmp_path, raw_2024):
    raw = tmp_path / "raw"
    shutil.copytree(raw_2024, raw)
    result = build(raw, raw / "processed", progress=False)
    assert result.exit_code == 2
    assert not (raw / "processed").exists()
    assert sorted(os.listdir(raw)) == sorted(os.listdir(raw_2024))


def test_an_empty_raw_folder_does_not_wipe_earlier_tables(tmp_path, raw_2024):
    out = tmp_path / "processed"
    assert build(raw_2024, out, progress=False).exit_code in (0, 1)
    before = (out / "poverty.parquet").read_bytes()
    empty = tmp_path / "empty-raw"
    empty.mkdir()
    result = build(empty, out, progress=False)
    assert result.exit_code == 2
    assert "không có báo cáo nào" in result.summary()
    assert (out / "poverty.parquet").read_bytes() == before
    # a fresh output folder over an empty raw folder still gets the reference tables
    assert build(empty, tmp_path / "fresh", progress=False).exit_code == 0
    assert (tmp_path / "fresh" / "communes.parquet").exists()
