"""The registry of transforms: each catalogue name → a function that edits a `Book`."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from perturbations.book import Book, Layout


@dataclass(frozen=True)
class Transform:
    """One realistic edit that keeps the return's truth (see catalogue.csv)."""

    name: str
    apply: Callable[[Book, random.Random], None]
    needs: frozenset[str]  # form kinds the base file must have
    when: Callable[[Layout], bool]  # any further condition on the base file

    def applies_to(self, layout: Layout) -> bool:
        return self.needs <= layout.kinds() and self.when(layout)


TRANSFORMS: dict[str, Transform] = {}


def transform(
    name: str, needs: tuple[str, ...] = (), when: Callable[[Layout], bool] = lambda _: True
) -> Callable:
    """Register the decorated function under `name` (once)."""

    def register(fn: Callable[[Book, random.Random], None]) -> Callable:
        if name in TRANSFORMS:
            raise KeyError(f"transform {name} registered twice")
        TRANSFORMS[name] = Transform(name, fn, frozenset(needs), when)
        return fn

    return register
