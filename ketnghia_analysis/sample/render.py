"""Lay out the four forms of one district-year as messy sheets (Grid) and record provenance.

Each form is drawn from a `FormStyle` (title block, header depth, numbering row,
column order, sections, totals, footers, number/percent/money/mark styles); a
style is random but a `force` set makes a chosen variation appear. The layout
returns, for every data row, the key of the truth row it carries and its
1-based Excel row, so the truth tables get exact provenance.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field, replace

import numpy as np

from ketnghia_analysis.core.address import a1
from ketnghia_analysis.sample.grid import Formula, Grid
from ketnghia_analysis.sample.variations import Placements

CRITERION_NAMES = (
    "Quy hoạch", "Giao thông", "Thủy lợi", "Điện", "Trường học", "Cơ sở vật chất văn hóa",
    "Cơ sở hạ tầng thương mại nông thôn", "Thông tin và Truyền thông", "Nhà ở dân cư",
    "Thu nhập", "Hộ nghèo", "Lao động có việc làm", "Tổ chức sản xuất", "Giáo dục và Đào tạo",
    "Y tế", "Văn hóa", "Môi trường và an toàn thực phẩm", "Hệ thống chính trị",
    "Quốc phòng và An ninh",
)  # fmt: skip
CRITERION_GROUPS = (
    ("I. Quy hoạch", 1, 1),
    ("II. Hạ tầng kinh tế - xã hội", 2, 9),
    ("III. Kinh tế và tổ chức sản xuất", 10, 13),
    ("IV. Văn hóa - Xã hội - Môi trường", 14, 17),
    ("V. Hệ thống chính trị", 18, 19),
)
STATUS_VI = {
    "maintained": "đang duy trì",
    "replicated": "đã nhân rộng",
    "stopped": "dừng",
    "new": "mới triển khai",
}
LEVEL_VI = {"dat_chuan": "Đạt chuẩn NTM", "nang_cao": "NTM nâng cao", "kieu_mau": "NTM kiểu mẫu"}
MET_STYLES = {
    "marks_met_dat": ("Đạt", "đạt"),
    "marks_met_x": ("x", "X"),
    "marks_met_check": ("✓",),
    "marks_met_digit": (1,),
    "marks_met_co": ("có",),
}
NOT_STYLES = {
    "marks_not_chua_dat": "Chưa đạt",
    "marks_not_cd": "CĐ",
    "marks_not_dash": "-",
    "marks_not_zero": 0,
    "marks_not_khong": "không",
    "marks_not_blank": None,
}
SIGNERS = (
    "Nguyễn Văn Hùng",
    "Hồ Thị Lan",
    "Trần Minh Tuấn",
    "Alăng Thị Mai",
    "Bríu Quân",
    "Hồ Văn Mười",
)
MONEY_DIV = {"trieu": 1, "nghin": 1_000, "dong": 1_000_000}
MONEY_LABEL = {"trieu": "triệu đồng", "nghin": "nghìn đồng", "dong": "đồng"}
MONEY_HEADER = {"trieu": "(triệu đồng)", "nghin": "(1.000đ)", "dong": "(đồng)"}

_ROMAN = {" I": " 1", " II": " 2", " III": " 3"}
# Minority-language names spelled another way (curly apostrophes, split or joined words,
# the spelling of the domain brief: "Zuôih", "La Êê").
MINORITY_SPELLINGS = {
    "Ch'ơm": "Ch’ơm",
    "Tr'Hy": "Tr’Hy",
    "Laêê": "La Êê",
    "Zuôich": "Zuôih",
    "P Rao": "Prao",
    "A Rooi": "ARooi",
}
_OLD_TONE = {"òa": "oà", "óa": "oá", "ỏa": "oả", "õa": "oã", "ọa": "oạ", "òe": "oè", "óe": "oé",
             "ỏe": "oẻ", "õe": "oẽ", "ọe": "oẹ", "ùy": "uỳ", "úy": "uý", "ủy": "uỷ", "ũy": "uỹ",
             "ụy": "uỵ"}  # fmt: skip
_OLD_TONE_RE = re.compile("(" + "|".join(_OLD_TONE) + r")(?![^\W\d_])", re.IGNORECASE)


def old_tone(s: str) -> str:
    """Move tone marks to the old position in open syllables ("Hòa" → "Hoà").

    >>> old_tone("Xã Trà Thủy, Hòa Hương, Hoàng")
    'Xã Trà Thuỷ, Hoà Hương, Hoàng'
    """

    def sub(m: re.Match) -> str:
        t = m.group(0)
        new = _OLD_TONE[t.lower()]
        return new.upper() if t.isupper() else (new[0].upper() + new[1:] if t[0].isupper() else new)

    return _OLD_TONE_RE.sub(sub, s)


def vn_int_text(v: int, sep: str) -> str:
    """Thousands-separated integer text: ``vn_int_text(1234, ".") == "1.234"``."""
    s = f"{abs(int(v)):,}".replace(",", sep)
    return ("-" if v < 0 else "") + s


def vn_decimal_text(v: float, decimals: int) -> str:
    """Vietnamese decimal text: ``vn_decimal_text(1234.5, 1) == "1.234,5"``."""
    whole = int(abs(v))
    frac = round(abs(v) - whole, decimals)
    if frac >= 1:
        whole, frac = whole + 1, 0.0
    text = vn_int_text(whole, ".")
    if decimals:
        text += "," + f"{frac:.{decimals}f}"[2:]
    return ("-" if v < 0 else "") + text


@dataclass
class FormStyle:
    """Every layout and value choice of one form sheet."""

    title: str = "full"  # none | short | full
    depth: int = 2
    linebreaks: bool = False
    numbering: str | None = None  # parens | letters | digits
    hide_numbering: bool = False
    shuffle: bool = False
    missing: tuple[str, ...] = ()
    extra: bool = False
    hidden_extra: bool = False
    sections: bool = False
    subtotals: bool = False
    total: str | None = "bottom"  # top | bottom | None
    total_label: str = "Tổng cộng"
    formulas: str = "cached"  # values | cached | uncached
    footer: str = "full"  # none | notes | full
    blank_before_footer: int = 1
    numtext: str | None = None  # dot | space | comma
    dash_zero: bool = False
    percent: str = "number"  # number | fraction | text | text_plain
    money_unit: str = "trieu"
    unit_where: str = "header"  # header | dvt
    met: str = "marks_met_dat"
    notmet: str = "marks_not_chua_dat"
    crit_header: str = "criteria_numbers"
    level_style: str = "two_cols"  # two_cols | combined | year
    not_assessed: bool = False
    label_mode: str = "official"  # official | lower | bare | abbrev | mixed
    caps: bool = False
    spaces: str | None = None  # nbsp | zw | double
    alias: float = 0.4  # probability of a partner alias spelling
    commune_first: bool = True  # 01/KN: commune column before partner columns
    merge_communes: bool = True


@dataclass
class Ctx:
    """One file being laid out."""

    file: str
    district_code: str
    district_name: str  # official, e.g. "Huyện Nam Trà My"
    year: int
    report_date: dt.date
    report_no: int
    rng: np.random.Generator
    place: Placements
    klass: dict[str, str] = field(default_factory=dict)  # commune_code -> kv3/kv12/mtn/plain
    commune_type: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, list[str]] = field(default_factory=dict)
    partner_names: dict[str, str] = field(default_factory=dict)
    partner_types: dict[str, str] = field(default_factory=dict)
    issues: list[dict] = field(default_factory=list)  # planted issues (filled by layouts)
    quarantine: list[dict] = field(default_factory=list)

    @property
    def short(self) -> str:
        for prefix in ("Huyện ", "Thành phố ", "Thị xã "):
            if self.district_name.startswith(prefix):
                return self.district_name[len(prefix) :]
        return self.district_name

    @property
    def ubnd(self) -> str:
        return "UBND " + self.district_name.upper()


@dataclass
class Col:
    """One column: canonical key, header paths by depth, value kind, whether it is summed."""

    key: str
    paths: dict[int, tuple[str, ...]]
    kind: str = "count"  # text | count | money | percent | mark | year | status
    total: bool = False


@dataclass
class FormOut:
    grid: Grid
    rows: list[tuple[tuple, int]]  # (truth key, 1-based Excel row)
    dropped: set[str]  # canonical columns absent from the sheet (NA in truth)
    header_rows: tuple[int, int] = (0, 0)


# ----------------------------------------------------------------------------- labels


def commune_label(name: str, ctype: str, mode: str, rng: np.random.Generator) -> tuple[str, str]:
    """A commune label in one of the styles of returns.md, and the variation it shows."""
    if mode == "mixed":
        mode = ("official", "lower", "bare", "abbrev")[int(rng.integers(4))]
    unit = {"xã": "Xã ", "phường": "Phường ", "thị trấn": "Thị trấn "}.get(ctype, "")
    bare = name[len(unit) :] if unit and name.startswith(unit) else name
    variation = "name_unit_word"
    if mode == "lower":
        label, variation = unit.lower() + bare, "name_lowercase_unit"
    elif mode == "bare":
        label, variation = bare, "name_bare"
    elif mode == "abbrev":
        abbrev = {"xã": "X. ", "phường": "P. ", "thị trấn": "TT "}.get(ctype, "")
        label = abbrev + bare
        variation = "name_abbrev_tt" if ctype == "thị trấn" else "name_abbrev_x"
    else:
        label = name
    if mode != "official":
        for official, other in MINORITY_SPELLINGS.items():
            if label.endswith(official):
                return label[: -len(official)] + other, "name_minority_spelling"
        for roman, digit in sorted(_ROMAN.items(), key=lambda kv: -len(kv[0])):
            if label.endswith(roman):
                label = label[: -len(roman)] + digit
                variation = "name_arabic_numeral"
                break
    return label, variation


def _spaces(label: str, how: str | None) -> str:
    if how == "nbsp":
        return label.replace(" ", "\u00a0", 1)
    if how == "zw":
        return label[:1] + "\u200b" + label[1:]
    if how == "double":
        return label.replace(" ", "  ", 1) + " "
    return label


# ----------------------------------------------------------------------------- values


def fmt_count(v, st: FormStyle, ctx: Ctx, sheet: str, r: int, c: int):
    if v is None:
        return None
    v = int(v)
    if v == 0 and st.dash_zero:
        ctx.place.add("dash_zero", ctx.file, sheet, a1(r, c))
        return "-"
    if st.numtext:
        if abs(v) >= 1000:
            sep = {"dot": ".", "space": " ", "comma": ","}[st.numtext]
            ctx.place.add(f"numbers_text_{st.numtext}", ctx.file, sheet, a1(r, c))
            return vn_int_text(v, sep)
        return str(v)
    return v


def fmt_money(v, st: FormStyle, ctx: Ctx, sheet: str, r: int, c: int):
    if v is None:
        return None
    if v == 0 and st.dash_zero:
        ctx.place.add("dash_zero", ctx.file, sheet, a1(r, c))
        return "-"
    if st.money_unit == "trieu":
        x = round(float(v), 6)
        if st.numtext and abs(x * 10 - round(x * 10)) < 1e-9:
            if x != int(x):
                ctx.place.add("numbers_text_decimal_comma", ctx.file, sheet, a1(r, c))
            return vn_decimal_text(x, 0 if x == int(x) else 1)
        return int(x) if x == int(x) else x
    x = int(round(float(v) * MONEY_DIV[st.money_unit]))
    if st.numtext and abs(x) >= 1000 and st.numtext in ("dot", "space"):
        ctx.place.add(f"numbers_text_{st.numtext}", ctx.file, sheet, a1(r, c))
        return vn_int_text(x, "." if st.numtext == "dot" else " ")
    return x


def fmt_percent(rate: float, st: FormStyle, ctx: Ctx, grid: Grid, r: int, c: int):
    ctx.place.add(
        {"number": "percent_number", "fraction": "percent_fraction"}.get(
            st.percent, "percent_text"
        ),
        ctx.file,
        grid.name,
        a1(r, c),
    )
    if st.percent == "number":
        return round(rate * 100, 2)
    if st.percent == "fraction":
        grid.percent_cells.add((r, c))
        return round(rate, 4)
    text = f"{rate * 100:.2f}".replace(".", ",")
    return text + "%" if st.percent == "text" else text


# ----------------------------------------------------------------------------- layout


def _title(
    grid: Grid, st: FormStyle, ctx: Ctx, form_no: str, title: str, ncols: int, unit: str | None
) -> int:
    """Write the title block; return the next free row."""
    f, s = ctx.file, grid.name
    if st.title == "none":
        ctx.place.add("title_none", f, s, "1")
        return 0
    if st.title == "short":
        grid.put(0, 0, f"Biểu số {form_no}")
        grid.merge(1, 0, 1, max(ncols - 1, 1), f"{title} - {ctx.district_name.upper()}")
        r = 2
        if unit:
            grid.put(2, max(ncols - 2, 1), f"ĐVT: {unit}")
            ctx.place.add("title_dvt", f, s, a1(2, max(ncols - 2, 1)))
            r = 3
        return r
    half = max(ncols // 2, 2)
    right = max(ncols - 1, half + 1)
    grid.merge(0, 0, 0, half - 1, ctx.ubnd)
    ctx.place.add("title_ubnd", f, s, "A1")
    grid.merge(0, half, 0, right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    grid.merge(1, half, 1, right, "Độc lập - Tự do - Hạnh phúc")
    ctx.place.add("title_national", f, s, a1(0, half))
    grid.put(3, 0, f"Biểu số {form_no}")
    grid.merge(4, 0, 4, right, title)
    d = ctx.report_date
    grid.merge(
        5,
        0,
        5,
        right,
        f"(Kèm theo Báo cáo số {ctx.report_no}/BC-UBND ngày {d:%d/%m/%Y} của UBND {ctx.district_name[0].lower() + ctx.district_name[1:]})",
    )
    ctx.place.add("title_kem_theo", f, s, "A6")
    if unit:
        grid.put(6, right - 1, f"ĐVT: {unit}")
        ctx.place.add("title_dvt", f, s, a1(6, right - 1))
        return 8
    return 7


def _header(grid: Grid, cols: list[Col], depth: int, r0: int, ctx: Ctx, linebreaks: bool) -> int:
    """Write a header of ``depth`` rows from the columns' paths; merge groups; return next row."""
    paths = []
    for col in cols:
        p = col.paths.get(depth) or col.paths.get(min(col.paths, key=lambda d: abs(d - depth)))
        p = p[-depth:]
        if linebreaks:
            p = tuple(x.replace(" / ", "\n") for x in p)
        paths.append(p)
    for level in range(depth):
        c = 0
        while c < len(cols):
            p = paths[c]
            if level >= len(p):
                c += 1
                continue
            label = p[level]
            last = level == len(p) - 1
            c_end = c
            if not last:
                while (
                    c_end + 1 < len(cols)
                    and len(paths[c_end + 1]) > level + 1
                    and paths[c_end + 1][: level + 1] == p[: level + 1]
                ):
                    c_end += 1
            r_end = r0 + depth - 1 if last else r0 + level
            grid.merge(r0 + level, c, r_end, c_end, label)
            for rr in range(r0 + level, r_end + 1):
                for cc in range(c, c_end + 1):
                    grid.header_cells.add((rr, cc))
            if "\n" in label:
                ctx.place.add("header_linebreak", ctx.file, grid.name, a1(r0 + level, c))
            c = c_end + 1
    ctx.place.add(
        f"header_{depth}row" + ("s" if depth > 1 else ""), ctx.file, grid.name, str(r0 + 1)
    )
    for c in range(len(cols)):
        grid.widths[c] = 28 if cols[c].kind == "text" else 12
    return r0 + depth


