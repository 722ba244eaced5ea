"""The units of an official form's rows: the district of each row (a province compilation
spans districts), and its district rows checked against the sum of their communes.

A province compilation lists each district (numbered 1, 2, …, holding the district's sums)
followed by its communes (1.1, 1.2, …); the reader marks each record's ``level`` ("district"
or "commune") and ``district_label`` (the name on the district row above a commune). A
district row is an aggregate, never a commune: it goes to poverty_districts, for
reconciliation, and is checked against its communes (DISTRICT_SUM_MISMATCH).
"""

from __future__ import annotations

from typing import Any

from ketnghia_analysis.building.bad_values import nulled_of
from ketnghia_analysis.building.official_forms import COUNTS
from ketnghia_analysis.building.row_rules import check_duplicates, check_official
from ketnghia_analysis.building.rulebook import Context, as_number, fmt
from ketnghia_analysis.core.issues import Issue
from ketnghia_analysis.core.missing import is_missing

#: Sums of counts agree to half a unit.
TOLERANCE = 0.5


def is_district_row(rec: dict[str, Any]) -> bool:
    """A district row of a province compilation (an aggregate, not a unit)."""
    return rec.get("level") == "district"


def _text(value: object) -> str | None:
    if is_missing(value):
        return None
    text = str(value).strip()
    return text or None


def district_of_label(label: object) -> str | None:
    """The district code a label names ("Huyện Nam Trà My", "NAM TRÀ MY"), when exactly one.

    >>> district_of_label("Huyện Nam Trà My"), district_of_label("Xã Trà Mai")
    ('516', None)
    """
    from ketnghia_analysis.reading.grid import clean_text, fold_text
    from ketnghia_analysis.reading.identity import districts_in_text

    text = _text(label)
    if text is None:
        return None
    found = set(districts_in_text(fold_text(clean_text(text)), strong_only=False))
    return found.pop() if len(found) == 1 else None


def row_districts(recs: list[dict[str, Any]], ctx: Context) -> tuple[list[str | None], list[Issue]]:
    """The district code of each record, and DISTRICT_UNKNOWN for a row whose district cannot
    be told.

    A return without district rows (a district compilation, a commune's own file) is the
    return's district. In a province compilation a district row is the district it names,
    and a commune that of its ``district_label``, else that of the district row above it.
    """
    if not any(is_district_row(rec) for rec in recs):
        return [ctx.district_code] * len(recs), []
    code_of: dict[int, str | None] = {}  # position in recs → district code
    issues: list[Issue] = []
    current: str | None = None
    for i in sorted(range(len(recs)), key=lambda i: _row_of(recs[i])):
        rec = recs[i]
        given = _text(rec.get("district_code"))  # the reader's, from the district row
        if given is not None:
            current = given if is_district_row(rec) else current
            code_of[i] = given
            continue
        if is_district_row(rec):
            current = district_of_label(rec.get("commune"))
            code, label = current, rec.get("commune")
        else:
            label = rec.get("district_label")
            code = district_of_label(label) if _text(label) else current
        if code is None:
            issues.append(_unknown_district(rec, label, ctx))
        code_of[i] = code
    return [code_of[i] for i in range(len(recs))], issues


def _row_of(rec: dict[str, Any]) -> int:
    row = as_number(rec.get("source_row"))
    return int(row) if row is not None else 0


def _unknown_district(rec: dict[str, Any], label: object, ctx: Context) -> Issue:
    return ctx.issue(
        "DISTRICT_UNKNOWN",
        f"Không xác định được huyện '{_text(label) or ''}' của dòng này trong biểu tổng hợp "
        "của tỉnh.",
        row=rec.get("source_row"),
        column="commune",
        value=_text(label),
        expected="tên một huyện, thị xã, thành phố của tỉnh",
        suggestion="Ghi tên huyện trên dòng huyện (đánh số 1, 2, …) đứng trước các xã của nó.",
    )


def check_district_sums(recs: list[dict[str, Any]], kind: str, ctx: Context) -> list[Issue]:
    """DISTRICT_SUM_MISMATCH: a district row whose count differs from the sum of its
    communes (the unit rows after it, up to the next district row). An empty cell is 0; a
    sum over a cell left null for a bad value is unknown, not wrong."""
    ordered = sorted(recs, key=_row_of)
    starts = [i for i, rec in enumerate(ordered) if is_district_row(rec)]
    issues: list[Issue] = []
    for n, start in enumerate(starts):
        stop = starts[n + 1] if n + 1 < len(starts) else len(ordered)
        district, communes = ordered[start], ordered[start + 1 : stop]
        if not communes:
            continue
        for column in COUNTS[kind]:
            reported = as_number(district.get(column))
            if reported is None or any(column in nulled_of(rec) for rec in communes):
                continue
            total = sum(as_number(rec.get(column)) or 0.0 for rec in communes)
            if abs(reported - total) <= TOLERANCE:
                continue
            issues.append(
                ctx.issue(
                    "DISTRICT_SUM_MISMATCH",
                    f"Dòng {_text(district.get('commune')) or 'huyện'} ghi {fmt(reported)}, "
                    f"nhưng cộng {len(communes)} xã của huyện được {fmt(total)}.",
                    row=district.get("source_row"),
                    column=column,
                    value=reported,
                    expected=total,
                    suggestion="Sửa dòng huyện (hoặc công thức cộng) cho khớp các xã của huyện.",
                )
            )
    return issues


def official_rules(recs: list[dict[str, Any]], kind: str, ctx: Context) -> list[Issue]:
    """The row rules of an official form, once commune codes are known: its own rules
    (`check_official`), the district rows against their communes, one row per commune."""
    units = [rec for rec in recs if not is_district_row(rec)]
    return (
        check_official(recs, kind, ctx)
        + check_district_sums(recs, kind, ctx)
        + check_duplicates(units, ctx, ["commune_code"])
    )
