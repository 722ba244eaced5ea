"""`ketnghia check`: a blank return is a finding, a folder means its files, each issue names
its file when there are several, and the advice fits the cause (issue 17, item 5)."""

from __future__ import annotations

import io
import os
import sys

import hostile_files as hf
import pytest

from ketnghia_analysis.building.check import check_files
from ketnghia_analysis.building.results import RESAVE
from ketnghia_analysis.reading.template import write_template


def _check(*paths, isolate=False) -> tuple[int, str]:
    stream = io.StringIO()
    code = check_files(list(paths), stream=stream, isolate=isolate)
    return code, stream.getvalue()


def test_a_blank_template_is_an_empty_return(tmp_path):
    path = write_template("516", 2024, tmp_path / "bieu_mau_516_2024.xlsx")
    code, out = _check(path)
    assert code == 1
    assert "RETURN_EMPTY" in out and "chưa có số liệu" in out
    assert "0 lỗi, 0 cảnh báo" not in out


def test_a_folder_means_its_files_as_the_build_finds_them(tmp_path):
    folder = tmp_path / "raw"
    (folder / "2024" / "truth").mkdir(parents=True)
    write_template("516", 2024, folder / "2024" / "Nam Tra My.xlsx")
    hf.write_pdf(folder / "Cong van.xlsx")
    (folder / "README.md").write_text("không phải báo cáo", encoding="utf-8")
    (folder / "2024" / "truth" / "x.xlsx").write_bytes(b"skipped like the build")
    code, out = _check(folder)
    assert code == 1
    assert "không tìm thấy tệp" not in out
    assert "Tổng: 2 tệp" in out and "README" not in out and "truth" not in out
    issue_lines = [line for line in out.splitlines() if line.startswith("  [")]
    names = ("2024/Nam Tra My.xlsx", "Cong van.xlsx")
    assert all(any(name in line for name in names) for line in issue_lines), issue_lines
    for name in names:
        assert any(name in line for line in issue_lines), name


def test_the_advice_fits_the_cause(tmp_path):
    pdf = hf.write_pdf(tmp_path / "bao_cao_2024.xlsx")
    code, out = _check(pdf)
    assert code == 1
    assert "FILE_NOT_SPREADSHEET" in out
    assert RESAVE not in out and "Mở và lưu lại" not in out
    assert "PDF" in out.split("Gợi ý:", 1)[1]


@pytest.mark.skipif(sys.platform == "win32", reason="no FIFO on Windows")
def test_a_pipe_is_refused_unopened_with_its_own_advice(tmp_path):
    pipe = tmp_path / "bao_cao.xlsx"
    os.mkfifo(pipe)
    code, out = _check(pipe)  # opening it would block: it must not be read
    assert code == 1
    assert "FILE_NOT_REGULAR" in out and "không tìm thấy tệp" not in out
    assert "Mở và lưu lại" not in out
    code, out = _check(tmp_path)  # the same pipe found in a folder
    assert "FILE_NOT_REGULAR" in out and "Mở và lưu lại" not in out
