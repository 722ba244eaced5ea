"""The key tables of a report: what its notebook shows and its Excel workbook holds."""

from __future__ import annotations

import functools

import pandas as pd

from ketnghia_analysis.analysis import indicators

Tables = dict[str, pd.DataFrame]  # such as ``ketnghia_analysis.load(...)``


@functools.lru_cache(maxsize=1)
def cached_tables(processed_dir: str) -> Tables:
    """Processed tables of a folder, loaded once per report worker process."""
    from ketnghia_analysis.analysis.tables import load

    return load(processed_dir)


@functools.lru_cache(maxsize=1)
def cached_district_sources(processed_dir: str) -> dict[str, pd.DataFrame]:
    """:func:`district_sources` of a folder, computed once per report worker process."""
    return district_sources(cached_tables(processed_dir))


def district_sources(tables: Tables) -> dict[str, pd.DataFrame]:
    """The province-wide frames a district report's key tables are cut from (sheet name →
    frame with ``year`` and ``district_code``)."""
    sources = {
        "Hộ nghèo theo xã": indicators.poverty(tables, level="commune"),
        "Nông thôn mới theo xã": indicators.ntm(tables, level="commune"),
        "Đơn vị kết nghĩa": indicators.support(
            tables, level="district", by=("partner_name", "partner_type")
        ),
        "Hỗ trợ kết nghĩa theo xã": indicators.support(tables, level="commune"),
    }
    if "issues" in tables:
        sources["Lỗi báo cáo"] = tables["issues"]
    return sources


def key_tables(
    tables: Tables,
    year: int,
    district_code: str = "",
    *,
    sources: dict[str, pd.DataFrame] | None = None,
) -> dict[str, pd.DataFrame]:
    """The key tables of a report (sheet name → DataFrame with identifier columns).

    The notebooks show the same tables; every number comes from ``indicators``.
    ``district_code`` empty = the province report. ``sources``: the
    :func:`district_sources` of ``tables`` if already computed (a report worker computes
    them once for all its district workbooks).
    """
    if district_code:
        if sources is None:
            sources = district_sources(tables)
        sheets = {
            name: frame[(frame["year"] == year) & (frame["district_code"] == district_code)]
            for name, frame in sources.items()
        }
    else:
        sheets = _province_tables(tables, year)
    return {name: frame.reset_index(drop=True) for name, frame in sheets.items()}


def _province_tables(tables: Tables, year: int) -> dict[str, pd.DataFrame]:
    """The province report's tables: districts in the year, the province over the years,
    and the effect estimates."""
    pov = indicators.poverty(tables, level="district")
    ntm = indicators.ntm(tables, level="district")
    sup = indicators.support(tables, level="district")
    sheets = {
        "Hộ nghèo theo huyện": _with_coverage(pov[pov["year"] == year], tables, year),
        "Hộ nghèo toàn tỉnh": indicators.poverty(tables, level="province"),
        "Nông thôn mới theo huyện": ntm[ntm["year"] == year],
        "Hỗ trợ kết nghĩa theo huyện": sup[sup["year"] == year],
    }
    try:
        from ketnghia_analysis.analysis import effects

        sheets["Ước lượng tác động"] = effects.evaluate(tables)
    except Exception:  # the estimate has its own notebook; the workbook still gets written
        pass
    return sheets


COVERAGE_COLUMNS = ["communes_expected", "communes_with_data", "coverage_rate"]


def _with_coverage(frame: pd.DataFrame, tables: Tables, year: int) -> pd.DataFrame:
    """District rows with the communes they rest on: expected, with data, coverage rate."""
    coverage = indicators.coverage(tables, level="district", year=year)
    keys = ["year", "district_code"]
    return frame.merge(coverage[[*keys, *COVERAGE_COLUMNS]], on=keys, how="left")
