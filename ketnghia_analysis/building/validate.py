"""The validation rules of issue #5: each finding an Issue with a stable code and a cell."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ketnghia_analysis.core.address import a1
from ketnghia_analysis.core.columns import POVERTY_COUNTS, SUPPORT_COUNTS
from ketnghia_analysis.core.fmt import fmt_number, fmt_percent
from ketnghia_analysis.core.issues import Issue
from ketnghia_analysis.core.missing import is_missing

# code → (severity, what the rule checks). An error-level finding on a data row sends
# that row to quarantine; a warning keeps it. The README's rule table is this dict.
RULES: dict[str, tuple[str, str]] = {
    "POVERTY_IDENTITY": (
        "error",
        "hộ nghèo cuối năm = đầu năm − thoát nghèo + tái nghèo + phát sinh",
    ),
    "POOR_EXCEEDS_HOUSEHOLDS": ("error", "số hộ nghèo (đầu năm, cuối năm) ≤ tổng số hộ"),
    "EXITS_EXCEED_POOR": ("error", "số hộ thoát nghèo ≤ số hộ nghèo đầu năm"),
    "POVERTY_RATE_MISMATCH": (
        "warning",
        "tỷ lệ hộ nghèo ghi trong báo cáo = hộ nghèo cuối năm / tổng số hộ",
    ),
    "NTM_TOTAL_MISMATCH": (
        "warning",
        "tổng số tiêu chí đạt ghi trong báo cáo = số tiêu chí đánh dấu",
    ),
    "NTM_RECOGNIZED_INCOMPLETE": (
        "warning",
        "xã công nhận đạt chuẩn NTM trong năm báo cáo phải đạt đủ 19 tiêu chí",
    ),
    "TOTAL_MISMATCH": ("warning", "dòng tổng cộng = tổng các dòng xã"),
    "UNKNOWN_COMMUNE": ("error", "tên xã không có trong danh mục xã của huyện trong năm"),
    "AMBIGUOUS_COMMUNE": ("error", "tên xã khớp với nhiều xã"),
    "DUPLICATE_COMMUNE": ("error", "một xã (hoặc một cặp đơn vị – xã) chỉ ghi một lần"),
    "MISSING_COMMUNE": ("warning", "mọi xã của huyện trong năm đều có trong báo cáo"),
    "PREV_YEAR_MISMATCH": (
        "warning",
        "hộ nghèo đầu năm = cuối năm trước (trừ năm đổi chuẩn 2022, năm sáp nhập xã)",
    ),
    "HISTORY_OUTLIER": ("warning", "giá trị không lệch xa lịch sử của chính xã đó"),
    "VALUE_NEGATIVE": ("error", "số liệu không âm"),
    "VALUE_NOT_NUMERIC": ("error", "ô số liệu phải là số"),
    "SUPPORT_OUTSIDE_TARGET": (
        "warning",
        "xã nhận hỗ trợ thuộc địa bàn kết nghĩa (miền núi, DTTS, biên giới)",
    ),
    "MISSING_PARTNER": ("error", "dòng Biểu 01/KN ghi tên đơn vị kết nghĩa"),
    "COMMUNE_FUZZY": ("warning", "tên xã chỉ khớp gần đúng (kiểm tra lại)"),
    "COMMUNE_OLD_NAME": (
        "warning",
        "tên xã dùng tên chính thức của năm báo cáo (không dùng tên cũ)",
    ),
    "SCHEMA_VIOLATION": ("error", "bảng đã xử lý đạt lược đồ pandera (kiểu, miền giá trị, khóa)"),
    "PARTNER_REVIEW": ("warning", "đơn vị kết nghĩa mới hoặc khớp gần đúng: cần xác nhận"),
    "IDENTITY_UNKNOWN": ("error", "xác định được huyện và năm của báo cáo"),
    "SUPERSEDED": ("warning", "tệp bị thay thế bởi tệp nộp sau của cùng huyện, năm"),
}

SUPPORT_NUMBERS = ["cash", "in_kind", *SUPPORT_COUNTS]
MODEL_NUMBERS = ["households"]
NUMERIC = {
    "poverty": POVERTY_COUNTS,
    "support": SUPPORT_NUMBERS,
    "models": MODEL_NUMBERS,
    "ntm": ["criteria_met"],
}
# Reported vs computed rate: rates are typed with 2 decimals of a percent at best.
RATE_TOLERANCE = 0.0006
# A value "far outside" the commune's own history: ratio to the median of its other years.
HISTORY_RATIO = 3.0
HISTORY_MIN_DIFF = 30


def records_of(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts, much faster than ``DataFrame.to_dict("records")`` on small frames.

    >>> records_of(pd.DataFrame({"a": [1, 2], "b": ["x", None]}))
    [{'a': 1, 'b': 'x'}, {'a': 2, 'b': nan}]
    """
    names = list(frame.columns)
    return [dict(zip(names, row, strict=True)) for row in frame.to_numpy(dtype=object).tolist()]


