"""A build with nothing to do: the manifest's fingerprint of the inputs, intact outputs, and
the summary printed without importing pandas (issue #9)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from filled_template import fill_template

from ketnghia_analysis.building import buildstate
from ketnghia_analysis.building.assemble import summary_counts
from ketnghia_analysis.building.build import build
from ketnghia_analysis.building.buildstate import MANIFEST, Counts, render_summary, up_to_date
from ketnghia_analysis.reading.template import write_template


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """A raw folder (a return with one bad value, a truncated file) and its tables."""
    raw = tmp_path_factory.mktemp("raw")
    path = write_template("516", 2024, raw / "BC ket nghia 2024 - Nam Tra My.xlsx")
    fill_template(path, poor_start=355)
    book = openpyxl.load_workbook(path)
    book["Biểu 02-HN"].cell(7, 4).value = -5  # exits below zero: a feedback workbook for 516
    book.save(path)
    (raw / "hong.xlsx").write_bytes(b"PK\x03\x04 truncated")
    out = tmp_path_factory.mktemp("out")
    assert build(raw, out, workers=1, progress=False, isolate=False).exit_code == 1
    assert [p.name for p in (out / "feedback").iterdir()] == ["516-huyen-nam-tra-my_2024.xlsx"]
    return raw, out


@pytest.fixture
def copy(built, tmp_path) -> tuple[Path, Path]:
    raw, out = built
    shutil.copytree(raw, tmp_path / "raw")
    shutil.copytree(out, tmp_path / "out")
    # copytree keeps the files' times, so the copy is "the same inputs" but for the path
    # of the raw folder, which is not part of the fingerprint (relative paths are)
    return tmp_path / "raw", tmp_path / "out"


def test_the_manifest_stores_the_summary_counts(built):
    raw, out = built
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    result = build(raw, out, workers=1, progress=False, isolate=False)
    assert result.unchanged
    assert Counts.from_json(manifest["counts"]) == summary_counts(result.tables, result.written)
    assert manifest["counts"]["rejected"] == 1 and manifest["counts"]["ingested"] == 1
    assert manifest["counts"]["rejected_files"][0][0] == "hong.xlsx"


def test_same_inputs_and_intact_outputs_are_up_to_date(copy):
    raw, out = copy
    state = up_to_date(raw, out)
    assert state is not None and state.exit_code == 1
    assert [f.rel for f in state.found.files] == [
        "BC ket nghia 2024 - Nam Tra My.xlsx",
        "hong.xlsx",
    ]


@pytest.mark.parametrize(
    "change",
    ["raw_bytes", "raw_time", "raw_new_file", "raw_removed", "output_edited", "output_gone",
     "feedback_gone", "feedback_edited", "feedback_removed", "feedback_added", "code_changed",
     "manifest_damaged"],
)  # fmt: skip
def test_any_change_means_a_build(copy, change, monkeypatch):
    raw, out = copy
    good = raw / "BC ket nghia 2024 - Nam Tra My.xlsx"
    if change == "raw_bytes":
        (raw / "hong.xlsx").write_bytes(b"PK\x03\x04 truncated, again")
    elif change == "raw_time":
        stat = good.stat()
        os.utime(good, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    elif change == "raw_new_file":
        shutil.copy(good, raw / "BC ket nghia 2024 - Nam Tra My (gui lai).xlsx")
    elif change == "raw_removed":
        (raw / "hong.xlsx").unlink()
    elif change == "output_edited":
        with open(out / "poverty.parquet", "ab") as handle:
            handle.write(b"\0")
    elif change == "output_gone":
        (out / "issues.xlsx").unlink()
    elif change == "feedback_gone":
        shutil.rmtree(out / "feedback")
    elif change == "feedback_edited":
        (out / "feedback" / "516-huyen-nam-tra-my_2024.xlsx").write_bytes(b"garbage")
    elif change == "feedback_removed":
        (out / "feedback" / "516-huyen-nam-tra-my_2024.xlsx").unlink()
    elif change == "feedback_added":
        (out / "feedback" / "ghi-chu.xlsx").write_bytes(b"not ours")
    elif change == "code_changed":
        monkeypatch.setattr(buildstate, "code_fingerprint", lambda: "another-version")
    elif change == "manifest_damaged":
        (out / MANIFEST).write_text("{not json", encoding="utf-8")
    assert up_to_date(raw, out) is None
    if change != "code_changed":
        result = build(raw, out, workers=1, progress=False, isolate=False)
        assert not result.unchanged and result.exit_code in (0, 1)
        assert up_to_date(raw, out) is not None  # and now it is


@pytest.mark.parametrize(
    "changed",
    ["building/feedback.py", "building/schemas.py", "reading/reader.py", "reference/partners.csv"],
)
def test_the_code_fingerprint_covers_every_module_and_the_reference_data(tmp_path, changed):
    """Outputs depend on more than the reader: the schemas, the workbooks, the labels."""
    package = Path(buildstate.__file__).parents[1]
    shutil.copytree(package, tmp_path / "pkg", ignore=shutil.ignore_patterns("__pycache__"))
    before = buildstate.code_fingerprint(tmp_path / "pkg")
    assert before == buildstate.code_fingerprint()
    with open(tmp_path / "pkg" / changed, "a", encoding="utf-8") as handle:
        handle.write("\n")
    assert buildstate.code_fingerprint(tmp_path / "pkg") != before


def test_an_empty_raw_folder_is_never_up_to_date(tmp_path, copy):
    _, out = copy
    (tmp_path / "empty").mkdir()
    assert up_to_date(tmp_path / "empty", out) is None


def test_the_cli_answers_an_unchanged_build_without_pandas(copy):
    raw, out = copy
    script = (
        "import sys\n"
        "from ketnghia_analysis.cli import main\n"
        f"code = main(['build', '--raw', {str(raw)!r}, '--out', {str(out)!r}, '--no-progress'])\n"
        "print('PANDAS', 'pandas' in sys.modules)\n"
        "sys.exit(code)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 1, run.stderr  # the truncated file is an error
    assert "đã cập nhật" in run.stdout and "PANDAS False" in run.stdout
    assert "Tệp: 2 tệp — 1 đã nhận, 0 bị thay thế, 1 bị từ chối." in run.stdout
    assert "Từ chối hong.xlsx:" in run.stdout


def test_the_summary_reads_the_same_from_counts_and_from_tables(built):
    raw, out = built
    result = build(raw, out, workers=1, progress=False, isolate=False)
    from_tables = result.summary().splitlines()[1:]
    stored = Counts.from_json(json.loads((out / MANIFEST).read_text("utf-8"))["counts"])
    from_manifest = render_summary(stored, out, 0.1, 0, 0, unchanged=True).splitlines()[1:]
    assert from_tables == from_manifest
