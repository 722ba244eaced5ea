"""Load the processed tables (data/processed/*.parquet) as DataFrames with proper dtypes.

`ketnghia_analysis.load(folder)` is the analysts' way in: every Parquet file of
the folder becomes one DataFrame, reachable as ``d.poverty`` or
``d["poverty"]``. Codes stay strings, counts are nullable ``Int64``, and the
district and commune *names* are ordered categoricals in official (GSO code)
order, so tables and charts list units the way the province lists them.

The tables are read under the folder's tables lock (``core/snapshot.py``), so a build
swapping in new tables meanwhile is waited for, never half-read; a folder whose tables
disagree with its manifest ``_build.json`` (a build killed inside its swap) raises
``MixedTablesError`` with a Vietnamese sentence instead of loading a mix.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from ketnghia_analysis.core.snapshot import check_consistent, reading
from ketnghia_analysis.reference.contract import columns_of_kind

# The dtypes analysts get, by the kind each column has in the table contract. GSO codes and
# registry ids are always text ("516", never 516); whole numbers are nullable Int64, except
# `year`, which is int64 when every row has one.
CODE_COLUMNS = (*columns_of_kind("code"), "partner_id")
COUNT_COLUMNS = tuple(c for c in columns_of_kind("count", "year", "int") if c != "year")
MONEY_COLUMNS = tuple(columns_of_kind("money"))
BOOL_COLUMNS = tuple(columns_of_kind("bool", "nbool"))


class Tables(dict):
    """Every processed table by name, with attribute access (``d.poverty``).

    A plain ``dict`` underneath, so library functions that expect
    ``tables["poverty"]`` accept it unchanged.
    """

    folder: Path

    def __getattr__(self, name: str) -> pd.DataFrame:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(self._missing(name)) from None

    def __missing__(self, name: str) -> pd.DataFrame:
        raise KeyError(self._missing(name))

    def _missing(self, name: str) -> str:
        have = ", ".join(sorted(self)) or "không có bảng nào"
        return f"Không có bảng '{name}' trong {getattr(self, 'folder', '?')} (các bảng hiện có: {have})"

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *self.keys()]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(super().keys()))

    def __repr__(self) -> str:
        lines = [f"Bảng đã xử lý trong {getattr(self, 'folder', '?')}:"]
        for name in self:
            frame = self[name]
            lines.append(f"  {name:<16} {len(frame):>8,} dòng × {frame.shape[1]} cột")
        return "\n".join(lines)


def _as_code(series: pd.Series) -> pd.Series:
    """Codes as text; numbers that slipped in as 516 or 516.0 become "516"."""
    if pd.api.types.is_numeric_dtype(series):
        return series.astype("Int64").astype("string").astype("str")
    return series.astype("str")


def _fix_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for column in CODE_COLUMNS:
        if column in frame.columns:
            frame[column] = _as_code(frame[column])
    for column in COUNT_COLUMNS:
        if column in frame.columns and not isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = pd.to_numeric(frame[column], errors="coerce").round().astype("Int64")
    if "year" in frame.columns:
        year = pd.to_numeric(frame["year"], errors="coerce")
        frame["year"] = year.astype("int64") if year.notna().all() else year.astype("Int64")
    for column in MONEY_COLUMNS:
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    for column in BOOL_COLUMNS:
        if column in frame.columns and frame[column].dtype != bool:
            frame[column] = frame[column].astype("boolean")
    return frame


def _official_order(communes: pd.DataFrame) -> tuple[list[str], list[str]]:
    """District and commune names in official order (ascending GSO code), without repeats."""
    ordered = communes.sort_values(["district_code", "commune_code"])
    districts = list(dict.fromkeys(ordered["district_name"].dropna()))
    names = list(dict.fromkeys(ordered["commune_name"].dropna()))
    return districts, names


def _categorise(frame: pd.DataFrame, districts: list[str], communes: list[str]) -> pd.DataFrame:
    for column, order in (("district_name", districts), ("commune_name", communes)):
        if column in frame.columns and order:
            extra = [v for v in pd.unique(frame[column].dropna()) if v not in set(order)]
            frame[column] = pd.Categorical(frame[column], categories=order + extra, ordered=True)
    return frame


def load(processed_dir: str | Path = "data/processed") -> Tables:
    """Every processed table of a folder as a DataFrame with proper dtypes.

    Parameters
    ----------
    processed_dir
        The folder written by ``ketnghia build`` (default ``data/processed``).

    Returns
    -------
    Tables
        A dict of DataFrames keyed by file stem, also reachable as attributes
        (``d.poverty``). Codes are strings, counts ``Int64``, money float
        (million VND), ``district_name``/``commune_name`` ordered categoricals.

    Raises
    ------
    FileNotFoundError
        When the folder does not exist or holds no Parquet file (Vietnamese message).
    MixedTablesError
        When its tables are not the set its manifest lists (Vietnamese message).
    TimeoutError
        When a build's swap holds the tables lock over a minute (it takes milliseconds).
    """
    folder = Path(processed_dir)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"Không tìm thấy thư mục dữ liệu đã xử lý: {folder}. "
            "Hãy chạy 'ketnghia build' (hoặc 'make demo') trước."
        )
    refusal = _raw_folder_refusal(folder)
    if refusal:  # before the tables lock: nothing is ever written into a raw folder
        raise FileNotFoundError(refusal)
    tables = Tables()
    tables.folder = folder
    for name, frame in _read_consistent(folder).items():
        tables[name] = _fix_dtypes(frame)
    if "communes" in tables:
        districts, communes = _official_order(tables["communes"])
        for name in list(tables):
            tables[name] = _categorise(tables[name], districts, communes)
    return tables


#: What a folder of returns holds (``ketnghia build`` reads these, ``kn.load`` cannot).
_RETURN_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".xml", ".htm", ".html")


def _raw_folder_refusal(folder: Path) -> str | None:
    """The Vietnamese explanation when ``folder`` holds returns and no table, else None.

    The way out builds into a separate processed folder: the raw folder is never written.
    """
    if any(folder.glob("*.parquet")):
        return None
    returns = (p for p in folder.rglob("*") if p.suffix.lower() in _RETURN_SUFFIXES)
    if next(returns, None) is None:
        return None
    target = folder.parent / "processed" if folder.name == "raw" else Path("data/processed")
    return (
        f"Thư mục {folder} chứa báo cáo gốc (tệp Excel), chưa phải bảng đã xử lý: kn.load "
        "chỉ đọc bảng .parquet do 'ketnghia build' ghi ra. Hãy dựng bảng vào một thư mục "
        f"riêng (thư mục gốc giữ nguyên, không ghi gì vào đó): ketnghia build --raw {folder} "
        f'--out {target}, rồi gọi kn.load("{target.as_posix()}").'
    )


def _read_consistent(folder: Path) -> dict[str, pd.DataFrame]:
    """Every Parquet file of the folder by stem, read as one set: under the shared tables
    lock, after checking the files against the build manifest."""
    with reading(folder):
        check_consistent(folder)
        files = sorted(folder.glob("*.parquet"))
        if not files:
            raise FileNotFoundError(
                f"Thư mục {folder} không có bảng .parquet nào. "
                f"Hãy chạy 'ketnghia build --out {folder}' trước."
            )
        return {path.stem: pd.read_parquet(path) for path in files}
