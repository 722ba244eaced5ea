"""The blank return of one district and year: four forms with canonical headers and lists."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_col_to_name

from ketnghia_analysis.core.xlsx import open_workbook
from ketnghia_analysis.reference import gazetteer
from ketnghia_analysis.reference.form_codes import form_title

# Canonical header text of each form (the first wording of ../shared/spec/returns.md).
SUPPORT_HEADERS = [
    ("partner_name", "Đơn vị kết nghĩa", 34),
    ("partner_type", "Loại hình đơn vị", 26),
    ("commune", "Xã được kết nghĩa", 20),
    ("pair_start_year", "Năm bắt đầu kết nghĩa", 12),
    ("cash", "Hỗ trợ bằng tiền (triệu đồng)", 14),
    ("in_kind", "Hỗ trợ hiện vật (quy ra tiền, triệu đồng)", 16),
    ("models_supported", "Số mô hình phát triển kinh tế được hỗ trợ", 14),
    ("beneficiary_households", "Số hộ được hưởng lợi", 12),
    ("officials_trained", "Số lượt cán bộ, công chức xã được đào tạo, bồi dưỡng", 16),
    ("workers_trained", "Số lao động được đào tạo nghề, giải quyết việc làm", 16),
    ("houses_supported", "Số nhà ở được hỗ trợ xây mới, sửa chữa (nhà Đại đoàn kết)", 16),
    ("note", "Ghi chú", 24),
]
POVERTY_HEADERS = [
    ("commune", "Xã, thị trấn", 22),
    ("households_total", "Tổng số hộ", 11),
    ("poor_start", "Số hộ nghèo đầu năm", 11),
    ("poverty_exits", "Số hộ thoát nghèo trong năm", 11),
    ("poverty_relapses", "Số hộ tái nghèo", 10),
    ("poverty_new", "Số hộ nghèo phát sinh mới", 11),
    ("poor_end", "Số hộ nghèo cuối năm", 11),
    ("poverty_rate_end", "Tỷ lệ hộ nghèo cuối năm (%)", 11),
    ("near_poor_end", "Số hộ cận nghèo cuối năm", 11),
    ("poor_ethnic_minority_end", "Trong đó: hộ nghèo dân tộc thiểu số", 13),
]
NTM_TAIL = [
    ("criteria_met", "Tổng số tiêu chí đạt", 10),
    ("ntm_level", "Mức đạt chuẩn", 18),
    ("recognized_year", "Năm được công nhận", 11),
]
MODELS_HEADERS = [
    ("model_name", "Tên mô hình", 34),
    ("commune", "Xã, thị trấn", 20),
    ("partner_name", "Đơn vị kết nghĩa", 30),
    ("model_type", "Loại mô hình", 18),
    ("start_year", "Năm triển khai", 10),
    ("households", "Số hộ tham gia", 10),
    ("status", "Tình trạng", 16),
]
MARKS = ["Đạt", "Chưa đạt"]
LEVELS = ["Đạt chuẩn NTM", "NTM nâng cao", "NTM kiểu mẫu"]
STATUSES = ["Đang duy trì", "Đã nhân rộng", "Dừng", "Mới triển khai"]
MODEL_TYPES = [
    "chăn nuôi",
    "trồng trọt",
    "dược liệu",
    "lâm nghiệp",
    "du lịch cộng đồng",
    "ngành nghề",
    "khác",
]
FREE_ROWS = 150  # input rows of the forms with one row per pair or per model
TITLE_ROWS = 5  # rows above the header: unit, motto, form number, title, unit line


def _district(district_code: str, year: int) -> tuple[str, list[dict]]:
    hit = [r for r in gazetteer.district_rows() if r["district_code"] == str(district_code)]
    if not hit:
        raise ValueError(f"không có huyện mã {district_code} trong danh mục")
    name = str(hit[0]["district_name"])
    units = sorted(
        (r for r in gazetteer.units_in_year(int(year)) if r["district_code"] == str(district_code)),
        key=lambda r: r["commune_code"],
    )
    if not units:
        raise ValueError(f"{name} không có xã nào còn hiệu lực năm {year}")
    return name, [
        {k: r[k] for k in ("commune_code", "commune_name", "commune_type")} for r in units
    ]


@dataclass(frozen=True)
class _Book:
    """The workbook being written, its cell formats and what every form's title repeats."""

    book: Any
    formats: dict[str, Any]
    unit_line: str  # "UBND HUYỆN NAM TRÀ MY"
    year: int

    def form_sheet(
        self, title: str, form_no: str, heading: str, headers: list, unit: str | None
    ) -> Any:
        """A form's sheet with its title block (unit, motto, form number, title, unit line)."""
        f = self.formats
        ws = self.book.add_worksheet(title)
        last = len(headers) - 1
        ws.merge_range(0, 0, 0, min(3, last), self.unit_line, f["unit"])
        ws.merge_range(
            1,
            0,
            1,
            last,
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM - Độc lập - Tự do - Hạnh phúc",
            f["plain"],
        )
        ws.write_string(2, 0, form_no, f["unit"])
        ws.merge_range(3, 0, 3, last, f"{heading} NĂM {self.year}", f["title"])
        ws.write_string(4, 0, unit or "", f["plain"])
        for c, (_, _, width) in enumerate(headers):
            ws.set_column(c, c, width)
        ws.set_row(TITLE_ROWS, 60)
        ws.freeze_panes(TITLE_ROWS + 1, 1)
        ws.protect(
            "", {"format_columns": True, "format_rows": True, "autofilter": True, "sort": False}
        )
        return ws