def _numbering(grid: Grid, st: FormStyle, ctx: Ctx, r: int, ncols: int) -> int:
    if not st.numbering:
        return r
    for c in range(ncols):
        if st.numbering == "parens":
            v = f"({c + 1})"
        elif st.numbering == "letters":
            v = "AB"[c] if c < 2 else str(c - 1)
        else:
            v = c + 1
        grid.put(r, c, v)
    ctx.place.add(f"numbering_{st.numbering}", ctx.file, grid.name, str(r + 1))
    if st.hide_numbering:
        grid.hidden_rows.add(r)
        ctx.place.add("hidden_rows", ctx.file, grid.name, str(r + 1))
    return r + 1


def _footer(grid: Grid, st: FormStyle, ctx: Ctx, r: int, ncols: int) -> None:
    f, s = ctx.file, grid.name
    if st.blank_before_footer:
        ctx.place.add("footer_blank_rows", f, s, str(r + 1))
    r += st.blank_before_footer
    right = max(ncols - 3, 2)
    if st.footer in ("notes", "full"):
        grid.put(
            r, 0, f"Ghi chú: Số liệu tổng hợp theo báo cáo của các xã, thị trấn năm {ctx.year}."
        )
        ctx.place.add("footer_notes", f, s, a1(r, 0))
        r += 1
    grid.put(r, 0, "Ghi chú: DỮ LIỆU TỔNG HỢP (synthetic), không phải số liệu thật.")
    r += 1
    if st.footer == "full":
        d = ctx.report_date
        grid.put(r + 1, right, f"{ctx.short}, ngày {d.day:02d} tháng {d.month:02d} năm {d.year}")
        grid.put(r + 2, 1, "NGƯỜI LẬP BIỂU")
        grid.put(r + 2, right, "TM. ỦY BAN NHÂN DÂN")
        grid.put(r + 3, right, "KT. CHỦ TỊCH")
        grid.put(r + 4, right, "PHÓ CHỦ TỊCH")
        a, b = ctx.rng.choice(len(SIGNERS), 2, replace=False)
        grid.put(r + 8, 1, SIGNERS[int(a)])
        grid.put(r + 8, right, SIGNERS[int(b)])
        ctx.place.add("footer_signature", f, s, a1(r + 2, right))


