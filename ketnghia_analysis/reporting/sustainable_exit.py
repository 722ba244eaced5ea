"""The reports' "Thoát nghèo bền vững" section: its sentences and its chart.

Households leave poverty either above the near-poor line (sustainable exit) or only into
near-poverty; only the official review forms (Biểu B diễn biến hộ nghèo) say which, so
the section states how many communes the figures rest on, and says plainly when no
official form has arrived (the figures of ``indicators.exits``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ketnghia_analysis.analysis import indicators
from ketnghia_analysis.core import fmt
from ketnghia_analysis.core.controls import printable
from ketnghia_analysis.reporting.charts import caption, finish_axes, format_axis
from ketnghia_analysis.reporting.kinds import KIND_NUMBER, KIND_PERCENT, fmt_value
from ketnghia_analysis.reporting.narrative import INCOMPLETE_MARK, headline_text
from ketnghia_analysis.reporting.scoping import in_scope

ABOVE_VI = "Vượt chuẩn cận nghèo (bền vững)"
TO_NEAR_VI = "Chỉ trở thành hộ cận nghèo"
# Okabe–Ito: blue for the sustainable part, orange for the fragile one.
PART_COLOURS = {ABOVE_VI: "#0072B2", TO_NEAR_VI: "#E69F00"}
GROUP_VI = {True: "Xã đang kết nghĩa", False: "Xã khác"}
OUTCOME = "sustainable_exit_share"
SOURCE_FORM_VI = "biểu rà soát chính thức (Biểu tổng hợp diễn biến hộ nghèo)"
SHARE_NOTE = "Số cuối mỗi thanh: tỷ lệ hộ thoát nghèo vượt chuẩn cận nghèo."


class ExitFigures(NamedTuple):
    """The section's figures for one scope (``indicators.exits`` and ``exit_coverage``)."""

    by_unit: pd.DataFrame  # by district (province) or by commune (one district)
    overall: pd.DataFrame  # the province, or the district
    groups: pd.DataFrame  # twinned in the year, and not
    coverage: pd.DataFrame  # of the exit split, by district, in the year
    unit: str  # the name column of by_unit


def figures(tables: Mapping[str, pd.DataFrame], year: int, district_code: str = "") -> ExitFigures:
    """The figures of the section for the province (``district_code`` "") or one district."""
    data = dict(tables)
    level = "commune" if district_code else "district"
    top = "district" if district_code else "province"
    return ExitFigures(
        by_unit=in_scope(indicators.exits(data, level=level), district_code),
        overall=in_scope(indicators.exits(data, level=top), district_code),
        groups=in_scope(indicators.exits(data, level=top, by=("twinned",)), district_code),
        coverage=in_scope(
            indicators.exit_coverage(data, level="district", year=year), district_code
        ),
        unit="commune_name" if district_code else "district_name",
    )


def section_text(
    found: ExitFigures, year: int, scope: str = "Toàn tỉnh", estimates: pd.DataFrame | None = None
) -> str:
    """The section's paragraphs: the figures, their coverage, twinned against the others and
    the effect estimate when there is one; only :func:`no_data_text` without split exits."""
    if _year_rows(found.overall, year).empty:
        return no_data_text(year, scope)
    parts = [
        summary_text(found.overall, year, scope),
        coverage_text(found.coverage, year),
        groups_text(found.groups, year),
        effect_text(estimates) if estimates is not None else "",
    ]
    return "\n\n".join(part for part in parts if part)


