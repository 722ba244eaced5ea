"""Glossary: identifier → Vietnamese label, unit and meaning (reference/glossary*.csv)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from ketnghia_analysis.core.paths import REFERENCE_DIR

COLUMNS = ["name", "label", "unit", "description"]


def _files(folder: Path) -> list[Path]:
    """glossary.csv first, then every glossary_*.csv (sorted): later files may override."""
    main = folder / "glossary.csv"
    extra = sorted(folder.glob("glossary_*.csv"))
    return ([main] if main.exists() else []) + extra


@lru_cache(maxsize=4)
def _load(folder: str) -> pd.DataFrame:
    frames = []
    for path in _files(Path(folder)):
        frame = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False, encoding="utf-8")
        missing = [c for c in ("name", "label") if c not in frame.columns]
        if missing:
            raise ValueError(f"{path.name}: thiếu cột {missing} (cần: {', '.join(COLUMNS)})")
        for column in COLUMNS:
            if column not in frame.columns:
                frame[column] = ""
        frame = frame[COLUMNS].copy()
        frame["name"] = frame["name"].str.strip()
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    table = pd.concat(frames, ignore_index=True)
    return table.drop_duplicates("name", keep="last").reset_index(drop=True)


def table(folder: Path | None = None) -> pd.DataFrame:
    """Every glossary entry: columns name, label, unit, description."""
    return _load(str(folder or REFERENCE_DIR)).copy()


def entry(name: str, folder: Path | None = None) -> dict:
    """Label, unit and meaning of one identifier.

    Raises
    ------
    KeyError
        When the identifier is not in any glossary file.
    """
    entries = _entries(str(folder or REFERENCE_DIR))
    if name not in entries:
        raise KeyError(f"'{name}' không có trong bảng thuật ngữ (reference/glossary*.csv)")
    return dict(entries[name])


@lru_cache(maxsize=4)
def _entries(folder: str) -> dict[str, dict]:
    frame = _load(folder)
    return {
        row["name"]: {"label": row["label"], "unit": row["unit"], "description": row["description"]}
        for row in frame.to_dict("records")
    }


def label(name: str, folder: Path | None = None) -> str:
    """Vietnamese label with its unit, e.g. "Tỷ lệ hộ nghèo cuối năm (%)".

    An identifier missing from the glossary is returned unchanged, so a chart
    never fails for want of a label.
    """
    try:
        item = entry(name, folder)
    except KeyError:
        return name
    return f"{item['label']} ({item['unit']})" if item["unit"] else item["label"]


#: Units of values shown differently from how they are stored: a fraction 0–1 is shown as a
#: percent by every chart, table and workbook (the glossary unit "%" is the shown unit).
STORED_UNITS = {"%": "phân số 0–1, ×100 = %"}


def data_label(name: str, folder: Path | None = None) -> str:
    """The label with the unit of the stored values, for analysts reading the tables.

    :func:`label` names the unit a reader sees (rates as %, the way charts, tables and
    workbooks format them); the processed tables and indicators store rates as fractions,
    so here a rate says so.

    >>> data_label("poverty_rate_end")
    'Tỷ lệ hộ nghèo cuối năm (phân số 0–1, ×100 = %)'
    >>> data_label("poor_end") == label("poor_end")
    True
    """
    try:
        item = entry(name, folder)
    except KeyError:
        return name
    unit = STORED_UNITS.get(item["unit"], item["unit"])
    return f"{item['label']} ({unit})" if unit else item["label"]
