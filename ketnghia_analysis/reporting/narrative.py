"""The reports' words: Vietnamese names of estimators and outcomes, headline and poverty paragraphs."""

from __future__ import annotations

import pandas as pd

from ketnghia_analysis.core import fmt
from ketnghia_analysis.reference.glossary import label
from ketnghia_analysis.reporting.kinds import (
    KIND_DIFF,
    KIND_NUMBER,
    KIND_PERCENT,
    KIND_POINTS,
    fmt_value,
)

ESTIMATOR_VI = {
    "callaway_santanna": "DiD so le (ước lượng chính)",
    "twfe": "Hồi quy hai chiều cố định (TWFE)",
    "naive": "So sánh thô",
}
COMPARISON_VI = {"similar": "so với xã tương đương", "all": "so với mọi xã"}
OUTCOME_VI = {
    "poverty_rate_end": "tỷ lệ hộ nghèo cuối năm",
    "exit_rate": "tỷ lệ thoát nghèo",
    "sustainable_exit_share": "tỷ lệ thoát nghèo bền vững",
    "criteria_met": "số tiêu chí nông thôn mới đạt",
}


def estimator_name(estimator: str, comparison: str | None = None) -> str:
    """Vietnamese name of an estimator row of ``effects.evaluate``.

    >>> estimator_name("naive", "all")
    'So sánh thô, so với mọi xã'
    """
    name = ESTIMATOR_VI.get(estimator, estimator)
    if comparison:
        name += f", {COMPARISON_VI.get(comparison, comparison)}"
    return name


# What a robustness row of ``effects.evaluate`` changes against the headline.
VARIANT_VI = {
    ("cluster", "commune"): "sai số cụm theo xã",
    ("aggregation", "simple"): "trung bình mọi năm sau kết nghĩa",
    ("aggregation", "event"): "trung bình theo số năm kết nghĩa",
    ("standard", "chained_ratio"): "nối chuỗi chuẩn nghèo theo tỷ số",
    ("standard", "unchained"): "không nối chuỗi chuẩn nghèo",
    ("standard", "2016-2020"): "chỉ các năm chuẩn nghèo cũ",
    ("standard", "2022-2025"): "chỉ các năm chuẩn nghèo mới",
    ("units", "harmonised"): "đơn vị ghép xã sáp nhập",
    ("units", "unit_2025"): "đơn vị hành chính 2025",
}


def row_name(row: pd.Series) -> str:
    """Vietnamese name of a row of ``effects.evaluate``: the headline, a robustness row by
    what it changes, or a foil.

    >>> row_name(pd.Series({"estimator": "callaway_santanna", "role": "robustness",
    ...     "cluster": "commune", "standard": "chained", "comparison": "similar"}))
    'DiD so le: sai số cụm theo xã'
    """
    estimator = str(row.get("estimator"))
    if row.get("role") != "robustness" or estimator != "callaway_santanna":
        return estimator_name(estimator, row.get("comparison"))
    parts = [text for (column, value), text in VARIANT_VI.items() if str(row.get(column)) == value]
    if isinstance(row.get("covariates"), str) and row.get("covariates"):
        parts.append("điều chỉnh theo đặc điểm xã")
    return "DiD so le: " + (", ".join(parts) or "kiểm tra độ vững")


def effect_kind(outcome: str) -> str:
    """How an effect on this outcome is shown: rates in points (×100), counts as numbers.

    >>> effect_kind("poverty_rate_end"), effect_kind("criteria_met")
    ('diff', 'number')
    """
    return KIND_NUMBER if outcome == "criteria_met" else KIND_DIFF


