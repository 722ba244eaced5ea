"""A report run reads one pinned copy of the processed tables (issue #19, item 4).

The workers are replaced by a stand-in that records, for each report, the folder it was
given and what it loaded from there; in the middle of the run another build swaps in new
tables. Every report must read the same whole set, and the run's manifest must list the
hashes of exactly the files read.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from swapping import hashes, in_thread, paused_swap, swap_in

from ketnghia_analysis.analysis.tables import load
from ketnghia_analysis.reporting import jobs, runner
from ketnghia_analysis.reporting.charts import is_synthetic
from ketnghia_analysis.reporting.inputs import pinned

YEAR = 2024


def report_tables(label: str) -> dict[str, pd.DataFrame]:
    """The few tables a report run checks its parameters against, labelled by build."""
    place = {"district_code": ["516"], "commune_code": ["20944"], "build": [label]}
    return {
        "communes": pd.DataFrame(
            {**place, "district_name": ["Huyện Nam Trà My"], "commune_name": ["Xã Trà Mai"]}
        ),
        "poverty": pd.DataFrame({"year": [YEAR], **place}),
        "support": pd.DataFrame({"year": [YEAR], **place}),
    }


@pytest.fixture()
def notebooks(tmp_path) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    for name in (jobs.PROVINCE_NOTEBOOK, jobs.DISTRICT_NOTEBOOK):
        (folder / name).write_text("{}", encoding="utf-8")
    return folder


def test_every_report_of_a_run_reads_one_whole_set_and_the_manifest_says_which(
    tmp_path, notebooks, monkeypatch
):
    processed, reports = tmp_path / "processed", tmp_path / "reports"
    swap_in(processed, report_tables("old"))
    read = []

    def execute(planned, _workers, _log_dir, _progress):
        for job in planned:
            folder = Path(job.parameters["processed_dir"])
            tables = load(folder)
            read.append((folder, hashes(folder), {b for t in tables.values() for b in t["build"]}))
            swap_in(processed, report_tables(f"after {job.name}"))  # builds go on meanwhile
            job.status = "ok"
        return planned

    monkeypatch.setattr(runner, "_execute", execute)

    def run() -> int:
        return runner.run_reports(
            YEAR, "516", processed=processed, out=reports, notebooks=notebooks, progress=False
        )

    with paused_swap(processed, report_tables("new"), monkeypatch):
        thread, box = in_thread(run)
        thread.join(0.5)  # the run starts while the build is between two moves
    thread.join(60)
    assert box.get("result") == 0, box
    assert [labels for _, _, labels in read] == [{"new"}, {"new"}]
    assert len({folder for folder, _, _ in read}) == 1
    assert read[0][1] == read[1][1]
    manifest = json.loads((reports / str(YEAR) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"] == read[0][1]
    assert manifest["build"]["built_at"]
    assert manifest["parameters"]["processed"] == str(processed.resolve())
    assert not read[0][0].exists()  # the pinned copy is gone
    assert {b for t in load(processed).values() for b in t["build"]} == {"after huyen_516_2024"}


def test_a_half_swapped_folder_stops_the_run_before_any_report(
    tmp_path, notebooks, monkeypatch, capsys
):
    processed = tmp_path / "processed"
    swap_in(processed, report_tables("old"))
    report_tables("new")["poverty"].to_parquet(processed / "poverty.parquet", index=False)
    monkeypatch.setattr(runner, "_execute", lambda *_: pytest.fail("a report was started"))
    code = runner.run_reports(
        YEAR, processed=processed, out=tmp_path / "reports", notebooks=notebooks
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "Lỗi dữ liệu: Các bảng trong" in err and "poverty.parquet khác với _build.json" in err


def test_the_pinned_copy_of_sample_tables_stays_sample_tables(tmp_path):
    processed = tmp_path / "data" / "processed"
    swap_in(processed, report_tables("old"))
    (tmp_path / "data" / "raw" / "truth").mkdir(parents=True)
    with pinned(processed) as copy:
        assert copy != processed and is_synthetic(copy)
        assert hashes(copy) == hashes(processed)
        assert (copy / "_build.json").exists()
    assert not copy.exists()