Records = pd.DataFrame | list[dict]


def _rows(records: Records) -> list[dict]:
    """The rules take a form's records as a frame or as its rows already turned into dicts
    (``records_of``): normalise.py converts each form once and passes the dicts to every rule.
    """
    return records if isinstance(records, list) else records_of(records)


def fmt(value: object) -> str | None:
    """A number as shown to a district, Vietnamese style: 1.234 and 1.234,5 (up to 3 decimals).

    >>> fmt(1234.0), fmt(1967.5), fmt(0.125), fmt(None), fmt("x")
    ('1.234', '1.967,5', '0,125', None, 'x')
    """
    if is_missing(value):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return str(value)
    number = float(value)
    if number.is_integer():
        return fmt_number(number, 0)
    text = fmt_number(number, 3)
    return text.rstrip("0").rstrip(",")


@dataclass
class Context:
    """Where a form's records came from: enough to address every cell."""

    source_file: str | None
    source_sheet: str | None
    district_code: str | None
    year: int | None
    columns: dict[str, int] = field(default_factory=dict)

    def cell(self, column: str | None, row: object) -> str | None:
        """A1 address of a canonical column on an Excel row (1-based), when known."""
        if row is None or pd.isna(row):
            return None
        if column is None or column not in self.columns:
            first = min(self.columns.values()) if self.columns else 0
            return a1(int(row) - 1, first)
        return a1(int(row) - 1, int(self.columns[column]))

    def issue(
        self,
        code: str,
        message: str,
        *,
        row: object = None,
        column: str | None = None,
        value: object = None,
        expected: object = None,
        suggestion: str | None = None,
        severity: str | None = None,
    ) -> Issue:
        """An Issue of this rule at this cell; the message gets its " [CODE]" suffix."""
        sev = severity or RULES[code][0]
        return Issue(
            severity=sev,
            code=code,
            message=f"{message} [{code}]",
            source_file=self.source_file,
            source_sheet=self.source_sheet,
            cell=self.cell(column, row) if row is not None else None,
            value=fmt(value),
            expected=fmt(expected),
            suggestion=suggestion,
            district_code=self.district_code,
            year=self.year,
            row=None if row is None or pd.isna(row) else int(row),
        )


