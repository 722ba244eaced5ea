"""A build that stays warm between calls (issue #18): `Builder` keeps every file's result in
memory and its reader workers alive, for a notebook or ``ketnghia build --watch``.

A cold ``ketnghia build`` after one changed file pays fixed costs every time: imports,
unpickling every cache entry, starting the workers and their first file (the commune
matcher, the partner registry), the pandera warm-up. A `Builder` pays them once:

    >>> # import ketnghia_analysis as kn
    >>> # builder = kn.Builder("data/raw", "data/processed")
    >>> # result = builder.build()   # the first build: like `build`
    >>> # result = builder.build()   # later: only the files whose bytes changed are read

Each ``build()`` is a full `build.build` (the lock, the manifest, the swap, the per-file
cache on disk, the same `BuildResult`); only where the results and the workers come from
differs. Code is imported once: after changing the package, start a new Builder (a new
kernel).
"""

from __future__ import annotations

import pickle
import queue
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from ketnghia_analysis.building.build import BuildResult, Held, build
from ketnghia_analysis.core import paths


class WarmPool:
    """Reader workers that outlive a build: `run` has the call of `sandbox.run_isolated`.

    Each worker is a `sandbox.IsolatedWorker` (memory and time limits, replaced when it
    dies); a thread per busy worker waits on it, so the workers read in parallel. The
    workers keep what they built on their first file (the normaliser) between builds.
    """

    def __init__(self) -> None:
        self._fn: bytes | None = None
        self._limits: tuple[Any, ...] = ()
        self._workers: list[Any] = []
        self._free: queue.Queue[Any] = queue.Queue()

    @property
    def size(self) -> int:
        """How many workers the pool holds (started on their first item)."""
        return len(self._workers)

    def _ensure(self, fn: Callable[[Any], Any], n: int, limits: tuple[Any, ...]) -> None:
        """At least `n` workers for `fn` under `limits` (others are stopped first)."""
        from ketnghia_analysis.reading.sandbox import IsolatedWorker

        fn_bytes = pickle.dumps(fn)
        if fn_bytes != self._fn or limits != self._limits:
            self.close()
            self._fn, self._limits = fn_bytes, limits
        while len(self._workers) < n:
            memory_mb, timeout_s = limits
            worker = IsolatedWorker(fn, memory_mb=memory_mb, timeout_s=timeout_s)
            self._workers.append(worker)
            self._free.put(worker)

    def run(
        self,
        fn: Callable[[Any], Any],
        items: Iterable[Any],
        *,
        workers: int | None = None,
        memory_mb: int | None = 1024,
        timeout_s: float | None = 120,
        on_result: Callable[[Any, Any], None] | None = None,
    ) -> Iterator[tuple[Any, Any]]:
        """(item, fn(item) or a sandbox.Failure) for each item, as they complete."""
        todo = list(items)
        if not todo:
            return
        self._ensure(fn, max(1, min(workers or 1, len(todo))), (memory_mb, timeout_s))
        threads = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix="kn-warm")
        done = False
        try:
            futures: list[Future[tuple[Any, Any]]] = [threads.submit(self._one, x) for x in todo]
            for future in as_completed(futures):
                item, outcome = future.result()
                if on_result is not None:
                    on_result(item, outcome)
                yield item, outcome
            done = True
        finally:
            if not done:  # Ctrl-C or an error: stop the workers, do not wait for their items
                self.close()
            threads.shutdown(wait=done, cancel_futures=True)

    def _one(self, item: Any) -> tuple[Any, Any]:
        worker = self._free.get()
        try:
            return item, worker(item)
        finally:
            self._free.put(worker)

    def close(self) -> None:
        """Stop every worker (a later `run` starts new ones)."""
        for worker in self._workers:
            worker.close()
        self._workers = []
        self._free = queue.Queue()
        self._fn = None


class Builder:
    """``build(raw, out)`` again and again, reusing what the previous calls held.

    Parameters are those of `build.build` (raw and out default to the project's data/raw
    and data/processed). `build()` returns the same `BuildResult` as `build.build`: its
    ``read_files`` counts the files read again (their bytes changed), its ``cached_files``
    those taken from memory or from the cache on disk. Close it (or use ``with``) to stop
    its workers.
    """

    def __init__(
        self,
        raw: str | Path | None = None,
        out: str | Path | None = None,
        *,
        workers: int | None = None,
        progress: bool | None = False,
        lock_timeout: float = 30.0,
        isolate: bool = True,
    ) -> None:
        self.raw = Path(raw) if raw is not None else paths.raw_dir()
        self.out = Path(out) if out is not None else paths.processed_dir()
        self.workers = workers
        self.progress = progress
        self.lock_timeout = lock_timeout
        self.isolate = isolate
        self.held = Held(pool=WarmPool() if isolate else None)

    def build(self) -> BuildResult:
        """One build of `raw` into `out`: only the files changed since the last one are read."""
        return build(
            self.raw,
            self.out,
            workers=self.workers,
            progress=self.progress,
            lock_timeout=self.lock_timeout,
            isolate=self.isolate,
            held=self.held,
        )

    def close(self) -> None:
        """Stop the workers and forget the results held (the cache on disk stays)."""
        if self.held.pool is not None:
            self.held.pool.close()
        self.held = Held(pool=WarmPool() if self.isolate else None)

    def __enter__(self) -> Builder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Builder({str(self.raw)!r}, {str(self.out)!r}, {len(self.held.results)} tệp giữ)"
