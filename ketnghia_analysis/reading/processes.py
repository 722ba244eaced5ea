"""How the reader processes start: the start method (a fork server where the system has one,
else spawn), the fork server's preloaded modules, and the environment they inherit."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

START_METHOD_ENV = "KETNGHIA_START_METHOD"  # "spawn", "forkserver" or "fork": force one

#: What the reader processes (fork server, workers) are started with, unless the caller set
#: it: one OpenBLAS thread. numpy's import starts one busy BLAS thread per core, ~0.1 s of
#: CPU taken from the other worker on a 2-core PC; a reader does no linear algebra.
READER_ENV = {"OPENBLAS_NUM_THREADS": "1"}


def context() -> Any:
    """The start method of the workers: $KETNGHIA_START_METHOD if set, else forkserver
    (workers fork from a small clean server process: no inherited threads or open files of
    the caller) where the system has it, else spawn (Windows, macOS)."""
    methods = multiprocessing.get_all_start_methods()
    forced = os.environ.get(START_METHOD_ENV, "").strip()
    if forced and forced not in methods:
        raise ValueError(
            f"{START_METHOD_ENV}={forced!r}: phương thức khởi động tiến trình không có trên "
            f"hệ thống này (có: {', '.join(methods)})"
        )
    return multiprocessing.get_context(
        forced or ("forkserver" if "forkserver" in methods else "spawn")
    )


def prestart(preload: Iterable[str] = ()) -> None:
    """Start the fork server now and import the `preload` modules in it.

    Workers of a later `run_isolated` then fork from a process that has already imported
    them, instead of each importing the reader and its libraries again (about 1 s a worker),
    and the server does those imports while the caller goes on with other work (hashing,
    the cache). Without fork servers (Windows, macOS spawn) this does nothing.
    """
    ctx = context()
    if ctx.get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    ctx.set_forkserver_preload(list(preload))  # no effect once the server runs
    with reader_env():
        forkserver.ensure_running()


@contextmanager
def reader_env() -> Iterator[None]:
    """`READER_ENV` in this process's environment while a reader process starts (it inherits
    it; a fork server started here passes it to every worker it forks); the caller's own
    value of a variable is kept, and the environment is restored afterwards."""
    added = [name for name in READER_ENV if name not in os.environ]
    os.environ.update({name: READER_ENV[name] for name in added})
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)
