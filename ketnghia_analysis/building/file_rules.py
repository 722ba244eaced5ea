"""Rules across files and years: missing communes, continuity with the previous year, a commune's history."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ketnghia_analysis.building.rulebook import Context, as_number, fmt, records_of
from ketnghia_analysis.core.issues import Issue

# A value "far outside" the commune's own history: ratio to the median of its other years.
HISTORY_RATIO = 3.0
HISTORY_MIN_DIFF = 30


def check_missing(
    codes_found: Iterable[str], expected: pd.DataFrame, ctx: Context, form_vi: str
) -> list[Issue]:
    """MISSING_COMMUNE: communes of the district valid that year that the return leaves out.

    `expected` holds commune_code and commune_name.
    """
    found = {str(c) for c in codes_found if c is not None and not pd.isna(c)}
    issues = []
    for rec in records_of(expected.sort_values("commune_code")):
        if rec["commune_code"] not in found:
            issues.append(
                ctx.issue(
                    "MISSING_COMMUNE",
                    f"{form_vi} thiếu {rec['commune_name']} (mã {rec['commune_code']}), "
                    "một đơn vị của huyện trong năm.",
                    value=None,
                    expected=rec["commune_name"],
                    suggestion=f"Bổ sung dòng cho {rec['commune_name']}.",
                )
            )
    return issues


def merger_years(communes: pd.DataFrame) -> dict[str, set[int]]:
    """Commune code → return years from which it holds a unit merged into it.

    A unit valid until 31/12/2019 and succeeded by code X makes 2020 a break year of X:
    X's 2020 figures cover more territory than its 2019 ones.
    """
    breaks: dict[str, set[int]] = {}
    if communes is None or communes.empty or "successor_code" not in communes.columns:
        return breaks
    merged = communes[communes["successor_code"].notna() & communes["valid_to"].notna()]
    for code, end in zip(merged["successor_code"], merged["valid_to"], strict=True):
        year = (pd.Timestamp(end) + pd.Timedelta(days=1)).year
        breaks.setdefault(str(code), set()).add(year)
    return breaks


def _row_context(rec: dict, columns_of: dict | None) -> Context:
    """The context of a processed-table row (its file, sheet, district, year, columns)."""
    where = (rec["source_file"], rec["source_sheet"])
    return Context(
        *where, rec["district_code"], int(rec["year"]), (columns_of or {}).get(where, {})
    )


def check_continuity(
    poverty: pd.DataFrame,
    columns_of: dict | None = None,
    breaks: dict[str, set[int]] | None = None,
) -> list[Issue]:
    """PREV_YEAR_MISMATCH: poor_start of a year vs poor_end of the previous year.

    Two steps are expected to jump and are not reported: 2021 → 2022 (the poverty
    standard changes; poverty_standard labels each row) and the year a commune absorbs a
    merged unit (`breaks`, from merger_years).
    """
    if poverty.empty:
        return []
    frame = poverty[
        [
            "year",
            "district_code",
            "commune_code",
            "commune_name",
            "poor_start",
            "poor_end",
            "poverty_standard",
            "source_file",
            "source_sheet",
            "source_row",
        ]
    ].copy()
    prev = frame[["year", "commune_code", "poor_end", "poverty_standard"]].copy()
    prev["year"] = prev["year"] + 1
    merged = frame.merge(prev, on=["year", "commune_code"], suffixes=("", "_prev"))
    issues = []
    for rec in records_of(merged):
        if rec["poverty_standard"] != rec["poverty_standard_prev"]:
            continue
        if int(rec["year"]) in (breaks or {}).get(str(rec["commune_code"]), set()):
            continue
        start, before = as_number(rec["poor_start"]), as_number(rec["poor_end_prev"])
        if start is None or before is None or start == before:
            continue
        ctx = _row_context(rec, columns_of)
        issues.append(
            ctx.issue(
                "PREV_YEAR_MISMATCH",
                f"{rec['commune_name']}: hộ nghèo đầu năm {rec['year']} ghi {fmt(start)}, nhưng "
                f"hộ nghèo cuối năm {rec['year'] - 1} là {fmt(before)}.",
                row=rec["source_row"],
                column="poor_start",
                value=start,
                expected=before,
                suggestion="Số đầu năm phải bằng số cuối năm trước; kiểm tra một trong hai năm.",
            )
        )
    return issues


# column → (ratio to the median of the other years, smallest absolute difference).
# Households do not double in a year; poverty can fall fast, so it needs a wider band.
HISTORY_BANDS = {"households_total": (2.0, 100), "poor_end": (5.0, 50)}


def check_history(
    poverty: pd.DataFrame,
    columns: Iterable[str] = ("households_total", "poor_end"),
    columns_of: dict | None = None,
    breaks: dict[str, set[int]] | None = None,
) -> list[Issue]:
    """HISTORY_OUTLIER: a value far from the median of the commune's other years.

    Years are compared only within one segment of a commune's history: the same poverty
    standard, and no merger in between (`breaks`). Needs three years in the segment.
    """
    issues: list[Issue] = []
    if poverty.empty:
        return issues
    frame = poverty.copy()
    segment = []
    for code, year in zip(frame["commune_code"], frame["year"], strict=True):
        cuts = sorted(y for y in (breaks or {}).get(str(code), set()) if y <= int(year))
        segment.append(cuts[-1] if cuts else 0)
    frame["_segment"] = segment
    keys = ["commune_code", "poverty_standard", "_segment"]
    for col in columns:
        ratio, min_diff = HISTORY_BANDS.get(col, (HISTORY_RATIO, HISTORY_MIN_DIFF))
        # the median of the whole segment, the value included: with three years a single
        # wrong value cannot drag it (the median of the other two could)
        values = pd.to_numeric(frame[col], errors="coerce").astype("float64")
        grouped = values.groupby([frame[k] for k in keys])
        median = grouped.transform("median")
        known = grouped.transform("count")
        high = (median > 0) & (values >= ratio * median)
        low = (values > 0) & (values * ratio <= median)
        zero = (values == 0) & (median >= min_diff)
        far = (values - median).abs() >= min_diff
        flagged = frame[(known >= 3) & values.notna() & far & (high | low | zero)]
        for idx, rec in zip(flagged.index, records_of(flagged), strict=True):
            ctx = _row_context(rec, columns_of)
            value, mid = values.loc[idx], float(median.loc[idx])
            issues.append(
                ctx.issue(
                    "HISTORY_OUTLIER",
                    f"{rec['commune_name']}: {col} năm {rec['year']} là {fmt(value)}, rất "
                    f"khác trung vị {fmt(mid)} của các năm cùng chuẩn nghèo.",
                    row=rec["source_row"],
                    column=col,
                    value=value,
                    expected=f"gần {fmt(mid)}",
                    suggestion="Kiểm tra lỗi gõ (thừa/thiếu chữ số, nhầm cột).",
                )
            )
    return issues
