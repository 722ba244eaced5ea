"""Report runs: execute the report notebooks through papermill → reports/<year>/.

For each report (the province report, and one per district): the executed
notebook, an HTML export without code (with a table of contents) and an Excel
workbook of its key tables. Then ``reports/<year>/index.html`` linking every
report with its status, and ``reports/<year>/manifest.json`` (parameters, package
versions, input hashes, durations, statuses).

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

import functools
import hashlib
import html
import json
import multiprocessing
import os
import platform
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pandas as pd

from ketnghia_analysis.core import paths
from ketnghia_analysis.core.fmt import fmt_number

PROVINCE_NOTEBOOK = "20_province_report.ipynb"
DISTRICT_NOTEBOOK = "10_district_report.ipynb"
KERNEL = "ketnghia"
HIDE_TAG = "hide-in-report"
CELL_TIMEOUT = 900  # seconds per notebook cell: a stuck kernel fails its report, not the run
PROVINCE_CODE = "49"
EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2
VERSIONED_PACKAGES = (
    "ketnghia-analysis",
    "pandas",
    "pyarrow",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbconvert",
    "nbclient",
    "ipykernel",
    "xlsxwriter",
)


class ParameterError(ValueError):
    """Invalid report parameters (Vietnamese message); `ketnghia report` exits with 2."""


@dataclass
class Job:
    """One report to render."""

    name: str  # file stem, e.g. "huyen_516_2024"
    title: str  # Vietnamese, for the index
    notebook: str  # path of the source notebook
    parameters: dict
    out_dir: str
    status: str = "pending"  # "ok" | "failed"
    error: str | None = None
    seconds: float = 0.0
    outputs: dict = field(default_factory=dict)  # kind → path relative to out_dir


# --- validation ---------------------------------------------------------------------


def _read_column(path: Path, column: str) -> pd.Series:
    frame = pd.read_parquet(path, columns=[column])
    return frame[column]


def data_years(processed: Path) -> list[int]:
    """Years present in the processed tables (poverty, NTM, support)."""
    years: set[int] = set()
    for name in ("poverty", "ntm_status", "support"):
        path = processed / f"{name}.parquet"
        if path.exists():
            years |= {int(y) for y in _read_column(path, "year").dropna().unique()}
    return sorted(years)


def districts_with_data(processed: Path, year: int) -> list[str]:
    """District codes with poverty, NTM or support rows in a year, in code order."""
    codes: set[str] = set()
    for name in ("poverty", "ntm_status", "support"):
        path = processed / f"{name}.parquet"
        if path.exists():
            frame = pd.read_parquet(path, columns=["year", "district_code"])
            codes |= {str(c) for c in frame.loc[frame["year"] == year, "district_code"].dropna()}
    return sorted(codes)


def district_names(processed: Path) -> dict[str, str]:
    """District code → official name (communes.parquet, else the gazetteer)."""
    path = processed / "communes.parquet"
    if path.exists():
        frame = pd.read_parquet(path, columns=["district_code", "district_name"])
    else:
        from ketnghia_analysis.reference import gazetteer

        frame = gazetteer.districts()[["district_code", "district_name"]]
    frame = frame.dropna().astype(str).drop_duplicates("district_code")
    return dict(zip(frame["district_code"], frame["district_name"], strict=True))


def validate(year: int, district: str | None, all_districts: bool, processed: Path) -> list[str]:
    """Check the parameters against the data; return the district codes to report.

    Raises
    ------
    ParameterError
        Missing processed folder, year outside the data, unknown district code
        or a district without data that year.
    """
    processed = Path(processed)
    if not processed.is_dir():
        raise ParameterError(
            f"Không tìm thấy thư mục dữ liệu đã xử lý '{processed}'. "
            "Hãy chạy 'ketnghia build' (hoặc 'make demo') trước, hoặc chỉ rõ --processed."
        )
    if not (processed / "poverty.parquet").exists():
        raise ParameterError(
            f"Thư mục '{processed}' không có poverty.parquet: chưa phải thư mục dữ liệu đã xử lý. "
            "Hãy chạy 'ketnghia build --out' vào thư mục này."
        )
    years = data_years(processed)
    if year not in years:
        span = f"{years[0]}–{years[-1]}" if years else "không có năm nào"
        raise ParameterError(f"Năm {year} không có trong dữ liệu (các năm có dữ liệu: {span}).")
    available = districts_with_data(processed, year)
    if district is not None:
        code = str(district).strip()
        names = district_names(processed)
        if code not in names:
            known = ", ".join(f"{c} {n}" for c, n in sorted(names.items()))
            raise ParameterError(f"Mã huyện '{code}' không tồn tại. Các mã hợp lệ: {known}.")
        if code not in available:
            raise ParameterError(
                f"Huyện {code} ({names[code]}) không có dữ liệu năm {year}: "
                "chưa gửi báo cáo hoặc báo cáo bị từ chối."
            )
        return [code]
    return available if all_districts else []


# --- jobs ---------------------------------------------------------------------------


def plan(
    year: int,
    districts: list[str],
    processed: Path,
    out: Path,
    notebooks: Path,
) -> list[Job]:
    """The reports to render: the province report first, then one per district."""
    year_dir = out / str(year)
    names = district_names(processed)
    common = {"year": int(year), "processed_dir": str(processed.resolve())}
    jobs = [
        Job(
            name=f"tinh_{year}",
            title=f"Báo cáo toàn tỉnh năm {year}",
            notebook=str(notebooks / PROVINCE_NOTEBOOK),
            parameters={**common},
            out_dir=str(year_dir),
        )
    ]
    for code in districts:
        jobs.append(
            Job(
                name=f"huyen_{code}_{year}",
                title=f"{names.get(code, 'Huyện ' + code)} ({code}) năm {year}",
                notebook=str(notebooks / DISTRICT_NOTEBOOK),
                parameters={**common, "district_code": code},
                out_dir=str(year_dir),
            )
        )
    return jobs


# --- worker -------------------------------------------------------------------------


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


def _toc(body: str) -> str:
    """Insert a table of contents built from the h1–h3 headings of an nbconvert page."""
    heads = re.findall(r'<h([123]) id="([^"]+)"[^>]*>(.*?)</h\1>', body, flags=re.S)
    if not heads:
        return body
    items = []
    for level, anchor, inner in heads:
        text = re.sub(r"<[^>]+>", "", inner).replace("¶", "").strip()
        items.append(
            f'<li class="toc-h{level}"><a href="#{html.escape(anchor, quote=True)}">{text}</a></li>'
        )
    nav = (
        '<nav class="kn-toc" style="border:1px solid #ddd;border-radius:6px;padding:0.6em 1.2em;'
        'margin:1em auto;max-width:1100px;background:#fafafa"><strong>Mục lục</strong><ul>'
        + "".join(items)
        + "</ul></nav><style>.kn-toc ul{list-style:none;padding-left:0}"
        ".kn-toc .toc-h2{padding-left:1.2em}.kn-toc .toc-h3{padding-left:2.4em}"
        ".kn-toc a{text-decoration:none}</style>"
    )
    match = re.search(r"<body[^>]*>", body)
    if not match:
        return nav + body
    return body[: match.end()] + nav + body[match.end() :]


@functools.cache
def _html_exporter():
    """One exporter per process: its templates load on its first page (~0.1 s)."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(template_name="lab")
    # Markdown signposts for analysts ("Tải dữ liệu (Load)", "Tính toán (Compute)") carry
    # the tag HIDE_TAG: they head code only, which the report leaves out.
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags={HIDE_TAG}, enabled=True), enabled=True
    )
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    return exporter


