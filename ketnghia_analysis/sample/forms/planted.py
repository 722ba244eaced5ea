"""Planted value errors: the issue a correct build reports and the row it quarantines."""

from __future__ import annotations

from ketnghia_analysis.core.address import a1
from ketnghia_analysis.sample.forms.style import Ctx


def plant_issue(ctx: Ctx, code: str, severity: str, sheet: str, r: int, c: int, note: str) -> None:
    """Record an issue the build must report at cell (r, c) of ``sheet``."""
    ctx.issues.append(
        {
            "code": code,
            "severity": severity,
            "source_file": ctx.file,
            "source_sheet": sheet,
            "cell": a1(r, c),
            "note": note,
        }
    )


def quarantine_row(ctx: Ctx, code: str, sheet: str, r: int) -> None:
    """Record that the build must quarantine 0-based row ``r`` of ``sheet``."""
    ctx.quarantine.append(
        {"source_file": ctx.file, "source_sheet": sheet, "source_row": r + 1, "codes": code}
    )
