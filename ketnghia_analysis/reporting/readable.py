"""Tables for readers: Vietnamese numbers and headers, rows numbered from 1 ("STT")."""

from __future__ import annotations

import pandas as pd

from ketnghia_analysis.core.controls import printable, strip_controls
from ketnghia_analysis.reference.glossary import label
from ketnghia_analysis.reporting.kinds import KIND_NUMBER, fmt_value, kind_of
from ketnghia_analysis.reporting.narrative import OUTCOME_VI, effect_kind, row_name

MISSING = "–"  # a blank cell for readers (never "NaN" or "None")
YES_NO = {True: "Có", False: "Không"}


def _text(value: object) -> object:
    """A text cell for readers: controls removed, booleans in Vietnamese, blanks as "–".

    >>> _text(None), _text(True), _text("a\\x00b")
    ('–', 'Có', 'ab')
    """
    if isinstance(value, bool):
        return YES_NO[value]
    if not isinstance(value, (list, tuple, dict)) and pd.isna(value):
        return MISSING
    return printable(value)


def _numbered(frame: pd.DataFrame) -> pd.DataFrame:
    """Vietnamese tables number their rows from 1 ("STT"), not from pandas' 0."""
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="STT")
    return frame


def show_table(
    data: pd.DataFrame,
    kinds: dict[str, str] | None = None,
    rename: bool = True,
) -> pd.DataFrame:
    """A copy for display: numbers as Vietnamese text, headers as glossary labels.

    ``kinds`` maps column → "percent" | "number" | "money" | "points"; numeric
    columns not named are guessed from their names. Text loses its control characters;
    booleans read "Có"/"Không" and blanks "–" (never True/False, NaN or None).
    """
    frame = data.copy()
    kinds = dict(kinds or {})
    for column in frame.columns:
        series = frame[column]
        if isinstance(series.dtype, pd.CategoricalDtype):
            frame[column] = [MISSING if pd.isna(v) else strip_controls(str(v)) for v in series]
            continue
        if pd.api.types.is_bool_dtype(series):  # readers see "Có"/"Không", never True/False
            frame[column] = [MISSING if pd.isna(v) else YES_NO[bool(v)] for v in series]
            continue
        if column == "year":
            continue
        if pd.api.types.is_numeric_dtype(series):
            kind = kinds.get(column, kind_of(column))
            frame[column] = [fmt_value(v, kind) for v in series.astype("float64")]
        else:  # text from the returns (names, messages, file names): no NUL, ESC…
            frame[column] = [_text(v) for v in series]
    if rename:
        frame = frame.rename(columns={c: label(c) for c in frame.columns})
    return _numbered(frame)


def effects_table(estimates: pd.DataFrame) -> pd.DataFrame:
    """``effects.evaluate`` rows for reading: Vietnamese names, effects in points or criteria."""
    rows = []
    for _, row in estimates.iterrows():
        kind = effect_kind(str(row["outcome"]))
        rows.append(
            {
                "Chỉ tiêu": OUTCOME_VI.get(str(row["outcome"]), str(row["outcome"])),
                "Cách ước lượng": row_name(row),
                "Ước lượng": fmt_value(row["estimate"], kind, 2 if kind == KIND_NUMBER else 1),
                "Khoảng tin cậy 95%": (
                    f"{fmt_value(row['ci_low'], kind, 2)} đến {fmt_value(row['ci_high'], kind, 2)}"
                ),
                "Số xã kết nghĩa": fmt_value(row.get("n_treated")),
                "Số xã so sánh": fmt_value(row.get("n_control")),
                "p xu hướng trước": fmt_value(
                    row.get("pre_trend_flag_p", row.get("pre_trend_p")), KIND_NUMBER, 2
                ),
                "Ghi chú": row.get("note", ""),
            }
        )
    return _numbered(pd.DataFrame(rows))


COVERAGE_COLUMN = "Xã có số liệu"


def with_coverage(frame: pd.DataFrame, coverage: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a column "Xã có số liệu" ("12/13", marked "⚠" below 100 %), from
    ``indicators.coverage`` rows matched on the keys both share (year, district…).

    >>> cov = pd.DataFrame({"year": [2024], "district_code": ["516"],
    ...     "communes_expected": [10], "communes_with_data": [9]})
    >>> with_coverage(pd.DataFrame({"year": [2024], "district_code": ["516"]}), cov)
    ... # doctest: +NORMALIZE_WHITESPACE
       year district_code Xã có số liệu
    0  2024           516        9/10 ⚠
    """
    from ketnghia_analysis.reporting.narrative import INCOMPLETE_MARK

    keys = [k for k in ("year", "district_code", "commune_code") if k in frame and k in coverage]
    text = [
        f"{have}/{expected}" + (f" {INCOMPLETE_MARK}" if have < expected else "")
        for have, expected in zip(
            coverage["communes_with_data"], coverage["communes_expected"], strict=True
        )
    ]
    shown = coverage[keys].assign(**{COVERAGE_COLUMN: text})
    return frame.merge(shown, on=keys, how="left")
