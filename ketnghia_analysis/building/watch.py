"""``ketnghia build --watch``: rebuild whenever the raw folder changes, with a warm `Builder`.

The raw folder is polled (every file's size and modification time, about once a second:
no extra dependency, works on network drives where change notifications do not). A change
is built once the folder has stopped changing for one poll (a file being copied in is not
read half-written). One line per rebuild; Ctrl-C ends cleanly.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ketnghia_analysis.building.build import BuildResult
from ketnghia_analysis.building.buildstate import walk
from ketnghia_analysis.building.warm import Builder
from ketnghia_analysis.core.controls import for_terminal
from ketnghia_analysis.core.fmt import fmt_number

#: Seconds between two looks at the raw folder.
POLL_S = 1.0

State = tuple[tuple[str, int, int], ...]


def folder_state(raw: Path) -> State:
    """What a rebuild depends on in the raw folder: every entry with its size and time (ns);
    nothing is opened."""
    listing = walk(Path(raw))
    state = []
    for path, rel in zip(listing.paths, listing.rels, strict=True):
        try:
            info = os.stat(path)
            state.append((rel, info.st_size, info.st_mtime_ns))
        except OSError:
            state.append((rel, -1, -1))
    state += [(entry.rel, -2, -2) for entry in listing.rejected + listing.skipped]
    return tuple(sorted(state))


def one_line(result: BuildResult, when: str | None = None) -> str:
    """The line a rebuild prints (Vietnamese, control characters shown)."""
    when = when or time.strftime("%H:%M:%S")
    if result.exit_code == 2:
        return for_terminal(f"[{when}] Không thể xây dựng: {result.message}")
    issues = result.tables.get("issues")
    severity = issues["severity"] if issues is not None else None
    count = (lambda s: int((severity == s).sum())) if severity is not None else (lambda s: 0)
    return for_terminal(
        f"[{when}] Đã xây dựng lại trong {fmt_number(result.seconds, 2)} giây: "
        f"{result.read_files} tệp đọc mới, {result.cached_files} tệp giữ nguyên; "
        f"{count('error')} lỗi, {count('warning')} cảnh báo."
    )


def watch(
    builder: Builder,
    *,
    interval: float = POLL_S,
    max_rebuilds: int | None = None,
    stop: threading.Event | None = None,
    say: Callable[[str], None] = print,
) -> int:
    """Build, then rebuild whenever `builder.raw` changes, until Ctrl-C (or `stop` is set, or
    after `max_rebuilds` rebuilds: tests). Returns 0 once stopped, 2 if the first build
    could not be made; the builder is closed."""
    stop = stop or threading.Event()
    rebuilds = 0
    try:
        state = folder_state(builder.raw)
        first = builder.build()
        say(first.summary())
        if first.exit_code == 2:
            return 2
        say(
            for_terminal(
                f"Đang theo dõi {builder.raw}: mỗi khi có tệp thay đổi sẽ xây dựng lại "
                "(Ctrl-C để dừng)."
            )
        )
        while not stop.is_set() and (max_rebuilds is None or rebuilds < max_rebuilds):
            if stop.wait(interval):
                break
            now = folder_state(builder.raw)
            if now == state:
                continue
            state = _settled(builder.raw, now, interval, stop)
            say(one_line(builder.build()))
            rebuilds += 1
    except KeyboardInterrupt:
        say("Đã dừng theo dõi thư mục dữ liệu gốc (Ctrl-C); bảng đã xây dựng vẫn giữ nguyên.")
    finally:
        builder.close()
    return 0


def _settled(raw: Path, seen: State, interval: float, stop: threading.Event) -> State:
    """The folder's state once it stops changing between two looks `interval`/2 apart."""
    while not stop.wait(interval / 2):
        now = folder_state(raw)
        if now == seen:
            break
        seen = now
    return seen
