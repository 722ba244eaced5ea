"""The per-file cache (issue #19 item 6): bounded, cleaned, never written with --no-cache,
and a full disk costs only the cache; progress lines never carry raw control characters."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest
from filled_template import fill_template

from ketnghia_analysis.building import collect
from ketnghia_analysis.building.build import build
from ketnghia_analysis.building.collect import CACHE_DIR
from ketnghia_analysis.reading.template import write_template

RETURNS = ("BC ket nghia 2023 - Nam Tra My.xlsx", "BC ket nghia 2024 - Nam Tra My.xlsx")


@pytest.fixture(scope="module")
def returns(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("returns")
    for name, (year, start) in zip(RETURNS, ((2023, 400), (2024, 355)), strict=True):
        fill_template(write_template("516", year, folder / name), poor_start=start)
    return folder


@pytest.fixture
def raw(tmp_path, returns) -> Path:
    shutil.copytree(returns, tmp_path / "raw")
    return tmp_path / "raw"


def run(raw: Path, out: Path, **options):
    return build(raw, out, workers=1, progress=False, isolate=False, **options)


def entries(out: Path) -> list[str]:
    return sorted(p.name for p in (out / CACHE_DIR).iterdir())


def test_no_cache_writes_no_cache(raw, tmp_path):
    out = tmp_path / "out"
    assert run(raw, out, use_cache=False).exit_code == 0
    assert not (out / CACHE_DIR).exists()


def test_entries_of_files_gone_from_the_raw_folder_are_removed(raw, tmp_path):
    out = tmp_path / "out"
    run(raw, out)
    assert len(entries(out)) == 2
    (raw / RETURNS[0]).unlink()
    run(raw, out)
    assert len(entries(out)) == 1
    (raw / RETURNS[1]).write_bytes((raw / RETURNS[1]).read_bytes() + b"\0")  # other bytes
    run(raw, out)
    assert len(entries(out)) == 1  # the entry of the old bytes went with them


def test_partial_writes_of_a_dead_build_are_removed(raw, tmp_path):
    out = tmp_path / "out"
    run(raw, out)
    stale = out / CACHE_DIR / f"{'0' * 64}.pkl.999999"
    stale.write_bytes(b"half a pickle")
    (raw / RETURNS[0]).unlink()  # something to do: the build opens the cache
    run(raw, out)
    assert not stale.exists()


def test_a_full_disk_costs_only_the_cache(raw, tmp_path, monkeypatch, capsys):
    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(collect.pickle, "dump", no_space)
    out = tmp_path / "out"
    result = run(raw, out)
    assert result.exit_code == 0, result.message
    assert result.read_files == 2
    err = capsys.readouterr().err
    assert err.count("không ghi được bộ nhớ đệm") == 1  # said once, not once per file
    assert str(out / CACHE_DIR) in err
    assert not list((out / CACHE_DIR).glob("*.pkl*"))  # no partial file left


def test_progress_lines_show_control_characters(raw, tmp_path, capsys):
    (raw / "hong \x1b[2J.xlsx").write_bytes(b"PK\x03\x04")  # (no NUL: not in a name)
    run(raw, tmp_path / "out")
    err = capsys.readouterr().err
    assert "\x1b" not in err
    assert "hong \\x1b[2J.xlsx: từ chối" in err
