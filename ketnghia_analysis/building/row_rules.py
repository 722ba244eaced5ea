"""Rules on the rows of one form: numbers, the poverty identity and rate, NTM marks, totals, duplicates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from ketnghia_analysis.building.bad_values import NULLED, nulled_of
from ketnghia_analysis.building.official_forms import B_FLOWS, C_FLOWS
from ketnghia_analysis.building.rulebook import (
    Context,
    Records,
    as_number,
    as_number_rows,
    as_numbers,
    as_rows,
    fmt,
    pandas_object,
    records_of,
)
from ketnghia_analysis.core.columns import POVERTY_COUNTS
from ketnghia_analysis.core.fmt import fmt_percent
from ketnghia_analysis.core.issues import Issue
from ketnghia_analysis.core.missing import is_missing

if TYPE_CHECKING:  # a form given as frames is read without importing pandas
    import pandas as pd

# Reported vs computed rate: rates are typed with 2 decimals of a percent at best.
RATE_TOLERANCE = 0.0006
#: The counts of the poverty identity (poor_end = poor_start − exits + relapses + new).
IDENTITY_COUNTS = frozenset(
    {"poor_start", "poverty_exits", "poverty_relapses", "poverty_new", "poor_end"}
)


def check_numbers(records: Records, ctx: Context, columns: Iterable[str]) -> list[Issue]:
    """VALUE_NEGATIVE for numbers below zero; VALUE_NOT_NUMERIC for text where a number belongs."""
    recs = as_rows(records)
    present = recs[0].keys() if recs else ()
    issues = []
    for col in columns:
        if col not in present:
            continue
        for rec in recs:
            row, value = rec["source_row"], rec[col]
            kind = type(value)
            if kind is int or kind is float:  # the reader's numbers first (NaN is not < 0)
                negative = value < 0
            elif value is None or isinstance(value, bool):
                continue
            elif isinstance(value, str):
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
            else:
                number = as_number(value)
                negative = number is not None and number < 0
            if negative:
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


_POVERTY_NUMBERS = (*POVERTY_COUNTS, "poverty_rate_end")


def check_poverty(records: Records, ctx: Context) -> list[Issue]:
    """The row rules of Biểu 02/HN: identity, bounds, reported rate."""
    issues: list[Issue] = []
    for rec in as_rows(records):
        row = rec.get("source_row")
        get = {c: as_number(rec.get(c)) for c in _POVERTY_NUMBERS}
        start, exits, relapses, new, end = (
            get["poor_start"],
            get["poverty_exits"],
            get["poverty_relapses"],
            get["poverty_new"],
            get["poor_end"],
        )
        known = start is not None and exits is not None and end is not None
        # a flow left null for a bad value is unknown, not 0: the identity cannot be checked
        unknown = nulled_of(rec) & IDENTITY_COUNTS
        if known and not unknown and (relapses is not None or new is not None):
            computed = start - exits + (relapses or 0) + (new or 0)  # type: ignore[operator]
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
            issues += rate_mismatch(
                ctx,
                row,
                ("poverty_rate_end", "Tỷ lệ hộ nghèo"),
                (rate, end, households),
                "Bảng đã xử lý dùng tỷ lệ tính lại; sửa tỷ lệ trong báo cáo.",
            )
    return issues


def rate_mismatch(
    ctx: Context,
    row: int | None,
    where: tuple[str, str],
    values: tuple[float, float, float],
    suggestion: str,
) -> list[Issue]:
    """POVERTY_RATE_MISMATCH when a reported rate is not poor / households (the table
    always uses the rate computed from the counts). ``where`` = (column, label)."""
    (column, label), (rate, end, households) = where, values
    computed = end / households
    if abs(rate - computed) <= RATE_TOLERANCE:
        return []
    message = (
        f"{label} ghi {fmt_percent(rate, 2)}, nhưng {fmt(end)}/{fmt(households)} = "
        f"{fmt_percent(computed, 2)}."
    )
    return [
        ctx.issue(
            "POVERTY_RATE_MISMATCH",
            message,
            row=row,
            column=column,
            value=fmt_percent(rate, 2),
            expected=fmt_percent(computed, 2),
            suggestion=suggestion,
        )
    ]


CRITERIA = tuple(f"c{i:02d}" for i in range(1, 20))  # the 19 NTM criteria columns, c01 … c19
_CRITERIA_SET = frozenset(CRITERIA)


def is_met(value: object) -> bool:
    """A criterion mark as parsed by the reader: True (or 1) is met; False, NA, None are not."""
    if value is True:  # the reader's marks: a shortcut for the common cases
        return True
    if value is None or value is False or isinstance(value, str):
        return False
    try:
        if is_missing(value):
            return False
    except (TypeError, ValueError):
        return False
    return bool(value == 1)


#: The types of the marks the reader gives (True, False, None): one of them is met when it is
#: True, with no `is_met` call per mark.
_READER_MARKS = frozenset({bool, type(None)})


def marks_met(rec: dict) -> list[bool]:
    """Whether each of the 19 criteria is met on one NTM record (`is_met` of each mark)."""
    marks = list(map(rec.get, CRITERIA))
    if _READER_MARKS.issuperset(map(type, marks)):
        return [mark is True for mark in marks]
    return [is_met(mark) for mark in marks]


def count_met(rec: dict) -> int:
    """Criteria marked as met in one NTM record."""
    return sum(marks_met(rec))


def unread_marks(rec: dict) -> int:
    """Criteria of one NTM record whose mark was left null for a bad value (unknown)."""
    return len(nulled_of(rec) & _CRITERIA_SET)


def criteria_met_of(rec: dict) -> int | None:
    """The criteria met of one NTM record: the marks counted; when some marks could not be
    read, the reported total if the marks allow it (counted ≤ reported ≤ counted + unread),
    else unknown."""
    counted, unread = count_met(rec), unread_marks(rec)
    if not unread:
        return counted
    reported = as_number(rec.get("criteria_met"))
    if reported is not None and counted <= reported <= counted + unread:
        return int(reported)
    return None


def check_ntm(
    records: Records, ctx: Context, levels: pd.Series | list | None = None
) -> list[Issue]:
    """Reported total vs counted marks; a recognised commune with fewer than 19 criteria.

    `levels` is the normalised ntm_level of each record, when known: a Series on the index
    of a records frame, or a list in the order of the records.
    """
    if pandas_object(levels, "Series") and pandas_object(records, "DataFrame"):
        series, frame = cast(Any, levels), cast(Any, records)
        levels = [series.get(idx) for idx in frame.index]
    issues: list[Issue] = []
    for i, rec in enumerate(as_rows(records)):
        flag = rec.get("not_assessed")
        if not is_missing(flag) and bool(flag):
            continue
        row = rec.get("source_row")
        counted, unread = count_met(rec), unread_marks(rec)
        reported = as_number(rec.get("criteria_met"))
        # with unread marks, only a total the marks cannot reach is a mismatch
        if reported is not None and not counted <= reported <= counted + unread:
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
        recognized = as_number(rec.get("recognized_year"))
        if recognized is None:
            recognized = as_number(rec.get("_level_year"))
        # a commune recognised in an earlier year may later fall below 19 (the stricter
        # 2021-2025 set): only a recognition in the report year itself must have all 19
        fresh = recognized is None or ctx.year is None or int(recognized) == int(ctx.year)
        if not is_missing(level) and counted + unread < 19 and fresh:
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


def check_totals(
    records: Records,
    totals: Records | None,
    ctx: Context,
    columns: Iterable[str],
    boundaries: Iterable[int] = (),
) -> list[Issue]:
    """TOTAL_MISMATCH: a total or subtotal row ('Tổng cộng', 'Cộng', 'Toàn huyện') that equals
    neither the sum of all rows nor the sum of its own section.

    A section is the run of data rows between two boundaries (total, subtotal and section
    rows; `boundaries` adds the section rows the reader saw), either just above the total
    row (a subtotal closing its section) or just below it (a subtotal heading it). The
    columns become one numpy array once (benchmark 4: 0.86 s → 0.34 s on the province), and
    a section is summed only for a total that is not the sum of every row.
    `totals` are the total rows as a frame or as dicts (``records_of``).
    """
    if pandas_object(totals, "DataFrame"):
        frame = cast(Any, totals)
        if frame.empty or "source_row" not in frame.columns:
            return []
        totals = records_of(frame)
    if not totals:
        return []
    recs = as_rows(records)
    if not recs:
        return []
    columns = [c for c in columns if c in recs[0]]
    if not columns:
        return []
    rows = as_numbers([rec["source_row"] for rec in recs])
    # one row of numbers per column, NaN as 0 (a sum is then that of ``np.nansum``); numpy
    # sums each row of a 2-D array as it sums that row alone
    numbers = as_number_rows([[rec[c] for rec in recs] for c in columns])
    numbers[np.isnan(numbers)] = 0.0
    values = dict(zip(columns, numbers, strict=True))
    sum_all = dict(zip(columns, numbers.sum(axis=1).tolist(), strict=True))
    # cells left null for a bad value: a sum over one of them is unknown, not wrong
    marked = [nulled_of(rec) for rec in recs] if any(NULLED in rec for rec in recs) else []
    unread = {c: np.array([c in m for m in marked], dtype=bool) for c in columns} if marked else {}
    marks = sorted(
        {int(rec["source_row"]) for rec in totals if not is_missing(rec["source_row"])}
        | {int(b) for b in boundaries}
    )
    issues = []
    for rec in totals:
        row = rec.get("source_row")
        if row is None or is_missing(row):
            continue
        row = int(row)
        sections: list[np.ndarray] | None = None  # only for a total that is not sum_all
        for col in columns:
            if col not in rec:
                continue
            reported = as_number(rec.get(col))
            if reported is None:
                continue
            tolerance = 0.01 if col in ("cash", "in_kind") else 0.5
            if abs(reported - sum_all[col]) <= tolerance:
                continue
            if sections is None:
                sections = _sections(rows, marks, row)
            if any(abs(reported - float(values[col][m].sum())) <= tolerance for m in sections):
                continue
            if col in unread and unread[col].any():
                continue  # a sum it might equal holds an unread cell (every row's does)
            computed = sum_all[col]
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


def _sections(rows: np.ndarray, marks: list[int], row: int) -> list[np.ndarray]:
    """The sections of the total on this row, as masks of the data rows: the run just above
    it and the run just below it (those that hold rows, and not every row: the sum of every
    row is checked first)."""
    before = max([m for m in marks if m < row], default=0)
    after = min([m for m in marks if m > row], default=10**9)
    sections = [(rows > before) & (rows < row), (rows > row) & (rows < after)]
    return [m for m in sections if m.any() and not m.all()]


def check_duplicates(frame: Records, ctx: Context, keys: list[str]) -> list[Issue]:
    """DUPLICATE_COMMUNE: a key seen on several rows; every repeat after the first is an error.

    Linear: the first row of each key is remembered in a dict (filtering the frame once per
    repeated row was quadratic: 25 s on a 10,000-row workbook, benchmark 4).
    """
    recs = as_rows(frame)
    if not recs or any(k not in recs[0] for k in keys):
        return []
    first: dict[tuple, int] = {}
    dups: list[int] = []
    for i, rec in enumerate(recs):
        key = tuple(map(rec.__getitem__, keys))
        if any(map(is_missing, key)):
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


def error_rows(issues: Iterable[Issue]) -> dict[int, list[str]]:
    """Excel row → error codes on it (the rows that go to quarantine)."""
    rows: dict[int, list[str]] = {}
    for issue in issues:
        if issue.severity == "error" and issue.row is not None:
            codes = rows.setdefault(int(issue.row), [])
            if issue.code not in codes:
                codes.append(issue.code)
    return rows


# ---------------------------------------------------------------------------------------
# The official poverty-review forms A–D (../shared/spec/official-forms.md): warnings only
# ---------------------------------------------------------------------------------------
#: Form B and C's movement: (9) = (1) − (2) − (3) − (4) + (5) + (6) + (7) + (8).
_MOVEMENT = {"poor_movement": B_FLOWS, "near_poor_movement": C_FLOWS}
_WHO = {"poor_movement": "hộ nghèo", "near_poor_movement": "hộ cận nghèo"}
#: Form A: a total and the counts it must hold (households, then people).
_DENOMINATORS = (
    ("households_total", ("poor_end", "near_poor_end"), "tổng số hộ"),
    ("people_total", ("poor_people_end", "near_poor_people_end"), "tổng số nhân khẩu"),
)


def placeholder_total(rec: dict, total: str) -> bool:
    """Whether form A's total (households_total or people_total) is a placeholder: smaller
    than the poor and near-poor counts it holds (copies with 10 or 100 households and rates
    of 2040 % occur). The counts are kept; the total and its rates are not.

    >>> placeholder_total({"households_total": 10, "poor_end": 204}, "households_total")
    True
    >>> placeholder_total({"households_total": 900, "poor_end": 204, "near_poor_end": 50},
    ...                   "households_total")
    False
    """
    parts = next(p for name, p, _ in _DENOMINATORS if name == total)
    value = as_number(rec.get(total))
    held = sum(as_number(rec.get(p)) or 0.0 for p in parts)
    return value is not None and value < held


def check_official(records: Records, kind: str, ctx: Context) -> list[Issue]:
    """The row rules of the official forms: the movement identity (B, C; households and
    people), form A's placeholder totals and reported rates (recomputed, never trusted)."""
    recs = as_rows(records)
    if kind in _MOVEMENT:
        flows = _MOVEMENT[kind]
        return [
            issue
            for rec in recs
            for suffix in ("", "_people")
            if (issue := _movement_issue(rec, kind, [c + suffix for c in flows], ctx))
        ]
    if kind == "review_result":
        return [issue for rec in recs for issue in _review_issues(rec, ctx)]
    return []


