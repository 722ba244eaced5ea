"""The build over small hand-made raw folders (filled templates): tables, accounting,
supersession, rejection, cache, check, exit codes."""

from __future__ import annotations

import io
import os
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
from test_template import fill_template

from ketnghia_analysis import schemas
from ketnghia_analysis.build import build, check_files, discover
from ketnghia_analysis.template import write_template

TABLES = [
    "communes",
    "commune_names",
    "poverty",
    "ntm_criteria",
    "ntm_status",
    "support",
    "partners",
    "models",
    "submissions",
    "issues",
    "quarantine",
]


@pytest.fixture(scope="module")
def returns(tmp_path_factory) -> dict[str, Path]:
    """Filled returns of Nam Trà My: 2023 and 2024 (2024 starts where 2023 ended)."""
    folder = tmp_path_factory.mktemp("returns")
    out = {}
    for year, start in ((2023, 400), (2024, 355)):
        path = write_template("516", year, folder / f"BC ket nghia {year} - Nam Tra My.xlsx")
        out[str(year)] = fill_template(path, poor_start=start)
    return out


def make_raw(tmp_path: Path, returns: dict[str, Path], *years: str) -> Path:
    raw = tmp_path / "raw"
    (raw / "nam-tra-my").mkdir(parents=True)
    for year in years:
        shutil.copy2(returns[year], raw / "nam-tra-my" / returns[year].name)
    return raw


def test_clean_returns_build_to_the_contract(tmp_path, returns):
    raw = make_raw(tmp_path, returns, "2023", "2024")
    (raw / "README.md").write_text("not a return", encoding="utf-8")
    (raw / "truth").mkdir()
    (raw / "truth" / "poverty.parquet").write_bytes(b"ignored")
    result = build(raw, tmp_path / "out", workers=1, progress=False)
    assert result.exit_code == 0, result.summary()
    for name in TABLES:
        frame = pd.read_parquet(tmp_path / "out" / f"{name}.parquet")
        assert list(frame.columns) == schemas.columns(name), name
        assert schemas.validate(frame, name).empty, name
    poverty = pd.read_parquet(tmp_path / "out" / "poverty.parquet")
    assert len(poverty) == 20 and set(poverty["year"]) == {2023, 2024}
    subs = pd.read_parquet(tmp_path / "out" / "submissions.parquet")
    assert list(subs["source_file"]) == [
        "nam-tra-my/BC ket nghia 2023 - Nam Tra My.xlsx",
        "nam-tra-my/BC ket nghia 2024 - Nam Tra My.xlsx",
    ]
    assert (subs["rows_read"] == subs["rows_accepted"] + subs["rows_quarantined"] + subs["rows_structural"]).all()
    assert list(subs["status"]) == ["ingested", "ingested"]
    assert "0 lỗi (error), 0 cảnh báo" in result.summary()
    for name in ("issues.xlsx", "codebook.xlsx", "codebook.md", "_build.json"):
        assert (tmp_path / "out" / name).exists(), name


def test_empty_raw_folder_still_writes_the_reference_tables(tmp_path):
    (tmp_path / "raw").mkdir()
    result = build(tmp_path / "raw", tmp_path / "out", progress=False)
    assert result.exit_code == 0
    communes = pd.read_parquet(tmp_path / "out" / "communes.parquet")
    assert "20944" in set(communes["commune_code"])
    assert not pd.read_parquet(tmp_path / "out" / "commune_names.parquet").empty
    assert pd.read_parquet(tmp_path / "out" / "poverty.parquet").empty


def test_missing_raw_folder_is_exit_2(tmp_path):
    result = build(tmp_path / "nope", tmp_path / "out", progress=False)
    assert result.exit_code == 2
    assert "không có thư mục" in result.summary()


def test_resubmission_supersedes_and_both_are_recorded(tmp_path, returns):
    raw = make_raw(tmp_path, returns, "2024")
    first = raw / "nam-tra-my" / returns["2024"].name
    later = raw / "nam-tra-my" / "BC ket nghia 2024 - Nam Tra My (sua).xlsx"
    shutil.copy2(first, later)
    now = time.time()
    os.utime(first, (now - 3600, now - 3600))
    os.utime(later, (now, now))
    result = build(raw, tmp_path / "out", workers=1, progress=False)
    subs = result.tables["submissions"].set_index("source_file")
    assert subs.loc["nam-tra-my/BC ket nghia 2024 - Nam Tra My.xlsx", "status"] == "superseded"
    assert subs.loc[later.relative_to(raw).as_posix(), "status"] == "ingested"
    assert "(sua)" in subs.loc["nam-tra-my/BC ket nghia 2024 - Nam Tra My.xlsx", "reason"]
    poverty = result.tables["poverty"]
    assert len(poverty) == 10 and set(poverty["source_file"]) == {later.relative_to(raw).as_posix()}
    codes = result.tables["issues"]["code"].tolist()
    assert codes == ["SUPERSEDED"]  # a warning: the build is still clean
    assert result.exit_code == 0


