"""How a reader worker's memory is limited: RLIMIT_AS on Linux, a parent-side watchdog elsewhere.

On Linux a worker caps its own address space (`resource.setrlimit`), so an oversized
allocation fails inside the worker (a MemoryError or an abort) before it is made. Windows
has no `resource` module, and macOS accepts RLIMIT_AS without reliably enforcing it (nor can
a worker read its size from /proc there): on those systems the parent polls each busy
worker's memory with psutil and kills a worker that has grown more than the limit beyond its
size at start. A watchdog sees growth, not a single request: one allocation of gigabytes can
pass the limit for up to one poll interval (`POLL_S`) before the worker is killed.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = [
    "POLL_S",
    "AddressSpaceLimit",
    "MemoryLimit",
    "Watchdog",
    "limit_own_address_space",
    "limit_for",
]

POLL_S = 0.05  # seconds between two looks at a busy worker's memory (watchdog only)


class MemoryLimit:
    """No memory limit; the base of the two ways of limiting a worker.

    Attributes
    ----------
    worker_mb : headroom the worker sets on itself as RLIMIT_AS, in MB (None: it sets none).
    poll_s : how often the parent must call `exceeded` on a busy worker (None: never).
    """

    worker_mb: int | None = None
    poll_s: float | None = None

    def arm(self, pid: int) -> None:
        """Note the size of worker `pid` now that it has started."""

    def exceeded(self, pid: int) -> str | None:
        """Why worker `pid` must be stopped for its memory, or None."""
        return None

    def forget(self, pid: int) -> None:
        """Drop what is known of worker `pid` (it was stopped)."""


class AddressSpaceLimit(MemoryLimit):
    """Each worker limits its own address space (`limit_own_address_space`)."""

    def __init__(self, memory_mb: int) -> None:
        self.worker_mb = memory_mb


class Watchdog(MemoryLimit):
    """The parent polls each worker's memory with psutil and stops one that grew too much."""

    poll_s = POLL_S

    def __init__(self, memory_mb: int) -> None:
        import psutil

        self._psutil = psutil
        self.memory_mb = memory_mb
        self._watched: dict[int, tuple[Any, int]] = {}  # pid → (process, bytes at start)

    def arm(self, pid: int) -> None:
        try:
            process = self._psutil.Process(pid)
            self._watched[pid] = (process, _footprint(process))
        except self._psutil.Error:  # already gone: its sentinel will say how
            pass

    def exceeded(self, pid: int) -> str | None:
        watched = self._watched.get(pid)
        if watched is None:
            return None
        process, at_start = watched
        try:
            grown_mb = (_footprint(process) - at_start) / 2**20
        except self._psutil.Error:
            return None
        if grown_mb <= self.memory_mb:
            return None
        return f"watchdog: bộ nhớ tăng {grown_mb:.0f} MB > giới hạn {self.memory_mb} MB"

    def forget(self, pid: int) -> None:
        self._watched.pop(pid, None)


def _footprint(process: Any) -> int:
    """Memory a process holds: private bytes on Windows (its commit), resident set elsewhere."""
    info = process.memory_info()
    return int(getattr(info, "private", 0) or info.rss)


def _enforces_rlimit_as() -> bool:
    """Whether this system has RLIMIT_AS and a worker can read its own size (Linux)."""
    try:
        import resource
    except ImportError:
        return False
    return hasattr(resource, "RLIMIT_AS") and os.path.exists("/proc/self/statm")


def limit_for(memory_mb: int | None) -> MemoryLimit:
    """The way to hold workers to `memory_mb` MB beyond their size at start on this system."""
    if not memory_mb:
        return MemoryLimit()
    if _enforces_rlimit_as():
        return AddressSpaceLimit(memory_mb)
    return Watchdog(memory_mb)


# ----------------------------------------------------------- inside the worker (Linux)


def _address_space_bytes() -> int:
    """The address space this process holds now (Linux), 0 where it cannot be read."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def limit_own_address_space(memory_mb: int | None) -> None:
    """Let this worker take at most `memory_mb` of address space beyond what it holds.

    The limit is counted from the worker's size at start, not from zero: a worker
    forked from a preloaded fork server already holds about 1.4 GB of address space,
    1 GiB of it reserved (not used) by pyarrow's mimalloc once pandas has built a frame,
    so an absolute 1024 MB left it no room even to import a module.
    """
    if not memory_mb:
        return
    import resource

    limit = _address_space_bytes() + int(memory_mb) * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
