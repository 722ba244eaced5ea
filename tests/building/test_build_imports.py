"""`ketnghia build` hands the files to the reader workers before its own process has imported
pandas or the reader (issue #18): the modules on the way there import neither; pandas and the
assembly come in the warm-up thread (`building/warm_up.py`) while the workers read."""

from __future__ import annotations

import subprocess
import sys

#: What the build's own process imports before the workers get their first file.
ON_THE_WAY = (
    "ketnghia_analysis.cli",
    "ketnghia_analysis.building.build",
    "ketnghia_analysis.building.collect",
    "ketnghia_analysis.building.warm_up",
    "ketnghia_analysis.building.worker",
    "ketnghia_analysis.reading.sandbox",
)
#: Heavy for a start (pandas, pyarrow, numpy), or only the workers' (the reader, the rules).
NOT_YET = (
    "pandas",
    "pyarrow",
    "numpy",
    "ketnghia_analysis.reading.reader",
    "ketnghia_analysis.building.normalise",
    "ketnghia_analysis.building.assemble",
)


def test_the_way_to_the_workers_imports_neither_pandas_nor_the_reader():
    code = (
        "import importlib, sys\n"
        f"for name in {ON_THE_WAY!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(sorted(m for m in {NOT_YET!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_worker_entry_point_still_reads_and_normalises(tmp_path):
    """`process_file` imports the reader and the normaliser on its first file."""
    from ketnghia_analysis.building.worker import process_file
    from ketnghia_analysis.reading.template import write_template

    path = write_template("516", 2024, tmp_path / "blank.xlsx")
    result = process_file((str(path), str(tmp_path)))
    assert result.source_file == "blank.xlsx"
    assert result.submission["status"] != "rejected"
