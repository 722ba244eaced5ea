"""One consistent set of processed tables: the lock a build's swap and the readers share, and
the check of a folder's tables against its build manifest.

A build moves its new files into the processed folder one ``os.replace`` at a time
(``building/write.py`` ``swap``) and holds ``.tables.lock`` exclusively while it does; every
reader (``kn.load``, a report run taking its copy) holds it shared while it reads. A reader
therefore sees the whole old set or the whole new set, never a mix. A build killed inside its
swap loses the lock with its life (the kernel drops the ``flock`` of a dead process) but
leaves some tables new and some old; the manifest ``_build.json``, replaced last, then
disagrees with them, and `check_consistent` says so in Vietnamese instead of letting a reader
load the mix. The next build repairs the folder.

The manifest lists every file's sha256 (``files``) and each table's size and modification
time in nanoseconds (``stats``): a table whose size and time are the recorded ones is taken
as it is; any other is hashed. Copies that keep times (``shutil.copy2``) stay cheap to check.
Locks are POSIX ``flock`` (Linux, macOS); elsewhere readers rely on the manifest check alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: The build manifest: build time, inputs' fingerprint, sha256 and stats of every file.
MANIFEST = "_build.json"
#: The lock file of a processed folder's tables (shared by readers, exclusive for a swap).
LOCK_FILE = ".tables.lock"
#: Seconds a reader waits for a swap (milliseconds long) before giving up.
READ_TIMEOUT = 60.0
#: Seconds a swap waits for the readers before giving up (the previous tables stay).
SWAP_TIMEOUT = 120.0
#: Seconds of waiting after which a swap says it is waiting.
NOTICE_AFTER = 1.0
_POLL = 0.05


class MixedTablesError(RuntimeError):
    """The tables of a processed folder disagree with its manifest (Vietnamese message)."""


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes (read in blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_stat(path: Path) -> list[int]:
    """[size, modification time in ns] of a file: what the manifest's ``stats`` record."""
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


# ---------------------------------------------------------------------------------------
# The lock
# ---------------------------------------------------------------------------------------
@contextmanager
def reading(folder: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the folder's tables lock shared: no swap starts in it until the block ends.

    Waits at most ``timeout`` seconds (default `READ_TIMEOUT`), then TimeoutError. A folder
    where the lock file is missing and cannot be created (read-only) is read without the
    lock: no build can swap there either.
    """
    timeout = READ_TIMEOUT if timeout is None else timeout
    message = (
        f"Đã chờ {timeout:.0f} giây mà lần xây dựng đang thay bảng trong {folder} vẫn chưa "
        "xong; hãy thử lại sau."
    )
    with _held(Path(folder) / LOCK_FILE, exclusive=False, timeout=timeout, message=message):
        yield


@contextmanager
def swapping(
    folder: Path, timeout: float | None = None, notice: Callable[[], None] | None = None
) -> Iterator[None]:
    """Hold the folder's tables lock exclusively: wait for the readers, keep new ones out.

    ``notice`` is called once when the readers keep the swap waiting over `NOTICE_AFTER`
    seconds; after ``timeout`` seconds (default `SWAP_TIMEOUT`), TimeoutError (Vietnamese
    message).
    """
    timeout = SWAP_TIMEOUT if timeout is None else timeout
    message = (
        f"đã chờ {timeout:.0f} giây mà vẫn có chương trình đang đọc bảng trong {folder} "
        "(sổ tay, báo cáo): giữ nguyên bảng cũ; hãy chạy lại khi chúng đọc xong."
    )
    with _held(Path(folder) / LOCK_FILE, True, timeout, message, notice):
        yield


@contextmanager
def _held(
    lock: Path,
    exclusive: bool,
    timeout: float,
    message: str,
    notice: Callable[[], None] | None = None,
) -> Iterator[None]:
    """The lock file held in one mode for the block (a no-op where it cannot be opened)."""
    fd = _open_lock(lock, create=exclusive)
    if fd is None:
        yield
        return
    try:
        _wait_for(fd, exclusive, timeout, message, notice)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _open_lock(lock: Path, create: bool) -> int | None:
    """A descriptor of the lock file: created if possible, else opened read-only (a reader
    of a read-only folder); None when neither works and a reader may go on without it."""
    try:
        return os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:
        if create:
            raise
    try:
        return os.open(lock, os.O_RDONLY)
    except OSError:
        return None


def _wait_for(
    fd: int,
    exclusive: bool,
    timeout: float,
    message: str,
    notice: Callable[[], None] | None,
) -> None:
    """Take the lock on ``fd``, polling; ``notice`` once after `NOTICE_AFTER` seconds."""
    start = time.monotonic()
    noticed = False
    while not _try_lock(fd, exclusive):
        waited = time.monotonic() - start
        if notice is not None and not noticed and waited >= NOTICE_AFTER:
            noticed = True
            notice()
        if waited >= timeout:
            raise TimeoutError(message)
        time.sleep(_POLL)


def _try_lock(fd: int, exclusive: bool) -> bool:
    """Take the flock without waiting; False when another process holds it."""
    if sys.platform == "win32":  # no flock: the manifest check is the readers' guard
        return True
    import fcntl

    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


# ---------------------------------------------------------------------------------------
# The manifest check
# ---------------------------------------------------------------------------------------
def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The folder's build manifest, or None (missing, unreadable, not a JSON object)."""
    try:
        data = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def mismatched(folder: Path, manifest: dict[str, Any]) -> list[str]:
    """The tables (``*.parquet``) of the folder whose bytes are not those the manifest
    lists; tables it does not list are the analyst's and are not checked."""
    files = manifest.get("files")
    stats = manifest.get("stats")
    files = files if isinstance(files, dict) else {}
    stats = stats if isinstance(stats, dict) else {}
    differ = []
    for path in sorted(Path(folder).glob("*.parquet")):
        expected = files.get(path.name)
        if expected is None or file_stat(path) == stats.get(path.name):
            continue
        if file_sha256(path) != expected:
            differ.append(path.name)
    return differ


def check_consistent(folder: Path) -> None:
    """Raise MixedTablesError when the folder's tables are not the set its manifest lists.

    A folder without a manifest (tables written by hand) is taken as it is.
    """
    manifest = read_manifest(folder)
    differ = mismatched(folder, manifest) if manifest is not None else []
    if differ:
        raise MixedTablesError(
            f"Các bảng trong {folder} không thuộc cùng một lần xây dựng: "
            f"{', '.join(differ)} khác với {MANIFEST} (lần xây dựng trước bị dừng giữa lúc "
            "thay bảng, hoặc bảng bị chép đè bằng tay); hãy chạy lại 'ketnghia build' rồi "
            "tải lại bảng."
        )
