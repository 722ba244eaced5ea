"""Build orchestration: raw returns → validated processed tables, safely and incrementally.

Guarantees
----------
* Raw files are only ever opened for reading (``open(path, "rb")`` and the readers'
  read-only modes); nothing under the raw folder is written, renamed or touched.
* Every output is first written into ``out/.tmp-<pid>/``. Only when the whole set is
  written is it moved into place, one file at a time with ``os.replace`` (atomic on
  one file system), and ``_build.json`` (the manifest: build time and sha256 of every
  table) is replaced last. A build killed before the move leaves the previous set
  untouched (the stale ``.tmp-*`` folder is removed by the next build). The move holds
  ``out/.tables.lock`` exclusively (core/snapshot.py) and readers hold it shared, so no
  reader sees a half-moved set; a kill inside the move loop can leave some tables new and
  some old, which the manifest exposes (its hashes and stats disagree with the files):
  ``kn.load`` and ``ketnghia report`` then refuse the folder until the next build repairs it.
* ``out/.build.lock`` (filelock) lets one build at a time write the out folder; the
  holder writes its PID and start time into ``out/.build.lock.owner``. A second build
  says at once that it waits, for whom, then waits ``lock_timeout`` seconds and stops
  with exit code 2.
* Per-file results are cached in ``out/.cache/`` under the sha256 of the file's bytes,
  its path and a fingerprint of the reference data and of the package code; an unchanged
  file is not re-read. When no input changed at all (same files, bytes, times, code) and
  the previous outputs are intact (manifest hashes), the build returns them unchanged.
* Only what changed is written again: a workbook (issues.xlsx, feedback/*, the codebook)
  whose content digest is the previous build's keeps its file (building/unchanged.py).
* A warm builder (building/warm.py: ``kn.Builder``, ``ketnghia build --watch``) passes
  `Held`: the results of unchanged files come from memory and the workers stay alive.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ketnghia_analysis.building import warm_up
from ketnghia_analysis.building.buildstate import (
    LOCK_NAME,
    Counts,
    Scan,
    discover,
    inputs_key,
    render_summary,
    scan,
    up_to_date,
)
from ketnghia_analysis.building.collect import collect
from ketnghia_analysis.building.write import (
    TABLE_FILES,
    clean_stale,
    provenance,
    swap,
    write_all,
)
from ketnghia_analysis.core.controls import for_terminal

if TYPE_CHECKING:
    import pandas as pd

# pandas and the assembly are imported once the workers are reading (the warm-up thread,
# `warm_up`), not at the import of this module: a build's first files are read while its
# own process imports them (issue #18).

#: Beside the lock file: the PID and start time of the build that holds it.
LOCK_OWNER = LOCK_NAME + ".owner"


@dataclass
class BuildResult:
    """What a build did; ``exit_code`` 0 clean, 1 built with errors, 2 could not build."""

    exit_code: int
    out: Path | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)
    message: str | None = None
    seconds: float = 0.0
    cached_files: int = 0
    read_files: int = 0
    unchanged: bool = False  # nothing changed since the previous build: its outputs stand
    skipped: list[list[str]] = field(default_factory=list)  # [entry, reason]: not returns
    counts: Counts | None = None  # the summary's figures, when the build computed them

    def summary(self) -> str:
        """Vietnamese summary for the terminal (control characters shown, never sent raw)."""
        if self.exit_code == 2:
            return for_terminal(f"KHÔNG THỂ XÂY DỰNG bảng dữ liệu: {self.message}")
        from ketnghia_analysis.building.assemble import summary_counts

        counts = self.counts or summary_counts(self.tables, self.written)
        return render_summary(
            dataclasses.replace(counts, skipped=self.skipped),
            self.out,
            self.seconds,
            self.read_files,
            self.cached_files,
            unchanged=self.unchanged,
        )


@dataclass(frozen=True)
class BuildOptions:
    """How to build (see `build`)."""

    workers: int | None = None
    progress: bool | None = None
    use_cache: bool = True
    lock_timeout: float = 30.0
    hook: Callable[[str], None] | None = None
    isolate: bool = True
    held: Held | None = None


@dataclass
class Held:
    """What a warm builder keeps between its builds (`warm.Builder`): every file's result
    by its path ({rel: (sha256, FileResult)}), the live reader workers (a `warm.WarmPool`,
    None: started per build) and the tables of its last build with that build's inputs key.
    """

    results: dict[str, tuple[str, Any]] = field(default_factory=dict)
    pool: Any = None
    tables: dict[str, pd.DataFrame] | None = None
    inputs: str | None = None


def build(
    raw: Path,
    out: Path,
    *,
    workers: int | None = None,
    progress: bool | None = None,
    use_cache: bool = True,
    lock_timeout: float = 30.0,
    hook: Callable[[str], None] | None = None,
    isolate: bool = True,
    held: Held | None = None,
) -> BuildResult:
    """Build the processed tables of ../shared/spec/tables.md from a folder of returns.

    Parameters
    ----------
    raw, out : folders of the raw returns (read only) and of the processed tables.
    workers : reader processes (default: number of cores).
    progress : None = a bar on a terminal, log lines otherwise; False = log lines.
    use_cache : reuse per-file results of unchanged files.
    lock_timeout : seconds to wait for another build of the same out folder.
    hook : called with a stage name ("read", "write", "swap"); tests use it.
    isolate : read each file in a worker process with memory and time limits (issue #8);
        False reads in this process (tests, debugging).
    held : the state a warm builder keeps between builds (`warm.Builder`), updated here.

    Returns
    -------
    BuildResult with exit_code 0 (clean), 1 (built, with error-level issues) or 2.
    """
    from filelock import FileLock

    started = time.perf_counter()
    raw, out = Path(raw), Path(out)
    options = BuildOptions(workers, progress, use_cache, lock_timeout, hook, isolate, held)
    refused = _refusal(raw, out)
    if refused is not None:
        return BuildResult(2, out, message=refused)
    lock = FileLock(str(out / LOCK_NAME))
    if not _acquire(lock, out, lock_timeout):
        return BuildResult(
            2,
            out,
            message=f"một lần xây dựng khác đang ghi vào {out} ({lock_owner(out)}; tệp khóa "
            f"{LOCK_NAME}); đã chờ {lock_timeout:.0f} giây. Hãy chờ lần đó xong rồi chạy lại.",
        )
    tmp = out / f".tmp-{os.getpid()}"
    try:
        result = _build_locked(raw, out, tmp, options)
    except Exception as exc:  # noqa: BLE001 - exit code 2 with a message, previous set intact
        return BuildResult(2, out, message=f"{type(exc).__name__}: {exc}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        (out / LOCK_OWNER).unlink(missing_ok=True)
        lock.release()
    return dataclasses.replace(result, seconds=time.perf_counter() - started)


def _acquire(lock: Any, out: Path, timeout: float) -> bool:
    """Take the build lock; when another build holds it, say so at once (on stderr, with
    its PID and start time), then wait up to `timeout` seconds. False if it never came."""
    from filelock import Timeout

    try:
        lock.acquire(timeout=0)
    except Timeout:
        print(
            for_terminal(
                f"Một lần xây dựng khác đang ghi vào {out} ({lock_owner(out)}); "
                f"chờ tối đa {timeout:.0f} giây cho lần đó xong…"
            ),
            file=sys.stderr,
            flush=True,
        )
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            return False
    _write_owner(out)
    return True


def _write_owner(out: Path) -> None:
    """Record this build as the lock's holder (best effort: the lock itself is what counts)."""
    owner = {"pid": os.getpid(), "started": time.strftime("%H:%M:%S ngày %d/%m/%Y")}
    tmp = out / f"{LOCK_OWNER}.{os.getpid()}"
    try:
        tmp.write_text(json.dumps(owner), encoding="utf-8")
        os.replace(tmp, out / LOCK_OWNER)
    except OSError:
        tmp.unlink(missing_ok=True)


def lock_owner(out: Path) -> str:
    """Who holds the build lock of `out`, in Vietnamese: "tiến trình 1234, bắt đầu lúc …"."""
    try:
        owner = json.loads((Path(out) / LOCK_OWNER).read_text(encoding="utf-8"))
        return f"tiến trình {int(owner['pid'])}, bắt đầu lúc {owner['started']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "không rõ tiến trình nào"


def _refusal(raw: Path, out: Path) -> str | None:
    """Why these folders cannot be built (Vietnamese), or None; creates the out folder."""
    if not raw.is_dir():
        return f"không có thư mục dữ liệu gốc {raw}"
    if out.resolve() == raw.resolve() or raw.resolve() in out.resolve().parents:
        return "thư mục kết quả không được nằm trong thư mục dữ liệu gốc"
    previous_subs = out / "submissions.parquet"
    if not discover(raw) and previous_subs.exists() and _rows_in(previous_subs):
        # An empty (or unmounted) raw folder must not silently replace the tables of the
        # returns read before, e.g. in a scheduled run.
        return (
            f"thư mục {raw} không có báo cáo nào, nhưng {out} đã có bảng dựng từ "
            "các báo cáo trước: không ghi đè. Kiểm tra lại thư mục dữ liệu gốc, hoặc xóa "
            f"{out} nếu thật sự muốn bảng rỗng."
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"không tạo được thư mục {out}: {exc}"
    return None


def _rows_in(path: Path) -> int:
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)


def _build_locked(raw: Path, out: Path, tmp: Path, options: BuildOptions) -> BuildResult:
    """The build under the lock: scan, answer from the manifest when nothing changed, else
    read (or take from the cache), assemble, write into tmp and swap into place."""
    clean_stale(out)
    found = scan(raw)  # under the lock: the hashes the cache and the manifest will use
    skipped = [[entry.rel, entry.reason] for entry in found.skipped]
    previous = up_to_date(raw, out, found) if options.use_cache else None
    if previous is not None:  # nothing changed: the previous outputs are this build's
        return BuildResult(
            previous.exit_code,
            out,
            tables=_previous_tables(out, found, options.held),
            written=[out / f"{name}.parquet" for name in TABLE_FILES],
            cached_files=len(found.files),
            unchanged=True,
            skipped=skipped,
        )
    if options.hook:
        options.hook("read")
    held = options.held
    results, n_read, n_cached = collect(
        raw,
        out,
        workers=options.workers,
        progress=options.progress,
        use_cache=options.use_cache,
        isolate=options.isolate,
        found=found,
        known=None if held is None else held.results,
        pool=None if held is None else held.pool,
    )
    from ketnghia_analysis.building.assemble import assemble, summary_counts

    tables, _ = assemble(results)
    warm_up.REHEARSED.set()  # the first-call costs are paid: later builds here need no rehearsal
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    written = write_all(tables, tmp, options.hook, out if options.use_cache else None)
    if options.hook:
        options.hook("swap")
    counts = dataclasses.replace(summary_counts(tables, written), skipped=skipped)
    key = inputs_key(found)
    written = swap(tmp, out, key, counts, provenance(raw))
    if held is not None:
        _hold(held, found, results, tables, key)
    return BuildResult(
        1 if counts.errors else 0,
        out,
        tables=tables,
        written=written,
        read_files=n_read,
        cached_files=n_cached,
        skipped=skipped,
        counts=counts,
    )


def _previous_tables(out: Path, found: Scan, held: Held | None) -> dict[str, pd.DataFrame]:
    """The tables of the previous build: those a warm builder holds when they are of the
    same inputs (nothing is read), else read from out."""
    import pandas as pd

    if held is not None and held.tables is not None and held.inputs == inputs_key(found):
        return {name: frame.copy(deep=False) for name, frame in held.tables.items()}
    tables = {n: pd.read_parquet(out / f"{n}.parquet") for n in TABLE_FILES}
    if held is not None:
        held.tables, held.inputs = tables, inputs_key(found)
    return tables


def _hold(held: Held, found: Scan, results: list[Any], tables: dict, key: str) -> None:
    """Keep this build's results (not those of a worker failure: read again next time) and
    tables in the warm builder's memory; files gone from the raw folder are forgotten."""
    by_rel = {result.source_file: result for result in results}
    held.results = {
        f.rel: (f.sha256, by_rel[f.rel])
        for f in found.files
        if f.rel in by_rel and not by_rel[f.rel].transient
    }
    held.tables = {name: frame.copy(deep=False) for name, frame in tables.items()}
    held.inputs = key
