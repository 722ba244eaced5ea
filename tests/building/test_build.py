"""The build over small hand-made raw folders (filled templates): tables, accounting,
supersession, rejection, cache, check, exit codes."""

from __future__ import annotations

import io
import os
import re
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
from filled_template import fill_template

from ketnghia_analysis.building import schemas
from ketnghia_analysis.building.build import build
from ketnghia_analysis.building.buildstate import discover
from ketnghia_analysis.building.check import check_files
from ketnghia_analysis.reading.template import write_template
from ketnghia_analysis.reference.contract import TABLE_NAMES

#: The contract between the build and its readers: ../shared/spec/tables.md.
SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / "tables.md"
TABLES = list(TABLE_NAMES)


def test_the_contract_has_the_tables_of_the_spec():
    """The build writes every table the shared spec lists, and beyond them only the tables
    the README names as ours (poverty_districts: the district rows of the official forms'
    province compilations, kept for reconciliation, issue #15)."""
    spec = re.findall(r"^## (\w+)\.parquet", SPEC.read_text(encoding="utf-8"), re.M)
    assert set(spec) <= set(TABLES)
    assert set(TABLES) - set(spec) == {"poverty_districts"}


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
    result = build(raw, tmp_path / "out", workers=1, progress=False, isolate=False)
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
    assert (
        subs["rows_read"]
        == subs["rows_accepted"] + subs["rows_quarantined"] + subs["rows_structural"]
    ).all()
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
    result = build(raw, tmp_path / "out", workers=1, progress=False, isolate=False)
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
    result = build(raw, tmp_path / "out", workers=1, progress=False, isolate=False)
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
    result = build(raw, tmp_path / "out", workers=1, progress=False, isolate=False)
    assert result.exit_code == 1
    quarantine = result.tables["quarantine"]
    assert list(quarantine["source_row"]) == [10]
    assert list(quarantine["codes"]) == ["POVERTY_IDENTITY"]
    issue = result.tables["issues"].query("code == 'POVERTY_IDENTITY'").iloc[0]
    assert (issue["cell"], issue["value"], issue["expected"]) == ("G10", "999", "310")
    assert issue["message"].endswith("[POVERTY_IDENTITY]")
    sub = result.tables["submissions"].iloc[0]
    assert (sub["rows_accepted"], sub["rows_quarantined"]) == (22, 1)
    assert (
        sub["rows_read"] == sub["rows_accepted"] + sub["rows_quarantined"] + sub["rows_structural"]
    )
    feedback = list((tmp_path / "out" / "feedback").glob("*.xlsx"))
    assert [p.name for p in feedback] == ["516-huyen-nam-tra-my_2024.xlsx"]


def test_second_build_uses_the_cache_and_a_changed_file_is_read_alone(tmp_path, returns):
    raw = make_raw(tmp_path, returns, "2023", "2024")
    out = tmp_path / "out"
    first = build(raw, out, workers=1, progress=False, isolate=False)
    assert (first.read_files, first.cached_files) == (2, 0)
    again = build(raw, out, workers=1, progress=False, isolate=False)
    assert (again.read_files, again.cached_files) == (0, 2)
    pd.testing.assert_frame_equal(first.tables["poverty"], again.tables["poverty"])
    changed = raw / "nam-tra-my" / returns["2023"].name
    fill_template(changed, poor_start=401)  # 2023 now ends at 356; 2024 starts at 355
    third = build(raw, out, workers=1, progress=False, isolate=False)
    assert (third.read_files, third.cached_files) == (1, 1)
    assert "PREV_YEAR_MISMATCH" in set(third.tables["issues"]["code"])
    no_cache = build(raw, out, workers=1, progress=False, use_cache=False, isolate=False)
    assert no_cache.read_files == 2


def test_check_prints_the_issues_of_a_file(tmp_path, returns):
    import openpyxl

    path = tmp_path / "bc.xlsx"
    shutil.copy2(returns["2024"], path)
    stream = io.StringIO()
    assert check_files([path], stream=stream, isolate=False) == 0
    assert "0 lỗi" in stream.getvalue()
    book = openpyxl.load_workbook(path)
    book["Biểu 02-HN"]["A9"].value = "Xã Không Có Thật"
    book.save(path)
    stream = io.StringIO()
    assert check_files([path], stream=stream) == 1  # isolated, like the CLI
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


# ---------------------------------------------------------------------------------------
# End to end over the sample generator's default run (with --broken), built once per session
# ---------------------------------------------------------------------------------------
PROVENANCE = ["source_file", "source_sheet", "source_row"]
EXTRA_KEY = {"ntm_criteria": ["criterion"], "models": ["model_name"]}


