"""A read return made by hand: the fields `normalise_return` reads, around forms a test builds
(shared by the normaliser's tests)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any


def a_return(
    forms: list[Any],
    district: str | None = "516",
    year: int | None = 2023,
    source_file: str | None = None,
) -> Any:
    """A `ReturnRead`-like object of `forms`; the file is "<district>/bc_<year>.xlsx"."""
    return SimpleNamespace(
        source_file=source_file or f"{district}/bc_{year}.xlsx",
        sha256="0" * 64,
        size_bytes=1,
        format="xlsx",
        status="read",
        reason=None,
        district_code=district,
        year=year,
        report_date=None,
        modified=None,
        forms=forms,
        skipped_sheets=[],
        issues=[],
    )
