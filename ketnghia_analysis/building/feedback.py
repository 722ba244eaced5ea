"""Feedback to districts: issues.xlsx (one sheet per district) and feedback/<district>_<year>.xlsx."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import xlsxwriter

from ketnghia_analysis.building.grouping import count_by_severity, group_records
from ketnghia_analysis.building.rulebook import SEVERITY_ORDER, SEVERITY_VI
from ketnghia_analysis.core.missing import is_missing
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


def _write_sheet(
    book: xlsxwriter.Workbook, name: str, lines: list[dict[str, Any]], formats: dict
) -> None:
    """One sheet of findings: `lines` are grouped, one per cause (`grouping.group_records`),
    in the order of `sort_issues`."""
    sheet = book.add_worksheet(name)
    for col, (_, header, width) in enumerate(HEADERS):
        sheet.write_string(0, col, header, formats["header"])
        sheet.set_column(col, col, width, formats["wrap"] if width >= 50 else None)
    for r, rec in enumerate(lines, start=1):
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
    sheet.autofilter(0, 0, max(len(lines), 1), len(HEADERS) - 1)


def _grouped(issues: pd.DataFrame) -> list[dict[str, Any]]:
    """The lines of sorted findings, grouped once for a whole workbook set (issue #18)."""
    return group_records(issues.to_dict("records")) if not issues.empty else []


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


def write_issues_xlsx(
    issues: pd.DataFrame, path: Path, reuse: Reuse | None = None, *, presorted: bool = False
) -> Path:
    """issues.xlsx: one sheet per district (plus "Chung" for file-level findings); with
    `reuse`, the previous build's file when its content is the same (`unchanged.Reuse`).
    `presorted`: the findings come through `sort_issues` already (a build sorts them once)."""
    path = Path(path)
    issues = issues if presorted else sort_issues(issues)
    if reuse is not None and reuse.take(path, issues):
        return path
    names = _district_names()
    book = open_workbook(path, in_memory=True)
    formats = _formats(book)
    used: set[str] = set()
    lines = _grouped(issues)
    by_district: dict[str, list[dict[str, Any]]] = {}
    general = []
    for line in lines:
        code = line.get("district_code")
        if is_missing(code):
            general.append(line)
        else:
            by_district.setdefault(str(code), []).append(line)
    _write_sheet(book, safe_sheet_name(GENERAL_SHEET, used), general, formats)
    for code in sorted(by_district):
        title = f"{code} {names.get(code, '')}".strip()
        _write_sheet(book, safe_sheet_name(title, used), by_district[code], formats)
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
    issues: pd.DataFrame, folder: Path, reuse: Reuse | None = None, *, presorted: bool = False
) -> list[Path]:
    """feedback/<district>_<year>.xlsx for every district-year with findings; with `reuse`,
    the previous build's workbook of a district-year whose findings are the same.
    `presorted` as for `write_issues_xlsx`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if issues.empty:
        return written
    names = _district_names()
    issues = issues if presorted else sort_issues(issues)
    if reuse is not None:
        reuse.prepare(issues)
    lines = _district_years(_grouped(issues))
    for (code, year), index in _district_years_of(issues).items():
        name = feedback_name(code, year, names.get(code))
        target = (folder / name).resolve()
        if target.parent != folder.resolve():  # belt and braces: never outside feedback/
            continue
        written.append(target)
        title = title_of(names, code, year)
        if reuse is not None and reuse.take(target, reuse.rows(index), title):
            continue
        book = open_workbook(target, in_memory=True)
        formats = _formats(book)
        _write_sheet(book, "Vấn đề", lines[code, year], formats)
        info = book.add_worksheet("Hướng dẫn")
        info.set_column(0, 0, 100)
        for r, line in enumerate(guide_lines(title, lines[code, year])):
            info.write_string(r, 0, line)
        book.close()
    return written


def _year(value: object) -> int | None:
    return None if is_missing(value) else int(value)  # type: ignore[call-overload]


def _district_years_of(issues: pd.DataFrame) -> dict[tuple[str, int | None], pd.Index]:
    """The labels of the findings of each district-year (findings of a district only), by
    district code then year (a missing year last), as the feedback files are listed."""
    frame = issues[issues["district_code"].notna()]
    keys: dict[tuple[str, int | None], list[Any]] = {}
    for label, code, year in zip(frame.index, frame["district_code"], frame["year"], strict=True):
        keys.setdefault((str(code), _year(year)), []).append(label)
    order = sorted(keys, key=lambda k: (k[0], k[1] is None, k[1] or 0))
    return {key: pd.Index(keys[key]) for key in order}


def _district_years(lines: list[dict[str, Any]]) -> dict[tuple[str, int | None], list[dict]]:
    """The grouped lines of each district-year (a cause never spans two: its key has both)."""
    out: dict[tuple[str, int | None], list[dict[str, Any]]] = {}
    for line in lines:
        code = line.get("district_code")
        if not is_missing(code):
            out.setdefault((str(code), _year(line.get("year"))), []).append(line)
    return out


def title_of(names: dict[str, str], code: Any, year: object) -> str:
    """The district and year a feedback workbook is about, as its guide names them."""
    return f"{names.get(code, code)}, năm {year or '?'}"


def guide_lines(title: str, lines: list[dict[str, Any]]) -> list[str]:
    """The "Hướng dẫn" sheet of a feedback workbook: what its grouped lines mean, counted."""
    counts = count_by_severity(lines)
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
