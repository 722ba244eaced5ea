"""The reader workers never import pandas (issue #18): their fork server imports the reader,
the worker and the warm-up (`buildstate.WORKER_MODULES`), and reads and normalises returns of
every format, the official poverty-review forms A-D among them, without pandas or pyarrow
(~0.45 s of the server's start, before any file is read, and as much in each worker that
would meet an official form). pandas stays for the build's own process, the analysis and the
notebooks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import hostile_files as hf
import pytest
from filled_template import fill_template

from ketnghia_analysis.building.buildstate import WORKER_MODULES
from ketnghia_analysis.reading.cells import sniff_format
from ketnghia_analysis.reading.template import write_template
from ketnghia_analysis.sample import write_sample
from ketnghia_analysis.sample.official import FILE_LABEL, KINDS

#: A fresh interpreter: the fork server's imports (and warm-up), then each file read and
#: normalised as a worker does; it prints what it read and whether pandas or pyarrow came in
#: (and, if one did, the lines of the package that imported it).
SCRIPT = '''
import importlib, json, sys, traceback

FIRST = {}


class Watch:
    """Remember where the package first imported pandas or pyarrow (it is not stopped)."""

    def find_spec(self, name, path=None, target=None):
        top = name.split(".")[0]
        if top in ("pandas", "pyarrow") and top not in FIRST:
            frames = traceback.extract_stack()
            FIRST[top] = [f"{f.filename}:{f.lineno}" for f in frames if "ketnghia" in f.filename]
        return None


if __name__ == "__main__":
    sys.meta_path.insert(0, Watch())
    for module in json.loads(sys.argv[1]):
        importlib.import_module(module)
    from ketnghia_analysis.building import worker

    warmed = "normaliser" in worker._WORKER_STATE
    results = [worker.process_file((path, root)) for path, root in json.loads(sys.argv[2])]
    print(json.dumps({
        "warmed": warmed,
        "statuses": [r.submission["status"] for r in results],
        "crashed": [i.message for r in results for i in r.issues if i.code == "FILE_CRASHED"],
        "rows": sum(r.submission["rows_accepted"] for r in results),
        "forms": sorted({f for r in results for f in r.forms}),
        "district_rows": sum(
            len(r.plain_tables.get("poverty_districts", {}).get("source_row", []))
            for r in results
        ),
        "quarantined": sum(len(r.quarantine_rows) for r in results),
        "modules": sorted(m for m in ("pandas", "pyarrow") if m in sys.modules),
        "first": FIRST,
    }))
'''


def _picked(sample_raw: Path) -> list[Path]:
    """Returns of every engine and oddity of the sample: xlsx, xlsm, xls, an xls named .xlsx,
    ods, an HTML table saved as .xls, TCVN3 and VNI text, a corrected resubmission, two whole
    years (quarantined rows among them) and the broken files."""
    planted = json.loads((sample_raw / "truth" / "variations.json").read_text("utf-8"))
    kinds = (
        "format_xlsx",
        "format_xlsm",
        "format_xls",
        "format_xls_named_xlsx",
        "format_ods",
        "format_html_xls",
        "text_tcvn3",
        "text_vni",
        "corrected_resubmission",
    )
    files = {sample_raw / where[0] for kind in kinds for where in planted[kind][:2]}
    for folder in ("2021", "2023", "khac"):
        files |= {p for p in (sample_raw / folder).rglob("*") if p.is_file()}
    return sorted(files)


def _in_a_worker(items: list[tuple[str, str]], folder: Path) -> dict:
    """`SCRIPT` run over these (file, raw folder) items in a fresh interpreter."""
    script = folder / "lean_worker.py"
    script.write_text(SCRIPT, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), json.dumps(list(WORKER_MODULES)), json.dumps(items)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["items"] = items
    return out


@pytest.fixture(scope="module")
def run(sample_raw: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    own = tmp_path_factory.mktemp("lean") / "raw"
    own.mkdir()
    written = [
        hf.write_csv_as_xls(own / "export.xls"),
        hf.write_xml2003_xls(own / "web_2003.xls"),
        fill_template(write_template("516", 2024, own / "bieu_516_2024.xlsx")),
    ]
    items = [(str(p), str(sample_raw)) for p in _picked(sample_raw)]
    items += [(str(p), str(own)) for p in written]
    return _in_a_worker(items, own.parent)


def _official_files(raw: Path) -> list[Path]:
    """The official forms `ketnghia sample --official` wrote: the province compilation of
    each form A-D (2021), and two district compilations of each form (2022)."""
    files = []
    for kind in KINDS:
        labels = FILE_LABEL[kind]
        files += sorted(p for p in (raw / "2021").iterdir() if labels[0] in p.name)
        district = [p for p in (raw / "2022").iterdir() if any(x in p.name for x in labels)]
        files += sorted(district)[:2]
    return files


@pytest.fixture(scope="module")
def official_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    raw = tmp_path_factory.mktemp("lean_official") / "raw"
    write_sample(raw, years=(2021, 2022), official=True)
    items = [(str(p), str(raw)) for p in _official_files(raw)]
    return _in_a_worker(items, raw.parent)


def test_the_picked_returns_cover_every_engine(run):
    formats = {sniff_format(path) for path, _root in run["items"] if not Path(path).match("khac/*")}
    assert {"xlsx", "xlsm", "xls", "ods", "html", "csv", "xml2003"} <= formats
    assert run["statuses"].count("ingested") >= 30 and "rejected" in run["statuses"]
    assert run["rows"] > 500 and run["quarantined"] > 0


def test_the_fork_server_and_its_workers_read_every_file_without_pandas(run):
    assert run["warmed"], "the warm-up did not build the normaliser"
    assert run["crashed"] == []
    assert "pandas" not in run["modules"], run["first"].get("pandas")
    assert "pyarrow" not in run["modules"], run["first"].get("pyarrow")


def test_official_forms_are_read_and_normalised_without_pandas(official_run):
    assert len(official_run["items"]) == 12  # per form: the province's and two districts'
    assert official_run["statuses"] == ["ingested"] * 12 and official_run["crashed"] == []
    assert official_run["forms"] == sorted(KINDS)
    assert official_run["rows"] > 500 and official_run["district_rows"] > 0  # district rows
    assert "pandas" not in official_run["modules"], official_run["first"].get("pandas")
    assert "pyarrow" not in official_run["modules"], official_run["first"].get("pyarrow")
