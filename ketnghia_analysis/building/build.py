"""Build orchestration: raw returns → validated processed tables, safely and incrementally.

Guarantees
----------
* Raw files are only ever opened for reading (``open(path, "rb")`` and the readers'
  read-only modes); nothing under the raw folder is written, renamed or touched.
* Every output is first written into ``out/.tmp-<pid>/``. Only when the whole set is
  written is it moved into place, one file at a time with ``os.replace`` (atomic on
  one file system), and ``_build.json`` (the manifest: build time and sha256 of every
  table) is replaced last. A build killed before the move leaves the previous set
  untouched (the stale ``.tmp-*`` folder is removed by the next build); a kill
  inside the move loop (milliseconds) can leave some tables new and some old, which
  the manifest exposes: its hashes then disagree with the files.
* ``out/.build.lock`` (filelock) lets one build at a time write the out folder; a
  second build waits ``lock_timeout`` seconds, then stops with exit code 2.
* Per-file results are cached in ``out/.cache/`` under the sha256 of the file's bytes,
  its path and a fingerprint of the reference data and of the package code; an unchanged
  file is not re-read. When no input changed at all (same files, bytes, times, code) and
  the previous outputs are intact (manifest hashes), the build returns them unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ketnghia_analysis.building import validate as v
from ketnghia_analysis.building.buildstate import (
    LOCK_NAME,
    MANIFEST,
    Counts,
    RawFile,
    code_fingerprint,
    discover,
    inputs_key,
    prestart_readers,
    render_summary,
    scan,
    sha256_of,
    up_to_date,
)
from ketnghia_analysis.building.normalise import FORM_VI, OUTPUT_TABLES, FileResult, Normaliser
from ketnghia_analysis.building.validate import records_of
from ketnghia_analysis.core.issues import Issue

CACHE_DIR = ".cache"
# Limits of one worker reading one untrusted file (issue #8). Address space, not RSS: the
# imports alone map ~1.4 GB; a legitimate 50,000-row return needs ~0.5 GB more.
WORKER_MEMORY_MB = 2048
WORKER_TIMEOUT_S = 120.0
TABLE_FILES = (
    "communes",
    "commune_names",
    "poverty",
    "ntm_criteria",
    "ntm_status",
    "support",
    "partners",
    "models",
    "submissions",
    "issues",
    "quarantine",
)
KEYS = {
    "poverty": ["year", "commune_code"],
    "ntm_status": ["year", "commune_code"],
    "ntm_criteria": ["year", "commune_code", "criterion"],
    "support": ["year", "commune_code", "partner_id"],
}
FORM_ORDER = ("support", "poverty", "ntm", "models")  # forms_found: "support,poverty,ntm,models"


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------
def _schemas():
    """The pandera schemas, imported on first use: the reader workers import this module for
    `process_file` and never validate, and pandera costs them 0.9 s at start-up (issue #9)."""
    from ketnghia_analysis.building import schemas

    return schemas


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

    def summary(self) -> str:
        """Vietnamese summary for the terminal."""
        if self.exit_code == 2:
            return f"KHÔNG THỂ XÂY DỰNG bảng dữ liệu: {self.message}"
        return render_summary(
            summary_counts(self.tables, self.written),
            self.out,
            self.seconds,
            self.read_files,
            self.cached_files,
            unchanged=self.unchanged,
        )


def summary_counts(tables: dict[str, pd.DataFrame], written: Iterable[Path] = ()) -> Counts:
    """The figures of the terminal summary (also stored in the manifest)."""
    subs = tables.get("submissions", _schemas().empty("submissions"))
    issues = tables.get("issues", _schemas().empty("issues"))
    status = subs["status"].value_counts()
    severity = issues["severity"].value_counts()
    live = subs[subs["status"] == "ingested"]  # a superseded file's rows are not in the tables
    rejected = subs[subs["status"] == "rejected"]
    return Counts(
        files=len(subs),
        ingested=int(status.get("ingested", 0)),
        superseded=int(status.get("superseded", 0)),
        rejected=int(status.get("rejected", 0)),
        rows_accepted=int(live["rows_accepted"].sum()),
        rows_quarantined=int(live["rows_quarantined"].sum()),
        errors=int(severity.get("error", 0)),
        warnings=int(severity.get("warning", 0)),
        rejected_files=[
            [str(f), str(r)]
            for f, r in zip(rejected["source_file"], rejected["reason"], strict=True)
        ],
        tables=sorted(p.name for p in written if p.suffix == ".parquet"),
    )


def _reader_version() -> str:
    try:
        from ketnghia_analysis.reading import reader

        return str(getattr(reader, "READER_VERSION", getattr(reader, "__version__", "0")))
    except Exception:  # noqa: BLE001 - no reader yet: cache by this module only
        return "none"


# ---------------------------------------------------------------------------------------
# One file (runs in a worker process)
# ---------------------------------------------------------------------------------------
_WORKER_STATE: dict[str, Any] = {}


def _normaliser() -> Normaliser:
    if "normaliser" not in _WORKER_STATE:
        from ketnghia_analysis.reference import gazetteer
        from ketnghia_analysis.reference.matching import CommuneMatcher
        from ketnghia_analysis.reference.partners import PartnerRegistry

        _WORKER_STATE["normaliser"] = Normaliser(
            CommuneMatcher(), PartnerRegistry.load(), gazetteer.communes()
        )
    return _WORKER_STATE["normaliser"]


def _rejected(
    source_file: str, sha: str | None, size: int | None, code: str, reason: str
) -> FileResult:
    issue = Issue(
        severity="error",
        code=code,
        message=f"Tệp bị từ chối: {reason} [{code}]",
        source_file=source_file,
        suggestion="Mở và lưu lại tệp bằng Excel (.xlsx), rồi gửi lại.",
    )
    return FileResult(
        source_file=source_file,
        submission={
            "source_file": source_file,
            "sha256": sha,
            "size_bytes": size,
            "district_code": None,
            "year": None,
            "forms_found": None,
            "status": "rejected",
            "reason": reason,
            "rows_read": 0,
            "rows_accepted": 0,
            "rows_quarantined": 0,
            "rows_structural": 0,
            "read_at": datetime.now(UTC),
        },
        issues=[issue],
    )


def normalise_return(ret: Any, normaliser: Normaliser | None = None) -> FileResult:
    """A ReturnRead → the file's contribution (tables, quarantine, issues, accounting)."""
    normaliser = normaliser or _normaliser()
    now = datetime.now(UTC)
    if ret.status != "read":
        code = "FILE_REJECTED"
        for issue in ret.issues or []:
            if issue.severity == "error":
                code = issue.code  # the reader's own code: FILE_EMPTY, NO_FORMS, ...
                break
        result = _rejected(
            ret.source_file, ret.sha256, ret.size_bytes, code, ret.reason or "không đọc được tệp"
        )
        result.issues += [i for i in ret.issues or [] if i.code != code]
        return result
    issues: list[Issue] = []
    for issue in ret.issues or []:
        issue.source_file = issue.source_file or ret.source_file
        issue.district_code = issue.district_code or ret.district_code
        issue.year = issue.year or ret.year
        if not issue.message.endswith(f"[{issue.code}]"):
            issue.message = f"{issue.message} [{issue.code}]"
        issues.append(issue)
    parts: dict[str, list[pd.DataFrame]] = {t: [] for t in OUTPUT_TABLES}
    quarantine: list[dict] = []
    columns_of: dict[tuple[str, str], dict[str, int]] = {}
    read = accepted = quarantined = structural = 0
    identity_known = ret.district_code is not None and ret.year is not None
    forms = []
    form_sheets: dict[str, str] = {}
    for form in ret.forms:
        forms.append(form.form)
        form_sheets.setdefault(form.form, form.sheet)
        ctx = v.Context(
            ret.source_file, form.sheet, ret.district_code, ret.year, dict(form.columns)
        )
        columns_of[(ret.source_file, form.sheet)] = dict(form.columns)
        if not identity_known:
            # Rows of a return whose district or year is unknown cannot be placed.
            for rec in records_of(form.records):
                row = rec.get("source_row")
                issues.append(
                    ctx.issue(
                        "IDENTITY_UNKNOWN",
                        "Không xác định được huyện hoặc năm của báo cáo, không thể nhận dòng này.",
                        row=row,
                        column="commune",
                        value=rec.get("commune"),
                        suggestion="Ghi rõ 'UBND HUYỆN …' và '… năm 20..' trong tiêu đề biểu.",
                    )
                )
        part = normaliser.form_result(form, ctx) if identity_known else None
        if part is None:
            n = len(form.records)
            rows = [
                i.row
                for i in issues
                if i.code == "IDENTITY_UNKNOWN" and i.source_sheet == form.sheet
            ]
            for rec, row in zip(records_of(form.records), rows, strict=False):
                quarantine.append(
                    {
                        "form": form.form,
                        "district_code": ret.district_code,
                        "year": ret.year,
                        "commune_label": rec.get("commune"),
                        "codes": "IDENTITY_UNKNOWN",
                        "raw_values": json.dumps(
                            {
                                k: None if pd.isna(x) else str(x)
                                for k, x in rec.items()
                                if not isinstance(x, (list, dict))
                            },
                            ensure_ascii=False,
                        ),
                        "source_file": ret.source_file,
                        "source_sheet": form.sheet,
                        "source_row": row,
                    }
                )
            read += int(form.rows_read)
            structural += int(form.rows_structural)
            quarantined += n
            continue
        issues += part["issues"]
        quarantine += part["quarantine"]
        read += part["rows_read"]
        structural += part["rows_structural"]
        quarantined += len(part["quarantine"])
        accepted += part["n_records"] - len(part["quarantine"])
        for table, frame in normaliser.tables(part["kind"], part["accepted"], ctx).items():
            parts[table].append(frame)
    tables = {t: pd.concat(frames, ignore_index=True) for t, frames in parts.items() if frames}
    return FileResult(
        source_file=ret.source_file,
        submission={
            "source_file": ret.source_file,
            "sha256": ret.sha256,
            "size_bytes": ret.size_bytes,
            "district_code": ret.district_code,
            "year": ret.year,
            "forms_found": ",".join(f for f in FORM_ORDER if f in forms) or None,
            "status": "ingested",
            "reason": None,
            "rows_read": read,
            "rows_accepted": accepted,
            "rows_quarantined": quarantined,
            "rows_structural": structural,
            "read_at": now,
        },
        tables=tables,
        quarantine=pd.DataFrame(quarantine) if quarantine else None,
        issues=issues,
        columns_of=columns_of,
        forms=sorted(set(forms)),
        form_sheets=form_sheets,
        report_date=getattr(ret, "report_date", None),
        modified=getattr(ret, "modified", None),
    )


def process_file(item: tuple[str, str]) -> FileResult:
    """Worker entry point: read and normalise one file (never raises for a bad file)."""
    path, raw_root = Path(item[0]), Path(item[1])
    rel = path.relative_to(raw_root).as_posix()
    from ketnghia_analysis.reading.reader import read_return  # in the worker, not at import

    try:
        ret = read_return(path, raw_root)
    except Exception as exc:  # noqa: BLE001 - read_return should never raise; be safe
        return _rejected(
            rel, None, None, "FILE_CRASHED", f"lỗi khi đọc tệp ({type(exc).__name__}: {exc})"
        )
    try:
        result = normalise_return(ret)
    except Exception as exc:  # noqa: BLE001 - one file must not stop the batch
        return _rejected(
            rel,
            getattr(ret, "sha256", None),
            getattr(ret, "size_bytes", None),
            "FILE_CRASHED",
            f"lỗi khi chuẩn hóa tệp ({type(exc).__name__}: {exc})",
        )
    return result


# ---------------------------------------------------------------------------------------
# Running the files (isolated workers, cache, progress)
# ---------------------------------------------------------------------------------------
def _isolated(
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
    try:
        from ketnghia_analysis.reading.sandbox import run_isolated
    except ImportError:
        run_isolated = None
    if run_isolated is not None:
        yield from run_isolated(
            process_file,
            items,
            workers=workers,
            memory_mb=WORKER_MEMORY_MB,
            timeout_s=WORKER_TIMEOUT_S,
            on_result=None,
        )
        return
    if workers <= 1 or len(items) <= 1:
        for item in items:
            yield item, process_file(item)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(process_file, item): item for item in items}
        for future in futures:
            item = futures[future]
            try:
                yield item, future.result()
            except Exception as exc:  # noqa: BLE001 - a dead worker rejects its file only
                yield item, exc


def _as_result(item: tuple[str, str], outcome: Any) -> FileResult:
    if isinstance(outcome, FileResult):
        return outcome
    rel = Path(item[0]).relative_to(Path(item[1])).as_posix()
    code = getattr(outcome, "code", "FILE_CRASHED")
    message = getattr(outcome, "message_vi", None) or getattr(outcome, "message", None)
    if not message:
        message = f"tiến trình đọc tệp bị dừng ({type(outcome).__name__}: {outcome})"
    result = _rejected(
        rel, None, None, code if code.startswith("FILE_") else "FILE_CRASHED", message
    )
    result.transient = True  # a time limit may pass under less load: read again next build
    return result


class _Progress:
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
    key_base = f"{_reader_version()}|{code_fingerprint()}"
    cache_dir = out / CACHE_DIR if out is not None else None
    keys = {
        f.rel: hashlib.sha256(f"{key_base}|{f.rel}|{f.sha256}".encode()).hexdigest() for f in files
    }
    hits = [
        f
        for f in files
        if use_cache and cache_dir is not None and (cache_dir / f"{keys[f.rel]}.pkl").exists()
    ]
    hit_rels = {f.rel for f in hits}
    todo = [(str(f.path), str(raw)) for f in files if f.rel not in hit_rels]
    if todo and isolate:
        prestart_readers()  # the workers' imports overlap the unpickling below
    by_rel = {f.rel: f for f in files}
    results: dict[str, FileResult] = {}
    bar = _Progress(len(files), progress)
    for f in hits:
        try:
            with open(cache_dir / f"{keys[f.rel]}.pkl", "rb") as handle:
                hit = pickle.load(handle)
        except Exception:  # noqa: BLE001 - a damaged cache entry is re-read
            hit = None
        if isinstance(hit, FileResult):
            hit.mtime = f.mtime
            results[f.rel] = hit
            bar.step(hit, cached=True)
        else:
            todo.append((str(f.path), str(raw)))
    cached = len(results)
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(todo) or 1))
    warm = _warm_up_assembly() if todo and isolate else None
    for item, outcome in _isolated(todo, n_workers, isolate):
        result = _as_result(item, outcome)
        raw_file = by_rel[Path(item[0]).relative_to(Path(item[1])).as_posix()]
        result.mtime = raw_file.mtime
        if result.submission.get("size_bytes") is None:
            result.submission["size_bytes"] = raw_file.size
        if result.submission.get("sha256") is None:
            result.submission["sha256"] = raw_file.sha256
        results[raw_file.rel] = result
        bar.step(result, cached=False)
        if result.submission["sha256"] != raw_file.sha256:
            result.transient = True  # the file changed while this build ran: read it again
        if cache_dir is not None and not result.transient:
            cache_dir.mkdir(parents=True, exist_ok=True)
            key = keys[raw_file.rel]
            tmp = cache_dir / f"{key}.pkl.{os.getpid()}"
            with open(tmp, "wb") as handle:
                pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, cache_dir / f"{key}.pkl")
    bar.close()
    if warm is not None:
        warm.join()
    return [results[f.rel] for f in files if f.rel in results], len(todo), cached


