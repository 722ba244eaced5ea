"""The rules' codes, severities and meanings, and the Context that turns a finding into an Issue at its cell."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from ketnghia_analysis.building.official_forms import COUNTS as OFFICIAL_COUNTS
from ketnghia_analysis.core.address import a1
from ketnghia_analysis.core.columns import POVERTY_COUNTS, SUPPORT_COUNTS
from ketnghia_analysis.core.fmt import fmt_number
from ketnghia_analysis.core.issues import Issue
from ketnghia_analysis.core.missing import is_missing
from ketnghia_analysis.reference.contract import SEVERITIES

if TYPE_CHECKING:  # the rules take a form given as frames too, without importing pandas
    import pandas as pd

#: Severities, most serious first, and their rank in every listing of findings.
SEVERITY_ORDER = {severity: rank for rank, severity in enumerate(SEVERITIES)}
#: Severities as a district reads them (feedback workbooks, issues.xlsx).
SEVERITY_VI = {"error": "Lỗi", "warning": "Cảnh báo", "info": "Ghi chú"}

# code → (severity, what the rule checks). An error-level finding on a data row sends
# that row to quarantine; a warning keeps it; an info note records a decision of the reader.
# A value finding (VALUE_*) is a warning, its cell null and its row kept, unless no value of
# the row is usable (an error then: `bad_values`). docs/building.md lists these codes with
# the reader's own.
RULES: dict[str, tuple[str, str]] = {
    "POVERTY_IDENTITY": (
        "error",
        "hộ nghèo cuối năm = đầu năm − thoát nghèo + tái nghèo + phát sinh",
    ),
    "POOR_EXCEEDS_HOUSEHOLDS": ("error", "số hộ nghèo (đầu năm, cuối năm) ≤ tổng số hộ"),
    "EXITS_EXCEED_POOR": ("error", "số hộ thoát nghèo ≤ số hộ nghèo đầu năm"),
    "POVERTY_RATE_MISMATCH": (
        "warning",
        "tỷ lệ hộ nghèo ghi trong báo cáo = hộ nghèo cuối năm / tổng số hộ",
    ),
    "NTM_TOTAL_MISMATCH": (
        "warning",
        "tổng số tiêu chí đạt ghi trong báo cáo = số tiêu chí đánh dấu",
    ),
    "NTM_RECOGNIZED_INCOMPLETE": (
        "warning",
        "xã công nhận đạt chuẩn NTM trong năm báo cáo phải đạt đủ 19 tiêu chí",
    ),
    "TOTAL_MISMATCH": ("warning", "dòng tổng cộng = tổng các dòng xã"),
    "UNKNOWN_COMMUNE": ("error", "tên xã không có trong danh mục xã của huyện trong năm"),
    "AMBIGUOUS_COMMUNE": ("error", "tên xã khớp với nhiều xã"),
    "DUPLICATE_COMMUNE": ("error", "một xã (hoặc một cặp đơn vị – xã) chỉ ghi một lần"),
    "MISSING_COMMUNE": (
        "warning",
        "mọi xã của huyện trong năm đều có trong báo cáo (Biểu 01/KN: mọi xã đang kết nghĩa)",
    ),
    "PREV_YEAR_MISMATCH": (
        "warning",
        "hộ nghèo đầu năm = cuối năm trước (trừ năm đổi chuẩn 2022, năm sáp nhập xã)",
    ),
    "HISTORY_OUTLIER": ("warning", "giá trị không lệch xa lịch sử của chính xã đó"),
    "VALUE_NEGATIVE": ("warning", "số liệu không âm (ô sai để trống, dòng vẫn được nhận)"),
    "VALUE_NOT_NUMERIC": ("warning", "ô số liệu phải là số (ô sai để trống, dòng vẫn được nhận)"),
    "SUPPORT_OUTSIDE_TARGET": (
        "warning",
        "xã nhận hỗ trợ thuộc địa bàn kết nghĩa (miền núi, DTTS, biên giới)",
    ),
    "MISSING_PARTNER": ("error", "dòng Biểu 01/KN ghi tên đơn vị kết nghĩa"),
    "COMMUNE_FUZZY": ("warning", "tên xã chỉ khớp gần đúng (kiểm tra lại)"),
    "COMMUNE_OLD_NAME": (
        "warning",
        "tên xã dùng tên chính thức của năm báo cáo (không dùng tên cũ)",
    ),
    "COMMUNE_CODE_UNKNOWN": (
        "warning",
        "mã xã (Mã xã, Mã ĐVHC) có trong danh mục xã của huyện trong năm",
    ),
    "COMMUNE_CODE_NAME_MISMATCH": ("warning", "tên xã và mã xã của một dòng chỉ cùng một xã"),
    "SCHEMA_VIOLATION": ("error", "bảng đã xử lý đạt lược đồ pandera (kiểu, miền giá trị, khóa)"),
    "PARTNER_REVIEW": ("warning", "đơn vị kết nghĩa mới hoặc khớp gần đúng: cần xác nhận"),
    "IDENTITY_UNKNOWN": ("error", "xác định được huyện và năm của báo cáo"),
    "SUPERSEDED": ("warning", "tệp bị thay thế bởi tệp nộp sau của cùng huyện, năm"),
    # the pairing register (issue #16): status from a register, never from absence
    "PAIR_START_BLANK": (
        "warning",
        "mỗi cặp kết nghĩa ghi năm bắt đầu kết nghĩa ít nhất ở một năm",
    ),
    "PAIRING_GAP": (
        "warning",
        "một cặp kết nghĩa có dòng Biểu 01/KN ở mọi năm giữa năm đầu và năm cuối của nó",
    ),
    # the official poverty-review forms A–D (issue #15): real copies do not always balance,
    # so their rules warn and never reject
    "POVERTY_IDENTITY_OFFICIAL": (
        "warning",
        "biểu rà soát chính thức: cuối kỳ (9) = đầu kỳ (1) − (2) − (3) − (4) + (5) + (6) + (7) + (8)",
    ),
    "RATE_DENOMINATOR_PLACEHOLDER": (
        "warning",
        "tổng số hộ (nhân khẩu) không nhỏ hơn số hộ nghèo và cận nghèo: một tổng nhỏ hơn là số "
        "giữ chỗ, để trống cùng tỷ lệ, các số hộ vẫn được nhận",
    ),
    "FORMS_DISAGREE": (
        "warning",
        "một số liệu của một xã, một năm ghi giống nhau ở mọi biểu có nó (B9 = A3, C9 = A5, "
        "02/HN = B9…)",
    ),
    "DISTRICT_SUM_MISMATCH": (
        "warning",
        "dòng huyện của biểu tổng hợp tỉnh = tổng các xã của huyện đó",
    ),
    "DISTRICT_UNKNOWN": (
        "error",
        "dòng của biểu tổng hợp tỉnh thuộc một huyện có trong danh mục",
    ),
}


SUPPORT_NUMBERS = ["cash", "in_kind", *SUPPORT_COUNTS]


MODEL_NUMBERS = ["households"]


NUMERIC = {
    "poverty": POVERTY_COUNTS,
    "support": SUPPORT_NUMBERS,
    "models": MODEL_NUMBERS,
    "ntm": ["criteria_met"],
    **{kind: counts for kind, counts in OFFICIAL_COUNTS.items()},
}


def records_of(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts, much faster than ``DataFrame.to_dict("records")`` on small frames.

    >>> import pandas as pd
    >>> records_of(pd.DataFrame({"a": [1, 2], "b": ["x", None]}))
    [{'a': 1, 'b': 'x'}, {'a': 2, 'b': nan}]
    """
    names = list(frame.columns)
    return [dict(zip(names, row, strict=True)) for row in frame.to_numpy(dtype=object).tolist()]