def _same(a: pd.Series, b: pd.Series) -> pd.Series:
    """Element-wise equality with missing == missing and floats to 1e-9."""
    if pd.api.types.is_float_dtype(a) or pd.api.types.is_float_dtype(b):
        x, y = pd.to_numeric(a), pd.to_numeric(b)
        return ((x - y).abs() <= 1e-9) | (x.isna() & y.isna())
    left = ["<NA>" if pd.isna(v) else str(v) for v in a.astype(object)]
    right = ["<NA>" if pd.isna(v) else str(v) for v in b.astype(object)]
    return pd.Series([p == q for p, q in zip(left, right, strict=True)], index=a.index)


def _compare(raw: Path, out: Path, table: str, key: list[str]) -> tuple[int, int, dict]:
    truth = pd.read_parquet(raw / "truth" / f"{table}.parquet")
    got = pd.read_parquet(out / f"{table}.parquet")
    assert list(got.columns) == list(truth.columns), table
    merged = truth.merge(got, on=key, how="outer", suffixes=("_t", "_g"), indicator=True)
    missing = int((merged["_merge"] == "left_only").sum())
    extra = int((merged["_merge"] == "right_only").sum())
    both = merged[merged["_merge"] == "both"]
    wrong = {}
    for col in truth.columns:
        if col in key:
            continue
        bad = ~_same(both[f"{col}_t"], both[f"{col}_g"])
        if bad.any():
            wrong[col] = int(bad.sum())
    return missing, extra, wrong


TABLES_VS_TRUTH = ["poverty", "ntm_status", "ntm_criteria", "support", "models"]


@pytest.mark.parametrize("table", TABLES_VS_TRUTH)
def test_sample_tables_equal_truth_value_by_value(sample_built, table):
    """Every value of every table, rows matched by provenance (file, sheet, row)."""
    raw, out, _ = sample_built
    key = PROVENANCE + EXTRA_KEY.get(table, [])
    assert _compare(raw, out, table, key) == (0, 0, {})


def test_sample_planted_issues_are_found_at_their_cells(sample_built):
    raw, out, result = sample_built
    planted = pd.read_csv(raw / "truth" / "planted_issues.csv")
    issues = pd.read_parquet(out / "issues.parquet")
    key = ["code", "severity", "source_file", "source_sheet", "cell"]
    found = planted.merge(issues[key].drop_duplicates(), on=key, how="left", indicator=True)
    assert (found["_merge"] == "both").all(), found[found["_merge"] != "both"][key]
    assert result.exit_code == 1


def test_sample_quarantine_and_submissions_match_truth(sample_built):
    raw, out, _ = sample_built
    quarantine = pd.read_parquet(out / "quarantine.parquet")
    truth_q = pd.read_csv(raw / "truth" / "quarantine.csv")
    got = sorted(
        zip(
            quarantine["source_file"],
            quarantine["source_row"].astype(int),
            quarantine["codes"],
            strict=True,
        )
    )
    want = sorted(zip(truth_q["source_file"], truth_q["source_row"], truth_q["codes"], strict=True))
    assert got == want
    subs = pd.read_parquet(out / "submissions.parquet").set_index("source_file")
    truth_s = pd.read_parquet(raw / "truth" / "submissions.parquet").set_index("source_file")
    assert sorted(subs.index) == sorted(truth_s.index)
    assert (subs.loc[truth_s.index, "status"] == truth_s["status"]).all()
    rejected = subs[subs["status"] == "rejected"]
    assert len(rejected) == 6
    assert all(r and "\n" not in r and len(r) < 200 for r in rejected["reason"])
    assert (subs["status"] == "superseded").sum() == 1
    assert (
        subs["rows_read"]
        == subs["rows_accepted"] + subs["rows_quarantined"] + subs["rows_structural"]
    ).all()


def test_commune_left_out_of_a_return_is_reported(tmp_path, returns):
    import openpyxl

    raw = make_raw(tmp_path, returns, "2024")
    path = raw / "nam-tra-my" / returns["2024"].name
    book = openpyxl.load_workbook(path)
    book["Biểu 02-HN"].delete_rows(16)  # Xã Trà Vinh, the last commune
    book.save(path)
    result = build(raw, tmp_path / "out", workers=1, progress=False, isolate=False)
    missing = result.tables["issues"].query("code == 'MISSING_COMMUNE'")
    assert list(missing["expected"]) == ["Xã Trà Vinh"]
    assert list(missing["severity"]) == ["warning"]
    assert list(missing["source_sheet"]) == ["Biểu 02-HN"]
    assert result.exit_code == 0


def test_a_value_that_slips_past_the_rules_is_caught_by_the_schema():
    from ketnghia_analysis.building.assemble import schema_issues

    poverty = schemas.conform(
        pd.DataFrame(
            {
                "year": [2023, 2023],
                "district_code": ["516", "516"],
                "commune_code": ["20944", "20944"],  # the key twice
                "poverty_rate_end": [0.2, 1.7],  # and a rate above 1
                "poverty_standard": ["2022-2025", "2022-2025"],
                "source_file": ["a.xlsx", "a.xlsx"],
            }
        ),
        "poverty",
    )
    issues = schema_issues({"poverty": poverty, "support": schemas.empty("support")})
    assert {i.code for i in issues} == {"SCHEMA_VIOLATION"}
    checks = sorted(i.expected for i in issues)
    assert "in_range(0, 1)" in checks
    assert any("uniqueness" in c for c in checks)
    assert all(i.severity == "error" and "poverty.parquet" in i.message for i in issues)


