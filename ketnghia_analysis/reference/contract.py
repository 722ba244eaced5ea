"""The processed tables' contract (../shared/spec/tables.md) as data: names, ordered
columns with kinds and checks, unique keys, titles. No pandas, no pandera: every stage (the
workers, the loader, the indicators) may read it; `schemas` builds the pandera schemas from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    """One column of a processed table: its kind, whether nulls are allowed, its checks.

    A check is data, ``(name, argument)``, with the name of a pandera check: "ge",
    "in_range" (low, high), "isin" [values], "str_matches" pattern.
    """

    name: str
    kind: str
    nullable: bool = True
    checks: tuple[tuple[str, Any], ...] = ()


def _prov() -> list[Col]:
    return [
        Col("source_file", "text", False),
        Col("source_sheet", "text"),
        Col("source_row", "count"),
    ]


#: Severities of a finding, most serious first: an error (must be fixed; on a data row it
#: quarantines the row), a warning (to check; the row is kept), an info note (a decision the
#: reader took, e.g. a rate column read as fractions: never a fault, never counted as one).
SEVERITIES = ("error", "warning", "info")

_CODE = ("str_matches", r"^\d+$")
_NONNEG = ("ge", 0)
_YEAR = ("in_range", (1975, 2100))

#: poverty.source_form: the forms a row was joined from, "+" between them, in the order A, B,
#: C, D (the official review forms, ../shared/spec/official-forms.md) then 02/HN.
SOURCE_FORM = r"^(A|B|C|D|02/HN)(\+(A|B|C|D|02/HN))*$"
#: The counts only the official review forms carry (null on a row joined from 02/HN alone).
OFFICIAL_COUNTS = (
    "people_total",
    "exits_to_near_poor",
    "exits_above_near_poor",
    "poverty_other_decrease",
    "poverty_from_near_poor",
    "poverty_other_increase",
    "poor_people_end",
    "near_poor_people_end",
)


def _poverty_counts() -> list[Col]:
    """The household counts of Biểu 02/HN, in poverty and poverty_districts alike."""
    names = (
        "households_total",
        "poor_start",
        "poverty_exits",
        "poverty_relapses",
        "poverty_new",
        "poor_end",
        "near_poor_end",
        "poor_ethnic_minority_end",
    )
    return [Col(name, "count", True, (_NONNEG,)) for name in names]


def _official_counts() -> list[Col]:
    return [Col(name, "count", True, (_NONNEG,)) for name in OFFICIAL_COUNTS]


# The contract: table → ordered columns and unique key (exact names of tables.md).
TABLES: dict[str, tuple[list[Col], list[str]]] = {
    "communes": (
        [
            Col("commune_code", "code", False, (_CODE,)),
            Col("commune_name", "text", False),
            Col("commune_type", "text", False, (("isin", ["xã", "phường", "thị trấn"]),)),
            Col("district_code", "code", False, (_CODE,)),
            Col("district_name", "text"),
            Col("valid_from", "date"),
            Col("valid_to", "date"),
            Col("successor_code", "code"),
            Col("mountainous", "nbool"),
            Col("border", "nbool"),
            Col("ethnic_region", "text", True, (("isin", ["I", "II", "III"]),)),
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
            *_poverty_counts(),
            Col("poverty_rate_end", "fraction", True, (("in_range", (0, 1)),)),
            Col("poverty_standard", "text", False, (("isin", ["2016-2020", "2022-2025"]),)),
            *_official_counts(),
            Col("source_form", "text", True, (("str_matches", SOURCE_FORM),)),
            *_prov(),
        ],
        ["year", "commune_code"],
    ),
    # the district rows of the official forms (province compilations), for reconciliation
    "poverty_districts": (
        [
            Col("year", "int", False, (_YEAR,)),
            Col("district_code", "code", False, (_CODE,)),
            *_poverty_counts(),
            *_official_counts(),
            Col("source_form", "text", True, (("str_matches", SOURCE_FORM),)),
            *_prov(),
        ],
        ["year", "district_code"],
    ),
    "ntm_criteria": (
        [
            Col("year", "int", False, (_YEAR,)),
            Col("district_code", "code", False, (_CODE,)),
            Col("commune_code", "code", False, (_CODE,)),
            Col("criterion", "int", False, (("in_range", (1, 19)),)),
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
            Col("criteria_met", "count", True, (("in_range", (0, 19)),)),
            Col("criteria_set", "text", False, (("isin", ["2016-2020", "2021-2025"]),)),
            Col(
                "ntm_level",
                "text",
                True,
                (("isin", ["dat_chuan", "nang_cao", "kieu_mau"]),),
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
                (("isin", ["maintained", "replicated", "stopped", "new"]),),
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
            Col("status", "text", False, (("isin", ["ingested", "superseded", "rejected"]),)),
            Col("reason", "text"),
            Col("rows_read", "count", False, (_NONNEG,)),
            Col("rows_accepted", "count", False, (_NONNEG,)),
            Col("rows_quarantined", "count", False, (_NONNEG,)),
            Col("rows_structural", "count", False, (_NONNEG,)),
            # data rows of sheets no form fits (SHEET_UNRECOGNISED), among rows_quarantined
            Col("rows_unrecognised", "count", False, (_NONNEG,)),
            Col("read_at", "timestamp"),
            # cells of accepted rows left null for a bad value (issue #20): not in tables.md yet
            Col("cells_nulled", "count", False, (_NONNEG,)),
        ],
        ["source_file"],
    ),
    "issues": (
        [
            Col("severity", "text", False, (("isin", list(SEVERITIES)),)),
            Col("code", "text", False, (("str_matches", r"^[A-Z0-9_]+$"),)),
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
    "poverty": "Kết quả rà soát hộ nghèo theo xã và năm (Biểu 02/HN, biểu rà soát chính thức)",
    "poverty_districts": "Dòng cấp huyện của biểu rà soát hộ nghèo chính thức (để đối chiếu)",
    "ntm_criteria": "Tiêu chí nông thôn mới theo xã, năm và tiêu chí (Biểu 03/NTM)",
    "ntm_status": "Tình trạng nông thôn mới theo xã và năm (Biểu 03/NTM)",
    "support": "Hỗ trợ kết nghĩa theo đơn vị, xã và năm (Biểu 01/KN)",
    "partners": "Danh mục đơn vị kết nghĩa",
    "models": "Mô hình phát triển kinh tế theo năm (Biểu 04/MH)",
    "submissions": "Nhật ký tệp báo cáo đã nhận",
    "issues": "Các vấn đề phát hiện khi kiểm tra báo cáo",
    "quarantine": "Dòng dữ liệu bị cách ly (lỗi mức error)",
}


#: The processed tables, in the order a build writes them.
TABLE_NAMES = tuple(TABLES)


def columns(table: str) -> list[str]:
    """Ordered column names of a processed table.

    >>> columns("ntm_criteria")[:4]
    ['year', 'district_code', 'commune_code', 'criterion']
    """
    return [c.name for c in TABLES[table][0]]


def key(table: str) -> list[str]:
    """The unique key of a processed table ([] when rows are not unique by any key).

    >>> key("support"), key("models")
    (['year', 'commune_code', 'partner_id'], [])
    """
    return list(TABLES[table][1])


def columns_of_kind(*kinds: str) -> list[str]:
    """Every column name, over all tables, of one of these kinds, without repeats.

    >>> "poor_end" in columns_of_kind("count"), "year" in columns_of_kind("count")
    (True, False)
    """
    names = [c.name for cols, _ in TABLES.values() for c in cols if c.kind in kinds]
    return list(dict.fromkeys(names))
