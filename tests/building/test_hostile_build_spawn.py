"""The hostile-folder build as on Windows: workers spawned, no `resource` module anywhere.

The build runs in a subprocess whose `resource` is hidden by a module of that name that
raises ImportError, first on the sys.path the spawned reader workers inherit; the workers'
memory limit is then the parent's watchdog (`reading/memory_limit.py`). Every hostile file
must still be rejected with its own reason, the good return ingested, no traceback printed.
"""

from __future__ import annotations

import os
import subprocess
import sys

import hostile_files as hf
import pandas as pd

BOOT = """
import sys
import psutil  # on Linux psutil imports resource itself: load it before hiding it
sys.path.insert(0, sys.argv[1])
sys.modules.pop("resource", None)
from ketnghia_analysis.cli import main
raise SystemExit(main(sys.argv[2:]))
"""


def test_hostile_folder_builds_spawned_without_resource(tmp_path):
    raw = tmp_path / "raw"
    expected = hf.write_hostile_folder(raw / "hostile")
    # the reference poverty sheet: its header names only part of 02/HN, its columns' contents
    # (communes, households >= poor, the rate between them) complete it (HEADER_BY_CONTENT)
    hf.write_good_xlsx(raw / "hostile" / "tot.xlsx")
    shadow = tmp_path / "no_resource"
    shadow.mkdir()
    (shadow / "resource.py").write_text('raise ImportError("no resource module (simulated)")\n')
    out = tmp_path / "processed"
    done = subprocess.run(
        [sys.executable, "-c", BOOT, str(shadow), "build", "--raw", str(raw), "--out", str(out)]
        + ["--no-progress", "--workers", "2"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "KETNGHIA_START_METHOD": "spawn"},
        timeout=300,
    )
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    subs = pd.read_parquet(out / "submissions.parquet").set_index("source_file")
    assert set(subs.index) == {f"hostile/{name}" for name in expected} | {"hostile/tot.xlsx"}
    assert subs.loc["hostile/tot.xlsx", "status"] == "ingested"
    assert (subs.drop(index="hostile/tot.xlsx")["status"] == "rejected").all()
    assert "mật khẩu" in subs.loc["hostile/encrypted_xlsx.xlsx", "reason"]
    assert "bom nén" in subs.loc["hostile/zip_bomb_declared.xlsx", "reason"]
