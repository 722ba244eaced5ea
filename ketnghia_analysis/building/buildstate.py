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

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BUILD_VERSION = "build-1"
MANIFEST = "_build.json"
LOCK_NAME = ".build.lock"
SKIP_DIRS = {"truth", "__MACOSX"}
SKIP_NAMES = {"readme", "readme.md", "readme.txt", "thumbs.db", "desktop.ini", ".ds_store"}


# Modules a reader worker needs; the fork server imports them once for all workers.
WORKER_MODULES = ("ketnghia_analysis.building.worker", "ketnghia_analysis.reading.reader")


def prestart_readers() -> None:
    """Start the reader workers' fork server now (see `sandbox.prestart`): its imports then
    run on the other core while this process imports, hashes and loads the cache."""
    from ketnghia_analysis.reading.sandbox import prestart

    prestart(WORKER_MODULES)


def discover(raw: Path) -> list[Path]:
    """Every return under the raw folder, sorted; skips truth/, README files, hidden files
    and Excel lock files ("~$…")."""
    found = []
    for dirpath, dirnames, filenames in os.walk(raw):
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIP_DIRS and not d.startswith((".", "~"))
        )
        for name in sorted(filenames):
            low = name.lower()
            if low.startswith((".", "~$")) or low in SKIP_NAMES or low.startswith("readme"):
                continue
            found.append(Path(dirpath) / name)
    return sorted(found, key=lambda p: p.relative_to(raw).as_posix())


def sha256_of(path: Path) -> str:
    """sha256 of a file's bytes (read-only)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# Libraries whose version can change what a file reads as (or whether a cache entry loads).
FINGERPRINT_LIBRARIES = (
    "pandas", "numpy", "pyarrow", "python-calamine", "openpyxl", "xlrd", "odfpy", "pandera",
    "rapidfuzz", "xlsxwriter",
)  # fmt: skip


def _library_versions() -> str:
    """The installed versions of FINGERPRINT_LIBRARIES, read from the names of their
    ``*.dist-info`` folders (``importlib.metadata`` would cost 70 ms of imports: half of a
    build with nothing to do)."""
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
    """
    package = Path(__file__).resolve().parents[1] if package is None else Path(package)
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


def scan(raw: Path) -> list[RawFile]:
    """Every return of the raw folder with its size, time and hash (reads bytes only)."""
    files = []
    for path in discover(raw):
        stat = path.stat()
        rel = path.relative_to(raw).as_posix()
        files.append(RawFile(path, rel, stat.st_size, stat.st_mtime, sha256_of(path)))
    return files


def inputs_key(files: list[RawFile], fingerprint: str | None = None) -> str:
    """Fingerprint of everything a build's output depends on."""
    digest = hashlib.sha256((fingerprint or code_fingerprint()).encode())
    for item in sorted(files, key=lambda f: f.rel):
        digest.update(f"|{item.rel}|{item.sha256}|{item.mtime}".encode())
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
    rejected_files: list[list[str]] = field(default_factory=list)  # [source_file, reason]
    tables: list[str] = field(default_factory=list)  # parquet files written

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
    """Vietnamese summary for the terminal."""
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
        f"Vấn đề: {counts.errors} lỗi (error), {counts.warnings} cảnh báo (warning)"
        " — xem issues.xlsx và thư mục feedback/.",
    ]
    for source_file, reason in counts.rejected_files:
        lines.append(f"  Từ chối {source_file}: {reason}")
    if counts.tables and not unchanged:
        lines.append(
            f"Đã ghi: {', '.join(sorted(counts.tables))}, issues.xlsx, codebook.xlsx, feedback/."
        )
    lines.append(
        "Kết quả: "
        + ("sạch, không có lỗi." if not counts.errors else "có lỗi mức error (mã thoát 1).")
    )
    return "\n".join(lines)


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
        if not path.is_file() or sha256_of(path) != sha:
            return False
    return True


@dataclass
class UpToDate:
    """The previous build's outputs are this build's outputs."""

    out: Path
    counts: Counts
    files: list[RawFile]

    @property
    def exit_code(self) -> int:
        return 1 if self.counts.errors else 0


def up_to_date(raw: Path, out: Path, files: list[RawFile] | None = None) -> UpToDate | None:
    """UpToDate when the manifest of `out` was written from exactly these inputs and every
    output it lists is intact; else None (a build is needed). Never raises for odd
    folders: anything unexpected means "build"."""
    try:
        manifest = read_manifest(out)
        if manifest is None or not isinstance(manifest.get("counts"), dict):
            return None
        files = scan(Path(raw)) if files is None else files
        if not files or manifest.get("inputs") != inputs_key(files):
            return None
        if not outputs_intact(out, manifest):
            return None
        return UpToDate(Path(out), Counts.from_json(manifest["counts"]), files)
    except (OSError, ValueError, TypeError):
        return None
