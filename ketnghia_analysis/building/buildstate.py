"""What a build depends on and what it left behind, in the standard library only.

A build's output is a function of its inputs: the raw files (path, bytes, modification
time: supersession uses the times) and the code and reference data that read them. The
fingerprint of those inputs is stored in the manifest ``_build.json`` with the sha256 of
every file written and the counts of the terminal summary. When a new build finds the same
fingerprint and intact outputs, there is nothing to do: `up_to_date` answers that without
importing pandas or unpickling the cache, so ``ketnghia build`` with no change takes a
fraction of a second (benchmark 3a, issue #9).
"""

from __future__ import annotations

import errno
import functools
import hashlib
import json
import os
import stat
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ketnghia_analysis.core.controls import for_terminal
from ketnghia_analysis.core.snapshot import MANIFEST, file_sha256

BUILD_VERSION = "build-1"
LOCK_NAME = ".build.lock"
SKIP_NAMES = {"readme", "readme.md", "readme.txt", "thumbs.db", "desktop.ini", ".ds_store"}


#: Imported by the reader workers' fork server before it forks them (the reader, and the
#: normaliser built once: building/worker_preload.py).
WORKER_MODULES = (
    "ketnghia_analysis.reading.reader",
    "ketnghia_analysis.building.worker",
    "ketnghia_analysis.building.worker_preload",
)


def prestart_readers() -> None:
    """Start the reader workers' fork server now (see `sandbox.prestart`): its imports then
    run on the other core while this process imports, hashes and loads the cache."""
    from ketnghia_analysis.reading.sandbox import prestart

    prestart(WORKER_MODULES)


@dataclass(frozen=True)
class Entry:
    """An entry of the raw folder that is not read as a return, and why (Vietnamese).

    ``code`` is the FILE_* code of an entry that may be a return but cannot be read: it is
    one rejected row of submissions. ``code`` None: left out on purpose (a README, a hidden
    file, truth/), listed in the manifest and the summary.
    """

    rel: str
    reason: str
    code: str | None = None


@dataclass
class Listing:
    """Every entry under the raw folder: returns to read, odd entries, entries skipped."""

    paths: list[Path] = field(default_factory=list)
    rels: list[str] = field(default_factory=list)  # of paths, NFC, with "/"
    rejected: list[Entry] = field(default_factory=list)
    skipped: list[Entry] = field(default_factory=list)


def discover(raw: Path) -> list[Path]:
    """Every return under the raw folder, sorted; skips truth/, README files, hidden files,
    Excel lock files ("~$…") and odd entries (see `walk`)."""
    return walk(raw).paths


def walk(raw: Path) -> Listing:
    """Every entry under the raw folder, sorted by relative path, each accounted for.

    Names are compared and recorded in NFC (macOS hands back NFD). Nothing is opened: a
    FIFO or a device is seen by its type, never read (it would block the build).
    """
    raw = Path(raw)
    root = os.path.realpath(raw)
    listing = Listing()
    seen: set[str] = set()
    errors: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(raw, onerror=errors.append):
        here = Path(dirpath)
        dirnames[:] = [d for d in sorted(dirnames) if not _skip_dir(listing, here / d, raw)]
        for name in sorted(filenames):
            path = here / name
            rel = _rel(path, raw)
            entry = _odd_file(path, name, rel, root, seen)
            if entry is None:
                seen.add(rel)
                listing.paths.append(path)
                listing.rels.append(rel)
            elif entry.code is None:
                listing.skipped.append(entry)
            else:
                listing.rejected.append(entry)
    listing.rejected += [_walk_error(exc, raw) for exc in errors]
    return _sorted(listing)


def _sorted(listing: Listing) -> Listing:
    order = sorted(range(len(listing.rels)), key=listing.rels.__getitem__)
    return Listing(
        [listing.paths[i] for i in order],
        [listing.rels[i] for i in order],
        sorted(listing.rejected, key=lambda e: e.rel),
        sorted(listing.skipped, key=lambda e: e.rel),
    )


def _rel(path: Path, raw: Path) -> str:
    """The path relative to the raw folder, with "/", in NFC; the bytes of a name that is
    not UTF-8 are written as \\xNN (such a name is refused, see `_odd_file`)."""
    rel = path.relative_to(raw).as_posix()
    if not _utf8(rel):
        rel = os.fsencode(rel).decode("utf-8", "backslashreplace")
    return unicodedata.normalize("NFC", rel)


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


