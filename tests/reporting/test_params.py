"""`kn.params`: a notebook's parameters checked and normalised by one library call, with the
rules and Vietnamese messages of `ketnghia report`; through papermill, a wrong parameter stops
the notebook with one sentence and a non-zero exit, a right one works from any folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import ketnghia_analysis as kn
from ketnghia_analysis.core import paths
from ketnghia_analysis.reporting import jobs
from ketnghia_analysis.reporting.params import NotebookParameterError

YEAR = 2024
PAPERMILL = Path(sys.executable).with_name("papermill")
DISTRICT_NOTEBOOK = paths.notebooks_dir() / jobs.DISTRICT_NOTEBOOK
COMMUNE_TABLE = 'fit.fit_table(tables["Hộ nghèo theo xã"])'


@pytest.mark.parametrize("code", [516, "516", " 516 ", "0516"])
def test_a_district_code_is_accepted_as_int_or_padded_text(processed_dir, code):
    checked = kn.params(YEAR, code, processed_dir)
    assert checked.district_code == "516"
    assert checked.year == YEAR
    assert Path(checked.processed_dir) == Path(processed_dir).resolve()


def test_the_province_keeps_an_empty_code(processed_dir):
    assert kn.params(str(YEAR), "", processed_dir).district_code == ""
    with pytest.raises(NotebookParameterError, match="Chưa chọn huyện"):
        kn.params(YEAR, "", processed_dir, district_required=True)


@pytest.mark.parametrize(
    ("year", "code", "folder", "sentence"),
    [
        (YEAR, 999, None, "Mã huyện '999' không tồn tại"),
        (1990, "", None, "Năm 1990 không có trong dữ liệu"),
        ("năm ngoái", "", None, "Năm 'năm ngoái' không hợp lệ"),
        (YEAR, "", "/nowhere/processed", "Không tìm thấy thư mục dữ liệu đã xử lý"),
    ],
)
def test_a_wrong_parameter_is_one_vietnamese_sentence(processed_dir, year, code, folder, sentence):
    with pytest.raises(NotebookParameterError, match=sentence) as caught:
        kn.params(year, code, folder or processed_dir)
    assert isinstance(caught.value, jobs.ParameterError)  # `ketnghia report`'s family
    shown = caught.value._render_traceback_()  # what IPython prints instead of a traceback
    assert len(shown) == 1 and sentence in shown[0]


def test_a_relative_folder_is_read_from_the_project_root(processed_dir, tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    (home / "data" / "processed").symlink_to(processed_dir, target_is_directory=True)
    monkeypatch.setenv("KETNGHIA_HOME", str(home))
    monkeypatch.chdir(tmp_path)  # neither the root nor notebooks/
    checked = kn.params(YEAR, "516", "data/processed")
    assert Path(checked.processed_dir) == (home / "data" / "processed").resolve()


def _papermill(args: list[str], cwd: Path, env: dict | None = None):
    return subprocess.run(
        [str(PAPERMILL), *args, "-k", jobs.KERNEL, "--no-progress-bar"],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,
    )


def _cell_html(notebook: Path, source: str) -> str:
    """The HTML output of the cell whose code is ``source``."""
    nb = nbformat.read(notebook, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and c.source.strip() == source)
    return "".join(o["data"]["text/html"] for o in cell.outputs if "text/html" in o.get("data", {}))


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (["-p", "district_code", "999"], "Mã huyện '999' không tồn tại"),
        (["-p", "processed_dir", "/nowhere/processed"], "Không tìm thấy thư mục dữ liệu"),
    ],
    ids=["unknown-district", "missing-folder"],
)
def test_papermill_stops_on_a_wrong_parameter_with_one_sentence(
    processed_dir, tmp_path, args, sentence
):
    out = tmp_path / "out.ipynb"
    folder = ["-p", "processed_dir", str(processed_dir)] if "processed_dir" not in args else []
    run = _papermill(
        [str(DISTRICT_NOTEBOOK), str(out), "-p", "year", str(YEAR), *folder, *args],
        cwd=paths.project_root(),
    )
    assert run.returncode != 0
    assert sentence in run.stderr
    # the kernel's part of papermill's message is the one sentence: no notebook frames
    assert "ketnghia_analysis" not in run.stderr and "---->" not in run.stderr
    nb = nbformat.read(out, as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert len(errors) == 1
    assert len(errors[0].traceback) == 1 and sentence in errors[0].traceback[0]
    assert "Traceback" not in nbformat.writes(nb)


def test_papermill_takes_an_int_code_from_the_repo_root(processed_dir, rendered_reports, tmp_path):
    """`-p district_code 516` (an int), run from the repo root with the default relative
    folder, gives the commune table of the report run with "516"."""
    if rendered_reports.district != "516":
        pytest.skip("the sample has no data for district 516")
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    (home / "data" / "processed").symlink_to(processed_dir, target_is_directory=True)
    out = tmp_path / "huyen_516.ipynb"
    run = _papermill(
        [str(DISTRICT_NOTEBOOK), str(out), "-p", "year", str(YEAR), "-p", "district_code", "516"],
        cwd=paths.project_root(),
        env={"KETNGHIA_HOME": str(home)},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    by_int = _cell_html(out, COMMUNE_TABLE)
    reported = rendered_reports.year_dir / "notebooks" / f"huyen_516_{YEAR}.ipynb"
    assert by_int and by_int == _cell_html(reported, COMMUNE_TABLE)
    outputs = str([c.get("outputs") for c in nbformat.read(out, 4).cells])
    assert "Không có hỗ trợ kết nghĩa nào" not in outputs