def test_broken_file_is_rejected_with_one_line_and_the_batch_goes_on(tmp_path, returns):
    raw = make_raw(tmp_path, returns, "2024")
    (raw / "cong van.xlsx").write_bytes(b"%PDF-1.4 not a spreadsheet\n" * 10)
    (raw / "trong.xlsx").write_bytes(b"")
    result = build(raw, tmp_path / "out", workers=1, progress=False)
    assert result.exit_code == 1
    subs = result.tables["submissions"].set_index("source_file")
    for name in ("cong van.xlsx", "trong.xlsx"):
        assert subs.loc[name, "status"] == "rejected"
        reason = subs.loc[name, "reason"]
        assert reason and "\n" not in reason
        assert subs.loc[name, "rows_read"] == 0
    assert subs.loc["nam-tra-my/BC ket nghia 2024 - Nam Tra My.xlsx", "status"] == "ingested"
    assert len(result.tables["poverty"]) == 10
    errors = result.tables["issues"].query("severity == 'error'")
    assert set(errors["source_file"]) == {"cong van.xlsx", "trong.xlsx"}
    assert "Từ chối cong van.xlsx" in result.summary()


def test_error_rows_are_quarantined_and_reported_per_district(tmp_path, returns):
    import openpyxl

    raw = make_raw(tmp_path, returns, "2024")
    path = raw / "nam-tra-my" / returns["2024"].name
    book = openpyxl.load_workbook(path)
    book["Biểu 02-HN"]["G10"].value = 999  # Trà Mai: poor at the end ≠ 355 − 45
    book["Biểu 02-HN"]["H10"].value = 98.91  # its rate (999 / 1010), so only the identity fails
    book.save(path)
    result = build(raw, tmp_path / "out", workers=1, progress=False)
    assert result.exit_code == 1
    quarantine = result.tables["quarantine"]
    assert list(quarantine["source_row"]) == [10]
    assert list(quarantine["codes"]) == ["POVERTY_IDENTITY"]
    issue = result.tables["issues"].query("code == 'POVERTY_IDENTITY'").iloc[0]
    assert (issue["cell"], issue["value"], issue["expected"]) == ("G10", "999", "310")
    assert issue["message"].endswith("[POVERTY_IDENTITY]")
    sub = result.tables["submissions"].iloc[0]
    assert (sub["rows_accepted"], sub["rows_quarantined"]) == (22, 1)
    assert sub["rows_read"] == sub["rows_accepted"] + sub["rows_quarantined"] + sub["rows_structural"]
    feedback = list((tmp_path / "out" / "feedback").glob("*.xlsx"))
    assert [p.name for p in feedback] == ["516-huyen-nam-tra-my_2024.xlsx"]


def test_second_build_uses_the_cache_and_a_changed_file_is_read_alone(tmp_path, returns):
    raw = make_raw(tmp_path, returns, "2023", "2024")
    out = tmp_path / "out"
    first = build(raw, out, workers=1, progress=False)
    assert (first.read_files, first.cached_files) == (2, 0)
    again = build(raw, out, workers=1, progress=False)
    assert (again.read_files, again.cached_files) == (0, 2)
    pd.testing.assert_frame_equal(first.tables["poverty"], again.tables["poverty"])
    changed = raw / "nam-tra-my" / returns["2023"].name
    fill_template(changed, poor_start=401)  # 2023 now ends at 356; 2024 starts at 355
    third = build(raw, out, workers=1, progress=False)
    assert (third.read_files, third.cached_files) == (1, 1)
    assert "PREV_YEAR_MISMATCH" in set(third.tables["issues"]["code"])
    no_cache = build(raw, out, workers=1, progress=False, use_cache=False)
    assert no_cache.read_files == 2


def test_check_prints_the_issues_of_a_file(tmp_path, returns):
    import openpyxl

    path = tmp_path / "bc.xlsx"
    shutil.copy2(returns["2024"], path)
    stream = io.StringIO()
    assert check_files([path], stream=stream) == 0
    assert "0 lỗi" in stream.getvalue()
    book = openpyxl.load_workbook(path)
    book["Biểu 02-HN"]["A9"].value = "Xã Không Có Thật"
    book.save(path)
    stream = io.StringIO()
    assert check_files([path], stream=stream) == 1
    text = stream.getvalue()
    assert "UNKNOWN_COMMUNE" in text and "Biểu 02-HN:A9" in text


def test_discover_skips_truth_readme_and_lock_files(tmp_path):
    for name in ("a.xlsx", "truth/x.parquet", "README.md", "~$a.xlsx", ".hidden.xlsx", "sub/b.xls"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    assert [p.relative_to(tmp_path).as_posix() for p in discover(tmp_path)] == [
        "a.xlsx",
        "sub/b.xls",
    ]