Records: TypeAlias = "pd.DataFrame | list[dict]"


def pandas_object(value: object, kind: str) -> bool:
    """``isinstance(value, pd.<kind>)`` without importing pandas: a process that has not
    imported it holds no pandas object (the reader workers never import it).

    >>> pandas_object([], "DataFrame")
    False
    """
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(value, getattr(pd, kind))


def form_records(form: Any, *, source_row: bool = True) -> tuple[list[dict], pd.DataFrame | None]:
    """A form's records as row dicts (what the rules take), and its records frame.

    A form the reader read carries its rows as plain columns (`reading.model.PlainForm`):
    the dicts come from them, and no frame is built (None). A form given as frames only
    (tests build them by hand) gives ``records_of(form.records)``, the frame first given
    an empty "source_row" when it has none (unless ``source_row=False``).
    """
    plain = getattr(form, "plain", None)
    if plain is not None:
        return plain.records.rows(), None
    records = form.records
    if source_row and "source_row" not in records.columns:
        import pandas as pd

        records = records.assign(source_row=pd.Series(dtype="Int64"))
    return records_of(records), records


def record_count(form: Any) -> int:
    """The number of records of a form (``len(form.records)``, without building a frame)."""
    plain = getattr(form, "plain", None)
    if plain is not None:
        return len(plain.records.columns["source_row"])
    return len(form.records)


