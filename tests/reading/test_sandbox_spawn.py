"""sandbox.py as on Windows: no `resource` module and workers started by spawn.

`resource` is hidden both here (sys.modules) and in the workers (a module of that name that
raises ImportError, first on the sys.path a spawned worker inherits). The memory limit is then
the parent's psutil watchdog (`memory_limit.Watchdog`): a worker that keeps growing is
stopped with the same Vietnamese failure as a worker that hits RLIMIT_AS on Linux.
"""

from __future__ import annotations

import os
import sys
import time

import hostile_files as hf
import pytest

from ketnghia_analysis.reading.memory_limit import Watchdog, limit_for
from ketnghia_analysis.reading.sandbox import (
    START_METHOD_ENV,
    Failure,
    IsolatedWorker,
    run_isolated,
)

OUT_OF_MEMORY_VI = (
    "Không đọc được tệp: hết bộ nhớ "
    "(vượt giới hạn bộ nhớ/thời gian hoặc trình đọc bị lỗi nghiêm trọng)."
)


@pytest.fixture(autouse=True)
def windows_like(tmp_path, monkeypatch):
    """No `resource` here or in the workers, and workers started by spawn."""
    import psutil  # noqa: F401 - psutil on Linux imports resource itself: load it first

    shadow = tmp_path / "no_resource"
    shadow.mkdir()
    (shadow / "resource.py").write_text('raise ImportError("no resource module (simulated)")\n')
    monkeypatch.syspath_prepend(str(shadow))
    monkeypatch.setitem(sys.modules, "resource", None)
    monkeypatch.setenv(START_METHOD_ENV, "spawn")


def test_the_workers_are_spawned_without_resource():
    assert isinstance(limit_for(1024), Watchdog)
    outcomes = dict(run_isolated(hf.dispatch, [("double", 1)], workers=1, memory_mb=1024))
    assert outcomes[("double", 1)] == 2
    ((_, can_import),) = run_isolated(hf.can_import_resource, [0], workers=1, memory_mb=1024)
    assert can_import is False
    ((_, parent),) = run_isolated(hf.parent_pid, [0], workers=1, memory_mb=1024)
    assert parent == os.getpid()  # spawned by this process, not forked from a server


def test_a_memory_hog_is_stopped_by_the_watchdog(capfd):
    items = [("hog", 4000), ("double", 3), ("abort", 0), ("sleep", 0), ("raise", 1)]
    start = time.monotonic()
    outcomes = dict(run_isolated(hf.dispatch, items, workers=2, memory_mb=300, timeout_s=3))
    assert outcomes[("double", 3)] == 6
    hog = outcomes[("hog", 4000)]
    assert isinstance(hog, Failure) and hog.code == "FILE_CRASHED"
    assert hog.message_vi == OUT_OF_MEMORY_VI  # as when RLIMIT_AS stops a worker on Linux
    assert hog.detail.startswith("watchdog: ")
    assert outcomes[("abort", 0)].code == "FILE_CRASHED"
    assert outcomes[("sleep", 0)].code == "FILE_TIMEOUT"
    assert outcomes[("raise", 1)].code == "FILE_CRASHED"
    assert time.monotonic() - start < 30
    assert "Traceback" not in capfd.readouterr().err


def test_an_isolated_worker_is_watched_too():
    with IsolatedWorker(hf.dispatch, memory_mb=300, timeout_s=3) as worker:
        assert worker(("double", 21)) == 42
        hog = worker(("hog", 4000))
        assert hog.code == "FILE_CRASHED" and hog.message_vi == OUT_OF_MEMORY_VI
        assert worker(("double", 2)) == 4  # a new worker took its place
        assert worker(("sleep", 0)).code == "FILE_TIMEOUT"
        assert worker(("abort", 0)).code == "FILE_CRASHED"


def test_hostile_files_are_still_isolated(tmp_path, capfd):
    expected = hf.write_hostile_folder(tmp_path / "raw")
    good = hf.write_good_xlsx(tmp_path / "raw" / "tot.xlsx")
    paths = sorted((tmp_path / "raw").iterdir())
    outcomes = {
        p.name: out
        for p, out in run_isolated(hf.read_summary, paths, workers=2, memory_mb=1024, timeout_s=60)
    }
    assert outcomes[good.name] == ("xlsx", [("Biểu 02", 7, 6), ("Nháp", 1, 1)])
    for name, code in expected.items():
        assert isinstance(outcomes[name], Failure), name
        assert outcomes[name].code == code, (name, outcomes[name])
    assert "Traceback" not in capfd.readouterr().err
