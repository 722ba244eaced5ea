"""The build's warm-up thread: what the assembly and the writing need, paid while the reader
workers read.

A build's own process only waits while the workers read. So a thread, started with the
workers, imports pandas and what the assembly and the writing need, parses the partner
registry, makes the codebook (`codebook.rendered`) and then does the assembly's first-call
work on made-up rows (`assemble.rehearsal`), until the reading is done (`WarmUp.finish`).
This module imports none of them itself: `ketnghia build` starts the workers before its own
process has imported pandas (issue #18). Nothing here changes a result: only per-process
caches and the libraries' first use are warmed.
"""

from __future__ import annotations

import threading
from pathlib import Path

#: Set once this process paid the assembly's first-call costs, by a build's assembly or a
#: whole rehearsal: a warm builder's later builds (`warm.Builder`, ``ketnghia build
#: --watch``) skip the rehearsal, which would only compete with their reading.
REHEARSED = threading.Event()


class WarmUp(threading.Thread):
    """The warm-up thread of `warm_up_assembly`; `finish` when the reading is done."""

    def __init__(self, previous: Path | None = None) -> None:
        super().__init__(name="ketnghia-warm-up", daemon=True)
        self.enough = threading.Event()  # set: the rehearsal stops at its next step
        self.previous = previous  # the out folder whose workbooks the build may keep

    def run(self) -> None:
        try:
            from ketnghia_analysis.building import assemble, codebook, feedback, write  # noqa: F401
            from ketnghia_analysis.reference import gazetteer
            from ketnghia_analysis.reference.partners import PartnerRegistry

            gazetteer.communes()
            PartnerRegistry.load()  # parsed once per process (`partners._shipped`)
            if self.previous is None or not codebook.recorded(self.previous):
                codebook.rendered()  # made once per process, from code alone
            for _ in () if REHEARSED.is_set() else assemble.rehearsal(gazetteer):
                if self.enough.is_set():
                    break
            else:
                REHEARSED.set()
        except Exception:  # noqa: BLE001 - only a head start: assemble imports them anyway
            pass

    def finish(self) -> None:
        """Wait for the imports and the codebook; the rehearsal stops at its next step."""
        self.enough.set()
        self.join()


def warm_up_assembly(previous: Path | None = None) -> WarmUp:
    """Start the warm-up thread (see the module's docstring); `previous`: the out folder whose
    unchanged workbooks the build keeps (None: it writes them all), where a codebook of this
    code needs no making. Neither the thread nor the build imports pandera: the tables are
    screened by `building/table_checks.py` and the codebook is made from what the schemas
    are made of (issue #18)."""
    thread = WarmUp(previous)
    thread.start()
    return thread
