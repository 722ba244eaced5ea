"""Rules across files and years: missing communes, continuity with the previous year, a commune's history."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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


def support_returns(
    live: Iterable[Any],
) -> tuple[dict[tuple[str, int], tuple[str, str]], dict[tuple[str, int], set[str]]]:
    """From the live files' results (``FileResult``): (district, year) → (file, sheet) of its
    Biểu 01/KN, and (district, year) → communes named by its quarantined Biểu 01/KN rows."""
    received: dict[tuple[str, int], tuple[str, str]] = {}
    quarantined: dict[tuple[str, int], set[str]] = {}
    for res in live:
        sub = res.submission
        if sub["district_code"] is None or sub["year"] is None:
            continue
        key = (str(sub["district_code"]), int(sub["year"]))
        if "support" in res.form_sheets:
            received.setdefault(key, (res.source_file, res.form_sheets["support"]))
        for row in res.quarantine_rows:
            code = row.get("commune_code")
            if row["form"] == "support" and isinstance(code, str):
                quarantined.setdefault(key, set()).add(code)
    return received, quarantined


def _support_rows(support: pd.DataFrame) -> list[dict]:
    """The support rows the pairing rules read, codes as text, years as int."""
    frame = support.copy()
    frame["commune_code"] = frame["commune_code"].astype(str)
    frame["partner_id"] = frame["partner_id"].astype(str)
    frame["year"] = frame["year"].astype(int)
    return records_of(frame.sort_values(["commune_code", "partner_id", "year"]))


def check_pairings(
    support: pd.DataFrame,
    received: dict[tuple[str, int], tuple[str, str]],
    quarantined: dict[tuple[str, int], set[str]] | None = None,
    columns_of: dict | None = None,
    gazetteer: Any = None,
) -> list[Issue]:
    """The pairing register's findings, from every year's Biểu 01/KN.

    - PAIR_START_BLANK: a pairing whose start year is blank in every year's row (the row's
      year is not its start: the commune cannot enter the effect estimate);
    - MISSING_COMMUNE (Biểu 01/KN): a commune twinned by then (a start year or a row of an
      earlier year) that a received Biểu 01/KN of its district leaves out (no row, not even
      a quarantined one);
    - PAIRING_GAP: a pairing absent from a year between two of its years while the commune
      has rows of other partners that year.

    ``received``: (district, year) → (file, sheet) of the district's Biểu 01/KN;
    ``quarantined``: (district, year) → communes with a quarantined Biểu 01/KN row;
    ``gazetteer`` (``reference.gazetteer``): a commune merged away is not expected after.
    """
    if support is None or support.empty:
        return []
    rows = _support_rows(support)
    valid = None
    if gazetteer is not None:
        years = sorted({year for _, year in received})
        valid = {y: set(gazetteer.communes_in_year(y)["commune_code"].astype(str)) for y in years}
    issues = _blank_starts(rows, columns_of)
    issues += _missing_support(rows, received, quarantined or {}, valid)
    issues += _pairing_gaps(rows, columns_of)
    return issues


def _blank_starts(rows: list[dict], columns_of: dict | None) -> list[Issue]:
    """PAIR_START_BLANK at the first row of each pairing whose start is blank every year."""
    issues: list[Issue] = []
    by_pair: dict[tuple[str, str], list[dict]] = {}
    for rec in rows:
        by_pair.setdefault((rec["commune_code"], rec["partner_id"]), []).append(rec)
    for (code, _), recs in sorted(by_pair.items()):
        if any(as_number(r["pair_start_year"]) is not None for r in recs):
            continue
        first = recs[0]
        issues.append(
            _row_context(first, columns_of).issue(
                "PAIR_START_BLANK",
                f"Xã mã {code} kết nghĩa với {first['partner_name']}: năm bắt đầu kết nghĩa "
                f"để trống ở mọi năm (từ {first['year']}); không biết xã kết nghĩa từ năm nào "
                "nên xã không được dùng trong ước lượng tác động.",
                row=first["source_row"],
                column="pair_start_year",
                value=None,
                suggestion="Ghi năm bắt đầu kết nghĩa (hoặc bổ sung vào data/pairings.csv).",
            )
        )
    return issues


def _missing_support(
    rows: list[dict],
    received: dict[tuple[str, int], tuple[str, str]],
    quarantined: dict[tuple[str, int], set[str]],
    valid: dict[int, set[str]] | None,
) -> list[Issue]:
    """MISSING_COMMUNE of Biểu 01/KN: twinned communes a received return leaves out."""
    start: dict[str, int] = {}
    district: dict[str, str] = {}
    seen: set[tuple[str, int]] = set()
    for rec in rows:
        code, year = rec["commune_code"], rec["year"]
        begin = as_number(rec["pair_start_year"])
        begin_year = min(year, int(begin)) if begin is not None else year
        start[code] = min(start.get(code, begin_year), begin_year)
        district[code] = str(rec["district_code"])
        seen.add((code, year))
    issues = []
    for code in sorted(start):
        for (dcode, year), (source_file, sheet) in sorted(received.items()):
            if dcode != district[code] or year < start[code] or (code, year) in seen:
                continue
            if code in quarantined.get((dcode, year), set()):
                continue
            if valid is not None and code not in valid.get(year, {code}):
                continue
            ctx = Context(source_file, sheet, dcode, year)
            issues.append(
                ctx.issue(
                    "MISSING_COMMUNE",
                    f"Biểu 01/KN thiếu xã mã {code}, xã đang kết nghĩa (từ năm {start[code]}).",
                    value=None,
                    expected=code,
                    suggestion="Bổ sung dòng hỗ trợ của xã; nếu kết nghĩa đã kết thúc, ghi năm "
                    "kết thúc vào data/pairings.csv.",
                )
            )
    return issues


def _pairing_gaps(rows: list[dict], columns_of: dict | None) -> list[Issue]:
    """PAIRING_GAP at the row after a pairing's missing year(s)."""
    years_of: dict[str, set[int]] = {}
    for rec in rows:
        years_of.setdefault(rec["commune_code"], set()).add(rec["year"])
    issues = []
    previous: dict | None = None
    for rec in rows:
        same = previous is not None and (previous["commune_code"], previous["partner_id"]) == (
            rec["commune_code"],
            rec["partner_id"],
        )
        if same and previous is not None:
            between = set(range(previous["year"] + 1, rec["year"]))
            gaps = sorted(between & years_of[rec["commune_code"]])
            if gaps:
                years = ", ".join(str(y) for y in gaps)
                issues.append(
                    _row_context(rec, columns_of).issue(
                        "PAIRING_GAP",
                        f"Xã mã {rec['commune_code']} – {rec['partner_name']}: có dòng năm "
                        f"{previous['year']} và {rec['year']} nhưng không có năm {years}, dù xã "
                        "có dòng của đơn vị khác năm đó.",
                        row=rec["source_row"],
                        column="partner_name",
                        value=rec["partner_name"],
                        suggestion="Kiểm tra năm bị thiếu: bỏ sót dòng hay kết nghĩa tạm dừng.",
                    )
                )
        previous = rec
    return issues