def write_template(district_code: str, year: int, out: Path) -> Path:
    """Write the blank return (Biểu 01/KN, 02/HN, 03/NTM, 04/MH) of a district and year.

    The poverty and NTM forms are pre-filled with the communes valid on 31 December of
    the year; marks, partner types, NTM levels, model types and statuses are drop-down
    lists; the title and header rows and the commune names are protected (no password).
    """
    name, units = _district(str(district_code), int(year))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    book = open_workbook(out)
    b = _Book(book, _formats(book), f"UBND {name.upper()}", int(year))
    ranges = _lists_sheet(book, units)
    _support_sheet(b, ranges)
    _poverty_sheet(b, units)
    _ntm_sheet(b, units, ranges)
    _models_sheet(b, ranges)
    book.worksheets()[1].activate()
    book.close()
    return out


def _formats(book: Any) -> dict[str, Any]:
    return {
        "unit": book.add_format({"bold": True, "align": "center"}),
        "title": book.add_format({"bold": True, "font_size": 13, "align": "center"}),
        "plain": book.add_format({"italic": True, "align": "center"}),
        "head": book.add_format(
            {
                "bold": True,
                "text_wrap": True,
                "align": "center",
                "valign": "vcenter",
                "border": 1,
                "bg_color": "#DDEBF7",
            }
        ),
        "locked": book.add_format({"border": 1, "locked": True, "bg_color": "#F2F2F2"}),
        "input": book.add_format({"border": 1, "locked": False}),
        "money": book.add_format({"border": 1, "locked": False, "num_format": "#,##0.000"}),
        "rate_formula": book.add_format({"border": 1, "locked": True, "num_format": "0.00"}),
        "total_label": book.add_format({"border": 1, "bold": True, "bg_color": "#F2F2F2"}),
        "total": book.add_format({"border": 1, "bold": True, "num_format": "#,##0"}),
        "total_rate": book.add_format({"border": 1, "bold": True, "num_format": "0.00"}),
    }


def _lists_sheet(book: Any, units: list[dict]) -> dict[str, str]:
    """The drop-down lists, on a hidden sheet (items such as "sở, ban, ngành tỉnh" hold
    commas); returns each list's range formula."""
    lists = book.add_worksheet("Danh mục")
    columns = {
        "marks": MARKS,
        "partner_types": list(gazetteer.PARTNER_TYPES),
        "levels": LEVELS,
        "statuses": STATUSES,
        "model_types": MODEL_TYPES,
        "communes": [u["commune_name"] for u in units],
        "partners": sorted(r["partner_name"] for r in gazetteer.partner_rows()),
    }
    ranges = {}
    for c, (key, values) in enumerate(columns.items()):
        lists.write_string(0, c, key)
        for r, value in enumerate(values, start=1):
            lists.write_string(r, c, value)
        letter = xl_col_to_name(c)
        ranges[key] = f"='Danh mục'!${letter}$2:${letter}${len(values) + 1}"
    lists.hide()
    lists.protect()
    return ranges


def _sheet_name(form: str) -> str:
    """A form's sheet name: its title with "-" for "/" (Excel forbids "/" in names)."""
    return form_title(form).replace("/", "-")


