"""Read untrusted files in worker processes with memory and time limits.

Some crafted files make a reader allocate gigabytes and abort the whole process
(a Rust `handle_alloc_error` in python-calamine is an abort, not an exception;
measured-facts). `run_isolated` maps a function over items in long-lived worker
processes, each held to a memory limit (RLIMIT_AS on Linux, a parent-side psutil
watchdog on Windows and macOS: `memory_limit.py`); a worker that dies, runs out of
time or outgrows its limit is replaced and the batch goes on. Workers start from a
fork server where the system has one, else by spawn (`KETNGHIA_START_METHOD=spawn`
forces it, as the tests do). concurrent.futures is not used on purpose: one dead
worker breaks a ProcessPoolExecutor for good (BrokenProcessPool).

pebble.ProcessPool was measured against this pool (2 cores, forkserver): 300 trivial
items 0.34 s vs 0.29 s; 200 items of which 82 kill their worker 17.0 s for both; crashes,
timeouts and SIGKILL reported alike. Kept for what pebble lacks: a start timeout (a
worker whose start hangs left pebble waiting with no outcome after 15 s; here
`start_timeout_s` raises) and one start-up error instead of BrokenProcessPool per task.
"""

from __future__ import annotations

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

from ketnghia_analysis.reading.memory_limit import MemoryLimit, limit_for, limit_own_address_space
from ketnghia_analysis.reading.processes import START_METHOD_ENV, context, prestart, reader_env

__all__ = [
    "START_METHOD_ENV",
    "Failure",
    "IsolatedWorker",
    "prestart",
    "read_workbook_isolated",
    "run_isolated",
]

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
        return _out_of_memory("MemoryError")
    tail = "".join(traceback.format_exception(exc)[-3:]).strip()
    return Failure(
        "FILE_CRASHED",
        f"Không đọc được tệp: lỗi {type(exc).__name__} ({CRASH_REASON}).",
        tail[-2000:],
    )


# ----------------------------------------------------------------------- worker


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
        limit_own_address_space(memory_mb)
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
        with reader_env():  # also starts the fork server if it is not running yet
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


def _death_detail(proc: Any) -> str:
    code = proc.exitcode
    if code is None:
        return "tiến trình không phản hồi"
    if code < 0:
        try:
            return f"tín hiệu {signal.Signals(-code).name}"
        except ValueError:
            return f"tín hiệu {-code}"
    return f"mã thoát {code}"


def _crashed(detail: str) -> Failure:
    """The outcome of an item whose worker died (`detail`: how)."""
    return Failure("FILE_CRASHED", f"Trình đọc dừng đột ngột ({detail}): {CRASH_REASON}.", detail)


def _out_of_memory(detail: str) -> Failure:
    """The outcome of an item that took more memory than its worker may (`detail`: how)."""
    return Failure("FILE_CRASHED", f"Không đọc được tệp: hết bộ nhớ ({CRASH_REASON}).", detail)