def _total_cells(
    grid: Grid,
    cols: list[Col],
    r: int,
    rows: list[int],
    sums: dict[str, float],
    st: FormStyle,
    ctx: Ctx,
    label: str,
    label_col: int,
    extra_value: dict[str, object] | None = None,
) -> None:
    """A total/subtotal row: label, and per summed column a SUM formula or the value."""
    grid.put(r, label_col, label)
    for c, col in enumerate(cols):
        if extra_value and col.key in extra_value:
            grid.put(r, c, extra_value[col.key])
            continue
        if not col.total:
            continue
        value = sums.get(col.key, 0)
        if col.kind == "money":
            value = round(value * MONEY_DIV[st.money_unit], 6)
            value = int(round(value)) if st.money_unit != "trieu" or value == int(value) else value
        else:
            value = int(value)
        if st.formulas == "values" or not rows:
            grid.put(r, c, value)
            continue
        letters = a1(0, c)[:-1]
        if rows == list(range(rows[0], rows[-1] + 1)):
            text = f"SUM({letters}{rows[0] + 1}:{letters}{rows[-1] + 1})"
        else:
            text = "+".join(f"{letters}{x + 1}" for x in rows)
        grid.put(r, c, Formula(text, value))
        ctx.place.add(
            "total_formula_uncached" if st.formulas == "uncached" else "total_formula_cached",
            ctx.file,
            grid.name,
            a1(r, c),
        )


def _table(
    grid: Grid,
    cols: list[Col],
    st: FormStyle,
    ctx: Ctx,
    groups: list[tuple[str | None, list[dict]]],
    r: int,
    label_col: int,
    cell_fn,
    total_extra=None,
) -> tuple[list[tuple[tuple, int]], int]:
    """Data rows in sections with subtotals and a total at the top or bottom.

    ``groups`` is [(section title or None, [record, ...])]; each record carries ``_key``
    (truth key) and canonical values; ``cell_fn(record, col, r, c)`` gives the cell value.
    """
    out: list[tuple[tuple, int]] = []
    summed = [c.key for c in cols if c.total]
    grand = {k: 0.0 for k in summed}
    total_row = None
    if st.total == "top":
        total_row = r
        r += 1
        ctx.place.add("total_top", ctx.file, grid.name, str(total_row + 1))
    sub_rows: list[int] = []
    data_rows_all: list[int] = []
    stt = 0
    for si, (title, records) in enumerate(groups):
        if title is not None:
            roman = ("I", "II", "III", "IV")[si]
            if si % 2 == 0:
                grid.put(r, 0, roman)
                grid.put(r, label_col, title)
            else:
                grid.put(r, label_col, f"{roman}. {title}")
            ctx.place.add("section_rows", ctx.file, grid.name, str(r + 1))
            r += 1
        sec = {k: 0.0 for k in summed}
        sec_rows = []
        for rec in records:
            stt += 1
            if rec.get("_stt", True):
                grid.put(r, 0, stt)
            for c, col in enumerate(cols):
                v = cell_fn(rec, col, r, c)
                if v is not None:
                    grid.put(r, c, v)
            for k in summed:
                val = rec.get(k)
                if isinstance(val, int | float) and not isinstance(val, bool):
                    sec[k] += val
            if rec.get("_key") is not None:
                out.append((rec["_key"], r + 1))
            sec_rows.append(r)
            r += 1
        for k in summed:
            grand[k] += sec[k]
        data_rows_all += sec_rows
        if title is not None and st.subtotals:
            _total_cells(grid, cols, r, sec_rows, sec, st, ctx, "Cộng", label_col)
            ctx.place.add("subtotal_rows", ctx.file, grid.name, str(r + 1))
            sub_rows.append(r)
            r += 1
    if st.total == "bottom":
        total_row = r
        r += 1
        ctx.place.add("total_bottom", ctx.file, grid.name, str(total_row + 1))
    if total_row is not None:
        rows = sub_rows if sub_rows else data_rows_all
        extra = total_extra(grand) if total_extra else None
        _total_cells(grid, cols, total_row, rows, grand, st, ctx, st.total_label, label_col, extra)
    return out, r


