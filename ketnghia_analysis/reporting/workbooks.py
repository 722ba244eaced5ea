"""Excel workbooks of reports: one sheet per key table, glossary headers, number formats."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ketnghia_analysis.core.xlsx import text_only_options
from ketnghia_analysis.reference.glossary import label
from ketnghia_analysis.reporting.jobs import Job
from ketnghia_analysis.reporting.kinds import KIND_MONEY, KIND_PERCENT, KIND_POINTS, kind_of
from ketnghia_analysis.reporting.report_tables import (
    cached_district_sources,
    cached_tables,
    key_tables,
)

_HEADER = {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#E8EEF4", "border": 1}
# Excel shows these with the reader's separators (1.234,5 in a Vietnamese locale).
_NUMBER_FORMATS = {
    KIND_PERCENT: "0.0%",
    KIND_POINTS: "+0.0%;-0.0%;0.0%",
    KIND_MONEY: "#,##0.0",
    "count": "#,##0",
    "float": "#,##0.00",
}


def write_excel(job: Job, path: Path) -> None:
    """The report's key tables, one sheet each, Vietnamese headers, number formats."""
    folder, district = job.parameters["processed_dir"], job.parameters.get("district_code", "")
    sources = cached_district_sources(folder) if district else None
    tables = cached_tables(folder)
    sheets = key_tables(tables, int(job.parameters["year"]), district, sources=sources)
    write_workbook(sheets, path, title=job.title)


def write_workbook(sheets: dict[str, pd.DataFrame], path: Path, title: str = "") -> None:
    """Write DataFrames to a formatted workbook (xlsxwriter), headers from the glossary.

    Percent columns (fractions) get ``0.0%``, money ``#,##0.0``, counts ``#,##0``:
    Excel shows them with the reader's separators (1.234,5 in a Vietnamese locale).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.xlsx")
    # Text from the returns (partner names, messages) stays text: never a formula or link.
    options = {"options": text_only_options()}
    with pd.ExcelWriter(tmp, engine="xlsxwriter", engine_kwargs=options) as writer:
        book = writer.book
        head = book.add_format(_HEADER)
        formats = {kind: book.add_format({"num_format": f}) for kind, f in _NUMBER_FORMATS.items()}
        for sheet_name, frame in sheets.items():
            _write_sheet(writer, sheet_name[:31], _cells(frame), head, formats)
        if title:
            book.set_properties({"title": title, "comments": "ketnghia report"})
    os.replace(tmp, path)


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


def _write_sheet(
    writer: pd.ExcelWriter, name: str, frame: pd.DataFrame, head: object, formats: dict
) -> None:
    """One sheet: the rows under a header row of glossary labels, frozen and filtered."""
    frame.to_excel(writer, sheet_name=name, index=False, startrow=1, header=False)
    sheet = writer.sheets[name]
    for i, column in enumerate(frame.columns):
        header = label(str(column))
        sheet.write(0, i, header, head)
        width = min(max(len(header) * 0.9, 10), 40)
        sheet.set_column(i, i, width, _column_format(frame[column], str(column), formats))
    sheet.set_row(0, 45)
    sheet.freeze_panes(1, 0)
    if len(frame.columns):
        sheet.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)


def _column_format(series: pd.Series, column: str, formats: dict) -> object:
    """The number format of a column: by its kind, else count or decimal; None for text."""
    if not pd.api.types.is_numeric_dtype(series) or column == "year":
        return None
    kind = kind_of(column)
    if kind in formats:
        return formats[kind]
    if pd.api.types.is_integer_dtype(series):
        return formats["count"]
    return formats["float"]