#: Folders left out on purpose, with the reason recorded.
SKIP_DIRS = {
    "truth": "thư mục đáp án của dữ liệu mẫu (truth/), bỏ qua",
    "__MACOSX": "thư mục phụ do macOS tạo khi nén, bỏ qua",
}


def _skip_dir(listing: Listing, path: Path, raw: Path) -> bool:
    """Record a folder left out (and say so); False for a folder to walk into."""
    name = path.name
    if os.path.islink(path):
        reason = "liên kết tới thư mục: không theo (hãy chép thư mục vào thư mục dữ liệu gốc)"
    elif name in SKIP_DIRS:
        reason = SKIP_DIRS[name]
    elif name.startswith("."):
        reason = "thư mục ẩn, bỏ qua"
    elif name.startswith("~"):
        reason = "thư mục tạm (~), bỏ qua"
    else:
        return False
    listing.skipped.append(Entry(_rel(path, raw) + "/", reason))
    return True


def _skipped_name(name: str) -> str | None:
    """Why a file is left out on purpose by its name alone, or None."""
    low = name.lower()
    if low.startswith("~$"):
        return "tệp khóa của Excel (~$…), bỏ qua"
    if low.startswith("."):
        return "tệp ẩn, bỏ qua"
    if low.startswith("readme"):
        return "tệp README, bỏ qua"
    if low in SKIP_NAMES:
        return "tệp hệ thống, bỏ qua"
    return None


def _odd_file(path: Path, name: str, rel: str, root: str, seen: set[str]) -> Entry | None:
    """Why a file entry is not read as a return (an Entry), or None for a return."""
    skipped = _skipped_name(name)
    if skipped is not None:
        return Entry(rel, skipped)
    if not _utf8(name):
        return Entry(rel, "tên tệp không phải UTF-8 hợp lệ: hãy đặt lại tên tệp", "FILE_BAD_NAME")
    if rel in seen:
        return Entry(rel, "trùng tên với một tệp khác (sau chuẩn hóa Unicode NFC)", "FILE_BAD_NAME")
    try:
        info = os.stat(path)  # follows a link; never opens the file
    except OSError as exc:
        return _bad_target(path, rel, exc)
    if os.path.islink(path) and Path(root) not in Path(os.path.realpath(path)).parents:
        return Entry(rel, "liên kết trỏ ra ngoài thư mục dữ liệu gốc: không đọc", "FILE_BAD_LINK")
    if not stat.S_ISREG(info.st_mode):
        return Entry(rel, "không phải tệp thường (ống FIFO, socket, thiết bị)", "FILE_NOT_REGULAR")
    return None


def _bad_target(path: Path, rel: str, exc: OSError) -> Entry:
    """The Entry of a file whose target cannot be reached."""
    if exc.errno == errno.ELOOP:
        return Entry(rel, "liên kết vòng (trỏ vòng về chính nó)", "FILE_BAD_LINK")
    if exc.errno == errno.ENOENT and os.path.islink(path):
        return Entry(rel, "liên kết hỏng: tệp đích không còn", "FILE_BAD_LINK")
    return Entry(rel, f"không đọc được tệp ({exc.strerror or exc})", "FILE_UNREADABLE")


def _walk_error(exc: OSError, raw: Path) -> Entry:
    """A folder that could not be listed: it may hold returns, so it is rejected."""
    where = Path(exc.filename) if exc.filename else raw
    rel = _rel(where, raw) if where != raw else "."
    return Entry(rel + "/", f"không đọc được thư mục ({exc.strerror or exc})", "FILE_UNREADABLE")


# Libraries whose version can change what a file reads as (or whether a cache entry loads).
FINGERPRINT_LIBRARIES = (
    "pandas", "numpy", "pyarrow", "python-calamine", "openpyxl", "xlrd", "odfpy", "pandera",
    "rapidfuzz", "xlsxwriter",
)  # fmt: skip


