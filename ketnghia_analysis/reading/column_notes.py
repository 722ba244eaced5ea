"""What the reader decided about a column of values, said once per column in Vietnamese.

A column of a return is read as a whole: its separators, the scale of its rates, a money
unit written in its cells, numbers and years written with words. Each such decision,
taken on the column's own evidence, becomes one info-level `Note` per column (never one
per cell), pointing at an example cell; an Excel error value (#DIV/0!, #REF!, ...) becomes
a note per cell: a warning in a source column, info in a derived cell (a rate, a total),
whose value the building stage recomputes. The parsers (`parsers.py`) turn notes into
Issues at their cells.

Codes: NUMBER_CONVENTION_DECIDED, NUMBER_IN_TEXT, UNIT_CONVERTED, RATE_SCALE_DECIDED,
YEAR_IN_TEXT, BLANK_READ_AS_ZERO (info), VALUE_EXCEL_ERROR (warning, or info in a derived cell).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ketnghia_analysis.core.address import a1
from ketnghia_analysis.core.fmt import fmt_number
from ketnghia_analysis.reading.values import ColumnParse, quote

__all__ = [
    "CODES",
    "Note",
    "column_letter",
    "shown",
    "excel_error_notes",
    "words_note",
    "convention_note",
    "unit_note",
    "rate_note",
    "year_note",
    "blank_zero_note",
]

#: code → (severity, what the note says), for the reader's notes on values.
CODES: dict[str, tuple[str, str]] = {
    "NUMBER_CONVENTION_DECIDED": (
        "info",
        "dấu chấm/dấu phẩy của các số như “1.234” được hiểu theo cả cột (một lần mỗi cột)",
    ),
    "NUMBER_IN_TEXT": ("info", "số ghi kèm chữ hoặc đơn vị (“106 hộ”): đã đọc phần số"),
    "UNIT_CONVERTED": ("info", "số ghi kèm đơn vị tiền khác đơn vị của cột: đã quy đổi"),
    "RATE_SCALE_DECIDED": ("info", "tỷ lệ ghi dạng thập phân hay điểm phần trăm: quyết theo cột"),
    "YEAR_IN_TEXT": ("info", "năm ghi dạng chữ, ngày hoặc khoảng năm: đã đọc năm"),
    "BLANK_READ_AS_ZERO": ("info", "ô trống ở cột không ghi số 0 nào: đọc là 0 (quyết theo cột)"),
    "VALUE_EXCEL_ERROR": ("warning", "ô có giá trị lỗi của Excel (#DIV/0!, #REF!, #N/A …)"),
}


@dataclass(frozen=True)
class Note:
    """One note about a column: the index of the value it points at, its code, its
    Vietnamese message and its severity."""

    index: int
    code: str
    message: str
    severity: str = "info"


@functools.lru_cache(maxsize=1024)
def column_letter(col0: int) -> str:
    """Excel letters of a 0-based column: 7 → "H" (memoised: asked for every column read)."""
    return a1(0, col0).rstrip("0123456789")


def shown(x: float, decimals: int = 4) -> str:
    """A number the Vietnamese way, without trailing zeros: 41.63 → "41,63"."""
    text = fmt_number(x, decimals)
    return text.rstrip("0").rstrip(",") if "," in text else text


def _cells(n: int) -> str:
    return f"{n} ô" if n > 1 else "1 ô"


def excel_error_notes(
    sentinels: Mapping[int, str], raw: Sequence[object], derived: Callable[[int], bool]
) -> list[Note]:
    """VALUE_EXCEL_ERROR for each cell holding an Excel error value (sentinel
    "excel_error"), left empty: info in a derived cell, else a warning."""
    out = []
    for i, sentinel in sentinels.items():
        if sentinel != "excel_error":
            continue
        if derived(i):
            message = (
                f"Ô có giá trị lỗi của Excel {quote(raw[i])} ở ô tính ra (tỷ lệ, dòng tổng): "
                "để trống, số liệu được tính lại từ các ô khác"
            )
            out.append(Note(i, "VALUE_EXCEL_ERROR", message, "info"))
        else:
            message = (
                f"Ô có giá trị lỗi của Excel {quote(raw[i])}: coi như không có số liệu, "
                "dòng vẫn được giữ; đề nghị nhập lại số"
            )
            out.append(Note(i, "VALUE_EXCEL_ERROR", message, "warning"))
    return out


def words_note(
    col: ColumnParse, raw: Sequence[object], letter: str, skip: frozenset[int] = frozenset()
) -> Note | None:
    """NUMBER_IN_TEXT: numbers written with words or a unit, read as their number."""
    cells = [i for i in col.words if i not in skip and col.values[i] is not None]
    if not cells:
        return None
    i = cells[0]
    message = (
        f"Cột {letter}: {_cells(len(cells))} ghi số kèm chữ (ví dụ {quote(raw[i])}), "
        f"đã đọc phần số ({quote(shown(_number_read(col, i)))})"
    )
    return Note(i, "NUMBER_IN_TEXT", message)


def _number_read(col: ColumnParse, i: int) -> float:
    x = col.values[i]
    return float(x) if x is not None else 0.0


_CONVENTION_WHY = {
    "votes": "như cách viết của các ô khác trong cột",
    "total": "vì như vậy các dòng cộng lại bằng dòng tổng cộng",
    "magnitude": "vì như vậy cùng độ lớn với các số khác trong cột",
    "default": "theo cách viết Việt Nam (cột không có ô nào khác để phân biệt)",
}


def convention_note(col: ColumnParse, raw: Sequence[object], letter: str) -> Note | None:
    """NUMBER_CONVENTION_DECIDED: how "1.234" was read in a column that depended on it."""
    if not col.ambiguous or col.decided_by not in _CONVENTION_WHY:
        return None
    i = col.ambiguous[0]
    text = str(raw[i]).strip()
    sep = "dấu chấm" if "." in text else "dấu phẩy"
    thousands = ("." in text) == (col.convention == "vi")
    meaning = f"{sep} ngăn cách hàng nghìn" if thousands else f"{sep} là dấu thập phân"
    message = (
        f"Cột {letter}: {_cells(len(col.ambiguous))} như {quote(text)} được đọc là "
        f"{shown(abs(_number_read(col, i)), 3)} ({meaning}), {_CONVENTION_WHY[col.decided_by]}"
    )
    return Note(i, "NUMBER_CONVENTION_DECIDED", message)


_UNIT_NAME = {1000.0: "tỷ đồng", 1.0: "triệu đồng", 0.001: "nghìn đồng", 1e-6: "đồng"}


def unit_note(
    converted: Mapping[int, float], raw: Sequence[object], letter: str, column_scale: float
) -> Note | None:
    """UNIT_CONVERTED: cells that name a money unit other than the column's, converted."""
    if not converted:
        return None
    i = min(converted)
    column_unit = _UNIT_NAME.get(column_scale, "đơn vị của cột")
    message = (
        f"Cột {letter}: {_cells(len(converted))} ghi kèm đơn vị tiền khác đơn vị của cột "
        f"({column_unit}), đã quy đổi sang triệu đồng theo đơn vị ghi trong ô "
        f"(ví dụ {quote(raw[i])} = {shown(converted[i])} triệu đồng)"
    )
    return Note(i, "UNIT_CONVERTED", message)