def _timed_out(timeout_s: float | None) -> Failure:
    """The outcome of an item that ran longer than `timeout_s`."""
    return Failure(
        "FILE_TIMEOUT",
        f"Đọc tệp quá {timeout_s:g} giây nên đã dừng ({CRASH_REASON}).",
        f"timeout {timeout_s:g} s",
    )


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
    memory_mb : memory each worker may take beyond its size at start, in MB (address
        space under RLIMIT_AS on Linux, else resident memory polled by a watchdog; see
        `memory_limit.py`); None for no limit.
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
    "FILE_TIMEOUT" when the item took longer than timeout_s. A worker stopped by the
    watchdog gives the same "FILE_CRASHED" as one that hit RLIMIT_AS.
    """
    todo = list(items)
    if in_process:
        yield from _run_here(fn, todo, on_result)
        return
    if not todo:
        return
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(todo)))
    batch = _Batch(pickle.dumps(fn), todo, memory_mb, timeout_s, quiet, start_timeout_s, on_result)
    try:
        batch.start(n_workers)
        while batch.remaining:
            batch.assign()
            ready = batch.wait()
            yield from batch.collect(ready)
            yield from batch.expire()
            yield from batch.police()
    finally:
        batch.stop()


class _Batch:
    """The state of one `run_isolated` call: its workers, the queue and what is left.

    Each loop of `run_isolated` is five steps: give idle workers an item, wait for a
    message, a death, a deadline or the watchdog's next look, collect what arrived, stop
    what ran too long, and stop what grew beyond its memory limit (watchdog only).
    """

    def __init__(
        self,
        fn_bytes: bytes,
        todo: list[Any],
        memory_mb: int | None,
        timeout_s: float | None,
        quiet: bool,
        start_timeout_s: float,
        on_result: Callable[[Any, Any], None] | None,
    ) -> None:
        self.fn_bytes = fn_bytes
        self.ctx = context()
        self.memory_mb = memory_mb
        self.limit: MemoryLimit = limit_for(memory_mb)
        self.timeout_s = timeout_s
        self.quiet = quiet
        self.start_timeout_s = start_timeout_s
        self.on_result = on_result
        self.pending = deque(enumerate(todo))
        self.remaining = len(todo)
        self.pool: list[_Worker] = []
        self.failed_starts = 0

    def _new_worker(self) -> _Worker:
        return _Worker(self.ctx, self.fn_bytes, self.limit.worker_mb, self.quiet)

    def start(self, n_workers: int) -> None:
        self.pool.extend(self._new_worker() for _ in range(n_workers))

    def stop(self) -> None:
        for w in self.pool:
            w.stop()

    def finish(self, worker: _Worker, outcome: Any) -> tuple[Any, Any]:
        """Mark the worker's item done with `outcome`; returns (item, outcome)."""
        assert worker.task is not None
        item = worker.task[1]
        worker.task = None
        worker.deadline = float("inf")
        self.remaining -= 1
        if self.on_result is not None:
            self.on_result(item, outcome)
        return item, outcome

    def replace(self, worker: _Worker) -> None:
        """Kill a worker; start another while items wait for more than the idle workers."""
        worker.kill()
        self.limit.forget(worker.proc.pid)
        self.pool.remove(worker)
        if len(self.pending) > sum(1 for w in self.pool if w.task is None):
            self.pool.append(self._new_worker())

    def assign(self) -> None:
        """Give each ready, idle worker the next item."""
        for w in list(self.pool):
            if w.ready and w.task is None and self.pending:
                idx, item = self.pending.popleft()
                try:
                    w.send(idx, item, self.timeout_s)
                except (OSError, ValueError):
                    # The worker died while idle: the item is innocent, requeue it.
                    w.task = None
                    self.pending.appendleft((idx, item))
                    self.replace(w)
        if not self.pool:
            self.pool.append(self._new_worker())

    def wait(self) -> set[Any]:
        """The pipes and process sentinels that became ready before the next deadline."""
        now = time.monotonic()
        deadlines = [w.deadline for w in self.pool if w.task is not None]
        deadlines += [w.started + self.start_timeout_s for w in self.pool if not w.ready]
        wait_s = max(0.0, min(deadlines) - now) if deadlines else None
        if self.limit.poll_s is not None and any(w.task is not None for w in self.pool):
            wait_s = self.limit.poll_s if wait_s is None else min(wait_s, self.limit.poll_s)
        handles = [w.conn for w in self.pool] + [w.proc.sentinel for w in self.pool]
        return set(wait(handles, timeout=wait_s))

    def collect(self, ready: set[Any]) -> Iterator[tuple[Any, Any]]:
        """Read each ready worker's message; a worker that died costs its item only."""
        for w in list(self.pool):
            if w.conn in ready:
                try:
                    msg = w.conn.recv()
                except (EOFError, OSError):
                    msg = None
                if msg is not None and msg[0] == "ready":
                    w.ready = True
                    self.limit.arm(w.proc.pid)
                    self.failed_starts = 0
                    continue
                if msg is not None and msg[0] == "init_error":
                    raise RuntimeError(f"Worker process could not start:\n{msg[1]}")
                if msg is not None and msg[0] == "done":
                    yield self.finish(w, msg[2])
                    continue
                # EOF: the worker died; its sentinel tells how.
                w.proc.join(5)
            if w.conn in ready or w.proc.sentinel in ready:
                if w.proc.is_alive() and w.proc.sentinel not in ready:
                    continue
                yield from self.bury(w)

    def bury(self, w: _Worker) -> Iterator[tuple[Any, Any]]:
        """A dead worker: its item (if any) crashed; too many deaths at start are a bug."""
        w.proc.join(5)
        if w.task is not None:
            yield self.finish(w, _crashed(_death_detail(w.proc)))
        elif not w.ready:
            self.failed_starts += 1
            if self.failed_starts > 3:
                raise RuntimeError(
                    "Worker processes die while starting "
                    f"({_death_detail(w.proc)}); is memory_mb={self.memory_mb} too low?"
                )
        self.replace(w)

    def expire(self) -> Iterator[tuple[Any, Any]]:
        """Stop the items past their deadline; a worker that never started is a bug."""
        now = time.monotonic()
        for w in list(self.pool):
            if w.task is not None and now >= w.deadline:
                w.kill()
                yield self.finish(w, _timed_out(self.timeout_s))
                self.replace(w)
            elif not w.ready and now >= w.started + self.start_timeout_s:
                raise RuntimeError(f"A worker process did not start in {self.start_timeout_s:g} s")

    def police(self) -> Iterator[tuple[Any, Any]]:
        """Stop the busy workers the watchdog finds beyond their memory limit."""
        for w in list(self.pool):
            why = self.limit.exceeded(w.proc.pid) if w.task is not None else None
            if why is not None:
                w.kill()
                yield self.finish(w, _out_of_memory(why))
                self.replace(w)


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
    and a worker that died, timed out or outgrew its memory limit is replaced before
    the next call.

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
        self._ctx = context()
        self.memory_mb = memory_mb
        self._limit = limit_for(memory_mb)
        self.timeout_s = timeout_s
        self.quiet = quiet
        self.start_timeout_s = start_timeout_s
        self._worker: _Worker | None = None

    def _discard(self, w: _Worker) -> None:
        """Kill the worker; the next call starts another."""
        w.kill()
        self._limit.forget(w.proc.pid)
        self._worker = None

    def _ready_worker(self) -> _Worker:
        w = self._worker
        if w is None or not w.proc.is_alive():
            if w is not None:
                self._discard(w)
            w = self._worker = _Worker(self._ctx, self._fn_bytes, self._limit.worker_mb, self.quiet)
        if not w.ready:
            if not w.conn.poll(self.start_timeout_s):
                self._discard(w)
                raise RuntimeError(f"A worker process did not start in {self.start_timeout_s:g} s")
            try:
                msg = w.conn.recv()
            except (EOFError, OSError):
                msg = ("init_error", f"worker died while starting ({_death_detail(w.proc)})")
            if msg[0] != "ready":
                self._discard(w)
                raise RuntimeError(f"Worker process could not start:\n{msg[1]}")
            w.ready = True
            self._limit.arm(w.proc.pid)
        return w

    def _await(self, w: _Worker) -> Failure | None:
        """Wait until the worker answers or dies (None), runs out of time or outgrows its
        memory limit (the Failure; the worker is then discarded)."""
        while True:
            left = w.deadline - time.monotonic()
            if left <= 0:
                self._discard(w)
                return _timed_out(self.timeout_s)
            step = min(left, self._limit.poll_s or left)
            if wait([w.conn, w.proc.sentinel], timeout=None if step == float("inf") else step):
                return None
            why = self._limit.exceeded(w.proc.pid)
            if why is not None:
                self._discard(w)
                return _out_of_memory(why)

    def __call__(self, item: Any) -> Any:
        w = self._ready_worker()
        try:
            w.send(0, item, self.timeout_s)
        except (OSError, ValueError):  # died while idle: start another, once
            self._discard(w)
            w = self._ready_worker()
            w.send(0, item, self.timeout_s)
        stopped = self._await(w)
        if stopped is not None:
            return stopped
        if w.conn.poll():
            try:
                msg = w.conn.recv()
            except (EOFError, OSError):
                msg = None
            if msg is not None and msg[0] == "done":
                w.task = None
                return msg[2]
        w.proc.join(5)
        detail = _death_detail(w.proc)
        self._discard(w)
        return _crashed(detail)

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
