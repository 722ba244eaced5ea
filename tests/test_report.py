"""`ketnghia report`: validation before any kernel, parallel runs, outputs, failures, reruns."""

from __future__ import annotations

import json
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from ketnghia_analysis import report
from ketnghia_analysis.cli import main

YEAR = 2024


@pytest.fixture()
def no_kernel(monkeypatch):
    """Fail the test if any report would start."""

    def _boom(*_args, **_kwargs):
        raise AssertionError("a kernel was started before the parameters were validated")

    monkeypatch.setattr(report, "_execute", _boom)


def test_missing_processed_folder_exits_2(tmp_path, no_kernel, capsys):
    code = report.run_reports(YEAR, processed=tmp_path / "khong_co", out=tmp_path / "r")
    assert code == 2
    assert "Không tìm thấy thư mục dữ liệu đã xử lý" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_year_outside_the_data_exits_2(processed_dir, tmp_path, no_kernel, capsys):
    assert report.run_reports(1990, processed=processed_dir, out=tmp_path) == 2
    err = capsys.readouterr().err
    assert "Năm 1990 không có trong dữ liệu" in err and "2019–2024" in err


def test_unknown_district_exits_2(processed_dir, tmp_path, no_kernel, capsys):
    assert report.run_reports(YEAR, district="999", processed=processed_dir, out=tmp_path) == 2
    assert "Mã huyện '999' không tồn tại" in capsys.readouterr().err


def test_cli_passes_the_exit_code(processed_dir, tmp_path, no_kernel):
    argv = ["report", "--year", "1990", "--processed", str(processed_dir), "--out", str(tmp_path)]
    assert main(argv) == 2


def _district(processed_dir: Path) -> str:
    available = report.districts_with_data(processed_dir, YEAR)
    return "516" if "516" in available else available[0]


def _files(folder: Path) -> set[str]:
    return {
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and "logs" not in p.parts
    }


@pytest.fixture(scope="module")
def first_run(processed_dir, tmp_path_factory):
    """The province report and one district report, two workers."""
    out = tmp_path_factory.mktemp("reports")
    district = _district(processed_dir)
    start = time.perf_counter()
    code = report.run_reports(
        YEAR, district=district, processed=processed_dir, out=out, workers=2, progress=False
    )
    seconds = time.perf_counter() - start
    print(f"run_reports (province + district {district}): {seconds:.1f} s")
    return out, district, code


def test_province_and_district_reports_are_written(first_run, processed_dir):
    out, district, code = first_run
    year_dir = out / str(YEAR)
    assert code == 0
    names = [f"tinh_{YEAR}", f"huyen_{district}_{YEAR}"]
    for name in names:
        assert (year_dir / f"{name}.html").is_file()
        assert (year_dir / "notebooks" / f"{name}.ipynb").is_file()
        assert (year_dir / "excel" / f"{name}.xlsx").is_file()
        page = (year_dir / f"{name}.html").read_text(encoding="utf-8")
        assert report.html_problems(page) == [], name
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


def test_excel_has_vietnamese_headers_and_formats(first_run):
    from openpyxl import load_workbook

    out, district, _code = first_run
    book = load_workbook(out / str(YEAR) / "excel" / f"huyen_{district}_{YEAR}.xlsx")
    assert "Hộ nghèo theo xã" in book.sheetnames
    sheet = book["Hộ nghèo theo xã"]
    headers = [c.value for c in sheet[1]]
    assert "Năm báo cáo" in headers and "Tỷ lệ hộ nghèo cuối năm (%)" in headers
    rate_col = headers.index("Tỷ lệ hộ nghèo cuối năm (%)") + 1
    assert sheet.cell(row=2, column=rate_col).number_format == "0.0%"


def _tiny_notebooks(folder: Path, district_fails: bool) -> Path:
    """Stand-ins for the report notebooks: a quick one, and one that raises."""
    folder.mkdir(parents=True, exist_ok=True)
    spec = {"name": "ketnghia", "display_name": "Python (ketnghia)", "language": "python"}
    for name, body in (
        (report.PROVINCE_NOTEBOOK, "print('tỉnh', year)"),
        (
            report.DISTRICT_NOTEBOOK,
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
    first_run, processed_dir, tmp_path, capfd
):
    out, district, _code = first_run
    year_dir = out / str(YEAR)
    before = _files(year_dir)
    notebooks = _tiny_notebooks(tmp_path / "nb", district_fails=True)
    code = report.run_reports(
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
    assert report.validate(YEAR, None, False, processed_dir) == []
    every = report.validate(YEAR, None, True, processed_dir)
    assert every == sorted(every) and len(every) >= 3
    assert report.validate(YEAR, every[0], False, processed_dir) == [every[0]]
    jobs = report.plan(YEAR, every, Path(processed_dir), tmp_path, Path("notebooks"))
    assert [j.name for j in jobs][:2] == [f"tinh_{YEAR}", f"huyen_{every[0]}_{YEAR}"]
    assert all(isinstance(j.parameters["district_code"], str) for j in jobs[1:])
    assert all(j.parameters["year"] == YEAR for j in jobs)
