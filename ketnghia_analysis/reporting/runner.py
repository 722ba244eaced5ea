"""Report runs: execute the report notebooks through papermill → reports/<year>/.

For each report (the province report, and one per district): the executed
notebook, an HTML export without code (with a table of contents) and an Excel
workbook of its key tables. Then ``reports/<year>/index.html`` linking every
report with its status, and ``reports/<year>/manifest.json`` (parameters, package
versions, input hashes, durations, statuses).

Every report of a run reads the same tables: the run first pins a private copy of the
processed folder (``inputs.pinned``: taken under the shared tables lock, checked against
the build manifest), passes it to the notebooks and workbooks as their ``processed_dir``,
records its hashes in the manifest and removes it at the end. A build that swaps in new
tables meanwhile changes the next run, never this one.

Notebooks run in long-lived worker processes (one per core by default). Each
worker imports papermill and nbconvert once, builds one HTML exporter, loads the
processed tables once for the workbooks, and runs all its reports in one Jupyter
kernel (``kernel.py``): started for the first report, cleaned between two reports
(variables, outputs, figures and global settings back to those of a new kernel,
imported modules kept), replaced if it dies or hangs, shut down when the worker
exits. One failing report does not stop the others; the exit code is 1 if any
failed, 2 if the parameters are invalid (checked before any kernel starts). Reruns
overwrite the same paths.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from ketnghia_analysis.core import paths
from ketnghia_analysis.core.fmt import fmt_number
from ketnghia_analysis.core.snapshot import MixedTablesError
from ketnghia_analysis.reporting.files import atomic_write_text
from ketnghia_analysis.reporting.index import write_index, write_manifest
from ketnghia_analysis.reporting.inputs import pinned
from ketnghia_analysis.reporting.jobs import (
    DISTRICT_NOTEBOOK,
    KERNEL,
    PROVINCE_NOTEBOOK,
    Job,
    ParameterError,
    plan,
    validate,
)
from ketnghia_analysis.reporting.pages import export_html
from ketnghia_analysis.reporting.workbooks import write_excel

CELL_TIMEOUT = 900  # seconds per notebook cell: a stuck kernel fails its report, not the run
EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


@dataclass(frozen=True)
class _Paths:
    """Where one report's files go."""

    notebook: Path
    html: Path
    excel: Path

    @classmethod
    def of(cls, job: Job) -> _Paths:
        out_dir = Path(job.out_dir)
        return cls(
            notebook=out_dir / "notebooks" / f"{job.name}.ipynb",
            html=out_dir / f"{job.name}.html",
            excel=out_dir / "excel" / f"{job.name}.xlsx",
        )


# --- in a worker --------------------------------------------------------------------


def _init_worker(log_dir: str) -> None:
    """Import papermill and nbconvert once; send kernel chatter to a log file.

    The worker's kernel inherits its stderr: the "running over TCP without encryption"
    warnings and the like go to ``logs/worker-<pid>.log``, not to the user's terminal.
    """
    import logging
    import warnings

    Path(log_dir).mkdir(parents=True, exist_ok=True)
    log = open(Path(log_dir) / f"worker-{os.getpid()}.log", "a", encoding="utf-8")  # noqa: SIM115
    os.dup2(log.fileno(), 2)
    sys.stderr = log
    warnings.filterwarnings("ignore")
    logging.getLogger("papermill").setLevel(logging.ERROR)
    logging.getLogger("traitlets").setLevel(logging.ERROR)
    import nbconvert  # noqa: F401
    import papermill  # noqa: F401


def _run_job(job: Job) -> Job:
    """Execute one notebook, export its HTML and write its Excel workbook (in a worker).

    The HTML is written even for a failed report (it shows where it stopped); a failed
    report never keeps an earlier run's workbook.
    """
    out_dir = Path(job.out_dir)
    files = _Paths.of(job)
    files.notebook.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    job.outputs = {"notebook": str(files.notebook.relative_to(out_dir))}
    _execute_notebook(job, files.notebook)
    if files.notebook.exists():
        _export_page(job, files)
    if job.status == "ok":
        _write_workbook(job, files, out_dir)
    if job.status != "ok" and files.excel.exists():
        files.excel.unlink()  # never leave an earlier run's workbook beside a failed report
    job.seconds = round(time.perf_counter() - start, 2)
    _write_status(job)
    return job


