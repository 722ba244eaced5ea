"""Imported only by the reader workers' fork server (`buildstate.WORKER_MODULES`): builds the
worker's normaliser there once, so every worker forked from the server starts with it
instead of building it on its first file (~0.1 s per worker on the build's critical path,
issue #18). Without a fork server (Windows, macOS) nothing imports this module.

A failure here must not take the fork server down: the worker then builds the normaliser on
its first file as before, and that file gets the message.
"""

from __future__ import annotations

from ketnghia_analysis.building.worker import worker_normaliser

try:
    worker_normaliser()
except Exception:  # noqa: BLE001 - the first file of each worker tries again and reports
    pass