def _warm_up_assembly() -> threading.Thread:
    """Import what the assembly needs (pandera, first validation: 0.5–0.9 s) in a thread,
    while this process only waits for the reader workers (issue #9)."""

    def warm() -> None:
        try:
            schemas = _schemas()
            schemas.validate(schemas.empty("poverty"), "poverty")  # registers pandera's backends
            from ketnghia_analysis.building import codebook, feedback  # noqa: F401
            from ketnghia_analysis.reference import gazetteer

            gazetteer.communes()
        except Exception:  # noqa: BLE001 - only a head start: assemble imports them anyway
            pass

    thread = threading.Thread(target=warm, name="ketnghia-warm-up", daemon=True)
    thread.start()
    return thread


# ---------------------------------------------------------------------------------------
# Across files
# ---------------------------------------------------------------------------------------
def _recency(result: FileResult) -> tuple:
    def stamp(value: Any) -> float:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return float("-inf")
        try:
            return pd.Timestamp(value).timestamp()
        except (TypeError, ValueError):
            return float("-inf")

    return (
        stamp(result.report_date),
        stamp(result.modified),
        result.mtime or 0.0,
        result.source_file,
    )


def supersede(results: list[FileResult]) -> list[Issue]:
    """Mark earlier submissions of the same district-year as superseded.

    A file is superseded when a later file of the same district and year (by report date
    in the title block, then the workbook's modified time, then the file time) holds every
    form it holds. Both stay in submissions.parquet.
    """
    issues = []
    groups: dict[tuple, list[FileResult]] = {}
    for res in results:
        sub = res.submission
        if sub["status"] != "ingested" or sub["district_code"] is None or sub["year"] is None:
            continue
        groups.setdefault((sub["district_code"], int(sub["year"])), []).append(res)
    for (district, year), group in groups.items():
        if len(group) < 2:
            continue
        group.sort(key=_recency)
        for i, older in enumerate(group):
            newer = [g for g in group[i + 1 :] if set(older.forms) <= set(g.forms)]
            if not newer:
                continue
            winner = newer[-1]
            older.submission["status"] = "superseded"
            older.submission["reason"] = f"được thay thế bởi {winner.source_file} (nộp sau)"
            issues.append(
                Issue(
                    severity="warning",
                    code="SUPERSEDED",
                    message=f"Tệp {older.source_file} được thay thế bởi tệp nộp sau "
                    f"{winner.source_file} của cùng huyện, năm {year}. [SUPERSEDED]",
                    source_file=older.source_file,
                    value=older.source_file,
                    expected=winner.source_file,
                    district_code=district,
                    year=year,
                )
            )
    return issues