def _execute_notebook(job: Job, executed: Path) -> None:
    """Run the job's notebook in the worker's kernel (``kernel.ready``: cleaned after the
    previous report, or new); a failure other than a cell error discards that kernel."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from ketnghia_analysis.reporting import kernel

    try:
        shared = kernel.ready(KERNEL, str(Path(job.notebook).resolve().parent))
        papermill.execute_notebook(
            job.notebook,
            str(executed),
            parameters=job.parameters,
            kernel_name=KERNEL,
            km=shared.manager,
            log_output=False,
            progress_bar=False,
            execution_timeout=CELL_TIMEOUT,
        )
        job.status = "ok"
    except PapermillExecutionError as exc:  # a cell raised: the kernel itself is fine
        job.status = "failed"
        job.error = _one_line(exc)
    except Exception as exc:  # cell timeout, dead kernel, kernel that would not start
        job.status = "failed"
        job.error = _one_line(exc)
        kernel.discard(now=True)


def _export_page(job: Job, files: _Paths) -> None:
    """The report's HTML page; a failure to export fails the report."""
    try:
        export_html(files.notebook, files.html, job.title)
        job.outputs["html"] = files.html.name
    except Exception as exc:
        job.status = "failed"
        job.error = job.error or f"Xuất HTML lỗi: {_one_line(exc)}"


def _write_workbook(job: Job, files: _Paths, out_dir: Path) -> None:
    """The report's Excel workbook; a failure to write it fails the report."""
    try:
        write_excel(job, files.excel)
        job.outputs["excel"] = str(files.excel.relative_to(out_dir))
    except Exception as exc:
        job.status = "failed"
        job.error = f"Ghi Excel lỗi: {_one_line(exc)}"


def _write_status(job: Job) -> None:
    """One status file per report: index.html lists every report of the year folder,
    including those rendered by earlier runs with other parameters."""
    folder = Path(job.out_dir) / "status"
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(
        folder / f"{job.name}.json", json.dumps(asdict(job), ensure_ascii=False, indent=1)
    )


def _one_line(exc: BaseException) -> str:
    """An exception (or a notebook's cell error) as one line without terminal colours."""
    ename = getattr(exc, "ename", None) or type(exc).__name__
    evalue = getattr(exc, "evalue", None) or str(exc)
    text = f"{ename}: {evalue}"
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)  # ANSI colours of tracebacks
    return " ".join(text.split())[:500]


# --- in the parent ------------------------------------------------------------------


def _execute(jobs: list[Job], workers: int, log_dir: Path, progress: bool) -> list[Job]:
    """Render the jobs in ``workers`` processes; the jobs back, in plan order."""
    from tqdm import tqdm

    done: list[Job] = []
    bar = tqdm(
        total=len(jobs),
        desc="Báo cáo",
        unit="báo cáo",
        disable=not progress,
        file=sys.stdout,
        dynamic_ncols=True,
    )
    context = multiprocessing.get_context("spawn")
    # ProcessPoolExecutor rather than Pool: a worker that dies (out of memory, killed)
    # fails its reports with a message instead of leaving the run waiting forever.
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(str(log_dir),),
    ) as pool:
        futures = {pool.submit(_run_job, job): job for job in jobs}
        for future in as_completed(futures):
            try:
                job = future.result()
            except Exception as exc:  # BrokenProcessPool and the like
                job = futures[future]
                job.status = "failed"
                job.error = f"Tiến trình chạy báo cáo bị dừng đột ngột: {_one_line(exc)}"
                _write_status(job)
            done.append(job)
            bar.update(1)
            if job.status != "ok":
                bar.write(f"LỖI {job.title}: {job.error}")
    bar.close()
    order = {j.name: i for i, j in enumerate(jobs)}
    return sorted(done, key=lambda j: order[j.name])


def _checked(
    year: int, district: str | None, all_districts: bool, processed: Path, notebooks: Path
) -> list[str]:
    """The district codes to report, after every check that needs no kernel."""
    districts = validate(year, district, all_districts, processed)
    for name in (PROVINCE_NOTEBOOK, DISTRICT_NOTEBOOK):
        if not (notebooks / name).exists():
            raise ParameterError(f"Không tìm thấy sổ tay báo cáo {notebooks / name}.")
    return districts


