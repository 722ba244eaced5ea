"""Cell values as districts type them: numbers as text, '-' for zero, money units, percents."""

from __future__ import annotations

from ketnghia_analysis.core.address import a1
from ketnghia_analysis.sample.forms.style import Ctx, FormStyle
from ketnghia_analysis.sample.grid import Grid

MONEY_DIV = {"trieu": 1, "nghin": 1_000, "dong": 1_000_000}
MONEY_LABEL = {"trieu": "triệu đồng", "nghin": "nghìn đồng", "dong": "đồng"}
MONEY_HEADER = {"trieu": "(triệu đồng)", "nghin": "(1.000đ)", "dong": "(đồng)"}


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


def fmt_count(v: float | None, st: FormStyle, ctx: Ctx, sheet: str, r: int, c: int) -> object:
    """A count as a number, as text with thousands separators, or '-' for zero."""
    if v is None:
        return None
    n = int(v)
    if n == 0 and st.dash_zero:
        ctx.place.add("dash_zero", ctx.file, sheet, a1(r, c))
        return "-"
    if st.numtext:
        if abs(n) >= 1000:
            sep = {"dot": ".", "space": " ", "comma": ","}[st.numtext]
            ctx.place.add(f"numbers_text_{st.numtext}", ctx.file, sheet, a1(r, c))
            return vn_int_text(n, sep)
        return str(n)
    return n


def fmt_money(v: float | None, st: FormStyle, ctx: Ctx, sheet: str, r: int, c: int) -> object:
    """Money (million VND) in the style's unit, as a number or as Vietnamese number text."""
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
    n = int(round(float(v) * MONEY_DIV[st.money_unit]))
    if st.numtext and abs(n) >= 1000 and st.numtext in ("dot", "space"):
        ctx.place.add(f"numbers_text_{st.numtext}", ctx.file, sheet, a1(r, c))
        return vn_int_text(n, "." if st.numtext == "dot" else " ")
    return n


def fmt_percent(rate: float, st: FormStyle, ctx: Ctx, grid: Grid, r: int, c: int) -> object:
    """A rate as 12.5, as a 0.125 fraction with a percent format, or as text '12,5%'."""
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