@functools.cache
def _library_versions() -> str:
    """The installed versions of FINGERPRINT_LIBRARIES, read from the names of their
    ``*.dist-info`` folders (``importlib.metadata`` would cost 70 ms of imports: half of a
    build with nothing to do). Read once per process: the libraries it runs are those it
    imported at start, whatever is installed later."""
    wanted = {name.replace("-", "_").lower() for name in FINGERPRINT_LIBRARIES}
    found = set()
    for entry in sys.path:
        folder = Path(entry or ".")
        if folder.is_dir():
            for info in folder.glob("*.dist-info"):
                stem = info.name[: -len(".dist-info")]
                if stem.split("-", 1)[0].lower() in wanted:
                    found.add(stem)
    return ",".join(sorted(found))


def code_fingerprint(package: Path | None = None) -> str:
    """sha256 of the reference data, the package's modules, Python and the key libraries.

    Every module counts, not a list of the ones that read files: a list goes stale, and the
    outputs also depend on the schemas, the workbooks' layout, the labels and the number
    format. A change of code (an upgrade) therefore reads every file again, once.

    Without `package`, the fingerprint of the code this process runs, taken once per
    process (a build asks for it four times; a warm builder keeps running the code it
    imported, so its fingerprint is that code's until it is restarted after an upgrade).
    """
    if package is None:
        return _running_code()
    return _fingerprint(Path(package))


@functools.cache
def _running_code() -> str:
    return _fingerprint(Path(__file__).resolve().parents[1])


def _fingerprint(package: Path) -> str:
    reference = package / "reference"
    digest = hashlib.sha256(f"{BUILD_VERSION}|{sys.version}|{_library_versions()}".encode())
    paths = sorted(reference.glob("*.csv")) + sorted(reference.glob("*.yaml"))
    paths += sorted(package.rglob("*.py"))
    for path in paths:
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class RawFile:
    """One raw file as a build sees it: where, which bytes, when."""

    path: Path
    rel: str  # path relative to the raw folder, with "/"
    size: int
    mtime: float
    sha256: str


@dataclass(frozen=True)
class Scan:
    """The raw folder as a build sees it: the returns to read, with their hashes, and every
    other entry with its reason (odd entries rejected, others skipped on purpose)."""

    files: list[RawFile]
    rejected: list[Entry] = field(default_factory=list)
    skipped: list[Entry] = field(default_factory=list)


def scan(raw: Path) -> Scan:
    """Every entry of the raw folder; each return with its size, time and hash (reads bytes
    only). A file that cannot be read is rejected, not raised."""
    listing = walk(Path(raw))
    files, rejected = [], list(listing.rejected)
    for path, rel in zip(listing.paths, listing.rels, strict=True):
        try:
            info = path.stat()
            files.append(RawFile(path, rel, info.st_size, info.st_mtime, file_sha256(path)))
        except OSError as exc:
            rejected.append(
                Entry(rel, f"không đọc được tệp ({exc.strerror or exc})", "FILE_UNREADABLE")
            )
    return Scan(files, sorted(rejected, key=lambda e: e.rel), listing.skipped)


def inputs_key(found: Scan, fingerprint: str | None = None) -> str:
    """Fingerprint of everything a build's output depends on (its summary included)."""
    digest = hashlib.sha256((fingerprint or code_fingerprint()).encode())
    for item in sorted(found.files, key=lambda f: f.rel):
        digest.update(f"|{item.rel}|{item.sha256}|{item.mtime}".encode())
    for entry in found.rejected + found.skipped:
        digest.update(f"|{entry.rel}|{entry.code}|{entry.reason}".encode())
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------
# The summary printed at the end of a build, from counts (stored in the manifest)
# ---------------------------------------------------------------------------------------
@dataclass
class Counts:
    """The figures of a build's terminal summary."""

    files: int = 0
    ingested: int = 0
    superseded: int = 0
    rejected: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    errors: int = 0
    warnings: int = 0
    notes: int = 0  # info-level findings: decisions of the reader, never faults
    rejected_files: list[list[str]] = field(default_factory=list)  # [source_file, reason]
    tables: list[str] = field(default_factory=list)  # parquet files written
    skipped: list[list[str]] = field(default_factory=list)  # [entry, reason]: not returns

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Counts:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


