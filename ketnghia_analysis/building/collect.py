"""Every raw file read in isolated workers, or taken from the per-file cache, with progress."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ketnghia_analysis.building.buildstate import (
    RawFile,
    Scan,
    code_fingerprint,
    prestart_readers,
    scan,
)
from ketnghia_analysis.building.results import Columns, FileResult, rejected_result
from ketnghia_analysis.building.warm_up import warm_up_assembly
from ketnghia_analysis.building.worker import process_file
from ketnghia_analysis.core.controls import for_terminal
from ketnghia_analysis.core.limits import WORKER_MEMORY_MB

CACHE_DIR = ".cache"
# Time limit of one worker reading one untrusted file (issue #8); its memory limit is
# core.limits.WORKER_MEMORY_MB beyond what it maps at start.
WORKER_TIMEOUT_S = 120.0


# ---------------------------------------------------------------------------------------
# Running the files (isolated workers, cache, progress)
# ---------------------------------------------------------------------------------------
def isolated(
    items: list[tuple[str, str]], workers: int, isolate: bool = True, pool: Any = None
) -> Iterator[tuple[tuple[str, str], Any]]:
    """(item, FileResult | failure) for each item, in worker processes with limits.

    isolate=False reads in this process (tests and debugging only: one hostile file could
    then take the whole build down). `pool`: workers kept alive between builds (a
    `warm.WarmPool`, same call as `run_isolated`); None starts workers for this call.
    """
    if not isolate:
        for item in items:
            yield item, process_file(item)
        return
    from ketnghia_analysis.reading.sandbox import run_isolated

    yield from (pool.run if pool is not None else run_isolated)(
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
            for_terminal(
                f"[{self.done}/{self.total}] {result.source_file}: {state}"
                f"{' (bộ nhớ đệm)' if cached else ''}"
            ),
            file=sys.stderr,
            flush=True,
        )

    def held(self, n: int) -> None:
        """`n` files whose results a warm builder holds in memory: one line for all of them
        (not one per file at every rebuild)."""
        if not n:
            return
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
            return
        print(
            f"[{self.done}/{self.total}] {n} tệp không đổi: dùng kết quả giữ trong bộ nhớ",
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
    found: Scan | None = None,
    known: Mapping[str, tuple[str, FileResult]] | None = None,
    pool: Any = None,
) -> tuple[list[FileResult], int, int]:
    """Read (or take from the cache) every raw file. Returns results, read and cached counts.

    `found` is the scan of the raw folder when the caller has it (the hashes are reused);
    its odd entries (bad names, broken links, FIFOs) are rejected results, read by no one.
    use_cache False neither reads nor writes the cache; with it, the cache keeps exactly
    the entries of this build's files. `known` ({rel: (sha256, result)}) and `pool` are a
    warm builder's results held in memory and its live workers (`warm.Builder`).
    """
    found = scan(raw) if found is None else found
    files = found.files
    cache = FileCache(out / CACHE_DIR if out is not None and use_cache else None, files)
    results = {
        e.rel: rejected_result(e.rel, None, None, str(e.code), e.reason) for e in found.rejected
    }
    bar = Progress(len(files) + len(results), progress)
    for result in results.values():
        bar.step(result, cached=False)
    held = _held(files, known or {}, use_cache)
    results.update(held)
    bar.held(len(held))
    files = [f for f in files if f.rel not in held]
    hits = [f for f in files if cache.has(f)]
    todo = [f for f in files if f not in hits]
    if todo and isolate:
        prestart_readers()  # the workers' imports overlap the unpickling below
    for f in hits:
        hit = cache.load(f)
        if hit is None:
            todo.append(f)
            continue
        results[f.rel] = hit
        bar.step(hit, cached=True)
    cached = len(files) - len(todo) + len(held)
    _read(todo, raw, results, bar, cache, workers=workers, isolate=isolate, pool=pool)
    bar.close()
    cache.evict()
    return [results[rel] for rel in sorted(results)], len(todo), cached


def _held(
    files: list[RawFile], known: Mapping[str, tuple[str, FileResult]], use_cache: bool
) -> dict[str, FileResult]:
    """The results held in memory for files whose bytes did not change (their time as now)."""
    if not use_cache:
        return {}
    return {
        f.rel: dataclasses.replace(known[f.rel][1], mtime=f.mtime)
        for f in files
        if f.rel in known and known[f.rel][0] == f.sha256
    }


def _read(
    todo: list[RawFile],
    raw: Path,
    results: dict[str, FileResult],
    bar: Progress,
    cache: FileCache,
    *,
    workers: int | None,
    isolate: bool,
    pool: Any = None,
) -> None:
    """Read the files of `todo` in workers into `results`, storing them in the cache."""
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(todo) or 1))
    previous = None if cache.folder is None else cache.folder.parent  # the out folder
    warm = warm_up_assembly(previous) if todo and isolate else None
    by_path = {str(f.path): f for f in todo}
    items = [(str(f.path), str(raw)) for f in todo]
    for item, outcome in isolated(items, n_workers, isolate, pool):
        raw_file = by_path[item[0]]
        result = _completed(as_result(item, outcome), raw_file)
        results[raw_file.rel] = result
        bar.step(result, cached=False)
        if not result.transient:
            cache.store(raw_file, result)
    if warm is not None:
        warm.finish()


def _completed(result: FileResult, raw_file: RawFile) -> FileResult:
    """A worker's result with what the build knows of the file (name, time, size, hash); a
    file whose bytes changed while the build ran is read again next time."""
    submission = dict(result.submission)
    if submission.get("size_bytes") is None:
        submission["size_bytes"] = raw_file.size
    if submission.get("sha256") is None:
        submission["sha256"] = raw_file.sha256
    changed = submission["sha256"] != raw_file.sha256
    result = dataclasses.replace(
        result,
        submission=submission,
        mtime=raw_file.mtime,
        transient=result.transient or changed,
    )
    return _named(result, raw_file.rel)


def _named(result: FileResult, rel: str) -> FileResult:
    """The result under the scan's name of its file: NFC (macOS hands back NFD names) and
    the link's own name for a symlink (the reader names a file by its resolved path)."""
    old = result.source_file
    if old == rel:
        return result
    return dataclasses.replace(
        result,
        source_file=rel,
        submission={**result.submission, "source_file": rel},
        plain_tables={
            name: _renamed(columns, old, rel) for name, columns in result.plain_tables.items()
        },
        quarantine_rows=[
            {**row, "source_file": rel} if row.get("source_file") == old else row
            for row in result.quarantine_rows
        ],
        issues=[
            dataclasses.replace(i, source_file=rel) if i.source_file == old else i
            for i in result.issues
        ],
        columns_of={
            (rel if name == old else name, sheet): columns
            for (name, sheet), columns in result.columns_of.items()
        },
    )