def _year_rows(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    """Rows of the year whose exits are split (official Biểu B)."""
    rows = frame[frame["year"] == year]
    return rows[rows["exits_above_near_poor"].notna() & rows["exits_to_near_poor"].notna()]


def no_data_text(year: int, scope: str = "Toàn tỉnh") -> str:
    """What the section says when no official form of the year has arrived."""
    return (
        f"Chưa có số liệu từ {SOURCE_FORM_VI} năm {year} ({scope}). Chỉ biểu này tách hộ "
        "thoát nghèo vượt chuẩn cận nghèo với hộ chỉ trở thành hộ cận nghèo; Biểu 02/HN "
        "không tách. Để có phần này: đặt các tệp biểu rà soát hộ nghèo, hộ cận nghèo "
        "(của Sở Lao động hoặc các huyện) vào thư mục data/raw rồi chạy lại ketnghia build."
    )


def summary_text(frame: pd.DataFrame, year: int, scope: str = "Toàn tỉnh") -> str:
    """The section's paragraph from the one row of the year of ``indicators.exits``
    (province, or one unit); :func:`no_data_text` when no exit of the year is split."""
    rows = _year_rows(frame, year)
    if rows.empty:
        return no_data_text(year, scope)
    row = rows.iloc[0]
    above, to_near = float(row["exits_above_near_poor"]), float(row["exits_to_near_poor"])
    split = above + to_near
    text = (
        f"**{scope}, năm {year}**: trong {fmt_value(split)} hộ thoát nghèo, "
        f"**{fmt_value(above)} hộ ({_share(above, split)}) vượt chuẩn cận nghèo**, tức là "
        f"thoát nghèo bền vững; {fmt_value(to_near)} hộ ({_share(to_near, split)}) chỉ trở "
        "thành hộ cận nghèo, dễ tái nghèo."
    )
    if pd.notna(row["poverty_from_near_poor"]):
        text += (
            f" Trong năm có {fmt_value(row['poverty_from_near_poor'])} hộ cận nghèo rơi vào "
            f"nghèo ({fmt_value(row['from_near_poor_share'], KIND_PERCENT)} số hộ trở thành "
            "hộ nghèo trong năm)"
        )
        text += (
            f"; tỷ lệ tái nghèo {fmt_value(row['relapse_rate'], KIND_PERCENT, 2)}, tỷ lệ hộ "
            f"nghèo phát sinh mới {fmt_value(row['new_poor_rate'], KIND_PERCENT, 2)}."
        )
    if pd.notna(row["people_poverty_rate"]):
        text += (
            f" Cuối năm {fmt_value(row['poor_people_end'])} người sống trong hộ nghèo "
            f"({fmt_value(row['people_poverty_rate'], KIND_PERCENT)} số nhân khẩu)."
        )
    return text


def _share(part: float, whole: float) -> str:
    """``part / whole`` as a Vietnamese percent ("–" when whole is 0)."""
    return fmt.fmt_percent(part / whole, 1) if whole else fmt.MISSING


def coverage_text(coverage: pd.DataFrame, year: int) -> str:
    """How many communes of the scope the figures rest on (rows of
    ``indicators.exit_coverage`` of the year, summed)."""
    rows = coverage[coverage["year"] == year]
    expected = int(rows["communes_expected"].sum())
    with_data = int(rows["communes_with_data"].sum())
    counted = f"{with_data}/{expected} xã có số liệu năm {year}"
    if expected and with_data >= expected:
        return f"Độ phủ: **{counted}** theo {SOURCE_FORM_VI} (đủ)."
    return (
        f"{INCOMPLETE_MARK} **Thoát nghèo bền vững: {counted}** theo {SOURCE_FORM_VI}; các "
        "tổng và tỷ lệ của phần này chỉ tính các xã có số liệu."
    )


def groups_text(groups: pd.DataFrame, year: int) -> str:
    """Twinned communes against the others in one year (rows of ``indicators.exits`` by
    ``twinned``); "" when either group has no split exits."""
    rows = _year_rows(groups, year).set_index("twinned")
    if not {True, False} <= set(rows.index):
        return ""
    parts = [
        f"{GROUP_VI[flag]}: **{fmt_value(rows.loc[flag, OUTCOME], KIND_PERCENT)}** số hộ thoát "
        f"nghèo vượt chuẩn cận nghèo ({fmt_value(rows.loc[flag, 'communes_exit_split'])} xã "
        "có số liệu)"
        for flag in (True, False)
    ]
    return (
        f"Năm {year}, " + "; ".join(parts) + ". Đây là so sánh thô: xã được chọn kết nghĩa vốn "
        "khó khăn hơn, nên chênh lệch này chưa phải là tác động của kết nghĩa."
    )


def effect_text(estimates: pd.DataFrame) -> str:
    """The headline estimate of twinning on the sustainable exit share ("" when
    ``effects.evaluate`` was not asked for this outcome)."""
    rows = estimates[(estimates["outcome"] == OUTCOME) & (estimates["role"] == "headline")]
    return headline_text(rows.iloc[0]) if len(rows) else ""


def chart(
    frame: pd.DataFrame,
    groups: pd.DataFrame,
    year: int,
    unit: str = "district_name",
    *,
    title: str | None = None,
    synthetic: bool = False,
    note: str = "",
) -> Figure | None:
    """Stacked bars per unit: households that left poverty above the near-poor line and
    those that only became near-poor, with the sustainable share at the end of each bar;
    beside them the shares of twinned communes and of the others. None (nothing drawn)
    when no exit of the year is split.

    ``frame``: ``indicators.exits`` at the unit's level; ``groups``: ``indicators.exits``
    by ``twinned`` over the same scope.
    """
    rows = _year_rows(frame, year)
    if rows.empty:
        return None
    rows = rows.assign(_name=rows[unit].astype(str).map(printable))
    shares = _year_rows(groups, year)
    fig, (left, right) = plt.subplots(
        1,
        2,
        figsize=(11, max(3.2, 0.38 * len(rows) + 1.8)),
        gridspec_kw={"width_ratios": [3, 1.25], "wspace": 0.35},
    )
    _unit_bars(left, rows)
    _group_bars(right, shares)
    left.legend(
        handles=[Patch(color=c, label=t) for t, c in PART_COLOURS.items()],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12 if len(rows) > 6 else -0.2),
        ncol=2,
        fontsize=9,
    )
    fig.subplots_adjust(top=0.86 if len(rows) > 6 else 0.8)
    fig.suptitle(
        title or f"Hộ thoát nghèo năm {year}: bền vững hay chỉ thành hộ cận nghèo",
        x=0.01,
        y=0.99,
        ha="left",
        fontweight="bold",
        fontsize=13,
    )
    words = f"Số liệu: {SOURCE_FORM_VI}. {SHARE_NOTE} {note}"
    caption(fig, synthetic, words.strip())
    return fig


