"""Charts of categorical data: files by district and status, and the NTM criteria grid.

A status (received / superseded / rejected / missing) or an assessment (đạt / chưa đạt /
không đánh giá) is a category, not a quantity: each gets one colour of a fixed,
colour-blind-safe palette (Okabe–Ito) and a legend entry, never a point on a colour scale.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ketnghia_analysis.analysis import indicators
from ketnghia_analysis.core.controls import strip_controls
from ketnghia_analysis.reporting.charts import caption, finish_axes
from ketnghia_analysis.reporting.scoping import STATUS_VI

MISSING_VI = "chưa gửi"
UNKNOWN_DISTRICT = "Không rõ huyện, năm"

# Okabe–Ito colours, one per category (readable with every common colour-vision deficiency).
FILE_STATUS_COLOURS: dict[str, str] = {
    STATUS_VI["ingested"]: "#0072B2",  # blue
    STATUS_VI["superseded"]: "#56B4E9",  # sky blue
    STATUS_VI["rejected"]: "#D55E00",  # vermillion
    MISSING_VI: "#BBBBBB",  # grey: nothing arrived
}
ERROR_COLOUR = "#444444"

MET_VI, NOT_MET_VI, NOT_ASSESSED_VI = "đạt", "chưa đạt", "không đánh giá"
NTM_STATE_COLOURS: dict[str, str] = {
    MET_VI: "#0072B2",  # blue
    NOT_MET_VI: "#E69F00",  # orange
    NOT_ASSESSED_VI: "#DDDDDD",  # light grey
}

Tables = Mapping[str, pd.DataFrame]


# --- data ---------------------------------------------------------------------------


def _district_names(year: int) -> dict[str, str]:
    """District code → official name, from the gazetteer of the year."""
    units = indicators.expected_communes(year)
    return dict(zip(units["district_code"], units["district_name"].astype(str), strict=True))


def _places(codes: pd.Series, names: Mapping[str, str]) -> pd.Series:
    """The district name of each row (``UNKNOWN_DISTRICT`` where no district is named)."""
    places = [
        UNKNOWN_DISTRICT if pd.isna(code) else names.get(str(code), f"Huyện {code}")
        for code in codes
    ]
    return pd.Series(places, index=codes.index, dtype=object)


def _of_year(frame: pd.DataFrame, year: int, district_code: str) -> pd.DataFrame:
    """Rows of the year; rows with neither year nor district (a file that could not be
    placed) only in the province's view."""
    years = pd.to_numeric(frame["year"], errors="coerce")
    unplaced = years.isna() & frame["district_code"].isna()
    rows = frame[(years == year) | (unplaced if not district_code else False)]
    if district_code:
        rows = rows[rows["district_code"].astype("string") == str(district_code)]
    return rows


def files_by_district(tables: Tables, year: int, district_code: str = "") -> pd.DataFrame:
    """Files of the year per district and status, with the error-level issues.

    One row per district (its official name; files that name neither district nor year
    under ``UNKNOWN_DISTRICT``), one column per status of ``FILE_STATUS_COLOURS`` (counts;
    ``chưa gửi`` is 1 for a district of the year's gazetteer without an ingested file) and
    ``errors``: the issues of severity "error".
    """
    year = int(year)
    names = _district_names(year)
    if district_code:
        names = {c: n for c, n in names.items() if c == str(district_code)}
    files = _of_year(tables["submissions"], year, district_code)
    status = files["status"].map(lambda s: STATUS_VI.get(s, s)).astype(object)
    counts = pd.crosstab(_places(files["district_code"], names), status)
    received = {str(c) for c in files.loc[files["status"] == "ingested", "district_code"].dropna()}
    missing = pd.Series(
        {name: 1 for code, name in names.items() if code not in received}, dtype="int64"
    )
    order = sorted({*counts.index, *names.values()} - {UNKNOWN_DISTRICT})
    if UNKNOWN_DISTRICT in counts.index:
        order.append(UNKNOWN_DISTRICT)
    out = counts.reindex(index=order, columns=list(FILE_STATUS_COLOURS), fill_value=0)
    out[MISSING_VI] = missing.reindex(order, fill_value=0)
    issues = _of_year(tables["issues"], year, district_code)
    errors = issues[issues["severity"] == "error"]
    where = _places(errors["district_code"], names)
    out["errors"] = where.value_counts().reindex(order, fill_value=0)
    out.index.name = "district_name"
    return out.fillna(0).astype("int64")


def criteria_states(shares: pd.DataFrame) -> pd.DataFrame:
    """Unit × criterion grid of ``share_met`` (1, 0 or empty) as đạt / chưa đạt /
    không đánh giá. A share strictly between 0 and 1 is a rate, not a category."""
    values = shares.astype("float64")
    between = values.notna() & (values != 0) & (values != 1)
    if bool(between.to_numpy().any()):
        raise ValueError(
            "Lưới tiêu chí chỉ nhận giá trị đạt (1) hoặc chưa đạt (0) của từng xã; "
            "tỷ lệ xã đạt hãy vẽ bằng charts.heatmap."
        )
    states = values.map(lambda v: NOT_ASSESSED_VI if pd.isna(v) else MET_VI if v else NOT_MET_VI)
    return states.astype(object)


