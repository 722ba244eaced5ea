"""Feedback to districts: issues.xlsx (one sheet per district) and feedback/<district>_<year>.xlsx."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import xlsxwriter

from ketnghia_analysis.building.grouping import count_by_severity, group_issues
from ketnghia_analysis.building.rulebook import SEVERITY_ORDER, SEVERITY_VI
from ketnghia_analysis.core.xlsx import open_workbook

if TYPE_CHECKING:
    from ketnghia_analysis.building.unchanged import Reuse

# Column of the issues table → Vietnamese header and width (characters).
HEADERS = [
    ("severity", "Mức độ", 10),
    ("code", "Mã lỗi", 24),
    ("message", "Nội dung", 80),
    ("source_file", "Tệp", 36),
    ("source_sheet", "Trang tính", 16),
    ("cell", "Ô", 24),
    ("cells", "Số ô", 6),
    ("value", "Giá trị", 16),
    ("suggestion", "Gợi ý", 50),
]
GENERAL_SHEET = "Chung"
_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)}
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def safe_stem(text: object, fallback: str = "khong-ro") -> str:
    """A file-name stem from any text: ASCII letters, digits and '-', no traversal, no
    Windows reserved name, at most 60 characters.

    >>> safe_stem("Huyện Nam Trà My")
    'huyen-nam-tra-my'
    >>> safe_stem("../../etc/passwd"), safe_stem("CON"), safe_stem("")
    ('etc-passwd', '_con', 'khong-ro')
    """
    value = "" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text)
    value = unicodedata.normalize("NFD", value).replace("đ", "d").replace("Đ", "D")
    value = "".join(ch for ch in value if unicodedata.category(ch) != "Mn")
    value = re.sub(r"[^A-Za-z0-9]+", "-", value).strip("-").lower()[:60].strip("-")
    if not value:
        return fallback
    if value.upper() in _RESERVED:
        value = "_" + value
    return value


def safe_sheet_name(text: object, used: set[str]) -> str:
    """An Excel sheet name: no []:*?/\\, at most 31 characters, unique (case-insensitive)."""
    base = _SHEET_BAD.sub(" ", str(text or GENERAL_SHEET)).strip().strip("'")[:31] or GENERAL_SHEET
    name, k = base, 2
    while name.lower() in used:
        suffix = f" ({k})"
        name = base[: 31 - len(suffix)] + suffix
        k += 1
    used.add(name.lower())
    return name


def _cell_key(cell: object) -> tuple[int, int]:
    """Sort key of an A1 address: row, then column ("B10" after "B9")."""
    match = re.fullmatch(r"([A-Z]+)(\d+)", str(cell or ""))
    if not match:
        return (0, 0)
    col = 0
    for ch in match.group(1):
        col = col * 26 + ord(ch) - 64
    return (int(match.group(2)), col)


def sort_issues(issues: pd.DataFrame) -> pd.DataFrame:
    """By file, sheet, cell (row then column), severity (errors first)."""
    if issues.empty:
        return issues
    frame = issues.copy()
    keys = frame["cell"].map(_cell_key)
    frame["_r"] = [k[0] for k in keys]
    frame["_c"] = [k[1] for k in keys]
    frame["_s"] = frame["severity"].map(SEVERITY_ORDER).fillna(len(SEVERITY_ORDER))
    frame = frame.sort_values(
        ["source_file", "source_sheet", "_r", "_c", "_s", "code"],
        na_position="first",
        kind="stable",
    )
    return frame.drop(columns=["_r", "_c", "_s"]).reset_index(drop=True)


def _text(value: object) -> str:
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def _write_sheet(book: xlsxwriter.Workbook, name: str, issues: pd.DataFrame, formats: dict) -> None:
    """One sheet of issues, in the order given (sorted once by the caller: `sort_issues`),
    one line per cause (`grouping.group_issues`)."""
    issues = group_issues(issues)
    sheet = book.add_worksheet(name)
    for col, (_, header, width) in enumerate(HEADERS):
        sheet.write_string(0, col, header, formats["header"])
        sheet.set_column(col, col, width, formats["wrap"] if width >= 50 else None)
    for r, rec in enumerate(issues.to_dict("records"), start=1):
        for col, (field, _, _) in enumerate(HEADERS):
            value = _text(rec.get(field))
            if field == "severity":
                fmt = formats.get(value, formats["warning"])
                sheet.write_string(r, col, SEVERITY_VI.get(value, value), fmt)
            elif field == "cells":
                sheet.write_number(r, col, int(rec[field]))
            else:
                # write_string: a text such as "=SUM(A1)" or "@cmd" stays text, never a formula.
                sheet.write_string(r, col, value)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(issues), 1), len(HEADERS) - 1)


def _formats(book: xlsxwriter.Workbook) -> dict:
    return {
        "header": book.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}
        ),
        "error": book.add_format({"font_color": "#C00000", "bold": True}),
        "warning": book.add_format({"font_color": "#9C5700"}),
        "info": book.add_format({"font_color": "#1F4E79", "italic": True}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
    }


def _district_names() -> dict[str, str]:
    try:
        from ketnghia_analysis.reference import gazetteer

        frame = gazetteer.districts()
        return dict(zip(frame["district_code"].astype(str), frame["district_name"], strict=False))
    except Exception:  # noqa: BLE001 - names are a nicety
        return {}


def write_issues_xlsx(issues: pd.DataFrame, path: Path, reuse: Reuse | None = None) -> Path:
    """issues.xlsx: one sheet per district (plus "Chung" for file-level findings); with
    `reuse`, the previous build's file when its content is the same (`unchanged.Reuse`)."""
    path = Path(path)
    issues = sort_issues(issues)
    if reuse is not None and reuse.take(path, issues):
        return path
    names = _district_names()
    book = open_workbook(path, in_memory=True)
    formats = _formats(book)
    used: set[str] = set()
    codes = issues["district_code"] if not issues.empty else pd.Series(dtype=str)
    general = issues[codes.isna()] if not issues.empty else issues
    _write_sheet(book, safe_sheet_name(GENERAL_SHEET, used), general, formats)
    for code in sorted(codes.dropna().unique()):
        title = f"{code} {names.get(code, '')}".strip()
        _write_sheet(book, safe_sheet_name(title, used), issues[codes == code], formats)
    book.close()
    return path


