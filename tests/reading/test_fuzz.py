"""Fuzzing the cell reader: mutated bytes of real workbooks give a Workbook or a ReadError.

Each example is read in an isolated worker (a mutated .xls can make an engine abort the
process; the sandbox turns that into FILE_CRASHED, recorded as a hypothesis event).
Any other exception escaping `read_workbook` fails the test.

`KETNGHIA_FUZZ_EXAMPLES` sets the number of examples per test (default 30, so that
`make test` stays fast; `make fuzz` runs 2000, with a random seed).
"""

from __future__ import annotations

import functools
import io
import os
import tempfile
import zipfile
from pathlib import Path

import hostile_files as hf
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ketnghia_analysis.reading.sandbox import Failure, IsolatedWorker

EXAMPLES = int(os.environ.get("KETNGHIA_FUZZ_EXAMPLES", "30"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    # A fixed seed keeps `make test` reproducible; `make fuzz` explores.
    derandomize="KETNGHIA_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
KNOWN_CODES = {
    "FILE_EMPTY",
    "FILE_NOT_SPREADSHEET",
    "FILE_ENCRYPTED",
    "FILE_TRUNCATED",
    "FILE_LIMIT",
    "FILE_CORRUPT",
    "FILE_UNSUPPORTED",
}
SEEDS = {
    "xlsx": hf.write_good_xlsx,
    "xls": hf.write_good_xls,
    "ods": hf.write_good_ods,
    "html": hf.write_html_xls,
    "csv": hf.write_csv_as_xls,
    "xlsm": hf.write_xlsm,
    "xml2003": hf.write_xml2003_xls,
}


@functools.cache
def _seeds() -> dict[str, bytes]:
    """The seed files' bytes (a cache, not a fixture, to keep them out of hypothesis reports)."""
    with tempfile.TemporaryDirectory() as folder:
        return {
            name: builder(Path(folder) / f"seed_{name}").read_bytes()
            for name, builder in SEEDS.items()
        }


@pytest.fixture(scope="module")
def worker():
    with IsolatedWorker(hf.read_summary, memory_mb=1024, timeout_s=30) as w:
        yield w


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _mutate(data: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    """Apply (kind, position, value) edits: 0 flip a byte, 1 delete a run, 2 insert, 3 cut."""
    buf = bytearray(data)
    for kind, pos, value in edits:
        if not buf:
            break
        pos %= len(buf)
        if kind == 0:
            buf[pos] ^= value or 1
        elif kind == 1:
            del buf[pos : pos + value % 64 + 1]
        elif kind == 2:
            buf[pos:pos] = bytes([value]) * (value % 16 + 1)
        else:
            del buf[pos:]
    return bytes(buf)


def _check(worker, scratch: Path, data: bytes) -> None:
    fd, name = tempfile.mkstemp(dir=scratch, suffix=".xlsx")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    try:
        outcome = worker(name)
    finally:
        os.unlink(name)
    if isinstance(outcome, Failure):
        if outcome.code in ("FILE_CRASHED", "FILE_TIMEOUT") and (outcome.detail or "").startswith(
            ("tín hiệu", "timeout")
        ):
            event(f"engine {outcome.code}: {outcome.detail}")  # the sandbox's job
            return
        assert outcome.detail == "ReadError", f"exception escaped read_workbook: {outcome}"
        assert "lỗi không mong đợi" not in outcome.message_vi, f"uncaught error: {outcome}"
        assert outcome.code in KNOWN_CODES, outcome
        assert outcome.message_vi and "\n" not in outcome.message_vi
        event(outcome.code)
    else:
        fmt, sheets = outcome
        assert fmt in SEEDS
        assert all(rows >= 0 and cols >= 0 for _, rows, cols in sheets)
        event(f"read as {fmt}")


EDITS = st.lists(
    st.tuples(st.sampled_from([0, 0, 0, 1, 2, 3]), st.integers(0, 2**31), st.integers(0, 255)),
    min_size=1,
    max_size=6,
)


@FUZZ
@given(seed=st.sampled_from(sorted(SEEDS)), edits=EDITS)
def test_mutated_file_bytes(worker, scratch, seed, edits):
    _check(worker, scratch, _mutate(_seeds()[seed], edits))


@FUZZ
@given(
    part=st.sampled_from(
        ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"]
    ),
    edits=EDITS,
)
def test_mutated_xml_inside_a_valid_zip(worker, scratch, part, edits):
    """Mutations inside the XML (re-zipped, so CRCs are right) reach the parsers."""
    src = zipfile.ZipFile(io.BytesIO(_seeds()["xlsx"]))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == part:
                body = _mutate(body, edits)
            dst.writestr(info.filename, body)
    _check(worker, scratch, out.getvalue())


FLIPS = st.lists(st.tuples(st.just(0), st.integers(0, 2**31), st.integers(1, 255)), max_size=8)


@FUZZ
@given(flips=FLIPS.filter(bool))
def test_mutated_biff_records_inside_a_valid_xls(worker, scratch, flips):
    """Byte flips inside the Workbook stream of a valid OLE container reach the BIFF parsers."""
    import olefile

    buf = io.BytesIO(_seeds()["xls"])
    with olefile.OleFileIO(buf, write_mode=True) as ole:
        stream = ole.openstream("Workbook").read()
        ole.write_stream("Workbook", _mutate(stream, flips))  # same length: flips only
    _check(worker, scratch, buf.getvalue())
