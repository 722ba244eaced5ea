"""The marks of the effect chart: the headline estimate prominent, the naive contrasts grey."""

from __future__ import annotations

import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

from ketnghia_analysis.reporting.kinds import fmt_value

PALETTE = "colorblind"
HEADLINE_ESTIMATOR = "callaway_santanna"
SECONDARY_COLOUR = "#8c8c8c"
SECONDARY_REASON = (
    "Màu xám: các cách so sánh chỉ để đối chiếu, bị lệch vì xã được chọn kết nghĩa là xã "
    "nghèo hơn và kết nghĩa bắt đầu ở các năm khác nhau."
)


def headline_first(frame: pd.DataFrame) -> pd.DataFrame:
    """The headline estimate (the row marked ``role == "headline"``, else the first staggered
    DiD, else the first row) on top, the others after in their order."""
    if "estimator" not in frame.columns:
        return frame.reset_index(drop=True)
    head = frame["estimator"] == HEADLINE_ESTIMATOR
    if "role" in frame.columns and (frame["role"] == "headline").any():
        head = frame["role"] == "headline"  # effects.evaluate marks it
    if not head.any():
        return frame.reset_index(drop=True)
    return pd.concat([frame[head].iloc[:1], frame.drop(frame[head].index[:1])], ignore_index=True)


def estimate_row(ax: Axes, i: int, row: pd.Series, kind: str, headline: bool) -> None:
    """One estimate: point, 95% interval and its value (the headline larger and coloured)."""
    low = row["ci_low"] if pd.notna(row["ci_low"]) else row["estimate"]
    high = row["ci_high"] if pd.notna(row["ci_high"]) else row["estimate"]
    colour = sns.color_palette(PALETTE)[0] if headline else SECONDARY_COLOUR
    ax.errorbar(
        [row["estimate"]],
        [i],
        xerr=[[row["estimate"] - low], [high - row["estimate"]]],
        fmt="o",
        color=colour,
        markerfacecolor=colour if headline else "white",
        capsize=5 if headline else 3,
        markersize=11 if headline else 6,
        elinewidth=2.8 if headline else 1.2,
    )
    ax.annotate(
        fmt_value(row["estimate"], kind),
        xy=(max(high, row["estimate"]), i),
        xytext=(8, 0),
        textcoords="offset points",
        ha="left",
        va="center",
        fontsize=11 if headline else 8.5,
        fontweight="bold" if headline else "normal",
        color="#111111" if headline else SECONDARY_COLOUR,
    )
