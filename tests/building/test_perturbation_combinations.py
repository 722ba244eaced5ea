"""The variation fuzzer's combinations (issue #20): hypothesis draws a consistent sample
return and 1–4 "ok" transforms of `tests/perturbations/catalogue.csv`; the build must
recover the file's truth with no false alarm (see test_perturbations.py for the checks).

`KETNGHIA_FUZZ_EXAMPLES` sets the number of examples (default 25, derandomized so that
`make test` is reproducible; `make fuzz` runs many more, with a random seed).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from perturbations.harness import Base, consistent_returns, load_base, run
from perturbations.transforms import TRANSFORMS, ok_names

EXAMPLES = int(os.environ.get("KETNGHIA_FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize="KETNGHIA_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: Returns for the combinations: at most this many consistent .xlsx returns, spread over years.
POOL = 8


@pytest.fixture(scope="module")
def pool(sample_raw) -> list[Base]:
    usable = consistent_returns(sample_raw)
    step = max(1, len(usable) // POOL)
    return [load_base(sample_raw, rel) for rel in usable[::step][:POOL]]


# ---------------------------------------------------------------------------------------
@FUZZ
@given(data=st.data())
def test_combinations(pool, data):
    base = data.draw(st.sampled_from(pool), label="return")
    usable = [n for n in ok_names() if TRANSFORMS[n].applies_to(base.layout)]
    names = data.draw(
        st.lists(st.sampled_from(usable), min_size=1, max_size=4, unique=True), label="transforms"
    )
    seed = data.draw(st.integers(0, 2**16), label="seed")
    with tempfile.TemporaryDirectory() as folder:
        found = run([base], tuple(names), seed, Path(folder))
    assert found == {base.rel: []}, f"{base.rel} + {names} (seed {seed}):\n" + "\n".join(
        found[base.rel][:12]
    )
