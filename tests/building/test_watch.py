"""``ketnghia build --watch`` (issue #18): a rebuild whenever the raw folder changes, one
line each, a clean end on Ctrl-C."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from filled_template import fill_template

from ketnghia_analysis.building.warm import Builder
from ketnghia_analysis.building.watch import folder_state, watch
from ketnghia_analysis.cli import main
from ketnghia_analysis.reading.template import write_template


@pytest.fixture(scope="module")
def a_return(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("watched")
    path = write_template("516", 2024, folder / "BC ket nghia 2024 - Nam Tra My.xlsx")
    return fill_template(path, poor_start=355)


def test_the_watch_picks_up_a_changed_file(tmp_path, a_return):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(a_return, raw / a_return.name)
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        if line.startswith("Đang theo dõi"):  # the first build is done: change the file
            threading.Timer(0.2, fill_template, [raw / a_return.name, 356]).start()

    builder = Builder(raw, tmp_path / "out", workers=1, isolate=False)
    code = watch(builder, interval=0.1, max_rebuilds=1, say=say)
    assert code == 0
    assert lines[0].startswith("Đã xây dựng bảng dữ liệu"), lines
    assert len(lines) == 3 and "Đã xây dựng lại" in lines[2], lines
    assert "1 tệp đọc mới, 0 tệp giữ nguyên" in lines[2]
    assert not builder.held.results  # closed


def test_ctrl_c_ends_the_watch_cleanly(tmp_path, a_return):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(a_return, raw / a_return.name)
    stop = threading.Event()
    builder = Builder(raw, tmp_path / "out", workers=1, isolate=False)
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        if line.startswith("Đang theo dõi"):
            raise KeyboardInterrupt

    assert watch(builder, interval=0.1, stop=stop, say=say) == 0
    assert lines[-1].startswith("Đã dừng theo dõi"), lines
    assert (tmp_path / "out" / "poverty.parquet").exists()


def test_the_folder_state_changes_with_bytes_names_and_times_only(tmp_path, a_return):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(a_return, raw / "a.xlsx")
    first = folder_state(raw)
    assert folder_state(raw) == first
    (raw / "README.md").write_text("not a return", encoding="utf-8")
    with_readme = folder_state(raw)
    assert with_readme != first
    fill_template(raw / "a.xlsx", poor_start=356)
    assert folder_state(raw) != with_readme


def test_watch_needs_the_cache(tmp_path, capsys):
    code = main(
        ["build", "--raw", str(tmp_path), "--out", str(tmp_path / "o"), "--watch", "--no-cache"]
    )
    assert code == 2
    assert "--watch" in capsys.readouterr().out