_RATE_WHY = {
    "counts": "khớp với số hộ nghèo / tổng số hộ",
    "header": "tiêu đề cột ghi %",
    "sign": "các ô khác của cột ghi kèm dấu %",
    "formatted": "ô số cạnh các ô ghi dấu % là ô định dạng phần trăm",
    "default": "không ô nào ghi dấu % hay lớn hơn 1",
}


def rate_note(col: ColumnParse, raw: Sequence[object], letter: str) -> Note | None:
    """RATE_SCALE_DECIDED: how a rate column without "%" and without values above 1 was
    read (fractions of 1, or percent points), and on what evidence."""
    if col.decided_by not in _RATE_WHY:
        return None
    cells = [i for i in col.ambiguous if col.values[i]]
    if not cells:
        return None
    i = cells[0]
    typed = shown(col.values[i] * (1 if col.convention == "fraction" else 100), 6)
    as_percent = shown(col.values[i] * 100, 4)
    style = "dạng thập phân" if col.convention == "fraction" else "theo điểm phần trăm"
    message = (
        f"Cột {letter}: tỷ lệ ghi {style} ({typed}), đã đọc là {as_percent} % "
        f"({_RATE_WHY[col.decided_by]}; {_cells(len(col.ambiguous))})"
    )
    return Note(i, "RATE_SCALE_DECIDED", message)


def year_note(
    years: Sequence[int | None], how: Mapping[int, str], raw: Sequence[object], letter: str
) -> Note | None:
    """YEAR_IN_TEXT: years written as text, dates, serials or ranges, read as a year."""
    if not how:
        return None
    i = min(how)
    what = {
        "date": "dạng ngày",
        "serial": "dạng số ngày của Excel",
    }.get(how[i], "kèm chữ, dạng tháng/ngày hoặc khoảng năm")
    message = (
        f"Cột {letter}: {_cells(len(how))} ghi năm {what} (ví dụ {quote(raw[i])}), "
        f"đã đọc là năm {years[i]}"
    )
    return Note(i, "YEAR_IN_TEXT", message)


def blank_zero_note(zeros: Sequence[int], letter: str) -> Note | None:
    """BLANK_READ_AS_ZERO: the blanks of a count column that writes no zero, read as 0."""
    if not zeros:
        return None
    message = (
        f"Cột {letter}: {_cells(len(zeros))} để trống được đọc là 0, vì cột không ghi số 0 "
        "hay dấu “-” ở ô nào mà các dòng này có số liệu ở cột khác (mẫu biểu cho phép để "
        "trống thay cho số 0)"
    )
    return Note(zeros[0], "BLANK_READ_AS_ZERO", message)
