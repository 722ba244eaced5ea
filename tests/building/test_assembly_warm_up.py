"""The build's own process after the reading (issue #18): the assembly's first-call work done
ahead in the warm-up thread, and the Parquet tables written by pyarrow directly.

Both are only faster: the warm-up changes no cached table a build reads, stops when the
reading is done, and `write_parquet` writes the bytes `DataFrame.to_parquet` writes.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from ketnghia_analysis.building import assemble, warm_up
from ketnghia_analysis.building.schemas import conform_columns, empty
from ketnghia_analysis.building.warm_up import WarmUp, warm_up_assembly
from ketnghia_analysis.building.write import write_parquet
from ketnghia_analysis.reference import gazetteer
from ketnghia_analysis.reference.contract import TABLE_NAMES, TABLES
from ketnghia_analysis.reference.partners import PartnerRegistry

#: Values of each kind for a table of the contract (nulls included, Vietnamese text).
_VALUES = {
    "code": ["20944", None, "516"],
    "text": ["Xã Trà Mai", None, "Phường Điện Bàn Đông"],
    "int": [2020, 2021, 2024],
    "year": [2019, None, 2024],
    "count": [0, None, 2**53 + 1],
    "money": [1.5, None, 0.0],
    "fraction": [0.25, None, 1.0],
    "bool": [True, False, True],
    "nbool": [True, None, False],
}


def _table(name: str) -> pd.DataFrame:
    plain = {col.name: _VALUES.get(col.kind, [None] * 3) for col in TABLES[name][0]}
    return conform_columns(plain, name)


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_write_parquet_writes_the_bytes_of_to_parquet(tmp_path, name):
    frames = [_table(name), empty(name)]
    for i, frame in enumerate(frames):
        ours, theirs = tmp_path / f"ours{i}.parquet", tmp_path / f"theirs{i}.parquet"
        write_parquet(frame, ours)
        frame.to_parquet(theirs, index=False, engine="pyarrow")
        assert ours.read_bytes() == theirs.read_bytes()
        pdt.assert_frame_equal(pd.read_parquet(ours), pd.read_parquet(theirs))


def test_write_parquet_keeps_the_attrs_and_drops_the_index_as_pandas(tmp_path):
    frame = pd.DataFrame(
        {"x": pd.array([1, None], dtype="Int64"), "y": np.array([0.5, 2.0])}, index=[7, 3]
    )
    frame.attrs = {"nguồn": "thử"}
    write_parquet(frame, tmp_path / "ours.parquet")
    frame.to_parquet(tmp_path / "theirs.parquet", index=False, engine="pyarrow")
    assert (tmp_path / "ours.parquet").read_bytes() == (tmp_path / "theirs.parquet").read_bytes()
    assert pd.read_parquet(tmp_path / "ours.parquet").attrs == {"nguồn": "thử"}


def _cached_state() -> dict[str, pd.DataFrame]:
    """What a build reads from the per-process caches the warm-up fills."""
    state = {f"empty:{name}": empty(name) for name in TABLE_NAMES}
    state["communes"] = gazetteer.communes()
    state["commune_names"] = gazetteer.commune_names()
    for year in (2019, 2022, 2025):
        state[f"units:{year}"] = gazetteer.communes_in_year(year)
    state["partners"] = PartnerRegistry.load().table()
    return state


def test_the_rehearsal_changes_no_cached_table():
    before = _cached_state()
    steps = list(assemble.rehearsal(gazetteer))
    assert len(steps) > len(assemble.DATA_TABLES)  # every table, then the units of the years
    after = _cached_state()
    assert sorted(after) == sorted(before)
    for key, frame in before.items():
        pdt.assert_frame_equal(after[key], frame, obj=key)


def test_finish_stops_the_rehearsal_at_its_next_step(monkeypatch):
    started, steps = threading.Event(), []

    def slow_rehearsal(_gazetteer):
        for step in range(50):
            started.set()
            steps.append(step)
            time.sleep(0.02)
            yield

    monkeypatch.setattr(assemble, "rehearsal", slow_rehearsal)
    monkeypatch.setattr(warm_up, "REHEARSED", threading.Event())
    thread = warm_up_assembly()
    assert isinstance(thread, WarmUp)
    assert started.wait(30)
    thread.finish()
    assert not thread.is_alive()
    assert len(steps) < 50  # stopped early: the reading was done
    done = len(steps)
    time.sleep(0.05)
    assert len(steps) == done  # and no step runs after `finish` returned
    assert not warm_up.REHEARSED.is_set()  # cut short: the next build rehearses again


def test_a_process_rehearses_once(monkeypatch):
    calls = []

    def counted(_gazetteer):
        calls.append(1)
        yield

    monkeypatch.setattr(assemble, "rehearsal", counted)
    monkeypatch.setattr(warm_up, "REHEARSED", threading.Event())
    first = warm_up_assembly()
    first.join()  # a long reading: the whole rehearsal
    assert warm_up.REHEARSED.is_set()
    warm_up_assembly().finish()  # a warm builder's next build
    assert calls == [1]


def test_a_failing_rehearsal_only_ends_the_warm_up(monkeypatch):
    def broken(_gazetteer):
        raise RuntimeError("hỏng")
        yield  # pragma: no cover

    monkeypatch.setattr(assemble, "rehearsal", broken)
    monkeypatch.setattr(warm_up, "REHEARSED", threading.Event())
    thread = warm_up_assembly()
    thread.finish()
    assert not thread.is_alive()
    assert not warm_up.REHEARSED.is_set()


def test_a_build_pays_the_first_call_costs_itself(tmp_path, monkeypatch):
    """After one assembly the process needs no rehearsal: a warm builder's next builds skip
    it instead of competing with their reading."""
    from ketnghia_analysis.building.build import build
    from ketnghia_analysis.reading.template import write_template

    monkeypatch.setattr(warm_up, "REHEARSED", threading.Event())
    raw = tmp_path / "raw"
    raw.mkdir()
    write_template("516", 2024, raw / "blank.xlsx")
    result = build(raw, tmp_path / "out", progress=False, isolate=False)
    assert result.exit_code in (0, 1)
    assert warm_up.REHEARSED.is_set()