def test_sample_rebuild_without_changes_reads_no_file(sample_built):
    raw, out, first = sample_built
    again = build(raw, out, progress=False)
    assert (again.read_files, again.cached_files) == (0, len(discover(raw)))
    assert again.exit_code == first.exit_code
    pd.testing.assert_frame_equal(
        again.tables["poverty"].reset_index(drop=True),
        pd.read_parquet(out / "poverty.parquet"),
    )


def test_sample_accepted_rows_are_exactly_the_rows_in_the_tables(sample_built):
    """No silent drop: every accepted row of a live file is one row of one table."""
    _, out, _ = sample_built
    subs = pd.read_parquet(out / "submissions.parquet")
    live = subs[subs["status"] == "ingested"].set_index("source_file")["rows_accepted"]
    written = pd.concat(
        [
            pd.read_parquet(out / f"{t}.parquet", columns=["source_file"])
            for t in ("poverty", "ntm_status", "support", "models")
        ]
    )["source_file"].value_counts()
    assert (
        live.sort_index().to_dict() == written.reindex(live.index).fillna(0).astype(int).to_dict()
    )


def test_a_return_of_unknown_year_does_not_stop_the_assembly():
    """Its rows are quarantined by normalise; the cross-file rules must skip it, not crash."""
    from ketnghia_analysis.building.assemble import assemble
    from ketnghia_analysis.building.results import FileResult

    submission = {
        "source_file": "khong-ro.xlsx", "sha256": "0" * 64, "size_bytes": 1,
        "district_code": "516", "year": None, "forms_found": "poverty", "status": "ingested",
        "reason": None, "rows_read": 1, "rows_accepted": 0, "rows_quarantined": 1,
        "rows_structural": 0, "read_at": pd.Timestamp("2026-01-01", tz="UTC"),
    }  # fmt: skip
    quarantine = [
        {"form": "poverty", "district_code": "516", "year": None, "commune_label": "Trà Mai",
          "codes": "IDENTITY_UNKNOWN", "raw_values": "{}", "source_file": "khong-ro.xlsx",
          "source_sheet": "Biểu 02", "source_row": 7}
    ]  # fmt: skip
    result = FileResult(
        "khong-ro.xlsx", submission, quarantine_rows=quarantine, forms=["poverty"],
        form_sheets={"poverty": "Biểu 02"},
    )  # fmt: skip
    tables, issues = assemble([result])
    assert len(tables["quarantine"]) == 1 and tables["poverty"].empty
    assert "MISSING_COMMUNE" not in {i.code for i in issues}


@pytest.mark.parametrize(
    "marker, synthetic",
    [("truth", True), ("readme", True), (None, False)],
)
def test_build_records_the_provenance_of_its_inputs(tmp_path, returns, marker, synthetic):
    """`ketnghia build --raw X --out Y` into a folder that is no sibling of X: the manifest
    says whether X is the sample, and the reports' test reads it from there (issue 17.3)."""
    import json

    from ketnghia_analysis.cli import main
    from ketnghia_analysis.reporting.charts import is_synthetic

    raw = make_raw(tmp_path / "in", returns, "2024")
    if marker == "truth":
        (raw / "truth").mkdir()
        (raw / "truth" / "poverty.parquet").write_bytes(b"ignored")
    elif marker == "readme":
        (raw / "README.md").write_text(
            "# Báo cáo mẫu — DỮ LIỆU TỔNG HỢP, do lệnh `ketnghia sample` tạo ra\n",
            encoding="utf-8",
        )
    out = tmp_path / "elsewhere" / "Y"
    code = main(["build", "--raw", str(raw), "--out", str(out), "--workers", "1", "--no-progress"])
    assert code == 0
    manifest = json.loads((out / "_build.json").read_text(encoding="utf-8"))
    assert manifest["provenance"]["synthetic"] is synthetic
    assert is_synthetic(out) is synthetic


def test_recorded_provenance_comes_before_the_folder_layout(tmp_path):
    """A manifest that says "real returns" wins over a stray raw/truth beside the folder."""
    import json

    from ketnghia_analysis.reporting.charts import is_synthetic

    out = tmp_path / "processed"
    out.mkdir()
    (tmp_path / "raw" / "truth").mkdir(parents=True)
    assert is_synthetic(out)  # no manifest yet: the old signal
    (out / "_build.json").write_text(json.dumps({"provenance": {"synthetic": False}}))
    assert not is_synthetic(out)
