"""Shared fixtures: the sample generator's default run, built once for the whole session.

`sample_raw` is `ketnghia sample --broken` (18 districts × 2019–2024 plus the broken files);
`sample_built` is `ketnghia build` over it; `processed_dir` is its output folder, read by the
notebook, report and indicator tests. Tests must treat all three as read-only.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def sample_raw(tmp_path_factory) -> Path:
    """The generator's default run with the broken files: returns plus truth/."""
    from ketnghia_analysis.sample import write_sample

    raw = tmp_path_factory.mktemp("sample") / "raw"
    write_sample(raw, broken=True)
    return raw


@pytest.fixture(scope="session")
def sample_built(sample_raw, tmp_path_factory):
    """(raw folder, processed folder, BuildResult) of one build over `sample_raw`."""
    from ketnghia_analysis.building.build import build

    out = tmp_path_factory.mktemp("built") / "processed"
    result = build(sample_raw, out, progress=False)
    return sample_raw, out, result


@pytest.fixture(scope="session")
def processed_dir(sample_built) -> Path:
    """The processed folder of the sample build (read-only for tests)."""
    return sample_built[1]