def export_html(notebook_path: Path, html_path: Path, title: str) -> None:
    """HTML without code cells and prompts (like ``nbconvert --no-input``), with a TOC.

    The same as ``jupyter nbconvert --to html --no-input`` plus the removal of cells
    tagged ``hide-in-report`` and a "Mục lục" (table of contents) at the top.
    """
    import nbformat

    exporter = _html_exporter()
    nb = nbformat.read(notebook_path, as_version=4)
    nb.metadata["title"] = title
    body, _resources = exporter.from_notebook_node(nb)
    _atomic_write_text(html_path, _toc(body))


def html_problems(page: str) -> list[str]:
    """What a leader should not see in an exported report: code cells and error outputs.

    Styles and scripts of the template are ignored (they name the CSS classes of input
    areas); returns a list of Vietnamese findings, empty when the page is clean.
    """
    body = re.sub(r"<(style|script)\b.*?</\1>", "", page, flags=re.S | re.I)
    problems = []
    if "jp-InputArea-editor" in body or 'class="highlight' in body or "In&nbsp;[" in body:
        problems.append("còn ô mã (input) trong trang")
    if "application/vnd.jupyter.stderr" in body:
        problems.append("có đầu ra lỗi hoặc cảnh báo (stderr)")
    if re.search(r"Traceback \(most recent call last\)|\w+Error</span>", body):
        problems.append("có thông báo lỗi Python")
    return problems


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _run_job(job: Job) -> Job:
    """Execute one notebook, export its HTML and write its Excel workbook (in a worker).

    The notebook runs in the worker's kernel (``kernel.ready``: cleaned after the previous
    report, or new); a failure other than a cell error discards that kernel.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from ketnghia_analysis.reporting import kernel

    out_dir = Path(job.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    nb_path = out_dir / "notebooks" / f"{job.name}.ipynb"
    nb_path.parent.mkdir(exist_ok=True)
    html_path = out_dir / f"{job.name}.html"
    xlsx_path = out_dir / "excel" / f"{job.name}.xlsx"
    start = time.perf_counter()
    job.outputs = {"notebook": str(nb_path.relative_to(out_dir))}
    try:
        shared = kernel.ready(KERNEL, str(Path(job.notebook).resolve().parent))
        papermill.execute_notebook(
            job.notebook,
            str(nb_path),
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
    # The HTML is written even for a failed report: it shows where it stopped.
    if nb_path.exists():
        try:
            export_html(nb_path, html_path, job.title)
            job.outputs["html"] = html_path.name
        except Exception as exc:
            job.status = "failed"
            job.error = job.error or f"Xuất HTML lỗi: {_one_line(exc)}"
    if job.status == "ok":
        try:
            write_excel(job, xlsx_path)
            job.outputs["excel"] = str(xlsx_path.relative_to(out_dir))
        except Exception as exc:
            job.status = "failed"
            job.error = f"Ghi Excel lỗi: {_one_line(exc)}"
    if job.status != "ok" and xlsx_path.exists():
        xlsx_path.unlink()  # never leave an earlier run's workbook beside a failed report
    job.seconds = round(time.perf_counter() - start, 2)
    _write_status(job)
    return job


def _write_status(job: Job) -> None:
    """One status file per report: index.html lists every report of the year folder,
    including those rendered by earlier runs with other parameters."""
    folder = Path(job.out_dir) / "status"
    folder.mkdir(parents=True, exist_ok=True)
    _atomic_write_text(
        folder / f"{job.name}.json", json.dumps(asdict(job), ensure_ascii=False, indent=1)
    )


def _one_line(exc: BaseException) -> str:
    ename = getattr(exc, "ename", None) or type(exc).__name__
    evalue = getattr(exc, "evalue", None) or str(exc)
    text = f"{ename}: {evalue}"
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)  # ANSI colours of tracebacks
    return " ".join(text.split())[:500]


# --- Excel --------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _tables(processed_dir: str):
    """Processed tables of a folder, loaded once per worker process."""
    from ketnghia_analysis.analysis.tables import load

    return load(processed_dir)


@functools.lru_cache(maxsize=1)
def _district_sources(processed_dir: str) -> dict[str, pd.DataFrame]:
    """:func:`district_sources` of a folder, computed once per worker process."""
    return district_sources(_tables(processed_dir))


def district_sources(tables) -> dict[str, pd.DataFrame]:
    """The province-wide frames a district report's key tables are cut from (sheet name →
    frame with ``year`` and ``district_code``)."""
    from ketnghia_analysis.analysis import indicators

    sources = {
        "Hộ nghèo theo xã": indicators.poverty(tables, level="commune"),
        "Nông thôn mới theo xã": indicators.ntm(tables, level="commune"),
        "Đơn vị kết nghĩa": indicators.support(
            tables, level="district", by=("partner_name", "partner_type")
        ),
        "Hỗ trợ kết nghĩa theo xã": indicators.support(tables, level="commune"),
    }
    if "issues" in tables:
        sources["Lỗi báo cáo"] = tables["issues"]
    return sources


def key_tables(
    tables, year: int, district_code: str = "", *, sources: dict[str, pd.DataFrame] | None = None
) -> dict[str, pd.DataFrame]:
    """The key tables of a report (sheet name → DataFrame with identifier columns).

    The notebooks show the same tables; every number comes from ``indicators``.
    ``district_code`` empty = the province report. ``sources``: the
    :func:`district_sources` of ``tables`` if already computed (a report worker computes
    them once for all its district workbooks).
    """
    from ketnghia_analysis.analysis import indicators

    sheets: dict[str, pd.DataFrame] = {}
    if district_code:
        if sources is None:
            sources = district_sources(tables)
        for name, frame in sources.items():
            sheets[name] = frame[
                (frame["year"] == year) & (frame["district_code"] == district_code)
            ]
    else:
        pov = indicators.poverty(tables, level="district")
        sheets["Hộ nghèo theo huyện"] = pov[pov["year"] == year]
        sheets["Hộ nghèo toàn tỉnh"] = indicators.poverty(tables, level="province")
        ntm = indicators.ntm(tables, level="district")
        sheets["Nông thôn mới theo huyện"] = ntm[ntm["year"] == year]
        sup = indicators.support(tables, level="district")
        sheets["Hỗ trợ kết nghĩa theo huyện"] = sup[sup["year"] == year]
        try:
            from ketnghia_analysis.analysis import effects

            sheets["Ước lượng tác động"] = effects.evaluate(tables)
        except Exception:  # the estimate has its own notebook; the workbook still gets written
            pass
    return {name: frame.reset_index(drop=True) for name, frame in sheets.items()}


def write_excel(job: Job, path: Path) -> None:
    """The report's key tables, one sheet each, Vietnamese headers, number formats."""
    folder, district = job.parameters["processed_dir"], job.parameters.get("district_code", "")
    sources = _district_sources(folder) if district else None
    sheets = key_tables(_tables(folder), int(job.parameters["year"]), district, sources=sources)
    write_workbook(sheets, path, title=job.title)


