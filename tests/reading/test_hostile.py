"""Hostile and broken files: each is rejected with the right code, fast, without
expanding entities, inflating bombs or letting an engine allocate the sheet's box; through
workers from the fork server and by spawn (as on Windows and macOS)."""

from __future__ import annotations

import resource
import time

import hostile_files as hf
import pytest

from ketnghia_analysis.reading.cells import Limits, ReadError, ooxml, read_workbook, sniff_format
from ketnghia_analysis.reading.sandbox import (
    START_METHOD_ENV,
    Failure,
    IsolatedWorker,
    run_isolated,
)

MB = 1024  # ru_maxrss is in KiB on Linux
START_METHODS = pytest.mark.parametrize("start_method", [None, "spawn"], ids=["default", "spawn"])


def _force(monkeypatch: pytest.MonkeyPatch, start_method: str | None) -> None:
    """Workers by `start_method` (None: this system's own)."""
    if start_method is None:
        monkeypatch.delenv(START_METHOD_ENV, raising=False)
    else:
        monkeypatch.setenv(START_METHOD_ENV, start_method)


def _peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


@pytest.fixture(scope="module", params=[None, "spawn"], ids=["default", "spawn"])
def isolated(request):
    """A reader in a worker limited to 512 MB: a regression that lets an engine
    allocate a sheet's box fails one test instead of aborting the test run."""
    with pytest.MonkeyPatch.context() as monkeypatch:  # the worker's start method is
        _force(monkeypatch, request.param)  # chosen once, when it is made
        worker = IsolatedWorker(hf.read_summary, memory_mb=512, timeout_s=30)
    with worker:
        yield worker


@pytest.mark.parametrize("name", sorted(hf.HOSTILE))
def test_hostile_file_is_rejected_fast_within_512_mb(tmp_path, isolated, name):
    builder, code = hf.HOSTILE[name]
    path = builder(tmp_path / f"{name}.xlsx")
    start = time.perf_counter()
    outcome = isolated(path)
    elapsed = time.perf_counter() - start
    assert isinstance(outcome, Failure), outcome
    assert outcome.detail == "ReadError", outcome  # not a crash, not a timeout
    assert outcome.code == code, outcome.message_vi
    assert outcome.message_vi and "\n" not in outcome.message_vi
    assert elapsed < 5, f"{name} took {elapsed:.1f} s"


@pytest.mark.parametrize(
    "name",
    [
        "zip_bomb_declared",
        "zip_bomb_real",
        "billion_laughs_sheet",
        "billion_laughs_shared_strings",
        "ods_repeated_rows",
    ],
)
def test_bombs_do_not_grow_this_process(tmp_path, name):
    builder, code = hf.HOSTILE[name]
    path = builder(tmp_path / f"{name}.xlsx")
    peak = _peak_kib()
    with pytest.raises(ReadError) as err:
        read_workbook(path)
    assert err.value.code == code
    # The process's peak memory grew by less than 100 MB (nothing was inflated).
    assert _peak_kib() - peak < 100 * MB


@pytest.mark.parametrize(
    ("builder", "words"),
    [
        (hf.write_pdf, "tệp PDF"),
        (hf.write_png, "ảnh PNG"),
        (hf.write_text, "văn bản"),
        (hf.write_encrypted_xlsx, "mật khẩu"),
        (hf.write_encrypted_xls, "mật khẩu"),
        (hf.write_far_cell, "1.048.576"),  # Vietnamese thousands separator
        (hf.write_wide_cell, "XFD"),
        (hf.write_zip_bomb_declared, "bom nén"),
        (hf.write_billion_laughs_shared_strings, "sharedStrings"),
    ],
)
def test_messages_name_what_the_file_is(tmp_path, builder, words):
    path = builder(tmp_path / "f.xls")
    with pytest.raises(ReadError) as err:
        read_workbook(path)
    assert words in err.value.message


def test_encrypted_xlsx_is_detected_by_sniffing(tmp_path):
    path = hf.write_encrypted_xlsx(tmp_path / "mat_khau.xlsx")
    assert path.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"  # an OLE container, not a ZIP
    with pytest.raises(ReadError) as err:
        sniff_format(path)
    assert err.value.code == "FILE_ENCRYPTED"


