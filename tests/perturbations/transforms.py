"""Every transform of the catalogue, by name, and the catalogue itself (`catalogue.csv`).

`TRANSFORMS[name].apply(book, rng)` edits a `Book` in place, deterministically for a given
`random.Random`; `catalogue()` reads the CSV (name, level, description, why_realistic,
status); `ok_names()` are the transforms the reader copes with today, the ones the
combination test draws from. A test checks that CSV and code name the same transforms.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import perturbations.t_layout
import perturbations.t_sheets
import perturbations.t_text
import perturbations.t_values  # noqa: F401 - each module registers its transforms
from perturbations.registry import TRANSFORMS, Transform

CATALOGUE = Path(__file__).with_name("catalogue.csv")
LEVELS = ("cell", "column", "row", "sheet", "workbook")

__all__ = ["CATALOGUE", "TRANSFORMS", "Entry", "Transform", "catalogue", "ok_names"]


@dataclass(frozen=True)
class Entry:
    """One line of the catalogue."""

    name: str
    level: str
    description: str
    why_realistic: str
    status: str  # "ok" or "known: <class of failure>"

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def catalogue() -> dict[str, Entry]:
    """The catalogue, by name, in file order."""
    with CATALOGUE.open(encoding="utf-8", newline="") as f:
        return {row["name"]: Entry(**row) for row in csv.DictReader(f)}


def ok_names() -> list[str]:
    """The transforms the reader copes with today."""
    return [name for name, entry in catalogue().items() if entry.ok]
