"""Every raw file read in isolated workers, or taken from the per-file cache, with progress."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ketnghia_analysis.building.assemble import warm_up_assembly
from ketnghia_analysis.building.buildstate import (
    RawFile,
    code_fingerprint,
    prestart_readers,
    scan,
)
from ketnghia_analysis.building.results import FileResult, rejected_result
from ketnghia_analysis.building.worker import process_file

CACHE_DIR = ".cache"
# Limits of one worker reading one untrusted file (issue #8). Address space a worker may
# take beyond its imports (~1.4 GB mapped at start, see `sandbox._limit_memory`); a
# legitimate 50,000-row return needs ~0.5 GB.
WORKER_MEMORY_MB = 1024
WORKER_TIMEOUT_S = 120.0


def reader_version() -> str:
    try:
        from ketnghia_analysis.reading import reader

        return str(getattr(reader, "READER_VERSION", getattr(reader, "__version__", "0")))
    except Exception:  # noqa: BLE001 - no reader yet: cache by this module only
        return "none"


# ---------------------------------------------------------------------------------------
# Running the files (isolated workers, cache, progress)
# ---------------------------------------------------------------------------------------
def isolated(
    items: list[tuple[str, str]], workers: int, isolate: bool = True
) -> Iterator[tuple[tuple[str, str], Any]]:
    """(item, FileResult | failure) for each item, in worker processes with limits.

    isolate=False reads in this process (tests and debugging only: one hostile file could
    then take the whole build down).
    """
    if not isolate:
        for item in items:
            yield item, process_file(item)
        return
    from ketnghia_analysis.reading.sandbox import run_isolated

    yield from run_isolated(
        process_file,
        items,
        workers=workers,
        memory_mb=WORKER_MEMORY_MB,
        timeout_s=WORKER_TIMEOUT_S,
        on_result=None,
    )


def as_result(item: tuple[str, str], outcome: Any) -> FileResult:
    if isinstance(outcome, FileResult):
        return outcome
    rel = Path(item[0]).relative_to(Path(item[1])).as_posix()
    code = getattr(outcome, "code", "FILE_CRASHED")
    message = getattr(outcome, "message_vi", None) or getattr(outcome, "message", None)
    if not message:
        message = f"tiến trình đọc tệp bị dừng ({type(outcome).__name__}: {outcome})"
    result = rejected_result(
        rel, None, None, code if code.startswith("FILE_") else "FILE_CRASHED", message
    )
    # a time limit may pass under less load: read again next build
    return dataclasses.replace(result, transient=True)


class Progress:
    """A tqdm bar on a terminal (progress None or True), else one log line per file."""

    def __init__(self, total: int, enabled: bool | None):
        self.bar = None
        self.total = total
        self.done = 0
        if enabled is None:
            enabled = sys.stderr.isatty()
        if enabled and total:
            try:
                from tqdm import tqdm

                self.bar = tqdm(total=total, unit="tệp", desc="Đọc báo cáo", file=sys.stderr)
            except ImportError:  # pragma: no cover
                self.bar = None

    def step(self, result: FileResult, cached: bool) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
            return
        sub = result.submission
        state = sub["status"] if sub["status"] != "rejected" else f"từ chối: {sub['reason']}"
        print(
            f"[{self.done}/{self.total}] {result.source_file}: {state}"
            f"{' (bộ nhớ đệm)' if cached else ''}",
            file=sys.stderr,
            flush=True,
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def collect(
    raw: Path,
    out: Path | None,
    *,
    workers: int | None = None,
    progress: bool | None = None,
    use_cache: bool = True,
    isolate: bool = True,
    files: list[RawFile] | None = None,
) -> tuple[list[FileResult], int, int]:
    """Read (or take from the cache) every raw file. Returns results, read and cached counts.

    `files` is the scan of the raw folder when the caller has it (the hashes are reused).
    """
    files = scan(raw) if files is None else files
    cache = FileCache(out / CACHE_DIR if out is not None and use_cache else None, files)
    hits = [f for f in files if cache.has(f)]
    todo = [f for f in files if f not in hits]
    if todo and isolate:
        prestart_readers()  # the workers' imports overlap the unpickling below
    results: dict[str, FileResult] = {}
    bar = Progress(len(files), progress)
    for f in hits:
        hit = cache.load(f)
        if hit is None:
            todo.append(f)
            continue
        results[f.rel] = hit
        bar.step(hit, cached=True)
    cached = len(results)
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(todo) or 1))
    warm = warm_up_assembly() if todo and isolate else None
    by_rel = {f.rel: f for f in files}
    items = [(str(f.path), str(raw)) for f in todo]
    for item, outcome in isolated(items, n_workers, isolate):
        raw_file = by_rel[Path(item[0]).relative_to(Path(item[1])).as_posix()]
        result = _completed(as_result(item, outcome), raw_file)
        results[raw_file.rel] = result
        bar.step(result, cached=False)
        if out is not None and not result.transient:
            cache.store(raw_file, result, out / CACHE_DIR)
    bar.close()
    if warm is not None:
        warm.join()
    return [results[f.rel] for f in files if f.rel in results], len(todo), cached


def _completed(result: FileResult, raw_file: RawFile) -> FileResult:
    """A worker's result with what the build knows of the file (time, size, hash); a file
    whose bytes changed while the build ran is read again next time."""
    submission = dict(result.submission)
    if submission.get("size_bytes") is None:
        submission["size_bytes"] = raw_file.size
    if submission.get("sha256") is None:
        submission["sha256"] = raw_file.sha256
    changed = submission["sha256"] != raw_file.sha256
    return dataclasses.replace(
        result,
        submission=submission,
        mtime=raw_file.mtime,
        transient=result.transient or changed,
    )


class FileCache:
    """Per-file results under out/.cache, keyed by the reader's version, the code and
    reference fingerprint, the file's path and the sha256 of its bytes.

    ``folder`` None: nothing is looked up (``--no-cache``); results are still stored.
    """

    def __init__(self, folder: Path | None, files: list[RawFile]):
        self.folder = folder
        base = f"{reader_version()}|{code_fingerprint()}"
        self.keys = {
            f.rel: hashlib.sha256(f"{base}|{f.rel}|{f.sha256}".encode()).hexdigest() for f in files
        }

    def has(self, f: RawFile) -> bool:
        return self.folder is not None and (self.folder / f"{self.keys[f.rel]}.pkl").exists()

    def load(self, f: RawFile) -> FileResult | None:
        """The cached result of a file (its time refreshed); None if damaged."""
        assert self.folder is not None
        try:
            with open(self.folder / f"{self.keys[f.rel]}.pkl", "rb") as handle:
                hit = pickle.load(handle)
        except Exception:  # noqa: BLE001 - a damaged cache entry is re-read
            return None
        if not isinstance(hit, FileResult):
            return None
        return dataclasses.replace(hit, mtime=f.mtime)

    def store(self, f: RawFile, result: FileResult, folder: Path) -> None:
        """Write a result atomically (a temporary file, then os.replace)."""
        folder.mkdir(parents=True, exist_ok=True)
        key = self.keys[f.rel]
        tmp = folder / f"{key}.pkl.{os.getpid()}"
        with open(tmp, "wb") as handle:
            pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, folder / f"{key}.pkl")
