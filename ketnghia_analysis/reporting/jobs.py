"""What a report run renders: its parameters checked against the data, then one job per report."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

PROVINCE_NOTEBOOK = "20_province_report.ipynb"
DISTRICT_NOTEBOOK = "10_district_report.ipynb"
KERNEL = "ketnghia"  # the Jupyter kernel every report notebook runs in
_DATA_TABLES = ("poverty", "ntm_status", "support")


class ParameterError(ValueError):
    """Invalid report parameters (Vietnamese message); `ketnghia report` exits with 2."""


@dataclass
class Job:
    """One report to render, and (filled in by the worker that renders it) how it went."""

    name: str  # file stem, e.g. "huyen_516_2024"
    title: str  # Vietnamese, for the index
    notebook: str  # path of the source notebook
    parameters: dict
    out_dir: str
    status: str = "pending"  # "ok" | "failed"
    error: str | None = None
    seconds: float = 0.0
    outputs: dict = field(default_factory=dict)  # kind → path relative to out_dir


def data_years(processed: Path) -> list[int]:
    """Years present in the processed tables (poverty, NTM, support)."""
    years: set[int] = set()
    for name in _DATA_TABLES:
        path = processed / f"{name}.parquet"
        if path.exists():
            column = pd.read_parquet(path, columns=["year"])["year"]
            years |= {int(y) for y in column.dropna().unique()}
    return sorted(years)


def districts_with_data(processed: Path, year: int) -> list[str]:
    """District codes with poverty, NTM or support rows in a year, in code order."""
    codes: set[str] = set()
    for name in _DATA_TABLES:
        path = processed / f"{name}.parquet"
        if path.exists():
            frame = pd.read_parquet(path, columns=["year", "district_code"])
            codes |= {str(c) for c in frame.loc[frame["year"] == year, "district_code"].dropna()}
    return sorted(codes)


def district_names(processed: Path) -> dict[str, str]:
    """District code → official name (communes.parquet, else the gazetteer)."""
    path = processed / "communes.parquet"
    if path.exists():
        frame = pd.read_parquet(path, columns=["district_code", "district_name"])
    else:
        from ketnghia_analysis.reference import gazetteer

        frame = gazetteer.districts()[["district_code", "district_name"]]
    frame = frame.dropna().astype(str).drop_duplicates("district_code")
    return dict(zip(frame["district_code"], frame["district_name"], strict=True))


def validate(year: int, district: str | None, all_districts: bool, processed: Path) -> list[str]:
    """Check the parameters against the data; return the district codes to report.

    Raises
    ------
    ParameterError
        Missing processed folder, year outside the data, unknown district code
        or a district without data that year.
    """
    processed = Path(processed)
    _check_processed(processed)
    years = data_years(processed)
    if year not in years:
        span = f"{years[0]}–{years[-1]}" if years else "không có năm nào"
        raise ParameterError(f"Năm {year} không có trong dữ liệu (các năm có dữ liệu: {span}).")
    available = districts_with_data(processed, year)
    if district is not None:
        return [_checked_district(str(district).strip(), year, processed, available)]
    return available if all_districts else []


def _check_processed(processed: Path) -> None:
    """The folder exists and holds the processed tables."""
    if not processed.is_dir():
        raise ParameterError(
            f"Không tìm thấy thư mục dữ liệu đã xử lý '{processed}'. "
            "Hãy chạy 'ketnghia build' (hoặc 'make demo') trước, hoặc chỉ rõ --processed."
        )
    if not (processed / "poverty.parquet").exists():
        raise ParameterError(
            f"Thư mục '{processed}' không có poverty.parquet: chưa phải thư mục dữ liệu đã xử lý. "
            "Hãy chạy 'ketnghia build --out' vào thư mục này."
        )


def _checked_district(code: str, year: int, processed: Path, available: list[str]) -> str:
    """The district code, if it exists and has data in the year."""
    names = district_names(processed)
    if code not in names:
        known = ", ".join(f"{c} {n}" for c, n in sorted(names.items()))
        raise ParameterError(f"Mã huyện '{code}' không tồn tại. Các mã hợp lệ: {known}.")
    if code not in available:
        raise ParameterError(
            f"Huyện {code} ({names[code]}) không có dữ liệu năm {year}: "
            "chưa gửi báo cáo hoặc báo cáo bị từ chối."
        )
    return code


def plan(
    year: int,
    districts: list[str],
    processed: Path,
    out: Path,
    notebooks: Path,
) -> list[Job]:
    """The reports to render: the province report first, then one per district."""
    year_dir = out / str(year)
    names = district_names(processed)
    common = {"year": int(year), "processed_dir": str(processed.resolve())}
    jobs = [
        Job(
            name=f"tinh_{year}",
            title=f"Báo cáo toàn tỉnh năm {year}",
            notebook=str(notebooks / PROVINCE_NOTEBOOK),
            parameters={**common},
            out_dir=str(year_dir),
        )
    ]
    for code in districts:
        jobs.append(
            Job(
                name=f"huyen_{code}_{year}",
                title=f"{names.get(code, 'Huyện ' + code)} ({code}) năm {year}",
                notebook=str(notebooks / DISTRICT_NOTEBOOK),
                parameters={**common, "district_code": code},
                out_dir=str(year_dir),
            )
        )
    return jobs
