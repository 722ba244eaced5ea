"""The parts around a form's table: title block, multi-row header, numbering row and footer."""

from __future__ import annotations

from ketnghia_analysis.core.address import a1
from ketnghia_analysis.sample.forms.style import Col, Ctx, FormStyle
from ketnghia_analysis.sample.grid import Grid

SIGNERS = (
    "Nguyễn Văn Hùng",
    "Hồ Thị Lan",
    "Trần Minh Tuấn",
    "Alăng Thị Mai",
    "Bríu Quân",
    "Hồ Văn Mười",
)


def head(
    grid: Grid,
    cols: list[Col],
    st: FormStyle,
    ctx: Ctx,
    form_no: str,
    title: str,
    unit: str | None,
    title_style: FormStyle | None = None,
) -> int:
    """Title block, header and numbering row of a form; return the first data row."""
    r = title_block(grid, title_style or st, ctx, form_no, title, len(cols), unit)
    r = header(grid, cols, st.depth, r, ctx, st.linebreaks)
    return numbering_row(grid, st, ctx, r, len(cols))


def title_block(
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
    authority = ctx.district_name[0].lower() + ctx.district_name[1:]
    grid.merge(
        5,
        0,
        5,
        right,
        f"(Kèm theo Báo cáo số {ctx.report_no}/BC-UBND ngày {d:%d/%m/%Y} của UBND {authority})",
    )
    ctx.place.add("title_kem_theo", f, s, "A6")
    if unit:
        grid.put(6, right - 1, f"ĐVT: {unit}")
        ctx.place.add("title_dvt", f, s, a1(6, right - 1))
        return 8
    return 7


def header(grid: Grid, cols: list[Col], depth: int, r0: int, ctx: Ctx, linebreaks: bool) -> int:
    """Write a header of ``depth`` rows from the columns' paths; merge groups; return next row."""
    paths = []
    for col in cols:
        p = col.paths.get(depth) or col.paths[min(col.paths, key=lambda d: abs(d - depth))]
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


def numbering_row(grid: Grid, st: FormStyle, ctx: Ctx, r: int, ncols: int) -> int:
    """The column-numbering row under the header, if the style has one; return the next row."""
    if not st.numbering:
        return r
    for c in range(ncols):
        v: object
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


def footer(grid: Grid, st: FormStyle, ctx: Ctx, r: int, ncols: int) -> None:
    """Blank rows, notes, the synthetic-data note, and the place, date and signatures."""
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
