"""Shared plotting helpers: one style for every chart of the notebooks and reports.

Colour-blind-safe palettes (seaborn "colorblind", "cividis"), Vietnamese titles and
axis labels from the glossary (`ketnghia_analysis.label`), Vietnamese number
formatting on the axes (1.234,5; 12,5%), a source caption that says when the data
are synthetic, and the two series breaks marked where a line crosses them:
the poverty standard (2016–2020 → 2022–2025, between 2021 and 2022) and the NTM
criteria set (2016–2020 → 2021–2025, in force from 2022).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import pandas as pd
import seaborn as sns

from ketnghia_analysis.core import fmt
from ketnghia_analysis.core.missing import is_missing

SOURCE = "Nguồn: báo cáo của các huyện"
SYNTHETIC_NOTE = "DỮ LIỆU TỔNG HỢP (mẫu), không phải số liệu thật"
PALETTE = "colorblind"  # qualitative, colour-blind safe (Okabe-Ito like)
SEQUENTIAL = "cividis"  # perceptually uniform, readable with colour-vision deficiency
DIVERGING = "PuOr_r"  # centre at 0: purple below (a fall), orange above (a rise)

# The first year of each new series: a line is drawn between year-1 and year.
POVERTY_BREAK = 2022
POVERTY_BREAK_LABEL = "Chuẩn nghèo mới 2022–2025"
NTM_BREAK_LABEL = "Bộ tiêu chí NTM 2021–2025"

# Which kind of number a column holds, for axis and table formatting.
KIND_PERCENT = "percent"
KIND_NUMBER = "number"
KIND_MONEY = "money"
KIND_POINTS = "points"  # already in percentage points (e.g. rate_change_points = -1,6)
KIND_DIFF = "diff"  # a difference of two fractions, shown ×100 in points (effects on rates)

_PERCENT_HINTS = ("_rate", "_share", "share_", "rate_")


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


def label(name: str) -> str:
    """Vietnamese label with unit from the glossary (the identifier itself if unknown)."""
    from ketnghia_analysis.reference.glossary import label as _label

    return _label(name)


def kind_of(name: str) -> str:
    """Guess how to format a column from its name (rates are fractions 0–1)."""
    if name.endswith("_points"):
        return KIND_POINTS
    if any(hint in name for hint in _PERCENT_HINTS) or name.endswith("_rate_end"):
        return KIND_PERCENT
    if name.endswith("_mvnd"):
        return KIND_MONEY
    return KIND_NUMBER


# --- Vietnamese number formatting (fmt.py): "." thousands, "," decimals -----------


def fmt_value(value: object, kind: str = KIND_NUMBER, decimals: int | None = None) -> str:
    """One value as Vietnamese text: 1.234 · 1.234,5 · 12,5% · +1,2 điểm % · 1.234,5 tr.đ.

    ``kind`` "diff" is a difference of fractions (shown ×100 in points); "points" is
    already in points (e.g. ``rate_change_points``).
    """
    if is_missing(value):
        return fmt.MISSING
    number = float(value)
    if kind == KIND_PERCENT:
        return fmt.fmt_percent(number, 1 if decimals is None else decimals)
    if kind in (KIND_POINTS, KIND_DIFF):
        fraction = number if kind == KIND_DIFF else number / 100
        return fmt.fmt_points(fraction, 1 if decimals is None else decimals)
    if kind == KIND_MONEY:
        return fmt.fmt_money(number, 1 if decimals is None else decimals)
    if decimals is None:
        decimals = 0 if number.is_integer() else 1
    return fmt.fmt_number(number, decimals)


def short_value(value: object, kind: str = KIND_NUMBER, decimals: int | None = None) -> str:
    """Compact form for heatmap cells: 12,5% · -1,6 · 1.234 (no unit words)."""
    if is_missing(value):
        return ""
    number = float(value)
    if kind == KIND_PERCENT:
        return fmt.fmt_percent(number, 1 if decimals is None else decimals)
    if kind == KIND_DIFF:
        number *= 100
    if kind in (KIND_POINTS, KIND_DIFF):
        return fmt.fmt_number(number, 1 if decimals is None else decimals)
    if decimals is None:
        decimals = 0 if number.is_integer() or abs(number) >= 100 else 1
    return fmt.fmt_number(number, decimals)


def formatter(kind: str = KIND_NUMBER, decimals: int | None = None) -> mticker.Formatter:
    """A matplotlib tick formatter in Vietnamese style for this kind of number."""
    if kind == KIND_PERCENT:
        return fmt.percent_formatter(0 if decimals is None else decimals)
    if kind in (KIND_POINTS, KIND_DIFF):
        scale = 100 if kind == KIND_DIFF else 1
        places = 1 if decimals is None else decimals
        return mticker.FuncFormatter(lambda v, _p: fmt.fmt_number(scale * v, places))
    return fmt.number_formatter(0 if decimals is None else decimals)


def format_axis(ax: plt.Axes, kind: str, axis: str = "y", decimals: int | None = None) -> None:
    """Vietnamese tick labels on one axis."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    if kind == KIND_NUMBER and not decimals:
        # labels without decimals need whole-number ticks (7,5 would read "8")
        target.set_major_locator(mticker.MaxNLocator(integer=True))
    target.set_major_formatter(formatter(kind, decimals))


