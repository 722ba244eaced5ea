"""The findings of a row's commune name: none given, not in the gazetteer (or several
communes), matched only roughly, or an old name (`Normaliser` matches each row's name)."""

from __future__ import annotations

from typing import Any

from ketnghia_analysis.building.rulebook import Context
from ketnghia_analysis.core.issues import Issue


def no_commune(ctx: Context, row: Any) -> Issue:
    """UNKNOWN_COMMUNE on a data row that gives no commune name."""
    return ctx.issue(
        "UNKNOWN_COMMUNE",
        "Dòng không ghi tên xã.",
        row=row,
        column="commune",
        value=None,
        expected="tên một xã của huyện",
        suggestion="Ghi tên xã vào ô này.",
    )


def match_finding(match: Any, label: str, row: Any, ctx: Context) -> Issue | None:
    """The finding of a commune match: none when exact, a warning when fuzzy or an old name,
    an error when no commune (or several) match."""
    if match.code is None:
        code = "AMBIGUOUS_COMMUNE" if match.method == "ambiguous" else "UNKNOWN_COMMUNE"
        hints = ", ".join(f"{name} ({c})" for c, name, _ in match.suggestions[:3])
        what = (
            "khớp với nhiều xã"
            if code == "AMBIGUOUS_COMMUNE"
            else "không có trong danh mục xã của huyện năm " + str(ctx.year)
        )
        return ctx.issue(
            code,
            f"Tên xã '{label}' {what}.",
            row=row,
            column="commune",
            value=label,
            expected="tên một xã của huyện trong năm",
            suggestion=f"Có phải: {hints}?" if hints else None,
        )
    if match.method == "fuzzy":
        return ctx.issue(
            "COMMUNE_FUZZY",
            f"Tên xã '{label}' được hiểu là {match.name} (khớp gần đúng {match.confidence:.0%}).",
            row=row,
            column="commune",
            value=label,
            expected=match.name,
            suggestion=f"Ghi đúng tên chính thức: {match.name}.",
        )
    if match.method in ("renamed", "merged"):
        # A name valid in another year (renamed, or a unit merged into this one): the code
        # is right, but the return should use the name of its year.
        what = "đã đổi tên" if match.method == "renamed" else "đã sáp nhập vào"
        return ctx.issue(
            "COMMUNE_OLD_NAME",
            f"Tên xã '{label}' là tên cũ ({what} {match.name} trong năm {ctx.year}).",
            row=row,
            column="commune",
            value=label,
            expected=match.name,
            suggestion=f"Dùng tên chính thức của năm {ctx.year}: {match.name}.",
        )
    return None