def _sections(records: list[dict], ctx: Ctx, st: FormStyle) -> list[tuple[str | None, list[dict]]]:
    if not st.sections:
        return [(None, records)]
    buckets: dict[str, list[dict]] = {}
    for rec in records:
        k = ctx.klass.get(rec["_code"], "plain")
        ctype = ctx.commune_type.get(rec["_code"], "xã")
        if k == "kv3":
            title = "Các xã khu vực III"
        elif k == "kv12":
            title = "Các xã, thị trấn khu vực I, II"
        elif ctype == "xã":
            title = "Các xã còn lại" if k == "mtn" else "Các xã"
        else:
            title = "Các phường, thị trấn"
        buckets.setdefault(title, []).append(rec)
    order = [
        "Các xã khu vực III",
        "Các xã, thị trấn khu vực I, II",
        "Các xã còn lại",
        "Các xã",
        "Các phường, thị trấn",
    ]
    groups = [(t, buckets[t]) for t in order if t in buckets]
    return groups if len(groups) >= 2 else [(None, records)]


def _finish_columns(cols: list[Col], st: FormStyle, ctx: Ctx, sheet: str, extra_cols: list[Col]):
    """Drop missing optional columns, add extra ones, shuffle (one-row headers only)."""
    dropped = {c.key for c in cols if c.key in st.missing}
    cols = [c for c in cols if c.key not in dropped]
    if dropped:
        ctx.place.add("columns_missing", ctx.file, sheet, ",".join(sorted(dropped)))
    if st.extra and extra_cols:
        pos = len(cols) if ctx.rng.random() < 0.5 else len(cols) - 1
        cols = cols[:pos] + extra_cols + cols[pos:]
    if st.shuffle and st.depth == 1:
        head, body = cols[:2], cols[2:]
        perm = ctx.rng.permutation(len(body))
        body = [body[int(i)] for i in perm]
        if [c.key for c in body] != [c.key for c in cols[2:]]:
            cols = head + body
    return cols, dropped


# ----------------------------------------------------------------------------- 02/HN