def year_axis(ax: plt.Axes) -> None:
    """Whole years on the x axis, without thousands separators."""
    ax.xaxis.set_major_locator(mticker.MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _p: f"{int(round(v))}"))


# --- captions and breaks ------------------------------------------------------------


def is_synthetic(processed_dir: str | Path) -> bool:
    """True when the processed folder comes from the synthetic sample returns.

    The sample generator writes ``truth/`` next to the returns it creates; a
    processed folder whose sibling ``raw/truth`` exists (``make demo``), or which
    holds a ``SYNTHETIC`` marker file or a ``truth`` folder, is sample data.
    """
    folder = Path(processed_dir)
    return any(
        p.exists()
        for p in (
            folder / "SYNTHETIC",
            folder / "truth",
            folder.parent / "raw" / "truth",
        )
    )


def caption_text(synthetic: bool, extra: str = "") -> str:
    """The source line under every chart."""
    parts = [SOURCE]
    if synthetic:
        parts.append(SYNTHETIC_NOTE)
    text = "; ".join(parts) + "."
    return f"{text} {extra}".strip()


def caption(
    fig: plt.Figure, synthetic: bool, extra: str = "", at: tuple[float, float] | None = None
) -> None:
    """Write the source caption under everything else drawn on the figure.

    ``at`` (figure fraction) skips measuring the drawn figure, which is slow with many axes.
    """
    if at is None:
        renderer = fig.canvas.get_renderer()
        box = fig.get_tightbbox(renderer)  # inches
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
    ax: plt.Axes,
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
    words = {
        "poverty": POVERTY_BREAK_LABEL,
        "ntm": NTM_BREAK_LABEL,
        "both": f"{POVERTY_BREAK_LABEL}; {NTM_BREAK_LABEL}",
    }[kind]
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


def _finish(ax: plt.Axes, title: str | None, xlabel: str | None, ylabel: str | None) -> None:
    if title:
        ax.set_title(title, loc="left")
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)