def headline_text(row: pd.Series) -> str:
    """One plain-Vietnamese paragraph for a row of ``effects.evaluate`` (the headline)."""
    kind = effect_kind(str(row["outcome"]))
    outcome = OUTCOME_VI.get(str(row["outcome"]), label(str(row["outcome"])))
    estimate = float(row["estimate"])
    if pd.isna(estimate):
        return f"Chưa đủ số liệu để ước lượng tác động của kết nghĩa lên {outcome}."
    direction = "giảm" if estimate < 0 else "tăng"
    if kind == KIND_NUMBER:
        size = fmt.fmt_number(abs(estimate), 2) + " tiêu chí"
    else:
        size = fmt.fmt_number(100 * abs(estimate), 1) + " điểm %"
    places = 2 if kind == KIND_NUMBER else 1
    low, high = fmt_value(row["ci_low"], kind, places), fmt_value(row["ci_high"], kind, places)
    covers_zero = float(row["ci_low"]) <= 0 <= float(row["ci_high"])
    method = estimator_name(str(row["estimator"]), row.get("comparison"))
    verdict = (
        "Khoảng tin cậy chứa số 0: **chưa đủ bằng chứng** để khẳng định kết nghĩa có tác động."
        if covers_zero
        else "Khoảng tin cậy không chứa số 0: tác động **có ý nghĩa thống kê**."
    )
    text = (
        f"**Ước lượng chính** ({method.replace(' (ước lượng chính)', '')}): "
        f"sau khi kết nghĩa, {outcome} của xã được kết nghĩa **{direction} {size}** so với "
        f"xã so sánh (khoảng tin cậy 95%: {low} đến {high}; "
        f"{fmt_value(row['n_treated'])} xã kết nghĩa, {fmt_value(row['n_control'])} xã so sánh). "
        f"{verdict}"
    )
    # the flag of effects.csv (event-time and per-cohort tests), else the cell-level test
    flag = row.get("pre_trend_flag_p")
    return text + _pre_trend_text(row.get("pre_trend_p") if flag is None or pd.isna(flag) else flag)


def _pre_trend_text(p: object) -> str:
    """The sentence on the pre-trend test ("" without a p-value).

    >>> _pre_trend_text(None)
    ''
    """
    if p is None or pd.isna(p):
        return ""
    p = float(p)  # type: ignore[arg-type]  # not missing: a number
    trend = (
        "trước khi kết nghĩa, hai nhóm xã đi cùng xu hướng (kiểm định p = "
        if p >= 0.05
        else "**cảnh báo**: trước khi kết nghĩa, hai nhóm xã đã khác xu hướng (p = "
    )
    return f" Kiểm tra: {trend}{fmt_value(p, KIND_NUMBER, 2)})."


def poverty_text(frame: pd.DataFrame, year: int, scope: str) -> str:
    """A sentence on poverty in one year from a row of ``indicators.poverty``."""
    rows = frame[frame["year"] == year]
    if rows.empty:
        return f"Không có số liệu hộ nghèo năm {year} ({scope})."
    row = rows.iloc[0]
    text = (
        f"**{scope}, năm {year}** (chuẩn nghèo {row['poverty_standard']}): "
        f"{fmt_value(row['poor_end'])} hộ nghèo trên {fmt_value(row['households_total'])} hộ, "
        f"tỷ lệ hộ nghèo **{fmt_value(row['poverty_rate_end'], KIND_PERCENT)}**; "
        f"trong năm {fmt_value(row['poverty_exits'])} hộ thoát nghèo, "
        f"{fmt_value(row['poverty_relapses'])} hộ tái nghèo, "
        f"{fmt_value(row['poverty_new'])} hộ nghèo phát sinh mới."
    )
    if bool(row.get("standard_break", False)):
        text += " Năm đầu áp dụng chuẩn nghèo mới: không so sánh trực tiếp với năm trước."
    elif pd.notna(row.get("rate_change_points")):
        text += f" Thay đổi so với năm trước: {fmt_value(row['rate_change_points'], KIND_POINTS)}."
    return text


# Why a commune has no data (``indicators.coverage_gaps``), in the readers' words.
REASON_VI = {
    "no_return": "huyện chưa gửi báo cáo",
    "rejected": "báo cáo của huyện bị từ chối",
    "form_absent": "báo cáo của huyện không có biểu {form}",
    "quarantined": "dòng bị cách ly: {detail}",
    "value_missing": "dòng thiếu số liệu",
    "not_in_return": "không có dòng của xã trong báo cáo",
}
_DISTRICT_REASONS = ("no_return", "rejected", "form_absent")
INCOMPLETE_MARK = "⚠"


