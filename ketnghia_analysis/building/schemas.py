"""Pandera schemas of the processed tables (../shared/spec/tables.md), titled in Vietnamese."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

from ketnghia_analysis.core.missing import is_missing
from ketnghia_analysis.reference import glossary

PROVENANCE = ["source_file", "source_sheet", "source_row"]

# kind → pandas dtype used when the build writes a table
DTYPES = {
    "code": "str",
    "text": "str",
    "int": "int64",
    "year": "Int64",
    "count": "Int64",
    "money": "float64",
    "fraction": "float64",
    "bool": "bool",
    "nbool": "boolean",
    "date": "datetime64[us]",
    "timestamp": "datetime64[us, UTC]",
    "list": "object",
}


@dataclass(frozen=True)
class Col:
    """One column of a processed table: its kind, whether nulls are allowed, its checks."""

    name: str
    kind: str
    nullable: bool = True
    checks: tuple = ()


def _prov() -> list[Col]:
    return [
        Col("source_file", "text", False),
        Col("source_sheet", "text"),
        Col("source_row", "count"),
    ]


_CODE = pa.Check.str_matches(r"^\d+$")
_NONNEG = pa.Check.ge(0)
_YEAR = pa.Check.in_range(1975, 2100)

# The contract: table → ordered columns and unique key (exact names of tables.md).
TABLES: dict[str, tuple[list[Col], list[str]]] = {
    "communes": (
        [
            Col("commune_code", "code", False, (_CODE,)),
            Col("commune_name", "text", False),
            Col("commune_type", "text", False, (pa.Check.isin(["xã", "phường", "thị trấn"]),)),
            Col("district_code", "code", False, (_CODE,)),
            Col("district_name", "text"),
            Col("valid_from", "date"),
            Col("valid_to", "date"),
            Col("successor_code", "code"),
            Col("mountainous", "nbool"),
            Col("border", "nbool"),
            Col("ethnic_region", "text", True, (pa.Check.isin(["I", "II", "III"]),)),
            Col("unit_2025_code", "code"),
            Col("unit_2025_name", "text"),
        ],
        ["commune_code"],
    ),
    "commune_names": (
        [
            Col("commune_code", "code", False, (_CODE,)),
            Col("name", "text", False),
            Col("valid_from", "date"),
            Col("valid_to", "date"),
        ],
        ["commune_code", "name", "valid_from"],
    ),
    "poverty": (
        [
            Col("year", "int", False, (_YEAR,)),
            Col("district_code", "code", False, (_CODE,)),
            Col("commune_code", "code", False, (_CODE,)),
            Col("commune_name", "text"),
            Col("households_total", "count", True, (_NONNEG,)),
            Col("poor_start", "count", True, (_NONNEG,)),
            Col("poverty_exits", "count", True, (_NONNEG,)),
            Col("poverty_relapses", "count", True, (_NONNEG,)),
            Col("poverty_new", "count", True, (_NONNEG,)),
            Col("poor_end", "count", True, (_NONNEG,)),
            Col("near_poor_end", "count", True, (_NONNEG,)),
            Col("poor_ethnic_minority_end", "count", True, (_NONNEG,)),
            Col("poverty_rate_end", "fraction", True, (pa.Check.in_range(0, 1),)),
            Col("poverty_standard", "text", False, (pa.Check.isin(["2016-2020", "2022-2025"]),)),
            *_prov(),
        ],
        ["year", "commune_code"],
    ),
    "ntm_criteria": (
        [
            Col("year", "int", False, (_YEAR,)),
            Col("district_code", "code", False, (_CODE,)),
            Col("commune_code", "code", False, (_CODE,)),
            Col("criterion", "int", False, (pa.Check.in_range(1, 19),)),
            Col("met", "bool", False),
            *_prov(),
        ],
        ["year", "commune_code", "criterion"],
    ),
    "ntm_status": (
        [
            Col("year", "int", False, (_YEAR,)),
            Col("district_code", "code", False, (_CODE,)),
            Col("commune_code", "code", False, (_CODE,)),
            Col("criteria_met", "count", True, (pa.Check.in_range(0, 19),)),
            Col("criteria_set", "text", False, (pa.Check.isin(["2016-2020", "2021-2025"]),)),
            Col(
                "ntm_level",
                "text",
                True,
                (pa.Check.isin(["dat_chuan", "nang_cao", "kieu_mau"]),),
            ),
            Col("recognized_year", "year", True, (_YEAR,)),
            *_prov(),
        ],
        ["year", "commune_code"],
    ),
    "support": (
        [
            Col("year", "int", False, (_YEAR,)),
            Col("district_code", "code", False, (_CODE,)),
            Col("commune_code", "code", False, (_CODE,)),
            Col("partner_id", "text", False),
            Col("partner_name", "text", False),
            Col("partner_type", "text"),
            Col("pair_start_year", "year", True, (_YEAR,)),
            Col("cash_mvnd", "money", True, (_NONNEG,)),
            Col("in_kind_mvnd", "money", True, (_NONNEG,)),
            Col("models_supported", "count", True, (_NONNEG,)),
            Col("beneficiary_households", "count", True, (_NONNEG,)),
            Col("officials_trained", "count", True, (_NONNEG,)),
            Col("workers_trained", "count", True, (_NONNEG,)),
            Col("houses_supported", "count", True, (_NONNEG,)),
            Col("note", "text"),
            *_prov(),
        ],
        ["year", "commune_code", "partner_id"],
    ),
    "partners": (
        [
            Col("partner_id", "text", False),
            Col("partner_name", "text", False),
            Col("partner_type", "text"),
            Col("aliases", "list"),
        ],
        ["partner_id"],
    ),
    "models": (
        [
            Col("year", "int", False, (_YEAR,)),
            Col("district_code", "code", False, (_CODE,)),
            Col("commune_code", "code", True, (_CODE,)),
            Col("partner_id", "text"),
            Col("model_name", "text", False),
            Col("model_type", "text"),
            Col("start_year", "year", True, (_YEAR,)),
            Col("households", "count", True, (_NONNEG,)),
            Col(
                "status",
                "text",
                True,
                (pa.Check.isin(["maintained", "replicated", "stopped", "new"]),),
            ),
            *_prov(),
        ],
        [],
    ),
    "submissions": (
        [
            Col("source_file", "text", False),
            Col("sha256", "text"),
            Col("size_bytes", "count", True, (_NONNEG,)),
            Col("district_code", "code"),
            Col("year", "year"),
            Col("forms_found", "text"),
            Col("status", "text", False, (pa.Check.isin(["ingested", "superseded", "rejected"]),)),
            Col("reason", "text"),
            Col("rows_read", "count", False, (_NONNEG,)),
            Col("rows_accepted", "count", False, (_NONNEG,)),
            Col("rows_quarantined", "count", False, (_NONNEG,)),
            Col("rows_structural", "count", False, (_NONNEG,)),
            Col("read_at", "timestamp"),
        ],
        ["source_file"],
    ),
    "issues": (
        [
            Col("severity", "text", False, (pa.Check.isin(["error", "warning"]),)),
            Col("code", "text", False, (pa.Check.str_matches(r"^[A-Z0-9_]+$"),)),
            Col("message", "text", False),
            Col("district_code", "code"),
            Col("year", "year"),
            Col("source_file", "text"),
            Col("source_sheet", "text"),
            Col("cell", "text"),
            Col("value", "text"),
            Col("expected", "text"),
            Col("suggestion", "text"),
        ],
        [],
    ),
    "quarantine": (
        [
            Col("form", "text", False),
            Col("district_code", "code"),
            Col("year", "year"),
            Col("commune_label", "text"),
            Col("commune_code", "code"),
            Col("codes", "text", False),
            Col("raw_values", "text", False),
            *_prov(),
        ],
        ["source_file", "source_sheet", "source_row"],
    ),
}

TABLE_TITLES = {
    "communes": "Danh mục xã (tham chiếu)",
    "commune_names": "Các tên chính thức của từng mã xã",
    "poverty": "Kết quả rà soát hộ nghèo theo xã và năm (Biểu 02/HN)",
    "ntm_criteria": "Tiêu chí nông thôn mới theo xã, năm và tiêu chí (Biểu 03/NTM)",
    "ntm_status": "Tình trạng nông thôn mới theo xã và năm (Biểu 03/NTM)",
    "support": "Hỗ trợ kết nghĩa theo đơn vị, xã và năm (Biểu 01/KN)",
    "partners": "Danh mục đơn vị kết nghĩa",
    "models": "Mô hình phát triển kinh tế theo năm (Biểu 04/MH)",
    "submissions": "Nhật ký tệp báo cáo đã nhận",
    "issues": "Các vấn đề phát hiện khi kiểm tra báo cáo",
    "quarantine": "Dòng dữ liệu bị cách ly (lỗi mức error)",
}


def columns(table: str) -> list[str]:
    """Ordered column names of a processed table."""
    return [c.name for c in TABLES[table][0]]


def empty(table: str) -> pd.DataFrame:
    """A zero-row table with the contract's columns and dtypes."""
    return conform(pd.DataFrame({c: [] for c in columns(table)}), table)


