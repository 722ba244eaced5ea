"""Read untrusted files in worker processes with memory and time limits.

Some crafted files make a reader allocate gigabytes and abort the whole process
(a Rust `handle_alloc_error` in python-calamine is an abort, not an exception;
measured-facts). `run_isolated` maps a function over items in long-lived worker
processes, each with its own address-space limit; a worker that dies or runs
out of time is replaced and the batch goes on. concurrent.futures is not used on
purpose: one dead worker breaks a ProcessPoolExecutor for good (BrokenProcessPool).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

__all__ = ["Failure", "IsolatedWorker", "prestart", "read_workbook_isolated", "run_isolated"]

CRASH_REASON = "vượt giới hạn bộ nhớ/thời gian hoặc trình đọc bị lỗi nghiêm trọng"


@dataclass(frozen=True)
class Failure:
    """Why an item produced no result.

    Attributes
    ----------
    code : stable English code: "FILE_CRASHED", "FILE_TIMEOUT", or the `code` of
        an exception the function raised (e.g. a ReadError's "FILE_ENCRYPTED").
    message_vi : one Vietnamese line for the user (also as `message`).
    detail : technical detail for developers (signal, exception, traceback tail).
    """

    code: str
    message_vi: str
    detail: str | None = None

    @property
    def message(self) -> str:
        return self.message_vi


def _failure_from_exception(exc: BaseException) -> Failure:
    """An exception raised by the function → Failure, keeping ReadError's code."""
    code = getattr(exc, "code", None)
    message = getattr(exc, "message", None)
    if isinstance(code, str) and isinstance(message, str):
        return Failure(code, message, f"{type(exc).__name__}")
    if isinstance(exc, MemoryError):
        return Failure(
            "FILE_CRASHED",
            f"Không đọc được tệp: hết bộ nhớ ({CRASH_REASON}).",
            "MemoryError",
        )
    tail = "".join(traceback.format_exception(exc)[-3:]).strip()
    return Failure(
        "FILE_CRASHED",
        f"Không đọc được tệp: lỗi {type(exc).__name__} ({CRASH_REASON}).",
        tail[-2000:],
    )


# ----------------------------------------------------------------------- worker


def _limit_memory(memory_mb: int | None) -> None:
    if not memory_mb:
        return
    import resource

    limit = int(memory_mb) * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _silence() -> None:
    """Send the worker's stdout/stderr to /dev/null: a Rust panic or abort
    prints a backtrace there, which must not reach the user's terminal."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)


def _worker_main(conn, fn_bytes: bytes, memory_mb: int | None, quiet: bool) -> None:
    """Body of one worker process: set limits, import the function once, serve items."""
    if quiet:
        _silence()
    # A parent's Ctrl-C is handled by the parent, which then stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _limit_memory(memory_mb)
        fn = pickle.loads(fn_bytes)
    except BaseException as exc:
        conn.send(("init_error", "".join(traceback.format_exception(exc))))
        return
    conn.send(("ready", None))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        idx, item = msg
        try:
            payload = ("done", idx, fn(item))
        except SystemExit:
            raise
        except BaseException as exc:
            payload = ("done", idx, _failure_from_exception(exc))
        try:
            conn.send(payload)
        except BaseException as exc:  # an unpicklable or huge result
            conn.send(("done", idx, _failure_from_exception(exc)))


# ----------------------------------------------------------------------- parent


class _Worker:
    def __init__(self, ctx, fn_bytes: bytes, memory_mb: int | None, quiet: bool) -> None:
        parent_conn, child_conn = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(
            target=_worker_main,
            args=(child_conn, fn_bytes, memory_mb, quiet),
            daemon=True,
            name="ketnghia-reader",
        )
        self.proc.start()
        child_conn.close()
        self.conn = parent_conn
        self.ready = False
        self.task: tuple[int, Any] | None = None
        self.deadline = float("inf")
        self.started = time.monotonic()

    def send(self, idx: int, item: Any, timeout_s: float | None) -> None:
        self.task = (idx, item)
        self.deadline = time.monotonic() + timeout_s if timeout_s else float("inf")
        self.conn.send((idx, item))

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.proc.join(2)
        self.kill()


def _death_detail(proc) -> str:
    code = proc.exitcode
    if code is None:
        return "tiến trình không phản hồi"
    if code < 0:
        try:
            return f"tín hiệu {signal.Signals(-code).name}"
        except ValueError:
            return f"tín hiệu {-code}"
    return f"mã thoát {code}"


def _context():
    methods = multiprocessing.get_all_start_methods()
    # forkserver: workers fork from a small clean server process (no inherited
    # threads or open files of the caller); spawn elsewhere.
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def prestart(preload: Iterable[str] = ()) -> None:
    """Start the fork server now and import the `preload` modules in it.

    Workers of a later `run_isolated` then fork from a process that has already imported
    them, instead of each importing pandas and the reader again (about 1.4 s per worker),
    and the server does those imports while the caller goes on with other work (hashing,
    the cache). Without fork servers (Windows, macOS spawn) this does nothing.
    """
    ctx = _context()
    if ctx.get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    ctx.set_forkserver_preload(list(preload))  # no effect once the server runs
    forkserver.ensure_running()


def run_isolated(
    fn: Callable[[Any], Any],
    items: Iterable[Any],
    *,
    workers: int | None = None,
    memory_mb: int | None = 1024,
    timeout_s: float | None = 120,
    on_result: Callable[[Any, Any], None] | None = None,
    in_process: bool = False,
    quiet: bool = True,
    start_timeout_s: float = 120,
) -> Iterator[tuple[Any, Any]]:
    """Map `fn` over `items` in isolated worker processes, yielding as items complete.

    Parameters
    ----------
    fn : a picklable (module-level) function of one item; its return value must
        be picklable. Exceptions it raises become a `Failure` (an exception with
        `code` and `message` attributes, such as ReadError, keeps its code).
    items : the items (file paths, tuples of arguments, ...).
    workers : number of worker processes (default: CPU count); each is reused
        across items so imports are paid once per worker. workers=1 still isolates.
    memory_mb : address-space limit of each worker (RLIMIT_AS); None for no limit.
    timeout_s : wall-clock limit per item; None for no limit.
    on_result : called as on_result(item, outcome) when each item completes
        (e.g. to advance a progress bar).
    in_process : run in this process, without isolation (for debugging).
    quiet : send worker stdout/stderr to /dev/null (abort messages, backtraces).
    start_timeout_s : time allowed for a worker to start and import `fn`.

    Yields
    ------
    (item, outcome) in completion order, where outcome is fn(item) or a Failure:
    "FILE_CRASHED" when the worker died (abort, segfault, memory limit) or
    "FILE_TIMEOUT" when the item took longer than timeout_s.
    """
    todo = list(items)
    if in_process:
        yield from _run_here(fn, todo, on_result)
        return
    if not todo:
        return
    fn_bytes = pickle.dumps(fn)
    ctx = _context()
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(todo)))
    pending = deque(enumerate(todo))
    remaining = len(todo)
    pool: list[_Worker] = []
    failed_starts = 0

    def finish(worker: _Worker, outcome: Any) -> tuple[Any, Any]:
        nonlocal remaining
        assert worker.task is not None
        item = worker.task[1]
        worker.task = None
        worker.deadline = float("inf")
        remaining -= 1
        if on_result is not None:
            on_result(item, outcome)
        return item, outcome

    def replace(worker: _Worker) -> None:
        worker.kill()
        pool.remove(worker)
        if len(pending) > sum(1 for w in pool if w.task is None):
            pool.append(_Worker(ctx, fn_bytes, memory_mb, quiet))

    try:
        pool.extend(_Worker(ctx, fn_bytes, memory_mb, quiet) for _ in range(n_workers))
        while remaining:
            for w in list(pool):
                if w.ready and w.task is None and pending:
                    idx, item = pending.popleft()
                    try:
                        w.send(idx, item, timeout_s)
                    except (OSError, ValueError):
                        # The worker died while idle: the item is innocent, requeue it.
                        w.task = None
                        pending.appendleft((idx, item))
                        replace(w)
            if not pool:
                pool.append(_Worker(ctx, fn_bytes, memory_mb, quiet))
            now = time.monotonic()
            deadlines = [w.deadline for w in pool if w.task is not None]
            deadlines += [w.started + start_timeout_s for w in pool if not w.ready]
            wait_s = max(0.0, min(deadlines) - now) if deadlines else None
            handles = [w.conn for w in pool] + [w.proc.sentinel for w in pool]
            ready = set(wait(handles, timeout=wait_s))
            for w in list(pool):
                if w.conn in ready:
                    try:
                        msg = w.conn.recv()
                    except (EOFError, OSError):
                        msg = None
                    if msg is not None and msg[0] == "ready":
                        w.ready = True
                        failed_starts = 0
                        continue
                    if msg is not None and msg[0] == "init_error":
                        raise RuntimeError(f"Worker process could not start:\n{msg[1]}")
                    if msg is not None and msg[0] == "done":
                        yield finish(w, msg[2])
                        continue
                    # EOF: the worker died; its sentinel tells how.
                    w.proc.join(5)
                if w.conn in ready or w.proc.sentinel in ready:
                    if w.proc.is_alive() and w.proc.sentinel not in ready:
                        continue
                    w.proc.join(5)
                    if w.task is not None:
                        detail = _death_detail(w.proc)
                        outcome = Failure(
                            "FILE_CRASHED",
                            f"Trình đọc dừng đột ngột ({detail}): {CRASH_REASON}.",
                            detail,
                        )
                        yield finish(w, outcome)
                    elif not w.ready:
                        failed_starts += 1
                        if failed_starts > 3:
                            raise RuntimeError(
                                "Worker processes die while starting "
                                f"({_death_detail(w.proc)}); is memory_mb={memory_mb} too low?"
                            )
                    replace(w)
            now = time.monotonic()
            for w in list(pool):
                if w.task is not None and now >= w.deadline:
                    w.kill()
                    outcome = Failure(
                        "FILE_TIMEOUT",
                        f"Đọc tệp quá {timeout_s:g} giây nên đã dừng ({CRASH_REASON}).",
                        f"timeout {timeout_s:g} s",
                    )
                    yield finish(w, outcome)
                    replace(w)
                elif not w.ready and now >= w.started + start_timeout_s:
                    raise RuntimeError(f"A worker process did not start in {start_timeout_s:g} s")
    finally:
        for w in pool:
            w.stop()


def _run_here(
    fn: Callable[[Any], Any], todo: list[Any], on_result: Callable[[Any, Any], None] | None
) -> Iterator[tuple[Any, Any]]:
    for item in todo:
        try:
            outcome = fn(item)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            outcome = _failure_from_exception(exc)
        if on_result is not None:
            on_result(item, outcome)
        yield item, outcome


class IsolatedWorker:
    """One long-lived worker process calling `fn` on one item at a time.

    For callers that need an answer per item synchronously (a notebook reading
    files one by one, a fuzz test): `worker(item)` returns fn(item) or a Failure,
    and a worker that died or timed out is replaced before the next call.

    >>> # with IsolatedWorker(read_summary, memory_mb=1024) as worker:
    >>> #     outcome = worker(path)
    """

    def __init__(
        self,
        fn: Callable[[Any], Any],
        *,
        memory_mb: int | None = 1024,
        timeout_s: float | None = 120,
        quiet: bool = True,
        start_timeout_s: float = 120,
    ) -> None:
        self._fn_bytes = pickle.dumps(fn)
        self._ctx = _context()
        self.memory_mb = memory_mb
        self.timeout_s = timeout_s
        self.quiet = quiet
        self.start_timeout_s = start_timeout_s
        self._worker: _Worker | None = None

    def _ready_worker(self) -> _Worker:
        w = self._worker
        if w is None or not w.proc.is_alive():
            if w is not None:
                w.kill()
            w = self._worker = _Worker(self._ctx, self._fn_bytes, self.memory_mb, self.quiet)
        if not w.ready:
            if not w.conn.poll(self.start_timeout_s):
                w.kill()
                self._worker = None
                raise RuntimeError(f"A worker process did not start in {self.start_timeout_s:g} s")
            try:
                msg = w.conn.recv()
            except (EOFError, OSError):
                msg = ("init_error", f"worker died while starting ({_death_detail(w.proc)})")
            if msg[0] != "ready":
                w.kill()
                self._worker = None
                raise RuntimeError(f"Worker process could not start:\n{msg[1]}")
            w.ready = True
        return w

    def __call__(self, item: Any) -> Any:
        w = self._ready_worker()
        try:
            w.send(0, item, self.timeout_s)
        except (OSError, ValueError):  # died while idle: start another, once
            w.kill()
            self._worker = None
            w = self._ready_worker()
            w.send(0, item, self.timeout_s)
        remaining = None if self.timeout_s is None else self.timeout_s
        ready = wait([w.conn, w.proc.sentinel], timeout=remaining)
        if w.conn in ready:
            try:
                msg = w.conn.recv()
            except (EOFError, OSError):
                msg = None
            if msg is not None and msg[0] == "done":
                w.task = None
                return msg[2]
        if not ready:
            w.kill()
            self._worker = None
            return Failure(
                "FILE_TIMEOUT",
                f"Đọc tệp quá {self.timeout_s:g} giây nên đã dừng ({CRASH_REASON}).",
                f"timeout {self.timeout_s:g} s",
            )
        w.proc.join(5)
        detail = _death_detail(w.proc)
        w.kill()
        self._worker = None
        return Failure(
            "FILE_CRASHED", f"Trình đọc dừng đột ngột ({detail}): {CRASH_REASON}.", detail
        )

    def close(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None

    def __enter__(self) -> IsolatedWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ------------------------------------------------------------- workbook reading


def _read_workbook_item(args: tuple[str, Any]) -> Any:
    from ketnghia_analysis.reading.cells import read_workbook

    path, limits = args
    return read_workbook(path, limits)


def read_workbook_isolated(
    path: str | Path,
    limits: Any = None,
    *,
    memory_mb: int | None = 1024,
    timeout_s: float | None = 120,
):
    """`cells.read_workbook` in one worker process with memory and time limits.

    Raises ReadError for every failure, including FILE_CRASHED (the reader
    aborted or hit the memory limit) and FILE_TIMEOUT.
    """
    from ketnghia_analysis.reading.cells import ReadError

    ((_, outcome),) = list(
        run_isolated(
            _read_workbook_item,
            [(str(path), limits)],
            workers=1,
            memory_mb=memory_mb,
            timeout_s=timeout_s,
        )
    )
    if isinstance(outcome, Failure):
        raise ReadError(outcome.code, outcome.message)
    return outcome
