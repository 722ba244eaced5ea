"""Planted value errors: the issue a correct build reports, and the row it quarantines or the
fields it leaves null."""

from __future__ import annotations

from ketnghia_analysis.core.address import a1
from ketnghia_analysis.sample.forms.style import Ctx


def plant_issue(
    ctx: Ctx,
    code: str,
    severity: str,
    sheet: str,
    r: int,
    c: int,
    note: str,
    nulled: tuple[tuple, tuple[str, ...]] | None = None,
) -> None:
    """Record an issue the build must report at cell (r, c) of ``sheet``.

    ``nulled`` is (truth key, fields) for a bad value the build keeps its row for: those
    fields of that row are null in the truth tables (issue #20, keep rows).
    """
    ctx.issues.append(
        {
            "code": code,
            "severity": severity,
            "source_file": ctx.file,
            "source_sheet": sheet,
            "cell": a1(r, c),
            "note": note,
            **({"truth_key": nulled[0], "nulled": nulled[1]} if nulled else {}),
        }
    )


def nulled_fields(issues: list[dict]) -> dict[tuple, set[str]]:
    """Truth key → the fields the build leaves null for the planted bad values."""
    out: dict[tuple, set[str]] = {}
    for issue in issues:
        if issue.get("nulled"):
            out.setdefault(issue["truth_key"], set()).update(issue["nulled"])
    return out


def quarantine_row(ctx: Ctx, code: str, sheet: str, r: int) -> None:
    """Record that the build must quarantine 0-based row ``r`` of ``sheet``."""
    ctx.quarantine.append(
        {"source_file": ctx.file, "source_sheet": sheet, "source_row": r + 1, "codes": code}
    )