def test_lying_zip_sizes_are_caught(tmp_path):
    # Declared 1,000 bytes, really 16 MB: the ratio check cannot see it, the
    # stream must stop at the declared size (CRC failure) instead of inflating.
    path = hf.write_lying_sizes(tmp_path / "noi_doi.xlsx")
    peak = _peak_kib()
    with pytest.raises(ReadError) as err:
        read_workbook(path)
    assert err.value.code in ("FILE_TRUNCATED", "FILE_LIMIT")
    assert _peak_kib() - peak < 200 * MB


@pytest.mark.parametrize(
    "builder", [hf.write_billion_laughs_sheet, hf.write_billion_laughs_shared_strings]
)
def test_entities_are_never_expanded_even_without_the_dtd_check(tmp_path, monkeypatch, builder):
    # Defence in depth: with the DOCTYPE check disabled, calamine refuses the
    # unknown entity and openpyxl parses through defusedxml; nothing expands.
    monkeypatch.setattr(ooxml, "reject_dtd", lambda zf: None)
    path = builder(tmp_path / "lol.xlsx")
    peak, start = _peak_kib(), time.perf_counter()
    try:
        wb = read_workbook(path)
    except ReadError as err:
        assert err.code in ("FILE_CORRUPT", "FILE_EMPTY")
    else:  # read without expansion: the cell holds no billion "lol"s
        text = wb.sheets[0].rows[0][0] if wb.sheets[0].rows else None
        assert text is None or len(str(text)) < 1000
    assert time.perf_counter() - start < 5
    assert _peak_kib() - peak < 200 * MB


def test_real_bomb_under_a_generous_ratio_is_bounded_by_total_size(tmp_path):
    path = hf.write_zip_bomb_real(tmp_path / "bom.xlsx", megabytes=16)
    with pytest.raises(ReadError) as err:
        read_workbook(path, Limits(max_compression_ratio=1e9, max_uncompressed_bytes=8 * 2**20))
    assert err.value.code == "FILE_LIMIT"
    assert "MB" in err.value.message


def test_tall_sheet_is_read_in_bounded_time(tmp_path):
    path = hf.write_tall_xlsx(tmp_path / "cao.xlsx", rows=20_000, cols=15)
    start = time.perf_counter()
    sheet = read_workbook(path).sheets[0]
    assert time.perf_counter() - start < 10
    assert (sheet.n_rows, sheet.n_cols) == (20_000, 15)
    # Row 20000: "Xã {20000 % 244}", then 20000 * 0.5 + column.
    assert sheet.rows[-1][:3] == ["Xã 236", 10_001.0, 10_002.0]


@pytest.mark.slow
def test_200000_rows_are_read_within_time_and_memory(tmp_path):
    path = hf.write_tall_xlsx(tmp_path / "rat_cao.xlsx", rows=200_000, cols=15)
    start = time.perf_counter()
    # In a worker limited to 1 GiB of address space: a reader that needed more would fail.
    ((_, outcome),) = list(
        run_isolated(hf.read_summary, [path], workers=1, memory_mb=1024, timeout_s=120)
    )
    assert not isinstance(outcome, Failure), outcome
    assert outcome == ("xlsx", [("Data", 200_000, 15)])
    assert time.perf_counter() - start < 90


def test_tall_sheet_beyond_the_row_limit_is_rejected_before_reading(tmp_path):
    path = hf.write_tall_xlsx(tmp_path / "cao.xlsx", rows=3_000, cols=3)
    with pytest.raises(ReadError) as err:
        read_workbook(path, Limits(max_rows=2_000))
    assert err.value.code == "FILE_LIMIT"
    assert "3.000" in err.value.message


@START_METHODS
def test_hostile_folder_through_the_sandbox(tmp_path, capfd, monkeypatch, start_method):
    _force(monkeypatch, start_method)
    expected = hf.write_hostile_folder(tmp_path / "raw")
    good = hf.write_good_xlsx(tmp_path / "raw" / "tot.xlsx")
    paths = sorted((tmp_path / "raw").iterdir())
    outcomes = {
        p.name: out
        for p, out in run_isolated(hf.read_summary, paths, workers=2, memory_mb=1024, timeout_s=60)
    }
    assert set(outcomes) == {p.name for p in paths}
    assert outcomes[good.name] == ("xlsx", [("Biểu 02", 7, 6), ("Nháp", 1, 1)])
    for name, code in expected.items():
        assert isinstance(outcomes[name], Failure), name
        assert outcomes[name].code == code, (name, outcomes[name])
    assert "Traceback" not in capfd.readouterr().err
