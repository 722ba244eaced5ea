"""What the build and the check print (issue #19 items 7 and 9): control characters of
file names and cells shown, never sent raw; a build that waits for the lock says so."""

from __future__ import annotations

import io
import os
import shutil
import threading
from pathlib import Path

import openpyxl
import pytest
from filled_template import fill_template
from hostile_files import escape_control_markers

from ketnghia_analysis.building.build import build
from ketnghia_analysis.building.check import check_files
from ketnghia_analysis.reading.template import write_template

# openpyxl refuses control characters: these markers become the XML escapes of ESC and NUL.
COMMUNE = "Xã ⟨ESC⟩[31mMa Quỷ⟨NUL⟩"
NAME = "BC ket nghia 2024 - Nam Tra My \x1b[31m.xlsx"


def crafted_return(path: Path) -> Path:
    """A filled return whose first support row names a commune with ESC and NUL."""
    fill_template(write_template("516", 2024, path))
    book = openpyxl.load_workbook(path)
    book["Biểu 01-KN"].cell(9, 3).value = COMMUNE
    book.save(path)
    return escape_control_markers(path)


@pytest.fixture(scope="module")
def crafted(tmp_path_factory) -> Path:
    return crafted_return(tmp_path_factory.mktemp("crafted") / NAME)


def assert_no_raw_controls(text: str) -> None:
    assert not [c for c in text if (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F]


def test_check_shows_control_characters_of_names_and_cells(crafted):
    stream = io.StringIO()
    assert check_files([crafted], stream=stream, isolate=False) == 1  # the unknown commune
    text = stream.getvalue()
    assert_no_raw_controls(text)
    assert "Nam Tra My \\x1b[31m.xlsx: đọc được" in text
    assert "Xã \\x1b[31mMa Quỷ\\x00" in text


def test_the_build_summary_shows_control_characters(crafted, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(crafted, raw / crafted.name)
    (raw / "hong\x1b]0;title\x07.xlsx").write_bytes(b"PK\x03\x04")
    result = build(raw, tmp_path / "out", workers=1, progress=False, isolate=False)
    summary = result.summary()
    assert_no_raw_controls(summary)
    assert "Từ chối hong\\x1b]0;title\\x07.xlsx:" in summary


def test_a_waiting_build_says_who_holds_the_lock(crafted, tmp_path, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(crafted, raw / "BC ket nghia 2024 - Nam Tra My.xlsx")
    out = tmp_path / "out"
    reading, release = threading.Event(), threading.Event()

    def hold(stage: str) -> None:
        if stage == "read":
            reading.set()
            release.wait(60)

    first = threading.Thread(
        target=build, args=(raw, out), kwargs={"progress": False, "isolate": False, "hook": hold}
    )
    first.start()
    try:
        assert reading.wait(60)
        second = build(raw, out, progress=False, isolate=False, lock_timeout=0.5)
    finally:
        release.set()
        first.join(60)
    err = capsys.readouterr().err
    waiting = f"Một lần xây dựng khác đang ghi vào {out} (tiến trình {os.getpid()}, bắt đầu lúc "
    assert waiting in err and "chờ tối đa" in err
    assert second.exit_code == 2
    assert f"tiến trình {os.getpid()}, bắt đầu lúc" in second.summary()
    assert not (out / ".build.lock.owner").exists()  # the holder cleans up after itself
