"""One sheet of an official poverty-review form (A–D of official-forms.md), as filled copies look.

Title block (UBND + national motto), a title in capitals (with or without the year), a header
of 2–4 merged rows, the column-number row with formula text (``4=3/1*100``,
``9=1-2-3-4+5+6+7+8``) and the lettered first columns, then the unit rows: district rows
(bold, numbered 1, 2, …, holding their communes' sums) followed by their communes (1.1,
1.2, …) in a province compilation, or communes (1, 2, …) and a total row in a district
compilation. Forms B, C and D give each unit two rows, "Hộ" then "Nhân khẩu", under a TT
and name merged over both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ketnghia_analysis.sample.grid import Grid
from ketnghia_analysis.sample.world.official import B_TERMS, C_TERMS, D_TERMS

LETTER = {
    "review_result": "A",
    "poor_movement": "B",
    "near_poor_movement": "C",
    "poverty_groups": "D",
}
TITLES = {
    "review_result": "TỔNG HỢP KẾT QUẢ (CHÍNH THỨC) RÀ SOÁT HỘ NGHÈO, HỘ CẬN NGHÈO, HỘ LÀM "
    "NÔNG, LÂM, NGƯ NGHIỆP CÓ MỨC SỐNG TRUNG BÌNH",
    "poor_movement": "TỔNG HỢP DIỄN BIẾN HỘ NGHÈO",
    "near_poor_movement": "TỔNG HỢP DIỄN BIẾN HỘ CẬN NGHÈO",
    "poverty_groups": "PHÂN TÍCH HỘ NGHÈO, HỘ CẬN NGHÈO THEO CÁC NHÓM ĐỐI TƯỢNG",
}
PAIRED = ("poor_movement", "near_poor_movement", "poverty_groups")
_UNIT = (("Phường/Xã",), ("Xã, phường, thị trấn",), ("Tên đơn vị",))
_HH = "Tổng số hộ dân cư (tại thời điểm rà soát)"


@dataclass(frozen=True)
class Column:
    """A printed column: its header path (outer to inner), number label and record field."""

    path: tuple[str, ...]
    number: str
    field: str | None = None  # record field (count) or None
    rate: tuple[str, str] | None = None  # (numerator, denominator) fields of a rate


def _a_columns(banner: bool) -> list[Column]:
    cols = [
        Column((_HH, "Số hộ"), "1", "households_total"),
        Column((_HH, "Nhân khẩu"), "2", "people_total"),
    ]
    groups = (
        ("Tổng số hộ nghèo", "poor_end", "poor_people_end"),
        ("Tổng số hộ cận nghèo", "near_poor_end", "near_poor_people_end"),
        (
            "Hộ nông, lâm, ngư nghiệp có mức sống trung bình",
            "average_living_end",
            "average_living_people",
        ),
    )
    for side, unit, base, denom in (
        ("hộ", "Số hộ", 3, "households_total"),
        ("khẩu", "Số khẩu", 9, "people_total"),
    ):
        for gi, (label, hh_field, pp_field) in enumerate(groups):
            n = base + 2 * gi
            f = hh_field if side == "hộ" else pp_field
            top = f"Kết quả rà soát về {side}"
            cols.append(Column((top, label, unit), str(n), f))
            d = 1 if side == "hộ" else 2
            cols.append(Column((top, label, "Tỷ lệ (%)"), f"{n + 1}={n}/{d}*100", rate=(f, denom)))
    if banner:
        cols = [Column(("Kết quả rà soát", *c.path), c.number, c.field, c.rate) for c in cols]
    return cols


def _movement_columns(form: str) -> list[Column]:
    poor = form == "poor_movement"
    what = "hộ nghèo" if poor else "hộ cận nghèo"
    down, up = f"Diễn biến giảm số {what}", f"Diễn biến tăng số {what}"
    if poor:
        paths = [
            (f"Tổng số {what} đầu kỳ",),
            (down, "Số hộ thoát nghèo", "Trở thành hộ cận nghèo"),
            (down, "Số hộ thoát nghèo", "Vượt chuẩn cận nghèo"),
            (
                down,
                "Số hộ khác: thay đổi nhân khẩu, hộ nghèo đơn thân chết, chuyển đi nơi khác, tách hộ",
            ),
            (up, "Số hộ cận nghèo trở thành hộ nghèo"),
            (up, "Số hộ nghèo bổ sung trong kỳ", "Tái nghèo"),
            (up, "Số hộ nghèo bổ sung trong kỳ", "Phát sinh mới"),
            (up, "Số hộ khác: thay đổi nhân khẩu, chuyển đến, tách hộ"),
            (f"Tổng số {what} cuối kỳ",),
        ]
    else:
        paths = [
            (f"Tổng số {what} đầu kỳ",),
            (down, "Số hộ thoát cận nghèo"),
            (down, "Số hộ trở thành hộ nghèo"),
            (down, "Số hộ khác"),
            (up, "Số hộ nghèo trở thành hộ cận nghèo"),
            (up, "Số hộ cận nghèo bổ sung trong kỳ", "Tái cận nghèo"),
            (up, "Số hộ cận nghèo bổ sung trong kỳ", "Phát sinh mới"),
            (up, "Số hộ khác"),
            (f"Tổng số {what} cuối kỳ",),
        ]
    terms = B_TERMS if poor else C_TERMS
    numbers = [str(i) for i in range(1, 9)] + ["9=1-2-3-4+5+6+7+8"]
    return [Column(p, n, t) for p, n, t in zip(paths, numbers, terms, strict=True)]


def _group_columns() -> list[Column]:
    labels = ("Tổng số", "Hộ dân tộc thiểu số", "Hộ không có khả năng lao động",
              "Hộ có người có công với cách mạng", "Khác")  # fmt: skip
    numbers = ("1", "2", "3", "4", "5=1-2-3-4", "6", "7", "8", "9", "10=6-7-8-9")
    out = []
    for i, term in enumerate(D_TERMS):
        top = "Hộ nghèo" if i < 5 else "Hộ cận nghèo"
        out.append(Column((top, labels[i % 5]), numbers[i], term))
    return out


def columns(form: str, banner: bool = False, flat: bool = False) -> list[Column]:
    """The printed columns of ``form`` (``banner``: one more header row; ``flat``: two)."""
    cols = (
        _a_columns(banner)
        if form == "review_result"
        else _group_columns()
        if form == "poverty_groups"
        else _movement_columns(form)
    )
    if flat:
        cols = [
            Column(
                (c.path[0], " - ".join(c.path[1:])) if len(c.path) > 2 else c.path,
                c.number,
                c.field,
                c.rate,
            )
            for c in cols
        ]
    return cols


@dataclass(frozen=True)
class UnitRow:
    """A row (or pair of rows) to print: level district / commune / total, TT, label, values."""

    level: str
    stt: str
    label: str
    values: dict
    key: tuple | None = None  # (year, code) of a commune, (year, district_code) of a district


@dataclass(frozen=True)
class SheetStyle:
    """The choices of one filled copy."""

    unit_line: str  # the issuing body: "UBND HUYỆN NAM TRÀ MY" or "TỈNH QUẢNG NAM"
    title_year: bool
    banner: bool
    flat: bool
    unit_header: int
    zero_empty: bool
    placeholder: frozenset = frozenset()  # commune keys whose A1 is a placeholder
    placeholder_value: int = 10


@dataclass
class Sheet:
    """The grid and where each unit went: 1-based Excel rows (household, persons) per key."""

    grid: Grid
    rows: dict[tuple, tuple[int, int | None]] = field(default_factory=dict)
    col_of: dict[str, int] = field(default_factory=dict)
    features: set[str] = field(default_factory=set)


def official_sheet(
    form: str, units: list[UnitRow], st: SheetStyle, year: int, name: str = "Sheet1"
) -> Sheet:
    """Lay out one form sheet of ``units`` (see the module docstring)."""
    cols = columns(form, st.banner, st.flat)
    paired = form in PAIRED
    lead = ["TT", _UNIT[st.unit_header][0]] + (["Phân tổ"] if paired else [])
    grid = Grid(name)
    sheet = Sheet(grid)
    ncols = len(lead) + len(cols)
    right = max(ncols - 6, 4)
    grid.put(0, 0, "ỦY BAN NHÂN DÂN")
    grid.put(1, 0, st.unit_line)
    grid.merge(0, right, 0, ncols - 1, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    grid.merge(1, right, 1, ncols - 1, "Độc lập - Tự do - Hạnh phúc")
    title = TITLES[form] + (f" NĂM {year}" if st.title_year else "")
    grid.merge(3, 0, 3, ncols - 1, title)
    grid.put(4, ncols - 2, "ĐVT: hộ, người")
    top = 6
    depth = max(len(c.path) for c in cols)
    for i, text in enumerate(lead):
        grid.merge(top, i, top + depth - 1, i, text)
    _header(grid, cols, top, len(lead), depth)
    num_row = top + depth
    for i, text in enumerate(["A", "B", "C"][: len(lead)] + [c.number for c in cols]):
        grid.put(num_row, i, text)
    sheet.features.update({"formula_row", f"header_{depth}rows"})
    for k in range(top, num_row + 1):
        grid.header_cells.update((k, c) for c in range(ncols))
    sheet.col_of = {c.field: len(lead) + i for i, c in enumerate(cols) if c.field}
    r = num_row + 1
    for u in units:
        r = _unit_rows(sheet, form, cols, u, st, r, len(lead), paired)
    grid.widths.update({0: 6, 1: 28})
    return sheet


def _header(grid: Grid, cols: list[Column], top: int, first: int, depth: int) -> None:
    """Merged header cells: equal consecutive labels merge across, a short path down."""
    for level in range(depth):
        c = 0
        while c < len(cols):
            path = cols[c].path
            if level >= len(path):
                c += 1
                continue
            end = c
            while (
                end + 1 < len(cols)
                and len(cols[end + 1].path) > level
                and cols[end + 1].path[: level + 1] == path[: level + 1]
                and level < len(path) - 1
            ):
                end += 1
            bottom = top + depth - 1 if level == len(path) - 1 else top + level
            grid.merge(top + level, first + c, bottom, first + end, path[level])
            c = end + 1


def _unit_rows(
    sheet: Sheet,
    form: str,
    cols: list[Column],
    u: UnitRow,
    st: SheetStyle,
    r: int,
    first: int,
    paired: bool,
) -> int:
    """Write one unit (two rows when paired); return the next free row."""
    grid = sheet.grid
    n = 2 if paired else 1
    grid.merge(r, 0, r + n - 1, 0, u.stt or None)
    grid.merge(r, 1, r + n - 1, 1, u.label)
    if paired:
        grid.put(r, 2, "Hộ")
        grid.put(r + 1, 2, "Nhân khẩu")
        sheet.features.add("paired_rows")
    values = dict(u.values)
    if form == "review_result" and u.key in st.placeholder:
        values["households_total"] = st.placeholder_value
        sheet.features.add("placeholder_denominator")
    for k in range(n):
        for i, c in enumerate(cols):
            grid.put(r + k, first + i, _cell(c, values, "_people" if k else "", st))
    if u.level in ("district", "total"):
        grid.header_cells.update((r + k, c) for k in range(n) for c in range(first + len(cols)))
    if u.key is not None:
        sheet.rows[u.key] = (r + 1, r + 2 if paired else None)
    return r + n


def _cell(c: Column, values: dict, suffix: str, st: SheetStyle) -> object:
    """A count (zero as 0 or, in columns the poverty table does not take, empty) or a rate."""
    if c.rate is not None:
        num, den = values.get(c.rate[0]), values.get(c.rate[1])
        return round(100 * num / den, 2) if num is not None and den else 0
    v = values.get(f"{c.field}{suffix}")
    if v == 0 and st.zero_empty and c.field not in TRUTH_FIELDS:
        return None
    return v


# Fields the poverty table takes (a zero there is always written as 0).
TRUTH_FIELDS = {
    "households_total", "people_total", "poor_end", "near_poor_end", "poor_people_end",
    "near_poor_people_end", *B_TERMS, "poor_total", "poor_ethnic_minority_end", "near_poor_total",
}  # fmt: skip
