"""The sample's reports, rendered once per session: each notebook is executed one time.

`rendered_reports` is `ketnghia report` (the province report and one district's, two
workers) over the session's `processed_dir`; it executes the two report notebooks.
`executed_notebooks` maps every notebook's stem to its executed copy and HTML page: the two
report notebooks from that run, the others executed through papermill on first use. Tests
treat both as read-only; a test that reruns reports works on a copy.
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ketnghia_analysis.core import paths
from ketnghia_analysis.reporting import jobs, runner
from ketnghia_analysis.reporting.pages import export_html

YEAR = 2024
NOTEBOOK_DIR = paths.notebooks_dir()


@dataclass(frozen=True)
class RenderedReports:
    """One run of the reports: its folder, the district reported, exit code and duration."""

    out: Path
    district: str
    code: int
    seconds: float

    @property
    def year_dir(self) -> Path:
        return self.out / str(YEAR)


@dataclass(frozen=True)
class ExecutedNotebook:
    """A notebook run top to bottom: the executed copy, its HTML page, the seconds it took."""

    notebook: Path
    html: Path
    seconds: float


@pytest.fixture(scope="session")
def rendered_reports(processed_dir, tmp_path_factory) -> RenderedReports:
    """The province report and one district report of the sample, two workers."""
    out = tmp_path_factory.mktemp("reports")
    available = jobs.districts_with_data(processed_dir, YEAR)
    district = "516" if "516" in available else available[0]
    start = time.perf_counter()
    code = runner.run_reports(
        YEAR, district=district, processed=processed_dir, out=out, workers=2, progress=False
    )
    seconds = time.perf_counter() - start
    print(f"run_reports (province + district {district}): {seconds:.1f} s")
    return RenderedReports(out, district, code, seconds)


@dataclass
class _Notebooks:
    """Executed notebooks by stem; those the report run did not execute run on first use."""

    processed_dir: Path
    folder: Path
    done: dict[str, ExecutedNotebook] = field(default_factory=dict)

    def __getitem__(self, stem: str) -> ExecutedNotebook:
        if stem not in self.done:
            self.done[stem] = self._execute(NOTEBOOK_DIR / f"{stem}.ipynb")
        return self.done[stem]

    def _execute(self, path: Path) -> ExecutedNotebook:
        import papermill

        out = self.folder / path.name
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            papermill.execute_notebook(
                str(path),
                str(out),
                parameters={"processed_dir": str(self.processed_dir)},
                kernel_name=jobs.KERNEL,
                log_output=False,
                progress_bar=False,
                cwd=str(NOTEBOOK_DIR),
            )
        seconds = time.perf_counter() - start
        html = self.folder / f"{path.stem}.html"
        export_html(out, html, path.stem)
        return ExecutedNotebook(out, html, seconds)


def _from_report_run(reports: RenderedReports, name: str) -> ExecutedNotebook:
    """A report notebook as the report run executed and exported it."""
    status = json.loads((reports.year_dir / "status" / f"{name}.json").read_text(encoding="utf-8"))
    return ExecutedNotebook(
        reports.year_dir / "notebooks" / f"{name}.ipynb",
        reports.year_dir / f"{name}.html",
        status["seconds"],
    )


@pytest.fixture(scope="session")
def executed_notebooks(rendered_reports, processed_dir, tmp_path_factory) -> _Notebooks:
    """Every notebook executed on the sample (the report notebooks by `rendered_reports`)."""
    notebooks = _Notebooks(Path(processed_dir), tmp_path_factory.mktemp("notebooks"))
    province = Path(jobs.PROVINCE_NOTEBOOK).stem
    district = Path(jobs.DISTRICT_NOTEBOOK).stem
    notebooks.done[province] = _from_report_run(rendered_reports, f"tinh_{YEAR}")
    notebooks.done[district] = _from_report_run(
        rendered_reports, f"huyen_{rendered_reports.district}_{YEAR}"
    )
    return notebooks
