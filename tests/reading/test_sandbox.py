"""sandbox.py: a worker that aborts, exhausts its memory limit or hangs costs one item,
never the batch, and prints nothing; with workers from the fork server and by spawn (as on
Windows and macOS)."""

from __future__ import annotations

import multiprocessing
import os
import time

import hostile_files as hf
import pytest

from ketnghia_analysis.reading.cells import ReadError
from ketnghia_analysis.reading.sandbox import (
    START_METHOD_ENV,
    Failure,
    IsolatedWorker,
    read_workbook_isolated,
    run_isolated,
)


@pytest.fixture(autouse=True, params=[None, "spawn"], ids=["default", "spawn"])
def start_method(request, monkeypatch):
    """Every test twice: with this system's start method and with spawn forced."""
    if request.param is None:
        monkeypatch.delenv(START_METHOD_ENV, raising=False)
    else:
        monkeypatch.setenv(START_METHOD_ENV, request.param)
    return request.param


MIXED = [
    ("double", 1),
    ("abort", 0),
    ("alloc", 4),
    ("sleep", 0),
    ("double", 2),
    ("raise", 3),
    ("double", 3),
    ("double", 4),
]


def test_one_bad_item_costs_one_item(capfd):
    seen = []
    start = time.monotonic()
    results = list(
        run_isolated(
            hf.dispatch,
            MIXED,
            workers=2,
            memory_mb=1024,
            timeout_s=2,
            on_result=lambda item, out: seen.append(item),
        )
    )
    elapsed = time.monotonic() - start
    outcomes = dict(results)
    assert len(results) == len(MIXED)
    assert sorted(seen) == sorted(MIXED)  # on_result called once per item
    assert [outcomes[("double", n)] for n in (1, 2, 3, 4)] == [2, 4, 6, 8]
    abort, alloc, sleep, raised = (
        outcomes[("abort", 0)],
        outcomes[("alloc", 4)],
        outcomes[("sleep", 0)],
        outcomes[("raise", 3)],
    )
    assert isinstance(abort, Failure) and abort.code == "FILE_CRASHED"
    assert "SIGABRT" in abort.detail
    assert isinstance(alloc, Failure) and alloc.code == "FILE_CRASHED"  # 4 GiB > 1 GiB limit
    assert isinstance(sleep, Failure) and sleep.code == "FILE_TIMEOUT"
    assert isinstance(raised, Failure) and raised.code == "FILE_CRASHED"
    assert "ValueError" in raised.message_vi
    for failure in (abort, alloc, sleep):
        assert (
            "vượt giới hạn bộ nhớ/thời gian hoặc trình đọc bị lỗi nghiêm trọng" in failure.message
        )
    assert elapsed < 20
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err + captured.out


def test_results_stream_before_the_slow_item_finishes():
    items = [("sleep", 0), ("double", 5)]
    order = [item for item, _ in run_isolated(hf.dispatch, items, workers=2, timeout_s=1.5)]
    assert order == [("double", 5), ("sleep", 0)]


def test_one_worker_still_isolates_and_is_replaced():
    items = [("abort", 0), ("double", 1), ("abort", 0), ("double", 2)]
    outcomes = list(run_isolated(hf.dispatch, items, workers=1, timeout_s=10))
    assert [o if not isinstance(o, Failure) else o.code for _, o in outcomes] == [
        "FILE_CRASHED",
        2,
        "FILE_CRASHED",
        4,
    ]


def test_in_process_mode_runs_here_and_still_returns_failures():
    items = [("double", 1), ("raise", 2)]
    outcomes = dict(run_isolated(hf.dispatch, items, in_process=True))
    assert outcomes[("double", 1)] == 2
    assert outcomes[("raise", 2)].code == "FILE_CRASHED"


def test_read_error_keeps_its_code_through_the_worker(tmp_path):
    paths = [hf.write_pdf(tmp_path / "a.xls"), hf.write_empty(tmp_path / "b.xlsx")]
    outcomes = {p.name: o for p, o in run_isolated(hf.read_summary, paths, workers=2)}
    assert outcomes["a.xls"].code == "FILE_NOT_SPREADSHEET"
    assert "PDF" in outcomes["a.xls"].message_vi
    assert outcomes["b.xlsx"].code == "FILE_EMPTY"