def write_workbook(sheets: dict[str, pd.DataFrame], path: Path, title: str = "") -> None:
    """Write DataFrames to a formatted workbook (xlsxwriter), headers from the glossary.

    Percent columns (fractions) get ``0.0%``, money ``#,##0.0``, counts ``#,##0``:
    Excel shows them with the reader's separators (1.234,5 in a Vietnamese locale).
    """
    from ketnghia_analysis.reporting.charts import (
        KIND_MONEY,
        KIND_PERCENT,
        KIND_POINTS,
        kind_of,
        label,
    )

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.xlsx")
    with pd.ExcelWriter(tmp, engine="xlsxwriter") as writer:
        book = writer.book
        head = book.add_format(
            {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#E8EEF4", "border": 1}
        )
        formats = {
            KIND_PERCENT: book.add_format({"num_format": "0.0%"}),
            KIND_POINTS: book.add_format({"num_format": "+0.0%;-0.0%;0.0%"}),
            KIND_MONEY: book.add_format({"num_format": "#,##0.0"}),
            "count": book.add_format({"num_format": "#,##0"}),
            "float": book.add_format({"num_format": "#,##0.00"}),
        }
        for sheet_name, frame in sheets.items():
            frame = frame.copy()
            for column in frame.columns:
                if isinstance(frame[column].dtype, pd.CategoricalDtype):
                    frame[column] = frame[column].astype("str")
                elif pd.api.types.is_bool_dtype(frame[column]):
                    frame[column] = frame[column].map({True: "có", False: "không"})
                elif frame[column].dtype == object:
                    frame[column] = frame[column].map(
                        lambda v: "; ".join(map(str, v)) if isinstance(v, list | tuple) else v
                    )
                elif pd.api.types.is_datetime64_any_dtype(frame[column]):
                    frame[column] = frame[column].astype("str")
            name = sheet_name[:31]
            frame.to_excel(writer, sheet_name=name, index=False, startrow=1, header=False)
            sheet = writer.sheets[name]
            for i, column in enumerate(frame.columns):
                header = label(str(column))
                sheet.write(0, i, header, head)
                series = frame[column]
                fmt = None
                if pd.api.types.is_numeric_dtype(series) and column != "year":
                    kind = kind_of(str(column))
                    if kind in formats:
                        fmt = formats[kind]
                    elif pd.api.types.is_integer_dtype(series):
                        fmt = formats["count"]
                    else:
                        fmt = formats["float"]
                width = min(max(len(header) * 0.9, 10), 40)
                sheet.set_column(i, i, width, fmt)
            sheet.set_row(0, 45)
            sheet.freeze_panes(1, 0)
            if len(frame.columns):
                sheet.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)
        if title:
            book.set_properties({"title": title, "comments": "ketnghia report"})
    os.replace(tmp, path)