def _support_sheet(b: _Book, ranges: dict[str, str]) -> None:
    """Biểu 01/KN: one free row per pair."""
    ws = b.form_sheet(
        _sheet_name("support"),
        form_title("support"),
        "KẾT QUẢ KẾT NGHĨA, HỖ TRỢ CÁC XÃ",
        SUPPORT_HEADERS,
        "ĐVT: triệu đồng",
    )
    _header(ws, SUPPORT_HEADERS, b.formats["head"])
    first, last = TITLE_ROWS + 1, TITLE_ROWS + FREE_ROWS
    for c, (key, _, _) in enumerate(SUPPORT_HEADERS):
        fmt = b.formats["money"] if key in ("cash", "in_kind") else b.formats["input"]
        for r in range(first, last + 1):
            ws.write_blank(r, c, None, fmt)
    _list(ws, first, last, 0, ranges["partners"], strict=False)
    _list(ws, first, last, 1, ranges["partner_types"])
    _list(ws, first, last, 2, ranges["communes"])
    _year(ws, first, last, 3, b.year)
    for c in range(4, 11):
        _number(ws, first, last, c, whole=c >= 6)  # money in decimals, counts whole


def _poverty_sheet(b: _Book, units: list[dict]) -> None:
    """Biểu 02/HN: one row per commune of the year, names locked; household counts whole
    numbers, the rate computed by a formula, a total row under a blank row."""
    ws = b.form_sheet(
        _sheet_name("poverty"),
        form_title("poverty"),
        "KẾT QUẢ RÀ SOÁT HỘ NGHÈO, HỘ CẬN NGHÈO",
        POVERTY_HEADERS,
        "ĐVT: hộ",
    )
    f = b.formats
    _header(ws, POVERTY_HEADERS, f["head"])
    rate = _column("poverty_rate_end")
    first, last = TITLE_ROWS + 1, TITLE_ROWS + len(units)
    for i, unit in enumerate(units):
        r = first + i
        ws.write_string(r, 0, unit["commune_name"], f["locked"])
        for c in range(1, len(POVERTY_HEADERS)):
            if c == rate:
                _rate_formula(ws, r, f["rate_formula"])
            else:
                ws.write_blank(r, c, None, f["input"])
    for c in range(1, len(POVERTY_HEADERS)):
        if c != rate:
            _number(ws, first, last, c, whole=True)
    _total_row(ws, first, last, f)


def _column(key: str) -> int:
    """The column of a key of the poverty form."""
    return [k for k, _, _ in POVERTY_HEADERS].index(key)


def _rate_formula(ws: Any, row: int, fmt: Any) -> None:
    """Tỷ lệ hộ nghèo cuối năm (%) = hộ nghèo cuối năm / tổng số hộ × 100, blank until both
    are typed (cached value blank: a blank form reads as blank, not as 0 %)."""
    total = f"{xl_col_to_name(_column('households_total'))}{row + 1}"
    poor = f"{xl_col_to_name(_column('poor_end'))}{row + 1}"
    formula = (
        f'=IF(AND(ISNUMBER({total}),{total}>0,ISNUMBER({poor})),ROUND({poor}/{total}*100,2),"")'
    )
    ws.write_formula(row, _column("poverty_rate_end"), formula, fmt, "")


def _total_row(ws: Any, first: int, last: int, f: dict) -> None:
    """ "Tổng cộng" one blank row under the communes: sums of the counts and the rate of the
    sums (the reader checks such a row against the communes and never takes it as one)."""
    r = last + 2
    ws.write_string(r, 0, "Tổng cộng", f["total_label"])
    for c, (key, _, _) in enumerate(POVERTY_HEADERS[1:], start=1):
        if key == "poverty_rate_end":
            _rate_formula(ws, r, f["total_rate"])
            continue
        letter = xl_col_to_name(c)
        formula = f'=IF(COUNT({letter}{first + 1}:{letter}{last + 1})=0,"",SUM({letter}{first + 1}:{letter}{last + 1}))'
        ws.write_formula(r, c, formula, f["total"], "")