def poverty_form(
    sheet: str, rows: list[dict], st: FormStyle, ctx: Ctx, plants: dict | None = None
) -> FormOut:
    """Biểu 02/HN: one row per commune (households, poverty flows, rate, near-poor, DTTS).

    Parameters
    ----------
    sheet
        Sheet name.
    rows
        poverty truth rows (dicts) of the district-year, official names of the year.
    st, ctx
        Style and file context (placements, planted issues and quarantine are added to ctx).
    plants
        Planted value errors: {"POVERTY_IDENTITY" | "POVERTY_RATE_MISMATCH" |
        "VALUE_NOT_NUMERIC": commune_code, "UNKNOWN_COMMUNE" | "TOTAL_MISMATCH": "?"}.
        Rows with an error-level plant are left out of ``FormOut.rows`` (quarantined).
    """
    plants = plants or {}
    grid = Grid(sheet)
    rate_label = "Tỷ lệ hộ nghèo cuối năm" + ("" if st.percent == "fraction" else " (%)")
    rate_sub = "Tỷ lệ" + ("" if st.percent == "fraction" else " (%)")
    top = f"Kết quả rà soát năm {ctx.year}"
    variants = int(ctx.rng.integers(2))
    cols = [
        Col("stt", {1: ("STT",), 2: ("STT",), 3: ("STT",)}, "text"),
        Col("commune", {1: (("Xã, thị trấn", "Tên xã")[variants],), 2: ("Đơn vị",), 3: ("Xã, thị trấn",)}, "text"),
        Col("households_total", {1: (("Tổng số hộ", "Tổng số hộ / dân cư")[variants],), 2: ("Tổng số hộ dân cư",), 3: ("Tổng số hộ",)}, total=True),
        Col("poor_start", {1: (("Số hộ nghèo đầu năm", "Hộ nghèo / đầu kỳ")[variants],), 2: ("Số hộ nghèo", "Đầu năm"), 3: (top, "Hộ nghèo đầu năm")}, total=True),
        Col("poverty_exits", {1: (("Số hộ thoát nghèo / trong năm", "Thoát nghèo")[variants],), 2: ("Số hộ nghèo", "Thoát nghèo"), 3: (top, "Diễn biến trong năm", "Thoát nghèo")}, total=True),
        Col("poverty_relapses", {1: (("Số hộ tái nghèo", "Tái nghèo")[variants],), 2: ("Số hộ nghèo", "Tái nghèo"), 3: (top, "Diễn biến trong năm", "Tái nghèo")}, total=True),
        Col("poverty_new", {1: (("Số hộ nghèo / phát sinh mới", "Phát sinh mới")[variants],), 2: ("Số hộ nghèo", "Phát sinh mới"), 3: (top, "Diễn biến trong năm", "Phát sinh mới")}, total=True),
        Col("poor_end", {1: (("Số hộ nghèo cuối năm", "Hộ nghèo / cuối kỳ")[variants],), 2: ("Số hộ nghèo", "Cuối năm"), 3: (top, "Hộ nghèo cuối năm", "Số hộ")}, total=True),
        Col("poverty_rate_end", {1: (rate_label,), 2: ("Số hộ nghèo", rate_sub), 3: (top, "Hộ nghèo cuối năm", rate_sub)}, "percent"),
        Col("near_poor_end", {1: ("Số hộ cận nghèo / cuối năm",), 2: ("Số hộ cận nghèo cuối năm",), 3: (top, "Hộ cận nghèo cuối năm")}, total=True),
        Col("poor_ethnic_minority_end", {1: ("Trong đó: hộ nghèo / dân tộc thiểu số",), 2: ("Trong đó: hộ nghèo DTTS",), 3: (top, "Trong đó: hộ nghèo dân tộc thiểu số")}, total=True),
    ]  # fmt: skip
    extra = [
        Col("x_persons", {1: ("Số khẩu nghèo",), 2: ("Số khẩu nghèo",), 3: ("Số khẩu nghèo",)})
    ]
    cols, dropped = _finish_columns(cols, st, ctx, sheet, extra)
    if st.shuffle and st.depth == 1:
        ctx.place.add("columns_shuffled", ctx.file, sheet, "")
    if st.extra:
        ctx.place.add("columns_extra", ctx.file, sheet, "Số khẩu nghèo")
    title = f"KẾT QUẢ RÀ SOÁT HỘ NGHÈO, HỘ CẬN NGHÈO NĂM {ctx.year}"
    r = _title(grid, st, ctx, "02/HN", title, len(cols), "hộ" if st.title == "full" else None)
    h0 = r
    r = _header(grid, cols, st.depth, r, ctx, st.linebreaks)
    h1 = r - 1
    r = _numbering(grid, st, ctx, r, len(cols))
    recs = []
    for row in rows:
        label, var = commune_label(
            row["commune_name"],
            ctx.commune_type.get(row["commune_code"], "xã"),
            st.label_mode,
            ctx.rng,
        )
        rec = dict(row)
        rec["_code"] = row["commune_code"]
        rec["_key"] = ("poverty", row["year"], row["commune_code"])
        rec["_label"], rec["_var"] = label, var
        rec["x_persons"] = int(row["poor_end"] * 4.1)
        recs.append(rec)
    for kind, target in plants.items():
        if kind == "UNKNOWN_COMMUNE":
            fake = dict(recs[-1])
            fake.update(
                _code=target,
                _key=None,
                _label="Khu dân cư Làng Thanh niên lập nghiệp",
                _var=None,
                _stt=True,
                _unknown=True,
            )
            fake.update(
                households_total=212,
                poor_start=30,
                poverty_exits=6,
                poverty_relapses=1,
                poverty_new=2,
                poor_end=27,
                near_poor_end=11,
                poor_ethnic_minority_end=3,
            )
            fake["poverty_rate_end"] = 27 / 212
            fake["x_persons"] = 100
            recs.append(fake)
    col_of = {c.key: i for i, c in enumerate(cols)}
    for rec in recs:
        rec["_rate"] = rec["poor_end"] / rec["households_total"]
        if rec.get("_key") and plants.get("POVERTY_IDENTITY") == rec["_code"]:
            rec["_true_new"] = rec["poverty_new"]
            rec["poverty_new"] = rec["poverty_new"] + 4
        if rec.get("_key") and plants.get("VALUE_NOT_NUMERIC") == rec["_code"]:
            rec["households_total"] = "1.2O4"

    def cell(rec, col, r, c):
        k = col.key
        if k == "stt":
            return None
        if k == "commune":
            label = rec["_label"]
            if rec.get("_var"):
                ctx.place.add(rec["_var"], ctx.file, sheet, a1(r, c))
            if st.caps:
                label = label.upper()
                ctx.place.add("text_all_caps", ctx.file, sheet, a1(r, c))
            if st.spaces:
                label = _spaces(label, st.spaces)
                ctx.place.add(
                    {"nbsp": "text_nbsp", "zw": "text_zero_width", "double": "text_double_spaces"}[
                        st.spaces
                    ],
                    ctx.file,
                    sheet,
                    a1(r, c),
                )
            if rec.get("_unknown"):
                ctx.issues.append(
                    _issue(
                        "UNKNOWN_COMMUNE",
                        "error",
                        ctx,
                        sheet,
                        r,
                        c,
                        "nhãn xã không có trong danh mục",
                    )
                )
                ctx.quarantine.append(
                    {
                        "source_file": ctx.file,
                        "source_sheet": sheet,
                        "source_row": r + 1,
                        "codes": "UNKNOWN_COMMUNE",
                    }
                )
            return label
        if k == "poverty_rate_end":
            rate = rec["_rate"]
            if plants.get("POVERTY_RATE_MISMATCH") == rec["_code"] and rec.get("_key"):
                ctx.issues.append(
                    _issue(
                        "POVERTY_RATE_MISMATCH",
                        "warning",
                        ctx,
                        sheet,
                        r,
                        c,
                        f"tỷ lệ ghi {rate * 100 + 2.5:.2f}% ≠ {rate * 100:.2f}%",
                    )
                )
                rate = rate + 0.025
            return fmt_percent(rate, st, ctx, grid, r, c)
        v = rec.get(k)
        if (
            k == "households_total"
            and plants.get("VALUE_NOT_NUMERIC") == rec["_code"]
            and rec.get("_key")
        ):
            ctx.issues.append(
                _issue(
                    "VALUE_NOT_NUMERIC",
                    "error",
                    ctx,
                    sheet,
                    r,
                    c,
                    "số hộ ghi '1.2O4' (chữ O thay số 0)",
                )
            )
            ctx.quarantine.append(
                {
                    "source_file": ctx.file,
                    "source_sheet": sheet,
                    "source_row": r + 1,
                    "codes": "VALUE_NOT_NUMERIC",
                }
            )
            rec["_key_drop"] = True
            return "1.2O4"
        if (
            k == "poverty_new"
            and plants.get("POVERTY_IDENTITY") == rec["_code"]
            and rec.get("_key")
        ):
            pc = col_of.get("poor_end", c)
            ctx.issues.append(
                _issue(
                    "POVERTY_IDENTITY",
                    "error",
                    ctx,
                    sheet,
                    r,
                    pc,
                    f"phát sinh mới ghi {v} thay vì {rec['_true_new']}: cuối năm ≠ đầu năm − thoát + tái + mới",
                )
            )
            ctx.quarantine.append(
                {
                    "source_file": ctx.file,
                    "source_sheet": sheet,
                    "source_row": r + 1,
                    "codes": "POVERTY_IDENTITY",
                }
            )
            rec["_key_drop"] = True
        return fmt_count(v, st, ctx, sheet, r, c)

    groups = _sections(recs, ctx, st)

    def total_extra(grand):
        if "poverty_rate_end" not in col_of or not grand.get("households_total"):
            return None
        rate = grand["poor_end"] / grand["households_total"]
        return {
            "poverty_rate_end": round(rate, 4) if st.percent == "fraction" else round(rate * 100, 2)
        }

    out, r = _table(grid, cols, st, ctx, groups, r, 1, cell, total_extra)
    # Rows that carry a planted error are quarantined: not in truth.
    dropped_keys = {rec["_key"] for rec in recs if rec.get("_key_drop")}
    out = [(k, row) for k, row in out if k not in dropped_keys]
    if "TOTAL_MISMATCH" in plants and st.total and "households_total" in col_of:
        for (rr, cc), v in list(grid.cells.items()):
            if cc == 1 and v == st.total_label:
                c = col_of["households_total"]
                old = grid.cells[(rr, c)]
                true = old.value if isinstance(old, Formula) else old
                grid.put(rr, c, int(true) + 10)
                ctx.issues.append(
                    _issue(
                        "TOTAL_MISMATCH",
                        "warning",
                        ctx,
                        sheet,
                        rr,
                        c,
                        f"dòng tổng ghi {int(true) + 10}, cộng các xã = {int(true)}",
                    )
                )
    if st.extra and st.hidden_extra and "x_persons" in [c.key for c in cols]:
        c = [c.key for c in cols].index("x_persons")
        grid.hidden_cols.add(c)
        ctx.place.add("hidden_cols", ctx.file, sheet, a1(0, c)[:-1])
    _footer(grid, st, ctx, r, len(cols))
    return FormOut(
        grid, out, dropped & {"near_poor_end", "poor_ethnic_minority_end"}, (h0 + 1, h1 + 1)
    )


def _issue(code, severity, ctx: Ctx, sheet, r, c, note) -> dict:
    return {
        "code": code,
        "severity": severity,
        "source_file": ctx.file,
        "source_sheet": sheet,
        "cell": a1(r, c),
        "note": note,
    }


# ----------------------------------------------------------------------------- 03/NTM


def criterion_names(year: int) -> tuple[str, ...]:
    """Names of the 19 criteria of the set in force in ``year`` (gazetteer, else the 2016 names)."""
    try:
        from ketnghia_analysis.reference import gazetteer

        c = gazetteer.criteria()
        c = c[c["criteria_set"] == ("2016-2020" if year <= 2021 else "2021-2025")]
        names = tuple(c.sort_values("criterion")["name_vi"].astype(str))
        if len(names) == 19:
            return names
    except Exception:  # the reference table is optional for the layout
        pass
    return CRITERION_NAMES