def _issues_frame(issues: Iterable[Issue]) -> pd.DataFrame:
    issue_columns = _schemas().columns("issues")
    rows = [{c: getattr(i, c) for c in issue_columns} | {"row": i.row} for i in issues]
    frame = pd.DataFrame(rows, columns=issue_columns + ["row"])
    if frame.empty:
        return _schemas().empty("issues")
    frame = frame.drop_duplicates(issue_columns)
    frame["_sev"] = frame["severity"].map({"error": 0, "warning": 1})
    frame["_row"] = pd.to_numeric(frame["row"], errors="coerce")
    frame = frame.sort_values(
        ["district_code", "year", "source_file", "source_sheet", "_row", "cell", "_sev", "code"],
        na_position="first",
        kind="stable",
    )
    return _schemas().conform(frame.drop(columns=["_sev", "_row", "row"]), "issues")


def assemble(results: list[FileResult]) -> tuple[dict[str, pd.DataFrame], list[Issue]]:
    """The processed tables from per-file results (after supersession)."""
    from ketnghia_analysis.reference import gazetteer
    from ketnghia_analysis.reference.partners import PartnerRegistry

    issues: list[Issue] = []
    for res in results:
        issues += res.issues
    issues += supersede(results)
    live = [r for r in results if r.submission["status"] == "ingested"]
    live.sort(key=_recency)
    columns_of: dict = {}
    for res in live:
        columns_of.update(res.columns_of)

    tables: dict[str, pd.DataFrame] = {}
    for name in OUTPUT_TABLES:
        frames = [r.tables[name] for r in live if name in r.tables and not r.tables[name].empty]
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        if name in KEYS and not frame.empty:
            # Two live files of one district-year holding the same row: the later wins.
            frame = frame.drop_duplicates(KEYS[name], keep="last")
        tables[name] = frame

    # One registry for the whole build: canonical names and every spelling seen.
    registry = PartnerRegistry.load()
    for name in ("support", "models"):
        frame = tables[name]
        if frame.empty or "partner_label" not in frame.columns:
            continue
        types = frame["partner_type"] if "partner_type" in frame.columns else [None] * len(frame)
        resolved = [
            registry.resolve(label, ptype)
            for label, ptype in zip(frame["partner_label"], types, strict=False)
        ]
        frame["partner_id"] = [r.partner_id if r else None for r in resolved]
        if name == "support":
            frame["partner_name"] = [r.partner_name if r else None for r in resolved]
            frame["partner_type"] = [
                (r.partner_type if r else None) or t for r, t in zip(resolved, types, strict=False)
            ]
        tables[name] = frame.drop(columns=["partner_label"])
    for rev in records_of(registry.review()):
        issues.append(
            Issue(
                severity="warning",
                code="PARTNER_REVIEW",
                message=f"Đơn vị kết nghĩa '{rev['partner_name']}' "
                + (
                    "chưa có trong danh mục, đã thêm với mã " + rev["partner_id"]
                    if rev["method"] == "new"
                    else f"được hiểu là {rev['partner_id']} ({rev['method']})"
                )
                + ". [PARTNER_REVIEW]",
                value=rev["partner_name"],
                expected=rev["partner_id"],
                suggestion="Bổ sung tên này vào reference/partners.csv (cột aliases) nếu đúng.",
            )
        )
    tables["partners"] = registry.table()

    pov = tables["poverty"]
    if not pov.empty:
        breaks = v.merger_years(gazetteer.communes())
        issues += v.check_continuity(pov, columns_of, breaks)
        issues += v.check_history(pov, columns_of=columns_of, breaks=breaks)
    issues += _missing_communes(live, tables, gazetteer)

    tables["communes"] = gazetteer.communes()
    tables["commune_names"] = gazetteer.commune_names()
    quarantine = [
        r.quarantine for r in results if r.quarantine is not None and not r.quarantine.empty
    ]
    tables["quarantine"] = (
        pd.concat(quarantine, ignore_index=True) if quarantine else pd.DataFrame()
    )
    tables["submissions"] = pd.DataFrame([r.submission for r in results])
    for name in list(tables):
        frame = tables[name]
        tables[name] = (
            _schemas().empty(name)
            if frame.empty
            else _schemas().conform(frame, name)[_schemas().columns(name)]
        )
    issues += _schema_issues(tables)
    tables["issues"] = _issues_frame(issues)
    for name in ("poverty", "ntm_status", "ntm_criteria", "support", "models"):
        sort = [
            c
            for c in (
                "year",
                "district_code",
                "commune_code",
                "criterion",
                "partner_id",
                "model_name",
            )
            if c in tables[name].columns
        ]
        tables[name] = tables[name].sort_values(sort, kind="stable").reset_index(drop=True)
    return tables, issues


