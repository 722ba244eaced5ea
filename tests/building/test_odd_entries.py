"""Odd entries of the raw folder (issue #19 item 3) and names in NFD (issue #21): every
entry is accounted for, none stops the build, names are recorded in NFC."""

from __future__ import annotations

import json
import os
import shutil
import threading
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from filled_template import fill_template

from ketnghia_analysis.building import buildstate
from ketnghia_analysis.building.build import build
from ketnghia_analysis.building.buildstate import MANIFEST, scan, walk
from ketnghia_analysis.reading.template import write_template

GOOD = "BC ket nghia 2024 - Nam Tra My.xlsx"
BAD_NAME = os.fsdecode(b"bao cao \xff\xfe.xlsx")  # Latin-1 bytes: not UTF-8


@pytest.fixture(scope="module")
def good_return(tmp_path_factory) -> Path:
    path = write_template("516", 2024, tmp_path_factory.mktemp("good") / GOOD)
    return fill_template(path, poor_start=355)


def odd_folder(raw: Path, good_return: Path) -> Path:
    """A raw folder holding one good return and every odd entry the issue lists."""
    raw.mkdir(parents=True)
    shutil.copy2(good_return, raw / GOOD)
    (raw / BAD_NAME).write_bytes(b"PK\x03\x04")
    (raw / "dangling.xlsx").symlink_to(raw / "gone.xlsx")
    (raw / "loop.xlsx").symlink_to(raw / "loop.xlsx")
    os.mkfifo(raw / "pipe.xlsx")
    outside = raw.parent / "outside.xlsx"
    shutil.copy2(good_return, outside)
    (raw / "outside.xlsx").symlink_to(outside)
    (raw / "folder-link").symlink_to(raw.parent)
    (raw / ".hidden.xlsx").write_bytes(b"x")
    (raw / "README.md").write_text("ghi chú", encoding="utf-8")
    (raw / "~$lock.xlsx").write_bytes(b"x")
    (raw / "truth").mkdir()
    (raw / "truth" / "poverty.parquet").write_bytes(b"x")
    return raw


EXPECTED_REJECTED = {
    "bao cao \\xff\\xfe.xlsx": "FILE_BAD_NAME",
    "dangling.xlsx": "FILE_BAD_LINK",
    "loop.xlsx": "FILE_BAD_LINK",
    "outside.xlsx": "FILE_BAD_LINK",
    "pipe.xlsx": "FILE_NOT_REGULAR",
}
EXPECTED_SKIPPED = {".hidden.xlsx", "README.md", "~$lock.xlsx", "truth/", "folder-link/"}


def test_every_entry_is_accounted_for_and_nothing_is_opened(tmp_path, good_return):
    raw = odd_folder(tmp_path / "raw", good_return)
    done: list[buildstate.Scan] = []
    worker = threading.Thread(target=lambda: done.append(scan(raw)), daemon=True)
    worker.start()
    worker.join(timeout=30)  # opening the FIFO would block for ever
    assert done, "the scan hangs on the FIFO"
    found = done[0]
    assert [f.rel for f in found.files] == [GOOD]
    assert {e.rel: e.code for e in found.rejected} == EXPECTED_REJECTED
    assert {e.rel for e in found.skipped} == EXPECTED_SKIPPED
    for entry in found.rejected + found.skipped:
        assert entry.reason.strip() and "\n" not in entry.reason
    assert "liên kết hỏng" in {e.rel: e.reason for e in found.rejected}["dangling.xlsx"]


def test_a_folder_that_cannot_be_listed_is_rejected(tmp_path, monkeypatch, good_return):
    raw = odd_folder(tmp_path / "raw", good_return)
    real_walk = os.walk

    def walk_with_error(top, onerror=None, **kwargs):
        onerror(PermissionError(13, "Permission denied", str(Path(top) / "khoa")))
        yield from real_walk(top, onerror=onerror, **kwargs)

    monkeypatch.setattr(buildstate.os, "walk", walk_with_error)
    rejected = {e.rel: e for e in walk(raw).rejected}
    assert rejected["khoa/"].code == "FILE_UNREADABLE"
    assert "không đọc được thư mục" in rejected["khoa/"].reason