def ntm_form(
    sheet: str,
    status: list[dict],
    criteria: dict,
    st: FormStyle,
    ctx: Ctx,
    units: list[dict],
    plants: dict | None = None,
) -> FormOut:
    """Biểu 03/NTM: one row per assessed xã (19 marks, total, level, year of recognition).

    Parameters
    ----------
    sheet
        Sheet name.
    status
        ntm_status truth rows of the district-year (assessed xã only).
    criteria
        commune_code → the 19 met flags.
    st, ctx
        Style and file context.
    units
        Every unit of the district-year (official names): wards and townships get a
        "không đánh giá" row when ``st.not_assessed``.
    plants
        {"NTM_TOTAL_MISMATCH": commune_code}: write a wrong reported total there.
    """
    plants = plants or {}
    grid = Grid(sheet)
    group = ("Tiêu chí", "Kết quả thực hiện các tiêu chí")[int(ctx.rng.integers(2))]
    ch = st.crit_header

    crit_names = criterion_names(ctx.year)

    def sub(i: int):
        if ch == "criteria_numbers":
            return i
        if ch == "criteria_names":
            return crit_names[i - 1]
        return f"TC{i}"

    cols = [
        Col("stt", {1: ("STT",), 2: ("STT",), 3: ("STT",)}, "text"),
        Col("commune", {1: ("Xã",), 2: ("Tên xã",), 3: ("Xã",)}, "text"),
    ]
    for i in range(1, 20):
        g3 = next(g for g, a, b in CRITERION_GROUPS if a <= i <= b)
        one = (
            f"TC{i}"
            if ch == "criteria_tc"
            else f"Tiêu chí {i}"
            if ch == "criteria_numbers"
            else crit_names[i - 1]
        )
        cols.append(
            Col(
                f"c{i:02d}",
                {
                    1: (one,),
                    2: (group, str(sub(i)) if ch == "criteria_numbers" else sub(i)),
                    3: (group, g3, str(sub(i)) if ch == "criteria_numbers" else sub(i)),
                },
                "mark",
            )
        )
    cols.append(
        Col(
            "criteria_met",
            {
                1: (("Tổng số tiêu chí đạt", "Số TC đạt")[int(ctx.rng.integers(2))],),
                2: ("Tổng số tiêu chí đạt",),
                3: ("Số TC đạt",),
            },
        )
    )
    if st.level_style == "two_cols":
        cols.append(
            Col(
                "ntm_level",
                {
                    1: ("Mức độ đạt chuẩn",),
                    2: ("Kết quả công nhận", "Mức đạt"),
                    3: ("Kết quả công nhận", "Mức đạt"),
                },
                "text",
            )
        )
        cols.append(
            Col(
                "recognized_year",
                {
                    1: ("Năm công nhận",),
                    2: ("Kết quả công nhận", "Năm công nhận"),
                    3: ("Kết quả công nhận", "Năm công nhận"),
                },
                "year",
            )
        )
    elif st.level_style == "combined":
        cols.append(
            Col(
                "ntm_level",
                {
                    1: ("Đạt chuẩn NTM (năm công nhận)",),
                    2: ("Đạt chuẩn NTM / NTM nâng cao / NTM kiểu mẫu",),
                    3: ("Đạt chuẩn NTM",),
                },
                "text",
            )
        )
    else:
        cols.append(
            Col(
                "ntm_level",
                {
                    1: ("Năm đạt chuẩn NTM",),
                    2: ("Năm được công nhận đạt chuẩn NTM",),
                    3: ("Năm đạt chuẩn",),
                },
                "text",
            )
        )
    extra = [Col("x_note", {1: ("Ghi chú",), 2: ("Ghi chú",), 3: ("Ghi chú",)}, "text")]
    cols, dropped = _finish_columns(cols, st, ctx, sheet, extra)
    if st.extra:
        ctx.place.add("columns_extra", ctx.file, sheet, "Ghi chú")
    ctx.place.add(ch, ctx.file, sheet, "")
    title = f"KẾT QUẢ THỰC HIỆN BỘ TIÊU CHÍ QUỐC GIA VỀ XÃ NÔNG THÔN MỚI NĂM {ctx.year}"
    r = _title(grid, st, ctx, "03/NTM", title, len(cols), None)
    h0 = r
    r = _header(grid, cols, st.depth, r, ctx, st.linebreaks)
    h1 = r - 1
    r = _numbering(grid, st, ctx, r, len(cols))
    met_vals = MET_STYLES[st.met]
    not_val = NOT_STYLES[st.notmet]
    by_code = {s["commune_code"]: s for s in status}
    recs = []
    for u in units:
        code = u["commune_code"]
        label, var = commune_label(u["commune_name"], u["commune_type"], st.label_mode, ctx.rng)
        if code in by_code:
            s = by_code[code]
            rec = {
                "_code": code,
                "_key": ("ntm", s["year"], code),
                "_label": label,
                "_var": var,
                **s,
            }
            recs.append(rec)
        elif u["commune_type"] != "xã" and st.not_assessed:
            recs.append({"_code": code, "_key": None, "_label": label, "_var": var, "_na": True})

    def cell(rec, col, r, c):
        k = col.key
        if k == "stt":
            return None
        if k == "commune":
            if rec.get("_var"):
                ctx.place.add(rec["_var"], ctx.file, sheet, a1(r, c))
            return rec["_label"]
        if rec.get("_na"):
            if k == "c01":
                last = max(
                    i
                    for i, cc in enumerate(cols)
                    if cc.key.startswith("c") and cc.key[1:].isdigit()
                )
                grid.merge(r, c, r, last, "Không đánh giá (phường, thị trấn)")
                ctx.place.add("ntm_not_assessed", ctx.file, sheet, a1(r, c))
                return "Không đánh giá (phường, thị trấn)"
            return None
        if k.startswith("c") and k[1:].isdigit():
            met = criteria[rec["_code"]][int(k[1:]) - 1]
            if met:
                v = met_vals[int(ctx.rng.integers(len(met_vals)))]
                ctx.place.add(st.met, ctx.file, sheet, a1(r, c))
                return v
            ctx.place.add(st.notmet, ctx.file, sheet, a1(r, c))
            return not_val
        if k == "criteria_met":
            n = rec["criteria_met"]
            if plants.get("NTM_TOTAL_MISMATCH") == rec["_code"]:
                wrong = n + 2 if n <= 17 else n - 2
                ctx.issues.append(
                    _issue(
                        "NTM_TOTAL_MISMATCH",
                        "warning",
                        ctx,
                        sheet,
                        r,
                        c,
                        f"tổng ghi {wrong}, đếm được {n}",
                    )
                )
                return wrong
            return n
        level, year = rec.get("ntm_level"), rec.get("recognized_year")
        if k == "ntm_level":
            if level is None:
                return None if ctx.rng.random() < 0.6 else "Chưa đạt chuẩn"
            if st.level_style == "two_cols":
                return LEVEL_VI[level]
            if st.level_style == "combined":
                return f"{LEVEL_VI[level]} năm {year}"
            if level == "dat_chuan":
                ctx.place.add("ntm_level_year", ctx.file, sheet, a1(r, c))
                return int(year)
            return f"{LEVEL_VI[level]} ({year})"
        if k == "recognized_year":
            return (
                None if year is None or (isinstance(year, float) and np.isnan(year)) else int(year)
            )
        return None  # the extra "Ghi chú" column stays empty

    groups = _sections(recs, ctx, st)
    st2 = replace(st, total=None)
    out, r = _table(grid, cols, st2, ctx, groups, r, 1, cell)
    _footer(grid, st, ctx, r, len(cols))
    return FormOut(grid, out, set(), (h0 + 1, h1 + 1))


# ----------------------------------------------------------------------------- 01/KN