def _schema_issues(tables: dict[str, pd.DataFrame]) -> list[Issue]:
    """Every pandera failure of every table (lazy validation), one issue per table and check.

    The row rules quarantine bad rows before this point, so a failure here means a value
    the rules let through: it is reported as an error, never silently written.
    """
    issues = []
    for name, frame in tables.items():
        if name == "issues":
            continue
        failures = _schemas().validate(frame, name)
        if failures.empty:
            continue
        for (column, check), group in failures.groupby(["column", "check"], dropna=False):
            examples = ", ".join(str(x) for x in group["failure_case"].head(3))
            issues.append(
                Issue(
                    severity="error",
                    code="SCHEMA_VIOLATION",
                    message=f"Bảng {name}.parquet, cột {column}: {len(group)} giá trị không đạt "
                    f"kiểm tra {check} (ví dụ: {examples}). [SCHEMA_VIOLATION]",
                    value=examples,
                    expected=str(check),
                    suggestion="Báo cho nhóm phân tích: quy tắc kiểm tra cần bổ sung.",
                )
            )
    return issues


def _missing_communes(live: list[FileResult], tables: dict, gazetteer: Any) -> list[Issue]:
    """MISSING_COMMUNE for poverty (all units) and NTM (communes only), per district-year.

    One district's forms may be split across files, so the communes found are the union
    over its live files; a quarantined row still names its commune (it is not missing,
    only not accepted).
    """
    by_dy: dict[tuple[str, int], dict[str, tuple[str, str]]] = {}
    found: dict[tuple[str, int, str], set[str]] = {}
    for res in live:
        sub = res.submission
        if sub["district_code"] is None or sub["year"] is None:
            continue  # a return of unknown district or year: its rows are quarantined
        key = (sub["district_code"], int(sub["year"]))
        for form, sheet in res.form_sheets.items():
            by_dy.setdefault(key, {}).setdefault(form, (res.source_file, sheet))
        if res.quarantine is not None and "commune_code" in res.quarantine:
            for form, code in zip(
                res.quarantine["form"], res.quarantine["commune_code"], strict=True
            ):
                if isinstance(code, str):
                    found.setdefault((*key, form), set()).add(code)
    for form, table in (("poverty", "poverty"), ("ntm", "ntm_status")):
        frame = tables[table]
        if frame.empty:
            continue
        for district, year, code in zip(
            frame["district_code"], frame["year"], frame["commune_code"], strict=True
        ):
            found.setdefault((district, int(year), form), set()).add(code)
    issues = []
    # year → district → units valid that year (code, name, type), in code order
    units_of: dict[int, dict[str, list[tuple[str, str, str]]]] = {}
    for (district, year), forms in sorted(by_dy.items()):
        if year not in units_of:
            units = gazetteer.communes_in_year(year).sort_values("commune_code")
            units_of[year] = {}
            for row in zip(
                units["district_code"],
                units["commune_code"],
                units["commune_name"],
                units["commune_type"],
                strict=True,
            ):
                units_of[year].setdefault(row[0], []).append(row[1:])
        for form in ("poverty", "ntm"):
            if form not in forms:
                continue
            # wards and townships are not assessed for NTM: only communes (xã) are expected
            expected = [
                (code, name)
                for code, name, kind in units_of[year].get(district, [])
                if form == "poverty" or kind == "xã"
            ]
            have = found.get((district, year, form), set())
            if all(code in have for code, _ in expected):
                continue  # nothing missing: the usual case
            source_file, sheet = forms[form]
            issues += v.check_missing(
                have,
                pd.DataFrame(expected, columns=["commune_code", "commune_name"]),
                v.Context(source_file, sheet, district, year),
                FORM_VI[form],
            )
    return issues


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------
def _write_all(
    tables: dict[str, pd.DataFrame], tmp: Path, hook: Callable[[str], None] | None = None
) -> list[Path]:
    from ketnghia_analysis.building import codebook, feedback

    written = []
    for name in TABLE_FILES:
        frame = tables[name]
        path = tmp / f"{name}.parquet"
        frame.to_parquet(path, index=False, engine="pyarrow")
        written.append(path)
    if hook:
        hook("write")  # the tables are in tmp, the workbooks not yet
    written.append(feedback.write_issues_xlsx(tables["issues"], tmp / "issues.xlsx"))
    written += feedback.write_district_feedback(tables["issues"], tmp / "feedback")
    try:
        written += codebook.write_codebook(tmp)
    except Exception as exc:  # noqa: BLE001 - the codebook must not stop a build
        print(f"Không ghi được codebook: {exc}", file=sys.stderr)
    return written