def _say_done(done: list[Job], year_dir: Path, index: Path, seconds: float) -> None:
    """Tell the user how the run went: counts, failures and where to look."""
    failed = [j for j in done if j.status != "ok"]
    ok = len(done) - len(failed)
    print(f"Xong: {ok}/{len(done)} báo cáo thành công trong {fmt_number(seconds, 1)} giây.")
    for job in failed:
        kept = year_dir / job.outputs.get("notebook", "")
        print(f"  LỖI {job.title}: {job.error}\n       sổ tay giữ lại: {kept}", file=sys.stderr)
    province = next((j for j in done if j.name.startswith("tinh_")), None)
    if province is not None and "html" in province.outputs:
        print(f"Báo cáo toàn tỉnh: {(year_dir / province.outputs['html']).resolve()}")
    print(f"Mục lục: {index.resolve()}")


def run_reports(
    year: int,
    district: str | None = None,
    all_districts: bool = False,
    processed: Path | str | None = None,
    out: Path | str | None = None,
    workers: int | None = None,
    *,
    notebooks: Path | str | None = None,
    progress: bool | None = None,
) -> int:
    """Render the reports of a year; the body of ``ketnghia report``.

    Parameters
    ----------
    year
        Report year (must be in the data).
    district
        One district code: the province report and that district's report.
        With neither ``district`` nor ``all_districts``: the province report only.
    all_districts
        The province report and one report per district with data that year.
    processed, out
        The processed tables folder and the reports folder (defaults from ``paths``).
    workers
        Worker processes (default: the number of cores).
    notebooks
        Folder of the report notebooks (default ``notebooks/``; tests use a copy).
    progress
        Show a progress bar (default: when stdout is a terminal).

    Returns
    -------
    int
        0 all reports written, 1 at least one failed, 2 invalid parameters or tables that
        are not one build's (a build killed inside its swap).
    """
    from ketnghia_analysis.reporting.charts import is_synthetic

    processed = Path(processed) if processed is not None else paths.processed_dir()
    out = Path(out) if out is not None else paths.reports_dir()
    notebooks = Path(notebooks) if notebooks is not None else paths.notebooks_dir()
    started = datetime.now(UTC)
    clock = time.perf_counter()
    try:  # on the folder itself, so that messages name it; the reports read the pinned copy
        districts = _checked(year, district, all_districts, processed, notebooks)
    except ParameterError as exc:
        print(f"Lỗi tham số: {exc}", file=sys.stderr)
        return EXIT_INVALID
    with ExitStack() as stack:
        try:
            tables = stack.enter_context(pinned(processed))
        except (MixedTablesError, TimeoutError) as exc:
            print(f"Lỗi dữ liệu: {exc}", file=sys.stderr)
            return EXIT_INVALID
        year_dir = out / str(year)
        planned = plan(year, districts, tables, out, notebooks)
        done, count = _render(planned, year, year_dir, workers, progress)
        index = write_index(year_dir, year, is_synthetic(processed))
        parameters = {
            "year": year,
            "district": district,
            "all": all_districts,
            "processed": str(processed.resolve()),
            "out": str(out.resolve()),
            "workers": count,
            "_started_at": started.isoformat(timespec="seconds"),
        }
        write_manifest(year_dir, parameters, done, tables, time.perf_counter() - clock)
    _say_done(done, year_dir, index, time.perf_counter() - clock)
    return EXIT_FAILED if any(j.status != "ok" for j in done) else EXIT_OK


def _render(
    jobs: list[Job], year: int, year_dir: Path, workers: int | None, progress: bool | None
) -> tuple[list[Job], int]:
    """Render the planned jobs into the year folder; the jobs back and the workers used."""
    year_dir.mkdir(parents=True, exist_ok=True)
    count = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    if progress is None:
        progress = sys.stdout.isatty()
    print(f"Chạy {len(jobs)} báo cáo năm {year} với {count} tiến trình…", flush=True)
    return _execute(jobs, count, year_dir / "logs", progress), count