def test_read_workbook_isolated(tmp_path):
    wb = read_workbook_isolated(hf.write_good_xlsx(tmp_path / "a.xlsx"))
    assert wb.sheets[0].uncached_formulas == {(6, 2): "=SUM(C4:C6)", (6, 3): "=SUM(D4:D6)"}
    with pytest.raises(ReadError) as err:
        read_workbook_isolated(hf.write_far_cell(tmp_path / "b.xlsx"))
    assert err.value.code == "FILE_LIMIT"


def test_isolated_worker_survives_a_crash():
    with IsolatedWorker(hf.dispatch, memory_mb=1024, timeout_s=1.5) as worker:
        assert worker(("double", 21)) == 42
        assert worker(("abort", 0)).code == "FILE_CRASHED"
        assert worker(("double", 1)) == 2
        assert worker(("sleep", 0)).code == "FILE_TIMEOUT"
        assert worker(("double", 2)) == 4


def test_a_function_that_cannot_start_is_a_programming_error():
    with pytest.raises(RuntimeError, match="could not start"):
        list(run_isolated(hf.Unstartable(), [1, 2], workers=1))


def test_workers_dying_while_starting_are_a_programming_error():
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="die while starting"):
        list(run_isolated(hf.DiesWhileStarting(), [1, 2], workers=1))
    assert time.monotonic() - start < 20


def test_the_memory_limit_is_counted_from_the_worker_size_at_start():
    # A worker forked from a preloaded fork server already holds ~1.4 GB of address
    # space (pyarrow's mimalloc reserves 1 GiB): an absolute limit left it no room.
    ((_, headroom),) = run_isolated(hf.memory_headroom_mb, [0], workers=1, memory_mb=300)
    assert 200 < headroom <= 300


def test_a_real_calamine_abort_costs_one_item(tmp_path, capfd):
    # Without cells.py's checks, one cell at XFD1048576 makes calamine abort the
    # whole process (measured-facts); in the sandbox it is one failed item.
    far = hf.write_far_cell(tmp_path / "xa.xlsx")
    good = hf.write_xlsm(tmp_path / "tot.xlsm")
    outcomes = dict(run_isolated(hf.calamine_unchecked, [far, good], workers=1, timeout_s=30))
    assert outcomes[good] == 1
    assert isinstance(outcomes[far], Failure)
    assert outcomes[far].code == "FILE_CRASHED"
    assert "memory allocation" not in capfd.readouterr().err  # the worker's stderr is silenced


def test_the_start_method_can_be_forced_to_spawn(start_method):
    # A spawned worker is a child of this process; a forkserver's is a child of the server.
    ((_, parent),) = run_isolated(hf.parent_pid, [0], workers=1)
    has_server = "forkserver" in multiprocessing.get_all_start_methods()
    assert (parent == os.getpid()) == (start_method == "spawn" or not has_server)


def test_readers_start_one_blas_thread_and_leave_the_callers_environment(monkeypatch):
    # numpy's import would start one busy OpenBLAS thread per core in every reader (issue #18)
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    ((_, threads),) = run_isolated(hf.blas_threads, [0], workers=1)
    assert threads == "1"
    assert "OPENBLAS_NUM_THREADS" not in os.environ


def test_a_callers_own_blas_setting_is_kept(monkeypatch):
    # spawned workers: a fork server already running keeps the environment it started with
    monkeypatch.setenv(START_METHOD_ENV, "spawn")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    ((_, threads),) = run_isolated(hf.blas_threads, [0], workers=1)
    assert threads == "2"
    assert os.environ["OPENBLAS_NUM_THREADS"] == "2"


def test_an_unknown_start_method_is_refused_in_vietnamese(monkeypatch):
    monkeypatch.setenv(START_METHOD_ENV, "teleport")
    with pytest.raises(ValueError, match="phương thức khởi động"):
        list(run_isolated(hf.double, [1], workers=1))
