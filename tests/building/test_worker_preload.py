"""The reader workers' fork server prepares what every worker needs once (issue #18), and a
failure there never takes the server (and every build) down."""

import importlib
import tempfile
from pathlib import Path

from ketnghia_analysis.building import buildstate, worker, worker_preload


def test_the_fork_server_preloads_the_warm_up():
    assert "ketnghia_analysis.building.worker_preload" in buildstate.WORKER_MODULES


def test_warm_up_reads_a_blank_return_and_leaves_nothing_behind(monkeypatch):
    read = []
    real = worker_preload.process_file

    def spy(item):
        result = real(item)
        read.append(result)
        return result

    monkeypatch.setattr(worker_preload, "process_file", spy)
    before = set(Path(tempfile.gettempdir()).glob("ketnghia-warm-up-*"))
    worker_preload.warm_up()
    assert "normaliser" in worker._WORKER_STATE
    (result,) = read
    assert result.submission["status"] == "ingested", result.submission
    assert set(Path(tempfile.gettempdir()).glob("ketnghia-warm-up-*")) == before


def test_a_failing_warm_up_does_not_raise_at_import(monkeypatch):
    from ketnghia_analysis.reading import template

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(template, "write_template", broken)
    importlib.reload(worker_preload)  # what the fork server does: no exception escapes
