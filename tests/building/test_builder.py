"""The warm builder (issue #18): `kn.Builder(raw, out).build()` again and again reads only
the files that changed, from memory and with live workers, and builds what a cold build
builds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from filled_template import fill_template

import ketnghia_analysis as kn
from ketnghia_analysis.building import collect
from ketnghia_analysis.building.build import build
from ketnghia_analysis.reading.template import write_template
from ketnghia_analysis.reference.contract import TABLE_NAMES


@pytest.fixture(scope="module")
def returns(tmp_path_factory) -> dict[str, Path]:
    """Filled returns of Nam Trà My, 2023 and 2024."""
    folder = tmp_path_factory.mktemp("returns")
    out = {}
    for year, start in ((2023, 400), (2024, 355)):
        path = write_template("516", year, folder / f"BC ket nghia {year} - Nam Tra My.xlsx")
        out[str(year)] = fill_template(path, poor_start=start)
    return out


def make_raw(tmp_path: Path, returns: dict[str, Path]) -> Path:
    raw = tmp_path / "raw"
    (raw / "nam-tra-my").mkdir(parents=True)
    for path in returns.values():
        shutil.copy2(path, raw / "nam-tra-my" / path.name)
    return raw


def assert_same_tables(warm: dict[str, pd.DataFrame], cold: dict[str, pd.DataFrame]) -> None:
    """The tables of two builds of the same files, but for the time each file was read."""
    for name in TABLE_NAMES:
        a, b = warm[name], cold[name]
        drop = [c for c in ("read_at",) if c in a.columns]
        pd.testing.assert_frame_equal(a.drop(columns=drop), b.drop(columns=drop), obj=name)


@pytest.fixture
def counted(monkeypatch):
    """How often a file is read (in this process: isolate=False) or taken from the disk
    cache, and whether the tables are read back from Parquet."""
    calls = {"read": 0, "unpickled": 0, "parquet": 0}
    real_read, real_load = collect.process_file, collect.FileCache.load
    real_parquet = pd.read_parquet

    def read(item):
        calls["read"] += 1
        return real_read(item)

    def load(self, f):
        calls["unpickled"] += 1
        return real_load(self, f)

    def parquet(*args, **kwargs):
        calls["parquet"] += 1
        return real_parquet(*args, **kwargs)

    monkeypatch.setattr(collect, "process_file", read)
    monkeypatch.setattr(collect.FileCache, "load", load)
    monkeypatch.setattr(pd, "read_parquet", parquet)
    return calls


def test_a_rebuild_reads_only_the_changed_file_from_memory(tmp_path, returns, counted):
    raw = make_raw(tmp_path, returns)
    with kn.Builder(raw, tmp_path / "out", workers=1, isolate=False) as builder:
        first = builder.build()
        assert (first.read_files, counted["read"]) == (2, 2)
        counted.update(read=0, unpickled=0, parquet=0)
        same = builder.build()  # nothing changed: nothing read, unpickled or loaded
        assert same.unchanged and same.exit_code == first.exit_code
        assert counted == {"read": 0, "unpickled": 0, "parquet": 0}
        assert_same_tables(same.tables, first.tables)
        fill_template(raw / "nam-tra-my" / returns["2023"].name, poor_start=401)
        changed = builder.build()
    assert (changed.read_files, changed.cached_files) == (1, 1)
    assert counted == {"read": 1, "unpickled": 0, "parquet": 0}  # the other one from memory
    assert "PREV_YEAR_MISMATCH" in set(changed.tables["issues"]["code"])
    cold = build(raw, tmp_path / "cold", progress=False, use_cache=False, isolate=False)
    assert cold.exit_code in (0, 1), cold.summary()
    assert_same_tables(changed.tables, cold.tables)
    assert changed.summary().splitlines()[1:] == cold.summary().splitlines()[1:]


def test_the_workers_stay_alive_between_builds(tmp_path, returns):
    raw = make_raw(tmp_path, returns)
    builder = kn.Builder(raw, tmp_path / "out", workers=1)
    try:
        first = builder.build()
        assert first.exit_code in (0, 1), first.summary()
        pool = builder.held.pool
        pids = [w._worker.proc.pid for w in pool._workers]
        fill_template(raw / "nam-tra-my" / returns["2024"].name, poor_start=356)
        again = builder.build()
        assert again.read_files == 1, again.summary()
        assert [w._worker.proc.pid for w in pool._workers] == pids
    finally:
        builder.close()
    assert builder.held.pool.size == 0 and not builder.held.results


def test_a_file_gone_from_the_raw_folder_is_forgotten(tmp_path, returns, counted):
    raw = make_raw(tmp_path, returns)
    builder = kn.Builder(raw, tmp_path / "out", workers=1, isolate=False)
    builder.build()
    (raw / "nam-tra-my" / returns["2023"].name).unlink()
    result = builder.build()
    assert list(result.tables["submissions"]["source_file"]) == [
        f"nam-tra-my/{returns['2024'].name}"
    ]
    assert list(builder.held.results) == [f"nam-tra-my/{returns['2024'].name}"]


def test_files_held_in_memory_are_logged_in_one_line(tmp_path, returns, capsys):
    """A rebuild logs the file it read, and one line for the files it held in memory (not
    one line per unchanged file at every rebuild, as `ketnghia build --watch` did)."""
    raw = make_raw(tmp_path, returns)
    with kn.Builder(raw, tmp_path / "out", isolate=False) as builder:
        builder.build()
        capsys.readouterr()
        touched = raw / "nam-tra-my" / returns["2024"].name
        touched.write_bytes(touched.read_bytes() + b"\0")  # new bytes: read again
        builder.build()
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("[")]
    assert len(lines) == 2, lines
    assert lines[0] == "[1/2] 1 tệp không đổi: dùng kết quả giữ trong bộ nhớ"
    assert lines[1].startswith(f"[2/2] nam-tra-my/{touched.name}: ")
