"""Glossary: identifier → Vietnamese label, unit and meaning (reference/glossary*.csv).

The files are read with the ``csv`` module as ``pandas.read_csv(comment="#", dtype=str,
keep_default_na=False)`` reads them (a ``#`` outside quotes starts a comment, missing cells
are empty text), so a label needs no pandas (the reader workers, issue #18); only
:func:`table` imports it.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from ketnghia_analysis.core.paths import REFERENCE_DIR

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ["name", "label", "unit", "description"]


def _files(folder: Path) -> list[Path]:
    """glossary.csv first, then every glossary_*.csv (sorted): later files may override."""
    main = folder / "glossary.csv"
    extra = sorted(folder.glob("glossary_*.csv"))
    return ([main] if main.exists() else []) + extra


def _uncommented(text: str) -> list[str]:
    """The lines of a CSV text without comments (from a ``#`` outside quotes to the end of
    its line) and without the lines left blank."""
    lines: list[str] = []
    line: list[str] = []
    quoted = skipping = False
    for ch in text + "\n":
        if ch == "\n" and not quoted:
            if "".join(line).strip():
                lines.append("".join(line) + "\n")
            line, skipping = [], False
        elif not skipping:
            if ch == '"':
                quoted = not quoted
            elif ch == "#" and not quoted:
                skipping = True
                continue
            line.append(ch)
    return lines


def _read(path: Path) -> list[dict[str, str]]:
    """The rows of one glossary file, every cell text (missing cells empty)."""
    rows = list(csv.reader(_uncommented(path.read_text(encoding="utf-8-sig"))))
    if not rows:
        raise ValueError(f"{path.name}: tệp trống (cần: {', '.join(COLUMNS)})")
    header = rows[0]
    missing = [c for c in ("name", "label") if c not in header]
    if missing:
        raise ValueError(f"{path.name}: thiếu cột {missing} (cần: {', '.join(COLUMNS)})")
    out = []
    for row in rows[1:]:
        cells = dict(zip(header, row + [""] * (len(header) - len(row)), strict=False))
        out.append({c: cells.get(c, "") for c in COLUMNS})
    return out


@lru_cache(maxsize=4)
def _rows(folder: str) -> tuple[dict[str, str], ...]:
    """Every entry of every glossary file; a later file's entry replaces an earlier one (at
    its own place, as ``drop_duplicates(keep="last")``)."""
    rows = [row for path in _files(Path(folder)) for row in _read(path)]
    for row in rows:
        row["name"] = row["name"].strip()
    last = {row["name"]: i for i, row in enumerate(rows)}
    return tuple(row for i, row in enumerate(rows) if last[row["name"]] == i)


def table(folder: Path | None = None) -> pd.DataFrame:
    """Every glossary entry: columns name, label, unit, description (text)."""
    import pandas as pd

    folder = Path(folder or REFERENCE_DIR)
    if not _files(folder):
        return pd.DataFrame(columns=COLUMNS)
    rows = _rows(str(folder))
    return pd.DataFrame([dict(row) for row in rows], columns=COLUMNS, dtype=str)


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
    return {
        row["name"]: {"label": row["label"], "unit": row["unit"], "description": row["description"]}
        for row in _rows(folder)
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