# --- charts -------------------------------------------------------------------------


def _legend(
    ax: Axes, colours: Mapping[str, str], title: str, shown: list[str], beside: bool = False
) -> None:
    """A legend of the categories drawn (all of them when ``shown`` is empty): in a row
    above the axes, or in a column beside them."""
    handles = [
        Patch(facecolor=colour, edgecolor="white", label=name)
        for name, colour in colours.items()
        if not shown or name in shown
    ]
    ax.legend(
        handles=handles,
        title=title,
        loc="upper left" if beside else "lower left",
        bbox_to_anchor=(1.01, 1.0) if beside else (0.0, 1.0),
        frameon=False,
        ncol=1 if beside else len(handles),
        fontsize=9,
        title_fontsize=9,
    )


def files_chart(
    files: pd.DataFrame, *, title: str | None = None, synthetic: bool = False, note: str = ""
) -> Figure:
    """Stacked bars of files per district and status (categorical colours) and, beside
    them, the number of error-level issues of each district (``files_by_district``)."""
    frame = files.iloc[::-1]  # first district at the top
    names = [strip_controls(str(n)) for n in frame.index]
    height = max(3.0, 0.38 * len(frame) + 2.0)
    fig, (ax, ax_err) = plt.subplots(
        1, 2, figsize=(10, height), sharey=True, gridspec_kw={"width_ratios": [3, 1]}
    )
    positions = np.arange(len(frame))
    left = np.zeros(len(frame))
    for status, colour in FILE_STATUS_COLOURS.items():
        values = frame[status].to_numpy(dtype=float)
        ax.barh(positions, values, left=left, color=colour, edgecolor="white", label=status)
        left += values
    ax.set_yticks(positions, names)
    ax.set_xlabel("Số tệp (chưa gửi: huyện không có tệp nào được nhận)")
    ax.xaxis.get_major_locator().set_params(integer=True)
    _legend(ax, FILE_STATUS_COLOURS, "Trạng thái tệp", [])
    errors = frame["errors"].to_numpy(dtype=float)
    bars = ax_err.barh(positions, errors, color=ERROR_COLOUR)
    ax_err.bar_label(bars, labels=[f"{int(v)}" for v in errors], fontsize=8, padding=2)
    ax_err.set_xlabel("Số lỗi (mức lỗi)")
    ax_err.xaxis.get_major_locator().set_params(integer=True)
    ax_err.set_xlim(0, max(1.0, float(errors.max(initial=0))) * 1.25)
    for each in (ax, ax_err):
        each.grid(axis="y", visible=False)
    if title:
        fig.suptitle(strip_controls(title), x=0.02, ha="left", fontweight="bold")
    fig.tight_layout()
    caption(fig, synthetic, note)
    return fig


def criteria_grid(
    shares: pd.DataFrame,
    *,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    synthetic: bool = False,
    note: str = "",
    ax: Axes | None = None,
) -> Axes:
    """Commune × criterion cells, each đạt / chưa đạt / không đánh giá in its own colour
    (``shares``: a pivot of ``share_met`` at commune level, see :func:`criteria_states`)."""
    states = criteria_states(shares)
    order = list(NTM_STATE_COLOURS)
    codes = states.map(order.index).to_numpy(dtype=float)
    if ax is None:
        height = max(2.5, 0.32 * len(states) + 2.0)
        width = max(6.0, 0.45 * states.shape[1] + 3.5)
        _fig, ax = plt.subplots(figsize=(min(width, 16), min(height, 22)))
    colours = ListedColormap(list(NTM_STATE_COLOURS.values()))
    norm = BoundaryNorm([-0.5, 0.5, 1.5, 2.5], colours.N)
    ax.pcolormesh(codes, cmap=colours, norm=norm, edgecolors="white", linewidth=0.5)
    ax.set_xticks(
        np.arange(states.shape[1]) + 0.5, [strip_controls(str(c)) for c in states.columns]
    )
    ax.set_yticks(np.arange(len(states)) + 0.5, [strip_controls(str(r)) for r in states.index])
    ax.invert_yaxis()
    ax.grid(False)
    ax.set_aspect("auto")
    shown = sorted(set(states.to_numpy().ravel()), key=order.index)
    _legend(ax, NTM_STATE_COLOURS, "Đánh giá tiêu chí", shown, beside=True)
    finish_axes(ax, title, xlabel, ylabel)
    figure = ax.get_figure(root=True)
    assert isinstance(figure, Figure)
    caption(figure, synthetic, note)
    return ax