def feedback_name(district_code: object, year: object, district_name: str | None = None) -> str:
    """File name of a district's feedback: "<code>-<name>_<year>.xlsx", safe on every OS.

    >>> feedback_name("516", 2023, "Huyện Nam Trà My")
    '516-huyen-nam-tra-my_2023.xlsx'
    """
    stem = safe_stem(f"{district_code or ''} {district_name or ''}")
    year_part = (
        safe_stem(year, "khong-ro-nam")
        if year is not None and not pd.isna(year)
        else "khong-ro-nam"
    )
    return f"{stem}_{year_part}.xlsx"


def write_district_feedback(
    issues: pd.DataFrame, folder: Path, reuse: Reuse | None = None
) -> list[Path]:
    """feedback/<district>_<year>.xlsx for every district-year with findings; with `reuse`,
    the previous build's workbook of a district-year whose findings are the same."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if issues.empty:
        return written
    names = _district_names()
    issues = sort_issues(issues)
    if reuse is not None:
        reuse.prepare(issues)
    frame = issues[issues["district_code"].notna()]
    years = frame["year"].astype("object").where(frame["year"].notna(), None)
    for (code, year), group in frame.groupby([frame["district_code"], years], dropna=False):
        name = feedback_name(code, year, names.get(code))
        target = (folder / name).resolve()
        if target.parent != folder.resolve():  # belt and braces: never outside feedback/
            continue
        written.append(target)
        title = title_of(names, code, year)
        if reuse is not None and reuse.take(target, reuse.rows(group.index), title):
            continue
        book = open_workbook(target, in_memory=True)
        formats = _formats(book)
        _write_sheet(book, "Vấn đề", group, formats)
        info = book.add_worksheet("Hướng dẫn")
        info.set_column(0, 0, 100)
        for r, line in enumerate(guide_lines(title, group)):
            info.write_string(r, 0, line)
        book.close()
    return written


def title_of(names: dict[str, str], code: Any, year: object) -> str:
    """The district and year a feedback workbook is about, as its guide names them."""
    return f"{names.get(code, code)}, năm {year or '?'}"


def guide_lines(title: str, issues: pd.DataFrame) -> list[str]:
    """The "Hướng dẫn" sheet of a feedback workbook: what its lines mean, counted by cause."""
    counts = count_by_severity(group_issues(issues))
    return [
        f"Phản hồi kiểm tra báo cáo kết nghĩa — {title}",
        f"Số lỗi (phải sửa): {counts['error']}; số cảnh báo (nên kiểm tra): "
        f"{counts['warning']}; số ghi chú (cách đọc đã chọn, không phải lỗi): {counts['info']}.",
        "Mỗi dòng của trang 'Vấn đề' là một lỗi trong một cột của một trang tính: cột 'Ô' "
        "liệt kê các ô đầu tiên, cột 'Số ô' cho biết có bao nhiêu ô cùng lỗi đó.",
        "Dòng số liệu có lỗi mức 'Lỗi' chưa được đưa vào số liệu tổng hợp; ô có 'Cảnh báo' về "
        "giá trị được để trống, các ô khác của dòng vẫn được nhận. Sau khi sửa, gửi lại toàn "
        "bộ tệp.",
        "'Ghi chú' cho biết cách chương trình đã hiểu một cột (ví dụ tỷ lệ ghi dạng thập "
        "phân): kiểm tra lại nếu cách hiểu đó sai.",
        "Có thể tự kiểm tra trước khi gửi bằng lệnh: ketnghia check <tệp>.",
    ]
