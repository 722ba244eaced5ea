"""The official poverty-review forms A-D as a district fills them (`ketnghia template --official`).

Layouts follow ../shared/spec/official-forms.md: a title block (ỦY BAN NHÂN DÂN and the
district, the national motto, the title with the year), a header of merged rows, the row of
column numbers with the derived columns' formulas as text (``9=1-2-3-4+5+6+7+8``), then one
row per commune of the district in the year (two for B, C, D: "Hộ" and "Nhân khẩu", the TT
and the name merged over both), and a total. Derived cells (rates, column 9 of B and C,
"Khác" of D) are formulas, blank until the counts are typed. `OFFICIAL_LAYOUTS` is the header
of each form; `header_grid` lays it out as rows and merges.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_col_to_name

from ketnghia_analysis.core.xlsx import open_workbook
from ketnghia_analysis.reading.model import PAIRED_FORMS
from ketnghia_analysis.reference import gazetteer

__all__ = ["OFFICIAL_FORM_OF", "OFFICIAL_LAYOUTS", "OFFICIAL_TITLES", "header_grid"]

#: The letter of each official form → its form kind.
OFFICIAL_FORM_OF = {
    "A": "review_result",
    "B": "poor_movement",
    "C": "near_poor_movement",
    "D": "poverty_groups",
}

OFFICIAL_TITLES = {
    "review_result": "TỔNG HỢP KẾT QUẢ RÀ SOÁT HỘ NGHÈO, HỘ CẬN NGHÈO, HỘ LÀM NÔNG, LÂM, "
    "NGƯ NGHIỆP CÓ MỨC SỐNG TRUNG BÌNH",
    "poor_movement": "TỔNG HỢP DIỄN BIẾN HỘ NGHÈO",
    "near_poor_movement": "TỔNG HỢP DIỄN BIẾN HỘ CẬN NGHÈO",
    "poverty_groups": "PHÂN TÍCH HỘ NGHÈO, HỘ CẬN NGHÈO THEO CÁC NHÓM ĐỐI TƯỢNG",
}

Column = tuple[str | None, tuple[str, ...], str]  # (canonical name, header path, number)

_UNIT: list[Column] = [("stt", ("TT",), "A"), ("commune", ("Phường/Xã",), "B")]
_PAIRED_UNIT: list[Column] = [*_UNIT, ("breakdown", ("Phân tổ",), "C")]
_HH = "Tổng số hộ dân cư (tại thời điểm rà soát)"
_ON_HH, _ON_PEOPLE = "Kết quả rà soát về hộ", "Kết quả rà soát về khẩu"
_POOR, _NEAR = "Tổng số hộ nghèo", "Tổng số hộ cận nghèo"
_AVERAGE = "Hộ nông, lâm, ngư nghiệp có mức sống trung bình"
_POOR_DOWN, _POOR_UP = "Diễn biến giảm số hộ nghèo", "Diễn biến tăng số hộ nghèo"
_NEAR_DOWN, _NEAR_UP = "Diễn biến giảm số hộ cận nghèo", "Diễn biến tăng số hộ cận nghèo"
_MOVEMENT_END = "9=1-2-3-4+5+6+7+8"


def _movement_other(down: bool, poor: bool) -> str:
    if down:
        who = "hộ nghèo đơn thân chết" if poor else "hộ cận nghèo đơn thân chết"
        return f"Số hộ khác: thay đổi nhân khẩu, {who}, chuyển đi nơi khác, tách hộ"
    return "Số hộ khác: thay đổi nhân khẩu, chuyển đến, tách hộ"


def _groups(poor: bool) -> list[Column]:
    head = "Hộ nghèo" if poor else "Hộ cận nghèo"
    prefix, first = ("poor", 1) if poor else ("near_poor", 6)
    total = "poor_total" if poor else "near_poor_total"
    ethnic = "poor_ethnic_minority_end" if poor else "near_poor_ethnic_minority"
    other = f"{first + 4}={first}-{first + 1}-{first + 2}-{first + 3}"
    return [
        (total, (head, "Tổng số"), str(first)),
        (ethnic, (head, "Hộ dân tộc thiểu số"), str(first + 1)),
        (f"{prefix}_no_labour", (head, "Hộ không có khả năng lao động"), str(first + 2)),
        (f"{prefix}_merit", (head, "Hộ có người có công với cách mạng"), str(first + 3)),
        (f"{prefix}_other", (head, "Khác"), other),
    ]


OFFICIAL_LAYOUTS: dict[str, list[Column]] = {
    "review_result": [
        *_UNIT,
        ("households_total", (_HH, "Số hộ"), "1"),
        ("people_total", (_HH, "Nhân khẩu"), "2"),
        ("poor_end", (_ON_HH, _POOR, "Số hộ"), "3"),
        ("poverty_rate_reported", (_ON_HH, _POOR, "Tỷ lệ (%)"), "4=3/1*100"),
        ("near_poor_end", (_ON_HH, _NEAR, "Số hộ"), "5"),
        ("near_poor_rate_reported", (_ON_HH, _NEAR, "Tỷ lệ (%)"), "6=5/1*100"),
        ("average_living_end", (_ON_HH, _AVERAGE, "Số hộ"), "7"),
        (None, (_ON_HH, _AVERAGE, "Tỷ lệ (%)"), "8=7/1*100"),
        ("poor_people_end", (_ON_PEOPLE, _POOR, "Số khẩu"), "9"),
        (None, (_ON_PEOPLE, _POOR, "Tỷ lệ (%)"), "10=9/2*100"),
        ("near_poor_people_end", (_ON_PEOPLE, _NEAR, "Số khẩu"), "11"),
        (None, (_ON_PEOPLE, _NEAR, "Tỷ lệ (%)"), "12=11/2*100"),
        (None, (_ON_PEOPLE, _AVERAGE, "Số khẩu"), "13"),
        (None, (_ON_PEOPLE, _AVERAGE, "Tỷ lệ (%)"), "14=13/2*100"),
    ],
    "poor_movement": [
        *_PAIRED_UNIT,
        ("poor_start", ("Tổng số hộ nghèo đầu kỳ",), "1"),
        (
            "exits_to_near_poor",
            (_POOR_DOWN, "Số hộ thoát nghèo", "Trở thành hộ cận nghèo"),
            "2",
        ),
        ("exits_above_near_poor", (_POOR_DOWN, "Số hộ thoát nghèo", "Vượt chuẩn cận nghèo"), "3"),
        ("poverty_other_decrease", (_POOR_DOWN, _movement_other(True, True)), "4"),
        ("poverty_from_near_poor", (_POOR_UP, "Số hộ cận nghèo trở thành hộ nghèo"), "5"),
        ("poverty_relapses", (_POOR_UP, "Số hộ nghèo bổ sung trong kỳ", "Tái nghèo"), "6"),
        ("poverty_new", (_POOR_UP, "Số hộ nghèo bổ sung trong kỳ", "Phát sinh mới"), "7"),
        ("poverty_other_increase", (_POOR_UP, _movement_other(False, True)), "8"),
        ("poor_end", ("Tổng số hộ nghèo cuối kỳ",), _MOVEMENT_END),
    ],
    "near_poor_movement": [
        *_PAIRED_UNIT,
        ("near_poor_start", ("Tổng số hộ cận nghèo đầu kỳ",), "1"),
        ("near_poor_exits", (_NEAR_DOWN, "Số hộ thoát cận nghèo"), "2"),
        ("near_poor_to_poor", (_NEAR_DOWN, "Trở thành hộ nghèo"), "3"),
        ("near_poor_other_decrease", (_NEAR_DOWN, _movement_other(True, False)), "4"),
        ("near_poor_from_poor", (_NEAR_UP, "Hộ nghèo trở thành hộ cận nghèo"), "5"),
        (
            "near_poor_relapses",
            (_NEAR_UP, "Số hộ cận nghèo bổ sung trong kỳ", "Tái cận nghèo"),
            "6",
        ),
        ("near_poor_new", (_NEAR_UP, "Số hộ cận nghèo bổ sung trong kỳ", "Phát sinh mới"), "7"),
        ("near_poor_other_increase", (_NEAR_UP, _movement_other(False, False)), "8"),
        ("near_poor_end", ("Tổng số hộ cận nghèo cuối kỳ",), _MOVEMENT_END),
    ],
    "poverty_groups": [*_PAIRED_UNIT, *_groups(True), *_groups(False)],
}


def header_grid(form: str) -> tuple[list[list[Any]], list[tuple[int, int, int, int]]]:
    """(rows, merges) of a form's header and its numbering row, from row 0 and column 0.

    A label spanning several columns is merged across them; a label with nothing under it is
    merged down to the last header row. Merges are (first row, first col, last row, last col).
    """
    layout = OFFICIAL_LAYOUTS[form]
    depth = max(len(path) for _n, path, _num in layout)
    rows: list[list[Any]] = [[None] * len(layout) for _ in range(depth)]
    merges: list[tuple[int, int, int, int]] = []
    for k in range(depth):
        c = 0
        while c < len(layout):
            path = layout[c][1]
            if len(path) <= k:
                c += 1
                continue
            e = c
            while e + 1 < len(layout) and layout[e + 1][1][: k + 1] == path[: k + 1]:
                e += 1
            bottom = depth - 1 if len(path) == k + 1 else k
            rows[k][c] = path[k]
            if bottom > k or e > c:
                merges.append((k, c, bottom, e))
            c = e + 1
    numbers: list[Any] = [int(n) if n.isdigit() else n for _k, _p, n in layout]
    return [*rows, numbers], merges


def _formats(book: Any) -> dict[str, Any]:
    head = {"bold": True, "text_wrap": True, "align": "center", "valign": "vcenter", "border": 1}
    return {
        "bold": book.add_format({"bold": True, "align": "center"}),
        "title": book.add_format({"bold": True, "font_size": 13, "align": "center"}),
        "head": book.add_format(head),
        "number": book.add_format({**head, "italic": True, "bold": False}),
        "cell": book.add_format({"border": 1, "valign": "vcenter"}),
        "input": book.add_format({"border": 1, "locked": False}),
        "total": book.add_format({"border": 1, "bold": True, "valign": "vcenter"}),
        "rate": book.add_format({"border": 1, "num_format": "0.00"}),
    }


def write_official_template(letter: str, district_code: str, year: int, out: Path) -> Path:
    """Write official form `letter` (A, B, C or D) for a district and year, with the communes
    valid on 31 December of the year, as the district fills it in."""
    form = OFFICIAL_FORM_OF.get(str(letter).upper())
    if form is None:
        raise ValueError(f"không có biểu chính thức '{letter}' (chọn A, B, C hoặc D)")
    districts = gazetteer.districts()
    hit = districts[districts["district_code"] == str(district_code)]
    if hit.empty:
        raise ValueError(f"không có huyện mã {district_code} trong danh mục")
    name = str(hit["district_name"].iloc[0])
    units = gazetteer.communes_in_year(int(year))
    units = units[units["district_code"] == str(district_code)].sort_values("commune_code")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    book = open_workbook(out)
    ws = book.add_worksheet("Sheet1")
    f = _formats(book)
    layout = OFFICIAL_LAYOUTS[form]
    last = len(layout) - 1
    ws.merge_range(0, 0, 0, 2, "ỦY BAN NHÂN DÂN", f["bold"])
    ws.merge_range(1, 0, 1, 2, name.upper(), f["bold"])
    ws.merge_range(0, 4, 0, last, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", f["bold"])
    ws.merge_range(1, 4, 1, last, "Độc lập - Tự do - Hạnh phúc", f["bold"])
    ws.merge_range(3, 0, 3, last, f"{OFFICIAL_TITLES[form]} NĂM {int(year)}", f["title"])
    first = _write_header(ws, form, 5, f)
    labels = [str(x) for x in units["commune_name"]]
    end = _write_units(ws, form, first, labels, f)
    _write_units(ws, form, end + 1, ["Tổng cộng"], f, total_of=(first, end))
    ws.set_column(0, 0, 5)
    ws.set_column(1, 1, 22)
    ws.set_column(2, last, 11)
    ws.freeze_panes(first, 2)
    book.close()
    return out


def _write_header(ws: Any, form: str, top: int, f: dict[str, Any]) -> int:
    """The header and numbering rows from row `top`; returns the first row under them."""
    rows, merges = header_grid(form)
    merged = {(r0, c0) for r0, c0, _r1, _c1 in merges}
    for r0, c0, r1, c1 in merges:
        ws.merge_range(top + r0, c0, top + r1, c1, rows[r0][c0], f["head"])
    for r, row in enumerate(rows):
        fmt = f["number"] if r == len(rows) - 1 else f["head"]
        for c, v in enumerate(row):
            if v is not None and (r, c) not in merged:
                ws.write(top + r, c, v, fmt)
    return top + len(rows)


def _derived(form: str, key: str | None, number: str, row: int) -> str | None:
    """The formula of a derived cell (a rate, column 9 of B and C, "Khác" of D), blank until
    its counts are typed."""
    if "=" not in number or key is None and "/" not in number:
        return None
    col_of = {n: xl_col_to_name(c) for c, (_k, _p, n) in enumerate(OFFICIAL_LAYOUTS[form])}
    by_number = {n.split("=")[0]: letter for n, letter in col_of.items()}
    expr = number.split("=", 1)[1]
    cells = [f"{by_number[t]}{row + 1}" for t in _tokens(expr)]
    if "/" in expr:  # a rate: count / households × 100
        num, den = cells[0], cells[1]
        return f'=IF(AND(ISNUMBER({num}),N({den})>0),ROUND({num}/{den}*100,2),"")'
    signs = ["+"] + [ch for ch in expr if ch in "+-"]
    terms = "".join(s + c for s, c in zip(signs, cells, strict=True)).lstrip("+")
    return f'=IF(COUNT({",".join(cells)})=0,"",{terms})'


def _tokens(expr: str) -> list[str]:
    """The column numbers of a formula text: "3/1*100" → ["3", "1"] (the 100 is no column)."""
    return [t for t in re.findall(r"\d+", expr) if t != "100"]


def _write_units(
    ws: Any,
    form: str,
    first: int,
    labels: list[str],
    f: dict[str, Any],
    total_of: tuple[int, int] | None = None,
) -> int:
    """Rows of each unit from row `first` (a pair for B, C, D); returns the next free row."""
    layout = OFFICIAL_LAYOUTS[form]
    paired = form in PAIRED_FORMS
    step = 2 if paired else 1
    label_fmt = f["total"] if total_of else f["cell"]
    for i, label in enumerate(labels):
        r = first + i * step
        stt = "" if total_of else i + 1
        if paired:
            ws.merge_range(r, 0, r + 1, 0, stt, label_fmt)
            ws.merge_range(r, 1, r + 1, 1, label, label_fmt)
            ws.write_string(r, 2, "Hộ", f["cell"])
            ws.write_string(r + 1, 2, "Nhân khẩu", f["cell"])
        else:
            ws.write(r, 0, stt, label_fmt)
            ws.write_string(r, 1, label, label_fmt)
        for rr in range(r, r + step):
            for c, (key, _path, number) in enumerate(layout):
                if key in ("stt", "commune", "breakdown"):
                    continue
                _write_value(ws, form, key, number, rr, c, f, total_of, step)
    return first + len(labels) * step


def _write_value(
    ws: Any,
    form: str,
    key: str | None,
    number: str,
    row: int,
    col: int,
    f: dict[str, Any],
    total_of: tuple[int, int] | None,
    step: int,
) -> None:
    """One cell: a derived formula, a sum over the units (total row), or a blank input."""
    formula = _derived(form, key, number, row)
    if formula is not None:
        ws.write_formula(row, col, formula, f["rate"] if "/" in number else f["cell"], "")
    elif total_of is not None:
        letter = xl_col_to_name(col)
        parity = (row - total_of[1]) % step  # the "Hộ" or the "Nhân khẩu" rows
        cells = ",".join(
            f"{letter}{r + 1}"
            for r in range(total_of[0], total_of[1])
            if (r - total_of[1]) % step == parity
        )
        ws.write_formula(row, col, f'=IF(COUNT({cells})=0,"",SUM({cells}))', f["total"], "")
    else:
        ws.write_blank(row, col, None, f["input"])
