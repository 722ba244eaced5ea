"""The variation fuzzer (issue #20): consistent sample returns, edited the ways real returns
differ, must build to the same truth with no false alarm.

A transform of `tests/perturbations/catalogue.csv` keeps a return's truth (another writing
of the same numbers, marks, names or layout). After any of them, or any combination, the
build must (a) recover every truth value of the file, rows matched by content key
(commune, year, criterion / partner / model), never by row; (b) raise no error-level
finding and no rate, total or identity mismatch (`harness.MISMATCH_CODES`) unless as an
info-level note; (c) keep rows_read = accepted + quarantined + structural.

* `test_one_transform_at_a_time`: each transform alone on three returns (two hold the four
  forms) — the precise regression net. A transform the reader cannot cope with yet has
  status "known: <class>" in the catalogue and is an expected failure (strict: when the
  reader is fixed, the test says to set the status to "ok").
* `test_perturbation_combinations.py` draws combinations (a separate file, so that the
  two halves run on different test workers).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from perturbations.harness import Base, consistent_returns, load_base, run
from perturbations.transforms import LEVELS, TRANSFORMS, catalogue

#: The sweep's returns: the first two hold every form (01/KN, 02/HN, 03/NTM, 04/MH), years
#: either side of the 2022 break, different layouts (total row under / over the data,
#: sections); the third has criteria named in its NTM header and rates as numbers 9,64.
SWEEP = [
    "2024/BC ket nghia 2024 - Nam Tra My.xlsx",
    "2021/BC ket nghia 2021 - Dong Giang.xlsx",
    "2021/Bao cao 2021 Bắc Trà My (1).xlsx",
]
#: Returns for the combinations: at most this many consistent .xlsx returns, spread over years.
POOL = 8


@pytest.fixture(scope="module")
def sweep_bases(sample_raw) -> list[Base]:
    usable = consistent_returns(sample_raw)
    assert set(SWEEP) <= set(usable), f"sweep returns no longer consistent .xlsx: {SWEEP}"
    bases = [load_base(sample_raw, rel) for rel in SWEEP]
    assert all(b.layout.kinds() == {"support", "poverty", "ntm", "models"} for b in bases[:2])
    return bases


# ---------------------------------------------------------------------------------------
# The catalogue
# ---------------------------------------------------------------------------------------
def test_catalogue_and_code_name_the_same_transforms():
    entries = catalogue()
    assert list(entries) == sorted(set(entries), key=list(entries).index)  # no name twice
    assert set(entries) == set(TRANSFORMS)
    assert len(entries) >= 40
    for e in entries.values():
        assert e.level in LEVELS, e
        assert e.description.strip() and e.why_realistic.strip(), e
        assert e.status == "ok" or e.status.startswith("known: "), e


def test_unperturbed_returns_build_to_their_truth(sweep_bases, tmp_path):
    """The harness itself: a return only re-saved by openpyxl passes every check."""
    assert run(sweep_bases, (), 0, tmp_path) == {b.rel: [] for b in sweep_bases}


# ---------------------------------------------------------------------------------------
# One transform at a time
# ---------------------------------------------------------------------------------------
def _sweep_params() -> list:
    out = []
    for name, entry in catalogue().items():
        marks = [] if entry.ok else [pytest.mark.xfail(strict=True, reason=entry.status)]
        out.append(pytest.param(name, marks=marks, id=name))
    return out


@pytest.mark.parametrize("name", _sweep_params())
def test_one_transform_at_a_time(name, sweep_bases, tmp_path):
    applies = [b for b in sweep_bases if TRANSFORMS[name].applies_to(b.layout)]
    assert applies, f"{name} applies to none of the sweep's returns"
    found = run(sweep_bases, (name,), 0, tmp_path, require_change=True)
    report = [f"{Path(rel).name}: {line}" for rel, lines in found.items() for line in lines]
    # ("changed none of the returns" means the transform tests nothing: fix the transform)
    assert not report, f"{name}:\n" + "\n".join(report[:12])