def _movement_issue(rec: dict, kind: str, flows: list[str], ctx: Context) -> Issue | None:
    """POVERTY_IDENTITY_OFFICIAL on one row (households or people) of form B or C. An empty
    flow is 0 (official copies leave zeros empty); one left null for a bad value is unknown."""
    start, end = as_number(rec.get(flows[0])), as_number(rec.get(flows[-1]))
    if start is None or end is None or nulled_of(rec) & set(flows):
        return None
    terms = [as_number(rec.get(c)) or 0.0 for c in flows[1:-1]]
    computed = start - sum(terms[:3]) + sum(terms[3:])
    if computed == end:
        return None
    people = flows[0].endswith("_people")
    what = _WHO[kind] + (" (nhân khẩu)" if people else "")
    return ctx.issue(
        "POVERTY_IDENTITY_OFFICIAL",
        f"Số {what} cuối kỳ (cột 9) ghi {fmt(end)}, nhưng đầu kỳ {fmt(start)} − giảm "
        f"{fmt(sum(terms[:3]))} (cột 2, 3, 4) + tăng {fmt(sum(terms[3:]))} (cột 5, 6, 7, 8) "
        f"= {fmt(computed)}.",
        row=rec.get("source_row"),
        column=flows[-1],
        value=end,
        expected=computed,
        suggestion="Kiểm tra số cuối kỳ và các cột diễn biến (bảng đã xử lý giữ số đã ghi).",
    )


