"""What one raw file contributes to a build (FileResult), and that of a file that was not read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ketnghia_analysis.core.issues import Issue

if TYPE_CHECKING:
    import pandas as pd

#: The processed tables that rows of the returns go to (the others are reference or logs).
OUTPUT_TABLES = ("poverty", "ntm_status", "ntm_criteria", "support", "models")
#: Order of the forms in submissions.forms_found: "support,poverty,ntm,models", then the
#: official poverty-review forms A–D.
FORM_ORDER = (
    "support",
    "poverty",
    "ntm",
    "models",
    "review_result",
    "poor_movement",
    "near_poor_movement",
    "poverty_groups",
)

#: The rows of one table as plain columns: column name → values (Python values, None for
#: missing; every list of one table has the same length). What a worker hands over instead
#: of a DataFrame: it pickles and unpickles without pandas, and the build stacks the lists
#: of every file once (issue #18: building and unpickling a frame per form and file cost
#: more than the rows).
Columns = dict[str, list[Any]]


def n_rows(columns: Columns) -> int:
    """The number of rows of a table held as plain columns.

    >>> n_rows({"a": [1, 2], "b": [None, "x"]}), n_rows({})
    (2, 0)
    """
    return len(next(iter(columns.values()))) if columns else 0


@dataclass(frozen=True)
class FileResult:
    """Everything one raw file contributes to a build (cacheable, picklable).

    The rows are plain Python data (`Columns` per table, one dict per quarantined row), so
    that a result crosses from a worker, and from the cache, at the cost of its values;
    `tables` and `quarantine` give them as DataFrames for the tools and tests that want one.
    """

    source_file: str
    submission: dict[str, Any]
    plain_tables: dict[str, Columns] = field(default_factory=dict)  # rows of the data tables
    quarantine_rows: list[dict[str, Any]] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    columns_of: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    forms: list[str] = field(default_factory=list)
    report_date: Any = None
    modified: Any = None
    mtime: float | None = None
    district_name: str | None = None
    form_sheets: dict[str, str] = field(default_factory=dict)
    transient: bool = False  # a worker failure (time/memory): not cached

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The file's rows of each data table as a DataFrame with the contract's dtypes
        (`schemas.conform`); not for the build's own path, which stacks `plain_tables`."""
        from ketnghia_analysis.building.schemas import conform_columns

        return {name: conform_columns(cols, name) for name, cols in self.plain_tables.items()}

    @property
    def quarantine(self) -> pd.DataFrame | None:
        """The file's quarantined rows as a DataFrame, None when there are none."""
        if not self.quarantine_rows:
            return None
        import pandas as pd

        return pd.DataFrame(self.quarantine_rows)


#: What to do about a rejected file, by its code: the advice must fit the cause (re-saving
#: in Excel mends a damaged or odd workbook, not a PDF, a password or a pipe).
RESAVE = "Mở và lưu lại tệp bằng Excel (.xlsx), rồi gửi lại."
SUGGESTIONS = {
    "FILE_ENCRYPTED": "Gỡ mật khẩu của tệp (Excel: Tệp → Thông tin → Bảo vệ sổ làm việc → "
    "Mã hóa bằng mật khẩu, xóa mật khẩu), lưu lại rồi gửi lại.",
    "FILE_TRUNCATED": "Tệp bị hỏng khi sao chép hoặc gửi: gửi lại bản gốc của tệp.",
    "FILE_EMPTY": "Tệp không có nội dung: gửi lại tệp báo cáo đã điền số liệu.",
    "FILE_NOT_SPREADSHEET": "Đây không phải bảng tính (ví dụ công văn PDF hoặc Word): gửi tệp "
    "Excel của báo cáo, lập theo biểu mẫu của tỉnh (lệnh ketnghia template).",
    "NO_FORMS": "Không thấy biểu mẫu nào của tỉnh trong tệp: lập báo cáo theo biểu mẫu "
    "(lệnh ketnghia template), giữ nguyên dòng tiêu đề và tên các biểu.",
    "FILE_NOT_REGULAR": "Đây không phải tệp thông thường (ống dẫn, thiết bị…): chép tệp báo "
    "cáo thật vào thư mục thay cho mục này.",
    "FILE_BAD_LINK": "Lối tắt hoặc liên kết trỏ ra ngoài thư mục hay không tới tệp nào: chép "
    "chính tệp báo cáo vào thư mục.",
    "FILE_BAD_NAME": "Đổi tên tệp (bỏ ký tự điều khiển hoặc ký tự lạ), rồi gửi lại.",
    "FILE_UNREADABLE": "Không mở được tệp (quyền truy cập hoặc ổ đĩa): kiểm tra quyền đọc tệp, "
    "hoặc chép lại tệp rồi chạy lại.",
    "FILE_NOT_FOUND": "Kiểm tra lại đường dẫn và tên tệp.",
    "FILE_LIMIT": "Tệp vượt giới hạn đọc (quá nhiều ô hoặc quá lớn): xóa các trang tính và "
    "dòng thừa, chỉ giữ các biểu báo cáo, rồi gửi lại.",
    "FILE_TIMEOUT": "Tệp đọc quá lâu: xóa các trang tính và dòng thừa, chỉ giữ các biểu báo "
    "cáo, rồi gửi lại.",
}


def suggestion_for(code: str) -> str:
    """The advice for a file rejected with ``code``.

    >>> suggestion_for("FILE_CORRUPT") == RESAVE, "PDF" in suggestion_for("FILE_NOT_SPREADSHEET")
    (True, True)
    """
    return SUGGESTIONS.get(code, RESAVE)


#: A submission's reason is one short line; its finding keeps the whole of it.
REASON_CHARS = 199


def one_line(reason: str, limit: int = REASON_CHARS) -> str:
    """A reason on one line of at most `limit` characters, cut after a word ("…").

    >>> one_line("  a   b c "), one_line("một hai ba bốn", 9)
    ('a b c', 'một hai…')
    """
    line = " ".join(str(reason).split())
    if len(line) <= limit:
        return line
    return line[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:( ") + "…"


def rejected_result(
    source_file: str, sha: str | None, size: int | None, code: str, reason: str
) -> FileResult:
    """The contribution of a file that was not read: one submission row and one error."""
    issue = Issue(
        severity="error",
        code=code,
        message=f"Tệp bị từ chối: {reason} [{code}]",
        source_file=source_file,
        suggestion=suggestion_for(code),
    )
    return FileResult(
        source_file=source_file,
        submission={
            "source_file": source_file,
            "sha256": sha,
            "size_bytes": size,
            "district_code": None,
            "year": None,
            "forms_found": None,
            "status": "rejected",
            "reason": one_line(reason),
            "rows_read": 0,
            "rows_accepted": 0,
            "rows_quarantined": 0,
            "rows_structural": 0,
            "rows_unrecognised": 0,
            "read_at": datetime.now(UTC),
            "cells_nulled": 0,
        },
        issues=[issue],
    )