def _num(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        if pd.isna(value):
            return None
        return float(value)
    except (TypeError, ValueError):
        return None


def check_numbers(records: Records, ctx: Context, columns: Iterable[str]) -> list[Issue]:
    """VALUE_NEGATIVE for numbers below zero; VALUE_NOT_NUMERIC for text where a number belongs."""
    recs = _rows(records)
    present = recs[0].keys() if recs else ()
    issues = []
    for col in columns:
        if col not in present:
            continue
        for rec in recs:
            row, value = rec["source_row"], rec[col]
            if value is None or isinstance(value, bool):
                continue
            if isinstance(value, str):
                if value.strip():
                    issues.append(
                        ctx.issue(
                            "VALUE_NOT_NUMERIC",
                            f"Ô {ctx.cell(col, row)} ghi '{value}', cần một số.",
                            row=row,
                            column=col,
                            value=value,
                            expected="một số",
                            suggestion="Nhập số, không kèm chữ; để trống nếu không có số liệu.",
                        )
                    )
                continue
            number = _num(value)
            if number is not None and number < 0:
                issues.append(
                    ctx.issue(
                        "VALUE_NEGATIVE",
                        f"Ô {ctx.cell(col, row)} có giá trị âm {fmt(value)}, cần số ≥ 0.",
                        row=row,
                        column=col,
                        value=value,
                        expected="≥ 0",
                        suggestion="Kiểm tra dấu trừ hoặc công thức trong ô.",
                    )
                )
    return issues


def check_poverty(records: Records, ctx: Context) -> list[Issue]:
    """The row rules of Biểu 02/HN: identity, bounds, reported rate."""
    issues: list[Issue] = []
    for rec in _rows(records):
        row = rec.get("source_row")
        get = {c: _num(rec.get(c)) for c in [*POVERTY_COUNTS, "poverty_rate_end"]}
        start, exits, relapses, new, end = (
            get["poor_start"],
            get["poverty_exits"],
            get["poverty_relapses"],
            get["poverty_new"],
            get["poor_end"],
        )
        if None not in (start, exits, end) and (relapses is not None or new is not None):
            computed = start - exits + (relapses or 0) + (new or 0)
            if computed != end:
                issues.append(
                    ctx.issue(
                        "POVERTY_IDENTITY",
                        f"Hộ nghèo cuối năm ghi {fmt(end)}, nhưng đầu năm {fmt(start)} − thoát "
                        f"nghèo {fmt(exits)} + tái nghèo {fmt(relapses or 0)} + phát sinh mới "
                        f"{fmt(new or 0)} = {fmt(computed)}.",
                        row=row,
                        column="poor_end",
                        value=end,
                        expected=computed,
                        suggestion="Kiểm tra lại số hộ nghèo cuối năm và các cột biến động.",
                    )
                )
        households = get["households_total"]
        if households is not None:
            for col, what in (("poor_end", "cuối năm"), ("poor_start", "đầu năm")):
                value = get[col]
                if value is not None and value > households:
                    issues.append(
                        ctx.issue(
                            "POOR_EXCEEDS_HOUSEHOLDS",
                            f"Số hộ nghèo {what} {fmt(value)} lớn hơn tổng số hộ {fmt(households)}.",
                            row=row,
                            column=col,
                            value=value,
                            expected=f"≤ {fmt(households)}",
                            suggestion="Kiểm tra tổng số hộ và số hộ nghèo (có thể nhập nhầm cột).",
                        )
                    )
                    break
        if exits is not None and start is not None and exits > start:
            issues.append(
                ctx.issue(
                    "EXITS_EXCEED_POOR",
                    f"Số hộ thoát nghèo {fmt(exits)} lớn hơn số hộ nghèo đầu năm {fmt(start)}.",
                    row=row,
                    column="poverty_exits",
                    value=exits,
                    expected=f"≤ {fmt(start)}",
                    suggestion="Số hộ thoát nghèo không thể vượt số hộ nghèo đầu năm.",
                )
            )
        rate = get["poverty_rate_end"]
        if rate is not None and end is not None and households:
            computed = end / households
            if abs(rate - computed) > RATE_TOLERANCE:
                issues.append(
                    ctx.issue(
                        "POVERTY_RATE_MISMATCH",
                        f"Tỷ lệ hộ nghèo ghi {fmt_percent(rate, 2)}, nhưng {fmt(end)}/"
                        f"{fmt(households)} = {fmt_percent(computed, 2)}.",
                        row=row,
                        column="poverty_rate_end",
                        value=fmt_percent(rate, 2),
                        expected=fmt_percent(computed, 2),
                        suggestion="Bảng đã xử lý dùng tỷ lệ tính lại; sửa tỷ lệ trong báo cáo.",
                    )
                )
    return issues


CRITERIA = tuple(f"c{i:02d}" for i in range(1, 20))  # the 19 NTM criteria columns, c01 … c19


def is_met(value: object) -> bool:
    """A criterion mark as parsed by the reader: True (or 1) is met; False, NA, None are not."""
    if value is True:  # the reader's marks: a shortcut for the common cases
        return True
    if value is None or value is False or isinstance(value, str):
        return False
    try:
        if pd.isna(value):
            return False
    except (TypeError, ValueError):
        return False
    return bool(value == 1)


def count_met(rec: dict) -> int:
    """Criteria marked as met in one NTM record."""
    return sum(1 for c in CRITERIA if is_met(rec.get(c)))


def check_ntm(
    records: Records, ctx: Context, levels: pd.Series | list | None = None
) -> list[Issue]:
    """Reported total vs counted marks; a recognised commune with fewer than 19 criteria.

    `levels` is the normalised ntm_level of each record, when known: a Series on the index
    of a records frame, or a list in the order of the records.
    """
    if isinstance(levels, pd.Series):
        levels = [levels.get(idx) for idx in records.index]
    issues: list[Issue] = []
    for i, rec in enumerate(_rows(records)):
        flag = rec.get("not_assessed")
        if flag is not None and not pd.isna(flag) and bool(flag):
            continue
        row = rec.get("source_row")
        counted = count_met(rec)
        reported = _num(rec.get("criteria_met"))
        if reported is not None and reported != counted:
            issues.append(
                ctx.issue(
                    "NTM_TOTAL_MISMATCH",
                    f"Tổng số tiêu chí đạt ghi {fmt(reported)}, nhưng đếm được {counted} tiêu "
                    "chí đánh dấu đạt.",
                    row=row,
                    column="criteria_met",
                    value=reported,
                    expected=counted,
                    suggestion="Bảng đã xử lý dùng số đếm được; sửa ô tổng hoặc các ô tiêu chí.",
                )
            )
        level = None if levels is None else levels[i]
        recognized = _num(rec.get("recognized_year"))
        if recognized is None:
            recognized = _num(rec.get("_level_year"))
        # a commune recognised in an earlier year may later fall below 19 (the stricter
        # 2021-2025 set): only a recognition in the report year itself must have all 19
        fresh = recognized is None or ctx.year is None or int(recognized) == int(ctx.year)
        if level is not None and not pd.isna(level) and counted < 19 and fresh:
            issues.append(
                ctx.issue(
                    "NTM_RECOGNIZED_INCOMPLETE",
                    f"Xã ghi đã đạt chuẩn nông thôn mới nhưng chỉ đạt {counted}/19 tiêu chí.",
                    row=row,
                    column="ntm_level" if "ntm_level" in ctx.columns else "criteria_met",
                    value=counted,
                    expected=19,
                    suggestion="Kiểm tra các tiêu chí chưa đánh dấu hoặc cột công nhận.",
                )
            )
    return issues


def _numbers(values: list) -> np.ndarray:
    """Values as float64 with NaN, as ``pd.to_numeric(errors="coerce")`` reads them: plain
    numbers (the reader's typed columns) directly, anything else through pandas."""
    if all(type(x) in (int, float) or is_missing(x) for x in values):
        return np.array([x if type(x) in (int, float) else np.nan for x in values], dtype=float)
    numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
    return numbers.to_numpy(dtype=float, na_value=np.nan)


def check_totals(
    records: Records,
    totals: pd.DataFrame | None,
    ctx: Context,
    columns: Iterable[str],
    boundaries: Iterable[int] = (),
) -> list[Issue]:
    """TOTAL_MISMATCH: a total or subtotal row ('Tổng cộng', 'Cộng', 'Toàn huyện') that equals
    neither the sum of all rows nor the sum of its own section.

    A section is the run of data rows between two boundaries (total, subtotal and section
    rows; `boundaries` adds the section rows the reader saw), either just above the total
    row (a subtotal closing its section) or just below it (a subtotal heading it). Each
    column becomes one numpy array once (benchmark 4: 0.86 s → 0.34 s on the province).
    """
    if totals is None or totals.empty or "source_row" not in totals.columns:
        return []
    recs = _rows(records)
    if not recs:
        return []
    rows = _numbers([rec["source_row"] for rec in recs])
    columns = [c for c in columns if c in recs[0]]
    values = {c: _numbers([rec[c] for rec in recs]) for c in columns}
    sum_all = {c: float(np.nansum(values[c])) for c in columns}
    total_recs = records_of(totals)
    marks = sorted(
        {int(rec["source_row"]) for rec in total_recs if not is_missing(rec["source_row"])}
        | {int(b) for b in boundaries}
    )
    issues = []
    for rec in total_recs:
        row = rec.get("source_row")
        if row is None or pd.isna(row):
            continue
        row = int(row)
        before = max([m for m in marks if m < row], default=0)
        after = min([m for m in marks if m > row], default=10**9)
        sections = [(rows > before) & (rows < row), (rows > row) & (rows < after)]
        sections = [m for m in sections if m.any()]
        for col in columns:
            if col not in rec:
                continue
            reported = _num(rec.get(col))
            if reported is None:
                continue
            sums = [sum_all[col], *(float(np.nansum(values[col][mask])) for mask in sections)]
            tolerance = 0.01 if col in ("cash", "in_kind") else 0.5
            if any(abs(reported - total) <= tolerance for total in sums):
                continue
            computed = sums[0]
            issues.append(
                ctx.issue(
                    "TOTAL_MISMATCH",
                    f"Dòng tổng ghi {fmt(reported)}, nhưng cộng các dòng xã được "
                    f"{fmt(round(computed, 6))}.",
                    row=row,
                    column=col,
                    value=reported,
                    expected=round(computed, 6),
                    suggestion="Sửa dòng tổng (hoặc công thức =SUM) cho khớp các dòng.",
                )
            )
    return issues


def check_duplicates(frame: Records, ctx: Context, keys: list[str]) -> list[Issue]:
    """DUPLICATE_COMMUNE: a key seen on several rows; every repeat after the first is an error.

    Linear: the first row of each key is remembered in a dict (filtering the frame once per
    repeated row was quadratic: 25 s on a 10,000-row workbook, benchmark 4).
    """
    recs = _rows(frame)
    if not recs or any(k not in recs[0] for k in keys):
        return []
    first: dict[tuple, int] = {}
    dups: list[int] = []
    for i, rec in enumerate(recs):
        key = tuple(rec[k] for k in keys)
        if any(is_missing(x) for x in key):
            continue
        if key in first:
            dups.append(i)
        else:
            first[key] = i
    if not dups:
        return []
    issues = []
    for i in dups:
        rec = recs[i]
        first_row = recs[first[tuple(rec[k] for k in keys)]]["source_row"]
        label = rec.get("commune_name") or rec.get("commune")
        issues.append(
            ctx.issue(
                "DUPLICATE_COMMUNE",
                f"Xã {label} đã ghi ở dòng {first_row}, lặp lại ở dòng {rec['source_row']}.",
                row=rec["source_row"],
                column="commune",
                value=rec.get("commune"),
                expected="một dòng cho mỗi xã",
                suggestion=f"Xóa dòng trùng hoặc gộp số liệu vào dòng {first_row}.",
            )
        )
    return issues


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
        start, before = _num(rec["poor_start"]), _num(rec["poor_end_prev"])
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


def error_rows(issues: Iterable[Issue]) -> dict[int, list[str]]:
    """Excel row → error codes on it (the rows that go to quarantine)."""
    rows: dict[int, list[str]] = {}
    for issue in issues:
        if issue.severity == "error" and issue.row is not None:
            codes = rows.setdefault(int(issue.row), [])
            if issue.code not in codes:
                codes.append(issue.code)
    return rows