def form_totals(form: Any) -> Records | None:
    """A form's total and subtotal rows: dicts from the plain columns, else its frame."""
    plain = getattr(form, "plain", None)
    return plain.totals.rows() if plain is not None else getattr(form, "totals", None)


def form_raw(form: Any) -> list[dict]:
    """The cells of a form's data rows as read (text), with "source_row": one dict per row."""
    plain = getattr(form, "plain", None)
    if plain is not None:
        return plain.raw.row_dicts()
    raw = getattr(form, "raw", None)
    if raw is None or raw.empty or "source_row" not in raw.columns:
        return []
    return records_of(raw)


def as_rows(records: Records) -> list[dict]:
    """The rules take a form's records as a frame or as its rows already turned into dicts
    (``records_of``): normalise.py converts each form once and passes the dicts to every rule.
    """
    return records if isinstance(records, list) else records_of(records)


def fmt(value: object) -> str | None:
    """A number as shown to a district, Vietnamese style: 1.234 and 1.234,5 (up to 3 decimals).

    >>> fmt(1234.0), fmt(1967.5), fmt(0.125), fmt(None), fmt("x")
    ('1.234', '1.967,5', '0,125', None, 'x')
    """
    if is_missing(value):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return str(value)
    number = float(value)
    if number.is_integer():
        return fmt_number(number, 0)
    text = fmt_number(number, 3)
    return text.rstrip("0").rstrip(",")


@dataclass(frozen=True)
class Context:
    """Where a form's records came from: enough to address every cell."""

    source_file: str | None
    source_sheet: str | None
    district_code: str | None
    year: int | None
    columns: dict[str, int] = field(default_factory=dict)
    # the "Hộ" row → its "Nhân khẩu" row, on the paired rows of the official forms B, C, D
    paired: dict[int, int] = field(default_factory=dict)

    def cell(self, column: str | None, row: Any) -> str | None:
        """A1 address of a canonical column on an Excel row (1-based), when known; a people
        count of a paired row (``poor_end_people``) is in its household column, on the
        "Nhân khẩu" row."""
        if is_missing(row):
            return None
        if column and column.endswith("_people") and column not in self.columns:
            column = column.removesuffix("_people")
            row = self.paired.get(int(row), row)
        if column is None or column not in self.columns:
            first = min(self.columns.values()) if self.columns else 0
            return a1(int(row) - 1, first)
        return a1(int(row) - 1, int(self.columns[column]))

    def issue(
        self,
        code: str,
        message: str,
        *,
        row: Any = None,
        column: str | None = None,
        value: object = None,
        expected: object = None,
        suggestion: str | None = None,
        severity: str | None = None,
    ) -> Issue:
        """An Issue of this rule at this cell; the message gets its " [CODE]" suffix."""
        sev = severity or RULES[code][0]
        return Issue(
            severity=sev,
            code=code,
            message=f"{message} [{code}]",
            source_file=self.source_file,
            source_sheet=self.source_sheet,
            cell=self.cell(column, row) if row is not None else None,
            value=fmt(value),
            expected=fmt(expected),
            suggestion=suggestion,
            district_code=self.district_code,
            year=self.year,
            row=None if is_missing(row) else int(row),
        )


def as_number(value: Any) -> float | None:
    """A cell value as a float; None for missing, booleans and anything not a number."""
    kind = type(value)  # the reader's typed values first (the rules call this per cell)
    if kind is int:
        return float(value)
    if kind is float:
        return None if value != value else value
    if value is None or isinstance(value, bool):
        return None
    try:
        if is_missing(value):
            return None
        return float(value)
    except (TypeError, ValueError):
        return None


#: The types of the reader's values in a number column.
_PLAIN_NUMBERS = frozenset({int, float, type(None)})


def as_numbers(values: list) -> np.ndarray:
    """Values as float64 with NaN, as ``pd.to_numeric(errors="coerce")`` reads them: plain
    numbers (the reader's typed columns) directly, anything else through pandas."""
    if _PLAIN_NUMBERS.issuperset(map(type, values)):  # numpy reads None as NaN
        return np.array(values, dtype=float)
    if all(type(x) in (int, float) or is_missing(x) for x in values):
        return np.array([x if type(x) in (int, float) else np.nan for x in values], dtype=float)
    import pandas as pd

    numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
    return numbers.to_numpy(dtype=float, na_value=np.nan)


def as_number_rows(columns: list[list]) -> np.ndarray:
    """``as_numbers`` of each list (all of the same length) as the rows of one 2-D array: a
    single numpy call for the reader's plain numbers, not one per list."""
    if all(_PLAIN_NUMBERS.issuperset(map(type, values)) for values in columns):
        return np.array(columns, dtype=float)
    return np.array([as_numbers(values) for values in columns], dtype=float)
