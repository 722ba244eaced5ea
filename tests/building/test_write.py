"""The swap of a build and its readers: one whole set of tables, never a mix (issue #19, item 4).

A reader (`kn.load`) started while a build is between two os.replace calls of its swap
waits for it and reads the whole new set; a swap waits for the readers and says so; a
build killed inside its swap leaves a folder that readers refuse in Vietnamese until the
next build repairs it.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from swapping import in_thread, labelled, paused_swap, swap_in

from ketnghia_analysis.analysis.tables import load
from ketnghia_analysis.core import snapshot
from ketnghia_analysis.core.snapshot import MixedTablesError

TESTS = Path(__file__).resolve().parents[1]


def builds_read(tables) -> set[str]:
    """Which builds the loaded tables come from (one label per build)."""
    return {label for frame in tables.values() for label in frame["build"]}


def test_a_load_during_a_swap_reads_the_whole_new_set(tmp_path, monkeypatch):
    out = tmp_path / "processed"
    swap_in(out, labelled("old"))
    with paused_swap(out, labelled("new"), monkeypatch):
        assert {p.name for p in out.glob("*.parquet")} == {
            "communes_x.parquet",
            "poverty_x.parquet",
            "support_x.parquet",
        }
        reader, box = in_thread(load, out)
        reader.join(0.5)  # the swap is held: a reader that does not wait reads a mix now
    reader.join(30)
    assert "error" not in box, box
    assert builds_read(box["result"]) == {"new"}


def test_a_swap_waits_for_the_readers_and_says_so(tmp_path, monkeypatch, capsys):
    out = tmp_path / "processed"
    swap_in(out, labelled("old"))
    monkeypatch.setattr(snapshot, "NOTICE_AFTER", 0.05)
    with snapshot.reading(out):
        swapper, box = in_thread(swap_in, out, labelled("new"))
        swapper.join(0.5)
        assert swapper.is_alive()  # waiting for this reader
        assert builds_read(load(out)) == {"old"}
    swapper.join(30)
    assert "error" not in box, box
    assert "Đang chờ các chương trình đang đọc bảng" in capsys.readouterr().err
    assert builds_read(load(out)) == {"new"}


def test_a_swap_that_waits_too_long_keeps_the_previous_tables(tmp_path, monkeypatch):
    out = tmp_path / "processed"
    swap_in(out, labelled("old"))
    monkeypatch.setattr(snapshot, "SWAP_TIMEOUT", 0.3)
    with snapshot.reading(out), pytest.raises(TimeoutError, match="vẫn có chương trình đang đọc"):
        swap_in(out, labelled("new"))
    assert builds_read(load(out)) == {"old"}


KILLED_SWAP = """
import os, sys, time
from pathlib import Path

sys.path.insert(0, sys.argv[3])
from swapping import labelled, swap_in

out, marker = Path(sys.argv[1]), Path(sys.argv[2])
real_replace = os.replace

def replace(source, target):
    real_replace(source, target)
    if str(target).endswith(".parquet"):
        marker.write_text("moved")
        time.sleep(120)  # killed here, one table moved

os.replace = replace
swap_in(out, labelled("new"))
"""


def test_readers_refuse_a_folder_left_by_a_swap_killed_midway(tmp_path):
    out = tmp_path / "processed"
    swap_in(out, labelled("old"))
    marker, script = tmp_path / "marker", tmp_path / "killed.py"
    script.write_text(KILLED_SWAP, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), str(out), str(marker), str(TESTS)])
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, "the swap ended before moving a table"
            assert time.monotonic() < deadline, "the swap never moved a table"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    start = time.monotonic()
    with pytest.raises(MixedTablesError) as refused:
        load(out)
    assert time.monotonic() - start < 10  # the dead swap's lock went with it
    message = str(refused.value)
    assert "không thuộc cùng một lần xây dựng" in message
    assert "communes_x.parquet" in message and "ketnghia build" in message
    swap_in(out, labelled("again"))  # the next build repairs the folder
    assert builds_read(load(out)) == {"again"}