def support_form(sheet: str, rows: list[dict], names: dict, st: FormStyle, ctx: Ctx) -> FormOut:
    """Biểu 01/KN: one row per partner and commune; commune cell merged over its partners.

    Money is written in ``st.money_unit`` (triệu / nghìn / đồng) with the unit in the
    header or an "ĐVT:" line; the world's amounts are whole nghìn đồng, so every unit
    converts back to the truth exactly.
    """
    grid = Grid(sheet)
    unit_h = f" {MONEY_HEADER[st.money_unit]}" if st.unit_where == "header" else ""
    money_group = "Kinh phí hỗ trợ" + unit_h
    v = int(ctx.rng.integers(2))
    commune = Col(
        "commune",
        {
            1: (("Xã được kết nghĩa", "Địa phương kết nghĩa")[v],),
            2: ("Xã, thị trấn",),
            3: ("Xã được kết nghĩa",),
        },
        "text",
    )
    partner = Col(
        "partner_name",
        {
            1: (("Đơn vị kết nghĩa", "Cơ quan, đơn vị kết nghĩa")[v],),
            2: ("Đơn vị giúp đỡ",),
            3: ("Đơn vị kết nghĩa",),
        },
        "text",
    )
    ptype = Col(
        "partner_type", {1: ("Loại hình đơn vị",), 2: ("Khối",), 3: ("Loại hình đơn vị",)}, "text"
    )
    cols = [Col("stt", {1: ("STT",), 2: ("STT",), 3: ("STT",)}, "text")]
    cols += [commune, partner, ptype] if st.commune_first else [partner, ptype, commune]
    cols += [
        Col("pair_start_year", {1: (("Năm bắt đầu kết nghĩa", "Năm ký kết")[v],), 2: ("Năm ký kết",), 3: ("Năm bắt đầu / kết nghĩa",)}, "year"),
        Col("cash_mvnd", {1: (("Hỗ trợ bằng tiền", "Kinh phí hỗ trợ")[v] + unit_h,), 2: (money_group, "Bằng tiền"), 3: ("Kết quả hỗ trợ trong năm", money_group, "Bằng tiền")}, "money", True),
        Col("in_kind_mvnd", {1: (("Hỗ trợ hiện vật (quy ra tiền)", "Hiện vật quy đổi")[v] + unit_h,), 2: (money_group, "Hiện vật quy đổi"), 3: ("Kết quả hỗ trợ trong năm", money_group, "Hiện vật (quy ra tiền)")}, "money", True),
        Col("models_supported", {1: ("Số mô hình phát triển kinh tế / được hỗ trợ",), 2: ("Số mô hình phát triển kinh tế được hỗ trợ",), 3: ("Kết quả hỗ trợ trong năm", "Số mô hình phát triển kinh tế được hỗ trợ")}, "count", True),
        Col("beneficiary_households", {1: (("Số hộ được hưởng lợi", "Số hộ thụ hưởng")[v],), 2: ("Số hộ thụ hưởng",), 3: ("Kết quả hỗ trợ trong năm", "Số hộ được hưởng lợi")}, "count", True),
        Col("officials_trained", {1: ("Số lượt cán bộ, công chức xã / được đào tạo, bồi dưỡng",), 2: ("Đào tạo", "Số lượt cán bộ, công chức xã được đào tạo, bồi dưỡng"), 3: ("Kết quả hỗ trợ trong năm", "Đào tạo", "Cán bộ, công chức xã được đào tạo, bồi dưỡng")}, "count", True),
        Col("workers_trained", {1: ("Số lao động được đào tạo nghề, / giải quyết việc làm",), 2: ("Đào tạo", "Số lao động được đào tạo nghề, giải quyết việc làm"), 3: ("Kết quả hỗ trợ trong năm", "Đào tạo", "Lao động được đào tạo nghề, giải quyết việc làm")}, "count", True),
        Col("houses_supported", {1: ("Số nhà ở được hỗ trợ xây mới, sửa chữa / (nhà Đại đoàn kết)",), 2: ("Số nhà ở được hỗ trợ xây mới, sửa chữa",), 3: ("Kết quả hỗ trợ trong năm", "Số nhà Đại đoàn kết được hỗ trợ")}, "count", True),
        Col("note", {1: ("Ghi chú",), 2: ("Ghi chú",), 3: ("Ghi chú",)}, "text"),
    ]  # fmt: skip
    extra = [
        Col(
            "x_phone",
            {1: ("Điện thoại liên hệ",), 2: ("Điện thoại liên hệ",), 3: ("Điện thoại liên hệ",)},
            "text",
        )
    ]
    cols, dropped = _finish_columns(cols, st, ctx, sheet, extra)
    if st.extra:
        ctx.place.add("columns_extra", ctx.file, sheet, "Điện thoại liên hệ")
    if st.shuffle and st.depth == 1:
        ctx.place.add("columns_shuffled", ctx.file, sheet, "")
    ctx.place.add(f"money_{st.money_unit}", ctx.file, sheet, "")
    ctx.place.add(
        "unit_in_header" if st.unit_where == "header" else "unit_in_dvt_line", ctx.file, sheet, ""
    )
    title = f"KẾT QUẢ THỰC HIỆN CÔNG TÁC KẾT NGHĨA, HỖ TRỢ CÁC XÃ MIỀN NÚI NĂM {ctx.year}"
    dvt = MONEY_LABEL[st.money_unit] if st.unit_where == "dvt" else None
    st_title = replace(st, title="short") if dvt and st.title == "none" else st
    r = _title(grid, st_title, ctx, "01/KN", title, len(cols), dvt)
    h0 = r
    r = _header(grid, cols, st.depth, r, ctx, st.linebreaks)
    h1 = r - 1
    r = _numbering(grid, st, ctx, r, len(cols))
    recs = []
    order = sorted(rows, key=lambda x: (x["commune_code"], x["pair_start_year"], x["partner_id"]))
    labels = {}
    for row in order:
        code = row["commune_code"]
        if code not in labels:
            labels[code] = commune_label(
                names[code], ctx.commune_type.get(code, "xã"), st.label_mode, ctx.rng
            )
        rec = dict(row)
        rec["_code"] = code
        rec["_key"] = ("support", row["year"], code, row["partner_id"])
        recs.append(rec)
    commune_col = [c.key for c in cols].index("commune")
    first_row_of: dict[str, int] = {}
    last_row_of: dict[str, int] = {}

    def cell(rec, col, r, c):
        k = col.key
        code = rec["_code"]
        if k == "stt":
            return None
        if k == "commune":
            first_row_of.setdefault(code, r)
            last_row_of[code] = r
            if st.merge_communes and first_row_of[code] != r:
                return None
            label, var = labels[code]
            ctx.place.add(var, ctx.file, sheet, a1(r, c))
            return label
        if k == "partner_name":
            aliases = ctx.aliases.get(rec["partner_id"], [])
            if aliases and ctx.rng.random() < st.alias:
                ctx.place.add("partner_alias", ctx.file, sheet, a1(r, c))
                return aliases[int(ctx.rng.integers(len(aliases)))]
            return rec["partner_name"]
        if k == "partner_type":
            return rec["partner_type"]
        if k == "pair_start_year":
            return int(rec["pair_start_year"])
        if k in ("cash_mvnd", "in_kind_mvnd"):
            return fmt_money(rec[k], st, ctx, sheet, r, c)
        if k == "note":
            return rec.get("note")
        if k == "x_phone":
            return None
        return fmt_count(rec.get(k), st, ctx, sheet, r, c)

    groups = [(None, recs)]
    st2 = replace(st, sections=False, subtotals=False)
    out, r = _table(grid, cols, st2, ctx, groups, r, commune_col if commune_col > 0 else 1, cell)
    if st.merge_communes:
        for code, r0 in first_row_of.items():
            r1 = last_row_of[code]
            if r1 > r0:
                grid.merged.append((r0, commune_col, r1, commune_col))
                ctx.place.add(
                    "merged_commune_cells",
                    ctx.file,
                    sheet,
                    f"{a1(r0, commune_col)}:{a1(r1, commune_col)}",
                )
    _footer(grid, st, ctx, r, len(cols))
    keep = {"beneficiary_households", "houses_supported", "note"}
    return FormOut(grid, out, dropped & keep, (h0 + 1, h1 + 1))


