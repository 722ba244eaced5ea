"""What one raw file contributes to a build (FileResult), and that of a file that was not read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from ketnghia_analysis.core.issues import Issue

#: The processed tables that rows of the returns go to (the others are reference or logs).
OUTPUT_TABLES = ("poverty", "ntm_status", "ntm_criteria", "support", "models")
#: Order of the forms in submissions.forms_found: "support,poverty,ntm,models".
FORM_ORDER = ("support", "poverty", "ntm", "models")


@dataclass(frozen=True)
class FileResult:
    """Everything one raw file contributes to a build (cacheable, picklable)."""

    source_file: str
    submission: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    quarantine: pd.DataFrame | None = None
    issues: list[Issue] = field(default_factory=list)
    columns_of: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    forms: list[str] = field(default_factory=list)
    report_date: Any = None
    modified: Any = None
    mtime: float | None = None
    district_name: str | None = None
    form_sheets: dict[str, str] = field(default_factory=dict)
    transient: bool = False  # a worker failure (time/memory): not cached


def rejected_result(
    source_file: str, sha: str | None, size: int | None, code: str, reason: str
) -> FileResult:
    """The contribution of a file that was not read: one submission row and one error."""
    issue = Issue(
        severity="error",
        code=code,
        message=f"Tệp bị từ chối: {reason} [{code}]",
        source_file=source_file,
        suggestion="Mở và lưu lại tệp bằng Excel (.xlsx), rồi gửi lại.",
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
            "reason": reason,
            "rows_read": 0,
            "rows_accepted": 0,
            "rows_quarantined": 0,
            "rows_structural": 0,
            "read_at": datetime.now(UTC),
        },
        issues=[issue],
    )