def _swap(
    tmp: Path, out: Path, inputs: str | None = None, counts: Counts | None = None
) -> list[Path]:
    """Move every file of tmp into out (os.replace per file); the manifest goes last.

    The manifest records the inputs' fingerprint, the sha256 of every file and the counts
    of the summary: a later build with the same inputs and intact files has nothing to do.
    """
    final = []
    manifest = {
        "built_at": datetime.now(UTC).isoformat(),
        "inputs": inputs,
        "counts": asdict(counts) if counts is not None else None,
        "files": {},
    }
    for path in sorted(tmp.rglob("*")):  # the tables, the workbooks and feedback/*
        if path.is_file():
            manifest["files"][path.relative_to(tmp).as_posix()] = sha256_of(path)
    old_fb = None
    if (tmp / "feedback").is_dir():
        if (out / "feedback").exists():
            old_fb = out / f".feedback-old-{os.getpid()}"
            os.replace(out / "feedback", old_fb)
        os.replace(tmp / "feedback", out / "feedback")
        final.append(out / "feedback")
    for path in sorted(tmp.glob("*")):
        if path.is_file():
            os.replace(path, out / path.name)
            final.append(out / path.name)
    mtmp = tmp / MANIFEST
    mtmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(mtmp, out / MANIFEST)
    if old_fb is not None:
        shutil.rmtree(old_fb, ignore_errors=True)
    return final


