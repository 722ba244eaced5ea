"""The year folder's index page (every report, its status and files) and the run's manifest."""

from __future__ import annotations

import html
import json
import platform
from dataclasses import asdict
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from ketnghia_analysis.core.snapshot import file_sha256, read_manifest
from ketnghia_analysis.reporting.files import atomic_write_text
from ketnghia_analysis.reporting.jobs import Job

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
_STATUS_VI = {"ok": "hoàn thành", "failed": "LỖI", "pending": "chưa chạy"}
# Leaders open the HTML page and the workbook; the executed notebook (.ipynb) stays in
# notebooks/ for analysts, unlinked: a browser cannot show it.
_LINKS = (("html", "Báo cáo"), ("excel", "Excel"))
_SYNTHETIC_BANNER = (
    '<p class="synthetic">DỮ LIỆU TỔNG HỢP (mẫu): các số liệu dưới đây được tạo ngẫu nhiên '
    "để minh họa, không phải số liệu thật.</p>"
)
_PAGE = """<!DOCTYPE html>
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
{rows}
</tbody></table>
<p>Chi tiết lần chạy: <a href="manifest.json">manifest.json</a>.</p>
</body></html>
"""


def write_index(year_dir: Path, year: int, synthetic: bool) -> Path:
    """index.html listing every report of the year folder (from status/*.json)."""
    jobs = _statuses(year_dir)
    jobs.sort(key=lambda j: (not j["name"].startswith("tinh"), j["name"]))
    when = datetime.now(UTC).astimezone().strftime("%d/%m/%Y %H:%M")
    page = _PAGE.format(
        year=year,
        when=when,
        banner=_SYNTHETIC_BANNER if synthetic else "",
        rows="".join(_index_row(job) for job in jobs),
    )
    path = year_dir / "index.html"
    atomic_write_text(path, page)
    return path


def _statuses(year_dir: Path) -> list[dict]:
    """The status files of the year folder's reports (unreadable ones skipped)."""
    jobs = []
    for path in sorted((year_dir / "status").glob("*.json")):
        try:
            jobs.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError):
            continue
    return jobs


def _index_row(job: dict) -> str:
    """One report's row: title, status (and error), links to its files, run time."""
    links = [
        f'<a href="{html.escape(job["outputs"][kind])}">{text}</a>'
        for kind, text in _LINKS
        if kind in job["outputs"]
    ]
    ok = job["status"] == "ok"
    status = _STATUS_VI.get(job["status"], job["status"])
    error = f'<div class="err">{html.escape(job["error"])}</div>' if job.get("error") else ""
    seconds = f"{job['seconds']:.1f}".replace(".", ",")
    return (
        f"<tr><td>{html.escape(job['title'])}</td>"
        f'<td class="{"ok" if ok else "bad"}">{status}{error}</td>'
        f"<td>{' · '.join(links) or 'chưa có trang báo cáo'}</td><td>{seconds} giây</td></tr>"
    )


def _versions() -> dict[str, str]:
    """Python's version and those of the packages a report depends on."""
    found = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "không có"
    return found


def input_hashes(processed: Path) -> dict[str, str]:
    """SHA-256 of every processed table: which data a report was made from."""
    return {path.name: file_sha256(path) for path in sorted(processed.glob("*.parquet"))}


def build_of(processed: Path) -> dict[str, Any] | None:
    """When, and from which inputs, the tables were built (their manifest), or None."""
    manifest = read_manifest(processed)
    if manifest is None:
        return None
    return {"built_at": manifest.get("built_at"), "inputs": manifest.get("inputs")}


def write_manifest(
    year_dir: Path, parameters: dict, jobs: list[Job], processed: Path, seconds: float
) -> Path:
    """manifest.json: the run's parameters, versions, input hashes and every report's status.

    ``processed`` is the folder the reports read: in a report run, its pinned copy of the
    tables (``reporting/inputs.py``), so the hashes are those of the files read.
    """
    manifest = {
        "parameters": parameters,
        "started_at": parameters.pop("_started_at", None),
        "seconds": round(seconds, 2),
        "status": "ok" if all(j.status == "ok" for j in jobs) else "failed",
        "versions": _versions(),
        "inputs": input_hashes(processed),
        "build": build_of(processed),
        "reports": [asdict(j) for j in jobs],
    }
    path = year_dir / "manifest.json"
    atomic_write_text(path, json.dumps(manifest, ensure_ascii=False, indent=1))
    return path