def line_by_year(
    data: pd.DataFrame,
    y: str,
    hue: str | None = None,
    *,
    title: str | None = None,
    kind: str | None = None,
    breaks: str | None = "poverty",
    synthetic: bool = False,
    ax: plt.Axes | None = None,
    note: str = "",
) -> plt.Axes:
    """One line per group over the years, with the break marked and a caption."""
    if ax is None:
        _fig, ax = plt.subplots()
    frame = data.copy()
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
    if breaks and frame["year"].min() < POVERTY_BREAK <= frame["year"].max():
        mark_break(ax, breaks)
    year_axis(ax)
    format_axis(ax, kind or kind_of(y))
    _finish(ax, title, label("year"), label(y))
    if hue is not None and ax.get_legend() is not None:
        ax.legend(title=label(hue), bbox_to_anchor=(1.01, 1), loc="upper left", fontsize=9)
    caption(ax.figure, synthetic, note)
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
) -> plt.Figure:
    """One small panel per group (shared axes), a line over the years in each.

    Drawn with plain matplotlib: seaborn's ``relplot`` takes ~10 s for 18 panels.
    """
    frame = data.copy()
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
    crosses = breaks and frame["year"].min() < POVERTY_BREAK <= frame["year"].max()
    for ax, group in zip(axes.flat, groups, strict=False):
        part = frame[frame[facet] == group].sort_values("year")
        ax.plot(part["year"], part[y], marker="o", markersize=4, color=colour)
        ax.set_title(str(group), fontsize=10)
        if crosses:
            mark_break(ax, breaks, text=False)
    for index, ax in enumerate(axes.flat):
        if index >= len(groups):
            ax.set_visible(False)
        elif index + ncols >= len(groups):  # nothing below: show its years
            ax.xaxis.set_tick_params(labelbottom=True)
    for ax in axes.flat:
        year_axis(ax)
        format_axis(ax, kind or kind_of(y))
        ax.tick_params(labelsize=8.5)
    # Fixed margins (inches) instead of tight_layout: measuring 18 panels takes seconds.
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
    breaks_text = ""
    if breaks:
        breaks_text = (
            "Đường gạch: "
            + {
                "poverty": POVERTY_BREAK_LABEL,
                "ntm": NTM_BREAK_LABEL,
                "both": f"{POVERTY_BREAK_LABEL}; {NTM_BREAK_LABEL}",
            }[breaks]
            + "."
        )
    caption(fig, synthetic, f"{breaks_text} {note}".strip(), at=(0.01, 0.0))
    return fig


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
    ax: plt.Axes | None = None,
    decimals: int | None = None,
) -> plt.Axes:
    """A labelled heatmap (rows × columns) with Vietnamese-formatted cell values.

    When ``breaks`` is set and the columns are years, a dashed line separates the
    years before and after the break.
    """
    values = pivot.astype("float64")
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
    _finish(ax, title, xlabel, ylabel)
    caption(ax.figure, synthetic, note)
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
    ax: plt.Axes | None = None,
    annotate: bool = True,
) -> plt.Axes:
    """Bars with Vietnamese-formatted value labels."""
    frame = data.copy()
    for column in (x, hue):
        if column and isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = frame[column].cat.remove_unused_categories()
    frame[y] = frame[y].astype("float64")
    value_kind = kind or kind_of(y)
    if ax is None:
        size = (9, max(3.0, 0.35 * frame[x].nunique() + 1.5)) if horizontal else (9, 4.8)
        _fig, ax = plt.subplots(figsize=size)
    if horizontal:
        sns.barplot(
            data=frame,
            y=x,
            x=y,
            hue=hue,
            ax=ax,
            palette=PALETTE if hue else None,
            color=None if hue else sns.color_palette(PALETTE)[0],
            errorbar=None,
            orient="h",
        )
        format_axis(ax, value_kind, axis="x")
        _finish(ax, title, label(y), label(x))
    else:
        sns.barplot(
            data=frame,
            x=x,
            y=y,
            hue=hue,
            ax=ax,
            palette=PALETTE if hue else None,
            color=None if hue else sns.color_palette(PALETTE)[0],
            errorbar=None,
        )
        format_axis(ax, value_kind)
        _finish(ax, title, label(x), label(y))
    if annotate:
        for container in ax.containers:
            ax.bar_label(
                container,
                labels=[short_value(v, value_kind) for v in container.datavalues],
                fontsize=8,
                padding=2,
            )
    if hue is not None and ax.get_legend() is not None:
        ax.legend(title=label(hue), bbox_to_anchor=(1.01, 1), loc="upper left", fontsize=9)
    caption(ax.figure, synthetic, note)
    return ax