def test_odd_entries_do_not_stop_the_build(tmp_path, good_return):
    raw = odd_folder(tmp_path / "raw", good_return)
    out = tmp_path / "out"
    result = build(raw, out, workers=1, progress=False, isolate=False, lock_timeout=5)
    assert result.exit_code == 1, result.message  # built; the odd entries are errors
    subs = pd.read_parquet(out / "submissions.parquet").set_index("source_file")
    assert subs.loc[GOOD, "status"] == "ingested"
    odd = subs.drop(index=GOOD)
    assert set(odd.index) == set(EXPECTED_REJECTED)
    assert (odd["status"] == "rejected").all()
    issues = pd.read_parquet(out / "issues.parquet")
    assert set(EXPECTED_REJECTED.items()) <= set(
        zip(issues["source_file"], issues["code"], strict=True)
    )
    # skipped on purpose: in the manifest and in the summary, not in the tables
    skipped = json.loads((out / MANIFEST).read_text("utf-8"))["counts"]["skipped"]
    assert {entry for entry, _ in skipped} == EXPECTED_SKIPPED
    summary = result.summary()
    assert "Bỏ qua 5 mục không phải báo cáo:" in summary
    assert "README.md: tệp README, bỏ qua" in summary
    assert "Từ chối bao cao \\xff\\xfe.xlsx: tên tệp không phải UTF-8" in summary


def test_a_link_inside_the_raw_folder_keeps_its_own_name(tmp_path, good_return):
    raw = tmp_path / "raw"
    (raw / "goc").mkdir(parents=True)
    shutil.copy2(good_return, raw / "goc" / "ban-goc.xlsx")
    (raw / GOOD).symlink_to(raw / "goc" / "ban-goc.xlsx")
    build(raw, tmp_path / "out", workers=1, progress=False, isolate=False)
    subs = pd.read_parquet(tmp_path / "out" / "submissions.parquet")
    assert sorted(subs["source_file"]) == [GOOD, "goc/ban-goc.xlsx"]


NFC_FOLDER = "Nam Trà My"
NFC_FILE = "BC kết nghĩa 2024 - Huyện Nam Trà My.xlsx"


def _named_raw(raw: Path, good_return: Path, form: str) -> Path:
    folder = raw / unicodedata.normalize(form, NFC_FOLDER)
    folder.mkdir(parents=True)
    shutil.copy2(good_return, folder / unicodedata.normalize(form, NFC_FILE))
    (folder / unicodedata.normalize(form, "hỏng.xlsx")).write_bytes(b"PK\x03\x04")
    return raw


def test_names_in_nfd_build_the_same_tables_as_in_nfc(tmp_path, good_return):
    """macOS hands back NFD names: the tables must not depend on it."""
    tables = {}
    for form in ("NFC", "NFD"):
        raw = _named_raw(tmp_path / form / "raw", good_return, form)
        out = tmp_path / form / "out"
        build(raw, out, workers=1, progress=False, isolate=False)
        tables[form] = {
            name: pd.read_parquet(out / f"{name}.parquet").drop(columns="read_at", errors="ignore")
            for name in ("submissions", "poverty", "support", "issues", "quarantine")
        }
    nfc_name = f"{NFC_FOLDER}/{NFC_FILE}"
    assert set(tables["NFD"]["submissions"]["source_file"]) == {nfc_name, f"{NFC_FOLDER}/hỏng.xlsx"}
    assert set(tables["NFD"]["poverty"]["source_file"]) == {nfc_name}
    for name, frame in tables["NFC"].items():
        pd.testing.assert_frame_equal(tables["NFD"][name], frame, obj=name)
