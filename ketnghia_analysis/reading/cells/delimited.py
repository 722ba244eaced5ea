"""Delimited text (CSV, Excel's UTF-16 "Unicode text") as one sheet; the delimiter found by vote."""

from __future__ import annotations

import collections
import csv
import io
from pathlib import Path

from ketnghia_analysis.core.limits import Limits
from ketnghia_analysis.reading.cells.encoding import decode_text
from ketnghia_analysis.reading.cells.guards import check_box, guarded
from ketnghia_analysis.reading.cells.model import Sheet, Workbook, not_spreadsheet

__all__ = ["csv_dialect", "read"]


class _Delimited(csv.excel):
    """Excel's CSV dialect with a chosen delimiter."""


def csv_dialect(text: str) -> type[csv.Dialect] | None:
    r"""The delimiter of a delimited-text sample, or None when it is not a table.

    csv.Sniffer gives up on a file with one odd line (a trailing "# comment") and
    its quote-guessing regex is quadratic on long lines, so we vote instead: the
    delimiter for which most lines split into the same number (≥ 2) of fields,
    on at least two lines.

    >>> csv_dialect("ma_xa;ten_xa;so_ho\n20944;Trà Mai;812\n# ghi chú\n").delimiter
    ';'
    >>> csv_dialect("Kính gửi UBND tỉnh,\nHuyện xin gửi báo cáo.\n") is None
    True
    """
    lines = [ln for ln in text[:65536].splitlines()[:60] if ln.strip()]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may cut the last line
    best: tuple[int, int, str] | None = None
    for delimiter in (";", ",", "\t", "|"):
        if not any(delimiter in ln for ln in lines):
            continue
        try:
            widths = [len(r) for r in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:
            continue
        common = collections.Counter(w for w in widths if w >= 2).most_common(1)
        if not common:
            continue
        width, agree = common[0]
        if agree >= 2 and agree >= 0.5 * len(widths):
            if best is None or (agree, width) > best[:2]:
                best = (agree, width, delimiter)
    if best is None:
        return None
    return type("_Delimited", (_Delimited,), {"delimiter": best[2]})


def read(path: Path, data: bytes, fmt: str, limits: Limits) -> Workbook:
    """Engine "csv": the whole text as one sheet named after the file."""
    return guarded("Bộ đọc CSV", _read_csv, path, data, limits)


def _read_csv(path: Path, data: bytes, limits: Limits) -> Workbook:
    text = decode_text(data)
    dialect = csv_dialect(text)
    if dialect is None:
        raise not_spreadsheet("văn bản thường, không có cột phân cách")
    grid: list[list[object]] = []
    width = 0
    for row in csv.reader(io.StringIO(text, newline=""), dialect):
        grid.append([v if v != "" else None for v in row])
        width = max(width, len(row))
        if len(grid) > limits.max_rows or width > limits.max_cols:
            check_box(path.name, len(grid), width, limits)
    check_box(path.name, len(grid), width, limits)
    for cells in grid:
        cells.extend([None] * (width - len(cells)))
    notes = ["Tệp là văn bản CSV (không phải tệp Excel thật)."]
    return Workbook(path, "csv", [Sheet(path.stem, 0, True, grid)], None, "csv", notes)
