"""Excel workbooks of reports: one sheet per key table, glossary headers, number formats."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from ketnghia_analysis.analysis.effect_notes import (
    AGGREGATION_VI,
    CLUSTER_VI,
    COVARIATE_VI,
    STANDARD_VI,
    UNITS_VI,
)
from ketnghia_analysis.core.xlsx import text_only_options
from ketnghia_analysis.reference.glossary import entry, label
from ketnghia_analysis.reporting.jobs import Job
from ketnghia_analysis.reporting.kinds import KIND_DIFF
from ketnghia_analysis.reporting.narrative import (
    COMPARISON_VI,
    effect_kind,
    row_name,
)
from ketnghia_analysis.reporting.report_tables import (
    cached_district_sources,
    cached_tables,
    key_tables,
)

_TITLE = {"bold": True, "font_size": 13}
_TITLE_SYNTHETIC = {"bold": True, "font_size": 13, "font_color": "#9C0006", "bg_color": "#FFF3CD"}
_HEADER = {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#E8EEF4", "border": 1}
#: Units (reference/glossary*.csv) whose values are whole counts.
COUNT_UNITS = frozenset(
    {"hộ", "xã", "mô hình", "lượt", "người", "nhà", "dòng", "đơn vị", "nhóm", "byte", "tiêu chí"}
)
# Excel shows these with the reader's separators (1.234,5 in a Vietnamese locale).
PERCENT_FORMAT = "0.0%"  # unit "%": a fraction 0–1 shown as a percent
POINTS_FORMAT = "+0.0;-0.0;0.0"  # unit "điểm %": already in points, the unit in the header
EFFECT_FORMAT = "+#,##0.00;-#,##0.00;0.00"  # an effect in its outcome's unit (see _effects)
#: The unit of an effect on a rate once shown in the workbook (×100, percentage points).
POINTS_UNIT = "điểm %"
_SEVERITY_VI = {"error": "lỗi", "warning": "cảnh báo", "info": "ghi chú"}
SYNTHETIC_TITLE = "DỮ LIỆU TỔNG HỢP (mẫu), không phải số liệu thật"


def write_excel(job: Job, path: Path) -> None:
    """The report's key tables, one sheet each, Vietnamese headers, number formats."""
    from ketnghia_analysis.reporting.charts import is_synthetic

    folder, district = job.parameters["processed_dir"], job.parameters.get("district_code", "")
    sources = cached_district_sources(folder) if district else None
    tables = cached_tables(folder)
    sheets = key_tables(tables, int(job.parameters["year"]), district, sources=sources)
    write_workbook(sheets, path, title=job.title, synthetic=is_synthetic(folder))


def unit_of(column: str) -> str:
    """The glossary unit of a column ("" when the column has none or is not in it)."""
    try:
        return str(entry(column)["unit"])
    except KeyError:
        return ""


def number_format(unit: str, integer: bool = False) -> str:
    """The Excel number format of a value in ``unit`` (a glossary unit).

    >>> number_format("%"), number_format("điểm %"), number_format("hộ")
    ('0.0%', '+0.0;-0.0;0.0', '#,##0')
    >>> number_format("triệu đồng"), number_format("tiêu chí/xã"), number_format("năm")
    ('#,##0.0', '#,##0.0', '0')
    """
    if unit == "%":
        return PERCENT_FORMAT
    if unit == POINTS_UNIT:
        return POINTS_FORMAT
    if unit == "đơn vị của chỉ tiêu":
        return EFFECT_FORMAT
    if unit.startswith("triệu đồng"):
        return "#,##0.00" if "/" in unit else "#,##0.0"  # per household: 0,33 triệu đồng
    if unit == "năm":
        return "0"
    if unit in COUNT_UNITS:
        return "#,##0"
    if unit == "tỷ lệ":  # a difference of two fractions
        return "+0.000;-0.000;0.000"
    if "/" in unit:  # a mean per unit, e.g. tiêu chí/xã
        return "#,##0.0"
    return "#,##0" if integer else "#,##0.000"


