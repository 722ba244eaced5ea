"""Imported only by the reader workers' fork server (`buildstate.WORKER_MODULES`): prepares,
once, what every worker forked from the server would otherwise prepare on its first file.

That is the normaliser (commune matcher, partner registry) and whatever the reader builds
on first use (the synonyms of every form, its regular expressions, the cell engines): a
worker's first file took ~290 ms against ~25 ms for the next (issue #18). So the server
writes the blank return of one district (`reading.template`, a workbook of the product's
own making, in a temporary folder) and reads it once, as a worker reads a return; the
server does this while the build's own process is still importing. Without a fork server
(Windows, macOS) nothing imports this module.

A failure here must not take the fork server down: a worker then prepares what is missing
on its first file, as before, and that file gets any message.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from ketnghia_analysis.building.worker import process_file, worker_normaliser

#: The district and year of the blank return read to warm up (any of the gazetteer's).
WARM_UP_RETURN = ("516", 2024)


def warm_up() -> None:
    """Build the normaliser and read one blank return through the whole per-file path."""
    from ketnghia_analysis.reading.template import write_template

    worker_normaliser()
    with tempfile.TemporaryDirectory(prefix="ketnghia-warm-up-") as folder:
        path = write_template(*WARM_UP_RETURN, Path(folder) / "warm-up.xlsx")
        process_file((str(path), folder))


try:
    warm_up()
except Exception:  # noqa: BLE001 - the first file of each worker prepares what is missing
    pass