def _review_issues(rec: dict, ctx: Context) -> list[Issue]:
    """Form A: a total smaller than the counts it holds is a placeholder (its rates are
    meaningless); otherwise the reported poverty rate (4) is checked against (3)/(1)."""
    issues = []
    row = rec.get("source_row")
    for total, parts, label in _DENOMINATORS:
        if placeholder_total(rec, total):
            held = sum(as_number(rec.get(p)) or 0.0 for p in parts)
            rate = as_number(rec.get("poverty_rate_reported"))
            shown = f" (tỷ lệ ghi {fmt_percent(rate, 0)})" if rate is not None else ""
            issues.append(
                ctx.issue(
                    "RATE_DENOMINATOR_PLACEHOLDER",
                    f"{label.capitalize()} ghi {fmt(rec.get(total))}{shown}, nhỏ hơn số hộ "
                    f"nghèo và cận nghèo {fmt(held)} mà nó phải chứa: đây là số giữ chỗ. Bảng "
                    f"đã xử lý để trống {label} và tỷ lệ, vẫn nhận các số hộ.",
                    row=row,
                    column=total,
                    value=rec.get(total),
                    expected=f"≥ {fmt(held)}",
                    suggestion=f"Ghi {label} thật của đơn vị tại thời điểm rà soát.",
                )
            )
    rate = as_number(rec.get("poverty_rate_reported"))
    end, households = as_number(rec.get("poor_end")), as_number(rec.get("households_total"))
    if rate is None or end is None or not households or placeholder_total(rec, "households_total"):
        return issues
    return issues + rate_mismatch(
        ctx,
        row,
        ("poverty_rate_reported", "Tỷ lệ hộ nghèo (cột 4)"),
        (rate, end, households),
        "Bảng đã xử lý dùng tỷ lệ tính lại từ số hộ; sửa tỷ lệ trong biểu.",
    )