def write_workbook(
    sheets: dict[str, pd.DataFrame], path: Path, title: str = "", synthetic: bool = False
) -> None:
    """Write DataFrames to a formatted workbook (xlsxwriter), headers from the glossary.

    Row 1 of every sheet is the title (with "DỮ LIỆU TỔNG HỢP" on sample data), row 2 the
    glossary labels with their units; each numeric column's format follows its unit
    (:func:`number_format`): fractions as percents, points as signed numbers, money in
    triệu đồng, counts as integers. Excel shows them with the reader's separators.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.xlsx")
    heading = title or "Báo cáo kết nghĩa"
    if synthetic:
        heading = f"{heading} — {SYNTHETIC_TITLE}"
    # Text from the returns (partner names, messages) stays text: never a formula or link.
    options = {"options": text_only_options()}
    with pd.ExcelWriter(tmp, engine="xlsxwriter", engine_kwargs=options) as writer:
        book = writer.book
        styles = {
            "title": book.add_format(_TITLE_SYNTHETIC if synthetic else _TITLE),
            "head": book.add_format(_HEADER),
            "numbers": {},  # number format → its xlsxwriter Format, shared by the sheets
        }
        for sheet_name, frame in sheets.items():
            sheet = _write_sheet(writer, sheet_name[:31], _cells(_readable(frame)), styles)
            sheet.write(0, 0, heading, styles["title"])
        if title:
            book.set_properties({"title": title, "comments": "ketnghia report"})
    os.replace(tmp, path)


def _readable(frame: pd.DataFrame) -> pd.DataFrame:
    """Codes a reader cannot read put into words: the effect table, issue severities."""
    if {"outcome", "estimator", "estimate"} <= set(frame.columns):
        frame = _effects(frame)
    if "severity" in frame.columns:
        frame = frame.assign(severity=frame["severity"].map(lambda v: _SEVERITY_VI.get(v, v)))
    return frame


def _effects(frame: pd.DataFrame) -> pd.DataFrame:
    """The effect table in words and units: outcome, estimator and comparison named in
    Vietnamese; effects on rates (differences of fractions) ×100 in percentage points, the
    unit of each row in its own column (an effect on criteria stays in criteria)."""
    frame = frame.copy()
    on_rate = frame["outcome"].map(lambda o: effect_kind(str(o)) == KIND_DIFF)
    for column in ("estimate", "std_error", "ci_low", "ci_high"):
        if column in frame.columns:
            frame[column] = frame[column].where(~on_rate, frame[column] * 100)
    units = [
        POINTS_UNIT if r else unit_of(str(o))
        for o, r in zip(frame["outcome"], on_rate, strict=True)
    ]
    if "note" in frame.columns:
        frame["note"] = [
            str(n).replace("Đơn vị: tỷ lệ (0–1).", "Đơn vị: điểm %.") if r else n
            for n, r in zip(frame["note"], on_rate, strict=True)
        ]
    frame["outcome"] = frame["outcome"].map(lambda o: entry(str(o))["label"])
    # the comparison has its own column: the name says only what the row estimates
    frame["estimator"] = [
        row_name(row.drop("comparison", errors="ignore")) for _, row in frame.iterrows()
    ]
    if "comparison" in frame.columns:
        frame["comparison"] = frame["comparison"].map(lambda c: COMPARISON_VI.get(str(c), c))
    for column, words in EFFECT_CODES_VI.items():
        if column in frame.columns:
            frame[column] = frame[column].map(lambda v, w=words: _in_words(v, w))
    frame.insert(frame.columns.get_loc("estimate"), "effect_unit", units)
    return frame


#: The codes of the effect table's method columns, in words: the vocabulary of the effect
#: notes (analysis/effect_notes.py), plus the columns only the workbook shows.
EFFECT_CODES_VI: dict[str, dict[str, str]] = {
    "role": {"headline": "ước lượng chính", "robustness": "kiểm tra độ vững", "foil": "đối chiếu"},
    "aggregation": AGGREGATION_VI,
    "cluster": CLUSTER_VI,
    "standard": {
        **STANDARD_VI,
        **{s: f"chỉ các năm chuẩn nghèo {s}" for s in ("2016-2020", "2022-2025")},
    },
    "units": UNITS_VI,
    "covariates": COVARIATE_VI,
    "se_method": {
        "jackknife": "jackknife bỏ từng huyện",
        "influence": "hàm ảnh hưởng",
        "ols": "hồi quy, sai số cụm",
    },
}


def _in_words(value: object, words: dict[str, str]) -> object:
    """A code (or a comma-separated list of codes) in words; blanks stay blank."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return value
    return ", ".join(words.get(part.strip(), part.strip()) for part in str(value).split(","))


def _cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy Excel can hold: categories and dates as text, booleans as có/không, lists
    joined with "; "."""
    frame = frame.copy()
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = frame[column].astype("str")
        elif pd.api.types.is_bool_dtype(frame[column]):
            frame[column] = frame[column].map({True: "có", False: "không"})
        elif frame[column].dtype == object:
            frame[column] = frame[column].map(
                lambda v: "; ".join(map(str, v)) if isinstance(v, list | tuple) else v
            )
        elif pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].astype("str")
    return frame


def _write_sheet(writer: pd.ExcelWriter, name: str, frame: pd.DataFrame, styles: dict) -> Any:
    """One sheet: a title row, a header row of glossary labels, the rows; frozen, filtered."""
    frame.to_excel(writer, sheet_name=name, index=False, startrow=2, header=False)
    book, sheet = writer.book, writer.sheets[name]
    for i, column in enumerate(frame.columns):
        header = label(str(column))
        sheet.write(1, i, header, styles["head"])
        width = min(max(len(header) * 0.9, 10), 40)
        fmt = _column_format(frame[column], str(column))
        if fmt and fmt not in styles["numbers"]:
            styles["numbers"][fmt] = book.add_format({"num_format": fmt})
        sheet.set_column(i, i, width, styles["numbers"].get(fmt) if fmt else None)
    sheet.set_row(0, 22)
    sheet.set_row(1, 45)
    sheet.freeze_panes(2, 0)
    if len(frame.columns):
        sheet.autofilter(1, 0, max(len(frame), 1) + 1, len(frame.columns) - 1)
    return sheet


def _column_format(series: pd.Series, column: str) -> str | None:
    """The number format of a column from its glossary unit; None for text."""
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return None
    if column == "year":
        return "0"
    if column == "std_error":  # a spread: no sign
        return "#,##0.00"
    return number_format(unit_of(column), pd.api.types.is_integer_dtype(series))