def _unit_bars(ax: Axes, rows: pd.DataFrame) -> None:
    """Households leaving poverty per unit, the two parts stacked, the share at the end."""
    rows = rows.iloc[::-1]  # the first unit on top
    y = np.arange(len(rows))
    above = rows["exits_above_near_poor"].astype(float).to_numpy()
    to_near = rows["exits_to_near_poor"].astype(float).to_numpy()
    ax.barh(y, above, color=PART_COLOURS[ABOVE_VI])
    ax.barh(y, to_near, left=above, color=PART_COLOURS[TO_NEAR_VI])
    for k, (a, b) in enumerate(zip(above, to_near, strict=True)):
        ax.annotate(
            _share(a, a + b),
            xy=(a + b, k),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8.5,
        )
    ax.set_yticks(y, rows["_name"].tolist())
    ax.margins(x=0.12)
    format_axis(ax, KIND_NUMBER, axis="x")
    finish_axes(ax, None, "Số hộ thoát nghèo (hộ)", "")
    ax.grid(axis="y", visible=False)


def _group_bars(ax: Axes, shares: pd.DataFrame) -> None:
    """Twinned communes and the others: each 100 %, split into the two parts."""
    labels, above = [], []
    for flag in (True, False):
        hit = shares[shares["twinned"] == flag]
        if len(hit) and pd.notna(hit[OUTCOME].iloc[0]):
            labels.append(GROUP_VI[flag])
            above.append(float(hit[OUTCOME].iloc[0]))
    if not labels:
        ax.set_visible(False)
        return
    x = np.arange(len(labels))
    rest = [1 - a for a in above]
    ax.bar(x, above, color=PART_COLOURS[ABOVE_VI], width=0.6)
    ax.bar(x, rest, bottom=above, color=PART_COLOURS[TO_NEAR_VI], width=0.6)
    for k, value in enumerate(above):
        ax.text(
            k,
            value / 2,
            fmt.fmt_percent(value, 1),
            ha="center",
            va="center",
            color="white",
            fontsize=9,
            fontweight="bold",
        )
    ax.set_xticks(x, labels, fontsize=9)
    ax.set_ylim(0, 1)
    format_axis(ax, KIND_PERCENT)
    finish_axes(ax, None, "", "Tỷ lệ trong số hộ thoát nghèo (%)")
    ax.set_title("Xã kết nghĩa và xã khác", fontsize=10, loc="left")
    ax.grid(axis="x", visible=False)
