"""Shared plotting helpers: one style for every chart of the notebooks and reports.

Colour-blind-safe palettes (seaborn "colorblind", "cividis"), Vietnamese titles and
axis labels from the glossary (`ketnghia_analysis.label`), Vietnamese number
formatting on the axes (1.234,5; 12,5%), a source caption that says when the data
are synthetic, and the two series breaks marked where a line crosses them:
the poverty standard (2016–2020 → 2022–2025, between 2021 and 2022) and the NTM
criteria set (2016–2020 → 2021–2025, in force from 2022).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

from ketnghia_analysis.core.controls import printable, strip_controls
from ketnghia_analysis.core.snapshot import MANIFEST
from ketnghia_analysis.reference.glossary import label
from ketnghia_analysis.reference.standards import break_year
from ketnghia_analysis.reporting.estimate_marks import (
    SECONDARY_COLOUR,
    SECONDARY_REASON,
    estimate_row,
    headline_first,
)
from ketnghia_analysis.reporting.kinds import (
    KIND_DIFF,
    KIND_NUMBER,
    formatter,
    kind_of,
    short_value,
)
from ketnghia_analysis.reporting.narrative import row_name

SOURCE = "Nguồn: báo cáo của các huyện"
SYNTHETIC_NOTE = "DỮ LIỆU TỔNG HỢP (mẫu), không phải số liệu thật"
PALETTE = "colorblind"  # qualitative, colour-blind safe (Okabe-Ito like)
SEQUENTIAL = "cividis"  # perceptually uniform, readable with colour-vision deficiency
DIVERGING = "PuOr_r"  # centre at 0: purple below (a fall), orange above (a rise)

# The first year of the new poverty standard (and of the NTM criteria set in force):
# a line is drawn between year-1 and year.
POVERTY_BREAK = break_year()
POVERTY_BREAK_LABEL = "Chuẩn nghèo mới 2022–2025"
NTM_BREAK_LABEL = "Bộ tiêu chí NTM 2021–2025"
BREAK_LABELS = {
    "poverty": POVERTY_BREAK_LABEL,
    "ntm": NTM_BREAK_LABEL,
    "both": f"{POVERTY_BREAK_LABEL}; {NTM_BREAK_LABEL}",
}


def setup() -> None:
    """Apply the house style (call once at the top of a notebook)."""
    sns.set_theme(style="whitegrid", palette=PALETTE, font="DejaVu Sans")
    plt.rcParams.update(
        {
            "figure.figsize": (9, 4.8),
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "axes.titlesize": 13,
            "axes.titleweight": "bold",
            "axes.labelsize": 11,
            "legend.frameon": False,
            "axes.formatter.use_locale": False,
        }
    )


# --- axes -------------------------------------------------------------------------


def format_axis(ax: Axes, kind: str, axis: str = "y", decimals: int | None = None) -> None:
    """Vietnamese tick labels on one axis."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    if kind == KIND_NUMBER and not decimals:
        # labels without decimals need whole-number ticks (7,5 would read "8")
        target.set_major_locator(mticker.MaxNLocator(integer=True))
    target.set_major_formatter(formatter(kind, decimals))


def year_axis(ax: Axes) -> None:
    """Whole years on the x axis, without thousands separators."""
    ax.xaxis.set_major_locator(mticker.MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _p: f"{int(round(v))}"))


# --- captions and breaks ------------------------------------------------------------


def is_synthetic(processed_dir: str | Path) -> bool:
    """True when the processed folder comes from the synthetic sample returns.

    First the provenance the build recorded in the folder's manifest (``_build.json``),
    wherever it was built; for older builds: a ``SYNTHETIC`` marker, a ``truth`` folder, or
    a sibling ``raw/truth`` (the sample generator's, ``make demo``).
    """
    folder = Path(processed_dir)
    recorded = _recorded_provenance(folder)
    if recorded is not None:
        return recorded or (folder / "SYNTHETIC").exists()
    return any(
        p.exists()
        for p in (
            folder / "SYNTHETIC",
            folder / "truth",
            folder.parent / "raw" / "truth",
        )
    )