def _ntm_sheet(b: _Book, units: list[dict], ranges: dict[str, str]) -> None:
    """Biểu 03/NTM: one row per xã (not wards, townships); a group header "Tiêu chí" over
    the numbers 1-19."""
    f = b.formats
    communes = [u for u in units if u["commune_type"] == "xã"]
    ntm_headers = (
        [("commune", "Tên xã", 22)] + [(f"c{i:02d}", str(i), 6) for i in range(1, 20)] + NTM_TAIL
    )
    ws = b.form_sheet(
        _sheet_name("ntm"),
        form_title("ntm"),
        "KẾT QUẢ THỰC HIỆN BỘ TIÊU CHÍ QUỐC GIA VỀ XÃ NÔNG THÔN MỚI",
        ntm_headers,
        None,
    )
    ws.set_row(TITLE_ROWS, 24)
    ws.merge_range(TITLE_ROWS, 0, TITLE_ROWS + 1, 0, "Tên xã", f["head"])
    ws.merge_range(TITLE_ROWS, 1, TITLE_ROWS, 19, "Tiêu chí", f["head"])
    for i in range(1, 20):
        ws.write_number(TITLE_ROWS + 1, i, i, f["head"])
    for c, (_, text, _) in enumerate(NTM_TAIL, start=20):
        ws.merge_range(TITLE_ROWS, c, TITLE_ROWS + 1, c, text, f["head"])
    ws.freeze_panes(TITLE_ROWS + 2, 1)
    first = TITLE_ROWS + 2
    for i, unit in enumerate(communes):
        r = first + i
        ws.write_string(r, 0, unit["commune_name"], f["locked"])
        for c in range(1, len(ntm_headers)):
            ws.write_blank(r, c, None, f["input"])
    last = first + max(len(communes), 1) - 1
    _list(ws, first, last, 1, ranges["marks"], to_col=19)
    _number(ws, first, last, 20, maximum=19, whole=True)
    _list(ws, first, last, 21, ranges["levels"])
    _year(ws, first, last, 22, b.year)


def _models_sheet(b: _Book, ranges: dict[str, str]) -> None:
    """Biểu 04/MH: one free row per model."""
    ws = b.form_sheet(
        _sheet_name("models"),
        form_title("models"),
        "CÁC MÔ HÌNH PHÁT TRIỂN KINH TẾ ĐƯỢC HỖ TRỢ QUA KẾT NGHĨA",
        MODELS_HEADERS,
        None,
    )
    _header(ws, MODELS_HEADERS, b.formats["head"])
    first, last = TITLE_ROWS + 1, TITLE_ROWS + FREE_ROWS
    for c in range(len(MODELS_HEADERS)):
        for r in range(first, last + 1):
            ws.write_blank(r, c, None, b.formats["input"])
    _list(ws, first, last, 1, ranges["communes"])
    _list(ws, first, last, 2, ranges["partners"], strict=False)
    _list(ws, first, last, 3, ranges["model_types"])
    _year(ws, first, last, 4, b.year)
    _number(ws, first, last, 5, whole=True)
    _list(ws, first, last, 6, ranges["statuses"])


def _header(ws: Any, headers: list, fmt: Any) -> None:
    for c, (_, text, _) in enumerate(headers):
        ws.write_string(TITLE_ROWS, c, text, fmt)


def _list(
    ws: Any,
    first: int,
    last: int,
    col: int,
    source: str,
    strict: bool = True,
    to_col: int | None = None,
) -> None:
    ws.data_validation(
        first,
        col,
        last,
        to_col if to_col is not None else col,
        {
            "validate": "list",
            "source": source,
            "error_type": "stop" if strict else "information",
            "error_title": "Giá trị không có trong danh sách",
            "error_message": "Chọn một giá trị trong danh sách thả xuống.",
        },
    )


def _number(
    ws: Any, first: int, last: int, col: int, maximum: float | None = None, whole: bool = False
) -> None:
    """A non-negative number (``whole``: an integer, such as a count of households)."""
    top = maximum if maximum is not None else 1e12
    ws.data_validation(
        first,
        col,
        last,
        col,
        {
            "validate": "integer" if whole else "decimal",
            "criteria": "between",
            "minimum": 0,
            "maximum": int(top) if whole else top,
            "error_title": "Số không hợp lệ",
            "error_message": ("Nhập một số nguyên không âm" if whole else "Nhập một số không âm")
            + (f", tối đa {maximum:g}." if maximum is not None else "."),
        },
    )


def _year(ws: Any, first: int, last: int, col: int, year: int) -> None:
    ws.data_validation(
        first,
        col,
        last,
        col,
        {
            "validate": "integer",
            "criteria": "between",
            "minimum": 1990,
            "maximum": int(year),
            "error_title": "Năm không hợp lệ",
            "error_message": f"Nhập năm từ 1990 đến {int(year)}.",
        },
    )