def _clean_stale(out: Path) -> None:
    for stale in list(out.glob(".tmp-*")) + list(out.glob(".feedback-old-*")):
        pid = stale.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid)):
            continue
        shutil.rmtree(stale, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    except OSError:
        return False
    return True


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

    Returns
    -------
    BuildResult with exit_code 0 (clean), 1 (built, with error-level issues) or 2.
    """
    from filelock import FileLock, Timeout

    started = time.perf_counter()
    raw, out = Path(raw), Path(out)
    if not raw.is_dir():
        return BuildResult(2, out, message=f"không có thư mục dữ liệu gốc {raw}")
    if out.resolve() == raw.resolve() or raw.resolve() in out.resolve().parents:
        return BuildResult(
            2, out, message="thư mục kết quả không được nằm trong thư mục dữ liệu gốc"
        )
    previous_subs = out / "submissions.parquet"
    if not discover(raw) and previous_subs.exists() and len(pd.read_parquet(previous_subs)):
        # An empty (or unmounted) raw folder must not silently replace the tables of the
        # returns read before, e.g. in a scheduled run.
        return BuildResult(
            2,
            out,
            message=f"thư mục {raw} không có báo cáo nào, nhưng {out} đã có bảng dựng từ "
            "các báo cáo trước: không ghi đè. Kiểm tra lại thư mục dữ liệu gốc, hoặc xóa "
            f"{out} nếu thật sự muốn bảng rỗng.",
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return BuildResult(2, out, message=f"không tạo được thư mục {out}: {exc}")
    lock = FileLock(str(out / LOCK_NAME))
    try:
        lock.acquire(timeout=lock_timeout)
    except Timeout:
        return BuildResult(
            2,
            out,
            message=f"một lần xây dựng khác đang ghi vào {out} (tệp khóa {LOCK_NAME}); "
            f"đã chờ {lock_timeout:.0f} giây. Hãy chờ lần đó xong rồi chạy lại.",
        )
    tmp = out / f".tmp-{os.getpid()}"
    try:
        _clean_stale(out)
        files = scan(raw)  # under the lock: the hashes the cache and the manifest will use
        previous = up_to_date(raw, out, files) if use_cache else None
        if previous is not None:
            # nothing changed since the last build: its outputs are this build's outputs
            return BuildResult(
                previous.exit_code,
                out,
                tables={n: pd.read_parquet(out / f"{n}.parquet") for n in TABLE_FILES},
                written=[out / f"{name}.parquet" for name in TABLE_FILES],
                seconds=time.perf_counter() - started,
                cached_files=len(files),
                unchanged=True,
            )
        if hook:
            hook("read")
        results, n_read, n_cached = collect(
            raw,
            out,
            workers=workers,
            progress=progress,
            use_cache=use_cache,
            isolate=isolate,
            files=files,
        )
        tables, _ = assemble(results)
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        written = _write_all(tables, tmp, hook)
        if hook:
            hook("swap")
        counts = summary_counts(tables, written)
        written = _swap(tmp, out, inputs_key(files), counts)
        return BuildResult(
            1 if counts.errors else 0,
            out,
            tables=tables,
            written=written,
            seconds=time.perf_counter() - started,
            read_files=n_read,
            cached_files=n_cached,
        )
    except Exception as exc:  # noqa: BLE001 - exit code 2 with a message, previous set intact
        return BuildResult(2, out, message=f"{type(exc).__name__}: {exc}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        lock.release()


# ---------------------------------------------------------------------------------------
# ketnghia check FILE...
# ---------------------------------------------------------------------------------------
def check_files(paths: list[Path], stream: Any = None, isolate: bool = True) -> int:
    """Print the issues of one district's files (nothing is written). Exit 1 if any error.

    Each file is read like in a build (in a worker process with limits unless
    isolate=False), so a district officer sees exactly what the province will see; the
    rules across years and files (continuity, history, missing communes) need the whole
    province and are left to the build.
    """
    stream = stream or sys.stdout
    issues: list[Issue] = []
    items = []
    for path in paths:
        path = Path(path).resolve()
        if not path.is_file():
            print(f"{path}: không tìm thấy tệp.", file=stream)
            issues.append(Issue("error", "FILE_NOT_FOUND", "không tìm thấy tệp [FILE_NOT_FOUND]"))
            continue
        items.append((str(path), str(path.parent)))
    subs = []
    for item, outcome in _isolated(items, 1, isolate):
        result = _as_result(item, outcome)
        subs.append(result.submission)
        issues += result.issues
    frame = _issues_frame(issues)
    for sub in subs:
        state = "bị từ chối: " + str(sub["reason"]) if sub["status"] == "rejected" else "đọc được"
        print(
            f"{sub['source_file']}: {state} — huyện {sub['district_code'] or '?'}, năm "
            f"{sub['year'] or '?'}; {sub['rows_accepted']} dòng nhận, "
            f"{sub['rows_quarantined']} dòng lỗi.",
            file=stream,
        )
    for rec in records_of(frame):
        where = ":".join(str(x) for x in (rec["source_sheet"], rec["cell"]) if x and not pd.isna(x))
        level = "LỖI" if rec["severity"] == "error" else "cảnh báo"
        hint = (
            f" Gợi ý: {rec['suggestion']}"
            if rec["suggestion"] and not pd.isna(rec["suggestion"])
            else ""
        )
        print(f"  [{level}] {where or '-'} {rec['message']}{hint}", file=stream)
    errors = int((frame["severity"] == "error").sum())
    warnings = int((frame["severity"] == "warning").sum())
    print(f"Tổng: {errors} lỗi, {warnings} cảnh báo.", file=stream)
    return 1 if errors else 0