def _recorded_provenance(folder: Path) -> bool | None:
    """``provenance.synthetic`` of the folder's manifest; None when it records none."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        value = manifest["provenance"]["synthetic"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return value if isinstance(value, bool) else None


def caption_text(synthetic: bool, extra: str = "") -> str:
    """The source line under every chart."""
    parts = [SOURCE]
    if synthetic:
        parts.append(SYNTHETIC_NOTE)
    text = "; ".join(parts) + "."
    return f"{text} {extra}".strip()


def caption(
    fig: Figure, synthetic: bool, extra: str = "", at: tuple[float, float] | None = None
) -> None:
    """Write the source caption under everything else drawn on the figure.

    ``at`` (figure fraction) skips measuring the drawn figure, which is slow with many axes.
    """
    if at is None:
        box = fig.get_tightbbox()  # inches, measured with the figure's own renderer
        at = (box.x0 / fig.get_figwidth(), box.y0 / fig.get_figheight() - 0.02)
    fig.text(
        at[0],
        at[1],
        caption_text(synthetic, extra),
        ha="left",
        va="top",
        fontsize=8.5,
        color="#444444",
        style="italic",
        wrap=True,
    )


def mark_break(
    ax: Axes,
    kind: str = "poverty",
    x: float | None = None,
    text: bool = True,
) -> None:
    """Dashed vertical line at a series break (between 2021 and 2022 on a year axis).

    Parameters
    ----------
    kind
        "poverty" (poverty standard), "ntm" (NTM criteria set) or "both".
    x
        Position of the line when the axis is not in years (e.g. a heatmap
        column index); default ``2021.5``.
    """
    position = POVERTY_BREAK - 0.5 if x is None else x
    words = BREAK_LABELS[kind]
    ax.axvline(position, color="#555555", linestyle="--", linewidth=1.2, zorder=5)
    if text:
        ax.annotate(
            words,
            xy=(position, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(4, -4),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=8.5,
            color="#333333",
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8},
        )


def _break_index(years: Sequence[int], first_new: int = POVERTY_BREAK) -> float | None:
    """Heatmap column position of a break: between the last old and first new year."""
    years = [int(y) for y in years]
    if not years or min(years) >= first_new or max(years) < first_new:
        return None
    return float(sum(1 for y in years if y < first_new))


# --- charts -------------------------------------------------------------------------


def _figure(ax: Axes) -> Figure:
    """The figure an axes is drawn on."""
    figure = ax.get_figure(root=True)
    assert isinstance(figure, Figure)
    return figure


def _bar_values(container: BarContainer) -> np.ndarray:
    """The values the bars of a container stand for."""
    return cast(np.ndarray, container.datavalues)


def _crosses_break(years: pd.Series) -> bool:
    """True when the years run across the break (some before it, some from it on)."""
    return bool(years.min() < POVERTY_BREAK <= years.max())


def finish_axes(ax: Axes, title: str | None, xlabel: str | None, ylabel: str | None) -> None:
    """Title (left-aligned) and axis labels."""
    if title:
        ax.set_title(strip_controls(title), loc="left")
    if xlabel is not None:
        ax.set_xlabel(strip_controls(xlabel))
    if ylabel is not None:
        ax.set_ylabel(strip_controls(ylabel))


def _printable_labels(frame: pd.DataFrame, columns: Sequence[str | None]) -> pd.DataFrame:
    """``frame`` (a copy the caller owns) with the text of its label columns cleaned.

    A NUL or ESC from a return (a partner name) has no glyph: matplotlib would warn, with
    an absolute path, into the report. Categories keep their order.
    """
    for column in columns:
        if column is not None and not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = frame[column].map(printable)
    return frame


def line_by_year(
    data: pd.DataFrame,
    y: str,
    hue: str | None = None,
    *,
    title: str | None = None,
    kind: str | None = None,
    breaks: str | None = "poverty",
    synthetic: bool = False,
    ax: Axes | None = None,
    note: str = "",
) -> Axes:
    """One line per group over the years, with the break marked and a caption."""
    if ax is None:
        _fig, ax = plt.subplots()
    frame = _printable_labels(data.copy(), [hue])
    if hue is not None and isinstance(frame[hue].dtype, pd.CategoricalDtype):
        frame[hue] = frame[hue].cat.remove_unused_categories()
    frame[y] = frame[y].astype("float64")
    sns.lineplot(
        data=frame,
        x="year",
        y=y,
        hue=hue,
        marker="o",
        ax=ax,
        palette=PALETTE if hue else None,
        errorbar=None,
    )
    if breaks and _crosses_break(frame["year"]):
        mark_break(ax, breaks)
    year_axis(ax)
    format_axis(ax, kind or kind_of(y))
    finish_axes(ax, title, label("year"), label(y))
    if hue is not None and ax.get_legend() is not None:
        ax.legend(title=label(hue), bbox_to_anchor=(1.01, 1), loc="upper left", fontsize=9)
    caption(_figure(ax), synthetic, note)
    return ax


def small_multiples(
    data: pd.DataFrame,
    y: str,
    facet: str,
    *,
    title: str | None = None,
    kind: str | None = None,
    breaks: str | None = "poverty",
    synthetic: bool = False,
    col_wrap: int = 4,
    note: str = "",
) -> Figure:
    """One small panel per group (shared axes), a line over the years in each.

    Drawn with plain matplotlib: seaborn's ``relplot`` takes ~10 s for 18 panels.
    """
    frame = _printable_labels(data.copy(), [facet])
    if isinstance(frame[facet].dtype, pd.CategoricalDtype):
        frame[facet] = frame[facet].cat.remove_unused_categories()
        groups = list(frame[facet].cat.categories)
    else:
        groups = list(pd.unique(frame[facet].dropna()))
    frame[y] = frame[y].astype("float64")
    ncols = max(1, min(col_wrap, len(groups)))
    nrows = max(1, -(-len(groups) // ncols))
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(3.0 * ncols, 2.2 * nrows + 0.6),
        sharex=True,
        sharey=True,
        squeeze=False,
    )
    colour = sns.color_palette(PALETTE)[0]
    marked = breaks if breaks and _crosses_break(frame["year"]) else None
    for ax, group in zip(axes.flat, groups, strict=False):
        part = frame[frame[facet] == group].sort_values("year")
        ax.plot(part["year"], part[y], marker="o", markersize=4, color=colour)
        ax.set_title(str(group), fontsize=10)
        if marked:
            mark_break(ax, marked, text=False)
    for index, ax in enumerate(axes.flat):
        if index >= len(groups):
            ax.set_visible(False)
        elif index + ncols >= len(groups):  # nothing below: show its years
            ax.xaxis.set_tick_params(labelbottom=True)
    for ax in axes.flat:
        year_axis(ax)
        format_axis(ax, kind or kind_of(y))
        ax.tick_params(labelsize=8.5)
    _lay_out_panels(fig, y, title)
    breaks_text = f"Đường gạch: {BREAK_LABELS[breaks]}." if breaks else ""
    caption(fig, synthetic, f"{breaks_text} {note}".strip(), at=(0.01, 0.0))
    return fig


def _lay_out_panels(fig: Figure, y: str, title: str | None) -> None:
    """Margins, shared axis labels and title of a grid of small panels.

    Fixed margins (inches) instead of tight_layout: measuring 18 panels takes seconds.
    """
    height, width = fig.get_figheight(), fig.get_figwidth()
    fig.subplots_adjust(
        left=0.85 / width,
        right=1 - 0.15 / width,
        bottom=0.75 / height,
        top=1 - 0.35 / height,
        hspace=0.45,
        wspace=0.12,
    )
    fig.supxlabel(label("year"), fontsize=11, y=0.25 / height)
    # One y label for the whole figure: repeated per row it overlaps on short panels.
    fig.supylabel(label(y), fontsize=11, x=0.05 / width)
    if title:
        fig.suptitle(title, x=0.02, ha="left", y=1.0, va="bottom", fontweight="bold")


def heatmap(
    pivot: pd.DataFrame,
    *,
    title: str | None = None,
    kind: str = KIND_NUMBER,
    cmap: str = SEQUENTIAL,
    center: float | None = None,
    annot: bool = True,
    xlabel: str | None = None,
    ylabel: str | None = None,
    breaks: str | None = None,
    synthetic: bool = False,
    note: str = "",
    vmin: float | None = None,
    vmax: float | None = None,
    ax: Axes | None = None,
    decimals: int | None = None,
) -> Axes:
    """A labelled heatmap (rows × columns) with Vietnamese-formatted cell values.

    When ``breaks`` is set and the columns are years, a dashed line separates the
    years before and after the break.
    """
    values = pivot.astype("float64")
    values.index = values.index.map(printable)
    values.columns = values.columns.map(printable)
    if ax is None:
        height = max(2.5, 0.32 * len(values) + 1.5)
        width = max(6.0, 0.55 * values.shape[1] + 3.5)
        _fig, ax = plt.subplots(figsize=(min(width, 16), min(height, 22)))
    labels = values.map(lambda v: short_value(v, kind, decimals))
    sns.heatmap(
        values,
        ax=ax,
        cmap=cmap,
        center=center,
        annot=labels if annot else False,
        fmt="",
        annot_kws={"fontsize": 7.5},
        linewidths=0.4,
        linecolor="white",
        vmin=vmin,
        vmax=vmax,
        cbar_kws={"format": formatter(kind), "shrink": 0.8},
    )
    colorbar = ax.collections[0].colorbar if ax.collections else None
    if colorbar is not None and kind == KIND_NUMBER and not decimals:
        # counts: whole-number ticks only (a 0–1 scale otherwise reads "0, 0, 1, 1")
        colorbar.locator = mticker.MaxNLocator(integer=True)
        colorbar.update_ticks()
    ax.grid(False)
    ax.set_yticks([i + 0.5 for i in range(len(values.index))])
    ax.set_yticklabels([str(v) for v in values.index], rotation=0)
    if breaks:
        try:
            position = _break_index([int(c) for c in values.columns])
        except (TypeError, ValueError):
            position = None
        if position is not None:
            mark_break(ax, breaks, x=position, text=False)
            breaks_text = (
                "Đường gạch: "
                + (POVERTY_BREAK_LABEL if breaks == "poverty" else NTM_BREAK_LABEL)
                + "."
            )
            note = f"{breaks_text} {note}".strip()
    finish_axes(ax, title, xlabel, ylabel)
    caption(_figure(ax), synthetic, note)
    return ax


def bars(
    data: pd.DataFrame,
    x: str,
    y: str,
    *,
    hue: str | None = None,
    title: str | None = None,
    kind: str | None = None,
    horizontal: bool = False,
    synthetic: bool = False,
    note: str = "",
    ax: Axes | None = None,
    annotate: bool = True,
) -> Axes:
    """Bars with Vietnamese-formatted value labels."""
    frame = _printable_labels(data.copy(), [x, hue])
    for column in (x, hue):
        if column and isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = frame[column].cat.remove_unused_categories()
    frame[y] = frame[y].astype("float64")
    value_kind = kind or kind_of(y)
    if ax is None:
        size = (9, max(3.0, 0.35 * frame[x].nunique() + 1.5)) if horizontal else (9, 4.8)
        _fig, ax = plt.subplots(figsize=size)
    placement: dict = {"y": x, "x": y, "orient": "h"} if horizontal else {"x": x, "y": y}
    sns.barplot(
        data=frame,
        hue=hue,
        ax=ax,
        palette=PALETTE if hue else None,
        color=None if hue else sns.color_palette(PALETTE)[0],
        errorbar=None,
        **placement,
    )
    if horizontal:
        format_axis(ax, value_kind, axis="x")
        finish_axes(ax, title, label(y), label(x))
    else:
        format_axis(ax, value_kind)
        finish_axes(ax, title, label(x), label(y))
    if annotate:
        for container in ax.containers:
            if isinstance(container, BarContainer):
                ax.bar_label(
                    container,
                    labels=[short_value(v, value_kind) for v in _bar_values(container)],
                    fontsize=8,
                    padding=2,
                )
    if hue is not None and ax.get_legend() is not None:
        ax.legend(title=label(hue), bbox_to_anchor=(1.01, 1), loc="upper left", fontsize=9)
    caption(_figure(ax), synthetic, note)
    return ax


def event_study(
    data: pd.DataFrame,
    *,
    title: str = "Tác động theo số năm kể từ khi kết nghĩa",
    kind: str = KIND_DIFF,
    ylabel: str = "Chênh lệch so với xã chưa kết nghĩa (điểm %)",
    synthetic: bool = False,
    note: str = "",
    ax: Axes | None = None,
) -> Axes:
    """Estimates by event time with their 95% intervals; the year before pairing is the reference.

    ``data`` has the columns of ``effects.event_study``: event_time, estimate,
    ci_low, ci_high.
    """
    if ax is None:
        _fig, ax = plt.subplots()
    frame = data.sort_values("event_time")
    colour = sns.color_palette(PALETTE)[0]
    x = frame["event_time"].astype("float64")
    ax.fill_between(
        x,
        frame["ci_low"].astype(float),
        frame["ci_high"].astype(float),
        color=colour,
        alpha=0.2,
        label="Khoảng tin cậy 95%",
    )
    ax.errorbar(
        x,
        frame["estimate"].astype(float),
        yerr=[frame["estimate"] - frame["ci_low"], frame["ci_high"] - frame["estimate"]],
        fmt="o-",
        color=colour,
        capsize=3,
        label="Ước lượng",
    )
    ax.axhline(0, color="#333333", linewidth=1)
    ax.axvline(-0.5, color="#555555", linestyle="--", linewidth=1.2)
    ax.annotate(
        "Bắt đầu kết nghĩa",
        xy=(-0.5, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(4, -4),
        textcoords="offset points",
        va="top",
        fontsize=8.5,
    )
    ax.xaxis.set_major_locator(mticker.MaxNLocator(integer=True))
    format_axis(ax, kind)
    finish_axes(ax, title, "Số năm kể từ khi kết nghĩa (0 = năm đầu tiên)", ylabel)
    ax.legend(loc="lower left", fontsize=9)
    caption(_figure(ax), synthetic, note)
    return ax


def estimates(
    data: pd.DataFrame,
    *,
    label_column: str | None = None,
    title: str = "So sánh các cách ước lượng",
    kind: str = KIND_DIFF,
    xlabel: str = "Ước lượng (điểm %) và khoảng tin cậy 95%",
    synthetic: bool = False,
    note: str = "",
    ax: Axes | None = None,
) -> Axes:
    """The headline estimate on top, large and coloured; the naive contrasts below in grey.

    Each estimate carries its 95% interval and its value written right of the interval (never
    into the title); the caption says in one line why the grey contrasts are biased.
    """
    frame = headline_first(data)
    if ax is None:
        _fig, ax = plt.subplots(figsize=(9, max(2.8, 0.65 * len(frame) + 1.6)))
    for i, row in frame.iterrows():
        estimate_row(ax, int(cast(int, i)), row, kind, headline=i == 0)
    ax.set_yticks(range(len(frame)))
    names = frame[label_column].astype(str) if label_column else frame.apply(row_name, axis=1)
    ax.set_yticklabels([strip_controls(name) for name in names])
    for i, tick in enumerate(ax.get_yticklabels()):
        tick.set_fontweight("bold" if i == 0 else "normal")
        tick.set_color("#111111" if i == 0 else SECONDARY_COLOUR)
    ax.set_ylim(len(frame) - 0.4, -0.6)  # top row clear of the title
    ax.margins(x=0.22)  # room for the value labels right of the intervals
    ax.axvline(0, color="#333333", linewidth=1)
    format_axis(ax, kind, axis="x")
    finish_axes(ax, title, xlabel, "")
    extra = SECONDARY_REASON if len(frame) > 1 else ""
    caption(_figure(ax), synthetic, f"{extra} {note}".strip())
    return ax