# ----------------------------------------------------------------------------- 04/MH


def models_form(sheet: str, rows: list[dict], names: dict, st: FormStyle, ctx: Ctx) -> FormOut:
    """Biểu 04/MH: one row per economic model; status in Vietnamese ("đang duy trì", …)."""
    grid = Grid(sheet)
    cols = [
        Col("stt", {1: ("STT",), 2: ("STT",), 3: ("STT",)}, "text"),
        Col("model_name", {1: ("Tên mô hình",), 2: ("Tên mô hình",), 3: ("Tên mô hình",)}, "text"),
        Col("commune", {1: ("Xã",), 2: ("Địa bàn", "Xã"), 3: ("Địa bàn", "Xã")}, "text"),
        Col("partner_name", {1: ("Đơn vị hỗ trợ",), 2: ("Đơn vị kết nghĩa hỗ trợ",), 3: ("Đơn vị kết nghĩa hỗ trợ",)}, "text"),
        Col("model_type", {1: ("Loại mô hình",), 2: ("Lĩnh vực",), 3: ("Loại mô hình",)}, "text"),
        Col("start_year", {1: ("Năm triển khai",), 2: ("Kết quả", "Năm triển khai"), 3: ("Kết quả thực hiện", "Năm triển khai")}, "year"),
        Col("households", {1: ("Số hộ tham gia",), 2: ("Kết quả", "Số hộ tham gia"), 3: ("Kết quả thực hiện", "Số hộ tham gia")}, "count", True),
        Col("status", {1: ("Tình trạng",), 2: ("Kết quả", "Tình trạng"), 3: ("Kết quả thực hiện", "Tình trạng hiện nay")}, "text"),
    ]  # fmt: skip
    cols, dropped = _finish_columns(cols, st, ctx, sheet, [])
    title = f"DANH SÁCH MÔ HÌNH PHÁT TRIỂN KINH TẾ ĐƯỢC HỖ TRỢ THÔNG QUA KẾT NGHĨA NĂM {ctx.year}"
    r = _title(grid, st, ctx, "04/MH", title, len(cols), None)
    h0 = r
    r = _header(grid, cols, st.depth, r, ctx, st.linebreaks)
    h1 = r - 1
    r = _numbering(grid, st, ctx, r, len(cols))
    recs = []
    for row in sorted(
        rows, key=lambda x: (x["commune_code"], x["partner_id"], x["start_year"], x["model_name"])
    ):
        rec = dict(row)
        rec["_code"] = row["commune_code"]
        rec["_key"] = (
            "models",
            row["year"],
            row["commune_code"],
            row["partner_id"],
            row["model_name"],
        )
        rec["_label"], rec["_var"] = commune_label(
            names[row["commune_code"]],
            ctx.commune_type.get(row["commune_code"], "xã"),
            st.label_mode,
            ctx.rng,
        )
        recs.append(rec)

    def cell(rec, col, r, c):
        k = col.key
        if k == "stt":
            return None
        if k == "commune":
            ctx.place.add(rec["_var"], ctx.file, sheet, a1(r, c))
            return rec["_label"]
        if k == "partner_name":
            aliases = ctx.aliases.get(rec["partner_id"], [])
            if aliases and ctx.rng.random() < st.alias:
                ctx.place.add("partner_alias", ctx.file, sheet, a1(r, c))
                return aliases[int(ctx.rng.integers(len(aliases)))]
            return ctx.partner_names[rec["partner_id"]]
        if k == "status":
            return STATUS_VI[rec["status"]]
        if k == "start_year":
            return int(rec["start_year"])
        if k in ("model_name", "model_type"):
            return rec[k]
        return fmt_count(rec.get(k), st, ctx, sheet, r, c)

    st2 = replace(st, sections=False, subtotals=False)
    out, r = _table(grid, cols, st2, ctx, [(None, recs)], r, 1, cell)
    _footer(grid, st, ctx, r, len(cols))
    return FormOut(grid, out, dropped & {"households"}, (h0 + 1, h1 + 1))


# ----------------------------------------------------------------------------- extra sheets


def cover_sheet(ctx: Ctx, date_style: str, name: str = "Thông tin chung") -> Grid:
    """Visible cover sheet with district, year and report date (serial, text or datetime)."""
    g = Grid(name)
    d = ctx.report_date
    if date_style == "date_serial":
        value: object = (dt.date(d.year, d.month, d.day) - dt.date(1899, 12, 30)).days
    elif date_style == "date_text":
        value = f"{d:%d/%m/%Y}"
    else:
        value = dt.datetime(d.year, d.month, d.day)
    rows = [
        ("THÔNG TIN CHUNG VỀ BÁO CÁO KẾT NGHĨA", None),
        (None, None),
        ("Đơn vị báo cáo:", "UBND " + ctx.district_name[0].lower() + ctx.district_name[1:]),
        ("Mã đơn vị hành chính:", ctx.district_code),
        ("Năm báo cáo:", ctx.year),
        ("Ngày báo cáo:", value),
        ("Số báo cáo:", f"{ctx.report_no}/BC-UBND"),
        ("Người lập biểu:", SIGNERS[int(ctx.rng.integers(len(SIGNERS)))]),
        (None, None),
        ("Ghi chú:", "DỮ LIỆU TỔNG HỢP (synthetic) - không phải số liệu thật"),
    ]
    for r, (a, b) in enumerate(rows):
        g.put(r, 0, a)
        g.put(r, 1, b)
    g.widths = {0: 26, 1: 40}
    ctx.place.add("cover_sheet", ctx.file, name, "A1")
    ctx.place.add(date_style, ctx.file, name, "B6")
    return g


def notes_sheet(ctx: Ctx) -> Grid:
    g = Grid("Ghi chú")
    lines = [
        "HƯỚNG DẪN GHI BIỂU",
        "1. Số liệu hộ nghèo theo kết quả rà soát cuối năm.",
        "2. Tiêu chí NTM: ghi Đạt hoặc Chưa đạt cho từng tiêu chí.",
        "3. Kinh phí ghi theo đơn vị tính ở đầu biểu.",
        "Dữ liệu TỔNG HỢP (synthetic), tạo bởi lệnh ketnghia sample.",
    ]
    for r, line in enumerate(lines):
        g.put(r, 0, line)
    ctx.place.add("notes_sheet", ctx.file, g.name, "A1")
    return g


def encode_grid(grid: Grid, mode: str) -> None:
    """File-wide text transformation: NFD, old tone placement, TCVN3 or VNI mojibake."""
    if mode == "nfd":
        grid.map_text(lambda s: unicodedata.normalize("NFD", s))
    elif mode == "old_tone":
        grid.map_text(old_tone)
    elif mode in ("tcvn3", "vni"):
        from ketnghia_analysis.core.text import encode_legacy

        def enc(s: str) -> str:
            try:
                return encode_legacy(s, mode)
            except Exception:  # a character without a legacy code stays as it is
                return s

        grid.map_text(enc)