def conform(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Order the columns of the contract first (missing → null) and cast them to their dtypes."""
    cols, _ = TABLES[table]
    out = frame.copy()
    for col in cols:
        if col.name not in out.columns:
            out[col.name] = None
        out[col.name] = _cast(out[col.name], col.kind)
    extra = [c for c in out.columns if c not in {col.name for col in cols}]
    return out[[c.name for c in cols] + extra].reset_index(drop=True)


def _cast(series: pd.Series, kind: str) -> pd.Series:
    dtype = DTYPES[kind]
    if kind in ("code", "text"):
        if series.dtype == "str":
            return series
        if series.dtype == object and any(isinstance(v, (list, tuple, dict)) for v in series):
            series = series.map(lambda v: v if is_missing(v) else str(v))
        return series.astype("str")  # None, NaN and NA stay missing
    if kind in ("count", "year"):
        return pd.to_numeric(series, errors="coerce").round().astype("Int64")
    if kind == "int":
        return pd.to_numeric(series, errors="coerce").astype("int64")
    if kind in ("money", "fraction"):
        return pd.to_numeric(series, errors="coerce").astype("float64")
    if kind == "bool":
        return series.astype("bool")
    if kind == "nbool":
        return series.astype("boolean")
    if kind == "date":
        return pd.to_datetime(series, errors="coerce").astype(dtype)
    if kind == "timestamp":
        return pd.to_datetime(series, errors="coerce", utc=True).astype(dtype)
    return series.astype(object)


def schema(table: str) -> pa.DataFrameSchema:
    """The pandera schema of a processed table; each column's title is its Vietnamese label."""
    cols, key = TABLES[table]
    spec = {}
    for col in cols:
        info = _glossary_entry(col.name)
        spec[col.name] = pa.Column(
            None if col.kind in ("list", "date", "timestamp") else DTYPES[col.kind],
            checks=list(col.checks),
            nullable=col.nullable,
            title=info["label"],
            description=info["description"] or None,
            metadata={"unit": info["unit"], "kind": col.kind},
        )
    return pa.DataFrameSchema(
        spec,
        name=table,
        title=TABLE_TITLES.get(table),
        unique=key or None,
        strict=False,
    )


def _glossary_entry(name: str) -> dict:
    try:
        return glossary.entry(name)
    except KeyError:
        return {"label": name, "unit": "", "description": ""}


def validate(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Every schema failure of a table at once (lazy), as rows.

    Returns
    -------
    DataFrame with columns column, check, failure_case, index (empty when valid).
    """
    try:
        schema(table).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.copy()
        keep = [c for c in ("column", "check", "failure_case", "index") if c in cases.columns]
        return cases[keep].reset_index(drop=True)
    return pd.DataFrame(columns=["column", "check", "failure_case", "index"])