def _reason(reason: str, detail: str, form: str) -> str:
    """One missing commune's reason in Vietnamese.

    >>> _reason("quarantined", "POVERTY_IDENTITY", "poverty")
    'dòng bị cách ly: POVERTY_IDENTITY'
    """
    from ketnghia_analysis.reference.form_codes import form_title

    text = REASON_VI.get(reason, reason)
    return text.format(form=form_title(form).removeprefix("Biểu "), detail=detail)


def _missing_items(gaps: pd.DataFrame, form: str, with_district: bool) -> list[str]:
    """Each missing commune (or each district whose whole return is missing) with its reason."""
    items: list[str] = []
    whole = gaps[gaps["reason"].isin(_DISTRICT_REASONS)]
    for (name, reason), rows in whole.groupby(
        ["district_name", "reason"], sort=True, observed=True
    ):
        items.append(f"{name} ({_reason(str(reason), '', form)}, {len(rows)} xã)")
    for _, row in gaps[~gaps["reason"].isin(_DISTRICT_REASONS)].iterrows():
        place = (
            f"{row['commune_name']}, {row['district_name']}"
            if with_district
            else row["commune_name"]
        )
        items.append(f"{place} ({_reason(str(row['reason']), str(row['detail']), form)})")
    return items


def coverage_text(
    coverage: pd.DataFrame, gaps: pd.DataFrame, year: int, form: str = "poverty"
) -> str:
    """The coverage of the figures of one unit and year, and what is missing and why.

    ``coverage``: rows of ``indicators.coverage`` (those of the unit; several units are
    summed); ``gaps``: the unit's rows of ``indicators.coverage_gaps``. Below 100 % the
    sentence starts with a warning mark.

    >>> cov = pd.DataFrame({"year": [2024], "communes_expected": [10], "communes_with_data": [9]})
    >>> gaps = pd.DataFrame({"district_name": ["H"], "commune_name": ["Xã A"],
    ...     "reason": ["quarantined"], "detail": ["POVERTY_IDENTITY"]})
    >>> coverage_text(cov, gaps, 2024)
    '⚠ **Chưa đủ số liệu: 9/10 xã có số liệu năm 2024**; thiếu: Xã A (dòng bị cách ly: POVERTY_IDENTITY). Các tổng và tỷ lệ chỉ tính các xã có số liệu.'
    """
    rows = coverage[coverage["year"] == year]
    expected = int(rows["communes_expected"].sum())
    with_data = int(rows["communes_with_data"].sum())
    if expected and with_data >= expected:
        return f"Độ phủ: **{with_data}/{expected} xã có số liệu năm {year}** (đủ)."
    items = _missing_items(gaps, form, gaps["district_name"].nunique() > 1)
    missing = "; ".join(items) if items else "không rõ"
    return (
        f"{INCOMPLETE_MARK} **Chưa đủ số liệu: {with_data}/{expected} xã có số liệu năm {year}**; "
        f"thiếu: {missing}. Các tổng và tỷ lệ chỉ tính các xã có số liệu."
    )


def coverage_note(coverage: pd.DataFrame, unit: str = "district_name") -> str:
    """A chart's caption line: every unit-year below 100 % (a chart covers several), or
    that all are complete.

    >>> cov = pd.DataFrame({"year": [2022, 2023], "district_name": ["H", "K"],
    ...     "communes_expected": [13, 12], "communes_with_data": [12, 12]})
    >>> coverage_note(cov)
    'Độ phủ: ⚠ chưa đủ xã có số liệu: H năm 2022 (12/13 xã); các ô khác đủ 100% số xã.'
    """
    short = coverage[coverage["communes_with_data"] < coverage["communes_expected"]]
    if short.empty:
        return "Độ phủ: mọi ô đủ 100% số xã có số liệu."
    parts = [
        (f"{row[unit]} năm " if unit in short.columns else "năm ")
        + f"{row['year']} ({row['communes_with_data']}/{row['communes_expected']} xã)"
        for _, row in short.iterrows()
    ]
    return (
        f"Độ phủ: {INCOMPLETE_MARK} chưa đủ xã có số liệu: {'; '.join(parts)}; "
        "các ô khác đủ 100% số xã."
    )
