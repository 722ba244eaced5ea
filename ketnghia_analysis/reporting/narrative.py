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
    return text + _pre_trend_text(row.get("pre_trend_p"))


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