def _renamed(columns: Columns, old: str, new: str) -> Columns:
    if "source_file" not in columns:
        return columns
    return {**columns, "source_file": [new if v == old else v for v in columns["source_file"]]}


class FileCache:
    """Per-file results under out/.cache, keyed by the reader's version, the code and
    reference fingerprint, the file's path and the sha256 of its bytes.

    ``folder`` None (``--no-cache``): nothing is looked up, written or removed. Otherwise
    the cache is used under the build lock: the partial writes of an earlier build that
    died are removed at once, the entries of files no longer in the raw folder (or of an
    older code) by `evict`, and a failed write (a full disk) is said once, in Vietnamese,
    and the build goes on without it.
    """

    def __init__(self, folder: Path | None, files: list[RawFile]):
        self.folder = folder
        self.failed = False
        base = code_fingerprint()  # the running code: reader, rules and reference data
        self.keys = {
            f.rel: hashlib.sha256(f"{base}|{f.rel}|{f.sha256}".encode()).hexdigest() for f in files
        }
        if folder is not None:
            self._remove(p for p in folder.glob("*.pkl.*") if p.suffix != f".{os.getpid()}")

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

    def store(self, f: RawFile, result: FileResult) -> None:
        """Write a result atomically (a temporary file, then os.replace); on an OSError,
        remove the partial file, say so once and stop writing the cache for this build."""
        if self.folder is None or self.failed:
            return
        key = self.keys[f.rel]
        tmp = self.folder / f"{key}.pkl.{os.getpid()}"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as handle:
                pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.folder / f"{key}.pkl")
        except OSError as exc:
            self.failed = True
            self._remove([tmp])
            print(
                for_terminal(
                    f"Cảnh báo: không ghi được bộ nhớ đệm vào {self.folder} "
                    f"({exc.strerror or exc}); bảng dữ liệu vẫn được xây dựng, lần sau các "
                    "tệp sẽ được đọc lại."
                ),
                file=sys.stderr,
                flush=True,
            )

    def evict(self) -> None:
        """Remove every entry but those of this build's files: files gone from the raw folder,
        their older bytes, an older code."""
        if self.folder is not None:
            kept = {f"{key}.pkl" for key in self.keys.values()}
            self._remove(p for p in self.folder.glob("*.pkl") if p.name not in kept)

    @staticmethod
    def _remove(paths: Iterable[Path]) -> None:
        for path in paths:
            try:
                path.unlink(missing_ok=True)
            except OSError:  # a cache file that cannot be removed is tried again next build
                pass