# --- index and manifest -------------------------------------------------------------

_STATUS_VI = {"ok": "hoàn thành", "failed": "LỖI", "pending": "chưa chạy"}


def write_index(year_dir: Path, year: int, synthetic: bool) -> Path:
    """index.html listing every report of the year folder (from status/*.json)."""
    jobs = []
    for path in sorted((year_dir / "status").glob("*.json")):
        try:
            jobs.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError):
            continue
    jobs.sort(key=lambda j: (not j["name"].startswith("tinh"), j["name"]))
    rows = []
    for job in jobs:
        links = []
        for kind, text in (("html", "Báo cáo"), ("excel", "Excel"), ("notebook", "Sổ tay")):
            if kind in job["outputs"]:
                links.append(f'<a href="{html.escape(job["outputs"][kind])}">{text}</a>')
        ok = job["status"] == "ok"
        status = _STATUS_VI.get(job["status"], job["status"])
        error = f'<div class="err">{html.escape(job["error"])}</div>' if job.get("error") else ""
        seconds = f"{job['seconds']:.1f}".replace(".", ",")
        rows.append(
            f"<tr><td>{html.escape(job['title'])}</td>"
            f'<td class="{"ok" if ok else "bad"}">{status}{error}</td>'
            f"<td>{' · '.join(links)}</td><td>{seconds} giây</td></tr>"
        )
    banner = (
        '<p class="synthetic">DỮ LIỆU TỔNG HỢP (mẫu): các số liệu dưới đây được tạo ngẫu nhiên '
        "để minh họa, không phải số liệu thật.</p>"
        if synthetic
        else ""
    )
    when = datetime.now(UTC).astimezone().strftime("%d/%m/%Y %H:%M")
    page = f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8">
