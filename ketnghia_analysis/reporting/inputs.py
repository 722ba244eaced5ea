"""The processed tables a report run reads: one consistent copy, pinned for the whole run.

A report run lasts minutes and its workers and kernels each load the tables; a build may
swap in new tables meanwhile. The run therefore copies the tables once, under the shared
tables lock and after checking them against the build manifest (``core/snapshot.py``),
into a private folder that every worker and notebook of the run reads, and whose hashes
the run's manifest records. A build is held up only for the copy (hard links where the file
system allows, else copies that keep the files' times).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ketnghia_analysis.core.snapshot import MANIFEST, check_consistent, reading

#: The marker `charts.is_synthetic` looks for: a copy of sample tables stays sample tables.
SYNTHETIC_MARKER = "SYNTHETIC"


@contextmanager
def pinned(processed: Path) -> Iterator[Path]:
    """A private copy of the processed tables (``*.parquet`` and the manifest), removed
    when the block ends.

    Raises
    ------
    MixedTablesError
        When the folder's tables are not the set its manifest lists (Vietnamese message).
    TimeoutError
        When a build's swap holds the tables lock over a minute.
    """
    from ketnghia_analysis.reporting.charts import is_synthetic

    copy = Path(tempfile.mkdtemp(prefix="ketnghia-bang-"))
    try:
        with reading(processed):
            check_consistent(processed)
            for path in [*sorted(processed.glob("*.parquet")), processed / MANIFEST]:
                if path.is_file():
                    _link_or_copy(path, copy / path.name)
        if is_synthetic(processed):
            (copy / SYNTHETIC_MARKER).touch()
        yield copy
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def _link_or_copy(source: Path, target: Path) -> None:
    """A hard link (a build replaces files, never rewrites them), else a copy with times."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