def render_summary(
    counts: Counts,
    out: Path | None,
    seconds: float,
    read_files: int,
    cached_files: int,
    *,
    unchanged: bool = False,
) -> str:
    """Vietnamese summary for the terminal (control characters shown, never sent raw)."""
    from ketnghia_analysis.core.fmt import fmt_number

    if unchanged:
        first = (
            f"Bảng dữ liệu trong {out} đã cập nhật: không có báo cáo, mã nguồn hay danh mục "
            f"nào thay đổi kể từ lần xây dựng trước ({fmt_number(seconds, 2)} giây)."
        )
    else:
        first = (
            f"Đã xây dựng bảng dữ liệu trong {out} ({fmt_number(seconds, 1)} giây; "
            f"{read_files} tệp đọc mới, {cached_files} tệp dùng bộ nhớ đệm)."
        )
    lines = [
        first,
        f"Tệp: {counts.files} tệp — {counts.ingested} đã nhận, "
        f"{counts.superseded} bị thay thế, {counts.rejected} bị từ chối.",
        f"Dòng (tệp đã nhận): {counts.rows_accepted} được nhận, "
        f"{counts.rows_quarantined} bị cách ly (quarantine.parquet).",
        f"Vấn đề: {counts.errors} lỗi (error), {counts.warnings} cảnh báo (warning), "
        f"{counts.notes} ghi chú (info) — xem issues.xlsx và thư mục feedback/.",
    ]
    for source_file, reason in counts.rejected_files:
        lines.append(f"  Từ chối {source_file}: {reason}")
    lines += _skipped_lines(counts.skipped)
    if counts.tables and not unchanged:
        lines.append(
            f"Đã ghi: {', '.join(sorted(counts.tables))}, issues.xlsx, codebook.xlsx, feedback/."
        )
    lines.append(
        "Kết quả: "
        + ("sạch, không có lỗi." if not counts.errors else "có lỗi mức error (mã thoát 1).")
    )
    return for_terminal("\n".join(lines))


#: Entries skipped on purpose listed one by one in the summary; the rest are counted.
SKIPPED_SHOWN = 10


def _skipped_lines(skipped: list[list[str]]) -> list[str]:
    """The summary's account of the entries that are not returns (all are in _build.json)."""
    if not skipped:
        return []
    lines = [f"Bỏ qua {len(skipped)} mục không phải báo cáo:"]
    lines += [f"  {entry}: {reason}" for entry, reason in skipped[:SKIPPED_SHOWN]]
    if len(skipped) > SKIPPED_SHOWN:
        lines.append(f"  … và {len(skipped) - SKIPPED_SHOWN} mục khác (xem {MANIFEST}).")
    return lines


# ---------------------------------------------------------------------------------------
# The manifest
# ---------------------------------------------------------------------------------------
def read_manifest(out: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((Path(out) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def outputs_intact(out: Path, manifest: dict[str, Any]) -> bool:
    """Every file the manifest lists is there with its recorded hash, and feedback/ holds
    exactly the workbooks it lists."""
    files = manifest.get("files")
    feedback = Path(out) / "feedback"
    if not isinstance(files, dict) or not files or not feedback.is_dir():
        return False
    listed = {name for name in files if name.startswith("feedback/")}
    if {f"feedback/{p.name}" for p in feedback.iterdir()} != listed:
        return False
    for name, sha in files.items():
        path = Path(out) / name
        if not path.is_file() or file_sha256(path) != sha:
            return False
    return True


@dataclass
class UpToDate:
    """The previous build's outputs are this build's outputs."""

    out: Path
    counts: Counts
    found: Scan

    @property
    def exit_code(self) -> int:
        return 1 if self.counts.errors else 0


def up_to_date(raw: Path, out: Path, found: Scan | None = None) -> UpToDate | None:
    """UpToDate when the manifest of `out` was written from exactly these inputs and every
    output it lists is intact; else None (a build is needed). Never raises for odd
    folders: anything unexpected means "build"."""
    try:
        manifest = read_manifest(out)
        if manifest is None or not isinstance(manifest.get("counts"), dict):
            return None
        found = scan(Path(raw)) if found is None else found
        if not found.files or manifest.get("inputs") != inputs_key(found):
            return None
        if not outputs_intact(out, manifest):
            return None
        return UpToDate(Path(out), Counts.from_json(manifest["counts"]), found)
    except (OSError, ValueError, TypeError):
        return None