<title>Báo cáo kết nghĩa năm {year}</title>
<style>
body {{font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em auto; max-width: 1000px;}}
table {{border-collapse: collapse; width: 100%;}}
th, td {{border-bottom: 1px solid #ddd; padding: 0.45em; text-align: left; vertical-align: top;}}
th {{background: #E8EEF4;}}
.ok {{color: #1a6b2f;}} .bad {{color: #b00020; font-weight: bold;}}
.err {{font-weight: normal; font-size: 0.85em; color: #555;}}
.synthetic {{background: #fff3cd; padding: 0.6em; border-radius: 4px;}}
</style></head><body>
<h1>Báo cáo đánh giá kết nghĩa năm {year}</h1>
<p>Chỉ thị 16-CT/TU, tỉnh Quảng Nam. Cập nhật lúc {when}.</p>
{banner}
<table><thead><tr><th>Báo cáo</th><th>Trạng thái</th><th>Tệp</th><th>Thời gian chạy</th></tr>
</thead><tbody>
{"".join(rows)}
</tbody></table>
<p>Chi tiết lần chạy: <a href="manifest.json">manifest.json</a>.</p>
</body></html>
"""
    path = year_dir / "index.html"
    _atomic_write_text(path, page)
    return path


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "không có"
    return found


def input_hashes(processed: Path) -> dict[str, str]:
    """SHA-256 of every processed table: which data a report was made from."""
    hashes = {}
    for path in sorted(processed.glob("*.parquet")):
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        hashes[path.name] = digest.hexdigest()
    return hashes


def write_manifest(
    year_dir: Path, parameters: dict, jobs: list[Job], processed: Path, seconds: float
) -> Path:
    manifest = {
        "parameters": parameters,
        "started_at": parameters.pop("_started_at", None),
        "seconds": round(seconds, 2),
        "status": "ok" if all(j.status == "ok" for j in jobs) else "failed",
        "versions": _versions(),
        "inputs": input_hashes(processed),
        "reports": [asdict(j) for j in jobs],
    }
    path = year_dir / "manifest.json"
    _atomic_write_text(path, json.dumps(manifest, ensure_ascii=False, indent=1))
    return path


# --- entry point --------------------------------------------------------------------


def _execute(jobs: list[Job], workers: int, log_dir: Path, progress: bool) -> list[Job]:
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
        0 all reports written, 1 at least one failed, 2 invalid parameters.
    """
    from ketnghia_analysis.reporting.charts import is_synthetic

    processed = Path(processed) if processed is not None else paths.processed_dir()
    out = Path(out) if out is not None else paths.reports_dir()
    notebooks = Path(notebooks) if notebooks is not None else paths.notebooks_dir()
    started = datetime.now(UTC)
    clock = time.perf_counter()
    try:
        districts = validate(year, district, all_districts, processed)
        for name in (PROVINCE_NOTEBOOK, DISTRICT_NOTEBOOK):
            if not (notebooks / name).exists():
                raise ParameterError(f"Không tìm thấy sổ tay báo cáo {notebooks / name}.")
    except ParameterError as exc:
        print(f"Lỗi tham số: {exc}", file=sys.stderr)
        return EXIT_INVALID
    year_dir = out / str(year)
    year_dir.mkdir(parents=True, exist_ok=True)
    jobs = plan(year, districts, processed, out, notebooks)
    count = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    if progress is None:
        progress = sys.stdout.isatty()
    print(f"Chạy {len(jobs)} báo cáo năm {year} với {count} tiến trình…", flush=True)
    done = _execute(jobs, count, year_dir / "logs", progress)
    synthetic = is_synthetic(processed)
    index = write_index(year_dir, year, synthetic)
    parameters = {
        "year": year,
        "district": district,
        "all": all_districts,
        "processed": str(processed.resolve()),
        "out": str(out.resolve()),
        "workers": count,
        "_started_at": started.isoformat(timespec="seconds"),
    }
    write_manifest(year_dir, parameters, done, processed, time.perf_counter() - clock)
    failed = [j for j in done if j.status != "ok"]
    ok = len(done) - len(failed)
    print(
        f"Xong: {ok}/{len(done)} báo cáo thành công trong "
        f"{fmt_number(time.perf_counter() - clock, 1)} giây."
    )
    for job in failed:
        kept = year_dir / job.outputs.get("notebook", "")
        print(f"  LỖI {job.title}: {job.error}\n       sổ tay giữ lại: {kept}", file=sys.stderr)
    province = next((j for j in done if j.name.startswith("tinh_")), None)
    if province is not None and "html" in province.outputs:
        print(f"Báo cáo toàn tỉnh: {(year_dir / province.outputs['html']).resolve()}")
    print(f"Mục lục: {index.resolve()}")
    return EXIT_FAILED if failed else EXIT_OK
