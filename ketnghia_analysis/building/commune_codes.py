"""A row's "Mã xã" (the commune's GSO code), when the return has one: the row's identity.

Returns that carry a "Mã xã" / "Mã ĐVHC" column identify each commune by it; the code
outranks a misspelt name (issue #20). A code the gazetteer does not know for the district
and year leaves the name to decide, with a warning.
"""

from __future__ import annotations

from typing import Any

from ketnghia_analysis.building.rulebook import Context
from ketnghia_analysis.core.issues import Issue
from ketnghia_analysis.core.missing import is_missing


def _text(value: object) -> str | None:
    if is_missing(value):
        return None
    text = str(value).strip()
    return text or None


def commune_by_code(matcher: Any, rec: dict[str, Any], ctx: Context) -> tuple[Any, Issue | None]:
    """The commune of a row's "Mã xã" (GSO code), which outranks its name: (match or None,
    finding). A name naming another commune is a warning (the code is kept); a code the
    gazetteer does not know for the district and year is a warning and the name decides."""
    reported = _text(rec.get("commune_code_reported"))
    if reported is None:
        return None, None
    row, label = rec.get("source_row"), _text(rec.get("commune"))
    match = matcher.by_code(reported, ctx.district_code, ctx.year)
    if match is None:
        return None, ctx.issue(
            "COMMUNE_CODE_UNKNOWN",
            f"Mã xã '{reported}' không có trong danh mục xã của huyện năm {ctx.year}"
            + (": đã nhận xã theo tên." if label else "."),
            row=row,
            column="commune_code_reported",
            value=reported,
            expected="mã xã (5 chữ số) của một xã thuộc huyện trong năm",
            suggestion="Kiểm tra mã xã theo danh mục đơn vị hành chính.",
        )
    if label is None:
        return match, None
    named = matcher.match(label, ctx.district_code, ctx.year)
    if named.code is None or named.code == match.code:
        return match, None  # the code settles a misspelt or ambiguous name
    return match, ctx.issue(
        "COMMUNE_CODE_NAME_MISMATCH",
        f"Mã xã {reported} là {match.name} nhưng tên ghi '{label}' là {named.name}: "
        "đã nhận theo mã xã.",
        row=row,
        column="commune",
        value=label,
        expected=match.name,
        suggestion="Kiểm tra lại mã xã hoặc tên xã của dòng này.",
    )