def event_study(
    data: pd.DataFrame,
    *,
    title: str = "Tác động theo số năm kể từ khi kết nghĩa",
    kind: str = KIND_DIFF,
    ylabel: str = "Chênh lệch so với xã chưa kết nghĩa (điểm %)",
    synthetic: bool = False,
    note: str = "",
    ax: plt.Axes | None = None,
) -> plt.Axes:
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
    _finish(ax, title, "Số năm kể từ khi kết nghĩa (0 = năm đầu tiên)", ylabel)
    ax.legend(loc="lower left", fontsize=9)
    caption(ax.figure, synthetic, note)
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
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Side-by-side estimates (e.g. naive vs robust) with their 95% intervals."""
    frame = data.reset_index(drop=True)
    if ax is None:
        _fig, ax = plt.subplots(figsize=(9, max(2.5, 0.6 * len(frame) + 1.2)))
    colours = sns.color_palette(PALETTE, len(frame))
    for i, row in frame.iterrows():
        low = row["ci_low"] if pd.notna(row["ci_low"]) else row["estimate"]
        high = row["ci_high"] if pd.notna(row["ci_high"]) else row["estimate"]
        ax.errorbar(
            [row["estimate"]],
            [i],
            xerr=[[row["estimate"] - low], [high - row["estimate"]]],
            fmt="o",
            color=colours[i],
            capsize=4,
            markersize=7,
        )
        ax.annotate(
            fmt_value(row["estimate"], kind),
            xy=(row["estimate"], i),
            xytext=(0, 8),
            textcoords="offset points",
            ha="center",
            fontsize=8.5,
        )
    ax.set_yticks(range(len(frame)))
    names = (
        frame[label_column].astype(str)
        if label_column
        else frame.apply(lambda r: estimator_name(r["estimator"], r.get("comparison")), axis=1)
    )
    ax.set_yticklabels(list(names))
    ax.invert_yaxis()
    ax.axvline(0, color="#333333", linewidth=1)
    format_axis(ax, kind, axis="x")
    _finish(ax, title, xlabel, "")
    caption(ax.figure, synthetic, note)
    return ax


def show_table(
    data: pd.DataFrame,
    kinds: dict[str, str] | None = None,
    rename: bool = True,
) -> pd.DataFrame:
    """A copy for display: numbers as Vietnamese text, headers as glossary labels.

    ``kinds`` maps column → "percent" | "number" | "money" | "points"; numeric
    columns not named are guessed from their names.
    """
    frame = data.copy()
    kinds = dict(kinds or {})
    for column in frame.columns:
        series = frame[column]
        if isinstance(series.dtype, pd.CategoricalDtype):
            frame[column] = series.astype("str")
            continue
        if pd.api.types.is_bool_dtype(series) or column == "year":
            continue
        if pd.api.types.is_numeric_dtype(series):
            kind = kinds.get(column, kind_of(column))
            frame[column] = [fmt_value(v, kind) for v in series.astype("float64")]
    if rename:
        frame = frame.rename(columns={c: label(c) for c in frame.columns})
    # Vietnamese tables number their rows from 1 ("STT"), not from pandas' 0.
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="STT")
    return frame


# --- words and scoping for notebooks ----------------------------------------------------

ESTIMATOR_VI = {
    "callaway_santanna": "DiD so le (ước lượng chính)",
    "twfe": "Hồi quy hai chiều cố định (TWFE)",
    "naive": "So sánh thô",
}
COMPARISON_VI = {"similar": "so với xã tương đương", "all": "so với mọi xã"}
OUTCOME_VI = {
    "poverty_rate_end": "tỷ lệ hộ nghèo cuối năm",
    "exit_rate": "tỷ lệ thoát nghèo",
    "criteria_met": "số tiêu chí nông thôn mới đạt",
}


def estimator_name(estimator: str, comparison: str | None = None) -> str:
    """Vietnamese name of an estimator row of ``effects.evaluate``."""
    name = ESTIMATOR_VI.get(estimator, estimator)
    if comparison:
        name += f", {COMPARISON_VI.get(comparison, comparison)}"
    return name


def effect_kind(outcome: str) -> str:
    """How an effect on this outcome is shown: rates in points (×100), counts as numbers."""
    return KIND_NUMBER if outcome == "criteria_met" else KIND_DIFF


def headline_text(row: pd.Series) -> str:
    """One plain-Vietnamese paragraph for a row of ``effects.evaluate`` (the headline)."""
    kind = effect_kind(str(row["outcome"]))
    outcome = OUTCOME_VI.get(str(row["outcome"]), label(str(row["outcome"])))
    estimate = float(row["estimate"])
    if pd.isna(estimate):
        return f"Chưa đủ số liệu để ước lượng tác động của kết nghĩa lên {outcome}."
    direction = "giảm" if estimate < 0 else "tăng"
    if kind == KIND_NUMBER:
        size = fmt.fmt_number(abs(estimate), 2) + " tiêu chí"
    else:
        size = fmt.fmt_number(100 * abs(estimate), 1) + " điểm %"
    places = 2 if kind == KIND_NUMBER else 1
    low, high = fmt_value(row["ci_low"], kind, places), fmt_value(row["ci_high"], kind, places)
    covers_zero = float(row["ci_low"]) <= 0 <= float(row["ci_high"])
    method = estimator_name(str(row["estimator"]), row.get("comparison"))
    verdict = (
        "Khoảng tin cậy chứa số 0: **chưa đủ bằng chứng** để khẳng định kết nghĩa có tác động."
        if covers_zero
        else "Khoảng tin cậy không chứa số 0: tác động **có ý nghĩa thống kê**."
    )
    text = (
        f"**Ước lượng chính** ({method.replace(' (ước lượng chính)', '')}): "
        f"sau khi kết nghĩa, {outcome} của xã được kết nghĩa **{direction} {size}** so với "
        f"xã so sánh (khoảng tin cậy 95%: {low} đến {high}; "
        f"{fmt_value(row['n_treated'])} xã kết nghĩa, {fmt_value(row['n_control'])} xã so sánh). "
        f"{verdict}"
    )
    p = row.get("pre_trend_p")
    if p is not None and pd.notna(p):
        trend = (
            "trước khi kết nghĩa, hai nhóm xã đi cùng xu hướng (kiểm định p = "
            if float(p) >= 0.05
            else "**cảnh báo**: trước khi kết nghĩa, hai nhóm xã đã khác xu hướng (p = "
        )
        text += f" Kiểm tra: {trend}{fmt_value(float(p), KIND_NUMBER, 2)})."
    return text


def poverty_text(frame: pd.DataFrame, year: int, scope: str) -> str:
    """A sentence on poverty in one year from a row of ``indicators.poverty``."""
    rows = frame[frame["year"] == year]
    if rows.empty:
        return f"Không có số liệu hộ nghèo năm {year} ({scope})."
    row = rows.iloc[0]
    text = (
        f"**{scope}, năm {year}** (chuẩn nghèo {row['poverty_standard']}): "
        f"{fmt_value(row['poor_end'])} hộ nghèo trên {fmt_value(row['households_total'])} hộ, "
        f"tỷ lệ hộ nghèo **{fmt_value(row['poverty_rate_end'], KIND_PERCENT)}**; "
        f"trong năm {fmt_value(row['poverty_exits'])} hộ thoát nghèo, "
        f"{fmt_value(row['poverty_relapses'])} hộ tái nghèo, "
        f"{fmt_value(row['poverty_new'])} hộ nghèo phát sinh mới."
    )
    if bool(row.get("standard_break", False)):
        text += " Năm đầu áp dụng chuẩn nghèo mới: không so sánh trực tiếp với năm trước."
    elif pd.notna(row.get("rate_change_points")):
        text += f" Thay đổi so với năm trước: {fmt_value(row['rate_change_points'], KIND_POINTS)}."
    return text


def scope_name(tables, district_code: str = "") -> str:
    """ "Toàn tỉnh" or the official name of the district (from communes.parquet)."""
    if not district_code:
        return "Toàn tỉnh"
    communes = tables["communes"]
    hit = communes.loc[communes["district_code"] == str(district_code), "district_name"]
    return str(hit.iloc[0]) if len(hit) else f"Huyện {district_code}"


def in_scope(frame: pd.DataFrame, district_code: str = "") -> pd.DataFrame:
    """Rows of one district (all rows when ``district_code`` is empty)."""
    if not district_code or "district_code" not in frame.columns:
        return frame
    return frame[frame["district_code"] == str(district_code)]


def _with_names(frame: pd.DataFrame, tables) -> pd.DataFrame:
    if "district_name" in frame.columns or "district_code" not in frame.columns:
        return frame
    names = tables["communes"][["district_code", "district_name"]].drop_duplicates("district_code")
    out = frame.merge(names, on="district_code", how="left")
    return out


STATUS_VI = {"ingested": "đã nhận", "superseded": "bị thay thế", "rejected": "bị từ chối"}


def count_by(frame: pd.DataFrame, keys: list[str], names=None) -> pd.DataFrame:
    """Number of rows per group (for data-quality tables: files, issues), column ``count``.

    ``names`` (the loaded tables) adds ``district_name`` from ``district_code``.
    """
    if names is not None:
        frame = _with_names(frame, names)
    if frame.empty:
        return pd.DataFrame(columns=[*keys, "count"])
    out = frame.groupby(keys, observed=True).size().rename("count").reset_index()
    if "status" in keys:  # submissions' status codes, in the readers' language
        out["status"] = out["status"].map(lambda s: STATUS_VI.get(s, s))
    return out


def sum_by(frame: pd.DataFrame, key: str, columns: list[str], names=None) -> pd.DataFrame:
    """Column sums per group (for data-quality tables: rows read, accepted, quarantined)."""
    if names is not None:
        frame = _with_names(frame, names)
    return frame.groupby(key, observed=True)[columns].sum(min_count=1).reset_index()


def effects_table(estimates: pd.DataFrame) -> pd.DataFrame:
    """``effects.evaluate`` rows for reading: Vietnamese names, effects in points or criteria."""
    rows = []
    for _, row in estimates.iterrows():
        kind = effect_kind(str(row["outcome"]))
        rows.append(
            {
                "Chỉ tiêu": OUTCOME_VI.get(str(row["outcome"]), str(row["outcome"])),
                "Cách ước lượng": estimator_name(str(row["estimator"]), row.get("comparison")),
                "Ước lượng": fmt_value(row["estimate"], kind, 2 if kind == KIND_NUMBER else 1),
                "Khoảng tin cậy 95%": (
                    f"{fmt_value(row['ci_low'], kind, 2)} đến {fmt_value(row['ci_high'], kind, 2)}"
                ),
                "Số xã kết nghĩa": fmt_value(row.get("n_treated")),
                "Số xã so sánh": fmt_value(row.get("n_control")),
                "p xu hướng trước": fmt_value(row.get("pre_trend_p"), KIND_NUMBER, 2),
                "Ghi chú": row.get("note", ""),
            }
        )
    table = pd.DataFrame(rows)
    table.index = pd.RangeIndex(1, len(table) + 1, name="STT")
    return table
