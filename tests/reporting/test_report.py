"""`ketnghia report`: validation before any kernel, parallel runs, outputs, failures, reruns.

The run over the sample is the session's `rendered_reports` (tests/reporting/conftest.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from ketnghia_analysis.cli import main
from ketnghia_analysis.reporting import jobs, kernel, pages, runner

YEAR = 2024


@pytest.fixture()
def no_kernel(monkeypatch):
    """Fail the test if any report would start."""

    def _boom(*_args, **_kwargs):
        raise AssertionError("a kernel was started before the parameters were validated")

    monkeypatch.setattr(runner, "_execute", _boom)


def test_missing_processed_folder_exits_2(tmp_path, no_kernel, capsys):
    code = runner.run_reports(YEAR, processed=tmp_path / "khong_co", out=tmp_path / "r")
    assert code == 2
    assert "Không tìm thấy thư mục dữ liệu đã xử lý" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_year_outside_the_data_exits_2(processed_dir, tmp_path, no_kernel, capsys):
    assert runner.run_reports(1990, processed=processed_dir, out=tmp_path) == 2
    err = capsys.readouterr().err
    assert "Năm 1990 không có trong dữ liệu" in err and "2019–2024" in err


def test_unknown_district_exits_2(processed_dir, tmp_path, no_kernel, capsys):
    assert runner.run_reports(YEAR, district="999", processed=processed_dir, out=tmp_path) == 2
    assert "Mã huyện '999' không tồn tại" in capsys.readouterr().err


def test_cli_passes_the_exit_code(processed_dir, tmp_path, no_kernel):
    argv = ["report", "--year", "1990", "--processed", str(processed_dir), "--out", str(tmp_path)]
    assert main(argv) == 2


def _files(folder: Path) -> set[str]:
    return {
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and "logs" not in p.parts
    }


def test_province_and_district_reports_are_written(rendered_reports, processed_dir):
    out, district, code = rendered_reports.out, rendered_reports.district, rendered_reports.code
    year_dir = out / str(YEAR)
    assert code == 0
    names = [f"tinh_{YEAR}", f"huyen_{district}_{YEAR}"]
    for name in names:
        assert (year_dir / f"{name}.html").is_file()
        assert (year_dir / "notebooks" / f"{name}.ipynb").is_file()
        assert (year_dir / "excel" / f"{name}.xlsx").is_file()
        page = (year_dir / f"{name}.html").read_text(encoding="utf-8")
        assert pages.html_problems(page) == [], name
        assert "Mục lục" in page
        assert "Tải dữ liệu (Load)" not in page  # analysts' signposts are left out
    executed = nbformat.read(year_dir / "notebooks" / f"huyen_{district}_{YEAR}.ipynb", 4)
    assert executed.metadata["papermill"]["parameters"]["district_code"] == district

    index = (year_dir / "index.html").read_text(encoding="utf-8")
    assert f'href="tinh_{YEAR}.html"' in index and f'href="huyen_{district}_{YEAR}.html"' in index
    assert index.count("hoàn thành") == 2

    manifest = json.loads((year_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "ok"
    assert manifest["parameters"]["year"] == YEAR
    assert manifest["parameters"]["district"] == district
    assert {"pandas", "papermill", "nbconvert", "python"} <= set(manifest["versions"])
    assert set(manifest["inputs"]) == {p.name for p in Path(processed_dir).glob("*.parquet")}
    assert all(len(h) == 64 for h in manifest["inputs"].values())
    assert [r["status"] for r in manifest["reports"]] == ["ok", "ok"]
    assert all(r["seconds"] > 0 for r in manifest["reports"])


def test_excel_has_vietnamese_headers_and_formats(rendered_reports):
    from openpyxl import load_workbook

    out, district = rendered_reports.out, rendered_reports.district
    book = load_workbook(out / str(YEAR) / "excel" / f"huyen_{district}_{YEAR}.xlsx")
    assert "Hộ nghèo theo xã" in book.sheetnames
    sheet = book["Hộ nghèo theo xã"]
    headers = [c.value for c in sheet[2]]  # row 1 is the title
    assert "Năm báo cáo" in headers and "Tỷ lệ hộ nghèo cuối năm (%)" in headers
    rate_col = headers.index("Tỷ lệ hộ nghèo cuối năm (%)") + 1
    assert sheet.cell(row=3, column=rate_col).number_format == "0.0%"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _kernels_of(parents: set[int]) -> list[int]:
    """Processes started by one of ``parents`` as a Jupyter kernel (JPY_PARENT_PID)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            env = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(e.startswith(b"JPY_PARENT_PID=") and int(e[15:]) in parents for e in env):
            found.append(int(proc.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_no_kernel_outlives_its_worker(rendered_reports):
    out = rendered_reports.out
    workers = {int(p.stem.split("-")[1]) for p in (out / str(YEAR) / "logs").glob("worker-*.log")}
    assert workers
    assert _kernels_of(workers) == []
    assert _kernels_of({os.getpid()}) == []  # the check itself can see a kernel
    probe = kernel.SharedKernel(jobs.KERNEL, str(out))
    pid = probe.pid
    try:
        assert _kernels_of({os.getpid()}) == [pid]
    finally:
        probe.shutdown()
    assert not _running(pid)


def _tiny_notebooks(folder: Path, district_fails: bool) -> Path:
    """Stand-ins for the report notebooks: a quick one, and one that raises."""
    folder.mkdir(parents=True, exist_ok=True)
    spec = {"name": "ketnghia", "display_name": "Python (ketnghia)", "language": "python"}
    for name, body in (
        (jobs.PROVINCE_NOTEBOOK, "print('tỉnh', year)"),
        (
            jobs.DISTRICT_NOTEBOOK,
            "raise ValueError('báo cáo huyện hỏng')" if district_fails else "print(district_code)",
        ),
    ):
        nb = new_notebook(metadata={"kernelspec": spec})
        params = new_code_cell(
            'year: int = 2024\ndistrict_code: str = ""\nprocessed_dir: str = ""',
            metadata={"tags": ["parameters"]},
        )
        nb.cells = [params, new_code_cell(body)]
        nbformat.write(nb, folder / name)
    return folder


def test_a_failing_report_does_not_stop_the_others_and_reruns_overwrite(
    rendered_reports, processed_dir, tmp_path, capfd
):
    # A copy of the session's reports: the rerun overwrites them.
    out, district = tmp_path / "reports", rendered_reports.district
    shutil.copytree(rendered_reports.out, out)
    year_dir = out / str(YEAR)
    before = _files(year_dir)
    notebooks = _tiny_notebooks(tmp_path / "nb", district_fails=True)
    code = runner.run_reports(
        YEAR,
        district=district,
        processed=processed_dir,
        out=out,
        workers=2,
        notebooks=notebooks,
        progress=False,
    )
    captured = capfd.readouterr()
    assert code == 1
    assert "without encryption" not in captured.err + captured.out  # kernel chatter is logged
    assert "báo cáo huyện hỏng" in captured.err
    # Same parameters → the same paths, overwritten: nothing new; the failed report's
    # workbook from the earlier run is removed rather than left looking current.
    assert _files(year_dir) == before - {f"excel/huyen_{district}_{YEAR}.xlsx"}
    status = {
        p.stem: json.loads(p.read_text(encoding="utf-8"))
        for p in (year_dir / "status").glob("*.json")
    }
    assert status[f"tinh_{YEAR}"]["status"] == "ok"
    failed = status[f"huyen_{district}_{YEAR}"]
    assert failed["status"] == "failed" and "ValueError" in failed["error"]
    kept = nbformat.read(year_dir / "notebooks" / f"huyen_{district}_{YEAR}.ipynb", 4)
    errors = [o for c in kept.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors and errors[0].ename == "ValueError"
    index = (year_dir / "index.html").read_text(encoding="utf-8")
    assert "LỖI" in index and "báo cáo huyện hỏng" in index
    manifest = json.loads((year_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "failed"


def test_plan_province_only_district_or_all(processed_dir, tmp_path):
    assert jobs.validate(YEAR, None, False, processed_dir) == []
    every = jobs.validate(YEAR, None, True, processed_dir)
    assert every == sorted(every) and len(every) >= 3
    assert jobs.validate(YEAR, every[0], False, processed_dir) == [every[0]]
    planned = jobs.plan(YEAR, every, Path(processed_dir), tmp_path, Path("notebooks"))
    assert [j.name for j in planned][:2] == [f"tinh_{YEAR}", f"huyen_{every[0]}_{YEAR}"]
    assert all(isinstance(j.parameters["district_code"], str) for j in planned[1:])
    assert all(j.parameters["year"] == YEAR for j in planned)


# --- one kernel per worker ----------------------------------------------------------


@pytest.fixture()
def in_worker(monkeypatch):
    """Run jobs in this process as a worker does (no workbook: these notebooks have no
    data); its kernel is shut down afterwards."""
    monkeypatch.setattr(runner, "write_excel", lambda job, path: None)
    yield
    kernel.discard()


def _probe_notebook(folder: Path, body: str, name: str = "probe") -> Path:
    """A notebook with a ``step`` parameter and one code cell: the kernel's pid, then ``body``."""
    folder.mkdir(parents=True, exist_ok=True)
    spec = {"name": "ketnghia", "display_name": "Python (ketnghia)", "language": "python"}
    nb = new_notebook(metadata={"kernelspec": spec})
    params = new_code_cell('step: str = "check"', metadata={"tags": ["parameters"]})
    nb.cells = [params, new_code_cell("import os\nprint('pid', os.getpid())\n" + body)]
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def _run(notebook: Path, name: str, step: str) -> tuple[jobs.Job, int | None]:
    """Run one job; (the job, pid of the kernel that ran it, if it got that far)."""
    job = jobs.Job(
        name=name,
        title=name,
        notebook=str(notebook),
        parameters={"step": step},
        out_dir=str(notebook.parent / "out"),
    )
    runner._run_job(job)
    executed = nbformat.read(notebook.parent / "out" / "notebooks" / f"{name}.ipynb", 4)
    text = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    pids = re.findall(r"pid (\d+)", text)
    return job, int(pids[0]) if pids else None


ISOLATION_PROBE = """
import os
import sys
import warnings

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd

if step == "dirty":
    left_behind = "a variable of the previous report"
    plt.plot([1, 2])
    matplotlib.rcParams["lines.linewidth"] = 9
    pd.set_option("display.max_columns", 3)
    warnings.simplefilter("error")
    os.chdir("..")
    display("an output")
else:
    seen = [
        "left_behind" in globals(),
        bool(Out),
        plt.get_fignums() != [],
        matplotlib.rcParams["lines.linewidth"] == 9,
        pd.get_option("display.max_columns") == 3,
        any(f[0] == "error" and f[2] is Warning for f in warnings.filters),
        not os.path.isfile("probe.ipynb"),
        hasattr(sys, "last_value"),  # the error of a previous report
    ]
    assert not any(seen), f"the previous report is visible: {seen}"
"""


def test_reports_sharing_a_kernel_do_not_see_each_other(tmp_path, in_worker):
    notebook = _probe_notebook(tmp_path / "nb", ISOLATION_PROBE)
    dirty, first = _run(notebook, "dirty", "dirty")
    check, second = _run(notebook, "check", "check")
    assert dirty.status == "ok", dirty.error
    assert first == second  # one kernel for both: otherwise this test proves nothing
    assert check.status == "ok", check.error
    executed = nbformat.read(tmp_path / "nb" / "out" / "notebooks" / "check.ipynb", 4)
    counts = [c.execution_count for c in executed.cells if c.cell_type == "code"]
    assert counts == [1, 2, 3]  # as in a new kernel (parameters, injected parameters, body)
    assert executed.metadata["papermill"]["parameters"] == {"step": "check"}
    # A cell error leaves the kernel usable: the next report runs in it.
    failed, third = _run(_probe_notebook(tmp_path / "nb", "1 / 0", "broken"), "error", "check")
    assert failed.status == "failed" and "ZeroDivisionError" in failed.error
    after, fourth = _run(notebook, "after", "check")
    assert after.status == "ok", after.error
    assert third == fourth == first


def test_a_dead_or_stuck_kernel_is_replaced(tmp_path, in_worker, monkeypatch):
    monkeypatch.setattr(runner, "CELL_TIMEOUT", 3)
    notebook = _probe_notebook(
        tmp_path / "nb",
        "import os, signal, time\n"
        "if step == 'die':\n    os.kill(os.getpid(), signal.SIGKILL)\n"
        "if step == 'hang':\n    time.sleep(300)\n",
    )
    first, pid1 = _run(notebook, "first", "check")
    assert first.status == "ok", first.error
    os.kill(pid1, signal.SIGKILL)  # between two reports
    second, pid2 = _run(notebook, "second", "check")
    assert second.status == "ok", second.error
    assert pid2 != pid1 and not _running(pid1)

    died, _pid = _run(notebook, "died", "die")  # during a report
    assert died.status == "failed"
    assert not _running(pid2)
    third, pid3 = _run(notebook, "third", "check")
    assert third.status == "ok", third.error
    assert pid3 != pid2

    start = time.perf_counter()
    stuck, _pid = _run(notebook, "stuck", "hang")  # a cell over CELL_TIMEOUT
    assert stuck.status == "failed" and "timed out" in stuck.error
    fourth, pid4 = _run(notebook, "fourth", "check")
    assert fourth.status == "ok", fourth.error
    assert pid4 != pid3 and not _running(pid3)
    assert time.perf_counter() - start < 60

    kernel.discard()  # what a worker does when it exits
    assert not _running(pid4)
